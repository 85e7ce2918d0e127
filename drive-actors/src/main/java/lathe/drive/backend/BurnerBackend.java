package lathe.drive.backend;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import lathe.disc.Disc;
import lathe.disc.MediaType;
import lathe.disc.Track;
import lathe.disc.WavInfo;

/**
 * What a burner can do, whatever it is made of. Every method blocks (files, processes) and is called by the
 * DriveActor on its I/O dispatcher, one at a time; policy (what is allowed when) stays in the actor and the
 * Disc model.
 */
public interface BurnerBackend {

  /** "simulated" or "hardware". */
  String kind();

  /** The disc in the tray as last recorded, or null when the tray is empty. */
  Disc load() throws IOException;

  /** Puts a blank disc of {@code media} in the tray. */
  Disc insert(MediaType media) throws IOException;

  /** Takes the disc out of the tray; {@code shelf} names where a simulated drive keeps its images. */
  void eject(String shelf) throws IOException;

  /** Starts writing {@code track}, planned by {@link Disc#planAudioTrack}, from {@code wav}. */
  AudioTrackWriter openAudioTrack(Disc before, Track track, WavInfo wav, WriteSpeed speed) throws IOException;

  /** Records the disc as it now is (after a track, a released session or a data session). */
  void commit(Disc disc) throws IOException;

  /** Closes the open audio session on the medium: writes its lead-out, leaving the disc open or closed. */
  void closeSession(Disc after, boolean leaveOpen, WriteSpeed speed) throws IOException;

  /**
   * Writes {@code paths} as one new data session on {@code before}; a session that turns out larger than
   * {@link Disc#planDataSession} allows is undone (where the medium allows it) and refused with NOT_ENOUGH_SPACE.
   *
   * @return the data track the session became
   */
  Track writeDataSession(Disc before, List<Path> paths, boolean close) throws IOException;

  /** Image files a user can burn or inspect (cue, toc, bin, data), by name; empty for hardware. */
  Map<String, String> images();
}
