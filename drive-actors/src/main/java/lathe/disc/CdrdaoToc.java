package lathe.disc;

import java.util.List;

/**
 * The cdrdao TOC file of the same audio session (cdrdao(1), "TOC FILES"), pointing into the same BIN so that
 * {@code cdrdao write disc.toc} burns it as is. The BIN holds little-endian samples, hence SWAP.
 */
public final class CdrdaoToc {
  private CdrdaoToc() {}

  /** {@code leftOpen}: cdrdao needs CD_ROM_XA to write a session with --multi. */
  public static String render(String binName, List<Track> audioTracks, boolean leftOpen) {
    StringBuilder toc = new StringBuilder();
    toc.append(leftOpen ? "CD_ROM_XA\n" : "CD_DA\n");
    toc.append("// Lathe track-at-once audio session").append(leftOpen ? ", disc left open (cdrdao write --multi)" : "")
        .append('\n');
    for (Track t : audioTracks) {
      toc.append("\n// track ").append(t.number()).append(t.partial() ? " (partial: writing was interrupted)" : "")
          .append('\n');
      toc.append("TRACK AUDIO\nNO COPY\nNO PRE_EMPHASIS\nTWO_CHANNEL_AUDIO\n");
      long first = t.startLba() - t.gapSectors();
      toc.append("FILE \"").append(binName).append("\" SWAP #").append(first * RedBook.SECTOR_BYTES)
          .append(" 0 ").append(RedBook.msf(t.footprint())).append('\n');
      if (t.gapSectors() > 0) {
        toc.append("START ").append(RedBook.msf(t.gapSectors())).append('\n');
      }
    }
    return toc.toString();
  }
}
