package lathe.cli;

import java.util.concurrent.CompletionStage;
import lathe.protocol.FinalizeResult;
import lathe.protocol.MediaType;
import lathe.protocol.Sample;
import lathe.protocol.SinkEvent;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Where `lathe bench streams` sends its live producers' samples. The embedded node is one target; a gRPC
 * client to a cluster (`--cluster HOST:G`) is meant to be another, delivering its Ack events to the same owner
 * ref, so the producers and the figures stay the same.
 */
interface StreamsTarget {

  /** Create + AddStream + BeginWriting; events (acks) go to {@code owner}. */
  CompletionStage<Void> open(String name, MediaType type, ActorRef<SinkEvent> owner);

  void write(String name, Sample sample);

  CompletionStage<FinalizeResult> finalizeRecording(String name);
}
