package lathe.disc;

/**
 * Stable error codes, each named after the IMAPI2 HRESULT it models. The code never changes once published;
 * the message says what happened and what to do.
 */
public enum DriveError {
  /** E_IMAPI_RECORDER_MEDIA_NO_MEDIA. */
  NO_MEDIA,
  /** E_IMAPI_DF2TAO_MEDIA_IS_NOT_BLANK: track-at-once audio needs a blank disc. */
  MEDIA_NOT_BLANK,
  /** E_IMAPI_DF2DATA_MEDIA_IS_NOT_APPENDABLE / E_IMAPI_RECORDER_MEDIA_NOT_FORMATTED: the disc is closed. */
  MEDIA_NOT_APPENDABLE,
  /** E_IMAPI_DF2TAO_MEDIA_IS_NOT_SUPPORTED: e.g. audio tracks on DVD or BD. */
  MEDIA_NOT_SUPPORTED,
  /** E_IMAPI_DF2TAO_MEDIA_IS_NOT_PREPARED: AddAudioTrack or ReleaseMedia without PrepareMedia. */
  MEDIA_NOT_PREPARED,
  /** E_IMAPI_DF2TAO_MEDIA_IS_PREPARED: a property that only changes while the media is not prepared. */
  MEDIA_IS_PREPARED,
  /** E_IMAPI_DF2TAO_TRACK_LIMIT_REACHED: 99 tracks per disc, across sessions. */
  TRACK_LIMIT_REACHED,
  /** E_IMAPI_DF2TAO_NOT_ENOUGH_SPACE. */
  NOT_ENOUGH_SPACE,
  /** E_IMAPI_DF2TAO_WRITE_IN_PROGRESS. */
  WRITE_IN_PROGRESS,
  /** E_IMAPI_DF2TAO_WRITE_NOT_IN_PROGRESS: CancelAddTrack with nothing being written. */
  WRITE_NOT_IN_PROGRESS,
  /** E_IMAPI_DF2TAO_STREAM_NOT_SUPPORTED: audio must be 44.1 kHz 16-bit stereo PCM. */
  STREAM_NOT_SUPPORTED,
  /** E_IMAPI_REQUEST_CANCELLED: the track was cancelled; what was written stays on the disc. */
  CANCELLED,
  /** E_IMAPI_RECORDER_..._WRITE_ERROR: the drive failed while writing (the partial track stays). */
  WRITE_FAILED,
  /** E_INVALIDARG: a bad argument such as a speed outside 1x..52x or a missing file. */
  INVALID_ARGUMENT,
  /** An I/O error of the host (image folder unreadable, xorriso missing...). */
  IO_ERROR
}
