package lathe.node;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.regex.Pattern;
import lathe.protocol.ClusterStatus;
import lathe.protocol.ClusterStatusRequest;
import lathe.protocol.CommandReply;
import lathe.protocol.Container;
import lathe.protocol.Drive;
import lathe.protocol.FarmDrive;
import lathe.protocol.FinalizeRequest;
import lathe.protocol.FinalizeResult;
import lathe.protocol.FlushReply;
import lathe.protocol.FlushRequest;
import lathe.protocol.IngestGrpc;
import lathe.protocol.MediaType;
import lathe.protocol.Member;
import lathe.protocol.OpenReply;
import lathe.protocol.OpenRequest;
import lathe.protocol.PlaceMarkerRequest;
import lathe.protocol.RecordingReply;
import lathe.protocol.Sample;
import lathe.protocol.SendStreamTickRequest;
import lathe.protocol.SinkError;
import lathe.protocol.SinkEvent;
import lathe.protocol.Statistics;
import lathe.protocol.StatisticsRequest;
import lathe.protocol.WriteRequest;
import lathe.sink.RecordingActor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * The gRPC ingest service on every node: each call goes through Cluster Sharding to the recording, wherever it
 * lives. Lathe errors become gRPC statuses whose description starts with the Lathe code.
 */
final class IngestService extends IngestGrpc.IngestImplBase {
  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  /** Unacknowledged bytes one write stream may hold before the server stops reading from it. */
  private static final long WINDOW_BYTES = 48L << 20;
  private static final int WINDOW_SAMPLES = 8192;
  private static final int MAX_REQUESTED = 32;
  /**
   * A batch goes to its recording in commands of at most this many sample bytes: a recording on another node is
   * reached through Artery's large-message channel, whose frames hold 17 MiB (application.conf).
   */
  private static final long FORWARD_BYTES = 4L << 20;

  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final Registry registry;
  private final Duration timeout;
  private final Duration finalizeTimeout;
  private final FarmService farm;
  private final long maxSampleBytes;

  /** maxSampleBytes: lathe.sink.max-sample-bytes; a larger sample is refused without crossing to another node. */
  IngestService(ActorSystem<?> system, Registry registry, Duration finalizeTimeout, long maxSampleBytes,
      FarmService farm) {
    this.system = system;
    this.maxSampleBytes = maxSampleBytes;
    this.farm = farm;
    this.sharding = ClusterSharding.get(system);
    this.registry = registry;
    this.timeout = Duration.ofSeconds(30);
    this.finalizeTimeout = finalizeTimeout.plusSeconds(30);
  }

  /** Checks a recording name: folders and names of [A-Za-z0-9][A-Za-z0-9._-]{0,127}, nothing else. */
  static String checkName(String name) {
    if (name == null || name.isEmpty()) {
      throw invalid("INVALID_REQUEST: give the recording a name");
    }
    if (name.length() > 1024) {
      throw invalid("INVALID_REQUEST: recording name longer than 1024 characters");
    }
    for (String segment : name.split("/", -1)) {
      if (!SEGMENT.matcher(segment).matches()) {
        throw invalid("INVALID_REQUEST: bad recording name '" + name + "': each /-separated part must match "
            + "[A-Za-z0-9][A-Za-z0-9._-]{0,127} (no '..', no leading '/')");
      }
    }
    return name;
  }

  /** The file a recording is written to, relative to the archive: the name, with an extension if it has none. */
  static String fileOf(String name, Container container) {
    String lower = name.toLowerCase(Locale.ROOT);
    boolean wav = lower.endsWith(".wav") || lower.endsWith(".bwf") || lower.endsWith(".rf64");
    boolean mp4 = lower.endsWith(".mp4") || lower.endsWith(".m4a") || lower.endsWith(".mov") || lower.endsWith(".m4v");
    if (wav || mp4) {
      return name;
    }
    return switch (container) {
      case BWF -> name + ".wav";
      case MP4 -> name + ".mp4";
      default -> throw invalid("INVALID_REQUEST: cannot tell the container of '" + name
          + "': name it .wav or .mp4, or set container");
    };
  }

  private static StatusRuntimeException invalid(String message) {
    return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
  }

  static StatusRuntimeException status(SinkError e) {
    Status s = switch (e.getCode()) {
      case INVALID_STATE -> Status.FAILED_PRECONDITION;
      case FILE_WRITE -> Status.DATA_LOSS;
      case FINALIZE_TIMEOUT -> Status.DEADLINE_EXCEEDED;
      case ABORTED -> Status.ABORTED;
      default -> Status.INVALID_ARGUMENT;
    };
    return s.withDescription(e.getCode().name() + ": " + e.getMessage()).asRuntimeException();
  }

