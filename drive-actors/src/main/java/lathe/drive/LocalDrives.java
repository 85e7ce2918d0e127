package lathe.drive;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import lathe.disc.MediaType;
import lathe.drive.backend.BurnerBackend;
import lathe.drive.backend.HardwareBackend;
import lathe.drive.backend.SimulatedBackend;
import lathe.drive.backend.WriteSpeed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;

/** Starts the drives {@code lathe.drives.local} configures, each disc kept under {@code DATA/drives/ID/}. */
public final class LocalDrives {
  private LocalDrives() {}

  /** Spawns one DriveActor per configured drive, in configuration order, keyed by drive id. */
  public static Map<String, ActorRef<DriveActor.Command>> start(ActorSystem<?> system, Path dataDir) {
    Config drives = system.settings().config().getConfig("lathe.drives");
    WriteSpeed speed = WriteSpeed.parse(drives.getString("default-speed"));
    Map<String, ActorRef<DriveActor.Command>> refs = new LinkedHashMap<>();
    Config local = drives.getConfig("local");
    for (String id : local.root().keySet().stream().sorted().toList()) {
      Config c = local.getConfig(id);
      BurnerBackend backend = backend(id, c, dataDir.resolve("drives").resolve(id));
      WriteSpeed s = c.hasPath("speed") ? WriteSpeed.parse(c.getString("speed")) : speed;
      refs.put(id, system.systemActorOf(DriveActor.create(id, backend, s), "drive-" + id, Props.empty()));
    }
    return refs;
  }

  static BurnerBackend backend(String id, Config c, Path dir) {
    String kind = c.hasPath("backend") ? c.getString("backend") : "simulated";
    String media = c.hasPath("media") ? c.getString("media") : "none";
    MediaType first = media.equals("none") ? null : MediaType.fromId(media);
    switch (kind) {
      case "simulated": {
        SimulatedBackend sim = new SimulatedBackend(dir, first);
        if (c.hasPath("write-fault-percent")) {
          sim.injectWriteFault(c.getInt("write-fault-percent"));
        }
        return sim;
      }
      case "hardware":
        return new HardwareBackend(c.getString("device"), dir, first);
      default:
        throw new IllegalArgumentException("drive " + id + ": unknown backend '" + kind
            + "' (simulated or hardware)");
    }
  }
}
