package lathe.cli;

import com.google.protobuf.ByteString;
import lathe.protocol.FinalizeResult;
import lathe.protocol.MediaType;
import lathe.protocol.Sample;
import lathe.protocol.SinkEvent;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractMatchingBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * One live producer of `lathe bench streams`: opens its recording, sends one sample per {@link Tick} of the
 * {@link Pacer} (fixed rate, so a late tick is caught up as a live source would), and records each sample's time
 * from send to the Ack that covers it. On Stop it stops sending, waits for the last ack and finalizes.
 */
final class LiveProducer extends AbstractMatchingBehavior<LiveProducer.Command> {

  sealed interface Command {}

  /** Open the recording. */
  record Start(ActorRef<Report> replyTo) implements Command {}

  /**
   * Send on each Tick until {@code stopAtNanos} (System.nanoTime), the same deadline for every producer;
   * latencies count from samples sent at {@code measureFromNanos} on (the warm-up before it fills caches and
   * compiles code).
   */
  record Go(long measureFromNanos, long stopAtNanos) implements Command {}

  record Stop(ActorRef<Report> replyTo) implements Command {}

  /** opened / finished; error null when all went well. */
  record Report(String name, long sent, long acked, long refused, String error) {}

  /** Send the next sample now (from the {@link Pacer}, after Go). */
  enum Tick implements Command { INSTANCE }

  private record Opened(Throwable failure) implements Command {}

  private record Event(SinkEvent event) implements Command {}

  private record Finalized(FinalizeResult result, Throwable failure) implements Command {}

  private static final int RING = 1 << 12; // 82 s of 20 ms samples unacknowledged; 32 KiB per producer

  static Behavior<Command> create(String name, StreamsTarget target, MediaType type, ByteString data,
      long ticksPerSample, LatencyHistogram latencies) {
    return Behaviors.setup(ctx -> new LiveProducer(ctx, name, target, type, data, ticksPerSample, latencies));
  }

  private final String name;
  private final StreamsTarget target;
  private final MediaType type;
  private final ByteString data;
  private final long ticksPerSample;
  private final LatencyHistogram latencies;
  private final long[] sentNanos = new long[RING];
  private final ActorRef<SinkEvent> owner;

  private ActorRef<Report> startReplyTo;
  private boolean going;
  private long stopAtNanos;
  private long measureFromNanos;
  private ActorRef<Report> stopReplyTo;
  private boolean stopping;
  private long seq;
  private long lastAck = -1;
  private long refused;
  private String error;

  private LiveProducer(ActorContext<Command> ctx, String name, StreamsTarget target, MediaType type,
      ByteString data, long ticksPerSample, LatencyHistogram latencies) {
    super(ctx);
    this.name = name;
    this.target = target;
    this.type = type;
    this.data = data;
    this.ticksPerSample = ticksPerSample;
    this.latencies = latencies;
    this.owner = ctx.messageAdapter(SinkEvent.class, Event::new);
  }

  /** In turn, the two messages per sample first. */
  @Override
  public Behavior<Command> onMessage(Command msg) {
    if (msg instanceof Tick) {
      return onTick();
    } else if (msg instanceof Event e) {
      return onEvent(e);
    } else if (msg instanceof Start s) {
      return onStart(s);
    } else if (msg instanceof Opened o) {
      return onOpened(o);
    } else if (msg instanceof Go g) {
      return onGo(g);
    } else if (msg instanceof Stop s) {
      return onStop(s);
    } else if (msg instanceof Finalized f) {
      return onFinalized(f);
    }
    return Behaviors.unhandled();
  }

  private Behavior<Command> onStart(Start s) {
    startReplyTo = s.replyTo();
    getContext().pipeToSelf(target.open(name, type, owner), (ok, failure) -> new Opened(failure));
    return this;
  }

  private Behavior<Command> onOpened(Opened o) {
    if (o.failure() != null) {
      error = "opening failed: " + o.failure().getMessage();
    }
    startReplyTo.tell(report());
    return this;
  }

  private Behavior<Command> onGo(Go g) {
    stopAtNanos = g.stopAtNanos();
    measureFromNanos = g.measureFromNanos();
    going = true;
    return this;
  }

  private Behavior<Command> onTick() {
    if (!going || stopping || error != null) {
      return this;
    }
    if (System.nanoTime() - stopAtNanos >= 0) {
      // A backlogged mailbox may deliver Stop late; the deadline keeps every producer to the same duration.
      stopping = true;
      return this;
    }
    if (seq - lastAck >= RING) {
      error = "more than " + RING + " samples unacknowledged: the node does not keep up";
      return this;
    }
    long t = seq * ticksPerSample;
    Sample s = Sample.newBuilder().setStream(0).setSeq(seq).setPts(t).setDts(t).setDuration(ticksPerSample)
        .setKey(true).setData(data).build();
    sentNanos[(int) (seq & (RING - 1))] = System.nanoTime();
    target.write(name, s);
    seq++;
    return this;
  }

  private Behavior<Command> onEvent(Event e) {
    SinkEvent ev = e.event();
    if (ev.hasAck()) {
      long now = System.nanoTime();
      long acked = Math.min(ev.getAck().getSeq(), seq - 1);
      for (long k = lastAck + 1; k <= acked; k++) {
        long sent = sentNanos[(int) (k & (RING - 1))];
        if (sent - measureFromNanos >= 0) {
          latencies.record((now - sent) / 1000);
        }
      }
      lastAck = Math.max(lastAck, acked);
    } else if (ev.hasStreamError()) {
      refused++;
      if (error == null) {
        error = ev.getStreamError().getMessage();
      }
    } else if (ev.hasFileWriteError() && error == null) {
      error = ev.getFileWriteError().getMessage();
    }
    maybeFinalize();
    return this;
  }

  private Behavior<Command> onStop(Stop s) {
    stopping = true;
    stopReplyTo = s.replyTo();
    maybeFinalize();
    return this;
  }

  private void maybeFinalize() {
    if (stopping && stopReplyTo != null && (lastAck == seq - 1 || error != null) && !finalizing) {
      finalizing = true;
      getContext().pipeToSelf(target.finalizeRecording(name), Finalized::new);
    }
  }

  private boolean finalizing;

  private Behavior<Command> onFinalized(Finalized f) {
    if (f.failure() != null && error == null) {
      error = "finalize failed: " + f.failure().getMessage();
    } else if (f.result() != null && !f.result().getOk() && error == null) {
      error = "finalize failed: " + f.result().getError().getMessage();
    }
    stopReplyTo.tell(report());
    return Behaviors.stopped();
  }

  private Report report() {
    return new Report(name, seq, lastAck + 1, refused, error);
  }
}
