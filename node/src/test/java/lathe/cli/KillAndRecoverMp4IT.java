package lathe.cli;

import static lathe.cli.LatheProcess.lathe;
import static lathe.cli.LatheProcess.packets;
import static lathe.cli.LatheProcess.tool;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real `lathe record --realtime` of an MP4 killed with -9: the .part plays, and `lathe recover` gives a plain
 * MP4 whose packets are the input's first N, bit-exact, with N at least what was acknowledged.
 */
class KillAndRecoverMp4IT {
  @TempDir Path dir;

  @Test
  void killedMp4IsReadableAndRecoversTheAcknowledgedPrefixBitExact() throws Exception {
    LatheProcess.Result enc = tool(dir, "ffmpeg", "-v", "error", "-f", "lavfi", "-i",
        "testsrc=size=320x240:rate=25", "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000", "-t", "30",
        "-c:v", "libx264", "-bf", "2", "-g", "25", "-pix_fmt", "yuv420p", "-c:a", "aac", "in.mp4");
    assertEquals(0, enc.exit(), enc.err());
    Path events = dir.resolve("ev.jsonl");
    Process p = LatheProcess.start(dir, "record", "-o", "k.mp4", "--source", "file:in.mp4", "--realtime",
        "--events", events.toString(), "--data-dir", "data");
    long[] acked = LatheProcess.killAfterAck(p, dir, events, 100, 2); // 4 s of video
    assertTrue(acked[0] >= 100 && acked[1] >= 0, "acks seen: video " + acked[0] + ", audio " + acked[1]);

    Path part = dir.resolve("k.mp4.part");
    Map<Integer, List<String>> partPackets = packets(dir, part); // ffprobe reads it without a word on stderr
    assertTrue(partPackets.get(0).size() >= 25, "the .part plays its closed fragments: " + partPackets.get(0).size());

    LatheProcess.Result r = lathe(dir, "recover", part.toString(), "--json");
    assertEquals(0, r.exit(), r.err());
    JsonNode rec = r.json().get("recovered").get(0);
    assertEquals("mp4", rec.get("container").asText());

    Map<Integer, List<String>> in = packets(dir, dir.resolve("in.mp4"));
    Map<Integer, List<String>> out = packets(dir, dir.resolve("k.mp4"));
    for (int s = 0; s < 2; s++) {
      List<String> got = out.get(s);
      assertTrue(got.size() >= acked[s] + 1, "stream " + s + ": " + got.size() + " packets, acked " + acked[s]);
      assertEquals(in.get(s).subList(0, got.size()), got, "stream " + s + ": the input's first packets, bit-exact");
    }
  }
}
