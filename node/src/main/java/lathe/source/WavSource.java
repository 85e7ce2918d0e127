package lathe.source;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import lathe.protocol.AudioFormat;
import lathe.protocol.Codec;
import lathe.protocol.MediaType;
import lathe.protocol.Sample;

/**
 * The PCM of a WAV, BWF or RF64 file (integer 8/16/24/32 bits, float 32/64, plain or WAVE_FORMAT_EXTENSIBLE),
 * yielded unchanged in samples of about 20 ms, the `file:PATH.wav` source.
 */
public final class WavSource implements MediaSource {

  private static final int FORMAT_PCM = 0x0001;
  private static final int FORMAT_IEEE_FLOAT = 0x0003;
  private static final int FORMAT_EXTENSIBLE = 0xFFFE;
  /** Bytes 4..15 shared by the KSDATAFORMAT_SUBTYPE GUIDs (00000000-0000-0010-8000-00aa00389b71). */
  private static final byte[] GUID_TAIL =
      {0x00, 0x00, 0x10, 0x00, (byte) 0x80, 0x00, 0x00, (byte) 0xAA, 0x00, 0x38, (byte) 0x9B, 0x71};

  private final Path path;
  private final FileChannel channel;
  private final MediaType type;
  private final int blockAlign;
  private final int framesPerSample;
  private final long dataStart;
  private final long dataEnd;
  private long position;
  private long seq;

  public WavSource(Path path) {
    this(path, 0);
  }

  /** {@code framesPerSample} 0 = 20 ms worth. */
  public WavSource(Path path, int framesPerSample) {
    this(path, framesPerSample, null);
  }

  /** Samples of {@code packet} each (null: 20 ms). */
  public static WavSource withPacket(Path path, java.time.Duration packet) {
    return new WavSource(path, 0, packet);
  }

