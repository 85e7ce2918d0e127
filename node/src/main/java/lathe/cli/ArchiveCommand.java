package lathe.cli;

import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import lathe.drive.backend.WriteSpeed;
import lathe.protocol.ArchiveRequest;
import lathe.protocol.FarmAttempt;
import lathe.protocol.FarmDisc;
import lathe.protocol.FarmJob;
import lathe.protocol.JobRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "archive", mixinStandardHelpOptions = true, sortOptions = false,
    description = {
        "Archive finalized recordings on the cluster's burner farm: the job is planned into as many discs as it "
            + "needs, each disc burned on an idle drive of any node, read back and verified; a disc that fails is "
            + "redone on another drive, preferring another node.",
        "Prints the job id, follows its progress on stderr, and exits 0 when every disc is done and verified."})
final class ArchiveCommand implements Callable<Integer> {

  @Option(names = "--cluster", required = true, paramLabel = "HOST:G", description = "A node's gRPC address.")
  String cluster;

  @Option(names = "--recording", required = true, arity = "1..*", paramLabel = "NAME",
      description = "Recordings to archive, in order (names as `lathe status` lists them).")
  List<String> recordings = new ArrayList<>();

  @Option(names = "--as", required = true, paramLabel = "KIND",
      description = "audio-cd (track-at-once, BWF 44.1 kHz 16-bit stereo) or data (the files, via xorriso).")
  String as;

  @Option(names = "--media", defaultValue = "cdr80", paramLabel = "TYPE",
      description = "cdr74, cdr80, dvdr, dvdplusr or bdr; default ${DEFAULT-VALUE}.")
  String media;

  @Option(names = "--leave-open", description = "Leave each disc appendable (DoNotFinalizeMedia).")
  boolean leaveOpen;

  @Option(names = "--cd-extra", description = "audio-cd: add a data session with the original files and the "
      + "manifest (CD-Extra).")
  boolean cdExtra;

  @Option(names = "--speed", defaultValue = "max", paramLabel = "SPEED", description = "1x..52x or max.")
  String speed;

  @Option(names = "--no-wait", description = "Print the job id and return; follow it with `lathe jobs`.")
  boolean noWait;

  @Option(names = "--progress", description = "Draw a progress bar on stderr even when it is not a terminal.")
  boolean progress;

  @Option(names = "--json", description = "Print the job as JSON on stdout (when it ends, or at once with --no-wait).")
  boolean json;

  @Override
  public Integer call() {
    WriteSpeed ws;
    try {
      ws = WriteSpeed.parse(speed);
    } catch (RuntimeException e) {
      throw new UserError(OneLineErrors.message(e), OneLineErrors.USAGE);
    }
    try (FarmCli cli = new FarmCli(cluster)) {
      FarmJob job;
      try {
        job = cli.stub().archive(ArchiveRequest.newBuilder().addAllRecordings(recordings).setAs(as)
            .setMedia(media).setLeaveOpen(leaveOpen).setCdExtra(cdExtra).setSpeed(ws.multiple()).build());
      } catch (StatusRuntimeException e) {
        throw cli.error(e);
      }
      if (!json) {
        System.out.println("job " + job.getId() + ": " + job.getSourcesCount() + " recording(s) on "
            + job.getDiscsCount() + " " + job.getMedia() + " disc(s)");
        System.out.flush();
      }
      if (!noWait) {
        job = follow(cli, job);
      }
      if (json) {
        System.out.println(FarmCli.json(job));
      } else {
        System.out.println(FarmCli.summary(job));
        for (FarmDisc d : job.getDiscsList()) {
          System.out.println(FarmCli.disc(job, d));
        }
      }
      if (job.getState().equals("failed")) {
        throw new UserError("job " + job.getId() + " failed: " + job.getError());
      }
      return 0;
    }
  }

  // Progress on stderr: a bar on a terminal, else one line whenever a disc changes drive, action or state.
  private FarmJob follow(FarmCli cli, FarmJob job) {
    Map<Integer, String> said = new HashMap<>();
    Set<String> failed = new HashSet<>();
    try (Progress bar = new Progress(progress)) {
      Iterator<FarmJob> updates = cli.stub().watchJob(JobRequest.newBuilder().setId(job.getId()).build());
      while (updates.hasNext()) {
        job = updates.next();
        long done = 0;
        for (FarmDisc d : job.getDiscsList()) {
          FarmAttempt a = d.getAttemptsCount() == 0 ? null : d.getAttempts(d.getAttemptsCount() - 1);
          done += d.getState().equals("done") ? 100 : a == null ? 0 : a.getPercent();
          for (FarmAttempt f : d.getAttemptsList()) {
            if (f.getState().equals("failed") && failed.add(d.getIndex() + "/" + f.getNumber())) {
              bar.println(job.getId() + " disc " + d.getIndex() + " attempt " + f.getNumber() + " on " + f.getDrive()
                  + " failed: " + f.getError() + (f == a && !d.getState().equals("queued") ? ""
                  : "; redoing it on another drive"));
            }
          }
          String key = a == null ? d.getState() : a.getNumber() + a.getAction() + a.getState();
          if (a != null && !a.getState().equals("failed") && !key.equals(said.get(d.getIndex()))) {
            said.put(d.getIndex(), key);
            if (!bar.enabled()) {
              System.err.println(FarmCli.progress(job, d, a));
            }
          }
        }
        bar.update(job.getId(), done / 100.0, job.getDiscsCount(), "discs");
      }
    } catch (StatusRuntimeException e) {
      throw cli.error(e);
    }
    return job;
  }
}
