package lathe.node;

import static lathe.node.ClusterTestSupport.STEREO_48K;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import lathe.client.SinkWriterClient;
import lathe.protocol.Container;
import lathe.protocol.FinalizeResult;
import lathe.protocol.Metadata;
import lathe.protocol.Sample;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Samples really lost between two nodes: Artery's large-message queue is made so small that it drops what a
 * producer pours in. The recording refuses everything after each gap (SEQUENCE_GAP), SinkWriterClient resends,
 * and the file holds every sample once, in order, bit-exact; no ack ever covered a sample that was not written.
 */
class LostBetweenNodesTest {

  @Test
  void samplesDroppedByArteryAreResentAndTheFileIsComplete(@TempDir Path root) throws Exception {
    List<LatheNode> nodes = new ArrayList<>();
    try {
      int seed = ClusterTestSupport.freePort();
      for (int i = 0; i < 2; i++) {
        nodes.add(LatheNode.start(new LatheNode.Options(root.resolve("node" + i), "127.0.0.1",
            i == 0 ? seed : ClusterTestSupport.freePort(), ClusterTestSupport.freePort(), 0,
            List.of("127.0.0.1:" + seed), List.of("recorder", "burner"), null,
            // 4: the client sends what piles up as one message, and a queue of 64 no longer overflowed. Not 1:
            // sharding's own messages and Open's commands take that queue too, and an Open was lost.
            ConfigFactory.parseString("pekko.remote.artery.advanced.outbound-large-message-queue-size = 4"))));
      }
      for (LatheNode n : nodes) {
        for (int t = 0; t < 600 && ClusterTestSupport.upMembers(n) < 2; t++) {
          ClusterTestSupport.sleep(java.time.Duration.ofMillis(100));
        }
      }
      ClusterTestSupport.awaitRecordingRegions(nodes.get(0), 2);
      // Write through node 0 to recordings until one lives on node 1, so that its samples cross Artery, and loses
      // some there.
      int remote = 0;
      for (int r = 0; r < 12; r++) {
        String name = "lossy/take-" + r + ".wav";
        try (SinkWriterClient client = new SinkWriterClient(List.of("127.0.0.1:" + nodes.get(0).grpcPort()), name,
            Container.BWF, Metadata.getDefaultInstance(), new SinkWriterClient.Callback() { })) {
          int stream = client.addStream(STEREO_48K);
          client.beginWriting();
          ByteArrayOutputStream expected = new ByteArrayOutputStream();
          for (int i = 0; i < 1000; i++) {
            Sample s = ClusterTestSupport.tone(stream, i);
            expected.write(s.getData().toByteArray());
            client.writeSample(s);
          }
          FinalizeResult result = client.finalizeAsync().toCompletableFuture().get(150, TimeUnit.SECONDS);
          assertTrue(result.getOk(), result.getError().getMessage());
          Path file = Path.of(result.getFile().getPath());
          assertEquals(1000, result.getFile().getStreams(0).getSamples());
          assertArrayEquals(expected.toByteArray(), ClusterTestSupport.dataChunk(file), "every sample, in order");
          assertEquals(999, client.lastAcknowledged()[0]);
          if (file.startsWith(nodes.get(1).archive())) {
            remote++;
            if (client.gapResends() > 0) {
              return; // the tiny queue dropped samples, they were resent, and the file is whole
            }
          }
        }
      }
      throw new AssertionError(remote == 0 ? "no recording landed on node 1 in 12 tries"
          : remote + " recordings on node 1, but the tiny queue dropped nothing: the test did not exercise loss");
    } finally {
      nodes.parallelStream().forEach(LatheNode::close);
    }
  }
}
