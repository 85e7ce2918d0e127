package lathe.drive;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

/** Test WAVs: canonical 44-byte-header PCM with deterministic, non-silent content. */
final class Wavs {
  private Wavs() {}

  static Path write(Path file, int rate, int channels, double seconds, long seed) throws IOException {
    int frames = (int) Math.round(rate * seconds);
    byte[] pcm = new byte[frames * channels * 2];
    new Random(seed).nextBytes(pcm);
    Files.write(file, concat(header(rate, channels, pcm.length), pcm));
    return file;
  }

  /** A valid WAV of {@code seconds} of silence, stored sparse so that an hour costs no disk. */
  static Path sparse(Path file, double seconds) throws IOException {
    long bytes = Math.round(44_100 * seconds) * 4;
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.write(header(44_100, 2, bytes));
      f.setLength(44 + bytes);
    }
    return file;
  }

  static byte[] pcm(Path wav) throws IOException {
    byte[] all = Files.readAllBytes(wav);
    return Arrays.copyOfRange(all, 44, all.length);
  }

  static byte[] header(int rate, int channels, long dataBytes) {
    // RIFF/WAVE canonical header: "RIFF" size "WAVE", "fmt " 16 PCM, "data" size.
    ByteBuffer h = ByteBuffer.allocate(44).order(ByteOrder.LITTLE_ENDIAN);
    h.put("RIFF".getBytes()).putInt((int) (36 + dataBytes)).put("WAVE".getBytes());
    h.put("fmt ".getBytes()).putInt(16).putShort((short) 1).putShort((short) channels).putInt(rate)
        .putInt(rate * channels * 2).putShort((short) (channels * 2)).putShort((short) 16);
    h.put("data".getBytes()).putInt((int) dataBytes);
    return h.array();
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] c = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }
}
