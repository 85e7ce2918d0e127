package lathe.source;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import lathe.protocol.Codec;
import lathe.protocol.MediaType;
import lathe.protocol.Sample;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PcmSourceTest {

  @TempDir Path dir;

  @Test
  void passesEveryByteThroughIn20MsSamples() throws Exception {
    Path raw = dir.resolve("tone.s24le");
    // 1.01 s: 50 full samples of 960 frames plus one short one of 480.
    Ffprobe.ffmpeg("-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000", "-ac", "2", "-t", "1.01",
        "-f", "s24le", raw.toString());
    byte[] bytes = Files.readAllBytes(raw);
    assertEquals(48480 * 6, bytes.length);

    try (PcmSource source = new PcmSource(raw, 48000, 2, 24)) {
      MediaType type = source.streams().get(0);
      assertEquals(Codec.PCM, type.getCodec());
      assertEquals(48000, type.getAudio().getSampleRate());
      assertEquals(2, type.getAudio().getChannels());
      assertEquals(24, type.getAudio().getBitsPerSample());
      assertEquals(48000, type.getTimescale());
      List<Sample> samples = Ffprobe.drain(source);
      assertEquals(51, samples.size());
      assertArrayEquals(bytes, concat(samples));
      long next = 0;
      for (int i = 0; i < samples.size(); i++) {
        Sample s = samples.get(i);
        assertEquals(i, s.getSeq());
        assertEquals(next, s.getPts());
        assertEquals(next, s.getDts());
        assertEquals(s.getData().size() / 6, s.getDuration());
        assertTrue(s.getKey());
        next += s.getDuration();
      }
      assertEquals(960, samples.get(0).getDuration());
      assertEquals(480, samples.get(50).getDuration());
    }
  }

  @Test
  void dropsACutOffLastFrame() throws Exception {
    // 16-bit stereo at 22050 Hz: three samples of 441 frames, then 3 bytes of a cut-off frame.
    byte[] bytes = new byte[441 * 4 * 3 + 3];
    for (int i = 0; i < bytes.length; i++) {
      bytes[i] = (byte) (i * 7);
    }
    List<Sample> samples = Ffprobe.drain(new PcmSource(new ByteArrayInputStream(bytes), 22050, 2, 16));
    assertEquals(3, samples.size());
    assertEquals(441, samples.get(2).getDuration());
    assertArrayEquals(Arrays.copyOf(bytes, bytes.length - 3), concat(samples));
  }

  @Test
  void refusesFormatsItCannotDescribe() {
    SourceException bits = assertThrows(SourceException.class,
        () -> new PcmSource(new ByteArrayInputStream(new byte[0]), 48000, 2, 8));
    assertTrue(bits.getMessage().contains("8 bits"), bits.getMessage());
    assertThrows(SourceException.class, () -> new PcmSource(new ByteArrayInputStream(new byte[0]), 0, 2, 16));
    assertThrows(SourceException.class, () -> new PcmSource(new ByteArrayInputStream(new byte[0]), 48000, 0, 16));
  }

  private static byte[] concat(List<Sample> samples) {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    samples.forEach(s -> all.writeBytes(s.getData().toByteArray()));
    return all.toByteArray();
  }
}
