package lathe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The burner farm on three real `lathe node` processes with two simulated drives each: five 20-minute
 * recordings become two 80-minute audio CDs burned in parallel on two nodes, read back by cd-info and bchunk;
 * a drive failed at 50 % has its disc redone on another node; and a node killed with -9 while burning (the
 * coordinator's own) has its disc redone after the coordinator moves.
 */
class FarmProcessesIT {
  private static final int RECORDINGS = 5;
  /** 20 minutes of CD audio: exactly 90,000 sectors, so a track holds its source with no padding. */
  private static final long TRACK_SECTORS = 20 * 60 * 75;

  @TempDir
  Path dir;
  NodeProcesses cluster;

  @AfterEach
  void stop() throws InterruptedException {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void burnsAcrossNodesRedoesFailedDiscsAndSurvivesAKilledNode() throws Exception {
    // Timing only: a killed node is downed by the split brain resolver after 5 s of silence instead of 20 s.
    Path conf = dir.resolve("farm.conf");
    Files.writeString(conf, "pekko.cluster.split-brain-resolver.stable-after = 5s\n");
    cluster = new NodeProcesses(dir, 3, "--config", conf.toString());
    cluster.startAll();

    List<String> names = record();
    JsonNode status = cluster.status(0);
    List<Path> files = new ArrayList<>();
    for (String n : names) {
      files.add(Path.of(NodeProcesses.recording(status, n).get("path").asText()));
    }

    // 1. Five 20-minute recordings: three fit an 80-minute CD-R, so two discs, burned at once on two nodes.
    List<String> args = new ArrayList<>(List.of("archive", "--cluster", cluster.target(1), "--as", "audio-cd",
        "--json", "--recording"));
    args.addAll(names);
    LatheProcess.Result first = LatheProcess.run(dir, 600, LatheProcess.command(args.toArray(String[]::new)));
    assertEquals(0, first.exit(), first.err());
    JsonNode job = first.json();
    assertEquals("done", job.get("state").asText(), job.toPrettyString());
    assertEquals(2, job.get("discs").size(), job.toPrettyString());
    assertEquals("[0,1,2]", job.get("discs").get(0).get("sources").toString());
    assertEquals("[3,4]", job.get("discs").get(1).get("sources").toString());
    Set<String> nodes = new HashSet<>();
    List<JsonNode> attempts = new ArrayList<>();
    for (JsonNode disc : job.get("discs")) {
      assertEquals(1, disc.get("attempts").size(), "no failure, no retry: " + disc.toPrettyString());
      JsonNode a = disc.get("attempts").get(0);
      assertEquals("done", a.get("state").asText());
      assertTrue(a.get("verified").asBoolean());
      nodes.add(a.get("node").asText());
      attempts.add(a);
    }
    assertEquals(2, nodes.size(), "the two discs burned on two nodes: " + nodes);
    assertTrue(attempts.get(0).get("started_epoch_millis").asLong() < attempts.get(1).get("ended_epoch_millis").asLong()
        && attempts.get(1).get("started_epoch_millis").asLong() < attempts.get(0).get("ended_epoch_millis").asLong(),
        "the discs burned in parallel: " + attempts);
    checkAudioDisc(attempts.get(0), files.subList(0, 3));
    checkAudioDisc(attempts.get(1), files.subList(3, 5));

    // The same recordings as files on one DVD-R, through xorriso: every file and the manifest read back.
    args.set(args.indexOf("audio-cd"), "data");
    args.addAll(args.indexOf("--json"), List.of("--media", "dvdr"));
    LatheProcess.Result data = LatheProcess.run(dir, 600, LatheProcess.command(args.toArray(String[]::new)));
    assertEquals(0, data.exit(), data.err());
    JsonNode dataDisc = data.json().get("discs").get(0).get("attempts").get(0);
    String image = "stdio:" + dataDisc.get("images").get("data").asText();
    LatheProcess.Result listed = LatheProcess.tool(dir, "xorriso", "-indev", image, "-find", "/", "-type", "f");
    assertEquals(0, listed.exit(), listed.err());
    for (String n : names) {
      assertTrue(listed.out().contains("'/" + n.replace('/', '-') + "'"), listed.out());
    }
    assertTrue(listed.out().contains("'/MANIFEST.json'"), listed.out());
    Path back = dir.resolve("back.wav");
    LatheProcess.Result extract = LatheProcess.tool(dir, "xorriso", "-osirrox", "on", "-indev", image, "-extract",
        "/" + names.get(4).replace('/', '-'), back.toString());
    assertEquals(0, extract.exit(), extract.err());
    assertEquals(-1, Files.mismatch(files.get(4), back), "the file reads back byte for byte");
    Files.delete(back);

    // 2. The drive the farm fills first (node 0's sim0) fails at 50 %: the disc is redone on another node.
    String firstDrive = "sim0@" + cluster.address(0);
    LatheProcess.Result armed = LatheProcess.lathe(dir, "drives", "fail", "--cluster", cluster.target(2),
        "--drive", firstDrive, "--at-percent", "50");
    assertEquals(0, armed.exit(), armed.err());
    LatheProcess.Result second = LatheProcess.run(dir, 600, LatheProcess.command("archive", "--cluster",
        cluster.target(2), "--as", "audio-cd", "--json", "--recording", names.get(0), names.get(1)));
    assertEquals(0, second.exit(), second.err());
    assertTrue(second.err().contains("attempt 1 on " + firstDrive + " failed"), second.err());
    String secondId = second.json().get("id").asText();
    JsonNode retried = discOf(jobs(0), secondId);
    JsonNode failed = retried.get("attempts").get(0);
    JsonNode redone = retried.get("attempts").get(1);
    assertEquals(2, retried.get("attempts").size(), retried.toPrettyString());
    assertEquals(firstDrive, failed.get("drive").asText());
    assertEquals("failed", failed.get("state").asText());
    assertTrue(failed.get("error").asText().startsWith("WRITE_FAILED"), failed.toString());
    assertEquals("done", redone.get("state").asText());
    assertTrue(redone.get("verified").asBoolean());
    assertNotEquals(cluster.address(0), redone.get("node").asText(), "redone on another node");
    checkAudioDisc(redone, files.subList(0, 2));
    // The failed disc keeps its partial track, and cd-info reads it: a real disc would be a coaster like it.
    LatheProcess.Result partial = LatheProcess.tool(dir, "cd-info", "--no-device-info", "--no-cddb", "--cue-file",
        failed.get("images").get("cue").asText());
    assertEquals(0, partial.exit(), partial.err());

    // 3. Node 0 (the oldest: it runs the coordinator, and it gets the next disc) is killed with -9 mid-burn.
    int source = -1;
    for (int i = 0; i < RECORDINGS && source < 0; i++) {
      source = cluster.holder(files.get(i).toString()) != 0 ? i : -1;
    }
    assertTrue(source >= 0, "a recording that does not live on node 0: " + files);
    Path err = dir.resolve("killed.err");
    Process third = new ProcessBuilder(LatheProcess.command("archive", "--cluster", cluster.target(1), "--as",
        "audio-cd", "--speed", "52x", "--json", "--recording", names.get(source)))
        .directory(dir.toFile()).redirectOutput(dir.resolve("killed.out").toFile()).redirectError(err.toFile())
        .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (!Files.readString(err).contains("on " + firstDrive + ": writing") && System.nanoTime() < deadline) {
      assertTrue(third.isAlive(), "archive ended early: " + Files.readString(err));
      NodeProcesses.sleep(100);
    }
    assertTrue(Files.readString(err).contains("on " + firstDrive + ": writing"), Files.readString(err));
    cluster.kill(0);
    assertTrue(third.waitFor(300, TimeUnit.SECONDS), "the job ends after its node was killed");
    assertEquals(0, third.exitValue(), Files.readString(err));
    String thirdId = LatheProcess.JSON.readTree(Files.readString(dir.resolve("killed.out"))).get("id").asText();
    JsonNode survived = discOf(jobs(2), thirdId);
    assertEquals(2, survived.get("attempts").size(), survived.toPrettyString());
    assertEquals(firstDrive, survived.get("attempts").get(0).get("drive").asText());
    assertEquals("failed", survived.get("attempts").get(0).get("state").asText());
    JsonNode after = survived.get("attempts").get(1);
    assertEquals("done", after.get("state").asText());
    assertTrue(after.get("verified").asBoolean());
    assertNotEquals(cluster.address(0), after.get("node").asText());
    checkAudioDisc(after, List.of(files.get(source)));
    // The jobs before the kill are still there: the queue lives in replicated, durable Distributed Data.
    JsonNode all = jobs(2);
    assertEquals(4, all.get("jobs").size(), all.toPrettyString());
    for (JsonNode j : all.get("jobs")) {
      assertEquals("done", j.get("state").asText(), j.toPrettyString());
    }
  }

  /** Five 20-minute recordings of CD audio, three producers at a time, through different nodes. */
  private List<String> record() throws Exception {
    List<String> names = new ArrayList<>();
    List<Process> running = new ArrayList<>();
    for (int i = 0; i < RECORDINGS; i++) {
      String name = "farm/take-" + i + ".wav";
      names.add(name);
      running.add(new ProcessBuilder(LatheProcess.command("record", "--cluster", cluster.target(i % 3), "--name",
          name, "--source", "tone:44100:2:440", "--duration", "20m", "--packet", "1s", "--json"))
          .directory(dir.toFile()).redirectOutput(dir.resolve("rec" + i + ".out").toFile())
          .redirectError(dir.resolve("rec" + i + ".err").toFile()).start());
      if (running.size() == 3 || i == RECORDINGS - 1) {
        for (Process p : running) {
          assertTrue(p.waitFor(600, TimeUnit.SECONDS), "a 20-minute recording at full speed");
        }
        running.clear();
      }
    }
    for (int i = 0; i < RECORDINGS; i++) {
      String err = Files.readString(dir.resolve("rec" + i + ".err"));
      JsonNode out = LatheProcess.JSON.readTree(Files.readString(dir.resolve("rec" + i + ".out")));
      assertTrue(err.isBlank(), err);
      assertEquals(1200, out.get("streams").get(0).get("samples").asLong(), "20 minutes in samples of 1 s");
    }
    return names;
  }

  private JsonNode jobs(int via) throws Exception {
    LatheProcess.Result r = LatheProcess.lathe(dir, "jobs", "--cluster", cluster.target(via), "--json");
    assertEquals(0, r.exit(), r.err());
    return r.json();
  }

  private static JsonNode discOf(JsonNode jobs, String id) {
    for (JsonNode j : jobs.get("jobs")) {
      if (j.get("id").asText().equals(id)) {
        assertEquals("done", j.get("state").asText(), j.toPrettyString());
        assertEquals(1, j.get("discs").size());
        return j.get("discs").get(0);
      }
    }
    throw new AssertionError("no job " + id + " in " + jobs.toPrettyString());
  }

  /**
   * cd-info sees one 20-minute track per recording, 150 sectors apart, and the lead-out after the last; bchunk
   * cuts the BIN into tracks whose PCM (by ffmpeg's MD5) is the recording's.
   */
  private void checkAudioDisc(JsonNode attempt, List<Path> sources) throws Exception {
    String cue = attempt.get("images").get("cue").asText();
    LatheProcess.Result info = LatheProcess.tool(dir, "cd-info", "--no-device-info", "--no-cddb", "--cue-file", cue);
    assertEquals(0, info.exit(), info.err());
    List<Long> lsn = new ArrayList<>();
    Matcher m = Pattern.compile("(?m)^\\s*(\\d+): \\d\\d:\\d\\d:\\d\\d\\s+(\\d{6}) (audio|leadout)").matcher(info.out());
    while (m.find()) {
      lsn.add(Long.parseLong(m.group(2)));
    }
    List<Long> expected = new ArrayList<>();
    for (int t = 0; t <= sources.size(); t++) {
      expected.add(t * (TRACK_SECTORS + 150) - (t == sources.size() && t > 0 ? 150 : 0));
    }
    assertEquals(expected, lsn, info.out());

    Path cut = Files.createDirectories(dir.resolve("bchunk-" + System.nanoTime()));
    LatheProcess.Result chunks = LatheProcess.tool(cut, "bchunk", "-w", attempt.get("images").get("bin").asText(),
        cue, "track");
    assertEquals(0, chunks.exit(), chunks.out() + chunks.err());
    for (int t = 0; t < sources.size(); t++) {
      Path track = cut.resolve(String.format("track%02d.wav", t + 1));
      assertEquals(md5(sources.get(t)), md5(track), track + " holds " + sources.get(t));
      Files.delete(track);
    }
  }

  private String md5(Path file) throws Exception {
    LatheProcess.Result r = LatheProcess.tool(dir, "ffmpeg", "-v", "error", "-i", file.toString(), "-map", "0:a",
        "-f", "md5", "-");
    assertEquals(0, r.exit(), r.err());
    return r.out().strip();
  }
}
