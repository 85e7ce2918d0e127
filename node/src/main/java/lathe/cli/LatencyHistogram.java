package lathe.cli;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Latencies in microseconds, log-linear buckets with 64 steps per power of two (under 1.6 % error), shared by
 * many recording threads; memory is fixed (about 18 KiB) however many values it takes.
 */
final class LatencyHistogram {
  private static final int SUB = 64;
  private static final int SHIFT = 6;
  private final AtomicLongArray counts = new AtomicLongArray(SUB + 58 * SUB);
  private final AtomicLong total = new AtomicLong();
  private final AtomicLong max = new AtomicLong();

  void record(long micros) {
    long v = Math.max(0, micros);
    counts.incrementAndGet(index(v));
    total.incrementAndGet();
    max.accumulateAndGet(v, Math::max);
  }

  static int index(long v) {
    if (v < SUB) {
      return (int) v;
    }
    int e = 63 - Long.numberOfLeadingZeros(v); // >= SHIFT
    int m = (int) ((v >>> (e - SHIFT)) & (SUB - 1));
    return SUB + (e - SHIFT) * SUB + m;
  }

  /** The largest value that falls in bucket {@code i}. */
  static long upper(int i) {
    if (i < SUB) {
      return i;
    }
    int e = (i - SUB) / SUB + SHIFT;
    long m = (i - SUB) % SUB;
    return ((SUB + m + 1) << (e - SHIFT)) - 1;
  }

  long count() {
    return total.get();
  }

  long maxMicros() {
    return max.get();
  }

  /** The value at quantile q (0..1), as the upper bound of its bucket, never above the maximum seen. */
  long quantileMicros(double q) {
    long n = total.get();
    if (n == 0) {
      return 0;
    }
    long rank = Math.max(1, (long) Math.ceil(q * n));
    long seen = 0;
    for (int i = 0; i < counts.length(); i++) {
      seen += counts.get(i);
      if (seen >= rank) {
        return Math.min(upper(i), max.get());
      }
    }
    return max.get();
  }
}
