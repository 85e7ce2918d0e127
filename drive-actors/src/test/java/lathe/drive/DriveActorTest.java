package lathe.drive;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import lathe.disc.DriveError;
import lathe.disc.MediaState;
import lathe.disc.MediaType;
import lathe.drive.DriveActor.Action;
import lathe.drive.DriveActor.Command;
import lathe.drive.DriveActor.MediaInfo;
import lathe.drive.DriveActor.Reply;
import lathe.drive.DriveActor.Update;
import lathe.drive.backend.SimulatedBackend;
import lathe.drive.backend.WriteSpeed;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DriveActorTest {
  // Every message the tests exchange with the drive goes through its protobuf serializer and back.
  static final ActorTestKit testKit = ActorTestKit.create(
      com.typesafe.config.ConfigFactory.parseString("pekko.actor.serialize-messages = on")
          .withFallback(com.typesafe.config.ConfigFactory.load()));
  static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path tmp;

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private ActorRef<Command> drive(String id, MediaType media, WriteSpeed speed) {
    return testKit.spawn(DriveActor.create(id, new SimulatedBackend(tmp.resolve("drives").resolve(id), media), speed));
  }

  private static Reply ask(ActorRef<Command> drive, Function<ActorRef<Reply>, Command> message) {
    TestProbe<Reply> probe = testKit.createTestProbe();
    drive.tell(message.apply(probe.ref()));
    return probe.receiveMessage(WAIT);
  }

  private static Reply expectOk(ActorRef<Command> drive, Function<ActorRef<Reply>, Command> message) {
    Reply r = ask(drive, message);
    assertNull(r.error(), () -> r.error() + ": " + r.message());
    return r;
  }

  private static MediaInfo info(ActorRef<Command> drive) {
    TestProbe<MediaInfo> probe = testKit.createTestProbe();
    drive.tell(new DriveActor.GetMediaInfo(probe.ref()));
    return probe.receiveMessage(WAIT);
  }

  private static Reply addTrack(ActorRef<Command> drive, Path wav, ActorRef<Update> progress) {
    return ask(drive, r -> new DriveActor.AddAudioTrack(wav.toString(), progress, r));
  }

  @Test
  void twoTracksOf5And3SecondsGiveImagesCdInfoCdrdaoAndBchunkRead() throws Exception {
    Path a = Wavs.write(tmp.resolve("a.wav"), 44_100, 2, 5, 1);
    Path b = Wavs.write(tmp.resolve("b.wav"), 44_100, 2, 3, 2);
    ActorRef<Command> drive = drive("sim0", MediaType.CDR80, WriteSpeed.MAX);
    TestProbe<Update> progress = testKit.createTestProbe();

    expectOk(drive, DriveActor.PrepareMedia::new);
    assertEquals(1, expectOk(drive, r -> new DriveActor.AddAudioTrack(a.toString(), progress.ref(), r))
        .track().number());
    List<Update> updates = progress.receiveSeveralMessages(3, WAIT); // PREPARING, WRITING, FINISHING
    assertEquals(List.of(Action.PREPARING, Action.WRITING, Action.FINISHING),
        updates.stream().map(Update::action).toList());
    assertEquals(374, updates.get(2).lastWrittenLba());
    assertEquals(2, addTrack(drive, b, null).track().number());
    expectOk(drive, DriveActor.ReleaseMedia::new);

    MediaInfo info = info(drive);
    assertEquals(MediaState.CLOSED, info.state());
    assertEquals(2, info.numberOfExistingTracks());
    assertEquals(825, info.usedSectors());
    assertEquals(0, info.freeSectors());

    Path dir = tmp.resolve("drives/sim0");
    Tools.Run cdInfo = Tools.run(dir, "cd-info", "--no-device-info", "--cue-file", "disc.cue");
    assertEquals(0, cdInfo.exitCode(), cdInfo.output());
    Map<Integer, Integer> lsn = trackLsns(cdInfo.output());
    assertEquals(Map.of(1, 0, 2, 525, 170, 825), lsn, cdInfo.output());

    Tools.Run toc = Tools.run(dir, "cdrdao", "toc-info", "disc.toc");
    assertEquals(0, toc.exitCode(), toc.output());
    assertTrue(toc.output().contains("2 tracks") && toc.output().contains("825 blocks"), toc.output());

    // cdrdao reads the samples (byte order included) exactly as the WAVs hold them, gap and padding silent.
    Tools.Run samples = Tools.run(dir, "cdrdao", "show-data", "disc.toc");
    assertEquals(0, samples.exitCode());
    byte[] expected = new byte[825 * 2352];
    System.arraycopy(Wavs.pcm(a), 0, expected, 0, 375 * 2352);
    System.arraycopy(Wavs.pcm(b), 0, expected, 525 * 2352, Wavs.pcm(b).length);
    java.nio.ShortBuffer pcm = java.nio.ByteBuffer.wrap(expected).order(java.nio.ByteOrder.LITTLE_ENDIAN)
        .asShortBuffer();
    List<String> lines = samples.output().lines().filter(l -> l.matches("\\s*\\d+:.*")).toList();
    assertEquals(825 * 588, lines.size());
    for (String line : lines) {
      String[] f = line.trim().split("[:\\s]+");
      assertEquals(pcm.get(), Short.parseShort(f[1]), line);
      assertEquals(pcm.get(), Short.parseShort(f[2]), line);
    }

    Path out = Files.createDirectories(tmp.resolve("bchunk"));
    Tools.Run bchunk = Tools.run(out, "bchunk", "-w", dir.resolve("disc.bin").toString(),
        dir.resolve("disc.cue").toString(), "track");
    assertEquals(0, bchunk.exitCode(), bchunk.output());
    assertPcmThenSilence(Wavs.pcm(a), Wavs.pcm(out.resolve("track01.wav")));
    assertPcmThenSilence(Wavs.pcm(b), Wavs.pcm(out.resolve("track02.wav")));
    assertEquals(300 * 2352, Wavs.pcm(out.resolve("track02.wav")).length); // 3 s padded to 4 s
  }

  @Test
  void leaveOpenThenDataSessionClosesTheDiscAndLaterBurnsChangeNothing() throws Exception {
    Path a = Wavs.write(tmp.resolve("a.wav"), 44_100, 2, 5, 1);
    Path b = Wavs.write(tmp.resolve("b.wav"), 44_100, 2, 3, 2);
    ActorRef<Command> drive = drive("sim1", MediaType.CDR80, WriteSpeed.MAX);
    expectOk(drive, r -> new DriveActor.SetDoNotFinalizeMedia(true, r));
    expectOk(drive, DriveActor.PrepareMedia::new);
    assertEquals(DriveError.MEDIA_IS_PREPARED,
        ask(drive, r -> new DriveActor.SetDoNotFinalizeMedia(false, r)).error());
    expectOk(drive, r -> new DriveActor.AddAudioTrack(a.toString(), null, r));
    expectOk(drive, r -> new DriveActor.AddAudioTrack(b.toString(), null, r));
    expectOk(drive, DriveActor.ReleaseMedia::new);

    MediaInfo open = info(drive);
    assertEquals(MediaState.APPENDABLE, open.state());
    assertEquals(825, open.usedSectors());
    long overhead = (4500 + 6750) + (4500 + 2250) + 150; // both sessions' lead-in/out, next track's gap
    assertEquals(overhead, open.overheadSectors());
    assertEquals(360_000 - 825 - overhead, open.freeSectors());
    Path dir = tmp.resolve("drives/sim1");
    assertEquals(0, Tools.run(dir, "cdrdao", "toc-info", "disc.toc").exitCode());

    Path files = Files.createDirectories(tmp.resolve("originals"));
    Files.writeString(files.resolve("notes.txt"), "recorded by lathe\n");
    Files.write(files.resolve("take1.wav"), Files.readAllBytes(a));
    Reply data = expectOk(drive, r -> new DriveActor.WriteData(List.of(files.toString()), true, null, r));
    assertEquals(3, data.track().number());
    assertEquals(2, data.track().session());
    assertEquals(825 + 11_400, data.track().startLba());
    assertEquals(MediaState.CLOSED, data.media().state());

    Tools.Run ls = Tools.run(dir, "xorriso", "-indev", "stdio:" + dir.resolve("data.img"), "-find", "/",
        "-type", "f");
    assertEquals(0, ls.exitCode(), ls.output());
    assertTrue(ls.output().contains("'/originals/notes.txt'") && ls.output().contains("'/originals/take1.wav'"),
        ls.output());
    Tools.Run extract = Tools.run(tmp, "xorriso", "-osirrox", "on", "-indev", "stdio:" + dir.resolve("data.img"),
        "-extract", "/originals/take1.wav", tmp.resolve("back.wav").toString());
    assertEquals(0, extract.exitCode(), extract.output());
    assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(tmp.resolve("back.wav")));

    Map<String, String> before = digests(dir);
    Reply prepare = ask(drive, DriveActor.PrepareMedia::new);
    assertEquals(DriveError.MEDIA_NOT_APPENDABLE, prepare.error());
    assertTrue(prepare.message().contains("closed"), prepare.message());
    assertEquals(DriveError.MEDIA_NOT_APPENDABLE,
        ask(drive, r -> new DriveActor.WriteData(List.of(files.toString()), false, null, r)).error());
    assertEquals(DriveError.MEDIA_NOT_PREPARED, addTrack(drive, a, null).error());
    assertEquals(before, digests(dir));
  }

  @Test
  void wrongStreamsAreRefusedBeforeAnythingIsWritten() throws Exception {
    Path hz48 = Wavs.write(tmp.resolve("48k.wav"), 48_000, 2, 1, 3);
    Path mono = Wavs.write(tmp.resolve("mono.wav"), 44_100, 1, 1, 4);
    ActorRef<Command> drive = drive("sim0", MediaType.CDR80, WriteSpeed.MAX);
    expectOk(drive, DriveActor.PrepareMedia::new);
    Reply r48 = addTrack(drive, hz48, null);
    assertEquals(DriveError.STREAM_NOT_SUPPORTED, r48.error());
    assertTrue(r48.message().contains("48000 Hz"), r48.message());
    assertEquals(DriveError.STREAM_NOT_SUPPORTED, addTrack(drive, mono, null).error());
    assertEquals(0, info(drive).numberOfExistingTracks());
    assertFalse(Files.exists(tmp.resolve("drives/sim0/disc.bin")));
  }

  @Test
  void aTrackLargerThanTheFreeSpaceIsRefusedBeforeWriting() throws Exception {
    Path small = Wavs.write(tmp.resolve("s.wav"), 44_100, 2, 1, 5);
    Path hour = Wavs.sparse(tmp.resolve("long.wav"), 74 * 60); // 333,000 sectors: more than a 74-min disc frees
    ActorRef<Command> drive = drive("sim0", MediaType.CDR74, WriteSpeed.MAX);
    expectOk(drive, DriveActor.PrepareMedia::new);
    expectOk(drive, r -> new DriveActor.AddAudioTrack(small.toString(), null, r));
    Map<String, String> before = digests(tmp.resolve("drives/sim0"));
    Reply r = addTrack(drive, hour, null);
    assertEquals(DriveError.NOT_ENOUGH_SPACE, r.error());
    assertTrue(r.message().contains("333000 sectors"), r.message());
    assertEquals(before, digests(tmp.resolve("drives/sim0")));
    assertEquals(1, info(drive).numberOfExistingTracks());
  }

  @Test
  void theHundredthTrackIsRefusedWithTrackLimitReached() throws Exception {
    Path one = Wavs.write(tmp.resolve("one.wav"), 44_100, 2, 0.5, 6);
    ActorRef<Command> drive = drive("sim0", MediaType.CDR80, WriteSpeed.MAX);
    expectOk(drive, DriveActor.PrepareMedia::new);
    for (int i = 0; i < 99; i++) {
      expectOk(drive, r -> new DriveActor.AddAudioTrack(one.toString(), null, r));
    }
    long binSize = Files.size(tmp.resolve("drives/sim0/disc.bin"));
    assertEquals((300 + 98 * 450) * 2352L, binSize);
    Reply r = addTrack(drive, one, null);
    assertEquals(DriveError.TRACK_LIMIT_REACHED, r.error());
    assertEquals(binSize, Files.size(tmp.resolve("drives/sim0/disc.bin")));
    expectOk(drive, DriveActor.ReleaseMedia::new);
    Tools.Run cdInfo = Tools.run(tmp.resolve("drives/sim0"), "cd-info", "--no-device-info", "--cue-file",
        "disc.cue");
    assertEquals(99, trackLsns(cdInfo.output()).size() - 1, cdInfo.output());
  }

  @Test
  void cancelAndWriteErrorsKeepThePartialTrackAndThrottlingPacesTheWrite() throws Exception {
    Path a = Wavs.write(tmp.resolve("a.wav"), 44_100, 2, 5, 7);
    ActorRef<Command> drive = drive("sim0", MediaType.CDR80, new WriteSpeed(1));
    expectOk(drive, DriveActor.PrepareMedia::new);
    TestProbe<Update> progress = testKit.createTestProbe();
    TestProbe<Reply> added = testKit.createTestProbe();
    drive.tell(new DriveActor.AddAudioTrack(a.toString(), progress.ref(), added.ref()));
    progress.expectMessageClass(Update.class, WAIT); // PREPARING
    Update first = progress.expectMessageClass(Update.class, WAIT);
    assertEquals(Action.WRITING, first.action());
    assertEquals(15, first.sectorsWritten()); // 1x: 75 sectors/s, paced in 0.2 s steps
    assertTrue(first.remainingMillis() > 4000, first.toString());
    expectOk(drive, DriveActor.CancelAddTrack::new);
    Reply cancelled = added.receiveMessage(WAIT);
    assertEquals(DriveError.CANCELLED, cancelled.error());
    assertTrue(cancelled.track().partial());
    assertEquals(300, cancelled.track().lengthSectors());
    assertTrue(cancelled.track().contentSectors() < 375);

    expectOk(drive, r -> new DriveActor.SetWriteSpeed(0, r));
    expectOk(drive, r -> new DriveActor.InjectWriteFault(50, r));
    Reply failed = addTrack(drive, a, null);
    assertEquals(DriveError.WRITE_FAILED, failed.error());
    assertTrue(failed.message().contains("simulated write error"), failed.message());
    assertEquals(2, failed.media().numberOfExistingTracks());
    assertEquals(DriveError.INVALID_ARGUMENT, ask(drive, r -> new DriveActor.SetWriteSpeed(53, r)).error());
  }

  @Test
  void theDiscSurvivesARestartOfTheDrive() throws Exception {
    Path a = Wavs.write(tmp.resolve("a.wav"), 44_100, 2, 5, 1);
    ActorRef<Command> drive = drive("sim0", MediaType.CDR80, WriteSpeed.MAX);
    expectOk(drive, r -> new DriveActor.SetDoNotFinalizeMedia(true, r));
    expectOk(drive, DriveActor.PrepareMedia::new);
    expectOk(drive, r -> new DriveActor.AddAudioTrack(a.toString(), null, r));
    expectOk(drive, DriveActor.ReleaseMedia::new);
    MediaInfo before = info(drive);
    testKit.stop(drive);

    ActorRef<Command> again = drive("sim0", null, WriteSpeed.MAX);
    MediaInfo after = info(again);
    assertEquals(before.state(), after.state());
    assertEquals(before.expectedTableOfContents(), after.expectedTableOfContents());
    assertEquals(before.freeSectors(), after.freeSectors());

    // A process stopped between two tracks leaves the session open: the drive resumes it.
    ActorRef<Command> third = drive("sim2", MediaType.CDR80, WriteSpeed.MAX);
    expectOk(third, DriveActor.PrepareMedia::new);
    expectOk(third, r -> new DriveActor.AddAudioTrack(a.toString(), null, r));
    testKit.stop(third);
    ActorRef<Command> resumed = drive("sim2", null, WriteSpeed.MAX);
    assertTrue(info(resumed).prepared());
    assertEquals(2, expectOk(resumed, r -> new DriveActor.AddAudioTrack(a.toString(), null, r)).track().number());
    expectOk(resumed, DriveActor.ReleaseMedia::new);
    assertEquals(MediaState.CLOSED, info(resumed).state());
    assertEquals(525 + 375, info(resumed).usedSectors());

    expectOk(again, DriveActor.EjectMedia::new);
    assertEquals(MediaState.NONE, info(again).state());
    assertEquals(DriveError.NO_MEDIA, ask(again, DriveActor.PrepareMedia::new).error());
    expectOk(again, r -> new DriveActor.LoadMedia(MediaType.DVDR, r));
    assertEquals(2_298_496, info(again).freeSectors());
    assertEquals(DriveError.MEDIA_NOT_SUPPORTED, ask(again, DriveActor.PrepareMedia::new).error());
    try (var shelf = Files.list(tmp.resolve("drives/sim0/ejected"))) {
      assertEquals(1, shelf.count()); // the ejected disc's images are kept
    }
  }

  private static Map<Integer, Integer> trackLsns(String cdInfo) {
    Map<Integer, Integer> lsn = new LinkedHashMap<>();
    Matcher m = Pattern.compile("(?m)^\\s*(\\d+): \\d\\d:\\d\\d:\\d\\d\\s+(\\d+) ").matcher(cdInfo);
    while (m.find()) {
      lsn.put(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
    }
    return lsn;
  }

  private static void assertPcmThenSilence(byte[] input, byte[] extracted) {
    assertTrue(extracted.length >= input.length, "extracted track shorter than its input");
    byte[] head = java.util.Arrays.copyOf(extracted, input.length);
    assertArrayEquals(input, head);
    for (int i = input.length; i < extracted.length; i++) {
      if (extracted[i] != 0) {
        throw new AssertionError("non-silent padding at byte " + i);
      }
    }
  }

  private static Map<String, String> digests(Path dir) throws Exception {
    Map<String, String> sums = new LinkedHashMap<>();
    List<Path> files = new ArrayList<>();
    try (var s = Files.list(dir)) {
      s.filter(Files::isRegularFile).sorted().forEach(files::add);
    }
    for (Path f : files) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      sums.put(f.getFileName().toString(), HexFormat.of().formatHex(md.digest(Files.readAllBytes(f))));
    }
    return sums;
  }
}
