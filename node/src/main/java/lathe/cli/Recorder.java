package lathe.cli;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Function;
import lathe.protocol.Container;
import lathe.protocol.ErrorCode;
import lathe.protocol.FinalizeResult;
import lathe.protocol.MediaType;
import lathe.protocol.Metadata;
import lathe.protocol.RecordingReply;
import lathe.protocol.Sample;
import lathe.protocol.SinkError;
import lathe.protocol.SinkEvent;
import lathe.sink.RecordingActor;
import lathe.source.MediaSource;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * A producer in the CLI's JVM: feeds the samples of its sources to one recording, keeps at most a window of
 * unacknowledged bytes in flight (so a slow disk slows the producer, and memory stays bounded), and finalizes.
 */
final class Recorder {

  record Request(String path, Container container, Metadata metadata, Duration limit, boolean realtime) {}

  /** What happened: the Finalize result, the last acknowledged seq per stream, refused samples. */
  record Outcome(FinalizeResult result, long[] lastAck, long refused, SinkError firstError, boolean interrupted) {}

  private static final long WINDOW_BYTES = 64L << 20;
  private static final int WINDOW_SAMPLES = 8192;

  private final ActorSystem<?> system;
  private final EntityRef<RecordingActor.Command> recording;
  private final Consumer<SinkEvent> listener;
  private final Duration askTimeout;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private List<ArrayDeque<long[]>> inFlight;
  private long inFlightBytes;
  private long[] lastAck;
  private long refused;
  private SinkError firstError;
  private SinkError fileError;
  private volatile boolean stop;
  private boolean finalizedSeen;

  Recorder(ActorSystem<?> system, EntityRef<RecordingActor.Command> recording, Consumer<SinkEvent> listener,
      Duration askTimeout) {
    this.system = system;
    this.recording = recording;
    this.listener = listener;
    this.askTimeout = askTimeout;
  }

