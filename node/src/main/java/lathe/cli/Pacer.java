package lathe.cli;

import java.util.List;
import java.util.concurrent.locks.LockSupport;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The clock of `lathe bench streams`: one thread that tells each live producer when its next sample is due, at
 * its own phase within the period, so that N independent sources send spread over the period as real ones would.
 * It wakes at most once a millisecond and tells every producer that is due by then. Pekko's timers fire on the
 * scheduler's 10 ms ticks, which sent every stream's sample in two bursts per 20 ms period, and the scheduler
 * thread handling 1,000 fixed-rate timers cost about 5 % of the CPU that the node under test needs.
 *
 * <p>Late ticks are caught up (fixed rate): a producer due three times since the last wake is told three times.
 * The producer stamps each sample's send time when it handles the tick, as before.
 */
final class Pacer implements AutoCloseable {
  private static final long GRANULE_NANOS = 1_000_000;

  private final List<ActorRef<LiveProducer.Command>> producers;
  private final long[] due;
  private final long periodNanos;
  private final LiveProducer.Go go;
  private final Thread thread;
  private volatile boolean closed;

  /**
   * phaseNanos[i]: when producer i's first tick is due after start (0 to period); from go.stopAtNanos() on,
   * no tick is sent. Each producer is told {@code go} first, by this thread, so that it comes before its ticks.
   */
  Pacer(List<ActorRef<LiveProducer.Command>> producers, long[] phaseNanos, long periodNanos, long startNanos,
      LiveProducer.Go go) {
    if (phaseNanos.length != producers.size() || periodNanos <= 0) {
      throw new IllegalArgumentException("one phase per producer and a positive period");
    }
    this.producers = List.copyOf(producers);
    this.due = new long[phaseNanos.length];
    for (int i = 0; i < due.length; i++) {
      due[i] = startNanos + phaseNanos[i];
    }
    this.periodNanos = periodNanos;
    this.go = go;
    this.thread = new Thread(this::run, "lathe-bench-pacer");
    thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  private void run() {
    producers.forEach(p -> p.tell(go));
    long stopAt = go.stopAtNanos();
    while (!closed) {
      long now = System.nanoTime();
      if (now - stopAt >= 0) {
        return;
      }
      long next = Long.MAX_VALUE;
      for (int i = 0; i < due.length; i++) {
        while (due[i] - now <= 0 && due[i] - stopAt < 0) {
          producers.get(i).tell(LiveProducer.Tick.INSTANCE);
          due[i] += periodNanos;
        }
        next = Math.min(next, due[i]);
      }
      long wake = Math.max(next, now + GRANULE_NANOS);
      if (wake - stopAt > 0) {
        wake = stopAt;
      }
      long sleep = wake - System.nanoTime();
      if (sleep > 0) {
        LockSupport.parkNanos(this, sleep);
      }
    }
  }

  /** Stops the ticks (if the deadline has not) and waits for the thread. */
  @Override
  public void close() throws InterruptedException {
    closed = true;
    LockSupport.unpark(thread);
    thread.join();
  }
}
