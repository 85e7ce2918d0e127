package lathe.sink.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** The file-system steps that make a finished recording durable under its final name. */
public final class DurableFiles {
  private DurableFiles() {}

  /** Atomic rename that never replaces an existing file (finalized files are never rewritten). */
  public static void moveIntoPlace(Path from, Path to) throws IOException {
    if (Files.exists(to)) {
      throw new FileAlreadyExistsException(to + " exists; lathe never overwrites a finalized file");
    }
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to);
    }
  }

  /**
   * What offsets, lengths and buffers of O_DIRECT writes to file must be aligned to (its file system's block
   * size), or 0 where that size is unusable (unknown, not a power of two, over 64 KiB). Whether the file system
   * takes O_DIRECT at all shows only when the file is opened with it.
   */
  public static int directIoBlock(Path file) throws IOException {
    long size = Files.getFileStore(file).getBlockSize();
    return size > 0 && size <= 64 * 1024 && Long.bitCount(size) == 1 ? (int) size : 0;
  }

  /** Makes a create or rename in the file's directory durable (POSIX: fsync the directory itself). */
  public static void fsyncDirectory(Path file) {
    Path dir = file.toAbsolutePath().getParent();
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException e) {
      // Some file systems refuse to open directories; the rename itself is still atomic there.
    }
  }

  public static Path partOf(Path target) {
    return target.resolveSibling(target.getFileName() + ".part");
  }

  public static Path journalOf(Path target) {
    return target.resolveSibling(target.getFileName() + ".journal");
  }
}
