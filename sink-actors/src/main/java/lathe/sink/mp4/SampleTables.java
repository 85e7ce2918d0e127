package lathe.sink.mp4;

import java.io.IOException;
import lathe.sink.container.SampleRecord;

/**
 * The run-length logic of one track's sample tables (ISO/IEC 14496-12 §8.6.1.2 stts, §8.6.1.3 ctts, §8.6.2 stss,
 * §8.7.3 stsz, §8.7.4 stsc, §8.7.5 stco/co64), fed one sample at a time in file order. The same code runs twice
 * over the journal: first with a counting {@link Sink} to size the boxes, then with a writing one, so the counts
 * and the bytes cannot disagree and nothing grows with the number of samples.
 */
final class SampleTables {

  /** Receives table entries as they are decided. */
  interface Sink {
    void stts(long count, long delta) throws IOException;

    void ctts(long count, long offset) throws IOException;

    void stss(long sampleNumber) throws IOException;

    void stsz(int size) throws IOException;

    void stsc(long firstChunk, long samplesPerChunk) throws IOException;

    void chunk(long offset) throws IOException;
  }

  private final Track track;
  private final Sink sink;

  long count;
  long firstDts;
  long firstPts;
  long lastDts;
  long lastDuration;
  long maxPtsEnd = Long.MIN_VALUE;
  long keys;
  boolean negativeCto;
  boolean anyCto;
  int firstSize = -1;
  boolean constantSize = true;

  private long sttsDelta = -1;
  private long sttsRun;
  private long cttsOffset;
  private long cttsRun;
  private long chunks;
  private long inChunk;
  private long lastSamplesPerChunk = -1;

  SampleTables(Track track, Sink sink) {
    this.track = track;
    this.sink = sink;
  }

  void add(SampleRecord s, boolean newChunk) throws IOException {
    if (count == 0) {
      firstDts = s.dts();
      firstPts = s.pts();
    } else {
      long delta = s.dts() - lastDts;
      if (delta < 0 || delta > 0xFFFF_FFFFL) {
        throw new IOException("stream " + s.stream() + " sample " + s.seq() + ": dts " + s.dts()
            + " does not follow " + lastDts + " (decoding times must not go back)");
      }
      delta(delta);
    }
    long cto = s.pts() - s.dts();
    if (cto < Integer.MIN_VALUE || cto > Integer.MAX_VALUE) {
      throw new IOException("stream " + s.stream() + " sample " + s.seq() + ": pts - dts = " + cto
          + " does not fit a composition offset");
    }
    anyCto |= cto != 0;
    negativeCto |= cto < 0;
    if (cttsRun > 0 && cto == cttsOffset) {
      cttsRun++;
    } else {
      if (cttsRun > 0) {
        sink.ctts(cttsRun, cttsOffset);
      }
      cttsOffset = cto;
      cttsRun = 1;
    }
    count++;
    if (s.key()) {
      keys++;
      sink.stss(count);
    }
    if (firstSize < 0) {
      firstSize = s.size();
    } else if (s.size() != firstSize) {
      constantSize = false;
    }
    sink.stsz(s.size());
    if (newChunk || count == 1) {
      closeChunk();
      sink.chunk(s.offset());
    }
    inChunk++;
    maxPtsEnd = Math.max(maxPtsEnd, s.pts() + s.duration());
    lastDts = s.dts();
    lastDuration = s.duration();
  }

  void end() throws IOException {
    if (count == 0) {
      return;
    }
    delta(Math.max(0, Math.min(lastDuration, 0xFFFF_FFFFL)));
    sink.stts(sttsRun, sttsDelta);
    sink.ctts(cttsRun, cttsOffset);
    closeChunk();
  }

  private void delta(long delta) throws IOException {
    if (sttsRun > 0 && delta == sttsDelta) {
      sttsRun++;
    } else {
      if (sttsRun > 0) {
        sink.stts(sttsRun, sttsDelta);
      }
      sttsDelta = delta;
      sttsRun = 1;
    }
  }

  private void closeChunk() throws IOException {
    if (inChunk > 0) {
      chunks++;
      if (inChunk != lastSamplesPerChunk) {
        sink.stsc(chunks, inChunk);
        lastSamplesPerChunk = inChunk;
      }
    }
    inChunk = 0;
  }

  /** Media duration (mdhd): from the first decoding time to the end of the last sample. */
  long mediaDuration() {
    return count == 0 ? 0 : lastDts + Math.max(0, lastDuration) - firstDts;
  }

  boolean allKeys() {
    return keys == count;
  }

  Track track() {
    return track;
  }
}
