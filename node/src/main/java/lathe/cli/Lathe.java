package lathe.cli;

import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code lathe} command: one subcommand per job; every one has --help and exits non-zero with one line. */
@Command(
    name = "lathe",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    description = "A recording cluster: record media to MP4 and Broadcast WAV, recover, burn discs.",
    subcommands = {
        DemoCommand.class,
        RecordCommand.class,
        RecoverCommand.class,
        DrivesCommand.class,
        BurnCommand.class,
        BenchCommand.class,
        NodeCommand.class,
        StatusCommand.class,
        ArchiveCommand.class,
        JobsCommand.class,
        CommandLine.HelpCommand.class,
    })
public final class Lathe implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    // Start logging before Pekko does, so that no early log call is queued and replayed with a warning.
    org.slf4j.LoggerFactory.getLogger(Lathe.class);
    // grpc-java logs through java.util.logging, whose console handler would print its warnings with their stack
    // traces in a format of its own: it goes to logback instead, where logback.xml decides.
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
    System.exit(run(args));
  }

  /** Runs a command line and returns its exit code; used by main and by tests that run the CLI in-process. */
  public static int run(String... args) {
    CommandLine cli = new CommandLine(new Lathe());
    cli.setExecutionExceptionHandler(new OneLineErrors());
    cli.setParameterExceptionHandler(new OneLineErrors());
    return cli.execute(args);
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
