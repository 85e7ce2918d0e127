package lathe.cli;

import io.grpc.StatusRuntimeException;
import java.util.concurrent.Callable;
import lathe.protocol.FarmDisc;
import lathe.protocol.FarmJob;
import lathe.protocol.JobList;
import lathe.protocol.ListJobsRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "jobs", mixinStandardHelpOptions = true,
    description = "List the burner farm's archive jobs: each disc, every attempt at it (drive, outcome, why it "
        + "failed) and where its images are.")
final class JobsCommand implements Callable<Integer> {

  @Option(names = "--cluster", required = true, paramLabel = "HOST:G", description = "A node's gRPC address.")
  String cluster;

  @Option(names = "--json", description = "Print JSON on stdout.")
  boolean json;

  @Override
  public Integer call() {
    try (FarmCli cli = new FarmCli(cluster)) {
      JobList jobs;
      try {
        jobs = cli.stub().listJobs(ListJobsRequest.getDefaultInstance());
      } catch (StatusRuntimeException e) {
        throw cli.error(e);
      }
      if (json) {
        System.out.println(FarmCli.json(jobs));
        return 0;
      }
      if (jobs.getJobsCount() == 0) {
        System.out.println("no jobs");
      }
      for (FarmJob j : jobs.getJobsList()) {
        System.out.println(FarmCli.summary(j));
        for (FarmDisc d : j.getDiscsList()) {
          System.out.println(FarmCli.disc(j, d));
        }
      }
      return 0;
    }
  }
}
