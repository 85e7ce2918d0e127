package lathe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * N real `lathe node` processes on 127.0.0.1, node i with its data in DIR/nodeI: started, probed through
 * /ready, killed with -9 and restarted as a user would. Artery ports are handed out in ascending text order,
 * so node 0 has the lowest address (the order the farm fills drives in).
 */
final class NodeProcesses implements AutoCloseable {
  final Path dir;
  final int count;
  final List<Process> nodes = new ArrayList<>();
  final int[] port;
  final int[] grpc;
  final int[] management;
  private final List<String> extra;

  NodeProcesses(Path dir, int count, String... extraArgs) throws IOException {
    this.dir = dir;
    this.count = count;
    this.extra = List.of(extraArgs);
    port = new int[count];
    grpc = new int[count];
    management = new int[count];
    String[] ports = new String[count];
    for (int i = 0; i < count; i++) {
      ports[i] = "" + freePort();
      grpc[i] = freePort();
      management[i] = freePort();
    }
    Arrays.sort(ports);
    for (int i = 0; i < count; i++) {
      port[i] = Integer.parseInt(ports[i]);
      nodes.add(null);
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** Starts every node, node 0 first (it forms the cluster and is its oldest member), and waits for /ready. */
  void startAll() throws Exception {
    for (int i = 0; i < count; i++) {
      start(i);
      if (i == 0) {
        awaitReady(0);
      }
    }
    for (int i = 0; i < count; i++) {
      awaitReady(i);
    }
  }

  void start(int i) throws IOException {
    Path home = Files.createDirectories(home(i));
    List<String> args = new ArrayList<>(List.of("node", "--data-dir", home.toString(), "--host", "127.0.0.1",
        "--port", "" + port[i], "--grpc-port", "" + grpc[i], "--management-port", "" + management[i]));
    for (int s = 0; s < count; s++) {
      args.addAll(List.of("--seed", "127.0.0.1:" + port[s]));
    }
    args.addAll(extra);
    nodes.set(i, LatheProcess.start(home, args.toArray(String[]::new)));
  }

  Path home(int i) {
    return dir.resolve("node" + i);
  }

  Process process(int i) {
    return nodes.get(i);
  }

  void awaitReady(int i) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (System.nanoTime() < deadline) {
      assertTrue(nodes.get(i).isAlive(), "node " + i + " exited: " + Files.readString(home(i).resolve("lathe.err")));
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + management[i] + "/ready")).timeout(Duration.ofSeconds(2)).build(),
            HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(250);
    }
    throw new AssertionError("node " + i + " not ready in 90 s");
  }

  /** kill -9, and wait for the process to be gone. */
  void kill(int i) throws InterruptedException {
    nodes.get(i).destroyForcibly();
    assertTrue(nodes.get(i).waitFor(30, TimeUnit.SECONDS));
  }

  String target(int i) {
    return "127.0.0.1:" + grpc[i];
  }

  /** HOST:PORT of node i's Artery address, as drive ids and the farm name nodes. */
  String address(int i) {
    return "127.0.0.1:" + port[i];
  }

  JsonNode status(int via) throws Exception {
    LatheProcess.Result r = LatheProcess.lathe(dir, "status", "--cluster", target(via), "--json");
    assertEquals(0, r.exit(), r.err());
    return r.json();
  }

  static JsonNode recording(JsonNode status, String name) {
    for (JsonNode r : status.get("recordings")) {
      if (r.get("name").asText().equals(name)) {
        return r;
      }
    }
    return null;
  }

  /** The node whose folder holds {@code path}. */
  int holder(String path) {
    for (int i = 0; i < count; i++) {
      if (Path.of(path).startsWith(home(i))) {
        return i;
      }
    }
    throw new AssertionError(path + " is in no node's folder");
  }

  /** SIGTERM (coordinated shutdown) to every node still running, then wait. */
  @Override
  public void close() throws InterruptedException {
    for (Process p : nodes) {
      if (p != null && p.isAlive()) {
        p.destroy();
      }
    }
    for (Process p : nodes) {
      if (p != null && !p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
  }

  static boolean sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return true;
  }
}
