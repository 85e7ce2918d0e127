package lathe.disc;

/** What a drive reports about its tray, IMAPI2 IMAPI_FORMAT2_DATA_MEDIA_STATE in four words. */
public enum MediaState {
  /** The tray is empty. */
  NONE,
  /** Nothing written yet. */
  BLANK,
  /** At least one session, and another one may be added. */
  APPENDABLE,
  /** Finalized: nothing more can be written. */
  CLOSED
}
