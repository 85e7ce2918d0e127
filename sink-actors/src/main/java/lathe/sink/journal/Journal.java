package lathe.sink.journal;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The journal's record layout, shared by writer and reader. A journal is {@code MAGIC} then records:
 * <pre>
 *   u32 length   of type + payload
 *   u8  type     HEADER | SAMPLE | MARKER | TICK
 *   ... payload
 *   u32 crc32c   of type + payload
 * </pre>
 * All big-endian. The first record is the HEADER (a protobuf JournalHeader). A record whose length runs past the
 * end of the file or whose CRC does not match ends the journal: it is the torn tail of a crash.
 */
final class Journal {
  static final byte[] MAGIC = {'L', 'A', 'T', 'H', 'E', 'J', 'N', '1'};

  static final byte HEADER = 1;
  static final byte SAMPLE = 2;
  static final byte MARKER = 3;
  static final byte TICK = 4;

  /** stream u32, seq u64, pts i64, dts i64, duration i64, flags u8, size u32, offset u64. */
  static final int SAMPLE_PAYLOAD = 4 + 8 + 8 + 8 + 8 + 1 + 4 + 8;

  static final int FLAG_KEY = 1;
  static final int FLAG_DISCONTINUITY = 2;

  /** A sanity bound so that a corrupt length cannot make the reader allocate gigabytes. */
  static final int MAX_RECORD = 16 * 1024 * 1024;

  private Journal() {}

  static int crc(ByteBuffer buf, int from, int to) {
    CRC32C crc = new CRC32C();
    ByteBuffer slice = buf.duplicate();
    slice.limit(to).position(from);
    crc.update(slice);
    return (int) crc.getValue();
  }
}
