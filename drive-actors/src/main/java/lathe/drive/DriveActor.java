package lathe.drive;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import lathe.disc.Disc;
import lathe.disc.DiscException;
import lathe.disc.DriveError;
import lathe.disc.MediaState;
import lathe.disc.MediaType;
import lathe.disc.TocEntry;
import lathe.disc.Track;
import lathe.disc.WavInfo;
import lathe.drive.backend.AudioTrackWriter;
import lathe.drive.backend.BurnerBackend;
import lathe.drive.backend.DataSize;
import lathe.drive.backend.SimulatedBackend;
import lathe.drive.backend.WriteSpeed;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * One burner. Its protocol follows IMAPI2 IDiscFormat2TrackAtOnce (audio, track-at-once) and IDiscFormat2Data
 * (data sessions); every request answers with a {@link Reply} carrying a stable {@link DriveError} code on failure.
 */
public final class DriveActor extends AbstractBehavior<DriveActor.Command> {

  public interface Command {}

  /** Locks the drive for track-at-once audio; the disc must be a blank CD-R. */
  public record PrepareMedia(ActorRef<Reply> replyTo) implements Command {}

  /** Writes one 44.1 kHz 16-bit stereo WAV as the next track; {@code progress} (may be null) gets Updates. */
  public record AddAudioTrack(String wavPath, ActorRef<Update> progress, ActorRef<Reply> replyTo)
      implements Command {}

  /** Stops the track being written; what was written stays on the disc as a partial track. */
  public record CancelAddTrack(ActorRef<Reply> replyTo) implements Command {}

  /** Closes the session (lead-out) and unlocks; finalizes the disc unless DoNotFinalizeMedia. */
  public record ReleaseMedia(ActorRef<Reply> replyTo) implements Command {}

  /** 1..52 times 75 sectors/s, or 0 for unthrottled. */
  public record SetWriteSpeed(int multiple, ActorRef<Reply> replyTo) implements Command {}

  /** Leaves the disc appendable after ReleaseMedia; only before PrepareMedia or after ReleaseMedia. */
  public record SetDoNotFinalizeMedia(boolean value, ActorRef<Reply> replyTo) implements Command {}

  /** Media type and state, NumberOfExistingTracks, Total/Used/FreeSectorsOnMedia, ExpectedTableOfContents. */
  public record GetMediaInfo(ActorRef<MediaInfo> replyTo) implements Command {}

  /** IDiscFormat2Data::Write: {@code paths} become one new data session, the disc closed if forced. */
  public record WriteData(List<String> paths, boolean forceMediaToBeClosed, ActorRef<Update> progress,
      ActorRef<Reply> replyTo) implements Command {}

  /** Puts a blank disc in the tray. */
  public record LoadMedia(MediaType media, ActorRef<Reply> replyTo) implements Command {}

  /**
   * Takes the disc out. A simulated drive keeps a written disc's images under {@code ejected/SHELF/}
   * ({@code shelf} of [A-Za-z0-9._-], or empty for a time stamp).
   */
  public record EjectMedia(String shelf, ActorRef<Reply> replyTo) implements Command {
    public EjectMedia(ActorRef<Reply> replyTo) {
      this("", replyTo);
    }
  }

  /** Simulated drives only: audio tracks fail once {@code percent} of each is written (negative: off). */
  public record InjectWriteFault(int percent, boolean once, ActorRef<Reply> replyTo) implements Command {
    public InjectWriteFault(int percent, ActorRef<Reply> replyTo) {
      this(percent, false, replyTo);
    }
  }

  /** The answer to every request: {@code error} is null on success. */
  public record Reply(String driveId, DriveError error, String message, Track track, MediaInfo media) {
    public boolean ok() {
      return error == null;
    }
  }

  public enum Action { PREPARING, WRITING, FINISHING }

  /** IMAPI's DDiscFormat2TrackAtOnceEvents::Update, as a message. */
  public record Update(String driveId, int track, Action action, long elapsedMillis, long remainingMillis,
      long lastWrittenLba, long sectorsWritten, long sectorsTotal) {}

  public record MediaInfo(String driveId, String backend, String mediaType, String mediaLabel, MediaState state,
      int sessions, int numberOfExistingTracks, long totalSectors, long usedSectors, long overheadSectors,
      long freeSectors, List<TocEntry> expectedTableOfContents, List<Track> tracks, Map<String, String> images,
      boolean doNotFinalizeMedia, boolean prepared, boolean writing, String writeSpeed) {}

