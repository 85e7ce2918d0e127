package lathe.node;

import static lathe.node.ClusterTestSupport.STEREO_48K;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import lathe.client.SinkWriterClient;
import lathe.protocol.ClusterStatus;
import lathe.protocol.Container;
import lathe.protocol.FinalizeResult;
import lathe.protocol.Metadata;
import lathe.protocol.RecordingInfo;
import lathe.protocol.Sample;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** Three nodes in one JVM: recordings through gRPC land on several nodes; big samples cross nodes intact. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClusterRecordingTest {
  List<LatheNode> nodes;

  @BeforeAll
  void start(@TempDir Path root) throws Exception {
    nodes = ClusterTestSupport.startCluster(root, 3);
  }

  @AfterAll
  void stop() {
    if (nodes != null) {
      nodes.parallelStream().forEach(LatheNode::close);
    }
  }

  String grpc(int i) {
    return "127.0.0.1:" + nodes.get(i).grpcPort();
  }

  int holder(Path file) {
    for (int i = 0; i < nodes.size(); i++) {
      if (file.startsWith(nodes.get(i).archive())) {
        return i;
      }
    }
    throw new AssertionError(file + " is in no node's archive");
  }

  @Test
  void recordingsSpreadOverTheNodesAndAllFinalize() throws Exception {
    Set<Integer> holders = new HashSet<>();
    for (int r = 0; r < 8; r++) {
      String name = "spread/take-" + r + ".wav";
      try (SinkWriterClient client = new SinkWriterClient(List.of(grpc(r % 3)), name, Container.BWF,
          Metadata.newBuilder().setDescription("take " + r).build(), null)) {
        int stream = client.addStream(STEREO_48K);
        client.beginWriting();
        for (int i = 0; i < 50; i++) {
          client.writeSample(ClusterTestSupport.tone(stream, i));
        }
        FinalizeResult result = client.finalizeAsync().toCompletableFuture().get(60, TimeUnit.SECONDS);
        assertTrue(result.getOk(), name + ": " + result.getError().getMessage());
        Path file = Path.of(result.getFile().getPath());
        holders.add(holder(file));
        assertEquals(nodes.get(holder(file)).archive().resolve(name), file);
        String probe = ClusterTestSupport.ffprobe(file);
        assertTrue(probe.contains("codec_name=pcm_s16le") && probe.contains("sample_rate=48000")
            && probe.contains("channels=2") && probe.contains("duration=1.000000"), name + ": " + probe);
        assertEquals(50 * 960 * 4, ClusterTestSupport.dataChunk(file).length);
      }
    }
    assertTrue(holders.size() >= 2, "all recordings landed on node(s) " + holders);

    // Every node's registry knows all of them, finalized, with their node and size.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    for (int n = 0; n < 3; n++) {
      List<RecordingInfo> known;
      do {
        ClusterTestSupport.sleep(java.time.Duration.ofMillis(200));
        ClusterStatus status = SinkWriterClient.clusterStatus(grpc(n));
        assertEquals(3, status.getMembersCount());
        known = status.getRecordingsList().stream().filter(i -> i.getName().startsWith("spread/")).toList();
      } while ((known.size() < 8 || known.stream().anyMatch(i -> !i.getState().equals("finalized")))
          && System.nanoTime() < deadline);
      assertEquals(8, known.size(), "node " + n + " registry: " + known);
      for (RecordingInfo info : known) {
        assertEquals("finalized", info.getState(), info.toString());
        assertTrue(info.getBytes() > 50 * 960 * 4, info.toString());
        assertEquals(nodes.get(holder(Path.of(info.getPath()))).address(), info.getNode());
      }
    }
  }

  @Test
  void aProducerThatLosesItsConnectionResendsAndNothingIsLostOrDoubled() throws Exception {
    String name = "resend/take.wav";
    java.util.concurrent.atomic.AtomicInteger acks = new java.util.concurrent.atomic.AtomicInteger();
    SinkWriterClient.Callback counting = new SinkWriterClient.Callback() {
      @Override
      public void onAck(int stream, long seq) {
        acks.incrementAndGet();
      }
    };
    try (CuttableProxy proxy = new CuttableProxy(nodes.get(1).grpcPort());
        SinkWriterClient client = new SinkWriterClient(List.of("127.0.0.1:" + proxy.port(), grpc(2)), name,
            Container.BWF, Metadata.getDefaultInstance(), counting)) {
      int stream = client.addStream(STEREO_48K);
      client.beginWriting();
      ByteArrayOutputStream expected = new ByteArrayOutputStream();
      for (int i = 0; i < 300; i++) {
        Sample s = ClusterTestSupport.tone(stream, i);
        expected.write(s.getData().toByteArray());
        client.writeSample(s);
        if (i == 150) {
          proxy.cut(); // samples in flight now are lost with the connection unless resent
        }
      }
      FinalizeResult result = client.finalizeAsync().toCompletableFuture().get(300, TimeUnit.SECONDS);
      assertTrue(result.getOk(), result.getError().getMessage());
      assertEquals(299, client.lastAcknowledged()[0]);
      assertEquals(300, result.getFile().getStreams(0).getSamples());
      assertArrayEquals(expected.toByteArray(), ClusterTestSupport.dataChunk(Path.of(result.getFile().getPath())));
      assertEquals(1, client.reconnects());
      assertTrue(acks.get() > 0);
    }
  }

  /** One attempt of a raw-stub recording: writes through {@code in}, finalizes, returns the file. */
  interface RawTake {
    Path record(String name, io.grpc.stub.StreamObserver<lathe.protocol.WriteRequest> in,
        java.util.concurrent.BlockingQueue<Object> events, lathe.protocol.IngestGrpc.IngestBlockingStub stub)
        throws Exception;
  }

  /**
   * Records through node 0's stubs (one-stream BWF, events of the write stream in a queue) under fresh names
   * until a recording lands on another node, so that its samples had to cross between nodes; returns its file.
   */
  Path onAnotherNode(String folder, RawTake take) throws Exception {
    io.grpc.ManagedChannel channel = SinkWriterClient.channel(grpc(0));
    try {
      var stub = lathe.protocol.IngestGrpc.newBlockingStub(channel).withDeadlineAfter(120, TimeUnit.SECONDS);
      for (int attempt = 0; attempt < 12; attempt++) {
        String name = folder + "/take-" + attempt + ".wav";
        stub.open(lathe.protocol.OpenRequest.newBuilder().setName(name).setContainer(Container.BWF)
            .addStreams(STEREO_48K).build());
        java.util.concurrent.LinkedBlockingQueue<Object> events = new java.util.concurrent.LinkedBlockingQueue<>();
        var in = lathe.protocol.IngestGrpc.newStub(channel).write(new io.grpc.stub.StreamObserver<>() {
          @Override
          public void onNext(lathe.protocol.SinkEvent e) {
            events.add(e);
          }

          @Override
          public void onError(Throwable t) {
            events.add(t);
          }

          @Override
          public void onCompleted() {}
        });
        Path file = take.record(name, in, events, stub);
        in.onCompleted();
        if (holder(file) != 0) {
          return file;
        }
      }
      throw new AssertionError("no recording landed on a node other than the one the producer used");
    } finally {
      channel.shutdownNow();
    }
  }

  @Test
  void aWriteRequestLargerThanAnArteryFrameReachesARecordingOnAnotherNode() throws Exception {
    // 9 samples of 2 MiB in one WriteRequest: 18 MiB, more than one 17 MiB large-message frame between nodes.
    Random random = new Random(7);
    byte[][] data = new byte[9][2 << 20];
    for (byte[] d : data) {
      random.nextBytes(d);
    }
    Path file = onAnotherNode("batch", (name, in, events, stub) -> {
      lathe.protocol.WriteRequest.Builder batch = lathe.protocol.WriteRequest.newBuilder().setName(name);
      long dts = 0;
      for (int i = 0; i < data.length; i++) {
        batch.addSamples(Sample.newBuilder().setStream(0).setSeq(i).setDts(dts).setPts(dts)
            .setDuration(data[i].length / 4).setKey(true).setData(ByteString.copyFrom(data[i])));
        dts += data[i].length / 4;
      }
      in.onNext(batch.build());
      long acked = -1;
      while (acked < data.length - 1) {
        Object o = events.poll(60, TimeUnit.SECONDS);
        assertTrue(o instanceof lathe.protocol.SinkEvent, "an ack of every sample, got " + o);
        lathe.protocol.SinkEvent e = (lathe.protocol.SinkEvent) o;
        assertTrue(!e.hasStreamError(), e.toString());
        if (e.hasAck()) {
          acked = Math.max(acked, e.getAck().getSeq());
        }
      }
      FinalizeResult result = stub.finalize(lathe.protocol.FinalizeRequest.newBuilder().setName(name).build());
      assertTrue(result.getOk(), result.getError().getMessage());
      return Path.of(result.getFile().getPath());
    });
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    for (byte[] d : data) {
      expected.write(d);
    }
    assertArrayEquals(expected.toByteArray(), ClusterTestSupport.dataChunk(file));
  }

  @Test
  void aSampleOverTheLimitIsRefusedEvenWhenItsRecordingIsOnAnotherNode() throws Exception {
    // 18 MiB: over lathe.sink.max-sample-bytes (16 MiB) and over a 17 MiB frame between nodes, under gRPC's 20.
    byte[] huge = new byte[18 << 20];
    // Every attempt must see the refusal; the one that counts is where the sample could not have crossed.
    onAnotherNode("huge", (name, in, events, stub) -> {
      in.onNext(lathe.protocol.WriteRequest.newBuilder().setName(name).setSample(Sample.newBuilder()
          .setStream(0).setSeq(0).setDuration(huge.length / 4).setKey(true).setData(ByteString.copyFrom(huge)))
          .build());
      Object first = events.poll(60, TimeUnit.SECONDS);
      assertTrue(first instanceof lathe.protocol.SinkEvent e && e.hasStreamError(),
          "a refusal, not silence: " + first);
      lathe.protocol.SinkError error = ((lathe.protocol.SinkEvent) first).getStreamError();
      assertEquals(lathe.protocol.ErrorCode.SAMPLE_TOO_LARGE, error.getCode(), error.getMessage());
      assertEquals(0, error.getSeq());
      assertTrue(error.getMessage().contains("has " + huge.length + " bytes"), error.getMessage());
      in.onNext(lathe.protocol.WriteRequest.newBuilder().setSample(ClusterTestSupport.tone(0, 1).toBuilder()
          .setSeq(1)).build());
      Object next = events.poll(60, TimeUnit.SECONDS);
      assertTrue(next instanceof lathe.protocol.SinkEvent e && e.hasAck() && e.getAck().getSeq() == 1,
          "the next seq is taken, no gap: " + next);
      FinalizeResult result = stub.finalize(lathe.protocol.FinalizeRequest.newBuilder().setName(name).build());
      assertTrue(result.getOk(), result.getError().getMessage());
      assertEquals(1, result.getFile().getStreams(0).getSamples());
      return Path.of(result.getFile().getPath());
    });
  }

  @Test
  void samplesOf2And16MiBArriveBitExactOnAnotherNode() throws Exception {
    Random random = new Random(42);
    byte[] two = new byte[2 << 20];
    byte[] sixteen = new byte[16 << 20];
    random.nextBytes(two);
    random.nextBytes(sixteen);
    for (int attempt = 0; attempt < 12; attempt++) {
      String name = "big/take-" + attempt + ".wav";
      // Open through node 0, then learn where the recording lives from that node's registry entry...
      int via = 0;
      try (SinkWriterClient client = new SinkWriterClient(List.of(grpc(via)), name, Container.BWF,
          Metadata.getDefaultInstance(), null)) {
        int stream = client.addStream(STEREO_48K);
        client.beginWriting();
        client.writeSample(Sample.newBuilder().setStream(stream).setDts(0).setPts(0).setDuration(two.length / 4)
            .setKey(true).setData(ByteString.copyFrom(two)).build());
        client.writeSample(Sample.newBuilder().setStream(stream).setDts(two.length / 4).setPts(two.length / 4)
            .setDuration(sixteen.length / 4).setKey(true).setData(ByteString.copyFrom(sixteen)).build());
        FinalizeResult result = client.finalizeAsync().toCompletableFuture().get(120, TimeUnit.SECONDS);
        assertTrue(result.getOk(), result.getError().getMessage());
        Path file = Path.of(result.getFile().getPath());
        if (holder(file) == via) {
          continue; // ...and try another name until one lives on a node the samples had to travel to
        }
        assertNotEquals(via, holder(file));
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.write(two);
        expected.write(sixteen);
        assertArrayEquals(expected.toByteArray(), ClusterTestSupport.dataChunk(file));
        String probe = ClusterTestSupport.ffprobe(file);
        assertTrue(probe.contains("codec_name=pcm_s16le"), probe);
        return;
      }
    }
    throw new AssertionError("no recording landed on a node other than the one the producer used");
  }
}
