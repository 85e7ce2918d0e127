package lathe.sink.mp4;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.List;
import lathe.sink.container.SampleTable;
import lathe.sink.io.Io;

/**
 * The plain {@code moov} written at Finalize, with full sample tables streamed from the journal: a first pass
 * counts table entries (so every box size is known before anything is written), a second pass writes the
 * entries straight into their place in the file. Memory stays a few buffers per track whatever the length.
 */
final class FinalMoov {
  private FinalMoov() {}

  /** Entry counts from the first pass. */
  private static final class Counts implements SampleTables.Sink {
    long stts;
    long ctts;
    long stss;
    long stsc;
    long chunks;
    long maxChunkOffset;

    @Override
    public void stts(long count, long delta) {
      stts++;
    }

    @Override
    public void ctts(long count, long offset) {
      ctts++;
    }

    @Override
    public void stss(long sampleNumber) {
      stss++;
    }

    @Override
    public void stsz(int size) {}

    @Override
    public void stsc(long firstChunk, long samplesPerChunk) {
      stsc++;
    }

    @Override
    public void chunk(long offset) {
      chunks++;
      maxChunkOffset = Math.max(maxChunkOffset, offset);
    }
  }

  /** Where each table's entries go in the file, filled in the second pass. */
  private static final class Holes {
    BoxBuffer.Hole stts;
    BoxBuffer.Hole ctts;
    BoxBuffer.Hole stss;
    BoxBuffer.Hole stsz;
    BoxBuffer.Hole stsc;
    BoxBuffer.Hole chunks;
    boolean co64;
    boolean writeSizes;
    boolean writeCtts;
    boolean writeStss;
  }

  /** Writes the moov at {@code position} and returns its length. */
  static long write(FileChannel channel, long position, List<Track> tracks, long created, SampleTable table)
      throws IOException {
    List<Counts> counts = new ArrayList<>();
    List<SampleTables> stats = new ArrayList<>();
    for (Track t : tracks) {
      Counts c = new Counts();
      counts.add(c);
      stats.add(new SampleTables(t, c));
    }
    pass(table, stats);

    long movieTimescale = Track.movieTimescale(tracks);
    BoxBuffer b = new BoxBuffer();
    List<Holes> holes = new ArrayList<>();
    b.start("moov");
    long movieDuration = 0;
    for (SampleTables s : stats) {
      movieDuration = Math.max(movieDuration, presentation(s, movieTimescale).total());
    }
    Mp4Boxes.mvhd(b, created, movieTimescale, movieDuration, tracks.size() + 1);
    for (int i = 0; i < tracks.size(); i++) {
      holes.add(trak(b, stats.get(i), counts.get(i), created, movieTimescale));
    }
    b.end();
    b.writeTo(channel, position);

    List<SampleTables> writers = new ArrayList<>();
    List<EntryWriter> entryWriters = new ArrayList<>();
    for (int i = 0; i < tracks.size(); i++) {
      EntryWriter w = new EntryWriter(channel, holes.get(i));
      entryWriters.add(w);
      writers.add(new SampleTables(tracks.get(i), w));
    }
    pass(table, writers);
    for (EntryWriter w : entryWriters) {
      w.close();
    }
    return b.length();
  }

  private static void pass(SampleTable table, List<SampleTables> tracks) throws IOException {
    long[] previous = {-1, -1}; // stream, end offset of the sample written just before
    table.forEach(s -> {
      if (s.stream() < 0 || s.stream() >= tracks.size()) {
        throw new IOException("sample table names stream " + s.stream() + " but the file has " + tracks.size());
      }
      boolean newChunk = previous[0] != s.stream() || previous[1] != s.offset();
      tracks.get(s.stream()).add(s, newChunk);
      previous[0] = s.stream();
      previous[1] = s.end();
    });
    for (SampleTables t : tracks) {
      t.end();
    }
  }

  /**
   * How the track's decoding times map onto the movie (§8.6.6): ffmpeg reports a packet's time as its time in
   * the media minus the edit's media_time, plus any empty edit before it, so a stream whose first decoding time
   * D is negative gets media_time -D, one starting late an empty edit of D, and one starting at 0 no edit list.
   */
  private record Presentation(boolean edits, long empty, long mediaTime, long segment, long total) {}

  private static Presentation presentation(SampleTables s, long movieTimescale) {
    long ts = s.track().timescale();
    if (s.count == 0 || s.firstDts == 0) {
      long d = toMovie(s.mediaDuration(), ts, movieTimescale);
      return new Presentation(false, 0, 0, d, d);
    }
    long d0 = s.firstDts;
    long mediaTime = d0 < 0 ? -d0 : 0;
    long empty = d0 > 0 ? toMovie(d0, ts, movieTimescale) : 0;
    // the edit must reach the end of the last presented sample, or ffmpeg drops the samples past it
    long segmentMedia = Math.max(0, s.maxPtsEnd - Math.max(d0, 0));
    long segment = toMovie(segmentMedia, ts, movieTimescale);
    return new Presentation(true, empty, mediaTime, segment, empty + segment);
  }

  private static long toMovie(long mediaTicks, long mediaTimescale, long movieTimescale) {
    return java.math.BigInteger.valueOf(mediaTicks).multiply(java.math.BigInteger.valueOf(movieTimescale))
        .add(java.math.BigInteger.valueOf(mediaTimescale - 1))
        .divide(java.math.BigInteger.valueOf(mediaTimescale)).longValueExact();
  }

