package lathe.farm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;

/** Staging folders of the farm: never the only copy of anything, so removing them is best effort. */
final class FarmFiles {
  private FarmFiles() {}

  /** Deletes {@code dir} and everything below it; what cannot be deleted stays for the agent's next start. */
  static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (var files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // cleared at the next start (BurnAgent.clearStaging)
    }
  }
}
