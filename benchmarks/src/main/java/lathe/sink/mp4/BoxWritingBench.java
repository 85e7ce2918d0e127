package lathe.sink.mp4;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import lathe.protocol.Codec;
import lathe.protocol.MediaType;
import lathe.protocol.VideoFormat;
import lathe.sink.container.SampleRecord;
import lathe.sink.container.SampleTable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/** Box serialization: a fragment's trun entries, and the final moov's tables streamed from a sample table. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class BoxWritingBench {
  static final int TRUN_ENTRIES = 1000;
  static final int MOOV_SAMPLES = 100_000;

  private Path file;
  private FileChannel channel;
  private List<Track> tracks;
  private SampleTable table;

  @Setup
  public void setUp() throws IOException {
    file = Files.createTempFile("lathe-bench", ".mp4");
    channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.READ);
    MediaType t = MediaType.newBuilder().setCodec(Codec.MJPEG)
        .setVideo(VideoFormat.newBuilder().setWidth(320).setHeight(240)).setTimescale(90_000).build();
    tracks = List.of(Track.of(0, t));
    table = new SampleTable() {
      @Override
      public long count() {
        return MOOV_SAMPLES;
      }

      @Override
      public void forEach(SampleConsumer c) throws IOException {
        for (int i = 0; i < MOOV_SAMPLES; i++) {
          c.accept(new SampleRecord(0, i, i * 972L, i * 972L, 972, true, false, 16 + (i & 7), 1024L + 24L * i));
        }
      }
    };
  }

  @TearDown
  public void tearDown() throws IOException {
    channel.close();
    Files.deleteIfExists(file);
  }

  /** ns per entry of a trun (ISO/IEC 14496-12 §8.8.8) built in a BoxBuffer: the moof of every fragment. */
  @Benchmark
  @OperationsPerInvocation(TRUN_ENTRIES)
  public ByteBuffer trunEntries() {
    BoxBuffer b = new BoxBuffer();
    b.start("moof").fullBox("mfhd", 0, 0).u32(1).end().start("traf");
    b.fullBox("tfhd", 0, 1).u32(1).u64(4096).end();
    b.fullBox("trun", 1, 0xF01).u32(TRUN_ENTRIES).u32(0);
    for (int k = 0; k < TRUN_ENTRIES; k++) {
      b.u32(972).u32(3840 + k).u32(0x02000000).u32(0);
    }
    b.end().end().end();
    return b.toByteBuffer();
  }

  /** ns per sample of the final moov: two passes over the table, entries streamed into the file. */
  @Benchmark
  @OperationsPerInvocation(MOOV_SAMPLES)
  public long finalMoov() throws IOException {
    return FinalMoov.write(channel, 0, tracks, 0, table);
  }
}
