package lathe.sink.container;

import java.io.IOException;

/**
 * The samples of a recording in the order they were written, read from disk on every pass so that memory does
 * not grow with the recording's length (the journal is the sample table).
 */
public interface SampleTable {

  /** Number of samples. */
  long count();

  /** Calls {@code consumer} for every sample in write order; each call reads the table again. */
  void forEach(SampleConsumer consumer) throws IOException;

  /** A table over samples already in memory: for tests and for tools that build small tables by hand. */
  static SampleTable of(java.util.List<SampleRecord> samples) {
    return new SampleTable() {
      @Override
      public long count() {
        return samples.size();
      }

      @Override
      public void forEach(SampleConsumer consumer) throws IOException {
        for (SampleRecord s : samples) {
          consumer.accept(s);
        }
      }
    };
  }

  @FunctionalInterface
  interface SampleConsumer {
    void accept(SampleRecord sample) throws IOException;
  }
}
