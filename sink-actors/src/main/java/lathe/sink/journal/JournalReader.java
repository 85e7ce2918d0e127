package lathe.sink.journal;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
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

  private JournalReader(Path path, JournalHeader header, long validBytes, long samples, long markers,
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
      Record first = in.next();
      if (first == null || first.type != Journal.HEADER) {
        throw new IOException(path + " is not a lathe journal or has no header record");
      }
      JournalHeader header = JournalHeader.parseFrom(first.payload);
      long samples = 0;
      long markers = 0;
      Record r;
      while ((r = in.next()) != null) {
        if (r.type == Journal.SAMPLE) {
          samples++;
        } else if (r.type == Journal.MARKER) {
          markers++;
        }
      }
      return new JournalReader(path, header, in.valid, samples, markers, in.valid < size);
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
    long limit = whole[0];
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
      Record r;
      while ((r = in.next()) != null) {
        if (r.type != Journal.SAMPLE) {
          continue;
        }
        ByteBuffer b = ByteBuffer.wrap(r.payload);
        int stream = b.getInt();
        long seq = b.getLong();
        long pts = b.getLong();
        long dts = b.getLong();
        long duration = b.getLong();
        int flags = b.get();
        int size = b.getInt();
        long offset = b.getLong();
        consumer.accept(new SampleRecord(stream, seq, pts, dts, duration,
            (flags & Journal.FLAG_KEY) != 0, (flags & Journal.FLAG_DISCONTINUITY) != 0, size, offset));
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

  private record Record(byte type, byte[] payload) {}

  /** Reads records up to a byte limit; {@code valid} is the end of the last intact one. */
  private static final class RecordStream implements AutoCloseable {
    private final DataInputStream in;
    private final long limit;
    private long pos;
    long valid;
    private byte[] scratch = new byte[256];

    RecordStream(Path path, long limit) throws IOException {
      InputStream raw = Files.newInputStream(path);
      this.in = new DataInputStream(new BufferedInputStream(raw, 256 * 1024));
      this.limit = limit;
      byte[] magic = new byte[Journal.MAGIC.length];
      try {
        in.readFully(magic);
      } catch (EOFException e) {
        throw new IOException(path + " is not a lathe journal (too short)");
      }
      if (!Arrays.equals(magic, Journal.MAGIC)) {
        in.close();
        throw new IOException(path + " is not a lathe journal");
      }
      pos = magic.length;
      valid = pos;
    }

    Record next() throws IOException {
      if (limit - pos < 4 + 1 + 4) {
        return null;
      }
      int length = in.readInt();
      if (length < 1 || length > Journal.MAX_RECORD || pos + 4 + length + 4 > limit) {
        return null;
      }
      if (scratch.length < 4 + length) {
        scratch = new byte[4 + length];
      }
      ByteBuffer.wrap(scratch).putInt(length);
      in.readFully(scratch, 4, length);
      int crc = in.readInt();
      if (crc != Journal.crc(ByteBuffer.wrap(scratch), 4, 4 + length)) {
        return null;
      }
      pos += 4 + length + 4;
      valid = pos;
      return new Record(scratch[4], Arrays.copyOfRange(scratch, 5, 4 + length));
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }
}
