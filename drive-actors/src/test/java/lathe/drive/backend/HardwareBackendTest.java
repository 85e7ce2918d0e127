package lathe.drive.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Hardware cannot run here: these pin the command lines a real /dev/srN would get. */
class HardwareBackendTest {

  @Test
  void trackAtOnceAudioLeavesTheSessionUnfixatedUntilRelease() {
    assertEquals(List.of("wodim", "-v", "dev=/dev/sr0", "speed=8", "-tao", "-audio", "-pad", "-nofix", "a.wav"),
        HardwareBackend.wodimTrack("/dev/sr0", WriteSpeed.parse("8x"), Path.of("a.wav")));
    assertEquals(List.of("wodim", "-v", "dev=/dev/sr1", "-tao", "-audio", "-pad", "-nofix", "b.wav"),
        HardwareBackend.wodimTrack("/dev/sr1", WriteSpeed.MAX, Path.of("b.wav")));
    // DoNotFinalizeMedia: fixate the session but keep the disc appendable.
    assertEquals(List.of("wodim", "-v", "dev=/dev/sr0", "-fix", "-multi"), HardwareBackend.wodimFixate("/dev/sr0", true));
    assertEquals(List.of("wodim", "-v", "dev=/dev/sr0", "-fix"), HardwareBackend.wodimFixate("/dev/sr0", false));
  }

  @Test
  void wholeSessionsAndImagesBurnWithWodimAndCdrdao() {
    assertEquals(List.of("wodim", "-v", "dev=/dev/sr0", "speed=4", "-tao", "-audio", "-pad", "-multi", "a.wav", "b.wav"),
        HardwareBackend.wodimSession("/dev/sr0", new WriteSpeed(4), List.of(Path.of("a.wav"), Path.of("b.wav")), true));
    assertEquals(List.of("cdrdao", "write", "--device", "/dev/sr0", "--speed", "16", "--multi", "-n", "disc.toc"),
        HardwareBackend.cdrdaoWrite("/dev/sr0", new WriteSpeed(16), Path.of("disc.toc"), true));
  }

  @Test
  void dataSessionsGoThroughXorrisoOnTheDevice() {
    List<String> cmd = Xorriso.appendSession("/dev/sr0", List.of(Path.of("/rec/take1.wav"), Path.of("/rec/notes")), true);
    assertEquals(List.of("xorriso", "-abort_on", "FAILURE", "-return_with", "SORRY", "0", "-report_about", "SORRY",
        "-dev", "/dev/sr0", "-joliet", "on", "-map", "/rec/take1.wav", "/take1.wav", "-map", "/rec/notes", "/notes",
        "-close", "on", "-commit", "-end"), cmd);
  }
}
