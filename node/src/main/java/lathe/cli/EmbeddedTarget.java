package lathe.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import lathe.protocol.Container;
import lathe.protocol.FinalizeResult;
import lathe.protocol.MediaType;
import lathe.protocol.Metadata;
import lathe.protocol.RecordingReply;
import lathe.protocol.Sample;
import lathe.protocol.SinkEvent;
import lathe.sink.RecordingActor;
import lathe.sink.SinkSettings;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/** Recordings on the embedded node, addressed through Cluster Sharding like any producer's. */
final class EmbeddedTarget implements StreamsTarget {
  private final ActorSystem<?> system;
  private final Path dir;
  private final Container container;
  private final Duration timeout;

  EmbeddedTarget(EmbeddedNode node, Path dir, Container container) {
    this.system = node.system();
    this.dir = dir;
    this.container = container;
    SinkSettings settings = node.sinkSettings();
    RecordingActor.initSharding(system, settings);
    this.timeout = settings.finalizeTimeout().plusSeconds(10);
  }

  private final java.util.concurrent.ConcurrentHashMap<String, EntityRef<RecordingActor.Command>> refs =
      new java.util.concurrent.ConcurrentHashMap<>();

  private EntityRef<RecordingActor.Command> ref(String name) {
    EntityRef<RecordingActor.Command> r = refs.get(name); // every sample: no capturing lambda on the way
    return r != null ? r : refs.computeIfAbsent(name,
        n -> ClusterSharding.get(system).entityRefFor(RecordingActor.TYPE_KEY, path(n)));
  }

  private String path(String name) {
    return dir.resolve(name).toString();
  }

  @Override
  public CompletionStage<Void> open(String name, MediaType type, ActorRef<SinkEvent> owner) {
    Metadata md = Metadata.newBuilder().setDescription("lathe bench streams").setOriginatorReference(name).build();
    return ask(name, r -> new RecordingActor.Create(path(name), container, md, owner, r))
        .thenCompose(x -> ask(name, r -> new RecordingActor.AddStream(type, r)))
        .thenCompose(x -> ask(name, RecordingActor.BeginWriting::new))
        .thenApply(x -> null);
  }

  @Override
  public void write(String name, Sample sample) {
    ref(name).tell(new RecordingActor.WriteSample(sample));
  }

  @Override
  public CompletionStage<FinalizeResult> finalizeRecording(String name) {
    return ask(name, RecordingActor.Finalize::new).thenApply(RecordingReply::getFinalized);
  }

  private CompletionStage<RecordingReply> ask(String name,
      Function<ActorRef<RecordingReply>, RecordingActor.Command> cmd) {
    return AskPattern.ask(ref(name), cmd::apply, timeout, system.scheduler()).thenCompose(r -> r.hasError()
        ? CompletableFuture.failedFuture(new IllegalStateException(name + ": " + r.getError().getMessage()))
        : CompletableFuture.completedFuture(r));
  }
}
