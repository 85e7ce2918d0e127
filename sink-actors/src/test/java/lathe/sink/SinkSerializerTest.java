package lathe.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import java.util.List;
import lathe.protocol.Container;
import lathe.protocol.Metadata;
import lathe.protocol.RecordingReply;
import lathe.protocol.SinkEvent;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Every command a recording accepts survives the trip through its protobuf form, replyTo included. */
class SinkSerializerTest {
  static final ActorTestKit kit = ActorTestKit.create(SinkTestSupport.testConfig());

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  @Test
  void roundTripsEveryCommand() throws Exception {
    TestProbe<RecordingReply> r = kit.createTestProbe();
    TestProbe<SinkEvent> owner = kit.createTestProbe();
    List<RecordingActor.External> commands = List.of(
        new RecordingActor.Create("/a/b.wav", Container.BWF,
            Metadata.newBuilder().setDescription("news").setOriginator("lathe").build(), owner.ref(), r.ref()),
        new RecordingActor.Create("/a/b.wav", Container.MP4, Metadata.getDefaultInstance(), null, r.ref()),
        new RecordingActor.AddStream(SinkTestSupport.pcm(48000, 2), r.ref()),
        new RecordingActor.BeginWriting(r.ref()),
        new RecordingActor.WriteSample(SinkTestSupport.sample(1, 7, 99, new byte[] {1, 2, 3})),
        new RecordingActor.WriteSamples(List.of(SinkTestSupport.sample(0, 8, 100, new byte[] {4}),
            SinkTestSupport.sample(1, 9, 101, new byte[] {5, 6}))),
        new RecordingActor.RefuseSample(SinkTestSupport.sample(0, 10, 102, new byte[0]), 17L << 20),
        new RecordingActor.SendStreamTick(1, 1234, r.ref()),
        new RecordingActor.PlaceMarker(0, ByteString.copyFromUtf8("ctx"), r.ref()),
        new RecordingActor.NotifyEndOfSegment(-1, r.ref()),
        new RecordingActor.Flush(2, r.ref()),
        new RecordingActor.Finalize(r.ref()),
        new RecordingActor.GetStatistics(-1, r.ref()),
        new RecordingActor.Abort("why", r.ref()),
        new RecordingActor.Attach(owner.ref(), r.ref()));
    Serialization serialization = SerializationExtension.get(Adapter.toClassic(kit.system()));
    for (RecordingActor.External c : commands) {
      var serializer = serialization.findSerializerFor(c);
      assertEquals(SinkSerializer.class, serializer.getClass(), "bound to the protobuf serializer: " + c);
      byte[] bytes = serializer.toBinary(c);
      Object back = serialization.deserialize(bytes, serializer.identifier(), Serializers.manifestFor(serializer, c))
          .get();
      assertEquals(c, back);
    }
  }

  @Test
  void aMalformedMessageIsRefusedNotCrashing() throws Exception {
    Serialization serialization = SerializationExtension.get(Adapter.toClassic(kit.system()));
    SinkSerializer s = (SinkSerializer) serialization.serializerFor(RecordingActor.Finalize.class);
    assertThrows(java.io.NotSerializableException.class, () -> s.fromBinary(new byte[] {(byte) 0xff, 1, 2}, "C"));
    assertThrows(java.io.NotSerializableException.class, () -> s.fromBinary(new byte[0], "C"));
  }
}
