package lathe.sink.mp4;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import lathe.sink.container.ContainerWriter;
import lathe.sink.container.SampleRecord;
import lathe.sink.container.SampleTable;
import lathe.sink.io.Io;

/**
 * MP4 muxing policy (the role of GStreamer's gstqtmux.c), in the order the file is written:
 *
 * <pre>
 * ftyp | moov (mvex, empty tables) | mdat₁ … samples … | moof₁ | mdat₂ … | moof₂ | … | mdatₙ (open) …
 * </pre>
 *
 * <p>Samples go to disk as they arrive, so a fragment's {@code moof} cannot precede its data; it is written
 * <em>after</em> its {@code mdat}, with an absolute {@code base_data_offset} in each {@code tfhd}
 * (ISO/IEC 14496-12 §8.8.7), which ffmpeg follows like any other data offset. The open fragment's media sits
 * in an {@code mdat} of size 0 ("to the end of the file", §4.2) behind an 8-byte {@code free}, so the file is a
 * valid box sequence after every write: a crash leaves a file that players read up to the last closed
 * fragment. Closing a fragment writes its moof, then rewrites those 16 bytes as {@code free}+{@code mdat}
 * with the real size (or a 64-bit {@code mdat} header), one pwrite. In the fragments each stream's times
 * count from its first sample (tfdt cannot be negative and the initial moov has no edit list yet); the exact
 * timestamps, edit lists included, come with the final moov.
 *
 * <p>At {@link #finish} (soft remux, no data copied): the 16 bytes in front of the first fragment become one
 * {@code mdat} spanning every fragment (the moofs turn into ignored payload), a plain {@code moov} with full
 * sample tables is appended from the journal, and the initial moov is renamed {@code free}.
 */
public final class Mp4Writer implements ContainerWriter {

  static final int MDAT_HEADER = 16;
  /** trun data offsets are signed 32-bit (§8.8.8), so a fragment's media stays well below 2 GiB. */
  private static final long MAX_FRAGMENT_BYTES = 1L << 30;
  private static final int MAX_FRAGMENT_SAMPLES = 1 << 16;

  private final FileChannel channel;
  private final List<Track> tracks;
  private final long created;
  private final double fragmentSeconds;
  private final long initialMoovAt;
  private final long initialMoovSize;
  private final long firstMdatAt;
  private final boolean resumed;
  private final int primaryVideo;
  private final Fragment[] fragment;
  private final long[] streamFirstDts;
  private final boolean[] streamStarted;

  private long end;
  private long openMdatAt = -1;
  private long fragmentBytes;
  private int fragmentSamples;
  private double fragmentStart = Double.NaN;
  private int sequence;
  private boolean finished;

  private Mp4Writer(FileChannel channel, List<Track> tracks, long created, Duration fragmentDuration,
      long initialMoovAt, long initialMoovSize, long end, boolean resumed) {
    this.channel = channel;
    this.tracks = tracks;
    this.created = created;
    this.fragmentSeconds = fragmentDuration.toNanos() / 1e9;
    this.initialMoovAt = initialMoovAt;
    this.initialMoovSize = initialMoovSize;
    this.firstMdatAt = initialMoovAt + initialMoovSize;
    this.end = end;
    this.resumed = resumed;
    int video = -1;
    for (int i = 0; i < tracks.size() && video < 0; i++) {
      video = tracks.get(i).video() ? i : -1;
    }
    this.primaryVideo = video;
    this.fragment = new Fragment[tracks.size()];
    for (int i = 0; i < fragment.length; i++) {
      fragment[i] = new Fragment();
    }
    this.streamFirstDts = new long[tracks.size()];
    this.streamStarted = new boolean[tracks.size()];
  }

  /** Writes ftyp, the initial moov and the first (open) mdat header on an empty channel. */
  static Mp4Writer create(FileChannel channel, List<Track> tracks, long created, Duration fragmentDuration)
      throws IOException {
    BoxBuffer b = new BoxBuffer();
    Mp4Boxes.ftyp(b);
    long moovAt = b.length();
    initialMoov(b, tracks, created);
    long moovSize = b.length() - moovAt;
    Io.writeFully(channel, b.toByteBuffer(), 0);
    Mp4Writer w = new Mp4Writer(channel, tracks, created, fragmentDuration, moovAt, moovSize, moovAt + moovSize,
        false);
    w.openMdat();
    return w;
  }

