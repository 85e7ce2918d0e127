package lathe.sink.mp4;

import java.util.List;
import lathe.protocol.Codec;
import lathe.protocol.MediaType;

/** One stream as an MP4 track: its id, media timescale and kind, derived once from its media type. */
record Track(int id, MediaType type, long timescale, boolean video) {

  static Track of(int index, MediaType type) {
    boolean video = type.hasVideo();
    long ts = type.getTimescale();
    if (ts == 0) {
      ts = video ? 90_000 : type.getAudio().getSampleRate();
    }
    if (ts <= 0) {
      throw new IllegalArgumentException("stream " + index + " has no timescale and no sample rate");
    }
    return new Track(index + 1, type, ts, video);
  }

  Codec codec() {
    return type.getCodec();
  }

  /**
   * The movie timescale (mvhd): the least common multiple of the tracks' timescales when it fits in 31 bits, so
   * that edit-list times convert to every track without rounding; otherwise 1000 as ffmpeg writes.
   */
  static long movieTimescale(List<Track> tracks) {
    long lcm = 1;
    for (Track t : tracks) {
      lcm = lcm / gcd(lcm, t.timescale) * t.timescale;
      if (lcm > Integer.MAX_VALUE) {
        return 1000;
      }
    }
    return lcm;
  }

  private static long gcd(long a, long b) {
    return b == 0 ? a : gcd(b, a % b);
  }
}
