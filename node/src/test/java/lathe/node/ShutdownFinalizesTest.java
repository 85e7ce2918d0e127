package lathe.node;

import static lathe.node.ClusterTestSupport.STEREO_48K;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import lathe.client.SinkWriterClient;
import lathe.protocol.Container;
import lathe.protocol.FinalizeResult;
import lathe.protocol.Metadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Coordinated shutdown (what SIGTERM runs) finalizes the recordings of the node that leaves. */
class ShutdownFinalizesTest {

  @Test
  void aLeavingNodeFinalizesItsRecordings(@TempDir Path root) throws Exception {
    List<LatheNode> nodes = ClusterTestSupport.startCluster(root, 2);
    try {
      String grpc0 = "127.0.0.1:" + nodes.get(0).grpcPort();
      for (int attempt = 0; attempt < 12; attempt++) {
        String name = "leave/take-" + attempt + ".wav";
        CompletableFuture<FinalizeResult> onFinalize = new CompletableFuture<>();
        try (SinkWriterClient client = new SinkWriterClient(List.of(grpc0), name, Container.BWF,
            Metadata.getDefaultInstance(), new SinkWriterClient.Callback() {
              @Override
              public void onFinalize(FinalizeResult result) {
                onFinalize.complete(result);
              }
            })) {
          int stream = client.addStream(STEREO_48K);
          client.beginWriting();
          for (int i = 0; i < 100; i++) {
            client.writeSample(ClusterTestSupport.tone(stream, i));
          }
          long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
          while (client.lastAcknowledged()[0] < 99 && System.nanoTime() < deadline) {
            ClusterTestSupport.sleep(java.time.Duration.ofMillis(50));
          }
          assertEquals(99, client.lastAcknowledged()[0]);
          Path part = nodes.get(1).archive().resolve(name + ".part");
          if (!Files.exists(part)) {
            assertTrue(client.finalizeAsync().toCompletableFuture().get(60, TimeUnit.SECONDS).getOk());
            continue; // on the node the producer talks to; try a name that lives on the other one
          }
          nodes.get(1).close(); // leave the cluster as SIGTERM does: coordinated shutdown
          FinalizeResult result = onFinalize.get(60, TimeUnit.SECONDS);
          assertTrue(result.getOk(), result.toString());
          Path file = nodes.get(1).archive().resolve(name);
          assertEquals(file.toString(), result.getFile().getPath());
          assertFalse(Files.exists(part));
          assertEquals(100 * 960 * 4, ClusterTestSupport.dataChunk(file).length);
          assertTrue(ClusterTestSupport.ffprobe(file).contains("duration=2.000000"));
          return;
        }
      }
      throw new AssertionError("no recording landed on node 1");
    } finally {
      nodes.parallelStream().forEach(LatheNode::close);
    }
  }
}
