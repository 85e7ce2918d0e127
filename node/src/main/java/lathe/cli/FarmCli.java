package lathe.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.util.Locale;
import lathe.client.SinkWriterClient;
import lathe.disc.RedBook;
import lathe.protocol.FarmAttempt;
import lathe.protocol.FarmDisc;
import lathe.protocol.FarmDrive;
import lathe.protocol.FarmGrpc;
import lathe.protocol.FarmJob;

/** What `lathe archive`, `lathe jobs` and `lathe drives --cluster` share: the channel, errors, output; and the
 * --cluster address check that `lathe bench streams --cluster` uses too. */
final class FarmCli implements AutoCloseable {
  private static final JsonFormat.Printer JSON = JsonFormat.printer().includingDefaultValueFields()
      .preservingProtoFieldNames();

  private final String target;
  private final ManagedChannel channel;

  FarmCli(String target) {
    this.target = requireAddress(target);
    this.channel = SinkWriterClient.channel(target);
  }

  /** A --cluster value, checked to be HOST:GRPC_PORT before anything tries to connect to it. */
  static String requireAddress(String target) {
    if (!target.matches("[^:]+:\\d{1,5}")) {
      throw new UserError("--cluster wants HOST:GRPC_PORT, not '" + target + "'", OneLineErrors.USAGE);
    }
    return target;
  }

  FarmGrpc.FarmBlockingStub stub() {
    return FarmGrpc.newBlockingStub(channel);
  }

  /** A gRPC failure as the one line the user sees. */
  UserError error(StatusRuntimeException e) {
    String d = e.getStatus().getDescription();
    return switch (e.getStatus().getCode()) {
      case UNAVAILABLE -> new UserError(d != null && !d.startsWith("io exception") ? d
          : "cannot reach " + target + ": " + (d == null ? "no answer" : d));
      case DEADLINE_EXCEEDED -> new UserError(target + " did not answer in time");
      default -> new UserError(d == null ? e.getStatus().getCode().toString() : d);
    };
  }

  static String json(MessageOrBuilder m) {
    try {
      return JSON.print(m);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("cannot print " + m.getClass().getSimpleName() + " as JSON", e);
    }
  }

  /** One line for a job: id, state, kind, discs, and the error of a failed one. */
  static String summary(FarmJob j) {
    long done = j.getDiscsList().stream().filter(d -> d.getState().equals("done")).count();
    return String.format(Locale.ROOT, "%s  %-7s %s on %s, %d recording(s), %d/%d disc(s) done%s", j.getId(),
        j.getState(), j.getKind(), j.getMedia(), j.getSourcesCount(), done, j.getDiscsCount(),
        j.getError().isEmpty() ? "" : "  " + j.getError());
  }

  /** A disc's state and every attempt it had: where, how it ended, and why it failed. */
  static String disc(FarmJob j, FarmDisc d) {
    StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "  disc %d/%d  %-8s %d track(s)/file(s)",
        d.getIndex(), j.getDiscsCount(), d.getState(), d.getSourcesCount()));
    for (FarmAttempt a : d.getAttemptsList()) {
      b.append(String.format(Locale.ROOT, "%n    attempt %d on %s: %s%s%s", a.getNumber(), a.getDrive(),
          a.getState(), a.getVerified() ? ", verified" : "",
          a.getError().isEmpty() ? "" : " (" + a.getError() + ")"));
      if (a.getImagesMap().containsKey("cue")) {
        b.append(String.format(Locale.ROOT, "%n      %s", a.getImagesMap().get("cue")));
      }
      if (a.getImagesMap().containsKey("data")) {
        b.append(String.format(Locale.ROOT, "%n      %s", a.getImagesMap().get("data")));
      }
    }
    return b.toString();
  }

  /** The progress of a burning disc, as one line. */
  static String progress(FarmJob j, FarmDisc d, FarmAttempt a) {
    String eta = a.getEtaMillis() > 0 ? "  ETA " + RedBook.msf(a.getEtaMillis() * 75 / 1000).substring(0, 5) : "";
    return String.format(Locale.ROOT, "%s disc %d/%d on %s: %s track %d %d%%%s%s", j.getId(), d.getIndex(),
        j.getDiscsCount(), a.getDrive(), a.getAction(), a.getTrack(), a.getPercent(),
        a.getLastWrittenLba() > 0 ? "  LBA " + a.getLastWrittenLba() : "", eta);
  }

  static String drive(FarmDrive d) {
    if (!d.hasMedia()) {
      return String.format(Locale.ROOT, "%-28s %-11s", d.getId(), d.getStatus());
    }
    var m = d.getMedia();
    return String.format(Locale.ROOT, "%-28s %-11s %-12s %-10s %2d track(s)  %,9d free of %,9d sectors",
        d.getId(), d.getStatus(), m.getMediaLabel(), m.getState().toLowerCase(Locale.ROOT),
        m.getNumberOfExistingTracks(), m.getFreeSectors(), m.getTotalSectors());
  }

  @Override
  public void close() {
    channel.shutdownNow();
  }
}
