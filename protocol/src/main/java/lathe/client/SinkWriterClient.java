package lathe.client;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import lathe.protocol.ClusterStatus;
import lathe.protocol.ClusterStatusRequest;
import lathe.protocol.Container;
import lathe.protocol.ErrorCode;
import lathe.protocol.FinalizeRequest;
import lathe.protocol.FinalizeResult;
import lathe.protocol.FlushRequest;
import lathe.protocol.IngestGrpc;
import lathe.protocol.MediaType;
import lathe.protocol.Metadata;
import lathe.protocol.OpenReply;
import lathe.protocol.OpenRequest;
import lathe.protocol.PlaceMarkerRequest;
import lathe.protocol.Sample;
import lathe.protocol.SendStreamTickRequest;
import lathe.protocol.SinkError;
import lathe.protocol.SinkEvent;
import lathe.protocol.Statistics;
import lathe.protocol.StatisticsRequest;
import lathe.protocol.WriteRequest;

/**
 * A producer's handle on one recording in a Lathe cluster, shaped like IMFSinkWriter: {@link #addStream},
 * {@link #beginWriting}, {@link #writeSample}, {@link #placeMarker}, {@link #sendStreamTick}, {@link #flush},
 * {@link #finalizeAsync}. Events arrive on a {@link Callback} from gRPC threads.
 *
 * <p>Delivery is at-least-once: the client numbers each stream's samples, keeps those not yet acknowledged
 * (at most {@code windowBytes}; {@link #writeSample} blocks while the window is full, so a slow disk slows the
 * producer), and after a lost connection attaches again, through the next address if there are several, and
 * resends them. The recording acknowledges a resent sample without writing it twice.
 *
 * <p>A sample goes out at once while the transport takes it. When the producer gets ahead of the transport (its
 * buffer is full, or HTTP/2 flow control holds it), the samples written meanwhile are sent together as one
 * message as soon as it is ready again: under load one message carries many samples, and no sample ever waits
 * for a timer.
 */
public final class SinkWriterClient implements AutoCloseable {

  /** IMFSinkWriterCallback and acknowledgements; called from any thread, must not block for long. */
  public interface Callback {
    default void onAck(int stream, long seq) {}

    default void onMarker(int stream, ByteString context) {}

    default void onStreamError(SinkError error) {}

    default void onFinalize(FinalizeResult result) {}
  }

  /** A gRPC status turned into one line, the Lathe error code first. */
  public static final class LatheException extends RuntimeException {
    public LatheException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  public static final int MAX_MESSAGE_BYTES = 20 << 20;
  private static final long DEFAULT_WINDOW_BYTES = 32L << 20;
  private static final int DEFAULT_WINDOW_SAMPLES = 4096;
  private static final int RECONNECT_ATTEMPTS = 30;
  private static final long STALL_NANOS = TimeUnit.SECONDS.toNanos(10);
  /** At most one resend per stream this often after SEQUENCE_GAP errors (every sample after a gap has one). */
  private static final long GAP_RESEND_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
  /** After a resend: resend again if the acks have not passed its first sample by then. */
  private static final long GAP_RECHECK_MILLIS = 2000;
  /** One batched message carries at most this many sample bytes and samples (a larger sample goes alone). */
  private static final long BATCH_BYTES = 2L << 20;
  private static final int BATCH_SAMPLES = 1024;

  private final List<String> targets;
  private final String name;
  private final Container container;
  private final Metadata metadata;
  private final Callback callback;
  private final long windowBytes;
  private final List<MediaType> streams = new ArrayList<>();

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private ManagedChannel channel;
  private int target;
  private StreamObserver<WriteRequest> writes;
  /** The write stream's flow control: is the transport taking messages now. */
  private ClientCallStreamObserver<WriteRequest> writeCall;
  /** Samples written while the transport was not ready, sent as one message when it is. */
  private final List<Sample> batch = new ArrayList<>();
  private long batchBytes;
  /**
   * The node said at Open, or when attached again, that it takes batches; a node from before them gets one sample
   * per message.
   */
  private boolean batches;
  private long connection;
  private int reconnects;
  private int gapResends;
  private long[] lastGapResend;
  private boolean[] gapPending;
  private java.util.concurrent.ScheduledExecutorService timer;
  private long lastProgress = System.nanoTime();
  private long lastCheck;
  private List<ArrayDeque<Sample>> unacked;
  private long[] nextSeq;
  private long[] lastAck;
  private long unackedBytes;
  private int unackedSamples;
  private boolean began;
  private boolean closed;
  private RuntimeException broken;
  private CompletableFuture<FinalizeResult> finalized;

