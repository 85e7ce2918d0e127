package lathe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three real `lathe node` processes: `lathe record --cluster` runs land on several nodes, `lathe status --json`
 * shows them finalized, and a node killed with -9 mid-recording recovers that recording when it restarts.
 */
class ClusterProcessesIT {
  @TempDir
  Path dir;
  NodeProcesses cluster;

  @AfterEach
  void stopNodes() throws InterruptedException {
    if (cluster != null) {
      cluster.close();
    }
  }

  String target(int i) {
    return cluster.target(i);
  }

  JsonNode status(int via) throws Exception {
    return cluster.status(via);
  }

  static JsonNode recording(JsonNode status, String name) {
    return NodeProcesses.recording(status, name);
  }

  int holder(String path) {
    return cluster.holder(path);
  }

  static boolean sleep(long millis) {
    return NodeProcesses.sleep(millis);
  }

  @Test
  void recordsOnSeveralNodesAndRecoversAfterKill9() throws Exception {
    cluster = new NodeProcesses(dir, 3);
    for (int i = 0; i < 3; i++) {
      cluster.start(i);
    }
    for (int i = 0; i < 3; i++) {
      cluster.awaitReady(i);
      HttpResponse<String> alive = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + cluster.management[i] + "/alive")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, alive.statusCode());
    }

    Set<Integer> holders = new HashSet<>();
    for (int r = 0; r < 6; r++) {
      String name = "it/take-" + r + ".wav";
      LatheProcess.Result rec = LatheProcess.lathe(dir, "record", "--cluster", target(r % 3), "--name", name,
          "--source", "tone:48000:2", "--duration", "1s", "--json");
      assertEquals(0, rec.exit(), rec.err());
      String path = rec.json().get("path").asText();
      holders.add(holder(path));
      JsonNode probe = LatheProcess.ffprobe(dir, Path.of(path));
      assertEquals("pcm_s16le", probe.get("streams").get(0).get("codec_name").asText());
      assertEquals(1.0, probe.get("format").get("duration").asDouble(), 1e-6);
    }
    assertTrue(holders.size() >= 2, "all six recordings landed on node(s) " + holders);

    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    int finalized;
    JsonNode status;
    do {
      status = status(1);
      finalized = 0;
      for (int r = 0; r < 6; r++) {
        JsonNode info = recording(status, "it/take-" + r + ".wav");
        finalized += info != null && info.get("state").asText().equals("finalized") ? 1 : 0;
      }
    } while (finalized < 6 && System.nanoTime() < deadline && sleep(500));
    assertEquals(6, finalized, status.toPrettyString());
    assertEquals(3, status.get("members").size());

    // A live recording; its node is killed with -9 after some samples were acknowledged.
    Path events = dir.resolve("live.events");
    Process live = new ProcessBuilder(LatheProcess.command("record", "--cluster",
        target(0) + "," + target(1) + "," + target(2), "--name", "it/live.wav", "--source", "tone:48000:2",
        "--duration", "120s", "--realtime", "--events", events.toString()))
        .directory(dir.toFile()).redirectOutput(dir.resolve("live.out").toFile())
        .redirectError(dir.resolve("live.err").toFile()).start();
    JsonNode info = null;
    deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while ((info == null || !info.get("state").asText().equals("writing")) && System.nanoTime() < deadline) {
      sleep(500);
      for (int i = 0; i < 3 && (info == null || !info.get("state").asText().equals("writing")); i++) {
        info = recording(status(i), "it/live.wav");
      }
    }
    assertTrue(info != null && info.get("state").asText().equals("writing"), String.valueOf(info));
    int victim = holder(info.get("path").asText());
    sleep(3000);
    cluster.kill(victim);
    long lastAck = -1;
    for (String line : Files.readAllLines(events)) {
      JsonNode e = LatheProcess.JSON.readTree(line);
      if (e.get("event").asText().equals("ack")) {
        lastAck = Math.max(lastAck, e.get("seq").asLong());
      }
    }
    assertTrue(lastAck >= 50, "acknowledged before the kill: " + lastAck);

    Path part = dir.resolve("node" + victim).resolve("archive/it/live.wav.part");
    assertTrue(Files.exists(part), "kill -9 leaves " + part);
    cluster.start(victim);
    cluster.awaitReady(victim);
    Path file = dir.resolve("node" + victim).resolve("archive/it/live.wav");
    assertTrue(Files.exists(file) && !Files.exists(part), "start-up recovers " + part);
    assertTrue(Files.readString(dir.resolve("node" + victim).resolve("lathe.out")).contains("recovered " + file));
    JsonNode probe = LatheProcess.ffprobe(dir, file);
    double seconds = probe.get("format").get("duration").asDouble();
    assertTrue(seconds >= (lastAck + 1) * 0.020 - 1e-6, "recovered " + seconds + " s, acknowledged "
        + (lastAck + 1) + " samples of 20 ms");
    byte[] pcm = LatheProcess.pcm16(dir, file);
    assertTrue(pcm.length >= (lastAck + 1) * 960 * 4);

    if (!live.waitFor(120, TimeUnit.SECONDS)) {
      live.destroyForcibly();
      throw new AssertionError("lathe record did not give up after its node died");
    }
    assertTrue(live.exitValue() != 0);
    String err = Files.readString(dir.resolve("live.err")).strip();
    assertEquals(1, err.lines().count(), err);
    assertTrue(err.contains("it/live.wav"), err);

    deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    JsonNode recovered;
    do {
      recovered = recording(status((victim + 1) % 3), "it/live.wav");
    } while ((recovered == null || !recovered.get("state").asText().equals("recovered"))
        && System.nanoTime() < deadline && sleep(500));
    assertEquals("recovered", recovered.get("state").asText(), recovered.toString());
    assertEquals(file.toString(), recovered.get("path").asText());

    cluster.close(); // SIGTERM to every node: a clean stop leaves no commit log behind
    for (int i = 0; i < 3; i++) {
      try (java.util.stream.Stream<Path> wal = java.nio.file.Files.list(cluster.home(i).resolve("wal"))) {
        assertEquals(java.util.List.of(), wal.toList(), "node " + i + "'s commit log after SIGTERM");
      }
    }
  }
}
