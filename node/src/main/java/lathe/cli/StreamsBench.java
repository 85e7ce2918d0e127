package lathe.cli;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import lathe.protocol.AudioFormat;
import lathe.protocol.Codec;
import lathe.protocol.Container;
import lathe.protocol.MediaType;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * N live producers on one embedded node, each its own recording of 48 kHz stereo PCM sent R times a second by a
 * timer; reports the time from send to Ack (p50, p99, max), the samples acknowledged per second, heap and GC.
 */
@Command(name = "streams", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"N concurrent live streams (48 kHz stereo 16-bit PCM, R samples/s each) on one node.",
        "Reports ack latency (send to Ack) p50/p99/max, samples/s, peak heap and GC pauses."})
final class StreamsBench implements java.util.concurrent.Callable<Integer> {

  private static final int RATE_HZ = 48_000;

  @Option(names = "--count", paramLabel = "N", defaultValue = "100", description = "Streams (default ${DEFAULT-VALUE}).")
  int count;

  @Option(names = "--rate", paramLabel = "R", defaultValue = "50",
      description = "Samples per second per stream (default ${DEFAULT-VALUE}: 20 ms packets); must divide 48000.")
  int rate;

  @Option(names = "--duration", paramLabel = "D", defaultValue = "10s", converter = DurationConverter.class,
      description = "How long the producers send (default ${DEFAULT-VALUE}).")
  Duration duration;

  @Option(names = "--warmup", paramLabel = "W", defaultValue = "2s", converter = WarmupConverter.class,
      description = "Send for W first without counting latencies (default ${DEFAULT-VALUE}; 0s counts all).")
  Duration warmup;

  @Option(names = "--durability", paramLabel = "fsync|os",
      description = "What an Ack of the embedded node waits for (default fsync). Not with --cluster: there the "
          + "node's own lathe.durability applies.")
  String durability;

  @Option(names = "--container", paramLabel = "bwf|mp4", defaultValue = "bwf",
      description = "Container of each recording (default ${DEFAULT-VALUE}).")
  String container;

  @Option(names = "--cluster", paramLabel = "HOST:G",
      description = "Producers send through gRPC (SinkWriterClient) to the ingest of the running node at HOST:G "
          + "instead of to an embedded node; the recordings stay in the cluster's archive under bench-streams-TIME/.")
  String cluster;

  @Option(names = "--json", description = "Print the figures as JSON on stdout.")
  boolean json;

