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
 * Heap and GC figures of a benchmark: the peak heap is the sum of the heap pools' peaks since {@link #start}
 * (an upper bound: the pools need not peak together), GC pauses come from the collectors' notifications.
 */
final class JvmWatch implements AutoCloseable {
  private final List<MemoryPoolMXBean> heapPools = new ArrayList<>();
  private final List<GarbageCollectorMXBean> collectors = ManagementFactory.getGarbageCollectorMXBeans();
  private final long[] startCount;
  private final long[] startMillis;
  private final AtomicLong maxPauseMillis = new AtomicLong();
  private final NotificationListener listener;

  private JvmWatch() {
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
      if (p.getType() == MemoryType.HEAP && p.isValid()) {
        heapPools.add(p);
        p.resetPeakUsage();
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

  long peakHeapBytes() {
    long sum = 0;
    for (MemoryPoolMXBean p : heapPools) {
      sum += p.getPeakUsage().getUsed();
    }
    return sum;
  }

  /** count, totalMillis and maxPauseMillis of the collections since start. */
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
