package lathe.source;

/** Bad source spec or unreadable input; the message is the one line the user sees. */
public final class SourceException extends RuntimeException {
  public SourceException(String message) {
    super(message);
  }

  public SourceException(String message, Throwable cause) {
    super(message, cause);
  }
}
