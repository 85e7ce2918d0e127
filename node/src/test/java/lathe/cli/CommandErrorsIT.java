package lathe.cli;

import static lathe.cli.LatheProcess.lathe;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input gets one clear line and a non-zero exit, and nothing is left half-written. */
class CommandErrorsIT {
  @TempDir Path dir;

  void fails(String expectedText, String... args) throws Exception {
    LatheProcess.Result r = lathe(dir, args);
    r.assertOneLineError();
    assertTrue(r.err().contains(expectedText), "stderr should mention '" + expectedText + "': " + r.err());
  }

  @Test
  void badSourcesAndPathsAreOneLineErrors() throws Exception {
    fails("unknown source kind 'bogus'", "record", "-o", "a.wav", "--source", "bogus:1", "--duration", "1s");
    fails("sample rate must be above 0", "record", "-o", "a.wav", "--source", "tone:0:2", "--duration", "1s");
    fails("is too large (at most 2147483647)", "record", "-o", "a.wav", "--source", "tone:4000000000:2", "--duration", "1s");
    fails("does not exist", "record", "-o", "no/such/dir/a.wav", "--source", "tone:48000:2", "--duration", "1s");
    fails("cannot tell the container", "record", "-o", "a.xyz", "--source", "tone:48000:2", "--duration", "1s");
    fails("give --duration", "record", "-o", "a.wav", "--source", "tone:48000:2");
    fails("use mp4 for mjpeg", "record", "-o", "a.wav", "--source", "testcard:64x48@25", "--duration", "1s");
    fails("testcard needs WxH@FPS", "record", "-o", "a.mp4", "--source", "testcard:big", "--duration", "1s");
    fails("not a duration", "record", "-o", "a.wav", "--source", "tone:48000:2", "--duration", "soon");
    fails("no such file", "record", "-o", "a.wav", "--source", "file:missing.wav");
    fails("Missing required option", "record", "--source", "tone:48000:2");
    fails("no such file or directory", "recover", "nothing-here.wav");
    fails("--cluster needs --name", "record", "--cluster", "127.0.0.1:1", "--source", "tone:48000:2");
    fails("UNAVAILABLE: open x.wav through 127.0.0.1:1 failed", "record", "--cluster", "127.0.0.1:1", "--name",
        "x.wav", "--source", "tone:48000:2", "--duration", "1s");
    fails("cannot reach 127.0.0.1:1", "status", "--cluster", "127.0.0.1:1");
    // a name that does not resolve: gRPC's own logging of it (a stack trace) must not reach the user
    fails("Unable to resolve host", "record", "--cluster", "nohost.invalid:1", "--name", "x.wav", "--source",
        "tone:48000:2", "--duration", "1s");
    fails("Unable to resolve host", "bench", "streams", "--count", "1", "--cluster", "nohost.invalid:1");
    fails("--data-dir", "node", "--port", "1");
    fails("--grpc-port must be 0 through 65535, not 70000", "node", "--data-dir", "d", "--port", "25520",
        "--grpc-port", "70000");
    fails("needs a fixed --port", "node", "--data-dir", "d", "--port", "0", "--grpc-port", "0");
    fails("over 16 MiB", "bench", "finalize", "--samples", "10", "--sample-bytes", "500000000");
    assertFalse(Files.exists(dir.resolve("a.wav")));
    assertFalse(Files.exists(dir.resolve("a.wav.part")));
  }

  @Test
  void aFinishedRecordingIsNeverOverwritten() throws Exception {
    Files.writeString(dir.resolve("done.wav"), "precious");
    fails("never overwrites", "record", "-o", "done.wav", "--source", "tone:8000:1", "--duration", "1s");
    assertEquals("precious", Files.readString(dir.resolve("done.wav")));
  }

  @Test
  void everyCommandHasHelp() throws Exception {
    for (String c : new String[] {"record", "recover", "demo", "drives", "burn", "bench", "node", "status"}) {
      LatheProcess.Result r = lathe(dir, c, "--help");
      assertEquals(0, r.exit(), r.err());
      assertTrue(r.out().contains("Usage: lathe " + c), r.out());
    }
  }
}
