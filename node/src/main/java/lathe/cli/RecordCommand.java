package lathe.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "record", mixinStandardHelpOptions = true, description = "(being built)")
final class RecordCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    throw new UserError("not built yet");
  }
}
