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
