package lathe.sink;

import static lathe.sink.SinkTestSupport.awaitAck;
import static lathe.sink.SinkTestSupport.bytes;
import static lathe.sink.SinkTestSupport.expectDone;
import static lathe.sink.SinkTestSupport.expectError;
import static lathe.sink.SinkTestSupport.expectStreamError;
import static lathe.sink.SinkTestSupport.mjpeg;
import static lathe.sink.SinkTestSupport.pcm;
import static lathe.sink.SinkTestSupport.sample;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import lathe.protocol.Container;
import lathe.protocol.Durability;
import lathe.protocol.ErrorCode;
import lathe.protocol.FinalizeResult;
import lathe.protocol.MediaType;
import lathe.protocol.Metadata;
import lathe.protocol.RecordingReply;
import lathe.protocol.SinkEvent;
import lathe.protocol.StreamStatistics;
import lathe.sink.container.ContainerFormat;
import lathe.sink.container.SampleRecord;
import lathe.sink.journal.JournalReader;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every row of the sink-writer contract table (ARCHITECTURE.md), against real files in a temp folder. */
class RecordingActorTest {
  static final ActorTestKit kit = ActorTestKit.create(SinkTestSupport.testConfig());

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  @TempDir Path dir;

  /** A recording under test with its reply probe and its owner's event probe. */
  record Rig(ActorRef<RecordingActor.Command> rec, TestProbe<RecordingReply> replies, TestProbe<SinkEvent> owner,
      Path out) {
    RecordingReply ask(java.util.function.Function<ActorRef<RecordingReply>, RecordingActor.Command> cmd) {
      rec.tell(cmd.apply(replies.ref()));
      return replies.receiveMessage(Duration.ofSeconds(15));
    }

    void write(int stream, long seq, long dts, byte[] data) {
      rec.tell(new RecordingActor.WriteSample(sample(stream, seq, dts, data)));
    }

    FinalizeResult finalizeRecording() {
      RecordingReply r = ask(RecordingActor.Finalize::new);
      assertTrue(r.hasFinalized(), () -> "Finalize answers with OnFinalize, got " + r);
      return r.getFinalized();
    }

    StreamStatistics stats(int stream) {
      RecordingReply r = ask(ref -> new RecordingActor.GetStatistics(stream, ref));
      assertTrue(r.hasStatistics(), r::toString);
      return r.getStatistics().getStreams(0);
    }
  }

  static SinkSettings settings(ContainerFormat format) {
    return SinkSettings.fromConfig(kit.system().settings().config(), Map.of(Container.BWF, format));
  }

  Rig create(SinkSettings settings, String name) {
    TestProbe<RecordingReply> replies = kit.createTestProbe();
    TestProbe<SinkEvent> owner = kit.createTestProbe();
    Path out = dir.resolve(name);
    ActorRef<RecordingActor.Command> rec = kit.spawn(RecordingActor.create(name, settings));
    rec.tell(new RecordingActor.Create(out.toString(), Container.CONTAINER_UNSPECIFIED, Metadata.getDefaultInstance(),
        owner.ref(), replies.ref()));
    expectDone(replies);
    return new Rig(rec, replies, owner, out);
  }

  Rig writing(SinkSettings settings, String name, MediaType... types) {
    Rig rig = create(settings, name);
    for (int i = 0; i < types.length; i++) {
      MediaType t = types[i];
      assertEquals(i, rig.ask(ref -> new RecordingActor.AddStream(t, ref)).getStreamAdded());
    }
    assertTrue(rig.ask(RecordingActor.BeginWriting::new).hasDone());
    return rig;
  }

  static long[] byteCounts(Path file) throws IOException {
    byte[] all = Files.readAllBytes(file);
    long[] counts = new long[256];
    for (int i = RawFormat.MAGIC.length; i < all.length - 8; i++) {
      counts[all[i] & 0xff]++;
    }
    return counts;
  }

  static long trailerCount(Path file) throws IOException {
    byte[] all = Files.readAllBytes(file);
    return ByteBuffer.wrap(all, all.length - 8, 8).getLong();
  }

