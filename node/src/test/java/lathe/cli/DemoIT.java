package lathe.cli;

import static lathe.cli.LatheProcess.ffprobe;
import static lathe.cli.LatheProcess.lathe;
import static lathe.cli.LatheProcess.tool;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's first command: `lathe demo` makes what it says, the tools read it, and it runs again. */
class DemoIT {
  @TempDir Path dir;

  @Test
  void demoRecordsRecoversAndBurnsAndCanRunTwice() throws Exception {
    LatheProcess.Result r = lathe(dir, "demo", "--data-dir", "data");
    assertEquals(0, r.exit(), r.err() + r.out());
    List<Path> made;
    try (Stream<Path> files = Files.list(dir.resolve("data/archive"))) {
      made = files.sorted().toList();
    }
    assertEquals(3, made.size(), "a WAV, an MP4 and a recovered MP4: " + made);
    for (Path f : made) {
      assertTrue(r.out().contains(f.toString()), "the demo says where " + f.getFileName() + " is");
      assertTrue(ffprobe(dir, f).get("format").get("duration").asDouble() > 1.0, f + " plays");
    }
    Path drive = dir.resolve("data/drives/sim0");
    LatheProcess.Result cd = tool(dir, "cd-info", "--no-device-info", "--cue-file", drive.resolve("disc.cue")
        .toString());
    assertTrue(cd.out().contains("audio"), "cd-info reads the audio track: " + cd.out());
    LatheProcess.Result data = tool(dir, "xorriso", "-indev", "stdio:" + drive.resolve("data.img"), "-ls", "/");
    for (Path f : made) {
      assertTrue(data.out().contains(f.getFileName().toString()), "data session holds " + f.getFileName());
    }
    LatheProcess.Result again = lathe(dir, "demo", "--data-dir", "data");
    assertEquals(0, again.exit(), "a second demo in the same folder works too: " + again.err());
  }
}
