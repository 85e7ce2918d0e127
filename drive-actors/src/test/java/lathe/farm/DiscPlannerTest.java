package lathe.farm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import lathe.disc.DiscException;
import lathe.disc.DriveError;
import lathe.disc.RedBook;
import lathe.protocol.FarmDisc;
import lathe.protocol.FarmJob;
import lathe.protocol.FarmSource;
import org.junit.jupiter.api.Test;

class DiscPlannerTest {
  private static final long MINUTE_BYTES = 60L * RedBook.SECTORS_PER_SECOND * RedBook.SECTOR_BYTES;

  private static FarmSource audio(String name, long minutes) {
    return FarmSource.newBuilder().setName(name).setPcmBytes(minutes * MINUTE_BYTES)
        .setBytes(minutes * MINUTE_BYTES + 728).build();
  }

  private static FarmJob job(String kind, String media, boolean cdExtra, FarmSource... sources) {
    return FarmJob.newBuilder().setKind(kind).setMedia(media).setCdExtra(cdExtra).addAllSources(List.of(sources))
        .build();
  }

  private static String layout(List<FarmDisc> discs) {
    return discs.stream().map(d -> d.getSourcesList().toString()).toList().toString();
  }

  @Test
  void fiveTwentyMinuteRecordingsNeedTwoEightyMinuteDiscs() {
    // 3 tracks: 3 x 90,000 + 2 gaps of 150 = 270,300 sectors of the 348,750 a blank CD-R 80 leaves free; a 4th
    // would need 360,450.
    List<FarmDisc> discs = DiscPlanner.plan(job("audio-cd", "cdr80", false, audio("a", 20), audio("b", 20),
        audio("c", 20), audio("d", 20), audio("e", 20)));
    assertEquals("[[0, 1, 2], [3, 4]]", layout(discs));
    assertEquals(270_300, discs.get(0).getPlannedSectors());
    assertEquals(180_150, discs.get(1).getPlannedSectors());
    assertTrue(discs.stream().allMatch(d -> d.getState().equals("queued")));
    // 74-minute media hold only three of them too; 25-minute ones two per disc.
    assertEquals("[[0, 1, 2], [3, 4]]", layout(DiscPlanner.plan(job("audio-cd", "cdr74", false, audio("a", 20),
        audio("b", 20), audio("c", 20), audio("d", 20), audio("e", 20)))));
    assertEquals("[[0, 1], [2]]", layout(DiscPlanner.plan(job("audio-cd", "cdr74", false, audio("a", 25),
        audio("b", 25), audio("c", 25)))));
  }

  @Test
  void aCdExtraKeepsRoomForTheFilesOfItsOwnTracks() {
    // 20 minutes of audio and the same WAV again as data: two do not fit on one disc.
    assertEquals("[[0], [1]]", layout(DiscPlanner.plan(job("audio-cd", "cdr80", true, audio("a", 20),
        audio("b", 20)))));
    assertEquals("[[0, 1]]", layout(DiscPlanner.plan(job("audio-cd", "cdr80", true, audio("a", 5),
        audio("b", 5)))));
  }

  @Test
  void aDiscTakesNinetyNineTracksAtMost() {
    FarmSource[] tiny = new FarmSource[120];
    for (int i = 0; i < tiny.length; i++) {
      tiny[i] = FarmSource.newBuilder().setName("t" + i).setPcmBytes(RedBook.SECTOR_BYTES).setBytes(3000).build();
    }
    List<FarmDisc> discs = DiscPlanner.plan(job("audio-cd", "cdr80", false, tiny));
    assertEquals(2, discs.size());
    assertEquals(RedBook.MAX_TRACKS, discs.get(0).getSourcesCount());
    assertEquals(21, discs.get(1).getSourcesCount());
  }

  @Test
  void dataFilesSpanDiscsByTheMediumsCapacity() {
    FarmSource big = FarmSource.newBuilder().setName("show/a.wav").setBytes(300_000_000).build();
    FarmSource big2 = big.toBuilder().setName("show/b.wav").build();
    FarmSource big3 = big.toBuilder().setName("show/c.wav").build();
    // 360,000 sectors of 2,048 bytes less the lead-in and lead-out: two 300 MB files per CD-R 80.
    assertEquals("[[0, 1], [2]]", layout(DiscPlanner.plan(job("data", "cdr80", false, big, big2, big3))));
    assertEquals("[[0, 1, 2]]", layout(DiscPlanner.plan(job("data", "dvdr", false, big, big2, big3))));
    assertEquals("show-a.wav", DiscPlanner.discName(big));
  }

  @Test
  void whatCannotFitIsRefusedWithTheNumbers() {
    DiscException e = assertThrows(DiscException.class,
        () -> DiscPlanner.plan(job("audio-cd", "cdr80", false, audio("long", 81))));
    assertEquals(DriveError.NOT_ENOUGH_SPACE, e.code());
    assertTrue(e.getMessage().contains("long needs 364500 sectors"), e.getMessage());
    assertEquals(DriveError.MEDIA_NOT_SUPPORTED, assertThrows(DiscException.class,
        () -> DiscPlanner.plan(job("audio-cd", "dvdr", false, audio("a", 1)))).code());
    assertEquals(DriveError.INVALID_ARGUMENT, assertThrows(DiscException.class,
        () -> DiscPlanner.plan(job("data", "cdr80", false, audio("a/b", 1),
            audio("a-b", 1)))).code(), "two recordings would share a file name on the disc");
    assertThrows(DiscException.class, () -> DiscPlanner.plan(job("video", "cdr80", false, audio("a", 1))));
  }
}