  public static final ServiceKey<Command> SERVICE_KEY = ServiceKey.create(Command.class, "lathe-drive");
  public static final String IO_DISPATCHER = "lathe.drives.io-dispatcher";

  // Internal messages: results of work done on the I/O dispatcher, and the pacing timer. They never leave the
  // actor, so they have no wire form.
  private interface Internal extends Command, NoSerializationVerificationNeeded {}

  private record Loaded(Disc disc, Map<String, String> images, Throwable failure) implements Internal {}

  private record WavChecked(WavInfo wav, Throwable failure) implements Internal {}

  private record TrackOpened(AudioTrackWriter writer, Throwable failure) implements Internal {}

  private record ChunkWritten(long written, Throwable failure) implements Internal {}

  private enum Tick implements Internal { INSTANCE }

  private record TrackClosed(Disc disc, Track track, Map<String, String> images, Throwable failure)
      implements Internal {}

  private record OpDone(ActorRef<Reply> replyTo, Disc disc, Track track, Map<String, String> images,
      boolean released, Throwable failure) implements Internal {}

  private static final long MAX_CHUNK_SECTORS = 1500;
  private static final long PACE_MILLIS = 200;

  /** The track being written. */
  private static final class Job {
    final AddAudioTrack request;
    Track planned;
    AudioTrackWriter writer;
    long startNanos;
    boolean chunkInFlight;
    boolean closing;
    ActorRef<Reply> cancelledBy;
    Throwable writeError;

    Job(AddAudioTrack request) {
      this.request = request;
    }
  }

  public static Behavior<Command> create(String driveId, BurnerBackend backend, WriteSpeed speed) {
    return Behaviors.withStash(10_000, stash -> Behaviors.setup(ctx -> Behaviors.withTimers(
        timers -> new DriveActor(ctx, stash, timers, driveId, backend, speed))));
  }

  private final StashBuffer<Command> stash;
  private final TimerScheduler<Command> timers;
  private final String driveId;
  private final BurnerBackend backend;
  private final Executor io;
  private boolean loaded;
  private Disc disc;
  private Map<String, String> images = Map.of();
  private WriteSpeed speed;
  private boolean prepared;
  private boolean doNotFinalize;
  private boolean busy;
  private Job job;

