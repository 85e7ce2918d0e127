package lathe.source;

import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import lathe.protocol.AudioFormat;
import lathe.protocol.Metadata;
import lathe.protocol.Sample;
import lathe.sink.bwf.BwfFormat;
import lathe.sink.container.ContainerWriter;
import lathe.sink.container.SampleRecord;
import lathe.sink.container.SampleTable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class WavSourceTest {

  @TempDir Path dir;

  @ParameterizedTest
  @CsvSource({
      "44100, 2, 16, signed-integer, false",
      "44100, 2, 24, signed-integer, false",
      "48000, 6, 24, signed-integer, false",
      "48000, 1, 32, floating-point, true",
      "22050, 1, 8,  unsigned-integer, false",
  })
  void aWavMadeBySoxIsRecordedBitForBit(int rate, int channels, int bits, String encoding, boolean floating)
      throws Exception {
    Path in = dir.resolve("in.wav");
    run("sox", "-n", "-r", String.valueOf(rate), "-c", String.valueOf(channels), "-b", String.valueOf(bits),
        "-e", encoding, in.toString(), "synth", "2", "sine", "440");
    Path out = dir.resolve("out.wav");

    List<Sample> samples = new ArrayList<>();
    try (WavSource source = new WavSource(in)) {
      AudioFormat a = source.streams().get(0).getAudio();
      assertEquals(rate, a.getSampleRate());
      assertEquals(channels, a.getChannels());
      assertEquals(bits, a.getBitsPerSample());
      assertEquals(floating, a.getFloatingPoint());
      assertEquals(rate, source.streams().get(0).getTimescale());
      record(source, out, samples);
    }

    // 20 ms samples, numbered from 0, back to back in time, covering the 2 s exactly.
    assertEquals(100, samples.size());
    long pts = 0;
    for (int i = 0; i < samples.size(); i++) {
      Sample s = samples.get(i);
      assertEquals(i, s.getSeq());
      assertEquals(pts, s.getPts());
      assertEquals(rate / 50, s.getDuration());
      assertEquals(s.getDuration() * channels * bits / 8, s.getData().size());
      pts += s.getDuration();
    }
    assertEquals(2L * rate, pts);

    byte[] expected = run("sox", in.toString(), "-t", "raw", "-");
    assertEquals(2L * rate * channels * bits / 8, expected.length);
    assertArrayEquals(expected, run("sox", out.toString(), "-t", "raw", "-"));
    String info = new String(run("sox", "--i", out.toString()), StandardCharsets.UTF_8);
    assertTrue(info.contains("Sample Rate    : " + rate), info);
  }

  @Test
  void refusesWhatIsNotPcmWav() throws Exception {
    Path text = dir.resolve("notes.wav");
    Files.writeString(text, "this is not audio at all");
    SourceException e = assertThrows(SourceException.class, () -> new WavSource(text));
    assertEquals(text + " is not a WAV file (no RIFF/RF64 WAVE header)", e.getMessage());

    Path mulaw = dir.resolve("mulaw.wav");
    run("sox", "-n", "-r", "8000", "-c", "1", "-e", "mu-law", mulaw.toString(), "synth", "0.1", "sine", "440");
    e = assertThrows(SourceException.class, () -> new WavSource(mulaw));
    assertEquals(mulaw + ": the WAV holds format 0x0007, not PCM; only integer or float PCM is supported",
        e.getMessage());

    Path missing = dir.resolve("missing.wav");
    e = assertThrows(SourceException.class, () -> new WavSource(missing));
    assertEquals(missing + ": no such file", e.getMessage());
  }

  @Test
  void readsAKilledRecordingUpToItsLastWholeFrame() throws Exception {
    Path in = dir.resolve("in.wav");
    run("sox", "-n", "-r", "48000", "-c", "2", "-b", "16", in.toString(), "synth", "1", "sine", "440");
    byte[] whole = Files.readAllBytes(in);
    Path cut = dir.resolve("cut.wav");
    Files.write(cut, java.util.Arrays.copyOf(whole, whole.length - 4 * 4800 - 3));
    long frames = 0;
    try (WavSource source = new WavSource(cut)) {
      for (Sample s; (s = source.next()) != null; ) {
        frames += s.getDuration();
      }
    }
    assertEquals(48000 - 4800 - 1, frames);
  }

  /** Writes every sample of the source through the BWF writer, as a recording would. */
  static void record(MediaSource source, Path out, List<Sample> seen) throws IOException {
    List<SampleRecord> table = new ArrayList<>();
    try (FileChannel channel = FileChannel.open(out, CREATE_NEW, READ, WRITE);
        ContainerWriter writer = new BwfFormat().create(channel, source.streams(), Metadata.getDefaultInstance())) {
      for (Sample s; (s = source.next()) != null; ) {
        SampleRecord r = new SampleRecord(s.getStream(), s.getSeq(), s.getPts(), s.getDts(), s.getDuration(),
            s.getKey(), s.getDiscontinuity(), s.getData().size(), -1);
        long offset = writer.append(r, s.getData().asReadOnlyByteBuffer());
        table.add(new SampleRecord(r.stream(), r.seq(), r.pts(), r.dts(), r.duration(), r.key(),
            r.discontinuity(), r.size(), offset));
        seen.add(s);
      }
      writer.finish(SampleTable.of(table));
    }
  }

  static byte[] run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).start();
    p.getOutputStream().close();
    CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
    byte[] out = readAll(p.getInputStream());
    int rc = p.waitFor();
    assertEquals(0, rc, () -> String.join(" ", command) + " failed: " + new String(err.join(), StandardCharsets.UTF_8));
    return out;
  }

  private static byte[] readAll(InputStream in) {
    try (in) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      in.transferTo(out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
