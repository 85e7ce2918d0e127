package lathe.sink;

import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.cluster.sharding.ShardCoordinator;
import org.apache.pekko.dispatch.Futures;
import scala.collection.immutable.IndexedSeq;
import scala.concurrent.Future;

/**
 * Places a new shard of recordings on the recorder node holding the fewest, and never moves a shard afterwards:
 * a recording's open file lives on its node, so a rebalance (the default when a node joins) would stop it in the
 * middle of a take. Shards move only when their node leaves or dies.
 */
final class KeepShardsInPlace extends ShardCoordinator.AbstractShardAllocationStrategy {

  @Override
  public Future<ActorRef> allocateShard(ActorRef requester, String shardId,
      Map<ActorRef, IndexedSeq<String>> current) {
    ActorRef least = requester;
    int fewest = Integer.MAX_VALUE;
    for (Map.Entry<ActorRef, IndexedSeq<String>> e : current.entrySet()) {
      int n = e.getValue().size();
      // Ties go to the lower address, so that the choice does not depend on map order.
      if (n < fewest || (n == fewest && e.getKey().path().address().toString()
          .compareTo(least.path().address().toString()) < 0)) {
        fewest = n;
        least = e.getKey();
      }
    }
    return Futures.successful(least);
  }

  @Override
  public Future<Set<String>> rebalance(Map<ActorRef, IndexedSeq<String>> current, Set<String> inProgress) {
    return Futures.successful(Set.of());
  }
}
