package lathe.disc;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Where the PCM of a WAV file is and whether a CD can take it as is. Only 44.1 kHz, 16-bit, 2-channel integer
 * PCM is accepted: a disc writer that resampled silently would not be bit-exact.
 */
public record WavInfo(Path path, int sampleRate, int channels, int bitsPerSample, long dataOffset, long dataBytes) {

  private static final int WAVE_FORMAT_PCM = 1;
  private static final int WAVE_FORMAT_EXTENSIBLE = 0xFFFE;

  public long contentSectors() {
    return RedBook.sectorsFor(dataBytes);
  }

  /** Reads the header and refuses anything that is not CD audio with STREAM_NOT_SUPPORTED. */
  public static WavInfo read(Path path) {
    if (!Files.isRegularFile(path)) {
      throw new DiscException(DriveError.INVALID_ARGUMENT, "no such audio file: " + path);
    }
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      return parse(path, ch);
    } catch (NoSuchFileException e) {
      throw new DiscException(DriveError.INVALID_ARGUMENT, "no such audio file: " + path);
    } catch (EOFException e) {
      throw notSupported(path, "truncated WAV header");
    } catch (IOException e) {
      throw new DiscException(DriveError.IO_ERROR, "cannot read " + path + ": " + e.getMessage(), e);
    }
  }

  // RIFF/WAVE (Microsoft Multimedia Programming Interface and Data Specifications 1.0, "WAVE Form"): chunks of
  // 4-byte id + little-endian 32-bit size, word-aligned.
  private static WavInfo parse(Path path, FileChannel ch) throws IOException {
    ByteBuffer head = readAt(ch, 0, 12);
    if (head.getInt(0) != 0x46464952 || head.getInt(8) != 0x45564157) { // "RIFF" ... "WAVE"
      throw notSupported(path, "not a RIFF/WAVE file");
    }
    long pos = 12;
    int format = -1;
    int channels = 0;
    int rate = 0;
    int bits = 0;
    long size = ch.size();
    while (pos + 8 <= size) {
      ByteBuffer chunk = readAt(ch, pos, 8);
      int id = chunk.getInt(0);
      long len = Integer.toUnsignedLong(chunk.getInt(4));
      long body = pos + 8;
      if (id == 0x20746d66) { // "fmt "
        ByteBuffer fmt = readAt(ch, body, (int) Math.min(len, 40));
        format = Short.toUnsignedInt(fmt.getShort(0));
        channels = Short.toUnsignedInt(fmt.getShort(2));
        rate = fmt.getInt(4);
        bits = Short.toUnsignedInt(fmt.getShort(14));
        if (format == WAVE_FORMAT_EXTENSIBLE && len >= 26) {
          format = Short.toUnsignedInt(fmt.getShort(24)); // first two bytes of the SubFormat GUID
        }
      } else if (id == 0x61746164) { // "data"
        if (format < 0) {
          throw notSupported(path, "data chunk before fmt chunk");
        }
        if (format != WAVE_FORMAT_PCM || rate != RedBook.SAMPLE_RATE || channels != RedBook.CHANNELS
            || bits != RedBook.BITS_PER_SAMPLE) {
          throw notSupported(path, (format == WAVE_FORMAT_PCM ? "PCM" : "format " + format) + " " + rate
              + " Hz " + bits + "-bit " + channels + " channel(s); a CD takes 44100 Hz 16-bit stereo PCM only"
              + " (convert with: sox IN -r 44100 -b 16 -c 2 OUT.wav)");
        }
        long available = size - body;
        return new WavInfo(path, rate, channels, bits, body, Math.min(len, available) & ~3L);
      }
      pos = body + len + (len & 1);
    }
    throw notSupported(path, "no data chunk");
  }

  private static ByteBuffer readAt(FileChannel ch, long pos, int n) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    while (b.hasRemaining()) {
      if (ch.read(b, pos + b.position()) < 0) {
        throw new EOFException();
      }
    }
    return b.flip();
  }

  private static DiscException notSupported(Path path, String why) {
    return new DiscException(DriveError.STREAM_NOT_SUPPORTED, path.getFileName() + ": " + why);
  }
}
