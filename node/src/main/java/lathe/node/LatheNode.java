package lathe.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.Set;
import lathe.client.SinkWriterClient;
import lathe.drive.DriveActor;
import lathe.drive.LocalDrives;
import lathe.farm.Farm;
import lathe.protocol.RecordingInfo;
import lathe.sink.Formats;
import lathe.sink.RecordingActor;
import lathe.sink.SinkSettings;
import lathe.sink.recovery.Recovery;
import lathe.sink.wal.CommitLogReplay;
import lathe.sink.wal.CommitLogSettings;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * One cluster node: an ActorSystem joined over Artery, the recordings' sharding region (on recorder nodes),
 * the registry, the gRPC ingest server and the /alive + /ready probes. Start-up recovers whatever a crash left
 * in {@code DIR/archive}; SIGTERM runs Pekko's coordinated shutdown, which finalizes the recordings on this
 * node (one that cannot finish keeps its .part + .journal for the recovery at the next start).
 */
public final class LatheNode implements AutoCloseable {

  /** Where and how a node runs; {@code managementPort} 0 = no probes, {@code seeds} empty = a new cluster. */
  public record Options(Path dataDir, String host, int port, int grpcPort, int managementPort, List<String> seeds,
      List<String> roles, Path configFile, Config overrides) {}

  public static final String RECORDER = "recorder";

  private final ActorSystem<Void> system;
  private final Path archive;
  private final Registry registry;
  private final Server grpc;
  private final Health health;
  private final List<Recovery.Result> recovered;

  private LatheNode(ActorSystem<Void> system, Path archive, Registry registry, Server grpc, Health health,
      List<Recovery.Result> recovered) {
    this.system = system;
    this.archive = archive;
    this.registry = registry;
    this.grpc = grpc;
    this.health = health;
    this.recovered = recovered;
  }

  /** The configuration: flags over {@code --config FILE} over application.conf and the modules' defaults. */
  static Config config(Options o, Path dir) {
    Map<String, Object> flags = new HashMap<>();
    flags.put("lathe.data-dir", dir.toString());
    flags.put("pekko.remote.artery.canonical.hostname", o.host());
    flags.put("pekko.remote.artery.canonical.port", o.port());
    flags.put("pekko.cluster.distributed-data.durable.lmdb.dir", dir.resolve("ddata").toString());
    flags.put("pekko.cluster.distributed-data.durable.keys", List.of("lathe-recordings", "lathe-farm-jobs"));
    if (o.roles() != null && !o.roles().isEmpty()) {
      flags.put("pekko.cluster.roles", o.roles());
    }
    List<String> seeds = new ArrayList<>();
    for (String s : o.seeds().isEmpty() ? List.of(o.host() + ":" + o.port()) : o.seeds()) {
      seeds.add("pekko://lathe@" + s);
    }
    flags.put("pekko.cluster.seed-nodes", seeds);
    Config file = o.configFile() == null ? ConfigFactory.empty() : ConfigFactory.parseFile(o.configFile().toFile());
    return ConfigFactory.parseMap(flags)
        .withFallback(o.overrides() == null ? ConfigFactory.empty() : o.overrides())
        .withFallback(file)
        .withFallback(ConfigFactory.load())
        .resolve();
  }

  public static LatheNode start(Options o) throws IOException {
    Path dir = o.dataDir().toAbsolutePath().normalize();
    Path archive = dir.resolve("archive");
    Files.createDirectories(archive);
    if (o.configFile() != null && !Files.isReadable(o.configFile())) {
      throw new IOException("cannot read --config " + o.configFile());
    }
    // What a crash or kill -9 left becomes finalized files before anything new is written next to it: first the
    // commit log's acknowledged writes go back into the files, then recovery finalizes them.
    CommitLogReplay.Result replayed = CommitLogReplay.replayFolder(CommitLogSettings.dirOf(dir));
    if (!replayed.problems().isEmpty()) {
      throw new IOException(replayed.problems().get(0) + " (the commit log in " + CommitLogSettings.dirOf(dir)
          + " is kept; fix the cause and start the node again)");
    }
    List<Recovery.Result> recovered = Recovery.recoverAll(archive, Formats.standard());
    Config config = config(o, dir);
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "lathe", config);
    try {
      Registry registry = new Registry(system);
      SinkSettings settings = SinkSettings.fromConfig(config, Formats.standard())
          .withArchiveRoot(archive)
          .withObserver(registry::put)
          .withCommitLog(CommitLogSettings.of(system));
      RecordingActor.initSharding(system, settings, RECORDER);
      registerRecovered(registry, archive, recovered);
      Set<String> roles = Cluster.get(system).selfMember().getRoles();
      Map<String, ActorRef<DriveActor.Command>> drives = roles.contains(Farm.BURNER)
          ? LocalDrives.start(system, dir) : Map.of();
      Farm farm = Farm.start(system, dir, roles.contains(RECORDER) ? archive : null, drives);
      FarmService farmService = new FarmService(system, registry, farm.coordinator());
      Server grpc = NettyServerBuilder.forAddress(new InetSocketAddress(o.host(), o.grpcPort()))
          .maxInboundMessageSize(SinkWriterClient.MAX_MESSAGE_BYTES)
          .addService(MalformedMessages.wrap(
              new IngestService(system, registry, settings.finalizeTimeout(), settings.maxSampleBytes(), farmService)
                  .bindService()))
          .addService(MalformedMessages.wrap(farmService.bindService()))
          .build()
          .start();
      Health health = o.managementPort() <= 0 ? null : new Health(o.host(), o.managementPort(),
          () -> !system.whenTerminated().isCompleted(),
          () -> Cluster.get(system).selfMember().status() == MemberStatus.up());
      LatheNode node = new LatheNode(system, archive, registry, grpc, health, recovered);
      CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(), "lathe-grpc-stop",
          () -> {
            node.stopServers();
            return CompletableFuture.completedFuture(Done.getInstance());
          });
      return node;
    } catch (IOException | RuntimeException e) {
      system.terminate();
      throw e;
    }
  }

  /** A recovered file replaces the entry of the recording it came from (found by its path), or gets its own. */
  private static void registerRecovered(Registry registry, Path archive, List<Recovery.Result> results) {
    if (results.isEmpty()) {
      return;
    }
    registry.all().thenAccept(known -> {
      for (Recovery.Result r : results) {
        String name = archive.relativize(r.output()).toString();
        for (RecordingInfo info : known) {
          if (info.getPath().equals(r.output().toString())) {
            name = info.getName();
          }
        }
        long bytes = 0;
        try {
          bytes = r.ok() ? Files.size(r.output()) : 0;
        } catch (IOException e) {
          // the size is informative only
        }
        registry.put(name, r.ok() ? "recovered" : "failed", r.output(), bytes);
      }
    });
  }

  public ActorSystem<Void> system() {
    return system;
  }

  public Path archive() {
    return archive;
  }

  public int grpcPort() {
    return grpc.getPort();
  }

  public String address() {
    return registry.node();
  }

  public List<Recovery.Result> recovered() {
    return recovered;
  }

  private void stopServers() {
    grpc.shutdown();
    if (health != null) {
      health.close();
    }
    try {
      grpc.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    grpc.shutdownNow();
  }

  /** Leaves the cluster through coordinated shutdown and waits for the system to stop. */
  @Override
  public void close() {
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
      lathe.sink.wal.CommitLogSettings.closeAfterTermination(system);
    } catch (Exception e) {
      // a slow shutdown leaves recoverable files, which is what shutdown promises anyway
    }
    stopServers();
  }
}
