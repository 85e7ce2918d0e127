package lathe.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import lathe.protocol.AudioFormat;
import lathe.protocol.Codec;
import lathe.protocol.Container;
import lathe.protocol.ErrorCode;
import lathe.protocol.MediaType;
import lathe.protocol.Metadata;
import lathe.protocol.RecordingReply;
import lathe.protocol.Sample;
import lathe.protocol.SinkEvent;
import lathe.protocol.VideoFormat;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;

/** Media types, samples and reply checks shared by the sink tests. */
final class SinkTestSupport {
  private SinkTestSupport() {}

  /** Every message that can cross nodes is serialized in these tests, and Java serialization is off. */
  static Config testConfig() {
    return ConfigFactory.parseString("""
        pekko.actor.serialize-messages = on
        pekko.actor.allow-java-serialization = off
        pekko.loglevel = WARNING
        """).withFallback(ConfigFactory.load());
  }

  static MediaType pcm(int rate, int channels) {
    return MediaType.newBuilder().setCodec(Codec.PCM)
        .setAudio(AudioFormat.newBuilder().setSampleRate(rate).setChannels(channels).setBitsPerSample(16)).build();
  }

  static MediaType mjpeg() {
    return MediaType.newBuilder().setCodec(Codec.MJPEG)
        .setVideo(VideoFormat.newBuilder().setWidth(64).setHeight(48)).build();
  }

  static Sample sample(int stream, long seq, long dts, byte[] data) {
    return Sample.newBuilder().setStream(stream).setSeq(seq).setPts(dts).setDts(dts).setDuration(1)
        .setKey(true).setData(ByteString.copyFrom(data)).build();
  }

  static byte[] bytes(int n, int fill) {
    byte[] b = new byte[n];
    java.util.Arrays.fill(b, (byte) fill);
    return b;
  }

  static RecordingReply expectDone(TestProbe<RecordingReply> probe) {
    RecordingReply r = probe.receiveMessage(Duration.ofSeconds(10));
    assertTrue(r.hasDone() || r.hasStreamAdded(), () -> "expected success, got " + r);
    return r;
  }

  static void expectError(TestProbe<RecordingReply> probe, ErrorCode code) {
    RecordingReply r = probe.receiveMessage(Duration.ofSeconds(10));
    assertTrue(r.hasError(), () -> "expected " + code + ", got " + r);
    assertEquals(code, r.getError().getCode(), r.getError().getMessage());
    assertFalse(r.getError().getMessage().isBlank(), "an error says what to do");
  }

  static SinkEvent expectStreamError(TestProbe<SinkEvent> owner, ErrorCode code) {
    SinkEvent e = owner.fishForMessage(Duration.ofSeconds(10), ev -> ev.hasStreamError()
        ? org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.complete()
        : org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.continueAndIgnore()).get(0);
    assertEquals(code, e.getStreamError().getCode(), e.getStreamError().getMessage());
    return e;
  }

  /**
   * Durability fsync through {@code log}, with entries of at most maxEntryBytes and no timed checkpoints: only
   * the log, or a commit too big for it, makes samples durable.
   */
  static SinkSettings fsyncThroughLog(org.apache.pekko.actor.typed.ActorSystem<?> system,
      lathe.sink.wal.CommitLog log, long maxEntryBytes) {
    return SinkSettings.fromConfig(system.settings().config(), Formats.standard())
        .withDurability(lathe.protocol.Durability.FSYNC)
        .withCommitLog(new lathe.sink.wal.CommitLogSettings(log, maxEntryBytes, Duration.ofDays(1), Long.MAX_VALUE,
            true, true));
  }

  /**
   * Spawns a recording of out with these streams, begins writing, and checks every reply: as a producer's
   * Create, AddStream…, BeginWriting. Events go to owner.
   */
  static ActorRef<RecordingActor.Command> startRecording(ActorTestKit kit, SinkSettings settings, Path out,
      Container container, TestProbe<SinkEvent> owner, MediaType... streams) {
    TestProbe<RecordingReply> r = kit.createTestProbe();
    ActorRef<RecordingActor.Command> rec = kit.spawn(RecordingActor.create(out.getFileName().toString(), settings));
    rec.tell(new RecordingActor.Create(out.toString(), container, Metadata.getDefaultInstance(), owner.ref(),
        r.ref()));
    for (MediaType t : streams) {
      rec.tell(new RecordingActor.AddStream(t, r.ref()));
    }
    rec.tell(new RecordingActor.BeginWriting(r.ref()));
    for (RecordingReply reply : r.receiveSeveralMessages(streams.length + 2, Duration.ofSeconds(10))) {
      assertTrue(reply.hasDone() || reply.hasStreamAdded(), reply::toString);
    }
    return rec;
  }

  /** One stream's packets as ffmpeg demuxes them (stream copy into raw data), as a user would check them. */
  static byte[] ffmpegPackets(java.nio.file.Path file, int stream)
      throws java.io.IOException, InterruptedException {
    Process p = new ProcessBuilder("ffmpeg", "-v", "error", "-i", file.toString(), "-map", "0:" + stream,
        "-c", "copy", "-f", "data", "-").redirectError(ProcessBuilder.Redirect.DISCARD).start();
    p.getOutputStream().close();
    java.util.concurrent.CompletableFuture<byte[]> out = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
      try (java.io.InputStream in = p.getInputStream()) {
        return in.readAllBytes();
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    assertEquals(0, p.waitFor(), "ffmpeg reads " + file);
    return out.join();
  }

  /** Waits for the cumulative Ack of {@code seq} on {@code stream}, ignoring earlier acks. */
  static void awaitAck(TestProbe<SinkEvent> owner, int stream, long seq) {
    owner.fishForMessage(Duration.ofSeconds(10), ev -> ev.hasAck() && ev.getAck().getStream() == stream
        && ev.getAck().getSeq() >= seq
        ? org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.complete()
        : org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.continueAndIgnore());
  }
}
