package lathe.sink.mp4;

import java.io.IOException;
import java.util.List;
import lathe.sink.container.SampleRecord;
import lathe.sink.container.SampleTable;

/** A sample table over a list, standing in for the journal in writer tests. */
record ListSampleTable(List<SampleRecord> samples) implements SampleTable {
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
}
