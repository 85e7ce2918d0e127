package lathe.sink.container;

/**
 * One written sample as the journal keeps it: where its bytes are in the file and how to index it.
 * Times and duration are in the stream's timescale.
 */
public record SampleRecord(
    int stream, long seq, long pts, long dts, long duration, boolean key, boolean discontinuity,
    int size, long offset) {

  public long end() {
    return offset + size;
  }
}
