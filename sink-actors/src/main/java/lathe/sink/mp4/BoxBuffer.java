package lathe.sink.mp4;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import lathe.sink.io.Io;

/**
 * Box serialization (ISO/IEC 14496-12 §4.2): big-endian fields, nested boxes whose 32-bit size is patched when
 * the box ends. Knows nothing about what the boxes mean; {@link Mp4Boxes} and {@link Mp4Writer} decide that.
 *
 * <p>A box whose payload is too big to build in memory (a sample table of millions of entries) is given as a
 * {@link #reserve hole}: it counts toward the enclosing sizes but is never allocated; its bytes are streamed
 * straight into the file afterwards at {@link Hole#position}.
 */
final class BoxBuffer {

  /** A reserved stretch of {@code length} bytes, at {@code position} in the file once written. */
  static final class Hole {
    final long offset;
    final long length;
    long position = -1;

    private Hole(long offset, long length) {
      this.offset = offset;
      this.length = length;
    }
  }

  private record Chunk(long offset, byte[] bytes, int length) {}

  private final List<Object> parts = new ArrayList<>(); // Chunk or Hole, in order
  private final Deque<Long> open = new ArrayDeque<>();
  private byte[] buf = new byte[256];
  private int len;
  private long flushed; // logical bytes before buf

  long position() {
    return flushed + len;
  }

  BoxBuffer start(String type) {
    open.push(position());
    u32(0);
    fourcc(type);
    return this;
  }

  /** A FullBox (§4.2): version and 24-bit flags after the header. */
  BoxBuffer fullBox(String type, int version, int flags) {
    start(type);
    u8(version);
    u24(flags);
    return this;
  }

  BoxBuffer end() {
    long begin = open.pop();
    long size = position() - begin;
    if (size > 0xFFFF_FFFFL) {
      throw new IllegalStateException("box larger than 4 GiB: " + size);
    }
    patch32(begin, size);
    return this;
  }

  Hole reserve(long length) {
    closeChunk();
    Hole hole = new Hole(flushed, length);
    parts.add(hole);
    flushed += length;
    return hole;
  }

  BoxBuffer u8(int v) {
    ensure(1);
    buf[len++] = (byte) v;
    return this;
  }

  BoxBuffer u16(int v) {
    return u8(v >>> 8).u8(v);
  }

  BoxBuffer u24(int v) {
    return u8(v >>> 16).u16(v);
  }

  BoxBuffer u32(long v) {
    return u16((int) (v >>> 16)).u16((int) v);
  }

  BoxBuffer u64(long v) {
    return u32(v >>> 32).u32(v);
  }

  BoxBuffer zeros(int n) {
    for (int i = 0; i < n; i++) {
      u8(0);
    }
    return this;
  }

  BoxBuffer bytes(byte[] b) {
    ensure(b.length);
    System.arraycopy(b, 0, buf, len, b.length);
    len += b.length;
    return this;
  }

  BoxBuffer fourcc(String s) {
    byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
    if (b.length != 4) {
      throw new IllegalArgumentException("not a four-character code: " + s);
    }
    return bytes(b);
  }

  /** Rewrites a 32-bit field at a logical offset already written (a box size, a count). */
  void patch32(long at, long v) {
    for (int i = 0; i < 4; i++) {
      put(at + i, (byte) (v >>> (24 - 8 * i)));
    }
  }

  /** Total length in bytes, holes included. */
  long length() {
    return position();
  }

  /** The bytes when there is no hole (small boxes: ftyp, initial moov, moof). */
  ByteBuffer toByteBuffer() {
    if (!open.isEmpty()) {
      throw new IllegalStateException("unclosed box");
    }
    closeChunk();
    ByteBuffer out = ByteBuffer.allocate((int) flushed);
    for (Object p : parts) {
      if (p instanceof Hole) {
        throw new IllegalStateException("buffer has holes; use writeTo");
      }
      Chunk c = (Chunk) p;
      out.put(c.bytes, 0, c.length);
    }
    return out.flip();
  }

  /** Writes everything but the holes at {@code position}; records each hole's file position. */
  void writeTo(FileChannel channel, long position) throws IOException {
    if (!open.isEmpty()) {
      throw new IllegalStateException("unclosed box");
    }
    closeChunk();
    for (Object p : parts) {
      if (p instanceof Hole h) {
        h.position = position + h.offset;
      } else {
        Chunk c = (Chunk) p;
        Io.writeFully(channel, ByteBuffer.wrap(c.bytes, 0, c.length), position + c.offset);
      }
    }
  }

  private void put(long at, byte b) {
    if (at >= flushed) {
      buf[(int) (at - flushed)] = b;
      return;
    }
    for (Object p : parts) {
      if (p instanceof Chunk c && at >= c.offset && at < c.offset + c.length) {
        c.bytes[(int) (at - c.offset)] = b;
        return;
      }
    }
    throw new IllegalStateException("patch inside a hole at " + at);
  }

  private void closeChunk() {
    if (len > 0) {
      parts.add(new Chunk(flushed, buf, len));
      flushed += len;
      buf = new byte[256];
      len = 0;
    }
  }

  private void ensure(int n) {
    if (len + n > buf.length) {
      byte[] bigger = new byte[Math.max(buf.length * 2, len + n)];
      System.arraycopy(buf, 0, bigger, 0, len);
      buf = bigger;
    }
  }
}
