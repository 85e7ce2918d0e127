package lathe.cli;

import static lathe.cli.LatheProcess.lathe;
import static lathe.cli.LatheProcess.tool;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `lathe bench` from the fat jar with tiny sizes: the JSON a script reads, with sane values; no timing goals. */
class BenchIT {
  @TempDir Path dir;

  @Test
  void muxCountsTheInputsPacketsAndComparesWithFfmpegAndDd() throws Exception {
    assertEquals(0, tool(dir, "ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25",
        "-f", "lavfi", "-i", "sine=f=440:sample_rate=48000", "-t", "2", "-c:v", "libx264", "-preset", "ultrafast",
        "-c:a", "aac", "in.mp4").exit());
    JsonNode p = LatheProcess.JSON.readTree(tool(dir, "ffprobe", "-v", "error", "-count_packets", "-show_entries",
        "stream=nb_read_packets", "-of", "json", "in.mp4").out());
    long perRun = 0;
    for (JsonNode s : p.get("streams")) {
      perRun += s.get("nb_read_packets").asLong();
    }
    LatheProcess.Result r = lathe(dir, "bench", "mux", "--input", "in.mp4", "--repeat", "2", "--compare-ffmpeg",
        "--json", "--data-dir", "data");
    assertEquals(0, r.exit(), r.err());
    JsonNode j = r.json();
    assertEquals(2 * perRun, j.get("packets").asLong(), "every packet of both runs");
    assertTrue(j.get("bytes").asLong() > 0 && j.get("seconds").asDouble() > 0, j.toString());
    assertEquals(j.get("packets").asDouble() / j.get("seconds").asDouble(), j.get("packetsPerSecond").asDouble(),
        j.get("packetsPerSecond").asDouble() * 1e-3);
    assertEquals(j.get("bytes").asDouble() / j.get("seconds").asDouble(), j.get("bytesPerSecond").asDouble(),
        j.get("bytesPerSecond").asDouble() * 1e-3);
    assertTrue(j.get("peakHeapBytes").asLong() > 0);
    assertTrue(j.get("ratios").get("vsFfmpegCopy").asDouble() > 0, j.toString());
    assertTrue(j.get("ratios").get("vsDdFdatasync").asDouble() > 0, j.toString());
    assertNoBenchFilesLeft();
  }

  @Test
  void muxThroughGrpcRecordsEveryPacketOfAWav() throws Exception {
    assertEquals(0, tool(dir, "sox", "-n", "-r", "48000", "-c", "2", "-b", "16", "in.wav", "synth", "2", "sine",
        "440").exit());
    LatheProcess.Result r = lathe(dir, "bench", "mux", "--input", "in.wav", "--repeat", "2", "--warmup", "0",
        "--grpc", "--compare-ffmpeg", "--json", "--data-dir", "data");
    assertEquals(0, r.exit(), r.err());
    JsonNode j = r.json();
    assertTrue(j.get("grpc").asBoolean());
    assertEquals(2 * 2 * 48000 * 4, j.get("bytes").asLong(), "two runs of two seconds of 48 kHz stereo 16-bit");
    assertEquals(2 * 100, j.get("packets").asLong(), "20 ms packets");
    assertTrue(j.get("ratios").get("vsFfmpegCopy").asDouble() > 0, j.toString());
    assertNoBenchFilesLeft();
  }

  @Test
  void muxOfAWavWritesBwf() throws Exception {
    assertEquals(0, tool(dir, "sox", "-n", "-r", "48000", "-c", "2", "-b", "16", "in.wav", "synth", "1", "sine",
        "440").exit());
    LatheProcess.Result r = lathe(dir, "bench", "mux", "--input", "in.wav", "--repeat", "1", "--warmup", "0",
        "--durability", "os", "--json", "--data-dir", "data");
    assertEquals(0, r.exit(), r.err());
    assertEquals("bwf", r.json().get("container").asText());
    assertEquals(48000 * 4, r.json().get("bytes").asLong(), "one second of 48 kHz stereo 16-bit");
  }

  @Test
  void streamsAcknowledgesEverySampleSent() throws Exception {
    LatheProcess.Result r = lathe(dir, "bench", "streams", "--count", "4", "--rate", "50", "--duration", "1s",
        "--json", "--data-dir", "data");
    assertEquals(0, r.exit(), r.err());
    JsonNode j = r.json();
    assertEquals(4, j.get("streams").asInt());
    assertEquals(j.get("samplesSent").asLong(), j.get("samplesAcked").asLong());
    // 2 s of warm-up and 1 s counted: 150 samples per stream are due, a late one caught up, none ahead of time.
    long sent = j.get("samplesSent").asLong();
    assertTrue(sent >= 4 * 135 && sent <= 4 * 150, "150 per stream in three seconds: " + j);
    assertTrue(j.get("samplesPerSecond").asDouble() > 0);
    JsonNode lat = j.get("ackLatencyMillis");
    assertTrue(lat.get("p50").asDouble() > 0 && lat.get("p50").asDouble() <= lat.get("p99").asDouble()
        && lat.get("p99").asDouble() <= lat.get("max").asDouble(), lat.toString());
    assertTrue(j.get("peakHeapBytes").asLong() > 0);
    assertEquals(0, j.get("errors").asInt(), j.toString());
    assertNoBenchFilesLeft();
  }

