package lathe.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import lathe.client.SinkWriterClient;
import lathe.protocol.Ack;
import lathe.protocol.FinalizeResult;
import lathe.protocol.MarkerReached;
import lathe.protocol.MediaType;
import lathe.protocol.Sample;
import lathe.protocol.SinkError;
import lathe.protocol.SinkEvent;
import lathe.source.MediaSource;

/**
 * `lathe record --cluster`: the same sources and interleaving as the embedded {@link Recorder}, sent through
 * the gRPC {@link SinkWriterClient} to whichever node holds the recording.
 */
final class ClusterRecorder {
  private final List<String> targets;
  private final EventsFile events;
  private volatile boolean stop;

  ClusterRecorder(List<String> targets, EventsFile events) {
    this.targets = targets;
    this.events = events;
  }

  void stop() {
    stop = true;
  }

  Recorder.Outcome record(String name, Recorder.Request req, List<MediaSource> sources, Progress progress) {
    AtomicLong refused = new AtomicLong();
    AtomicReference<SinkError> firstError = new AtomicReference<>();
    SinkWriterClient.Callback callback = new SinkWriterClient.Callback() {
      @Override
      public void onAck(int stream, long seq) {
        event(SinkEvent.newBuilder().setAck(Ack.newBuilder().setStream(stream).setSeq(seq)).build());
      }

      @Override
      public void onMarker(int stream, com.google.protobuf.ByteString context) {
        event(SinkEvent.newBuilder().setMarker(MarkerReached.newBuilder().setStream(stream).setContext(context))
            .build());
      }

      @Override
      public void onStreamError(SinkError error) {
        refused.incrementAndGet();
        firstError.compareAndSet(null, error);
        event(SinkEvent.newBuilder().setStreamError(error).build());
      }

      @Override
      public void onFinalize(FinalizeResult result) {
        event(SinkEvent.newBuilder().setFinalized(result).build());
      }
    };
    try (SinkWriterClient client = new SinkWriterClient(targets, name, req.container(), req.metadata(), callback)) {
      List<MediaType> types = new ArrayList<>();
      int[] offsets = new int[sources.size()];
      for (int i = 0; i < sources.size(); i++) {
        offsets[i] = types.size();
        for (MediaType t : sources.get(i).streams()) {
          types.add(t);
          client.addStream(t);
        }
      }
      client.beginWriting();
      pump(client, req, sources, offsets, types, progress);
      FinalizeResult result = client.finalizeAsync().toCompletableFuture().get(10, TimeUnit.MINUTES);
      return new Recorder.Outcome(result, client.lastAcknowledged(), refused.get(), firstError.get(), stop);
    } catch (SinkWriterClient.LatheException e) {
      throw new UserError(e.getMessage());
    } catch (java.util.concurrent.ExecutionException e) {
      throw new UserError(e.getCause() == null ? String.valueOf(e) : e.getCause().getMessage());
    } catch (java.util.concurrent.TimeoutException e) {
      throw new UserError("Finalize did not answer within 10 minutes");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UserError("interrupted");
    }
  }

  private void event(SinkEvent e) {
    if (events != null) {
      events.write(e);
    }
  }

  private void pump(SinkWriterClient client, Recorder.Request req, List<MediaSource> sources, int[] offsets,
      List<MediaType> types, Progress progress) {
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
        double t = (next[i].getDts() - base) / (double) timescale(types.get(stream));
        if (t >= limit) {
          next[i] = null;
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
          LockSupport.parkNanos(wait); // pacing the producer thread
        }
      }
      client.writeSample(s.getStream() == stream ? s : s.toBuilder().setStream(stream).build());
      progress.update("recording", pickTime, req.limit() == null ? 0 : limit, "s");
      next[pick] = read(sources.get(pick));
    }
  }

  private static long timescale(MediaType t) {
    if (t.getTimescale() != 0) {
      return t.getTimescale();
    }
    return t.hasAudio() && t.getAudio().getSampleRate() != 0 ? t.getAudio().getSampleRate() : 90000;
  }

  private static Sample read(MediaSource source) {
    try {
      return source.next();
    } catch (java.io.IOException e) {
      throw new UserError("reading the source failed: " + e.getMessage());
    }
  }
}
