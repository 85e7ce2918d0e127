package lathe.sink;

import com.google.protobuf.ByteString;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import lathe.protocol.Ack;
import lathe.protocol.ErrorCode;
import lathe.protocol.MarkerReached;
import lathe.protocol.MediaType;
import lathe.protocol.RecordingReply;
import lathe.protocol.Sample;
import lathe.protocol.SinkError;
import lathe.protocol.SinkEvent;
import lathe.protocol.StreamStatistics;
import lathe.protocol.StreamSummary;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractMatchingBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * One stream of a recording (IMFStreamSink). Checks each sample (sequence, decoding time, size), stages it, and
 * hands the staged samples to the file's writer in batches, at most two at a time; when a batch is durable it
 * acknowledges the owner and fires the markers placed behind it. Memory is the staged queue and those two batches
 * only: nothing grows with the recording's length.
 */
public final class StreamSinkActor extends AbstractMatchingBehavior<StreamSinkActor.Command> {

  public sealed interface Command extends LocalMessage {}

  public record Write(Sample sample) implements Command {}

  /** Samples of this stream in order, each checked as a {@link Write} of its own; one batch to the writer. */
  public record WriteAll(List<Sample> samples) implements Command {}

  /** A sample of {@code bytes} that the ingest kept back as too large; {@code sample} has no data. */
  public record TooLarge(Sample sample, long bytes) implements Command {}

  public record Tick(long time, ActorRef<RecordingReply> replyTo) implements Command {}

  public record Marker(ByteString context, ActorRef<RecordingReply> replyTo) implements Command {}

  /** NotifyEndOfSegment from the owner: later samples are refused. */
  public record EndStream(ActorRef<RecordingReply> replyTo) implements Command {}

  /** Drop staged samples not yet handed to the writer. */
  public record Flush(ActorRef<Answer> replyTo) implements Command {}

  public record GetStats(ActorRef<Answer> replyTo) implements Command {}

  /** Finalize's end-of-segment marker: answer once every accepted sample is durable. */
  public record EndOfSegment(ActorRef<Answer> replyTo) implements Command {}

  /** The writer's answer for {@code batches} of this stream's batches, all durable in one group commit. */
  public record BatchDurable(int stream, long lastSeq, int samples, long bytes, List<byte[]> markers, int batches)
      implements Command {}

  /** The writer's answer for {@code batches} of this stream's batches that will never be durable. */
  public record BatchFailed(SinkError error, int batches) implements Command {}

  /**
   * Batches a stream may have at the writer at once. With two, samples that arrive while a batch is being
   * committed are already in the writer's mailbox when that commit ends, and go into the very next one; with one,
   * they waited for the BatchDurable to come back first. (1,000 live streams, fsync: p99 ack 262-393 ms against
   * 340-426 ms, three runs each.)
   */
  static final int MAX_BATCHES_IN_FLIGHT = 2;

  /**
   * More batches go while a full batch ({@code batch-bytes}) waits, up to this many at the writer. Big samples
   * then reach the writer while the disk takes the previous ones (a commit of big samples is fsynced in the
   * background), instead of waiting here for its acknowledgement. Live streams of small samples never fill a
   * batch, so they keep to {@link #MAX_BATCHES_IN_FLIGHT}. Bytes at the writer stay bounded: this many batches.
   */
  static final int MAX_FULL_BATCHES_IN_FLIGHT = 8;

  /** What a stream answers to a gathered request. */
  public interface Answer extends LocalMessage {
    int stream();
  }

  public record SegmentEnded(int stream, StreamSummary summary, SinkError error) implements Answer {}

  public record Flushed(int stream, long dropped) implements Answer {}

  public record Stats(int stream, StreamStatistics statistics) implements Answer {}

  /** recording: the stream's events go to the owner through it ({@link RecordingActor.Relayed}). */
  public static Behavior<Command> create(int index, MediaType mediaType,
      ActorRef<RecordingActor.Command> recording, ActorRef<WriterActor.Command> writer, SinkSettings settings) {
    return Behaviors.setup(ctx -> new StreamSinkActor(ctx, index, mediaType, recording, writer, settings));
  }

