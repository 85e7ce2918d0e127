package lathe.sink.bwf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.Arrays;
import java.util.List;
import lathe.protocol.Container;
import lathe.protocol.MediaType;
import lathe.protocol.Metadata;
import lathe.sink.container.ContainerFormat;
import lathe.sink.container.ContainerWriter;
import lathe.sink.container.SampleTable;

/** Broadcast WAV (EBU Tech 3285) growing into RF64 (EBU Tech 3306): one PCM stream per file. */
public final class BwfFormat implements ContainerFormat {

  @Override
  public Container container() {
    return Container.BWF;
  }

  @Override
  public String refuse(List<MediaType> existing, MediaType candidate) {
    if (!existing.isEmpty()) {
      return "bwf holds one PCM audio stream; use mp4 for a second stream";
    }
    return PcmLayout.refuse(candidate);
  }

  @Override
  public ContainerWriter create(FileChannel channel, List<MediaType> streams, Metadata metadata) throws IOException {
    PcmLayout pcm = layout(streams);
    if (channel.size() != 0) {
      throw new IOException("a new BWF file needs an empty file, this one holds " + channel.size() + " bytes");
    }
    ByteBuffer header = BwfHeader.build(pcm, metadata, BwfHeader.origination(metadata));
    long dataStart = header.limit();
    long at = 0;
    while (header.hasRemaining()) {
      at += channel.write(header, at);
    }
    return new BwfWriter(channel, pcm, dataStart - 4, dataStart, dataStart, false);
  }

  @Override
  public ContainerWriter resume(FileChannel channel, List<MediaType> streams, Metadata metadata,
      SampleTable samples) throws IOException {
    PcmLayout pcm = layout(streams);
    Chunks chunks = Chunks.read(channel);
    byte[] expectedFmt = BwfHeader.fmt(pcm);
    if (!Arrays.equals(chunks.fmt, expectedFmt)) {
      throw new IOException("the fmt chunk of the crashed file does not match its stream ("
          + pcm.channels() + " channels, " + pcm.bitsPerSample() + " bits, " + pcm.sampleRate() + " Hz)");
    }
    long[] end = {chunks.dataStart};
    samples.forEach(s -> end[0] = Math.max(end[0], s.end()));
    long validEnd = end[0];
    if (validEnd > channel.size()) {
      throw new IOException("the sample table ends at byte " + validEnd + " but the crashed file holds only "
          + channel.size() + " bytes");
    }
    if ((validEnd - chunks.dataStart) % pcm.blockAlign() != 0) {
      throw new IOException("the sample table ends inside a PCM frame (byte " + validEnd + ")");
    }
    channel.truncate(validEnd);
    BwfWriter writer = new BwfWriter(channel, pcm, chunks.dataStart - 4, chunks.dataStart, validEnd, chunks.rf64);
    writer.checkpoint();
    return writer;
  }

  private PcmLayout layout(List<MediaType> streams) {
    if (streams.size() != 1) {
      throw new IllegalArgumentException("bwf holds exactly one PCM audio stream, not " + streams.size());
    }
    return PcmLayout.of(streams.get(0));
  }

  /** The chunk positions of a file {@link #create} began, read back from disk. */
  private record Chunks(boolean rf64, byte[] fmt, long dataStart) {

    static Chunks read(FileChannel channel) throws IOException {
      ByteBuffer head = readAt(channel, 0, BwfHeader.BEXT_OFFSET);
      int magic = head.getInt(0);
      boolean rf64 = magic == BwfHeader.fourcc("RF64");
      int reserved = head.getInt(BwfHeader.DS64_OFFSET);
      if (!(rf64 || magic == BwfHeader.fourcc("RIFF")) || head.getInt(8) != BwfHeader.fourcc("WAVE")
          || reserved != BwfHeader.fourcc(rf64 ? "ds64" : "JUNK")
          || head.getInt(BwfHeader.DS64_OFFSET + 4) != BwfHeader.DS64_PAYLOAD) {
        throw new IOException("not a BWF file written by lathe (no RIFF/RF64 WAVE header with a 28-byte "
            + (rf64 ? "ds64" : "JUNK") + " chunk first)");
      }
      byte[] fmt = null;
      long at = BwfHeader.BEXT_OFFSET;
      long size = channel.size();
      while (at + 8 <= size) {
        ByteBuffer chunk = readAt(channel, at, 8);
        int id = chunk.getInt(0);
        long length = Integer.toUnsignedLong(chunk.getInt(4));
        if (id == BwfHeader.fourcc("data")) {
          if (fmt == null) {
            throw new IOException("the crashed BWF file has no fmt chunk before its data");
          }
          return new Chunks(rf64, fmt, at + 8);
        }
        if (id == BwfHeader.fourcc("fmt ")) {
          if (length > 64) {
            throw new IOException("the crashed BWF file's fmt chunk is " + length + " bytes long");
          }
          fmt = new byte[(int) length];
          readAt(channel, at + 8, (int) length).get(fmt);
        }
        at += 8 + length + (length & 1);
      }
      throw new IOException("the crashed BWF file has no data chunk");
    }

    private static ByteBuffer readAt(FileChannel channel, long position, int length) throws IOException {
      ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
      while (b.hasRemaining()) {
        if (channel.read(b, position + b.position()) < 0) {
          throw new IOException("the crashed BWF file ends inside its header (" + channel.size() + " bytes)");
        }
      }
      return b.flip();
    }
  }
}
