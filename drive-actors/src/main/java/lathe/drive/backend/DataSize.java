package lathe.drive.backend;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import lathe.disc.DiscException;
import lathe.disc.DriveError;

/** The 2048-byte sectors the file contents alone need: a session can only be larger (directories, descriptors). */
public final class DataSize {
  private DataSize() {}

  public static long lowerBoundSectors(List<Path> paths) throws IOException {
    long sectors = 0;
    for (Path p : paths) {
      if (!Files.exists(p)) {
        throw new DiscException(DriveError.INVALID_ARGUMENT, "no such file or directory: " + p);
      }
      try (var files = Files.walk(p)) {
        for (Path f : (Iterable<Path>) files::iterator) {
          if (Files.isRegularFile(f)) {
            sectors += (Files.size(f) + 2047) / 2048;
          }
        }
      }
    }
    return sectors;
  }
}
