package lathe.cli;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/** Parses "10s", "1m30s", "500ms", "2h", "1.5s" or a plain number of seconds. */
final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
  private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(h|ms|m|s)");

  @Override
  public Duration convert(String value) {
    String v = value.trim().toLowerCase(java.util.Locale.ROOT);
    if (v.matches("\\d+(\\.\\d+)?")) {
      return check(Duration.ofNanos(Math.round(Double.parseDouble(v) * 1e9)), value);
    }
    Matcher m = PART.matcher(v);
    long nanos = 0;
    int end = 0;
    while (m.find()) {
      if (m.start() != end) {
        break;
      }
      double n = Double.parseDouble(m.group(1));
      nanos += Math.round(n * switch (m.group(2)) {
        case "h" -> 3600e9;
        case "m" -> 60e9;
        case "s" -> 1e9;
        default -> 1e6;
      });
      end = m.end();
    }
    if (end == 0 || end != v.length()) {
      throw new CommandLine.TypeConversionException(
          "'" + value + "' is not a duration (examples: 10s, 1m30s, 500ms, 2h)");
    }
    return check(Duration.ofNanos(nanos), value);
  }

  private static Duration check(Duration d, String value) {
    if (d.isZero()) {
      throw new CommandLine.TypeConversionException("duration '" + value + "' is zero");
    }
    return d;
  }
}
