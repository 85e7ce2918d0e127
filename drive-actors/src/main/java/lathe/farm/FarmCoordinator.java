package lathe.farm;

import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import lathe.disc.DiscException;
import lathe.drive.DriveActor;
import lathe.protocol.FarmAttempt;
import lathe.protocol.FarmBurnDisc;
import lathe.protocol.FarmDisc;
import lathe.protocol.FarmDiscFinished;
import lathe.protocol.FarmDiscFinishedAck;
import lathe.protocol.FarmDiscProgress;
import lathe.protocol.FarmJob;
import lathe.protocol.FarmJobs;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.LWWMap;
import org.apache.pekko.cluster.ddata.LWWMapKey;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * The burner farm's coordinator, one per cluster (Cluster Singleton on the oldest burner node). It plans each
 * job into discs, gives every queued disc to an idle drive anywhere in the cluster, and redoes a disc whose
 * attempt failed on another drive, preferring another node. Its only state that matters is the job queue, kept
 * in durable Distributed Data and written with a majority on every change, so the coordinator that takes over
 * after its node is lost finds every job where it was and retries what was burning on the lost node.
 */
public final class FarmCoordinator extends AbstractBehavior<FarmCoordinator.Command> {

  public interface Command {}

  /** Plans and queues {@code job} (kind, media, options and sources set); answers with the job as planned. */
  public record Submit(FarmJob job, ActorRef<FarmJobs> replyTo) implements Command {}

  /** Every job, newest progress included. */
  public record GetJobs(ActorRef<FarmJobs> replyTo) implements Command {}

  /** From a burn agent while an attempt runs; also its heartbeat. */
  public record Progress(FarmDiscProgress progress) implements Command {}

  /** From a burn agent, resent until {@code replyTo} gets the acknowledgement. */
  public record Finished(FarmDiscFinished finished, ActorRef<FarmDiscFinishedAck> replyTo) implements Command {}

  public static final Key<LWWMap<String, FarmJob>> KEY = LWWMapKey.create("lathe-farm-jobs");

  private interface Internal extends Command, NoSerializationVerificationNeeded {}

  /** {@code jobs} null: the read failed. */
  private record Loaded(Map<String, FarmJob> jobs) implements Internal {}

  private record DrivesListed(Receptionist.Listing listing) implements Internal {}

  private record AgentsListed(Receptionist.Listing listing) implements Internal {}

  private record MemberGone(String node, String why) implements Internal {}

  private enum Tick implements Internal { INSTANCE }

  private record Candidate(String id, String node, String localId) {}

