package lathe.sink.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import lathe.sink.container.ContainerWriter;
import lathe.sink.journal.JournalReader;
import lathe.sink.journal.JournalWriter;

/**
 * The file steps of Finalize, after every stream has ended its segment: final headers from the journal, fsync,
 * atomic rename of NAME.part to NAME, journal removed, directory fsynced. Plain Java, shared by the writer actor
 * and `lathe bench finalize`, so that the benchmark times exactly what a Finalize does.
 */
public final class FinalCommit {
  private FinalCommit() {}

  /** Returns the finalized file's length; closes the writer, its channel and the journal. */
  public static long run(ContainerWriter writer, FileChannel channel, JournalWriter journal, Path journalPath,
      Path part, Path target) throws IOException {
    journal.force();
    JournalReader table = journal.reader();
    writer.finish(table.samples());
    channel.force(true);
    long bytes = channel.size();
    writer.close();
    channel.close();
    journal.close();
    DurableFiles.moveIntoPlace(part, target);
    Files.deleteIfExists(journalPath);
    DurableFiles.fsyncDirectory(target);
    return bytes;
  }
}
