package lathe.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import lathe.protocol.Container;
import lathe.protocol.FileInfo;
import lathe.protocol.MediaType;
import lathe.protocol.Metadata;
import lathe.protocol.Sample;
import lathe.protocol.StreamSummary;
import lathe.source.MediaSource;
import lathe.source.Mp4Source;
import lathe.source.SourceException;
import lathe.source.Sources;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Demuxes a file and records its packets on an embedded node, N times; with --compare-ffmpeg, `ffmpeg -c copy`
 * and `dd conv=fdatasync` of the same bytes run in the same rounds, interleaved with ours so that a noisy
 * neighbour hurts all three alike. Our clock covers what ffmpeg's covers: reading and demuxing the input
 * (from the page cache), muxing, writing, and (fsync) making the file durable and finalizing it.
 */
@Command(name = "mux", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Record a file's packets (file: source: MP4/MOV or WAV) to MP4/BWF in-process, N times.",
        "Reports packets, bytes and seconds of the timed runs, packets/s, bytes/s and the peak heap."})
final class MuxBench implements Callable<Integer> {

  @Option(names = "--input", required = true, paramLabel = "FILE", description = "An MP4/MOV/M4A or WAV file.")
  Path input;

  @Option(names = "--repeat", paramLabel = "N", defaultValue = "3", description = "Timed runs (default ${DEFAULT-VALUE}).")
  int repeat;

  @Option(names = "--warmup", paramLabel = "N", defaultValue = "1",
      description = "Untimed runs first, of every contender (default ${DEFAULT-VALUE}): the JIT compiles here.")
  int warmup;

  @Option(names = "--durability", paramLabel = "fsync|os", defaultValue = "fsync",
      description = "What an Ack waits for (default ${DEFAULT-VALUE}).")
  String durability;

  @Option(names = "--preload", description = "Demux the input into memory before timing: times muxing alone.")
  boolean preload;

  @Option(names = "--grpc", description = "Send the packets through the gRPC ingest (SinkWriterClient over "
      + "HTTP/2 on 127.0.0.1) of a lathe node started in this process, instead of straight to the embedded node.")
  boolean grpc;

  @Option(names = "--compare-ffmpeg", description = "Also time `ffmpeg -c copy` and `dd bs=1M conv=fdatasync` "
      + "of the same byte count, and print our throughput divided by theirs.")
  boolean compare;

  @Option(names = "--json", description = "Print the figures as JSON on stdout.")
  boolean json;