  /** Asks the producer loop to stop early (Ctrl-C); what was sent is still finalized. */
  void stop() {
    stop = true;
    lock.lock();
    try {
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  Outcome record(Request req, List<MediaSource> sources, Progress progress) {
    List<MediaType> types = new ArrayList<>();
    int[] offsets = new int[sources.size()];
    for (int i = 0; i < sources.size(); i++) {
      offsets[i] = types.size();
      types.addAll(sources.get(i).streams());
    }
    inFlight = new ArrayList<>();
    lastAck = new long[types.size()];
    for (int i = 0; i < types.size(); i++) {
      inFlight.add(new ArrayDeque<>());
      lastAck[i] = -1;
    }
    ActorRef<SinkEvent> owner = system.systemActorOf(owner(), "producer-" + UUID.randomUUID(),
        DispatcherSelector.fromConfig("lathe.io-dispatcher"));
    ask(r -> new RecordingActor.Create(req.path(), req.container(), req.metadata(), owner, r));
    for (MediaType t : types) {
      ask(r -> new RecordingActor.AddStream(t, r));
    }
    ask(RecordingActor.BeginWriting::new);
    pump(req, sources, offsets, types, progress);
    awaitAllAcked();
    RecordingReply fin = ask(RecordingActor.Finalize::new, askTimeout.multipliedBy(4));
    lock.lock();
    try {
      // OnFinalize reaches the owner too; wait for it so that the events file ends with it.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (!finalizedSeen && System.nanoTime() < deadline) {
        awaitChange();
      }
      return new Outcome(fin.getFinalized(), lastAck.clone(), refused,
          firstError != null ? firstError : fileError, stop);
    } finally {
      lock.unlock();
    }
  }

  private void pump(Request req, List<MediaSource> sources, int[] offsets, List<MediaType> types, Progress progress) {
    int n = sources.size();
    Sample[] next = new Sample[n];
    long[] firstDts = new long[types.size()];
    boolean[] started = new boolean[types.size()];
    double limit = req.limit() == null ? Double.POSITIVE_INFINITY : req.limit().toNanos() / 1e9;
    long startNanos = System.nanoTime();
    for (int i = 0; i < n; i++) {
      next[i] = read(sources.get(i));
    }
    while (!stop) {
      // Interleave sources by time so that streams advance together, as they would live.
      int pick = -1;
      double pickTime = Double.POSITIVE_INFINITY;
      for (int i = 0; i < n; i++) {
        if (next[i] == null) {
          continue;
        }
        int stream = offsets[i] + next[i].getStream();
        long base = started[stream] ? firstDts[stream] : next[i].getDts();
        double t = (next[i].getDts() - base) / (double) types.get(stream).getTimescale();
        if (t >= limit) {
          next[i] = null; // --duration reached for this source
          continue;
        }
        if (t < pickTime) {
          pickTime = t;
          pick = i;
        }
      }
      if (pick < 0) {
        return;
      }
      Sample s = next[pick];
      int stream = offsets[pick] + s.getStream();
      if (!started[stream]) {
        started[stream] = true;
        firstDts[stream] = s.getDts();
      }
      if (req.realtime()) {
        long due = startNanos + (long) (pickTime * 1e9);
        for (long wait = due - System.nanoTime(); wait > 0 && !stop; wait = due - System.nanoTime()) {
          LockSupport.parkNanos(wait); // pacing the producer thread, not an actor
        }
      }
      if (!awaitWindow(stream, s.getData().size())) {
        return;
      }
      Sample routed = s.getStream() == stream ? s : s.toBuilder().setStream(stream).build();
      recording.tell(new RecordingActor.WriteSample(routed));
      progress.update("recording", pickTime, req.limit() == null ? 0 : limit, "s");
      next[pick] = read(sources.get(pick));
    }
  }

  private static Sample read(MediaSource source) {
    try {
      return source.next();
    } catch (java.io.IOException e) {
      throw new UserError("reading the source failed: " + e.getMessage());
    }
  }

  /** Waits until the sample fits the window; false when writing has failed or the user stopped. */
  private boolean awaitWindow(int stream, int size) {
    lock.lock();
    try {
      while (fileError == null && !stop && !inFlight.get(stream).isEmpty()
          && (inFlightBytes + size > WINDOW_BYTES || inFlight.get(stream).size() >= WINDOW_SAMPLES)) {
        awaitChange();
      }
      if (fileError != null || stop) {
        return false;
      }
      ArrayDeque<long[]> q = inFlight.get(stream);
      long seq = q.isEmpty() ? lastAck[stream] + 1 : q.peekLast()[0] + 1;
      q.add(new long[] {seq, size});
      inFlightBytes += size;
      return true;
    } finally {
      lock.unlock();
    }
  }

  private void awaitAllAcked() {
    lock.lock();
    try {
      long deadline = System.nanoTime() + askTimeout.multipliedBy(4).toNanos();
      while (fileError == null && System.nanoTime() < deadline
          && inFlight.stream().anyMatch(q -> !q.isEmpty())) {
        awaitChange();
      }
    } finally {
      lock.unlock();
    }
  }

  private void awaitChange() {
    try {
      changed.await(200, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stop = true;
    }
  }

  private void settle(int stream, long seq) {
    ArrayDeque<long[]> q = inFlight.get(stream);
    while (!q.isEmpty() && q.peekFirst()[0] <= seq) {
      inFlightBytes -= q.pollFirst()[1];
    }
  }

  private Behavior<SinkEvent> owner() {
    return Behaviors.receiveMessage(e -> {
      lock.lock();
      try {
        if (e.hasAck() && e.getAck().getStream() < lastAck.length) {
          int stream = e.getAck().getStream();
          lastAck[stream] = Math.max(lastAck[stream], e.getAck().getSeq());
          settle(stream, e.getAck().getSeq());
        } else if (e.hasStreamError()) {
          SinkError err = e.getStreamError();
          refused++;
          if (firstError == null) {
            firstError = err;
          }
          if (err.getCode() == ErrorCode.FILE_WRITE) {
            fileError = err;
          } else if (err.getStream() >= 0 && err.getStream() < lastAck.length) {
            // A refused sample is never acknowledged: take it out of the window by hand.
            inFlight.get(err.getStream()).removeIf(x -> x[0] == err.getSeq());
            inFlightBytes = inFlight.stream().flatMap(ArrayDeque::stream).mapToLong(x -> x[1]).sum();
          }
        } else if (e.hasFileWriteError()) {
          fileError = e.getFileWriteError();
        }
        changed.signalAll();
      } finally {
        lock.unlock();
      }
      listener.accept(e);
      lock.lock();
      try {
        finalizedSeen |= e.hasFinalized();
        changed.signalAll();
      } finally {
        lock.unlock();
      }
      return Behaviors.same();
    });
  }

  private RecordingReply ask(Function<ActorRef<RecordingReply>, RecordingActor.Command> cmd) {
    return ask(cmd, askTimeout);
  }

  private RecordingReply ask(Function<ActorRef<RecordingReply>, RecordingActor.Command> cmd, Duration timeout) {
    CompletionStage<RecordingReply> reply = AskPattern.ask(recording, cmd::apply, timeout, system.scheduler());
    RecordingReply r;
    try {
      r = reply.toCompletableFuture().get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
      throw new UserError("the recording did not answer within " + timeout.toSeconds() + " s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UserError("interrupted");
    }
    if (r.hasError()) {
      throw new UserError(r.getError().getMessage());
    }
    return r;
  }
}
