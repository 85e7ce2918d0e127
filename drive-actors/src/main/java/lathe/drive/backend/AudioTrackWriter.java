package lathe.drive.backend;

import java.io.IOException;
import lathe.disc.Track;

/**
 * Writes one planned audio track, gap first, in steps the drive actor paces. Blocking: call it on the drive
 * I/O dispatcher only.
 */
public interface AudioTrackWriter extends AutoCloseable {

  /** Sectors to write: the TAO gap plus the padded track. */
  long totalSectors();

  /** Sectors written so far (gap included). */
  long writtenSectors();

  /** Writes up to {@code sectors} more; returns {@link #writtenSectors()}. */
  long write(long sectors) throws IOException;

  /** Everything written: makes it durable and returns the track as recorded. */
  Track finish() throws IOException;

  /**
   * Stops early (cancel or write error): what was written stays, as on a real CD, completed with silence to
   * the 4-second minimum, and is returned as a partial track.
   */
  Track abandon() throws IOException;

  @Override
  void close() throws IOException;
}
