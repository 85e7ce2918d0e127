package lathe.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "demo", mixinStandardHelpOptions = true, description = "(being built)")
final class DemoCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    throw new UserError("not built yet");
  }
}
