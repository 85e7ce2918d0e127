package lathe.farm;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.function.Function;
import lathe.disc.MediaState;
import lathe.disc.MediaType;
import lathe.drive.DriveActor;
import lathe.drive.DriveActor.MediaInfo;
import lathe.drive.DriveActor.Reply;
import lathe.drive.DriveActor.Update;
import lathe.protocol.FarmAttempt;
import lathe.protocol.FarmBurnDisc;
import lathe.protocol.FarmDisc;
import lathe.protocol.FarmDiscFinished;
import lathe.protocol.FarmDiscFinishedAck;
import lathe.protocol.FarmDiscProgress;
import lathe.protocol.FarmJob;
import lathe.protocol.FarmSource;
import lathe.protocol.FileChunk;
import lathe.protocol.FileReadChunk;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/**
 * One attempt at one disc on one local drive, start to end: fetch the sources (from this node's archive or
 * pulled in bounded chunks from the node holding them, each checked against its SHA-256), load a blank disc
 * of the job's media, burn (IMAPI order: SetWriteSpeed, DoNotFinalizeMedia, PrepareMedia, AddAudioTrack per
 * recording, ReleaseMedia; or one data session), read the disc back and compare, shelve the disc, and tell the
 * coordinator, again and again until it acknowledges. Any failure shelves what was written and reports it.
 */
final class DiscSession extends AbstractBehavior<DiscSession.Command> {

  interface Command {}

  private interface Internal extends Command, NoSerializationVerificationNeeded {}

  // Each answer carries the epoch it was asked in: a failure starts a new one, so an answer to a step of the
  // abandoned plan can never resume it.
  private record Answered(Reply reply, Throwable failure, Function<Reply, Behavior<Command>> then, int epoch)
      implements Internal {}

  private record Informed(MediaInfo info, Throwable failure, Function<MediaInfo, Behavior<Command>> then,
      int epoch) implements Internal {}

  private record IoDone(Object result, Throwable failure, Function<Object, Behavior<Command>> then, int epoch)
      implements Internal {}

  private record Servers(Receptionist.Listing listing) implements Internal {}

  private record ChunkArrived(FileChunk chunk, Throwable failure) implements Internal {}

  private record ChunkWritten(long bytes, Throwable failure) implements Internal {}

  private record DriveUpdate(Update update) implements Internal {}

  private record Acked(FarmDiscFinishedAck ack) implements Internal {}

  private enum Tick implements Internal { INSTANCE }

  static final String MANIFEST = "MANIFEST.json";
  private static final int FETCH_WINDOW = 8;
  private static final Duration QUICK = Duration.ofSeconds(60);
  private static final Duration WRITE = Duration.ofHours(12);
  /** Closing a session writes its lead-out: 6,750 sectors take 90 s at 1x. */
  private static final Duration RELEASE = Duration.ofMinutes(5);