  private EntityRef<RecordingActor.Command> entity(String name) {
    return sharding.entityRefFor(RecordingActor.TYPE_KEY, checkName(name));
  }

  private CompletionStage<RecordingReply> ask(EntityRef<RecordingActor.Command> ref,
      Function<ActorRef<RecordingReply>, RecordingActor.Command> cmd, Duration within) {
    return AskPattern.<RecordingActor.Command, RecordingReply>ask(ref, cmd::apply, within, system.scheduler())
        .handle((r, t) -> {
          if (t != null) {
            throw Status.UNAVAILABLE.withDescription("UNAVAILABLE: recording " + ref.getEntityId()
                + " did not answer within " + within.toSeconds() + " s").asRuntimeException();
          }
          if (r.hasError()) {
            throw status(r.getError());
          }
          return r;
        });
  }

  private static RuntimeException unwrap(Throwable t) {
    Throwable c = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    return c instanceof RuntimeException r ? r : new CompletionException(c);
  }

  private static <T> void reply(CompletionStage<T> result, StreamObserver<T> out) {
    result.whenComplete((r, t) -> {
      if (t == null) {
        out.onNext(r);
        out.onCompleted();
      } else {
        Throwable cause = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
        out.onError(cause instanceof StatusRuntimeException ? cause
            : Status.INTERNAL.withDescription("INTERNAL: " + cause).asRuntimeException());
      }
    });
  }

  private static <T> void run(StreamObserver<T> out, java.util.function.Supplier<CompletionStage<T>> call) {
    CompletionStage<T> result;
    try {
      result = call.get();
    } catch (StatusRuntimeException e) {
      result = CompletableFuture.failedFuture(e);
    }
    reply(result, out);
  }

  @Override
  public void open(OpenRequest req, StreamObserver<OpenReply> out) {
    run(out, () -> {
      EntityRef<RecordingActor.Command> ref = entity(req.getName());
      String file = fileOf(req.getName(), req.getContainer());
      if (req.getStreamsCount() == 0) {
        throw invalid("INVALID_REQUEST: open needs at least one stream");
      }
      OpenReply.Builder reply = OpenReply.newBuilder().setFile(file).setTakesBatches(true);
      return ask(ref, r -> new RecordingActor.Create(file, req.getContainer(), req.getMetadata(), null, r), timeout)
          .thenCompose(created -> {
            CompletionStage<RecordingReply> chain = CompletableFuture.completedFuture(created);
            for (MediaType t : req.getStreamsList()) {
              chain = chain.thenCompose(x -> ask(ref, r -> new RecordingActor.AddStream(t, r), timeout))
                  .thenApply(x -> {
                    reply.addStreams(x.getStreamAdded());
                    return x;
                  });
            }
            return chain.thenCompose(x -> ask(ref, RecordingActor.BeginWriting::new, timeout))
                .thenApply(x -> reply.build())
                // Undo a half-made recording (a stream or the file was refused): the name is free again.
                .exceptionallyCompose(t -> ask(ref, r -> new RecordingActor.Abort("open failed", r), timeout)
                    .handle((x, ignored) -> {
                      throw unwrap(t);
                    }));
          });
    });
  }

  @Override
  public void placeMarker(PlaceMarkerRequest req, StreamObserver<CommandReply> out) {
    run(out, () -> ask(entity(req.getName()),
        r -> new RecordingActor.PlaceMarker(req.getStream(), req.getContext(), r), timeout)
        .thenApply(x -> CommandReply.getDefaultInstance()));
  }

  @Override
  public void sendStreamTick(SendStreamTickRequest req, StreamObserver<CommandReply> out) {
    run(out, () -> ask(entity(req.getName()),
        r -> new RecordingActor.SendStreamTick(req.getStream(), req.getTime(), r), timeout)
        .thenApply(x -> CommandReply.getDefaultInstance()));
  }

  @Override
  public void flush(FlushRequest req, StreamObserver<FlushReply> out) {
    run(out, () -> ask(entity(req.getName()), r -> new RecordingActor.Flush(req.getStream(), r), timeout)
        .thenApply(x -> FlushReply.newBuilder().setDropped(x.getFlushed()).build()));
  }

  @Override
  public void finalize(FinalizeRequest req, StreamObserver<FinalizeResult> out) {
    run(out, () -> ask(entity(req.getName()), RecordingActor.Finalize::new, finalizeTimeout)
        .thenApply(RecordingReply::getFinalized));
  }

