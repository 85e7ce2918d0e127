package lathe.sink.container;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.util.List;
import lathe.protocol.Container;
import lathe.protocol.MediaType;
import lathe.protocol.Metadata;

/** A container kind: checks media types, starts new files and resumes crashed ones. */
public interface ContainerFormat {

  Container container();

  /**
   * Returns null when a stream of this media type can be added after {@code existing}, otherwise a one-line
   * reason ("bwf holds PCM audio only; use mp4 for h264").
   */
  String refuse(List<MediaType> existing, MediaType candidate);

  /** Writes the opening of a new file on an empty channel and returns its writer. */
  ContainerWriter create(FileChannel channel, List<MediaType> streams, Metadata metadata) throws IOException;

  /**
   * Reopens a crashed file for {@link ContainerWriter#finish}: {@code samples} holds only the samples whose
   * bytes are complete in the file; anything the writer wrote after them may be cut away.
   */
  ContainerWriter resume(FileChannel channel, List<MediaType> streams, Metadata metadata, SampleTable samples)
      throws IOException;
}
