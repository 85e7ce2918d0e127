package lathe.cli;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import lathe.protocol.SinkError;
import lathe.protocol.SinkEvent;

/**
 * `--events FILE`: one JSON object a line, written and flushed as each event happens, so that a reader (or what
 * is left after kill -9) sees every acknowledgement that was made.
 */
final class EventsFile implements AutoCloseable {
  private final BufferedWriter out;
  private boolean closed;

  EventsFile(Path path) {
    try {
      out = Files.newBufferedWriter(path, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UserError("cannot write events to " + path + ": " + e.getMessage());
    }
  }

  static Map<String, Object> describe(SinkEvent e) {
    Map<String, Object> m = new LinkedHashMap<>();
    switch (e.getEventCase()) {
      case ACK -> {
        m.put("event", "ack");
        m.put("stream", e.getAck().getStream());
        m.put("seq", e.getAck().getSeq());
      }
      case MARKER -> {
        m.put("event", "marker");
        m.put("stream", e.getMarker().getStream());
        m.put("context", e.getMarker().getContext().toStringUtf8());
      }
      case STREAM_ERROR -> {
        m.put("event", "error");
        error(m, e.getStreamError());
      }
      case FILE_WRITE_ERROR -> {
        m.put("event", "error");
        error(m, e.getFileWriteError());
      }
      case FINALIZED -> {
        m.put("event", "finalized");
        m.put("ok", e.getFinalized().getOk());
        if (e.getFinalized().getOk()) {
          m.put("path", e.getFinalized().getFile().getPath());
          m.put("bytes", e.getFinalized().getFile().getBytes());
        } else {
          error(m, e.getFinalized().getError());
        }
      }
      default -> m.put("event", "unknown");
    }
    return m;
  }

  private static void error(Map<String, Object> m, SinkError err) {
    if (err.getStream() >= 0) {
      m.put("stream", err.getStream());
      m.put("seq", err.getSeq());
    }
    m.put("code", err.getCode().name());
    m.put("message", err.getMessage());
  }

  synchronized void write(SinkEvent e) {
    if (closed) {
      return;
    }
    try {
      out.write(Json.line(describe(e)));
      out.newLine();
      out.flush();
    } catch (IOException x) {
      throw new UncheckedIOException(x);
    }
  }

  @Override
  public synchronized void close() {
    closed = true;
    try {
      out.close();
    } catch (IOException ignored) {
      // the events are a side channel; the recording itself is what matters
    }
  }
}
