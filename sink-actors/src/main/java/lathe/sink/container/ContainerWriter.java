package lathe.sink.container;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Byte layout of one output file (plain Java, no Pekko). The writer actor calls, in the file's order:
 * {@link ContainerFormat#create} (opening headers), {@link #append} for every sample, {@link #checkpoint} before
 * each group-commit fsync, and {@link #finish} once at Finalize. A writer never buffers sample bytes past
 * {@link #append}: what append returned is in the file (OS cache) when it returns.
 */
public interface ContainerWriter extends Closeable {

  /**
   * Appends one sample's bytes at the end of the media data and returns the file offset where they start.
   * {@code sample.offset()} is ignored; {@code data} is consumed.
   */
  long append(SampleRecord sample, ByteBuffer data) throws IOException;

  /**
   * Makes everything appended so far readable by standard players as the file stands (refreshed header sizes,
   * a closed fragment). Called before every fsync, so after a crash the file is valid up to the last one.
   */
  void checkpoint() throws IOException;

  /**
   * Writes the final headers and indices from the sample table (the journal). After it returns the file is
   * complete; the caller fsyncs and renames it.
   */
  void finish(SampleTable samples) throws IOException;

  /** Bytes in the file so far. */
  long size() throws IOException;
}