  @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "lathe-data",
      description = "The recordings go to a temporary folder below DIR, removed at the end (default ./${DEFAULT-VALUE}).")
  Path dataDir;

  @Override
  public Integer call() throws Exception {
    if (count < 1 || rate < 1 || RATE_HZ % rate != 0 || duration.isNegative() || duration.isZero()
        || warmup.isNegative()) {
      throw new UserError("--count and --duration must be positive and --rate must divide 48000 (50 = 20 ms)",
          OneLineErrors.USAGE);
    }
    if (cluster != null && durability != null) {
      throw new UserError("--durability is for the embedded node; with --cluster the node's own lathe.durability "
          + "applies (set it in the node's --config file, or start it with -Dlathe.durability=" + durability + ")",
          OneLineErrors.USAGE);
    }
    if (durability == null) {
      durability = "fsync";
    }
    Container c = RecordCommand.containerFor(Path.of("x"), container);
    int frames = RATE_HZ / rate;
    byte[] pcm = new byte[frames * 4];
    for (int i = 0; i < frames; i++) {
      short v = (short) Math.round(8000 * Math.sin(2 * Math.PI * 997 * i / RATE_HZ));
      pcm[4 * i] = (byte) v;
      pcm[4 * i + 1] = (byte) (v >> 8);
      pcm[4 * i + 2] = (byte) v;
      pcm[4 * i + 3] = (byte) (v >> 8);
    }
    ByteString data = ByteString.copyFrom(pcm);
    MediaType type = MediaType.newBuilder().setCodec(Codec.PCM)
        .setAudio(AudioFormat.newBuilder().setSampleRate(RATE_HZ).setChannels(2).setBitsPerSample(16)).build();
    Duration period = Duration.ofNanos(1_000_000_000L / rate);
    LatencyHistogram latencies = new LatencyHistogram();
    // Through --cluster the recordings are the node's: nothing is written here.
    Path work = cluster == null ? BenchCommand.workDir(dataDir, "bench-streams-") : null;
    String ext = c == Container.MP4 ? ".mp4" : ".wav";
    Map<String, Object> m = new LinkedHashMap<>();
    if (cluster != null) {
      checkCluster();
    }
    try (Site site = cluster == null ? Site.embedded(dataDir, durability, work, c)
        : Site.grpc(cluster, "bench-streams-" + System.currentTimeMillis(), c)) {
      ActorSystem<?> system = site.system;
      StreamsTarget target = site.target;
      List<ActorRef<LiveProducer.Command>> producers = new ArrayList<>();
      // A gRPC client's writeSample may block while its window is full: never on the default dispatcher.
      Props props = cluster == null ? Props.empty() : DispatcherSelector.blocking();
      long[] phases = new long[count];
      for (int i = 0; i < count; i++) {
        // Spread the first ticks over one period, as independent live sources would be.
        phases[i] = ThreadLocalRandom.current().nextLong(period.toNanos());
        producers.add(system.systemActorOf(LiveProducer.create(String.format("stream-%05d%s", i, ext), target,
            type, data, frames, latencies), "bench-producer-" + i, props));
      }
      Duration askTimeout = Duration.ofSeconds(60);
      List<LiveProducer.Report> opened = all(system, producers, LiveProducer.Start::new, askTimeout);
      for (LiveProducer.Report r : opened) {
        if (r.error() != null) {
          throw new UserError(r.name() + ": " + r.error());
        }
      }
      JvmWatch watch = JvmWatch.start();
      long t0 = System.nanoTime();
      long total = warmup.toNanos() + duration.toNanos();
      try (Pacer pacer = new Pacer(producers, phases, period.toNanos(), t0,
          new LiveProducer.Go(t0 + warmup.toNanos(), t0 + total))) {
        pacer.start();
        CompletableFuture.runAsync(() -> { }, CompletableFuture.delayedExecutor(total, TimeUnit.NANOSECONDS)).get();
      }
      double seconds = total / 1e9; // every sample counted was sent within it
      List<LiveProducer.Report> done = all(system, producers, LiveProducer.Stop::new, askTimeout);
      long peakHeap = watch.peakHeapBytes();
      Map<String, Object> gc = watch.gc();
      watch.close();
      long sent = 0;
      long acked = 0;
      long refused = 0;
      List<String> errors = new ArrayList<>();
      for (LiveProducer.Report r : done) {
        sent += r.sent();
        acked += r.acked();
        refused += r.refused();
        if (r.error() != null) {
          errors.add(r.name() + ": " + r.error());
        }
      }
      m.put("streams", count);
      m.put("rate", rate);
      m.put("sampleBytes", pcm.length);
      // Through --cluster the node's own lathe.durability applies; --durability is for the embedded node.
      m.put("durability", cluster == null ? durability.toLowerCase(Locale.ROOT) : "node's");
      m.put("target", cluster == null ? "embedded" : "grpc " + cluster);
      m.put("container", c.name().toLowerCase(Locale.ROOT));
      m.put("seconds", BenchCommand.round(seconds, 3));
      m.put("warmupSeconds", BenchCommand.round(warmup.toNanos() / 1e9, 3));
      m.put("samplesSent", sent);
      m.put("samplesAcked", acked);
      m.put("samplesRefused", refused);
      m.put("targetSamplesPerSecond", (long) count * rate);
      m.put("samplesPerSecond", BenchCommand.round(acked / seconds, 1));
      Map<String, Object> lat = new LinkedHashMap<>();
      lat.put("p50", latencies.quantileMicros(0.50) / 1000.0);
      lat.put("p99", latencies.quantileMicros(0.99) / 1000.0);
      lat.put("max", latencies.maxMicros() / 1000.0);
      m.put("ackLatencyMillis", lat);
      m.put("peakHeapBytes", peakHeap);
      // Through --cluster this process holds only the producers; the node's heap is the node's to report.
      m.put("heapOf", cluster == null ? "node and producers (one process)" : "producers only");
      m.put("maxHeapBytes", Runtime.getRuntime().maxMemory());
      m.put("gc", gc);
      m.put("errors", errors.size());
      if (!errors.isEmpty()) {
        m.put("firstError", errors.get(0));
      }
    } finally {
      if (work != null) {
        BenchCommand.deleteTree(work);
      }
    }
    if (json) {
      System.out.println(Json.pretty(m));
    } else {
      @SuppressWarnings("unchecked")
      Map<String, Object> lat = (Map<String, Object>) m.get("ackLatencyMillis");
      System.out.printf(Locale.ROOT, "%d streams x %d/s for %.1f s (%s, durability %s): %,.0f samples/s acked "
          + "(target %,d); ack latency p50 %.2f ms, p99 %.2f ms, max %.2f ms; peak heap %.1f MiB; gc %s%n",
          count, rate, (double) m.get("seconds"), m.get("container"), m.get("durability"),
          (double) m.get("samplesPerSecond"), (long) m.get("targetSamplesPerSecond"), (double) lat.get("p50"),
          (double) lat.get("p99"), (double) lat.get("max"), (long) m.get("peakHeapBytes") / 1048576.0, m.get("gc"));
      if ((int) m.get("errors") > 0) {
        System.out.println(m.get("errors") + " stream(s) reported errors; first: " + m.get("firstError"));
      }
    }
    return (int) m.get("errors") == 0 ? 0 : 1;
  }

  /** One line, not a stack trace, for an address that is malformed or answers nothing. */
  private void checkCluster() {
    FarmCli.requireAddress(cluster);
    try {
      lathe.client.SinkWriterClient.clusterStatus(cluster);
    } catch (RuntimeException e) {
      throw new UserError("--cluster " + cluster + ": " + e.getMessage());
    }
  }

  /** The producers' actor system and where they send: an embedded node, or a local system and gRPC clients. */
  private static final class Site implements AutoCloseable {
    final ActorSystem<?> system;
    final StreamsTarget target;
    private final AutoCloseable closer;

    private Site(ActorSystem<?> system, StreamsTarget target, AutoCloseable closer) {
      this.system = system;
      this.target = target;
      this.closer = closer;
    }

    static Site embedded(Path dataDir, String durability, Path work, Container c) {
      EmbeddedNode node = EmbeddedNode.start(dataDir, BenchCommand.durability(durability));
      return new Site(node.system(), new EmbeddedTarget(node, work, c), node);
    }

    static Site grpc(String address, String folder, Container c) {
      com.typesafe.config.Config local = com.typesafe.config.ConfigFactory.parseString(
          "pekko.actor.provider = local\npekko.loglevel = WARNING")
          .withFallback(com.typesafe.config.ConfigFactory.load());
      ActorSystem<Void> system = ActorSystem.create(
          org.apache.pekko.actor.typed.javadsl.Behaviors.empty(), "lathe-bench", local);
      GrpcStreamsTarget target = new GrpcStreamsTarget(address, folder, c);
      return new Site(system, target, () -> {
        target.close();
        system.terminate();
        system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
      });
    }

    @Override
    public void close() throws Exception {
      closer.close();
    }
  }

  private static List<LiveProducer.Report> all(ActorSystem<?> system, List<ActorRef<LiveProducer.Command>> refs,
      java.util.function.Function<ActorRef<LiveProducer.Report>, LiveProducer.Command> msg, Duration timeout)
      throws Exception {
    List<CompletableFuture<LiveProducer.Report>> fs = new ArrayList<>();
    for (ActorRef<LiveProducer.Command> r : refs) {
      CompletionStage<LiveProducer.Report> s = AskPattern.ask(r, msg::apply, timeout, system.scheduler());
      fs.add(s.toCompletableFuture());
    }
    try {
      CompletableFuture.allOf(fs.toArray(CompletableFuture[]::new)).get(timeout.toMillis() + 5000,
          TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new UserError("the producers did not answer within " + timeout.toSeconds() + " s");
    }
    List<LiveProducer.Report> out = new ArrayList<>();
    for (CompletableFuture<LiveProducer.Report> f : fs) {
      out.add(f.get());
    }
    return out;
  }

  /** Like --duration, but 0 (no warm-up) is allowed. */
  static final class WarmupConverter implements picocli.CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) throws Exception {
      return value.matches("0+(\\.0*)?[a-z]*") ? Duration.ZERO : new DurationConverter().convert(value);
    }
  }
}
