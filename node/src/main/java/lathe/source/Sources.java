package lathe.source;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * Opens a source from its command-line spec ({@code kind:args}). {@code limit} is the recording's --duration
 * (null for none): endless sources stop there exactly.
 */
public final class Sources {
  private Sources() {}

  public static final String KINDS =
      "tone:RATE:CHANNELS[:HZ], file:PATH (wav, mp4, m4a, mov), adts:PATH|-, h264:PATH|-[:FPS], "
          + "pcm:PATH|-:RATE:CHANNELS:BITS, testcard:WxH@FPS";

  public static MediaSource open(String spec, Duration limit) {
    return open(spec, limit, null);
  }

  /**
   * A source; {@code packet} (null: 20 ms) is how much audio each sample of a PCM source (tone, pcm, WAV files)
   * holds. Larger packets mean fewer samples for the same audio: cheaper to send, coarser to acknowledge.
   */
  public static MediaSource open(String spec, Duration limit, Duration packet) {
    if (packet != null && (packet.isNegative() || packet.isZero())) {
      throw new SourceException("--packet must be longer than 0 ms");
    }
    int colon = spec.indexOf(':');
    if (colon <= 0) {
      throw new SourceException("source '" + spec + "' has no kind; sources are " + KINDS);
    }
    String kind = spec.substring(0, colon).toLowerCase(Locale.ROOT);
    String args = spec.substring(colon + 1);
    return switch (kind) {
      case "tone" -> tone(args, limit, packet);
      case "file" -> file(args, packet);
      case "adts" -> adts(args);
      case "h264" -> h264(args);
      case "pcm" -> pcm(args, packet);
      case "testcard" -> testcard(args);
      default -> throw new SourceException("unknown source kind '" + kind + "'; sources are " + KINDS);
    };
  }

  /** Frames of {@code rate} in one packet: 20 ms by default, never more than a 16 MiB sample holds. */
  static int framesPerPacket(int rate, int frameBytes, Duration packet) {
    long frames = packet == null ? Math.max(1, rate / 50) : Math.max(1, packet.toNanos() * rate / 1_000_000_000L);
    if (frames * frameBytes > 16 << 20) {
      throw new SourceException("--packet " + packet.toMillis() + " ms of " + rate + " Hz makes samples over 16 MiB");
    }
    return (int) frames;
  }

  private static MediaSource tone(String args, Duration limit, Duration packet) {
    String[] p = args.split(":", -1);
    if (p.length < 2 || p.length > 3) {
      throw new SourceException("tone needs RATE:CHANNELS[:HZ], e.g. tone:48000:2:997");
    }
    int rate = positive(p[0], "tone sample rate");
    int channels = positive(p[1], "tone channel count");
    if (channels > 64) {
      throw new SourceException("tone channel count " + channels + " is more than 64");
    }
    double hz = p.length == 3 ? positiveDouble(p[2], "tone frequency") : 997;
    if (hz >= rate / 2.0) {
      throw new SourceException("tone frequency " + p[2] + " Hz is at or above half the sample rate");
    }
    long frames = limit == null ? -1 : framesIn(limit, rate);
    return new ToneSource(rate, channels, hz, frames, framesPerPacket(rate, 2 * channels, packet));
  }

  private static MediaSource file(String path, Duration packet) {
    Path p = Path.of(path);
    if (!Files.isRegularFile(p)) {
      throw new SourceException("file:" + path + ": no such file");
    }
    if (!Files.isReadable(p)) {
      throw new SourceException("file:" + path + ": not readable");
    }
    byte[] head = new byte[12];
    try (InputStream in = new BufferedInputStream(Files.newInputStream(p))) {
      int n = in.readNBytes(head, 0, head.length);
      if (n >= 12 && (startsWith(head, "RIFF") || startsWith(head, "RF64") || startsWith(head, "BW64"))) {
        return packet == null ? new WavSource(p) : WavSource.withPacket(p, packet);
      }
      if (n >= 8 && isIsoBmff(head)) {
        return Mp4Source.open(p);
      }
    } catch (IOException e) {
      throw new SourceException("file:" + path + ": " + e.getMessage(), e);
    }
    throw new SourceException("file:" + path + ": neither WAV (RIFF/RF64) nor MP4/MOV");
  }

  private static MediaSource adts(String args) {
    if (args.isEmpty()) {
      throw new SourceException("adts needs PATH or - (standard input), e.g. adts:-");
    }
    try {
      return args.equals("-") ? new AdtsSource(stdin()) : new AdtsSource(readable("adts", args));
    } catch (IOException e) {
      throw new SourceException("adts:" + args + ": " + e.getMessage(), e);
    }
  }