  public static Behavior<Command> create() {
    return Behaviors.withStash(10_000, stash -> Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(Tick.INSTANCE, Tick.INSTANCE, Duration.ofSeconds(1));
      return new FarmCoordinator(ctx, stash);
    })));
  }

  private final StashBuffer<Command> stash;
  private final ActorRef<Replicator.Command> replicator;
  private final SelfUniqueAddress self;
  private final Duration silence;
  private final int maxAttempts;
  private final int keepFinished;
  private final Map<String, FarmJob> jobs = new LinkedHashMap<>();
  /** Cluster-wide drive id → node, from the Receptionist. */
  private final Map<String, String> drives = new HashMap<>();
  private final Map<String, ActorRef<BurnAgent.Command>> agents = new HashMap<>();
  /** "job/disc/attempt" → when the agent was last heard from (nanoTime). */
  private final Map<String, Long> heard = new HashMap<>();
  private final ActorRef<Replicator.GetResponse<LWWMap<String, FarmJob>>> got;
  private boolean loaded;
  private boolean readLocally;

  private FarmCoordinator(ActorContext<Command> ctx, StashBuffer<Command> stash) {
    super(ctx);
    this.stash = stash;
    this.replicator = DistributedData.get(ctx.getSystem()).replicator();
    this.self = DistributedData.get(ctx.getSystem()).selfUniqueAddress();
    var config = ctx.getSystem().settings().config().getConfig("lathe.farm");
    this.silence = config.getDuration("silence-timeout");
    this.maxAttempts = config.getInt("max-attempts");
    this.keepFinished = config.getInt("keep-finished");
    this.got = ctx.messageAdapter(
        (Class<Replicator.GetResponse<LWWMap<String, FarmJob>>>) (Class<?>) Replicator.GetResponse.class,
        rsp -> new Loaded(rsp instanceof Replicator.GetSuccess<LWWMap<String, FarmJob>> ok ? ok.get(KEY).getEntries()
            : rsp instanceof Replicator.NotFound<?> ? Map.of() : null));
    // A majority read finds the queue even when this node's own replica lags the one that was lost.
    replicator.tell(new Replicator.Get<>(KEY, new Replicator.ReadMajority(Duration.ofSeconds(5)), got));
    // One adapter per message class: both listings come through it and are told apart by their key.
    ActorRef<Receptionist.Listing> listings = ctx.messageAdapter(Receptionist.Listing.class,
        l -> l.isForKey(DriveActor.SERVICE_KEY) ? new DrivesListed(l) : new AgentsListed(l));
    ctx.getSystem().receptionist().tell(Receptionist.subscribe(DriveActor.SERVICE_KEY, listings));
    ctx.getSystem().receptionist().tell(Receptionist.subscribe(BurnAgent.SERVICE_KEY, listings));
    Cluster cluster = Cluster.get(ctx.getSystem());
    cluster.subscriptions().tell(Subscribe.create(ctx.messageAdapter(ClusterEvent.UnreachableMember.class,
        e -> new MemberGone(hostPort(e.member().address()), "became unreachable")),
        ClusterEvent.UnreachableMember.class));
    cluster.subscriptions().tell(Subscribe.create(ctx.messageAdapter(ClusterEvent.MemberRemoved.class,
        e -> new MemberGone(hostPort(e.member().address()), "left the cluster")), ClusterEvent.MemberRemoved.class));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Loaded.class, this::onLoaded)
        .onMessage(DrivesListed.class, this::onDrivesListed)
        .onMessage(AgentsListed.class, this::onAgentsListed)
        .onMessage(MemberGone.class, this::onMemberGone)
        .onMessage(Command.class, m -> !loaded, m -> {
          stash.stash(m);
          return this;
        })
        .onMessage(Submit.class, this::onSubmit)
        .onMessage(GetJobs.class, this::onGetJobs)
        .onMessage(Progress.class, this::onProgress)
        .onMessage(Finished.class, this::onFinished)
        .onMessage(Tick.class, t -> onTick())
        .build();
  }

  private Behavior<Command> onLoaded(Loaded m) {
    if (loaded) {
      return this;
    }
    if (m.jobs() == null && !readLocally) {
      // No majority answered in time (nodes lost at once): this node's durable replica is the next best.
      readLocally = true;
      replicator.tell(new Replicator.Get<>(KEY, Replicator.readLocal(), got));
      return this;
    }
    if (m.jobs() == null) {
      getContext().getLog().warn("farm coordinator: the job queue could not be read; starting with none");
    }
    loaded = true;
    (m.jobs() == null ? Map.<String, FarmJob>of() : m.jobs()).values().stream()
        .sorted(Comparator.comparingLong(FarmJob::getSubmittedEpochMillis)).forEach(j -> jobs.put(j.getId(), j));
    long now = System.nanoTime();
    // Attempts that were running when the last coordinator stopped get the full silence timeout to be heard from.
    for (FarmJob j : jobs.values()) {
      for (FarmDisc d : j.getDiscsList()) {
        FarmAttempt a = current(d);
        if (a != null && active(a)) {
          heard.put(key(j.getId(), d.getIndex(), a.getNumber()), now);
        }
      }
    }
    getContext().getLog().info("farm coordinator up with {} job(s)", jobs.size());
    return stash.unstashAll(this);
  }

  private Behavior<Command> onDrivesListed(DrivesListed m) {
    drives.clear();
    for (ActorRef<DriveActor.Command> ref : m.listing().getServiceInstances(DriveActor.SERVICE_KEY)) {
      drives.put(Farm.driveId(getContext().getSystem(), ref), Farm.node(getContext().getSystem(), ref));
    }
    return loaded ? schedule() : this;
  }

  private Behavior<Command> onAgentsListed(AgentsListed m) {
    agents.clear();
    for (ActorRef<BurnAgent.Command> ref : m.listing().getServiceInstances(BurnAgent.SERVICE_KEY)) {
      String node = Farm.node(getContext().getSystem(), ref);
      agents.put(node, ref);
    }
    return loaded ? schedule() : this;
  }

  // A node that cannot be reached may still be burning, but the job must not wait for it: its attempts fail
  // and their discs are redone; a result that comes later from such an attempt is acknowledged and ignored.
  private Behavior<Command> onMemberGone(MemberGone m) {
    if (!loaded) {
      return this;
    }
    failWhere((job, disc, a) -> a.getNode().equals(m.node()), "node " + m.node() + " " + m.why()
        + " while burning");
    return schedule();
  }

  private Behavior<Command> onSubmit(Submit m) {
    FarmJob draft = m.job();
    List<FarmDisc> discs;
    try {
      discs = DiscPlanner.plan(draft);
    } catch (DiscException | IllegalArgumentException e) {
      m.replyTo().tell(FarmJobs.newBuilder().setError(e.getMessage()).build());
      return this;
    }
    String id = "job-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + "-"
        + String.format("%04x", ThreadLocalRandom.current().nextInt(0x10000));
    FarmJob job = draft.toBuilder().setId(id).clearDiscs().addAllDiscs(discs).setState("queued")
        .setSubmittedEpochMillis(System.currentTimeMillis())
        .setMaxAttempts(draft.getMaxAttempts() > 0 ? draft.getMaxAttempts() : maxAttempts).build();
    store(job);
    m.replyTo().tell(FarmJobs.newBuilder().addJobs(job).build());
    getContext().getLog().info("job {}: {} recording(s) on {} disc(s)", id, job.getSourcesCount(), discs.size());
    return schedule();
  }

  private Behavior<Command> onGetJobs(GetJobs m) {
    m.replyTo().tell(FarmJobs.newBuilder().addAllJobs(jobs.values()).build());
    return this;
  }

  private Behavior<Command> onProgress(Progress m) {
    FarmDiscProgress p = m.progress();
    FarmJob job = jobs.get(p.getJob());
    if (job == null || p.getDisc() < 1 || p.getDisc() > job.getDiscsCount()) {
      return this;
    }
    FarmDisc disc = job.getDiscs(p.getDisc() - 1);
    FarmAttempt a = current(disc);
    if (a == null || a.getNumber() != p.getAttempt() || !active(a)) {
      return this;
    }
    heard.put(key(job.getId(), disc.getIndex(), a.getNumber()), System.nanoTime());
    FarmAttempt.Builder b = a.toBuilder().setTrack(p.getProgress().getTrack())
        .setAction(p.getProgress().getAction()).setPercent(p.getProgress().getPercent())
        .setLastWrittenLba(p.getProgress().getLastWrittenLba()).setEtaMillis(p.getProgress().getEtaMillis());
    if (!p.getProgress().getState().isEmpty()) {
      b.setState(p.getProgress().getState());
    }
    FarmAttempt next = b.build();
    FarmJob updated = withAttempt(job, disc, next, disc.getState());
    // Progress lives in memory; a state change (burning → verifying) is worth a durable write.
    if (!next.getState().equals(a.getState())) {
      store(updated);
    } else {
      jobs.put(updated.getId(), updated);
    }
    return this;
  }

  private Behavior<Command> onFinished(Finished m) {
    FarmDiscFinished f = m.finished();
    m.replyTo().tell(FarmDiscFinishedAck.newBuilder().setJob(f.getJob()).setDisc(f.getDisc())
        .setAttempt(f.getAttempt()).build());
    FarmJob job = jobs.get(f.getJob());
    if (job == null || f.getDisc() < 1 || f.getDisc() > job.getDiscsCount()) {
      return this;
    }
    FarmDisc disc = job.getDiscs(f.getDisc() - 1);
    FarmAttempt a = current(disc);
    if (a == null || a.getNumber() != f.getAttempt() || !active(a)) {
      return this; // a late word from an attempt already given up
    }
    heard.remove(key(job.getId(), disc.getIndex(), a.getNumber()));
    FarmAttempt result = a.toBuilder().mergeFrom(f.getResult()).setNumber(a.getNumber()).setDrive(a.getDrive())
        .setNode(a.getNode()).setStartedEpochMillis(a.getStartedEpochMillis())
        .setEndedEpochMillis(System.currentTimeMillis()).build();
    boolean ok = result.getState().equals("done");
    getContext().getLog().info("job {} disc {} attempt {} on {}: {}", job.getId(), disc.getIndex(),
        a.getNumber(), a.getDrive(), ok ? "done, verified" : "failed: " + result.getError());
    store(settle(withAttempt(job, disc, result, ok ? "done" : requeueOrFail(job, disc))));
    return schedule();
  }

  private Behavior<Command> onTick() {
    long now = System.nanoTime();
    // A coordinator that took over after its node was lost finds attempts on that node with no event to come.
    failWhere((job, disc, a) -> !member(a.getNode()), "its node left the cluster while burning");
    failWhere((job, disc, a) -> {
      Long last = heard.get(key(job.getId(), disc.getIndex(), a.getNumber()));
      return last != null && now - last > silence.toNanos();
    }, "no word from the drive for " + silence.toSeconds() + " s");
    return schedule();
  }

  private interface AttemptTest {
    boolean test(FarmJob job, FarmDisc disc, FarmAttempt attempt);
  }

  private void failWhere(AttemptTest test, String why) {
    for (FarmJob job : List.copyOf(jobs.values())) {
      FarmJob updated = job;
      for (FarmDisc disc : job.getDiscsList()) {
        FarmAttempt a = current(disc);
        if (a != null && active(a) && test.test(job, disc, a)) {
          heard.remove(key(job.getId(), disc.getIndex(), a.getNumber()));
          getContext().getLog().warn("job {} disc {} attempt {} on {} failed: {}", job.getId(), disc.getIndex(),
              a.getNumber(), a.getDrive(), why);
          FarmAttempt failed = a.toBuilder().setState("failed").setError(why)
              .setEndedEpochMillis(System.currentTimeMillis()).build();
          updated = withAttempt(updated, updated.getDiscs(disc.getIndex() - 1), failed, requeueOrFail(job, disc));
        }
      }
      if (updated != job) {
        store(settle(updated));
      }
    }
  }

  private String requeueOrFail(FarmJob job, FarmDisc disc) {
    int most = job.getMaxAttempts() > 0 ? job.getMaxAttempts() : maxAttempts;
    return disc.getAttemptsCount() >= most ? "failed" : "queued";
  }

  /** Gives every queued disc, oldest job first, to an idle drive. */
  private Behavior<Command> schedule() {
    Set<String> busy = new HashSet<>();
    Map<String, Integer> perNode = new HashMap<>();
    for (FarmJob j : jobs.values()) {
      for (FarmDisc d : j.getDiscsList()) {
        FarmAttempt a = current(d);
        if (a != null && active(a)) {
          busy.add(a.getDrive());
          perNode.merge(a.getNode(), 1, Integer::sum);
        }
      }
    }
    for (FarmJob job : List.copyOf(jobs.values())) {
      if (!job.getState().equals("queued") && !job.getState().equals("running")) {
        continue;
      }
      for (FarmDisc disc : job.getDiscsList()) {
        if (!disc.getState().equals("queued")) {
          continue;
        }
        Candidate c = pick(disc, busy, perNode);
        if (c == null) {
          return this;
        }
        busy.add(c.id());
        perNode.merge(c.node(), 1, Integer::sum);
        FarmAttempt a = FarmAttempt.newBuilder().setNumber(disc.getAttemptsCount() + 1).setDrive(c.id())
            .setNode(c.node()).setState("burning").setAction("queued")
            .setStartedEpochMillis(System.currentTimeMillis()).build();
        FarmDisc burning = disc.toBuilder().addAttempts(a).setState("burning").build();
        FarmJob updated = jobs.get(job.getId()).toBuilder().setDiscs(disc.getIndex() - 1, burning)
            .setState("running").build();
        store(updated);
        heard.put(key(job.getId(), disc.getIndex(), a.getNumber()), System.nanoTime());
        agents.get(c.node()).tell(new BurnAgent.BurnDisc(FarmBurnDisc.newBuilder().setJob(updated)
            .setDisc(disc.getIndex()).setAttempt(a.getNumber()).setDrive(c.localId()).build()));
        getContext().getLog().info("job {} disc {} attempt {} → {}", job.getId(), disc.getIndex(), a.getNumber(),
            c.id());
      }
    }
    return this;
  }

  // Fewest discs burning on the node first, so a job spreads over nodes; a drive that already failed this
  // disc is avoided, and so is its node while another has room; ties go by node, then drive, for a stable order.
  private Candidate pick(FarmDisc disc, Set<String> busy, Map<String, Integer> perNode) {
    Set<String> failedDrives = new HashSet<>();
    Set<String> failedNodes = new HashSet<>();
    for (FarmAttempt a : disc.getAttemptsList()) {
      failedDrives.add(a.getDrive());
      failedNodes.add(a.getNode());
    }
    List<Candidate> idle = new ArrayList<>();
    for (Map.Entry<String, String> e : drives.entrySet()) {
      String node = e.getValue();
      if (!busy.contains(e.getKey()) && agents.containsKey(node) && up(node)) {
        idle.add(new Candidate(e.getKey(), node, e.getKey().substring(0, e.getKey().indexOf('@'))));
      }
    }
    Comparator<Candidate> order = Comparator
        .comparing((Candidate c) -> failedDrives.contains(c.id()))
        .thenComparing(c -> failedNodes.contains(c.node()))
        .thenComparing(c -> perNode.getOrDefault(c.node(), 0))
        .thenComparing(Candidate::node)
        .thenComparing(Candidate::id);
    return idle.stream().min(order).orElse(null);
  }

  /** Whether {@code node} is still a member that may come back (not downed, leaving or removed). */
  private boolean member(String node) {
    for (org.apache.pekko.cluster.Member m : Cluster.get(getContext().getSystem()).state().getMembers()) {
      if (hostPort(m.address()).equals(node)) {
        return m.status() == MemberStatus.up() || m.status() == MemberStatus.weaklyUp()
            || m.status() == MemberStatus.joining();
      }
    }
    return false;
  }

  private boolean up(String node) {
    for (org.apache.pekko.cluster.Member m : Cluster.get(getContext().getSystem()).state().getMembers()) {
      if (hostPort(m.address()).equals(node)) {
        return m.status() == MemberStatus.up()
            && !Cluster.get(getContext().getSystem()).state().getUnreachable().contains(m);
      }
    }
    return false;
  }

  /** A job whose discs are all done is done; one with a disc out of attempts has failed. */
  private static FarmJob settle(FarmJob job) {
    boolean allDone = job.getDiscsList().stream().allMatch(d -> d.getState().equals("done"));
    boolean anyFailed = job.getDiscsList().stream().anyMatch(d -> d.getState().equals("failed"));
    boolean anyActive = job.getDiscsList().stream().anyMatch(d -> d.getState().equals("burning"));
    if (allDone) {
      return job.toBuilder().setState("done").setEndedEpochMillis(System.currentTimeMillis()).build();
    }
    if (anyFailed && !anyActive) {
      FarmDisc bad = job.getDiscsList().stream().filter(d -> d.getState().equals("failed")).findFirst().get();
      String last = bad.getAttemptsCount() == 0 ? "" : bad.getAttempts(bad.getAttemptsCount() - 1).getError();
      return job.toBuilder().setState("failed").setEndedEpochMillis(System.currentTimeMillis())
          .setError("disc " + bad.getIndex() + " failed " + bad.getAttemptsCount() + " time(s), last: " + last)
          .build();
    }
    return job;
  }

  private static FarmJob withAttempt(FarmJob job, FarmDisc disc, FarmAttempt attempt, String discState) {
    FarmDisc d = disc.toBuilder().setAttempts(disc.getAttemptsCount() - 1, attempt).setState(discState).build();
    return job.toBuilder().setDiscs(disc.getIndex() - 1, d).build();
  }

  private void store(FarmJob job) {
    jobs.put(job.getId(), job);
    replicator.tell(new Replicator.Update<>(KEY, LWWMap.empty(),
        new Replicator.WriteMajority(Duration.ofSeconds(3)), getContext().getSystem().ignoreRef(),
        map -> map.put(self, job.getId(), job)));
    if (finished(job)) {
      forgetOldFinished();
    }
  }

  private static boolean finished(FarmJob j) {
    return j.getState().equals("done") || j.getState().equals("failed");
  }

  // The queue is replicated to every node and kept durable: it holds every job still to do but only the newest
  // lathe.farm.keep-finished finished ones, so a farm that runs for years does not grow it without bound.
  private void forgetOldFinished() {
    List<FarmJob> done = jobs.values().stream().filter(FarmCoordinator::finished)
        .sorted(Comparator.comparingLong(FarmJob::getEndedEpochMillis)).toList();
    for (FarmJob old : done.subList(0, Math.max(0, done.size() - keepFinished))) {
      jobs.remove(old.getId());
      replicator.tell(new Replicator.Update<>(KEY, LWWMap.empty(),
          new Replicator.WriteMajority(Duration.ofSeconds(3)), getContext().getSystem().ignoreRef(),
          map -> map.remove(self, old.getId())));
    }
  }

  private static FarmAttempt current(FarmDisc d) {
    return d.getAttemptsCount() == 0 ? null : d.getAttempts(d.getAttemptsCount() - 1);
  }

  private static boolean active(FarmAttempt a) {
    return a.getState().equals("burning") || a.getState().equals("verifying");
  }

  private static String key(String job, int disc, int attempt) {
    return job + "/" + disc + "/" + attempt;
  }

  static String hostPort(org.apache.pekko.actor.Address a) {
    return a.host().get() + ":" + a.port().get();
  }
}
