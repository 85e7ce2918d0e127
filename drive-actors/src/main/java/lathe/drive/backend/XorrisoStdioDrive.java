package lathe.drive.backend;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import lathe.disc.Disc;
import lathe.disc.DiscException;
import lathe.disc.DriveError;
import lathe.disc.Track;

/**
 * The xorriso backend for data sessions: real libburn multisession on a {@code stdio:} pseudo-drive file. Such
 * a drive is "overwriteable media" with the host's free space as capacity, so the disc model decides what fits:
 * a session that turns out larger than the medium allows is undone byte for byte. The closed state is the
 * disc model's too (libburn keeps stdio files appendable).
 */
public final class XorrisoStdioDrive {
  private static final int HEAD_BYTES = 64 * 1024;

  private final Path image;

  public XorrisoStdioDrive(Path image) {
    this.image = image;
  }

  public String drive() {
    return "stdio:" + image;
  }

  /** Appends {@code paths} as one session on {@code before}'s medium and returns the data track it became. */
  public Track appendSession(Disc before, List<Path> paths, boolean close) throws IOException {
    long oldLength = Files.exists(image) ? Files.size(image) : -1;
    byte[] head = oldLength > 0 ? readRange(0, Math.min(HEAD_BYTES, oldLength)) : null;
    long tailFrom = oldLength > 0 ? Math.min(oldLength, Xorriso.nextWritableAddress(drive()) * 2048) : 0;
    byte[] tail = oldLength > 0 ? readRange(tailFrom, oldLength - tailFrom) : null;
    try {
      Xorriso.run(Xorriso.appendSession(drive(), paths, close));
      try (FileChannel ch = FileChannel.open(image, StandardOpenOption.WRITE)) {
        ch.force(true);
      }
      long grown = Files.size(image) - Math.max(0, oldLength);
      long sectors = (grown + 2047) / 2048;
      return before.planDataSession(sectors, String.join(" ", paths.stream().map(Path::toString).toList()));
    } catch (IOException | RuntimeException e) {
      rollBack(oldLength, head, tailFrom, tail);
      throw e;
    }
  }

  private byte[] readRange(long from, long length) throws IOException {
    if (length > Integer.MAX_VALUE - 8) {
      throw new DiscException(DriveError.IO_ERROR, "data image region too large to keep for undo: " + length);
    }
    try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
      ByteBuffer b = ByteBuffer.allocate((int) length);
      while (b.hasRemaining() && ch.read(b, from + b.position()) >= 0) {
        // read fully
      }
      return b.array();
    }
  }

  // xorriso writes a new session from the medium's next writable address (inside the old session's padding)
  // and rewrites the volume descriptors in the first 64 KiB (growisofs-style multisession on overwriteable
  // media): restoring both regions and the length undoes the session exactly.
  private void rollBack(long oldLength, byte[] head, long tailFrom, byte[] tail) throws IOException {
    if (oldLength < 0) {
      Files.deleteIfExists(image);
      return;
    }
    if (!Files.exists(image)) {
      return;
    }
    try (FileChannel ch = FileChannel.open(image, StandardOpenOption.WRITE)) {
      ch.truncate(oldLength);
      writeFully(ch, head, 0);
      writeFully(ch, tail, tailFrom);
      ch.force(true);
    }
  }

  private static void writeFully(FileChannel ch, byte[] bytes, long at) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    while (b.hasRemaining()) {
      ch.write(b, at + b.position());
    }
  }
}
