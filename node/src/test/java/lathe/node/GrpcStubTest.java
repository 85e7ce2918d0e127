package lathe.node;

import static lathe.node.ClusterTestSupport.STEREO_48K;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import com.google.protobuf.ByteString;
import lathe.client.SinkWriterClient;
import lathe.protocol.AudioFormat;
import lathe.protocol.ClusterStatusRequest;
import lathe.protocol.Codec;
import lathe.protocol.MediaType;
import lathe.protocol.Metadata;
import lathe.protocol.Sample;
import lathe.protocol.SinkError;
import lathe.protocol.Container;
import lathe.protocol.ErrorCode;
import lathe.protocol.FinalizeRequest;
import lathe.protocol.FinalizeResult;
import lathe.protocol.IngestGrpc;
import lathe.protocol.OpenReply;
import lathe.protocol.OpenRequest;
import lathe.protocol.RecordingReply;
import lathe.protocol.SinkEvent;
import lathe.protocol.StatisticsRequest;
import lathe.protocol.WriteRequest;
import lathe.sink.RecordingActor;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The generated stubs alone, as a Python or Go producer would use theirs: record and finalize, and clear errors
 * for a bad name, an unknown stream, a write after Finalize and a malformed message, after which the node still
 * answers.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GrpcStubTest {
  LatheNode node;
  ManagedChannel channel;
  IngestGrpc.IngestBlockingStub stub;

  @BeforeAll
  void start(@TempDir Path root) throws Exception {
    node = ClusterTestSupport.startCluster(root, 1).get(0);
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", node.grpcPort()).usePlaintext().build();
    stub = IngestGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  @AfterAll
  void stop() {
    if (channel != null) {
      channel.shutdownNow();
    }
    if (node != null) {
      node.close();
    }
  }

  /** A write stream whose events land in a queue. */
  final class Writer {
    final LinkedBlockingQueue<Object> events = new LinkedBlockingQueue<>();
    final StreamObserver<WriteRequest> in = IngestGrpc.newStub(channel).write(new StreamObserver<>() {
      @Override
      public void onNext(SinkEvent e) {
        events.add(e);
      }

      @Override
      public void onError(Throwable t) {
        events.add(t);
      }

      @Override
      public void onCompleted() {
        events.add("completed");
      }
    });

    SinkEvent next(java.util.function.Predicate<SinkEvent> wanted) throws InterruptedException {
      while (true) {
        Object o = events.poll(30, TimeUnit.SECONDS);
        if (o == null || !(o instanceof SinkEvent e)) {
          throw new AssertionError("expected an event, got " + o);
        }
        if (wanted.test(e)) {
          return e;
        }
      }
    }
  }

  OpenReply open(String name) {
    return stub.open(OpenRequest.newBuilder().setName(name).setContainer(Container.BWF).addStreams(STEREO_48K)
        .build());
  }

  @Test
  void aSampleAfterAGapIsRefusedAndTheResentOnesFillIt() throws Exception {
    open("stub/gap");
    Writer w = new Writer();
    w.in.onNext(WriteRequest.newBuilder().setName("stub/gap").build());
    for (int i : new int[] {0, 1, 2, 4, 5}) { // 3 lost on the way
      w.in.onNext(WriteRequest.newBuilder().setSample(ClusterTestSupport.tone(0, i).toBuilder().setSeq(i)).build());
    }
    SinkError gap = w.next(e -> e.hasStreamError() && e.getStreamError().getSeq() == 4).getStreamError();
    assertEquals(ErrorCode.SEQUENCE_GAP, gap.getCode());
    assertTrue(gap.getMessage().contains("resend from 3"), gap.getMessage());
    w.next(e -> e.hasStreamError() && e.getStreamError().getSeq() == 5);
    long durable = stub.getStatistics(StatisticsRequest.newBuilder().setName("stub/gap").setStream(-1).build())
        .getStreams(0).getDurableSeq();
    assertTrue(durable <= 2, "nothing after the gap is acknowledged: " + durable);
    for (int i = 3; i <= 5; i++) {
      w.in.onNext(WriteRequest.newBuilder().setSample(ClusterTestSupport.tone(0, i).toBuilder().setSeq(i)).build());
    }
    w.next(e -> e.hasAck() && e.getAck().getSeq() == 5);
    assertTrue(stub.finalize(FinalizeRequest.newBuilder().setName("stub/gap").build()).getOk());
    byte[] pcm = ClusterTestSupport.dataChunk(node.archive().resolve("stub/gap.wav"));
    assertEquals(6 * 960 * 4, pcm.length);
    for (int i = 0; i < 6; i++) {
      assertTrue(java.util.Arrays.equals(ClusterTestSupport.tone(0, i).getData().toByteArray(),
          java.util.Arrays.copyOfRange(pcm, i * 3840, (i + 1) * 3840)), "sample " + i + " in its place");
    }
    w.in.onCompleted();
  }

  @Test
  void aBatchedWriteRequestIsTakenSampleBySample() throws Exception {
    open("stub/batch");
    Writer w = new Writer();
    WriteRequest.Builder first = WriteRequest.newBuilder().setName("stub/batch")
        .setSample(ClusterTestSupport.tone(0, 0).toBuilder().setSeq(0));
    for (int i = 1; i < 10; i++) {
      first.addSamples(ClusterTestSupport.tone(0, i).toBuilder().setSeq(i));
    }
    w.in.onNext(first.build()); // attaches and writes: the name, `sample`, then `samples`
    w.next(e -> e.hasAck() && e.getAck().getSeq() == 9);
    WriteRequest.Builder second = WriteRequest.newBuilder();
    for (int i = 8; i < 20; i++) { // 8 and 9 resent: acknowledged, not written twice
      second.addSamples(ClusterTestSupport.tone(0, i).toBuilder().setSeq(i));
    }
    second.addSamples(ClusterTestSupport.tone(3, 0).toBuilder().setSeq(0)); // no stream 3: refused alone
    w.in.onNext(second.build());
    SinkError bad = w.next(SinkEvent::hasStreamError).getStreamError();
    assertEquals(ErrorCode.INVALID_STREAM_NUMBER, bad.getCode());
    w.next(e -> e.hasAck() && e.getAck().getSeq() == 19);
    assertTrue(stub.finalize(FinalizeRequest.newBuilder().setName("stub/batch").build()).getOk());
    byte[] pcm = ClusterTestSupport.dataChunk(node.archive().resolve("stub/batch.wav"));
    assertEquals(20 * 3840, pcm.length, "each sample once");
    for (int i = 0; i < 20; i++) {
      assertTrue(java.util.Arrays.equals(ClusterTestSupport.tone(0, i).getData().toByteArray(),
          java.util.Arrays.copyOfRange(pcm, i * 3840, (i + 1) * 3840)), "sample " + i + " in its place");
    }
    w.in.onCompleted();
  }

  @Test
  void recordsAndFinalizesThroughTheStubs() throws Exception {
    OpenReply opened = open("stub/first");
    assertEquals(List.of(0), opened.getStreamsList());
    assertEquals("stub/first.wav", opened.getFile());
    Writer w = new Writer();
    w.in.onNext(WriteRequest.newBuilder().setName("stub/first").build());
    for (int i = 0; i < 25; i++) {
      w.in.onNext(WriteRequest.newBuilder().setSample(ClusterTestSupport.tone(0, i).toBuilder().setSeq(i)).build());
    }
    SinkEvent ack = w.next(e -> e.hasAck() && e.getAck().getSeq() == 24);
    assertEquals(0, ack.getAck().getStream());
    // At-least-once: a resent sample is acknowledged again and not written twice.
    w.in.onNext(WriteRequest.newBuilder().setSample(ClusterTestSupport.tone(0, 24).toBuilder().setSeq(24)).build());
    w.next(e -> e.hasAck() && e.getAck().getSeq() == 24);
    FinalizeResult result = stub.finalize(FinalizeRequest.newBuilder().setName("stub/first").build());
    assertTrue(result.getOk(), result.toString());
    SinkEvent onFinalize = w.next(SinkEvent::hasFinalized);
    assertEquals(result.getFile().getPath(), onFinalize.getFinalized().getFile().getPath());
    Path file = node.archive().resolve("stub/first.wav");
    assertEquals(file.toString(), result.getFile().getPath());
    assertEquals(25 * 960 * 4, ClusterTestSupport.dataChunk(file).length);
    assertTrue(ClusterTestSupport.ffprobe(file).contains("duration=0.500000"));
    w.in.onCompleted();
  }

  /** README's client example, word for word but for the address. */
  @Test
  void theReadmeClientExampleRecords() throws Exception {
    var callback = new SinkWriterClient.Callback() {
      @Override public void onAck(int stream, long seq) { /* durable up to seq */ }
      @Override public void onMarker(int stream, ByteString context) { markers.add(context.toStringUtf8()); }
      @Override public void onStreamError(SinkError error) { System.err.println(error.getMessage()); }
      @Override public void onFinalize(FinalizeResult result) { }
    };
    String here = "127.0.0.1:" + node.grpcPort();
    try (var writer = new SinkWriterClient(List.of(here, here), "show/take2.wav",
        Container.BWF, Metadata.newBuilder().setDescription("take 2").build(), callback)) {
      int stream = writer.addStream(MediaType.newBuilder().setCodec(Codec.PCM)
          .setAudio(AudioFormat.newBuilder().setSampleRate(48000).setChannels(2).setBitsPerSample(16)).build());
      writer.beginWriting();
      for (int i = 0; i < 500; i++) {
        byte[] pcm = new byte[960 * 4]; // 20 ms of silence
        writer.writeSample(Sample.newBuilder().setStream(stream).setPts(i * 960L).setDts(i * 960L)
            .setDuration(960).setKey(true).setData(ByteString.copyFrom(pcm)).build());
      }
      writer.placeMarker(stream, ByteString.copyFromUtf8("end of take"));
      FinalizeResult result = writer.finalizeAsync().toCompletableFuture().get();
      System.out.println(result.getOk() ? result.getFile().getPath() : result.getError().getMessage());
      assertTrue(result.getOk());
      assertEquals(node.archive().resolve("show/take2.wav").toString(), result.getFile().getPath());
      assertTrue(ClusterTestSupport.ffprobe(node.archive().resolve("show/take2.wav")).contains("duration=10.000000"));
      assertEquals(List.of("end of take"), List.copyOf(markers));
    }
  }

  final java.util.Queue<String> markers = new java.util.concurrent.ConcurrentLinkedQueue<>();

  @Test
  void badNamesAreRefusedAndNothingLeavesTheArchive() throws IOException {
    for (String bad : List.of("../x", "/etc/x.wav", "a/../../x.wav", "a//b.wav", ".hidden.wav", "", "a b.wav")) {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> open(bad), bad);
      assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), bad);
      assertTrue(e.getStatus().getDescription().startsWith("INVALID_REQUEST: "), e.getStatus().getDescription());
    }
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> open("../x"));
    assertEquals("INVALID_REQUEST: bad recording name '../x': each /-separated part must match "
        + "[A-Za-z0-9][A-Za-z0-9._-]{0,127} (no '..', no leading '/')", e.getStatus().getDescription());
    try (var files = Files.walk(node.archive().getParent().getParent())) {
      assertTrue(files.noneMatch(p -> p.getFileName().toString().startsWith("x")));
    }
  }

  @Test
  void unknownStreamAndWriteAfterFinalizeAreStreamErrors() throws Exception {
    open("stub/errors");
    Writer w = new Writer();
    w.in.onNext(WriteRequest.newBuilder().setName("stub/errors")
        .setSample(ClusterTestSupport.tone(0, 0).toBuilder().setSeq(0)).build());
    w.next(e -> e.hasAck() && e.getAck().getSeq() == 0);
    w.in.onNext(WriteRequest.newBuilder().setSample(ClusterTestSupport.tone(7, 0).toBuilder().setSeq(0)).build());
    SinkEvent unknown = w.next(SinkEvent::hasStreamError);
    assertEquals(ErrorCode.INVALID_STREAM_NUMBER, unknown.getStreamError().getCode());
    assertEquals("no stream 7 (the recording has 1)", unknown.getStreamError().getMessage());

    assertTrue(stub.finalize(FinalizeRequest.newBuilder().setName("stub/errors").build()).getOk());
    w.in.onNext(WriteRequest.newBuilder().setSample(ClusterTestSupport.tone(0, 1).toBuilder().setSeq(1)).build());
    SinkEvent late = w.next(SinkEvent::hasStreamError);
    assertEquals(ErrorCode.INVALID_REQUEST, late.getStreamError().getCode());
    assertEquals("WriteSample is refused while the recording is finalized", late.getStreamError().getMessage());

    StatusRuntimeException again = assertThrows(StatusRuntimeException.class, () -> open("stub/errors"));
    assertTrue(again.getStatus().getDescription().contains("already created"), again.getMessage());
    w.in.onCompleted();
  }

  @Test
  void aRefusedOpenLeavesTheNameFree() {
    MediaType noRate = STEREO_48K.toBuilder().setAudio(STEREO_48K.getAudio().toBuilder().setSampleRate(0)).build();
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> stub.open(OpenRequest.newBuilder()
        .setName("stub/retry.wav").addStreams(STEREO_48K).addStreams(noRate).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().startsWith("INVALID_MEDIA_TYPE: "), e.getStatus().getDescription());
    assertEquals(List.of(0), open("stub/retry.wav").getStreamsList());
  }

  /**
   * A command already on its way when a recording aborts itself (an Open retried at once, say) goes to the fresh
   * recording that takes the name. The entity used to stop at once, and sharding dropped what reached it meanwhile.
   */
  @Test
  void aCommandRightBehindAnAbortReachesTheNextRecordingOfThatName() throws Exception {
    ClusterSharding sharding = ClusterSharding.get(node.system());
    Duration timeout = Duration.ofSeconds(10);
    for (int i = 0; i < 10; i++) {
      String name = "stub/behind-" + i + ".wav";
      String file = IngestService.fileOf(name, Container.BWF); // as Open names it: relative to the archive
      EntityRef<RecordingActor.Command> ref = sharding.entityRefFor(RecordingActor.TYPE_KEY, name);
      RecordingReply first = ref.<RecordingReply>ask(r ->
          new RecordingActor.Create(file, Container.BWF, Metadata.getDefaultInstance(), null, r), timeout)
          .toCompletableFuture().get();
      assertTrue(first.hasDone(), name + ": " + first);
      // Both sent before either is answered: the Create is usually in the mailbox when the Abort is handled.
      CompletionStage<RecordingReply> aborted = ref.ask(r -> new RecordingActor.Abort("test", r), timeout);
      CompletionStage<RecordingReply> created = ref.ask(r -> new RecordingActor.Create(file,
          Container.BWF, Metadata.getDefaultInstance(), null, r), timeout);
      assertTrue(aborted.toCompletableFuture().get().hasDone(), name);
      RecordingReply again = created.toCompletableFuture().get();
      assertTrue(again.hasDone(), name + ": " + again);
    }
  }

  @Test
  void aWriteStreamMustNameItsRecording() throws Exception {
    Writer w = new Writer();
    w.in.onNext(WriteRequest.newBuilder().setSample(ClusterTestSupport.tone(0, 0)).build());
    Object o = w.events.poll(30, TimeUnit.SECONDS);
    assertTrue(o instanceof StatusRuntimeException, String.valueOf(o));
    assertEquals("INVALID_REQUEST: the first message of a write stream must name the recording",
        ((StatusRuntimeException) o).getStatus().getDescription());
  }

  @Test
  void aMalformedMessageIsRefusedAndTheNodeKeepsRunning() {
    MethodDescriptor<byte[], byte[]> raw = MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(MethodDescriptor.generateFullMethodName("lathe.v1.Ingest", "Open"))
        .setRequestMarshaller(new Bytes())
        .setResponseMarshaller(new Bytes())
        .build();
    // Field 1 (name) claims 100 bytes and the message ends after 3: not protobuf.
    byte[] garbage = {0x0a, 100, 'a', 'b', 'c'};
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> ClientCalls.blockingUnaryCall(channel, raw, CallOptions.DEFAULT.withDeadlineAfter(30,
            TimeUnit.SECONDS), garbage));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.toString());
    assertTrue(e.getStatus().getDescription().startsWith("INVALID_REQUEST: malformed Open message: "),
        e.getStatus().getDescription());

    assertEquals(1, stub.getClusterStatus(ClusterStatusRequest.getDefaultInstance()).getMembersCount());
    open("stub/after-garbage");
    assertEquals("writing", stub.getStatistics(StatisticsRequest.newBuilder().setName("stub/after-garbage")
        .setStream(-1).build()).getState());
  }

  static final class Bytes implements MethodDescriptor.Marshaller<byte[]> {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
