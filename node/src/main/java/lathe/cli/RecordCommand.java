package lathe.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import lathe.protocol.Container;
import lathe.protocol.FileInfo;
import lathe.protocol.Metadata;
import lathe.protocol.StreamSummary;
import lathe.source.MediaSource;
import lathe.source.SourceException;
import lathe.source.Sources;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "record", mixinStandardHelpOptions = true, sortOptions = false,
    description = {
        "Record one or more sources into an MP4 or Broadcast WAV file on the embedded single-node cluster, or "
            + "with --cluster and --name into the archive of a running cluster (through gRPC).",
        "Sources: " + Sources.KINDS,
        "The container follows the output's extension (.wav = bwf, .mp4 = mp4) unless --container says otherwise.",
        "Exit status 0 when the file was finalized with every sample; 1 otherwise, with one line saying why."})
final class RecordCommand implements Callable<Integer> {

  @Option(names = {"-o", "--output"}, paramLabel = "OUT", description = "The file to write (embedded mode).")
  Path output;

  @Option(names = "--cluster", paramLabel = "HOST:G", split = ",", description = "Record on a running cluster "
      + "through the gRPC port of one of its nodes (several, comma-separated, are tried in turn).")
  List<String> cluster = new ArrayList<>();

  @Option(names = "--name", paramLabel = "NAME", description = "With --cluster: the recording's name in the "
      + "archive (folders allowed, e.g. show/take1.wav).")
  String name;

  @Option(names = "--source", required = true, paramLabel = "SPEC", description = "A source; repeat for more.")
  List<String> sources = new ArrayList<>();

  @Option(names = "--container", paramLabel = "bwf|mp4", description = "bwf or mp4 (default: by extension).")
  String container;

  @Option(names = "--duration", paramLabel = "D", converter = DurationConverter.class,
      description = "Stop after D of media time (10s, 1m30s, 500ms). Endless sources need it.")
  Duration duration;

  @Option(names = "--packet", paramLabel = "D", converter = DurationConverter.class,
      description = "Audio in each sample of a PCM source (tone, pcm, WAV file): 20ms by default; larger "
          + "packets are cheaper to send and acknowledged more coarsely.")
  Duration packet;

  @Option(names = "--realtime", description = "Send samples at the pace of their timestamps, like a live feed.")
  boolean realtime;

  @Option(names = "--events", paramLabel = "FILE", description = "Write events (ack, marker, error, finalized) "
      + "to FILE as JSON lines, as they happen.")
  Path events;

  @Option(names = "--description", paramLabel = "TEXT", description = "Description (BWF bext).")
  String description;

  @Option(names = "--originator", paramLabel = "TEXT", defaultValue = "lathe",
      description = "Originator (BWF bext), default ${DEFAULT-VALUE}.")
  String originator;

  @Option(names = "--json", description = "Print a JSON summary on stdout.")
  boolean json;

  @Option(names = "--progress", description = "Show a progress bar on stderr even when it is not a terminal.")
  boolean progress;

