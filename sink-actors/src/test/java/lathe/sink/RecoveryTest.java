package lathe.sink;

import static lathe.sink.SinkTestSupport.bytes;
import static lathe.sink.SinkTestSupport.pcm;
import static lathe.sink.SinkTestSupport.sample;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import lathe.protocol.Container;
import lathe.protocol.Metadata;
import lathe.protocol.RecordingReply;
import lathe.protocol.SinkEvent;
import lathe.sink.recovery.Recovery;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Recovery of what an aborted (or crashed) recording leaves: every acknowledged sample is kept. */
class RecoveryTest {
  static final ActorTestKit kit = ActorTestKit.create(SinkTestSupport.testConfig());
  static final Map<Container, lathe.sink.container.ContainerFormat> FORMATS = Map.of(Container.BWF, new RawFormat());

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  @TempDir Path dir;

  /** Records {@code n} samples of 10 bytes, waits for their acks, and aborts: the crash stand-in. */
  Path leaveBehind(String name, int n) {
    TestProbe<RecordingReply> r = kit.createTestProbe();
    TestProbe<SinkEvent> owner = kit.createTestProbe();
    Path out = dir.resolve(name);
    ActorRef<RecordingActor.Command> rec = kit.spawn(RecordingActor.create(name,
        SinkSettings.fromConfig(kit.system().settings().config(), FORMATS)));
    rec.tell(new RecordingActor.Create(out.toString(), Container.BWF, Metadata.getDefaultInstance(), owner.ref(),
        r.ref()));
    rec.tell(new RecordingActor.AddStream(pcm(8000, 1), r.ref()));
    rec.tell(new RecordingActor.BeginWriting(r.ref()));
    r.receiveSeveralMessages(3, Duration.ofSeconds(10));
    for (int i = 0; i < n; i++) {
      rec.tell(new RecordingActor.WriteSample(sample(0, i, i, bytes(10, 0x30 + i))));
    }
    SinkTestSupport.awaitAck(owner, 0, n - 1);
    rec.tell(new RecordingActor.Abort("crash stand-in", r.ref()));
    r.receiveMessage(Duration.ofSeconds(10));
    return out;
  }

  @Test
  void recoversEveryJournaledSampleAndRemovesTheJournal() throws IOException {
    Path out = leaveBehind("a.wav", 12);
    List<Recovery.Result> results = Recovery.recoverAll(WriterActor.partOf(out), FORMATS);
    Recovery.Result res = results.get(0);
    assertTrue(res.ok(), res::error);
    assertEquals(12, res.samples());
    assertEquals(out, res.output());
    byte[] file = Files.readAllBytes(out);
    assertEquals(4 + 120 + 8, file.length);
    assertEquals(0x30 + 11, file[4 + 110]);
    assertFalse(Files.exists(WriterActor.journalOf(out)));
    assertFalse(Recovery.recover(out, FORMATS).ok(), "a finalized file is never touched again");
  }

  @Test
  void bytesTheJournalDoesNotVouchForAreCutAway() throws IOException {
    Path out = leaveBehind("b.wav", 5);
    try (RandomAccessFile f = new RandomAccessFile(WriterActor.partOf(out).toFile(), "rw")) {
      f.seek(f.length());
      f.write(bytes(7, 0x7f)); // a write that reached the file but never the journal
    }
    Recovery.Result res = Recovery.recover(WriterActor.partOf(out), FORMATS);
    assertTrue(res.ok(), res::error);
    assertEquals(4 + 50 + 8, Files.size(out));
  }

  @Test
  void aFolderIsScannedAndAnExistingTargetIsLeftAlone() throws IOException {
    Path a = leaveBehind("x1.wav", 3);
    Path b = leaveBehind("x2.wav", 4);
    Files.writeString(b, "someone else's file");
    List<Recovery.Result> results = Recovery.recoverAll(dir, FORMATS);
    assertEquals(2, results.size());
    assertTrue(results.get(0).ok());
    assertEquals(a, results.get(0).output());
    assertFalse(results.get(1).ok());
    assertTrue(results.get(1).error().contains("never overwrites"), results.get(1).error());
    assertEquals("someone else's file", Files.readString(b));
    assertTrue(Files.exists(WriterActor.partOf(b)));
  }

  @Test
  void aPartWithoutJournalIsReportedNotGuessed() throws IOException {
    Path p = dir.resolve("lonely.wav.part");
    Files.write(p, bytes(100, 1));
    Recovery.Result res = Recovery.recover(p, FORMATS);
    assertFalse(res.ok());
    assertTrue(res.error().contains("no journal"), res.error());
    assertTrue(Files.exists(p));
  }
}