  @Test
  void configuringStateRefusesWhatNeedsWritingAndAcceptsStreams() {
    SinkSettings s = settings(new RawFormat());
    TestProbe<RecordingReply> replies = kit.createTestProbe();
    TestProbe<SinkEvent> owner = kit.createTestProbe();
    ActorRef<RecordingActor.Command> rec = kit.spawn(RecordingActor.create("c", s));

    rec.tell(new RecordingActor.AddStream(pcm(48000, 2), replies.ref()));
    expectError(replies, ErrorCode.INVALID_REQUEST); // before Create
    rec.tell(new RecordingActor.Create(dir.resolve("c.xyz").toString(), Container.CONTAINER_UNSPECIFIED,
        Metadata.getDefaultInstance(), owner.ref(), replies.ref()));
    expectError(replies, ErrorCode.INVALID_REQUEST); // container unknown from the extension
    rec.tell(new RecordingActor.Create(dir.resolve("c.wav").toString(), Container.CONTAINER_UNSPECIFIED,
        Metadata.getDefaultInstance(), owner.ref(), replies.ref()));
    expectDone(replies);
    rec.tell(new RecordingActor.Create(dir.resolve("d.wav").toString(), Container.BWF,
        Metadata.getDefaultInstance(), owner.ref(), replies.ref()));
    expectError(replies, ErrorCode.INVALID_REQUEST); // created once

    rec.tell(new RecordingActor.BeginWriting(replies.ref()));
    expectError(replies, ErrorCode.INVALID_REQUEST); // no stream yet
    rec.tell(new RecordingActor.AddStream(pcm(0, 2), replies.ref()));
    expectError(replies, ErrorCode.INVALID_MEDIA_TYPE); // rate 0
    rec.tell(new RecordingActor.AddStream(MediaType.newBuilder().setCodec(lathe.protocol.Codec.HEVC)
        .setVideo(lathe.protocol.VideoFormat.newBuilder().setWidth(8).setHeight(8)).build(), replies.ref()));
    expectError(replies, ErrorCode.INVALID_MEDIA_TYPE); // the container refuses the codec

    rec.tell(new RecordingActor.AddStream(pcm(48000, 2), replies.ref()));
    assertEquals(0, replies.receiveMessage().getStreamAdded());
    rec.tell(new RecordingActor.AddStream(mjpeg(), replies.ref()));
    assertEquals(1, replies.receiveMessage().getStreamAdded());

    rec.tell(new RecordingActor.WriteSample(sample(0, 0, 0, bytes(4, 1))));
    expectStreamError(owner, ErrorCode.INVALID_REQUEST);
    rec.tell(new RecordingActor.SendStreamTick(0, 0, replies.ref()));
    expectError(replies, ErrorCode.INVALID_REQUEST);
    rec.tell(new RecordingActor.PlaceMarker(0, ByteString.copyFromUtf8("m"), replies.ref()));
    expectError(replies, ErrorCode.INVALID_REQUEST);
    rec.tell(new RecordingActor.NotifyEndOfSegment(-1, replies.ref()));
    expectError(replies, ErrorCode.INVALID_REQUEST);
    rec.tell(new RecordingActor.Flush(-1, replies.ref()));
    expectError(replies, ErrorCode.INVALID_REQUEST);
    rec.tell(new RecordingActor.Finalize(replies.ref()));
    expectError(replies, ErrorCode.INVALID_STATE); // NS_E_INVALID_STATE: not writing
    rec.tell(new RecordingActor.GetStatistics(-1, replies.ref()));
    RecordingReply stats = replies.receiveMessage();
    assertEquals("configuring", stats.getStatistics().getState());
    assertEquals(2, stats.getStatistics().getStreamsCount());

    rec.tell(new RecordingActor.BeginWriting(replies.ref()));
    expectDone(replies);
    rec.tell(new RecordingActor.BeginWriting(replies.ref()));
    expectError(replies, ErrorCode.INVALID_REQUEST); // repeated
    rec.tell(new RecordingActor.AddStream(pcm(48000, 2), replies.ref()));
    expectError(replies, ErrorCode.INVALID_REQUEST); // after BeginWriting
    rec.tell(new RecordingActor.Abort("test over", replies.ref()));
    expectDone(replies);
  }

  @Test
  void underAnArchiveRootNamesAreRelativeAndCannotLeaveIt() throws IOException {
    Path root = dir.resolve("archive");
    java.util.List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    SinkSettings s = settings(new RawFormat()).withArchiveRoot(root)
        .withObserver((name, state, path, bytes) -> seen.add(name + " " + state + " " + root.relativize(path)));
    TestProbe<RecordingReply> replies = kit.createTestProbe();
    ActorRef<RecordingActor.Command> rec = kit.spawn(RecordingActor.create("show/a.wav", s));
    for (String bad : new String[] {"../x.wav", "a/../../x.wav", dir.resolve("x.wav").toString(), "."}) {
      rec.tell(new RecordingActor.Create(bad, Container.BWF, Metadata.getDefaultInstance(), null, replies.ref()));
      RecordingReply r = replies.receiveMessage(Duration.ofSeconds(15));
      assertEquals(ErrorCode.INVALID_REQUEST, r.getError().getCode(), r.toString());
      assertTrue(r.getError().getMessage().contains("leaves the archive"), r.toString());
    }
    TestProbe<SinkEvent> first = kit.createTestProbe();
    rec.tell(new RecordingActor.Create("show/a.wav", Container.BWF, Metadata.getDefaultInstance(), first.ref(),
        replies.ref()));
    expectDone(replies);
    rec.tell(new RecordingActor.AddStream(pcm(48000, 2), replies.ref()));
    assertEquals(0, replies.receiveMessage().getStreamAdded());
    rec.tell(new RecordingActor.BeginWriting(replies.ref()));
    expectDone(replies); // the folder show/ did not exist: it is made inside the root
    rec.tell(new RecordingActor.WriteSample(sample(0, 0, 0, bytes(8, 1))));
    awaitAck(first, 0, 0);

    // A producer that reconnected attaches: every later event goes to it.
    TestProbe<SinkEvent> second = kit.createTestProbe();
    rec.tell(new RecordingActor.Attach(second.ref(), replies.ref()));
    expectDone(replies);
    rec.tell(new RecordingActor.WriteSample(sample(0, 1, 960, bytes(8, 2))));
    awaitAck(second, 0, 1);
    first.expectNoMessage(Duration.ofMillis(200));
    rec.tell(new RecordingActor.Finalize(replies.ref()));
    assertTrue(replies.receiveMessage(Duration.ofSeconds(15)).getFinalized().getOk());
    assertTrue(Files.exists(root.resolve("show/a.wav")));
    assertEquals(java.util.List.of("show/a.wav configuring show/a.wav", "show/a.wav writing show/a.wav",
        "show/a.wav finalized show/a.wav"), seen);
  }

