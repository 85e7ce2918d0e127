package lathe.cli;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.ListenerNotFoundException;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * Heap and GC figures of a benchmark, from the collectors' notifications since {@link #start}: the peak heap is
 * the most the heap pools held together, which is just before a collection (or now, if none came since); the
 * most they held just after one (an upper bound on what the program kept alive: a young collection leaves the
 * old generation's garbage); and the longest pause.
 */
final class JvmWatch implements AutoCloseable {
  private final List<MemoryPoolMXBean> heapPools = new ArrayList<>();
  private final List<GarbageCollectorMXBean> collectors = ManagementFactory.getGarbageCollectorMXBeans();
  private final long[] startCount;
  private final long[] startMillis;
  private final AtomicLong maxPauseMillis = new AtomicLong();
  private final AtomicLong peakBeforeGc = new AtomicLong();
  private final AtomicLong peakAfterGc = new AtomicLong();
  private final java.util.Set<String> heapPoolNames = new java.util.HashSet<>();
  private final NotificationListener listener;

  private JvmWatch() {
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
      if (p.getType() == MemoryType.HEAP && p.isValid()) {
        heapPools.add(p);
        heapPoolNames.add(p.getName());
      }
    }
    startCount = new long[collectors.size()];
    startMillis = new long[collectors.size()];
    for (int i = 0; i < collectors.size(); i++) {
      startCount[i] = collectors.get(i).getCollectionCount();
      startMillis[i] = collectors.get(i).getCollectionTime();
    }
    listener = (n, handback) -> {
      if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) {
        return;
      }
      GarbageCollectionNotificationInfo info =
          GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
      // Concurrent cycles run beside the application; only stop-the-world collections are pauses.
      if (!info.getGcName().contains("Concurrent") && !info.getGcName().contains("Cycles")) {
        maxPauseMillis.accumulateAndGet(info.getGcInfo().getDuration(), Math::max);
      }
      peakBeforeGc.accumulateAndGet(heapUsed(info.getGcInfo().getMemoryUsageBeforeGc()), Math::max);
      peakAfterGc.accumulateAndGet(heapUsed(info.getGcInfo().getMemoryUsageAfterGc()), Math::max);
    };
    for (GarbageCollectorMXBean gc : collectors) {
      if (gc instanceof NotificationEmitter e) {
        e.addNotificationListener(listener, null, null);
      }
    }
  }

  static JvmWatch start() {
    return new JvmWatch();
  }

  private long heapUsed(Map<String, java.lang.management.MemoryUsage> byPool) {
    long sum = 0;
    for (Map.Entry<String, java.lang.management.MemoryUsage> e : byPool.entrySet()) {
      if (heapPoolNames.contains(e.getKey())) {
        sum += e.getValue().getUsed();
      }
    }
    return sum;
  }

  /** The most the heap held at once since start: before the fullest collection, or now. */
  long peakHeapBytes() {
    long now = 0;
    for (MemoryPoolMXBean p : heapPools) {
      now += p.getUsage().getUsed();
    }
    return Math.max(now, peakBeforeGc.get());
  }

  /** The most the heap held right after a collection since start (0 if none came). */
  long heapAfterGcBytes() {
    return peakAfterGc.get();
  }

  /** count, totalMillis, maxPauseMillis and maxHeapAfterGcBytes of the collections since start. */
  Map<String, Object> gc() {
    long count = 0;
    long millis = 0;
    for (int i = 0; i < collectors.size(); i++) {
      count += collectors.get(i).getCollectionCount() - startCount[i];
      millis += collectors.get(i).getCollectionTime() - startMillis[i];
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("count", count);
    m.put("totalMillis", millis);
    m.put("maxPauseMillis", maxPauseMillis.get());
    m.put("maxHeapAfterGcBytes", heapAfterGcBytes());
    m.put("collectors", collectors.stream().map(GarbageCollectorMXBean::getName).toList());
    return m;
  }

  @Override
  public void close() {
    for (GarbageCollectorMXBean gc : collectors) {
      if (gc instanceof NotificationEmitter e) {
        try {
          e.removeNotificationListener(listener);
        } catch (ListenerNotFoundException ignored) {
          // nothing to remove
        }
      }
    }
  }
}
