package lathe.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import lathe.protocol.Container;
import lathe.protocol.JournalHeader;
import lathe.sink.container.SampleRecord;
import lathe.sink.journal.JournalReader;
import lathe.sink.journal.JournalWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JournalTest {
  @TempDir Path dir;

  Path journal(int samples) throws IOException {
    Path p = dir.resolve("x.wav.journal");
    JournalHeader h = JournalHeader.newBuilder().setPath("x.wav").setContainer(Container.BWF)
        .addStreams(SinkTestSupport.pcm(48000, 2)).build();
    try (JournalWriter w = JournalWriter.create(p, h)) {
      for (int i = 0; i < samples; i++) {
        w.appendSample(new SampleRecord(0, i, i * 960L, i * 960L, 960, true, i == 3, 3840, 100 + i * 3840L));
        if (i == 5) {
          w.appendMarker(0, "m".getBytes());
        }
      }
      w.force();
    }
    return p;
  }

  static List<SampleRecord> all(JournalReader r) throws IOException {
    List<SampleRecord> out = new ArrayList<>();
    r.samples().forEach(out::add);
    return out;
  }

  @Test
  void readsBackEverySampleExactly() throws IOException {
    JournalReader r = JournalReader.open(journal(10));
    assertFalse(r.torn());
    assertEquals(10, r.sampleCount());
    assertEquals(1, r.markerCount());
    List<SampleRecord> s = all(r);
    assertEquals(new SampleRecord(0, 7, 6720, 6720, 960, true, false, 3840, 100 + 7 * 3840L), s.get(7));
    assertTrue(s.get(3).discontinuity());
    assertEquals(48000, r.header().getStreams(0).getAudio().getSampleRate());
  }

  @Test
  void theWritersOwnReaderSeesWhatAScanSees() throws IOException {
    Path p = dir.resolve("w.wav.journal");
    JournalHeader h = JournalHeader.newBuilder().setPath("w.wav").setContainer(Container.BWF)
        .addStreams(SinkTestSupport.pcm(48000, 2)).build();
    try (JournalWriter w = JournalWriter.create(p, h)) {
      for (int i = 0; i < 10; i++) {
        w.appendSample(new SampleRecord(0, i, i * 960L, i * 960L, 960, true, false, 3840, 100 + i * 3840L));
      }
      w.appendMarker(0, "m".getBytes());
      w.force();
      JournalReader own = w.reader();
      JournalReader scanned = JournalReader.open(p);
      assertEquals(scanned.sampleCount(), own.sampleCount());
      assertEquals(scanned.markerCount(), own.markerCount());
      assertEquals(scanned.validBytes(), own.validBytes());
      assertEquals(all(scanned), all(own));
      assertEquals(h, own.header());
      w.appendSample(new SampleRecord(0, 10, 9600, 9600, 960, true, false, 3840, 100 + 10 * 3840L));
      assertThrows(IllegalStateException.class, w::reader, "unflushed records are not readable");
    }
  }

  @Test
  void aTornLastRecordIsIgnored() throws IOException {
    Path p = journal(10);
    long size = Files.size(p);
    try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
      f.setLength(size - 5); // the crash cut the last record in half
    }
    JournalReader r = JournalReader.open(p);
    assertTrue(r.torn());
    assertEquals(9, r.sampleCount());
    assertEquals(9, all(r).size());
  }

  @Test
  void aCorruptRecordEndsTheJournalThere() throws IOException {
    Path p = journal(10);
    byte[] b = Files.readAllBytes(p);
    int recordSize = 4 + 1 + 49 + 4;
    int fourthSampleCrc = b.length - 6 * recordSize - (4 + 1 + 4 + 1 + 4) - 1;
    b[fourthSampleCrc] ^= 0x40;
    Files.write(p, b);
    JournalReader r = JournalReader.open(p);
    assertTrue(r.torn());
    assertTrue(r.sampleCount() < 10);
    assertEquals(r.sampleCount(), all(r).size());
  }

  @Test
  void keepsOnlySamplesWhoseBytesAreInTheFile() throws IOException {
    JournalReader r = JournalReader.open(journal(10));
    assertEquals(4, r.samples(100 + 4 * 3840L + 10).count());
    assertEquals(0, r.samples(50).count());
    assertEquals(10, r.samples(1L << 40).count());
  }

  @Test
  void refusesWhatIsNotAJournal() throws IOException {
    Path p = dir.resolve("not.journal");
    Files.writeString(p, "hello, I am a text file");
    IOException e = assertThrows(IOException.class, () -> JournalReader.open(p));
    assertTrue(e.getMessage().contains("not a lathe journal"), e.getMessage());
  }
}
