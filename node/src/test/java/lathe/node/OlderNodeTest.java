package lathe.node;

import static lathe.node.ClusterTestSupport.STEREO_48K;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import lathe.client.SinkWriterClient;
import lathe.protocol.Ack;
import lathe.protocol.Container;
import lathe.protocol.FinalizeRequest;
import lathe.protocol.FinalizeResult;
import lathe.protocol.IngestGrpc;
import lathe.protocol.Metadata;
import lathe.protocol.OpenReply;
import lathe.protocol.OpenRequest;
import lathe.protocol.SinkEvent;
import lathe.protocol.WriteRequest;
import org.junit.jupiter.api.Test;

/**
 * A producer talking to a node from before WriteRequest.samples: such a node ignores the field (unknown to it)
 * and would never acknowledge those samples. Its Open reply lacks takes_batches, so the client must send one
 * sample per message. The node here is an ingest that does what the old one did with a write stream: it reads
 * `sample` only and acknowledges it.
 */
class OlderNodeTest {

  @Test
  void aNodeThatDoesNotTakeBatchesGetsOneSamplePerMessageAndAcksThemAll() throws Exception {
    AtomicInteger batched = new AtomicInteger();
    AtomicInteger samples = new AtomicInteger();
    Server old = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(new IngestGrpc.IngestImplBase() {
          @Override
          public void open(OpenRequest req, StreamObserver<OpenReply> out) {
            out.onNext(OpenReply.newBuilder().addStreams(0).setFile(req.getName()).build()); // no takes_batches
            out.onCompleted();
          }

          @Override
          public StreamObserver<WriteRequest> write(StreamObserver<SinkEvent> out) {
            return new StreamObserver<>() {
              @Override
              public synchronized void onNext(WriteRequest req) {
                if (req.getSamplesCount() > 0) {
                  batched.incrementAndGet(); // what the old node would have dropped unseen
                }
                if (req.hasSample()) {
                  samples.incrementAndGet();
                  out.onNext(SinkEvent.newBuilder().setAck(Ack.newBuilder().setStream(0)
                      .setSeq(req.getSample().getSeq())).build());
                }
              }

              @Override
              public void onError(Throwable t) {}

              @Override
              public synchronized void onCompleted() {
                out.onCompleted();
              }
            };
          }

          @Override
          public void finalize(FinalizeRequest req, StreamObserver<FinalizeResult> out) {
            out.onNext(FinalizeResult.newBuilder().setOk(true).build());
            out.onCompleted();
          }
        })
        .build()
        .start();
    try (SinkWriterClient client = new SinkWriterClient(List.of("127.0.0.1:" + old.getPort()), "old/take.wav",
        Container.BWF, Metadata.getDefaultInstance(), null)) {
      int stream = client.addStream(STEREO_48K);
      client.beginWriting();
      for (int i = 0; i < 2000; i++) { // as fast as it goes: with batches allowed, many would go together
        client.writeSample(ClusterTestSupport.tone(stream, i));
      }
      FinalizeResult r = client.finalizeAsync().toCompletableFuture().get(60, TimeUnit.SECONDS);
      assertTrue(r.getOk());
      assertArrayEquals(new long[] {1999}, client.lastAcknowledged(), "every sample acknowledged");
      assertEquals(0, batched.get(), "no message carried `samples`");
      assertEquals(2000, samples.get());
    } finally {
      old.shutdownNow();
    }
  }
}
