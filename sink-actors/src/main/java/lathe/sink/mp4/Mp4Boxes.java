package lathe.sink.mp4;

import java.util.List;
import lathe.protocol.AudioFormat;
import lathe.protocol.MediaType;

/**
 * Layouts of the individual boxes Lathe writes (the role of GStreamer's atoms.c). Each method appends one box to
 * a {@link BoxBuffer}; which boxes go where, and when, is {@link Mp4Writer}'s business.
 */
final class Mp4Boxes {
  private Mp4Boxes() {}

  /** Seconds between 1904-01-01 (the MP4 epoch) and 1970-01-01. */
  static final long EPOCH_1904 = 2_082_844_800L;

  private static final int[] UNITY_MATRIX = {0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000};

  // ISO/IEC 14496-12 §4.3
  static void ftyp(BoxBuffer b) {
    b.start("ftyp").fourcc("isom").u32(0x200);
    for (String brand : List.of("isom", "iso2", "iso6", "mp41")) {
      b.fourcc(brand);
    }
    b.end();
  }

  // §8.2.2; version 1 only when a field passes 32 bits
  static void mvhd(BoxBuffer b, long created, long timescale, long duration, int nextTrackId) {
    boolean v1 = duration > 0xFFFF_FFFFL;
    b.fullBox("mvhd", v1 ? 1 : 0, 0);
    if (v1) {
      b.u64(created).u64(created).u32(timescale).u64(duration);
    } else {
      b.u32(created).u32(created).u32(timescale).u32(duration);
    }
    b.u32(0x0001_0000).u16(0x0100).zeros(10);
    matrix(b);
    b.zeros(24).u32(nextTrackId).end();
  }

  // §8.3.2: enabled | in movie
  static void tkhd(BoxBuffer b, Track t, long created, long duration) {
    boolean v1 = duration > 0xFFFF_FFFFL;
    b.fullBox("tkhd", v1 ? 1 : 0, 3);
    if (v1) {
      b.u64(created).u64(created).u32(t.id()).u32(0).u64(duration);
    } else {
      b.u32(created).u32(created).u32(t.id()).u32(0).u32(duration);
    }
    b.zeros(8).u16(0).u16(0).u16(t.video() ? 0 : 0x0100).u16(0);
    matrix(b);
    if (t.video()) {
      b.u32((long) t.type().getVideo().getWidth() << 16).u32((long) t.type().getVideo().getHeight() << 16);
    } else {
      b.u32(0).u32(0);
    }
    b.end();
  }

  /**
   * §8.6.6 edit list: an empty edit of {@code emptyDuration} (movie timescale) when the track starts late, then
   * the media from {@code mediaTime} for {@code duration} (movie timescale).
   */
  static void edts(BoxBuffer b, long emptyDuration, long mediaTime, long duration) {
    boolean v1 = emptyDuration > 0xFFFF_FFFFL || duration > 0xFFFF_FFFFL || mediaTime > Integer.MAX_VALUE;
    b.start("edts").fullBox("elst", v1 ? 1 : 0, 0).u32(emptyDuration > 0 ? 2 : 1);
    if (emptyDuration > 0) {
      elstEntry(b, v1, emptyDuration, -1);
    }
    elstEntry(b, v1, duration, mediaTime);
    b.end().end();
  }

  private static void elstEntry(BoxBuffer b, boolean v1, long duration, long mediaTime) {
    if (v1) {
      b.u64(duration).u64(mediaTime);
    } else {
      b.u32(duration).u32(mediaTime);
    }
    b.u16(1).u16(0); // media_rate 1.0
  }

  // §8.4.2
  static void mdhd(BoxBuffer b, Track t, long created, long duration) {
    boolean v1 = duration > 0xFFFF_FFFFL;
    b.fullBox("mdhd", v1 ? 1 : 0, 0);
    if (v1) {
      b.u64(created).u64(created).u32(t.timescale()).u64(duration);
    } else {
      b.u32(created).u32(created).u32(t.timescale()).u32(duration);
    }
    b.u16(language(t.type().getLanguage())).u16(0).end();
  }