  /** {@code targets}: one or more "host:port" gRPC addresses of cluster nodes, tried in turn. */
  public SinkWriterClient(List<String> targets, String name, Container container, Metadata metadata,
      Callback callback) {
    this(targets, name, container, metadata, callback, DEFAULT_WINDOW_BYTES);
  }

  public SinkWriterClient(List<String> targets, String name, Container container, Metadata metadata,
      Callback callback, long windowBytes) {
    if (targets.isEmpty()) {
      throw new IllegalArgumentException("give at least one node address host:port");
    }
    this.targets = List.copyOf(targets);
    this.name = name;
    this.container = container;
    this.metadata = metadata;
    this.callback = callback == null ? new Callback() {} : callback;
    this.windowBytes = windowBytes;
    this.channel = channel(this.targets.get(0));
  }

  /** A plaintext channel to "host:port" that carries samples up to 16 MiB. */
  public static ManagedChannel channel(String target) {
    return ManagedChannelBuilder.forTarget(target).usePlaintext().maxInboundMessageSize(MAX_MESSAGE_BYTES).build();
  }

  /** The cluster's members, recordings and drives, as the node at {@code target} sees them. */
  public static ClusterStatus clusterStatus(String target) {
    ManagedChannel ch = channel(target);
    try {
      return IngestGrpc.newBlockingStub(ch).withDeadlineAfter(20, TimeUnit.SECONDS)
          .getClusterStatus(ClusterStatusRequest.getDefaultInstance());
    } catch (StatusRuntimeException e) {
      throw failure("cluster status from " + target, e);
    } finally {
      ch.shutdownNow();
    }
  }

  /** AddStream: only before {@link #beginWriting}; returns the stream's index. */
  public int addStream(MediaType type) {
    lock.lock();
    try {
      if (began) {
        throw new IllegalStateException("INVALID_REQUEST: AddStream is only allowed before BeginWriting");
      }
      streams.add(type);
      return streams.size() - 1;
    } finally {
      lock.unlock();
    }
  }

  /** Creates the recording on the cluster with its streams and opens the write stream. */
  public void beginWriting() {
    lock.lock();
    try {
      if (began) {
        throw new IllegalStateException("INVALID_REQUEST: BeginWriting was already called");
      }
      OpenReply reply;
      try {
        reply = blocking().open(OpenRequest.newBuilder().setName(name).setContainer(container)
            .setMetadata(metadata).addAllStreams(streams).build());
      } catch (StatusRuntimeException e) {
        throw failure("open " + name + " through " + targets.get(target), e);
      }
      batches = reply.getTakesBatches();
      int n = reply.getStreamsCount();
      unacked = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        unacked.add(new ArrayDeque<>());
      }
      nextSeq = new long[n];
      lastAck = new long[n];
      lastGapResend = new long[n];
      gapPending = new boolean[n];
      java.util.Arrays.fill(lastGapResend, System.nanoTime() - GAP_RESEND_NANOS);
      java.util.Arrays.fill(lastAck, -1);
      began = true;
      openWrites();
    } finally {
      lock.unlock();
    }
  }

  /**
   * WriteSample: the sample's stream, times, flags and data are the caller's; the client sets its seq. Blocks
   * while the window of unacknowledged samples is full.
   */
  public long writeSample(Sample sample) {
    lock.lock();
    try {
      checkWriting();
      int stream = sample.getStream();
      if (stream < 0 || stream >= unacked.size()) {
        throw new IllegalArgumentException("INVALID_STREAM_NUMBER: no stream " + stream + " (the recording has "
            + unacked.size() + ")");
      }
      int size = sample.getData().size();
      checkStalled();
      while (broken == null && unackedSamples > 0
          && (unackedBytes + size > windowBytes || unackedSamples >= DEFAULT_WINDOW_SAMPLES)) {
        await();
      }
      checkWriting();
      if (unackedSamples == 0) {
        lastProgress = System.nanoTime();
      }
      Sample s = sample.toBuilder().setSeq(nextSeq[stream]++).build();
      unacked.get(stream).add(s);
      unackedBytes += size;
      unackedSamples++;
      send(s);
      return s.getSeq();
    } finally {
      lock.unlock();
    }
  }

