package lathe.source;

import com.google.protobuf.ByteString;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import lathe.protocol.AudioFormat;
import lathe.protocol.Codec;
import lathe.protocol.MediaType;
import lathe.protocol.Sample;
import lathe.protocol.VideoFormat;

/**
 * {@code file:PATH} for MP4/M4A/MOV, progressive or fragmented (ISO/IEC 14496-12). Every audio/video track of a
 * supported codec becomes a stream (others, such as timecode, are skipped); every packet passes through as
 * ffmpeg's mov demuxer reports it: same bytes, pts, dts, duration and key flag, codec config from the sample
 * entry, timescale the track's media timescale. Samples come in file order; media data is read sample by
 * sample, never loaded whole.
 */
public final class Mp4Source implements MediaSource {

  private final Path path;
  private final FileChannel channel;
  private final long fileSize;
  private final List<MediaType> streams = new ArrayList<>();
  private final Map<Integer, TrackInfo> byTrackId = new HashMap<>();
  private final List<TrackInfo> tracks = new ArrayList<>();
  private long movieTimescale = 1000;
  private long nextTopLevel;
  private List<Pending> fragmentSamples = List.of();
  private int fragmentIndex;

  private Mp4Source(Path path, FileChannel channel) throws IOException {
    this.path = path;
    this.channel = channel;
    this.fileSize = channel.size();
  }

