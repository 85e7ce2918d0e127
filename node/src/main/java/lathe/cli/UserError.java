package lathe.cli;

/** A failure caused by what the user asked for; its message is the one line they see. */
public final class UserError extends RuntimeException {
  private final int exitCode;

  public UserError(String message) {
    this(message, 1);
  }

  public UserError(String message, int exitCode) {
    super(message);
    this.exitCode = exitCode;
  }

  public int exitCode() {
    return exitCode;
  }
}
