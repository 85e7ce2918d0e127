package lathe.sink;

import lathe.protocol.ErrorCode;
import lathe.protocol.FinalizeResult;
import lathe.protocol.RecordingReply;
import lathe.protocol.SinkError;
import lathe.protocol.SinkEvent;

/** Builders for the protobuf replies and events, so that actors read as the contract table. */
public final class Replies {
  private Replies() {}

  public static final RecordingReply DONE = RecordingReply.newBuilder().setDone(true).build();

  public static SinkError error(ErrorCode code, String message) {
    return SinkError.newBuilder().setCode(code).setMessage(message).setStream(-1).build();
  }

  public static SinkError error(ErrorCode code, int stream, long seq, String message) {
    return SinkError.newBuilder().setCode(code).setMessage(message).setStream(stream).setSeq(seq).build();
  }

  public static RecordingReply failed(SinkError error) {
    return RecordingReply.newBuilder().setError(error).build();
  }

  public static RecordingReply failed(ErrorCode code, String message) {
    return failed(error(code, message));
  }

  public static RecordingReply finalized(FinalizeResult result) {
    return RecordingReply.newBuilder().setFinalized(result).build();
  }

  public static SinkEvent streamError(SinkError error) {
    return SinkEvent.newBuilder().setStreamError(error).build();
  }
}
