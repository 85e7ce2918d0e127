package lathe.cli;

import picocli.CommandLine;

final class Version implements CommandLine.IVersionProvider {
  @Override
  public String[] getVersion() {
    String v = Lathe.class.getPackage().getImplementationVersion();
    return new String[] {"lathe " + (v == null ? "development build" : v)};
  }
}
