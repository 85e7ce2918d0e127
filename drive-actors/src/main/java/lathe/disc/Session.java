package lathe.disc;

import java.util.List;

/** A session: its tracks, and whether its lead-out has been written (a closed session). */
public record Session(int number, List<Track> tracks, boolean closed) {
  public Session {
    tracks = List.copyOf(tracks);
  }

  public long endLba() {
    return tracks.isEmpty() ? 0 : tracks.get(tracks.size() - 1).endLba();
  }
}
