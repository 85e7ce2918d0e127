package lathe.disc;

import java.util.ArrayList;
import java.util.List;

/**
 * The recorded state of one disc and the exact space arithmetic of its medium. Immutable: every write returns a
 * new Disc, so a refused operation can never leave a half-changed model behind.
 *
 * <p>CD space (Red Book / Orange Book multisession): {@code free = total - used - overhead}, where {@code used}
 * counts every track and its TAO gap, and {@code overhead} counts, for every session written or still to be
 * written, its lead-in (4500) and lead-out (6750 for the first session, 2250 after), plus the 150-sector gap of
 * the next track. A track of exactly {@code free} sectors fits; one more sector does not. DVD and BD sessions
 * are counted by their data sectors only.
 */
public record Disc(MediaType media, List<Session> sessions, boolean finalized) {

  public Disc {
    sessions = List.copyOf(sessions);
  }

  public static Disc blank(MediaType media) {
    return new Disc(media, List.of(), false);
  }

  public MediaState state() {
    if (finalized) {
      return MediaState.CLOSED;
    }
    return sessions.isEmpty() ? MediaState.BLANK : MediaState.APPENDABLE;
  }

  public List<Track> tracks() {
    List<Track> all = new ArrayList<>();
    sessions.forEach(s -> all.addAll(s.tracks()));
    return all;
  }

  public int numberOfExistingTracks() {
    return sessions.stream().mapToInt(s -> s.tracks().size()).sum();
  }

  public boolean hasOpenSession() {
    return !sessions.isEmpty() && !sessions.get(sessions.size() - 1).closed();
  }

  public long totalSectors() {
    return media.totalSectors();
  }

  public long usedSectors() {
    return sessions.stream().flatMap(s -> s.tracks().stream()).mapToLong(Track::footprint).sum();
  }

  public long overheadSectors() {
    if (!media.isCd()) {
      return 0;
    }
    long overhead = 0;
    for (Session s : sessions) {
      overhead += RedBook.LEAD_IN_SECTORS + RedBook.leadOutSectors(s.number());
    }
    if (finalized) {
      return overhead;
    }
    if (!hasOpenSession()) {
      // The next write opens a session: its lead-in and lead-out must fit too.
      int next = sessions.size() + 1;
      overhead += RedBook.LEAD_IN_SECTORS + RedBook.leadOutSectors(next);
    }
    if (numberOfExistingTracks() > 0) {
      overhead += RedBook.TAO_GAP_SECTORS;
    }
    return overhead;
  }

  public long freeSectors() {
    if (finalized) {
      return 0;
    }
    return Math.max(0, totalSectors() - usedSectors() - overheadSectors());
  }

  /** Where INDEX 01 of the next track would start. */
  public long nextTrackStart() {
    if (!media.isCd()) {
      return usedSectors();
    }
    if (sessions.isEmpty()) {
      return 0;
    }
    Session last = sessions.get(sessions.size() - 1);
    if (!last.closed()) {
      return last.endLba() + RedBook.TAO_GAP_SECTORS;
    }
    return last.endLba() + RedBook.leadOutSectors(last.number()) + RedBook.LEAD_IN_SECTORS
        + RedBook.TAO_GAP_SECTORS;
  }

  /**
   * The audio track that {@code contentSectors} of PCM would become, checked against every Red Book rule;
   * nothing changes. Audio goes only into the first session (track-at-once needs a blank disc).
   */
  public Track planAudioTrack(long contentSectors, String source) {
    if (!media.isCd()) {
      throw new DiscException(DriveError.MEDIA_NOT_SUPPORTED,
          media.label() + " cannot hold audio tracks; load a CD-R (cdr74 or cdr80)");
    }
    if (finalized) {
      throw new DiscException(DriveError.MEDIA_NOT_APPENDABLE, "the disc is closed; nothing more can be written");
    }
    if (sessions.size() > 1 || (sessions.size() == 1 && sessions.get(0).closed())) {
      throw new DiscException(DriveError.MEDIA_NOT_BLANK,
          "audio tracks are written track-at-once on a blank disc; this one already has a closed session");
    }
    checkTrackLimit();
    long length = RedBook.paddedTrackSectors(contentSectors);
    long free = freeSectors();
    if (length > free) {
      throw new DiscException(DriveError.NOT_ENOUGH_SPACE, "track needs " + length + " sectors ("
          + RedBook.msf(length) + ") but only " + free + " sectors (" + RedBook.msf(free) + ") are free");
    }
    int number = numberOfExistingTracks() + 1;
    long gap = number == 1 ? 0 : RedBook.TAO_GAP_SECTORS;
    return new Track(number, 1, TrackKind.AUDIO, nextTrackStart(), gap, length, contentSectors, false, source);
  }

