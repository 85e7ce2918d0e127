package lathe.sink.wal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import lathe.protocol.Container;
import lathe.protocol.JournalHeader;
import lathe.sink.container.SampleRecord;
import lathe.sink.journal.JournalReader;
import lathe.sink.journal.JournalWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The container channel's write-back: whatever it holds, the file after a flush, every read through it and the
 * commit log's entries all say exactly what was written, in the order it was written.
 */
class CapturingChannelTest {
  @TempDir Path dir;

  /** A new container file (closed with the channel) whose writes are captured and held up to writeBack bytes. */
  private static CapturingChannel capturing(Path p, int writeBack) throws IOException {
    return new CapturingChannel(FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
        StandardOpenOption.WRITE), CommitLog.CONTAINER, writeBack);
  }

  /** Fills data with random bytes and writes it at at, through ch and into model; returns the new length. */
  private static int writeRandom(CapturingChannel ch, byte[] data, long at, byte[] model, int length, Random random)
      throws IOException {
    return writeRandom(ch, data, at, model, length, random, false);
  }

  /**
   * immutable: from a read-only view of bytes no one changes (as a sample's ByteString), marked
   * {@link CapturingChannel#immutableSource}; otherwise from data, which is scrambled afterwards, as a caller
   * reusing its buffer would.
   */
  private static int writeRandom(CapturingChannel ch, byte[] data, long at, byte[] model, int length, Random random,
      boolean immutable) throws IOException {
    random.nextBytes(data);
    ByteBuffer src = immutable ? ByteBuffer.wrap(data.clone()).asReadOnlyBuffer() : ByteBuffer.wrap(data);
    ch.immutableSource(immutable ? src : null);
    assertEquals(data.length, ch.write(src, at));
    ch.immutableSource(null);
    assertEquals(0, src.remaining(), "a write takes all its bytes");
    System.arraycopy(data, 0, model, (int) at, data.length);
    random.nextBytes(data);
    return Math.max(length, (int) (at + data.length));
  }

  /** A read of up to max bytes somewhere in model[0, length) sees everything written before it. */
  private static void assertReadSeesAllWritten(CapturingChannel ch, byte[] model, int length, Random random, int max)
      throws IOException {
    int from = random.nextInt(length);
    ByteBuffer got = ByteBuffer.allocate(Math.min(max, length - from));
    ch.read(got, from);
    assertArrayEquals(Arrays.copyOfRange(model, from, from + got.capacity()), got.array(), "read at " + from);
  }

  /** Applies the writes the log captured, in order, as a replay would. */
  private static void replay(byte[] into, List<CommitLog.Entry> entries) {
    for (CommitLog.Entry e : entries) {
      for (CommitLog.Write w : e.writes()) {
        w.data().duplicate().get(into, (int) w.offset(), w.data().remaining());
      }
    }
  }

  /**
   * "page cache": held writes go to the file through the page cache; "direct": their whole blocks with O_DIRECT
   * (a write-back of 16 KiB, so that most held ranges have some); "refused": O_DIRECT asked but every such write
   * fails (a closed channel), so the page cache takes them.
   */
  @ParameterizedTest
  @ValueSource(strings = {"page cache", "direct", "refused"})
  void heldWritesReachTheFileAndTheLogExactlyAsWritten(String mode) throws IOException {
    Random random = new Random(7);
    byte[] model = new byte[4 << 20];
    int length = 0;
    Path p = dir.resolve("a.part");
    List<CommitLog.Entry> entries = new ArrayList<>();
    int writeBack = mode.equals("page cache") ? 4096 : 16 << 10;
    try (CapturingChannel ch = capturing(p, writeBack);
         FileChannel file = FileChannel.open(p, StandardOpenOption.READ)) { // the writer's own view of the file
      if (!mode.equals("page cache")) {
        ch.directHeldWrites(directOrRefused(p, mode), (int) Files.getFileStore(dir).getBlockSize());
      }
      // a header written before capturing starts, as a writer's open does
      byte[] head = new byte[64];
      random.nextBytes(head);
      ch.write(ByteBuffer.wrap(head), 0);
      System.arraycopy(head, 0, model, 0, 64);
      length = 64;
      byte[] onDisk = Arrays.copyOf(model, length);
      CommitLog.Entry entry = new CommitLog.Entry(64 << 20);
      ch.capture(entry);
      boolean sawHeld = false;
      for (int i = 0; i < 3000; i++) {
        int what = random.nextInt(100);
        byte[] data;
        long at;
        if (what < 70) { // a sample at the end; now and then one bigger than the write-back
          data = new byte[what < 3 ? 5000 + random.nextInt(3000) : 1 + random.nextInt(1500)];
          at = length;
        } else if (what < 90) { // a size field in the header
          data = new byte[4];
          at = random.nextInt(60);
        } else { // anywhere in what is written, across held and written ranges
          data = new byte[1 + random.nextInt(3000)];
          at = random.nextInt(Math.max(1, length - data.length));
        }
        length = writeRandom(ch, data, at, model, length, random, what < 70 && random.nextBoolean());
        sawHeld |= ch.held() > 0;
        assertEquals(length, ch.size(), "size counts held bytes");
        if (random.nextInt(50) == 0) {
          assertReadSeesAllWritten(ch, model, length, random, 2000);
        }
        if (random.nextInt(40) == 0) { // a group commit: the next one goes into a new entry
          entry.readBack(file);
          entries.add(entry);
          entry = new CommitLog.Entry(64 << 20);
          ch.capture(entry);
        }
      }
      entry.readBack(file);
      entries.add(entry);
      assertTrue(sawHeld, "small writes were held");
      assertTrue(ch.held() <= writeBack + 1500, "at most about the write-back is held: " + ch.held());
      ch.flush();
      assertEquals(0, ch.held());
      assertArrayEquals(Arrays.copyOf(model, length), Files.readAllBytes(p), "the file after a flush");
      replay(onDisk = Arrays.copyOf(onDisk, length), entries);
      assertArrayEquals(Arrays.copyOf(model, length), onDisk, "the log's entries over the file at capture start");
    }
  }

  @Test
  void anImmutableSourceIsKeptInTheEntryWithoutACopyAndAnyOtherIsCopied() throws IOException {
    Path p = dir.resolve("e.part");
    try (CapturingChannel ch = capturing(p, 1 << 16)) {
      CommitLog.Entry entry = new CommitLog.Entry(1 << 20);
      ch.capture(entry);
      byte[] sample = {1, 2, 3, 4};
      ByteBuffer view = ByteBuffer.wrap(sample).asReadOnlyBuffer();
      ch.immutableSource(view);
      ch.write(view, 0);
      ch.immutableSource(null);
      byte[] reused = {5, 6};
      ch.write(ByteBuffer.wrap(reused), 4);
      // Breaking the contract on purpose shows which bytes the entry holds: the sample's own, and a copy of the other.
      sample[0] = 9;
      reused[0] = 9;
      assertEquals(9, entry.writes().get(0).data().get(0), "the sample's bytes are not copied");
      assertEquals(5, entry.writes().get(1).data().get(0), "a buffer the caller may reuse is copied");
      assertEquals(4, entry.writes().get(0).data().remaining());
    }
  }

  @Test
  void aWriteAcrossSeveralHeldRangesKeepsWhatItDoesNotCover() throws IOException {
    Path p = dir.resolve("d.part");
    try (CapturingChannel ch = capturing(p, 1 << 16)) {
      ch.capture(new CommitLog.Entry(1 << 20));
      byte[] want = new byte[40];
      for (int[] w : new int[][] {{30, 10, 5}, {10, 4, 2}, {20, 10, 3}, {0, 4, 1}, {2, 20, 9}, {28, 4, 7}}) {
        byte[] data = new byte[w[1]];
        Arrays.fill(data, (byte) w[2]);
        ch.write(ByteBuffer.wrap(data), w[0]);
        Arrays.fill(want, w[0], w[0] + w[1], (byte) w[2]);
      }
      assertEquals(0, Files.size(p), "all held");
      assertEquals(40, ch.size());
      assertEquals(want.length, ch.held());
      ch.flush();
      assertArrayEquals(want, Files.readAllBytes(p));
    }
  }

  @Test
  void aWriteWhileCapturingNothingGoesStraightToTheFileAfterWhatIsHeld() throws IOException {
    Path p = dir.resolve("b.part");
    try (CapturingChannel ch = capturing(p, 1 << 16)) {
      ch.capture(new CommitLog.Entry(1 << 20));
      ch.write(ByteBuffer.wrap(new byte[] {1, 1, 1, 1}), 0);
      assertEquals(0, Files.size(p), "held, not written");
      ch.captureNone();
      assertEquals(4, Files.size(p), "flushed when capturing ends");
      ch.write(ByteBuffer.wrap(new byte[] {2, 2}), 2); // Finalize's headers: straight to the file
      assertArrayEquals(new byte[] {1, 1, 2, 2}, Files.readAllBytes(p));
    }
  }

  @Test
  void aJournalWritesOutOnlyWhatIsAlreadyInTheLog() throws IOException {
    Path p = dir.resolve("c.journal");
    JournalHeader h = JournalHeader.newBuilder().setPath("c").setContainer(Container.BWF).build();
    try (JournalWriter j = JournalWriter.create(p, h)) {
      j.force();
      long headerBytes = Files.size(p);
      j.appendSample(new SampleRecord(0, 0, 0, 0, 960, true, false, 3840, 100));
      CommitLog.Entry first = new CommitLog.Entry(1 << 20);
      j.log(first);
      j.appendSample(new SampleRecord(0, 1, 960, 960, 960, true, false, 3840, 3940)); // not logged yet
      assertEquals(headerBytes, Files.size(p), "logged records wait for a write-out");
      int oneRecord = j.loggedNotWritten();
      j.writeOutLogged();
      assertEquals(headerBytes + oneRecord, Files.size(p), "only the logged record is written");
      CommitLog.Entry second = new CommitLog.Entry(1 << 20);
      j.log(second);
      assertEquals(headerBytes + oneRecord, second.writes().get(0).offset(), "the next entry starts after it");
      j.force();
      assertEquals(headerBytes + 2L * oneRecord, Files.size(p));
      assertEquals(2, JournalReader.open(p).samples().count());
    }
  }

  // ---- big writes with O_DIRECT ----

  /** File systems that take O_DIRECT writes (tmpfs, for one, may not). */
  private static final Set<String> DIRECT_FILE_SYSTEMS = Set.of("ext4", "xfs", "btrfs");

  /**
   * p opened with O_DIRECT; for "refused", or where the file system refuses O_DIRECT (never on ext4, xfs, btrfs), a
   * closed channel, which fails every write as a file system without O_DIRECT would.
   */
  private FileChannel directOrRefused(Path p, String mode) throws IOException {
    FileChannel direct = openDirect(p);
    if (direct == null) {
      assertFalse(DIRECT_FILE_SYSTEMS.contains(Files.getFileStore(dir).type()), "O_DIRECT refused on ext4/xfs");
    }
    if (mode.equals("refused") || direct == null) {
      if (direct != null) {
        direct.close();
      }
      direct = FileChannel.open(p, StandardOpenOption.READ);
      direct.close();
    }
    return direct;
  }

  /** p opened with O_DIRECT, as the writer actor opens it; null where the file system refuses. */
  private static FileChannel openDirect(Path p) {
    try {
      return FileChannel.open(p, StandardOpenOption.WRITE, com.sun.nio.file.ExtendedOpenOption.DIRECT);
    } catch (IOException | UnsupportedOperationException e) {
      return null;
    }
  }

  /**
   * A stream of big samples (commits over the log's bound) with small appends, header rewrites, big overwrites,
   * reads and commits in between: every read, every logged entry and the file say exactly what was written; a
   * commit that does not wait ({@link CapturingChannel#flushThen}) asks for its fsync only once the file has every
   * write made before it. "refused": the file system takes no O_DIRECT write (a closed channel fails each one):
   * the page cache takes them, nothing is lost. "pool": the runs are written by a pool of threads, as the node's
   * big-write dispatcher has, each run possibly on another thread than the one before.
   */
  @ParameterizedTest
  @ValueSource(strings = {"direct", "pool", "refused"})
  void bigWritesOfCommitsTooBigForTheLogReachTheFileExactlyAsWritten(String mode) throws Exception {
    Path p = dir.resolve("big-" + mode + ".part");
    Random random = new Random(11);
    byte[] model = new byte[24 << 20];
    int length;
    ExecutorService writer = mode.equals("pool") ? Executors.newFixedThreadPool(4)
        : Executors.newSingleThreadExecutor();
    try (CapturingChannel ch = withRuns(p, writer, mode)) {
      byte[] head = new byte[100];
      random.nextBytes(head);
      ch.write(ByteBuffer.wrap(head), 0);
      System.arraycopy(head, 0, model, 0, head.length);
      length = head.length;
      byte[] onDisk = Arrays.copyOf(model, model.length); // what a replay of the log would start from
      CommitLog.Entry entry = new CommitLog.Entry(256 << 10);
      ch.capture(entry);
      int logged = 0;
      int overflowed = 0;
      int asked = 0;
      List<String> checks = java.util.Collections.synchronizedList(new ArrayList<>());
      for (int i = 0; i < 500 && length < model.length - (1 << 20); i++) {
        int what = random.nextInt(100);
        byte[] data;
        long at;
        if (what < 45) { // a big sample at the end
          data = new byte[(64 << 10) + random.nextInt(400 << 10)];
          at = length;
        } else if (what < 60) { // a small one (a moof, a header at the end)
          data = new byte[1 + random.nextInt(3000)];
          at = length;
        } else if (what < 65) { // a size field in the header
          data = new byte[4];
          at = random.nextInt(96);
        } else if (what < 70) { // a size field near the end (the open fragment's mdat header)
          data = new byte[4];
          at = Math.max(100, length - 4 - random.nextInt(6000));
        } else if (what < 75) { // a big write over what is already there
          data = new byte[(64 << 10) + random.nextInt(100 << 10)];
          at = random.nextInt(Math.max(1, length - data.length));
        } else if (what < 85) {
          assertReadSeesAllWritten(ch, model, length, random, 300 << 10);
          continue;
        } else { // a group commit, as the writer actor makes it
          if (entry.overflowed() && random.nextBoolean()) { // the files are fsynced: what they hold is durable
            ch.flush();
            overflowed++;
            assertArrayEquals(Arrays.copyOf(model, length), Files.readAllBytes(p), "the file at a big commit");
            System.arraycopy(model, 0, onDisk, 0, length);
          } else if (entry.overflowed()) { // the same, without waiting: the fsync comes once the writes are done
            byte[] expected = Arrays.copyOf(model, length);
            int k = overflowed++;
            ch.flushThen(failure -> checks.add(failure != null ? "commit " + k + ": " + failure
                : Arrays.equals(expected, readQuietly(p)) ? "" : "commit " + k + ": the file differs"));
            asked++;
            System.arraycopy(model, 0, onDisk, 0, length);
          } else { // logged: a replay over the file as it was at the last commit gives what was written
            ch.readBack(entry);
            replay(onDisk, List.of(entry));
            logged++;
            assertArrayEquals(Arrays.copyOf(model, length), Arrays.copyOf(onDisk, length), "a logged entry");
          }
          entry = new CommitLog.Entry(256 << 10);
          ch.capture(entry);
          continue;
        }
        length = writeRandom(ch, data, at, model, length, random);
        assertEquals(length, ch.size(), "size counts every write");
      }
      ch.flush();
      assertArrayEquals(Arrays.copyOf(model, length), Files.readAllBytes(p), "the file after a flush");
      assertTrue(logged > 3 && overflowed > 3, "both kinds of commit: " + logged + " logged, " + overflowed);
      assertTrue(asked > 3, "commits without waiting: " + asked);
      assertEquals(asked, checks.size(), "each commit's fsync was asked for");
      for (String c : checks) {
        assertEquals("", c, "when the fsync is asked for, the file has every write before the commit");
      }
      assertTrue(length > 8 << 20, "runs of more than one buffer: " + length);
    } finally {
      writer.shutdown();
    }
  }

  /**
   * While a run of big writes is being gathered, a fragment's moof and next mdat header (small writes right after
   * it) join the run instead of ending it, and a size field rewritten behind the run is held: it reaches the file
   * only at the flush, after the run, so that a process killed before then leaves no header that claims more
   * than the file holds. A checkpoint that does not wait leaves the run going too. The flush leaves the file
   * exactly as written.
   */
  @Test
  void smallWritesDuringARunJoinItOrWaitBehindIt() throws Exception {
    Path p = dir.resolve("run.part");
    ExecutorService writer = Executors.newSingleThreadExecutor();
    Random random = new Random(3);
    byte[] model = new byte[8 << 20];
    try (CapturingChannel ch = withRuns(p, writer, "direct")) {
      int length = headerThenCapture(ch, model, random);
      length = appendSamples(ch, 30, length, model, random); // 3.75 MiB: the entry overflows, they go in runs
      int moofAt = length;
      length = writeRandom(ch, new byte[1003], length, model, length, random); // the moof
      length = writeRandom(ch, new byte[16], length, model, length, random); // the next mdat header
      byte[] before = Arrays.copyOfRange(model, 84, 100);
      writeRandom(ch, new byte[16], 84, model, length, random); // the fragment's mdat header, behind the run
      assertTrue(Files.size(p) < moofAt, "the moof and mdat header are in the run, not yet in the file: "
          + Files.size(p) + " bytes there, the moof at " + moofAt);
      try (FileChannel other = FileChannel.open(p, StandardOpenOption.READ)) {
        ByteBuffer header = ByteBuffer.allocate(16);
        other.read(header, 84);
        assertArrayEquals(before, header.array(), "the size field waits for the run");
      }
      length = appendSamples(ch, 4, length, model, random); // the next fragment's samples follow the run
      assertEquals(1, ch.runsStarted(), "one run: the small writes did not end it");
      // A checkpoint that does not wait, with a field rewritten inside the run's partial last block: the run
      // goes on after it, and its later write of that block carries the field.
      writeRandom(ch, new byte[4], length - 10, model, length, random);
      checkpointWithoutWaiting(ch);
      assertArrayEquals(Arrays.copyOf(model, length), Files.readAllBytes(p), "the file when the fsync is asked for");
      length = appendSamples(ch, 4, length, model, random);
      assertEquals(1, ch.runsStarted(), "one run: the checkpoint did not end it either");
      ch.flush();
      assertArrayEquals(Arrays.copyOf(model, length), Files.readAllBytes(p));
    } finally {
      writer.shutdown();
    }
  }

  /**
   * A fragment's mdat header joined the run; when the fragment closes, two of its fields are rewritten behind the
   * run. At the next checkpoint that does not wait, each goes to the page cache as the whole block the run wrote
   * (no read of the block from the disk first), the second one's block carrying the first; a field in a block
   * the run never kept goes as it is. The file is exact at the checkpoint and after.
   */
  @Test
  void fieldsRewrittenInABlockTheRunKeptGoAsTheWholeBlock() throws Exception {
    Path p = dir.resolve("fields.part");
    ExecutorService writer = Executors.newSingleThreadExecutor();
    Random random = new Random(4);
    byte[] model = new byte[8 << 20];
    try (CapturingChannel ch = withRuns(p, writer, "direct")) {
      int length = headerThenCapture(ch, model, random);
      length = appendSamples(ch, 10, length, model, random);
      int mdatAt = length;
      length = writeRandom(ch, new byte[16], length, model, length, random); // the fragment's open mdat header
      length = appendSamples(ch, 12, length, model, random); // 1.5 MiB: the run hands the header's block over
      length = writeRandom(ch, new byte[1003], length, model, length, random); // the moof
      writeRandom(ch, new byte[4], mdatAt + 8, model, length, random); // the mdat's type and size, apart
      writeRandom(ch, new byte[4], mdatAt, model, length, random);
      writeRandom(ch, new byte[4], 84, model, length, random); // a field the run never had
      checkpointWithoutWaiting(ch);
      assertArrayEquals(Arrays.copyOf(model, length), Files.readAllBytes(p), "the file when the fsync is asked for");
      assertEquals(2, ch.wholeBlockHeldWrites(), "the two fields in the kept block went as whole blocks");
      length = appendSamples(ch, 4, length, model, random);
      ch.flush();
      assertArrayEquals(Arrays.copyOf(model, length), Files.readAllBytes(p));
    } finally {
      writer.shutdown();
    }
  }

  /** A new container file whose big writes go in runs with O_DIRECT written by writer (mode: directOrRefused). */
  private CapturingChannel withRuns(Path p, ExecutorService writer, String mode) throws IOException {
    CapturingChannel ch = capturing(p, 64 << 10);
    ch.directBigWrites(directOrRefused(p, mode), (int) Files.getFileStore(dir).getBlockSize(), writer);
    return ch;
  }

  /**
   * 100 bytes at 0 (ftyp, moov, mdat header) in the file, then an entry that big samples soon overflow is captured;
   * returns the length.
   */
  private static int headerThenCapture(CapturingChannel ch, byte[] model, Random random) throws IOException {
    int length = writeRandom(ch, new byte[100], 0, model, 0, random);
    ch.flush();
    ch.capture(new CommitLog.Entry(256 << 10));
    return length;
  }

  /** n samples of 128 KiB appended at length; returns the new length. */
  private static int appendSamples(CapturingChannel ch, int n, int length, byte[] model, Random random)
      throws IOException {
    for (int i = 0; i < n; i++) {
      length = writeRandom(ch, new byte[128 << 10], length, model, length, random);
    }
    return length;
  }

  /** A checkpoint as the writer makes it at a big commit ({@link CapturingChannel#flushThen}), awaited. */
  private static void checkpointWithoutWaiting(CapturingChannel ch) throws Exception {
    java.util.concurrent.CompletableFuture<IOException> asked = new java.util.concurrent.CompletableFuture<>();
    ch.flushThen(asked::complete);
    assertNull(asked.get(30, java.util.concurrent.TimeUnit.SECONDS), "no write failed");
  }

  private static byte[] readQuietly(Path p) {
    try {
      return Files.readAllBytes(p);
    } catch (IOException e) {
      return new byte[0];
    }
  }

  /** Bytes of p in the page cache, as fincore (util-linux) reports them. */
  private static long resident(Path p) throws IOException, InterruptedException {
    Process f = new ProcessBuilder("fincore", "--bytes", "--noheadings", "--output", "RES", p.toString())
        .redirectErrorStream(true).start();
    String out = new String(f.getInputStream().readAllBytes()).trim();
    assertEquals(0, f.waitFor(), "fincore: " + out);
    return Long.parseLong(out);
  }

  @Test
  void bigWritesBypassThePageCacheWhereTheFileSystemAllows() throws Exception {
    Path p = dir.resolve("bypass.part");
    FileStore store = Files.getFileStore(dir);
    ExecutorService writer = Executors.newSingleThreadExecutor();
    byte[] model = new byte[100 + 64 * (128 << 10)];
    new Random(5).nextBytes(model);
    try (CapturingChannel ch = capturing(p, 64 << 10)) {
      FileChannel direct = openDirect(p);
      if (direct == null) {
        assertFalse(DIRECT_FILE_SYSTEMS.contains(store.type()), store.type() + " refused O_DIRECT");
        return; // nothing bypasses the page cache there: the writer actor opens no O_DIRECT channel
      }
      ch.directBigWrites(direct, (int) store.getBlockSize(), writer);
      ch.write(ByteBuffer.wrap(model, 0, 100), 0);
      ch.capture(new CommitLog.Entry(256 << 10)); // two samples fit; the third overflows the entry
      for (int at = 100; at < model.length; at += 128 << 10) {
        ch.write(ByteBuffer.wrap(model, at, 128 << 10), at);
      }
      ch.flush();
      long cached = resident(p);
      if (DIRECT_FILE_SYSTEMS.contains(store.type())) {
        assertTrue(cached < (1 << 20), store.type() + ": " + cached + " of " + model.length
            + " bytes went through the page cache");
      }
      assertArrayEquals(model, Files.readAllBytes(p));
    } finally {
      writer.shutdown();
    }
  }

  /**
   * Live streams' samples, held and written back 64 KiB at a time with their whole blocks through O_DIRECT: only
   * the partial blocks at the ends of each written range stay in the page cache, and the file is exact.
   */
  @Test
  void heldWritesWholeBlocksBypassThePageCacheWhereTheFileSystemAllows() throws Exception {
    Path p = dir.resolve("held.part");
    FileStore store = Files.getFileStore(dir);
    Random random = new Random(9);
    byte[] model = new byte[44 + 2000 * 3840];
    random.nextBytes(model);
    try (CapturingChannel ch = capturing(p, 64 << 10)) {
      FileChannel direct = openDirect(p);
      if (direct == null) {
        assertFalse(DIRECT_FILE_SYSTEMS.contains(store.type()), store.type() + " refused O_DIRECT");
        return; // nothing bypasses the page cache there: the writer actor opens no O_DIRECT channel
      }
      ch.directHeldWrites(direct, (int) store.getBlockSize());
      ch.write(ByteBuffer.wrap(model, 0, 44), 0); // a BWF header, before capturing starts
      ch.capture(new CommitLog.Entry(64 << 20));
      int flushes = 0;
      for (int at = 44; at < model.length; at += 3840) {
        ch.write(ByteBuffer.wrap(model, at, 3840), at); // a 20 ms sample
        ch.write(ByteBuffer.wrap(model, 40, 4), 40); // and the header's data size, as BwfWriter.checkpoint does
        if (random.nextInt(100) == 0) {
          ch.flush(); // a checkpoint
          flushes++;
        }
      }
      ch.flush();
      long cached = resident(p);
      if (DIRECT_FILE_SYSTEMS.contains(store.type())) {
        long written = model.length / (64 << 10) + flushes + 1; // ranges written back, about
        assertTrue(cached <= (written + 1) * 2 * store.getBlockSize(), store.type() + ": " + cached + " of "
            + model.length + " bytes in the page cache after " + written + " write-backs");
      }
      assertArrayEquals(model, Files.readAllBytes(p));
    }
  }
}