  private DriveActor(ActorContext<Command> ctx, StashBuffer<Command> stash, TimerScheduler<Command> timers,
      String driveId, BurnerBackend backend, WriteSpeed speed) {
    super(ctx);
    this.stash = stash;
    this.timers = timers;
    this.driveId = driveId;
    this.backend = backend;
    this.speed = speed;
    this.io = ctx.getSystem().dispatchers().lookup(DispatcherSelector.fromConfig(IO_DISPATCHER));
    ctx.getSystem().receptionist().tell(Receptionist.register(SERVICE_KEY, ctx.getSelf()));
    ctx.pipeToSelf(CompletableFuture.supplyAsync(() -> call(() -> new Loaded(backend.load(), backend.images(), null)), io),
        (done, e) -> e == null ? done : new Loaded(null, Map.of(), e));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Loaded.class, this::onLoaded)
        .onMessage(Command.class, m -> !loaded, this::onWhileLoading)
        .onMessage(PrepareMedia.class, this::onPrepareMedia)
        .onMessage(AddAudioTrack.class, this::onAddAudioTrack)
        .onMessage(CancelAddTrack.class, this::onCancelAddTrack)
        .onMessage(ReleaseMedia.class, this::onReleaseMedia)
        .onMessage(SetWriteSpeed.class, this::onSetWriteSpeed)
        .onMessage(SetDoNotFinalizeMedia.class, this::onSetDoNotFinalizeMedia)
        .onMessage(GetMediaInfo.class, this::onGetMediaInfo)
        .onMessage(WriteData.class, this::onWriteData)
        .onMessage(LoadMedia.class, this::onLoadMedia)
        .onMessage(EjectMedia.class, this::onEjectMedia)
        .onMessage(InjectWriteFault.class, this::onInjectWriteFault)
        .onMessage(WavChecked.class, this::onWavChecked)
        .onMessage(TrackOpened.class, this::onTrackOpened)
        .onMessage(Tick.class, t -> onTick())
        .onMessage(ChunkWritten.class, this::onChunkWritten)
        .onMessage(TrackClosed.class, this::onTrackClosed)
        .onMessage(OpDone.class, this::onOpDone)
        .build();
  }

  private Behavior<Command> onLoaded(Loaded m) {
    loaded = true;
    if (m.failure() != null) {
      getContext().getLog().error("drive {}: cannot read its disc: {}", driveId, message(m.failure()));
    }
    disc = m.disc();
    images = m.images();
    // A session left open by a stopped process is still open on the disc: the drive resumes it, locked, so the
    // caller can add tracks or release it (as wodim -fix would after a crash).
    prepared = disc != null && disc.hasOpenSession();
    return stash.unstashAll(this);
  }

  private Behavior<Command> onWhileLoading(Command m) {
    stash.stash(m);
    return this;
  }

  private Behavior<Command> onPrepareMedia(PrepareMedia m) {
    DriveError refused = needMedia();
    if (refused == null && (job != null || busy)) {
      return fail(m.replyTo(), DriveError.WRITE_IN_PROGRESS, "the drive is writing; wait for it to finish");
    }
    if (refused != null) {
      return fail(m.replyTo(), refused, "no disc in drive " + driveId + "; load one (lathe drives load)");
    }
    if (prepared) {
      return fail(m.replyTo(), DriveError.MEDIA_IS_PREPARED, "the media is already prepared");
    }
    if (!disc.media().isCd()) {
      return fail(m.replyTo(), DriveError.MEDIA_NOT_SUPPORTED,
          "track-at-once audio needs a CD-R; the drive holds a " + disc.media().label());
    }
    if (disc.state() == MediaState.CLOSED) {
      return fail(m.replyTo(), DriveError.MEDIA_NOT_APPENDABLE, "the disc is closed; nothing more can be written");
    }
    if (disc.state() != MediaState.BLANK) {
      return fail(m.replyTo(), DriveError.MEDIA_NOT_BLANK,
          "track-at-once audio needs a blank disc; this one already has " + disc.sessions().size() + " session(s)");
    }
    prepared = true;
    return ok(m.replyTo(), null);
  }

  private Behavior<Command> onAddAudioTrack(AddAudioTrack m) {
    if (disc == null) {
      return fail(m.replyTo(), DriveError.NO_MEDIA, "no disc in drive " + driveId);
    }
    if (job != null || busy) {
      return fail(m.replyTo(), DriveError.WRITE_IN_PROGRESS, "a track is being written; wait or cancel it");
    }
    if (!prepared) {
      return fail(m.replyTo(), DriveError.MEDIA_NOT_PREPARED, "call PrepareMedia before adding audio tracks");
    }
    job = new Job(m);
    getContext().pipeToSelf(CompletableFuture.supplyAsync(() -> WavInfo.read(Path.of(m.wavPath())), io),
        WavChecked::new);
    return this;
  }

  private Behavior<Command> onWavChecked(WavChecked m) {
    if (m.failure() != null) {
      return endJobWith(m.failure());
    }
    if (job.cancelledBy != null) {
      job.cancelledBy.tell(reply(null, "cancelled before anything was written", null));
      return endJobWith(new DiscException(DriveError.CANCELLED, "track cancelled before anything was written"));
    }
    try {
      job.planned = disc.planAudioTrack(m.wav().contentSectors(), m.wav().path().toString());
    } catch (DiscException e) {
      return endJobWith(e);
    }
    progress(Action.PREPARING, 0);
    Track planned = job.planned;
    WriteSpeed at = speed;
    getContext().pipeToSelf(
        CompletableFuture.supplyAsync(() -> call(() -> backend.openAudioTrack(disc, planned, m.wav(), at)), io),
        TrackOpened::new);
    return this;
  }

  private Behavior<Command> onTrackOpened(TrackOpened m) {
    if (m.failure() != null) {
      return endJobWith(m.failure());
    }
    job.writer = m.writer();
    job.startNanos = System.nanoTime();
    if (job.cancelledBy != null) {
      return abandon();
    }
    return scheduleNextChunk();
  }

  // Pacing: by elapsed time t at most speed*75*t sectors are written; the timer waits for the next chunk's turn.
  private Behavior<Command> scheduleNextChunk() {
    if (speed.unthrottled()) {
      return writeChunk(MAX_CHUNK_SECTORS);
    }
    long chunk = chunkSectors();
    long due = (job.writer.writtenSectors() + chunk) * 1000 / speed.sectorsPerSecond();
    long wait = due - elapsedMillis();
    if (wait <= 0) {
      return writeChunk(chunk);
    }
    timers.startSingleTimer(Tick.INSTANCE, Tick.INSTANCE, Duration.ofMillis(wait));
    return this;
  }

  private long chunkSectors() {
    return Math.max(1, Math.min(MAX_CHUNK_SECTORS, speed.sectorsPerSecond() * PACE_MILLIS / 1000));
  }

  private Behavior<Command> onTick() {
    if (job == null || job.writer == null || job.chunkInFlight) {
      return this;
    }
    return writeChunk(speed.unthrottled() ? MAX_CHUNK_SECTORS : chunkSectors());
  }

  private Behavior<Command> writeChunk(long sectors) {
    AudioTrackWriter writer = job.writer;
    job.chunkInFlight = true;
    getContext().pipeToSelf(CompletableFuture.supplyAsync(() -> call(() -> writer.write(sectors)), io),
        (written, e) -> new ChunkWritten(written == null ? -1 : written, e));
    return this;
  }

  private Behavior<Command> onChunkWritten(ChunkWritten m) {
    job.chunkInFlight = false;
    if (m.failure() != null) {
      job.writeError = m.failure();
      return abandon();
    }
    progress(Action.WRITING, m.written());
    if (m.written() >= job.writer.totalSectors()) {
      progress(Action.FINISHING, m.written());
      job.closing = true;
      AudioTrackWriter writer = job.writer;
      Disc before = disc;
      getContext().pipeToSelf(CompletableFuture.supplyAsync(() -> call(() -> {
        try (writer) {
          Track track = writer.finish();
          Disc after = before.withAudioTrack(track);
          backend.commit(after);
          return new TrackClosed(after, track, backend.images(), null);
        }
      }), io), (done, e) -> e == null ? done : new TrackClosed(null, null, null, e));
      return this;
    }
    if (job.cancelledBy != null) {
      return abandon();
    }
    return scheduleNextChunk();
  }

  private Behavior<Command> onCancelAddTrack(CancelAddTrack m) {
    if (job == null) {
      return fail(m.replyTo(), DriveError.WRITE_NOT_IN_PROGRESS, "no track is being written");
    }
    job.cancelledBy = m.replyTo();
    if (job.writer != null && !job.chunkInFlight && !job.closing) {
      timers.cancel(Tick.INSTANCE);
      return abandon();
    }
    return this;
  }

  /** Cancel or write error: the written part stays, padded to a valid track, as a real CD keeps it. */
  private Behavior<Command> abandon() {
    AudioTrackWriter writer = job.writer;
    Disc before = disc;
    job.closing = true;
    progress(Action.FINISHING, writer.writtenSectors());
    getContext().pipeToSelf(CompletableFuture.supplyAsync(() -> call(() -> {
      try (writer) {
        Track partial = writer.abandon();
        Disc after = before.withAudioTrack(partial);
        backend.commit(after);
        return new TrackClosed(after, partial, backend.images(), null);
      }
    }), io), (done, e) -> e == null ? done : new TrackClosed(null, null, null, e));
    return this;
  }

  private Behavior<Command> onTrackClosed(TrackClosed m) {
    Job done = job;
    job = null;
    if (m.failure() != null) {
      done.request.replyTo().tell(error(m.failure()));
      if (done.cancelledBy != null) {
        done.cancelledBy.tell(error(m.failure()));
      }
      return this;
    }
    disc = m.disc();
    images = m.images();
    if (done.writeError != null) {
      done.request.replyTo().tell(new Reply(driveId, DriveError.WRITE_FAILED, "write error on track "
          + m.track().number() + ": " + message(done.writeError) + "; the partial track stays on the disc",
          m.track(), mediaInfo()));
      if (done.cancelledBy != null) {
        done.cancelledBy.tell(reply(null, "the track had already failed", m.track()));
      }
    } else if (done.cancelledBy != null && m.track().partial()) {
      done.request.replyTo().tell(new Reply(driveId, DriveError.CANCELLED, "track " + m.track().number()
          + " cancelled; its " + m.track().contentSectors() + " written sectors stay on the disc", m.track(),
          mediaInfo()));
      done.cancelledBy.tell(reply(null, "cancelled", m.track()));
    } else {
      done.request.replyTo().tell(reply(null, "track " + m.track().number() + " written", m.track()));
      if (done.cancelledBy != null) {
        done.cancelledBy.tell(reply(null, "the track was already complete", m.track()));
      }
    }
    return this;
  }

  private Behavior<Command> onReleaseMedia(ReleaseMedia m) {
    if (disc == null) {
      return fail(m.replyTo(), DriveError.NO_MEDIA, "no disc in drive " + driveId);
    }
    if (job != null || busy) {
      return fail(m.replyTo(), DriveError.WRITE_IN_PROGRESS, "a track is being written; wait or cancel it");
    }
    if (!prepared) {
      return fail(m.replyTo(), DriveError.MEDIA_NOT_PREPARED, "the media is not prepared");
    }
    if (!disc.hasOpenSession()) {
      prepared = false;
      return ok(m.replyTo(), null);
    }
    busy = true;
    Disc after = disc.closeSession(!doNotFinalize);
    boolean leaveOpen = doNotFinalize;
    WriteSpeed at = speed;
    return onIo(m.replyTo(), true, () -> {
      backend.closeSession(after, leaveOpen, at);
      return new OpDone(m.replyTo(), after, null, backend.images(), true, null);
    });
  }

  private Behavior<Command> onSetWriteSpeed(SetWriteSpeed m) {
    if (job != null) {
      return fail(m.replyTo(), DriveError.WRITE_IN_PROGRESS, "the speed cannot change while a track is written");
    }
    try {
      speed = new WriteSpeed(m.multiple());
    } catch (DiscException e) {
      return fail(m.replyTo(), e.code(), e.getMessage());
    }
    return ok(m.replyTo(), null);
  }

  private Behavior<Command> onSetDoNotFinalizeMedia(SetDoNotFinalizeMedia m) {
    if (prepared) {
      return fail(m.replyTo(), DriveError.MEDIA_IS_PREPARED,
          "DoNotFinalizeMedia can only change before PrepareMedia or after ReleaseMedia");
    }
    doNotFinalize = m.value();
    return ok(m.replyTo(), null);
  }

  private Behavior<Command> onGetMediaInfo(GetMediaInfo m) {
    m.replyTo().tell(mediaInfo());
    return this;
  }

  private Behavior<Command> onWriteData(WriteData m) {
    if (disc == null) {
      return fail(m.replyTo(), DriveError.NO_MEDIA, "no disc in drive " + driveId);
    }
    if (job != null || busy || prepared) {
      return fail(m.replyTo(), DriveError.WRITE_IN_PROGRESS,
          prepared ? "the media is prepared for audio; release it before writing data" : "the drive is writing");
    }
    if (disc.state() == MediaState.CLOSED) {
      return fail(m.replyTo(), DriveError.MEDIA_NOT_APPENDABLE, "the disc is closed; nothing more can be written");
    }
    if (m.paths().isEmpty()) {
      return fail(m.replyTo(), DriveError.INVALID_ARGUMENT, "no files to write");
    }
    busy = true;
    Disc before = disc;
    ActorRef<Update> progress = m.progress();
    int trackNo = before.numberOfExistingTracks() + 1;
    long start = System.nanoTime();
    return onIo(m.replyTo(), false, () -> {
      List<Path> paths = m.paths().stream().map(Path::of).toList();
      // Refuse before writing when even the file contents alone cannot fit; the backend checks the exact size.
      before.planDataSession(DataSize.lowerBoundSectors(paths), "estimate");
      tell(progress, new Update(driveId, trackNo, Action.PREPARING, 0, -1, -1, 0, -1));
      Track track = backend.writeDataSession(before, paths, m.forceMediaToBeClosed());
      Disc after = before.withDataSession(track, m.forceMediaToBeClosed());
      backend.commit(after);
      long ms = (System.nanoTime() - start) / 1_000_000;
      tell(progress, new Update(driveId, trackNo, Action.FINISHING, ms, 0, track.endLba() - 1,
          track.lengthSectors(), track.lengthSectors()));
      return new OpDone(m.replyTo(), after, track, backend.images(), false, null);
    });
  }

  private Behavior<Command> onLoadMedia(LoadMedia m) {
    if (job != null || busy || prepared) {
      return fail(m.replyTo(), DriveError.WRITE_IN_PROGRESS, "the drive is in use; release the media first");
    }
    busy = true;
    return onIo(m.replyTo(), false, () -> {
      Disc blank = backend.insert(m.media());
      return new OpDone(m.replyTo(), blank, null, backend.images(), false, null);
    });
  }

  private Behavior<Command> onEjectMedia(EjectMedia m) {
    if (job != null || busy || prepared) {
      return fail(m.replyTo(), DriveError.WRITE_IN_PROGRESS, "the drive is in use; release the media first");
    }
    busy = true;
    return onIo(m.replyTo(), false, () -> {
      backend.eject(m.shelf());
      return new OpDone(m.replyTo(), null, null, backend.images(), false, null);
    });
  }

  private Behavior<Command> onInjectWriteFault(InjectWriteFault m) {
    if (!(backend instanceof SimulatedBackend sim)) {
      return fail(m.replyTo(), DriveError.INVALID_ARGUMENT, "only simulated drives take injected faults");
    }
    if (m.percent() > 100) {
      return fail(m.replyTo(), DriveError.INVALID_ARGUMENT, "a fault percentage is 0..100 (negative: none)");
    }
    sim.injectWriteFault(m.percent(), m.once());
    return ok(m.replyTo(), null);
  }

  private Behavior<Command> onOpDone(OpDone m) {
    busy = false;
    if (m.failure() != null) {
      m.replyTo().tell(error(m.failure()));
      return this;
    }
    disc = m.disc();
    images = m.images();
    if (m.released()) {
      prepared = false;
    }
    m.replyTo().tell(reply(null, "done", m.track()));
    return this;
  }

  // --- helpers ---

  private interface IoWork<T> {
    T run() throws Exception;
  }

  private Behavior<Command> onIo(ActorRef<Reply> replyTo, boolean released, IoWork<OpDone> work) {
    getContext().pipeToSelf(CompletableFuture.supplyAsync(() -> call(work), io),
        (done, e) -> e == null ? done : new OpDone(replyTo, null, null, null, released, e));
    return this;
  }

  private static <T> T call(IoWork<T> work) {
    try {
      return work.run();
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new CompletionException(e);
    }
  }

  private Behavior<Command> endJobWith(Throwable failure) {
    Job done = job;
    job = null;
    done.request.replyTo().tell(error(failure));
    return this;
  }

  private void progress(Action action, long written) {
    if (job.request.progress() == null) {
      return;
    }
    long total = job.planned.footprint();
    long elapsed = job.writer == null ? 0 : elapsedMillis();
    long remaining;
    if (!speed.unthrottled()) {
      remaining = (total - written) * 1000 / speed.sectorsPerSecond();
    } else {
      remaining = written == 0 ? -1 : elapsed * (total - written) / written;
    }
    long firstLba = job.planned.startLba() - job.planned.gapSectors();
    job.request.progress().tell(new Update(driveId, job.planned.number(), action, elapsed, remaining,
        written == 0 ? -1 : firstLba + written - 1, written, total));
  }

  private long elapsedMillis() {
    return (System.nanoTime() - job.startNanos) / 1_000_000;
  }

  private DriveError needMedia() {
    return disc == null ? DriveError.NO_MEDIA : null;
  }

  private Behavior<Command> ok(ActorRef<Reply> replyTo, Track track) {
    replyTo.tell(reply(null, "done", track));
    return this;
  }

  private Behavior<Command> fail(ActorRef<Reply> replyTo, DriveError code, String message) {
    replyTo.tell(new Reply(driveId, code, message, null, mediaInfo()));
    return this;
  }

  private Reply reply(DriveError code, String message, Track track) {
    return new Reply(driveId, code, message, track, mediaInfo());
  }

  private Reply error(Throwable failure) {
    Throwable t = unwrap(failure);
    DriveError code = t instanceof DiscException d ? d.code() : DriveError.IO_ERROR;
    return new Reply(driveId, code, message(t), null, mediaInfo());
  }

  private static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof java.util.concurrent.ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  private static String message(Throwable t) {
    Throwable u = unwrap(t);
    return u.getMessage() == null ? u.getClass().getSimpleName() : u.getMessage();
  }

  private static void tell(ActorRef<Update> to, Update update) {
    if (to != null) {
      to.tell(update);
    }
  }

  private MediaInfo mediaInfo() {
    if (disc == null) {
      return new MediaInfo(driveId, backend.kind(), "none", "no disc", MediaState.NONE, 0, 0, 0, 0, 0, 0,
          List.of(), List.of(), images, doNotFinalize, prepared, job != null || busy, speed.toString());
    }
    return new MediaInfo(driveId, backend.kind(), disc.media().id(), disc.media().label(), disc.state(),
        disc.sessions().size(), disc.numberOfExistingTracks(), disc.totalSectors(), disc.usedSectors(),
        disc.overheadSectors(), disc.freeSectors(), disc.expectedTableOfContents(), disc.tracks(), images,
        doNotFinalize, prepared, job != null || busy, speed.toString());
  }
}