  /**
   * Reopens a crashed file: checks that it starts as this writer lays files out, then cuts away everything after
   * the last complete sample (a half-written sample, a moof, a torn header), leaving it ready for finish.
   */
  static Mp4Writer resume(FileChannel channel, List<Track> tracks, long created, SampleTable samples)
      throws IOException {
    long size = channel.size();
    if (samples.count() == 0 && size < 16) {
      // died while writing the opening itself: nothing was recorded, so write it again
      channel.truncate(0);
      Mp4Writer fresh = create(channel, tracks, created, Duration.ofSeconds(2));
      return new Mp4Writer(channel, tracks, created, Duration.ofSeconds(2), fresh.initialMoovAt,
          fresh.initialMoovSize, fresh.end, true);
    }
    ByteBuffer head = Io.readFully(channel, 0, (int) Math.min(size, 16));
    if (size < 16 || !fourcc(head, 4).equals("ftyp")) {
      throw new IOException("not an MP4 file written by Lathe (no ftyp box at the start)");
    }
    long moovAt = head.getInt(0) & 0xFFFF_FFFFL;
    ByteBuffer moovHead = Io.readFully(channel, moovAt, 8);
    String type = fourcc(moovHead, 4);
    long moovSize = moovHead.getInt(0) & 0xFFFF_FFFFL;
    if (!(type.equals("moov") || type.equals("free")) || moovSize < 8 || moovAt + moovSize + MDAT_HEADER > size) {
      throw new IOException("not an MP4 file written by Lathe (no initial moov after ftyp)");
    }
    long[] dataEnd = {moovAt + moovSize + MDAT_HEADER};
    samples.forEach(s -> dataEnd[0] = Math.max(dataEnd[0], s.end()));
    if (dataEnd[0] > size) {
      throw new IOException("the sample table names bytes up to " + dataEnd[0] + " but the file has " + size);
    }
    channel.truncate(dataEnd[0]);
    return new Mp4Writer(channel, tracks, created, Duration.ofSeconds(2), moovAt, moovSize, dataEnd[0], true);
  }

  // ISO/IEC 14496-12 §8.8.1: an empty moov whose mvex announces fragments
  private static void initialMoov(BoxBuffer b, List<Track> tracks, long created) {
    b.start("moov");
    Mp4Boxes.mvhd(b, created, Track.movieTimescale(tracks), 0, tracks.size() + 1);
    for (Track t : tracks) {
      b.start("trak");
      Mp4Boxes.tkhd(b, t, created, 0);
      b.start("mdia");
      Mp4Boxes.mdhd(b, t, created, 0);
      Mp4Boxes.hdlr(b, t);
      b.start("minf");
      Mp4Boxes.mediaHeaderAndDinf(b, t);
      b.start("stbl");
      Mp4Boxes.stsd(b, t);
      b.fullBox("stts", 0, 0).u32(0).end();
      b.fullBox("stsc", 0, 0).u32(0).end();
      b.fullBox("stsz", 0, 0).u32(0).u32(0).end();
      b.fullBox("stco", 0, 0).u32(0).end();
      b.end().end().end().end();
    }
    Mp4Boxes.mvex(b, tracks);
    b.end();
  }

  @Override
  public long append(SampleRecord sample, ByteBuffer data) throws IOException {
    if (finished || resumed) {
      throw new IllegalStateException(finished ? "append after finish" : "append to a resumed file");
    }
    int stream = sample.stream();
    if (stream < 0 || stream >= tracks.size()) {
      throw new IllegalArgumentException("no stream " + stream + " (the file has " + tracks.size() + ")");
    }
    if (!streamStarted[stream]) {
      streamStarted[stream] = true;
      streamFirstDts[stream] = sample.dts();
    }
    double time = (sample.dts() - streamFirstDts[stream]) / (double) tracks.get(stream).timescale();
    if (fragmentSamples > 0 && shouldCut(stream, sample.key(), time, data.remaining())) {
      closeFragment();
    }
    if (openMdatAt < 0) {
      openMdat();
    }
    if (fragmentSamples == 0) {
      fragmentStart = time;
    }
    long offset = end;
    int size = data.remaining();
    Io.writeFully(channel, data, offset);
    end += size;
    fragment[stream].add(offset, size, sample.dts(), sample.pts() - sample.dts(), sample.duration(), sample.key());
    fragmentBytes += size;
    fragmentSamples++;
    return offset;
  }

  /**
   * Cut before a key frame of the first video stream once the fragment spans the fragment duration (so
   * fragments start with a key frame), or regardless of key frames at twice the duration; audio-only files cut
   * every fragment duration.
   */
  private boolean shouldCut(int stream, boolean key, double time, int size) {
    if (fragmentBytes + size > MAX_FRAGMENT_BYTES || fragmentSamples >= MAX_FRAGMENT_SAMPLES) {
      return true;
    }
    double elapsed = time - fragmentStart;
    if (primaryVideo < 0) {
      return elapsed >= fragmentSeconds;
    }
    return (stream == primaryVideo && key && elapsed >= fragmentSeconds) || elapsed >= 2 * fragmentSeconds;
  }

  /** An open mdat: 8 bytes of free, then an mdat header of size 0 that runs to the end of the file (§4.2). */
  private void openMdat() throws IOException {
    ByteBuffer h = ByteBuffer.allocate(MDAT_HEADER);
    h.putInt(8).put(ascii("free")).putInt(0).put(ascii("mdat")).flip();
    Io.writeFully(channel, h, end);
    openMdatAt = end;
    end += MDAT_HEADER;
  }

