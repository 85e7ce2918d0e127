package lathe.farm;

import java.nio.file.Path;
import java.util.Map;
import lathe.drive.DriveActor;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.ClusterSingletonSettings;
import org.apache.pekko.cluster.typed.SingletonActor;

/**
 * Wires the burner farm into a node: the file server for its archive, the burn agent for its drives (burner
 * nodes) and the coordinator, a Cluster Singleton on the oldest burner node, reached through its proxy.
 */
public final class Farm {
  public static final String IO_DISPATCHER = "lathe.farm.io-dispatcher";
  public static final String BURNER = "burner";

  private final ActorRef<FarmCoordinator.Command> coordinator;

  private Farm(ActorRef<FarmCoordinator.Command> coordinator) {
    this.coordinator = coordinator;
  }

  /**
   * Starts the farm's actors of this node. {@code archive} is what the file server lends (null: nothing);
   * {@code drives} are this node's drives (empty on nodes without the burner role).
   */
  public static Farm start(ActorSystem<?> system, Path dataDir, Path archive,
      Map<String, ActorRef<DriveActor.Command>> drives) {
    if (archive != null) {
      system.systemActorOf(FileServer.create(archive), "farm-files", Props.empty());
    }
    Behavior<FarmCoordinator.Command> coordinator = Behaviors.supervise(FarmCoordinator.create())
        .onFailure(SupervisorStrategy.restart());
    ActorRef<FarmCoordinator.Command> proxy = ClusterSingleton.get(system).init(
        SingletonActor.of(coordinator, "farm-coordinator")
            .withSettings(ClusterSingletonSettings.create(system).withRole(BURNER)));
    if (!drives.isEmpty()) {
      BurnAgent.clearStaging(dataDir.resolve("farm").resolve("staging"));
      system.systemActorOf(BurnAgent.create(drives, dataDir.resolve("farm"), proxy), "farm-agent", Props.empty());
    }
    return new Farm(proxy);
  }

  public ActorRef<FarmCoordinator.Command> coordinator() {
    return coordinator;
  }

  /** HOST:PORT of the node an actor lives on (this node for a local reference). */
  public static String node(ActorSystem<?> system, ActorRef<?> ref) {
    Address a = ref.path().address();
    if (a.host().isEmpty()) {
      a = Cluster.get(system).selfMember().address();
    }
    return a.host().get() + ":" + a.port().get();
  }

  /** The cluster-wide id of a drive, DRIVE@HOST:PORT, from its actor (spawned as {@code drive-DRIVE}). */
  public static String driveId(ActorSystem<?> system, ActorRef<DriveActor.Command> ref) {
    return localDriveId(ref) + "@" + node(system, ref);
  }

  public static String localDriveId(ActorRef<DriveActor.Command> ref) {
    String name = ref.path().name();
    return name.startsWith("drive-") ? name.substring("drive-".length()) : name;
  }
}
