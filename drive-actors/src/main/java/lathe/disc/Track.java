package lathe.disc;

/**
 * One track on the disc. {@code startLba} is where INDEX 01 begins; the TAO gap ({@code gapSectors} of silence
 * or zeros, INDEX 00) lies just before it. {@code lengthSectors} includes the padding up to the Red Book minimum;
 * {@code contentSectors} is what the source really held, rounded up to whole sectors.
 */
public record Track(
    int number,
    int session,
    TrackKind kind,
    long startLba,
    long gapSectors,
    long lengthSectors,
    long contentSectors,
    boolean partial,
    String source) {

  public long endLba() {
    return startLba + lengthSectors;
  }

  /** Sectors this track takes on the disc, its gap included. */
  public long footprint() {
    return gapSectors + lengthSectors;
  }
}
