package lathe.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import lathe.disc.DiscException;
import lathe.drive.DiscBurner;
import lathe.drive.DiscBurner.BurnResult;
import lathe.drive.DriveActor.Update;
import lathe.drive.DriveFailure;
import lathe.drive.backend.WriteSpeed;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "burn", mixinStandardHelpOptions = true,
    description = {"Burn an audio CD track-at-once, or add a data session.",
        "  lathe burn --drive sim0 --audio a.wav b.wav [--leave-open] [--speed 8x|max]",
        "  lathe burn --drive sim0 --data PATH... [--close]"})
final class BurnCommand implements Callable<Integer> {

  @Mixin DriveCli.Common common;

  @Option(names = "--drive", required = true, paramLabel = "ID", description = "The drive, e.g. sim0")
  String drive;

  @Option(names = "--audio", arity = "1..*", paramLabel = "WAV",
      description = "44.1 kHz 16-bit stereo WAV files, one track each")
  List<Path> audio;

  @Option(names = "--data", arity = "1..*", paramLabel = "PATH", description = "Files or folders for a data session")
  List<Path> data;

  @Option(names = "--leave-open", description = "Audio: leave the disc appendable for a data session")
  boolean leaveOpen;

  @Option(names = "--close", description = "Data: close the disc after this session")
  boolean close;

  @Option(names = "--speed", paramLabel = "SPEED", description = "1x..52x or max (default: the drive's)")
  String speed;

  @Option(names = "--progress", description = "Show the progress bar on stderr even when it is not a terminal")
  boolean progress;

  @Override
  public Integer call() throws Exception {
    if ((audio == null) == (data == null)) {
      throw new UserError("give either --audio WAV... or --data PATH...", 2);
    }
    if (audio == null && (leaveOpen || speed != null)) {
      throw new UserError("--leave-open and --speed go with --audio", 2);
    }
    if (data == null && close) {
      throw new UserError("--close goes with --data (an audio disc is closed unless --leave-open)", 2);
    }
    WriteSpeed writeSpeed = null;
    if (speed != null) {
      try {
        writeSpeed = WriteSpeed.parse(speed);
      } catch (DiscException e) {
        throw new UserError(e.getMessage(), 2);
      }
    }
    for (Path p : audio != null ? audio : data) {
      if (!Files.exists(p)) {
        throw new UserError("no such file: " + p, 2);
      }
    }
    boolean showProgress = progress || stderrIsTerminal();
    ProgressBar bar = showProgress ? new ProgressBar(System.err) : null;
    try (DriveCli cli = DriveCli.open(common.dataDir)) {
      DiscBurner burner = cli.burner(drive);
      BurnResult result;
      if (audio != null) {
        WriteSpeed s = writeSpeed != null ? writeSpeed : WriteSpeed.parse(burner.mediaInfo().writeSpeed());
        result = burner.burnAudio(audio, leaveOpen, s, bar);
      } else {
        result = burner.burnData(data, close, bar);
      }
      if (bar != null) {
        bar.done();
      }
      print(result);
    } catch (DriveFailure f) {
      if (bar != null) {
        bar.done();
      }
      throw DriveCli.userError(f);
    }
    return 0;
  }

  private void print(BurnResult r) throws Exception {
    if (common.json) {
      Map<String, Object> j = new LinkedHashMap<>();
      j.put("drive", r.driveId());
      j.put("written", r.tracks());
      j.put("disc", DriveCli.json(r.media()));
      System.out.println(DriveCli.JSON.writeValueAsString(j));
      return;
    }
    r.tracks().forEach(t -> System.out.println(DriveCli.trackLine(t)));
    DriveCli.print(System.out, r.media());
  }

  // Java 17 cannot ask whether fd 2 is a tty; Linux tells through /proc. Elsewhere: a console means a terminal.
  static boolean stderrIsTerminal() {
    try {
      String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
      return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
    } catch (Exception e) {
      return System.console() != null;
    }
  }

  /** One line on stderr, redrawn: track, action, bar, percent, time left, last written LBA. */
  static final class ProgressBar implements Consumer<Update> {
    private final PrintStream err;
    private boolean drawn;

    ProgressBar(PrintStream err) {
      this.err = err;
    }

    @Override
    public synchronized void accept(Update u) {
      int width = 30;
      long pct = u.sectorsTotal() > 0 ? u.sectorsWritten() * 100 / u.sectorsTotal() : 0;
      int filled = (int) (pct * width / 100);
      String left = u.remainingMillis() < 0 ? "--:--"
          : String.format("%02d:%02d", u.remainingMillis() / 60_000, u.remainingMillis() / 1000 % 60);
      err.printf("\r%s track %2d %-9s [%s%s] %3d%%  %s left  LBA %d   ", u.driveId(), u.track(),
          u.action().name(), "#".repeat(filled), ".".repeat(width - filled), pct, left, u.lastWrittenLba());
      err.flush();
      drawn = true;
    }

    synchronized void done() {
      if (drawn) {
        err.println();
        drawn = false;
      }
    }
  }
}