  @Override
  public void getStatistics(StatisticsRequest req, StreamObserver<Statistics> out) {
    run(out, () -> ask(entity(req.getName()), r -> new RecordingActor.GetStatistics(req.getStream(), r), timeout)
        .thenApply(r -> r.getStatistics().toBuilder().setTakesBatches(true).build()));
  }

  @Override
  public void getClusterStatus(ClusterStatusRequest req, StreamObserver<ClusterStatus> out) {
    run(out, () -> registry.all().thenCombine(farm.drives(), (recordings, drives) -> {
      Cluster cluster = Cluster.get(system);
      ClusterEvent.CurrentClusterState state = cluster.state();
      ClusterStatus.Builder b = ClusterStatus.newBuilder().setSelf(cluster.selfMember().address().toString());
      for (org.apache.pekko.cluster.Member m : state.getMembers()) {
        b.addMembers(Member.newBuilder()
            .setAddress(m.address().toString())
            .setStatus(m.status().toString().toLowerCase(Locale.ROOT).replace("weaklyup", "weakly-up"))
            .addAllRoles(m.getRoles().stream().filter(r -> !r.startsWith("dc-")).sorted().toList())
            .setReachable(!state.getUnreachable().contains(m)));
      }
      b.addAllRecordings(recordings);
      for (FarmDrive d : drives) {
        String media = d.hasMedia() ? d.getMedia().getMediaType() + " " + d.getMedia().getState() : "unknown";
        b.addDrives(Drive.newBuilder().setName(d.getId()).setNode(d.getNode())
            .setState(d.getStatus() + ", " + media));
      }
      return b.build();
    }));
  }

  @Override
  public StreamObserver<WriteRequest> write(StreamObserver<SinkEvent> out) {
    ServerCallStreamObserver<SinkEvent> call = (ServerCallStreamObserver<SinkEvent>) out;
    call.disableAutoRequest();
    WriteSession session = new WriteSession(call);
    call.setOnCancelHandler(session::end);
    session.requested = 1;
    call.request(1);
    return session;
  }

  /**
   * One producer's write stream. It reads the next message only while the samples it forwarded and that are
   * not yet acknowledged stay under the window: credit comes back with the acks, so a slow disk slows the
   * producer and the server never buffers without bound.
   */
  private final class WriteSession implements StreamObserver<WriteRequest> {
    private final ServerCallStreamObserver<SinkEvent> call;
    private EntityRef<RecordingActor.Command> ref;
    private ActorRef<Object> owner;
    private final Map<Integer, TreeMap<Long, Integer>> inFlight = new HashMap<>();
    private long inFlightBytes;
    private int inFlightSamples;
    private boolean starved;
    private boolean ended;
    /** Messages asked of gRPC and not delivered yet. */
    private int requested;
    /** The most sample bytes one message of this stream carried so far; until one is seen, 1 MiB. */
    private int largest = 1 << 20;
    /** The most samples one message of this stream carried so far. */
    private int most = 1;

    WriteSession(ServerCallStreamObserver<SinkEvent> call) {
      this.call = call;
    }

    @Override
    public void onNext(WriteRequest req) {
      synchronized (this) {
        requested--;
      }
      if (ref == null) {
        attach(req);
        return;
      }
      forwardAll(req);
      moreIfRoom();
    }

    private void attach(WriteRequest req) {
      try {
        ref = entity(req.getName());
      } catch (StatusRuntimeException e) {
        fail(req.getName().isEmpty()
            ? invalid("INVALID_REQUEST: the first message of a write stream must name the recording") : e);
        return;
      }
      owner = system.systemActorOf(Behaviors.receive(Object.class)
          .onMessage(SinkEvent.class, e -> {
            event(e);
            return Behaviors.same();
          })
          .onMessageEquals("stop", Behaviors::stopped)
          .build(), "ingest-" + UUID.randomUUID(), org.apache.pekko.actor.typed.Props.empty());
      ActorRef<SinkEvent> events = owner.narrow();
      ask(ref, r -> new RecordingActor.Attach(events, r), timeout).whenComplete((x, t) -> {
        if (t != null) {
          Throwable cause = t instanceof CompletionException ? t.getCause() : t;
          fail(cause instanceof StatusRuntimeException s ? s
              : Status.INTERNAL.withDescription(String.valueOf(cause)).asRuntimeException());
          return;
        }
        forwardAll(req);
        moreIfRoom();
      });
    }

