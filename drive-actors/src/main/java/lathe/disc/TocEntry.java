package lathe.disc;

/**
 * One line of a table of contents as a drive reports it (MMC READ TOC format 0): the track number, or 170 (0xAA)
 * for a session's lead-out, its logical start and the absolute MSF time (LBA + 150 frames).
 */
public record TocEntry(int session, int track, String type, long lba, String msf) {
  public static final int LEAD_OUT = 0xAA;

  static TocEntry of(int session, int track, String type, long lba) {
    return new TocEntry(session, track, type, lba, RedBook.msf(lba + RedBook.MSF_OFFSET));
  }
}
