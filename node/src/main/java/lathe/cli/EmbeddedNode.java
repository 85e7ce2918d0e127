package lathe.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import lathe.sink.SinkSettings;
import lathe.sink.wal.CommitLogReplay;
import lathe.sink.wal.CommitLogSettings;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;

/**
 * The embedded single-node default: one ActorSystem with every role, joined to itself, its data under
 * {@code --data-dir}. Commands that run "in-process" start one of these and close it when done.
 */
public final class EmbeddedNode implements AutoCloseable {

  private final ActorSystem<Void> system;
  private final Path dataDir;

  private EmbeddedNode(ActorSystem<Void> system, Path dataDir) {
    this.system = system;
    this.dataDir = dataDir;
  }

  public static EmbeddedNode start(Path dataDir) {
    return start(dataDir, ConfigFactory.empty());
  }

  /** Starts a node; {@code overrides} win over application.conf and the modules' reference.conf. */
  public static EmbeddedNode start(Path dataDir, Config overrides) {
    Path dir = dataDir.toAbsolutePath().normalize();
    try {
      Files.createDirectories(dir);
    } catch (java.io.IOException e) {
      throw new UserError("cannot create data directory " + dir + ": " + e.getMessage());
    }
    replayCommitLog(dir);
    // The command that started the node decides what happens on SIGTERM (finalize first, then stop the node),
    // so Pekko must not race it with a shutdown of its own.
    Config config = overrides
        .withFallback(ConfigFactory.parseMap(Map.of("lathe.data-dir", dir.toString(),
            "pekko.coordinated-shutdown.run-by-jvm-shutdown-hook", "off")))
        .withFallback(ConfigFactory.load());
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "lathe", config);
    Cluster cluster = Cluster.get(system);
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    return new EmbeddedNode(system, dir);
  }

  /**
   * What the commit log of a stopped or crashed run still holds goes back into its recordings' files before
   * anything new is written (the files then need `lathe recover`, as after any crash).
   */
  static void replayCommitLog(Path dataDir) {
    try {
      CommitLogReplay.Result r = CommitLogReplay.replayFolder(CommitLogSettings.dirOf(dataDir));
      r.problems().forEach(p -> System.err.println("lathe: warning: " + p));
      if (r.entries() > 0) {
        System.err.printf("lathe: replayed %d commit-log entries into %d recording(s) a stopped run left "
            + "(finalize them with `lathe recover`)%n", r.entries(), r.recordings());
      }
    } catch (java.io.IOException e) {
      throw new UserError("cannot replay the commit log in " + CommitLogSettings.dirOf(dataDir) + ": "
          + e.getMessage());
    }
  }

  /** The settings of recordings on this node, with its commit log. */
  public SinkSettings sinkSettings() {
    return SinkSettings.fromConfig(config(), lathe.sink.Formats.standard())
        .withCommitLog(CommitLogSettings.of(system));
  }

  public ActorSystem<Void> system() {
    return system;
  }

  public Path dataDir() {
    return dataDir;
  }

  public Config config() {
    return system.settings().config();
  }

  @Override
  public void close() {
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
      lathe.sink.wal.CommitLogSettings.closeAfterTermination(system);
    } catch (Exception e) {
      // The JVM exits after a command anyway; a slow shutdown must not turn success into failure.
    }
  }
}
