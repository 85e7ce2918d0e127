package lathe.sink;

import static lathe.sink.SinkTestSupport.mjpeg;
import static lathe.sink.SinkTestSupport.sample;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.stream.Stream;
import lathe.protocol.Container;
import lathe.protocol.RecordingReply;
import lathe.protocol.SinkEvent;
import lathe.sink.wal.CommitLog;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Commits too big for the node's log are fsynced in the background while the writer goes on writing, and small
 * commits in between go through the log. Whichever way a sample became durable, its stream acknowledges it in
 * order, never going back, and the finalized file holds every byte sent.
 */
class BigCommitTest {
  static final ActorTestKit kit = ActorTestKit.create(SinkTestSupport.testConfig());

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  @TempDir Path dir;

  @Test
  void bigAndSmallCommitsAreAcknowledgedInOrderAndKeepEveryByte() throws Exception {
    Path wal = dir.resolve("wal");
    CommitLog log = CommitLog.open(wal, 64 << 20);
    try {
      // Entries over 256 KiB are given up: those commits are made durable by an fsync of the files instead.
      // No timed checkpoints, so that only big commits start one.
      SinkSettings settings = SinkTestSupport.fsyncThroughLog(kit.system(), log, 256 << 10);
      Path out = dir.resolve("mixed.mp4");
      TestProbe<SinkEvent> owner = kit.createTestProbe();
      ActorRef<RecordingActor.Command> rec = SinkTestSupport.startRecording(kit, settings, out, Container.MP4, owner,
          mjpeg(), mjpeg());

      // Stream 0: runs of big samples (several MiB a commit) between runs of small ones. Stream 1: small ones
      // throughout, so that its commits land while stream 0's big ones are being fsynced.
      int n = 240;
      Random random = new Random(7);
      ByteArrayOutputStream[] sent = {new ByteArrayOutputStream(), new ByteArrayOutputStream()};
      long bigBytes = 0;
      for (int i = 0; i < n; i++) {
        boolean big = (i / 20) % 2 == 0;
        byte[] a = new byte[big ? 300_000 + random.nextInt(200_000) : 200 + random.nextInt(2_000)];
        byte[] b = new byte[100 + random.nextInt(1_000)];
        random.nextBytes(a);
        random.nextBytes(b);
        bigBytes += big ? a.length : 0;
        sent[0].write(a);
        sent[1].write(b);
        rec.tell(new RecordingActor.WriteSample(sample(0, i, i, a)));
        rec.tell(new RecordingActor.WriteSample(sample(1, i, i, b)));
        if (i % 40 == 39) {
          Thread.sleep(30); // let the small run's commits reach the log while the big ones' fsync runs
        }
      }

      long[] last = {-1, -1};
      owner.fishForMessage(Duration.ofSeconds(30), ev -> {
        if (ev.hasStreamError() || ev.hasFileWriteError()) {
          throw new AssertionError("no sample may fail: " + ev);
        }
        if (ev.hasAck()) {
          int s = ev.getAck().getStream();
          long seq = ev.getAck().getSeq();
          assertTrue(seq > last[s], "stream " + s + " acknowledged " + seq + " after " + last[s]);
          last[s] = seq;
        }
        return last[0] == n - 1 && last[1] == n - 1
            ? org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.complete()
            : org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.continueAndIgnore();
      });
      long logged = 0;
      try (Stream<Path> s = Files.list(wal)) {
        for (Path p : s.toList()) {
          logged += Files.size(p);
        }
      }
      assertTrue(logged < bigBytes / 4, "the big samples (" + bigBytes + " bytes) did not go through the log ("
          + logged + " bytes)");

      TestProbe<RecordingReply> r = kit.createTestProbe();
      rec.tell(new RecordingActor.Finalize(r.ref()));
      RecordingReply fin = r.receiveMessage(Duration.ofSeconds(30));
      assertTrue(fin.hasFinalized() && fin.getFinalized().getOk(), fin::toString);
      assertArrayEquals(sent[0].toByteArray(), SinkTestSupport.ffmpegPackets(out, 0), "ffmpeg reads back stream 0's bytes");
      assertArrayEquals(sent[1].toByteArray(), SinkTestSupport.ffmpegPackets(out, 1), "ffmpeg reads back stream 1's bytes");
    } finally {
      log.close();
    }
  }
}
