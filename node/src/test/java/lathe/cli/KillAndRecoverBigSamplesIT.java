package lathe.cli;

import static lathe.cli.LatheProcess.lathe;
import static lathe.cli.LatheProcess.packets;
import static lathe.cli.LatheProcess.pcm16;
import static lathe.cli.LatheProcess.tool;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 while samples of more than a MiB are being written: such a group commit bypasses the commit log (its
 * big writes go to the file in O_DIRECT runs, the fragment's small header writes are held behind the run, and the
 * recording's own files are fsynced), so what is acknowledged must survive from the recording's file alone.
 */
class KillAndRecoverBigSamplesIT {
  @TempDir Path dir;

  @Test
  void killedMp4OfBigFramesRecoversTheAcknowledgedPrefixBitExact() throws Exception {
    // 1080p MJPEG with noise: every frame about 1.4 MB, 5 a second, with an AAC track of small packets beside it
    LatheProcess.Result enc = tool(dir, "ffmpeg", "-v", "error", "-f", "lavfi", "-i",
        "testsrc2=size=1920x1080:rate=5", "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000", "-t", "12",
        "-vf", "noise=alls=30:allf=t", "-c:v", "mjpeg", "-q:v", "2", "-pix_fmt", "yuvj420p", "-c:a", "aac",
        "in.mp4");
    assertEquals(0, enc.exit(), enc.err());
    Map<Integer, List<String>> in = packets(dir, dir.resolve("in.mp4"));
    for (int killAt : new int[] {6, 11}) { // in the first 2 s fragment (10 frames), then just after it closed
      Path run = Files.createDirectories(dir.resolve("at" + killAt));
      Path events = run.resolve("ev.jsonl");
      Process p = LatheProcess.start(run, "record", "-o", "k.mp4", "--source", "file:../in.mp4", "--realtime",
          "--events", events.toString(), "--data-dir", "data");
      long[] acked = LatheProcess.killAfterAck(p, run, events, killAt, 2);
      assertTrue(acked[0] >= killAt, "video acks seen: " + acked[0]);

      Path part = run.resolve("k.mp4.part");
      packets(run, part); // ffprobe reads what was written before the kill without a word on stderr
      LatheProcess.Result r = lathe(run, "recover", part.toString(), "--json");
      assertEquals(0, r.exit(), r.err());
      assertEquals("mp4", r.json().get("recovered").get(0).get("container").asText());

      Map<Integer, List<String>> out = packets(run, run.resolve("k.mp4"));
      for (int s = 0; s < 2; s++) {
        List<String> got = out.get(s);
        assertTrue(got.size() >= acked[s] + 1,
            "kill at " + killAt + ", stream " + s + ": " + got.size() + " packets, acked " + acked[s]);
        assertEquals(in.get(s).subList(0, got.size()), got, "stream " + s + ": the input's first packets");
      }
    }
  }

  @Test
  void killedWavOfBigPacketsRecoversEveryAcknowledgedPacket() throws Exception {
    // 192 kHz, 8 channels, 16 bits, 500 ms a sample: 1.5 MiB each
    Path events = dir.resolve("ev.jsonl");
    Process p = LatheProcess.start(dir, "record", "-o", "k.wav", "--source", "tone:192000:8:997", "--packet",
        "500ms", "--duration", "60s", "--realtime", "--events", events.toString(), "--data-dir", "data");
    long acked = LatheProcess.killAfterAck(p, dir, events, 4, 1)[0];

    LatheProcess.Result r = lathe(dir, "recover", dir.resolve("k.wav.part").toString(), "--json");
    assertEquals(0, r.exit(), r.err());
    JsonNode rec = r.json().get("recovered").get(0);
    long samples = rec.get("samples").asLong();
    assertTrue(samples >= acked + 1, "recovered " + samples + " samples, acknowledged " + (acked + 1));

    short[] pcm = RecordWavIT.shorts(pcm16(dir, dir.resolve("k.wav")));
    assertEquals(samples * 96_000 * 8, pcm.length, "500 ms samples, all of them whole");
    for (int n = 0; n < pcm.length / 8; n += 89) {
      short expected = (short) Math.round(0.5 * 32767 * Math.sin(2 * Math.PI * 997 * n / 192000.0));
      assertEquals(expected, pcm[8 * n], "channel 1, frame " + n);
      assertEquals(expected, pcm[8 * n + 7], "channel 8, frame " + n);
    }
  }
}
