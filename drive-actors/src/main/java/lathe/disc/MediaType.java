package lathe.disc;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Recordable media a drive can hold, with their real capacities. CD capacities are Red Book program-area sectors
 * (2352 bytes raw, 2048 user bytes in a Mode 1 data track); DVD and BD are 2048-byte sectors, single layer.
 */
public enum MediaType {
  CDR74("cdr74", "CD-R 74 min", true, 333_000),
  CDR80("cdr80", "CD-R 80 min", true, 360_000),
  // ECMA-359 DVD-R 4.7 GB and ECMA-349 DVD+R: the capacities drives report for single-layer discs.
  DVDR("dvdr", "DVD-R", false, 2_298_496),
  DVDPLUSR("dvdplusr", "DVD+R", false, 2_295_104),
  // BD-R SL 25 GB as formatted by drives without spare areas.
  BDR("bdr", "BD-R", false, 12_219_392);

  private final String id;
  private final String label;
  private final boolean cd;
  private final long totalSectors;

  MediaType(String id, String label, boolean cd, long totalSectors) {
    this.id = id;
    this.label = label;
    this.cd = cd;
    this.totalSectors = totalSectors;
  }

  /** The short name used on the command line and in configuration. */
  public String id() {
    return id;
  }

  public String label() {
    return label;
  }

  public boolean isCd() {
    return cd;
  }

  public long totalSectors() {
    return totalSectors;
  }

  /** Bytes of user data per sector of a data session. */
  public int dataSectorBytes() {
    return 2048;
  }

  public static MediaType fromId(String id) {
    for (MediaType t : values()) {
      if (t.id.equalsIgnoreCase(id) || t.name().equalsIgnoreCase(id)) {
        return t;
      }
    }
    throw new IllegalArgumentException("unknown media '" + id + "' (expected one of "
        + Arrays.stream(values()).map(MediaType::id).collect(Collectors.joining(", ")) + ")");
  }
}
