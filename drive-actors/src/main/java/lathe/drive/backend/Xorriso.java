package lathe.drive.backend;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import lathe.disc.DiscException;
import lathe.disc.DriveError;

/**
 * Data sessions through xorriso (libburn/libisofs): one {@code -commit} appends one ISO 9660 + Rock Ridge +
 * Joliet session to the drive, a {@code stdio:} pseudo-drive file or {@code /dev/srN}.
 */
public final class Xorriso {
  private Xorriso() {}

  /**
   * The command line appending {@code paths} (each at the root under its own name) as one session.
   * {@code -close on} asks libburn to finalize; on stdio: files (overwriteable media) the closed state is
   * kept by the drive actor instead.
   */
  public static List<String> appendSession(String drive, List<Path> paths, boolean close) {
    List<String> cmd = new ArrayList<>(List.of("xorriso", "-abort_on", "FAILURE", "-return_with", "SORRY", "0",
        "-report_about", "SORRY", "-dev", drive, "-joliet", "on"));
    for (Map.Entry<String, Path> e : rootNames(paths).entrySet()) {
      cmd.addAll(List.of("-map", e.getValue().toAbsolutePath().toString(), "/" + e.getKey()));
    }
    cmd.addAll(List.of("-close", close ? "on" : "off", "-commit", "-end"));
    return cmd;
  }

  /** Lists every file of the last session: {@code xorriso -indev DRIVE -find / -type f}. */
  public static List<String> listFiles(String drive) {
    return List.of("xorriso", "-report_about", "SORRY", "-indev", drive, "-find", "/", "-type", "f");
  }

  /** Copies {@code discPath} of the last session out to {@code dest}: how a disc is read back to be verified. */
  public static void extract(String drive, String discPath, Path dest) throws IOException {
    Processes.Result r = Processes.run(List.of("xorriso", "-report_about", "SORRY", "-osirrox", "on", "-indev",
        drive, "-extract", discPath, dest.toAbsolutePath().toString()), 3600);
    if (r.exitCode() != 0) {
      throw new DiscException(DriveError.IO_ERROR,
          "xorriso cannot read " + discPath + " back (exit " + r.exitCode() + "): " + Processes.lastLine(r.output()));
    }
  }

  /** Each path lands at the root under its file name; two sources with the same name are an error, not a loss. */
  static Map<String, Path> rootNames(List<Path> paths) {
    Map<String, Path> names = new LinkedHashMap<>();
    for (Path p : paths) {
      Path name = p.toAbsolutePath().normalize().getFileName();
      if (name == null) {
        throw new DiscException(DriveError.INVALID_ARGUMENT, "cannot write the root directory " + p);
      }
      if (names.putIfAbsent(name.toString(), p) != null) {
        throw new DiscException(DriveError.INVALID_ARGUMENT,
            "two paths would both be /" + name + " on the disc: " + names.get(name.toString()) + " and " + p);
      }
    }
    return names;
  }

  /**
   * The next writable address of a drive in 2048-byte blocks ("Media nwa" of {@code -toc}); 0 when xorriso
   * does not say, so that callers keeping an undo copy keep all of it.
   */
  static long nextWritableAddress(String drive) throws IOException {
    Processes.Result r = Processes.run(List.of("xorriso", "-report_about", "SORRY", "-indev", drive, "-toc"), 600);
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("Media nwa\\s*:\\s*(\\d+)s").matcher(r.output());
    return r.exitCode() == 0 && m.find() ? Long.parseLong(m.group(1)) : 0;
  }

  static void run(List<String> cmd) throws IOException {
    Processes.Result r = Processes.run(cmd, 3600);
    if (r.exitCode() != 0) {
      throw new DiscException(DriveError.WRITE_FAILED,
          "xorriso failed (exit " + r.exitCode() + "): " + Processes.lastLine(r.output()));
    }
  }
}
