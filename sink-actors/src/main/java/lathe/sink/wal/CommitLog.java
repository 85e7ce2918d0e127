package lathe.sink.wal;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import lathe.sink.io.DurableFiles;

/**
 * A node's commit log (write-ahead log) for durability fsync. One fdatasync of one file makes the group commits
 * of every recording on the node durable at once, where each recording would otherwise fsync its own container
 * and journal: on a disk that takes 1–2 ms per fsync, a thousand live recordings cost a thousand fsyncs per
 * round and acknowledgements waited 100–400 ms (see README, "1,000 streams").
 *
 * <p>An {@link Entry} is the physical redo of one group commit of one recording: every write it made to
 * {@code NAME.part} and {@code NAME.journal} since its previous one, as (file, offset, bytes). Replaying a
 * recording's entries in order over what its files held at their last fsync gives exactly the files of its last
 * acknowledged commit ({@link CommitLogReplay}). A recording fsyncs its own files now and then in the background
 * and then reports them {@link #checkpointed}; a segment of the log whose entries are all checkpointed is
 * deleted. So the log's size follows the checkpoint interval, not the recording's length.
 *
 * <p>Threads of its own do the log's blocking I/O, never Pekko's default dispatcher: {@code lathe-commit-log}
 * writes and fdatasyncs, {@code lathe-commit-log-create} creates the next segment ahead of time and
 * {@code lathe-commit-log-delete} deletes checkpointed ones. Segment files ({@code START-RANDOM-SEQ.wal}) carry an
 * exclusive lock while their log is open, so that a node starting on the same folder replays only what a
 * stopped or crashed process left.
 *
 * <p>Segment layout, all big-endian: {@code MAGIC}, then records
 * <pre>
 *   u32 length   of type + payload
 *   u8  type     ENTRY
 *   u16 n, n bytes   the recording's final path (UTF-8)
 *   u64 u64      the recording's id (JournalHeader.commit_log_id)
 *   u32 writes, then per write: u8 file (CONTAINER | JOURNAL), i64 offset, i32 length (-1: truncate to offset),
 *                length bytes
 *   u32 crc32c   of type + payload
 * </pre>
 * A record that runs past the end of its segment or fails its CRC ends the segment (the torn tail of a crash,
 * never acknowledged), as does a length of 0: the zeros that fill the last block of an O_DIRECT round.
 */
public final class CommitLog implements AutoCloseable {

  static final byte[] MAGIC = {'L', 'A', 'T', 'H', 'E', 'W', 'L', '1'};
  static final byte ENTRY = 1;
  public static final byte CONTAINER = 0;
  public static final byte JOURNAL = 1;
  static final String SUFFIX = ".wal";
  /** Bound on one record, so that a corrupt length cannot make a reader allocate gigabytes. */
  static final int MAX_RECORD = 64 * 1024 * 1024;

  /** The writes of one group commit of one recording, in the order they were made. Not thread-safe. */
  public static final class Entry {
    private final long maxBytes;
    private final List<Write> writes = new ArrayList<>();
    private long bytes;
    private boolean overflowed;
    /** Some {@link #writtenToFile} range is not read back yet. */
    private boolean unread;

    /** maxBytes: an entry holding more is given up ({@link #overflowed}); its commit fsyncs the files instead. */
    public Entry(long maxBytes) {
      this.maxBytes = maxBytes;
    }

    /** Copies {@code data}'s remaining bytes (the caller may reuse the buffer); its position does not move. */
    public void write(byte file, long offset, ByteBuffer data) {
      write(file, offset, data, false);
    }

    /**
     * As {@link #write(byte, long, ByteBuffer)}; with {@code immutable} the entry keeps a view of {@code data}'s
     * remaining bytes instead of a copy, so their content must never change (a sample's {@code ByteString}).
     * With 1,000 live streams the copies of the samples were half of all the bytes the node allocated.
     */
    public void write(byte file, long offset, ByteBuffer data, boolean immutable) {
      int n = data.remaining();
      if (fits(n)) {
        ByteBuffer kept;
        if (immutable) {
          kept = data.slice();
        } else {
          byte[] copy = new byte[n];
          data.duplicate().get(copy);
          kept = ByteBuffer.wrap(copy);
        }
        writes.add(new Write(file, offset, kept, 0));
        bytes += n;
      }
    }

