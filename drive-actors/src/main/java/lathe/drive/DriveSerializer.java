package lathe.drive;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.NotSerializableException;
import java.util.List;
import lathe.disc.DriveError;
import lathe.disc.MediaState;
import lathe.disc.MediaType;
import lathe.disc.TocEntry;
import lathe.disc.Track;
import lathe.disc.TrackKind;
import lathe.protocol.DiscTocEntry;
import lathe.protocol.DiscTrack;
import lathe.protocol.DriveAddAudioTrack;
import lathe.protocol.DriveCancelAddTrack;
import lathe.protocol.DriveEjectMedia;
import lathe.protocol.DriveGetMediaInfo;
import lathe.protocol.DriveInjectWriteFault;
import lathe.protocol.DriveLoadMedia;
import lathe.protocol.DriveMediaInfo;
import lathe.protocol.DrivePrepareMedia;
import lathe.protocol.DriveReleaseMedia;
import lathe.protocol.DriveReply;
import lathe.protocol.DriveSetDoNotFinalizeMedia;
import lathe.protocol.DriveSetWriteSpeed;
import lathe.protocol.DriveUpdate;
import lathe.protocol.DriveWriteData;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Protobuf (lathe/drive.proto) for every DriveActor message that may cross nodes: the public commands, Reply,
 * Update and MediaInfo. The actor's private messages never leave it and are refused.
 */
public final class DriveSerializer extends SerializerWithStringManifest {
  private final ActorRefResolver resolver;

  public DriveSerializer(ExtendedActorSystem system) {
    this.resolver = ActorRefResolver.get(Adapter.toTyped(system));
  }

  @Override
  public int identifier() {
    return 4104;
  }

  @Override
  public String manifest(Object o) {
    if (o instanceof DriveActor.PrepareMedia) {
      return "prepare";
    }
    if (o instanceof DriveActor.AddAudioTrack) {
      return "add-track";
    }
    if (o instanceof DriveActor.CancelAddTrack) {
      return "cancel";
    }
    if (o instanceof DriveActor.ReleaseMedia) {
      return "release";
    }
    if (o instanceof DriveActor.SetWriteSpeed) {
      return "speed";
    }
    if (o instanceof DriveActor.SetDoNotFinalizeMedia) {
      return "dnf";
    }
    if (o instanceof DriveActor.GetMediaInfo) {
      return "get-info";
    }
    if (o instanceof DriveActor.WriteData) {
      return "write-data";
    }
    if (o instanceof DriveActor.LoadMedia) {
      return "load";
    }
    if (o instanceof DriveActor.EjectMedia) {
      return "eject";
    }
    if (o instanceof DriveActor.InjectWriteFault) {
      return "fault";
    }
    if (o instanceof DriveActor.Reply) {
      return "reply";
    }
    if (o instanceof DriveActor.Update) {
      return "update";
    }
    if (o instanceof DriveActor.MediaInfo) {
      return "info";
    }
    throw new IllegalArgumentException("not a wire message: " + o.getClass().getName());
  }

