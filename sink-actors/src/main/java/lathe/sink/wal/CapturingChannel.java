package lathe.sink.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import lathe.sink.io.Io;

/**
 * A container's file channel that also copies every write into the current {@link CommitLog.Entry}, so that
 * the commit log holds exactly what the container writer wrote (samples, box headers, size fields), whatever
 * the format. {@code force} is the caller's business. Used from the writer actor's thread only (the background
 * fsync uses the real channel, after {@link #flush}).
 *
 * <p>While an entry is being captured, small writes are held here (write-back) rather than handed to the file
 * at once: the log already has them, so the file only needs them by the next fsync of the file (a checkpoint,
 * a big commit, Finalize), which {@link #flush}es first. Many live streams write a 20 ms sample and rewrite the
 * header's size fields at every commit; one {@code pwrite} of up to {@code writeBackBytes} then replaces dozens
 * of small ones, which otherwise took most of the writer threads' time in the kernel. Held writes are merged
 * (a later one over an earlier one), so a rewritten size field is written once. At most {@code writeBackBytes}
 * are held; reads, size, truncate and every other use of the file see the held bytes or flush them first.
 *
 * <p>Big writes of commits too big for the log may go to the file with O_DIRECT ({@link #directBigWrites}), and so
 * may the whole blocks of the held writes ({@link #directHeldWrites}).
 */
public final class CapturingChannel extends FileChannel {
  /**
   * A held range of the file: buf[0, len) belongs at start. Slots are kept and reused, with their buffers, from
   * one flush to the next, and never move: holding a write per commit allocates nothing and stores no new
   * object into a long-lived one (each such store is a card for G1 to refine).
   */
  private static final class Extent {
    boolean active;
    long start;
    byte[] buf = new byte[64];
    int len;

    long end() {
      return start + len;
    }
  }

  private final FileChannel file;
  private final byte kind;
  private final int writeBackBytes;
  private CommitLog.Entry entry;
  /** A buffer whose content never changes: a write from it is kept in the entry by reference, not copied. */
  private ByteBuffer immutable;
  /** Held writes: the active slots are non-overlapping and do not touch one another; in no order. */
  private Extent[] slots = {new Extent(), new Extent(), new Extent(), new Extent()};
  private int active;
  private long heldBytes;

  // ---- writes with O_DIRECT (see #directBigWrites, #directHeldWrites); all unused while directFile is null ----
  /** Bytes gathered for one write with O_DIRECT: what the disk took fastest here (README, Benchmarks). */
  static final int RUN_BYTES = 1024 * 1024;
  /**
   * Run buffers per channel: one being gathered, one being written, one waiting to be written. With only two, the
   * disk waited between writes for the writer thread to wake up and hand it the next run (about 0.12 ms a write,
   * 15 % of a stream of big samples' time; README, Benchmarks); with a run always waiting, the writes follow one
   * another at once.
   */
  static final int RUN_BUFFERS = 3;
  /** The largest block O_DIRECT may need aligning to ({@link lathe.sink.io.DurableFiles#directIoBlock}'s bound). */
  private static final int MAX_BLOCK = 64 * 1024;
  /** The same file opened with O_DIRECT, or null. */
  private FileChannel directFile;
  /** Big writes go to directFile in runs ({@link #directBigWrites}). */
  private boolean directBig;
  /** The whole blocks of held writes go to directFile ({@link #directHeldWrites}). */
  private boolean directHeld;
  /**
   * Per thread: where the whole blocks of a held write are copied for O_DIRECT. A held range is under twice
   * writeBackBytes; a longer one goes in several writes.
   */
  private static final ThreadLocal<ByteBuffer> HELD_BLOCKS =
      ThreadLocal.withInitial(() -> CommitLog.allocate(256 * 1024, MAX_BLOCK));
  /** False once the file system refused a write with O_DIRECT: the page cache from then on. */
  private volatile boolean directWorks = true;
  private Executor directWriter;
  private int block;
  /** The run being gathered, aligned to block: [0, position) belongs at stagedAt, a multiple of block. */
  private ByteBuffer staged;
  /** -1: no run. */
  private long stagedAt = -1;
  /** Runs begun so far (tests: which writes join a run). */
  private long runsStarted;
  /**
   * Blocks of the run that small writes joined (a fragment's mdat header, rewritten once the fragment closes):
   * their start, until the run hands them to the disk. Then {@link #recent} keeps a copy of each.
   */
  private final ArrayList<Long> watched = new ArrayList<>();
  /**
   * The content of a few such blocks as the run wrote them, kept up to date with the held writes written over
   * them since ({@link #flushThen}): a held write inside one goes to the page cache as the whole block, which
   * needs no read of the block first. (O_DIRECT left it out of the page cache; a partial write made the kernel
   * read it back from the disk, up to 3.5 ms behind an fsync's cache flush.) Cleared whenever the file may
   * change some other way.
   */
  private final LinkedHashMap<Long, byte[]> recent = new LinkedHashMap<>();
  private static final int RECENT_BLOCKS = 8;
  /** Whole blocks written for held writes (tests). */
  private long wholeBlockHeldWrites;
  /** Guards the fields below, shared with the thread that writes the runs ({@link #drain}). */
  private final Object runs = new Object();
  /** Work handed to the thread that writes runs, in order; the first may be under way. */
  private final ArrayDeque<Task> queued = new ArrayDeque<>();
  /** Where the queued writes end, at most (for {@link #size}). */
  private long queuedEnd;
  /** Run buffers not in use. */
  private final ArrayDeque<ByteBuffer> free = new ArrayDeque<>();
  /** Run buffers allocated, at most RUN_BUFFERS. */
  private int buffers;
  /** A drain is running or about to: it writes every queued run. */
  private boolean draining;
  /** The first failed write of a run, or null: this channel's failure from then on. */
  private IOException runFailure;
  /** The entry before this one overflowed: this one will too, most likely (a stream of big samples). */
  private boolean bigCommits;