  private WavSource(Path path, int framesPerSample, java.time.Duration packet) {
    this.path = path;
    try {
      channel = FileChannel.open(path, StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      throw new SourceException(path + ": no such file");
    } catch (IOException e) {
      throw new SourceException(path + ": cannot open (" + e.getMessage() + ")", e);
    }
    try {
      Header h = readHeader();
      type = MediaType.newBuilder().setCodec(Codec.PCM).setTimescale(h.rate)
          .setAudio(AudioFormat.newBuilder().setSampleRate(h.rate).setChannels(h.channels)
              .setBitsPerSample(h.bits).setFloatingPoint(h.floating))
          .build();
      blockAlign = h.channels * h.bits / 8;
      this.framesPerSample = framesPerSample > 0 ? framesPerSample
          : Sources.framesPerPacket(h.rate, blockAlign, packet);
      if ((long) this.framesPerSample * blockAlign > 16 << 20) {
        throw new SourceException(path + ": " + this.framesPerSample + " frames make a sample over 16 MiB");
      }
      dataStart = h.dataStart;
      long available = Math.min(h.dataSize, channel.size() - h.dataStart);
      dataEnd = dataStart + available - available % blockAlign;
      position = dataStart;
    } catch (IOException e) {
      closeQuietly();
      throw new SourceException(path + ": cannot read (" + e.getMessage() + ")", e);
    } catch (RuntimeException e) {
      closeQuietly();
      throw e;
    }
  }

  private record Header(int rate, int channels, int bits, boolean floating, long dataStart, long dataSize) {}

  private Header readHeader() throws IOException {
    long fileSize = channel.size();
    ByteBuffer riff = readAt(0, 12);
    String magic = fourcc(riff, 0);
    if (riff.limit() < 12 || !(magic.equals("RIFF") || magic.equals("RF64") || magic.equals("BW64"))
        || !fourcc(riff, 8).equals("WAVE")) {
      throw new SourceException(path + " is not a WAV file (no RIFF/RF64 WAVE header)");
    }
    boolean rf64 = !magic.equals("RIFF");
    long ds64DataSize = -1;
    int[] fmt = null;
    long at = 12;
    while (at + 8 <= fileSize) {
      ByteBuffer chunk = readAt(at, 8);
      String id = fourcc(chunk, 0);
      long size = Integer.toUnsignedLong(chunk.getInt(4));
      if (id.equals("ds64") && rf64) {
        // EBU Tech 3306 §3: the 64-bit RIFF and data sizes.
        ds64DataSize = readAt(at + 8, 16).getLong(8);
      } else if (id.equals("fmt ")) {
        fmt = parseFmt(readAt(at + 8, (int) Math.min(size, 64)), size);
      } else if (id.equals("data")) {
        if (fmt == null) {
          throw new SourceException(path + ": the WAV file has no fmt chunk before its data");
        }
        long dataSize = rf64 && size == 0xFFFFFFFFL && ds64DataSize >= 0 ? ds64DataSize : size;
        if (!rf64 && (size == 0 || size == 0xFFFFFFFFL)) {
          dataSize = Long.MAX_VALUE; // a writer that never came back to set the size: read to the end
        }
        return new Header(fmt[0], fmt[1], fmt[2], fmt[3] != 0, at + 8, dataSize);
      }
      at += 8 + size + (size & 1);
    }
    throw new SourceException(path + ": the WAV file has no " + (fmt == null ? "fmt chunk" : "data chunk"));
  }

  /** WAVEFORMATEX / WAVEFORMATEXTENSIBLE: {rate, channels, bits, float?1:0}, refusing anything but PCM. */
  private int[] parseFmt(ByteBuffer b, long size) {
    if (size < 16 || b.limit() < 16) {
      throw new SourceException(path + ": the WAV fmt chunk is too short (" + size + " bytes)");
    }
    int tag = Short.toUnsignedInt(b.getShort(0));
    int channels = Short.toUnsignedInt(b.getShort(2));
    int rate = b.getInt(4);
    int blockAlign = Short.toUnsignedInt(b.getShort(12));
    int bits = Short.toUnsignedInt(b.getShort(14));
    if (tag == FORMAT_EXTENSIBLE) {
      if (b.limit() < 40) {
        throw new SourceException(path + ": the WAVE_FORMAT_EXTENSIBLE fmt chunk is too short");
      }
      byte[] tail = new byte[12];
      b.get(28, tail);
      int sub = b.getInt(24);
      tag = java.util.Arrays.equals(tail, GUID_TAIL) ? sub : -1;
    }
    if (tag != FORMAT_PCM && tag != FORMAT_IEEE_FLOAT) {
      throw new SourceException(path + ": the WAV holds " + (tag < 0 ? "an unknown sub-format"
          : String.format("format 0x%04X", tag)) + ", not PCM; only integer or float PCM is supported");
    }
    boolean floating = tag == FORMAT_IEEE_FLOAT;
    if (floating ? bits != 32 && bits != 64 : bits != 8 && bits != 16 && bits != 24 && bits != 32) {
      throw new SourceException(path + ": " + bits + "-bit " + (floating ? "float" : "integer")
          + " PCM is not supported (integer 8/16/24/32, float 32/64)");
    }
    if (rate <= 0 || channels == 0) {
      throw new SourceException(path + ": the WAV says " + Integer.toUnsignedString(rate) + " Hz, " + channels
          + " channels");
    }
    if (blockAlign != channels * bits / 8) {
      throw new SourceException(path + ": frames of " + blockAlign + " bytes for " + channels + " channels of "
          + bits + " bits are not supported");
    }
    return new int[] {rate, channels, bits, floating ? 1 : 0};
  }

  @Override
  public List<MediaType> streams() {
    return List.of(type);
  }

  @Override
  public Sample next() throws IOException {
    long left = dataEnd - position;
    if (left <= 0) {
      return null;
    }
    int length = (int) Math.min(left, (long) framesPerSample * blockAlign);
    ByteBuffer bytes = readAt(position, length);
    if (bytes.limit() < length) {
      throw new SourceException(path + ": the file shrank while reading it");
    }
    long frame = (position - dataStart) / blockAlign;
    position += length;
    return Sample.newBuilder().setStream(0).setSeq(seq++).setPts(frame).setDts(frame)
        .setDuration(length / blockAlign).setKey(true).setData(ByteString.copyFrom(bytes)).build();
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }

  private void closeQuietly() {
    try {
      channel.close();
    } catch (IOException ignored) {
      // the constructor's error is the one worth reporting
    }
  }

  /** Up to {@code length} bytes at {@code position}; fewer at the end of the file. */
  private ByteBuffer readAt(long position, int length) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
    while (b.hasRemaining()) {
      if (channel.read(b, position + b.position()) < 0) {
        break;
      }
    }
    return b.flip();
  }

  private static String fourcc(ByteBuffer b, int at) {
    if (b.limit() < at + 4) {
      return "";
    }
    char[] c = new char[4];
    for (int i = 0; i < 4; i++) {
      c[i] = (char) (b.get(at + i) & 0xFF);
    }
    return new String(c);
  }
}
