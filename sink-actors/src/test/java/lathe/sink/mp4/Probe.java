package lathe.sink.mp4;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Runs ffprobe, as a user would, and returns its packet lines "stream,pts,dts,duration,size,flags". */
final class Probe {
  private Probe() {}

  record Result(int exit, String stderr, List<String> packets) {}

  static Result packets(Path file) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("ffprobe", "-v", "error", "-show_entries",
        "packet=stream_index,pts,dts,duration,size,flags", "-of", "csv=p=0", file.toString()).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    int exit = p.waitFor();
    List<String> lines = new ArrayList<>();
    for (String l : out.split("\n")) {
      if (!l.isBlank()) {
        lines.add(l.strip());
      }
    }
    return new Result(exit, err, lines);
  }

  static String format(Path file, String entries, String... more) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("ffprobe", "-v", "error", "-show_entries", entries, "-of",
        "default=nw=1"));
    cmd.addAll(List.of(more));
    cmd.add(file.toString());
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor();
    return out;
  }
}