  /** Appends the fragment's moof after its media, then closes the mdat in front of the media. */
  private void closeFragment() throws IOException {
    long moofAt = end;
    BoxBuffer b = new BoxBuffer();
    moof(b, ++sequence);
    ByteBuffer moof = b.toByteBuffer();
    Io.writeFully(channel, moof, moofAt);
    end += b.length();
    writeMdatHeader(channel, openMdatAt, moofAt);
    openMdatAt = -1;
    for (Fragment f : fragment) {
      f.clear();
    }
    fragmentBytes = 0;
    fragmentSamples = 0;
  }

  /** Rewrites the 16 bytes at {@code at} as the header of an mdat whose payload runs to {@code payloadEnd}. */
  static void writeMdatHeader(FileChannel channel, long at, long payloadEnd) throws IOException {
    ByteBuffer h = ByteBuffer.allocate(MDAT_HEADER);
    long small = payloadEnd - at - 8;
    if (small <= 0xFFFF_FFFFL) {
      h.putInt(8).put(ascii("free")).putInt((int) small).put(ascii("mdat"));
    } else {
      h.putInt(1).put(ascii("mdat")).putLong(payloadEnd - at); // §4.2 largesize
    }
    Io.writeFully(channel, h.flip(), at);
  }

  // §8.8.4 moof: per track a traf with tfhd (absolute base offset), tfdt and one trun per contiguous run
  private void moof(BoxBuffer b, int seq) {
    b.start("moof");
    b.fullBox("mfhd", 0, 0).u32(seq).end();
    for (int i = 0; i < tracks.size(); i++) {
      Fragment f = fragment[i];
      if (f.count == 0) {
        continue;
      }
      long base = f.offset[0];
      b.start("traf");
      // §8.8.7 flag 0x000001: base-data-offset-present
      b.fullBox("tfhd", 0, 0x000001).u32(tracks.get(i).id()).u64(base).end();
      // §8.8.12, version 1: 64-bit baseMediaDecodeTime, counted from the stream's first sample
      b.fullBox("tfdt", 1, 0).u64(f.dts[0] - streamFirstDts[i]).end();
      int runStart = 0;
      for (int k = 1; k <= f.count; k++) {
        if (k == f.count || f.offset[k] != f.offset[k - 1] + f.size[k - 1]) {
          trun(b, f, runStart, k, base);
          runStart = k;
        }
      }
      b.end();
    }
    b.end();
  }

  // §8.8.8 trun version 1 (signed composition offsets): data-offset, duration, size, flags, cto present
  private static void trun(BoxBuffer b, Fragment f, int from, int to, long base) {
    b.fullBox("trun", 1, 0x000001 | 0x000100 | 0x000200 | 0x000400 | 0x000800).u32(to - from);
    b.u32(f.offset[from] - base);
    for (int k = from; k < to; k++) {
      long duration = k + 1 < f.count ? f.dts[k + 1] - f.dts[k] : f.duration[k];
      b.u32(Math.max(0, duration)).u32(f.size[k]).u32(Mp4Boxes.sampleFlags(f.key[k])).u32(f.cto[k]);
    }
    b.end();
  }

  /**
   * Nothing to do: every write leaves a valid box sequence (closed fragments, then an open mdat running to the
   * end of the file), so the file as it stands when the caller fsyncs is what players read after a crash.
   */
  @Override
  public void checkpoint() {}

  @Override
  public void finish(SampleTable samples) throws IOException {
    if (finished) {
      throw new IllegalStateException("finish called twice");
    }
    finished = true;
    long moovAt = end;
    long moovSize = FinalMoov.write(channel, moovAt, tracks, created, samples);
    writeMdatHeader(channel, firstMdatAt, moovAt);
    ByteBuffer free = ByteBuffer.allocate(8).putInt((int) initialMoovSize).put(ascii("free")).flip();
    Io.writeFully(channel, free, initialMoovAt);
    end = moovAt + moovSize;
    channel.truncate(end);
  }

  @Override
  public long size() {
    return end;
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }

  private static byte[] ascii(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  }

  private static String fourcc(ByteBuffer b, int at) {
    byte[] t = new byte[4];
    for (int i = 0; i < 4; i++) {
      t[i] = b.get(at + i);
    }
    return new String(t, java.nio.charset.StandardCharsets.ISO_8859_1);
  }

  /** The current fragment's per-sample metadata for one stream; reused, so memory stays flat. */
  private static final class Fragment {
    int count;
    long[] offset = new long[64];
    int[] size = new int[64];
    long[] dts = new long[64];
    long[] cto = new long[64];
    long[] duration = new long[64];
    boolean[] key = new boolean[64];

    void add(long off, int sz, long d, long c, long dur, boolean k) {
      if (count == offset.length) {
        int n = count * 2;
        offset = Arrays.copyOf(offset, n);
        size = Arrays.copyOf(size, n);
        dts = Arrays.copyOf(dts, n);
        cto = Arrays.copyOf(cto, n);
        duration = Arrays.copyOf(duration, n);
        key = Arrays.copyOf(key, n);
      }
      offset[count] = off;
      size[count] = sz;
      dts[count] = d;
      cto[count] = c;
      duration[count] = dur;
      key[count] = k;
      count++;
    }

    void clear() {
      count = 0;
    }
  }
}
