package lathe.sink;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import lathe.protocol.Container;
import lathe.protocol.Durability;
import lathe.sink.container.ContainerFormat;
import lathe.sink.wal.CommitLogSettings;

/** Settings of every recording on a node, from {@code lathe.*} in the configuration. */
public record SinkSettings(
    Durability durability,
    Duration finalizeTimeout,
    Duration statisticsTimeout,
    int maxSampleBytes,
    int batchBytes,
    long maxQueuedBytes,
    long writeBehindBytes,
    String ioDispatcher,
    Map<Container, ContainerFormat> formats,
    Path archiveRoot,
    RecordingObserver observer,
    CommitLogSettings commitLog) {

  /**
   * Told of a recording's life on this node (state, file, bytes), from the recording's actor thread: it must
   * not block. The node keeps the cluster-wide registry with it.
   */
  public interface RecordingObserver {
    void changed(String name, String state, Path path, long bytes);
  }

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
        config.getBytes("lathe.sink.write-behind-bytes"),
        "lathe.io-dispatcher",
        Map.copyOf(formats),
        null,
        null,
        null);
  }

  /**
   * Cluster mode: a Create's path is relative to {@code root} (the node's archive) and may not leave it.
   * Without a root (the embedded `lathe record -o`), Create names an absolute path.
   */
  public SinkSettings withArchiveRoot(Path root) {
    return new SinkSettings(durability, finalizeTimeout, statisticsTimeout, maxSampleBytes, batchBytes,
        maxQueuedBytes, writeBehindBytes, ioDispatcher, formats, root == null ? null : root.toAbsolutePath().normalize(),
        observer, commitLog);
  }

  public SinkSettings withObserver(RecordingObserver o) {
    return new SinkSettings(durability, finalizeTimeout, statisticsTimeout, maxSampleBytes, batchBytes,
        maxQueuedBytes, writeBehindBytes, ioDispatcher, formats, archiveRoot, o, commitLog);
  }

  public SinkSettings withFinalizeTimeout(Duration timeout) {
    return new SinkSettings(durability, timeout, statisticsTimeout, maxSampleBytes, batchBytes, maxQueuedBytes,
        writeBehindBytes, ioDispatcher, formats, archiveRoot, observer, commitLog);
  }

  public SinkSettings withMaxSampleBytes(int max) {
    return new SinkSettings(durability, finalizeTimeout, statisticsTimeout, max, batchBytes, maxQueuedBytes,
        writeBehindBytes, ioDispatcher, formats, archiveRoot, observer, commitLog);
  }

  public SinkSettings withMaxQueuedBytes(long max) {
    return new SinkSettings(durability, finalizeTimeout, statisticsTimeout, maxSampleBytes, batchBytes, max,
        writeBehindBytes, ioDispatcher, formats, archiveRoot, observer, commitLog);
  }

  public SinkSettings withWriteBehindBytes(long bytes) {
    return new SinkSettings(durability, finalizeTimeout, statisticsTimeout, maxSampleBytes, batchBytes, maxQueuedBytes,
        bytes, ioDispatcher, formats, archiveRoot, observer, commitLog);
  }

  /** With durability fsync, group commits go through this node's commit log (null: each file fsyncs itself). */
  public SinkSettings withCommitLog(CommitLogSettings c) {
    return new SinkSettings(durability, finalizeTimeout, statisticsTimeout, maxSampleBytes, batchBytes, maxQueuedBytes,
        writeBehindBytes, ioDispatcher, formats, archiveRoot, observer, c);
  }

  public SinkSettings withDurability(Durability d) {
    return new SinkSettings(d, finalizeTimeout, statisticsTimeout, maxSampleBytes, batchBytes, maxQueuedBytes,
        writeBehindBytes, ioDispatcher, formats, archiveRoot, observer, commitLog);
  }
}