  @Test
  void writesAcknowledgesAndFinalizesOnceWithTheSameAnswerTwice() throws IOException {
    Rig rig = writing(settings(new RawFormat()), "two.wav", pcm(48000, 2), mjpeg());
    for (int i = 0; i < 50; i++) {
      rig.write(0, i, i * 960L, bytes(100, 0xA0));
      rig.write(1, i, i * 3600L, bytes(30, 0xB1));
    }
    awaitAck(rig.owner, 0, 49);
    FinalizeResult first = rig.finalizeRecording();
    assertTrue(first.getOk(), first::toString);
    assertEquals(rig.out.toString(), first.getFile().getPath());
    assertEquals(50, first.getFile().getStreams(0).getSamples());
    assertEquals(5000, first.getFile().getStreams(0).getBytes());
    assertEquals(50, first.getFile().getStreams(1).getSamples());
    assertEquals(Files.size(rig.out), first.getFile().getBytes());
    assertEquals(first, rig.finalizeRecording(), "a second Finalize returns the first one's result");

    long[] counts = byteCounts(rig.out);
    assertEquals(5000, counts[0xA0]);
    assertEquals(1500, counts[0xB1]);
    assertEquals(100, trailerCount(rig.out), "finish saw all 100 journaled samples");
    assertFalse(Files.exists(WriterActor.partOf(rig.out)), ".part renamed away");
    assertFalse(Files.exists(WriterActor.journalOf(rig.out)), "journal removed");

    SinkEvent onFinalize = rig.owner.fishForMessage(Duration.ofSeconds(5), e -> e.hasFinalized()
        ? org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.complete()
        : org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.continueAndIgnore()).get(0);
    assertEquals(first, onFinalize.getFinalized());

    rig.write(0, 50, 50 * 960L, bytes(100, 0xA0));
    expectStreamError(rig.owner, ErrorCode.INVALID_REQUEST); // after Finalize
    assertTrue(rig.ask(ref -> new RecordingActor.PlaceMarker(0, ByteString.EMPTY, ref)).hasError());
    assertTrue(rig.ask(ref -> new RecordingActor.SendStreamTick(0, 0, ref)).hasError());
  }

  @Test
  void aBatchOfSamplesIsTakenSampleBySampleAcrossStreams() throws IOException {
    Rig early = create(settings(new RawFormat()), "early.wav");
    early.rec.tell(new RecordingActor.WriteSamples(List.of(sample(0, 0, 0, bytes(4, 1)), sample(0, 1, 1, bytes(4, 1)))));
    assertEquals(0, expectStreamError(early.owner, ErrorCode.INVALID_REQUEST).getStreamError().getSeq());
    assertEquals(1, expectStreamError(early.owner, ErrorCode.INVALID_REQUEST).getStreamError().getSeq(),
        "before BeginWriting each sample of a batch is refused on its own");

    Rig rig = writing(settings(new RawFormat()), "batch.wav", pcm(48000, 2), mjpeg());
    List<lathe.protocol.Sample> first = new java.util.ArrayList<>();
    for (int i = 0; i < 5; i++) {
      first.add(sample(0, i, i * 960L, bytes(100, 0xA0)));
      if (i < 3) {
        first.add(sample(1, i, i * 3600L, bytes(30, 0xB1)));
      }
    }
    first.add(sample(5, 0, 0, bytes(10, 0xCC)));
    rig.rec.tell(new RecordingActor.WriteSamples(first));
    assertEquals(5, expectStreamError(rig.owner, ErrorCode.INVALID_STREAM_NUMBER).getStreamError().getStream());
    long[] acked = {-1, -1}; // the two streams' acks come in either order
    rig.owner.fishForMessage(Duration.ofSeconds(10), e -> {
      if (e.hasAck()) {
        acked[e.getAck().getStream()] = Math.max(acked[e.getAck().getStream()], e.getAck().getSeq());
      }
      return acked[0] >= 4 && acked[1] >= 2 ? org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.complete()
          : org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.continueAndIgnore();
    });
    rig.rec.tell(new RecordingActor.WriteSamples(List.of(
        sample(0, 3, 3 * 960L, bytes(100, 0xA0)), // resent: acknowledged, not written twice
        sample(0, 4, 4 * 960L, bytes(100, 0xA0)),
        sample(0, 5, 5 * 960L, bytes(100, 0xA0)),
        sample(0, 6, 1, bytes(100, 0xA0)), // decoding time goes back: refused, the batch goes on
        sample(0, 7, 7 * 960L, bytes(100, 0xA0)))));
    assertEquals(6, expectStreamError(rig.owner, ErrorCode.TIMESTAMP_OUT_OF_ORDER).getStreamError().getSeq());
    awaitAck(rig.owner, 0, 7);
    StreamStatistics st = rig.stats(0);
    assertEquals(2, st.getDuplicates());
    assertEquals(7, st.getReceived());
    FinalizeResult done = rig.finalizeRecording();
    assertTrue(done.getOk(), done::toString);
    assertEquals(7, done.getFile().getStreams(0).getSamples());
    assertEquals(3, done.getFile().getStreams(1).getSamples());
    long[] counts = byteCounts(rig.out);
    assertEquals(700, counts[0xA0], "samples 0-5 and 7 of stream 0, each once");
    assertEquals(90, counts[0xB1]);
    assertEquals(0, counts[0xCC], "nothing of the sample for a stream that does not exist");
  }

