package lathe.drive;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Function;
import lathe.disc.DiscException;
import lathe.disc.DriveError;
import lathe.disc.MediaState;
import lathe.disc.RedBook;
import lathe.disc.Track;
import lathe.disc.WavInfo;
import lathe.drive.DriveActor.MediaInfo;
import lathe.drive.DriveActor.Reply;
import lathe.drive.DriveActor.Update;
import lathe.drive.backend.WriteSpeed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Burns discs on one DriveActor from plain, blocking code (the CLI, {@code lathe demo}): the IMAPI sequence
 * SetWriteSpeed, DoNotFinalizeMedia, PrepareMedia, AddAudioTrack per file, ReleaseMedia; and data sessions.
 * Every input is checked before the first sector is written. Failures are {@link DriveFailure}s.
 */
public final class DiscBurner {

  /** What a burn did: the tracks written and the disc afterwards. */
  public record BurnResult(String driveId, List<Track> tracks, MediaInfo media) {}

  private static final Duration QUICK = Duration.ofSeconds(60);
  private static final Duration WRITE = Duration.ofHours(12);

  private final ActorSystem<?> system;
  private final ActorRef<DriveActor.Command> drive;

  public DiscBurner(ActorSystem<?> system, ActorRef<DriveActor.Command> drive) {
    this.system = system;
    this.drive = drive;
  }

  public MediaInfo mediaInfo() {
    return await(AskPattern.ask(drive, DriveActor.GetMediaInfo::new, QUICK, system.scheduler()), QUICK);
  }

  /** Puts a blank disc of {@code media} in the tray (a simulated drive keeps the ejected disc's images). */
  public MediaInfo load(lathe.disc.MediaType media) {
    return call(r -> new DriveActor.LoadMedia(media, r), QUICK).media();
  }

  public MediaInfo eject() {
    return call(DriveActor.EjectMedia::new, QUICK).media();
  }

  /**
   * Writes {@code wavs} as one track-at-once audio session; {@code leaveOpen} keeps the disc appendable
   * (DoNotFinalizeMedia) for a later data session.
   */
  public BurnResult burnAudio(List<Path> wavs, boolean leaveOpen, WriteSpeed speed, Consumer<Update> progress) {
    if (wavs.isEmpty()) {
      throw new DriveFailure(DriveError.INVALID_ARGUMENT, "no audio files to burn");
    }
    List<WavInfo> infos = new ArrayList<>();
    for (Path w : wavs) {
      try {
        infos.add(WavInfo.read(w));
      } catch (DiscException e) {
        throw new DriveFailure(e.code(), e.getMessage());
      }
    }
    checkRoom(infos, mediaInfo());
    call(r -> new DriveActor.SetWriteSpeed(speed.multiple(), r), QUICK);
    call(r -> new DriveActor.SetDoNotFinalizeMedia(leaveOpen, r), QUICK);
    call(DriveActor.PrepareMedia::new, QUICK);
    ActorRef<Update> listener = listener(progress);
    List<Track> tracks = new ArrayList<>();
    DriveFailure failure = null;
    try {
      for (Path w : wavs) {
        Reply r = ask(reply -> new DriveActor.AddAudioTrack(w.toAbsolutePath().toString(), listener, reply), WRITE);
        if (!r.ok()) {
          failure = new DriveFailure(r.error(), r.message());
          break;
        }
        tracks.add(r.track());
      }
    } finally {
      system.classicSystem().stop(org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(listener));
      // Unlock the drive whatever happened, as IMAPI callers must; what was written stays.
      Reply released = ask(DriveActor.ReleaseMedia::new, WRITE);
      if (failure == null && !released.ok()) {
        failure = new DriveFailure(released.error(), released.message());
      }
    }
    if (failure != null) {
      throw failure;
    }
    return new BurnResult(mediaInfo().driveId(), tracks, mediaInfo());
  }

