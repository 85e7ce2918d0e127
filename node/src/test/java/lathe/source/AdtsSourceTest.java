package lathe.source;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import lathe.protocol.Codec;
import lathe.protocol.MediaType;
import lathe.protocol.Sample;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdtsSourceTest {

  @TempDir Path dir;

  /** Our samples must be exactly the packets ffmpeg puts in an M4A when it remuxes the same ADTS file. */
  @Test
  void samplesEqualFfmpegRemuxOfTheSameAdts() throws Exception {
    Path aac = dir.resolve("in.aac");
    Path ref = dir.resolve("ref.m4a");
    Ffprobe.ffmpeg("-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000", "-t", "3", "-c:a", "aac",
        "-f", "adts", aac.toString());
    Ffprobe.ffmpeg("-i", aac.toString(), "-c:a", "copy", ref.toString());

    try (AdtsSource source = new AdtsSource(aac)) {
      MediaType type = source.streams().get(0);
      assertEquals(Codec.AAC, type.getCodec());
      assertEquals(48000, type.getAudio().getSampleRate());
      assertEquals(1, type.getAudio().getChannels());
      assertEquals(48000, type.getTimescale());
      assertArrayEquals(Ffprobe.extradata(ref, 0), type.getCodecConfig().toByteArray());
      assertSamplesEqual(Ffprobe.packets(ref), Ffprobe.drain(source));
    }
  }

  /** Stereo 44.1 kHz read live from an ffmpeg pipe, checked against a file encoded with the same settings. */
  @Test
  void readsStereoFromAPipe() throws Exception {
    String[] encode = {"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-f", "lavfi", "-i",
        "sine=frequency=660:sample_rate=44100", "-filter_complex", "[0:a][1:a]amerge=inputs=2", "-t", "2",
        "-c:a", "aac", "-b:a", "128k", "-f", "adts"};
    Path aac = dir.resolve("stereo.aac");
    Path ref = dir.resolve("stereo.m4a");
    Ffprobe.ffmpeg(concat(encode, aac.toString()));
    Ffprobe.ffmpeg("-i", aac.toString(), "-c:a", "copy", ref.toString());

    List<String> cmd = new java.util.ArrayList<>(List.of("ffmpeg", "-hide_banner", "-nostdin", "-loglevel",
        "error"));
    cmd.addAll(List.of(concat(encode, "-")));
    Process ffmpeg = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    try (AdtsSource source = new AdtsSource(ffmpeg.getInputStream())) {
      MediaType type = source.streams().get(0);
      assertEquals(44100, type.getAudio().getSampleRate());
      assertEquals(2, type.getAudio().getChannels());
      assertArrayEquals(Ffprobe.extradata(ref, 0), type.getCodecConfig().toByteArray());
      Map<String, String> stream = Ffprobe.stream(ref, 0, "time_base");
      assertEquals("1/" + type.getTimescale(), stream.get("time_base"));
      assertSamplesEqual(Ffprobe.packets(ref), Ffprobe.drain(source));
    }
    assertEquals(0, ffmpeg.waitFor());
  }

  /** protection_absent=0 puts a 16-bit CRC after the header; it is not part of the AAC frame. */
  @Test
  void stripsTheCrc() throws Exception {
    byte[] plain = encodeTone();
    byte[] withCrc = addCrcFields(plain);
    List<Sample> expected = Ffprobe.drain(new AdtsSource(new ByteArrayInputStream(plain)));
    List<Sample> actual = Ffprobe.drain(new AdtsSource(new ByteArrayInputStream(withCrc)));
    assertEquals(expected, actual);
    assertTrue(actual.size() > 40);
  }

  @Test
  void dropsACutOffLastFrame() throws Exception {
    byte[] plain = encodeTone();
    int frames = Ffprobe.drain(new AdtsSource(new ByteArrayInputStream(plain))).size();
    byte[] cut = Arrays.copyOf(plain, plain.length - 20);
    try (AdtsSource source = new AdtsSource(new ByteArrayInputStream(cut))) {
      assertEquals(frames - 1, Ffprobe.drain(source).size());
      assertNull(source.next());
    }
  }

  @Test
  void refusesWhatItCannotRead() throws Exception {
    SourceException notAdts = assertThrows(SourceException.class,
        () -> new AdtsSource(new ByteArrayInputStream("RIFF....WAVEfmt ".getBytes())));
    assertTrue(notAdts.getMessage().startsWith("not ADTS"), notAdts.getMessage());

    SourceException empty = assertThrows(SourceException.class,
        () -> new AdtsSource(new ByteArrayInputStream(new byte[0])));
    assertTrue(empty.getMessage().contains("empty"), empty.getMessage());

    byte[] multi = encodeTone();
    multi[6] |= 0x01; // number_of_raw_data_blocks_in_frame = 1, i.e. two AAC frames
    AdtsSource source = new AdtsSource(new ByteArrayInputStream(multi));
    SourceException blocks = assertThrows(SourceException.class, source::next);
    assertTrue(blocks.getMessage().contains("2 raw data blocks"), blocks.getMessage());

    byte[] pce = encodeTone();
    pce[2] &= (byte) 0xfe;
    pce[3] &= 0x3f; // channel_configuration 0
    SourceException channels = assertThrows(SourceException.class,
        () -> new AdtsSource(new ByteArrayInputStream(pce)));
    assertTrue(channels.getMessage().contains("channel_configuration 0"), channels.getMessage());
  }

  static void assertSamplesEqual(List<Ffprobe.Packet> packets, List<Sample> samples) {
    assertEquals(packets.size(), samples.size(), "sample count");
    for (int i = 0; i < packets.size(); i++) {
      Ffprobe.Packet p = packets.get(i);
      Sample s = samples.get(i);
      String at = "sample " + i;
      assertEquals(0, s.getStream(), at);
      assertEquals(i, s.getSeq(), at);
      assertEquals(p.pts(), s.getPts(), at);
      assertEquals(p.dts(), s.getDts(), at);
      assertEquals(p.duration(), s.getDuration(), at);
      assertEquals(p.key(), s.getKey(), at);
      assertEquals(p.size(), s.getData().size(), at);
      assertEquals(p.md5(), Ffprobe.md5(s.getData().toByteArray()), at);
    }
  }

  private byte[] encodeTone() throws Exception {
    Path aac = dir.resolve("tone.aac");
    Ffprobe.ffmpeg("-f", "lavfi", "-i", "sine=frequency=500:sample_rate=16000", "-t", "3", "-c:a", "aac",
        "-f", "adts", aac.toString());
    return Files.readAllBytes(aac);
  }

  /** Rewrites every frame with protection_absent=0 and a (dummy) crc_check, as some encoders send it. */
  private static byte[] addCrcFields(byte[] adts) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    InputStream in = new ByteArrayInputStream(adts);
    byte[] h = new byte[7];
    while (in.readNBytes(h, 0, 7) == 7) {
      int length = ((h[3] & 0x03) << 11) | ((h[4] & 0xff) << 3) | ((h[5] & 0xe0) >>> 5);
      byte[] payload = in.readNBytes(length - 7);
      int newLength = length + 2;
      h[1] &= (byte) 0xfe;
      h[3] = (byte) ((h[3] & 0xfc) | (newLength >>> 11));
      h[4] = (byte) (newLength >>> 3);
      h[5] = (byte) ((h[5] & 0x1f) | ((newLength & 7) << 5));
      out.write(h);
      out.write(new byte[] {(byte) 0xab, (byte) 0xcd});
      out.write(payload);
    }
    return out.toByteArray();
  }

  private static String[] concat(String[] head, String last) {
    String[] all = Arrays.copyOf(head, head.length + 1);
    all[head.length] = last;
    return all;
  }
}
