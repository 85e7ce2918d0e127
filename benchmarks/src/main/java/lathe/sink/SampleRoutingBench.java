package lathe.sink;

import com.google.protobuf.ByteString;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import lathe.protocol.AudioFormat;
import lathe.protocol.Codec;
import lathe.protocol.Container;
import lathe.protocol.Durability;
import lathe.protocol.MediaType;
import lathe.protocol.Metadata;
import lathe.protocol.RecordingReply;
import lathe.protocol.Sample;
import lathe.protocol.SinkEvent;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Sample routing: WriteSample through RecordingActor, StreamSinkActor and WriterActor (BWF, durability os, so no
 * fsync) until the Ack of the last one reaches the owner. Measures the actors' per-sample cost.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class SampleRoutingBench {
  static final int SAMPLES = 1000;
  static final int FRAMES = 16;

  private ActorSystem<Void> system;
  private Path dir;
  private ActorRef<RecordingActor.Command> recording;
  private final AtomicLong acked = new AtomicLong(-1);
  private final ByteString data = ByteString.copyFrom(new byte[FRAMES * 4]);
  private long seq;
  private int iteration;

  @Setup(Level.Trial)
  public void startSystem() throws Exception {
    system = ActorSystem.create(Behaviors.empty(), "bench", ConfigFactory.parseString(
        "pekko.loglevel = WARNING\npekko.actor.provider = local").withFallback(ConfigFactory.load()));
    dir = Files.createTempDirectory("lathe-routing-bench");
  }

  @Setup(Level.Iteration)
  public void newRecording() throws Exception {
    SinkSettings settings = SinkSettings.fromConfig(system.settings().config(), Formats.standard())
        .withDurability(Durability.OS);
    Path path = dir.resolve("r" + (iteration++) + ".wav");
    recording = system.systemActorOf(RecordingActor.create(path.toString(), settings), "rec-" + iteration,
        org.apache.pekko.actor.typed.Props.empty());
    acked.set(-1);
    seq = 0;
    ActorRef<SinkEvent> owner = system.systemActorOf(Behaviors.receiveMessage(e -> {
      if (e.hasAck()) {
        acked.set(e.getAck().getSeq());
      }
      return Behaviors.same();
    }), "owner-" + iteration, org.apache.pekko.actor.typed.Props.empty());
    MediaType pcm = MediaType.newBuilder().setCodec(Codec.PCM)
        .setAudio(AudioFormat.newBuilder().setSampleRate(48_000).setChannels(2).setBitsPerSample(16)).build();
    ask(r -> new RecordingActor.Create(path.toString(), Container.BWF, Metadata.getDefaultInstance(), owner, r));
    ask(r -> new RecordingActor.AddStream(pcm, r));
    ask(RecordingActor.BeginWriting::new);
  }

  @TearDown(Level.Iteration)
  public void finalizeRecording() throws Exception {
    ask(RecordingActor.Finalize::new);
    try (var files = Files.list(dir)) {
      for (Path p : files.toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  @TearDown(Level.Trial)
  public void stopSystem() throws Exception {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    Files.deleteIfExists(dir);
  }

  private void ask(java.util.function.Function<ActorRef<RecordingReply>, RecordingActor.Command> cmd)
      throws Exception {
    RecordingReply r = AskPattern.ask(recording, cmd::apply, Duration.ofSeconds(30), system.scheduler())
        .toCompletableFuture().get(40, TimeUnit.SECONDS);
    if (r.hasError()) {
      throw new IllegalStateException(r.getError().getMessage());
    }
  }

  /** ns per sample from tell to its durable Ack (batched by the stream actor as in a real recording). */
  @Benchmark
  @OperationsPerInvocation(SAMPLES)
  public long writeSamplesUntilAcked() {
    long last = seq + SAMPLES - 1;
    for (int i = 0; i < SAMPLES; i++) {
      long s = seq++;
      recording.tell(new RecordingActor.WriteSample(Sample.newBuilder().setSeq(s).setPts(s * FRAMES)
          .setDts(s * FRAMES).setDuration(FRAMES).setKey(true).setData(data).build()));
    }
    while (acked.get() < last) {
      Thread.onSpinWait();
    }
    return last;
  }
}
