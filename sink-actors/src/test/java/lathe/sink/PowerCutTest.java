package lathe.sink;

import static lathe.sink.SinkTestSupport.mjpeg;
import static lathe.sink.SinkTestSupport.pcm;
import static lathe.sink.SinkTestSupport.sample;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import lathe.protocol.Container;
import lathe.protocol.RecordingReply;
import lathe.protocol.SinkEvent;
import lathe.sink.recovery.Recovery;
import lathe.sink.wal.CommitLog;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Durability fsync through the node's commit log, against the worst a power cut may do: every write that was
 * not fsynced is gone. The recording's own files are cut back to what their open-time fsync made durable; the
 * log keeps what its fdatasyncs did. `lathe recover` must still give back every acknowledged sample, bit-exact,
 * in a file ffmpeg reads.
 */
class PowerCutTest {
  static final ActorTestKit kit = ActorTestKit.create(SinkTestSupport.testConfig());

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  @TempDir Path dir;

  @ParameterizedTest
  @EnumSource(value = Container.class, names = {"BWF", "MP4"})
  void everyAcknowledgedSampleSurvivesLosingAllThatWasNotFsynced(Container container) throws Exception {
    Path wal = dir.resolve("wal");
    CommitLog log = CommitLog.open(wal, 64 << 20);
    try {
      // No checkpoints: nothing but the log makes the samples durable.
      SinkSettings settings = SinkTestSupport.fsyncThroughLog(kit.system(), log, 1 << 20);
      Path out = dir.resolve(container == Container.BWF ? "cut.wav" : "cut.mp4");
      Path part = WriterActor.partOf(out);
      Path journal = WriterActor.journalOf(out);
      TestProbe<SinkEvent> owner = kit.createTestProbe();
      ActorRef<RecordingActor.Command> rec = SinkTestSupport.startRecording(kit, settings, out, container, owner,
          container == Container.BWF ? pcm(8000, 1) : mjpeg());
      long partAtOpen = Files.size(part);
      long journalAtOpen = Files.size(journal);

      int n = 300;
      Random random = new Random(42);
      ByteArrayOutputStream sent = new ByteArrayOutputStream();
      for (int i = 0; i < n; i++) {
        // now and then a sample over the write-back, which goes straight to the file and is read back into the log
        byte[] data = new byte[i % 50 == 7 ? 100_000 : 2 * (100 + random.nextInt(400))];
        random.nextBytes(data);
        sent.write(data);
        rec.tell(new RecordingActor.WriteSample(sample(0, i, i, data)));
      }
      SinkTestSupport.awaitAck(owner, 0, n - 1);
      // (The journal's records, and the container's last writes, may still be held by the writer: the log has them.)
      assertTrue(Files.size(part) > partAtOpen, "the container grew (in the page cache: the cut takes it away)");

      // The cut: the recording's files lose everything after their last fsync (at open); the log is as it was.
      powerCut(rec, log, wal, part, partAtOpen, journal, journalAtOpen);

      Recovery.Result res = Recovery.recover(part, Formats.standard());
      assertTrue(res.ok(), res::error);
      assertEquals(n, res.samples(), "every acknowledged sample is recovered");
      assertArrayEquals(sent.toByteArray(), SinkTestSupport.ffmpegPackets(out, 0), "ffmpeg reads back exactly the bytes sent");
    } finally {
      log.close();
    }
  }

  /**
   * After commits too big for the log (fsynced instead, their big writes made with O_DIRECT), a commit of one
   * sample that the log takes: its bytes reach the log from the file, though they were written with O_DIRECT
   * and may still have been in the writer's buffer. A power cut then keeps the fsynced files and the log.
   */
  @Test
  void aSampleLoggedAfterBigCommitsSurvivesToo() throws Exception {
    Path wal = dir.resolve("wal");
    CommitLog log = CommitLog.open(wal, 64 << 20);
    try {
      SinkSettings settings = SinkTestSupport.fsyncThroughLog(kit.system(), log, 1 << 20);
      Path out = dir.resolve("big-then-small.mp4");
      Path part = WriterActor.partOf(out);
      Path journal = WriterActor.journalOf(out);
      TestProbe<SinkEvent> owner = kit.createTestProbe();
      ActorRef<RecordingActor.Command> rec = SinkTestSupport.startRecording(kit, settings, out, Container.MP4, owner,
          mjpeg());
      Random random = new Random(9);
      ByteArrayOutputStream sent = new ByteArrayOutputStream();
      int big = 8;
      for (int i = 0; i < big; i++) { // 4.8 MB: over the log's 1 MiB bound, so fsynced
        byte[] data = new byte[600_000];
        random.nextBytes(data);
        sent.write(data);
        rec.tell(new RecordingActor.WriteSample(sample(0, i, i, data)));
      }
      SinkTestSupport.awaitAck(owner, 0, big - 1);
      long partDurable = Files.size(part); // acknowledged after an fsync of both files: all of it is durable
      long journalDurable = Files.size(journal);
      byte[] last = new byte[200_000]; // a commit the log takes
      random.nextBytes(last);
      sent.write(last);
      rec.tell(new RecordingActor.WriteSample(sample(0, big, big, last)));
      SinkTestSupport.awaitAck(owner, 0, big);

      powerCut(rec, log, wal, part, partDurable, journal, journalDurable);
      Recovery.Result res = Recovery.recover(part, Formats.standard());
      assertTrue(res.ok(), res::error);
      assertEquals(big + 1, res.samples(), "every acknowledged sample is recovered");
      assertArrayEquals(sent.toByteArray(), SinkTestSupport.ffmpegPackets(out, 0), "ffmpeg reads back exactly the bytes sent");
    } finally {
      log.close();
    }
  }

  /**
   * A power cut stand-in: the log's segments as they are now (on stable storage) are kept; the recording stops
   * and the log closes; then the recording's files are cut back to what was durable, and the log put back.
   */
  private void powerCut(ActorRef<RecordingActor.Command> rec, CommitLog log, Path wal, Path part,
      long partDurable, Path journal, long journalDurable) throws IOException {
    Path kept = Files.createDirectory(dir.resolve("kept"));
    for (Path s : segments(wal)) {
      Files.copy(s, kept.resolve(s.getFileName()));
    }
    TestProbe<RecordingReply> r = kit.createTestProbe();
    rec.tell(new RecordingActor.Abort("power cut stand-in", r.ref()));
    r.receiveMessage(Duration.ofSeconds(10));
    log.close();
    try (FileChannel p = FileChannel.open(part, StandardOpenOption.WRITE);
        FileChannel j = FileChannel.open(journal, StandardOpenOption.WRITE)) {
      p.truncate(partDurable);
      j.truncate(journalDurable);
    }
    for (Path s : segments(wal)) {
      Files.delete(s);
    }
    for (Path s : segments(kept)) {
      Files.copy(s, wal.resolve(s.getFileName()));
    }
  }

  private static List<Path> segments(Path d) throws IOException {
    try (Stream<Path> s = Files.list(d)) {
      return s.filter(p -> p.toString().endsWith(".wal")).sorted().toList();
    }
  }
}
