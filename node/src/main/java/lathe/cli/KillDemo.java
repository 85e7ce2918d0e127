package lathe.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import lathe.sink.Formats;
import lathe.sink.recovery.Recovery;

/**
 * The demo's crash: a real `lathe record --realtime` child process is killed with SIGKILL once it has a few
 * seconds acknowledged, and its .part is recovered, as after a power cut.
 */
final class KillDemo {
  private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
      new com.fasterxml.jackson.databind.ObjectMapper();

  private KillDemo() {}

  record Outcome(Path recovered, long acknowledged, long samples, long bytes) {}

  static Outcome run(Path dataDir, Path out) throws IOException, InterruptedException {
    Path events = Files.createTempFile(dataDir, "demo-events", ".jsonl");
    List<String> cmd = new ArrayList<>(List.of(
        ProcessHandle.current().info().command().orElse("java"), "-Xmx256m", "-cp", selfJar(),
        Lathe.class.getName(), "record", "-o", out.toString(), "--source", "testcard:320x180@25",
        "--source", "tone:48000:2:440", "--duration", "60s", "--realtime", "--events", events.toString(),
        "--data-dir", dataDir.toString()));
    Process child = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (acks(events) < 150 && child.isAlive() && System.nanoTime() < deadline) {
        TimeUnit.MILLISECONDS.sleep(100); // the demo's own thread waiting on a child process
      }
      if (!child.isAlive()) {
        throw new UserError("the recording to be killed ended on its own (exit " + child.exitValue() + ")");
      }
    } finally {
      child.destroyForcibly(); // SIGKILL: no shutdown hook, no Finalize
      child.waitFor(10, TimeUnit.SECONDS);
    }
    long acked = acks(events);
    Files.deleteIfExists(events);
    Recovery.Result r = Recovery.recover(Path.of(out + ".part"), Formats.standard());
    if (!r.ok()) {
      throw new UserError(r.error());
    }
    return new Outcome(r.output(), acked, r.samples(), r.bytes());
  }

  /** Acknowledged samples over all streams (acks are cumulative per stream). */
  private static long acks(Path events) throws IOException {
    long[] last = new long[8];
    java.util.Arrays.fill(last, -1);
    for (String line : Files.readAllLines(events)) {
      if (line.startsWith("{\"event\":\"ack\"") && line.endsWith("}")) {
        var node = JSON.readTree(line);
        int s = node.get("stream").asInt();
        if (s < last.length) {
          last[s] = Math.max(last[s], node.get("seq").asLong());
        }
      }
    }
    long total = 0;
    for (long l : last) {
      total += l + 1;
    }
    return total;
  }

  private static String selfJar() {
    try {
      return Path.of(Lathe.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    } catch (java.net.URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
