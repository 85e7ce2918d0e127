package lathe.disc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class DiscTest {

  @Test
  void twoTaoTracksLandAtRedBookAddresses() {
    Disc disc = Disc.blank(MediaType.CDR80);
    assertEquals(MediaState.BLANK, disc.state());
    assertEquals(360_000 - 4500 - 6750, disc.freeSectors());

    Track t1 = disc.planAudioTrack(375, "a.wav"); // 5 s
    disc = disc.withAudioTrack(t1);
    Track t2 = disc.planAudioTrack(225, "b.wav"); // 3 s, padded to 4 s
    disc = disc.withAudioTrack(t2);

    assertEquals(0, t1.startLba());
    assertEquals(525, t2.startLba());
    assertEquals(150, t2.gapSectors());
    assertEquals(300, t2.lengthSectors());
    assertEquals(825, disc.usedSectors());
    assertEquals(List.of(
            new TocEntry(1, 1, "audio", 0, "00:02:00"),
            new TocEntry(1, 2, "audio", 525, "00:09:00"),
            new TocEntry(1, 170, "leadout", 825, "00:13:00")),
        disc.expectedTableOfContents());
  }

  @Test
  void leftOpenDiscKeepsRoomForAnotherSessionAndCdExtraStartsAfter11400() {
    Disc disc = Disc.blank(MediaType.CDR80);
    disc = disc.withAudioTrack(disc.planAudioTrack(375, "a"));
    disc = disc.withAudioTrack(disc.planAudioTrack(225, "b"));
    disc = disc.closeSession(false);

    assertEquals(MediaState.APPENDABLE, disc.state());
    // session 1 lead-in + lead-out, session 2 lead-in + lead-out, gap before its first track
    assertEquals(4500 + 6750 + 4500 + 2250 + 150, disc.overheadSectors());
    assertEquals(360_000 - 825 - 18_150, disc.freeSectors());
    assertEquals(825 + 11_400, disc.nextTrackStart());

    Track data = disc.planDataSession(1000, "files");
    assertEquals(12_225, data.startLba());
    assertEquals(2, data.session());
    disc = disc.withDataSession(data, true);
    assertEquals(MediaState.CLOSED, disc.state());
    assertEquals(0, disc.freeSectors());
    Disc closed = disc;
    DiscException e = assertThrows(DiscException.class, () -> closed.planDataSession(1, "more"));
    assertEquals(DriveError.MEDIA_NOT_APPENDABLE, e.code());
  }

  @Test
  void aTrackOfExactlyFreeSectorsFitsAndOneMoreDoesNot() {
    Disc disc = Disc.blank(MediaType.CDR74);
    long free = disc.freeSectors();
    assertEquals(333_000 - 11_250, free);
    DiscException e = assertThrows(DiscException.class, () -> Disc.blank(MediaType.CDR74).planAudioTrack(free + 1, "x"));
    assertEquals(DriveError.NOT_ENOUGH_SPACE, e.code());
    disc = disc.withAudioTrack(disc.planAudioTrack(free, "x"));
    assertEquals(333_000, disc.usedSectors() + disc.overheadSectors() - 150);
  }

  @Test
  void theHundredthTrackIsRefused() {
    Disc disc = Disc.blank(MediaType.CDR80);
    for (int i = 0; i < 99; i++) {
      disc = disc.withAudioTrack(disc.planAudioTrack(300, "t" + i));
    }
    assertEquals(99, disc.numberOfExistingTracks());
    Disc full = disc;
    DiscException e = assertThrows(DiscException.class, () -> full.planAudioTrack(300, "t100"));
    assertEquals(DriveError.TRACK_LIMIT_REACHED, e.code());
  }

  @Test
  void audioNeedsABlankCdAndDataMediaKeepTheirCapacity() {
    assertEquals(DriveError.MEDIA_NOT_SUPPORTED,
        assertThrows(DiscException.class, () -> Disc.blank(MediaType.DVDR).planAudioTrack(300, "a")).code());
    Disc dvd = Disc.blank(MediaType.DVDR);
    assertEquals(2_298_496, dvd.freeSectors());
    dvd = dvd.withDataSession(dvd.planDataSession(1000, "f"), false);
    assertEquals(2_298_496 - 1000, dvd.freeSectors());
    assertEquals(1000, dvd.nextTrackStart());
    assertEquals(12_219_392, Disc.blank(MediaType.BDR).freeSectors());

    Disc cd = Disc.blank(MediaType.CDR80);
    cd = cd.withAudioTrack(cd.planAudioTrack(300, "a")).closeSession(false);
    Disc open = cd;
    assertEquals(DriveError.MEDIA_NOT_BLANK,
        assertThrows(DiscException.class, () -> open.planAudioTrack(300, "b")).code());
  }
}