  /** writeBackBytes: hold up to this many bytes of writes smaller than that while capturing (0: none). */
  public CapturingChannel(FileChannel file, byte kind, int writeBackBytes) {
    this.file = file;
    this.kind = kind;
    this.writeBackBytes = Math.max(0, writeBackBytes);
  }

  /**
   * From now on, a big write (writeBackBytes or more) made while capturing goes to the file with O_DIRECT if the
   * log will most likely not take it: the entry would overflow with it, or the entry before overflowed (a
   * stream of big samples, whose commits fsync the files instead of going to the log). Such writes are gathered
   * into aligned runs of whole blocks: the disk reads them from this process's memory, with no copy into the
   * page cache and nothing left for the next fsync to write back. Full runs are written by {@code writer} (whose
   * threads never wait for a channel), one write at a time and in order, while the next ones are gathered; at
   * most {@link #RUN_BUFFERS} runs exist at once, so the writer thread waits when the disk is slower. A run's
   * partial last block goes through the page cache when the run ends ({@link #endRun}; any flush, read, force,
   * or a big write elsewhere ends it), so that the file then has exactly what was written. The next run begins by
   * reading that block back. An entry that does not overflow after all takes its big writes' bytes from the
   * file ({@link #readBack}). direct: the same file opened with
   * {@code ExtendedOpenOption.DIRECT}; block: what its offsets, lengths and buffers must be aligned to. If the
   * file system refuses a write with O_DIRECT, the page cache takes it and every later one.
   */
  public void directBigWrites(FileChannel direct, int block, Executor writer) {
    useDirect(direct, block);
    this.directWriter = Objects.requireNonNull(writer);
    this.directBig = true;
  }

  /**
   * From now on, the held writes' whole blocks go to the file with O_DIRECT, from this process's memory: only
   * the partial blocks at either end of a held range go through the page cache. Many live streams write
   * hundreds of MB a second between them; each byte that goes through the page cache is copied into a page that
   * was allocated for it, and filling new pages was most of the writer threads' CPU on a virtual machine (README,
   * Benchmarks). Each such write waits for the disk on this thread, which a recording fed faster than real time
   * cannot afford: while its commits overflow the log (this one, or the one before), the page cache takes its
   * held writes as before. The file has every held byte after {@link #flush} all the same. direct and block as
   * for {@link #directBigWrites} (the same channel, if both are used).
   */
  public void directHeldWrites(FileChannel direct, int block) {
    useDirect(direct, block);
    this.directHeld = true;
  }

