package lathe.farm;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 of files and file ranges, read in 1 MiB blocks so memory does not follow the file's size. */
public final class Checksums {
  private static final int BLOCK = 1 << 20;

  private Checksums() {}

  public static String sha256(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      return sha256(ch, 0, ch.size());
    }
  }

  public static String sha256(Path file, long offset, long length) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      if (offset + length > ch.size()) {
        throw new IOException(file + " has " + ch.size() + " bytes, fewer than " + (offset + length));
      }
      return sha256(ch, offset, length);
    }
  }

  static String sha256(FileChannel ch, long offset, long length) throws IOException {
    MessageDigest md = digest();
    if (!eachBlock(ch, offset, length, b -> {
      md.update(b);
      return true;
    })) {
      throw new IOException("unexpected end of file before byte " + (offset + length));
    }
    return HexFormat.of().formatHex(md.digest());
  }

  /** True when {@code length} bytes from {@code offset} are all zero (digital silence, unwritten padding). */
  static boolean allZero(FileChannel ch, long offset, long length) throws IOException {
    return eachBlock(ch, offset, length, b -> {
      while (b.hasRemaining()) {
        if (b.get() != 0) {
          return false;
        }
      }
      return true;
    });
  }

  private interface Block {
    boolean take(ByteBuffer block);
  }

  /** Reads the range in 1 MiB blocks; false when {@code take} says stop or the file ends first. */
  private static boolean eachBlock(FileChannel ch, long offset, long length, Block take) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(BLOCK);
    long pos = offset;
    long end = offset + length;
    while (pos < end) {
      buf.clear().limit((int) Math.min(BLOCK, end - pos));
      int n = ch.read(buf, pos);
      if (n < 0) {
        return false;
      }
      buf.flip();
      if (!take.take(buf)) {
        return false;
      }
      pos += n;
    }
    return true;
  }

  static MessageDigest digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK always has SHA-256", e);
    }
  }
}
