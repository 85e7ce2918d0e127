package lathe.source;

import java.io.Closeable;
import java.io.IOException;
import java.util.List;
import lathe.protocol.MediaType;
import lathe.protocol.Sample;

/**
 * Where `lathe record --source SPEC` gets its samples. A source has one or more streams; its samples come in
 * the order they should be written, each with {@code stream} set to the index in {@link #streams()}, {@code seq}
 * counting from 0 per stream, and times in the stream's timescale.
 */
public interface MediaSource extends Closeable {

  List<MediaType> streams();

  /** The next sample, or null when the source has ended. */
  Sample next() throws IOException;
}