  /** This disc with {@code track} (from {@link #planAudioTrack}) appended to the open session. */
  public Disc withAudioTrack(Track track) {
    List<Session> next = new ArrayList<>(sessions);
    if (hasOpenSession()) {
      Session open = next.remove(next.size() - 1);
      List<Track> tracks = new ArrayList<>(open.tracks());
      tracks.add(track);
      next.add(new Session(open.number(), tracks, false));
    } else {
      next.add(new Session(sessions.size() + 1, List.of(track), false));
    }
    return new Disc(media, next, false);
  }

  /** Writes the open session's lead-out; the disc stays appendable unless {@code finalizeDisc}. */
  public Disc closeSession(boolean finalizeDisc) {
    if (!hasOpenSession()) {
      return finalizeDisc && !sessions.isEmpty() ? new Disc(media, sessions, true) : this;
    }
    List<Session> next = new ArrayList<>(sessions);
    Session open = next.remove(next.size() - 1);
    next.add(new Session(open.number(), open.tracks(), true));
    return new Disc(media, next, finalizeDisc);
  }

  /** The data track a new session of {@code contentSectors} would hold, checked for space and track limit. */
  public Track planDataSession(long contentSectors, String source) {
    if (finalized) {
      throw new DiscException(DriveError.MEDIA_NOT_APPENDABLE, "the disc is closed; nothing more can be written");
    }
    if (hasOpenSession()) {
      throw new DiscException(DriveError.WRITE_IN_PROGRESS,
          "an audio session is still open; release the media before writing a data session");
    }
    checkTrackLimit();
    long length = media.isCd() ? RedBook.paddedTrackSectors(contentSectors) : contentSectors;
    long free = freeSectors();
    if (length > free) {
      throw new DiscException(DriveError.NOT_ENOUGH_SPACE, "data session needs " + length
          + " sectors but only " + free + " sectors are free on the " + media.label());
    }
    int number = numberOfExistingTracks() + 1;
    long gap = media.isCd() && number > 1 ? RedBook.TAO_GAP_SECTORS : 0;
    return new Track(number, sessions.size() + 1, TrackKind.DATA, nextTrackStart(), gap, length,
        contentSectors, false, source);
  }

  /** This disc with a new, closed session holding {@code track}; finalized if {@code closeDisc}. */
  public Disc withDataSession(Track track, boolean closeDisc) {
    List<Session> next = new ArrayList<>(sessions);
    next.add(new Session(track.session(), List.of(track), true));
    return new Disc(media, next, closeDisc);
  }

  /** The table of contents a reader will see (IMAPI ExpectedTableOfContents): tracks and each lead-out. */
  public List<TocEntry> expectedTableOfContents() {
    List<TocEntry> toc = new ArrayList<>();
    for (Session s : sessions) {
      for (Track t : s.tracks()) {
        toc.add(TocEntry.of(s.number(), t.number(), t.kind().name().toLowerCase(), t.startLba()));
      }
      toc.add(TocEntry.of(s.number(), TocEntry.LEAD_OUT, "leadout", s.endLba()));
    }
    return toc;
  }

  private void checkTrackLimit() {
    if (numberOfExistingTracks() >= RedBook.MAX_TRACKS) {
      throw new DiscException(DriveError.TRACK_LIMIT_REACHED, "the disc already holds "
          + RedBook.MAX_TRACKS + " tracks, the most a disc can hold");
    }
  }
}