  private static Holes trak(BoxBuffer b, SampleTables s, Counts c, long created, long movieTimescale) {
    Track t = s.track();
    Presentation p = presentation(s, movieTimescale);
    Holes h = new Holes();
    b.start("trak");
    Mp4Boxes.tkhd(b, t, created, p.total());
    if (p.edits()) {
      Mp4Boxes.edts(b, p.empty(), p.mediaTime(), p.segment());
    }
    b.start("mdia");
    Mp4Boxes.mdhd(b, t, created, s.mediaDuration());
    Mp4Boxes.hdlr(b, t);
    b.start("minf");
    Mp4Boxes.mediaHeaderAndDinf(b, t);
    b.start("stbl");
    Mp4Boxes.stsd(b, t);
    // §8.6.1.2
    b.fullBox("stts", 0, 0).u32(c.stts);
    h.stts = b.reserve(8 * c.stts);
    b.end();
    // §8.6.1.3: version 1 allows negative offsets
    h.writeCtts = s.anyCto;
    if (s.anyCto) {
      b.fullBox("ctts", s.negativeCto ? 1 : 0, 0).u32(c.ctts);
      h.ctts = b.reserve(8 * c.ctts);
      b.end();
    }
    // §8.6.2: absent means every sample is a sync sample
    h.writeStss = !s.allKeys();
    if (h.writeStss) {
      b.fullBox("stss", 0, 0).u32(c.stss);
      h.stss = b.reserve(4 * c.stss);
      b.end();
    }
    // §8.7.4
    b.fullBox("stsc", 0, 0).u32(c.stsc);
    h.stsc = b.reserve(12 * c.stsc);
    b.end();
    // §8.7.3
    h.writeSizes = !(s.constantSize && s.count > 0);
    b.fullBox("stsz", 0, 0).u32(h.writeSizes ? 0 : s.firstSize).u32(s.count);
    if (h.writeSizes) {
      h.stsz = b.reserve(4 * s.count);
    }
    b.end();
    // §8.7.5: co64 once any chunk starts past 4 GiB
    h.co64 = c.maxChunkOffset > 0xFFFF_FFFFL;
    b.fullBox(h.co64 ? "co64" : "stco", 0, 0).u32(c.chunks);
    h.chunks = b.reserve((h.co64 ? 8 : 4) * c.chunks);
    b.end();
    b.end().end().end().end();
    return h;
  }

  /** Streams one track's entries into the holes reserved for them. */
  private static final class EntryWriter implements SampleTables.Sink {
    private final Out stts;
    private final Out ctts;
    private final Out stss;
    private final Out stsz;
    private final Out stsc;
    private final Out chunks;
    private final Holes holes;

    EntryWriter(FileChannel channel, Holes h) {
      holes = h;
      stts = new Out(channel, h.stts);
      ctts = h.writeCtts ? new Out(channel, h.ctts) : null;
      stss = h.writeStss ? new Out(channel, h.stss) : null;
      stsz = h.writeSizes ? new Out(channel, h.stsz) : null;
      stsc = new Out(channel, h.stsc);
      chunks = new Out(channel, h.chunks);
    }

    @Override
    public void stts(long count, long delta) throws IOException {
      stts.u32(count);
      stts.u32(delta);
    }

    @Override
    public void ctts(long count, long offset) throws IOException {
      if (ctts != null) {
        ctts.u32(count);
        ctts.u32(offset);
      }
    }

    @Override
    public void stss(long sampleNumber) throws IOException {
      if (stss != null) {
        stss.u32(sampleNumber);
      }
    }

    @Override
    public void stsz(int size) throws IOException {
      if (stsz != null) {
        stsz.u32(size & 0xFFFF_FFFFL);
      }
    }

    @Override
    public void stsc(long firstChunk, long samplesPerChunk) throws IOException {
      stsc.u32(firstChunk);
      stsc.u32(samplesPerChunk);
      stsc.u32(1);
    }

    @Override
    public void chunk(long offset) throws IOException {
      if (holes.co64) {
        chunks.u32(offset >>> 32);
      }
      chunks.u32(offset);
    }

    void close() throws IOException {
      for (Out o : new Out[] {stts, ctts, stss, stsz, stsc, chunks}) {
        if (o != null) {
          o.close();
        }
      }
    }
  }

  /** A buffered positional writer that must fill its hole exactly. */
  private static final class Out {
    private final FileChannel channel;
    private final BoxBuffer.Hole hole;
    private final ByteBuffer buf = ByteBuffer.allocate(1 << 16);
    private long written;

    Out(FileChannel channel, BoxBuffer.Hole hole) {
      this.channel = channel;
      this.hole = hole;
    }

    void u32(long v) throws IOException {
      if (!buf.hasRemaining()) {
        flush();
      }
      buf.putInt((int) v);
    }

    private void flush() throws IOException {
      buf.flip();
      if (written + buf.remaining() > hole.length) {
        throw new IOException("sample table changed between passes (more entries than counted)");
      }
      int n = buf.remaining();
      Io.writeFully(channel, buf, hole.position + written);
      written += n;
      buf.clear();
    }

    void close() throws IOException {
      flush();
      if (written != hole.length) {
        throw new IOException("sample table changed between passes (fewer entries than counted)");
      }
    }
  }
}
