package lathe.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import lathe.disc.RedBook;
import lathe.disc.TocEntry;
import lathe.disc.Track;
import lathe.drive.DiscBurner;
import lathe.drive.DriveActor;
import lathe.drive.DriveActor.MediaInfo;
import lathe.drive.DriveFailure;
import lathe.drive.LocalDrives;
import org.apache.pekko.actor.typed.ActorRef;
import picocli.CommandLine.Option;

/** What `lathe drives` and `lathe burn` share: options, the embedded node with its drives, output. */
final class DriveCli implements AutoCloseable {

  /** Options every drive command takes. */
  static final class Common {
    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "lathe-data",
        description = "Where the node keeps its data; discs are under DIR/drives/ID (default: ${DEFAULT-VALUE})")
    Path dataDir;

    @Option(names = "--json", description = "Print the result as JSON on stdout")
    boolean json;
  }

  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final EmbeddedNode node;
  private final Map<String, ActorRef<DriveActor.Command>> drives;

  private DriveCli(EmbeddedNode node, Map<String, ActorRef<DriveActor.Command>> drives) {
    this.node = node;
    this.drives = drives;
  }

  static DriveCli open(Path dataDir) {
    EmbeddedNode node = EmbeddedNode.start(dataDir);
    try {
      return new DriveCli(node, LocalDrives.start(node.system(), node.dataDir()));
    } catch (RuntimeException e) {
      node.close();
      throw new UserError("cannot start the drives: " + OneLineErrors.message(e));
    }
  }

  List<String> driveIds() {
    return List.copyOf(drives.keySet());
  }

  DiscBurner burner(String id) {
    ActorRef<DriveActor.Command> ref = drives.get(id);
    if (ref == null) {
      throw new UserError("no drive '" + id + "' (drives: " + String.join(", ", drives.keySet()) + ")");
    }
    return new DiscBurner(node.system(), ref);
  }

  @Override
  public void close() {
    node.close();
  }

  static UserError userError(DriveFailure f) {
    return new UserError(f.getMessage());
  }

  static Map<String, Object> json(MediaInfo m) {
    Map<String, Object> j = new LinkedHashMap<>();
    j.put("id", m.driveId());
    j.put("backend", m.backend());
    j.put("media", m.mediaType());
    j.put("mediaLabel", m.mediaLabel());
    j.put("state", m.state().name().toLowerCase());
    j.put("sessions", m.sessions());
    j.put("tracks", m.numberOfExistingTracks());
    j.put("totalSectors", m.totalSectors());
    j.put("usedSectors", m.usedSectors());
    j.put("overheadSectors", m.overheadSectors());
    j.put("freeSectors", m.freeSectors());
    j.put("doNotFinalizeMedia", m.doNotFinalizeMedia());
    j.put("writeSpeed", m.writeSpeed());
    j.put("toc", m.expectedTableOfContents());
    j.put("trackList", m.tracks());
    j.put("images", m.images());
    return j;
  }

  static void print(PrintStream out, MediaInfo m) {
    if (m.mediaType().equals("none")) {
      out.printf("%-6s %-9s  no disc%n", m.driveId(), m.backend());
      return;
    }
    out.printf("%-6s %-9s  %s, %s, %d session(s), %d track(s); used %d + overhead %d, free %d of %d sectors%s%n",
        m.driveId(), m.backend(), m.mediaLabel(), m.state().name().toLowerCase(), m.sessions(),
        m.numberOfExistingTracks(), m.usedSectors(), m.overheadSectors(), m.freeSectors(), m.totalSectors(),
        m.mediaType().startsWith("cdr") ? " (" + RedBook.msf(m.freeSectors()) + " free)" : "");
    for (TocEntry t : m.expectedTableOfContents()) {
      out.printf("         session %d %-8s %3s  LBA %7d  %s%n", t.session(), t.type(),
          t.track() == TocEntry.LEAD_OUT ? "" : Integer.toString(t.track()), t.lba(), t.msf());
    }
    m.images().forEach((k, v) -> out.printf("         %-5s %s%n", k, v));
  }

  static String trackLine(Track t) {
    return String.format("track %2d  session %d  %-5s LBA %7d  %6d sectors (%s)%s", t.number(), t.session(),
        t.kind().name().toLowerCase(), t.startLba(), t.lengthSectors(), RedBook.msf(t.lengthSectors()),
        t.partial() ? "  PARTIAL" : "");
  }
}
