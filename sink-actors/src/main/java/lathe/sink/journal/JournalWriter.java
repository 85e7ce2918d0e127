package lathe.sink.journal;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import lathe.protocol.JournalHeader;
import lathe.sink.container.SampleRecord;
import lathe.sink.wal.CommitLog;

/**
 * Appends journal records. Records collect in a buffer and reach the file on {@link #flush}, which the writer
 * actor calls at each group commit after the media data is written and before it is acknowledged.
 */
public final class JournalWriter implements Closeable {
  private final FileChannel channel;
  private final Path path;
  private final JournalHeader header;
  private ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
  private long records;
  private long samples;
  private long markers;
  private long flushedBytes;
  /** buffer[0, logged) is in the commit log but not in the file. */
  private int logged;

  private JournalWriter(FileChannel channel, Path path, JournalHeader header) {
    this.channel = channel;
    this.path = path;
    this.header = header;
  }

  /** Creates a new journal (the file must not exist) and writes its header record. */
  public static JournalWriter create(Path path, JournalHeader header) throws IOException {
    FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    JournalWriter w = new JournalWriter(ch, path, header);
    w.ensure(Journal.MAGIC.length);
    w.buffer.put(Journal.MAGIC);
    byte[] h = header.toByteArray();
    w.begin(Journal.HEADER, h.length);
    w.buffer.put(h);
    w.end();
    return w;
  }

  public void appendSample(SampleRecord s) {
    begin(Journal.SAMPLE, Journal.SAMPLE_PAYLOAD);
    buffer.putInt(s.stream()).putLong(s.seq()).putLong(s.pts()).putLong(s.dts()).putLong(s.duration())
        .put((byte) ((s.key() ? Journal.FLAG_KEY : 0) | (s.discontinuity() ? Journal.FLAG_DISCONTINUITY : 0)))
        .putInt(s.size()).putLong(s.offset());
    end();
    samples++;
  }

  public void appendMarker(int stream, byte[] context) {
    begin(Journal.MARKER, 4 + context.length);
    buffer.putInt(stream).put(context);
    end();
    markers++;
  }

  public void appendTick(int stream, long time) {
    begin(Journal.TICK, 12);
    buffer.putInt(stream).putLong(time);
    end();
  }

  /** Writes buffered records to the file (OS cache), whether or not they are in the commit log yet. */
  public void flush() throws IOException {
    buffer.flip();
    while (buffer.hasRemaining()) {
      flushedBytes += channel.write(buffer);
    }
    buffer.clear();
    logged = 0;
    if (buffer.capacity() > 1024 * 1024) {
      buffer = ByteBuffer.allocate(64 * 1024);
    }
  }

  /**
   * Copies the records appended since the last call into the commit log's entry, and keeps them here: they reach
   * the file with a later {@link #writeOutLogged} or {@link #flush}, before the file's next fsync. With the log
   * holding them, writing them at every group commit would only cost a system call per commit.
   */
  public void log(CommitLog.Entry entry) {
    ByteBuffer fresh = buffer.duplicate();
    fresh.limit(buffer.position()).position(logged);
    entry.write(CommitLog.JOURNAL, flushedBytes + logged, fresh);
    logged = buffer.position();
  }

  /** Bytes that {@link #log} copied to the log and that are not in the file yet. */
  public int loggedNotWritten() {
    return logged;
  }

  /**
   * Writes the records already in the log to the file (OS cache); later ones stay here until they are logged
   * themselves, so that the file never holds a record that neither the log nor an fsync of the file will keep.
   */
  public void writeOutLogged() throws IOException {
    if (logged == 0) {
      return;
    }
    ByteBuffer out = buffer.duplicate();
    out.limit(logged).position(0);
    while (out.hasRemaining()) {
      flushedBytes += channel.write(out);
    }
    buffer.limit(buffer.position()).position(logged);
    buffer.compact();
    logged = 0;
  }

  /** Flushes and fsyncs. */
  public void force() throws IOException {
    flush();
    channel.force(false);
  }

  /**
   * fsyncs what earlier flushes wrote, touching no buffer: a background checkpoint may call it while the writer
   * goes on appending and flushing on its own thread.
   */
  public void forceFile() throws IOException {
    channel.force(false);
  }

  public long records() {
    return records;
  }

  /**
   * A reader of everything appended so far, after a {@link #force}: this writer knows its records are whole and
   * how many there are, so Finalize does not scan (and CRC-check) a journal of millions of records it has just
   * written. Recovery, which cannot know, uses {@link JournalReader#open}.
   */
  public JournalReader reader() throws IOException {
    if (buffer.position() > 0) {
      throw new IllegalStateException("force() the journal before reading it");
    }
    return new JournalReader(path, header, flushedBytes, samples, markers, false);
  }

  @Override
  public void close() throws IOException {
    try {
      flush();
    } finally {
      channel.close();
    }
  }

  private int start;

  private void begin(byte type, int payload) {
    ensure(4 + 1 + payload + 4);
    start = buffer.position();
    buffer.putInt(1 + payload).put(type);
  }

  private void end() {
    int crc = Journal.crc(buffer, start + 4, buffer.position());
    buffer.putInt(crc);
    records++;
  }

  /**
   * Grows the buffer rather than writing early: a record must not reach the file before the media bytes it
   * points at are durable, and {@link #flush} is the point where they are.
   */
  private void ensure(int bytes) {
    if (buffer.remaining() >= bytes) {
      return;
    }
    ByteBuffer bigger = ByteBuffer.allocate(Math.max(buffer.capacity() * 2, buffer.position() + bytes));
    buffer.flip();
    bigger.put(buffer);
    buffer = bigger;
  }
}
