package lathe.drive.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import lathe.disc.Disc;
import lathe.disc.DiscException;
import lathe.disc.DriveError;
import lathe.disc.MediaType;
import lathe.disc.Track;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SimulatedBackendTest {
  @TempDir Path tmp;

  @Test
  void aDataSessionLargerThanTheDiscIsUndoneAndEarlierSessionsStayReadable() throws Exception {
    SimulatedBackend sim = new SimulatedBackend(tmp.resolve("drive"), MediaType.DVDR);
    Disc disc = sim.load();
    Path first = Files.writeString(tmp.resolve("first.txt"), "session one\n");
    Track one = sim.writeDataSession(disc, List.of(first), false);
    disc = disc.withDataSession(one, false);
    sim.commit(disc);
    Path img = tmp.resolve("drive/data.img");
    byte[] before = Files.readAllBytes(img);

    // Fill the model so that only 100 sectors are left, then try a session of ~500 sectors.
    Disc nearlyFull = disc.withDataSession(disc.planDataSession(disc.freeSectors() - 100, "filler"), false);
    byte[] big = new byte[1_000_000];
    new Random(1).nextBytes(big);
    Path second = Files.write(tmp.resolve("second.bin"), big);
    DiscException e = assertThrows(DiscException.class,
        () -> sim.writeDataSession(nearlyFull, List.of(second), false));
    assertEquals(DriveError.NOT_ENOUGH_SPACE, e.code());
    assertArrayEquals(before, Files.readAllBytes(img));
    String listing = run("xorriso", "-indev", "stdio:" + img, "-find", "/", "-type", "f");
    assertTrue(listing.contains("'/first.txt'") && !listing.contains("second.bin"), listing);

    Track two = sim.writeDataSession(disc, List.of(second), true);
    assertEquals(2, two.session());
    String after = run("xorriso", "-indev", "stdio:" + img, "-toc");
    assertTrue(after.contains("2 sessions"), after);
  }

  private static String run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(60, TimeUnit.SECONDS);
    assertEquals(0, p.exitValue(), out);
    return out;
  }
}
