package lathe.sink;

import java.io.NotSerializableException;
import lathe.protocol.RecordingCommand;
import lathe.protocol.RecordingReply;
import lathe.protocol.SinkEvent;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Writes {@link RecordingActor} commands as the protobuf {@code RecordingCommand}, with their ActorRefs as
 * strings through {@link ActorRefResolver}. Replies and events are protobuf messages already and use Pekko's
 * own protobuf serializer.
 */
public final class SinkSerializer extends SerializerWithStringManifest {
  private static final String COMMAND = "C";

  private final ExtendedActorSystem system;
  private volatile ActorRefResolver resolver;

  public SinkSerializer(ExtendedActorSystem system) {
    this.system = system;
  }

  @Override
  public int identifier() {
    return 0x1a7e0001;
  }

  @Override
  public String manifest(Object o) {
    return COMMAND;
  }

  private ActorRefResolver resolver() {
    if (resolver == null) {
      resolver = ActorRefResolver.get(Adapter.toTyped(system));
    }
    return resolver;
  }

  private String ref(ActorRef<?> ref) {
    return ref == null ? "" : resolver().toSerializationFormat(ref);
  }

  private <T> ActorRef<T> ref(String s) {
    return s.isEmpty() ? null : resolver().resolveActorRef(s);
  }

  @Override
  public byte[] toBinary(Object o) {
    RecordingCommand.Builder b = RecordingCommand.newBuilder();
    if (o instanceof RecordingActor.Create c) {
      b.setReplyTo(ref(c.replyTo())).setCreate(lathe.protocol.Create.newBuilder().setPath(c.path())
          .setContainer(c.container()).setMetadata(c.metadata()).setOwner(ref(c.owner())));
    } else if (o instanceof RecordingActor.AddStream c) {
      b.setReplyTo(ref(c.replyTo())).setAddStream(lathe.protocol.AddStream.newBuilder().setMediaType(c.mediaType()));
    } else if (o instanceof RecordingActor.BeginWriting c) {
      b.setReplyTo(ref(c.replyTo())).setBeginWriting(lathe.protocol.BeginWriting.getDefaultInstance());
    } else if (o instanceof RecordingActor.WriteSample c) {
      b.setWriteSample(lathe.protocol.WriteSample.newBuilder().setSample(c.sample()));
    } else if (o instanceof RecordingActor.WriteSamples c) {
      b.setWriteSamples(lathe.protocol.WriteSamples.newBuilder().addAllSamples(c.samples()));
    } else if (o instanceof RecordingActor.RefuseSample c) {
      b.setRefuseSample(lathe.protocol.RefuseSample.newBuilder().setSample(c.sample()).setBytes(c.bytes()));
    } else if (o instanceof RecordingActor.SendStreamTick c) {
      b.setReplyTo(ref(c.replyTo())).setSendStreamTick(
          lathe.protocol.SendStreamTick.newBuilder().setStream(c.stream()).setTime(c.time()));
    } else if (o instanceof RecordingActor.PlaceMarker c) {
      b.setReplyTo(ref(c.replyTo())).setPlaceMarker(
          lathe.protocol.PlaceMarker.newBuilder().setStream(c.stream()).setContext(c.context()));
    } else if (o instanceof RecordingActor.NotifyEndOfSegment c) {
      b.setReplyTo(ref(c.replyTo())).setNotifyEndOfSegment(
          lathe.protocol.NotifyEndOfSegment.newBuilder().setStream(c.stream()));
    } else if (o instanceof RecordingActor.Flush c) {
      b.setReplyTo(ref(c.replyTo())).setFlush(lathe.protocol.Flush.newBuilder().setStream(c.stream()));
    } else if (o instanceof RecordingActor.Finalize c) {
      b.setReplyTo(ref(c.replyTo())).setFinalize(lathe.protocol.Finalize.getDefaultInstance());
    } else if (o instanceof RecordingActor.GetStatistics c) {
      b.setReplyTo(ref(c.replyTo())).setGetStatistics(
          lathe.protocol.GetStatistics.newBuilder().setStream(c.stream()));
    } else if (o instanceof RecordingActor.Attach c) {
      b.setReplyTo(ref(c.replyTo())).setAttach(lathe.protocol.Attach.newBuilder().setOwner(ref(c.owner())));
    } else if (o instanceof RecordingActor.Abort c) {
      b.setReplyTo(ref(c.replyTo())).setAbort(lathe.protocol.Abort.newBuilder().setReason(c.reason()));
    } else {
      throw new IllegalArgumentException("SinkSerializer cannot write " + o.getClass().getName());
    }
    return b.build().toByteArray();
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    if (!COMMAND.equals(manifest)) {
      throw new NotSerializableException("unknown manifest " + manifest);
    }
    RecordingCommand c;
    try {
      c = RecordingCommand.parseFrom(bytes);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new NotSerializableException("malformed RecordingCommand: " + e.getMessage());
    }
    ActorRef<RecordingReply> replyTo = ref(c.getReplyTo());
    return switch (c.getCommandCase()) {
      case CREATE -> {
        lathe.protocol.Create x = c.getCreate();
        ActorRef<SinkEvent> owner = ref(x.getOwner());
        yield new RecordingActor.Create(x.getPath(), x.getContainer(), x.getMetadata(), owner, replyTo);
      }
      case ADD_STREAM -> new RecordingActor.AddStream(c.getAddStream().getMediaType(), replyTo);
      case BEGIN_WRITING -> new RecordingActor.BeginWriting(replyTo);
      case WRITE_SAMPLE -> new RecordingActor.WriteSample(c.getWriteSample().getSample());
      case WRITE_SAMPLES -> new RecordingActor.WriteSamples(c.getWriteSamples().getSamplesList());
      case REFUSE_SAMPLE -> new RecordingActor.RefuseSample(c.getRefuseSample().getSample(),
          c.getRefuseSample().getBytes());
      case SEND_STREAM_TICK -> new RecordingActor.SendStreamTick(
          c.getSendStreamTick().getStream(), c.getSendStreamTick().getTime(), replyTo);
      case PLACE_MARKER -> new RecordingActor.PlaceMarker(
          c.getPlaceMarker().getStream(), c.getPlaceMarker().getContext(), replyTo);
      case NOTIFY_END_OF_SEGMENT -> new RecordingActor.NotifyEndOfSegment(
          c.getNotifyEndOfSegment().getStream(), replyTo);
      case FLUSH -> new RecordingActor.Flush(c.getFlush().getStream(), replyTo);
      case FINALIZE -> new RecordingActor.Finalize(replyTo);
      case GET_STATISTICS -> new RecordingActor.GetStatistics(c.getGetStatistics().getStream(), replyTo);
      case ATTACH -> new RecordingActor.Attach(ref(c.getAttach().getOwner()), replyTo);
      case ABORT -> new RecordingActor.Abort(c.getAbort().getReason(), replyTo);
      case COMMAND_NOT_SET -> throw new NotSerializableException("RecordingCommand without a command");
    };
  }
}
