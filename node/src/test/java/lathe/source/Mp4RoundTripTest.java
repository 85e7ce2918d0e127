package lathe.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import lathe.protocol.Metadata;
import lathe.protocol.Sample;
import lathe.sink.container.ContainerWriter;
import lathe.sink.container.SampleRecord;
import lathe.sink.container.SampleTable;
import lathe.sink.mp4.Mp4Format;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packet-identity check: a file made by ffmpeg goes through Mp4Source and Mp4Writer, and ffprobe's
 * packets (pts, dts, duration, flags, md5 of the data) per stream are the same in input and output.
 */
class Mp4RoundTripTest {

  @TempDir Path dir;

  private static final ObjectMapper JSON = new ObjectMapper();

  private Path ffmpeg(String name, String... args) throws Exception {
    Path out = dir.resolve(name);
    List<String> cmd = new ArrayList<>(List.of("ffmpeg", "-v", "error", "-y"));
    cmd.addAll(List.of(args));
    cmd.add(out.toString());
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), "ffmpeg failed: " + log);
    return out;
  }

  private static boolean hasEncoder(String name) throws Exception {
    Process p = new ProcessBuilder("ffmpeg", "-hide_banner", "-encoders").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor();
    return out.lines().anyMatch(l -> l.trim().split("\\s+").length > 1 && l.trim().split("\\s+")[1].equals(name));
  }

  /** ffprobe's packets per stream: "pts dts duration flags md5". */
  static Map<Integer, List<String>> packets(Path file) throws Exception {
    Process p = new ProcessBuilder("ffprobe", "-v", "error", "-show_packets", "-show_data_hash", "md5", "-of",
        "json", file.toString()).start();
    byte[] out = p.getInputStream().readAllBytes();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), "ffprobe failed on " + file + ": " + err);
    assertEquals("", err.strip(), "ffprobe complained about " + file.getFileName());
    Map<Integer, List<String>> byStream = new TreeMap<>();
    for (JsonNode n : JSON.readTree(out).path("packets")) {
      byStream.computeIfAbsent(n.get("stream_index").asInt(), k -> new ArrayList<>())
          .add(n.path("pts").asText() + " " + n.path("dts").asText() + " " + n.path("duration").asText() + " "
              + n.path("flags").asText() + " " + n.path("data_hash").asText());
    }
    return byStream;
  }

  private record Result(Path output, int samples, Path partSnapshot) {}

  /** Source → writer, checkpointing every 16 samples and copying the .part after the checkpoint at sample 160. */
  private Result remux(Path input) throws Exception {
    Path output = dir.resolve(input.getFileName() + ".out.mp4");
    Path snapshot = dir.resolve(input.getFileName() + ".part-snapshot.mp4");
    List<SampleRecord> written = new ArrayList<>();
    try (Mp4Source source = Mp4Source.open(input);
        FileChannel ch = FileChannel.open(output, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
            StandardOpenOption.WRITE);
        ContainerWriter w = new Mp4Format().create(ch, source.streams(), Metadata.getDefaultInstance())) {
      for (Sample s = source.next(); s != null; s = source.next()) {
        SampleRecord r = new SampleRecord((int) s.getStream(), s.getSeq(), s.getPts(), s.getDts(), s.getDuration(),
            s.getKey(), false, s.getData().size(), 0);
        long offset = w.append(r, s.getData().asReadOnlyByteBuffer());
        written.add(new SampleRecord(r.stream(), r.seq(), r.pts(), r.dts(), r.duration(), r.key(), false, r.size(),
            offset));
        if (written.size() % 16 == 0) {
          w.checkpoint();
          if (written.size() == 160) {
            Files.copy(output, snapshot, StandardCopyOption.REPLACE_EXISTING);
          }
        }
      }
      w.finish(SampleTable.of(written));
    }
    return new Result(output, written.size(), Files.exists(snapshot) ? snapshot : null);
  }

  private Result assertSamePackets(Path input) throws Exception {
    return assertSamePackets(input, false);
  }

  /**
   * With {@code fragmented} input, ffmpeg does not report the trun durations of a stream's first and last
   * packets (it shows none for the first and the codec's frame length for the last), while the plain output
   * states the stored ones: the first must equal the gap to the next packet, the last may be shorter (AAC's
   * trimmed final frame). Everything else must be identical.
   */
  private Result assertSamePackets(Path input, boolean fragmented) throws Exception {
    Result r = remux(input);
    Map<Integer, List<String>> in = packets(input);
    Map<Integer, List<String>> out = packets(r.output());
    assertFalse(in.isEmpty());
    assertEquals(in.keySet(), out.keySet(), "streams");
    for (int s : in.keySet()) {
      assertEquals(in.get(s).size(), out.get(s).size(), "packet count of stream " + s);
      for (int i = 0; i < in.get(s).size(); i++) {
        String expected = in.get(s).get(i);
        String[] f = expected.split(" ", -1);
        if (f[2].isEmpty() && i + 1 < in.get(s).size()) {
          // ffmpeg reports no duration for the first packet of some fragmented files (its trun duration is not
          // used); the plain output states it, and it must be the gap to the next packet
          long next = Long.parseLong(in.get(s).get(i + 1).split(" ")[1]);
          expected = f[0] + " " + f[1] + " " + (next - Long.parseLong(f[1])) + " " + f[3] + " " + f[4];
        }
        String actual = out.get(s).get(i);
        if (fragmented && i == in.get(s).size() - 1) {
          String[] a = actual.split(" ", -1);
          long d = Long.parseLong(a[2]);
          assertTrue(d > 0 && d <= Long.parseLong(f[2]), "last packet duration " + d);
          actual = a[0] + " " + a[1] + " " + f[2] + " " + a[3] + " " + a[4];
        }
        assertEquals(expected, actual, "stream " + s + " packet " + i);
      }
    }
    return r;
  }

  private static String probe(Path file, String entries) throws Exception {
    Process p = new ProcessBuilder("ffprobe", "-v", "error", "-show_entries", entries, "-of", "default=nw=1",
        file.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor();
    return out;
  }

  private static final String[] AV = {"-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-f", "lavfi", "-i",
      "sine=frequency=1000:sample_rate=48000", "-t", "4"};

  private static String[] args(String[] head, String... tail) {
    String[] all = new String[head.length + tail.length];
    System.arraycopy(head, 0, all, 0, head.length);
    System.arraycopy(tail, 0, all, head.length, tail.length);
    return all;
  }

  @Test
  void h264WithBFramesAndAac() throws Exception {
    Path in = ffmpeg("av.mp4", args(AV, "-c:v", "libx264", "-bf", "2", "-g", "25", "-c:a", "aac"));
    Result r = assertSamePackets(in);
    String fmt = probe(r.output(), "stream=codec_name,has_b_frames:format=duration");
    assertTrue(fmt.contains("codec_name=h264") && fmt.contains("codec_name=aac"), fmt);
    assertEquals(probe(in, "format=duration"), probe(r.output(), "format=duration"));

    // what kill -9 right after a checkpoint leaves: readable, with the fragments closed so far
    Map<Integer, List<String>> part = packets(r.partSnapshot());
    int kept = part.values().stream().mapToInt(List::size).sum();
    assertTrue(kept >= 50 && kept <= 160, "packets in the .part snapshot: " + kept);
  }

  @Test
  void fragmentedInput() throws Exception {
    Path in = ffmpeg("frag.mp4", args(AV, "-c:v", "libx264", "-bf", "2", "-g", "25", "-c:a", "aac", "-movflags",
        "frag_keyframe+empty_moov"));
    assertSamePackets(in, true);
  }

  @Test
  void twoAudioTracks() throws Exception {
    Path in = ffmpeg("two.m4a", "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000", "-f", "lavfi", "-i",
        "sine=frequency=440:sample_rate=44100", "-t", "3", "-map", "0", "-map", "1", "-c:a", "aac");
    assertSamePackets(in);
    // QuickTime keeps the esds inside a wave box
    assertSamePackets(ffmpeg("two.mov", "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000", "-f",
        "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", "3", "-map", "0", "-map", "1", "-c:a", "aac"));
  }

  @Test
  void mjpegInMp4AndMov() throws Exception {
    assertSamePackets(ffmpeg("mjpeg.mp4", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-t", "2",
        "-c:v", "mjpeg"));
    Path mov = ffmpeg("mjpeg.mov", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-t", "2", "-c:v",
        "mjpeg");
    Result r = assertSamePackets(mov);
    assertTrue(probe(r.output(), "stream=codec_name").contains("codec_name=mjpeg"));
  }

  @Test
  void pcmInMov() throws Exception {
    for (String codec : List.of("pcm_s16le", "pcm_s16be", "pcm_s24le", "pcm_s32be", "pcm_f32le")) {
      Path in = ffmpeg(codec + ".mov", "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=44100", "-t", "2",
          "-ac", "2", "-c:a", codec);
      Result r = assertSamePackets(in);
      assertTrue(probe(r.output(), "stream=codec_name").contains("codec_name=" + codec), codec);
    }
  }

  @Test
  void opus() throws Exception {
    assumeTrue(hasEncoder("libopus") || hasEncoder("opus"), "no opus encoder in this ffmpeg");
    Path in = ffmpeg("opus.mp4", "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000", "-t", "3", "-c:a",
        hasEncoder("libopus") ? "libopus" : "opus", "-strict", "-2");
    assertSamePackets(in);
  }

  @Test
  void hevc() throws Exception {
    assumeTrue(hasEncoder("libx265"), "no libx265 in this ffmpeg");
    Path in = ffmpeg("hevc.mp4", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-t", "2", "-c:v", "libx265",
        "-x265-params", "log-level=error:bframes=2", "-tag:v", "hvc1");
    assertSamePackets(in);
  }

  @Test
  void notAnMp4IsAOneLineError() throws Exception {
    Path junk = dir.resolve("junk.mp4");
    Files.writeString(junk, "RIFF....WAVEfmt this is not an mp4 file at all");
    SourceException e = assertThrows(SourceException.class, () -> Mp4Source.open(junk));
    assertTrue(e.getMessage().contains("not an MP4/MOV file"), e.getMessage());
    SourceException missing = assertThrows(SourceException.class, () -> Mp4Source.open(dir.resolve("nope.mp4")));
    assertTrue(missing.getMessage().contains("no such file"), missing.getMessage());
  }

  /** A track that starts late gets an empty edit, and one starting before zero a media_time (§8.6.6). */
  @Test
  void lateAndEarlyStartingTracks() throws Exception {
    Path in = ffmpeg("late.mp4", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=25", "-itsoffset", "0.5", "-f",
        "lavfi", "-i", "sine=frequency=1000:sample_rate=48000", "-t", "3", "-map", "0", "-map", "1", "-c:v",
        "libx264", "-bf", "2", "-c:a", "aac");
    assertSamePackets(in);
  }

  /** A timecode track is not media: it is skipped without error and the video passes through. */
  @Test
  void timecodeTrackIsSkipped() throws Exception {
    Path in = ffmpeg("tc.mov", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=25", "-t", "1", "-c:v", "mjpeg",
        "-timecode", "01:00:00:00");
    assertTrue(probe(in, "stream=codec_tag_string").contains("tmcd"), "ffmpeg wrote no timecode track");
    try (Mp4Source source = Mp4Source.open(in)) {
      assertEquals(1, source.streams().size());
    }
    Result r = remux(in);
    assertEquals(packets(in).get(0), packets(r.output()).get(0));
  }
}
