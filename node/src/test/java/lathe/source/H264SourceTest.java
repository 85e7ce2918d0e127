package lathe.source;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import lathe.protocol.Codec;
import lathe.protocol.MediaType;
import lathe.protocol.Sample;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bytes of every sample must equal the packet ffmpeg puts in an MP4 when it remuxes the same Annex B stream
 * (`ffmpeg -i in.h264 -c copy ref.mp4`). Timestamps are checked against the MP4 the encoder itself wrote: the
 * remux has none to go by (it writes pts = dts), while the encoder knows each frame's presentation time.
 */
class H264SourceTest {

  @TempDir Path dir;

  @Test
  void bFramesWithPictureOrderCountType0() throws Exception {
    Path direct = encode("b.mp4", "320x240", "-bf", "2", "-g", "12");
    Path annexB = toAnnexB(direct, "b.h264");
    Path ref = remux(annexB, "b-ref.mp4");
    try (H264Source source = new H264Source(annexB, 25, 1)) {
      List<Sample> samples = Ffprobe.drain(source);
      assertMatchesFfmpeg(source.streams().get(0), samples, direct, ref);
      assertTrue(samples.stream().anyMatch(s -> s.getPts() != s.getDts()), "B-frames reorder");
    }
    Process ffmpeg = annexBPipe(direct);
    try (H264Source source = new H264Source(ffmpeg.getInputStream(), 25, 1)) {
      assertMatchesFfmpeg(source.streams().get(0), Ffprobe.drain(source), direct, ref);
    }
    assertEquals(0, ffmpeg.waitFor());
  }

  /** No B-frames (x264 then uses POC type 2), AUDs, three slices per picture, cropping; read from a pipe. */
  @Test
  void slicedStreamWithoutBFramesFromAPipe() throws Exception {
    Path direct = encode("p.mp4", "320x180", "-bf", "0", "-g", "10", "-x264-params", "aud=1:slices=3");
    Path ref = remux(toAnnexB(direct, "p.h264"), "p-ref.mp4");
    Process ffmpeg = annexBPipe(direct);
    try (H264Source source = new H264Source(ffmpeg.getInputStream(), 25, 1)) {
      MediaType type = source.streams().get(0);
      assertEquals(180, type.getVideo().getHeight());
      List<Sample> samples = Ffprobe.drain(source);
      assertMatchesFfmpeg(type, samples, direct, ref);
      assertTrue(samples.stream().allMatch(s -> s.getPts() == s.getDts()));
    }
    assertEquals(0, ffmpeg.waitFor());
  }

  /** MBAFF interlaced coding: frame pictures with frame_mbs_only_flag 0, so heights count in field pairs. */
  @Test
  void interlacedMbaffWithBFrames() throws Exception {
    Path direct = encode("i.mp4", "352x288", "-bf", "2", "-g", "12", "-flags", "+ildct+ilme");
    Path annexB = toAnnexB(direct, "i.h264");
    Path ref = remux(annexB, "i-ref.mp4");
    try (H264Source source = new H264Source(annexB, 25, 1)) {
      assertMatchesFfmpeg(source.streams().get(0), Ffprobe.drain(source), direct, ref);
    }
  }

  @Test
  void frameRateSetsTheTimescale() throws Exception {
    Path annexB = toAnnexB(encode("r.mp4", "160x120", "-bf", "0", "-t", "0.4"), "r.h264");
    try (H264Source ntsc = new H264Source(annexB, 30000, 1001)) {
      assertEquals(90000, ntsc.streams().get(0).getTimescale());
      assertEquals(3003, ntsc.next().getDuration());
    }
    try (H264Source film = new H264Source(annexB, 24000, 1001)) {
      assertEquals(24000, film.streams().get(0).getTimescale());
      assertEquals(1001, film.next().getDuration());
    }
  }

