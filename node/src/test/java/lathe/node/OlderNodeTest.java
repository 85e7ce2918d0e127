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
import lathe.protocol.Statistics;
import lathe.protocol.StatisticsRequest;
import lathe.protocol.StreamStatistics;
import lathe.protocol.WriteRequest;
import org.junit.jupiter.api.Test;

/**
 * A producer talking to a node from before WriteRequest.samples: such a node ignores the field (unknown to it)
 * and would never acknowledge those samples. Its Open and GetStatistics replies lack takes_batches, so the client
 * must send one sample per message, whether it opened there or attached there again after a lost connection.
 */
class OlderNodeTest {

  @Test
  void aNodeThatDoesNotTakeBatchesGetsOneSamplePerMessageAndAcksThemAll() throws Exception {
    StandIn ingest = new StandIn(false, true);
    Server old = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(ingest).build()
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
      assertEquals(0, ingest.batched.get(), "no message carried `samples`");
      assertEquals(2000, ingest.samples.get());
    } finally {
      old.shutdownNow();
    }
  }

  /**
   * A rolling upgrade: the producer opened on a new node, which goes away; it attaches again through an older
   * node. It must stop batching there, or the samples it resends in batches are never acknowledged.
   */
  @Test
  void aProducerThatAttachesAgainToAnOlderNodeStopsBatching() throws Exception {
    // Takes batches, acknowledges nothing: every sample is still to be resent when it goes away.
    StandIn newIngest = new StandIn(true, false);
    Server newer = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(newIngest)
        .build().start();
    StandIn ingest = new StandIn(false, true);
    Server old = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(ingest).build()
        .start();
    try (SinkWriterClient client = new SinkWriterClient(
        List.of("127.0.0.1:" + newer.getPort(), "127.0.0.1:" + old.getPort()), "old/upgrade.wav",
        Container.BWF, Metadata.getDefaultInstance(), null)) {
      int stream = client.addStream(STEREO_48K);
      client.beginWriting();
      for (int i = 0; i < 2000; i++) {
        client.writeSample(ClusterTestSupport.tone(stream, i));
      }
      for (int t = 0; t < 600 && newIngest.allSamples() < 2000; t++) {
        Thread.sleep(10);
      }
      assertEquals(2000, newIngest.allSamples(), "the new node got every sample first");
      assertTrue(newIngest.batched.get() > 0, "the producer batched while it talked to the new node");
      newer.shutdownNow(); // the producer loses it and attaches again through the older node
      FinalizeResult r = client.finalizeAsync().toCompletableFuture().get(60, TimeUnit.SECONDS);
      assertTrue(r.getOk());
      assertEquals(1, client.reconnects());
      assertArrayEquals(new long[] {1999}, client.lastAcknowledged(), "every sample acknowledged by the older node");
      assertEquals(0, ingest.batched.get(), "no message to the older node carried `samples`");
      assertEquals(2000, ingest.samples.get());
    } finally {
      newer.shutdownNow();
      old.shutdownNow();
    }
  }

  /**
   * A stand-in ingest. As an older node (takesBatches false) it does what a node from before batches does with a
   * write stream: it reads `sample` only and acknowledges it, and its Open and GetStatistics replies lack
   * takes_batches. As a newer one it says it takes batches; acks false: it acknowledges nothing.
   */
  private static final class StandIn extends IngestGrpc.IngestImplBase {
    private final boolean takesBatches;
    private final boolean acks;
    /** Messages that carried `samples`, and the samples in them. */
    final AtomicInteger batched = new AtomicInteger();
    final AtomicInteger batchedSamples = new AtomicInteger();
    /** Messages that carried `sample`: all an older node reads. */
    final AtomicInteger samples = new AtomicInteger();

    StandIn(boolean takesBatches, boolean acks) {
      this.takesBatches = takesBatches;
      this.acks = acks;
    }

    int allSamples() {
      return samples.get() + batchedSamples.get();
    }

    @Override
    public void open(OpenRequest req, StreamObserver<OpenReply> out) {
      out.onNext(OpenReply.newBuilder().addStreams(0).setFile(req.getName()).setTakesBatches(takesBatches).build());
      out.onCompleted();
    }

    @Override
    public void getStatistics(StatisticsRequest req, StreamObserver<Statistics> out) {
      out.onNext(Statistics.newBuilder().setState("writing").setTakesBatches(takesBatches)
          .addStreams(StreamStatistics.newBuilder().setStream(0)).build());
      out.onCompleted();
    }

    @Override
    public StreamObserver<WriteRequest> write(StreamObserver<SinkEvent> out) {
      return new StreamObserver<>() {
        @Override
        public synchronized void onNext(WriteRequest req) {
          if (req.getSamplesCount() > 0) {
            batched.incrementAndGet(); // what an older node would have dropped unseen
            batchedSamples.addAndGet(req.getSamplesCount());
          }
          if (req.hasSample()) {
            samples.incrementAndGet();
            if (acks) {
              out.onNext(SinkEvent.newBuilder().setAck(Ack.newBuilder().setStream(0)
                  .setSeq(req.getSample().getSeq())).build());
            }
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
  }
}
