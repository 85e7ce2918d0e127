package lathe.cli;

import static lathe.cli.LatheProcess.ffprobe;
import static lathe.cli.LatheProcess.lathe;
import static lathe.cli.LatheProcess.pcm16;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real `lathe record` process killed with -9: the WAV it leaves plays, and recovery keeps every ack. */
class KillAndRecoverWavIT {
  @TempDir Path dir;

  @Test
  void killedRecordingIsReadableAndRecoversEveryAcknowledgedSample() throws Exception {
    Path events = dir.resolve("ev.jsonl");
    Process p = LatheProcess.start(dir, "record", "-o", "k.wav", "--source", "tone:48000:2:997",
        "--duration", "120s", "--realtime", "--events", events.toString(), "--data-dir", "data");
    long lastAck = LatheProcess.killAfterAck(p, dir, events, 100, 1)[0]; // 100 acks = 2 s of audio
    assertTrue(lastAck >= 100, "acks seen: " + lastAck);

    Path part = dir.resolve("k.wav.part");
    assertTrue(Files.exists(part));
    JsonNode partProbe = ffprobe(dir, part);
    assertEquals("pcm_s16le", partProbe.get("streams").get(0).get("codec_name").asText());

    LatheProcess.Result r = lathe(dir, "recover", part.toString(), "--json");
    assertEquals(0, r.exit(), r.err());
    JsonNode rec = r.json().get("recovered").get(0);
    long samples = rec.get("samples").asLong();
    assertTrue(samples >= lastAck + 1, "recovered " + samples + " samples, acknowledged " + (lastAck + 1));
    assertFalse(Files.exists(part));
    assertFalse(Files.exists(dir.resolve("k.wav.journal")));

    short[] pcm = RecordWavIT.shorts(pcm16(dir, dir.resolve("k.wav")));
    assertEquals(samples * 960 * 2, pcm.length, "20 ms samples, all of them whole");
    for (int n = 0; n < pcm.length / 2; n += 97) {
      short expected = (short) Math.round(0.5 * 32767 * Math.sin(2 * Math.PI * 997 * n / 48000.0));
      assertEquals(expected, pcm[2 * n], "sample " + n);
    }
    LatheProcess.Result again = lathe(dir, "recover", dir.resolve("k.wav").toString());
    again.assertOneLineError(); // nothing left to recover; the finalized file is not touched
    assertTrue(again.err().contains("nothing to recover"), again.err());
  }

  @Test
  void sigtermFinalizesWhatWasRecorded() throws Exception {
    Path events = dir.resolve("ev.jsonl");
    Process p = LatheProcess.start(dir, "record", "-o", "t.wav", "--source", "tone:48000:2:997",
        "--duration", "120s", "--realtime", "--events", events.toString(), "--data-dir", "data");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (LatheProcess.lastAck(events, 0) < 50 && System.nanoTime() < deadline && p.isAlive()) {
      TimeUnit.MILLISECONDS.sleep(100);
    }
    p.destroy(); // SIGTERM, as from Ctrl-C, systemd or kill
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertTrue(Files.readString(dir.resolve("lathe.err")).contains("stopped early"));
    assertFalse(Files.exists(dir.resolve("t.wav.part")), "finalized, not left for recovery");
    double seconds = ffprobe(dir, dir.resolve("t.wav")).get("format").get("duration").asDouble();
    assertTrue(seconds >= 1.0 && seconds < 120, "holds what was recorded until the signal: " + seconds);
  }
}
