package lathe.sink;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import lathe.protocol.Ack;
import lathe.protocol.Container;
import lathe.protocol.ErrorCode;
import lathe.protocol.FileInfo;
import lathe.protocol.FinalizeResult;
import lathe.protocol.JournalHeader;
import lathe.protocol.MediaType;
import lathe.protocol.Metadata;
import lathe.protocol.RecordingReply;
import lathe.protocol.Sample;
import lathe.protocol.SinkError;
import lathe.protocol.SinkEvent;
import lathe.protocol.Statistics;
import lathe.protocol.StreamStatistics;
import lathe.protocol.StreamSummary;
import lathe.sink.container.ContainerFormat;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.Signal;
import org.apache.pekko.actor.typed.javadsl.AbstractMatchingBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * The file actor of one recording (IMFSinkWriter), a Cluster Sharding entity. It holds the contract's state
 * machine; each stream is a {@link StreamSinkActor} child and the files belong to a {@link WriterActor} child on
 * the I/O dispatcher. Finalize fans an end-of-segment marker out to every stream, gathers their answers
 * ({@link Gather}), and only then has the writer commit the headers and rename the file.
 */
public final class RecordingActor extends AbstractMatchingBehavior<RecordingActor.Command> {

  public sealed interface Command {}

  /** Commands from the owner: they may cross nodes and are serialized by {@link SinkSerializer}. */
  public sealed interface External extends Command, SinkMessage {}

  /** MFCreateSinkWriterFromURL: the output path, its container (UNSPECIFIED = by extension), the owner. */
  public record Create(String path, Container container, Metadata metadata, ActorRef<SinkEvent> owner,
      ActorRef<RecordingReply> replyTo) implements External {}

  public record AddStream(MediaType mediaType, ActorRef<RecordingReply> replyTo) implements External {}

  public record BeginWriting(ActorRef<RecordingReply> replyTo) implements External {}

  /** No reply: progress is the owner's Ack events, refusals its stream_error events. */
  public record WriteSample(Sample sample) implements External {}

  /**
   * Several samples in one message, in order, each handled as a {@link WriteSample} of its own: a producer that
   * is ahead (a gRPC batch) pays one trip through sharding for all of them.
   */
  public record WriteSamples(List<Sample> samples) implements External {
    public WriteSamples {
      samples = List.copyOf(samples);
    }
  }

  /**
   * A sample the ingest kept back because it is larger than {@code lathe.sink.max-sample-bytes}: {@code sample}
   * without its data, {@code bytes} its size. Its stream refuses it with SAMPLE_TOO_LARGE and uses up its seq.
   */
  public record RefuseSample(Sample sample, long bytes) implements External {}

  public record SendStreamTick(int stream, long time, ActorRef<RecordingReply> replyTo) implements External {}

  public record PlaceMarker(int stream, ByteString context, ActorRef<RecordingReply> replyTo)
      implements External {}

  /** stream -1 = every stream. */
  public record NotifyEndOfSegment(int stream, ActorRef<RecordingReply> replyTo) implements External {}

  /** stream -1 = every stream. */
  public record Flush(int stream, ActorRef<RecordingReply> replyTo) implements External {}

  public record Finalize(ActorRef<RecordingReply> replyTo) implements External {}

  /** stream -1 = every stream. */
  public record GetStatistics(int stream, ActorRef<RecordingReply> replyTo) implements External {}

  /**
   * Sends the recording's events to a new owner from now on: a producer that lost its connection attaches again
   * (through any node) and resends from its last acknowledged sequence number.
   */
  public record Attach(ActorRef<SinkEvent> owner, ActorRef<RecordingReply> replyTo) implements External {}

  /** Stop writing and leave NAME.part + NAME.journal for recovery. */
  public record Abort(String reason, ActorRef<RecordingReply> replyTo) implements External {}

  /**
   * The shard's stop message (its node shuts down): a recording that is writing is finalized first, so that a
   * SIGTERM leaves finished files; one that cannot finish stays recoverable.
   */
  private record Stop() implements Command, LocalMessage {}

  private record StopNow() implements Command, LocalMessage {}

