package lathe.cli;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import lathe.client.SinkWriterClient;
import lathe.protocol.Ack;
import lathe.protocol.Container;
import lathe.protocol.FinalizeResult;
import lathe.protocol.MediaType;
import lathe.protocol.Metadata;
import lathe.protocol.Sample;
import lathe.protocol.SinkError;
import lathe.protocol.SinkEvent;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * `lathe bench streams --cluster HOST:G`: each live producer is a {@link SinkWriterClient}, the gRPC client any
 * producer uses, to the ingest at HOST:G, so the figures include protobuf, HTTP/2 and the ingest's flow
 * control. Its acknowledgements reach the producer as the same Ack events as on the embedded node.
 */
final class GrpcStreamsTarget implements StreamsTarget, AutoCloseable {
  private final String address;
  private final String folder;
  private final Container container;
  private final Map<String, SinkWriterClient> clients = new ConcurrentHashMap<>();
  /** Open and Finalize are blocking gRPC calls: they run here, never on an actor's dispatcher. */
  private final ExecutorService calls = Executors.newFixedThreadPool(16, r -> {
    Thread t = new Thread(r, "lathe-bench-grpc");
    t.setDaemon(true);
    return t;
  });

  /** {@code folder}: where the recordings go in the node's archive (relative, like any recording name). */
  GrpcStreamsTarget(String address, String folder, Container container) {
    this.address = address;
    this.folder = folder;
    this.container = container;
  }

  /** The archive-relative name under which the node keeps producer {@code name}'s recording. */
  String recordingName(String name) {
    return folder + "/" + name;
  }

  @Override
  public CompletionStage<Void> open(String name, MediaType type, ActorRef<SinkEvent> owner) {
    return CompletableFuture.runAsync(() -> {
      Metadata md = Metadata.newBuilder().setDescription("lathe bench streams --cluster")
          .setOriginatorReference(name).build();
      SinkWriterClient client = new SinkWriterClient(List.of(address), recordingName(name), container, md,
          new SinkWriterClient.Callback() {
            @Override
            public void onAck(int stream, long seq) {
              owner.tell(SinkEvent.newBuilder().setAck(Ack.newBuilder().setStream(stream).setSeq(seq)).build());
            }

            @Override
            public void onStreamError(SinkError error) {
              owner.tell(SinkEvent.newBuilder().setStreamError(error).build());
            }
          });
      clients.put(name, client);
      client.addStream(type);
      client.beginWriting();
    }, calls);
  }

  /**
   * The client numbers the samples itself, from 0 on each stream, as the producer does. It blocks only while
   * its window (32 MiB or 4,096 samples unacknowledged, over 80 s of 20 ms audio) is full, which the
   * producer's own limit of 4,096 unacknowledged samples stops first.
   */
  @Override
  public void write(String name, Sample sample) {
    clients.get(name).writeSample(sample);
  }

  @Override
  public CompletionStage<FinalizeResult> finalizeRecording(String name) {
    SinkWriterClient client = clients.get(name);
    if (client == null) { // its open failed before there was a client; the producer reports that error
      return CompletableFuture.failedFuture(new IllegalStateException(name + " was never opened"));
    }
    return client.finalizeAsync().whenCompleteAsync((r, e) -> client.close(), calls);
  }

  @Override
  public void close() {
    clients.values().forEach(SinkWriterClient::close);
    calls.shutdownNow();
  }
}