  /** What the thread that writes runs does, in order ({@link #drain}). */
  private sealed interface Task {}

  /** Whole blocks for O_DIRECT: buf's remaining bytes belong at at. */
  private record Run(ByteBuffer buf, long at) implements Task {}

  /** A copy of bytes for the page cache, at at ({@link #flushThen}). */
  private record Plain(ByteBuffer bytes, long at) implements Task {}

  /** Runs once every task before it is done, with the first failure among all so far, or null. */
  private record Then(Consumer<IOException> action) implements Task {}

  private void useDirect(FileChannel direct, int block) {
    if (block <= 0 || block > MAX_BLOCK || Integer.bitCount(block) != 1) {
      throw new IllegalArgumentException("block " + block + ": a power of two up to " + MAX_BLOCK + " expected");
    }
    if (directFile != null && directFile != direct) {
      throw new IllegalStateException("one O_DIRECT channel per file");
    }
    this.directFile = Objects.requireNonNull(direct);
    this.block = block;
  }

  /**
   * The next writes from {@code src} (this very buffer, e.g. a sample's {@code ByteString} view) may be kept in
   * the entry without a copy, for its content never changes; null ends that.
   */
  public void immutableSource(ByteBuffer src) {
    this.immutable = src;
  }

  /** Writes from now on go into this entry. */
  public void capture(CommitLog.Entry e) {
    bigCommits = entry != null && entry.overflowed();
    this.entry = Objects.requireNonNull(e);
  }

  /** Writes from now on go into no entry, straight to the file; what is held is flushed first. */
  public void captureNone() throws IOException {
    flush();
    this.entry = null;
  }

  /**
   * The entry takes the bytes of its big writes from the file ({@link CommitLog.Entry#readBack}), once a run of
   * O_DIRECT writes that may hold some of them has ended. Held writes stay held: the entry has their bytes.
   */
  public void readBack(CommitLog.Entry e) throws IOException {
    endRun();
    e.readBack(file);
  }

  /**
   * Hands every held write to the file (the OS cache, or the disk for whole blocks, {@link #directHeldWrites}),
   * the highest offset first: appended samples land before the header fields that count them, as the writer
   * wrote them, so that a process killed between two of these writes leaves a header that never claims more
   * than the file holds.
   */
  public void flush() throws IOException {
    endRun();
    recent.clear(); // held writes go to the file below, not into the copies
    while (active > 0) {
      Extent x = highestHeld();
      if (directHeld && directWorks && !bigCommits && (entry == null || !entry.overflowed())) {
        writeHeldDirect(x);
      } else {
        Io.writeFully(file, ByteBuffer.wrap(x.buf, 0, x.len), x.start);
      }
      release(x);
    }
  }

  /**
   * Writes a held range: its whole blocks with O_DIRECT, the partial blocks at its ends through the page cache,
   * the highest offset first as in {@link #flush}. If the file system refuses O_DIRECT, the page cache takes
   * the range and every later one.
   */
  private void writeHeldDirect(Extent x) throws IOException {
    long first = (x.start + block - 1) / block * block; // the first whole block
    long end = x.end() / block * block; // and where the whole blocks end
    if (end - first < block) {
      Io.writeFully(file, ByteBuffer.wrap(x.buf, 0, x.len), x.start);
      return;
    }
    Io.writeFully(file, ByteBuffer.wrap(x.buf, (int) (end - x.start), (int) (x.end() - end)), end);
    ByteBuffer aligned = HELD_BLOCKS.get();
    for (long at = first; at < end; ) {
      int n = (int) Math.min(end - at, aligned.capacity());
      aligned.clear().put(x.buf, (int) (at - x.start), n).flip();
      try {
        Io.writeFully(directFile, aligned, at);
      } catch (IOException e) {
        // EINVAL: this file system takes no O_DIRECT writes after all. A real I/O error comes back below.
        directWorks = false;
        Io.writeFully(file, ByteBuffer.wrap(x.buf, (int) (at - x.start), (int) (end - at)), at);
        break;
      }
      at += n;
    }
    Io.writeFully(file, ByteBuffer.wrap(x.buf, 0, (int) (first - x.start)), x.start);
  }

