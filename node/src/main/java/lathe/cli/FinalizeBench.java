package lathe.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import lathe.protocol.Codec;
import lathe.protocol.Container;
import lathe.protocol.JournalHeader;
import lathe.protocol.MediaType;
import lathe.protocol.Metadata;
import lathe.protocol.VideoFormat;
import lathe.sink.Formats;
import lathe.sink.container.ContainerWriter;
import lathe.sink.container.SampleRecord;
import lathe.sink.io.DurableFiles;
import lathe.sink.io.FinalCommit;
import lathe.sink.journal.JournalWriter;
import lathe.sink.mp4.Mp4Format;
import lathe.sink.recovery.Recovery;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Builds an MP4 recording of N small samples as the writer actor does (container writer and journal, group
 * commits every 4096 samples), bypassing the actors for speed: 8 M messages through three actors would time the
 * mailboxes, not the finalize. It then times Finalize's file work (the very code the writer actor runs at
 * Commit: {@link FinalCommit}) and, separately, recovery of an identical .part + .journal.
 */
@Command(name = "finalize", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Time Finalize and recovery of a recording of N small samples (MJPEG-sized, 92.6/s:",
        "8 M samples = 24 hours). The heap should not grow with N."})
final class FinalizeBench implements Callable<Integer> {

  /** 972 ticks of 90 kHz: 8 M samples make 24 hours. */
  static final int DURATION = 972;

  @Option(names = "--samples", paramLabel = "N", defaultValue = "1000000",
      description = "Samples in the recording (default ${DEFAULT-VALUE}).")
  long samples;

  @Option(names = "--sample-bytes", paramLabel = "B", defaultValue = "16",
      description = "Bytes per sample, at most 16 MiB (default ${DEFAULT-VALUE}).")
  int sampleBytes;

  @Option(names = "--json", description = "Print the figures as JSON on stdout.")
  boolean json;

  @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "lathe-data",
      description = "The bench writes in a temporary folder below DIR (default ./${DEFAULT-VALUE}).")
  Path dataDir;

  @Override
  public Integer call() {
    if (samples < 1 || sampleBytes < 1) {
      throw new UserError("--samples and --sample-bytes must be at least 1", OneLineErrors.USAGE);
    }
    if (sampleBytes > 16 << 20) {
      throw new UserError("--sample-bytes " + sampleBytes + " is over 16 MiB, the largest sample a node takes "
          + "(lathe.sink.max-sample-bytes)", OneLineErrors.USAGE);
    }
    Path work = BenchCommand.workDir(dataDir, "bench-finalize-");
    try (Progress progress = new Progress(false)) {
      return run(work, progress);
    } catch (IOException e) {
      throw new UserError("bench finalize failed: " + e.getMessage());
    } finally {
      BenchCommand.deleteTree(work);
    }
  }

  private int run(Path work, Progress progress) throws IOException {
    MediaType type = MediaType.newBuilder().setCodec(Codec.MJPEG)
        .setVideo(VideoFormat.newBuilder().setWidth(320).setHeight(240)).setTimescale(90_000).build();
    Metadata metadata = Metadata.newBuilder().setDescription("lathe bench finalize").build();
    Path target = work.resolve("finalize.mp4");
    Path part = DurableFiles.partOf(target);
    Path journalPath = DurableFiles.journalOf(target);
    JournalHeader header = JournalHeader.newBuilder().setPath(target.toString()).setContainer(Container.MP4)
        .addStreams(type).setMetadata(metadata).setCreatedEpochMillis(System.currentTimeMillis()).build();

    long b0 = System.nanoTime();
    FileChannel channel = FileChannel.open(part, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
        StandardOpenOption.WRITE);
    ContainerWriter writer = new Mp4Format().create(channel, List.of(type), metadata);
    JournalWriter journal = JournalWriter.create(journalPath, header);
    byte[] payload = new byte[sampleBytes];
    for (long i = 0; i < samples; i++) {
      long t = i * DURATION;
      long offset = writer.append(new SampleRecord(0, i, t, t, DURATION, true, false, sampleBytes, -1),
          ByteBuffer.wrap(payload));
      journal.appendSample(new SampleRecord(0, i, t, t, DURATION, true, false, sampleBytes, offset));
      if ((i & 4095) == 4095) {
        writer.checkpoint();
        journal.flush();
        progress.update("building", i + 1, samples, "samples");
      }
    }
    writer.checkpoint();
    channel.force(false);
    journal.force();
    double buildSeconds = (System.nanoTime() - b0) / 1e9;

    // An identical crashed recording for the recovery timing.
    Path crashed = work.resolve("recover.mp4");
    Files.copy(part, DurableFiles.partOf(crashed));
    Files.copy(journalPath, DurableFiles.journalOf(crashed));
    // On disk before the clock starts, so that their write-back does not compete with what is timed.
    for (Path p : List.of(DurableFiles.partOf(crashed), DurableFiles.journalOf(crashed))) {
      try (FileChannel c = FileChannel.open(p, StandardOpenOption.WRITE)) {
        c.force(true);
      }
    }
    long partBytes = Files.size(part);
    long journalBytes = Files.size(journalPath);

    JvmWatch watch = JvmWatch.start();
    long f0 = System.nanoTime();
    long bytes = FinalCommit.run(writer, channel, journal, journalPath, part, target);
    long finalizeNanos = System.nanoTime() - f0;
    long r0 = System.nanoTime();
    Recovery.Result recovered = Recovery.recover(DurableFiles.partOf(crashed), Formats.standard());
    long recoverNanos = System.nanoTime() - r0;
    long peakHeap = watch.peakHeapBytes();
    Map<String, Object> gc = watch.gc();
    watch.close();
    if (!recovered.ok()) {
      throw new UserError("recovery failed: " + recovered.error());
    }
    if (recovered.samples() != samples || Files.size(crashed) != bytes) {
      throw new UserError("recovery kept " + recovered.samples() + " of " + samples + " samples ("
          + Files.size(crashed) + " bytes, finalize wrote " + bytes + ")");
    }

    Map<String, Object> m = new LinkedHashMap<>();
    m.put("samples", samples);
    m.put("sampleBytes", sampleBytes);
    m.put("mediaHours", BenchCommand.round(samples * (double) DURATION / 90_000 / 3600, 3));
    m.put("partBytes", partBytes);
    m.put("journalBytes", journalBytes);
    m.put("fileBytes", bytes);
    m.put("buildSeconds", BenchCommand.round(buildSeconds, 3));
    m.put("finalizeMillis", BenchCommand.round(finalizeNanos / 1e6, 1));
    m.put("recoverMillis", BenchCommand.round(recoverNanos / 1e6, 1));
    m.put("recoveredSamples", recovered.samples());
    m.put("peakHeapBytes", peakHeap);
    m.put("maxHeapBytes", Runtime.getRuntime().maxMemory());
    m.put("gc", gc);
    if (json) {
      System.out.println(Json.pretty(m));
    } else {
      System.out.printf(Locale.ROOT, "%,d samples (%.1f h, journal %,d bytes): finalize %.1f ms, recover %.1f ms, "
          + "peak heap %.1f MiB (of -Xmx %.0f MiB)%n", samples, m.get("mediaHours"), journalBytes,
          finalizeNanos / 1e6, recoverNanos / 1e6, peakHeap / 1048576.0, Runtime.getRuntime().maxMemory() / 1048576.0);
    }
    return 0;
  }
}
