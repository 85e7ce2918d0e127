package lathe.farm;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import lathe.disc.Disc;
import lathe.disc.DiscException;
import lathe.disc.DriveError;
import lathe.disc.MediaType;
import lathe.disc.RedBook;
import lathe.disc.Track;
import lathe.protocol.FarmDisc;
import lathe.protocol.FarmJob;
import lathe.protocol.FarmSource;

/**
 * Spreads a job's recordings over as many discs as they need, in the order given, with the disc model's own
 * arithmetic (Red Book for CD audio, the medium's capacity for data): a disc is full when the next track or
 * file would not fit, and a recording larger than an empty disc is refused before anything is burned.
 */
public final class DiscPlanner {
  /** Room a data session needs beyond its files: ISO 9660 + Joliet + Rock Ridge descriptors, directories, manifest. */
  static final long DATA_SESSION_SLACK = 1024;

  private DiscPlanner() {}

  /** The discs of {@code job} (kind, media, sources set), each in state queued. */
  public static List<FarmDisc> plan(FarmJob job) {
    MediaType media = MediaType.fromId(job.getMedia());
    if (job.getSourcesCount() == 0) {
      throw new DiscException(DriveError.INVALID_ARGUMENT, "a job needs at least one recording");
    }
    Set<String> names = new HashSet<>();
    for (FarmSource s : job.getSourcesList()) {
      if (!names.add(discName(s))) {
        throw new DiscException(DriveError.INVALID_ARGUMENT, "two recordings would both be /" + discName(s)
            + " on a disc; archive them in separate jobs");
      }
    }
    return switch (job.getKind()) {
      case "audio-cd" -> planAudio(job, media);
      case "data" -> planData(job, media);
      default -> throw new DiscException(DriveError.INVALID_ARGUMENT,
          "unknown job kind '" + job.getKind() + "': audio-cd or data");
    };
  }

  /** The file name a recording gets on a data session: its name with folders joined by '-'. */
  public static String discName(FarmSource s) {
    return s.getName().replace('/', '-');
  }

  private static List<FarmDisc> planAudio(FarmJob job, MediaType media) {
    if (!media.isCd()) {
      throw new DiscException(DriveError.MEDIA_NOT_SUPPORTED,
          "an audio CD needs CD-R media (cdr74 or cdr80), not " + media.label());
    }
    List<FarmDisc> discs = new ArrayList<>();
    Disc disc = Disc.blank(media);
    List<Integer> on = new ArrayList<>();
    long dataBytes = 0;
    for (int i = 0; i < job.getSourcesCount(); i++) {
      FarmSource s = job.getSources(i);
      long content = RedBook.sectorsFor(s.getPcmBytes());
      Disc with = tryAudio(disc, content, s, job.getCdExtra() ? dataBytes + s.getBytes() : -1);
      if (with == null) {
        if (on.isEmpty()) {
          throw tooLarge(s, RedBook.paddedTrackSectors(content), media, job.getCdExtra());
        }
        discs.add(disc(discs.size() + 1, on, disc.usedSectors()));
        disc = Disc.blank(media);
        on = new ArrayList<>();
        dataBytes = 0;
        with = tryAudio(disc, content, s, job.getCdExtra() ? s.getBytes() : -1);
        if (with == null) {
          throw tooLarge(s, RedBook.paddedTrackSectors(content), media, job.getCdExtra());
        }
      }
      disc = with;
      on.add(i);
      dataBytes += s.getBytes();
    }
    discs.add(disc(discs.size() + 1, on, disc.usedSectors()));
    return discs;
  }

  /** {@code disc} with the track added, or null when it (and, for CD-Extra, the data session after it) does not fit. */
  private static Disc tryAudio(Disc disc, long content, FarmSource s, long cdExtraBytes) {
    try {
      Track t = disc.planAudioTrack(content, s.getName());
      Disc with = disc.withAudioTrack(t);
      if (cdExtraBytes >= 0) {
        with.closeSession(false).planDataSession(dataSectors(cdExtraBytes), "cd-extra");
      }
      return with;
    } catch (DiscException e) {
      if (e.code() == DriveError.NOT_ENOUGH_SPACE || e.code() == DriveError.TRACK_LIMIT_REACHED) {
        return null;
      }
      throw e;
    }
  }

  private static List<FarmDisc> planData(FarmJob job, MediaType media) {
    List<FarmDisc> discs = new ArrayList<>();
    Disc blank = Disc.blank(media);
    List<Integer> on = new ArrayList<>();
    long bytes = 0;
    long sectors = 0;
    for (int i = 0; i < job.getSourcesCount(); i++) {
      FarmSource s = job.getSources(i);
      Long fits = dataFits(blank, bytes + roundUp(s.getBytes()));
      if (fits == null) {
        if (on.isEmpty()) {
          throw tooLarge(s, dataSectors(s.getBytes()), media, false);
        }
        discs.add(disc(discs.size() + 1, on, sectors));
        on = new ArrayList<>();
        bytes = 0;
        fits = dataFits(blank, roundUp(s.getBytes()));
        if (fits == null) {
          throw tooLarge(s, dataSectors(s.getBytes()), media, false);
        }
      }
      on.add(i);
      bytes += roundUp(s.getBytes());
      sectors = fits;
    }
    discs.add(disc(discs.size() + 1, on, sectors));
    return discs;
  }

  private static Long dataFits(Disc blank, long bytes) {
    try {
      return blank.planDataSession(dataSectors(bytes), "data").footprint();
    } catch (DiscException e) {
      if (e.code() == DriveError.NOT_ENOUGH_SPACE) {
        return null;
      }
      throw e;
    }
  }

  private static long roundUp(long bytes) {
    return (bytes + 2047) / 2048 * 2048;
  }

  static long dataSectors(long fileBytes) {
    return (fileBytes + 2047) / 2048 + DATA_SESSION_SLACK;
  }

  private static FarmDisc disc(int index, List<Integer> sources, long sectors) {
    return FarmDisc.newBuilder().setIndex(index).addAllSources(sources).setState("queued")
        .setPlannedSectors(sectors).build();
  }

  private static DiscException tooLarge(FarmSource s, long sectors, MediaType media, boolean cdExtra) {
    return new DiscException(DriveError.NOT_ENOUGH_SPACE, s.getName() + " needs " + sectors + " sectors ("
        + RedBook.msf(sectors) + ")" + (cdExtra ? " plus its copy in the data session" : "")
        + ", more than an empty " + media.label() + " holds; choose larger media (--media)");
  }
}
