package lathe.source;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Splits an H.264/HEVC Annex B byte stream into NAL units (ITU-T H.264 §B.1): each unit is what lies between two
 * start codes 0x000001, without the leading zero_byte or trailing_zero_8bits. Reads as little as it can, so a
 * live pipe gives each NAL unit as soon as the next start code arrives.
 */
final class AnnexBReader {

  private static final int MAX_LEADING_GARBAGE = 1 << 20;
  private static final int MAX_NAL = 1 << 28;

  private final InputStream in;
  private byte[] buf = new byte[1 << 16];
  private int pos;
  private int limit;
  private boolean eof;
  private boolean started;
  private long consumed;

  AnnexBReader(InputStream in) {
    this.in = in;
  }

  /** Bytes of the stream passed so far (for error messages). */
  long position() {
    return consumed + pos;
  }

  /** The next NAL unit (header byte first), or null at the end of the stream. */
  byte[] next() throws IOException {
    if (!started) {
      int first = findStartCode(pos);
      if (first < 0) {
        return null;
      }
      pos = first + 3;
      started = true;
    }
    while (true) {
      int end = findStartCode(pos);
      if (end < 0) {
        if (pos >= limit) {
          return null;
        }
        end = limit;
      }
      int stop = end;
      while (stop > pos && buf[stop - 1] == 0) {
        stop--;
      }
      byte[] nal = Arrays.copyOfRange(buf, pos, stop);
      pos = end == limit ? limit : end + 3;
      if (nal.length > 0) {
        return nal;
      }
    }
  }

  /** Index of the next 00 00 01 at or after {@code from}, reading more as needed; -1 if the stream ends first. */
  private int findStartCode(int from) throws IOException {
    int i = from;
    while (true) {
      for (; i + 2 < limit; i++) {
        if ((buf[i + 2] & 0xff) > 1) {
          i += 2; // a byte above 1 at i+2 rules out a start code at i, i+1 and i+2
        } else if (buf[i] == 0 && buf[i + 1] == 0 && buf[i + 2] == 1) {
          return i;
        }
      }
      if (eof) {
        return -1;
      }
      if (!started) {
        // Bytes before the first start code are not part of any NAL unit: let them go.
        pos = Math.max(pos, i);
        if (position() > MAX_LEADING_GARBAGE) {
          throw new SourceException("not an H.264 Annex B stream: no start code 00 00 01 in the first "
              + MAX_LEADING_GARBAGE + " bytes");
        }
      }
      i -= fill();
    }
  }

  /** Moves unread bytes to the front (growing the buffer if a NAL unit fills it) and reads more; returns the shift. */
  private int fill() throws IOException {
    int shift = pos;
    if (shift > 0) {
      System.arraycopy(buf, pos, buf, 0, limit - pos);
      limit -= pos;
      consumed += pos;
      pos = 0;
    }
    if (limit == buf.length) {
      if (buf.length >= MAX_NAL) {
        throw new SourceException("H.264 NAL unit at byte " + position() + " is larger than " + MAX_NAL
            + " bytes; is this an Annex B stream?");
      }
      buf = Arrays.copyOf(buf, buf.length * 2);
    }
    int n = in.read(buf, limit, buf.length - limit);
    if (n < 0) {
      eof = true;
    } else {
      limit += n;
    }
    return shift;
  }
}
