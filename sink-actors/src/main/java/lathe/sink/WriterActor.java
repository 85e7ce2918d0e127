package lathe.sink;

import com.google.protobuf.ByteString;
import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ThreadLocalRandom;
import lathe.protocol.Durability;
import lathe.protocol.ErrorCode;
import lathe.protocol.JournalHeader;
import lathe.protocol.Sample;
import lathe.protocol.SinkError;
import lathe.sink.container.ContainerFormat;
import lathe.sink.container.ContainerWriter;
import lathe.sink.container.SampleRecord;
import lathe.sink.io.DurableFiles;
import lathe.sink.io.FinalCommit;
import lathe.sink.journal.JournalWriter;
import lathe.sink.wal.CapturingChannel;
import lathe.sink.wal.CommitLog;
import lathe.sink.wal.CommitLogSettings;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.Signal;
import org.apache.pekko.actor.typed.javadsl.AbstractMatchingBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * Owns a recording's files: {@code NAME.part} (the container) and {@code NAME.journal}. Runs on the I/O
 * dispatcher. Batches from the stream actors are written as they come; a {@link Sync} queued behind them makes
 * one group commit (checkpoint, fsync data, fsync journal) for every batch that arrived meanwhile, and only then
 * are the batches reported durable (a recording of one stream commits each batch at once, without the Sync).
 * With durability os the commit hands the journal records to the OS instead, and every
 * {@code lathe.sink.write-behind-bytes} an fdatasync of the container runs on another I/O thread
 * (acknowledgements do not wait for it), so that dirty pages do not pile up over a long recording and
 * Finalize's fsync has little left to write.
 *
 * <p>With durability fsync and a node {@link CommitLog}, a group commit does not fsync this recording's files:
 * every write it made to them (captured by {@link CapturingChannel} and the journal) goes to the node's log as
 * one entry, and the batches are reported durable when the log has fdatasynced it, together with every other
 * recording's entries of that round. The files are fsynced in the background every
 * {@code checkpoint-interval} or {@code checkpoint-bytes}, after which the log may drop the entries. A commit
 * that wrote more than {@code max-entry-bytes} (big samples) is made durable by such a checkpoint, asked at
 * once: the writer goes on writing the next batches while the disk takes this one, and the {@link Syncer}
 * starts each fsync as soon as the one before ends; its big writes go to the file with O_DIRECT where the file
 * system allows it ({@link CapturingChannel#directBigWrites}). Until it is done, later commits go the same way
 * rather than through the log, so that acknowledgements keep the order of the writes. Finalize fsyncs the files
 * and lets the log forget the recording.
 */
public final class WriterActor extends AbstractMatchingBehavior<WriterActor.Command> {

  public sealed interface Command extends LocalMessage {}

  /** One item of a stream's batch, in the stream's order. */
  public sealed interface Item {}

  public record SampleItem(Sample sample) implements Item {}

  public record MarkerItem(byte[] context) implements Item {}

  public record TickItem(long time) implements Item {}

  public record Append(int stream, List<Item> items, ActorRef<StreamSinkActor.Command> replyTo)
      implements Command {}

  /** Write final headers, fsync, rename NAME.part to NAME, remove the journal. */
  public record Commit(ActorRef<Committed> replyTo) implements Command {}

  public record Committed(Path path, long bytes, SinkError error) implements LocalMessage {}

  private enum Sync implements Command { INSTANCE }

  /** The background fdatasync of durability os is done; failure null when it went well. */
  private record WrittenBehind(IOException failure) implements Command {}

  /** The commit log has entry n on stable storage (failure null) or could not write it. */
  private record Logged(long n, Throwable failure) implements Command {}

  /** The syncer has fsynced both files for every checkpoint up to this generation (failure null), or failed. */
  private record Checkpointed(long generation, IOException failure) implements Command {}

  /**
   * A background fsync of both files, asked when entries up to n had been written. batches: those of a commit
   * made durable by it rather than by the log (too big for the log, or behind such a commit).
   */
  private record Checkpoint(long generation, long n,
      List<Map.Entry<ActorRef<StreamSinkActor.Command>, StreamSinkActor.BatchDurable>> batches) {}

  private enum CheckpointTick implements Command { INSTANCE }

  /** The batches of one logged group commit, waiting for the log's fdatasync. */
  private record InLog(long n,
      List<Map.Entry<ActorRef<StreamSinkActor.Command>, StreamSinkActor.BatchDurable>> batches) {}

  /** Sent to the parent when the file is open, or could not be opened / written. */
  public sealed interface Report extends LocalMessage {}

  public record Opened() implements Report {}

  public record Failed(SinkError error) implements Report {}

  /** writeBehindBytes: with durability os, an fdatasync in the background after this many bytes (0: never). */
  public static Behavior<Command> create(boolean makeFolders,
      Path target, ContainerFormat format, JournalHeader header, Durability durability, long writeBehindBytes,
      ActorRef<Report> parent) {
    return create(makeFolders, target, format, header, durability, writeBehindBytes, null, parent);
  }

  /** commitLog: the node's log, used with durability fsync (null: each group commit fsyncs the files). */
  public static Behavior<Command> create(boolean makeFolders,
      Path target, ContainerFormat format, JournalHeader header, Durability durability, long writeBehindBytes,
      CommitLogSettings commitLog, ActorRef<Report> parent) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new WriterActor(ctx, timers, makeFolders, target,
        format, header, durability, writeBehindBytes, durability == Durability.FSYNC ? commitLog : null, parent)));
  }

  public static Behavior<Command> create(
      Path target, ContainerFormat format, JournalHeader header, Durability durability,
      ActorRef<Report> parent) {
    return create(false, target, format, header, durability, 0, parent);
  }

  public static Path partOf(Path target) {
    return DurableFiles.partOf(target);
  }

  public static Path journalOf(Path target) {
    return DurableFiles.journalOf(target);
  }

  private final Path target;
  private final Path part;
  private final Path journalPath;
  private final Durability durability;
  private final ActorRef<Report> parent;
  private FileChannel channel;
  private ContainerWriter writer;
  private JournalWriter journal;
  private SinkError failure;
  private boolean syncQueued;
  /** The recording's streams: with one, a batch is committed as it comes. */
  private int streams;
  private final long writeBehindBytes;
  private long bytesSinceWriteBehind;
  /** The background fdatasync shares the container's channel: Finalize waits for it. */
  private boolean writeBehindRunning;
  private Commit commitWaiting;
  /** Batches written since the last group commit, merged by stream: the next commit makes them durable. */
  private final Map<ActorRef<StreamSinkActor.Command>, StreamSinkActor.BatchDurable> pending =
      new LinkedHashMap<>();

  // ---- with a commit log (durability fsync on a node); all unused when log is null ----
  private final TimerScheduler<Command> timers;
  private final CommitLogSettings log;
  /**
   * With the log, the container's small writes are held (up to this many bytes) and reach the file in one
   * write, since the log has them until the file's next fsync (see {@link CapturingChannel}).
   */
  static final int WRITE_BACK_BYTES = 64 * 1024;
  private UUID logId;
  /** The target's path as the log's entries carry it (computed once, not at every commit). */
  private byte[] logPath;
  /** The CheckpointTick timer is running (a field: the timer scheduler's lookup showed in profiles). */
  private boolean checkpointTimerSet;
  private CapturingChannel capture;
  /** Collects this group commit's writes to both files. */
  private CommitLog.Entry entry;
  private long entriesLogged;
  /** Entries up to this one are in the files on disk. */
  private long checkpointedThrough;
  private final ArrayDeque<InLog> inLog = new ArrayDeque<>();
  /** Checkpoints asked of the syncer and not done yet, oldest first. */
  private final ArrayDeque<Checkpoint> checkpoints = new ArrayDeque<>();
  private long checkpointsAsked;
  private Syncer syncer;
  private long bytesSinceCheckpoint;
  private long lastCheckpointNanos = System.nanoTime();
  private boolean committed;

  private WriterActor(ActorContext<Command> ctx, TimerScheduler<Command> timers, boolean makeFolders, Path target,
      ContainerFormat format, JournalHeader header, Durability durability, long writeBehindBytes,
      CommitLogSettings log, ActorRef<Report> parent) {
    super(ctx);
    this.timers = timers;
    this.log = log;
    this.writeBehindBytes = durability == Durability.OS ? writeBehindBytes : 0;
    this.target = target;
    this.part = partOf(target);
    this.journalPath = journalOf(target);
    this.durability = durability;
    this.parent = parent;
    open(makeFolders, format, header);
  }

  /** makeFolders: an archive name may hold folders that do not exist yet (cluster mode). */
  private void open(boolean makeFolders, ContainerFormat format, JournalHeader header) {
    try {
      if (makeFolders) {
        Files.createDirectories(target.getParent());
      }
      if (Files.exists(target)) {
        throw new FileAlreadyExistsException(target + " already exists (finalized files are never rewritten)");
      }
      if (Files.exists(part) || Files.exists(journalPath)) {
        throw new FileAlreadyExistsException(
            part + " exists: an earlier recording was not finalized; run `lathe recover " + part + "` first");
      }
      channel = FileChannel.open(part, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
          StandardOpenOption.WRITE);
      FileChannel forWriter = channel;
      if (log != null) {
        logId = UUID.randomUUID();
        logPath = CommitLog.pathBytes(target);
        header = header.toBuilder()
            .setCommitLogId(ByteString.copyFrom(ByteBuffer.allocate(16)
                .putLong(logId.getMostSignificantBits()).putLong(logId.getLeastSignificantBits()).flip()))
            .setCommitLogDir(log.log().dir().toString())
            .build();
        capture = new CapturingChannel(channel, CommitLog.CONTAINER, WRITE_BACK_BYTES);
        if (log.directBigWrites() || log.directHeldWrites()) {
          openDirect(capture, log.directBigWrites(), log.directHeldWrites());
        }
        forWriter = capture;
      }
      streams = header.getStreamsCount();
      writer = format.create(forWriter, header.getStreamsList(), header.getMetadata());
      journal = JournalWriter.create(journalPath, header);
      commitToDisk();
      DurableFiles.fsyncDirectory(target);
      startEntry(); // what is on disk now needs no log
      parent.tell(new Opened());
    } catch (IOException | RuntimeException e) {
      failure = Replies.error(ErrorCode.FILE_WRITE, "cannot create " + part + ": " + describe(e));
      closeQuietly();
      parent.tell(new Failed(failure));
    }
  }

  /**
   * Big writes, and the whole blocks of held ones, with O_DIRECT where the file system takes it (not tmpfs); the
   * page cache otherwise.
   */
  private void openDirect(CapturingChannel capture, boolean big, boolean held) {
    try {
      int block = DurableFiles.directIoBlock(part);
      if (block > 0) {
        FileChannel direct = FileChannel.open(part, StandardOpenOption.WRITE, ExtendedOpenOption.DIRECT);
        if (big) {
          capture.directBigWrites(direct, block, getContext().getSystem().dispatchers().lookup(
              DispatcherSelector.fromConfig("lathe.big-write-dispatcher")));
        }
        if (held) {
          capture.directHeldWrites(direct, block);
        }
      }
    } catch (IOException | UnsupportedOperationException e) {
      // the page cache it is
    }
  }

  /** In turn, a live stream's two messages per sample first (see {@link StreamSinkActor#onMessage}). */
  @Override
  public Behavior<Command> onMessage(Command msg) {
    if (msg instanceof Append a) {
      return onAppend(a);
    } else if (msg instanceof Logged l) {
      return onLogged(l);
    } else if (msg instanceof Sync) {
      syncQueued = false;
      commit();
      maybeWriteBehind();
      return this;
    } else if (msg instanceof WrittenBehind w) {
      return onWrittenBehind(w);
    } else if (msg instanceof Checkpointed c) {
      return onCheckpointed(c);
    } else if (msg instanceof CheckpointTick) {
      return onCheckpointTick();
    } else if (msg instanceof Commit c) {
      return onCommit(c);
    }
    return Behaviors.unhandled();
  }

  @Override
  public Behavior<Command> onSignal(Signal signal) {
    if (signal instanceof PostStop) {
      releaseOnStop();
      closeQuietly();
      return this;
    }
    return Behaviors.unhandled();
  }

  private Behavior<Command> onAppend(Append a) {
    if (failure != null) {
      a.replyTo().tell(new StreamSinkActor.BatchFailed(failure, 1));
      return this;
    }
    StreamSinkActor.BatchDurable done = pending.getOrDefault(a.replyTo(),
        new StreamSinkActor.BatchDurable(a.stream(), -1, 0, 0, List.of(), 0));
    long lastSeq = done.lastSeq();
    int samples = done.samples();
    long bytes = done.bytes();
    List<byte[]> markers = done.markers(); // copied when a marker comes (rare): not at every Append
    try {
      for (Item item : a.items()) {
        if (item instanceof SampleItem si) {
          Sample s = si.sample();
          SampleRecord rec = new SampleRecord(a.stream(), s.getSeq(), s.getPts(), s.getDts(), s.getDuration(),
              s.getKey(), s.getDiscontinuity(), s.getData().size(), -1);
          ByteBuffer data = s.getData().asReadOnlyByteBuffer();
          long offset;
          if (capture != null) {
            capture.immutableSource(data); // a ByteString never changes: the log's entry need not copy it
          }
          try {
            offset = writer.append(rec, data);
          } finally {
            if (capture != null) {
              capture.immutableSource(null);
            }
          }
          journal.appendSample(new SampleRecord(rec.stream(), rec.seq(), rec.pts(), rec.dts(), rec.duration(),
              rec.key(), rec.discontinuity(), rec.size(), offset));
          lastSeq = s.getSeq();
          samples++;
          bytes += rec.size();
          bytesSinceWriteBehind += rec.size();
        } else if (item instanceof MarkerItem m) {
          journal.appendMarker(a.stream(), m.context());
          markers = new ArrayList<>(markers);
          markers.add(m.context());
        } else if (item instanceof TickItem t) {
          journal.appendTick(a.stream(), t.time());
        }
      }
    } catch (IOException | RuntimeException e) {
      fail(e);
      a.replyTo().tell(new StreamSinkActor.BatchFailed(failure, 1));
      failAll(); // this stream's earlier batches among them
      return this;
    }
    pending.put(a.replyTo(),
        new StreamSinkActor.BatchDurable(a.stream(), lastSeq, samples, bytes, markers, done.batches() + 1));
    if (log != null && entry.overflowed() && commitWaiting == null) {
      // A big commit: the syncer takes it now, not after the batches already queued behind this one (a Sync
      // would come after them). It leaves nothing pending, so no Sync is needed.
      return commit();
    }
    if (streams == 1) {
      // (A live mono stream's every sample.) With several streams the Sync lets the others' batches already in
      // the mailbox join this commit; here the only other batch could be this stream's next, and committing
      // this one now does not hold that one back.
      commit();
      maybeWriteBehind();
    } else if (!syncQueued) {
      syncQueued = true;
      getContext().getSelf().tell(Sync.INSTANCE);
    }
    return this;
  }

  /** A group commit of the pending batches. */
  private Behavior<Command> commit() {
    if (failure != null) {
      failAll(); // e.g. the write-behind failed after these were written
      return this;
    }
    if (pending.isEmpty()) {
      return this;
    }
    try {
      if (log == null) {
        commitToDisk();
      } else {
        writer.checkpoint();
        CommitLog.Entry e = entry;
        journal.log(e);
        if (e.overflowed() || bigCommitWaiting()) {
          // Too big for the log, or behind such a commit (acknowledgements keep the order of the writes): the
          // files' fsync makes it durable, in the background, while the next batches are written.
          startCheckpoint(new ArrayList<>(pending.entrySet()));
          pending.clear();
          startEntry(); // this entry is dropped: its writes are in the files, fsynced by then
          return this;
        } else {
          capture.readBack(e); // big writes went straight to the file: the entry takes their bytes now
          logEntry(e);
          if (journal.loggedNotWritten() >= WRITE_BACK_BYTES) {
            journal.writeOutLogged();
          }
          return this;
        }
      }
    } catch (IOException | RuntimeException e) {
      fail(e);
      failAll();
      return this;
    }
    pending.forEach(ActorRef::tell);
    pending.clear();
    return this;
  }

  /** Some batches wait for a checkpoint: a later commit may not be acknowledged by the log before them. */
  private boolean bigCommitWaiting() {
    for (Checkpoint k : checkpoints) {
      if (!k.batches().isEmpty()) {
        return true;
      }
    }
    return false;
  }

  /** Every pending batch will never be durable: each stream hears it for as many batches as it has here. */
  private void failAll() {
    for (InLog l : inLog) {
      l.batches().forEach(e -> e.getKey().tell(new StreamSinkActor.BatchFailed(failure, e.getValue().batches())));
    }
    inLog.clear();
    for (Checkpoint k : checkpoints) {
      k.batches().forEach(e -> e.getKey().tell(new StreamSinkActor.BatchFailed(failure, e.getValue().batches())));
    }
    checkpoints.clear();
    pending.forEach((stream, b) -> stream.tell(new StreamSinkActor.BatchFailed(failure, b.batches())));
    pending.clear();
  }

  // ---- the commit log -------------------------------------------------------------------------------------

  private void startEntry() {
    if (log != null) {
      entry = new CommitLog.Entry(log.maxEntryBytes());
      capture.capture(entry);
    }
  }

  /** Hands this commit's writes to the node's log; its batches are durable when the log says so. */
  private void logEntry(CommitLog.Entry e) {
    long n = ++entriesLogged;
    bytesSinceCheckpoint += e.bytes();
    inLog.add(new InLog(n, new ArrayList<>(pending.entrySet())));
    pending.clear();
    startEntry();
    getContext().pipeToSelf(log.log().append(logId, n, logPath, e), (ok, error) -> new Logged(n, error));
    if (!checkpointTimerSet) {
      // Spread over half to one and a half intervals: recordings started together do not fsync together.
      long ms = log.checkpointInterval().toMillis();
      startCheckpointTimer(Duration.ofMillis(ms / 2 + ThreadLocalRandom.current().nextLong(ms + 1)));
    }
  }

  /**
   * fsyncs both files (a commit too big for the log, or Finalize): then everything written so far is durable
   * without the log, the batches still waiting for it among them.
   */
  private void forceFiles() throws IOException {
    capture.flush();
    journal.flush();
    channel.force(false);
    journal.forceFile();
    filesDurableThrough(entriesLogged);
    bytesSinceCheckpoint = 0;
    lastCheckpointNanos = System.nanoTime();
    startEntry();
  }

  /**
   * An fsync of both files, begun once the writes of entries up to n were made, has ended: those entries are
   * durable whatever the log answers, and the log may let them go.
   */
  private void filesDurableThrough(long n) {
    while (!inLog.isEmpty() && inLog.peek().n() <= n) {
      inLog.poll().batches().forEach(e -> e.getKey().tell(e.getValue()));
    }
    if (n > checkpointedThrough) {
      checkpointedThrough = n;
      log.log().checkpointed(logId, n);
    }
  }

  private Behavior<Command> onLogged(Logged l) {
    if (l.failure() != null) {
      Throwable t = l.failure() instanceof CompletionException c && c.getCause() != null
          ? c.getCause() : l.failure();
      fail(t instanceof Exception ex ? ex : new IOException(t.toString(), t));
      failAll();
      return this;
    }
    while (!inLog.isEmpty() && inLog.peek().n() <= l.n()) {
      inLog.poll().batches().forEach(e -> e.getKey().tell(e.getValue()));
    }
    maybeCheckpoint(false);
    return this;
  }

  private void startCheckpointTimer(Duration after) {
    timers.startSingleTimer(CheckpointTick.INSTANCE, CheckpointTick.INSTANCE, after);
    checkpointTimerSet = true;
  }

  private Behavior<Command> onCheckpointTick() {
    checkpointTimerSet = false;
    if (!checkpoints.isEmpty()) {
      startCheckpointTimer(log.checkpointInterval());
    } else {
      maybeCheckpoint(true);
    }
    return this;
  }

  /** Starts a background fsync of both files once enough was logged since the last one (or the timer fired). */
  private void maybeCheckpoint(boolean due) {
    if (log == null || !checkpoints.isEmpty() || failure != null || entriesLogged <= checkpointedThrough) {
      return;
    }
    Duration since = Duration.ofNanos(System.nanoTime() - lastCheckpointNanos);
    if (!due && bytesSinceCheckpoint < log.checkpointBytes() && since.compareTo(log.checkpointInterval()) < 0) {
      return;
    }
    try {
      startCheckpoint(List.of());
    } catch (IOException | RuntimeException e) {
      fail(e); // the log still holds these entries; the next start replays them
      failAll();
    }
  }

  /**
   * Writes out what is held and asks the syncer for an fsync of both files; the writer goes on meanwhile.
   * batches: those that this fsync makes durable.
   */
  private void startCheckpoint(
      List<Map.Entry<ActorRef<StreamSinkActor.Command>, StreamSinkActor.BatchDurable>> batches) throws IOException {
    long n = entriesLogged; // every write of entries up to n was made before this fsync starts
    journal.writeOutLogged(); // logged journal records into the file, so that the fsync covers them
    if (syncer == null) {
      syncer = new Syncer(channel, journal, getContext().getSystem().dispatchers().lookup(
          DispatcherSelector.fromConfig("lathe.checkpoint-dispatcher")), getContext().getSelf());
    }
    long generation = checkpointsAsked + 1;
    // Held writes and big writes into the container, then the fsync: at once, or (while big writes are queued
    // for the disk) once they are written, without this thread waiting. Either way the answer comes through the
    // mailbox, after this message, so after the add below.
    Syncer s = syncer;
    ActorRef<Command> self = getContext().getSelf();
    capture.flushThen(failure -> {
      IOException error = failure;
      if (error == null) {
        try {
          s.ask(generation);
          return;
        } catch (RuntimeException e) { // the dispatcher is shutting down
          error = new IOException("checkpoint: " + e, e);
        }
      }
      self.tell(new Checkpointed(generation, error));
    });
    checkpointsAsked = generation;
    checkpoints.add(new Checkpoint(generation, n, batches));
    bytesSinceCheckpoint = 0;
    lastCheckpointNanos = System.nanoTime();
  }

  private Behavior<Command> onCheckpointed(Checkpointed c) {
    if (c.failure() != null) {
      fail(c.failure()); // the log still holds its entries; the next start replays them
      failAll();
    } else {
      while (!checkpoints.isEmpty() && checkpoints.peek().generation() <= c.generation()) {
        Checkpoint k = checkpoints.poll();
        filesDurableThrough(k.n());
        k.batches().forEach(e -> e.getKey().tell(e.getValue())); // after the entries: in the order of the writes
      }
    }
    if (commitWaiting != null && checkpoints.isEmpty()) {
      return onCommit(commitWaiting);
    }
    if (entriesLogged > checkpointedThrough && !checkpointTimerSet) {
      startCheckpointTimer(log.checkpointInterval());
    }
    return this;
  }

  /**
   * fsyncs a recording's two files on the checkpoint dispatcher, one fsync after the other for as long as the
   * writer asks for more: when an fsync ends and more was asked meanwhile, the next one is queued at once, without
   * a round through the writer's mailbox, so that the disk is not left idle while a recording of big samples has
   * writes waiting. One fsync per run, queued behind the other recordings' checkpoints: a recording that never
   * stops asking does not keep a thread of the pool to itself. Each fsync covers every checkpoint asked before
   * it began; its end goes to the writer as {@link Checkpointed}.
   */
  private static final class Syncer implements Runnable {
    private final FileChannel data;
    private final JournalWriter journal;
    private final java.util.concurrent.Executor executor;
    private final ActorRef<Command> writer;
    private long asked;
    private boolean running;
    private boolean failed;

    Syncer(FileChannel data, JournalWriter journal, java.util.concurrent.Executor executor,
        ActorRef<Command> writer) {
      this.data = data;
      this.journal = journal;
      this.executor = executor;
      this.writer = writer;
    }

    /** Every write made before this call is covered by the fsync that reports generation or a later one. */
    synchronized void ask(long generation) {
      asked = generation;
      if (!running && !failed) {
        executor.execute(this); // may throw (shutting down): then nothing runs, and the writer fails
        running = true;
      }
    }

    @Override
    public void run() {
      long target;
      synchronized (this) {
        target = asked;
      }
      IOException error = null;
      try {
        data.force(false); // container first: the journal points into it
        journal.forceFile();
      } catch (IOException e) {
        error = e;
      } catch (RuntimeException e) {
        error = new IOException("checkpoint: " + e, e);
      }
      writer.tell(new Checkpointed(target, error));
      long next;
      synchronized (this) {
        failed = error != null;
        running = !failed && target < asked;
        if (!running) {
          return;
        }
        next = asked;
        try {
          executor.execute(this);
          return;
        } catch (RuntimeException e) { // the dispatcher is shutting down
          running = false;
          failed = true;
          error = new IOException("checkpoint: " + e, e);
        }
      }
      writer.tell(new Checkpointed(next, error));
    }
  }

  /**
   * Stopped without Finalize (abort, node shutdown): fsyncs the files so that the log can let go of this
   * recording. After a failure the entries stay: the next start replays them.
   */
  private void releaseOnStop() {
    if (log == null || committed || failure != null || writer == null) {
      return;
    }
    try {
      capture.flush();
      channel.force(false);
      journal.force();
      log.log().checkpointed(logId, Long.MAX_VALUE);
    } catch (IOException | RuntimeException e) {
      // the entries stay in the log for the next start
    }
  }

  /** Container first, then the journal that points into it: a journaled sample's bytes are always durable. */
  private void commitToDisk() throws IOException {
    writer.checkpoint();
    if (durability == Durability.OS) {
      journal.flush();
    } else {
      channel.force(false);
      journal.force();
    }
  }

  private void maybeWriteBehind() {
    if (writeBehindBytes <= 0 || writeBehindRunning || failure != null || bytesSinceWriteBehind < writeBehindBytes) {
      return;
    }
    bytesSinceWriteBehind = 0;
    writeBehindRunning = true;
    FileChannel data = channel;
    CompletableFuture<IOException> done = CompletableFuture.supplyAsync(() -> {
      try {
        data.force(false);
        return null;
      } catch (IOException e) {
        return e;
      }
    }, getContext().getExecutionContext()); // this actor's own dispatcher: the I/O one
    getContext().pipeToSelf(done, (error, unexpected) -> new WrittenBehind(
        unexpected == null ? error : new IOException("write-behind: " + unexpected, unexpected)));
  }

  private Behavior<Command> onWrittenBehind(WrittenBehind w) {
    writeBehindRunning = false;
    if (w.failure() != null && failure == null) {
      // Durability os acknowledged these bytes as handed to the OS; an error writing them back is still a
      // failed recording, as it would be at Finalize's fsync.
      fail(w.failure());
    }
    return commitWaiting != null ? onCommit(commitWaiting) : this;
  }

  private Behavior<Command> onCommit(Commit c) {
    if (writeBehindRunning || !checkpoints.isEmpty()) {
      commitWaiting = c; // the container's channel is in use on another thread until it is done
      return this;
    }
    commitWaiting = null;
    if (log != null && failure == null) {
      try {
        writer.checkpoint();
        journal.flush();
        forceFiles(); // the batches still in the log or pending are durable with the files
        pending.forEach(ActorRef::tell);
        pending.clear();
        capture.captureNone(); // the final headers go straight to the file, fsynced below
      } catch (IOException | RuntimeException e) {
        fail(e);
        failAll();
      }
    } else {
      syncQueued = false;
      commit();
    }
    if (failure != null) {
      c.replyTo().tell(new Committed(target, 0, failure));
      return Behaviors.stopped();
    }
    try {
      long bytes = FinalCommit.run(writer, channel, journal, journalPath, part, target);
      committed = true;
      if (log != null) {
        log.log().checkpointed(logId, Long.MAX_VALUE);
      }
      c.replyTo().tell(new Committed(target, bytes, null));
    } catch (IOException | RuntimeException e) {
      fail(e);
      c.replyTo().tell(new Committed(target, 0, failure));
    }
    return Behaviors.stopped();
  }

  private void fail(Exception e) {
    if (failure == null) {
      failure = Replies.error(ErrorCode.FILE_WRITE,
          "writing " + part + " failed: " + describe(e) + "; the recording stays recoverable with `lathe recover`");
      getContext().getLog().error("recording {}: {}", target, failure.getMessage());
      parent.tell(new Failed(failure));
    }
  }

  static String describe(Throwable e) {
    if (e instanceof NoSuchFileException n) {
      return "no such file or directory: " + n.getFile();
    }
    if (e instanceof java.nio.file.AccessDeniedException a) {
      return "permission denied: " + a.getFile();
    }
    String m = e.getMessage();
    return m == null ? e.getClass().getSimpleName() : m;
  }

  private void closeQuietly() {
    // capture too: a writer that could not be created leaves it (and its O_DIRECT channel) open
    for (AutoCloseable c : new AutoCloseable[] {writer, capture, channel, journal}) {
      if (c != null) {
        try {
          c.close();
        } catch (Exception ignored) {
          // leaving the files recoverable is all that matters here
        }
      }
    }
  }
}
