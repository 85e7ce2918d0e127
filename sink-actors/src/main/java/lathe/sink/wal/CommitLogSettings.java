package lathe.sink.wal;

import com.typesafe.config.Config;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * A node's commit log and how its recordings use it ({@code lathe.sink.commit-log.*}). One per actor system,
 * in {@code lathe.data-dir}/wal, closed when the system has terminated (after every recording's writer stopped).
 */
public record CommitLogSettings(CommitLog log, long maxEntryBytes, Duration checkpointInterval,
    long checkpointBytes, boolean directBigWrites, boolean directHeldWrites) {

  /** The folder of a node's commit log. */
  public static Path dirOf(Path dataDir) {
    return dataDir.resolve("wal");
  }

  /** The system's commit log, opened on first use; null when lathe.sink.commit-log.enabled is off. */
  public static CommitLogSettings of(ActorSystem<?> system) {
    return Holder.ID.apply(system).settings;
  }

  /**
   * Closes the system's commit log, if it opened one, and waits for it: after a clean stop every recording has
   * checkpointed, so its segments are deleted. Call it once the system has terminated; without it the JVM may
   * exit (a CLI command returning) before the close that termination starts has run, leaving segments behind
   * for the next start to replay.
   */
  public static void closeAfterTermination(ActorSystem<?> system) {
    if (system.hasExtension(Holder.ID)) {
      CommitLogSettings s = Holder.ID.apply(system).settings;
      if (s != null) {
        s.log().close();
      }
    }
  }

  private static final class Holder implements Extension {
    static final ExtensionId<Holder> ID = new ExtensionId<>() {
      @Override
      public Holder createExtension(ActorSystem<?> system) {
        return new Holder(system);
      }
    };

    final CommitLogSettings settings;

    Holder(ActorSystem<?> system) {
      Config c = system.settings().config();
      Config cl = c.getConfig("lathe.sink.commit-log");
      if (!cl.getBoolean("enabled")) {
        settings = null;
        return;
      }
      Path dir = dirOf(Path.of(c.getString("lathe.data-dir")).toAbsolutePath().normalize());
      CommitLog log;
      try {
        log = CommitLog.open(dir, cl.getBytes("segment-bytes"), cl.getBoolean("direct-io"));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot open the commit log in " + dir + ": " + e.getMessage(), e);
      }
      system.getWhenTerminated().thenRun(log::close);
      settings = new CommitLogSettings(log, cl.getBytes("max-entry-bytes"), cl.getDuration("checkpoint-interval"),
          cl.getBytes("checkpoint-bytes"), cl.getBoolean("big-writes-direct-io"),
          cl.getBoolean("held-writes-direct-io"));
    }
  }
}
