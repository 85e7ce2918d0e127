package lathe.disc;

public enum TrackKind {
  /** CD-DA: 2352 bytes of 44.1 kHz 16-bit stereo PCM per sector. */
  AUDIO,
  /** A data session (ISO 9660 / Rock Ridge written by xorriso), 2048 user bytes per sector. */
  DATA
}
