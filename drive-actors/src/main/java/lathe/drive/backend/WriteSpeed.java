package lathe.drive.backend;

import lathe.disc.DiscException;
import lathe.disc.DriveError;
import lathe.disc.RedBook;

/** A CD write speed: {@code multiple}x (1x = 75 sectors/s) up to 52x, or 0 for "as fast as the host can". */
public record WriteSpeed(int multiple) {
  public static final WriteSpeed MAX = new WriteSpeed(0);
  public static final int FASTEST = 52;

  public WriteSpeed {
    if (multiple < 0 || multiple > FASTEST) {
      throw new DiscException(DriveError.INVALID_ARGUMENT,
          "write speed " + multiple + "x is outside 1x..52x (or max)");
    }
  }

  public boolean unthrottled() {
    return multiple == 0;
  }

  public long sectorsPerSecond() {
    return (long) multiple * RedBook.SECTORS_PER_SECOND;
  }

  /** Parses {@code 8x}, {@code 8} or {@code max}. */
  public static WriteSpeed parse(String text) {
    String t = text.strip().toLowerCase();
    if (t.equals("max")) {
      return MAX;
    }
    if (t.endsWith("x")) {
      t = t.substring(0, t.length() - 1);
    }
    try {
      int m = Integer.parseInt(t);
      if (m == 0) {
        throw new NumberFormatException();
      }
      return new WriteSpeed(m);
    } catch (NumberFormatException e) {
      throw new DiscException(DriveError.INVALID_ARGUMENT,
          "bad write speed '" + text + "': use 1x..52x or max");
    }
  }

  @Override
  public String toString() {
    return unthrottled() ? "max" : multiple + "x";
  }
}
