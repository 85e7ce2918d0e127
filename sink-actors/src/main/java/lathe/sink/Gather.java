package lathe.sink;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Asks every stream of a recording one question and answers once with all the answers, or with what it has when
 * the timeout fires or a stream stops (the shape of Pekko's DeviceGroupQuery). Finalize's end-of-segment
 * fan-out, Flush of all streams and statistics use it.
 */
final class Gather {

  /** The gathered answers; {@code missing} lists streams that did not answer in time. */
  record Gathered(Object tag, Map<Integer, StreamSinkActor.Answer> answers, Set<Integer> missing)
      implements LocalMessage {}

  private enum Timeout implements StreamSinkActor.Answer {
    INSTANCE;

    @Override
    public int stream() {
      return -1;
    }
  }

  static Behavior<StreamSinkActor.Answer> create(
      Map<Integer, ActorRef<StreamSinkActor.Command>> streams,
      Function<ActorRef<StreamSinkActor.Answer>, StreamSinkActor.Command> question,
      Duration timeout, Object tag, ActorRef<Gathered> replyTo) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      Map<Integer, StreamSinkActor.Answer> answers = new HashMap<>();
      Set<Integer> waiting = new HashSet<>(streams.keySet());
      Map<ActorRef<Void>, Integer> byRef = new HashMap<>();
      if (waiting.isEmpty()) {
        replyTo.tell(new Gathered(tag, answers, Set.of()));
        return Behaviors.stopped();
      }
      streams.forEach((index, ref) -> {
        ctx.watch(ref);
        byRef.put(ref.unsafeUpcast(), index);
        ref.tell(question.apply(ctx.getSelf()));
      });
      timers.startSingleTimer(Timeout.INSTANCE, timeout);
      return Behaviors.<StreamSinkActor.Answer>receive((c, answer) -> {
        if (answer == Timeout.INSTANCE) {
          replyTo.tell(new Gathered(tag, answers, Set.copyOf(waiting)));
          return Behaviors.stopped();
        }
        answers.put(answer.stream(), answer);
        waiting.remove(answer.stream());
        if (waiting.isEmpty()) {
          replyTo.tell(new Gathered(tag, answers, Set.of()));
          return Behaviors.stopped();
        }
        return Behaviors.same();
      }, (c, signal) -> {
        if (signal instanceof Terminated t) {
          Integer index = byRef.get(t.getRef().unsafeUpcast());
          if (index != null && waiting.contains(index)) {
            // A stream that stopped will never answer: give up on it now rather than at the timeout.
            replyTo.tell(new Gathered(tag, answers, Set.copyOf(waiting)));
            return Behaviors.stopped();
          }
        }
        return Behaviors.same();
      });
    }));
  }
}
