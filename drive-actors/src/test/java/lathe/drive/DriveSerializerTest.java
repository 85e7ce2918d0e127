package lathe.drive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.util.List;
import java.util.Map;
import lathe.disc.Disc;
import lathe.disc.DriveError;
import lathe.disc.MediaState;
import lathe.disc.MediaType;
import lathe.drive.DriveActor.Action;
import lathe.drive.DriveActor.Reply;
import lathe.drive.DriveActor.Update;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Every wire message survives protobuf and back unchanged, through the serializer Pekko picks for it. */
class DriveSerializerTest {
  static final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void everyWireMessageRoundTrips() {
    ActorRef<Reply> replyTo = testKit.<Reply>createTestProbe().ref();
    ActorRef<Update> progress = testKit.<Update>createTestProbe().ref();
    Disc disc = Disc.blank(MediaType.CDR80);
    disc = disc.withAudioTrack(disc.planAudioTrack(375, "/rec/a.wav")).closeSession(false);
    disc = disc.withDataSession(disc.planDataSession(700, "/rec"), true);
    DriveActor.MediaInfo info = new DriveActor.MediaInfo("sim0", "simulated", "cdr80", "CD-R 80 min",
        MediaState.CLOSED, 2, 2, disc.totalSectors(), disc.usedSectors(), disc.overheadSectors(), 0,
        disc.expectedTableOfContents(), disc.tracks(), Map.of("cue", "/d/disc.cue", "data", "/d/data.img"),
        true, false, false, "8x");

    List<Object> messages = List.of(
        new DriveActor.PrepareMedia(replyTo),
        new DriveActor.AddAudioTrack("/rec/a.wav", progress, replyTo),
        new DriveActor.AddAudioTrack("/rec/b.wav", null, replyTo),
        new DriveActor.CancelAddTrack(replyTo),
        new DriveActor.ReleaseMedia(replyTo),
        new DriveActor.SetWriteSpeed(52, replyTo),
        new DriveActor.SetDoNotFinalizeMedia(true, replyTo),
        new DriveActor.GetMediaInfo(testKit.<DriveActor.MediaInfo>createTestProbe().ref()),
        new DriveActor.WriteData(List.of("/rec", "/notes.txt"), true, progress, replyTo),
        new DriveActor.LoadMedia(MediaType.BDR, replyTo),
        new DriveActor.EjectMedia(replyTo),
        new DriveActor.EjectMedia("job-1-disc1-attempt1", replyTo),
        new DriveActor.InjectWriteFault(50, replyTo),
        new DriveActor.InjectWriteFault(50, true, replyTo),
        new Reply("sim0", null, "done", disc.tracks().get(0), info),
        new Reply("sim0", DriveError.TRACK_LIMIT_REACHED, "the disc already holds 99 tracks", null, info),
        new Update("sim0", 2, Action.WRITING, 1200, 3400, 824, 675, 1050),
        info);

    Serialization serialization = SerializationExtension.get(Adapter.toClassic(testKit.system()));
    for (Object m : messages) {
      Serializer serializer = serialization.findSerializerFor(m);
      assertInstanceOf(DriveSerializer.class, serializer, m.getClass().getName());
      byte[] bytes = serialization.serialize(m).get();
      Object back = serialization.deserialize(bytes, serializer.identifier(), Serializers.manifestFor(serializer, m))
          .get();
      assertEquals(m, back);
    }
  }
}