  private void release(Extent x) {
    x.active = false;
    heldBytes -= x.len;
    x.len = 0;
    active--;
    if (x.buf.length > 2 * writeBackBytes) {
      x.buf = new byte[64]; // a slot does not keep more than the write-back needs
    }
  }

  /** The held range that starts last (flushes go from the highest offset down); at least one is held. */
  private Extent highestHeld() {
    Extent x = null;
    for (Extent y : slots) {
      if (y.active && (x == null || y.start > x.start)) {
        x = y;
      }
    }
    return x;
  }

  /** Whether a held write has some of the n bytes at position. */
  private boolean overlapsHeld(long position, int n) {
    if (active == 0) {
      return false;
    }
    for (Extent y : slots) {
      if (y.active && y.start < position + n && y.end() > position) {
        return true;
      }
    }
    return false;
  }

  /** Runs of O_DIRECT writes begun so far. */
  long runsStarted() {
    return runsStarted;
  }

  /** Held writes that went to the page cache as whole blocks kept from the run ({@link #recent}). */
  long wholeBlockHeldWrites() {
    return wholeBlockHeldWrites;
  }

  /** Bytes held, not yet handed to the file. */
  public long held() {
    return heldBytes;
  }

  @Override
  public int write(ByteBuffer src, long position) throws IOException {
    int n = src.remaining();
    if (directBig && entry != null && n > 0
        && (n >= writeBackBytes && (bigCommits || !entry.wouldFit(n))
            || stagedAt >= 0 && position == stagedAt + staged.position())) {
      // a big write, or any write that continues the run (the moof and the next mdat header after a fragment)
      if (overlapsHeld(position, n)) {
        flush(); // held writes are older: they must not land over this one later
      }
      boolean small = n < writeBackBytes;
      stage(src, position);
      if (small && stagedAt >= 0 && watched.size() < RECENT_BLOCKS) {
        for (long b = position / block * block; b < position + n; b += block) {
          if (!watched.contains(b)) {
            watched.add(b);
          }
        }
      }
      record(n, position); // overflows the entry, most likely; if not, #readBack gets these bytes
      return n;
    }
    if (entry != null && n > 0 && n < writeBackBytes) {
      entry.write(kind, position, src, src == immutable);
      // An overflowed commit fsyncs the file at once: holding would only cost a copy. Except while a run is
      // being gathered (a fragment's mdat header, rewritten behind it): writing it now would end the run and wait
      // for the disk; held, it lands at the next flush, after the run, as a header field must.
      if (!entry.overflowed() || stagedAt >= 0) {
        hold(position, src);
        if (heldBytes >= writeBackBytes || active >= 32) {
          flush();
        }
        return n;
      }
    }
    flush(); // held writes are older: they must not land over this one later
    int w = file.write(src, position);
    record(w, position);
    return w;
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    flush();
    long at = file.position();
    int n = file.write(src);
    record(n, at);
    return n;
  }

