package lathe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `lathe burn` and `lathe drives` as a user runs them, checked with xorriso and cd-info. */
class BurnCommandTest {
  record Run(int exitCode, String out, String err) {}

  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  @Test
  void leaveOpenThenDataSessionClosesTheDiscAndAFurtherBurnChangesNothing() throws Exception {
    Path data = tmp.resolve("lathe-data");
    Path a = wav(tmp.resolve("a.wav"), 44_100, 2, 5);
    Path b = wav(tmp.resolve("b.wav"), 44_100, 2, 3);

    Run audio = lathe("burn", "--drive", "sim0", "--audio", a.toString(), b.toString(), "--leave-open", "--json",
        "--data-dir", data.toString());
    assertEquals(0, audio.exitCode(), audio.err());
    assertEquals(2, JSON.readTree(audio.out()).get("written").size());

    Run drives = lathe("drives", "--json", "--data-dir", data.toString());
    assertEquals(0, drives.exitCode(), drives.err());
    JsonNode sim0 = JSON.readTree(drives.out()).get("drives").get(0);
    assertEquals("sim0", sim0.get("id").asText());
    assertEquals("appendable", sim0.get("state").asText());
    long used = sim0.get("usedSectors").asLong();
    long overhead = sim0.get("overheadSectors").asLong();
    assertEquals(825, used);
    assertEquals(4500 + 6750 + 4500 + 2250 + 150, overhead);
    assertEquals(360_000 - used - overhead, sim0.get("freeSectors").asLong());
    assertEquals("blank", JSON.readTree(drives.out()).get("drives").get(1).get("state").asText());
    Path cue = Path.of(sim0.get("images").get("cue").asText());
    String cdInfo = tool(cue.getParent(), "cd-info", "--no-device-info", "--cue-file", cue.toString());
    assertTrue(cdInfo.contains("000525 audio") && cdInfo.contains("000825 leadout"), cdInfo);

    Path originals = Files.createDirectories(tmp.resolve("recording"));
    Files.copy(a, originals.resolve("take.wav"));
    Files.writeString(originals.resolve("take.txt"), "take one\n");
    Run dataRun = lathe("burn", "--drive", "sim0", "--data", originals.toString(), "--close", "--json",
        "--data-dir", data.toString());
    assertEquals(0, dataRun.exitCode(), dataRun.err());
    JsonNode disc = JSON.readTree(dataRun.out()).get("disc");
    assertEquals("closed", disc.get("state").asText());
    assertEquals(2, disc.get("sessions").asInt());
    Path img = Path.of(disc.get("images").get("data").asText());
    String files = tool(tmp, "xorriso", "-indev", "stdio:" + img, "-find", "/", "-type", "f");
    assertTrue(files.contains("'/recording/take.wav'") && files.contains("'/recording/take.txt'"), files);

    Map<String, String> before = digests(img.getParent());
    Run again = lathe("burn", "--drive", "sim0", "--audio", a.toString(), "--data-dir", data.toString());
    assertEquals(1, again.exitCode());
    assertOneLine(again.err(), "MEDIA_NOT_APPENDABLE");
    Run moreData = lathe("burn", "--drive", "sim0", "--data", a.toString(), "--data-dir", data.toString());
    assertEquals(1, moreData.exitCode());
    assertOneLine(moreData.err(), "closed");
    assertEquals(before, digests(img.getParent()));
  }

  @Test
  void badInputGetsOneLineAndWritesNothing() throws Exception {
    Path data = tmp.resolve("lathe-data");
    Path good = wav(tmp.resolve("good.wav"), 44_100, 2, 1);
    Path hz48 = wav(tmp.resolve("48k.wav"), 48_000, 2, 1);
    Path mono = wav(tmp.resolve("mono.wav"), 44_100, 1, 1);

    Run r48 = lathe("burn", "--drive", "sim1", "--audio", good.toString(), hz48.toString(), "--data-dir",
        data.toString());
    assertEquals(1, r48.exitCode());
    assertOneLine(r48.err(), "STREAM_NOT_SUPPORTED");
    Run rMono = lathe("burn", "--drive", "sim1", "--audio", mono.toString(), "--data-dir", data.toString());
    assertOneLine(rMono.err(), "STREAM_NOT_SUPPORTED");
    assertFalse(Files.exists(data.resolve("drives/sim1/disc.bin")), "a refused burn wrote a track");

    assertEquals(2, lathe("burn", "--drive", "sim1", "--audio", good.toString(), "--speed", "99x",
        "--data-dir", data.toString()).exitCode());
    assertEquals(2, lathe("burn", "--drive", "sim1", "--data-dir", data.toString()).exitCode());
    Run noDrive = lathe("burn", "--drive", "sim7", "--audio", good.toString(), "--data-dir", data.toString());
    assertEquals(1, noDrive.exitCode());
    assertOneLine(noDrive.err(), "no drive 'sim7'");

    Run load = lathe("drives", "load", "--drive", "sim1", "--media", "bdr", "--json", "--data-dir", data.toString());
    assertEquals(0, load.exitCode(), load.err());
    assertEquals(12_219_392, JSON.readTree(load.out()).get("freeSectors").asLong());
    Run audioOnBd = lathe("burn", "--drive", "sim1", "--audio", good.toString(), "--data-dir", data.toString());
    assertOneLine(audioOnBd.err(), "MEDIA_NOT_SUPPORTED");
    Run eject = lathe("drives", "eject", "--drive", "sim1", "--json", "--data-dir", data.toString());
    assertEquals("none", JSON.readTree(eject.out()).get("state").asText());
    Run empty = lathe("burn", "--drive", "sim1", "--audio", good.toString(), "--data-dir", data.toString());
    assertOneLine(empty.err(), "NO_MEDIA");
  }

  private static void assertOneLine(String err, String expected) {
    String text = err.strip();
    assertTrue(text.contains(expected), text);
    assertEquals(1, text.lines().filter(l -> l.startsWith("lathe ")).count(), text);
    assertFalse(text.contains("Exception") || text.contains("\tat "), text);
  }

  private static synchronized Run lathe(String... args) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
      int code = Lathe.run(args);
      return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }

  private static String tool(Path dir, String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), out);
    return out;
  }

  private static Path wav(Path file, int rate, int channels, int seconds) throws Exception {
    byte[] pcm = new byte[rate * channels * 2 * seconds];
    new Random(seconds * 31L + rate + channels).nextBytes(pcm);
    // RIFF/WAVE canonical 44-byte header.
    ByteBuffer h = ByteBuffer.allocate(44 + pcm.length).order(ByteOrder.LITTLE_ENDIAN);
    h.put("RIFF".getBytes()).putInt(36 + pcm.length).put("WAVE".getBytes());
    h.put("fmt ".getBytes()).putInt(16).putShort((short) 1).putShort((short) channels).putInt(rate)
        .putInt(rate * channels * 2).putShort((short) (channels * 2)).putShort((short) 16);
    h.put("data".getBytes()).putInt(pcm.length).put(pcm);
    return Files.write(file, h.array());
  }

  private static Map<String, String> digests(Path dir) throws Exception {
    Map<String, String> sums = new TreeMap<>();
    try (var files = Files.list(dir)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        sums.put(f.getFileName().toString(),
            HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f))));
      }
    }
    return sums;
  }
}
