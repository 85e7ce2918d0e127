package lathe.sink;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
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
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Owns a recording's files: {@code NAME.part} (the container) and {@code NAME.journal}. Runs on the I/O
 * dispatcher. Batches from the stream actors are written as they come; a {@link Sync} queued behind them makes
 * one group commit (checkpoint, fsync data, fsync journal) for every batch that arrived meanwhile, and only then
 * are the batches reported durable. With durability os the Sync hands the journal records to the OS instead,
 * and every {@code lathe.sink.write-behind-bytes} an fdatasync of the container runs on another I/O thread
 * (acknowledgements do not wait for it), so that dirty pages do not pile up over a long recording and
 * Finalize's fsync has little left to write.
 */
public final class WriterActor extends AbstractBehavior<WriterActor.Command> {

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

  /** Sent to the parent when the file is open, or could not be opened / written. */
  public sealed interface Report extends LocalMessage {}

  public record Opened() implements Report {}

  public record Failed(SinkError error) implements Report {}

  /** writeBehindBytes: with durability os, an fdatasync in the background after this many bytes (0: never). */
  public static Behavior<Command> create(boolean makeFolders,
      Path target, ContainerFormat format, JournalHeader header, Durability durability, long writeBehindBytes,
      ActorRef<Report> parent) {
    return Behaviors.setup(ctx ->
        new WriterActor(ctx, makeFolders, target, format, header, durability, writeBehindBytes, parent));
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
  private final long writeBehindBytes;
  private long bytesSinceWriteBehind;
  /** The background fdatasync shares the container's channel: Finalize waits for it. */
  private boolean writeBehindRunning;
  private Commit commitWaiting;
  /** Batches written since the last group commit, merged by stream: the next commit makes them durable. */
  private final Map<ActorRef<StreamSinkActor.Command>, StreamSinkActor.BatchDurable> pending =
      new LinkedHashMap<>();

  private WriterActor(ActorContext<Command> ctx, boolean makeFolders, Path target, ContainerFormat format,
      JournalHeader header, Durability durability, long writeBehindBytes, ActorRef<Report> parent) {
    super(ctx);
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
      writer = format.create(channel, header.getStreamsList(), header.getMetadata());
      journal = JournalWriter.create(journalPath, header);
      commitToDisk();
      DurableFiles.fsyncDirectory(target);
      parent.tell(new Opened());
    } catch (IOException | RuntimeException e) {
      failure = Replies.error(ErrorCode.FILE_WRITE, "cannot create " + part + ": " + describe(e));
      closeQuietly();
      parent.tell(new Failed(failure));
    }
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Append.class, this::onAppend)
        .onMessageEquals(Sync.INSTANCE, () -> {
          onSync();
          maybeWriteBehind();
          return this;
        })
        .onMessage(WrittenBehind.class, this::onWrittenBehind)
        .onMessage(Commit.class, this::onCommit)
        .onSignal(PostStop.class, s -> {
          closeQuietly();
          return this;
        })
        .build();
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
    List<byte[]> markers = new ArrayList<>(done.markers());
    try {
      for (Item item : a.items()) {
        if (item instanceof SampleItem si) {
          Sample s = si.sample();
          SampleRecord rec = new SampleRecord(a.stream(), s.getSeq(), s.getPts(), s.getDts(), s.getDuration(),
              s.getKey(), s.getDiscontinuity(), s.getData().size(), -1);
          long offset = writer.append(rec, s.getData().asReadOnlyByteBuffer());
          journal.appendSample(new SampleRecord(rec.stream(), rec.seq(), rec.pts(), rec.dts(), rec.duration(),
              rec.key(), rec.discontinuity(), rec.size(), offset));
          lastSeq = s.getSeq();
          samples++;
          bytes += rec.size();
          bytesSinceWriteBehind += rec.size();
        } else if (item instanceof MarkerItem m) {
          journal.appendMarker(a.stream(), m.context());
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
    if (!syncQueued) {
      syncQueued = true;
      getContext().getSelf().tell(Sync.INSTANCE);
    }
    return this;
  }

  private Behavior<Command> onSync() {
    syncQueued = false;
    if (failure != null) {
      failAll(); // e.g. the write-behind failed after these were written
      return this;
    }
    if (pending.isEmpty()) {
      return this;
    }
    try {
      commitToDisk();
    } catch (IOException | RuntimeException e) {
      fail(e);
      failAll();
      return this;
    }
    pending.forEach(ActorRef::tell);
    pending.clear();
    return this;
  }

  /** Every pending batch will never be durable: each stream hears it for as many batches as it has here. */
  private void failAll() {
    pending.forEach((stream, b) -> stream.tell(new StreamSinkActor.BatchFailed(failure, b.batches())));
    pending.clear();
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
    if (writeBehindRunning) {
      commitWaiting = c; // the container's channel is in use on another thread until it is done
      return this;
    }
    commitWaiting = null;
    onSync();
    if (failure != null) {
      c.replyTo().tell(new Committed(target, 0, failure));
      return Behaviors.stopped();
    }
    try {
      long bytes = FinalCommit.run(writer, channel, journal, journalPath, part, target);
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
    for (AutoCloseable c : new AutoCloseable[] {writer, channel, journal}) {
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
