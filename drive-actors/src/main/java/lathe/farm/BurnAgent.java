package lathe.farm;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import lathe.drive.DriveActor;
import lathe.protocol.FarmBurnDisc;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * The farm's hands on one burner node: it takes discs from the coordinator for this node's drives and runs
 * each in a {@link DiscSession} of its own. One disc per drive at a time; a repeated order is ignored.
 */
public final class BurnAgent {
  private BurnAgent() {}

  public interface Command {}

  /** Burn one disc of a job on the local drive {@code request.drive}. */
  public record BurnDisc(FarmBurnDisc request) implements Command {}

  private record SessionEnded(String drive, String key) implements Command, NoSerializationVerificationNeeded {}

  public static final ServiceKey<Command> SERVICE_KEY = ServiceKey.create(Command.class, "lathe-burn-agent");

  public static Behavior<Command> create(Map<String, ActorRef<DriveActor.Command>> drives, Path work,
      ActorRef<FarmCoordinator.Command> coordinator) {
    return Behaviors.setup(ctx -> {
      ctx.getSystem().receptionist().tell(Receptionist.register(SERVICE_KEY, ctx.getSelf()));
      Map<String, String> running = new HashMap<>(); // drive → session key
      return Behaviors.receive(Command.class)
          .onMessage(BurnDisc.class, m -> {
            FarmBurnDisc r = m.request();
            String key = r.getJob().getId() + "-d" + r.getDisc() + "-a" + r.getAttempt();
            ActorRef<DriveActor.Command> drive = drives.get(r.getDrive());
            if (key.equals(running.get(r.getDrive()))) {
              return Behaviors.same();
            }
            ActorRef<DiscSession.Command> session = ctx.spawn(DiscSession.create(r, drive, work.resolve("staging")
                .resolve(key), coordinator, Farm.node(ctx.getSystem(), ctx.getSelf())), "disc-" + key);
            running.put(r.getDrive(), key);
            ctx.watchWith(session, new SessionEnded(r.getDrive(), key));
            return Behaviors.same();
          })
          .onMessage(SessionEnded.class, m -> {
            running.remove(m.drive(), m.key());
            return Behaviors.same();
          })
          .build();
    });
  }

  /** What a crash left half-fetched is of no use: each attempt fetches its sources again. Blocks: call it first. */
  static void clearStaging(Path staging) {
    FarmFiles.deleteTree(staging);
  }
}
