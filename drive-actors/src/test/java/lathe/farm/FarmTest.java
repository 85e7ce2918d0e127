package lathe.farm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import lathe.drive.DriveActor;
import lathe.drive.LocalDrives;
import lathe.protocol.FarmAttempt;
import lathe.protocol.FarmJob;
import lathe.protocol.FarmJobs;
import lathe.protocol.FarmSource;
import lathe.protocol.FileDescribe;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole farm in one single-node cluster, messages serialized as if they crossed nodes: a job is planned,
 * burned on a simulated drive, read back and verified; and only the newest finished jobs are kept.
 */
class FarmTest {
  static final ActorTestKit kit = ActorTestKit.create(ConfigFactory.parseString("""
      pekko.actor.provider = cluster
      pekko.actor.serialize-messages = on
      pekko.actor.allow-java-serialization = off
      pekko.remote.artery.canonical.hostname = 127.0.0.1
      pekko.remote.artery.canonical.port = 0
      pekko.cluster.roles = [burner]
      pekko.cluster.jmx.enabled = off
      lathe.farm.keep-finished = 2
      lathe.drives.local = null
      lathe.drives.local { sim0 { backend = simulated, media = cdr80 } }
      """).withFallback(ConfigFactory.load()));

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  @TempDir Path dir;

  @Test
  void aJobIsBurnedReadBackAndOnlyTheNewestFinishedJobsAreKept() throws Exception {
    Cluster cluster = Cluster.get(kit.system());
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    for (int i = 0; i < 200 && cluster.selfMember().status() != MemberStatus.up(); i++) {
      Thread.sleep(50); // test polling only
    }
    Path archive = Files.createDirectories(dir.resolve("archive"));
    Map<String, ActorRef<DriveActor.Command>> drives = LocalDrives.start(kit.system(), dir);
    Farm farm = Farm.start(kit.system(), dir, archive, drives);
    String node = Farm.node(kit.system(), farm.coordinator());
    FarmSource a = source(archive, "a.wav", 5, node);
    FarmSource b = source(archive, "b.wav", 3, node);
    assertEquals(5 * 44_100 * 4, a.getPcmBytes());

    FarmJob first = run(farm, FarmJob.newBuilder().setKind("audio-cd").setMedia("cdr80").addSources(a)
        .addSources(b).build());
    assertEquals(1, first.getDiscsCount());
    FarmAttempt burned = first.getDiscs(0).getAttempts(0);
    assertEquals("done", burned.getState(), burned.toString());
    assertTrue(burned.getVerified());
    assertEquals("sim0@" + node, burned.getDrive());
    Path cue = Path.of(burned.getImagesOrThrow("cue"));
    assertTrue(Files.isRegularFile(cue) && cue.startsWith(dir.resolve("drives/sim0/ejected")), cue.toString());
    // 5 s = 375 sectors, then the 150-sector gap and 3 s padded to 300 sectors: 825 in all (Red Book).
    assertEquals(825, first.getDiscs(0).getPlannedSectors());
    assertEquals((375 + 150 + 300) * 2352L, Files.size(cue.resolveSibling("disc.bin")));

    FarmJob second = run(farm, FarmJob.newBuilder().setKind("data").setMedia("cdr80").addSources(a).build());
    FarmJob third = run(farm, FarmJob.newBuilder().setKind("data").setMedia("dvdr").addSources(b).build());
    assertTrue(Files.isRegularFile(Path.of(third.getDiscs(0).getAttempts(0).getImagesOrThrow("data"))));
    List<String> kept = jobs(farm).stream().map(FarmJob::getId).toList();
    assertEquals(List.of(second.getId(), third.getId()), kept, "keep-finished = 2 forgets the oldest");
  }

  private static FarmJob run(Farm farm, FarmJob draft) throws InterruptedException {
    TestProbe<FarmJobs> probe = kit.createTestProbe();
    farm.coordinator().tell(new FarmCoordinator.Submit(draft, probe.ref()));
    FarmJobs submitted = probe.receiveMessage(Duration.ofSeconds(30));
    assertTrue(submitted.getError().isEmpty(), submitted.getError());
    String id = submitted.getJobs(0).getId();
    for (int i = 0; i < 600; i++) {
      for (FarmJob j : jobs(farm)) {
        if (j.getId().equals(id) && (j.getState().equals("done") || j.getState().equals("failed"))) {
          assertEquals("done", j.getState(), j.toString());
          return j;
        }
      }
      Thread.sleep(100); // test polling only
    }
    throw new AssertionError("job " + id + " did not end in 60 s: " + jobs(farm));
  }

  private static List<FarmJob> jobs(Farm farm) {
    TestProbe<FarmJobs> probe = kit.createTestProbe();
    farm.coordinator().tell(new FarmCoordinator.GetJobs(probe.ref()));
    return probe.receiveMessage(Duration.ofSeconds(30)).getJobsList();
  }

  /** A 44.1 kHz 16-bit stereo WAV of random PCM, described by the file server as the node service would. */
  private static FarmSource source(Path archive, String name, int seconds, String node) throws IOException {
    byte[] pcm = new byte[seconds * 44_100 * 4];
    new Random(seconds).nextBytes(pcm);
    ByteBuffer h = ByteBuffer.allocate(44).order(ByteOrder.LITTLE_ENDIAN);
    h.put("RIFF".getBytes()).putInt(36 + pcm.length).put("WAVE".getBytes()).put("fmt ".getBytes()).putInt(16)
        .putShort((short) 1).putShort((short) 2).putInt(44_100).putInt(44_100 * 4).putShort((short) 4)
        .putShort((short) 16).put("data".getBytes()).putInt(pcm.length);
    Path file = archive.resolve(name);
    Files.write(file, h.array());
    Files.write(file, pcm, java.nio.file.StandardOpenOption.APPEND);
    var d = FileServer.describe(archive, FileDescribe.newBuilder().setPath(file.toString()).setAudio(true).build());
    assertTrue(d.getError().isEmpty(), d.getError());
    return FarmSource.newBuilder().setName(name).setNode(node).setPath(file.toString()).setBytes(d.getBytes())
        .setSha256(d.getSha256()).setPcmOffset(d.getPcmOffset()).setPcmBytes(d.getPcmBytes())
        .setPcmSha256(d.getPcmSha256()).build();
  }
}