  @Override
  public byte[] toBinary(Object o) {
    if (o instanceof DriveActor.PrepareMedia m) {
      return DrivePrepareMedia.newBuilder().setReplyTo(ref(m.replyTo())).build()
          .toByteArray();
    }
    if (o instanceof DriveActor.AddAudioTrack m) {
      return DriveAddAudioTrack.newBuilder().setWavPath(m.wavPath())
          .setProgress(ref(m.progress())).setReplyTo(ref(m.replyTo())).build().toByteArray();
    }
    if (o instanceof DriveActor.CancelAddTrack m) {
      return DriveCancelAddTrack.newBuilder().setReplyTo(ref(m.replyTo())).build()
          .toByteArray();
    }
    if (o instanceof DriveActor.ReleaseMedia m) {
      return DriveReleaseMedia.newBuilder().setReplyTo(ref(m.replyTo())).build()
          .toByteArray();
    }
    if (o instanceof DriveActor.SetWriteSpeed m) {
      return DriveSetWriteSpeed.newBuilder().setMultiple(m.multiple())
          .setReplyTo(ref(m.replyTo())).build().toByteArray();
    }
    if (o instanceof DriveActor.SetDoNotFinalizeMedia m) {
      return DriveSetDoNotFinalizeMedia.newBuilder().setValue(m.value())
          .setReplyTo(ref(m.replyTo())).build().toByteArray();
    }
    if (o instanceof DriveActor.GetMediaInfo m) {
      return DriveGetMediaInfo.newBuilder().setReplyTo(ref(m.replyTo())).build()
          .toByteArray();
    }
    if (o instanceof DriveActor.WriteData m) {
      return DriveWriteData.newBuilder().addAllPaths(m.paths())
          .setForceMediaToBeClosed(m.forceMediaToBeClosed()).setProgress(ref(m.progress()))
          .setReplyTo(ref(m.replyTo())).build().toByteArray();
    }
    if (o instanceof DriveActor.LoadMedia m) {
      return DriveLoadMedia.newBuilder().setMedia(m.media().id())
          .setReplyTo(ref(m.replyTo())).build().toByteArray();
    }
    if (o instanceof DriveActor.EjectMedia m) {
      return DriveEjectMedia.newBuilder().setShelf(m.shelf()).setReplyTo(ref(m.replyTo())).build()
          .toByteArray();
    }
    if (o instanceof DriveActor.InjectWriteFault m) {
      return DriveInjectWriteFault.newBuilder().setPercent(m.percent()).setOnce(m.once())
          .setReplyTo(ref(m.replyTo())).build().toByteArray();
    }
    if (o instanceof DriveActor.Reply m) {
      return reply(m).toByteArray();
    }
    if (o instanceof DriveActor.Update m) {
      return DriveUpdate.newBuilder().setDriveId(m.driveId()).setTrack(m.track())
          .setAction(m.action().name()).setElapsedMillis(m.elapsedMillis()).setRemainingMillis(m.remainingMillis())
          .setLastWrittenLba(m.lastWrittenLba()).setSectorsWritten(m.sectorsWritten())
          .setSectorsTotal(m.sectorsTotal()).build().toByteArray();
    }
    if (o instanceof DriveActor.MediaInfo m) {
      return info(m).toByteArray();
    }
    throw new IllegalArgumentException("not a wire message: " + o.getClass().getName());
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    try {
      return switch (manifest) {
        case "prepare" -> new DriveActor.PrepareMedia(ref(DrivePrepareMedia.parseFrom(bytes).getReplyTo()));
        case "add-track" -> {
          DriveAddAudioTrack p = DriveAddAudioTrack.parseFrom(bytes);
          yield new DriveActor.AddAudioTrack(p.getWavPath(), ref(p.getProgress()), ref(p.getReplyTo()));
        }
        case "cancel" -> new DriveActor.CancelAddTrack(ref(DriveCancelAddTrack.parseFrom(bytes).getReplyTo()));
        case "release" -> new DriveActor.ReleaseMedia(ref(DriveReleaseMedia.parseFrom(bytes).getReplyTo()));
        case "speed" -> {
          DriveSetWriteSpeed p = DriveSetWriteSpeed.parseFrom(bytes);
          yield new DriveActor.SetWriteSpeed(p.getMultiple(), ref(p.getReplyTo()));
        }
        case "dnf" -> {
          DriveSetDoNotFinalizeMedia p = DriveSetDoNotFinalizeMedia.parseFrom(bytes);
          yield new DriveActor.SetDoNotFinalizeMedia(p.getValue(), ref(p.getReplyTo()));
        }
        case "get-info" -> new DriveActor.GetMediaInfo(ref(DriveGetMediaInfo.parseFrom(bytes).getReplyTo()));
        case "write-data" -> {
          DriveWriteData p = DriveWriteData.parseFrom(bytes);
          yield new DriveActor.WriteData(List.copyOf(p.getPathsList()), p.getForceMediaToBeClosed(),
              ref(p.getProgress()), ref(p.getReplyTo()));
        }
        case "load" -> {
          DriveLoadMedia p = DriveLoadMedia.parseFrom(bytes);
          yield new DriveActor.LoadMedia(MediaType.fromId(p.getMedia()), ref(p.getReplyTo()));
        }
        case "eject" -> {
          DriveEjectMedia p = DriveEjectMedia.parseFrom(bytes);
          yield new DriveActor.EjectMedia(p.getShelf(), ref(p.getReplyTo()));
        }
        case "fault" -> {
          DriveInjectWriteFault p = DriveInjectWriteFault.parseFrom(bytes);
          yield new DriveActor.InjectWriteFault(p.getPercent(), p.getOnce(), ref(p.getReplyTo()));
        }
        case "reply" -> reply(DriveReply.parseFrom(bytes));
        case "update" -> {
          DriveUpdate p = DriveUpdate.parseFrom(bytes);
          yield new DriveActor.Update(p.getDriveId(), p.getTrack(), DriveActor.Action.valueOf(p.getAction()),
              p.getElapsedMillis(), p.getRemainingMillis(), p.getLastWrittenLba(), p.getSectorsWritten(),
              p.getSectorsTotal());
        }
        case "info" -> info(DriveMediaInfo.parseFrom(bytes));
        default -> throw new NotSerializableException("unknown drive message manifest '" + manifest + "'");
      };
    } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
      NotSerializableException n = new NotSerializableException("bad drive message '" + manifest + "': "
          + e.getMessage());
      n.initCause(e);
      throw n;
    }
  }

  private String ref(ActorRef<?> ref) {
    return ref == null ? "" : resolver.toSerializationFormat(ref);
  }

  private <T> ActorRef<T> ref(String path) {
    return path.isEmpty() ? null : resolver.resolveActorRef(path);
  }

  private static DriveReply reply(DriveActor.Reply r) {
    DriveReply.Builder b = DriveReply.newBuilder().setDriveId(r.driveId())
        .setError(r.error() == null ? "" : r.error().name()).setMessage(r.message() == null ? "" : r.message());
    if (r.track() != null) {
      b.setTrack(track(r.track()));
    }
    if (r.media() != null) {
      b.setMedia(info(r.media()));
    }
    return b.build();
  }

  private static DriveActor.Reply reply(DriveReply p) {
    return new DriveActor.Reply(p.getDriveId(), p.getError().isEmpty() ? null : DriveError.valueOf(p.getError()),
        p.getMessage(), p.hasTrack() ? track(p.getTrack()) : null, p.hasMedia() ? info(p.getMedia()) : null);
  }

  private static DiscTrack track(Track t) {
    return DiscTrack.newBuilder().setNumber(t.number()).setSession(t.session()).setKind(t.kind().name())
        .setStartLba(t.startLba()).setGapSectors(t.gapSectors()).setLengthSectors(t.lengthSectors())
        .setContentSectors(t.contentSectors()).setPartial(t.partial()).setSource(t.source() == null ? "" : t.source())
        .build();
  }

  private static Track track(DiscTrack p) {
    return new Track(p.getNumber(), p.getSession(), TrackKind.valueOf(p.getKind()), p.getStartLba(),
        p.getGapSectors(), p.getLengthSectors(), p.getContentSectors(), p.getPartial(), p.getSource());
  }

  /** A drive's MediaInfo as protobuf, for status answers that carry it. */
  public static DriveMediaInfo toProto(DriveActor.MediaInfo m) {
    return info(m);
  }

  private static DriveMediaInfo info(DriveActor.MediaInfo m) {
    DriveMediaInfo.Builder b = DriveMediaInfo.newBuilder().setDriveId(m.driveId()).setBackend(m.backend())
        .setMediaType(m.mediaType()).setMediaLabel(m.mediaLabel()).setState(m.state().name())
        .setSessions(m.sessions()).setNumberOfExistingTracks(m.numberOfExistingTracks())
        .setTotalSectors(m.totalSectors()).setUsedSectors(m.usedSectors()).setOverheadSectors(m.overheadSectors())
        .setFreeSectors(m.freeSectors()).putAllImages(m.images()).setDoNotFinalizeMedia(m.doNotFinalizeMedia())
        .setPrepared(m.prepared()).setWriting(m.writing()).setWriteSpeed(m.writeSpeed());
    for (TocEntry e : m.expectedTableOfContents()) {
      b.addExpectedTableOfContents(DiscTocEntry.newBuilder().setSession(e.session()).setTrack(e.track())
          .setType(e.type()).setLba(e.lba()).setMsf(e.msf()));
    }
    m.tracks().forEach(t -> b.addTracks(track(t)));
    return b.build();
  }

  private static DriveActor.MediaInfo info(DriveMediaInfo p) {
    return new DriveActor.MediaInfo(p.getDriveId(), p.getBackend(), p.getMediaType(), p.getMediaLabel(),
        MediaState.valueOf(p.getState()), p.getSessions(), p.getNumberOfExistingTracks(), p.getTotalSectors(),
        p.getUsedSectors(), p.getOverheadSectors(), p.getFreeSectors(),
        p.getExpectedTableOfContentsList().stream()
            .map(e -> new TocEntry(e.getSession(), e.getTrack(), e.getType(), e.getLba(), e.getMsf())).toList(),
        p.getTracksList().stream().map(DriveSerializer::track).toList(), java.util.Map.copyOf(p.getImagesMap()),
        p.getDoNotFinalizeMedia(), p.getPrepared(), p.getWriting(), p.getWriteSpeed());
  }
}
