package lathe.source;

/**
 * Reads the bits of a NAL unit's payload with the emulation prevention bytes removed (ITU-T H.264 §7.4.1:
 * 00 00 03 → 00 00), with the exp-Golomb codes of §9.1.
 */
final class Rbsp {

  private final byte[] data;
  private final int length;
  private int bit;

  /** The RBSP of {@code nal} from byte {@code from} (past the NAL header), at most {@code maxBytes} of it. */
  Rbsp(byte[] nal, int from, int maxBytes) {
    byte[] out = new byte[Math.min(nal.length - from, maxBytes)];
    int n = 0;
    int zeros = 0;
    for (int i = from; i < nal.length && n < out.length; i++) {
      int b = nal[i] & 0xff;
      if (zeros >= 2 && b == 3) {
        zeros = 0;
        continue;
      }
      zeros = b == 0 ? zeros + 1 : 0;
      out[n++] = (byte) b;
    }
    this.data = out;
    this.length = n;
  }

  int u(int bits) {
    int v = 0;
    for (int i = 0; i < bits; i++) {
      v = (v << 1) | bit();
    }
    return v;
  }

  boolean flag() {
    return bit() == 1;
  }

  /** ue(v), §9.1. */
  int ue() {
    int zeros = 0;
    while (bit() == 0) {
      if (++zeros > 31) {
        throw new SourceException("bad H.264 exp-Golomb code (more than 31 leading zeros)");
      }
    }
    long v = (1L << zeros) - 1 + (zeros == 0 ? 0 : readLong(zeros));
    if (v > Integer.MAX_VALUE) {
      throw new SourceException("H.264 exp-Golomb value out of range");
    }
    return (int) v;
  }

  /** se(v), §9.1.1. */
  int se() {
    int k = ue();
    return (k & 1) == 1 ? (k + 1) / 2 : -(k / 2);
  }

  void skip(int bits) {
    for (int i = 0; i < bits; i++) {
      bit();
    }
  }

  private long readLong(int bits) {
    long v = 0;
    for (int i = 0; i < bits; i++) {
      v = (v << 1) | bit();
    }
    return v;
  }

  private int bit() {
    if (bit >= length * 8) {
      throw new SourceException("H.264 header ends too early (truncated or corrupt NAL unit)");
    }
    int b = (data[bit >>> 3] >>> (7 - (bit & 7))) & 1;
    bit++;
    return b;
  }
}
