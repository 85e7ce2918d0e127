package lathe.cli;

import static lathe.cli.LatheProcess.ffprobe;
import static lathe.cli.LatheProcess.lathe;
import static lathe.cli.LatheProcess.pcm16;
import static lathe.cli.LatheProcess.tool;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `lathe record` to Broadcast WAV, checked with ffprobe, ffmpeg and sox. */
class RecordWavIT {
  @TempDir Path dir;

  @Test
  void toneIsFiveSecondsOfTheRightSineWithABextChunk() throws Exception {
    LatheProcess.Result r = lathe(dir, "record", "-o", "t.wav", "--source", "tone:48000:2:997", "--duration", "5s",
        "--json", "--data-dir", "data");
    assertEquals(0, r.exit(), r.err());
    JsonNode summary = r.json();
    assertEquals(dir.resolve("t.wav").toString(), summary.get("path").asText());
    assertEquals("bwf", summary.get("container").asText());
    assertEquals(Files.size(dir.resolve("t.wav")), summary.get("bytes").asLong());
    assertEquals(5.0, summary.get("durationSeconds").asDouble(), 1e-9);
    assertTrue(summary.get("finalizeMillis").asLong() >= 0);
    assertEquals("pcm", summary.get("streams").get(0).get("codec").asText());
    assertEquals(250, summary.get("streams").get(0).get("samples").asLong());
    try (java.util.stream.Stream<Path> wal = Files.list(dir.resolve("data/wal"))) {
      assertEquals(java.util.List.of(), wal.toList(), "a clean exit leaves nothing in the commit log's folder");
    }

    JsonNode probe = ffprobe(dir, dir.resolve("t.wav"));
    JsonNode stream = probe.get("streams").get(0);
    assertEquals("pcm_s16le", stream.get("codec_name").asText());
    assertEquals("48000", stream.get("sample_rate").asText());
    assertEquals(2, stream.get("channels").asInt());
    assertEquals("5.000000", probe.get("format").get("duration").asText());
    JsonNode tags = probe.get("format").get("tags");
    assertTrue(tags.has("time_reference") && tags.has("coding_history"), "bext chunk read by ffprobe: " + tags);
    assertEquals("lathe", tags.get("encoded_by").asText()); // bext Originator

    LatheProcess.Result sox = tool(dir, "sox", "--i", "t.wav");
    assertEquals(0, sox.exit(), sox.err());
    assertTrue(sox.out().contains("Sample Rate    : 48000") && sox.out().contains("Channels       : 2"), sox.out());

    short[] pcm = shorts(pcm16(dir, dir.resolve("t.wav")));
    assertEquals(5 * 48000 * 2, pcm.length);
    for (int n = 0; n < 5 * 48000; n++) {
      short expected = (short) Math.round(0.5 * 32767 * Math.sin(2 * Math.PI * 997 * n / 48000.0));
      assertEquals(expected, pcm[2 * n], "left sample " + n);
      assertEquals(expected, pcm[2 * n + 1], "right sample " + n);
    }
  }

  @Test
  void aWavFromSoxIsRecordedBitForBit() throws Exception {
    assertEquals(0, tool(dir, "sox", "-n", "-r", "44100", "-c", "2", "-b", "16", "in.wav", "synth", "3",
        "sine", "440", "sine", "660").exit());
    LatheProcess.Result r = lathe(dir, "record", "-o", "copy.wav", "--source", "file:in.wav", "--data-dir", "d");
    assertEquals(0, r.exit(), r.err());
    assertArrayEquals(rawOf("in.wav"), rawOf("copy.wav"));
    assertEquals("3.000000", ffprobe(dir, dir.resolve("copy.wav")).get("format").get("duration").asText());
  }

  byte[] rawOf(String name) throws Exception {
    Path raw = dir.resolve(name + ".raw");
    assertEquals(0, tool(dir, "sox", name, "-t", "raw", raw.toString()).exit());
    return Files.readAllBytes(raw);
  }

  static short[] shorts(byte[] b) {
    short[] s = new short[b.length / 2];
    ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(s);
    return s;
  }
}