  static Behavior<Command> create(FarmBurnDisc order, ActorRef<DriveActor.Command> drive, Path staging,
      ActorRef<FarmCoordinator.Command> coordinator, String selfNode) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(Tick.INSTANCE, Tick.INSTANCE, Duration.ofSeconds(1));
      DiscSession s = new DiscSession(ctx, timers, order, drive, staging, coordinator, selfNode);
      return s.begin();
    }));
  }

  private final FarmJob job;
  private final FarmDisc disc;
  private final int attempt;
  private final String driveId;
  private final ActorRef<DriveActor.Command> drive;
  private final Path staging;
  private final ActorRef<FarmCoordinator.Command> coordinator;
  private final String selfNode;
  private final Executor io;
  private final ActorRef<Update> updates;
  private final ActorRef<FarmDiscFinishedAck> acks;
  private final List<FarmSource> sources = new ArrayList<>();
  private final List<Path> staged = new ArrayList<>();
  private final String shelf;
  private final Duration silence;

  private FarmAttempt.Builder progress = FarmAttempt.newBuilder().setState("burning").setAction("fetching");
  private long startNanos = System.nanoTime();
  private boolean prepared;
  private Map<String, String> images = Map.of();
  private FarmDiscFinished finished;
  private boolean failing;
  private boolean driveGone;
  /** While a track is written: when the drive last said something (nanoTime), else 0. */
  private long trackSince;
  private int epoch;

  // The source being fetched from another node.
  private FarmSource fetching;
  private FileChannel target;
  private ActorRef<lathe.farm.FileServer.Command> server;
  private long nextOffset;
  private long received;
  private int inFlight;
  private long fetchedBefore;
  private long fetchTotal;

  // Sectors of earlier tracks, for the disc's percentage.
  private long sectorsBefore;
  private int track;

  private DiscSession(ActorContext<Command> ctx, TimerScheduler<Command> timers, FarmBurnDisc order,
      ActorRef<DriveActor.Command> drive, Path staging, ActorRef<FarmCoordinator.Command> coordinator,
      String selfNode) {
    super(ctx);
    this.job = order.getJob();
    this.disc = job.getDiscs(order.getDisc() - 1);
    this.attempt = order.getAttempt();
    this.driveId = order.getDrive();
    this.drive = drive;
    this.staging = staging;
    this.coordinator = coordinator;
    this.selfNode = selfNode;
    this.io = ctx.getSystem().dispatchers().lookup(DispatcherSelector.fromConfig(Farm.IO_DISPATCHER));
    this.updates = ctx.messageAdapter(Update.class, DriveUpdate::new);
    this.acks = ctx.messageAdapter(FarmDiscFinishedAck.class, Acked::new);
    for (int i : disc.getSourcesList()) {
      sources.add(job.getSources(i));
      fetchTotal += job.getSources(i).getBytes();
    }
    this.shelf = job.getId() + "-disc" + disc.getIndex() + "-attempt" + attempt;
    this.silence = ctx.getSystem().settings().config().getDuration("lathe.farm.silence-timeout");
  }

  private Behavior<Command> begin() {
    if (drive == null) {
      return fail("no drive " + driveId + " on this node");
    }
    getContext().watch(drive);
    return io(() -> {
      Files.createDirectories(staging);
      return null;
    }, x -> fetchNext());
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Answered.class, this::onAnswered)
        .onMessage(Informed.class, this::onInformed)
        .onMessage(IoDone.class, this::onIoDone)
        .onMessage(Servers.class, this::onServers)
        .onMessage(ChunkArrived.class, this::onChunkArrived)
        .onMessage(ChunkWritten.class, this::onChunkWritten)
        .onMessage(DriveUpdate.class, this::onDriveUpdate)
        .onMessage(Acked.class, this::onAcked)
        .onMessage(Tick.class, t -> onTick())
        .onSignal(Terminated.class, t -> {
          driveGone = true;
          return fail("drive " + driveId + " stopped");
        })
        .build();
  }

  // --- fetching ---

  private Behavior<Command> fetchNext() {
    if (staged.size() == sources.size()) {
      return media();
    }
    FarmSource s = sources.get(staged.size());
    Path to = staging.resolve(DiscPlanner.discName(s));
    if (s.getNode().equals(selfNode)) {
      return io(() -> {
        try {
          Files.createLink(to, Path.of(s.getPath()));
        } catch (IOException | UnsupportedOperationException e) {
          Files.copy(Path.of(s.getPath()), to, StandardCopyOption.REPLACE_EXISTING);
        }
        return null;
      }, x -> checkStaged(s, to));
    }
    fetching = s;
    getContext().getSystem().receptionist().tell(Receptionist.find(FileServer.SERVICE_KEY,
        getContext().messageAdapter(Receptionist.Listing.class, Servers::new)));
    return this;
  }

  private Behavior<Command> onServers(Servers m) {
    if (failing || fetching == null) {
      return this;
    }
    server = null;
    for (ActorRef<FileServer.Command> ref : m.listing().getServiceInstances(FileServer.SERVICE_KEY)) {
      if (Farm.node(getContext().getSystem(), ref).equals(fetching.getNode())) {
        server = ref;
      }
    }
    if (server == null) {
      return fail("node " + fetching.getNode() + " holding " + fetching.getName() + " is not in the cluster");
    }
    Path to = staging.resolve(DiscPlanner.discName(fetching));
    return io(() -> FileChannel.open(to, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
        StandardOpenOption.WRITE), ch -> {
          target = (FileChannel) ch;
          nextOffset = 0;
          received = 0;
          inFlight = 0;
          return pull();
        });
  }

  // At most FETCH_WINDOW chunks are on their way: memory stays bounded however large the recording.
  private Behavior<Command> pull() {
    if (received == fetching.getBytes() && inFlight == 0) {
      FarmSource s = fetching;
      FileChannel ch = target;
      fetching = null;
      target = null;
      fetchedBefore += s.getBytes();
      return io(() -> {
        ch.force(true);
        ch.close();
        return null;
      }, x -> checkStaged(s, staging.resolve(DiscPlanner.discName(s))));
    }
    while (inFlight < FETCH_WINDOW && nextOffset < fetching.getBytes()) {
      FileReadChunk req = FileReadChunk.newBuilder().setPath(fetching.getPath()).setOffset(nextOffset)
          .setLength((int) Math.min(FileServer.MAX_CHUNK, fetching.getBytes() - nextOffset)).build();
      nextOffset += req.getLength();
      inFlight++;
      getContext().ask(FileChunk.class, server, QUICK, r -> new FileServer.ReadChunk(req, r), ChunkArrived::new);
    }
    return this;
  }

  private Behavior<Command> onChunkArrived(ChunkArrived m) {
    if (failing || fetching == null) {
      return this;
    }
    if (m.failure() != null || !m.chunk().getError().isEmpty()) {
      return fail("cannot fetch " + fetching.getName() + " from " + fetching.getNode() + ": "
          + (m.failure() != null ? m.failure().getMessage() : m.chunk().getError()));
    }
    FileChunk c = m.chunk();
    long expect = Math.min(FileServer.MAX_CHUNK, fetching.getBytes() - c.getOffset());
    if (c.getData().size() != expect) {
      return fail(fetching.getName() + " changed on " + fetching.getNode() + " while it was fetched");
    }
    FileChannel ch = target;
    getContext().pipeToSelf(CompletableFuture.supplyAsync(() -> {
      try {
        var buf = c.getData().asReadOnlyByteBuffer();
        long at = c.getOffset();
        while (buf.hasRemaining()) {
          at += ch.write(buf, at);
        }
        return (long) c.getData().size();
      } catch (IOException e) {
        throw new CompletionException(e);
      }
    }, io), (n, e) -> new ChunkWritten(n == null ? 0 : n, e));
    return this;
  }

  private Behavior<Command> onChunkWritten(ChunkWritten m) {
    if (failing || fetching == null) {
      return this;
    }
    if (m.failure() != null) {
      return fail("cannot stage " + fetching.getName() + ": " + message(m.failure()));
    }
    inFlight--;
    received += m.bytes();
    progress.setAction("fetching").setTrack(staged.size() + 1)
        .setPercent(fetchTotal == 0 ? 100 : (int) ((fetchedBefore + received) * 100 / fetchTotal));
    return pull();
  }

  private Behavior<Command> checkStaged(FarmSource s, Path to) {
    return io(() -> Checksums.sha256(to), sha -> {
      if (!sha.equals(s.getSha256())) {
        return fail(s.getName() + " does not match its SHA-256 after fetching from " + s.getNode());
      }
      staged.add(to);
      return fetchNext();
    });
  }

  // --- the disc ---

  private Behavior<Command> media() {
    progress.setAction("loading").setPercent(0).setTrack(0);
    MediaType want = MediaType.fromId(job.getMedia());
    return info(info -> {
      if (info.prepared() || info.writing()) {
        return fail("drive " + driveId + " is in use outside the farm");
      }
      if (info.state() == MediaState.BLANK && info.mediaType().equals(want.id())) {
        return burn();
      }
      // An autoloader's move: whatever is in the tray goes to the shelf and a blank of the job's media comes in.
      if (info.state() == MediaState.NONE) {
        return ask(r -> new DriveActor.LoadMedia(want, r), QUICK, r -> burn());
      }
      return ask(r -> new DriveActor.EjectMedia(shelf + "-found", r), QUICK,
          e -> ask(r -> new DriveActor.LoadMedia(want, r), QUICK, r -> burn()));
    });
  }

  private Behavior<Command> burn() {
    startNanos = System.nanoTime();
    progress.setAction("writing");
    boolean audio = job.getKind().equals("audio-cd");
    if (!audio) {
      return dataSession(new ArrayList<>(staged), !job.getLeaveOpen());
    }
    return ask(r -> new DriveActor.SetWriteSpeed(job.getSpeed(), r), QUICK,
        s -> ask(r -> new DriveActor.SetDoNotFinalizeMedia(job.getLeaveOpen() || job.getCdExtra(), r), QUICK,
            d -> ask(DriveActor.PrepareMedia::new, QUICK, p -> {
              prepared = true;
              return addTrack(0);
            })));
  }

  private Behavior<Command> addTrack(int i) {
    if (i == staged.size()) {
      return ask(DriveActor.ReleaseMedia::new, WRITE, r -> {
        prepared = false;
        return job.getCdExtra() ? dataSession(new ArrayList<>(staged), !job.getLeaveOpen()) : verify();
      });
    }
    track = i + 1;
    String wav = staged.get(i).toAbsolutePath().toString();
    trackSince = System.nanoTime();
    return ask(r -> new DriveActor.AddAudioTrack(wav, updates, r), WRITE, r -> {
      trackSince = 0;
      sectorsBefore += r.track().footprint();
      return addTrack(i + 1);
    });
  }

  private Behavior<Command> dataSession(List<Path> files, boolean close) {
    Path manifest = staging.resolve(MANIFEST);
    return io(() -> {
      Files.write(manifest, manifest(job, disc.getIndex()));
      return null;
    }, x -> {
      files.add(manifest);
      List<String> paths = files.stream().map(p -> p.toAbsolutePath().toString()).toList();
      return ask(r -> new DriveActor.WriteData(paths, close, updates, r), WRITE, r -> verify());
    });
  }

  private Behavior<Command> verify() {
    progress.setState("verifying").setAction("verifying");
    return info(info -> {
      images = info.images();
      if (!info.backend().equals("simulated")) {
        // Reading a real disc back needs the drive's own read path (readom, cdparanoia), not built yet.
        return shelve(false);
      }
      boolean audio = job.getKind().equals("audio-cd");
      boolean data = !audio || job.getCdExtra();
      Map<String, String> expected = new LinkedHashMap<>();
      for (FarmSource s : sources) {
        expected.put(DiscPlanner.discName(s), s.getSha256());
      }
      return io(() -> {
        if (audio) {
          String bad = ReadBack.verifyAudio(Path.of(images.get("bin")), info.tracks(), sources);
          if (bad != null) {
            return bad;
          }
        }
        if (data) {
          expected.put(MANIFEST, Checksums.sha256(staging.resolve(MANIFEST)));
          return ReadBack.verifyData(Path.of(images.get("data")), expected, staging.resolve("readback"));
        }
        return null;
      }, bad -> bad != null ? fail("verify: " + bad) : shelve(true));
    });
  }

  /** The written disc goes to the shelf with its images; the next disc on this drive starts blank. */
  private Behavior<Command> shelve(boolean verified) {
    progress.setAction("ejecting");
    Map<String, String> before = images;
    return ask(r -> new DriveActor.EjectMedia(shelf, r), QUICK,
        r -> report(true, verified, null, shelved(before, shelf)));
  }

  private static Map<String, String> shelved(Map<String, String> images, String name) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : images.entrySet()) {
      Path p = Path.of(e.getValue());
      out.put(e.getKey(), p.getParent().resolve("ejected").resolve(name).resolve(p.getFileName()).toString());
    }
    return out;
  }

  // --- failure and the report ---

  private Behavior<Command> fail(String why) {
    if (failing || finished != null) {
      return this;
    }
    failing = true;
    epoch++;
    getContext().getLog().warn("{} on {}: {}", shelf, driveId, why);
    FileChannel open = target;
    fetching = null;
    target = null;
    if (open != null) {
      CompletableFuture.runAsync(() -> {
        try {
          open.close();
        } catch (IOException e) {
          // the staged copy is deleted with its folder
        }
      }, io);
    }
    if (drive == null || driveGone) {
      return report(false, false, why, Map.of());
    }
    // Unlock the drive and shelve what was written, so the next disc finds a blank; errors here change nothing.
    Function<Reply, Behavior<Command>> thenShelve = r -> info(info -> {
      if (info.state() == MediaState.BLANK || info.state() == MediaState.NONE) {
        return report(false, false, why, Map.of());
      }
      Map<String, String> before = info.images();
      String name = shelf + "-failed";
      return askAnyway(x -> new DriveActor.EjectMedia(name, x), QUICK,
          e -> report(false, false, why, shelved(before, name)));
    });
    return prepared ? askAnyway(DriveActor.ReleaseMedia::new, RELEASE, thenShelve) : thenShelve.apply(null);
  }

  private Behavior<Command> report(boolean ok, boolean verified, String error, Map<String, String> shelvedImages) {
    FarmAttempt.Builder result = progress.clone().setState(ok ? "done" : "failed").setVerified(verified)
        .putAllImages(shelvedImages).setPercent(ok ? 100 : progress.getPercent());
    if (error != null) {
      result.setError(error);
    }
    epoch++;
    finished = FarmDiscFinished.newBuilder().setJob(job.getId()).setDisc(disc.getIndex()).setAttempt(attempt)
        .setResult(result).build();
    coordinator.tell(new FarmCoordinator.Finished(finished, acks));
    return this;
  }

  private Behavior<Command> onAcked(Acked m) {
    Path dir = staging;
    CompletableFuture.runAsync(() -> FarmFiles.deleteTree(dir), io);
    return Behaviors.stopped();
  }

  private Behavior<Command> onTick() {
    if (finished != null) {
      coordinator.tell(new FarmCoordinator.Finished(finished, acks)); // until acknowledged
      return this;
    }
    if (failing) {
      return this;
    }
    // A drive that hangs mid-track without failing sends no Update: the session must not keep the disc for the
    // twelve hours a track may take. (A data session reports only its start and end, so it is not watched.)
    if (trackSince != 0 && System.nanoTime() - trackSince > silence.toNanos()) {
      return fail("drive " + driveId + " wrote nothing for " + silence.toSeconds() + " s during track " + track);
    }
    long elapsed = (System.nanoTime() - startNanos) / 1_000_000;
    int pct = progress.getPercent();
    progress.setEtaMillis(pct <= 0 || !progress.getAction().equals("writing") ? -1 : elapsed * (100 - pct) / pct);
    coordinator.tell(new FarmCoordinator.Progress(FarmDiscProgress.newBuilder().setJob(job.getId())
        .setDisc(disc.getIndex()).setAttempt(attempt).setProgress(progress.clone()).build()));
    return this;
  }

  private Behavior<Command> onDriveUpdate(DriveUpdate m) {
    Update u = m.update();
    if (failing || finished != null || u.sectorsTotal() <= 0) {
      return this;
    }
    if (trackSince != 0) {
      trackSince = System.nanoTime();
    }
    long planned = Math.max(1, disc.getPlannedSectors());
    progress.setAction(u.action().name().toLowerCase()).setTrack(u.track())
        .setLastWrittenLba(u.lastWrittenLba())
        .setPercent((int) Math.min(99, (sectorsBefore + u.sectorsWritten()) * 100 / planned));
    return this;
  }

  // --- asking the drive, doing I/O ---

  private Behavior<Command> ask(Function<ActorRef<Reply>, DriveActor.Command> msg, Duration timeout,
      Function<Reply, Behavior<Command>> then) {
    int e0 = epoch;
    getContext().ask(Reply.class, drive, timeout, msg::apply, (r, e) -> new Answered(r, e, then, e0));
    return this;
  }

  /** As ask, but on to {@code then} whatever the answer (null when none came): for cleaning up. */
  private Behavior<Command> askAnyway(Function<ActorRef<Reply>, DriveActor.Command> msg, Duration timeout,
      Function<Reply, Behavior<Command>> then) {
    int e0 = epoch;
    getContext().ask(Reply.class, drive, timeout, msg::apply, (r, e) -> new Answered(r, null, x -> then.apply(r), e0));
    return this;
  }

  private Behavior<Command> onAnswered(Answered m) {
    if (m.epoch() != epoch) {
      return this;
    }
    if (m.failure() != null) {
      return fail("drive " + driveId + " did not answer: " + message(m.failure()));
    }
    if (!failing && !m.reply().ok()) {
      return fail(m.reply().error() + ": " + m.reply().message());
    }
    return m.then().apply(m.reply());
  }

  private Behavior<Command> info(Function<MediaInfo, Behavior<Command>> then) {
    int e0 = epoch;
    getContext().ask(MediaInfo.class, drive, QUICK, DriveActor.GetMediaInfo::new,
        (r, e) -> new Informed(r, e, then, e0));
    return this;
  }

  private Behavior<Command> onInformed(Informed m) {
    if (m.epoch() != epoch) {
      return this;
    }
    if (m.failure() != null) {
      return failing ? report(false, false, "the drive did not answer while cleaning up", Map.of())
          : fail("drive " + driveId + " did not answer: " + message(m.failure()));
    }
    return m.then().apply(m.info());
  }

  private interface IoWork<T> {
    T run() throws Exception;
  }

  @SuppressWarnings("unchecked")
  private <T> Behavior<Command> io(IoWork<T> work, Function<T, Behavior<Command>> then) {
    int e0 = epoch;
    getContext().pipeToSelf(CompletableFuture.supplyAsync(() -> {
      try {
        return (Object) work.run();
      } catch (Exception e) {
        throw new CompletionException(e);
      }
    }, io), (r, e) -> new IoDone(r, e, x -> then.apply((T) x), e0));
    return this;
  }

  private Behavior<Command> onIoDone(IoDone m) {
    if (m.epoch() != epoch) {
      return this;
    }
    if (m.failure() != null) {
      return fail(message(m.failure()));
    }
    return m.then().apply(m.result());
  }

  private static String message(Throwable t) {
    Throwable u = t;
    while (u instanceof CompletionException && u.getCause() != null) {
      u = u.getCause();
    }
    return u.getMessage() == null ? u.getClass().getSimpleName() : u.getMessage();
  }

  /** What is where across the whole job, with checksums: the same file on every disc of the set. */
  static byte[] manifest(FarmJob job, int thisDisc) throws IOException {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("job", job.getId());
    root.put("kind", job.getKind());
    root.put("media", job.getMedia());
    root.put("thisDisc", thisDisc);
    root.put("discCount", job.getDiscsCount());
    List<Object> discs = new ArrayList<>();
    for (FarmDisc d : job.getDiscsList()) {
      List<Object> items = new ArrayList<>();
      int n = 0;
      for (int i : d.getSourcesList()) {
        FarmSource s = job.getSources(i);
        Map<String, Object> item = new LinkedHashMap<>();
        item.put("recording", s.getName());
        if (job.getKind().equals("audio-cd")) {
          item.put("track", ++n);
          item.put("pcmBytes", s.getPcmBytes());
          item.put("pcmSha256", s.getPcmSha256());
        }
        if (!job.getKind().equals("audio-cd") || job.getCdExtra()) {
          item.put("file", "/" + DiscPlanner.discName(s));
        }
        item.put("bytes", s.getBytes());
        item.put("sha256", s.getSha256());
        items.add(item);
      }
      discs.add(Map.of("disc", d.getIndex(), "contents", items));
    }
    root.put("discs", discs);
    return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(root);
  }
}
