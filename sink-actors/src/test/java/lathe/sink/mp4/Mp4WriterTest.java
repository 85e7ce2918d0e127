package lathe.sink.mp4;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import lathe.protocol.AudioFormat;
import lathe.protocol.Codec;
import lathe.protocol.MediaType;
import lathe.protocol.Metadata;
import lathe.sink.container.ContainerWriter;
import lathe.sink.container.SampleRecord;
import lathe.sink.container.SampleTable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The MP4 writer's layout as ffprobe sees it: fragments while recording, plain moov at the end, resume. */
class Mp4WriterTest {

  @TempDir Path dir;

  private static final MediaType PCM = MediaType.newBuilder().setCodec(Codec.PCM)
      .setAudio(AudioFormat.newBuilder().setSampleRate(48_000).setChannels(2).setBitsPerSample(16)).build();
  private static final MediaType PCM_BE = PCM.toBuilder()
      .setAudio(PCM.getAudio().toBuilder().setBigEndian(true).setSampleRate(44_100)).build();

  /** Stereo 16-bit packets of a ramp that differs per packet. */
  private static ByteBuffer packet(int n, int frames) {
    ByteBuffer b = ByteBuffer.allocate(frames * 4);
    for (int i = 0; i < frames * 2; i++) {
      b.putShort((short) (n * 31 + i));
    }
    return b.flip();
  }

  private record Recording(ContainerWriter writer, List<SampleRecord> written, List<String> expected) {}