  @Test
  void aSampleTheIngestKeptBackAsTooLargeIsRefusedAndUsesUpItsSeq() throws IOException {
    Rig rig = writing(settings(new RawFormat()).withMaxSampleBytes(1024), "kept.wav", pcm(8000, 1));
    rig.write(0, 0, 0, bytes(10, 0x44));
    awaitAck(rig.owner, 0, 0);
    rig.rec.tell(new RecordingActor.RefuseSample(sample(0, 1, 1, new byte[0]), 18L << 20));
    SinkEvent refused = expectStreamError(rig.owner, ErrorCode.SAMPLE_TOO_LARGE);
    assertEquals(1, refused.getStreamError().getSeq());
    assertTrue(refused.getStreamError().getMessage().contains("has 18874368 bytes"),
        "the real size, not the empty stand-in's: " + refused.getStreamError().getMessage());
    rig.write(0, 2, 2, bytes(10, 0x44)); // no gap: seq 1 is used up
    awaitAck(rig.owner, 0, 2);
    assertTrue(rig.finalizeRecording().getOk());
    assertEquals(20, byteCounts(rig.out)[0x44], "samples 0 and 2, nothing for the refused one");
  }

  @Test
  void duplicateSequenceNumbersAreAcknowledgedNotWrittenTwice() throws IOException {
    Rig rig = writing(settings(new RawFormat()), "dup.wav", pcm(8000, 1));
    for (int i = 0; i < 3; i++) {
      rig.write(0, i, i, bytes(10, 0x11));
    }
    awaitAck(rig.owner, 0, 2);
    rig.write(0, 1, 1, bytes(10, 0x11));
    rig.write(0, 2, 2, bytes(10, 0x11));
    SinkEvent again = rig.owner.receiveMessage(Duration.ofSeconds(5));
    assertEquals(2, again.getAck().getSeq(), "a resent sample is acknowledged with the durable position");
    rig.write(0, 3, 3, bytes(10, 0x11));
    awaitAck(rig.owner, 0, 3);
    StreamStatistics st = rig.stats(0);
    assertEquals(4, st.getReceived());
    assertEquals(2, st.getDuplicates());
    assertEquals(4, st.getDurable());
    assertEquals(3, st.getDurableSeq());
    assertTrue(rig.finalizeRecording().getOk());
    assertEquals(40, byteCounts(rig.out)[0x11]);
  }

  @Test
  void aSampleAfterAGapIsRefusedUntilTheMissingOnesArrive() throws IOException {
    Rig rig = writing(settings(new RawFormat()), "gap.wav", pcm(8000, 1));
    rig.write(0, 0, 0, bytes(10, 0x33));
    awaitAck(rig.owner, 0, 0);
    // Samples 1 and 2 were lost on the way between nodes: 3 must not be written, or an ack of 3 would lie.
    rig.write(0, 3, 3, bytes(10, 0x33));
    SinkEvent gap = expectStreamError(rig.owner, ErrorCode.SEQUENCE_GAP);
    assertEquals(3, gap.getStreamError().getSeq());
    assertTrue(gap.getStreamError().getMessage().contains("resend from 1"), gap.getStreamError().getMessage());
    assertEquals(0, rig.stats(0).getDurableSeq());
    for (int i = 1; i <= 3; i++) {
      rig.write(0, i, i, bytes(10, 0x33));
    }
    awaitAck(rig.owner, 0, 3);
    assertTrue(rig.finalizeRecording().getOk());
    assertEquals(40, byteCounts(rig.out)[0x33], "every sample once, none skipped");
    // A resent copy still on its way when Finalize overtook it is acknowledged, not refused as a lost sample.
    rig.write(0, 2, 2, bytes(10, 0x33));
    SinkEvent late = rig.owner.receiveMessage(Duration.ofSeconds(5));
    while (!late.hasAck() && !late.hasStreamError()) {
      late = rig.owner.receiveMessage(Duration.ofSeconds(5));
    }
    assertTrue(late.hasAck(), "a duplicate after Finalize is acknowledged: " + late);
    assertEquals(3, late.getAck().getSeq());
    rig.write(0, 4, 4, bytes(10, 0x33));
    assertEquals(4, expectStreamError(rig.owner, ErrorCode.INVALID_REQUEST).getStreamError().getSeq());
  }

