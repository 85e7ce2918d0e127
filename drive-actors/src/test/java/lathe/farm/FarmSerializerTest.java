package lathe.farm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.google.protobuf.ByteString;
import java.util.List;
import lathe.protocol.FarmAttempt;
import lathe.protocol.FarmBurnDisc;
import lathe.protocol.FarmDisc;
import lathe.protocol.FarmDiscFinished;
import lathe.protocol.FarmDiscFinishedAck;
import lathe.protocol.FarmDiscProgress;
import lathe.protocol.FarmJob;
import lathe.protocol.FarmJobs;
import lathe.protocol.FarmSource;
import lathe.protocol.FileChunk;
import lathe.protocol.FileDescribe;
import lathe.protocol.FileDescription;
import lathe.protocol.FileReadChunk;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The farm's commands go as protobuf through FarmSerializer; its replies are generated messages themselves. */
class FarmSerializerTest {
  static final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void everyWireMessageRoundTrips() {
    FarmJob job = FarmJob.newBuilder().setId("job-1").setKind("audio-cd").setMedia("cdr80")
        .addSources(FarmSource.newBuilder().setName("show/a.wav").setNode("127.0.0.1:25521").setPath("/a/show/a.wav")
            .setBytes(1000).setSha256("ab").setPcmOffset(44).setPcmBytes(956).setPcmSha256("cd"))
        .addDiscs(FarmDisc.newBuilder().setIndex(1).addSources(0).setState("burning").addAttempts(
            FarmAttempt.newBuilder().setNumber(1).setDrive("sim0@127.0.0.1:25521").setState("burning")))
        .build();
    FarmAttempt progress = FarmAttempt.newBuilder().setAction("writing").setTrack(1).setPercent(40)
        .setLastWrittenLba(1200).setEtaMillis(900).build();
    List<Object> commands = List.of(
        new FarmCoordinator.Submit(job, testKit.<FarmJobs>createTestProbe().ref()),
        new FarmCoordinator.GetJobs(testKit.<FarmJobs>createTestProbe().ref()),
        new FarmCoordinator.Progress(FarmDiscProgress.newBuilder().setJob("job-1").setDisc(1).setAttempt(1)
            .setProgress(progress).build()),
        new FarmCoordinator.Finished(FarmDiscFinished.newBuilder().setJob("job-1").setDisc(1).setAttempt(1)
            .setResult(progress.toBuilder().setState("done").setVerified(true).putImages("cue", "/x/disc.cue"))
            .build(), testKit.<FarmDiscFinishedAck>createTestProbe().ref()),
        new BurnAgent.BurnDisc(FarmBurnDisc.newBuilder().setJob(job).setDisc(1).setAttempt(2).setDrive("sim1")
            .build()),
        new FileServer.Describe(FileDescribe.newBuilder().setPath("/a/show/a.wav").setAudio(true).build(),
            testKit.<FileDescription>createTestProbe().ref()),
        new FileServer.ReadChunk(FileReadChunk.newBuilder().setPath("/a/show/a.wav").setOffset(131072)
            .setLength(131072).build(), testKit.<FileChunk>createTestProbe().ref()));
    Serialization serialization = SerializationExtension.get(Adapter.toClassic(testKit.system()));
    for (Object m : commands) {
      Serializer serializer = serialization.findSerializerFor(m);
      assertInstanceOf(FarmSerializer.class, serializer, m.getClass().getName());
      byte[] bytes = serialization.serialize(m).get();
      assertEquals(m, serialization.deserialize(bytes, serializer.identifier(),
          Serializers.manifestFor(serializer, m)).get());
    }
    // Replies travel through Pekko's own protobuf serializer.
    for (Object m : List.of(FarmJobs.newBuilder().addJobs(job).build(),
        FileChunk.newBuilder().setData(ByteString.copyFromUtf8("pcm")).setEof(true).build())) {
      Serializer serializer = serialization.findSerializerFor(m);
      assertEquals(m, serialization.deserialize(serialization.serialize(m).get(), serializer.identifier(),
          Serializers.manifestFor(serializer, m)).get());
    }
  }
}
