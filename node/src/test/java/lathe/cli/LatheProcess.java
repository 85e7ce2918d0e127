package lathe.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the real `java -jar node/target/lathe.jar` and the real tools (ffprobe, sox) the way a user would. */
final class LatheProcess {
  static final ObjectMapper JSON = new ObjectMapper();

  record Result(int exit, String out, String err) {
    JsonNode json() throws IOException {
      return JSON.readTree(out);
    }

    /** A failure is one line on stderr, never a stack trace. */
    void assertOneLineError() {
      String e = err.strip();
      assertTrue(exit != 0, "expected failure, got exit 0; stdout: " + out);
      assertTrue(!e.isEmpty() && e.lines().count() == 1, "one line expected on stderr, got:\n" + err);
      assertTrue(!e.contains("Exception") && !e.contains("\tat "), "no stack trace expected:\n" + err);
    }
  }

  static Path jar() {
    Path jar = Path.of(System.getProperty("lathe.jar", "target/lathe.jar"));
    assertTrue(Files.isRegularFile(jar), "build the fat jar first (mvn package): " + jar);
    return jar;
  }

  static List<String> command(String... args) {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m", "-jar",
        jar().toString()));
    cmd.addAll(List.of(args));
    return cmd;
  }

  static Process start(Path dir, String... args) throws IOException {
    return new ProcessBuilder(command(args)).directory(dir.toFile())
        .redirectOutput(dir.resolve("lathe.out").toFile()).redirectError(dir.resolve("lathe.err").toFile())
        .start();
  }

  static Result lathe(Path dir, String... args) throws IOException, InterruptedException {
    return run(dir, 180, command(args));
  }

  static Result tool(Path dir, String... cmd) throws IOException, InterruptedException {
    return run(dir, 120, List.of(cmd));
  }

  static Result run(Path dir, int seconds, List<String> cmd) throws IOException, InterruptedException {
    Path out = Files.createTempFile(dir, "out", ".txt");
    Path err = Files.createTempFile(dir, "err", ".txt");
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectOutput(out.toFile())
        .redirectError(err.toFile()).start();
    if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(String.join(" ", cmd) + " did not finish in " + seconds + " s");
    }
    Result r = new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
    Files.delete(out);
    Files.delete(err);
    return r;
  }

  /** ffprobe's view of a file: format and streams as JSON. */
  static JsonNode ffprobe(Path dir, Path file) throws IOException, InterruptedException {
    Result r = tool(dir, "ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", file.toString());
    assertTrue(r.exit() == 0 && r.err().isBlank(), "ffprobe reads " + file + " without error: " + r.err());
    return JSON.readTree(r.out());
  }

  /**
   * ffprobe's packets of each stream, as "pts dts duration flags md5" lines: what the packet-identity checks
   * compare (per stream, because interleaving across streams is the muxer's choice).
   */
  static java.util.Map<Integer, List<String>> packets(Path dir, Path file) throws IOException, InterruptedException {
    Result r = tool(dir, "ffprobe", "-v", "error", "-show_data_hash", "md5", "-show_entries",
        "packet=stream_index,pts,dts,duration,flags,data_hash", "-of", "json", file.toString());
    assertTrue(r.exit() == 0 && r.err().isBlank(), "ffprobe reads the packets of " + file + ": " + r.err());
    java.util.Map<Integer, List<String>> byStream = new java.util.TreeMap<>();
    for (JsonNode p : JSON.readTree(r.out()).get("packets")) {
      byStream.computeIfAbsent(p.get("stream_index").asInt(), k -> new ArrayList<>())
          .add(p.path("pts").asText("-") + " " + p.path("dts").asText("-") + " " + p.path("duration").asText("-")
              + " " + p.path("flags").asText() + " " + p.path("data_hash").asText());
    }
    return byStream;
  }

  /**
   * Kills a running `lathe record` (started in dir with `--events events`) with -9 once stream 0 has acked seq
   * {@code atLeast} (at most 90 s); returns each stream's last ack seen after the kill: every sample up to it was
   * acknowledged before the process died.
   */
  static long[] killAfterAck(Process p, Path dir, Path events, long atLeast, int streams)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (lastAck(events, 0) < atLeast && System.nanoTime() < deadline && p.isAlive()) {
      TimeUnit.MILLISECONDS.sleep(20);
    }
    assertTrue(p.isAlive(), "recording still running: " + Files.readString(dir.resolve("lathe.err")));
    new ProcessBuilder("kill", "-9", Long.toString(p.pid())).start().waitFor();
    assertTrue(p.waitFor(10, TimeUnit.SECONDS), "killed with -9");
    long[] acked = new long[streams];
    for (int s = 0; s < streams; s++) {
      acked[s] = lastAck(events, s);
    }
    return acked;
  }

  /** The highest acknowledged seq of a stream in a `--events` file, -1 before the first ack. */
  static long lastAck(Path events, int stream) throws IOException {
    if (!Files.exists(events)) {
      return -1;
    }
    long last = -1;
    for (String line : Files.readAllLines(events)) {
      if (!line.endsWith("}")) {
        continue; // the line being written when we looked
      }
      JsonNode e = JSON.readTree(line);
      if ("ack".equals(e.get("event").asText()) && e.get("stream").asInt() == stream) {
        last = Math.max(last, e.get("seq").asLong());
      }
    }
    return last;
  }

  /** The decoded PCM of an audio file as signed 16-bit little-endian, by ffmpeg. */
  static byte[] pcm16(Path dir, Path file) throws IOException, InterruptedException {
    Path raw = Files.createTempFile(dir, "pcm", ".raw");
    Result r = tool(dir, "ffmpeg", "-v", "error", "-y", "-i", file.toString(), "-f", "s16le", "-c:a", "pcm_s16le",
        raw.toString());
    assertTrue(r.exit() == 0, "ffmpeg decodes " + file + ": " + r.err());
    byte[] b = Files.readAllBytes(raw);
    Files.delete(raw);
    return b;
  }
}
