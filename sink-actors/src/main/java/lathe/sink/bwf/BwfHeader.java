package lathe.sink.bwf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import lathe.protocol.Metadata;

/**
 * The opening of a Lathe BWF file, everything before the first PCM byte:
 * {@code RIFF size WAVE}, {@code JUNK}(28) reserved for {@code ds64}, {@code bext}, {@code fmt }, {@code data} header.
 */
final class BwfHeader {

  static final int RIFF_SIZE_OFFSET = 4;
  /** The JUNK chunk sits right after WAVE because RF64 readers expect ds64 there (EBU Tech 3306 §3). */
  static final int DS64_OFFSET = 12;
  static final int DS64_PAYLOAD = 28;
  static final int BEXT_OFFSET = DS64_OFFSET + 8 + DS64_PAYLOAD;
  static final int BEXT_FIXED = 602;

  static final int FORMAT_PCM = 0x0001;
  static final int FORMAT_EXTENSIBLE = 0xFFFE;

  private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd");
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss");

  private BwfHeader() {}

  /** The origination time of the metadata, or now when it is empty; IllegalArgumentException when unreadable. */
  static LocalDateTime origination(Metadata metadata) {
    String text = metadata.getOrigination();
    if (text.isEmpty()) {
      return LocalDateTime.now();
    }
    try {
      return LocalDateTime.parse(text, DateTimeFormatter.ISO_LOCAL_DATE_TIME);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(
          "origination \"" + text + "\" is not a local date-time like 2024-05-31T14:03:00", e);
    }
  }

  /** Samples since local midnight at the stream's rate, the bext TimeReference. */
  static long timeReference(LocalDateTime origination, int sampleRate) {
    return origination.toLocalTime().toSecondOfDay() * (long) sampleRate
        + origination.getNano() * (long) sampleRate / 1_000_000_000L;
  }

  /** Header bytes up to and including the data chunk's id and (zero) size, positioned at 0. */
  static ByteBuffer build(PcmLayout pcm, Metadata metadata, LocalDateTime origination) {
    byte[] bext = bext(pcm, metadata, origination);
    byte[] fmt = fmt(pcm);
    ByteBuffer b = ByteBuffer.allocate(BEXT_OFFSET + 8 + bext.length + 8 + fmt.length + 8)
        .order(ByteOrder.LITTLE_ENDIAN);
    b.put(ascii("RIFF")).putInt(0).put(ascii("WAVE"));
    b.put(ascii("JUNK")).putInt(DS64_PAYLOAD).put(new byte[DS64_PAYLOAD]);
    b.put(ascii("bext")).putInt(bext.length).put(bext);
    b.put(ascii("fmt ")).putInt(fmt.length).put(fmt);
    b.put(ascii("data")).putInt(0);
    return b.flip();
  }

  /** EBU Tech 3285 v2 §2.3 broadcast audio extension; coding history padded with NUL to an even chunk size. */
  static byte[] bext(PcmLayout pcm, Metadata metadata, LocalDateTime origination) {
    byte[] history = ascii(codingHistory(pcm, metadata));
    int size = BEXT_FIXED + history.length + (history.length & 1);
    ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    putField(b, metadata.getDescription(), 256);
    putField(b, metadata.getOriginator(), 32);
    putField(b, metadata.getOriginatorReference(), 32);
    putField(b, DATE.format(origination), 10);
    putField(b, TIME.format(origination), 8);
    b.putLong(timeReference(origination, pcm.sampleRate()));
    b.putShort((short) 2);
    b.put(new byte[64]); // UMID: none
    // LoudnessValue, LoudnessRange, MaxTruePeakLevel, MaxMomentaryLoudness, MaxShortTermLoudness: not measured.
    for (int i = 0; i < 5; i++) {
      b.putShort((short) 0x7FFF);
    }
    b.put(new byte[180]);
    b.put(history);
    return b.array();
  }

  /** EBU R98 coding history: the caller's lines, or one line describing this PCM, each ending CR LF. */
  static String codingHistory(PcmLayout pcm, Metadata metadata) {
    String given = metadata.getCodingHistory().strip();
    if (given.isEmpty()) {
      String mode = switch (pcm.channels()) {
        case 1 -> "mono";
        case 2 -> "stereo";
        default -> "multichannel";
      };
      given = "A=PCM,F=" + pcm.sampleRate() + ",W=" + pcm.bitsPerSample() + ",M=" + mode + ",T=lathe";
    }
    return String.join("\r\n", given.split("\r?\n|\r")) + "\r\n";
  }

  /**
   * WAVEFORMATEX, or WAVEFORMATEXTENSIBLE past 2 channels or 16 bits and for float (Microsoft "Multiple Channel
   * Audio Data and WAVE Files"; KSDATAFORMAT_SUBTYPE_PCM / _IEEE_FLOAT GUIDs).
   */
  static byte[] fmt(PcmLayout pcm) {
    boolean extensible = pcm.channels() > 2 || pcm.bitsPerSample() > 16 || pcm.floatingPoint();
    ByteBuffer b = ByteBuffer.allocate(extensible ? 40 : 16).order(ByteOrder.LITTLE_ENDIAN);
    b.putShort((short) (extensible ? FORMAT_EXTENSIBLE : FORMAT_PCM));
    b.putShort((short) pcm.channels());
    b.putInt(pcm.sampleRate());
    b.putInt((int) pcm.byteRate());
    b.putShort((short) pcm.blockAlign());
    b.putShort((short) pcm.bitsPerSample());
    if (extensible) {
      b.putShort((short) 22);
      b.putShort((short) pcm.bitsPerSample());
      b.putInt(channelMask(pcm.channels()));
      b.putInt(pcm.floatingPoint() ? 0x0003 : 0x0001);
      b.put(new byte[] {0x00, 0x00, 0x10, 0x00, (byte) 0x80, 0x00, 0x00, (byte) 0xAA, 0x00, 0x38, (byte) 0x9B, 0x71});
    }
    return b.array();
  }

  /** The usual speaker set for common channel counts; 0 (no positions) otherwise. */
  static int channelMask(int channels) {
    return switch (channels) {
      case 1 -> 0x4; // FC
      case 2 -> 0x3; // FL FR
      case 3 -> 0x7; // FL FR FC
      case 4 -> 0x33; // FL FR BL BR
      case 5 -> 0x37; // FL FR FC BL BR
      case 6 -> 0x3F; // 5.1
      case 8 -> 0x63F; // 7.1
      default -> 0;
    };
  }

  private static void putField(ByteBuffer b, String text, int width) {
    byte[] bytes = ascii(text);
    int n = Math.min(bytes.length, width);
    b.put(bytes, 0, n).put(new byte[width - n]);
  }

  /** Printable ASCII as the bext fields require; anything else becomes '?' (CR LF kept for CodingHistory). */
  static byte[] ascii(String text) {
    byte[] out = new byte[text.length()];
    for (int i = 0; i < out.length; i++) {
      char c = text.charAt(i);
      out[i] = (byte) ((c >= 0x20 && c < 0x7F) || c == '\r' || c == '\n' ? c : '?');
    }
    return out;
  }

  static int fourcc(String id) {
    return ByteBuffer.wrap(id.getBytes(StandardCharsets.US_ASCII)).order(ByteOrder.LITTLE_ENDIAN).getInt();
  }
}