  /** Opens and indexes {@code path}; a non-MP4 or unsupported file is a {@link SourceException}. */
  public static Mp4Source open(Path path) {
    FileChannel ch;
    try {
      ch = FileChannel.open(path, StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      throw new SourceException("file:" + path + ": no such file");
    } catch (IOException e) {
      throw new SourceException("file:" + path + ": cannot open (" + e.getMessage() + ")", e);
    }
    Mp4Source s = null;
    try {
      s = new Mp4Source(path, ch);
      s.readHeader();
      return s;
    } catch (IOException | RuntimeException e) {
      try {
        ch.close();
      } catch (IOException ignored) {
        // the open failure is what the user needs to see
      }
      if (e instanceof SourceException se) {
        throw se;
      }
      throw new SourceException("file:" + path + ": not a readable MP4/MOV file (" + e.getMessage() + ")", e);
    }
  }

  @Override
  public List<MediaType> streams() {
    return streams;
  }

  // ---- top level ------------------------------------------------------------------------------------------

  private record BoxHeader(String type, long start, long headerSize, long size) {
    long payload() {
      return start + headerSize;
    }

    long end() {
      return start + size;
    }
  }

  private BoxHeader header(long at) throws IOException {
    if (at + 8 > fileSize) {
      return null;
    }
    ByteBuffer h = read(at, (int) Math.min(16, fileSize - at));
    long size = h.getInt(0) & 0xFFFF_FFFFL;
    String type = fourcc(h, 4);
    long headerSize = 8;
    if (size == 1) {
      if (h.limit() < 16) {
        return null;
      }
      size = h.getLong(8);
      headerSize = 16;
    } else if (size == 0) {
      size = fileSize - at; // §4.2: extends to the end of the file
    }
    if (size < headerSize || at + size > fileSize) {
      return null; // a torn last box is where the file ends for us
    }
    return new BoxHeader(type, at, headerSize, size);
  }

  private void readHeader() throws IOException {
    BoxHeader first = header(0);
    if (first == null || !List.of("ftyp", "moov", "mdat", "free", "skip", "wide", "pdin", "styp")
        .contains(first.type())) {
      throw new SourceException("file:" + path + ": not an MP4/MOV file (no ISO BMFF box at the start)");
    }
    BoxHeader moov = null;
    for (BoxHeader b = first; b != null; b = header(b.end())) {
      if (b.type().equals("moov")) {
        moov = b;
        break;
      }
    }
    if (moov == null) {
      throw new SourceException("file:" + path + ": no moov box (an unfinished recording? try lathe recover)");
    }
    if (moov.size() > Integer.MAX_VALUE) {
      throw new SourceException("file:" + path + ": moov box too large");
    }
    parseMoov(read(moov.payload(), (int) (moov.size() - moov.headerSize())));
    if (streams.isEmpty()) {
      throw new SourceException("file:" + path + ": no audio or video track of a supported codec "
          + "(h264, hevc, aac, opus, mjpeg, pcm)");
    }
    nextTopLevel = 0;
  }

  // ---- moov -----------------------------------------------------------------------------------------------

  private void parseMoov(ByteBuffer moov) {
    Map<Integer, long[]> trex = new HashMap<>();
    for (Child c : children(moov)) {
      switch (c.type) {
        case "mvhd" -> {
          int version = c.data.get(0);
          movieTimescale = u32(c.data, version == 1 ? 20 : 12);
        }
        case "mvex" -> {
          for (Child t : children(c.data)) {
            if (t.type.equals("trex")) {
              trex.put((int) u32(t.data, 4), new long[] {u32(t.data, 12), u32(t.data, 16), u32(t.data, 20)});
            }
          }
        }
        default -> {}
      }
    }
    for (Child c : children(moov)) {
      if (c.type.equals("trak")) {
        TrackInfo t = parseTrak(c.data);
        if (t != null) {
          long[] d = trex.get(t.id);
          if (d != null) {
            t.defaultDuration = d[0];
            t.defaultSize = d[1];
            t.defaultFlags = d[2];
          }
          t.stream = streams.size();
          streams.add(t.type);
          tracks.add(t);
          byTrackId.put(t.id, t);
        }
      }
    }
  }

  private TrackInfo parseTrak(ByteBuffer trak) {
    TrackInfo t = new TrackInfo();
    ByteBuffer mdia = null;
    for (Child c : children(trak)) {
      switch (c.type) {
        case "tkhd" -> t.id = (int) u32(c.data, c.data.get(0) == 1 ? 20 : 12);
        case "edts" -> {
          for (Child e : children(c.data)) {
            if (e.type.equals("elst")) {
              parseElst(t, e.data);
            }
          }
        }
        case "mdia" -> mdia = c.data;
        default -> {}
      }
    }
    if (mdia == null) {
      return null;
    }
    String handler = "";
    ByteBuffer stbl = null;
    for (Child c : children(mdia)) {
      switch (c.type) {
        case "mdhd" -> t.timescale = u32(c.data, c.data.get(0) == 1 ? 20 : 12);
        case "hdlr" -> handler = fourcc(c.data, 8);
        case "minf" -> {
          for (Child m : children(c.data)) {
            if (m.type.equals("stbl")) {
              stbl = m.data;
            }
          }
        }
        default -> {}
      }
    }
    if (stbl == null || t.timescale <= 0 || !(handler.equals("vide") || handler.equals("soun"))) {
      return null;
    }
    for (Child c : children(stbl)) {
      switch (c.type) {
        case "stsd" -> t.type = sampleEntry(c.data, handler.equals("vide"), t);
        case "stts" -> t.stts = pairs(c.data);
        case "ctts" -> t.ctts = pairs(c.data);
        case "stss" -> t.stss = longs(c.data, 4, 4);
        case "stsz" -> {
          t.constantSize = u32(c.data, 4);
          t.sampleCount = u32(c.data, 8);
          if (t.constantSize == 0) {
            t.sizes = new int[(int) t.sampleCount];
            for (int i = 0; i < t.sizes.length; i++) {
              t.sizes[i] = c.data.getInt(12 + 4 * i);
            }
          }
        }
        case "stsc" -> t.stsc = longs(c.data, 4, 12);
        case "stco" -> t.chunkOffsets = longs(c.data, 4, 4);
        case "co64" -> t.chunkOffsets = longs(c.data, 4, 8);
        default -> {}
      }
    }
    if (t.type == null) {
      return null;
    }
    t.type = t.type.toBuilder().setTimescale((int) t.timescale).build();
    t.startProgressive();
    return t;
  }

  /**
   * §8.6.6: ffmpeg presents a track shifted by its first edit: an empty edit delays it, a media edit starting
   * at media_time moves media_time to the start. Only that shift is honoured; the packets stay as stored.
   */
  private void parseElst(TrackInfo t, ByteBuffer elst) {
    int version = elst.get(0);
    long count = u32(elst, 4);
    int at = 8;
    for (long i = 0; i < count; i++) {
      long duration = version == 1 ? elst.getLong(at) : u32(elst, at);
      long mediaTime = version == 1 ? elst.getLong(at + 8) : elst.getInt(at + 4);
      at += version == 1 ? 20 : 12;
      if (mediaTime == -1) {
        if (i == 0) {
          t.emptyEdit = duration;
        }
      } else {
        t.mediaTime = mediaTime;
        break;
      }
    }
  }

  // ---- sample entries -------------------------------------------------------------------------------------

  private MediaType sampleEntry(ByteBuffer stsd, boolean video, TrackInfo t) {
    if (u32(stsd, 4) < 1) {
      return null;
    }
    int size = (int) u32(stsd, 8);
    String fourcc = fourcc(stsd, 12);
    ByteBuffer e = slice(stsd, 16, size - 8);
    return video ? visualEntry(fourcc, e) : audioEntry(fourcc, e, t);
  }

  // §8.5.2.2: width and height, then child boxes after 78 bytes
  private MediaType visualEntry(String fourcc, ByteBuffer e) {
    VideoFormat v = VideoFormat.newBuilder().setWidth(u16(e, 24)).setHeight(u16(e, 26)).build();
    List<Child> kids = children(slice(e, 78, e.limit() - 78));
    MediaType.Builder m = MediaType.newBuilder().setVideo(v);
    switch (fourcc) {
      case "avc1", "avc3" -> {
        return config(kids, "avcC").map(c -> m.setCodec(Codec.H264).setCodecConfig(c).build()).orElse(null);
      }
      case "hvc1", "hev1" -> {
        return config(kids, "hvcC").map(c -> m.setCodec(Codec.HEVC).setCodecConfig(c).build()).orElse(null);
      }
      case "jpeg", "mjpa" -> {
        return m.setCodec(Codec.MJPEG).build();
      }
      case "mp4v" -> {
        Esds d = esds(kids);
        return d != null && d.objectType == 0x6C ? m.setCodec(Codec.MJPEG).build() : null;
      }
      default -> {
        return null;
      }
    }
  }

  /** §12.2.3 and the QuickTime sound description versions 0, 1 and 2 (children follow at 28, 44 or 64). */
  private MediaType audioEntry(String fourcc, ByteBuffer e, TrackInfo t) {
    int version = u16(e, 8);
    int channels = u16(e, 16);
    int bits = u16(e, 18);
    long rate = u32(e, 24) >>> 16;
    int childrenAt = switch (version) {
      case 1 -> 44;
      case 2 -> 64;
      default -> 28;
    };
    long lpcmFlags = 0;
    if (version == 2) {
      rate = Math.round(Double.longBitsToDouble(e.getLong(32)));
      channels = (int) u32(e, 40);
      bits = (int) u32(e, 48);
      lpcmFlags = u32(e, 52);
    }
    if (rate == 0) {
      rate = t.timescale;
    }
    List<Child> kids = e.limit() > childrenAt ? children(slice(e, childrenAt, e.limit() - childrenAt))
        : List.of();
    List<Child> all = new ArrayList<>(kids);
    for (Child k : kids) {
      if (k.type.equals("wave")) {
        all.addAll(children(k.data)); // QuickTime keeps esds/enda inside wave
      }
    }
    AudioFormat.Builder a = AudioFormat.newBuilder().setSampleRate((int) rate).setChannels(channels);
    MediaType.Builder m = MediaType.newBuilder();
    switch (fourcc) {
      case "mp4a" -> {
        Esds d = esds(all);
        if (d == null || !(d.objectType == 0x40 || (d.objectType >= 0x66 && d.objectType <= 0x68))) {
          return null;
        }
        return m.setCodec(Codec.AAC).setAudio(a.setBitsPerSample(16)).setCodecConfig(d.specific).build();
      }
      case "Opus" -> {
        return config(all, "dOps").map(c -> m.setCodec(Codec.OPUS).setAudio(a).setCodecConfig(c).build())
            .orElse(null);
      }
      default -> {}
    }
    // PCM: width and byte order from the code, little-endian when an enda box says so
    boolean littleEndianFlag = all.stream().anyMatch(k -> k.type.equals("enda") && (u16(k.data, 0) & 0xFF) == 1);
    boolean bigEndian;
    boolean floating = false;
    switch (fourcc) {
      case "sowt" -> {
        if (bits != 16) {
          return null;
        }
        bigEndian = false;
      }
      case "twos" -> {
        if (bits != 16) {
          return null; // 8-bit twos is signed, which the PCM media type cannot say
        }
        bigEndian = true;
      }
      case "raw " -> {
        bits = 8;
        bigEndian = false;
      }
      case "in24", "in32", "fl32", "fl64" -> {
        bits = Integer.parseInt(fourcc.substring(2));
        floating = fourcc.startsWith("fl");
        bigEndian = !littleEndianFlag;
      }
      case "lpcm" -> {
        floating = (lpcmFlags & 1) != 0;
        bigEndian = (lpcmFlags & 2) != 0;
        if (!floating && ((lpcmFlags & 4) == 0) != (bits == 8)) {
          return null; // only signed wide and unsigned 8-bit integers have a PCM media type
        }
      }
      default -> {
        return null;
      }
    }
    t.pcmFrameBytes = channels * (bits / 8);
    return m.setCodec(Codec.PCM).setAudio(a.setBitsPerSample(bits).setBigEndian(bigEndian)
        .setFloatingPoint(floating)).build();
  }

  private record Esds(int objectType, ByteString specific) {}

  /** ISO/IEC 14496-1 §7.2.6.5: ES_Descriptor → DecoderConfigDescriptor → DecoderSpecificInfo. */
  private Esds esds(List<Child> kids) {
    for (Child k : kids) {
      if (!k.type.equals("esds")) {
        continue;
      }
      ByteBuffer d = k.data;
      int[] at = {4};
      if (d.get(at[0]++) != 0x03) {
        return null;
      }
      descriptorLength(d, at);
      int flags = d.get(at[0] + 2) & 0xFF;
      at[0] += 3;
      if ((flags & 0x80) != 0) {
        at[0] += 2;
      }
      if ((flags & 0x40) != 0) {
        at[0] += 1 + (d.get(at[0]) & 0xFF);
      }
      if ((flags & 0x20) != 0) {
        at[0] += 2;
      }
      if (d.get(at[0]++) != 0x04) {
        return null;
      }
      int dcdLength = descriptorLength(d, at);
      int dcdEnd = at[0] + dcdLength;
      int objectType = d.get(at[0]) & 0xFF;
      at[0] += 13;
      ByteString specific = ByteString.EMPTY;
      if (at[0] < dcdEnd && d.get(at[0]) == 0x05) {
        at[0]++;
        int len = descriptorLength(d, at);
        byte[] b = new byte[len];
        d.get(at[0], b);
        specific = ByteString.copyFrom(b);
      }
      return new Esds(objectType, specific);
    }
    return null;
  }

  private static int descriptorLength(ByteBuffer d, int[] at) {
    int len = 0;
    for (int i = 0; i < 4; i++) {
      int b = d.get(at[0]++) & 0xFF;
      len = len << 7 | (b & 0x7F);
      if ((b & 0x80) == 0) {
        break;
      }
    }
    return len;
  }

  private static java.util.Optional<ByteString> config(List<Child> kids, String type) {
    for (Child k : kids) {
      if (k.type.equals(type)) {
        return java.util.Optional.of(ByteString.copyFrom(k.data.duplicate()));
      }
    }
    return java.util.Optional.empty();
  }

  // ---- samples --------------------------------------------------------------------------------------------

  /** A located sample before its bytes are read. */
  private record Pending(TrackInfo track, long offset, int size, long dts, long cto, long duration, boolean key) {}

  @Override
  public Sample next() throws IOException {
    Pending p = nextProgressive();
    if (p == null) {
      p = nextFragmented();
    }
    if (p == null) {
      return null;
    }
    TrackInfo t = p.track;
    long shift = t.shift(movieTimescale);
    long dts = p.dts + shift;
    return Sample.newBuilder().setStream(t.stream).setSeq(t.seq++).setDts(dts).setPts(dts + p.cto)
        .setDuration(p.duration).setKey(p.key).setData(readSample(p.offset, p.size)).build();
  }

  /** Reused for every sample: the file is read into it directly and copied once, into the sample's bytes. */
  private ByteBuffer scratch = ByteBuffer.allocateDirect(256 * 1024);

  /**
   * A sample's bytes with one copy: a heap buffer would be zeroed, filled through the JDK's own temporary
   * direct buffer and then copied again into the ByteString.
   */
  private ByteString readSample(long at, int length) throws IOException {
    if (scratch.capacity() < length) {
      scratch = ByteBuffer.allocateDirect(Math.max(length, scratch.capacity() * 2));
    }
    scratch.clear().limit(length);
    return ByteString.copyFrom(fill(scratch, at));
  }

  /** The progressive sample with the lowest file offset among the tracks (file order). */
  private Pending nextProgressive() {
    TrackInfo best = null;
    for (TrackInfo t : tracks) {
      if (t.hasNextProgressive() && (best == null || t.peekOffset() < best.peekOffset())) {
        best = t;
      }
    }
    return best == null ? null : best.nextProgressive();
  }

  /** Samples of the next moof (§8.8.4) in file order; moofs are found by walking the top-level boxes. */
  private Pending nextFragmented() throws IOException {
    while (fragmentIndex >= fragmentSamples.size()) {
      BoxHeader b = nextTopLevel < 0 ? null : header(nextTopLevel);
      if (b == null) {
        nextTopLevel = -1;
        return null;
      }
      nextTopLevel = b.end();
      if (b.type().equals("moof")) {
        fragmentSamples = parseMoof(b, read(b.payload(), (int) (b.size() - b.headerSize())));
        fragmentIndex = 0;
      }
    }
    return fragmentSamples.get(fragmentIndex++);
  }

  private List<Pending> parseMoof(BoxHeader moof, ByteBuffer data) {
    List<Pending> out = new ArrayList<>();
    long implicitOffset = moof.start();
    for (Child traf : children(data)) {
      if (!traf.type.equals("traf")) {
        continue;
      }
      TrackInfo t = null;
      long base = implicitOffset;
      long defDuration = 0;
      long defSize = 0;
      long defFlags = 0;
      List<Child> parts = children(traf.data);
      for (Child c : parts) {
        ByteBuffer d = c.data;
        if (c.type.equals("tfhd")) {
          int flags = d.getInt(0) & 0xFFFFFF;
          t = byTrackId.get((int) u32(d, 4));
          if (t == null) {
            break;
          }
          defDuration = t.defaultDuration;
          defSize = t.defaultSize;
          defFlags = t.defaultFlags;
          int at = 8;
          if ((flags & 0x01) != 0) {
            base = d.getLong(at);
            at += 8;
          } else if ((flags & 0x020000) != 0) {
            base = moof.start();
          }
          if ((flags & 0x02) != 0) {
            at += 4;
          }
          if ((flags & 0x08) != 0) {
            defDuration = u32(d, at);
            at += 4;
          }
          if ((flags & 0x10) != 0) {
            defSize = u32(d, at);
            at += 4;
          }
          if ((flags & 0x20) != 0) {
            defFlags = u32(d, at);
          }
        } else if (t != null && c.type.equals("tfdt")) {
          t.fragmentDts = d.get(0) == 1 ? d.getLong(4) : u32(d, 4);
        } else if (t != null && c.type.equals("trun")) {
          int flags = d.getInt(0) & 0xFFFFFF;
          long count = u32(d, 4);
          int at = 8;
          long offset = implicitOffset;
          if ((flags & 0x01) != 0) {
            offset = base + d.getInt(at);
            at += 4;
          }
          long firstFlags = -1;
          if ((flags & 0x04) != 0) {
            firstFlags = u32(d, at);
            at += 4;
          }
          for (long i = 0; i < count; i++) {
            long duration = defDuration;
            long size = defSize;
            long sampleFlags = i == 0 && firstFlags >= 0 ? firstFlags : defFlags;
            long cto = 0;
            if ((flags & 0x100) != 0) {
              duration = u32(d, at);
              at += 4;
            }
            if ((flags & 0x200) != 0) {
              size = u32(d, at);
              at += 4;
            }
            if ((flags & 0x400) != 0) {
              sampleFlags = u32(d, at);
              at += 4;
            }
            if ((flags & 0x800) != 0) {
              cto = d.getInt(at); // signed in version 1; ffmpeg reads version 0 the same way
              at += 4;
            }
            // §8.8.3.1: non-sync or depends-on-others means not a key frame
            boolean key = (sampleFlags & 0x0101_0000L) == 0;
            out.add(new Pending(t, offset, (int) size, t.fragmentDts, cto, duration, key || !t.type.hasVideo()));
            t.fragmentDts += duration;
            offset += size;
          }
          implicitOffset = offset;
        }
      }
    }
    out.sort(Comparator.comparingLong(Pending::offset));
    return out;
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }

  // ---- per-track state ------------------------------------------------------------------------------------

  private static final class TrackInfo {
    int id;
    int stream;
    long seq;
    long timescale;
    MediaType type;
    long emptyEdit;
    long mediaTime;
    long[] stts = new long[0];
    long[] ctts = new long[0];
    long[] stss;
    long constantSize;
    long sampleCount;
    int[] sizes;
    long[] stsc = new long[0];
    long[] chunkOffsets = new long[0];
    int pcmFrameBytes;
    long defaultDuration;
    long defaultSize;
    long defaultFlags;
    long fragmentDts;

    // progressive cursor
    private long sample; // next sample number, 0-based
    private int chunk; // current chunk, 0-based
    private long leftInChunk;
    private long offset;
    private long dts;
    private int sttsIndex;
    private long sttsLeft;
    private int cttsIndex;
    private long cttsLeft;
    private int stscIndex;
    private int stssIndex;
    private boolean chunkMode;
    private Pending peeked;

    /**
     * PCM stored one sample per audio frame (stts a single entry of duration 1) is read the way ffmpeg does:
     * each chunk cut into packets of at most 1024 frames.
     */
    void startProgressive() {
      chunk = -1;
      chunkMode = type.hasAudio() && stts.length == 2 && stts[1] == 1;
      if (chunkMode) {
        pcmFrameBytes = pcmFrameBytes > 0 ? pcmFrameBytes : (int) constantSize;
      }
      sttsLeft = stts.length > 0 ? stts[0] : 0;
      cttsLeft = ctts.length > 0 ? ctts[0] : 0;
      peeked = advance();
    }

    boolean hasNextProgressive() {
      return peeked != null;
    }

    long peekOffset() {
      return peeked.offset;
    }

    Pending nextProgressive() {
      Pending p = peeked;
      peeked = advance();
      return p;
    }

    private Pending advance() {
      if (sample >= sampleCount) {
        return null;
      }
      while (leftInChunk == 0) {
        chunk++;
        if (chunk >= chunkOffsets.length) {
          return null;
        }
        while (stscIndex + 1 < stsc.length / 3 && stsc[3 * (stscIndex + 1)] - 1 <= chunk) {
          stscIndex++;
        }
        leftInChunk = stsc.length == 0 ? 0 : stsc[3 * stscIndex + 1];
        offset = chunkOffsets[chunk];
      }
      long frames = 1;
      long size;
      if (chunkMode) {
        frames = Math.min(1024, Math.min(leftInChunk, sampleCount - sample));
        size = frames * pcmFrameBytes;
      } else {
        size = constantSize != 0 ? constantSize : sizes[(int) sample];
      }
      long duration = 0;
      long cto = 0;
      boolean key = stss == null;
      for (long f = 0; f < frames; f++) {
        while (sttsLeft == 0 && sttsIndex + 1 < stts.length / 2) {
          sttsIndex++;
          sttsLeft = stts[2 * sttsIndex];
        }
        long delta = stts.length > 0 ? stts[2 * sttsIndex + 1] : 0;
        sttsLeft--;
        duration += delta;
        if (f == 0) {
          while (cttsLeft == 0 && cttsIndex + 1 < ctts.length / 2) {
            cttsIndex++;
            cttsLeft = ctts[2 * cttsIndex];
          }
          cto = ctts.length > 0 ? (int) ctts[2 * cttsIndex + 1] : 0;
          if (stss != null) {
            while (stssIndex < stss.length && stss[stssIndex] < sample + 1) {
              stssIndex++;
            }
            key = stssIndex < stss.length && stss[stssIndex] == sample + 1;
          }
        }
        if (ctts.length > 0) {
          cttsLeft--;
        }
      }
      Pending p = new Pending(this, offset, (int) size, dts, cto, duration, key);
      dts += duration;
      offset += size;
      sample += frames;
      leftInChunk -= frames;
      return p;
    }

    long shift(long movieTimescale) {
      // rounded to nearest, as ffmpeg's av_rescale does
      long empty = movieTimescale > 0 ? java.math.BigInteger.valueOf(emptyEdit)
          .multiply(java.math.BigInteger.valueOf(timescale)).add(java.math.BigInteger.valueOf(movieTimescale / 2))
          .divide(java.math.BigInteger.valueOf(movieTimescale)).longValueExact() : 0;
      return empty - mediaTime;
    }
  }

  // ---- box reading ----------------------------------------------------------------------------------------

  private record Child(String type, ByteBuffer data) {}

  /** The boxes inside a payload; a truncated child ends the list. */
  private static List<Child> children(ByteBuffer payload) {
    List<Child> out = new ArrayList<>();
    int at = 0;
    int end = payload.limit();
    while (at + 8 <= end) {
      long size = u32(payload, at);
      String type = fourcc(payload, at + 4);
      int header = 8;
      if (size == 1 && at + 16 <= end) {
        size = payload.getLong(at + 8);
        header = 16;
      } else if (size == 0) {
        size = end - at;
      }
      if (size < header || at + size > end) {
        break;
      }
      out.add(new Child(type, slice(payload, at + header, (int) size - header)));
      at += (int) size;
    }
    return out;
  }

  /** A full box's entries: count at {@code countAt}, then entries of {@code entryBytes} as 32/64-bit values. */
  private static long[] longs(ByteBuffer d, int countAt, int entryBytes) {
    int count = (int) u32(d, countAt);
    int fields = entryBytes == 12 ? 3 : 1;
    long[] out = new long[count * fields];
    int at = countAt + 4;
    for (int i = 0; i < count; i++) {
      if (entryBytes == 8) {
        out[i] = d.getLong(at);
      } else {
        for (int f = 0; f < fields; f++) {
          out[i * fields + f] = u32(d, at + 4 * f);
        }
      }
      at += entryBytes;
    }
    return out;
  }

  private static long[] pairs(ByteBuffer d) {
    int count = (int) u32(d, 4);
    long[] out = new long[count * 2];
    for (int i = 0; i < count; i++) {
      out[2 * i] = u32(d, 8 + 8 * i);
      out[2 * i + 1] = u32(d, 12 + 8 * i);
    }
    return out;
  }

  private static ByteBuffer slice(ByteBuffer b, int at, int length) {
    return b.duplicate().position(at).limit(at + length).slice();
  }

  private static long u32(ByteBuffer b, int at) {
    return b.getInt(at) & 0xFFFF_FFFFL;
  }

  private static int u16(ByteBuffer b, int at) {
    return b.getShort(at) & 0xFFFF;
  }

  private static String fourcc(ByteBuffer b, int at) {
    byte[] t = new byte[4];
    for (int i = 0; i < 4; i++) {
      t[i] = b.get(at + i);
    }
    return new String(t, StandardCharsets.ISO_8859_1);
  }

  private ByteBuffer read(long at, int length) throws IOException {
    return fill(ByteBuffer.allocate(length), at);
  }

  /** Fills {@code b} from the file at {@code at} and flips it. */
  private ByteBuffer fill(ByteBuffer b, long at) throws IOException {
    long pos = at;
    while (b.hasRemaining()) {
      int n = channel.read(b, pos);
      if (n < 0) {
        throw new EOFException("file ends at " + pos);
      }
      pos += n;
    }
    return b.flip();
  }

  @Override
  public String toString() {
    return "file:" + path + " " + Arrays.toString(streams.stream().map(MediaType::getCodec).toArray());
  }
}