    /**
     * The request's sample, then its batch, in order. A batch goes to the recording as few commands as fit
     * {@link #FORWARD_BYTES} each (a larger sample alone), so that it never exceeds a remote frame.
     */
    private synchronized void forwardAll(WriteRequest req) {
      int count = req.getSamplesCount() + (req.hasSample() ? 1 : 0);
      if (count == 0) {
        return;
      }
      List<Sample> chunk = new ArrayList<>();
      long chunkBytes = 0;
      long bytes = 0;
      for (int i = req.hasSample() ? -1 : 0; i < req.getSamplesCount(); i++) {
        Sample s = i < 0 ? req.getSample() : req.getSamples(i);
        int size = window(s);
        bytes += size;
        if (size > maxSampleBytes) {
          // Too large for the recording, and maybe for a frame to the node that holds it (17 MiB): only its
          // seq and size go, so that its stream refuses it with SAMPLE_TOO_LARGE and uses up the seq.
          tell(chunk);
          chunk = new ArrayList<>();
          chunkBytes = 0;
          ref.tell(new RecordingActor.RefuseSample(s.toBuilder().clearData().build(), size));
          continue;
        }
        if (!chunk.isEmpty() && chunkBytes + size > FORWARD_BYTES) {
          tell(chunk);
          chunk = new ArrayList<>();
          chunkBytes = 0;
        }
        chunk.add(s);
        chunkBytes += size;
      }
      tell(chunk);
      largest = (int) Math.min(Integer.MAX_VALUE, Math.max(largest, bytes));
      most = Math.max(most, count);
    }

    private void tell(List<Sample> samples) {
      if (samples.isEmpty()) {
        return;
      }
      ref.tell(samples.size() == 1 ? new RecordingActor.WriteSample(samples.get(0))
          : new RecordingActor.WriteSamples(samples));
    }

    /** Counts the sample into the window of unacknowledged samples (a resent one only once); its size. */
    private int window(Sample s) {
      int size = s.getData().size();
      if (inFlight.computeIfAbsent(s.getStream(), k -> new TreeMap<>()).putIfAbsent(s.getSeq(), size) == null) {
        inFlightBytes += size;
        inFlightSamples++;
      }
      return size;
    }

    private synchronized void moreIfRoom() {
      if (ended) {
        return;
      }
      long room = WINDOW_BYTES - inFlightBytes;
      int samplesRoom = WINDOW_SAMPLES - inFlightSamples;
      if (room <= 0 || samplesRoom <= 0) {
        starved = requested <= 0;
        return;
      }
      starved = false;
      // Several messages asked for at once, so that the next one is never a thread hop away (one at a time capped
      // the stream at ~2,400 samples/s); no more than fit the window if each were as large, in bytes and in
      // samples, as the largest yet.
      int want = (int) Math.max(1, Math.min(Math.min(MAX_REQUESTED, samplesRoom / most), room / largest));
      if (requested < want) {
        call.request(want - requested);
        requested = want;
      }
    }

    private void event(SinkEvent e) {
      synchronized (this) {
        if (e.hasAck()) {
          TreeMap<Long, Integer> q = inFlight.get(e.getAck().getStream());
          if (q != null) {
            var done = q.headMap(e.getAck().getSeq(), true);
            for (int size : done.values()) {
              inFlightBytes -= size;
              inFlightSamples--;
            }
            done.clear();
          }
        } else if (e.hasStreamError()) {
          TreeMap<Long, Integer> q = inFlight.get(e.getStreamError().getStream());
          Integer size = q == null ? null : q.remove(e.getStreamError().getSeq());
          if (size != null) {
            inFlightBytes -= size;
            inFlightSamples--;
          }
        }
        if (starved) {
          moreIfRoom();
        }
        if (ended) {
          return;
        }
        try {
          call.onNext(e);
        } catch (RuntimeException gone) {
          ended = true; // the producer went away; the recording stays open for it to attach again
        }
      }
    }

    private synchronized void fail(StatusRuntimeException e) {
      if (!ended) {
        ended = true;
        call.onError(e);
      }
      stopOwner();
    }

    @Override
    public void onError(Throwable t) {
      end();
    }

    @Override
    public synchronized void onCompleted() {
      if (!ended) {
        ended = true;
        call.onCompleted();
      }
      stopOwner();
    }

    synchronized void end() {
      ended = true;
      stopOwner();
    }

    private void stopOwner() {
      if (owner != null) {
        owner.tell("stop");
        owner = null;
      }
    }
  }
}
