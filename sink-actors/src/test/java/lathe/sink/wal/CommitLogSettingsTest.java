package lathe.sink.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The node's commit log over an actor system's life. */
class CommitLogSettingsTest {
  @TempDir Path dir;

  private static List<Path> files(Path d) throws Exception {
    try (Stream<Path> s = Files.list(d)) {
      return s.toList();
    }
  }

  /**
   * A command returns (and the JVM exits) right after its system has terminated: by then the log must have
   * closed, and, with nothing left to replay, left no segment behind (neither the current one nor the one
   * created ahead of time). Termination itself starts a close; closeAfterTermination waits for that one.
   */
  @Test
  void afterACleanStopTheLogHasClosedAndLeftNoSegment() throws Exception {
    for (int round = 0; round < 5; round++) {
      Path data = dir.resolve("data-" + round);
      ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "log-" + round,
          ConfigFactory.parseMap(Map.of("lathe.data-dir", data.toString(), "pekko.loglevel", "WARNING"))
              .withFallback(ConfigFactory.load()));
      CommitLogSettings settings = CommitLogSettings.of(system);
      assertNotNull(settings, "the log is on by default");
      Path wal = CommitLogSettings.dirOf(data.toAbsolutePath().normalize());
      assertTrue(!files(wal).isEmpty(), "the first segment is there while the system runs");
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
      CommitLogSettings.closeAfterTermination(system);
      assertEquals(List.of(), files(wal), "round " + round);
    }
  }
}
