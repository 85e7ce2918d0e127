package lathe.sink.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import lathe.protocol.JournalHeader;
import lathe.sink.io.DurableFiles;
import lathe.sink.journal.JournalReader;

/**
 * Puts what a {@link CommitLog} holds back into the recordings' files: each entry's writes, in log order, over
 * {@code NAME.part} and {@code NAME.journal}. Writes are positional, so replaying twice does no harm. An entry is
 * applied only while {@code NAME.part} and {@code NAME.journal} exist and the journal's header carries the
 * entry's recording id: a finalized or recovered recording, or a new one of the same name, is left alone.
 */
public final class CommitLogReplay {
  private CommitLogReplay() {}

  /** segments: replayed; entries: applied; problems: one line each, segments kept when there are any. */
  public record Result(int segments, long entries, int recordings, List<String> problems) {}

  /**
   * At a node's start: replays every segment in {@code dir} that no running process holds, fsyncs the files
   * it wrote, then deletes those segments. A missing folder is an empty log.
   */
  public static Result replayFolder(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return new Result(0, 0, 0, List.of());
    }
    Replayer r = new Replayer(null, null);
    List<Path> done = new ArrayList<>();
    for (Path segment : segments(dir)) {
      try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
        FileLock lock;
        try {
          lock = ch.tryLock();
        } catch (OverlappingFileLockException e) {
          lock = null; // this JVM's own running log
        }
        if (lock == null) {
          continue; // a running node's log: its recordings are live
        }
        r.replay(segment, ch);
        done.add(segment);
      }
    }
    r.finish();
    if (r.problems.isEmpty()) {
      for (Path p : done) {
        Files.deleteIfExists(p);
      }
      if (!done.isEmpty()) {
        DurableFiles.fsyncDirectory(done.get(0));
      }
    }
    deleteAbandonedNewSegments(dir);
    return new Result(done.size(), r.applied, r.targets.size(), r.problems);
  }

  /**
   * A segment is created as NAME.wal.new and renamed once locked and written ({@link CommitLog}); one that is
   * still there ten minutes later was left by a crash, never held a record, and is deleted.
   */
  private static void deleteAbandonedNewSegments(Path dir) throws IOException {
    long before = System.currentTimeMillis() - 600_000;
    List<Path> stale;
    try (Stream<Path> files = Files.list(dir)) {
      stale = files.filter(p -> p.getFileName().toString().endsWith(CommitLog.SUFFIX + ".new")).toList();
    }
    for (Path p : stale) {
      try {
        if (Files.getLastModifiedTime(p).toMillis() < before) {
          Files.deleteIfExists(p);
        }
      } catch (NoSuchFileException e) {
        // renamed meanwhile
      }
    }
  }

  /**
   * For `lathe recover`: replays the entries of the recording whose journal header is given, from the log
   * folder the header names; the segments stay (the node deletes them when it next starts). Returns the number
   * of entries applied; throws if one could not be.
   */
  public static long replayRecording(Path target, JournalHeader header) throws IOException {
    if (header.getCommitLogId().size() != 16 || header.getCommitLogDir().isEmpty()) {
      return 0;
    }
    Path dir = Path.of(header.getCommitLogDir());
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    Replayer r = new Replayer(target.toAbsolutePath().normalize().toString(), id(header));
    for (Path segment : segments(dir)) {
      try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.READ)) {
        r.replay(segment, ch);
      }
    }
    r.finish();
    if (!r.problems.isEmpty()) {
      throw new IOException(r.problems.get(0));
    }
    return r.applied;
  }

  public static UUID id(JournalHeader header) {
    ByteBuffer b = header.getCommitLogId().asReadOnlyByteBuffer();
    return new UUID(b.getLong(), b.getLong());
  }

  private static List<Path> segments(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      // START-RANDOM-SEQ, zero-padded: name order is write order
      return files.filter(p -> p.getFileName().toString().endsWith(CommitLog.SUFFIX)).sorted().toList();
    }
  }

  /** A recording's files while replaying; skip: not to be touched (finalized, another recording, failed). */
  private static final class Target {
    FileChannel part;
    FileChannel journal;
    boolean skip;
  }

  private static final class Replayer {
    private final String onlyPath;
    private final UUID onlyId;
    final Map<String, Target> targets = new HashMap<>();
    final List<String> problems = new ArrayList<>();
    long applied;

    Replayer(String onlyPath, UUID onlyId) {
      this.onlyPath = onlyPath;
      this.onlyId = onlyId;
    }

    void replay(Path segment, FileChannel ch) throws IOException {
      long size = ch.size();
      ByteBuffer magic = ByteBuffer.allocate(CommitLog.MAGIC.length);
      readFully(ch, magic, 0);
      if (magic.hasRemaining() || !Arrays.equals(magic.array(), CommitLog.MAGIC)) {
        return; // created but not yet written when the process died: nothing in it was acknowledged
      }
      long pos = CommitLog.MAGIC.length;
      ByteBuffer len = ByteBuffer.allocate(4);
      CRC32C crc = new CRC32C();
      while (pos + 4 <= size) {
        len.clear();
        readFully(ch, len, pos);
        int length = len.getInt(0);
        if (length < 1 || length > CommitLog.MAX_RECORD || pos + 4 + length + 4 > size) {
          return; // torn tail
        }
        ByteBuffer rec = ByteBuffer.allocate(length + 4);
        readFully(ch, rec, pos + 4);
        crc.reset();
        crc.update(rec.array(), 0, length);
        if (rec.getInt(length) != (int) crc.getValue()) {
          return; // torn tail
        }
        rec.limit(length).position(0);
        apply(rec);
        pos += 4 + length + 4;
      }
    }

    private void apply(ByteBuffer rec) {
      if (rec.get() != CommitLog.ENTRY) {
        return;
      }
      byte[] p = new byte[rec.getShort() & 0xffff];
      rec.get(p);
      String path = new String(p, StandardCharsets.UTF_8);
      UUID id = new UUID(rec.getLong(), rec.getLong());
      if (onlyPath != null && (!onlyPath.equals(path) || !onlyId.equals(id))) {
        return;
      }
      Target t = targets.computeIfAbsent(path + "\n" + id, k -> open(Path.of(path), id));
      if (t.skip) {
        return;
      }
      int writes = rec.getInt();
      try {
        for (int i = 0; i < writes; i++) {
          byte file = rec.get();
          long offset = rec.getLong();
          int n = rec.getInt();
          FileChannel ch = file == CommitLog.JOURNAL ? t.journal : t.part;
          if (n < 0) {
            ch.truncate(offset);
          } else {
            ByteBuffer data = rec.slice(rec.position(), n);
            rec.position(rec.position() + n);
            while (data.hasRemaining()) {
              offset += ch.write(data, offset);
            }
          }
        }
        applied++;
      } catch (IOException | RuntimeException e) {
        problems.add("replaying the commit log into " + path + " failed: " + e.getMessage());
        t.skip = true;
      }
    }

    private Target open(Path target, UUID id) {
      Target t = new Target();
      Path part = DurableFiles.partOf(target);
      Path journal = DurableFiles.journalOf(target);
      try {
        if (!Files.exists(part) || !Files.exists(journal)
            || !id.equals(id(JournalReader.readHeader(journal)))) {
          t.skip = true; // finalized, recovered, or a later recording of that name
          return t;
        }
        t.part = FileChannel.open(part, StandardOpenOption.READ, StandardOpenOption.WRITE);
        t.journal = FileChannel.open(journal, StandardOpenOption.READ, StandardOpenOption.WRITE);
      } catch (IOException | RuntimeException e) {
        problems.add("cannot open " + part + " to replay the commit log: " + e.getMessage());
        t.skip = true;
        close(t);
      }
      return t;
    }

    /** fsyncs and closes every file written. */
    void finish() {
      for (Map.Entry<String, Target> e : targets.entrySet()) {
        Target t = e.getValue();
        try {
          if (t.part != null) {
            t.part.force(false);
            t.journal.force(false);
          }
        } catch (IOException ex) {
          problems.add("fsync after replaying the commit log failed for "
              + e.getKey().substring(0, e.getKey().indexOf('\n')) + ": " + ex.getMessage());
        }
        close(t);
      }
    }

    private static void close(Target t) {
      for (FileChannel c : new FileChannel[] {t.part, t.journal}) {
        if (c != null) {
          try {
            c.close();
          } catch (IOException ignored) {
            // forced above; closing cannot lose data
          }
        }
      }
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long at) throws IOException {
      while (b.hasRemaining()) {
        int r = ch.read(b, at);
        if (r < 0) {
          return;
        }
        at += r;
      }
    }
  }
}