  @Test
  void streamsThroughGrpcToARealNodeAcknowledgeEverySampleAndLeaveWholeRecordings() throws Exception {
    try (NodeProcesses cluster = new NodeProcesses(dir.resolve("cluster"), 1)) {
      cluster.startAll();
      String address = "127.0.0.1:" + cluster.grpc[0];
      LatheProcess.Result r = lathe(dir, "bench", "streams", "--count", "3", "--rate", "50", "--duration", "2s",
          "--warmup", "0", "--cluster", address, "--json", "--data-dir", "data");
      assertEquals(0, r.exit(), r.err());
      JsonNode j = r.json();
      assertEquals(3, j.get("streams").asInt());
      assertEquals("grpc " + address, j.get("target").asText());
      assertEquals(j.get("samplesSent").asLong(), j.get("samplesAcked").asLong());
      assertTrue(j.get("samplesAcked").asLong() >= 3 * 80, "about 100 per stream in two seconds: " + j);
      JsonNode lat = j.get("ackLatencyMillis");
      assertTrue(lat.get("p50").asDouble() > 0 && lat.get("p50").asDouble() <= lat.get("p99").asDouble()
          && lat.get("p99").asDouble() <= lat.get("max").asDouble(), lat.toString());
      assertTrue(j.get("peakHeapBytes").asLong() > 0);
      assertEquals(0, j.get("errors").asInt(), j.toString());
      // The node finalized one BWF per producer holding every acknowledged 20 ms sample (3,840 bytes each).
      long samples = 0;
      try (Stream<Path> files = Files.walk(cluster.home(0))) {
        for (Path wav : files.filter(f -> f.toString().contains("bench-streams-") && f.toString().endsWith(".wav"))
            .toList()) {
          JsonNode probe = LatheProcess.JSON.readTree(tool(dir, "ffprobe", "-v", "error", "-show_entries",
              "stream=codec_name,duration_ts", "-of", "json", wav.toString()).out()).get("streams").get(0);
          assertEquals("pcm_s16le", probe.get("codec_name").asText());
          samples += probe.get("duration_ts").asLong() / 960;
        }
      }
      assertEquals(j.get("samplesAcked").asLong(), samples, "every acknowledged sample is in a finalized file");
    }
  }

  @Test
  void streamsWithABadOrDeadClusterAddressIsOneLine() throws Exception {
    lathe(dir, "bench", "streams", "--cluster", "127.0.0.1:" + NodeProcesses.freePort()).assertOneLineError();
    lathe(dir, "bench", "streams", "--cluster", "no-port-here").assertOneLineError();
    LatheProcess.Result both = lathe(dir, "bench", "streams", "--cluster", "127.0.0.1:1", "--durability", "os");
    both.assertOneLineError();
    assertTrue(both.err().contains("the node's own lathe.durability"), both.err());
  }

  @Test
  void finalizeTimesFinalizeAndARecoveryThatKeepsEverySample() throws Exception {
    LatheProcess.Result r = lathe(dir, "bench", "finalize", "--samples", "20000", "--json", "--data-dir", "data");
    assertEquals(0, r.exit(), r.err());
    JsonNode j = r.json();
    assertEquals(20000, j.get("samples").asLong());
    assertEquals(20000, j.get("recoveredSamples").asLong());
    assertTrue(j.get("finalizeMillis").asDouble() > 0 && j.get("recoverMillis").asDouble() > 0, j.toString());
    long peak = j.get("peakHeapBytes").asLong();
    assertTrue(peak > 0 && peak <= j.get("maxHeapBytes").asLong(), "the heap never holds more than -Xmx: " + j);
    assertTrue(j.get("gc").get("maxHeapAfterGcBytes").asLong() <= peak, j.toString());
    assertTrue(j.get("fileBytes").asLong() > 20000L * 16, "media plus tables: " + j);
    assertNoBenchFilesLeft();
  }

  private void assertNoBenchFilesLeft() throws Exception {
    try (Stream<Path> s = Files.list(dir.resolve("data"))) {
      assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith("bench-")), "work folders removed");
    }
  }
}
