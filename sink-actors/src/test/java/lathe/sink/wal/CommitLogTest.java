package lathe.sink.wal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import lathe.protocol.Container;
import lathe.protocol.JournalHeader;
import lathe.sink.io.DurableFiles;
import lathe.sink.journal.JournalReader;
import lathe.sink.journal.JournalWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The commit log on real files: what it acknowledged comes back by replay, in order, and only where it belongs;
 * written with O_DIRECT (each round rewrites its last, partial block, zero-filled) and through the page cache.
 */
class CommitLogTest {
  @TempDir Path dir;

  /** A recording's two files as its writer creates them (journal header with the log's id), both fsynced. */
  private UUID recording(Path target, Path wal) throws IOException {
    UUID id = UUID.randomUUID();
    JournalHeader h = JournalHeader.newBuilder().setPath(target.toString()).setContainer(Container.BWF)
        .setCommitLogId(ByteString.copyFrom(ByteBuffer.allocate(16).putLong(id.getMostSignificantBits())
            .putLong(id.getLeastSignificantBits()).flip()))
        .setCommitLogDir(wal.toString()).build();
    try (JournalWriter j = JournalWriter.create(DurableFiles.journalOf(target), h)) {
      j.force();
    }
    Files.write(DurableFiles.partOf(target), new byte[0]);
    return id;
  }

  private static CommitLog.Entry entry(long offset, byte[] data) {
    CommitLog.Entry e = new CommitLog.Entry(1 << 20);
    e.write(CommitLog.CONTAINER, offset, ByteBuffer.wrap(data));
    return e;
  }

  private static byte[] fill(int n, int v) {
    byte[] b = new byte[n];
    java.util.Arrays.fill(b, (byte) v);
    return b;
  }

  private static List<Path> segments(Path wal) throws IOException {
    try (Stream<Path> s = Files.list(wal)) {
      return s.filter(p -> p.toString().endsWith(".wal")).sorted().toList();
    }
  }

  /**
   * The segments that hold records: more than the magic (and the zeros of its block with O_DIRECT). A segment the
   * log's own thread deletes between the listing and its size holds none.
   */
  private static List<Path> withRecords(Path wal) throws IOException {
    List<Path> out = new ArrayList<>();
    for (Path p : segments(wal)) {
      try {
        if (Files.size(p) > 8192) {
          out.add(p);
        }
      } catch (java.nio.file.NoSuchFileException deleted) {
        // swept meanwhile
      }
    }
    return out;
  }

  @ParameterizedTest(name = "O_DIRECT {0}")
  @ValueSource(booleans = {true, false})
  void acknowledgedEntriesComeBackInOrderOverFilesThatLostThem(boolean direct) throws Exception {
    Path wal = dir.resolve("wal");
    Path target = dir.resolve("a.wav");
    UUID id = recording(target, wal);
    long journalSize = Files.size(DurableFiles.journalOf(target));
    CommitLog log = CommitLog.open(wal, 64 << 20, direct);
    log.append(id, 1, target, entry(0, fill(100, 1))).get(10, TimeUnit.SECONDS);
    log.append(id, 2, target, entry(50, fill(100, 2))).get(10, TimeUnit.SECONDS); // overwrites half of the first
    CommitLog.Entry j = new CommitLog.Entry(1 << 20);
    j.write(CommitLog.JOURNAL, journalSize, ByteBuffer.wrap("tail".getBytes()));
    j.truncate(CommitLog.CONTAINER, 120);
    log.append(id, 3, target, j).get(10, TimeUnit.SECONDS);
    log.close(); // not checkpointed: the segment stays for the next start

    // the files as a power cut may leave them: nothing after their last fsync
    assertEquals(0, Files.size(DurableFiles.partOf(target)));
    assertEquals(1, segments(wal).size());
    JournalHeader header = JournalReader.readHeader(DurableFiles.journalOf(target));
    assertEquals(3, CommitLogReplay.replayRecording(target, header));

    byte[] part = Files.readAllBytes(DurableFiles.partOf(target));
    byte[] want = new byte[120];
    System.arraycopy(fill(50, 1), 0, want, 0, 50);
    System.arraycopy(fill(70, 2), 0, want, 50, 70);
    assertArrayEquals(want, part);
    byte[] journal = Files.readAllBytes(DurableFiles.journalOf(target));
    assertEquals("tail", new String(journal, (int) journalSize, 4));
    assertEquals(1, segments(wal).size(), "recover leaves the node's log alone");

    CommitLogReplay.Result r = CommitLogReplay.replayFolder(wal); // the node's next start
    assertEquals(3, r.entries());
    assertEquals(List.of(), r.problems());
    assertEquals(List.of(), segments(wal), "replayed segments are deleted");
    assertArrayEquals(want, Files.readAllBytes(DurableFiles.partOf(target)), "replaying twice changes nothing");
  }

