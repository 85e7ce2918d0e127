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
    int colon = spec.indexOf(':');
    if (colon <= 0) {
      throw new SourceException("source '" + spec + "' has no kind; sources are " + KINDS);
    }
    String kind = spec.substring(0, colon).toLowerCase(Locale.ROOT);
    String args = spec.substring(colon + 1);
    return switch (kind) {
      case "tone" -> tone(args, limit);
      case "file" -> file(args);
      default -> throw new SourceException("unknown source kind '" + kind + "'; sources are " + KINDS);
    };
  }

  private static MediaSource tone(String args, Duration limit) {
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
    return new ToneSource(rate, channels, hz, frames, Math.max(1, rate / 50));
  }

  private static MediaSource file(String path) {
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
        return new WavSource(p);
      }
    } catch (IOException e) {
      throw new SourceException("file:" + path + ": " + e.getMessage(), e);
    }
    throw new SourceException("file:" + path + ": not a WAV file (RIFF/RF64)");
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
      throw new SourceException(what + " '" + s + "' is not a whole number");
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
