package lathe.node;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletionStage;
import lathe.protocol.RecordingInfo;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.LWWMap;
import org.apache.pekko.cluster.ddata.LWWMapKey;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;

/**
 * The cluster-wide registry of recordings: name → node, state, bytes, file, in a Distributed Data LWWMap that
 * is durable (listed in {@code pekko.cluster.distributed-data.durable.keys}). Each node writes the entries of the
 * recordings it holds; every node can read them all.
 */
final class Registry {
  static final Key<LWWMap<String, RecordingInfo>> KEY = LWWMapKey.create("lathe-recordings");

  private final ActorSystem<?> system;
  private final ActorRef<Replicator.Command> replicator;
  private final SelfUniqueAddress self;
  private final String node;

  Registry(ActorSystem<?> system) {
    this.system = system;
    this.replicator = DistributedData.get(system).replicator();
    this.self = DistributedData.get(system).selfUniqueAddress();
    this.node = self.uniqueAddress().address().toString();
  }

  String node() {
    return node;
  }

  /** Records a recording held by this node; never blocks (the recordings call it from their actors). */
  void put(String name, String state, Path path, long bytes) {
    RecordingInfo info = RecordingInfo.newBuilder()
        .setName(name)
        .setNode(node)
        .setState(state)
        .setBytes(bytes)
        .setPath(path == null ? "" : path.toString())
        .setUpdatedEpochMillis(System.currentTimeMillis())
        .build();
    replicator.tell(new Replicator.Update<>(KEY, LWWMap.empty(), Replicator.writeLocal(), system.ignoreRef(),
        m -> m.put(self, name, info)));
  }

  /** Every recording this node knows of, by name. */
  CompletionStage<List<RecordingInfo>> all() {
    CompletionStage<Replicator.GetResponse<LWWMap<String, RecordingInfo>>> got = AskPattern.ask(replicator,
        r -> new Replicator.Get<>(KEY, Replicator.readLocal(), r), Duration.ofSeconds(10), system.scheduler());
    return got.thenApply(rsp -> {
      List<RecordingInfo> out = new ArrayList<>();
      if (rsp instanceof Replicator.GetSuccess<LWWMap<String, RecordingInfo>> ok) {
        out.addAll(ok.get(KEY).getEntries().values());
      }
      out.sort(Comparator.comparing(RecordingInfo::getName));
      return out;
    });
  }
}