  @ParameterizedTest(name = "O_DIRECT {0}")
  @ValueSource(booleans = {true, false})
  void aTornTailEndsTheReplayAndOtherRecordingsAreLeftAlone(boolean direct) throws Exception {
    Path wal = dir.resolve("wal");
    Path a = dir.resolve("a.wav");
    Path b = dir.resolve("b.wav");
    UUID idA = recording(a, wal);
    UUID idB = recording(b, wal);
    CommitLog log = CommitLog.open(wal, 64 << 20, direct);
    log.append(idA, 1, a, entry(0, fill(10, 7))).get(10, TimeUnit.SECONDS);
    log.append(idB, 1, b, entry(0, fill(10, 8))).get(10, TimeUnit.SECONDS);
    // an entry for a.wav under another id: an earlier recording of that name, finalized since
    log.append(UUID.randomUUID(), 1, a, entry(0, fill(10, 9))).get(10, TimeUnit.SECONDS);
    log.append(idA, 2, a, entry(10, fill(10, 6))).get(10, TimeUnit.SECONDS);
    log.close();
    Path segment = segments(wal).get(0);
    byte[] bytes = Files.readAllBytes(segment);
    int end = bytes.length; // the records end where the zeros that fill their last block (O_DIRECT) begin
    while (bytes[end - 1] == 0) {
      end--;
    }
    try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.WRITE)) {
      ch.truncate(end - 3); // the last entry is torn, as by a crash in the middle of its write
    }
    assertEquals(1, CommitLogReplay.replayRecording(a, JournalReader.readHeader(DurableFiles.journalOf(a))));
    assertArrayEquals(fill(10, 7), Files.readAllBytes(DurableFiles.partOf(a)));
    assertEquals(0, Files.size(DurableFiles.partOf(b)), "replaying a.wav writes nothing into b.wav");

    Files.delete(DurableFiles.partOf(b)); // b.wav was finalized meanwhile
    CommitLogReplay.Result r = CommitLogReplay.replayFolder(wal);
    assertEquals(1, r.entries());
    assertTrue(r.problems().isEmpty(), r.problems()::toString);
    assertTrue(Files.notExists(DurableFiles.partOf(b)), "a finalized recording is not brought back");
  }

  @ParameterizedTest(name = "O_DIRECT {0}")
  @ValueSource(booleans = {true, false})
  void checkpointedSegmentsAreDeletedAndARunningLogIsNotReplayed(boolean direct) throws Exception {
    Path wal = dir.resolve("wal");
    Path target = dir.resolve("c.wav");
    UUID id = recording(target, wal);
    // small segments: one entry of 40 KiB, then the next rotates
    CommitLog log = CommitLog.open(wal, 64 * 1024, direct);
    for (int n = 1; n <= 6; n++) {
      log.append(id, n, target, entry((n - 1) * 40_000L, fill(40_000, n))).get(10, TimeUnit.SECONDS);
    }
    CommitLogReplay.Result live = CommitLogReplay.replayFolder(wal);
    assertEquals(0, live.segments(), "a segment a running log holds is not replayed");
    assertEquals(0, Files.size(DurableFiles.partOf(target)));

    assertEquals(3, withRecords(wal).size(), "entries 1-2, 3-4, 5-6 (the next segment, created ahead, has none)");
    log.checkpointed(id, 4);
    log.append(id, 7, target, entry(6 * 40_000L, fill(40_000, 7))).get(10, TimeUnit.SECONDS); // rotates: sweeps
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (withRecords(wal).size() != 2 && System.nanoTime() < until) {
      Thread.sleep(10); // deleted on a thread of the log's own
    }
    assertEquals(2, withRecords(wal).size(), "the segments of entries 1-4 are gone, 5-6 and 7 stay: " + segments(wal));
    log.checkpointed(id, Long.MAX_VALUE);
    log.close();
    assertEquals(List.of(), segments(wal), "a finalized recording leaves nothing in the log");

    ExecutionException refused = assertThrows(ExecutionException.class,
        () -> log.append(id, 9, target, entry(0, fill(1, 1))).get(10, TimeUnit.SECONDS));
    assertTrue(refused.getCause().getMessage().contains("closed"), refused.getCause().getMessage());
  }

  @Test
  void onAFileSystemWithODirectRoundsAreWrittenInWholeBlocks() throws Exception {
    Path wal = dir.resolve("wal");
    Path target = dir.resolve("d.wav");
    UUID id = recording(target, wal);
    FileStore store = Files.getFileStore(dir);
    boolean directFs = Set.of("ext4", "xfs", "btrfs").contains(store.type());
    CommitLog log = CommitLog.open(wal, 64 << 20, true);
    log.append(id, 1, target, entry(0, fill(10, 7))).get(10, TimeUnit.SECONDS);
    log.append(id, 2, target, entry(10, fill(5000, 8))).get(10, TimeUnit.SECONDS); // crosses into block 2
    Path segment = segments(wal).get(0);
    byte[] bytes = Files.readAllBytes(segment);
    if (directFs) {
      assertEquals(0, bytes.length % store.getBlockSize(), store.type() + ": whole blocks, " + bytes.length);
      assertEquals(0, bytes[bytes.length - 1], "the last block is filled with zeros");
    } else {
      assertTrue(bytes.length < 8192, store.type() + " has no O_DIRECT: the records only, " + bytes.length);
    }
    log.close();
    CommitLogReplay.replayRecording(target, JournalReader.readHeader(DurableFiles.journalOf(target)));
    byte[] want = new byte[5010];
    System.arraycopy(fill(10, 7), 0, want, 0, 10);
    System.arraycopy(fill(5000, 8), 0, want, 10, 5000);
    assertArrayEquals(want, Files.readAllBytes(DurableFiles.partOf(target)));
  }

  @Test
  void aSegmentLeftHalfCreatedByACrashIsDeletedLaterNotWhileItMayBeInTheMaking() throws Exception {
    Path wal = Files.createDirectories(dir.resolve("wal"));
    Path abandoned = Files.write(wal.resolve("0000000000001-1-000000.wal.new"), new byte[] {'L', 'A'});
    Files.setLastModifiedTime(abandoned, FileTime.fromMillis(System.currentTimeMillis() - 3_600_000));
    Path fresh = Files.write(wal.resolve("0000000000002-2-000000.wal.new"), new byte[0]);
    CommitLogReplay.Result r = CommitLogReplay.replayFolder(wal);
    assertEquals(0, r.segments(), "a .new file is never replayed");
    assertTrue(Files.notExists(abandoned), "an hour old: left by a crash");
    assertTrue(Files.exists(fresh), "just created: a running log may be about to lock and rename it");
  }

  @Test
  void anEntryOverItsBoundIsGivenUpNotLogged() {
    CommitLog.Entry e = new CommitLog.Entry(100);
    e.write(CommitLog.CONTAINER, 0, ByteBuffer.wrap(fill(60, 1)));
    e.write(CommitLog.CONTAINER, 60, ByteBuffer.wrap(fill(60, 1)));
    assertTrue(e.overflowed());
    assertTrue(e.isEmpty(), "its copies are dropped at once");
  }
}