  @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "lathe-data",
      description = "Node data; the bench writes in a temporary folder below it (default ./${DEFAULT-VALUE}).")
  Path dataDir;

  @Override
  public Integer call() {
    if (repeat < 1 || warmup < 0) {
      throw new UserError("--repeat must be at least 1 and --warmup at least 0", OneLineErrors.USAGE);
    }
    Path in = input.toAbsolutePath().normalize();
    Container container;
    List<MediaType> streams;
    try (MediaSource probe = open(in)) {
      container = probe instanceof Mp4Source ? Container.MP4 : Container.BWF;
      streams = probe.streams();
    } catch (IOException e) {
      throw new UserError("cannot read " + in + ": " + e.getMessage());
    }
    String ext = container == Container.MP4 ? ".mp4" : ".wav";
    List<Sample> packets = preload ? readAll(in) : null;
    BenchCommand.warmPageCache(in);
    Path work = BenchCommand.workDir(dataDir, "bench-mux-");
    long ourNanos = 0;
    long ffmpegNanos = 0;
    long ddNanos = 0;
    long packetCount = 0;
    long bytes = 0;
    long outputBytes = 0;
    long finalizeMillis = 0;
    long peakHeap;
    Map<String, Object> gc;
    try (Target node = grpc ? new GrpcTarget(work, durability) : new EmbeddedTarget(dataDir, durability);
        Progress progress = new Progress(false)) {
      JvmWatch watch = null;
      for (int round = 0; round < warmup + repeat; round++) {
        boolean timed = round >= warmup;
        if (timed && watch == null) {
          watch = JvmWatch.start();
        }
        Path out = work.resolve("lathe-" + round + ext);
        long t0 = System.nanoTime();
        FileInfo f = recordOnce(node, in, out, container, packets, streams, progress);
        long t = System.nanoTime() - t0;
        long runBytes = 0;
        long runPackets = 0;
        for (StreamSummary s : f.getStreamsList()) {
          runBytes += s.getBytes();
          runPackets += s.getSamples();
        }
        BenchCommand.deleteDurably(out);
        long tf = 0;
        long td = 0;
        if (compare) {
          Path ff = work.resolve("ffmpeg-" + round + ext);
          tf = BenchCommand.timeTool(work, List.of("ffmpeg", "-nostdin", "-v", "error", "-y", "-i", in.toString(),
              "-map", "0", "-c", "copy", "-f", container == Container.MP4 ? "mp4" : "wav", ff.toString()));
          BenchCommand.deleteDurably(ff);
          Path dd = work.resolve("dd-" + round + ".bin");
          long mib = Math.max(1, (runBytes + (1 << 20) - 1) >> 20);
          td = BenchCommand.timeTool(work, List.of("dd", "if=/dev/zero", "of=" + dd, "bs=1M", "count=" + mib,
              "conv=fdatasync", "status=none"));
          td = td * runBytes / (mib << 20); // dd wrote whole MiB: scale its time to the same byte count
          BenchCommand.deleteDurably(dd);
        }
        if (timed) {
          ourNanos += t;
          ffmpegNanos += tf;
          ddNanos += td;
          packetCount += runPackets;
          bytes += runBytes;
          outputBytes += f.getBytes();
          finalizeMillis += f.getFinalizeMillis();
        }
      }
      peakHeap = watch.peakHeapBytes();
      gc = watch.gc();
      watch.close();
    } finally {
      BenchCommand.deleteTree(work);
    }
    double seconds = ourNanos / 1e9;
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("input", in.toString());
    m.put("container", container.name().toLowerCase(Locale.ROOT));
    m.put("durability", durability.toLowerCase(Locale.ROOT));
    m.put("preload", preload);
    m.put("grpc", grpc);
    m.put("repeat", repeat);
    m.put("packets", packetCount);
    m.put("bytes", bytes);
    m.put("outputBytes", outputBytes);
    m.put("seconds", BenchCommand.round(seconds, 6));
    m.put("packetsPerSecond", BenchCommand.round(packetCount / seconds, 1));
    m.put("bytesPerSecond", BenchCommand.round(bytes / seconds, 1));
    m.put("peakHeapBytes", peakHeap);
    m.put("finalizeMillis", finalizeMillis);
    m.put("gc", gc);
    if (compare) {
      double ffBps = bytes / (ffmpegNanos / 1e9);
      double ddBps = bytes / (ddNanos / 1e9);
      m.put("ffmpeg", Map.of("seconds", BenchCommand.round(ffmpegNanos / 1e9, 6),
          "bytesPerSecond", BenchCommand.round(ffBps, 1)));
      m.put("dd", Map.of("seconds", BenchCommand.round(ddNanos / 1e9, 6),
          "bytesPerSecond", BenchCommand.round(ddBps, 1)));
      Map<String, Object> ratios = new LinkedHashMap<>();
      ratios.put("vsFfmpegCopy", BenchCommand.round(bytes / seconds / ffBps, 3));
      ratios.put("vsDdFdatasync", BenchCommand.round(bytes / seconds / ddBps, 3));
      m.put("ratios", ratios);
    }
    if (json) {
      System.out.println(Json.pretty(m));
    } else {
      System.out.printf(Locale.ROOT, "lathe: %,d packets, %,d bytes in %.3f s: %,.0f packets/s, %.1f MB/s "
          + "(%s, durability %s%s), peak heap %.1f MiB%n", packetCount, bytes, seconds, packetCount / seconds,
          bytes / seconds / 1e6, m.get("container"), m.get("durability"), grpc ? ", through gRPC" : "",
          peakHeap / 1048576.0);
      if (compare) {
        @SuppressWarnings("unchecked")
        Map<String, Object> r = (Map<String, Object>) m.get("ratios");
        System.out.printf(Locale.ROOT, "ffmpeg -c copy: %.3f s, %.1f MB/s; lathe/ffmpeg = %.3f%n", ffmpegNanos / 1e9,
            bytes / (ffmpegNanos / 1e9) / 1e6, (double) r.get("vsFfmpegCopy"));
        System.out.printf(Locale.ROOT, "dd bs=1M conv=fdatasync: %.3f s, %.1f MB/s; lathe/dd = %.3f%n",
            ddNanos / 1e9, bytes / (ddNanos / 1e9) / 1e6, (double) r.get("vsDdFdatasync"));
      }
    }
    return 0;
  }

  /** Where the bench records: the embedded node, or a node's gRPC ingest. */
  private interface Target extends AutoCloseable {
    Recorder.Outcome record(Path out, Recorder.Request request, MediaSource source, Progress progress);

    @Override
    void close();
  }

  private static final class EmbeddedTarget implements Target {
    private final EmbeddedNode node;

    EmbeddedTarget(Path dataDir, String durability) {
      node = EmbeddedNode.start(dataDir, BenchCommand.durability(durability));
    }

    @Override
    public Recorder.Outcome record(Path out, Recorder.Request request, MediaSource source, Progress progress) {
      return Recording.run(node, request, List.of(source), null, progress, recorder -> { });
    }

    @Override
    public void close() {
      node.close();
    }
  }

  /** A one-node cluster in this process; the packets go through protobuf, HTTP/2 and flow control as any client's. */
  private static final class GrpcTarget implements Target {
    private final lathe.node.LatheNode node;
    private int round;

    GrpcTarget(Path work, String durability) {
      try {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
          port = s.getLocalPort();
        }
        node = lathe.node.LatheNode.start(new lathe.node.LatheNode.Options(work.resolve("node"), "127.0.0.1", port,
            0, 0, List.of(), List.of("recorder"), null, BenchCommand.durability(durability)));
      } catch (IOException e) {
        throw new UserError("cannot start the node for --grpc: " + e.getMessage());
      }
    }

    @Override
    public Recorder.Outcome record(Path out, Recorder.Request request, MediaSource source, Progress progress) {
      String name = "bench/round-" + (round++) + (request.container() == Container.MP4 ? ".mp4" : ".wav");
      Recorder.Outcome o = new ClusterRecorder(List.of("127.0.0.1:" + node.grpcPort()), null)
          .record(name, request, List.of(source), progress);
      if (o.result().getOk()) {
        BenchCommand.deleteQuietly(Path.of(o.result().getFile().getPath()));
      }
      return o;
    }

    @Override
    public void close() {
      node.close();
    }
  }

  private FileInfo recordOnce(Target node, Path in, Path out, Container container, List<Sample> packets,
      List<MediaType> streams, Progress progress) {
    MediaSource source = packets != null ? new ListSource(streams, packets) : open(in);
    try {
      Metadata metadata = Metadata.newBuilder().setDescription("lathe bench mux").setOriginator("lathe")
          .setOriginatorReference(out.getFileName().toString()).build();
      Recorder.Outcome o = node.record(out, new Recorder.Request(out.toString(), container, metadata, null, false),
          source, progress);
      if (!o.result().getOk()) {
        throw new UserError("recording failed: " + o.result().getError().getMessage());
      }
      if (o.refused() > 0) {
        throw new UserError(o.refused() + " packet(s) were refused: " + o.firstError().getMessage());
      }
      return o.result().getFile();
    } finally {
      try {
        source.close();
      } catch (IOException ignored) {
        // the input is only read
      }
    }
  }

  private static MediaSource open(Path in) {
    try {
      return Sources.open("file:" + in, null);
    } catch (SourceException e) {
      throw new UserError(e.getMessage());
    }
  }

  private static List<Sample> readAll(Path in) {
    List<Sample> all = new ArrayList<>();
    try (MediaSource s = open(in)) {
      for (Sample x = s.next(); x != null; x = s.next()) {
        all.add(x);
      }
    } catch (IOException e) {
      throw new UserError("cannot read " + in + ": " + e.getMessage());
    }
    return all;
  }

  /** Packets already in memory, for --preload. */
  private static final class ListSource implements MediaSource {
    private final List<MediaType> streams;
    private final Iterator<Sample> it;

    ListSource(List<MediaType> streams, List<Sample> samples) {
      this.streams = streams;
      this.it = samples.iterator();
    }

    @Override
    public List<MediaType> streams() {
      return streams;
    }

    @Override
    public Sample next() {
      return it.hasNext() ? it.next() : null;
    }

    @Override
    public void close() {}
  }
}