  private final int index;
  private final MediaType mediaType;
  private final ActorRef<RecordingActor.Command> recording;
  private final ActorRef<WriterActor.Command> writer;
  private final SinkSettings settings;
  private final long startNanos = System.nanoTime();

  private final ArrayDeque<WriterActor.Item> staged = new ArrayDeque<>();
  private long stagedBytes;
  /** Batches handed to the writer and not yet answered. */
  private int inFlight;
  private boolean ended;
  private boolean discontinuityNext;
  private ActorRef<Answer> segmentEndReplyTo;
  private SinkError failure;

  private long received;
  private long written;
  private long writtenBytes;
  private long dropped;
  private long duplicates;
  private long lastSeq = -1;
  /** The sample a gap was last reported before, so that one gap is logged once, not once per refused sample. */
  private long gapLogged = -1;
  private long durableSeq = -1;
  private long lastPts;
  private long lastDts = Long.MIN_VALUE;
  private long durationSum;

  private StreamSinkActor(ActorContext<Command> ctx, int index, MediaType mediaType,
      ActorRef<RecordingActor.Command> recording, ActorRef<WriterActor.Command> writer, SinkSettings settings) {
    super(ctx);
    this.index = index;
    this.mediaType = mediaType;
    this.recording = recording;
    this.writer = writer;
    this.settings = settings;
  }

  /**
   * In turn, a live stream's two messages per sample first: plain type tests and direct calls, cheaper than a
   * receive builder's list of cases and its calls through a function object for every message.
   */
  @Override
  public Behavior<Command> onMessage(Command msg) {
    if (msg instanceof Write w) {
      return onWrite(w);
    } else if (msg instanceof BatchDurable d) {
      return onBatchDurable(d);
    } else if (msg instanceof WriteAll w) {
      return onWriteAll(w);
    } else if (msg instanceof TooLarge t) {
      take(t.sample(), t.bytes());
      return this;
    } else if (msg instanceof Tick t) {
      return onTick(t);
    } else if (msg instanceof Marker m) {
      return onMarker(m);
    } else if (msg instanceof EndStream e) {
      return onEndStream(e);
    } else if (msg instanceof Flush f) {
      return onFlush(f);
    } else if (msg instanceof GetStats g) {
      return onGetStats(g);
    } else if (msg instanceof EndOfSegment e) {
      return onEndOfSegment(e);
    } else if (msg instanceof BatchFailed f) {
      return onBatchFailed(f);
    }
    return Behaviors.unhandled();
  }

  private Behavior<Command> onWrite(Write w) {
    if (take(w.sample())) {
      pump();
    }
    return this;
  }

  private Behavior<Command> onWriteAll(WriteAll w) {
    boolean staged = false;
    for (Sample s : w.samples()) {
      staged |= take(s);
    }
    if (staged) {
      pump();
    }
    return this;
  }

  private boolean take(Sample s) {
    return take(s, s.getData().size());
  }

