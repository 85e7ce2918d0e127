package lathe.sink.bwf;

import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import lathe.protocol.AudioFormat;
import lathe.protocol.Codec;
import lathe.protocol.MediaType;
import lathe.protocol.Metadata;
import lathe.protocol.VideoFormat;
import lathe.sink.container.ContainerWriter;
import lathe.sink.container.SampleRecord;
import lathe.sink.container.SampleTable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BwfWriterTest {

  @TempDir Path dir;

  private final BwfFormat format = new BwfFormat();

  static MediaType pcm(int rate, int channels, int bits, boolean floating, boolean bigEndian) {
    return MediaType.newBuilder().setCodec(Codec.PCM).setTimescale(rate)
        .setAudio(AudioFormat.newBuilder().setSampleRate(rate).setChannels(channels).setBitsPerSample(bits)
            .setFloatingPoint(floating).setBigEndian(bigEndian))
        .build();
  }

  /** The tone of `lathe record --source tone:RATE:CHANNELS:HZ`, frames [first, first+count), 16-bit LE. */
  static byte[] tone(long first, int count, int rate, int channels, double hz) {
    ByteBuffer b = ByteBuffer.allocate(count * channels * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (long n = first; n < first + count; n++) {
      short v = (short) Math.round(0.5 * 32767 * Math.sin(2 * Math.PI * hz * n / rate));
      for (int c = 0; c < channels; c++) {
        b.putShort(v);
      }
    }
    return b.array();
  }

  /** An independent sine: sample n of a 997 Hz sine at half scale, from sin(x) = cos(x - pi/2). */
  static short expectedSine(long n, int rate) {
    double phase = (double) (n * 997 % rate) / rate;
    return (short) Math.round(16383.5 * Math.cos(2 * Math.PI * phase - Math.PI / 2));
  }

  private final class Recording {
    final FileChannel channel;
    final ContainerWriter writer;
    final List<SampleRecord> table = new ArrayList<>();
    long seq;
    long pts;
    final int blockAlign;

    Recording(Path file, MediaType type, Metadata metadata) throws IOException {
      channel = FileChannel.open(file, CREATE_NEW, READ, WRITE);
      writer = format.create(channel, List.of(type), metadata);
      AudioFormat a = type.getAudio();
      blockAlign = a.getChannels() * a.getBitsPerSample() / 8;
    }

    void append(byte[] bytes) throws IOException {
      int frames = bytes.length / blockAlign;
      long offset = writer.append(new SampleRecord(0, seq, pts, pts, frames, true, false, bytes.length, -1),
          ByteBuffer.wrap(bytes));
      table.add(new SampleRecord(0, seq++, pts, pts, frames, true, false, bytes.length, offset));
      pts += frames;
    }

    void finishAndClose() throws IOException {
      writer.finish(SampleTable.of(table));
      writer.close();
    }
  }

  private static Metadata metadata() {
    return Metadata.newBuilder().setDescription("Lathe test tone").setOriginator("lathe")
        .setOriginatorReference("REF-0001").setOrigination("2024-05-31T14:03:00").build();
  }

  @Test
  void fiveSecondToneIsReadByFfprobeAndSoxWithItsBextFields() throws Exception {
    Path file = dir.resolve("t.wav");
    Recording r = new Recording(file, pcm(48000, 2, 16, false, false), metadata());
    for (long frame = 0; frame < 5 * 48000; frame += 960) {
      r.append(tone(frame, 960, 48000, 2, 997));
      if (r.seq % 50 == 0) {
        r.writer.checkpoint();
      }
    }
    r.finishAndClose();

    Map<String, String> probe = Tools.probe(file);
    assertEquals("pcm_s16le", probe.get("streams.stream.0.codec_name"));
    assertEquals("48000", probe.get("streams.stream.0.sample_rate"));
    assertEquals("2", probe.get("streams.stream.0.channels"));
    assertEquals("5.000000", probe.get("format.duration"));
    // ffmpeg maps the bext fields to these tags (libavformat/wavdec.c wav_metadata_conv).
    assertEquals("Lathe test tone", probe.get("format.tags.comment"));
    assertEquals("lathe", probe.get("format.tags.encoded_by"));
    assertEquals("REF-0001", probe.get("format.tags.originator_reference"));
    assertEquals("2024-05-31", probe.get("format.tags.date"));
    assertEquals("14:03:00", probe.get("format.tags.creation_time"));
    assertEquals(String.valueOf((14 * 3600 + 3 * 60) * 48000L), probe.get("format.tags.time_reference"));
    assertEquals("A=PCM,F=48000,W=16,M=stereo,T=lathe\\r\\n", probe.get("format.tags.coding_history"));

    String soxInfo = new String(Tools.run("sox", "--i", file.toString()), StandardCharsets.UTF_8);
    assertTrue(soxInfo.contains("Channels       : 2"), soxInfo);
    assertTrue(soxInfo.contains("Sample Rate    : 48000"), soxInfo);
    assertTrue(soxInfo.contains("Precision      : 16-bit"), soxInfo);
    assertTrue(soxInfo.contains("00:00:05.00 = 240000 samples"), soxInfo);

    byte[] headerStart = Arrays.copyOf(Files.readAllBytes(file), 16);
    assertEquals("RIFF", new String(headerStart, 0, 4, StandardCharsets.US_ASCII));
    assertEquals("WAVEJUNK", new String(headerStart, 8, 8, StandardCharsets.US_ASCII));

    // sox decodes it to raw samples; they must be the sine, sample for sample, on both channels.
    ByteBuffer raw = ByteBuffer.wrap(Tools.run("sox", file.toString(), "-t", "raw", "-"))
        .order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(5 * 48000 * 4, raw.remaining());
    for (int n = 0; n < 5 * 48000; n++) {
      short expected = expectedSine(n, 48000);
      short left = raw.getShort();
      short right = raw.getShort();
      if (left != expected || right != expected) {
        throw new AssertionError("frame " + n + ": expected " + expected + " got " + left + "/" + right);
      }
    }
  }

  @ParameterizedTest
  @CsvSource({
      "24, false, 6, false, pcm_s24le",
      "32, true,  2, false, pcm_f32le",
      "64, true,  1, false, pcm_f64le",
      "32, false, 3, false, pcm_s32le",
      "8,  false, 1, false, pcm_u8",
      "16, false, 2, true,  pcm_s16le",
      "24, false, 2, true,  pcm_s24le",
  })
  void otherWidthsAndChannelCountsKeepTheirBytes(int bits, boolean floating, int channels, boolean bigEndian,
      String codec) throws Exception {
    Path file = dir.resolve("w.wav");
    int rate = 44100;
    int bytesPerSample = bits / 8;
    int frames = 44101; // odd: an 8-bit mono file needs the pad byte
    byte[] pcm = new byte[frames * channels * bytesPerSample];
    new Random(bits * 31L + channels).nextBytes(pcm);
    Recording r = new Recording(file, pcm(rate, channels, bits, floating, bigEndian), metadata());
    int chunk = 441 * channels * bytesPerSample;
    for (int at = 0; at < pcm.length; at += chunk) {
      r.append(Arrays.copyOfRange(pcm, at, Math.min(pcm.length, at + chunk)));
    }
    r.finishAndClose();

    Map<String, String> probe = Tools.probe(file);
    assertEquals(codec, probe.get("streams.stream.0.codec_name"));
    assertEquals(String.valueOf(channels), probe.get("streams.stream.0.channels"));
    assertEquals(String.valueOf(rate), probe.get("streams.stream.0.sample_rate"));
    assertEquals(String.format("%.6f", frames / (double) rate), probe.get("format.duration"));
    byte[] expected = bigEndian ? swap(pcm, bytesPerSample) : pcm;
    assertArrayEquals(expected, Tools.pcmOf(file));
    assertEquals(0, Files.size(file) % 2, "RIFF files are word aligned");
  }

  private static byte[] swap(byte[] pcm, int width) {
    byte[] out = new byte[pcm.length];
    for (int i = 0; i < pcm.length; i += width) {
      for (int j = 0; j < width; j++) {
        out[i + j] = pcm[i + width - 1 - j];
      }
    }
    return out;
  }

  @Test
  void aFileKilledAfterACheckpointHoldsEverythingUpToIt() throws Exception {
    Path file = dir.resolve("k.wav.part");
    Recording r = new Recording(file, pcm(48000, 2, 16, false, false), metadata());
    for (long frame = 0; frame < 2 * 48000; frame += 960) {
      r.append(tone(frame, 960, 48000, 2, 997));
    }
    r.writer.checkpoint();
    Path atCheckpoint = dir.resolve("at-checkpoint.wav");
    Files.copy(file, atCheckpoint);
    // Written after the checkpoint, not yet covered by the header: a kill -9 now loses only this.
    for (long frame = 2 * 48000; frame < 3 * 48000; frame += 960) {
      r.append(tone(frame, 960, 48000, 2, 997));
    }
    Path afterMore = dir.resolve("after-more.wav");
    Files.copy(file, afterMore);
    r.channel.close();

    for (Path killed : List.of(atCheckpoint, afterMore)) {
      Map<String, String> probe = Tools.probe(killed);
      assertEquals("pcm_s16le", probe.get("streams.stream.0.codec_name"), killed.toString());
      assertEquals("2.000000", probe.get("format.duration"), killed.toString());
      assertArrayEquals(tone(0, 2 * 48000, 48000, 2, 997), Tools.pcmOf(killed), killed.toString());
    }
  }

  @Test
  void resumeCutsWhatFollowsTheLastJournaledSample() throws Exception {
    Path file = dir.resolve("r.wav.part");
    Recording r = new Recording(file, pcm(48000, 2, 16, false, false), metadata());
    for (long frame = 0; frame < 3 * 48000; frame += 960) {
      r.append(tone(frame, 960, 48000, 2, 997));
    }
    r.writer.checkpoint();
    // A torn write after the last sample: bytes that are not even a whole frame.
    byte[] garbage = new byte[1001];
    new Random(7).nextBytes(garbage);
    r.channel.write(ByteBuffer.wrap(garbage), r.channel.size());
    r.channel.close();

    // The journal only knows the first 100 samples (2 s): the rest never got acknowledged.
    SampleTable journal = SampleTable.of(r.table.subList(0, 100));
    try (FileChannel ch = FileChannel.open(file, READ, WRITE)) {
      ContainerWriter resumed = format.resume(ch, List.of(pcm(48000, 2, 16, false, false)), metadata(), journal);
      resumed.finish(journal);
      assertEquals(r.table.get(99).end(), resumed.size());
    }
    Map<String, String> probe = Tools.probe(file);
    assertEquals("2.000000", probe.get("format.duration"));
    assertEquals("Lathe test tone", probe.get("format.tags.comment"));
    assertArrayEquals(tone(0, 2 * 48000, 48000, 2, 997), Tools.pcmOf(file));
  }

  @Test
  void passingFourGibibytesTurnsTheLiveFileIntoRf64() throws Exception {
    Path file = dir.resolve("big.wav.part");
    Recording r = new Recording(file, pcm(48000, 2, 16, false, false), metadata());
    BwfWriter writer = (BwfWriter) r.writer;
    r.append(tone(0, 48000, 48000, 2, 997));
    r.writer.checkpoint();
    assertEquals("RIFF", magic(file));

    // 4 GiB of silence as a sparse hole: the RIFF size no longer fits, the header turns RF64 at once and still
    // states the last checkpoint's size.
    long hole = 1L << 32;
    long holeStart = writer.appendHole(hole);
    r.pts += hole / 4;
    assertTrue(writer.isRf64());
    assertEquals("RF64", magic(file));
    assertDs64(file, writer, 48000 * 4L);
    assertEquals("1.000000", Tools.probe(file).get("format.duration"));

    r.append(tone(r.pts, 48000, 48000, 2, 997));
    r.writer.checkpoint();
    long frames = 2 * 48000 + hole / 4;
    String duration = String.format("%.6f", frames / 48000.0);
    assertDs64(file, writer, frames * 4);
    assertEquals(duration, Tools.probe(file).get("format.duration"), "a checkpoint before finish");

    r.finishAndClose();
    assertDs64(file, writer, frames * 4);
    assertEquals(writer.dataStart() + frames * 4, Files.size(file));
    Map<String, String> probe = Tools.probe(file);
    assertEquals("pcm_s16le", probe.get("streams.stream.0.codec_name"));
    assertEquals(duration, probe.get("format.duration"));
    assertEquals("Lathe test tone", probe.get("format.tags.comment"));

    // ffmpeg finds the tone written after the hole at the end of the file, and silence before it.
    byte[] tail = Tools.run("ffmpeg", "-v", "error", "-ss", String.format("%.6f", frames / 48000.0 - 2),
        "-i", file.toString(), "-f", "s16le", "-");
    assertTrue(tail.length >= 2 * 48000 * 4 - 4 * 4, "about two seconds decoded, got " + tail.length);
    assertArrayEquals(tone(48000 + hole / 4, 48000, 48000, 2, 997),
        Arrays.copyOfRange(tail, tail.length - 48000 * 4, tail.length));
    assertArrayEquals(new byte[4800], Arrays.copyOfRange(tail, tail.length - 48000 * 4 - 4800,
        tail.length - 48000 * 4));
    assertEquals(writer.dataStart() + 48000 * 4, holeStart);
  }

  private static String magic(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, READ)) {
      ByteBuffer b = ByteBuffer.allocate(4);
      ch.read(b, 0);
      return new String(b.array(), StandardCharsets.US_ASCII);
    }
  }

  /** EBU Tech 3306 §3: RF64 -1 WAVE, ds64 with the true 64-bit sizes, data chunk size -1. */
  private static void assertDs64(Path file, BwfWriter writer, long dataSize) throws IOException {
    try (FileChannel ch = FileChannel.open(file, READ)) {
      ByteBuffer b = ByteBuffer.allocate(48).order(ByteOrder.LITTLE_ENDIAN);
      ch.read(b, 0);
      assertEquals("RF64", new String(b.array(), 0, 4, StandardCharsets.US_ASCII));
      assertEquals(-1, b.getInt(4));
      assertEquals("WAVEds64", new String(b.array(), 8, 8, StandardCharsets.US_ASCII));
      assertEquals(28, b.getInt(16));
      assertEquals(writer.dataStart() + dataSize - 8, b.getLong(20), "ds64 RIFF size");
      assertEquals(dataSize, b.getLong(28), "ds64 data size");
      assertEquals(dataSize / 4, b.getLong(36), "ds64 sample count");
      assertEquals(0, b.getInt(44), "ds64 table length");
      ByteBuffer data = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      ch.read(data, writer.dataStart() - 8);
      assertEquals("data", new String(data.array(), 0, 4, StandardCharsets.US_ASCII));
      assertEquals(-1, data.getInt(4));
    }
  }

  @Test
  void refusesWhatBwfCannotHold() {
    MediaType ok = pcm(48000, 2, 16, false, false);
    assertNull(format.refuse(List.of(), ok));
    assertEquals("bwf holds one PCM audio stream; use mp4 for a second stream", format.refuse(List.of(ok), ok));
    MediaType h264 = MediaType.newBuilder().setCodec(Codec.H264)
        .setVideo(VideoFormat.newBuilder().setWidth(640).setHeight(480)).build();
    assertEquals("bwf holds one PCM audio stream; use mp4 for h264", format.refuse(List.of(), h264));
    MediaType aac = MediaType.newBuilder().setCodec(Codec.AAC).setAudio(AudioFormat.newBuilder()
        .setSampleRate(48000).setChannels(2)).build();
    assertEquals("bwf holds one PCM audio stream; use mp4 for aac", format.refuse(List.of(), aac));
    assertEquals("bwf needs a sample rate above 0 Hz", format.refuse(List.of(), pcm(0, 2, 16, false, false)));
    assertEquals("bwf needs at least one channel", format.refuse(List.of(), pcm(48000, 0, 16, false, false)));
    assertEquals("bwf integer PCM is 8, 16, 24 or 32 bits, not 12",
        format.refuse(List.of(), pcm(48000, 2, 12, false, false)));
    assertEquals("bwf float PCM is 32 or 64 bits, not 16", format.refuse(List.of(), pcm(48000, 2, 16, true, false)));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> format.create(FileChannel.open(dir.resolve("x.wav"), CREATE_NEW, WRITE), List.of(aac), metadata()));
    assertEquals("bwf holds one PCM audio stream; use mp4 for aac", e.getMessage());
  }

  @Test
  void appendRefusesPartialFrames() throws Exception {
    Recording r = new Recording(dir.resolve("p.wav"), pcm(48000, 2, 24, false, false), metadata());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.append(new byte[7]));
    assertEquals("PCM sample 0 of stream 0 holds 7 bytes, not a whole number of 6-byte frames"
        + " (2 channels of 24 bits)", e.getMessage());
    assertEquals(r.writer.size(), ((BwfWriter) r.writer).dataStart(), "nothing was written");
    r.channel.close();
  }
}
