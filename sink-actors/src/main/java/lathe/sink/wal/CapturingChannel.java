package lathe.sink.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.Arrays;
import java.util.Objects;

/**
 * A container's file channel that also copies every write into the current {@link CommitLog.Entry}, so that
 * the commit log holds exactly what the container writer wrote (samples, box headers, size fields), whatever
 * the format. {@code force} is the caller's business. Used from the writer actor's thread only (the background
 * fsync uses the real channel, after {@link #flush}).
 *
 * <p>While an entry is being captured, small writes are held here (write-back) rather than handed to the file
 * at once: the log already has them, so the file only needs them by the next fsync of the file (a checkpoint,
 * a big commit, Finalize), which {@link #flush}es first. Many live streams write a 20 ms sample and rewrite the
 * header's size fields at every commit; one {@code pwrite} of up to {@code writeBackBytes} then replaces dozens
 * of small ones, which otherwise took most of the writer threads' time in the kernel. Held writes are merged
 * (a later one over an earlier one), so a rewritten size field is written once. At most {@code writeBackBytes}
 * are held; reads, size, truncate and every other use of the file see the held bytes or flush them first.
 */
public final class CapturingChannel extends FileChannel {
  /**
   * A held range of the file: buf[0, len) belongs at start. Slots are kept and reused, with their buffers, from
   * one flush to the next, and never move: holding a write per commit allocates nothing and stores no new
   * object into a long-lived one (each such store is a card for G1 to refine).
   */
  private static final class Extent {
    boolean active;
    long start;
    byte[] buf = new byte[64];
    int len;

    long end() {
      return start + len;
    }
  }

  private final FileChannel file;
  private final byte kind;
  private final int writeBackBytes;
  private CommitLog.Entry entry;
  /** Held writes: the active slots are non-overlapping and do not touch one another; in no order. */
  private Extent[] slots = {new Extent(), new Extent(), new Extent(), new Extent()};
  private int active;
  private long heldBytes;

  /** writeBackBytes: hold up to this many bytes of writes smaller than that while capturing (0: none). */
  public CapturingChannel(FileChannel file, byte kind, int writeBackBytes) {
    this.file = file;
    this.kind = kind;
    this.writeBackBytes = Math.max(0, writeBackBytes);
  }

  /** Writes from now on go into this entry. */
  public void capture(CommitLog.Entry e) {
    this.entry = Objects.requireNonNull(e);
  }

  /** Writes from now on go into no entry, straight to the file; what is held is flushed first. */
  public void captureNone() throws IOException {
    flush();
    this.entry = null;
  }

  /**
   * Hands every held write to the file (OS cache), the highest offset first: appended samples land before the
   * header fields that count them, as the writer wrote them, so that a process killed between two of these
   * writes leaves a header that never claims more than the file holds.
   */
  public void flush() throws IOException {
    while (active > 0) {
      Extent x = null;
      for (Extent y : slots) {
        if (y.active && (x == null || y.start > x.start)) {
          x = y;
        }
      }
      ByteBuffer b = ByteBuffer.wrap(x.buf, 0, x.len);
      long at = x.start;
      while (b.hasRemaining()) {
        at += file.write(b, at);
      }
      release(x);
    }
  }

  private void release(Extent x) {
    x.active = false;
    heldBytes -= x.len;
    x.len = 0;
    active--;
    if (x.buf.length > 2 * writeBackBytes) {
      x.buf = new byte[64]; // a slot does not keep more than the write-back needs
    }
  }

  /** Bytes held, not yet handed to the file. */
  public long held() {
    return heldBytes;
  }

  @Override
  public int write(ByteBuffer src, long position) throws IOException {
    int n = src.remaining();
    if (entry != null && n > 0 && n < writeBackBytes) {
      entry.write(kind, position, src);
      if (!entry.overflowed()) { // an overflowed commit fsyncs the file at once: holding would only cost a copy
        hold(position, src);
        if (heldBytes >= writeBackBytes || active >= 32) {
          flush();
        }
        return n;
      }
    }
    flush(); // held writes are older: they must not land over this one later
    int w = file.write(src, position);
    record(w, position);
    return w;
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    flush();
    long at = file.position();
    int n = file.write(src);
    record(n, at);
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

  /**
   * The entry notes that n bytes at position are in the file, to be read back if it is logged
   * ({@link CommitLog.Entry#readBack}); an overflowed entry (a small write that overflowed it lands here) keeps
   * nothing.
   */
  private void record(int n, long position) {
    if (entry != null) {
      entry.writtenToFile(kind, position, n);
    }
  }

  /** Copies src's remaining bytes into the held writes at position, over any held bytes there. */
  private void hold(long position, ByteBuffer src) {
    int n = src.remaining();
    long end = position + n;
    // x: the held range this write joins (it reaches or touches x), the one that starts first
    Extent x = null;
    long newStart = position;
    long newEnd = end;
    for (Extent y : slots) {
      if (y.active && y.start <= end && y.end() >= position) {
        newStart = Math.min(newStart, y.start);
        newEnd = Math.max(newEnd, y.end());
        if (x == null || y.start < x.start) {
          x = y;
        }
      }
    }
    if (x == null) {
      x = freeSlot(n);
      x.active = true;
      x.start = position;
      active++;
    }
    int had = x.len;
    int newLen = (int) (newEnd - newStart);
    if (newLen > x.buf.length) {
      x.buf = Arrays.copyOf(x.buf, Math.max(newLen, Math.min(2 * x.buf.length, newLen + writeBackBytes)));
    }
    if (newStart < x.start) { // the write begins before x: x's bytes move up
      System.arraycopy(x.buf, 0, x.buf, (int) (x.start - newStart), x.len);
      x.start = newStart;
    }
    // every other range the write reaches or touches becomes part of x (all are older than this write)
    for (Extent y : slots) {
      if (y != x && y.active && y.start <= end && y.end() >= position) {
        System.arraycopy(y.buf, 0, x.buf, (int) (y.start - x.start), y.len);
        release(y);
      }
    }
    heldBytes += newLen - had;
    x.len = newLen;
    src.duplicate().get(x.buf, (int) (position - x.start), n);
    src.position(src.limit());
  }

  /** A free slot for n bytes: the one whose buffer fits best, so that a sample's big buffer stays with samples. */
  private Extent freeSlot(int n) {
    Extent best = null;
    for (Extent y : slots) {
      if (y.active) {
        continue;
      }
      boolean better = best == null || (best.buf.length < n
          ? y.buf.length > best.buf.length
          : y.buf.length >= n && y.buf.length < best.buf.length);
      if (better) {
        best = y;
      }
    }
    if (best != null) {
      return best;
    }
    Extent[] more = Arrays.copyOf(slots, slots.length * 2);
    for (int i = slots.length; i < more.length; i++) {
      more[i] = new Extent();
    }
    slots = more;
    return slots[slots.length / 2];
  }

  @Override
  public FileChannel truncate(long size) throws IOException {
    flush();
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
    flush();
    return file.map(mode, position, size);
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    flush();
    return file.read(dst);
  }

  @Override
  public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
    flush();
    return file.read(dsts, offset, length);
  }

  @Override
  public int read(ByteBuffer dst, long position) throws IOException {
    flush();
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
    long size = file.size();
    for (Extent y : slots) {
      if (y.active) {
        size = Math.max(size, y.end());
      }
    }
    return size;
  }

  @Override
  public void force(boolean metaData) throws IOException {
    flush();
    file.force(metaData);
  }

  @Override
  public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
    flush();
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
    try {
      flush();
    } finally {
      file.close();
    }
  }
}
