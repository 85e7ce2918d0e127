package lathe.sink.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/**
 * A container's file channel that also copies every write into the current {@link CommitLog.Entry}, so that
 * the commit log holds exactly what the container writer wrote (samples, box headers, size fields), whatever
 * the format. Reads, size and locks go straight to the file; {@code force} is the caller's business and goes
 * to the file too. Used from the writer actor's thread only (the background fsync uses the real channel).
 */
public final class CapturingChannel extends FileChannel {
  private final FileChannel file;
  private final byte kind;
  private CommitLog.Entry entry;

  public CapturingChannel(FileChannel file, byte kind) {
    this.file = file;
    this.kind = kind;
  }

  /** Writes from now on go into this entry (null: into none). */
  public void capture(CommitLog.Entry e) {
    this.entry = e;
  }

  @Override
  public int write(ByteBuffer src, long position) throws IOException {
    ByteBuffer view = src.duplicate();
    int n = file.write(src, position);
    record(view, n, position);
    return n;
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    long at = file.position();
    ByteBuffer view = src.duplicate();
    int n = file.write(src);
    record(view, n, at);
    return n;
  }

  @Override
  public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
    long total = 0;
    for (int i = offset; i < offset + length; i++) {
      while (srcs[i].hasRemaining()) {
        total += write(srcs[i]);
      }
    }
    return total;
  }

  private void record(ByteBuffer view, int n, long position) {
    if (entry != null && n > 0) {
      view.limit(view.position() + n);
      entry.write(kind, position, view);
    }
  }

  @Override
  public FileChannel truncate(long size) throws IOException {
    file.truncate(size);
    if (entry != null) {
      entry.truncate(kind, size);
    }
    return this;
  }

  @Override
  public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
    throw new UnsupportedOperationException("transferFrom would bypass the commit log");
  }

  @Override
  public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
    if (mode != MapMode.READ_ONLY) {
      throw new UnsupportedOperationException("a writable mapping would bypass the commit log");
    }
    return file.map(mode, position, size);
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    return file.read(dst);
  }

  @Override
  public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
    return file.read(dsts, offset, length);
  }

  @Override
  public int read(ByteBuffer dst, long position) throws IOException {
    return file.read(dst, position);
  }

  @Override
  public long position() throws IOException {
    return file.position();
  }

  @Override
  public FileChannel position(long newPosition) throws IOException {
    file.position(newPosition);
    return this;
  }

  @Override
  public long size() throws IOException {
    return file.size();
  }

  @Override
  public void force(boolean metaData) throws IOException {
    file.force(metaData);
  }

  @Override
  public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
    return file.transferTo(position, count, target);
  }

  @Override
  public FileLock lock(long position, long size, boolean shared) throws IOException {
    return file.lock(position, size, shared);
  }

  @Override
  public FileLock tryLock(long position, long size, boolean shared) throws IOException {
    return file.tryLock(position, size, shared);
  }

  @Override
  protected void implCloseChannel() throws IOException {
    file.close();
  }
}
