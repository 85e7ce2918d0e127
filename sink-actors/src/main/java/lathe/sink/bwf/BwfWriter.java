package lathe.sink.bwf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import lathe.sink.container.ContainerWriter;
import lathe.sink.container.SampleRecord;
import lathe.sink.container.SampleTable;
import lathe.sink.io.Io;

/**
 * Writes PCM into a BWF file whose header {@link BwfFormat} laid out. The header always declares a size the file
 * holds: {@link #checkpoint} moves it forward, and the file turns into RF64 the moment the RIFF size would no
 * longer fit 32 bits, while recording, so a killed recording past 4 GiB is still readable. {@link #close} closes
 * the channel.
 */
public final class BwfWriter implements ContainerWriter {

  /** Largest RIFF chunk size a plain RIFF header can state. */
  static final long MAX_RIFF_SIZE = 0xFFFFFFFFL;

  private final FileChannel channel;
  private final PcmLayout pcm;
  private final long dataSizeOffset;
  private final long dataStart;
  private long dataEnd;
  /** The data size the header states now. */
  private long declaredDataSize;
  private boolean rf64;
  private boolean finished;

  BwfWriter(FileChannel channel, PcmLayout pcm, long dataSizeOffset, long dataStart, long dataEnd, boolean rf64) {
    this.channel = channel;
    this.pcm = pcm;
    this.dataSizeOffset = dataSizeOffset;
    this.dataStart = dataStart;
    this.dataEnd = dataEnd;
    this.rf64 = rf64;
  }

  @Override
  public long append(SampleRecord sample, ByteBuffer data) throws IOException {
    int length = data.remaining();
    if (length % pcm.blockAlign() != 0) {
      throw new IllegalArgumentException("PCM sample " + sample.seq() + " of stream " + sample.stream() + " holds "
          + length + " bytes, not a whole number of " + pcm.blockAlign() + "-byte frames ("
          + pcm.channels() + " channels of " + pcm.bitsPerSample() + " bits)");
    }
    ByteBuffer bytes = pcm.bigEndian() && pcm.bytesPerSample() > 1 ? toLittleEndian(data) : data;
    long offset = reserve(length);
    Io.writeFully(channel, bytes, offset);
    return offset;
  }

  /** Test hook: grows the data by {@code bytes} of silence without writing them (a sparse hole). */
  long appendHole(long bytes) throws IOException {
    if (bytes % pcm.blockAlign() != 0) {
      throw new IllegalArgumentException("a hole must be whole frames");
    }
    return reserve(bytes);
  }

  /** Claims {@code length} bytes at the end of the data, switching to RF64 first when they no longer fit RIFF. */
  private long reserve(long length) throws IOException {
    if (finished) {
      throw new IllegalStateException("the BWF file is finished; no more samples can be appended");
    }
    long offset = dataEnd;
    long newDataSize = offset + length - dataStart;
    if (!rf64 && riffSize(newDataSize) > MAX_RIFF_SIZE) {
      // EBU Tech 3306 §3: switch live while the header still states the last checkpoint's size.
      rf64 = true;
      writeSizes(declaredDataSize, false);
    }
    dataEnd = offset + length;
    return offset;
  }

  @Override
  public void checkpoint() throws IOException {
    if (!finished) {
      writeSizes(dataEnd - dataStart, false);
    }
  }

  @Override
  public void finish(SampleTable samples) throws IOException {
    long dataSize = dataEnd - dataStart;
    if ((dataSize & 1) != 0) {
      // RIFF chunks are word aligned; the pad byte is outside the data size but inside the RIFF size.
      Io.writeFully(channel, ByteBuffer.allocate(1), dataEnd);
    }
    writeSizes(dataSize, true);
    finished = true;
  }

  @Override
  public long size() throws IOException {
    return channel.size();
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }

  boolean isRf64() {
    return rf64;
  }

  long dataStart() {
    return dataStart;
  }

  private long riffSize(long dataSize) {
    return dataStart + dataSize + (dataSize & 1) - 8;
  }

  /** Writes every size field for {@code dataSize} bytes of PCM, in the RIFF or the RF64 form. */
  private void writeSizes(long dataSize, boolean withPad) throws IOException {
    long riffSize = dataStart + dataSize + (withPad ? dataSize & 1 : 0) - 8;
    rf64 |= riffSize > MAX_RIFF_SIZE;
    ByteBuffer head = ByteBuffer.allocate(BwfHeader.BEXT_OFFSET).order(ByteOrder.LITTLE_ENDIAN);
    if (rf64) {
      // EBU Tech 3306 §3: RF64 and data sizes are -1, the true ones live in ds64 (no table entries).
      head.put(BwfHeader.ascii("RF64")).putInt(-1).put(BwfHeader.ascii("WAVE"));
      head.put(BwfHeader.ascii("ds64")).putInt(BwfHeader.DS64_PAYLOAD);
      head.putLong(riffSize).putLong(dataSize).putLong(dataSize / pcm.blockAlign()).putInt(0);
    } else {
      head.put(BwfHeader.ascii("RIFF")).putInt((int) riffSize).put(BwfHeader.ascii("WAVE"));
      head.put(BwfHeader.ascii("JUNK")).putInt(BwfHeader.DS64_PAYLOAD).put(new byte[BwfHeader.DS64_PAYLOAD]);
    }
    Io.writeFully(channel, head.flip(), 0);
    ByteBuffer size = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
    size.putInt(rf64 ? -1 : (int) dataSize).flip();
    Io.writeFully(channel, size, dataSizeOffset);
    declaredDataSize = dataSize;
  }

  private ByteBuffer toLittleEndian(ByteBuffer data) {
    int width = pcm.bytesPerSample();
    ByteBuffer out = ByteBuffer.allocate(data.remaining());
    byte[] word = new byte[width];
    while (data.hasRemaining()) {
      data.get(word);
      for (int i = width - 1; i >= 0; i--) {
        out.put(word[i]);
      }
    }
    return out.flip();
  }
}