  /** h264:PATH|-[:FPS], FPS as 25, 29.97 or 30000/1001. */
  private static MediaSource h264(String args) {
    String path = args;
    int[] fps = {25, 1};
    int colon = args.lastIndexOf(':');
    if (colon > 0 && args.substring(colon + 1).matches("\\d+(\\.\\d+)?(/\\d+)?")) {
      fps = frameRate(args.substring(colon + 1));
      path = args.substring(0, colon);
    }
    if (path.isEmpty()) {
      throw new SourceException("h264 needs PATH or - (standard input), e.g. h264:-:25");
    }
    try {
      return path.equals("-") ? new H264Source(stdin(), fps[0], fps[1])
          : new H264Source(readable("h264", path), fps[0], fps[1]);
    } catch (IOException e) {
      throw new SourceException("h264:" + path + ": " + e.getMessage(), e);
    }
  }

  /** pcm:PATH|-:RATE:CHANNELS:BITS, signed little-endian. */
  private static MediaSource pcm(String args, Duration packet) {
    String[] p = args.split(":", -1);
    if (p.length < 4) {
      throw new SourceException("pcm needs PATH|-:RATE:CHANNELS:BITS, e.g. pcm:-:48000:2:16");
    }
    int n = p.length;
    String path = String.join(":", java.util.Arrays.copyOf(p, n - 3));
    int rate = positive(p[n - 3], "pcm sample rate");
    int channels = positive(p[n - 2], "pcm channel count");
    int bits = positive(p[n - 1], "pcm bits per sample");
    try {
      return path.equals("-") ? new PcmSource(stdin(), rate, channels, bits, packet)
          : new PcmSource(java.nio.file.Files.newInputStream(readable("pcm", path)), rate, channels, bits, packet);
    } catch (IOException e) {
      throw new SourceException("pcm:" + path + ": " + e.getMessage(), e);
    }
  }

  /** testcard:WxH@FPS. */
  private static MediaSource testcard(String args) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)x(\\d+)@([0-9./]+)").matcher(args);
    if (!m.matches()) {
      throw new SourceException("testcard needs WxH@FPS, e.g. testcard:640x360@25");
    }
    int w = positive(m.group(1), "testcard width");
    int h = positive(m.group(2), "testcard height");
    int[] fps = frameRate(m.group(3));
    return new TestcardSource(w, h, fps[0], fps[1], -1);
  }

  /** "25" → 25/1, "29.97" → 30000/1001, "30000/1001" as given. */
  static int[] frameRate(String s) {
    try {
      if (s.contains("/")) {
        String[] f = s.split("/");
        return new int[] {positive(f[0], "frame rate"), positive(f[1], "frame rate")};
      }
      if (s.contains(".")) {
        double v = Double.parseDouble(s);
        long num = Math.round(Math.ceil(v) * 1000);
        if (Math.abs(num / 1001.0 - v) < 0.005) {
          return new int[] {(int) num, 1001};
        }
        return new int[] {(int) Math.round(v * 1000), 1000};
      }
      return new int[] {positive(s, "frame rate"), 1};
    } catch (NumberFormatException e) {
      throw new SourceException("frame rate '" + s + "' is not a number");
    }
  }

  private static boolean stdinTaken;

  /** Standard input, for one source only. */
  private static synchronized InputStream stdin() {
    if (stdinTaken) {
      throw new SourceException("only one source can read standard input (-)");
    }
    stdinTaken = true;
    return new BufferedInputStream(System.in, 1 << 20);
  }

  private static Path readable(String kind, String path) {
    Path p = Path.of(path);
    if (!Files.isRegularFile(p) && !Files.exists(p)) {
      throw new SourceException(kind + ":" + path + ": no such file");
    }
    if (!Files.isReadable(p)) {
      throw new SourceException(kind + ":" + path + ": not readable");
    }
    return p;
  }

  /** An ISO BMFF / QuickTime file opens with one of these boxes (ISO/IEC 14496-12 §4.2). */
  private static boolean isIsoBmff(byte[] head) {
    String type = new String(head, 4, 4, java.nio.charset.StandardCharsets.ISO_8859_1);
    return java.util.Set.of("ftyp", "moov", "mdat", "free", "wide", "skip", "styp", "moof").contains(type);
  }

  static boolean startsWith(byte[] b, String magic) {
    for (int i = 0; i < magic.length(); i++) {
      if (b[i] != magic.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  static long framesIn(Duration d, int rate) {
    return d.toSeconds() * rate + (long) d.toNanosPart() * rate / 1_000_000_000L;
  }

  static int positive(String s, String what) {
    try {
      int v = Integer.parseInt(s.trim());
      if (v <= 0) {
        throw new SourceException(what + " must be above 0, not " + s);
      }
      return v;
    } catch (NumberFormatException e) {
      throw new SourceException(what + " '" + s + (s.trim().matches("\\d+")
          ? "' is too large (at most " + Integer.MAX_VALUE + ")" : "' is not a whole number"));
    }
  }

  static double positiveDouble(String s, String what) {
    try {
      double v = Double.parseDouble(s.trim());
      if (!(v > 0) || Double.isInfinite(v)) {
        throw new SourceException(what + " must be above 0, not " + s);
      }
      return v;
    } catch (NumberFormatException e) {
      throw new SourceException(what + " '" + s + "' is not a number");
    }
  }
}
