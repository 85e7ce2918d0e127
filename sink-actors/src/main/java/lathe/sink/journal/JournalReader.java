package lathe.sink.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.CRC32C;
import lathe.protocol.JournalHeader;
import lathe.sink.container.SampleRecord;
import lathe.sink.container.SampleTable;

/**
 * Reads a journal. Opening scans it once to find the header, the number of intact records and where the torn
 * tail (if any) begins; {@link #samples} then streams sample records from disk on every pass, so reading a
 * journal of millions of samples takes constant memory.
 */
public final class JournalReader {
  private final Path path;
  private final JournalHeader header;
  private final long validBytes;
  private final long sampleCount;
  private final long markerCount;
  private final boolean torn;

  JournalReader(Path path, JournalHeader header, long validBytes, long samples, long markers,
      boolean torn) {
    this.path = path;
    this.header = header;
    this.validBytes = validBytes;
    this.sampleCount = samples;
    this.markerCount = markers;
    this.torn = torn;
  }

  public static JournalReader open(Path path) throws IOException {
    long size = Files.size(path);
    try (RecordStream in = new RecordStream(path, size)) {
      if (!in.next() || in.type != Journal.HEADER) {
        throw new IOException(path + " is not a lathe journal or has no header record");
      }
      JournalHeader header = JournalHeader.parseFrom(in.payload());
      long samples = 0;
      long markers = 0;
      while (in.next()) {
        if (in.type == Journal.SAMPLE) {
          samples++;
        } else if (in.type == Journal.MARKER) {
          markers++;
        }
      }
      return new JournalReader(path, header, in.valid, samples, markers, in.valid < size);
    }
  }

  /** Only the header record, without scanning the rest (the commit log's replay checks ids with it). */
  public static JournalHeader readHeader(Path path) throws IOException {
    try (RecordStream in = new RecordStream(path, Files.size(path))) {
      if (!in.next() || in.type != Journal.HEADER) {
        throw new IOException(path + " is not a lathe journal or has no header record");
      }
      return JournalHeader.parseFrom(in.payload());
    }
  }

  public JournalHeader header() {
    return header;
  }

  /** Bytes of intact records (everything after them is a torn tail). */
  public long validBytes() {
    return validBytes;
  }

  public boolean torn() {
    return torn;
  }

  public long markerCount() {
    return markerCount;
  }

  /** Every sample the journal holds. */
  public SampleTable samples() {
    return samples(Long.MAX_VALUE);
  }

  /**
   * The samples whose bytes lie within the first {@code dataLength} bytes of the data file, in write order,
   * stopping at the first that does not: what recovery may keep.
   */
  public SampleTable samples(long dataLength) {
    if (dataLength == Long.MAX_VALUE) {
      return table(sampleCount); // every sample fits: the count from open() holds, no pass needed
    }
    long[] whole = {0};
    try {
      forEachSample(s -> {
        if (s.end() > dataLength) {
          throw new Stop();
        }
        whole[0]++;
      }, Long.MAX_VALUE);
    } catch (Stop stop) {
      // whole[0] samples are complete in the data file
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return table(whole[0]);
  }

  private SampleTable table(long limit) {
    return new SampleTable() {
      @Override
      public long count() {
        return limit;
      }

      @Override
      public void forEach(SampleConsumer consumer) throws IOException {
        forEachSample(consumer, limit);
      }
    };
  }

  public long sampleCount() {
    return sampleCount;
  }

  private void forEachSample(SampleTable.SampleConsumer consumer, long limit) throws IOException {
    if (limit <= 0) {
      return;
    }
    try (RecordStream in = new RecordStream(path, validBytes)) {
      in.next(); // header
      long seen = 0;
      ByteBuffer b = in.buffer;
      while (in.next()) {
        if (in.type != Journal.SAMPLE) {
          continue;
        }
        if (in.payloadLength < Journal.SAMPLE_PAYLOAD) {
          throw new IOException(path + ": a sample record of " + in.payloadLength + " bytes is too short");
        }
        int at = in.payloadAt;
        int flags = b.get(at + 36);
        consumer.accept(new SampleRecord(b.getInt(at), b.getLong(at + 4), b.getLong(at + 12), b.getLong(at + 20),
            b.getLong(at + 28), (flags & Journal.FLAG_KEY) != 0, (flags & Journal.FLAG_DISCONTINUITY) != 0,
            b.getInt(at + 37), b.getLong(at + 41)));
        if (++seen >= limit) {
          return;
        }
      }
    }
  }

  private static final class Stop extends RuntimeException {
    Stop() {
      super(null, null, false, false);
    }
  }

  /**
   * Reads records up to a byte limit through one reused buffer (no allocation per record: a journal of millions
   * of samples is read three times per Finalize); {@code valid} is the end of the last intact one. After
   * {@link #next} returns true, {@code type} and the payload at {@code payloadAt} in {@code buffer} describe it.
   */
  private static final class RecordStream implements AutoCloseable {
    private final FileChannel channel;
    private final long limit;
    private final CRC32C crc = new CRC32C();
    private byte[] bytes = new byte[256 * 1024];
    ByteBuffer buffer = ByteBuffer.wrap(bytes);
    private long bufferAt; // file offset of bytes[0]
    private int filled;
    private long pos;
    long valid;
    byte type;
    int payloadAt;
    int payloadLength;

    RecordStream(Path path, long limit) throws IOException {
      this.channel = FileChannel.open(path, StandardOpenOption.READ);
      this.limit = limit;
      int magic = Journal.MAGIC.length;
      if (!available(magic)) {
        channel.close();
        throw new IOException(path + " is not a lathe journal (too short)");
      }
      if (!Arrays.equals(bytes, 0, magic, Journal.MAGIC, 0, magic)) {
        channel.close();
        throw new IOException(path + " is not a lathe journal");
      }
      pos = magic;
      valid = pos;
    }

    boolean next() throws IOException {
      if (limit - pos < 4 + 1 + 4 || !available(4)) {
        return false;
      }
      int length = buffer.getInt((int) (pos - bufferAt));
      if (length < 1 || length > Journal.MAX_RECORD || pos + 4 + length + 4 > limit || !available(4 + length + 4)) {
        return false;
      }
      int at = (int) (pos - bufferAt);
      crc.reset();
      crc.update(bytes, at + 4, length);
      if (buffer.getInt(at + 4 + length) != (int) crc.getValue()) {
        return false;
      }
      type = bytes[at + 4];
      payloadAt = at + 5;
      payloadLength = length - 1;
      pos += 4 + length + 4;
      valid = pos;
      return true;
    }

    byte[] payload() {
      return Arrays.copyOfRange(bytes, payloadAt, payloadAt + payloadLength);
    }

    /** Makes the {@code n} bytes at {@code pos} readable in the buffer; false at the end of the file. */
    private boolean available(int n) throws IOException {
      int start = (int) (pos - bufferAt);
      if (start + n <= filled) {
        return true;
      }
      int keep = filled - start;
      if (n > bytes.length) {
        byte[] bigger = new byte[n];
        System.arraycopy(bytes, start, bigger, 0, keep);
        bytes = bigger;
        buffer = ByteBuffer.wrap(bytes);
      } else {
        System.arraycopy(bytes, start, bytes, 0, keep);
      }
      bufferAt = pos;
      filled = keep;
      while (filled < n) {
        int r = channel.read(ByteBuffer.wrap(bytes, filled, bytes.length - filled), bufferAt + filled);
        if (r < 0) {
          return false;
        }
        filled += r;
      }
      return true;
    }

    @Override
    public void close() throws IOException {
      channel.close();
    }
  }
}
