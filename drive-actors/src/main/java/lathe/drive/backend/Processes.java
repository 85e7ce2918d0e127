package lathe.drive.backend;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import lathe.disc.DiscException;
import lathe.disc.DriveError;

/** Runs an external tool to completion (on the caller's thread: the drive I/O dispatcher) and keeps its output. */
final class Processes {
  record Result(int exitCode, String output) {}

  private Processes() {}

  static Result run(List<String> command, long timeoutSeconds) throws IOException {
    Process p;
    try {
      p = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new DiscException(DriveError.IO_ERROR, "cannot run " + command.get(0) + ": " + e.getMessage(), e);
    }
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    try {
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new DiscException(DriveError.IO_ERROR, command.get(0) + " did not finish in " + timeoutSeconds + " s");
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new DiscException(DriveError.IO_ERROR, command.get(0) + " was interrupted");
    }
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  /** The last non-blank line of a tool's output: usually the one that says what went wrong. */
  static String lastLine(String output) {
    String[] lines = output.strip().split("\n");
    return lines.length == 0 ? "" : lines[lines.length - 1].strip();
  }
}
