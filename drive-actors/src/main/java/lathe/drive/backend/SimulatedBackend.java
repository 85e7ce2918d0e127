package lathe.drive.backend;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import lathe.disc.CdrdaoToc;
import lathe.disc.CueSheet;
import lathe.disc.Disc;
import lathe.disc.DiscException;
import lathe.disc.DriveError;
import lathe.disc.MediaType;
import lathe.disc.RedBook;
import lathe.disc.Track;
import lathe.disc.TrackKind;
import lathe.disc.WavInfo;

/**
 * A burner whose disc is a folder: {@code disc.bin} (the audio session from LBA 0, raw little-endian CD-DA with
 * its TAO gaps), {@code disc.cue} and {@code disc.toc} describing it, {@code data.img} (an xorriso stdio:
 * pseudo-drive holding the data sessions) and {@code state.json}. The images burn as they are
 * ({@code cdrdao write disc.toc}, {@code cdrecord -dao cuefile=disc.cue}).
 */
public final class SimulatedBackend implements BurnerBackend {
  public static final String BIN = "disc.bin";
  public static final String CUE = "disc.cue";
  public static final String TOC = "disc.toc";
  public static final String DATA = "data.img";
  public static final String STATE = "state.json";

  private final Path dir;
  private final MediaType firstMedia;
  private final StateFile state;
  private int faultAtPercent = -1;
  private boolean faultOnce;

  /** {@code firstMedia}: loaded on the very first start (null: empty tray); afterwards state.json decides. */
  public SimulatedBackend(Path dir, MediaType firstMedia) {
    this.dir = dir;
    this.firstMedia = firstMedia;
    this.state = new StateFile(dir.resolve(STATE));
  }

  public Path directory() {
    return dir;
  }

  /** Audio tracks fail with a write error once this share of each is written; negative: never. */
  public void injectWriteFault(int percent) {
    injectWriteFault(percent, false);
  }

  /** As {@link #injectWriteFault(int)}; {@code once}: only the next audio track fails. */
  public synchronized void injectWriteFault(int percent, boolean once) {
    this.faultAtPercent = percent;
    this.faultOnce = once;
  }

  @Override
  public String kind() {
    return "simulated";
  }

  @Override
  public Disc load() throws IOException {
    Files.createDirectories(dir);
    boolean fresh = !Files.exists(dir.resolve(STATE));
    Disc disc = state.read(firstMedia == null ? null : Disc.blank(firstMedia));
    if (fresh) {
      state.write(disc);
    }
    if (disc != null) {
      // A track being written when the process died was never recorded: drop its bytes, keep the rest.
      long audioEnd = audioSessionEnd(disc) * RedBook.SECTOR_BYTES;
      Path bin = dir.resolve(BIN);
      if (Files.exists(bin) && Files.size(bin) > audioEnd) {
        try (FileChannel ch = FileChannel.open(bin, StandardOpenOption.WRITE)) {
          ch.truncate(audioEnd);
          ch.force(true);
        }
      }
    }
    return disc;
  }

  @Override
  public Disc insert(MediaType media) throws IOException {
    Disc current = state.read(null);
    if (current != null && !current.sessions().isEmpty()) {
      throw new DiscException(DriveError.INVALID_ARGUMENT,
          "the drive holds a " + current.media().label() + " with data; eject it first");
    }
    for (String f : List.of(BIN, CUE, TOC, DATA)) {
      Files.deleteIfExists(dir.resolve(f));
    }
    Disc blank = Disc.blank(media);
    state.write(blank);
    return blank;
  }

  /**
   * The disc leaves the tray but its images are kept, under {@code ejected/SHELF/} (SHELF of
   * [A-Za-z0-9._-], not used yet) or else {@code ejected/disc-TIMESTAMP/}.
   */
  @Override
  public void eject(String shelfName) throws IOException {
    Disc current = state.read(null);
    if (current != null && !current.sessions().isEmpty()) {
      String stamp = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'").withZone(ZoneOffset.UTC)
          .format(Instant.now());
      boolean named = shelfName != null && shelfName.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
          && !Files.exists(dir.resolve("ejected").resolve(shelfName));
      Path shelf = dir.resolve("ejected").resolve(named ? shelfName : "disc-" + stamp);
      Files.createDirectories(shelf);
      for (String f : List.of(BIN, CUE, TOC, DATA)) {
        if (Files.exists(dir.resolve(f))) {
          Files.move(dir.resolve(f), shelf.resolve(f), StandardCopyOption.ATOMIC_MOVE);
        }
      }
      Files.copy(dir.resolve(STATE), shelf.resolve(STATE));
    } else {
      for (String f : List.of(BIN, CUE, TOC, DATA)) {
        Files.deleteIfExists(dir.resolve(f));
      }
    }
    state.write(null);
  }

  @Override
  public AudioTrackWriter openAudioTrack(Disc before, Track track, WavInfo wav, WriteSpeed speed)
      throws IOException {
    int fault;
    synchronized (this) {
      fault = faultAtPercent;
      if (faultOnce) {
        faultAtPercent = -1;
        faultOnce = false;
      }
    }
    return new SimAudioWriter(dir.resolve(BIN), track, wav, fault);
  }

  @Override
  public void commit(Disc disc) throws IOException {
    List<Track> audio = disc.tracks().stream().filter(t -> t.kind() == TrackKind.AUDIO).toList();
    if (!audio.isEmpty()) {
      boolean multi = disc.sessions().size() > 1 || (!disc.finalized() && !disc.hasOpenSession());
      StateFile.writeText(dir.resolve(CUE), CueSheet.render(BIN, audio));
      StateFile.writeText(dir.resolve(TOC), CdrdaoToc.render(BIN, audio, multi));
    }
    state.write(disc);
  }

  @Override
  public void closeSession(Disc after, boolean leaveOpen, WriteSpeed speed) throws IOException {
    commit(after);
  }

  @Override
  public Track writeDataSession(Disc before, List<Path> paths, boolean close) throws IOException {
    return new XorrisoStdioDrive(dir.resolve(DATA)).appendSession(before, paths, close);
  }

  @Override
  public Map<String, String> images() {
    Map<String, String> images = new LinkedHashMap<>();
    for (String[] f : new String[][] {{"cue", CUE}, {"toc", TOC}, {"bin", BIN}, {"data", DATA}}) {
      Path p = dir.resolve(f[1]);
      if (Files.exists(p)) {
        images.put(f[0], p.toAbsolutePath().toString());
      }
    }
    return images;
  }

  private static long audioSessionEnd(Disc disc) {
    return disc.tracks().stream().filter(t -> t.kind() == TrackKind.AUDIO).mapToLong(Track::endLba).max()
        .orElse(0);
  }
}
