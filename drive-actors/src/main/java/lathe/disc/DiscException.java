package lathe.disc;

/** A refused or failed disc operation with its stable {@link DriveError} code. */
public final class DiscException extends RuntimeException {
  private final DriveError code;

  public DiscException(DriveError code, String message) {
    super(message);
    this.code = code;
  }

  public DiscException(DriveError code, String message, Throwable cause) {
    super(message, cause);
    this.code = code;
  }

  public DriveError code() {
    return code;
  }
}
