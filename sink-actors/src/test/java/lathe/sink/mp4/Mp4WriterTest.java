package lathe.sink.mp4;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The MP4 writer's layout as ffprobe sees it: fragments while recording, plain moov at the end, resume. */
class Mp4WriterTest {

  @TempDir Path dir;

  private static final MediaType PCM = MediaType.newBuilder().setCodec(Codec.PCM)
      .setAudio(AudioFormat.newBuilder().setSampleRate(48_000).setChannels(2).setBitsPerSample(16)).build();
  private static final MediaType PCM_BE = PCM.toBuilder()
      .setAudio(PCM.getAudio().toBuilder().setBigEndian(true).setSampleRate(44_100)).build();

  /** 1024-frame stereo 16-bit packets of a ramp, 10 ms... 21 ms each. */
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
    r.writer().finish(new ListSampleTable(r.written()));
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
    List<String> prefix = sorted(r.expected().subList(0, 0));
    assertTrue(prefix.isEmpty());
    for (String line : p.packets()) {
      String[] f = line.split(",");
      assertTrue(r.expected().contains(f[0] + "," + f[1] + "," + f[2] + "," + f[3] + "," + f[4] + "," + f[5]),
          line);
    }
    r.writer().close();
  }
}