  // §8.4.3
  static void hdlr(BoxBuffer b, Track t) {
    b.fullBox("hdlr", 0, 0).u32(0).fourcc(t.video() ? "vide" : "soun").zeros(12);
    b.bytes((t.video() ? "VideoHandler" : "SoundHandler").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    b.u8(0).end();
  }

  /** §8.4.5.2 vmhd / §12.2.2 smhd, then §8.7.1 dinf with one self-contained data reference. */
  static void mediaHeaderAndDinf(BoxBuffer b, Track t) {
    if (t.video()) {
      b.fullBox("vmhd", 0, 1).zeros(8).end();
    } else {
      b.fullBox("smhd", 0, 0).zeros(4).end();
    }
    b.start("dinf").fullBox("dref", 0, 0).u32(1).fullBox("url ", 0, 1).end().end().end();
  }

  // §8.5.2 sample description with one entry
  static void stsd(BoxBuffer b, Track t) {
    b.fullBox("stsd", 0, 0).u32(1);
    MediaType type = t.type();
    switch (type.getCodec()) {
      case H264 -> visualEntry(b, t, "avc1").start("avcC").bytes(config(type)).end().end();
      case HEVC -> visualEntry(b, t, "hvc1").start("hvcC").bytes(config(type)).end().end();
      // ISO/IEC 14496-14 mp4v with objectTypeIndication 0x6C (JPEG), as ffmpeg writes MJPEG in mp4
      case MJPEG -> {
        visualEntry(b, t, "mp4v");
        esds(b, 0x6C, 0x04, new byte[0]);
        b.end();
      }
      case AAC -> {
        audioEntry(b, type.getAudio(), "mp4a", 16);
        esds(b, 0x40, 0x05, config(type));
        b.end();
      }
      case OPUS -> {
        audioEntry(b, type.getAudio(), "Opus", 16);
        b.start("dOps").bytes(type.getCodecConfig().isEmpty() ? defaultDops(type.getAudio())
            : type.getCodecConfig().toByteArray()).end();
        b.end();
      }
      case PCM -> pcmEntry(b, type.getAudio());
      default -> throw new IllegalArgumentException("mp4 cannot hold codec " + type.getCodec());
    }
    b.end();
  }

  private static byte[] config(MediaType type) {
    return type.getCodecConfig().toByteArray();
  }

  // §8.5.2.2 VisualSampleEntry
  private static BoxBuffer visualEntry(BoxBuffer b, Track t, String fourcc) {
    b.start(fourcc).zeros(6).u16(1).zeros(16);
    b.u16(t.type().getVideo().getWidth()).u16(t.type().getVideo().getHeight());
    b.u32(0x0048_0000).u32(0x0048_0000).u32(0).u16(1).zeros(32).u16(0x18).u16(0xFFFF);
    return b;
  }

  // §12.2.3 AudioSampleEntry (also the QuickTime version-0 sound description)
  private static void audioEntry(BoxBuffer b, AudioFormat a, String fourcc, int sampleSize) {
    b.start(fourcc).zeros(6).u16(1).zeros(8).u16(a.getChannels()).u16(sampleSize).u16(0).u16(0);
    b.u32(a.getSampleRate() <= 0xFFFF ? (long) a.getSampleRate() << 16 : 0);
  }

  /**
   * PCM as QuickTime codes it (the ISO ipcm entry is not read by ffmpeg 5): the four-character code names width
   * and byte order, and an {@code enda} box (QuickTime File Format, "Endian atom") marks little-endian 24/32/64
   * bit samples, which is how ffmpeg reads them back as the same pcm codec.
   */
  private static void pcmEntry(BoxBuffer b, AudioFormat a) {
    String fourcc = pcmFourcc(a);
    audioEntry(b, a, fourcc, a.getBitsPerSample());
    if (!a.getBigEndian() && a.getBitsPerSample() > 16) {
      b.start("enda").u16(1).end();
    }
    b.end();
  }

  static String pcmFourcc(AudioFormat a) {
    int bits = a.getBitsPerSample();
    if (a.getFloatingPoint()) {
      return switch (bits) {
        case 32 -> "fl32";
        case 64 -> "fl64";
        default -> null;
      };
    }
    return switch (bits) {
      case 8 -> "raw "; // unsigned 8-bit, as in WAV
      case 16 -> a.getBigEndian() ? "twos" : "sowt";
      case 24 -> "in24";
      case 32 -> "in32";
      default -> null;
    };
  }

  /** ISO/IEC 14496-1 §7.2.6.5 ES_Descriptor with DecoderConfig and (when given) DecoderSpecificInfo. */
  private static void esds(BoxBuffer b, int objectType, int streamType, byte[] specific) {
    int dsi = specific.length == 0 ? 0 : 5 + specific.length;
    int dcd = 5 + 13 + dsi;
    int es = 5 + 3 + dcd + 5 + 1;
    b.fullBox("esds", 0, 0);
    descriptor(b, 0x03, es - 5).u16(0).u8(0);
    descriptor(b, 0x04, dcd - 5).u8(objectType).u8(streamType << 2 | 1).u24(0).u32(0).u32(0);
    if (dsi > 0) {
      descriptor(b, 0x05, specific.length).bytes(specific);
    }
    descriptor(b, 0x06, 1).u8(0x02);
    b.end();
  }

  // sizes in the four-byte 0x80-continued form ffmpeg writes
  private static BoxBuffer descriptor(BoxBuffer b, int tag, int length) {
    return b.u8(tag).u8(0x80 | (length >>> 21) & 0x7F).u8(0x80 | (length >>> 14) & 0x7F)
        .u8(0x80 | (length >>> 7) & 0x7F).u8(length & 0x7F);
  }

  /** Opus in ISOBMFF §4.3.2 dOps for mono/stereo (mapping family 0), used when no config was given. */
  static byte[] defaultDops(AudioFormat a) {
    int rate = a.getSampleRate() == 0 ? 48_000 : a.getSampleRate();
    return new byte[] {0, (byte) a.getChannels(), 0x01, 0x38, // version, channels, pre-skip 312
        (byte) (rate >>> 24), (byte) (rate >>> 16), (byte) (rate >>> 8), (byte) rate, 0, 0, 0};
  }

  // §8.8.1 mvex with one §8.8.3 trex per track (defaults unused: every trun names its own values)
  static void mvex(BoxBuffer b, List<Track> tracks) {
    b.start("mvex");
    for (Track t : tracks) {
      b.fullBox("trex", 0, 0).u32(t.id()).u32(1).u32(0).u32(0).u32(0).end();
    }
    b.end();
  }

  /** §8.8.3.1 sample flags: a sync sample depends on nothing; others depend on others and are non-sync. */
  static int sampleFlags(boolean key) {
    return key ? 0x0200_0000 : 0x0101_0000;
  }

  private static void matrix(BoxBuffer b) {
    for (int m : UNITY_MATRIX) {
      b.u32(m & 0xFFFF_FFFFL);
    }
  }

  // §8.4.2: ISO 639-2/T, three 5-bit letters
  private static int language(String lang) {
    String l = lang == null || lang.length() != 3 ? "und" : lang.toLowerCase(java.util.Locale.ROOT);
    int v = 0;
    for (int i = 0; i < 3; i++) {
      int c = l.charAt(i) - 0x60;
      if (c < 1 || c > 26) {
        return language("und");
      }
      v = v << 5 | c;
    }
    return v;
  }
}
