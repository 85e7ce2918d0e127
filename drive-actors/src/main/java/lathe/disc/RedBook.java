package lathe.disc;

/**
 * Red Book (IEC 60908) numbers as used by track-at-once writers (MMC-5 §4.2 "Track at Once" and the Orange Book
 * multisession layout). Everything here is exact integer arithmetic.
 */
public final class RedBook {
  public static final int SECTOR_BYTES = 2352;
  public static final int SECTORS_PER_SECOND = 75;
  public static final int SAMPLE_RATE = 44_100;
  public static final int CHANNELS = 2;
  public static final int BITS_PER_SAMPLE = 16;
  /** 588 stereo samples per sector: 44100 / 75. */
  public static final int SAMPLES_PER_SECTOR = SAMPLE_RATE / SECTORS_PER_SECOND;
  /** A track lasts at least 4 seconds (IEC 60908 §17.5). */
  public static final long MIN_TRACK_SECTORS = 300;
  /** The 2-second pause a TAO writer puts before every track after the first. */
  public static final long TAO_GAP_SECTORS = 150;
  public static final int MAX_TRACKS = 99;
  public static final long LEAD_IN_SECTORS = 4500;
  public static final long FIRST_LEAD_OUT_SECTORS = 6750;
  public static final long NEXT_LEAD_OUT_SECTORS = 2250;
  /** Absolute time of LBA 0 (00:02:00): MSF addresses count the first pregap. */
  public static final long MSF_OFFSET = 150;

  private RedBook() {}

  /** Sectors holding {@code pcmBytes} of CD-DA audio, the last one completed with silence. */
  public static long sectorsFor(long pcmBytes) {
    return (pcmBytes + SECTOR_BYTES - 1) / SECTOR_BYTES;
  }

  /** A track's length on disc: its content padded with silence to the 4-second minimum. */
  public static long paddedTrackSectors(long contentSectors) {
    return Math.max(MIN_TRACK_SECTORS, contentSectors);
  }

  public static long leadOutSectors(int session) {
    return session == 1 ? FIRST_LEAD_OUT_SECTORS : NEXT_LEAD_OUT_SECTORS;
  }

  /** MM:SS:FF of a sector count (a relative position, as CUE sheets and cdrdao TOC files write them). */
  public static String msf(long sectors) {
    long f = sectors % SECTORS_PER_SECOND;
    long s = (sectors / SECTORS_PER_SECOND) % 60;
    long m = sectors / SECTORS_PER_SECOND / 60;
    return String.format("%02d:%02d:%02d", m, s, f);
  }

  /** Milliseconds needed to write {@code sectors} at 1x. */
  public static long millisAt1x(long sectors) {
    return sectors * 1000 / SECTORS_PER_SECOND;
  }
}
