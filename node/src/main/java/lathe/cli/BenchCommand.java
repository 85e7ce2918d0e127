package lathe.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code lathe bench}: throughput, live-stream latency and finalize cost, each printed next to a reference
 * measured in the same run (ffmpeg, dd) because absolute times on a shared machine are noise.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = {"Benchmarks: mux throughput against ffmpeg and dd, many live streams, finalize and recovery.",
        "Every figure is measured in this run on this machine; compare ratios, not absolute times."},
    subcommands = {MuxBench.class, StreamsBench.class, FinalizeBench.class})
final class BenchCommand implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  static Config durability(String d) {
    String v = d.toLowerCase(Locale.ROOT);
    if (!v.equals("fsync") && !v.equals("os")) {
      throw new UserError("--durability must be fsync or os, not " + d, OneLineErrors.USAGE);
    }
    return ConfigFactory.parseMap(Map.of("lathe.durability", v));
  }

  /** A fresh work folder under the data directory, on the same disk as real recordings. */
  static Path workDir(Path dataDir, String prefix) {
    try {
      Path d = dataDir.toAbsolutePath().normalize();
      Files.createDirectories(d);
      return Files.createTempDirectory(d, prefix);
    } catch (IOException e) {
      throw new UserError("cannot create a work folder under " + dataDir + ": " + e.getMessage());
    }
  }

  static void deleteTree(Path dir) {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      System.err.println("lathe bench: could not remove " + dir + ": " + e.getMessage());
    }
  }

  static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException ignored) {
      // a leftover in the bench folder is removed with the folder
    }
  }

  /**
   * Deletes a contender's output and fsyncs its folder, outside any timed part: otherwise the file system commits
   * the freed blocks at the next fsync, and the next contender pays for this one's cleanup.
   */
  static void deleteDurably(Path p) {
    deleteQuietly(p);
    lathe.sink.io.DurableFiles.fsyncDirectory(p);
  }

  /** Runs an external tool to completion and returns its wall time in nanoseconds. */
  static long timeTool(Path dir, List<String> cmd) {
    long t0 = System.nanoTime();
    try {
      Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      if (!p.waitFor(30, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new UserError(cmd.get(0) + " did not finish within 30 minutes");
      }
      if (p.exitValue() != 0) {
        throw new UserError(String.join(" ", cmd) + " failed with exit status " + p.exitValue());
      }
    } catch (IOException e) {
      throw new UserError("cannot run " + cmd.get(0) + ": " + e.getMessage() + " (is it installed?)");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UserError("interrupted");
    }
    return System.nanoTime() - t0;
  }

  /** Reads a file once so that every contender finds it in the page cache. */
  static void warmPageCache(Path file) {
    try (var in = Files.newInputStream(file)) {
      in.transferTo(OutputStream.nullOutputStream());
    } catch (IOException e) {
      throw new UserError("cannot read " + file + ": " + e.getMessage());
    }
  }

  static double round(double v, int digits) {
    double f = Math.pow(10, digits);
    return Math.round(v * f) / f;
  }
}
