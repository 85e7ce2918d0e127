package lathe.source;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import lathe.protocol.Sample;

/** Runs ffmpeg/ffprobe for the source tests and reads what they print, as a user would check a file. */
final class Ffprobe {

  /** One packet as `ffprobe -show_packets -show_data_hash md5` prints it. */
  record Packet(int stream, long pts, long dts, long duration, int size, boolean key, String md5) {}

  private Ffprobe() {}

  /** Runs a tool to completion, failing with its stderr when it exits non-zero; returns stdout. */
  static String run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.PIPE).start();
    p.getOutputStream().close();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Thread errPump = new Thread(() -> drain(p.getErrorStream(), err));
    errPump.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    int rc = p.waitFor();
    errPump.join();
    if (rc != 0) {
      throw new IOException(String.join(" ", command) + " exited " + rc + ": " + err.toString(StandardCharsets.UTF_8));
    }
    return out;
  }

  /** `ffmpeg -hide_banner -loglevel error -y ARGS`. */
  static void ffmpeg(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y"));
    cmd.addAll(List.of(args));
    run(cmd.toArray(String[]::new));
  }

  static List<Packet> packets(Path file, String... extraArgs) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("ffprobe", "-v", "error"));
    cmd.addAll(List.of(extraArgs));
    cmd.addAll(List.of("-show_packets", "-show_data_hash", "md5", "-of", "compact=p=0",
        "-show_entries", "packet=stream_index,pts,dts,duration,size,flags,data_hash", file.toString()));
    List<Packet> packets = new ArrayList<>();
    for (String line : run(cmd.toArray(String[]::new)).split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      Map<String, String> f = fields(line);
      packets.add(new Packet(Integer.parseInt(f.get("stream_index")), parseTime(f.get("pts")),
          parseTime(f.get("dts")), parseTime(f.get("duration")), Integer.parseInt(f.get("size")),
          f.get("flags").startsWith("K"), f.get("data_hash").replace("MD5:", "")));
    }
    return packets;
  }

  /** The stream's extradata bytes as ffprobe prints them with -show_data. */
  static byte[] extradata(Path file, int stream) throws IOException, InterruptedException {
    String out = run("ffprobe", "-v", "error", "-select_streams", String.valueOf(stream), "-show_entries",
        "stream=extradata", "-show_data", file.toString());
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    for (String line : out.split("\n")) {
      // Hex dump lines: "00000000: 1188 ...  ascii"
      if (line.matches("^[0-9a-f]{8}: .*")) {
        String hex = line.substring(10, Math.min(line.length(), 10 + 40)).replace(" ", "");
        bytes.writeBytes(HexFormat.of().parseHex(hex));
      }
    }
    return bytes.toByteArray();
  }

  /** `ffprobe -show_entries stream=KEYS` of one stream as a key→value map. */
  static Map<String, String> stream(Path file, int stream, String keys, String... extraArgs)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("ffprobe", "-v", "error"));
    cmd.addAll(List.of(extraArgs));
    cmd.addAll(List.of("-select_streams", String.valueOf(stream), "-show_entries", "stream=" + keys,
        "-of", "compact=p=0", file.toString()));
    return fields(run(cmd.toArray(String[]::new)).strip().split("\n")[0]);
  }

  static String md5(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Every sample a source gives until it ends. */
  static List<Sample> drain(MediaSource source) throws IOException {
    List<Sample> samples = new ArrayList<>();
    for (Sample s = source.next(); s != null; s = source.next()) {
      samples.add(s);
    }
    return samples;
  }

  private static Map<String, String> fields(String line) {
    Map<String, String> f = new HashMap<>();
    for (String kv : line.split("\\|")) {
      int eq = kv.indexOf('=');
      if (eq > 0) {
        f.put(kv.substring(0, eq), kv.substring(eq + 1));
      }
    }
    return f;
  }

  private static long parseTime(String s) {
    return s == null || s.equals("N/A") ? Long.MIN_VALUE : Long.parseLong(s);
  }

  private static void drain(InputStream in, ByteArrayOutputStream to) {
    try {
      in.transferTo(to);
    } catch (IOException e) {
      // The process died; its exit code tells the story.
    }
  }
}