  @Test
  void refusesBadSamplesWithStableCodesAndKeepsGoing() throws IOException {
    Rig rig = writing(settings(new RawFormat()).withMaxSampleBytes(1024), "bad.wav", pcm(8000, 1));
    rig.write(0, 0, 100, bytes(10, 0x22));
    rig.write(0, 1, 99, bytes(10, 0x22));
    assertEquals(1, expectStreamError(rig.owner, ErrorCode.TIMESTAMP_OUT_OF_ORDER).getStreamError().getSeq());
    rig.write(0, 2, 101, bytes(2000, 0x22));
    assertEquals(2, expectStreamError(rig.owner, ErrorCode.SAMPLE_TOO_LARGE).getStreamError().getSeq());
    rig.write(3, 0, 0, bytes(10, 0x22));
    assertEquals(3, expectStreamError(rig.owner, ErrorCode.INVALID_STREAM_NUMBER).getStreamError().getStream());
    rig.write(0, 3, 100, bytes(10, 0x22)); // same dts is allowed
    awaitAck(rig.owner, 0, 3);
    assertTrue(rig.finalizeRecording().getOk());
    assertEquals(20, byteCounts(rig.out)[0x22], "only the two good samples were written");
    assertEquals(ErrorCode.INVALID_STREAM_NUMBER,
        rig.ask(ref -> new RecordingActor.GetStatistics(7, ref)).getError().getCode());
  }

  @Test
  void onMarkerComesAfterEveryEarlierSampleIsWritten() {
    Semaphore gate = new Semaphore(0);
    Rig rig = writing(settings(new RawFormat(gate, Long.MAX_VALUE)), "marker.wav", pcm(8000, 1));
    for (int i = 0; i < 5; i++) {
      rig.write(0, i, i, bytes(10, 0x33));
    }
    assertTrue(rig.ask(ref -> new RecordingActor.PlaceMarker(0, ByteString.copyFromUtf8("chapter-1"), ref))
        .hasDone());
    rig.owner.expectNoMessage(Duration.ofMillis(300)); // the disk is stalled: no ack, no marker yet
    gate.release(1000);
    List<SinkEvent> events = new ArrayList<>();
    SinkEvent e;
    do {
      e = rig.owner.receiveMessage(Duration.ofSeconds(10));
      events.add(e);
    } while (!e.hasMarker());
    assertEquals("chapter-1", e.getMarker().getContext().toStringUtf8());
    assertTrue(events.stream().anyMatch(x -> x.hasAck() && x.getAck().getSeq() == 4),
        () -> "every earlier sample was acknowledged before OnMarker: " + events);
    assertTrue(rig.finalizeRecording().getOk());
  }

  @Test
  void aProducerThatIgnoresAcksIsRefusedBeforeTheQueueGrowsWithoutBound() {
    Semaphore gate = new Semaphore(0);
    Rig rig = writing(settings(new RawFormat(gate, Long.MAX_VALUE)).withMaxQueuedBytes(100), "full.wav",
        pcm(8000, 1));
    try {
      for (int i = 0; i < 13; i++) {
        // Samples 0 and 1 are two batches with the stalled writer (StreamSinkActor.MAX_BATCHES_IN_FLIGHT), 2..11
        // fill the 100 bytes.
        rig.write(0, i, i, bytes(10, 0x61));
      }
      assertEquals(12, expectStreamError(rig.owner, ErrorCode.QUEUE_FULL).getStreamError().getSeq());
      assertEquals(100, rig.stats(0).getQueuedBytes());
    } finally {
      gate.release(1000);
    }
    awaitAck(rig.owner, 0, 11);
    rig.write(0, 12, 12, bytes(10, 0x61)); // resent after the ack: taken
    awaitAck(rig.owner, 0, 12);
    assertTrue(rig.finalizeRecording().getOk());
  }

  @Test
  void streamTickMarksTheNextSampleDiscontinuous() throws IOException {
    Rig rig = writing(settings(new RawFormat()), "tick.wav", pcm(8000, 1));
    rig.write(0, 0, 0, bytes(10, 0x44));
    assertTrue(rig.ask(ref -> new RecordingActor.SendStreamTick(0, 500, ref)).hasDone());
    rig.write(0, 1, 800, bytes(10, 0x44));
    awaitAck(rig.owner, 0, 1);
    List<SampleRecord> journaled = new ArrayList<>();
    JournalReader.open(WriterActor.journalOf(rig.out)).samples().forEach(journaled::add);
    assertEquals(2, journaled.size());
    assertFalse(journaled.get(0).discontinuity());
    assertTrue(journaled.get(1).discontinuity(), "the sample after SendStreamTick carries the discontinuity");
    assertTrue(rig.finalizeRecording().getOk());
  }

