package lathe.sink.recovery;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import lathe.protocol.Container;
import lathe.protocol.JournalHeader;
import lathe.sink.container.ContainerFormat;
import lathe.sink.container.ContainerWriter;
import lathe.sink.container.SampleTable;
import lathe.sink.io.DurableFiles;
import lathe.sink.journal.JournalReader;
import lathe.sink.wal.CommitLogReplay;

/**
 * Turns what a crash left ({@code NAME.part} + {@code NAME.journal}) into the finalized {@code NAME}, keeping
 * every journaled sample whose bytes are whole in the file (which includes every acknowledged one). Finalized
 * files are never touched. Plain Java: `lathe recover` and node start-up both call it.
 */
public final class Recovery {
  private Recovery() {}

  /** What recovery did with one recording; {@code error} is null on success. */
  public record Result(Path part, Path output, Container container, long samples, long journaled, long bytes,
      boolean tornJournal, String error) {
    public boolean ok() {
      return error == null;
    }
  }

  /** Recovers one {@code .part} (or its journal, or the final name) or every {@code .part} below a folder. */
  public static List<Result> recoverAll(Path path, Map<Container, ContainerFormat> formats) throws IOException {
    List<Result> results = new ArrayList<>();
    if (Files.isDirectory(path)) {
      List<Path> parts;
      try (Stream<Path> files = Files.walk(path)) {
        parts = files.filter(p -> p.getFileName().toString().endsWith(".part") && Files.isRegularFile(p))
            .sorted().toList();
      }
      for (Path p : parts) {
        results.add(recover(p, formats));
      }
    } else {
      results.add(recover(path, formats));
    }
    return results;
  }

  public static Result recover(Path given, Map<Container, ContainerFormat> formats) {
    Path target = targetOf(given.toAbsolutePath().normalize());
    Path part = DurableFiles.partOf(target);
    Path journalPath = DurableFiles.journalOf(target);
    if (!Files.exists(part)) {
      // (target may be any file: lathe cannot tell a finalized recording from another file of that name)
      String why = Files.exists(target) ? "nothing to recover for " + target + ": there is no " + part.getFileName()
          + " (a finalized recording needs none)" : "no " + part.getFileName() + " next to " + given;
      return new Result(part, target, null, 0, 0, 0, false, why);
    }
    if (!Files.exists(journalPath)) {
      return new Result(part, target, null, 0, 0, 0, false, "no journal " + journalPath.getFileName()
          + ": without it lathe cannot tell which samples are whole; the .part is left as it is");
    }
    if (Files.exists(target)) {
      return new Result(part, target, null, 0, 0, 0, false,
          target + " exists; lathe never overwrites a finalized file (move it away and run recover again)");
    }
    try {
      // Acknowledged writes that the files may not have on disk yet (a power cut) are in the node's commit log.
      CommitLogReplay.replayRecording(target, JournalReader.readHeader(journalPath));
      JournalReader journal = JournalReader.open(journalPath);
      JournalHeader header = journal.header();
      ContainerFormat format = formats.get(header.getContainer());
      if (format == null) {
        return new Result(part, target, header.getContainer(), 0, 0, 0, journal.torn(),
            "container " + header.getContainer() + " is not available in this build");
      }
      long bytes;
      long kept;
      try (FileChannel ch = FileChannel.open(part, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
        SampleTable table = journal.samples(ch.size());
        kept = table.count();
        try (ContainerWriter writer = format.resume(ch, header.getStreamsList(), header.getMetadata(), table)) {
          writer.finish(table);
          ch.force(true);
          bytes = ch.size();
        }
      }
      DurableFiles.moveIntoPlace(part, target);
      Files.delete(journalPath);
      DurableFiles.fsyncDirectory(target);
      return new Result(part, target, header.getContainer(), kept, journal.sampleCount(), bytes, journal.torn(),
          null);
    } catch (IOException | RuntimeException e) {
      String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      return new Result(part, target, null, 0, 0, 0, false, "recovering " + part + " failed: " + m);
    }
  }

  static Path targetOf(Path p) {
    String n = p.getFileName().toString();
    for (String suffix : new String[] {".part", ".journal"}) {
      if (n.endsWith(suffix)) {
        return p.resolveSibling(n.substring(0, n.length() - suffix.length()));
      }
    }
    return p;
  }
}