  /**
   * Checks one sample of {@code size} bytes and stages it; false when it was refused or a duplicate (nothing new
   * to write). {@code size} differs from the data's only for a sample the ingest kept back as too large.
   */
  private boolean take(Sample s, long size) {
    if (s.getSeq() <= lastSeq && failure == null) {
      // A producer resending after a lost connection or a gap: acknowledge, never write twice. A resent copy may
      // still be on its way when the stream ends its segment: it is acknowledged all the same.
      duplicates++;
      if (s.getSeq() <= durableSeq) {
        event(SinkEvent.newBuilder().setAck(Ack.newBuilder().setStream(index).setSeq(durableSeq)).build());
      }
      return false;
    }
    if (ended) {
      return refuse(s, ErrorCode.INVALID_REQUEST,
          "stream " + index + " has ended (end of segment); sample " + s.getSeq() + " was not written");
    }
    if (failure != null) {
      return refuse(s, failure.getCode(), failure.getMessage());
    }
    if (s.getSeq() > lastSeq + 1) {
      // An acknowledgement promises every earlier sample: one that never arrived must not be skipped over.
      if (gapLogged != lastSeq + 1) {
        gapLogged = lastSeq + 1;
        getContext().getLog().warn("stream {}: sample {} came before sample {}; samples were lost on the way, "
            + "refusing until they are resent", index, s.getSeq(), lastSeq + 1);
      }
      return refuseTransient(s, ErrorCode.SEQUENCE_GAP, "sample " + s.getSeq() + " of stream " + index
          + " came before sample " + (lastSeq + 1) + ": samples were lost on the way; resend from " + (lastSeq + 1));
    }
    if (size > settings.maxSampleBytes() || size != s.getData().size()) {
      // (A kept-back sample is refused even if this node's limit were larger: its data is not here.)
      return refuse(s, ErrorCode.SAMPLE_TOO_LARGE, "sample " + s.getSeq() + " of stream " + index + " has "
          + size + " bytes; the limit is " + settings.maxSampleBytes() + " (lathe.sink.max-sample-bytes)");
    }
    if (stagedBytes + s.getData().size() > settings.maxQueuedBytes()) {
      return refuseTransient(s, ErrorCode.QUEUE_FULL, "stream " + index + " has " + stagedBytes + " bytes waiting for the "
          + "disk (lathe.sink.max-queued-bytes); sample " + s.getSeq() + " was not taken: resend it after the next ack");
    }
    if (s.getDts() < lastDts) {
      return refuse(s, ErrorCode.TIMESTAMP_OUT_OF_ORDER, "sample " + s.getSeq() + " of stream " + index
          + " has dts " + s.getDts() + " before the previous sample's " + lastDts + "; decoding times may not go back");
    }
    if (s.getDuration() < 0) {
      return refuse(s, ErrorCode.INVALID_REQUEST, "sample " + s.getSeq() + " of stream " + index
          + " has a negative duration");
    }
    Sample sample = s;
    if (sample.getStream() != index || (discontinuityNext && !sample.getDiscontinuity())) {
      sample = sample.toBuilder().setStream(index).setDiscontinuity(sample.getDiscontinuity() || discontinuityNext)
          .build();
    }
    discontinuityNext = false;
    received++;
    lastSeq = sample.getSeq();
    lastDts = sample.getDts();
    lastPts = sample.getPts();
    staged.add(new WriterActor.SampleItem(sample));
    stagedBytes += sample.getData().size();
    return true;
  }

  /** A sample refused for good: the producer is told, and its sequence number is used up. */
  private boolean refuse(Sample s, ErrorCode code, String message) {
    lastSeq = Math.max(lastSeq, s.getSeq());
    return refuseTransient(s, code, message);
  }

  /** A sample refused for now (queue full, a gap before it): the same sequence number is welcome again. */
  private boolean refuseTransient(Sample s, ErrorCode code, String message) {
    event(Replies.streamError(Replies.error(code, index, s.getSeq(), message)));
    return false;
  }

  private Behavior<Command> onTick(Tick t) {
    if (ended) {
      t.replyTo().tell(Replies.failed(ErrorCode.INVALID_REQUEST, "stream " + index + " has ended"));
      return this;
    }
    discontinuityNext = true;
    staged.add(new WriterActor.TickItem(t.time()));
    pump();
    t.replyTo().tell(Replies.DONE);
    return this;
  }

  private Behavior<Command> onMarker(Marker m) {
    if (ended) {
      m.replyTo().tell(Replies.failed(ErrorCode.INVALID_REQUEST, "stream " + index + " has ended"));
      return this;
    }
    staged.add(new WriterActor.MarkerItem(m.context().toByteArray()));
    pump();
    m.replyTo().tell(Replies.DONE);
    return this;
  }

  private Behavior<Command> onEndStream(EndStream e) {
    ended = true;
    e.replyTo().tell(Replies.DONE);
    return this;
  }

  private Behavior<Command> onFlush(Flush f) {
    long n = 0;
    List<WriterActor.Item> keep = new ArrayList<>();
    for (WriterActor.Item item : staged) {
      if (item instanceof WriterActor.SampleItem s) {
        n++;
        stagedBytes -= s.sample().getData().size();
      } else {
        keep.add(item);
      }
    }
    staged.clear();
    staged.addAll(keep);
    dropped += n;
    f.replyTo().tell(new Flushed(index, n));
    pump();
    return this;
  }