  @Test
  void afterFinalizeEveryOperationIsRefusedWithItsStableCode() throws IOException {
    Rig rig = writing(settings(new RawFormat()), "done.wav", pcm(8000, 1));
    rig.write(0, 0, 0, bytes(10, 0x12));
    assertTrue(rig.finalizeRecording().getOk());
    assertEquals(ErrorCode.INVALID_REQUEST,
        rig.ask(ref -> new RecordingActor.AddStream(pcm(8000, 1), ref)).getError().getCode(), "MF_E_INVALIDREQUEST");
    assertEquals(ErrorCode.INVALID_REQUEST, rig.ask(RecordingActor.BeginWriting::new).getError().getCode());
    assertEquals(ErrorCode.INVALID_REQUEST,
        rig.ask(ref -> new RecordingActor.NotifyEndOfSegment(-1, ref)).getError().getCode());
    assertEquals(ErrorCode.INVALID_REQUEST, rig.ask(ref -> new RecordingActor.Flush(-1, ref)).getError().getCode());
    assertEquals(ErrorCode.INVALID_REQUEST,
        rig.ask(ref -> new RecordingActor.PlaceMarker(0, ByteString.EMPTY, ref)).getError().getCode());
    assertEquals(ErrorCode.INVALID_REQUEST,
        rig.ask(ref -> new RecordingActor.SendStreamTick(0, 5, ref)).getError().getCode());
    // GetStatistics is allowed in any state and still tells what was written.
    StreamStatistics st = rig.stats(0);
    assertEquals(1, st.getWritten());
    assertEquals(10, st.getWrittenBytes());
    assertEquals(0, st.getLastDts());
    assertEquals(10, byteCounts(rig.out)[0x12], "the finalized file is untouched");
  }

  @Test
  void endOfSegmentOfEveryStreamAndFlushOfOneStream() throws IOException {
    Semaphore gate = new Semaphore(0);
    Rig rig = writing(settings(new RawFormat(gate, Long.MAX_VALUE)), "all.wav", pcm(8000, 1), pcm(8000, 1));
    for (int i = 0; i < 6; i++) {
      rig.write(0, i, i, bytes(10, 0x21));
    }
    rig.write(1, 0, 0, bytes(10, 0x31));
    // Stream 0's samples 0 and 1 are two batches with the stalled writer and 2..5 wait; Flush(0) drops those
    // four, not stream 1's.
    long queued = 0;
    for (int tries = 0; tries < 100 && queued != 40; tries++) {
      queued = rig.stats(0).getQueuedBytes();
    }
    assertEquals(40, queued);
    assertEquals(4, rig.ask(ref -> new RecordingActor.Flush(0, ref)).getFlushed());
    gate.release(1000);
    for (int tries = 0; tries < 500 && (rig.stats(0).getDurableSeq() < 0 || rig.stats(1).getDurableSeq() < 0);
        tries++) {
      Thread.onSpinWait(); // each stats call is a round trip to the recording
    }
    for (int tries = 0; tries < 500 && rig.stats(0).getDurableSeq() < 1; tries++) {
      Thread.onSpinWait();
    }
    assertEquals(1, rig.stats(0).getDurableSeq());
    assertEquals(0, rig.stats(1).getDurableSeq());
    assertEquals(4, rig.stats(0).getDropped());
    assertEquals(0, rig.stats(1).getDropped());
    assertTrue(rig.ask(ref -> new RecordingActor.NotifyEndOfSegment(-1, ref)).hasDone(), "every stream ends");
    rig.write(0, 6, 6, bytes(10, 0x21));
    assertEquals(0, expectStreamError(rig.owner, ErrorCode.INVALID_REQUEST).getStreamError().getStream());
    rig.write(1, 1, 1, bytes(10, 0x31));
    assertEquals(1, expectStreamError(rig.owner, ErrorCode.INVALID_REQUEST).getStreamError().getStream());
    assertTrue(rig.finalizeRecording().getOk());
    long[] counts = byteCounts(rig.out);
    assertEquals(20, counts[0x21]);
    assertEquals(10, counts[0x31]);
  }

  @Test
  void endOfSegmentEndsOneStreamOnly() throws IOException {
    Rig rig = writing(settings(new RawFormat()), "eos.wav", pcm(8000, 1), pcm(8000, 1));
    rig.write(0, 0, 0, bytes(10, 0x55));
    assertTrue(rig.ask(ref -> new RecordingActor.NotifyEndOfSegment(0, ref)).hasDone());
    rig.write(0, 1, 1, bytes(10, 0x55));
    assertEquals(1, expectStreamError(rig.owner, ErrorCode.INVALID_REQUEST).getStreamError().getSeq());
    rig.write(1, 0, 0, bytes(10, 0x66));
    awaitAck(rig.owner, 1, 0);
    assertEquals(ErrorCode.INVALID_STREAM_NUMBER,
        rig.ask(ref -> new RecordingActor.NotifyEndOfSegment(9, ref)).getError().getCode());
    assertTrue(rig.finalizeRecording().getOk());
    long[] counts = byteCounts(rig.out);
    assertEquals(10, counts[0x55]);
    assertEquals(10, counts[0x66]);
  }

