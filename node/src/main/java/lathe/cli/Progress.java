package lathe.cli;

import java.io.PrintStream;

/**
 * A one-line progress bar on stderr, shown when stderr is a terminal or --progress asks for it; redrawn at most
 * five times a second so that it costs nothing next to the work.
 */
final class Progress implements AutoCloseable {
  private final PrintStream err;
  private final boolean enabled;
  private long lastDraw;
  private boolean drawn;

  Progress(boolean forced) {
    this.err = System.err;
    this.enabled = forced || System.console() != null;
  }

  /** A line of its own on stderr, above the bar. */
  void println(String line) {
    if (enabled && drawn) {
      err.print("\r" + " ".repeat(100) + "\r");
      drawn = false;
    }
    err.println(line);
  }

  boolean enabled() {
    return enabled;
  }

  /** {@code total} <= 0 means unknown: the bar shows the amount only. */
  void update(String label, double done, double total, String unit) {
    if (!enabled) {
      return;
    }
    long now = System.nanoTime();
    if (drawn && now - lastDraw < 200_000_000L) {
      return;
    }
    lastDraw = now;
    drawn = true;
    String line;
    if (total > 0) {
      double f = Math.max(0, Math.min(1, done / total));
      int width = 30;
      int full = (int) Math.round(f * width);
      line = String.format("%s [%s%s] %5.1f%% %.1f/%.1f %s", label, "#".repeat(full), "-".repeat(width - full),
          f * 100, done, total, unit);
    } else {
      line = String.format("%s %.1f %s", label, done, unit);
    }
    err.print("\r" + line + "   ");
    err.flush();
  }

  @Override
  public void close() {
    if (enabled && drawn) {
      err.println();
    }
  }
}