  @Override
  public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
    long total = 0;
    for (int i = offset; i < offset + length; i++) {
      while (srcs[i].hasRemaining()) {
        total += write(srcs[i]);
      }
    }
    return total;
  }

  /**
   * The entry notes that n bytes at position are in the file, to be read back if it is logged
   * ({@link CommitLog.Entry#readBack}); an overflowed entry (a small write that overflowed it lands here) keeps
   * nothing.
   */
  private void record(int n, long position) {
    if (entry != null) {
      entry.writtenToFile(kind, position, n);
    }
  }

  /** Adds src's remaining bytes to the run of O_DIRECT writes (a new run unless they follow it). */
  private void stage(ByteBuffer src, long position) throws IOException {
    if (stagedAt < 0 || position != stagedAt + staged.position()) {
      endRun();
      startRun(position);
    }
    while (src.hasRemaining()) {
      int n = Math.min(src.remaining(), staged.remaining());
      staged.put(src.duplicate().limit(src.position() + n));
      src.position(src.position() + n);
      if (!staged.hasRemaining()) {
        writeWholeBlocks();
      }
    }
  }

  /** A run at position starts at its block, with the bytes the file has there before position. */
  private void startRun(long position) throws IOException {
    if (staged == null) {
      staged = takeBuffer();
    }
    runsStarted++;
    stagedAt = position / block * block;
    staged.clear().limit((int) (position - stagedAt));
    while (staged.hasRemaining()) {
      if (file.read(staged, stagedAt + staged.position()) < 0) { // a hole up to position reads as zeros
        while (staged.hasRemaining()) {
          staged.put((byte) 0);
        }
      }
    }
    staged.limit(staged.capacity());
  }

  /**
   * Hands the run's whole blocks to the thread that writes runs, behind those already queued, and goes on with
   * the partial last block in another buffer (waiting for one if all are queued).
   */
  private void writeWholeBlocks() throws IOException {
    int whole = staged.position() / block * block;
    if (whole == 0) {
      return;
    }
    ByteBuffer next = takeBuffer();
    next.clear().put(staged.duplicate().flip().position(whole));
    ByteBuffer full = staged.flip().limit(whole);
    long at = stagedAt;
    for (Iterator<Long> i = watched.iterator(); i.hasNext(); ) {
      long b = i.next();
      if (b >= at && b < at + whole) { // the run hands this block to the disk now: keep what it writes there
        byte[] copy = new byte[block];
        full.get((int) (b - at), copy);
        recent.remove(b);
        recent.put(b, copy);
        if (recent.size() > RECENT_BLOCKS) {
          recent.remove(recent.keySet().iterator().next());
        }
        i.remove();
      }
    }
    staged = next;
    stagedAt += whole;
    enqueue(new Run(full, at), at + whole);
  }

  private void enqueue(Task t, long end) {
    boolean start;
    synchronized (runs) {
      queued.add(t);
      queuedEnd = Math.max(queuedEnd, end);
      start = !draining;
      draining = true;
    }
    if (start) {
      startDrain();
    }
  }

  /** A run buffer: a free one, a new one while fewer than RUN_BUFFERS exist, or the next one a write frees. */
  private ByteBuffer takeBuffer() throws IOException {
    synchronized (runs) {
      while (free.isEmpty() && buffers >= RUN_BUFFERS && runFailure == null) {
        waitForRuns();
      }
      if (runFailure != null) {
        throw runFailure;
      }
      if (!free.isEmpty()) {
        return free.poll();
      }
      buffers++;
    }
    return CommitLog.allocate(RUN_BYTES, block);
  }

  /** On the big-write dispatcher; shutting down, on this thread. */
  private void startDrain() {
    try {
      directWriter.execute(this::drain);
    } catch (RejectedExecutionException e) { // shutting down: this thread writes them
      drain();
    }
  }

  /**
   * On the thread that writes runs: writes the queued runs one after another, in order, each as soon as the one
   * before it ended. After a few, the rest go behind the other recordings' runs waiting for a thread.
   */
  private void drain() {
    for (int i = 0; i < 16; i++) {
      Task t;
      IOException failed;
      synchronized (runs) {
        t = queued.peek();
        if (t == null) {
          draining = false;
          runs.notifyAll();
          return;
        }
        failed = runFailure;
      }
      try {
        if (t instanceof Then then) {
          then.action().accept(failed);
        } else if (failed == null) { // after a failure the file lacks a run: the later ones are not written either
          if (t instanceof Run r) {
            writeRun(r);
          } else if (t instanceof Plain p) {
            Io.writeFully(file, p.bytes(), p.at());
          }
        }
      } catch (IOException e) {
        failed = e;
      } catch (RuntimeException | Error e) { // the channel fails; the queue goes on, so no one waits forever
        failed = new IOException("a write with O_DIRECT failed: " + e, e);
      }
      synchronized (runs) {
        queued.poll();
        if (queued.isEmpty()) {
          queuedEnd = 0;
        }
        if (t instanceof Run r) {
          free.add(r.buf());
        }
        if (failed != null && runFailure == null) {
          runFailure = failed;
        }
        runs.notifyAll();
      }
    }
    startDrain(); // behind the other recordings' runs
  }

  /** One run's whole blocks; if the file system refuses O_DIRECT, through the page cache. */
  private void writeRun(Run r) throws IOException {
    ByteBuffer out = r.buf();
    if (directWorks) {
      try {
        Io.writeFully(directFile, out, r.at());
        return;
      } catch (IOException e) {
        // EINVAL: this file system takes no O_DIRECT writes after all. A real I/O error comes back below.
        directWorks = false;
        out.position(0);
      }
    }
    Io.writeFully(file, out, r.at());
  }

  /**
   * {@link #flush} for a checkpoint, without waiting for the disk: while a run is being gathered, its whole blocks,
   * its partial last block (through the page cache) and then the held writes are queued behind the runs already
   * queued, and {@code then} runs once they are all written (on the thread that writes runs), with the first
   * failure or null; the fsync that follows covers them. The run goes on: its partial last block stays gathered,
   * the next write after it joins the run. Without a run, a plain flush and then at once, on this thread.
   */
  public void flushThen(Consumer<IOException> then) throws IOException {
    boolean idle;
    synchronized (runs) {
      idle = queued.isEmpty();
    }
    if (stagedAt < 0 && idle) {
      flush();
      then.accept(null);
      return;
    }
    if (stagedAt >= 0) {
      writeWholeBlocks();
      if (staged.position() > 0) {
        ByteBuffer tail = ByteBuffer.allocate(staged.position()).put(staged.duplicate().flip()).flip();
        enqueue(new Plain(tail, stagedAt), stagedAt + tail.remaining());
      }
    }
    while (active > 0) { // the highest offset first, as in flush
      Extent x = highestHeld();
      if (stagedAt >= 0 && x.start < stagedAt + staged.position() && x.end() > stagedAt) {
        // held bytes over the gathered ones are newer: the run's later write of this block must carry them
        long from = Math.max(x.start, stagedAt);
        long to = Math.min(x.end(), stagedAt + staged.position());
        staged.put((int) (from - stagedAt), x.buf, (int) (from - x.start), (int) (to - from));
      }
      long b = x.start / block * block;
      byte[] image = recent.get(b);
      if (image != null && x.end() <= b + block) { // the whole block, as the run wrote it and held writes since
        System.arraycopy(x.buf, 0, image, (int) (x.start - b), x.len);
        enqueue(new Plain(ByteBuffer.wrap(image.clone()), b), b + block);
        wholeBlockHeldWrites++;
      } else {
        final Extent held = x; // a copy this write reaches without containing it would no longer be the block's
        recent.keySet().removeIf(k -> k < held.end() && k + block > held.start);
        enqueue(new Plain(ByteBuffer.wrap(Arrays.copyOf(x.buf, x.len)), x.start), x.end());
      }
      release(x);
    }
    enqueue(new Then(then), 0);
  }

  /** Waits until every queued run is written; a failed write is this channel's failure. */
  private void awaitRuns() throws IOException {
    synchronized (runs) {
      while (!queued.isEmpty() && runFailure == null) {
        waitForRuns();
      }
      if (runFailure != null) {
        throw runFailure;
      }
    }
  }

  /** In synchronized (runs). */
  private void waitForRuns() throws IOException {
    try {
      runs.wait();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted while waiting for a write with O_DIRECT");
    }
  }

  /**
   * Ends the run of O_DIRECT writes, if any: its whole blocks with O_DIRECT, its partial last block through the
   * page cache. Then the file has every write but the held ones.
   */
  private void endRun() throws IOException {
    watched.clear();
    recent.clear(); // what comes next may write anywhere
    if (stagedAt < 0) {
      awaitRuns();
      return;
    }
    writeWholeBlocks();
    awaitRuns();
    Io.writeFully(file, staged.flip(), stagedAt);
    staged.clear();
    stagedAt = -1;
  }

  /** Copies src's remaining bytes into the held writes at position, over any held bytes there. */
  private void hold(long position, ByteBuffer src) {
    int n = src.remaining();
    long end = position + n;
    // x: the held range this write joins (it reaches or touches x), the one that starts first
    Extent x = null;
    long newStart = position;
    long newEnd = end;
    for (Extent y : slots) {
      if (y.active && y.start <= end && y.end() >= position) {
        newStart = Math.min(newStart, y.start);
        newEnd = Math.max(newEnd, y.end());
        if (x == null || y.start < x.start) {
          x = y;
        }
      }
    }
    if (x == null) {
      x = freeSlot(n);
      x.active = true;
      x.start = position;
      active++;
    }
    int had = x.len;
    int newLen = (int) (newEnd - newStart);
    if (newLen > x.buf.length) {
      x.buf = Arrays.copyOf(x.buf, Math.max(newLen, Math.min(2 * x.buf.length, newLen + writeBackBytes)));
    }
    if (newStart < x.start) { // the write begins before x: x's bytes move up
      System.arraycopy(x.buf, 0, x.buf, (int) (x.start - newStart), x.len);
      x.start = newStart;
    }
    // every other range the write reaches or touches becomes part of x (all are older than this write)
    for (Extent y : slots) {
      if (y != x && y.active && y.start <= end && y.end() >= position) {
        System.arraycopy(y.buf, 0, x.buf, (int) (y.start - x.start), y.len);
        release(y);
      }
    }
    heldBytes += newLen - had;
    x.len = newLen;
    src.duplicate().get(x.buf, (int) (position - x.start), n);
    src.position(src.limit());
  }

  /** A free slot for n bytes: the one whose buffer fits best, so that a sample's big buffer stays with samples. */
  private Extent freeSlot(int n) {
    Extent best = null;
    for (Extent y : slots) {
      if (y.active) {
        continue;
      }
      boolean better = best == null || (best.buf.length < n
          ? y.buf.length > best.buf.length
          : y.buf.length >= n && y.buf.length < best.buf.length);
      if (better) {
        best = y;
      }
    }
    if (best != null) {
      return best;
    }
    Extent[] more = Arrays.copyOf(slots, slots.length * 2);
    for (int i = slots.length; i < more.length; i++) {
      more[i] = new Extent();
    }
    slots = more;
    return slots[slots.length / 2];
  }

  @Override
  public FileChannel truncate(long size) throws IOException {
    flush();
    file.truncate(size);
    if (entry != null) {
      entry.truncate(kind, size);
    }
    return this;
  }

  @Override
  public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
    throw new UnsupportedOperationException("transferFrom would bypass the commit log");
  }

  @Override
  public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
    if (mode != MapMode.READ_ONLY) {
      throw new UnsupportedOperationException("a writable mapping would bypass the commit log");
    }
    flush();
    return file.map(mode, position, size);
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    flush();
    return file.read(dst);
  }

  @Override
  public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
    flush();
    return file.read(dsts, offset, length);
  }

  @Override
  public int read(ByteBuffer dst, long position) throws IOException {
    flush();
    return file.read(dst, position);
  }

  @Override
  public long position() throws IOException {
    return file.position();
  }

  @Override
  public FileChannel position(long newPosition) throws IOException {
    file.position(newPosition);
    return this;
  }

  @Override
  public long size() throws IOException {
    long size = file.size();
    synchronized (runs) {
      if (!queued.isEmpty()) {
        size = Math.max(size, queuedEnd);
      }
    }
    if (stagedAt >= 0) {
      size = Math.max(size, stagedAt + staged.position());
    }
    for (Extent y : slots) {
      if (y.active) {
        size = Math.max(size, y.end());
      }
    }
    return size;
  }

  @Override
  public void force(boolean metaData) throws IOException {
    flush();
    file.force(metaData);
  }

  @Override
  public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
    flush();
    return file.transferTo(position, count, target);
  }

  @Override
  public FileLock lock(long position, long size, boolean shared) throws IOException {
    return file.lock(position, size, shared);
  }

  @Override
  public FileLock tryLock(long position, long size, boolean shared) throws IOException {
    return file.tryLock(position, size, shared);
  }

  @Override
  protected void implCloseChannel() throws IOException {
    try {
      flush();
    } finally {
      try {
        awaitRuns();
      } finally {
        file.close();
        if (directFile != null) {
          directFile.close();
        }
      }
    }
  }
}
