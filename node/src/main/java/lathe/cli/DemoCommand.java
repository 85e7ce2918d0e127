package lathe.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import lathe.protocol.Container;
import lathe.protocol.FileInfo;
import lathe.disc.MediaState;
import lathe.drive.DiscBurner;
import lathe.drive.DriveActor;
import lathe.drive.LocalDrives;
import lathe.drive.backend.WriteSpeed;
import lathe.protocol.Metadata;
import lathe.source.MediaSource;
import lathe.source.Sources;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Record a short programme on the embedded node and show what was made and how to inspect it.")
final class DemoCommand implements Callable<Integer> {

  @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "lathe-data",
      description = "Node data (archive, drive images, state); default ./${DEFAULT-VALUE}.")
  Path dataDir;

  @Option(names = "--progress", description = "Show progress bars on stderr even when it is not a terminal.")
  boolean progress;

  @Override
  public Integer call() throws Exception {
    Path archive = dataDir.toAbsolutePath().normalize().resolve("archive");
    Files.createDirectories(archive);
    String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    Path wav = archive.resolve("demo-" + stamp + ".wav");
    try (EmbeddedNode node = EmbeddedNode.start(dataDir);
        Progress bar = new Progress(progress)) {
      System.out.println("lathe demo: an embedded single-node cluster with data in " + node.dataDir());
      // 44.1 kHz, 16-bit stereo: Red Book audio, so the same file can be burned as a CD track below.
      FileInfo tone = record(node, wav, List.of("tone:44100:2:997"), Duration.ofSeconds(5),
          "Lathe demo: 997 Hz tone, 44.1 kHz stereo", bar);
      System.out.printf(Locale.ROOT, "1. Broadcast WAV: %s%n   %,d bytes, %.3f s, %d samples; bext chunk with "
              + "description, originator and time reference%n", tone.getPath(), tone.getBytes(),
          tone.getDurationSeconds(), tone.getStreams(0).getSamples());
      System.out.println("   inspect: ffprobe -hide_banner -show_format " + tone.getPath());
      System.out.println("            sox --i " + tone.getPath());

      Path mp4 = archive.resolve("demo-" + stamp + ".mp4");
      FileInfo card = record(node, mp4, List.of("testcard:640x360@25", "tone:48000:2:997"), Duration.ofSeconds(5),
          "Lathe demo: test card and tone", bar);
      System.out.printf(Locale.ROOT, "2. MP4 (MJPEG test card + PCM tone): %s%n   %,d bytes, %.3f s, %d video and "
              + "%d audio samples in one plain moov%n", card.getPath(), card.getBytes(), card.getDurationSeconds(),
          card.getStreams(0).getSamples(), card.getStreams(1).getSamples());
      System.out.println("   inspect: ffprobe -hide_banner " + card.getPath());

      Path killed = archive.resolve("demo-" + stamp + "-killed.mp4");
      KillDemo.Outcome k = KillDemo.run(node.dataDir(), killed);
      System.out.printf(Locale.ROOT, "3. kill -9 during a live recording, then lathe recover: %s%n   %,d samples "
              + "acknowledged before the kill, %,d recovered (%,d bytes)%n", k.recovered(), k.acknowledged(),
          k.samples(), k.bytes());
      System.out.println("   inspect: ffprobe -hide_banner " + k.recovered());

      DiscBurner burner = new DiscBurner(node.system(), LocalDrives.start(node.system(), node.dataDir()).get("sim0"));
      MediaState state = burner.mediaInfo().state();
      if (state != MediaState.BLANK) {
        if (state != MediaState.NONE) {
          burner.eject(); // an earlier demo's disc: its images are kept aside under ejected/
        }
        burner.load(lathe.disc.MediaType.CDR80);
      }
      DiscBurner.BurnResult cd = burner.burnAudioThenData(List.of(wav),
          List.of(wav, Path.of(card.getPath()), k.recovered()), WriteSpeed.MAX, u -> bar.update(
              "burning", u.sectorsWritten(), u.sectorsTotal(), "sectors"));
      DriveActor.MediaInfo disc = cd.media();
      System.out.printf(Locale.ROOT, "4. CD-Extra on simulated drive %s: the WAV as audio track 1 (disc left open), "
              + "then a data session with the three files; disc %s, %d sessions, %,d of %,d sectors used%n",
          cd.driveId(), disc.state().name().toLowerCase(Locale.ROOT), disc.sessions(), disc.usedSectors(),
          disc.totalSectors());
      System.out.println("   inspect: cd-info --no-device-info --cue-file " + disc.images().get("cue"));
      System.out.println("            cdrdao toc-info " + disc.images().get("toc"));
      System.out.println("            xorriso -indev stdio:" + disc.images().get("data") + " -ls /");
    }
    return 0;
  }

  static FileInfo record(EmbeddedNode node, Path out, List<String> specs, Duration duration, String description,
      Progress bar) throws Exception {
    List<MediaSource> sources = new java.util.ArrayList<>();
    try {
      for (String spec : specs) {
        sources.add(Sources.open(spec, duration));
      }
      Metadata md = Metadata.newBuilder().setDescription(description).setOriginator("lathe demo")
          .setOriginatorReference(out.getFileName().toString()).build();
      Recorder.Outcome o = Recording.run(node,
          new Recorder.Request(out.toString(), Container.CONTAINER_UNSPECIFIED, md, duration, false),
          sources, null, bar, recorder -> { });
      if (!o.result().getOk()) {
        throw new UserError(o.result().getError().getMessage());
      }
      return o.result().getFile();
    } finally {
      for (MediaSource s : sources) {
        s.close();
      }
    }
  }
}