  @Test
  void flushDropsWhatIsNotWrittenYetAndSaysHowMany() throws IOException {
    Semaphore gate = new Semaphore(0);
    Rig rig = writing(settings(new RawFormat(gate, Long.MAX_VALUE)), "flush.wav", pcm(8000, 1));
    for (int i = 0; i < 10; i++) {
      rig.write(0, i, i, bytes(10, 0x77));
    }
    StreamStatistics before = rig.stats(0);
    assertEquals(10, before.getReceived());
    assertEquals(80, before.getQueuedBytes(), "samples 0 and 1 are with the stalled writer, 2..9 are queued");
    assertEquals(8, rig.ask(ref -> new RecordingActor.Flush(-1, ref)).getFlushed());
    gate.release(1000);
    awaitAck(rig.owner, 0, 1);
    StreamStatistics after = rig.stats(0);
    assertEquals(8, after.getDropped());
    assertEquals(0, after.getQueuedBytes());
    assertTrue(rig.finalizeRecording().getOk());
    assertEquals(20, byteCounts(rig.out)[0x77], "only the samples already with the writer reached the file");
  }

  @Test
  void finalizeFailsAfterItsTimeoutWhenAStreamNeverEndsAndTheFileStaysRecoverable() throws IOException {
    Semaphore gate = new Semaphore(0);
    SinkSettings s = settings(new RawFormat(gate, Long.MAX_VALUE)).withFinalizeTimeout(Duration.ofMillis(500));
    Rig rig = writing(s, "stuck.wav", pcm(8000, 1), pcm(8000, 1));
    try {
      rig.write(0, 0, 0, bytes(10, 0x12)); // stream 0's batch never comes back from the stalled disk
      FinalizeResult r = rig.finalizeRecording();
      assertFalse(r.getOk());
      assertEquals(ErrorCode.FINALIZE_TIMEOUT, r.getError().getCode());
      assertTrue(r.getError().getMessage().contains("[0]"), r.getError().getMessage());
      assertEquals(r, rig.finalizeRecording(), "the second Finalize repeats the first one's result");
      assertTrue(Files.exists(WriterActor.partOf(rig.out)), ".part kept for recovery");
      assertTrue(Files.exists(WriterActor.journalOf(rig.out)), "journal kept for recovery");
      assertFalse(Files.exists(rig.out));
      JournalReader journal = JournalReader.open(WriterActor.journalOf(rig.out));
      assertEquals(2, journal.header().getStreamsCount());
    } finally {
      gate.release(1000);
    }
  }

  @Test
  void aWriteErrorIsAnEventAndFailsFinalizeWithoutTouchingOtherRecordings() throws IOException {
    Rig broken = writing(settings(new RawFormat(null, 200)), "broken.wav", pcm(8000, 1));
    Rig healthy = writing(settings(new RawFormat()), "healthy.wav", pcm(8000, 1));
    broken.write(0, 0, 0, bytes(100, 0x01));
    awaitAck(broken.owner, 0, 0);
    broken.write(0, 1, 1, bytes(150, 0x01));
    healthy.write(0, 0, 0, bytes(150, 0x02));
    SinkEvent err = broken.owner.fishForMessage(Duration.ofSeconds(10), e -> e.hasFileWriteError()
        ? org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.complete()
        : org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.continueAndIgnore()).get(0);
    assertEquals(ErrorCode.FILE_WRITE, err.getFileWriteError().getCode());
    assertTrue(err.getFileWriteError().getMessage().contains("No space left"), err.toString());
    FinalizeResult r = broken.finalizeRecording();
    assertFalse(r.getOk());
    assertEquals(ErrorCode.FILE_WRITE, r.getError().getCode());
    broken.write(0, 2, 2, bytes(1, 0x01));
    expectStreamError(broken.owner, ErrorCode.FILE_WRITE);
    assertTrue(Files.exists(WriterActor.partOf(broken.out)), "what was acknowledged stays recoverable");

    awaitAck(healthy.owner, 0, 0);
    assertTrue(healthy.finalizeRecording().getOk());
    assertEquals(150, byteCounts(healthy.out)[0x02]);
  }

