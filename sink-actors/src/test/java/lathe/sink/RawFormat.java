package lathe.sink;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.List;
import java.util.concurrent.Semaphore;
import lathe.protocol.Container;
import lathe.protocol.MediaType;
import lathe.protocol.Metadata;
import lathe.sink.container.ContainerFormat;
import lathe.sink.container.ContainerWriter;
import lathe.sink.container.SampleRecord;
import lathe.sink.container.SampleTable;

/**
 * A test container: a 4-byte magic, then the sample bytes back to back, then at finish a trailer with the sample
 * count. The actor contract tests use it to see exactly which samples reached the file; a {@code gate} makes the
 * disk as slow as a test needs (append waits for a permit), and {@code failAt} makes it fail like a full disk.
 */
final class RawFormat implements ContainerFormat {
  static final byte[] MAGIC = {'R', 'A', 'W', '1'};

  final Semaphore gate;
  final long failAtBytes;

  RawFormat() {
    this(null, Long.MAX_VALUE);
  }

  RawFormat(Semaphore gate, long failAtBytes) {
    this.gate = gate;
    this.failAtBytes = failAtBytes;
  }

  @Override
  public Container container() {
    return Container.BWF;
  }

  @Override
  public String refuse(List<MediaType> existing, MediaType candidate) {
    return candidate.getCodec() == lathe.protocol.Codec.HEVC ? "raw refuses hevc (test)" : null;
  }

  @Override
  public ContainerWriter create(FileChannel channel, List<MediaType> streams, Metadata metadata)
      throws IOException {
    channel.write(ByteBuffer.wrap(MAGIC), 0);
    return new Writer(channel);
  }

  @Override
  public ContainerWriter resume(FileChannel channel, List<MediaType> streams, Metadata metadata,
      SampleTable samples) throws IOException {
    long[] end = {MAGIC.length};
    samples.forEach(s -> end[0] = Math.max(end[0], s.end()));
    channel.truncate(end[0]);
    return new Writer(channel);
  }

  private final class Writer implements ContainerWriter {
    private final FileChannel channel;

    Writer(FileChannel channel) {
      this.channel = channel;
    }

    @Override
    public long append(SampleRecord sample, ByteBuffer data) throws IOException {
      if (gate != null) {
        gate.acquireUninterruptibly();
      }
      long offset = channel.size();
      if (offset + data.remaining() > failAtBytes) {
        throw new IOException("No space left on device (injected)");
      }
      // A positional write may be short (a tmpfs that fills up): loop, as the real writers do.
      for (long at = offset; data.hasRemaining(); ) {
        at += channel.write(data, at);
      }
      return offset;
    }

    @Override
    public void checkpoint() {}

    @Override
    public void finish(SampleTable samples) throws IOException {
      ByteBuffer trailer = ByteBuffer.allocate(8).putLong(samples.count()).flip();
      channel.write(trailer, channel.size());
    }

    @Override
    public long size() throws IOException {
      return channel.size();
    }

    @Override
    public void close() {}
  }
}
