package lathe.drive.backend;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import lathe.disc.Disc;
import lathe.disc.DiscException;
import lathe.disc.DriveError;
import lathe.disc.MediaType;
import lathe.disc.Track;
import lathe.disc.WavInfo;

/**
 * A real burner on {@code /dev/srN}, driven by wodim (audio, track-at-once), cdrdao (a simulated disc's TOC
 * image burned as is) and xorriso (data sessions).
 *
 * <p><b>Untested on hardware</b>: no machine building Lathe has an optical drive. Only the command lines are
 * tested. The disc model is kept in a shadow state file like the simulated drive's, since reading a drive's
 * ATIP/TOC back is not implemented; track-at-once writes go one wodim run per track with {@code -nofix}, and
 * ReleaseMedia fixates with {@code -fix} (plus {@code -multi} to leave the disc open, IMAPI's
 * DoNotFinalizeMedia). Cancelling a track does not stop a running wodim.
 */
public final class HardwareBackend implements BurnerBackend {
  private final String device;
  private final StateFile state;
  private final MediaType assumedMedia;

  public HardwareBackend(String device, Path shadowDir, MediaType assumedMedia) {
    this.device = device;
    this.state = new StateFile(shadowDir.resolve(SimulatedBackend.STATE));
    this.assumedMedia = assumedMedia;
  }

  /** One track, track-at-once, the session left unfixated for the next track. */
  public static List<String> wodimTrack(String device, WriteSpeed speed, Path wav) {
    List<String> cmd = new ArrayList<>(List.of("wodim", "-v", "dev=" + device));
    if (!speed.unthrottled()) {
      cmd.add("speed=" + speed.multiple());
    }
    cmd.addAll(List.of("-tao", "-audio", "-pad", "-nofix", wav.toString()));
    return cmd;
  }

  /** Writes the lead-out of the session; {@code -multi} leaves the disc appendable (DoNotFinalizeMedia). */
  public static List<String> wodimFixate(String device, boolean leaveOpen) {
    List<String> cmd = new ArrayList<>(List.of("wodim", "-v", "dev=" + device, "-fix"));
    if (leaveOpen) {
      cmd.add("-multi");
    }
    return cmd;
  }

  /** A whole audio session in one run: what {@code lathe burn --audio} amounts to on a real drive. */
  public static List<String> wodimSession(String device, WriteSpeed speed, List<Path> wavs, boolean leaveOpen) {
    List<String> cmd = new ArrayList<>(List.of("wodim", "-v", "dev=" + device));
    if (!speed.unthrottled()) {
      cmd.add("speed=" + speed.multiple());
    }
    cmd.addAll(List.of("-tao", "-audio", "-pad"));
    if (leaveOpen) {
      cmd.add("-multi");
    }
    wavs.forEach(w -> cmd.add(w.toString()));
    return cmd;
  }

  /** Burns a simulated drive's TOC image as is (disc-at-once). */
  public static List<String> cdrdaoWrite(String device, WriteSpeed speed, Path toc, boolean leaveOpen) {
    List<String> cmd = new ArrayList<>(List.of("cdrdao", "write", "--device", device));
    if (!speed.unthrottled()) {
      cmd.addAll(List.of("--speed", Integer.toString(speed.multiple())));
    }
    if (leaveOpen) {
      cmd.add("--multi");
    }
    cmd.addAll(List.of("-n", toc.toString()));
    return cmd;
  }

  @Override
  public String kind() {
    return "hardware";
  }

  @Override
  public Disc load() throws IOException {
    return state.read(assumedMedia == null ? null : Disc.blank(assumedMedia));
  }

  @Override
  public Disc insert(MediaType media) throws IOException {
    Disc blank = Disc.blank(media);
    state.write(blank);
    return blank;
  }

  @Override
  public void eject(String shelf) throws IOException {
    run(List.of("eject", device));
    state.write(null);
  }

  @Override
  public AudioTrackWriter openAudioTrack(Disc before, Track track, WavInfo wav, WriteSpeed speed) {
    return new AudioTrackWriter() {
      private long written;

      @Override
      public long totalSectors() {
        return track.footprint();
      }

      @Override
      public long writtenSectors() {
        return written;
      }

      @Override
      public long write(long sectors) throws IOException {
        if (written == 0) {
          run(wodimTrack(device, speed, wav.path())); // wodim paces itself: one call writes the whole track
        }
        written = track.footprint();
        return written;
      }

      @Override
      public Track finish() {
        return track;
      }

      @Override
      public Track abandon() {
        return track;
      }

      @Override
      public void close() {}
    };
  }

  @Override
  public void commit(Disc disc) throws IOException {
    state.write(disc);
  }

  @Override
  public void closeSession(Disc after, boolean leaveOpen, WriteSpeed speed) throws IOException {
    run(wodimFixate(device, leaveOpen));
    state.write(after);
  }

  @Override
  public Track writeDataSession(Disc before, List<Path> paths, boolean close) throws IOException {
    Track planned = before.planDataSession(DataSize.lowerBoundSectors(paths),
        String.join(" ", paths.stream().map(Path::toString).toList()));
    // The drive refuses to overfill itself; the session size is not read back (a lower bound is recorded).
    Xorriso.run(Xorriso.appendSession(device, paths, close));
    return planned;
  }

  @Override
  public Map<String, String> images() {
    return Map.of("device", device);
  }

  private static void run(List<String> cmd) throws IOException {
    Processes.Result r = Processes.run(cmd, 3 * 3600);
    if (r.exitCode() != 0) {
      throw new DiscException(DriveError.WRITE_FAILED,
          cmd.get(0) + " failed (exit " + r.exitCode() + "): " + Processes.lastLine(r.output()));
    }
  }
}
