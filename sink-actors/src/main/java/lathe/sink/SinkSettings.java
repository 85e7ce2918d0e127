package lathe.sink;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.Map;
import lathe.protocol.Container;
import lathe.protocol.Durability;
import lathe.sink.container.ContainerFormat;

/** Settings of every recording on a node, from {@code lathe.*} in the configuration. */
public record SinkSettings(
    Durability durability,
    Duration finalizeTimeout,
    Duration statisticsTimeout,
    int maxSampleBytes,
    int batchBytes,
    long maxQueuedBytes,
    String ioDispatcher,
    Map<Container, ContainerFormat> formats) {

  public static SinkSettings fromConfig(Config config, Map<Container, ContainerFormat> formats) {
    String d = config.getString("lathe.durability");
    Durability durability = switch (d) {
      case "fsync" -> Durability.FSYNC;
      case "os" -> Durability.OS;
      default -> throw new IllegalArgumentException("lathe.durability must be fsync or os, not " + d);
    };
    long max = config.getBytes("lathe.sink.max-sample-bytes");
    long batch = config.getBytes("lathe.sink.batch-bytes");
    return new SinkSettings(
        durability,
        config.getDuration("lathe.sink.finalize-timeout"),
        config.getDuration("lathe.sink.statistics-timeout"),
        (int) Math.min(Integer.MAX_VALUE - 64, max),
        (int) Math.min(Integer.MAX_VALUE - 64, batch),
        config.getBytes("lathe.sink.max-queued-bytes"),
        "lathe.io-dispatcher",
        Map.copyOf(formats));
  }

  public SinkSettings withFinalizeTimeout(Duration timeout) {
    return new SinkSettings(durability, timeout, statisticsTimeout, maxSampleBytes, batchBytes, maxQueuedBytes,
        ioDispatcher, formats);
  }

  public SinkSettings withMaxSampleBytes(int max) {
    return new SinkSettings(durability, finalizeTimeout, statisticsTimeout, max, batchBytes, maxQueuedBytes,
        ioDispatcher, formats);
  }

  public SinkSettings withMaxQueuedBytes(long max) {
    return new SinkSettings(durability, finalizeTimeout, statisticsTimeout, maxSampleBytes, batchBytes, max,
        ioDispatcher, formats);
  }

  public SinkSettings withDurability(Durability d) {
    return new SinkSettings(d, finalizeTimeout, statisticsTimeout, maxSampleBytes, batchBytes, maxQueuedBytes,
        ioDispatcher, formats);
  }
}
