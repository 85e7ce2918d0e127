package lathe.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import lathe.protocol.Codec;
import lathe.protocol.MediaType;
import lathe.protocol.Sample;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TestcardSourceTest {

  @TempDir Path dir;

  /** ffmpeg decodes our JPEGs (concatenated as an MJPEG stream) at the right size, each frame different. */
  @Test
  void ffmpegDecodesMovingFrames() throws Exception {
    List<Sample> samples;
    MediaType type;
    try (TestcardSource source = new TestcardSource(320, 180, 25, 1, 12)) {
      type = source.streams().get(0);
      samples = Ffprobe.drain(source);
    }
    assertEquals(Codec.MJPEG, type.getCodec());
    assertEquals(320, type.getVideo().getWidth());
    assertEquals(180, type.getVideo().getHeight());
    assertEquals(90000, type.getTimescale());
    assertEquals(12, samples.size());
    for (int i = 0; i < samples.size(); i++) {
      Sample s = samples.get(i);
      assertEquals(i, s.getSeq());
      assertEquals(i * 3600L, s.getPts());
      assertEquals(i * 3600L, s.getDts());
      assertEquals(3600, s.getDuration());
      assertTrue(s.getKey());
    }

    Path mjpeg = dir.resolve("card.mjpeg");
    try (OutputStream out = Files.newOutputStream(mjpeg)) {
      for (Sample s : samples) {
        s.getData().writeTo(out);
      }
    }
    Map<String, String> stream = Ffprobe.stream(mjpeg, 0, "codec_name,width,height,nb_read_frames",
        "-f", "mjpeg", "-count_frames");
    assertEquals("mjpeg", stream.get("codec_name"));
    assertEquals("320", stream.get("width"));
    assertEquals("180", stream.get("height"));
    assertEquals("12", stream.get("nb_read_frames"));

    // framemd5 of the decoded pictures: every frame differs (the box moves, the counter counts).
    String framemd5 = Ffprobe.run("ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-f", "mjpeg",
        "-i", mjpeg.toString(), "-f", "framemd5", "-");
    Set<String> hashes = new HashSet<>();
    int frames = 0;
    for (String line : framemd5.split("\n")) {
      if (!line.startsWith("#") && !line.isBlank()) {
        String[] fields = line.split(",");
        hashes.add(fields[fields.length - 1].strip());
        frames++;
      }
    }
    assertEquals(12, frames);
    assertEquals(12, hashes.size());
  }

  /** The colour bars come out as colour bars: sample the middle of each bar in ffmpeg's decoded RGB. */
  @Test
  void barsHaveTheirColours() throws Exception {
    Path jpeg = dir.resolve("frame.jpg");
    try (TestcardSource source = new TestcardSource(640, 360, 30, 1, 1)) {
      Files.write(jpeg, source.next().getData().toByteArray());
      assertNull(source.next());
    }
    Path raw = dir.resolve("frame.rgb");
    Ffprobe.ffmpeg("-i", jpeg.toString(), "-f", "rawvideo", "-pix_fmt", "rgb24", raw.toString());
    byte[] rgb = Files.readAllBytes(raw);
    assertEquals(640 * 360 * 3, rgb.length);
    int[][] expected = {{191, 191, 191}, {191, 191, 0}, {0, 191, 191}, {0, 191, 0}, {191, 0, 191},
        {191, 0, 0}, {0, 0, 191}};
    int y = 20; // above the moving box
    for (int bar = 0; bar < 7; bar++) {
      int x = (2 * bar + 1) * 640 / 14;
      int at = (y * 640 + x) * 3;
      for (int c = 0; c < 3; c++) {
        int got = rgb[at + c] & 0xff;
        assertTrue(Math.abs(got - expected[bar][c]) <= 12, "bar " + bar + " channel " + c + ": " + got);
      }
    }
  }

  @Test
  void endlessUnlessLimitedAndRefusesNonsense() throws Exception {
    try (TestcardSource endless = new TestcardSource(64, 48, 30000, 1001, -1)) {
      Sample last = null;
      for (int i = 0; i < 40; i++) {
        last = endless.next();
      }
      assertEquals(39, last.getSeq());
      assertEquals(39 * 3003L, last.getPts());
    }
    SourceException size = assertThrows(SourceException.class, () -> new TestcardSource(8, 8, 25, 1, 1));
    assertTrue(size.getMessage().startsWith("testcard: size 8x8"), size.getMessage());
    assertThrows(SourceException.class, () -> new TestcardSource(64, 48, 0, 1, 1));
  }
}