    /**
     * A write of {@code length} bytes that is already in the file at {@code offset}: the bytes are read back
     * by {@link #readBack} when the commit ends, if the entry has not overflowed by then. A commit of big
     * samples overflows after a few of them, and copying those into an entry that is thrown away took 9 % of
     * `bench mux`'s CPU (half of it zeroing the new arrays).
     */
    public void writtenToFile(byte file, long offset, int length) {
      if (fits(length)) {
        writes.add(new Write(file, offset, null, length));
        bytes += length;
        unread = true;
      }
    }

    /**
     * Reads back every {@link #writtenToFile} range from {@code container} (the CONTAINER file), as it is now.
     * Called when the commit's writes are done and before the next commit writes anything: a range that a later
     * write of the same commit changed reads the later bytes, and that write follows it in the entry anyway.
     * Bytes past the end of the file (cut by a later truncate of the same commit, which follows too) read as 0.
     */
    public void readBack(FileChannel container) throws IOException {
      if (!unread) {
        return;
      }
      for (int i = 0; i < writes.size(); i++) {
        Write w = writes.get(i);
        if (w.data() == null && w.inFile() > 0) {
          ByteBuffer b = ByteBuffer.allocate(w.inFile());
          while (b.hasRemaining() && container.read(b, w.offset() + b.position()) > 0) {
            // a positional read: the channel's position does not move
          }
          writes.set(i, new Write(w.file(), w.offset(), b.clear(), 0)); // all inFile bytes, zeros past the end
        }
      }
      unread = false;
    }

    /** Whether a write of length bytes would be kept (rather than overflow the entry). */
    public boolean wouldFit(int length) {
      return !overflowed && bytes + length <= maxBytes;
    }

    private boolean fits(int length) {
      if (overflowed || length == 0) {
        return false;
      }
      if (bytes + length > maxBytes) {
        overflowed = true;
        writes.clear();
        return false;
      }
      return true;
    }

    public void truncate(byte file, long size) {
      if (!overflowed) {
        writes.add(new Write(file, size, null, 0));
      }
    }

    public boolean overflowed() {
      return overflowed;
    }

    public boolean isEmpty() {
      return writes.isEmpty();
    }

    public long bytes() {
      return bytes;
    }

    List<Write> writes() {
      return writes;
    }
  }

  /**
   * data (its remaining bytes, read with absolute gets or a duplicate) null and inFile 0: truncate the file to
   * offset; data null and inFile > 0: not read back yet.
   */
  record Write(byte file, long offset, ByteBuffer data, int inFile) {}

  private sealed interface Task {}

  private record Append(UUID id, long n, byte[] path, Entry entry, CompletableFuture<Void> done) implements Task {}

  private record Checkpointed(UUID id, long n) implements Task {}

  private enum Stop implements Task { INSTANCE }

  /** One segment file and, per recording with entries in it, the number of its last entry there. */
  private static final class Segment {
    final Path path;
    final Map<UUID, Long> last = new HashMap<>();
    /** Open, and locked, until the segment is deleted or the log closes: no other process replays it meanwhile. */
    final FileChannel channel;
    final FileLock lock;
    /** What writes to it are aligned to: its file system's block size with O_DIRECT, 1 without. */
    final int block;

    Segment(Path path, FileChannel channel, FileLock lock, int block) {
      this.path = path;
      this.channel = channel;
      this.lock = lock;
      this.block = block;
    }

    void release() {
      try {
        lock.release();
        channel.close();
      } catch (IOException ignored) {
        // the file stays for the next start's replay
      }
    }
  }

