package lathe.disc;

import java.util.List;

/**
 * The CDRWIN cue sheet of an audio session whose BIN image starts at LBA 0 (the layout cd-info, bchunk and
 * cdrecord/cdrdao read). The TAO gap is in the image as silence, so it is INDEX 00 and INDEX 01 follows it.
 */
public final class CueSheet {
  private CueSheet() {}

  public static String render(String binName, List<Track> audioTracks) {
    StringBuilder cue = new StringBuilder();
    cue.append("REM Lathe track-at-once audio session; little-endian CD-DA, 2352 bytes per sector\r\n");
    cue.append("FILE \"").append(binName).append("\" BINARY\r\n");
    for (Track t : audioTracks) {
      cue.append(String.format("  TRACK %02d AUDIO\r\n", t.number()));
      if (t.gapSectors() > 0) {
        cue.append("    INDEX 00 ").append(RedBook.msf(t.startLba() - t.gapSectors())).append("\r\n");
      }
      cue.append("    INDEX 01 ").append(RedBook.msf(t.startLba())).append("\r\n");
    }
    return cue.toString();
  }
}
