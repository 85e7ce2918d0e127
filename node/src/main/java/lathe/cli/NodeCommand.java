package lathe.cli;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import lathe.node.LatheNode;
import lathe.sink.recovery.Recovery;
import lathe.sink.wal.CommitLogSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "node", mixinStandardHelpOptions = true, sortOptions = false,
    description = {
        "Run a cluster node: Pekko Cluster over Artery, recordings as sharded entities on recorder nodes, the gRPC "
            + "ingest service, /alive and /ready on the management port.",
        "Start-up recovers every .part + .journal in DIR/archive. SIGTERM leaves the cluster cleanly and "
            + "finalizes the recordings open on this node."})
final class NodeCommand implements Callable<Integer> {

  @Option(names = "--data-dir", required = true, paramLabel = "DIR", description = "This node's data (archive/).")
  Path dataDir;

  @Option(names = "--host", defaultValue = "127.0.0.1", paramLabel = "HOST",
      description = "Address for Artery, gRPC and management; default ${DEFAULT-VALUE}.")
  String host;

  @Option(names = "--port", required = true, paramLabel = "P", description = "Artery (cluster) port.")
  int port;

  @Option(names = "--grpc-port", required = true, paramLabel = "G", description = "gRPC ingest port.")
  int grpcPort;

  @Option(names = "--management-port", defaultValue = "0", paramLabel = "M",
      description = "HTTP port of /alive and /ready; 0 = none.")
  int managementPort;

  @Option(names = "--seed", paramLabel = "HOST:PORT", description = "A seed node's Artery address; repeat for "
      + "more. Without one this node starts a new cluster.")
  List<String> seeds = new ArrayList<>();

  @Option(names = "--roles", split = ",", paramLabel = "ROLES", defaultValue = "recorder,burner",
      description = "Roles, comma-separated; default ${DEFAULT-VALUE}.")
  List<String> roles = new ArrayList<>();

  @Option(names = "--config", paramLabel = "FILE", description = "HOCON file over application.conf (flags win).")
  Path config;

  @Override
  public Integer call() throws Exception {
    for (var p : List.of(Map.entry("--port", port), Map.entry("--grpc-port", grpcPort),
        Map.entry("--management-port", managementPort))) {
      if (p.getValue() < 0 || p.getValue() > 65535) {
        throw new UserError(p.getKey() + " must be 0 through 65535, not " + p.getValue(), OneLineErrors.USAGE);
      }
    }
    if (port == 0 && seeds.isEmpty()) {
      // the new cluster's seed is this node's own address: with port 0 nobody, this node included, can reach it
      throw new UserError("a node that starts a cluster (no --seed) needs a fixed --port, which the other nodes' "
          + "--seed names", OneLineErrors.USAGE);
    }
    for (String s : seeds) {
      if (!s.matches("[^:]+:\\d{1,5}")) {
        throw new UserError("--seed wants HOST:PORT, not '" + s + "'", OneLineErrors.USAGE);
      }
    }
    LatheNode node;
    try {
      node = LatheNode.start(new LatheNode.Options(dataDir, host, port, grpcPort, managementPort, seeds, roles,
          config, ConfigFactory.parseMap(Map.of())));
    } catch (java.io.IOException e) {
      throw new UserError("cannot start the node: " + e.getMessage());
    } catch (RuntimeException e) {
      throw new UserError("cannot start the node: " + e.getMessage());
    }
    LatheNode started = node;
    // On SIGTERM Pekko's own hook runs the coordinated shutdown; this one then closes the commit log and waits
    // for it, so that the JVM does not halt while the log is still closing (its segments would stay behind
    // for the next start to replay).
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        started.system().getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
      } catch (Exception e) {
        return; // not terminated: the log stays open, and the next start replays it
      }
      CommitLogSettings.closeAfterTermination(started.system());
    }, "lathe-commit-log-close"));
    for (Recovery.Result r : node.recovered()) {
      System.out.println(r.ok() ? "recovered " + r.output() + " (" + r.samples() + " samples)"
          : "could not recover " + r.part() + ": " + r.error());
    }
    System.out.println("lathe node " + node.address() + " grpc " + host + ":" + node.grpcPort() + " archive "
        + node.archive());
    System.out.flush();
    node.system().getWhenTerminated().toCompletableFuture().join();
    CommitLogSettings.closeAfterTermination(node.system());
    return 0;
  }
}