  private final Path dir;
  private final long segmentBytes;
  private final String incarnation;
  private final LinkedBlockingQueue<Task> queue = new LinkedBlockingQueue<>();
  private final Thread thread;
  private final List<Segment> segments = new ArrayList<>();
  /** Per recording, its entries up to this number are in its own files on disk. */
  private final Map<UUID, Long> released = new HashMap<>();
  private final CRC32C crc = new CRC32C();
  private long lastSweep;
  private boolean rotatedNow;
  /** Whether segments are opened with O_DIRECT; turned off for good if the file system refuses it. */
  private volatile boolean direct;
  /**
   * Creates the next segment ahead of time, and {@link #deleter} deletes the swept ones (an unlink of 64 MiB
   * took 15–50 ms), so that neither holds up the log's thread, and with it every acknowledgement of the node.
   * Two threads: a creation never waits behind deletions.
   */
  private final ExecutorService creator = daemonExecutor("lathe-commit-log-create");
  private final ExecutorService deleter = daemonExecutor("lathe-commit-log-delete");
  /** The next segment, {@code segmentPath(sequence)}, being created by {@link #creator}. */
  private Future<Segment> next;
  /**
   * What writes to the current segment are aligned to (offset, length and buffer address): its
   * {@link Segment#block}.
   */
  private int block = 1;
  /** What the next round writes: buffer[0, position) belongs at {@link #base} in the current segment. */
  private ByteBuffer buffer = allocate(1024 * 1024, 1);
  /** Where buffer[0] belongs in the current segment; a multiple of {@link #block}. */
  private long base;
  private int sequence;
  /** The current segment's channel (null once the log is closed). */
  private FileChannel channel;
  /** Bytes of records (and magic) written to the current segment. */
  private long channelSize;
  private volatile IOException failure;
  private volatile boolean stopped;

  private CommitLog(Path dir, long segmentBytes, boolean direct) {
    this.dir = dir;
    this.segmentBytes = segmentBytes;
    this.direct = direct;
    this.incarnation = String.format("%013d", System.currentTimeMillis()) + "-"
        + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
    this.thread = new Thread(this::run, "lathe-commit-log");
    thread.setDaemon(true);
  }