  private Recording record(Path file, int packets, Path snapshotAfterCheckpoint, int snapshotAt) throws Exception {
    FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
        StandardOpenOption.WRITE);
    ContainerWriter w = new Mp4Format(Duration.ofMillis(500)).create(ch, List.of(PCM, PCM_BE),
        Metadata.getDefaultInstance());
    List<SampleRecord> written = new ArrayList<>();
    List<String> expected = new ArrayList<>();
    long[] dts = {0, 0};
    for (int n = 0; n < packets; n++) {
      for (int s = 0; s < 2; s++) {
        int frames = s == 0 ? 1024 : 441;
        ByteBuffer data = packet(n + s, frames);
        SampleRecord r = new SampleRecord(s, n, dts[s], dts[s], frames, true, false, data.remaining(), 0);
        long off = w.append(r, data);
        written.add(new SampleRecord(s, n, dts[s], dts[s], frames, true, false, frames * 4, off));
        expected.add(s + "," + dts[s] + "," + dts[s] + "," + frames + "," + frames * 4 + ",K_");
        dts[s] += frames;
      }
      if (n % 7 == 0) {
        w.checkpoint();
        if (n == snapshotAt) {
          Files.copy(file, snapshotAfterCheckpoint, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
    return new Recording(w, written, expected);
  }

  private static List<String> sorted(List<String> packets) {
    List<String> l = new ArrayList<>(packets);
    l.sort(null);
    return l;
  }

  @Test
  void finishedFileHoldsEveryPacketAsWritten() throws Exception {
    Path file = dir.resolve("a.mp4");
    Recording r = record(file, 200, dir.resolve("snap.mp4"), 7 * 20);
    r.writer().finish(SampleTable.of(r.written()));
    r.writer().close();
    Probe.Result p = Probe.packets(file);
    assertEquals(0, p.exit(), p.stderr());
    assertEquals("", p.stderr());
    assertEquals(sorted(r.expected()), sorted(p.packets()));
    String fmt = Probe.format(file, "stream=codec_name,duration_ts:format=duration");
    assertTrue(fmt.contains("codec_name=pcm_s16le") && fmt.contains("codec_name=pcm_s16be"), fmt);
    assertTrue(fmt.contains("duration_ts=204800"), fmt);
  }

  @Test
  void partCopiedAfterCheckpointReadsUpToItsFragments() throws Exception {
    Path file = dir.resolve("b.mp4");
    Path snap = dir.resolve("snap.mp4");
    Recording r = record(file, 200, snap, 7 * 20);
    Probe.Result p = Probe.packets(snap);
    assertEquals(0, p.exit(), p.stderr());
    assertEquals("", p.stderr());
    // 140 packets per stream were written at the snapshot; fragments of 0.5 s hold all but the last few
    long first = p.packets().stream().filter(l -> l.startsWith("0,")).count();
    assertTrue(first >= 140 - 2 * 24 && first <= 141, "packets of stream 0 in the .part: " + first);
    for (String line : p.packets()) {
      String[] f = line.split(",");
      assertTrue(r.expected().contains(f[0] + "," + f[1] + "," + f[2] + "," + f[3] + "," + f[4] + "," + f[5]),
          line);
    }
    r.writer().close();
  }

  @Test
  void partCopiedBeforeTheFirstFragmentIsReadableAndEmpty() throws Exception {
    Path snap = dir.resolve("early.mp4");
    Recording r = record(dir.resolve("early.mp4.part"), 3, snap, 0);
    r.writer().close();
    Probe.Result p = Probe.packets(snap);
    assertEquals(0, p.exit(), p.stderr());
    assertEquals("", p.stderr());
    assertEquals(List.of(), p.packets());
  }

  @Test
  void resumeCutsTrailingGarbageAndKeepsExactlyTheTablesSamples() throws Exception {
    Path file = dir.resolve("c.mp4.part");
    Recording r = record(file, 100, dir.resolve("unused.mp4"), -1);
    r.writer().close(); // the process dies here: no finish, the last fragment open
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
      ch.write(ByteBuffer.wrap("half a sample and a torn moof".repeat(50).getBytes()));
    }
    // the journal's torn tail: the last three samples never made it
    List<SampleRecord> kept = r.written().subList(0, r.written().size() - 3);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ContainerWriter w = new Mp4Format().resume(ch, List.of(PCM, PCM_BE), Metadata.getDefaultInstance(),
          SampleTable.of(kept));
      w.finish(SampleTable.of(kept));
    }
    Probe.Result p = Probe.packets(file);
    assertEquals(0, p.exit(), p.stderr());
    assertEquals("", p.stderr());
    assertEquals(sorted(r.expected().subList(0, kept.size())), sorted(p.packets()));
  }

  @Test
  void resumeRefusesAFileItDidNotWrite() throws Exception {
    Path file = dir.resolve("d.mp4.part");
    Files.writeString(file, "RIFF\0\0\0\0WAVEfmt not an mp4");
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class, () -> new Mp4Format()
          .resume(ch, List.of(PCM), Metadata.getDefaultInstance(), SampleTable.of(List.of())));
      assertTrue(e.getMessage().contains("not an MP4 file written by Lathe"), e.getMessage());
    }
  }

  /**
   * Past 4 GiB: samples whose bytes lie beyond 2^32 (in a sparse file, so the test stays fast) must be indexed
   * with co64 and a 64-bit mdat, and ffprobe must find each one at its offset.
   */
  @Test
  void samplesPast4GiBUseCo64AndA64BitMdat() throws Exception {
    Path file = dir.resolve("big.mp4.part");
    List<SampleRecord> table = new ArrayList<>();
    List<String> expected = new ArrayList<>();
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
        StandardOpenOption.WRITE)) {
      ContainerWriter w = new Mp4Format().create(ch, List.of(PCM), Metadata.getDefaultInstance());
      long offset = 0;
      for (int n = 0; n < 20; n++) {
        ByteBuffer data = packet(n, 1024);
        SampleRecord r = new SampleRecord(0, n, n * 1024L, n * 1024L, 1024, true, false, 4096, 0);
        if (n < 10) {
          offset = w.append(r, data);
        } else {
          offset = n == 10 ? (5L << 30) + 12345 : offset + 4096; // as if 5 GiB of other media lay between
          ch.write(data, offset);
        }
        table.add(new SampleRecord(0, n, n * 1024L, n * 1024L, 1024, true, false, 4096, offset));
        expected.add(n * 1024L + "," + offset);
      }
    }
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ContainerWriter w = new Mp4Format().resume(ch, List.of(PCM), Metadata.getDefaultInstance(),
          SampleTable.of(table));
      w.finish(SampleTable.of(table));
    }
    Process p = new ProcessBuilder("ffprobe", "-v", "error", "-show_entries", "packet=pts,pos", "-of", "csv=p=0",
        file.toString()).redirectErrorStream(true).start();
    List<String> lines = new String(p.getInputStream().readAllBytes()).lines().toList();
    assertEquals(0, p.waitFor());
    assertEquals(expected, lines);
    assertTrue(Files.size(file) > (5L << 30));
  }

  /**
   * Finalize streams the sample tables from the table without holding them: a million interleaved samples (a
   * million chunks) are indexed from a table that computes its records on the fly, and ffprobe counts them all.
   */
  @Test
  void finishOfAMillionSamplesStreamsTheTables() throws Exception {
    int perStream = Integer.getInteger("lathe.mp4.samplesPerStream", 500_000);
    Path file = dir.resolve("many.mp4.part");
    long dataStart;
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
        StandardOpenOption.WRITE)) {
      ContainerWriter w = new Mp4Format().create(ch, List.of(PCM, PCM), Metadata.getDefaultInstance());
      dataStart = w.size();
      ch.write(ByteBuffer.allocate(1), dataStart + 8L * perStream * 2 - 1); // zeros: 2 frames per sample
    }
    long start = dataStart;
    lathe.sink.container.SampleTable generated = new lathe.sink.container.SampleTable() {
      @Override
      public long count() {
        return 2L * perStream;
      }

      @Override
      public void forEach(SampleConsumer consumer) throws IOException {
        for (long i = 0; i < 2L * perStream; i++) {
          long n = i / 2;
          consumer.accept(new SampleRecord((int) (i % 2), n, 2 * n, 2 * n, 2, true, false, 8, start + 8 * i));
        }
      }
    };
    Runtime rt = Runtime.getRuntime();
    System.gc();
    long before = rt.totalMemory() - rt.freeMemory();
    long t0 = System.nanoTime();
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ContainerWriter w = new Mp4Format().resume(ch, List.of(PCM, PCM), Metadata.getDefaultInstance(), generated);
      w.finish(generated);
    }
    long millis = (System.nanoTime() - t0) / 1_000_000;
    long grown = rt.totalMemory() - rt.freeMemory() - before;
    System.out.printf("finish of %d samples: %d ms, heap grew by %d KiB%n", 2L * perStream, millis, grown >> 10);
    String counts = Probe.format(file, "stream=nb_read_packets,duration_ts", "-count_packets");
    assertTrue(counts.contains("nb_read_packets=" + perStream), counts);
    assertTrue(counts.contains("duration_ts=" + 2L * perStream), counts);
  }

  @Test
  void resumeOfARecordingThatDiedInItsOpeningGivesAnEmptyValidFile() throws Exception {
    Path file = dir.resolve("e.mp4.part");
    Files.write(file, new byte[] {0, 0, 0});
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ContainerWriter w = new Mp4Format().resume(ch, List.of(PCM), Metadata.getDefaultInstance(),
          SampleTable.of(List.of()));
      w.finish(SampleTable.of(List.of()));
    }
    Probe.Result p = Probe.packets(file);
    assertEquals(0, p.exit(), p.stderr());
    assertEquals(List.of(), p.packets());
    assertTrue(Probe.format(file, "stream=codec_name").contains("codec_name=pcm_s16le"));
  }
}