  /**
   * An event of one of this recording's streams, for the owner. Streams report through the recording, so that
   * Attach moves every event to a new owner at once; they send this themselves (a message adapter per event cost
   * more than the relay).
   */
  record Relayed(SinkEvent event) implements Command, LocalMessage {}

  private record WriterReport(WriterActor.Report report) implements Command, LocalMessage {}

  private record Answers(Gather.Gathered gathered) implements Command, LocalMessage {}

  private record CommitDone(WriterActor.Committed committed) implements Command, LocalMessage {}

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "Recording");

  /** Starts the sharding region of recordings on this node; recordings are never passivated while open. */
  public static ActorRef<ShardingEnvelope<Command>> initSharding(ActorSystem<?> system, SinkSettings settings) {
    return ClusterSharding.get(system).init(
        Entity.of(TYPE_KEY, ctx -> create(ctx.getEntityId(), settings, ctx.getShard()))
            .withStopMessage(new Stop())
            .withAllocationStrategy(new KeepShardsInPlace())
            .withSettings(ClusterShardingSettings.create(system).withNoPassivationStrategy()));
  }

  /** Recordings live only on nodes with {@code role}; other nodes run a proxy that routes to them. */
  public static ActorRef<ShardingEnvelope<Command>> initSharding(ActorSystem<?> system, SinkSettings settings,
      String role) {
    return ClusterSharding.get(system).init(
        Entity.of(TYPE_KEY, ctx -> create(ctx.getEntityId(), settings, ctx.getShard()))
            .withRole(role)
            .withStopMessage(new Stop())
            .withAllocationStrategy(new KeepShardsInPlace())
            .withSettings(ClusterShardingSettings.create(system).withNoPassivationStrategy()));
  }

  /** A recording outside sharding (tests, benchmarks): an aborted one just stops. */
  public static Behavior<Command> create(String name, SinkSettings settings) {
    return create(name, settings, null);
  }

  /** shard: the sharding entity's shard, asked to passivate an aborted recording; null outside sharding. */
  static Behavior<Command> create(String name, SinkSettings settings,
      ActorRef<ClusterSharding.ShardCommand> shard) {
    return Behaviors.setup(ctx -> new RecordingActor(ctx, name, settings, shard));
  }

  public enum State { CONFIGURING, OPENING, WRITING, FINALIZING, FINALIZED, FAILED, ABORTED }

  private final String name;
  private final SinkSettings settings;
  private final ActorRef<ClusterSharding.ShardCommand> shard;
  /** Aborted before anything was written, and its shard asked to stop it: commands are for the next one. */
  private boolean passivating;
  private State state = State.CONFIGURING;
  private boolean created;
  private Path path;
  private ContainerFormat format;
  private Metadata metadata = Metadata.getDefaultInstance();
  private ActorRef<SinkEvent> owner;
  private final List<MediaType> mediaTypes = new ArrayList<>();
  private final Map<Integer, ActorRef<StreamSinkActor.Command>> streams = new LinkedHashMap<>();
  private ActorRef<WriterActor.Command> writer;
  private ActorRef<RecordingReply> beginReplyTo;
  private final List<ActorRef<RecordingReply>> finalizeWaiters = new ArrayList<>();
  private long finalizeStartNanos;
  private Map<Integer, StreamSinkActor.Answer> segmentSummaries = Map.of();
  private SinkError failure;
  private FinalizeResult finalizeResult;
  private final ActorRef<WriterActor.Report> reportAdapter;
  private final ActorRef<Gather.Gathered> answersAdapter;
  private int queries;
  private boolean stopWhenDone;

  private RecordingActor(ActorContext<Command> ctx, String name, SinkSettings settings,
      ActorRef<ClusterSharding.ShardCommand> shard) {
    super(ctx);
    this.name = name;
    this.settings = settings;
    this.shard = shard;
    this.reportAdapter = ctx.messageAdapter(WriterActor.Report.class, WriterReport::new);
    this.answersAdapter = ctx.messageAdapter(Gather.Gathered.class, Answers::new);
  }

  /** In turn, a live stream's two messages per sample first (see {@link StreamSinkActor#onMessage}). */
  @Override
  public Behavior<Command> onMessage(Command msg) {
    if (msg instanceof Relayed r) {
      event(r.event());
      return this;
    } else if (passivating && msg instanceof External m) {
      return toNextIncarnation(m);
    } else if (msg instanceof WriteSample w) {
      return onWriteSample(w);
    } else if (msg instanceof WriteSamples w) {
      return onWriteSamples(w);
    } else if (msg instanceof Create c) {
      return onCreate(c);
    } else if (msg instanceof AddStream a) {
      return onAddStream(a);
    } else if (msg instanceof BeginWriting b) {
      return onBeginWriting(b);
    } else if (msg instanceof RefuseSample r) {
      return onRefuseSample(r);
    } else if (msg instanceof SendStreamTick t) {
      return onSendStreamTick(t);
    } else if (msg instanceof PlaceMarker m) {
      return onPlaceMarker(m);
    } else if (msg instanceof NotifyEndOfSegment n) {
      return onNotifyEndOfSegment(n);
    } else if (msg instanceof Flush f) {
      return onFlush(f);
    } else if (msg instanceof Finalize f) {
      return onFinalize(f);
    } else if (msg instanceof GetStatistics g) {
      return onGetStatistics(g);
    } else if (msg instanceof Abort a) {
      return onAbort(a);
    } else if (msg instanceof Attach a) {
      return onAttach(a);
    } else if (msg instanceof Stop st) {
      return onStop(st);
    } else if (msg instanceof StopNow) {
      return Behaviors.stopped();
    } else if (msg instanceof WriterReport r) {
      return onWriterReport(r);
    } else if (msg instanceof Answers a) {
      return onAnswers(a);
    } else if (msg instanceof CommitDone c) {
      return onCommitDone(c);
    }
    return Behaviors.unhandled();
  }

  @Override
  public Behavior<Command> onSignal(Signal signal) {
    return signal instanceof PostStop ? this : Behaviors.unhandled();
  }

  // ---- configuring ------------------------------------------------------------------------------------------

  private Behavior<Command> onCreate(Create c) {
    if (created) {
      c.replyTo().tell(Replies.failed(ErrorCode.INVALID_REQUEST,
          "recording " + name + " was already created (for " + path + ")"));
      return this;
    }
    if (c.path() == null || c.path().isBlank()) {
      c.replyTo().tell(Replies.failed(ErrorCode.INVALID_REQUEST, "Create needs an output path"));
      return this;
    }
    Path p;
    try {
      p = resolve(c.path());
    } catch (IllegalArgumentException e) {
      c.replyTo().tell(Replies.failed(ErrorCode.INVALID_REQUEST, e.getMessage()));
      return this;
    }
    Container container = c.container() == Container.CONTAINER_UNSPECIFIED ? byExtension(p) : c.container();
    if (container == null) {
      c.replyTo().tell(Replies.failed(ErrorCode.INVALID_REQUEST, "cannot tell the container from the name "
          + p.getFileName() + "; use .wav (bwf) or .mp4, or name the container"));
      return this;
    }
    ContainerFormat f = settings.formats().get(container);
    if (f == null) {
      c.replyTo().tell(Replies.failed(ErrorCode.INVALID_REQUEST,
          "container " + container.name().toLowerCase(Locale.ROOT) + " is not available on this node"));
      return this;
    }
    created = true;
    path = p;
    format = f;
    metadata = c.metadata() == null ? Metadata.getDefaultInstance() : c.metadata();
    owner = c.owner();
    observe(0);
    c.replyTo().tell(Replies.DONE);
    return this;
  }

  /** Without an archive root the path is absolute; with one it is relative and may not leave the root. */
  private Path resolve(String given) {
    Path root = settings.archiveRoot();
    if (root == null) {
      return Path.of(given).toAbsolutePath().normalize();
    }
    Path rel = Path.of(given);
    Path p = root.resolve(rel).normalize();
    if (rel.isAbsolute() || !p.startsWith(root) || p.equals(root)) {
      throw new IllegalArgumentException("recording name " + given + " leaves the archive; use a relative name "
          + "such as show/take1.wav");
    }
    return p;
  }

  private Behavior<Command> onAttach(Attach a) {
    if (!created) {
      a.replyTo().tell(Replies.failed(ErrorCode.INVALID_REQUEST, "no recording " + name + " to attach to"));
      return this;
    }
    owner = a.owner();
    a.replyTo().tell(Replies.DONE);
    return this;
  }

  private void observe(long bytes) {
    if (settings.observer() != null) {
      settings.observer().changed(name, stateName(), path, bytes);
    }
  }

  static Container byExtension(Path p) {
    String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
    if (n.endsWith(".wav") || n.endsWith(".bwf") || n.endsWith(".rf64")) {
      return Container.BWF;
    }
    if (n.endsWith(".mp4") || n.endsWith(".m4a") || n.endsWith(".mov") || n.endsWith(".m4v")) {
      return Container.MP4;
    }
    return null;
  }

  private Behavior<Command> onAddStream(AddStream a) {
    if (!created) {
      a.replyTo().tell(Replies.failed(ErrorCode.INVALID_REQUEST, "Create the recording before AddStream"));
      return this;
    }
    if (state != State.CONFIGURING) {
      a.replyTo().tell(Replies.failed(ErrorCode.INVALID_REQUEST,
          "AddStream is only allowed before BeginWriting (recording is " + stateName() + ")"));
      return this;
    }
    String invalid = MediaTypes.check(a.mediaType());
    if (invalid == null) {
      invalid = format.refuse(List.copyOf(mediaTypes), MediaTypes.normalize(a.mediaType()));
    }
    if (invalid != null) {
      a.replyTo().tell(Replies.failed(ErrorCode.INVALID_MEDIA_TYPE, invalid));
      return this;
    }
    mediaTypes.add(MediaTypes.normalize(a.mediaType()));
    a.replyTo().tell(RecordingReply.newBuilder().setStreamAdded(mediaTypes.size() - 1).build());
    return this;
  }

  private Behavior<Command> onBeginWriting(BeginWriting b) {
    if (!created || state != State.CONFIGURING) {
      b.replyTo().tell(Replies.failed(ErrorCode.INVALID_REQUEST, created
          ? "BeginWriting was already called (recording is " + stateName() + ")"
          : "Create the recording before BeginWriting"));
      return this;
    }
    if (mediaTypes.isEmpty()) {
      b.replyTo().tell(Replies.failed(ErrorCode.INVALID_REQUEST, "add at least one stream before BeginWriting"));
      return this;
    }
    JournalHeader header = JournalHeader.newBuilder()
        .setPath(path.toString())
        .setContainer(format.container())
        .addAllStreams(mediaTypes)
        .setMetadata(metadata)
        .setCreatedEpochMillis(System.currentTimeMillis())
        .build();
    writer = getContext().spawn(
        WriterActor.create(settings.archiveRoot() != null, path, format, header, settings.durability(),
            settings.writeBehindBytes(), settings.commitLog(), reportAdapter),
        "writer", DispatcherSelector.fromConfig(settings.ioDispatcher()));
    state = State.OPENING;
    beginReplyTo = b.replyTo();
    return this;
  }

  private Behavior<Command> onWriterReport(WriterReport r) {
    if (r.report() instanceof WriterActor.Opened) {
      for (int i = 0; i < mediaTypes.size(); i++) {
        streams.put(i, getContext().spawn(
            StreamSinkActor.create(i, mediaTypes.get(i), getContext().getSelf(), writer, settings), "stream-" + i));
      }
      state = State.WRITING;
      observe(0);
      beginReplyTo.tell(Replies.DONE);
      beginReplyTo = null;
    } else if (r.report() instanceof WriterActor.Failed f) {
      if (state == State.OPENING) {
        // Nothing was written: the owner may Abort, or fix the cause and try BeginWriting again.
        state = State.CONFIGURING;
        getContext().stop(writer);
        writer = null;
        beginReplyTo.tell(Replies.failed(f.error()));
        beginReplyTo = null;
      } else if (state == State.WRITING || state == State.FINALIZING) {
        failure = f.error();
        event(SinkEvent.newBuilder().setFileWriteError(failure).build());
        boolean finalizing = state == State.FINALIZING;
        state = State.FAILED;
        if (finalizing) {
          finish(failed(failure));
        } else {
          observe(0);
        }
      }
    }
    return this;
  }

  // ---- writing ----------------------------------------------------------------------------------------------

  private Behavior<Command> onWriteSample(WriteSample w) {
    Sample s = w.sample();
    if (state == State.FINALIZING && streams.containsKey(s.getStream())) {
      // Only a resent copy can still come (the owner finalizes after its acks): its stream acknowledges it.
      streams.get(s.getStream()).tell(new StreamSinkActor.Write(s));
      return this;
    }
    if (state == State.FINALIZED && duplicateOfFinalized(s)) {
      return this;
    }
    if (state == State.WRITING) {
      ActorRef<StreamSinkActor.Command> stream = streams.get(s.getStream());
      if (stream == null) {
        noSuchStream(s);
      } else {
        stream.tell(new StreamSinkActor.Write(s));
      }
    } else if (state == State.FAILED && failure != null) {
      event(Replies.streamError(Replies.error(failure.getCode(), s.getStream(), s.getSeq(), failure.getMessage())));
    } else {
      event(Replies.streamError(Replies.error(ErrorCode.INVALID_REQUEST, s.getStream(), s.getSeq(),
          "WriteSample is refused while the recording is " + stateName()
              + (state == State.CONFIGURING || state == State.OPENING ? " (call BeginWriting first)" : ""))));
    }
    return this;
  }

  /** While writing, each stream gets its part of the batch as one message; otherwise sample by sample. */
  private Behavior<Command> onWriteSamples(WriteSamples w) {
    if (state != State.WRITING) {
      for (Sample s : w.samples()) {
        onWriteSample(new WriteSample(s));
      }
      return this;
    }
    Map<Integer, List<Sample>> byStream = new java.util.TreeMap<>();
    for (Sample s : w.samples()) {
      if (streams.containsKey(s.getStream())) {
        byStream.computeIfAbsent(s.getStream(), k -> new ArrayList<>()).add(s);
      } else {
        noSuchStream(s);
      }
    }
    byStream.forEach((index, samples) -> streams.get(index).tell(samples.size() == 1
        ? new StreamSinkActor.Write(samples.get(0)) : new StreamSinkActor.WriteAll(samples)));
    return this;
  }

  private Behavior<Command> onRefuseSample(RefuseSample r) {
    Sample s = r.sample();
    if (state == State.WRITING && streams.containsKey(s.getStream())) {
      streams.get(s.getStream()).tell(new StreamSinkActor.TooLarge(s, r.bytes()));
      return this;
    }
    // Anything else answers as for the sample itself; a stream that takes it (a resent copy while finalizing)
    // refuses or acknowledges it without writing, for it carries no data.
    return onWriteSample(new WriteSample(s.getData().isEmpty() ? s : s.toBuilder().clearData().build()));
  }

  private void noSuchStream(Sample s) {
    event(Replies.streamError(Replies.error(ErrorCode.INVALID_STREAM_NUMBER, s.getStream(), s.getSeq(),
        "no stream " + s.getStream() + " (the recording has " + streams.size() + ")")));
  }

  /** A resent copy of a sample already in the finalized file is acknowledged with what the file holds. */
  private boolean duplicateOfFinalized(Sample s) {
    if (finalizeResult == null || !finalizeResult.getOk()) {
      return false;
    }
    for (StreamSummary summary : finalizeResult.getFile().getStreamsList()) {
      if (summary.getStream() == s.getStream() && s.getSeq() < summary.getSamples()) {
        event(SinkEvent.newBuilder().setAck(Ack.newBuilder().setStream(s.getStream())
            .setSeq(summary.getSamples() - 1)).build());
        return true;
      }
    }
    return false;
  }

  private Behavior<Command> onSendStreamTick(SendStreamTick t) {
    ActorRef<StreamSinkActor.Command> stream = writingStream("SendStreamTick", t.stream(), t.replyTo());
    if (stream != null) {
      stream.tell(new StreamSinkActor.Tick(t.time(), t.replyTo()));
    }
    return this;
  }

  private Behavior<Command> onPlaceMarker(PlaceMarker m) {
    ActorRef<StreamSinkActor.Command> stream = writingStream("PlaceMarker", m.stream(), m.replyTo());
    if (stream != null) {
      stream.tell(new StreamSinkActor.Marker(m.context(), m.replyTo()));
    }
    return this;
  }

  private Behavior<Command> onNotifyEndOfSegment(NotifyEndOfSegment n) {
    if (n.stream() == -1 && checkWriting("NotifyEndOfSegment", n.replyTo())) {
      // The streams need not confirm one by one: they are local children and handle it before later messages.
      streams.values().forEach(s -> s.tell(new StreamSinkActor.EndStream(getContext().getSystem().ignoreRef())));
      n.replyTo().tell(Replies.DONE);
    } else if (n.stream() != -1) {
      ActorRef<StreamSinkActor.Command> stream = writingStream("NotifyEndOfSegment", n.stream(), n.replyTo());
      if (stream != null) {
        stream.tell(new StreamSinkActor.EndStream(n.replyTo()));
      }
    }
    return this;
  }

  private Behavior<Command> onFlush(Flush f) {
    if (f.stream() == -1) {
      if (checkWriting("Flush", f.replyTo())) {
        ask(streams, StreamSinkActor.Flush::new, f);
      }
    } else if (writingStream("Flush", f.stream(), f.replyTo()) != null) {
      ask(Map.of(f.stream(), streams.get(f.stream())), StreamSinkActor.Flush::new, f);
    }
    return this;
  }

  private Behavior<Command> onGetStatistics(GetStatistics g) {
    if (g.stream() != -1 && (g.stream() < 0 || g.stream() >= mediaTypes.size())) {
      g.replyTo().tell(Replies.failed(ErrorCode.INVALID_STREAM_NUMBER, "no stream " + g.stream()));
      return this;
    }
    Map<Integer, ActorRef<StreamSinkActor.Command>> targets = new LinkedHashMap<>();
    streams.forEach((i, ref) -> {
      if (g.stream() == -1 || g.stream() == i) {
        targets.put(i, ref);
      }
    });
    if (targets.isEmpty()) {
      // Before BeginWriting (or after the streams are gone) there is nothing to count but the streams.
      Statistics.Builder stats = Statistics.newBuilder().setState(stateName());
      for (int i = 0; i < mediaTypes.size(); i++) {
        if (g.stream() == -1 || g.stream() == i) {
          stats.addStreams(statisticsAfterTheEnd(i));
        }
      }
      g.replyTo().tell(RecordingReply.newBuilder().setStatistics(stats).build());
      return this;
    }
    ask(targets, StreamSinkActor.GetStats::new, g);
    return this;
  }

  private StreamStatistics statisticsAfterTheEnd(int i) {
    StreamStatistics.Builder s = StreamStatistics.newBuilder().setStream(i).setDurableSeq(-1);
    if (segmentSummaries.get(i) instanceof StreamSinkActor.SegmentEnded e) {
      s.setWritten(e.summary().getSamples()).setWrittenBytes(e.summary().getBytes()).setEnded(true);
    }
    return s.build();
  }

  private void ask(Map<Integer, ActorRef<StreamSinkActor.Command>> targets,
      java.util.function.Function<ActorRef<StreamSinkActor.Answer>, StreamSinkActor.Command> question,
      Object tag) {
    java.time.Duration timeout = tag instanceof Finalize ? settings.finalizeTimeout() : settings.statisticsTimeout();
    getContext().spawn(Gather.create(Map.copyOf(targets), question, timeout, tag, answersAdapter),
        "query-" + (++queries));
  }

  // ---- finalize ---------------------------------------------------------------------------------------------

  private Behavior<Command> onFinalize(Finalize f) {
    switch (state) {
      case WRITING -> {
        state = State.FINALIZING;
        finalizeStartNanos = System.nanoTime();
        finalizeWaiters.add(f.replyTo());
        ask(streams, StreamSinkActor.EndOfSegment::new, f);
      }
      case FINALIZING -> finalizeWaiters.add(f.replyTo());
      case FINALIZED, ABORTED -> f.replyTo().tell(Replies.finalized(finalizeResult));
      case FAILED -> {
        if (finalizeResult == null) {
          finalizeResult = failed(failure);
        }
        f.replyTo().tell(Replies.finalized(finalizeResult));
      }
      default -> f.replyTo().tell(Replies.failed(ErrorCode.INVALID_STATE,
          "Finalize needs a recording that is writing; this one is " + stateName() + " (call BeginWriting first)"));
    }
    return this;
  }

  private Behavior<Command> onAnswers(Answers a) {
    Gather.Gathered g = a.gathered();
    if (g.tag() instanceof Finalize) {
      onSegmentsEnded(g);
    } else if (g.tag() instanceof Flush f) {
      long dropped = 0;
      for (StreamSinkActor.Answer answer : g.answers().values()) {
        dropped += ((StreamSinkActor.Flushed) answer).dropped();
      }
      f.replyTo().tell(RecordingReply.newBuilder().setFlushed(dropped).build());
    } else if (g.tag() instanceof GetStatistics s) {
      Statistics.Builder stats = Statistics.newBuilder().setState(stateName());
      g.answers().values().stream()
          .map(x -> ((StreamSinkActor.Stats) x).statistics())
          .sorted(java.util.Comparator.comparingInt(StreamStatistics::getStream))
          .forEach(stats::addStreams);
      s.replyTo().tell(RecordingReply.newBuilder().setStatistics(stats).build());
    }
    return this;
  }

  private void onSegmentsEnded(Gather.Gathered g) {
    if (state != State.FINALIZING) {
      return; // a write error already failed this Finalize
    }
    if (!g.missing().isEmpty()) {
      failure = Replies.error(ErrorCode.FINALIZE_TIMEOUT, "stream(s) " + g.missing()
          + " did not end their segment within " + settings.finalizeTimeout().toMillis() + " ms; "
          + WriterActor.partOf(path) + " stays recoverable with `lathe recover`");
      state = State.FAILED;
      stopChildren();
      finish(failed(failure));
      return;
    }
    for (StreamSinkActor.Answer answer : g.answers().values()) {
      SinkError e = ((StreamSinkActor.SegmentEnded) answer).error();
      if (e != null) {
        failure = e;
        state = State.FAILED;
        stopChildren();
        finish(failed(e));
        return;
      }
    }
    segmentSummaries = g.answers();
    ActorRef<WriterActor.Committed> adapter =
        getContext().messageAdapter(WriterActor.Committed.class, CommitDone::new);
    writer.tell(new WriterActor.Commit(adapter));
  }

  private Behavior<Command> onCommitDone(CommitDone c) {
    WriterActor.Committed done = c.committed();
    if (state != State.FINALIZING) {
      return this;
    }
    if (done.error() != null) {
      failure = done.error();
      state = State.FAILED;
      event(SinkEvent.newBuilder().setFileWriteError(failure).build());
      stopChildren();
      finish(failed(failure));
      return this;
    }
    FileInfo.Builder info = FileInfo.newBuilder()
        .setPath(done.path().toString())
        .setContainer(format.container())
        .setBytes(done.bytes())
        .setFinalizeMillis((System.nanoTime() - finalizeStartNanos) / 1_000_000);
    double seconds = 0;
    for (int i = 0; i < mediaTypes.size(); i++) {
      StreamSummary s = ((StreamSinkActor.SegmentEnded) segmentSummaries.get(i)).summary();
      info.addStreams(s);
      seconds = Math.max(seconds, s.getTimescale() == 0 ? 0 : (double) s.getDuration() / s.getTimescale());
    }
    info.setDurationSeconds(seconds);
    state = State.FINALIZED;
    stopChildren();
    finish(FinalizeResult.newBuilder().setOk(true).setFile(info).build());
    return this;
  }

  private Behavior<Command> onStop(Stop s) {
    if (state == State.WRITING) {
      stopWhenDone = true;
      return onFinalize(new Finalize(getContext().getSystem().ignoreRef()));
    }
    if (state == State.FINALIZING) {
      stopWhenDone = true;
      return this;
    }
    return Behaviors.stopped();
  }

  private void finish(FinalizeResult result) {
    if (stopWhenDone) {
      getContext().getSelf().tell(new StopNow());
    }
    finalizeResult = result;
    observe(result.getOk() ? result.getFile().getBytes() : 0);
    finalizeWaiters.forEach(w -> w.tell(Replies.finalized(result)));
    finalizeWaiters.clear();
    event(SinkEvent.newBuilder().setFinalized(result).build());
  }

  private static FinalizeResult failed(SinkError error) {
    return FinalizeResult.newBuilder().setOk(false).setError(error).build();
  }

  /**
   * A command that reached this aborted entity after it asked its shard to passivate it (sent before the shard
   * had that request): back through sharding, where the shard holds it for the fresh entity that takes the name.
   */
  private Behavior<Command> toNextIncarnation(External m) {
    ClusterSharding.get(getContext().getSystem()).entityRefFor(TYPE_KEY, name).tell(m);
    return this;
  }

  private Behavior<Command> onAbort(Abort a) {
    if (state == State.FINALIZED || state == State.ABORTED) {
      a.replyTo().tell(Replies.failed(ErrorCode.INVALID_REQUEST, "recording is already " + stateName()));
      return this;
    }
    if (state == State.CONFIGURING) {
      // Nothing was written: the recording goes away and its name is free again (a fresh entity takes it).
      state = State.ABORTED;
      observe(0);
      if (shard == null) {
        a.replyTo().tell(Replies.DONE);
        return Behaviors.stopped();
      }
      // Through the shard, not by stopping at once: a command for this name sent after the reply (an Open
      // retried at once) would reach the stopped entity before its shard knew, and be lost. Asked before the
      // reply, the shard holds such commands until this entity has stopped (its Stop), then starts a fresh one.
      shard.tell(new ClusterSharding.Passivate<>(getContext().getSelf()));
      passivating = true;
      a.replyTo().tell(Replies.DONE);
      return this;
    }
    SinkError error = Replies.error(ErrorCode.ABORTED, "recording aborted"
        + (a.reason().isBlank() ? "" : ": " + a.reason())
        + (writer == null ? "" : "; " + WriterActor.partOf(path) + " stays recoverable with `lathe recover`"));
    boolean finalizing = state == State.FINALIZING;
    state = State.ABORTED;
    stopChildren();
    if (finalizing) {
      finish(failed(error));
    } else {
      finalizeResult = failed(error);
      observe(0);
    }
    a.replyTo().tell(Replies.DONE);
    return this;
  }

  // ---- helpers ----------------------------------------------------------------------------------------------

  private boolean checkWriting(String op, ActorRef<RecordingReply> replyTo) {
    if (state == State.WRITING) {
      return true;
    }
    replyTo.tell(Replies.failed(ErrorCode.INVALID_REQUEST, op + " is refused while the recording is " + stateName()
        + (state == State.CONFIGURING ? " (call BeginWriting first)" : "")));
    return false;
  }

  private ActorRef<StreamSinkActor.Command> writingStream(String op, int index,
      ActorRef<RecordingReply> replyTo) {
    if (!checkWriting(op, replyTo)) {
      return null;
    }
    ActorRef<StreamSinkActor.Command> stream = streams.get(index);
    if (stream == null) {
      replyTo.tell(Replies.failed(ErrorCode.INVALID_STREAM_NUMBER,
          "no stream " + index + " (the recording has " + streams.size() + ")"));
    }
    return stream;
  }

  /** The writer closes its files on stop, leaving NAME.part and NAME.journal unless it committed them. */
  private void stopChildren() {
    streams.values().forEach(getContext()::stop);
    streams.clear();
    if (writer != null && state != State.FINALIZED) {
      getContext().stop(writer);
    }
    writer = null;
  }

  private String stateName() {
    return state.name().toLowerCase(Locale.ROOT);
  }

  private void event(SinkEvent e) {
    if (owner != null) {
      owner.tell(e);
    }
  }
}
