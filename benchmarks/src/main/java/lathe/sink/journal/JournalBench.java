package lathe.sink.journal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import lathe.protocol.Container;
import lathe.protocol.JournalHeader;
import lathe.sink.container.SampleRecord;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/** The journal: appending sample records (every WriteSample) and reading them back (every Finalize/recovery). */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class JournalBench {
  static final int BATCH = 4096;
  static final int READ_SAMPLES = 500_000;

  private Path dir;
  private JournalWriter writer;
  private Path readPath;
  private long seq;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    dir = Files.createTempDirectory("lathe-journal-bench");
    readPath = dir.resolve("read.journal");
    try (JournalWriter w = JournalWriter.create(readPath, header())) {
      for (int i = 0; i < READ_SAMPLES; i++) {
        w.appendSample(new SampleRecord(0, i, i * 972L, i * 972L, 972, true, false, 16, 1024L + 16L * i));
        if ((i & (BATCH - 1)) == 0) {
          w.flush();
        }
      }
    }
  }

  @Setup(Level.Iteration)
  public void newJournal() throws IOException {
    Path p = dir.resolve("append.journal");
    Files.deleteIfExists(p);
    writer = JournalWriter.create(p, header());
  }

  @TearDown(Level.Iteration)
  public void closeJournal() throws IOException {
    writer.close();
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    Files.deleteIfExists(readPath);
    Files.deleteIfExists(dir.resolve("append.journal"));
    Files.deleteIfExists(dir);
  }

  private static JournalHeader header() {
    return JournalHeader.newBuilder().setPath("bench.mp4").setContainer(Container.MP4).build();
  }

  /** ns per sample record: encode, CRC32C, then one write of the group commit's records (no fsync). */
  @Benchmark
  @OperationsPerInvocation(BATCH)
  public void appendSamples() throws IOException {
    for (int i = 0; i < BATCH; i++) {
      long s = seq++;
      writer.appendSample(new SampleRecord(0, s, s * 972, s * 972, 972, true, false, 3840, 4096 + 3840 * s));
    }
    writer.flush();
  }

  /** ns per sample record of opening a journal and streaming its samples once (page cache). */
  @Benchmark
  @OperationsPerInvocation(READ_SAMPLES)
  public long openAndReadSamples() throws IOException {
    JournalReader r = JournalReader.open(readPath);
    long[] sum = {0};
    r.samples().forEach(s -> sum[0] += s.offset());
    return sum[0];
  }
}
