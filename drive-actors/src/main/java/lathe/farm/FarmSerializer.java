package lathe.farm;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.NotSerializableException;
import lathe.protocol.FarmBurnDisc;
import lathe.protocol.FarmDiscFinished;
import lathe.protocol.FarmDiscProgress;
import lathe.protocol.FarmGetJobs;
import lathe.protocol.FarmSubmit;
import lathe.protocol.FileDescribe;
import lathe.protocol.FileReadChunk;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Protobuf (lathe/farm.proto) for the farm's commands that cross nodes. Replies (FarmJobs, FileChunk, ...) are
 * generated messages themselves and go through Pekko's protobuf serializer; actor references travel as their
 * serialized path.
 */
public final class FarmSerializer extends SerializerWithStringManifest {
  private final ActorRefResolver resolver;

  public FarmSerializer(ExtendedActorSystem system) {
    this.resolver = ActorRefResolver.get(Adapter.toTyped(system));
  }

  @Override
  public int identifier() {
    return 4105;
  }

  @Override
  public String manifest(Object o) {
    if (o instanceof FarmCoordinator.Submit) {
      return "submit";
    }
    if (o instanceof FarmCoordinator.GetJobs) {
      return "get-jobs";
    }
    if (o instanceof FarmCoordinator.Progress) {
      return "progress";
    }
    if (o instanceof FarmCoordinator.Finished) {
      return "finished";
    }
    if (o instanceof BurnAgent.BurnDisc) {
      return "burn";
    }
    if (o instanceof FileServer.Describe) {
      return "describe";
    }
    if (o instanceof FileServer.ReadChunk) {
      return "read";
    }
    throw new IllegalArgumentException("not a wire message: " + o.getClass().getName());
  }

  @Override
  public byte[] toBinary(Object o) {
    if (o instanceof FarmCoordinator.Submit m) {
      return FarmSubmit.newBuilder().setJob(m.job()).setReplyTo(ref(m.replyTo())).build().toByteArray();
    }
    if (o instanceof FarmCoordinator.GetJobs m) {
      return FarmGetJobs.newBuilder().setReplyTo(ref(m.replyTo())).build().toByteArray();
    }
    if (o instanceof FarmCoordinator.Progress m) {
      return m.progress().toByteArray();
    }
    if (o instanceof FarmCoordinator.Finished m) {
      return m.finished().toBuilder().setReplyTo(ref(m.replyTo())).build().toByteArray();
    }
    if (o instanceof BurnAgent.BurnDisc m) {
      return m.request().toByteArray();
    }
    if (o instanceof FileServer.Describe m) {
      return m.request().toBuilder().setReplyTo(ref(m.replyTo())).build().toByteArray();
    }
    if (o instanceof FileServer.ReadChunk m) {
      return m.request().toBuilder().setReplyTo(ref(m.replyTo())).build().toByteArray();
    }
    throw new IllegalArgumentException("not a wire message: " + o.getClass().getName());
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    try {
      return switch (manifest) {
        case "submit" -> {
          FarmSubmit p = FarmSubmit.parseFrom(bytes);
          yield new FarmCoordinator.Submit(p.getJob(), ref(p.getReplyTo()));
        }
        case "get-jobs" -> new FarmCoordinator.GetJobs(ref(FarmGetJobs.parseFrom(bytes).getReplyTo()));
        case "progress" -> new FarmCoordinator.Progress(FarmDiscProgress.parseFrom(bytes));
        case "finished" -> {
          FarmDiscFinished p = FarmDiscFinished.parseFrom(bytes);
          yield new FarmCoordinator.Finished(p.toBuilder().clearReplyTo().build(), ref(p.getReplyTo()));
        }
        case "burn" -> new BurnAgent.BurnDisc(FarmBurnDisc.parseFrom(bytes));
        case "describe" -> {
          FileDescribe p = FileDescribe.parseFrom(bytes);
          yield new FileServer.Describe(p.toBuilder().clearReplyTo().build(), ref(p.getReplyTo()));
        }
        case "read" -> {
          FileReadChunk p = FileReadChunk.parseFrom(bytes);
          yield new FileServer.ReadChunk(p.toBuilder().clearReplyTo().build(), ref(p.getReplyTo()));
        }
        default -> throw new NotSerializableException("unknown farm message '" + manifest + "'");
      };
    } catch (InvalidProtocolBufferException e) {
      throw new NotSerializableException("malformed farm message '" + manifest + "': " + e.getMessage());
    }
  }

  private String ref(ActorRef<?> ref) {
    return ref == null ? "" : resolver.toSerializationFormat(ref);
  }

  private <T> ActorRef<T> ref(String path) {
    return path.isEmpty() ? null : resolver.resolveActorRef(path);
  }
}
