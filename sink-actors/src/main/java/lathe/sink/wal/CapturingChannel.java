package lathe.sink.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
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
  /** The largest block O_DIRECT may have to be aligned to here ({@link lathe.sink.io.DurableFiles#directIoBlock}'s bound). */
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
  /** The other buffer: written by directWriter while inFlight is not done. */
  private ByteBuffer spare;
  /** -1: no run. */
  private long stagedAt = -1;
  /** The write of spare's whole blocks, or null. */
  private CompletableFuture<Void> inFlight;
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
   * page cache and nothing left for the next fsync to write back. Each full run is written by {@code writer}
   * (whose threads never wait for a channel) while the next one is gathered, one write at a time. A run's
   * partial last block goes through the page cache when the run ends ({@link #endRun}; any flush, read, force,
   * or a write elsewhere ends it), so that the file then has exactly what was written. The next run begins by
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
    while (active > 0) {
      Extent x = null;
      for (Extent y : slots) {
        if (y.active && (x == null || y.start > x.start)) {
          x = y;
        }
      }
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

  /** Bytes held, not yet handed to the file. */
  public long held() {
    return heldBytes;
  }

  @Override
  public int write(ByteBuffer src, long position) throws IOException {
    int n = src.remaining();
    if (directBig && entry != null && n > 0 && n >= writeBackBytes
        && (bigCommits || !entry.wouldFit(n))) {
      if (active > 0) {
        flush(); // held writes are older: they must not land over this one later
      }
      stage(src, position);
      record(n, position); // overflows the entry, most likely; if not, #readBack gets these bytes
      return n;
    }
    if (entry != null && n > 0 && n < writeBackBytes) {
      entry.write(kind, position, src, src == immutable);
      if (!entry.overflowed()) { // an overflowed commit fsyncs the file at once: holding would only cost a copy
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
      staged = CommitLog.allocate(RUN_BYTES, block);
    }
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
   * Hands the run's whole blocks to the writer thread (after the write before them has ended) and goes on with
   * the partial last block in the other buffer.
   */
  private void writeWholeBlocks() throws IOException {
    int whole = staged.position() / block * block;
    if (whole == 0) {
      return;
    }
    awaitInFlight();
    if (spare == null) {
      spare = CommitLog.allocate(RUN_BYTES, block);
    }
    ByteBuffer full = staged;
    long at = stagedAt;
    staged = spare.clear();
    staged.put(full.duplicate().flip().position(whole));
    spare = full;
    stagedAt += whole;
    ByteBuffer out = full.flip().limit(whole);
    try {
      inFlight = CompletableFuture.runAsync(() -> writeBlocks(out, at), directWriter);
    } catch (java.util.concurrent.RejectedExecutionException e) { // shutting down: this thread writes them
      inFlight = CompletableFuture.completedFuture(null);
      try {
        writeBlocks(out, at);
      } catch (java.io.UncheckedIOException u) {
        throw u.getCause();
      }
    }
  }

  /** On the writer thread. */
  private void writeBlocks(ByteBuffer out, long at) {
    try {
      if (directWorks) {
        try {
          Io.writeFully(directFile, out, at);
          return;
        } catch (IOException e) {
          // EINVAL: this file system takes no O_DIRECT writes after all. A real I/O error comes back below.
          directWorks = false;
          out.position(0);
        }
      }
      Io.writeFully(file, out, at);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Waits for the write in flight, if any; its failure is this channel's. */
  private void awaitInFlight() throws IOException {
    CompletableFuture<Void> f = inFlight;
    if (f == null) {
      return;
    }
    inFlight = null;
    try {
      f.join();
    } catch (java.util.concurrent.CompletionException | java.util.concurrent.CancellationException e) {
      Throwable c = e.getCause() instanceof java.io.UncheckedIOException u ? u.getCause() : e.getCause();
      throw c instanceof IOException io ? io : new IOException("a write with O_DIRECT failed: " + c, c);
    }
  }

  /**
   * Ends the run of O_DIRECT writes, if any: its whole blocks with O_DIRECT, its partial last block through the
   * page cache. Then the file has every write but the held ones.
   */
  private void endRun() throws IOException {
    if (stagedAt < 0) {
      awaitInFlight();
      return;
    }
    writeWholeBlocks();
    awaitInFlight();
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
        awaitInFlight();
      } finally {
        file.close();
        if (directFile != null) {
          directFile.close();
        }
      }
    }
  }
}