  @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "lathe-data",
      description = "Node data (archive, drive images, state); default ./${DEFAULT-VALUE}.")
  Path dataDir;

  @Override
  public Integer call() {
    if (!cluster.isEmpty()) {
      return callCluster();
    }
    if (output == null) {
      throw new UserError("Missing required option: -o OUT (embedded) or --cluster HOST:G --name NAME",
          OneLineErrors.USAGE);
    }
    if (name != null) {
      throw new UserError("--name goes with --cluster; in embedded mode -o names the file", OneLineErrors.USAGE);
    }
    Path out = output.toAbsolutePath().normalize();
    Container c = containerFor(out, container);
    checkOutput(out);
    List<MediaSource> opened = new ArrayList<>();
    try {
      for (String spec : sources) {
        opened.add(Sources.open(spec, duration, packet));
      }
      if (duration == null && sources.stream().anyMatch(s -> s.startsWith("tone:") || s.startsWith("testcard:"))) {
        throw new UserError("tone: and testcard: sources never end; give --duration (e.g. --duration 10s)");
      }
      Metadata metadata = Metadata.newBuilder()
          .setDescription(description != null ? description : "lathe record " + out.getFileName())
          .setOriginator(originator)
          .setOriginatorReference(out.getFileName().toString())
          .build();
      Recorder.Request req = new Recorder.Request(out.toString(), c, metadata, duration, realtime);
      try (Interrupts interrupts = new Interrupts()) {
        Recorder.Outcome outcome = Recording.run(dataDir, req, opened, events, progress,
            recorder -> interrupts.watch(recorder::stop));
        return report(outcome);
      }
    } catch (SourceException e) {
      throw new UserError(e.getMessage());
    } finally {
      for (MediaSource s : opened) {
        try {
          s.close();
        } catch (Exception ignored) {
          // closing an input cannot lose output
        }
      }
    }
  }

  private int callCluster() {
    if (output != null) {
      throw new UserError("-o is for embedded mode; with --cluster give --name", OneLineErrors.USAGE);
    }
    if (name == null) {
      throw new UserError("--cluster needs --name NAME (e.g. --name show/take1.wav)", OneLineErrors.USAGE);
    }
    for (String c : cluster) {
      if (!c.matches("[^:]+:\\d{1,5}")) {
        throw new UserError("--cluster wants HOST:GRPC_PORT, not '" + c + "'", OneLineErrors.USAGE);
      }
    }
    Container c = container == null ? Container.CONTAINER_UNSPECIFIED : containerFor(Path.of("x"), container);
    if (c == Container.CONTAINER_UNSPECIFIED) {
      c = containerFor(Path.of(name.contains("/") ? name.substring(name.lastIndexOf('/') + 1) : name), null);
    }
    List<MediaSource> opened = new ArrayList<>();
    try {
      for (String spec : sources) {
        opened.add(Sources.open(spec, duration, packet));
      }
      if (duration == null && sources.stream().anyMatch(s -> s.startsWith("tone:") || s.startsWith("testcard:"))) {
        throw new UserError("tone: and testcard: sources never end; give --duration (e.g. --duration 10s)");
      }
      Metadata metadata = Metadata.newBuilder()
          .setDescription(description != null ? description : "lathe record " + name)
          .setOriginator(originator)
          .setOriginatorReference(name.length() > 32 ? name.substring(name.length() - 32) : name)
          .build();
      Recorder.Request req = new Recorder.Request(name, c, metadata, duration, realtime);
      try (EventsFile ev = events == null ? null : new EventsFile(events);
          Progress bar = new Progress(progress)) {
        ClusterRecorder recorder = new ClusterRecorder(cluster, ev);
        try (Interrupts interrupts = new Interrupts()) {
          interrupts.watch(recorder::stop);
          return report(recorder.record(name, req, opened, bar));
        }
      }
    } catch (SourceException e) {
      throw new UserError(e.getMessage());
    } finally {
      for (MediaSource s : opened) {
        try {
          s.close();
        } catch (Exception ignored) {
          // closing an input cannot lose output
        }
      }
    }
  }

  static Container containerFor(Path out, String name) {
    if (name != null) {
      return switch (name.toLowerCase(Locale.ROOT)) {
        case "bwf", "wav", "rf64" -> Container.BWF;
        case "mp4", "mov", "m4a" -> Container.MP4;
        default -> throw new UserError("unknown container '" + name + "'; use bwf or mp4", OneLineErrors.USAGE);
      };
    }
    String n = out.getFileName().toString().toLowerCase(Locale.ROOT);
    if (n.endsWith(".wav") || n.endsWith(".bwf") || n.endsWith(".rf64")) {
      return Container.BWF;
    }
    if (n.endsWith(".mp4") || n.endsWith(".m4a") || n.endsWith(".mov") || n.endsWith(".m4v")) {
      return Container.MP4;
    }
    throw new UserError("cannot tell the container from '" + out.getFileName()
        + "'; name it .wav or .mp4, or pass --container bwf|mp4", OneLineErrors.USAGE);
  }

  static void checkOutput(Path out) {
    Path dir = out.getParent();
    if (dir == null || !Files.isDirectory(dir)) {
      throw new UserError("cannot write " + out + ": directory " + dir + " does not exist");
    }
    if (!Files.isWritable(dir)) {
      throw new UserError("cannot write " + out + ": directory " + dir + " is not writable");
    }
    if (Files.exists(out)) {
      throw new UserError(out + " exists; lathe never overwrites a finished recording (choose another name)");
    }
    if (Files.exists(Path.of(out + ".part"))) {
      throw new UserError(out + ".part exists: an earlier recording was cut short; run `lathe recover "
          + out + ".part` first");
    }
  }

  private int report(Recorder.Outcome outcome) {
    if (!outcome.result().getOk()) {
      throw new UserError(outcome.result().getError().getMessage());
    }
    FileInfo f = outcome.result().getFile();
    if (json) {
      System.out.println(Json.pretty(summary(f)));
    } else {
      System.out.printf(Locale.ROOT, "recorded %s (%s, %,d bytes, %.3f s; finalize took %d ms)%n", f.getPath(),
          f.getContainer().name().toLowerCase(Locale.ROOT), f.getBytes(), f.getDurationSeconds(),
          f.getFinalizeMillis());
      for (StreamSummary s : f.getStreamsList()) {
        System.out.printf(Locale.ROOT, "  stream %d: %s, %,d samples, %,d bytes%n", s.getStream(),
            s.getCodec().name().toLowerCase(Locale.ROOT), s.getSamples(), s.getBytes());
      }
      System.out.println("inspect: ffprobe -hide_banner " + f.getPath());
    }
    if (outcome.interrupted()) {
      System.err.println("lathe record: stopped early; the file holds what was recorded until then");
      return 130;
    }
    if (outcome.refused() > 0) {
      throw new UserError(outcome.refused() + " sample(s) were refused and are not in the file; first: "
          + outcome.firstError().getMessage());
    }
    return 0;
  }

  static Map<String, Object> summary(FileInfo f) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("path", f.getPath());
    m.put("container", f.getContainer().name().toLowerCase(Locale.ROOT));
    m.put("bytes", f.getBytes());
    m.put("durationSeconds", f.getDurationSeconds());
    m.put("finalizeMillis", f.getFinalizeMillis());
    List<Map<String, Object>> streams = new ArrayList<>();
    for (StreamSummary s : f.getStreamsList()) {
      Map<String, Object> sm = new LinkedHashMap<>();
      sm.put("index", s.getStream());
      sm.put("codec", s.getCodec().name().toLowerCase(Locale.ROOT));
      sm.put("samples", s.getSamples());
      sm.put("bytes", s.getBytes());
      sm.put("durationSeconds", s.getTimescale() == 0 ? 0 : (double) s.getDuration() / s.getTimescale());
      streams.add(sm);
    }
    m.put("streams", streams);
    return m;
  }

  /**
   * Keeps Ctrl-C and SIGTERM from tearing a recording: the producer stops, the file is finalized and the summary
   * printed before the JVM exits.
   */
  static final class Interrupts implements AutoCloseable {
    private final Thread hook;
    private final CountDownLatch done = new CountDownLatch(1);
    private volatile Runnable stop;

    Interrupts() {
      hook = new Thread(() -> {
        Runnable s = stop;
        if (s != null) {
          s.run();
        }
        try {
          done.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, "lathe-finalize-on-exit");
      Runtime.getRuntime().addShutdownHook(hook);
    }

    /** What to call on SIGTERM/Ctrl-C: the producer's stop, once it exists. */
    void watch(Runnable producerStop) {
      stop = producerStop;
    }

    @Override
    public void close() {
      done.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the hook is running: it waits for done, which is now counted down
      }
    }
  }
}