  /** Writes {@code paths} as one data session (IDiscFormat2Data::Write), closing the disc if {@code close}. */
  public BurnResult burnData(List<Path> paths, boolean close, Consumer<Update> progress) {
    for (Path p : paths) {
      if (!Files.exists(p)) {
        throw new DriveFailure(DriveError.INVALID_ARGUMENT, "no such file or directory: " + p);
      }
    }
    ActorRef<Update> listener = listener(progress);
    try {
      List<String> names = paths.stream().map(p -> p.toAbsolutePath().toString()).toList();
      Reply r = call(reply -> new DriveActor.WriteData(names, close, listener, reply), WRITE);
      return new BurnResult(r.driveId(), List.of(r.track()), r.media());
    } finally {
      system.classicSystem().stop(org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(listener));
    }
  }

  /** A CD-Extra: the audio session left open, then one data session holding {@code dataPaths}, disc closed. */
  public BurnResult burnAudioThenData(List<Path> wavs, List<Path> dataPaths, WriteSpeed speed,
      Consumer<Update> progress) {
    BurnResult audio = burnAudio(wavs, true, speed, progress);
    BurnResult data = burnData(dataPaths, true, progress);
    List<Track> all = new ArrayList<>(audio.tracks());
    all.addAll(data.tracks());
    return new BurnResult(data.driveId(), all, data.media());
  }

  // The whole session must fit before the first track is written: a refusal at track 3 would leave a
  // finalized disc holding only tracks 1 and 2.
  private static void checkRoom(List<WavInfo> wavs, MediaInfo media) {
    if (media.state() == MediaState.NONE) {
      throw new DriveFailure(DriveError.NO_MEDIA, "no disc in drive " + media.driveId());
    }
    if (media.numberOfExistingTracks() + wavs.size() > RedBook.MAX_TRACKS) {
      throw new DriveFailure(DriveError.TRACK_LIMIT_REACHED, wavs.size() + " tracks do not fit: the disc holds "
          + media.numberOfExistingTracks() + " and a CD takes at most " + RedBook.MAX_TRACKS);
    }
    long needed = 0;
    for (int i = 0; i < wavs.size(); i++) {
      needed += RedBook.paddedTrackSectors(wavs.get(i).contentSectors()) + (i == 0 ? 0 : RedBook.TAO_GAP_SECTORS);
    }
    if (media.state() == MediaState.BLANK && needed > media.freeSectors()) {
      throw new DriveFailure(DriveError.NOT_ENOUGH_SPACE, "the tracks need " + needed + " sectors ("
          + RedBook.msf(needed) + ") but the disc has " + media.freeSectors() + " free");
    }
  }

  private ActorRef<Update> listener(Consumer<Update> progress) {
    Consumer<Update> sink = progress == null ? u -> { } : progress;
    return system.systemActorOf(Behaviors.<Update>receiveMessage(u -> {
      sink.accept(u);
      return Behaviors.same();
    }), "burn-progress-" + java.util.UUID.randomUUID(), Props.empty());
  }

  private Reply call(Function<ActorRef<Reply>, DriveActor.Command> message, Duration timeout) {
    Reply r = ask(message, timeout);
    if (!r.ok()) {
      throw new DriveFailure(r.error(), r.message());
    }
    return r;
  }

  private Reply ask(Function<ActorRef<Reply>, DriveActor.Command> message, Duration timeout) {
    return await(AskPattern.ask(drive, message::apply, timeout, system.scheduler()), timeout);
  }

  private static <T> T await(CompletionStage<T> stage, Duration timeout) {
    try {
      return stage.toCompletableFuture().get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DriveFailure(DriveError.IO_ERROR, "interrupted while waiting for the drive");
    } catch (ExecutionException | TimeoutException e) {
      throw new DriveFailure(DriveError.IO_ERROR, "the drive did not answer: " + e.getMessage());
    }
  }
}