  @Test
  void refusesWhatIsNotH264() throws Exception {
    byte[] noise = new byte[3 << 20];
    new Random(7).nextBytes(noise);
    for (int i = 2; i < noise.length; i++) {
      if (noise[i] == 1 && noise[i - 1] == 0 && noise[i - 2] == 0) {
        noise[i] = 2;
      }
    }
    SourceException junk = assertThrows(SourceException.class,
        () -> new H264Source(new ByteArrayInputStream(noise), 25, 1));
    assertTrue(junk.getMessage().contains("no start code"), junk.getMessage());

    Path hevc = dir.resolve("x.hevc");
    Ffprobe.ffmpeg("-f", "lavfi", "-i", "testsrc=size=160x120:rate=25", "-t", "0.2", "-c:v", "libx265",
        "-x265-params", "log-level=none", "-f", "hevc", hevc.toString());
    try (InputStream in = Files.newInputStream(hevc)) {
      SourceException wrong = assertThrows(SourceException.class, () -> new H264Source(in, 25, 1));
      assertTrue(wrong.getMessage().contains("H.264"), wrong.getMessage());
    }

    assertThrows(SourceException.class, () -> new H264Source(new ByteArrayInputStream(new byte[0]), 0, 1));
  }

  private void assertMatchesFfmpeg(MediaType type, List<Sample> samples, Path direct, Path ref) throws Exception {
    Map<String, String> stream = Ffprobe.stream(ref, 0, "width,height");
    assertEquals(Codec.H264, type.getCodec());
    assertEquals(Integer.parseInt(stream.get("width")), type.getVideo().getWidth());
    assertEquals(Integer.parseInt(stream.get("height")), type.getVideo().getHeight());
    assertArrayEquals(Ffprobe.extradata(ref, 0), type.getCodecConfig().toByteArray(), "avcC");

    List<Ffprobe.Packet> remuxed = Ffprobe.packets(ref);
    List<Ffprobe.Packet> encoded = Ffprobe.packets(direct);
    long encodedTimescale = Long.parseLong(Ffprobe.stream(direct, 0, "time_base").get("time_base").substring(2));
    long ours = type.getTimescale();
    assertEquals(remuxed.size(), samples.size(), "sample count");
    assertEquals(encoded.size(), samples.size(), "sample count");
    long dts0 = encoded.get(0).dts();
    for (int i = 0; i < samples.size(); i++) {
      Sample s = samples.get(i);
      Ffprobe.Packet p = remuxed.get(i);
      Ffprobe.Packet e = encoded.get(i);
      String at = "sample " + i;
      assertEquals(i, s.getSeq(), at);
      assertEquals(p.size(), s.getData().size(), at);
      assertEquals(p.md5(), Ffprobe.md5(s.getData().toByteArray()), at);
      assertEquals(p.key(), s.getKey(), at);
      // Same instants, counted from the encoder's first dts, in each file's timescale.
      assertEquals((e.dts() - dts0) * ours, s.getDts() * encodedTimescale, at + " dts");
      assertEquals((e.pts() - dts0) * ours, s.getPts() * encodedTimescale, at + " pts");
      assertEquals(e.duration() * ours, s.getDuration() * encodedTimescale, at + " duration");
    }
    assertNotEquals(samples.get(0).getData(), samples.get(1).getData());
  }

  private Path encode(String name, String size, String... x264) throws Exception {
    Path out = dir.resolve(name);
    List<String> args = new java.util.ArrayList<>(List.of("-f", "lavfi", "-i",
        "testsrc=size=" + size + ":rate=25", "-t", "2", "-pix_fmt", "yuv420p", "-c:v", "libx264"));
    args.addAll(List.of(x264));
    args.add(out.toString());
    Ffprobe.ffmpeg(args.toArray(String[]::new));
    return out;
  }

  private Path toAnnexB(Path mp4, String name) throws Exception {
    Path out = dir.resolve(name);
    Ffprobe.ffmpeg("-i", mp4.toString(), "-c", "copy", "-bsf:v", "h264_mp4toannexb", "-f", "h264", out.toString());
    return out;
  }

  /** `ffmpeg -i direct.mp4 -c copy -bsf:v h264_mp4toannexb -f h264 -`, read as it comes. */
  private static Process annexBPipe(Path direct) throws Exception {
    return new ProcessBuilder("ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-i",
        direct.toString(), "-c", "copy", "-bsf:v", "h264_mp4toannexb", "-f", "h264", "-")
        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
  }

  private Path remux(Path annexB, String name) throws Exception {
    Path out = dir.resolve(name);
    Ffprobe.ffmpeg("-i", annexB.toString(), "-c", "copy", out.toString());
    return out;
  }
}
