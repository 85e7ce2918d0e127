package lathe.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import lathe.protocol.AudioFormat;
import lathe.protocol.Codec;
import lathe.protocol.Sample;
import org.junit.jupiter.api.Test;

class ToneSourceTest {

  @Test
  void cutsTheLastSampleSoTheLengthIsExact() {
    ToneSource tone = new ToneSource(48000, 2, 997, 1000, 300);
    assertEquals(Codec.PCM, tone.streams().get(0).getCodec());
    AudioFormat a = tone.streams().get(0).getAudio();
    assertEquals(List.of(48000, 2, 16, false, false),
        List.of(a.getSampleRate(), a.getChannels(), a.getBitsPerSample(), a.getBigEndian(), a.getFloatingPoint()));
    assertEquals(48000, tone.streams().get(0).getTimescale());
    long[] durations = {300, 300, 300, 100};
    long pts = 0;
    for (int i = 0; i < durations.length; i++) {
      Sample s = tone.next();
      assertEquals(i, s.getSeq());
      assertEquals(0, s.getStream());
      assertEquals(pts, s.getPts());
      assertEquals(pts, s.getDts());
      assertEquals(durations[i], s.getDuration());
      assertEquals(durations[i] * 4, s.getData().size());
      assertEquals(true, s.getKey());
      pts += durations[i];
    }
    assertNull(tone.next());
    assertNull(tone.next());
  }

  @Test
  void isAHalfScaleSineOnEveryChannel() {
    ToneSource tone = new ToneSource(8000, 3, 1000, 8000);
    assertEquals(160, tone.next().getDuration(), "20 ms samples");
    // 1 kHz at 8 kHz: eight frames a period, 0, +a/sqrt2, +a, ... with a = 16383.5.
    ToneSource exact = new ToneSource(8000, 3, 1000, 8, 8);
    ByteBuffer pcm = exact.next().getData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    short[] expected = {0, 11585, 16384, 11585, 0, -11585, -16384, -11585};
    for (short value : expected) {
      for (int c = 0; c < 3; c++) {
        assertEquals(value, pcm.getShort(), 1);
      }
    }
  }

  @Test
  void anEndlessToneKeepsGoingAndBadSettingsAreRefused() {
    ToneSource endless = new ToneSource(44100, 1, 440, -1);
    Sample last = null;
    for (int i = 0; i < 1000; i++) {
      last = endless.next();
    }
    assertEquals(999L * 882, last.getPts());
    assertEquals("tone: the sample rate must be above 0 Hz, not 0",
        assertThrows(SourceException.class, () -> new ToneSource(0, 2, 997, -1)).getMessage());
    assertEquals("tone: the channel count must be 1 to 65535, not 0",
        assertThrows(SourceException.class, () -> new ToneSource(48000, 0, 997, -1)).getMessage());
  }

  @Test
  void packetSetsHowMuchAudioEachSampleHolds() throws Exception {
    MediaSource tone = Sources.open("tone:44100:2", java.time.Duration.ofMillis(2500), java.time.Duration.ofSeconds(1));
    assertEquals(44100, tone.next().getDuration());
    assertEquals(44100, tone.next().getDuration());
    assertEquals(22050 * 4, tone.next().getData().size(), "the last one is cut where the duration ends");
    assertNull(tone.next());
    assertEquals(960, Sources.open("tone:48000:2", java.time.Duration.ofSeconds(1), null).next().getDuration(),
        "20 ms by default");
    assertThrows(SourceException.class, () -> Sources.open("tone:48000:2", null, java.time.Duration.ZERO));
    assertThrows(SourceException.class,
        () -> Sources.open("tone:48000:8", null, java.time.Duration.ofSeconds(30)), "a sample over 16 MiB");
  }
}