  public void placeMarker(int stream, ByteString context) {
    call(() -> blocking().placeMarker(PlaceMarkerRequest.newBuilder().setName(name).setStream(stream)
        .setContext(context).build()), "PlaceMarker");
  }

  public void sendStreamTick(int stream, long time) {
    call(() -> blocking().sendStreamTick(SendStreamTickRequest.newBuilder().setName(name).setStream(stream)
        .setTime(time).build()), "SendStreamTick");
  }

  /** Drops the samples of the stream (-1 = all) not yet written; returns how many. */
  public long flush(int stream) {
    long dropped = call(() -> blocking().flush(FlushRequest.newBuilder().setName(name).setStream(stream).build()),
        "Flush").getDropped();
    lock.lock();
    try {
      // What was not written is dropped, not late: it must not be resent after a reconnect.
      for (int i = 0; i < unacked.size(); i++) {
        if (stream == -1 || stream == i) {
          settle(unacked.get(i), x -> true);
        }
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    return dropped;
  }

  public Statistics statistics(int stream) {
    return call(() -> blocking().getStatistics(StatisticsRequest.newBuilder().setName(name).setStream(stream)
        .build()), "GetStatistics");
  }

  /** How often the write stream was lost and attached again. */
  /** How often samples lost between nodes were sent again (see {@link ErrorCode#SEQUENCE_GAP}). */
  public int gapResends() {
    lock.lock();
    try {
      return gapResends;
    } finally {
      lock.unlock();
    }
  }

  public int reconnects() {
    lock.lock();
    try {
      return reconnects;
    } finally {
      lock.unlock();
    }
  }

  /** Highest acknowledged seq of each stream (-1 before the first). */
  public long[] lastAcknowledged() {
    lock.lock();
    try {
      return lastAck == null ? new long[0] : lastAck.clone();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Finalize: waits (off the caller's thread) until every sample sent is acknowledged, then finalizes. A second
   * call returns the same result.
   */
  public CompletionStage<FinalizeResult> finalizeAsync() {
    lock.lock();
    try {
      if (finalized != null) {
        return finalized;
      }
      finalized = new CompletableFuture<>();
    } finally {
      lock.unlock();
    }
    Executor ex = r -> new Thread(r, "lathe-finalize-" + name).start();
    ex.execute(() -> {
      try {
        sendBatchNow();
        awaitAcks(TimeUnit.MINUTES.toNanos(5));
        RuntimeException lost = brokenNow();
        if (lost != null) {
          throw lost;
        }
        FinalizeResult r = call(() -> blocking().withDeadlineAfter(10, TimeUnit.MINUTES)
            .finalize(FinalizeRequest.newBuilder().setName(name).build()), "Finalize");
        endWrites();
        finalized.complete(r);
      } catch (RuntimeException e) {
        finalized.completeExceptionally(e);
      }
    });
    return finalized;
  }

  /** Stops the client; an unfinalized recording stays open on the cluster (another client may attach). */
  @Override
  public void close() {
    lock.lock();
    try {
      closed = true;
      changed.signalAll();
      if (timer != null) {
        timer.shutdownNow();
      }
    } finally {
      lock.unlock();
    }
    endWrites();
    channel.shutdownNow();
  }

  // ---- the write stream -------------------------------------------------------------------------------------

  private IngestGrpc.IngestBlockingStub blocking() {
    return IngestGrpc.newBlockingStub(channel).withDeadlineAfter(2, TimeUnit.MINUTES);
  }

  private void openWrites() {
    long id = ++connection;
    batch.clear(); // every sample in it is unacknowledged, so it is resent below
    batchBytes = 0;
    writes = IngestGrpc.newStub(channel).write(new ClientResponseObserver<WriteRequest, SinkEvent>() {
      @Override
      public void beforeStart(ClientCallStreamObserver<WriteRequest> call) {
        writeCall = call;
        call.setOnReadyHandler(() -> whenReady(id));
      }

      @Override
      public void onNext(SinkEvent e) {
        onEvent(e);
      }

      @Override
      public void onError(Throwable t) {
        lost(id, t);
      }

      @Override
      public void onCompleted() {
        lost(id, null);
      }
    });
    writes.onNext(WriteRequest.newBuilder().setName(name).build());
    // At-least-once: whatever was not acknowledged on the last connection goes again, in order.
    for (ArrayDeque<Sample> q : unacked) {
      for (Sample s : q) {
        queue(s);
      }
      sendBatch();
    }
  }

  /** Sends the sample now if the transport takes it, else adds it to the batch (in order either way). */
  private void send(Sample s) {
    if (writes == null) {
      return;
    }
    if (!batches || (batch.isEmpty() && writeCall.isReady())) {
      writes.onNext(WriteRequest.newBuilder().setSample(s).build());
      return;
    }
    queue(s);
    if (writeCall.isReady()) {
      sendBatch();
    }
  }

  private void queue(Sample s) {
    int size = s.getData().size();
    if (!batch.isEmpty() && (!batches || batchBytes + size > BATCH_BYTES || batch.size() >= BATCH_SAMPLES)) {
      sendBatch(); // gRPC buffers it: the window of unacknowledged samples bounds memory, not the batch
    }
    batch.add(s);
    batchBytes += size;
  }

  private void sendBatch() {
    if (batch.isEmpty() || writes == null) {
      return;
    }
    writes.onNext(batch.size() == 1 ? WriteRequest.newBuilder().setSample(batch.get(0)).build()
        : WriteRequest.newBuilder().addAllSamples(batch).build());
    batch.clear();
    batchBytes = 0;
  }

  private void sendBatchNow() {
    lock.lock();
    try {
      sendBatch();
    } finally {
      lock.unlock();
    }
  }

  /** The transport takes messages again: what piled up goes as one message. */
  private void whenReady(long id) {
    lock.lock();
    try {
      if (id == connection && writeCall != null && writeCall.isReady()) {
        sendBatch();
      }
    } finally {
      lock.unlock();
    }
  }

  private void lost(long id, Throwable t) {
    lock.lock();
    try {
      if (id != connection || closed || writes == null) {
        return;
      }
      writes = null;
      if (t == null) {
        return; // the server ended the stream after Finalize
      }
      Status s = Status.fromThrowable(t);
      if (!connectionLost(s)) {
        broken = failure("write " + name, new StatusRuntimeException(s));
        changed.signalAll();
        return;
      }
    } finally {
      lock.unlock();
    }
    Thread reconnect = new Thread(this::reconnect, "lathe-reconnect-" + name);
    reconnect.setDaemon(true);
    reconnect.start();
  }

  /**
   * Whether a write stream ended with s because the connection was lost (then the client attaches again and
   * resends) rather than because the node refused something. A cut connection usually ends the call with
   * UNAVAILABLE, but grpc-java's Netty transport may report it as UNKNOWN "channel closed", with the local
   * ClosedChannelException (an I/O error) as its cause (grpc-java issue 10120); a status the node sent has no
   * cause on this side.
   */
  static boolean connectionLost(Status s) {
    return switch (s.getCode()) {
      case UNAVAILABLE, CANCELLED, DEADLINE_EXCEEDED, INTERNAL -> true;
      case UNKNOWN -> s.getCause() instanceof java.io.IOException;
      default -> false;
    };
  }

  /** Attaches again through the next node that answers and resends what was not acknowledged. */
  private void reconnect() {
    for (int attempt = 0; attempt < RECONNECT_ATTEMPTS; attempt++) {
      lock.lock();
      try {
        if (closed) {
          return;
        }
        if (targets.size() > 1 || attempt > 0) {
          channel.shutdownNow();
          target = (target + 1) % targets.size();
          channel = channel(targets.get(target));
        }
        try {
          // A cheap call first: the write stream itself would only fail later.
          // A generous deadline: on a loaded machine a short one sends the client round the addresses in vain.
          Statistics now = IngestGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS)
              .getStatistics(StatisticsRequest.newBuilder().setName(name).setStream(-1).build());
          if (blank(now)) {
            broken = lostRecording();
            changed.signalAll();
            return;
          }
          reconnects++;
          // The node attached to now may be another version than the one opened on (a rolling upgrade).
          batches = now.getTakesBatches();
          openWrites();
          return;
        } catch (StatusRuntimeException e) {
          changed.await(1, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } finally {
        lock.unlock();
      }
    }
    lock.lock();
    try {
      broken = new LatheException("UNAVAILABLE: lost the connection to " + targets + " and could not attach "
          + name + " again", null);
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Sharding started a blank recording: the node that held this one is gone with its open file. */
  private static boolean blank(Statistics s) {
    return s.getState().equals("configuring") && s.getStreamsCount() == 0;
  }

  private LatheException lostRecording() {
    return new LatheException("UNAVAILABLE: the node holding " + name + " left the cluster while recording; "
        + "every acknowledged sample (last seq per stream " + java.util.Arrays.toString(lastAck) + ") is in its "
        + ".part and is recovered when that node starts again", null);
  }

  /**
   * No acknowledgement for a while although samples are out: ask whether the recording still exists. Samples
   * sent to a recording whose node died reach a blank one that has no owner to refuse them to.
   */
  private void checkStalled() {
    long now = System.nanoTime();
    if (unackedSamples == 0 || broken != null || now - lastProgress < STALL_NANOS || now - lastCheck < STALL_NANOS) {
      return;
    }
    lastCheck = now;
    try {
      Statistics st = IngestGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
          .getStatistics(StatisticsRequest.newBuilder().setName(name).setStream(-1).build());
      if (blank(st)) {
        broken = lostRecording();
        changed.signalAll();
      }
    } catch (StatusRuntimeException e) {
      // unreachable for now: the write stream reports a lost connection by itself
    }
  }

  private void onEvent(SinkEvent e) {
    if (e.hasAck()) {
      lock.lock();
      try {
        int stream = e.getAck().getStream();
        if (stream < lastAck.length) {
          if (e.getAck().getSeq() > lastAck[stream]) {
            lastProgress = System.nanoTime();
          }
          lastAck[stream] = Math.max(lastAck[stream], e.getAck().getSeq());
          settleUpTo(unacked.get(stream), e.getAck().getSeq());
        }
        changed.signalAll();
      } finally {
        lock.unlock();
      }
      callback.onAck(e.getAck().getStream(), e.getAck().getSeq());
    } else if (e.hasMarker()) {
      callback.onMarker(e.getMarker().getStream(), e.getMarker().getContext());
    } else if (e.hasStreamError() && e.getStreamError().getCode() == ErrorCode.SEQUENCE_GAP) {
      resendAfterGap(e.getStreamError().getStream());
    } else if (e.hasStreamError() || e.hasFileWriteError()) {
      SinkError err = e.hasStreamError() ? e.getStreamError() : e.getFileWriteError();
      lock.lock();
      try {
        // A refused sample is never acknowledged: it leaves the window here.
        if (err.getStream() >= 0 && err.getStream() < unacked.size()) {
          settle(unacked.get(err.getStream()), x -> x.getSeq() == err.getSeq());
        }
        changed.signalAll();
      } finally {
        lock.unlock();
      }
      callback.onStreamError(err);
    } else if (e.hasFinalized()) {
      callback.onFinalize(e.getFinalized());
    }
  }

  /**
   * Samples of {@code stream} were lost between nodes, so the recording refuses everything after the gap: send
   * every unacknowledged sample of the stream again, in order. Each sample after the gap is refused with its own
   * error; one resend a while answers them all, and duplicates are acknowledged, never written twice.
   */
  private void resendAfterGap(int stream) {
    lock.lock();
    try {
      if (stream < 0 || stream >= unacked.size() || writes == null || closed) {
        return;
      }
      long wait = lastGapResend[stream] + GAP_RESEND_NANOS - System.nanoTime();
      if (wait <= 0) {
        resendNow(stream);
      } else if (!gapPending[stream]) {
        // Errors of the latest round may all come within the pause: they must still lead to a resend.
        gapPending[stream] = true;
        timer().schedule(() -> resendIfPending(stream), wait, TimeUnit.NANOSECONDS);
      }
    } finally {
      lock.unlock();
    }
  }

  private void resendIfPending(int stream) {
    lock.lock();
    try {
      if (gapPending[stream] && writes != null && !closed) {
        resendNow(stream);
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Sends the stream's unacknowledged samples again. If the first of them is lost once more, no sample after it
   * may arrive to report the gap, so a check a moment later resends again unless the acks moved past it.
   */
  private void resendNow(int stream) {
    gapPending[stream] = false;
    lastGapResend[stream] = System.nanoTime();
    ArrayDeque<Sample> q = unacked.get(stream);
    if (q.isEmpty()) {
      return;
    }
    gapResends++;
    // Samples of this stream still in the batch go out with the resend below, in order, and not twice.
    if (batch.removeIf(x -> x.getStream() == stream)) {
      batchBytes = batch.stream().mapToLong(x -> x.getData().size()).sum();
    }
    for (Sample s : q) {
      send(s);
    }
    recheck(stream, q.peekLast().getSeq(), lastAck[stream]);
  }

  /**
   * Until the acks reach {@code last} (the end of a resend), every {@link #GAP_RECHECK_MILLIS}: if they did not
   * move at all, the samples after the ack point were lost again with none behind them to report it (tail
   * loss), so send them once more.
   */
  private void recheck(int stream, long last, long ackBefore) {
    timer().schedule(() -> {
      lock.lock();
      try {
        if (lastAck[stream] >= last || unacked.get(stream).isEmpty() || writes == null || closed) {
          return;
        }
        if (lastAck[stream] == ackBefore) {
          resendNow(stream);
        } else {
          recheck(stream, last, lastAck[stream]);
        }
      } finally {
        lock.unlock();
      }
    }, GAP_RECHECK_MILLIS, TimeUnit.MILLISECONDS);
  }

  private java.util.concurrent.ScheduledExecutorService timer() {
    if (timer == null) {
      timer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "lathe-resend-" + name);
        t.setDaemon(true);
        return t;
      });
    }
    return timer;
  }

  /**
   * An ack settles the head of its stream's queue, which is in sequence order: popping it costs what it removes,
   * where scanning the whole window at every ack cost O(window) each (the top of a gRPC mux profile).
   */
  private void settleUpTo(ArrayDeque<Sample> q, long seq) {
    while (!q.isEmpty() && q.peekFirst().getSeq() <= seq) {
      Sample s = q.pollFirst();
      unackedBytes -= s.getData().size();
      unackedSamples--;
    }
  }

  private void settle(ArrayDeque<Sample> q, java.util.function.Predicate<Sample> done) {
    var it = q.iterator();
    while (it.hasNext()) {
      Sample s = it.next();
      if (done.test(s)) {
        it.remove();
        unackedBytes -= s.getData().size();
        unackedSamples--;
      }
    }
  }

  private void awaitAcks(long timeoutNanos) {
    lock.lock();
    try {
      long deadline = System.nanoTime() + timeoutNanos;
      while (unacked != null && unackedSamples > 0 && broken == null && !closed
          && System.nanoTime() < deadline) {
        await();
        checkStalled();
        // The last samples may have been lost between nodes with nothing after them to reveal the gap.
        if (System.nanoTime() - lastProgress > TimeUnit.MILLISECONDS.toNanos(GAP_RECHECK_MILLIS)) {
          for (int s = 0; s < unacked.size(); s++) {
            if (!unacked.get(s).isEmpty() && System.nanoTime() - lastGapResend[s] > GAP_RESEND_NANOS * 4) {
              resendNow(s);
            }
          }
        }
      }
    } finally {
      lock.unlock();
    }
  }

  private void endWrites() {
    lock.lock();
    try {
      if (writes != null) {
        StreamObserver<WriteRequest> w = writes;
        writes = null;
        connection++;
        w.onCompleted();
      }
    } catch (RuntimeException ignored) {
      // the stream is already gone
    } finally {
      lock.unlock();
    }
  }

  private RuntimeException brokenNow() {
    lock.lock();
    try {
      return broken;
    } finally {
      lock.unlock();
    }
  }

  private void checkWriting() {
    if (broken != null) {
      throw broken;
    }
    if (!began) {
      throw new IllegalStateException("INVALID_REQUEST: call BeginWriting first");
    }
    if (finalized != null || closed) {
      throw new IllegalStateException("INVALID_REQUEST: WriteSample after Finalize");
    }
  }

  private void await() {
    try {
      changed.await(200, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LatheException("interrupted", e);
    }
  }

  private <T> T call(java.util.function.Supplier<T> rpc, String what) {
    try {
      return rpc.get();
    } catch (StatusRuntimeException e) {
      throw failure(what + " " + name, e);
    }
  }

  /** Lathe's own errors carry their code in the description; transport errors get one here. */
  static LatheException failure(String what, StatusRuntimeException e) {
    String d = e.getStatus().getDescription();
    if (d != null && d.matches("[A-Z_]+: .*")) {
      return new LatheException(d, e);
    }
    return new LatheException(e.getStatus().getCode() + ": " + what + " failed"
        + (d == null ? "" : ": " + d), e);
  }
}