  private Behavior<Command> onGetStats(GetStats g) {
    g.replyTo().tell(new Stats(index, statistics()));
    return this;
  }

  private Behavior<Command> onEndOfSegment(EndOfSegment e) {
    ended = true;
    segmentEndReplyTo = e.replyTo();
    maybeSegmentEnded();
    return this;
  }

  private Behavior<Command> onBatchDurable(BatchDurable d) {
    inFlight -= d.batches();
    if (d.samples() > 0) {
      written += d.samples();
      writtenBytes += d.bytes();
      durableSeq = d.lastSeq();
      event(SinkEvent.newBuilder().setAck(Ack.newBuilder().setStream(index).setSeq(durableSeq)).build());
    }
    for (byte[] context : d.markers()) {
      event(SinkEvent.newBuilder().setMarker(
          MarkerReached.newBuilder().setStream(index).setContext(ByteString.copyFrom(context))).build());
    }
    pump();
    maybeSegmentEnded();
    return this;
  }

  private Behavior<Command> onBatchFailed(BatchFailed f) {
    inFlight = Math.max(0, inFlight - f.batches());
    failure = f.error();
    for (WriterActor.Item item : staged) {
      if (item instanceof WriterActor.SampleItem) {
        dropped++;
      }
    }
    staged.clear();
    stagedBytes = 0;
    maybeSegmentEnded();
    return this;
  }

  /**
   * Hands the next batches to the writer, up to {@link #MAX_BATCHES_IN_FLIGHT} unanswered, or up to
   * {@link #MAX_FULL_BATCHES_IN_FLIGHT} while a full batch is waiting.
   */
  private void pump() {
    while ((inFlight < MAX_BATCHES_IN_FLIGHT
        || inFlight < MAX_FULL_BATCHES_IN_FLIGHT && stagedBytes >= settings.batchBytes())
        && !staged.isEmpty() && failure == null) {
      pumpOne();
    }
  }

  private void pumpOne() {
    List<WriterActor.Item> batch = new ArrayList<>();
    long bytes = 0;
    while (!staged.isEmpty() && (batch.isEmpty() || bytes < settings.batchBytes())) {
      WriterActor.Item item = staged.poll();
      if (item instanceof WriterActor.SampleItem s) {
        long size = s.sample().getData().size();
        bytes += size;
        stagedBytes -= size;
        durationSum += s.sample().getDuration();
      }
      batch.add(item);
    }
    inFlight++;
    writer.tell(new WriterActor.Append(index, List.copyOf(batch), getContext().getSelf()));
  }

  private void maybeSegmentEnded() {
    if (segmentEndReplyTo == null || inFlight > 0 || (!staged.isEmpty() && failure == null)) {
      return;
    }
    StreamSummary summary = StreamSummary.newBuilder()
        .setStream(index).setCodec(mediaType.getCodec()).setSamples(written).setBytes(writtenBytes)
        .setDuration(durationSum).setTimescale(mediaType.getTimescale()).build();
    segmentEndReplyTo.tell(new SegmentEnded(index, summary, failure));
    segmentEndReplyTo = null;
  }

  private StreamStatistics statistics() {
    double seconds = Math.max(1e-9, (System.nanoTime() - startNanos) / 1e9);
    return StreamStatistics.newBuilder()
        .setStream(index)
        .setReceived(received)
        .setWritten(written)
        .setDurable(settings.durability() == lathe.protocol.Durability.FSYNC ? written : 0)
        .setDropped(dropped)
        .setDuplicates(duplicates)
        .setQueuedBytes(stagedBytes)
        .setWrittenBytes(writtenBytes)
        .setLastPts(lastPts)
        .setLastDts(lastDts == Long.MIN_VALUE ? 0 : lastDts)
        .setDurableSeq(durableSeq)
        .setSamplesPerSecond(written / seconds)
        .setBytesPerSecond(writtenBytes / seconds)
        .setEnded(ended)
        .build();
  }

  private void event(SinkEvent e) {
    if (recording != null) {
      recording.tell(new RecordingActor.Relayed(e));
    }
  }
}
