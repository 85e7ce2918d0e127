package lathe.cli;

import static lathe.cli.LatheProcess.lathe;
import static lathe.cli.LatheProcess.packets;
import static lathe.cli.LatheProcess.tool;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `lathe record` to MP4 through the real jar: every packet of the input, as ffprobe prints it (pts, dts, duration,
 * flags, md5 of the data), comes out identical.
 */
class RecordMp4IT {
  @TempDir Path dir;

  void ffmpeg(String... args) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of("ffmpeg", "-v", "error", "-y"));
    cmd.addAll(List.of(args));
    LatheProcess.Result r = tool(dir, cmd.toArray(String[]::new));
    assertEquals(0, r.exit(), "ffmpeg " + String.join(" ", args) + ": " + r.err());
  }

  void recordsIdentically(String input) throws Exception {
    String out = "out-" + input.replace('.', '-') + ".mp4";
    LatheProcess.Result r = lathe(dir, "record", "-o", out, "--source", "file:" + input, "--data-dir", "d");
    assertEquals(0, r.exit(), input + ": " + r.err());
    Map<Integer, List<String>> in = packets(dir, dir.resolve(input));
    Map<Integer, List<String>> got = packets(dir, dir.resolve(out));
    assertEquals(in.keySet(), got.keySet(), input + ": same streams");
    for (int s : in.keySet()) {
      assertFalse(in.get(s).isEmpty());
      assertEquals(in.get(s), got.get(s), input + " stream " + s + ": identical packets");
    }
  }

  @Test
  void h264WithBFramesAndAacPassThroughUnchanged() throws Exception {
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-f", "lavfi", "-i",
        "sine=frequency=1000:sample_rate=48000", "-t", "4", "-c:v", "libx264", "-bf", "2", "-g", "25",
        "-pix_fmt", "yuv420p", "-c:a", "aac", "in.mp4");
    recordsIdentically("in.mp4");
  }

  @Test
  void twoAudioTracksMjpegAndPcmInMovPassThroughUnchanged() throws Exception {
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-f", "lavfi", "-i",
        "sine=frequency=880:sample_rate=48000", "-t", "3", "-map", "0", "-map", "1", "-c:a", "aac", "two.m4a");
    recordsIdentically("two.m4a");
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=160x120:rate=10", "-t", "2", "-c:v", "mjpeg", "mjpeg.mov");
    recordsIdentically("mjpeg.mov");
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=300:sample_rate=48000", "-t", "2", "-ac", "2", "-c:a", "pcm_s16le",
        "pcm.mov");
    recordsIdentically("pcm.mov");
  }

  /** pts, dts and duration of a packet in frames counted from the first packet's dts. */
  static String frames(String[] packet, String first) {
    String[] f = first.split(" ");
    long dts0 = Long.parseLong(f[1]);
    long frame = Long.parseLong(f[2]);
    return (Long.parseLong(packet[0]) - dts0) / (double) frame + " " + (Long.parseLong(packet[1]) - dts0)
        / (double) frame + " " + Long.parseLong(packet[2]) / (double) frame;
  }

  @Test
  void adtsAndH264FromAnFfmpegPipe() throws Exception {
    // ADTS carries no encoder delay or end trim, so the reference is ffmpeg's own remux of the same ADTS.
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000", "-t", "3", "-c:a", "aac", "-f", "adts",
        "in.aac");
    ffmpeg("-i", "in.aac", "-c:a", "copy", "ref.m4a");
    LatheProcess.Result r = LatheProcess.run(dir, 180, List.of("bash", "-c",
        "ffmpeg -v error -i in.aac -c:a copy -f adts - | " + String.join(" ", LatheProcess.command(
            "record", "-o", "adts.mp4", "--source", "adts:-", "--data-dir", "d"))));
    assertEquals(0, r.exit(), r.err());
    assertEquals(packets(dir, dir.resolve("ref.m4a")), packets(dir, dir.resolve("adts.mp4")),
        "AAC from ADTS on stdin equals ffmpeg's remux of it, packet for packet");

    ffmpeg("-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-t", "4", "-c:v", "libx264", "-bf", "2",
        "-g", "25", "-pix_fmt", "yuv420p", "enc.mp4");
    ffmpeg("-i", "enc.mp4", "-c:v", "copy", "-bsf:v", "h264_mp4toannexb", "-f", "h264", "raw.h264");
    ffmpeg("-r", "25", "-i", "raw.h264", "-c", "copy", "ref.mp4"); // ffmpeg's own remux: the sample bytes
    LatheProcess.Result h = LatheProcess.run(dir, 180, List.of("bash", "-c",
        "ffmpeg -v error -i enc.mp4 -c:v copy -bsf:v h264_mp4toannexb -f h264 - | " + String.join(" ", LatheProcess.command(
            "record", "-o", "h264.mp4", "--source", "h264:-:25", "--data-dir", "d"))));
    assertEquals(0, h.exit(), h.err());
    List<String> ours = packets(dir, dir.resolve("h264.mp4")).get(0);
    List<String> ref = packets(dir, dir.resolve("ref.mp4")).get(0);
    List<String> enc = packets(dir, dir.resolve("enc.mp4")).get(0);
    assertEquals(ref.size(), ours.size());
    assertEquals(enc.size(), ours.size());
    for (int i = 0; i < ours.size(); i++) {
      String[] o = ours.get(i).split(" ");
      String[] f = ref.get(i).split(" ");
      String[] e = enc.get(i).split(" ");
      // The key flag and the bytes as ffmpeg's remux has them (its D flag only marks its own edit list's trim).
      assertEquals(f[3].charAt(0) + " " + f[4], o[3].charAt(0) + " " + o[4], "packet " + i + ": key flag, bytes");
      // A raw stream has no clock: times come from the frame rate and the picture order. In frames from the first
      // decoding time they must be the encoder's (which used another timescale).
      assertEquals(frames(e, enc.get(0)), frames(o, ours.get(0)), "packet " + i + ": pts, dts, duration in frames");
    }
    assertTrue(ours.get(0).contains("K"), "the first access unit is a key frame");
  }
}
