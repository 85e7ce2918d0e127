package lathe.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import lathe.sink.RecordingActor;
import lathe.sink.SinkSettings;
import lathe.source.MediaSource;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/** Runs one recording on an embedded node: the path `lathe record` and `lathe demo` share. */
final class Recording {
  private Recording() {}

  static Recorder.Outcome run(Path dataDir, Recorder.Request req, List<MediaSource> sources, Path eventsPath,
      boolean forceProgress, Consumer<Recorder> started) {
    try (EmbeddedNode node = EmbeddedNode.start(dataDir);
        EventsFile events = eventsPath == null ? null : new EventsFile(eventsPath);
        Progress progress = new Progress(forceProgress)) {
      return run(node, req, sources, events, progress, started);
    }
  }

  /** {@code started} gets the producer before the first sample, so that Ctrl-C can stop it cleanly. */
  static Recorder.Outcome run(EmbeddedNode node, Recorder.Request req, List<MediaSource> sources,
      EventsFile events, Progress progress, Consumer<Recorder> started) {
    SinkSettings settings = node.sinkSettings();
    RecordingActor.initSharding(node.system(), settings);
    EntityRef<RecordingActor.Command> ref =
        ClusterSharding.get(node.system()).entityRefFor(RecordingActor.TYPE_KEY, req.path());
    Duration askTimeout = settings.finalizeTimeout().plusSeconds(10);
    Recorder recorder = new Recorder(node.system(), ref, e -> {
      if (events != null) {
        events.write(e);
      }
    }, askTimeout);
    started.accept(recorder);
    return recorder.record(req, sources, progress);
  }
}
