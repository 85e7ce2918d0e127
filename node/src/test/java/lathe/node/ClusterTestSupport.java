package lathe.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import lathe.protocol.AudioFormat;
import lathe.protocol.Codec;
import lathe.protocol.MediaType;
import lathe.protocol.Sample;
import lathe.sink.RecordingActor;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery;
import org.apache.pekko.cluster.sharding.typed.GetClusterShardingStats;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;

/** Several nodes in one JVM on 127.0.0.1, the way pekko-sample-cluster-java's App starts them. */
final class ClusterTestSupport {
  private ClusterTestSupport() {}

  static final MediaType STEREO_48K = MediaType.newBuilder().setCodec(Codec.PCM)
      .setAudio(AudioFormat.newBuilder().setSampleRate(48000).setChannels(2).setBitsPerSample(16)).build();

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  static List<LatheNode> startCluster(Path root, int n) throws IOException {
    List<LatheNode> nodes = new ArrayList<>();
    int seedPort = freePort();
    for (int i = 0; i < n; i++) {
      int port = i == 0 ? seedPort : freePort();
      nodes.add(LatheNode.start(new LatheNode.Options(root.resolve("node" + i), "127.0.0.1", port, freePort(), 0,
          List.of("127.0.0.1:" + seedPort), List.of("recorder", "burner"), null, null)));
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    for (LatheNode node : nodes) {
      while (upMembers(node) < n) {
        assertTrue(System.nanoTime() < deadline, "the cluster did not come up");
        sleep(Duration.ofMillis(100));
      }
    }
    awaitRecordingRegions(nodes.get(0), n);
    return nodes;
  }

  /**
   * Waits until the sharding coordinator knows {@code n} recording regions. Members are up before their regions
   * have registered; until then every new recording is placed on the nodes already registered, so a test that
   * needs a recording on another node would try names in vain.
   */
  static void awaitRecordingRegions(LatheNode node, int n) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    int known = 0;
    while (System.nanoTime() < deadline) {
      try {
        ShardRegion.ClusterShardingStats stats = AskPattern.<ClusterShardingQuery, ShardRegion.ClusterShardingStats>ask(
            ClusterSharding.get(node.system()).shardState(),
            replyTo -> new GetClusterShardingStats(RecordingActor.TYPE_KEY, Duration.ofSeconds(3), replyTo),
            Duration.ofSeconds(5), node.system().scheduler()).toCompletableFuture().get();
        known = stats.getRegions().size();
        if (known >= n) {
          return;
        }
      } catch (Exception e) {
        // the coordinator may not be up yet: ask again
      }
      sleep(Duration.ofMillis(200));
    }
    throw new AssertionError("only " + known + " of " + n + " recording regions registered in 60 s");
  }

  static long upMembers(LatheNode node) {
    var members = Cluster.get(node.system()).state().getMembers();
    long up = 0;
    for (var m : members) {
      if (m.status() == MemberStatus.up()) {
        up++;
      }
    }
    return up;
  }

  static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis()); // test polling only
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** 20 ms of a 16-bit stereo 440 Hz tone at 48 kHz, sample number {@code i}. */
  static Sample tone(int stream, int i) {
    int frames = 960;
    ByteBuffer b = ByteBuffer.allocate(frames * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (int f = 0; f < frames; f++) {
      short v = (short) (8000 * Math.sin(2 * Math.PI * 440 * (i * frames + f) / 48000.0));
      b.putShort(v).putShort(v);
    }
    return Sample.newBuilder().setStream(stream).setPts((long) i * frames).setDts((long) i * frames)
        .setDuration(frames).setKey(true).setData(ByteString.copyFrom(b.array())).build();
  }

  /** The bytes of a RIFF/RF64 file's data chunk (EBU Tech 3306 §2: chunks are id, 32-bit size, even-padded). */
  static byte[] dataChunk(Path wav) throws IOException {
    byte[] f = Files.readAllBytes(wav);
    ByteBuffer b = ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN);
    int at = 12;
    long ds64Data = -1;
    while (at + 8 <= f.length) {
      String id = new String(f, at, 4, StandardCharsets.US_ASCII);
      long size = Integer.toUnsignedLong(b.getInt(at + 4));
      if (id.equals("ds64")) {
        ds64Data = b.getLong(at + 8 + 8);
      }
      if (id.equals("data")) {
        long len = size == 0xFFFFFFFFL && ds64Data >= 0 ? ds64Data : size;
        byte[] out = new byte[(int) len];
        System.arraycopy(f, at + 8, out, 0, (int) len);
        return out;
      }
      at += 8 + (int) size + (int) (size & 1);
    }
    throw new AssertionError("no data chunk in " + wav);
  }

  /** ffprobe's view of the first stream: codec_name, sample_rate, channels, duration. */
  static String ffprobe(Path file) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("ffprobe", "-v", "error", "-show_entries",
        "stream=codec_name,sample_rate,channels,duration", "-of", "default=nw=1", file.toString())
        .redirectErrorStream(true).start();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (InputStream in = p.getInputStream()) {
      in.transferTo(out);
    }
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), "ffprobe failed on " + file + ": " + out);
    return out.toString(StandardCharsets.UTF_8);
  }
}