  @Test
  void aFullFileSystemIsAFileWriteErrorAndKeepsEveryAcknowledgedSample() throws Exception {
    Path small = dir.resolve("small");
    Files.createDirectories(small);
    Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", small.toString())
        .redirectErrorStream(true).start();
    org.junit.jupiter.api.Assumptions.assumeTrue(mount.waitFor() == 0,
        "needs root to mount a 64 KiB tmpfs; the injected-fault test above covers the same path");
    try {
      TestProbe<RecordingReply> replies = kit.createTestProbe();
      TestProbe<SinkEvent> owner = kit.createTestProbe();
      Path out = small.resolve("full.wav");
      ActorRef<RecordingActor.Command> rec = kit.spawn(RecordingActor.create("full", settings(new RawFormat())));
      Rig rig = new Rig(rec, replies, owner, out);
      rec.tell(new RecordingActor.Create(out.toString(), Container.BWF, Metadata.getDefaultInstance(),
          owner.ref(), replies.ref()));
      expectDone(replies);
      rig.ask(ref -> new RecordingActor.AddStream(pcm(8000, 1), ref));
      assertTrue(rig.ask(RecordingActor.BeginWriting::new).hasDone());
      long acked = -1;
      for (int i = 0; i < 20; i++) {
        rig.write(0, i, i, bytes(8192, 0x5A));
      }
      SinkEvent e;
      do {
        e = owner.receiveMessage(Duration.ofSeconds(10));
        if (e.hasAck()) {
          acked = e.getAck().getSeq();
        }
      } while (!e.hasFileWriteError());
      assertEquals(ErrorCode.FILE_WRITE, e.getFileWriteError().getCode());
      assertTrue(acked >= 0 && acked < 19, "some samples fit, not all: acked " + acked);
      FinalizeResult r = rig.finalizeRecording();
      assertEquals(ErrorCode.FILE_WRITE, r.getError().getCode());
      JournalReader journal = JournalReader.open(WriterActor.journalOf(out));
      long kept = journal.samples(Files.size(WriterActor.partOf(out))).count();
      assertTrue(kept >= acked + 1, "every acknowledged sample is in the journal and the file: " + kept);
    } finally {
      new ProcessBuilder("umount", "-l", small.toString()).start().waitFor();
    }
  }

  @Test
  void refusesToOverwriteAFinalizedFileOrAnUnrecoveredPart() throws IOException {
    Files.writeString(dir.resolve("exists.wav"), "a finalized recording");
    Rig rig = create(settings(new RawFormat()), "exists.wav");
    rig.ask(ref -> new RecordingActor.AddStream(pcm(8000, 1), ref));
    RecordingReply r = rig.ask(RecordingActor.BeginWriting::new);
    assertEquals(ErrorCode.FILE_WRITE, r.getError().getCode());
    assertTrue(r.getError().getMessage().contains("already exists"), r.getError().getMessage());
    assertEquals("a finalized recording", Files.readString(dir.resolve("exists.wav")));

    Files.writeString(dir.resolve("left.wav.part"), "x");
    Rig left = create(settings(new RawFormat()), "left.wav");
    left.ask(ref -> new RecordingActor.AddStream(pcm(8000, 1), ref));
    RecordingReply l = left.ask(RecordingActor.BeginWriting::new);
    assertTrue(l.getError().getMessage().contains("lathe recover"), l.getError().getMessage());

    Rig nowhere = create(settings(new RawFormat()), "no/such/dir/x.wav");
    nowhere.ask(ref -> new RecordingActor.AddStream(pcm(8000, 1), ref));
    assertEquals(ErrorCode.FILE_WRITE, nowhere.ask(RecordingActor.BeginWriting::new).getError().getCode());
  }

  @Test
  void abortLeavesTheRecordingRecoverable() throws IOException {
    Rig rig = writing(settings(new RawFormat()), "abort.wav", pcm(8000, 1));
    rig.write(0, 0, 0, bytes(10, 0x01));
    awaitAck(rig.owner, 0, 0);
    assertTrue(rig.ask(ref -> new RecordingActor.Abort("operator", ref)).hasDone());
    FinalizeResult r = rig.finalizeRecording();
    assertEquals(ErrorCode.ABORTED, r.getError().getCode());
    assertTrue(Files.exists(WriterActor.partOf(rig.out)));
    assertEquals(1, JournalReader.open(WriterActor.journalOf(rig.out)).sampleCount());
  }

  @Test
  void osDurabilityStillWritesEverything() throws IOException {
    SinkSettings s = settings(new RawFormat()).withDurability(Durability.OS);
    Rig rig = writing(s, "os.wav", pcm(8000, 1));
    for (int i = 0; i < 20; i++) {
      rig.write(0, i, i, bytes(7, 0x09));
    }
    awaitAck(rig.owner, 0, 19);
    assertEquals(0, rig.stats(0).getDurable(), "with durability=os nothing is claimed durable");
    assertTrue(rig.finalizeRecording().getOk());
    assertArrayEquals(new long[] {140}, new long[] {byteCounts(rig.out)[0x09]});
  }

  @Test
  void osDurabilityWritesBehindInTheBackgroundAndFinalizeWaitsForIt() throws IOException {
    // An fdatasync every 64 bytes: many run while samples are still coming, and Finalize meets one running.
    SinkSettings s = settings(new RawFormat()).withDurability(Durability.OS).withWriteBehindBytes(64);
    for (int round = 0; round < 5; round++) {
      Rig rig = writing(s, "behind" + round + ".wav", pcm(8000, 1));
      for (int i = 0; i < 300; i++) {
        rig.write(0, i, i, bytes(7, 0x0b));
      }
      awaitAck(rig.owner, 0, 299);
      assertTrue(rig.finalizeRecording().getOk());
      assertEquals(2100, byteCounts(rig.out)[0x0b], "every sample is in the finalized file, once");
      assertFalse(Files.exists(WriterActor.partOf(rig.out)));
    }
  }
}
