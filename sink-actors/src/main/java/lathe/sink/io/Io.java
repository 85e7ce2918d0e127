package lathe.sink.io;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/** Positional reads and writes that finish the whole buffer (FileChannel may do less per call). */
public final class Io {
  private Io() {}

  public static void writeFully(FileChannel channel, ByteBuffer data, long position) throws IOException {
    long at = position;
    while (data.hasRemaining()) {
      at += channel.write(data, at);
    }
  }

  public static ByteBuffer readFully(FileChannel channel, long position, int length) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(length);
    long at = position;
    while (b.hasRemaining()) {
      int n = channel.read(b, at);
      if (n < 0) {
        throw new EOFException("file ends at " + at + " while reading " + length + " bytes at " + position);
      }
      at += n;
    }
    return b.flip();
  }
}
