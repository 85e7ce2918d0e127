package lathe.cli;

import picocli.CommandLine;

/**
 * Every failure the user sees is one line on stderr and a non-zero exit, never a stack trace
 * (set LATHE_DEBUG=1 to get the trace as well).
 */
final class OneLineErrors
    implements CommandLine.IExecutionExceptionHandler, CommandLine.IParameterExceptionHandler {

  static final int USAGE = 2;
  static final int FAILED = 1;

  @Override
  public int handleExecutionException(
      Exception ex, CommandLine cli, CommandLine.ParseResult parseResult) {
    if (System.getenv("LATHE_DEBUG") != null) {
      ex.printStackTrace();
    }
    cli.getErr().println("lathe " + cli.getCommandName() + ": " + message(ex));
    return ex instanceof UserError u ? u.exitCode() : FAILED;
  }

  @Override
  public int handleParseException(CommandLine.ParameterException ex, String[] args) {
    CommandLine cli = ex.getCommandLine();
    cli.getErr().println("lathe " + cli.getCommandName() + ": " + ex.getMessage()
        + " (see: lathe " + cli.getCommandName() + " --help)");
    return USAGE;
  }

  static String message(Throwable ex) {
    Throwable t = ex;
    while ((t.getMessage() == null || t.getMessage().isBlank()) && t.getCause() != null) {
      t = t.getCause();
    }
    String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    return m.replace('\n', ' ').strip();
  }
}
