package lathe.sink.bwf;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** Runs the tools users trust (ffprobe, ffmpeg, sox) and a sample table kept in memory. */
final class Tools {

  private Tools() {}

  /** Runs a command, fails the test on a non-zero exit, returns its stdout. */
  static byte[] run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).start();
    p.getOutputStream().close();
    CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
    byte[] out = readAll(p.getInputStream());
    int rc = p.waitFor();
    assertEquals(0, rc, () -> String.join(" ", command) + " failed: " + new String(err.join(), StandardCharsets.UTF_8));
    return out;
  }

  /** ffprobe's view of the file as flat {@code key=value} pairs (format.duration, streams.stream.0.codec_name, ...). */
  static Map<String, String> probe(Path file) throws IOException, InterruptedException {
    String text = new String(run("ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "flat",
        file.toString()), StandardCharsets.UTF_8);
    Map<String, String> values = new LinkedHashMap<>();
    for (String line : text.split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        String value = line.substring(eq + 1);
        if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
          value = value.substring(1, value.length() - 1);
        }
        values.put(line.substring(0, eq), value);
      }
    }
    return values;
  }

  /** The PCM bytes ffmpeg demuxes from the file, untouched (stream copy into raw data). */
  static byte[] pcmOf(Path file) throws IOException, InterruptedException {
    return run("ffmpeg", "-v", "error", "-i", file.toString(), "-map", "0:a:0", "-c", "copy", "-f", "data", "-");
  }

  private static byte[] readAll(InputStream in) {
    try (in) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      in.transferTo(out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