  private static ExecutorService daemonExecutor(String name) {
    return Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    });
  }

  /** Opens a new log in {@code dir} (created if needed), with O_DIRECT where the file system has it. */
  public static CommitLog open(Path dir, long segmentBytes) throws IOException {
    return open(dir, segmentBytes, true);
  }

  /**
   * Opens a new log in {@code dir} (created if needed); segments of other logs there are left alone. direct:
   * write the segments with O_DIRECT if the file system allows it (see {@link #flushBuffer}).
   */
  public static CommitLog open(Path dir, long segmentBytes, boolean direct) throws IOException {
    Files.createDirectories(dir);
    CommitLog log = new CommitLog(dir.toAbsolutePath().normalize(), Math.max(segmentBytes, 64 * 1024), direct);
    try {
      log.rotate();
    } catch (IOException | RuntimeException e) {
      log.creator.shutdownNow();
      log.deleter.shutdownNow();
      throw e;
    }
    log.thread.start();
    return log;
  }

  public Path dir() {
    return dir;
  }

  /**
   * Completes once the entry is on stable storage, or exceptionally if the log cannot write it (the recording
   * must then fail: its acknowledgement cannot be given). n numbers the recording's entries from 1 upwards.
   */
  public CompletableFuture<Void> append(UUID id, long n, Path target, Entry entry) {
    return append(id, n, pathBytes(target), entry);
  }

  /** The form of a recording's path that its entries carry: absolute, as the replay may run from elsewhere. */
  public static byte[] pathBytes(Path target) {
    return target.toAbsolutePath().normalize().toString().getBytes(StandardCharsets.UTF_8);
  }

  /** As {@link #append(UUID, long, Path, Entry)}, with the path as {@link #pathBytes} gave it (not copied). */
  public CompletableFuture<Void> append(UUID id, long n, byte[] path, Entry entry) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    if (entry.overflowed() || entry.unread) {
      done.completeExceptionally(new IllegalArgumentException(
          entry.overflowed() ? "an overflowed entry is not logged" : "an entry's file writes were not read back"));
      return done;
    }
    IOException f = failure;
    if (f != null || stopped) {
      done.completeExceptionally(f != null ? f : new IOException("the commit log " + dir + " is closed"));
      return done;
    }
    queue.add(new Append(id, n, path, entry, done));
    return done;
  }

  /** The recording's entries up to n are in its own fsynced files (Long.MAX_VALUE: all, it is finalized). */
  public void checkpointed(UUID id, long n) {
    if (!stopped) {
      queue.add(new Checkpointed(id, n));
    }
  }

  /**
   * Stops the thread once what is queued is written, and waits for it (a second call waits too); segments
   * still needed stay for the next start.
   */
  @Override
  public synchronized void close() {
    if (!stopped) {
      stopped = true;
      queue.add(Stop.INSTANCE);
    }
    try {
      thread.join(30_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void run() {
    List<Task> batch = new ArrayList<>();
    List<Append> written = new ArrayList<>();
    boolean stop = false;
    while (!stop) {
      try {
        batch.add(queue.take());
      } catch (InterruptedException e) {
        break;
      }
      queue.drainTo(batch);
      boolean sweep = false;
      for (Task t : batch) {
        if (t instanceof Append a) {
          written.add(a);
        } else if (t instanceof Checkpointed c) {
          released.merge(c.id(), c.n(), Math::max);
          sweep = true;
        } else {
          stop = true;
        }
      }
      batch.clear();
      if (!written.isEmpty()) {
        boolean rotated = writeAll(written);
        rotatedNow |= rotated;
        sweep |= rotated;
        written.clear();
      }
      if (sweep) {
        sweep(rotatedNow);
        rotatedNow = false;
      }
    }
    // An append that raced close() (it found the log open, then queued behind Stop) must not wait forever.
    IOException closed = new IOException("the commit log " + dir + " is closed");
    for (Task t : queue) {
      if (t instanceof Append a) {
        a.done().completeExceptionally(closed);
      }
    }
    closeSegment();
    sweep(true); // with the log closed, the last segment is swept too
    segments.forEach(Segment::release); // what is left is the next start's to replay
    if (next != null) {
      Future<Segment> unused = next;
      deleter.execute(() -> {
        try {
          Segment s = unused.get();
          s.release();
          deleteQuietly(s.path);
        } catch (ExecutionException | InterruptedException e) {
          // not created: nothing to delete
        }
      });
    }
    creator.shutdown();
    deleter.shutdown();
    try {
      creator.awaitTermination(30, TimeUnit.SECONDS);
      deleter.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Writes and fdatasyncs the entries, then completes them; returns whether a segment was closed. */
  private boolean writeAll(List<Append> appends) {
    IOException f = failure;
    boolean rotated = false;
    if (f == null) {
      try {
        for (Append a : appends) {
          if (channelSize >= segmentBytes) {
            flushBuffer();
            channel.force(false);
            rotate();
            rotated = true;
          }
          serialize(a);
          segments.get(segments.size() - 1).last.merge(a.id(), a.n(), Math::max);
        }
        flushBuffer();
        channel.force(false);
      } catch (IOException | RuntimeException e) {
        failure = f = e instanceof IOException io ? io : new IOException(e.toString(), e);
      }
    }
    for (Append a : appends) {
      if (f == null) {
        a.done().complete(null);
      } else {
        a.done().completeExceptionally(f);
      }
    }
    return rotated;
  }

  private void serialize(Append a) throws IOException {
    int payload = 2 + a.path().length + 16 + 4;
    for (Write w : a.entry().writes()) {
      payload += 1 + 8 + 4 + (w.data() == null ? 0 : w.data().remaining());
    }
    int length = 1 + payload;
    if (length > MAX_RECORD) {
      throw new IOException("commit log entry of " + length + " bytes is over the bound of " + MAX_RECORD);
    }
    ensure(4 + length + 4);
    int start = buffer.position();
    buffer.putInt(length).put(ENTRY).putShort((short) a.path().length).put(a.path())
        .putLong(a.id().getMostSignificantBits()).putLong(a.id().getLeastSignificantBits())
        .putInt(a.entry().writes().size());
    for (Write w : a.entry().writes()) {
      buffer.put(w.file()).putLong(w.offset()).putInt(w.data() == null ? -1 : w.data().remaining());
      if (w.data() != null) {
        buffer.put(w.data().duplicate());
      }
    }
    crc.reset();
    ByteBuffer body = buffer.duplicate();
    body.limit(buffer.position()).position(start + 4);
    crc.update(body);
    buffer.putInt((int) crc.getValue());
  }

  private void ensure(int bytes) throws IOException {
    if (buffer.remaining() >= bytes) {
      return;
    }
    flushBuffer();
    if (buffer.remaining() < bytes) {
      resize(buffer.position() + bytes);
    }
  }

  /**
   * Writes buffer[0, position) at {@link #base}. With O_DIRECT the write runs to the end of its last block,
   * zero-filled: the log carries every sample of every live stream and is read only after a crash, so its
   * pages need not fill the page cache, nor cost a copy into it and a writeback at fdatasync (with 1,000 live
   * streams the log's writes and fdatasync fell from about 5 % to 3 % of the node's CPU samples; README,
   * Benchmarks). The bytes of that last, partial block stay in the buffer and are written again, with what
   * follows them, by the next round. The zeros after the last record read as a length of 0, which ends a
   * segment's replay like any torn tail; a rewrite puts the same bytes back before the new ones, so a crash
   * during it leaves the acknowledged records as they were.
   */
  private void flushBuffer() throws IOException {
    int n = buffer.position();
    int padded = (n + block - 1) / block * block;
    for (int i = n; i < padded; i++) {
      buffer.put(i, (byte) 0);
    }
    ByteBuffer out = buffer.duplicate();
    out.limit(padded).position(0);
    long at = base;
    while (out.hasRemaining()) {
      at += channel.write(out, at);
    }
    channelSize = base + n;
    int full = n / block * block;
    buffer.limit(n).position(full);
    buffer.compact(); // the partial block's bytes (none without O_DIRECT) move to the front
    base += full;
    if (buffer.capacity() > 4 * 1024 * 1024) {
      resize(1024 * 1024);
    }
  }

  /** A new buffer of at least capacity bytes with what this one holds. */
  private void resize(int capacity) {
    ByteBuffer b = allocate(Math.max(capacity, buffer.position()), block);
    b.put(buffer.flip());
    buffer = b;
  }

  /** A direct buffer of at least capacity bytes (a multiple of align) whose address is a multiple of align. */
  static ByteBuffer allocate(int capacity, int align) {
    int c = (capacity + align - 1) / align * align;
    ByteBuffer b = ByteBuffer.allocateDirect(c + align - 1).alignedSlice(align);
    b.limit(c);
    return b.slice();
  }

  /**
   * Closes the current segment and goes on in the next one, created ahead of time; then has the one after it
   * created.
   */
  private void rotate() throws IOException {
    closeSegment();
    Segment s;
    try {
      s = next != null ? next.get() : createSegment(segmentPath(sequence));
    } catch (ExecutionException e) {
      throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause().toString(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while opening the commit log's next segment", e);
    }
    Path following = segmentPath(++sequence);
    next = creator.submit(() -> createSegment(following));
    segments.add(s);
    channel = s.channel;
    if (s.block != block) {
      block = s.block;
      buffer = allocate(1024 * 1024, block); // aligned to this file system's blocks
    }
    buffer.clear();
    base = MAGIC.length / block * block; // the magic is on disk; its partial block (O_DIRECT) is rewritten
    buffer.put(MAGIC, (int) base, MAGIC.length - (int) base);
    channelSize = MAGIC.length;
  }

  /** START-RANDOM-SEQ.wal, zero-padded: name order is write order (CommitLogReplay). */
  private Path segmentPath(int seq) {
    return dir.resolve(incarnation + "-" + String.format("%06d", seq) + SUFFIX);
  }

  /**
   * Creates a segment: locked, the magic written and fsynced, then renamed from {@code NAME.new} to its name and
   * the folder fsynced, so that a replay (another process on the same folder) never finds it unlocked, and the
   * file is there after a crash. With O_DIRECT where the file system allows it (tmpfs and some others refuse it).
   */
  private Segment createSegment(Path p) throws IOException {
    Path tmp = p.resolveSibling(p.getFileName() + ".new");
    Files.deleteIfExists(tmp);
    Files.createFile(tmp);
    FileChannel ch = null;
    int align = 1;
    if (direct) {
      try {
        int size = DurableFiles.directIoBlock(tmp);
        if (size > 0) {
          align = size;
          ch = FileChannel.open(tmp, StandardOpenOption.READ, StandardOpenOption.WRITE, ExtendedOpenOption.DIRECT);
          writeMagic(ch, align); // also proves that writes of this alignment are taken
        }
      } catch (IOException | UnsupportedOperationException e) {
        if (ch != null) {
          ch.close();
        }
        ch = null; // the page cache it is, for this log
      }
      direct = ch != null;
    }
    if (ch == null) {
      align = 1;
      ch = FileChannel.open(tmp, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }
    try {
      FileLock lock = ch.lock(); // held across the rename: the lock is the file's, not the name's
      if (align == 1) {
        writeMagic(ch, 1);
      }
      ch.force(true);
      Files.move(tmp, p, StandardCopyOption.ATOMIC_MOVE);
      DurableFiles.fsyncDirectory(p);
      return new Segment(p, ch, lock, align);
    } catch (IOException | RuntimeException e) {
      ch.close();
      Files.deleteIfExists(tmp);
      throw e;
    }
  }

  /** MAGIC at 0; with O_DIRECT (align > 1) the rest of its block is zeros. */
  private static void writeMagic(FileChannel ch, int align) throws IOException {
    ByteBuffer magic = allocate(MAGIC.length, align);
    magic.put(MAGIC).clear();
    while (magic.hasRemaining()) {
      ch.write(magic, magic.position());
    }
  }

  /** Makes the current segment durable; it stays open (and locked) until deleted or the log closes. */
  private void closeSegment() {
    if (channel == null) {
      return;
    }
    try {
      if (failure == null) {
        channel.force(false);
      }
    } catch (IOException e) {
      failure = e;
    }
    channel = null;
  }

  /**
   * Deletes every closed segment whose entries are all checkpointed. Runs at most every 100 ms (checkpoints of a
   * thousand recordings arrive hundreds of times a second) and at each rotation; the current segment is never
   * deleted, so it is not looked at.
   */
  private void sweep(boolean now) {
    long t = System.nanoTime();
    if (!now && t - lastSweep < 100_000_000L) {
      return;
    }
    lastSweep = t;
    for (Iterator<Segment> it = segments.iterator(); it.hasNext(); ) {
      Segment s = it.next();
      if (channel != null && s == segments.get(segments.size() - 1)) {
        continue;
      }
      s.last.entrySet().removeIf(e -> e.getValue() <= released.getOrDefault(e.getKey(), 0L));
      if (s.last.isEmpty()) {
        it.remove();
        deleteLater(s);
      }
    }
    if (now) {
      // what no segment refers to any more: later entries of those recordings have higher numbers anyway
      java.util.Set<UUID> referenced = new java.util.HashSet<>();
      segments.forEach(s -> referenced.addAll(s.last.keySet()));
      released.keySet().retainAll(referenced);
    }
  }

  /** Deletes the segment on {@link #deleter}; after it stopped (it does not, before the log's thread ends), here. */
  private void deleteLater(Segment s) {
    try {
      deleter.execute(() -> {
        s.release();
        deleteQuietly(s.path);
      });
    } catch (RejectedExecutionException e) {
      s.release();
      deleteQuietly(s.path);
    }
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException ignored) {
      // replay at the next start skips entries whose recordings are finalized
    }
  }
}
