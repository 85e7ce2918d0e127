package lathe.drive;

import lathe.disc.DriveError;

/** A drive answered with an error: its stable code and message, for callers outside the actor world. */
public final class DriveFailure extends RuntimeException {
  private final DriveError code;

  public DriveFailure(DriveError code, String message) {
    super(code + ": " + message);
    this.code = code;
  }

  public DriveError code() {
    return code;
  }
}
