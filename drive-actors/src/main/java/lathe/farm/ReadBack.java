package lathe.farm;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import lathe.disc.RedBook;
import lathe.disc.Track;
import lathe.disc.TrackKind;
import lathe.drive.backend.Xorriso;
import lathe.protocol.FarmSource;

/**
 * Verify after write: the disc is read back from its images, not from what the writer believes it wrote. An
 * audio track must hold the source's PCM bit for bit followed by silence up to its padded length (IEC 60908
 * CD-DA, little-endian as in the BIN image); a data session's files are copied out by xorriso and hashed.
 */
public final class ReadBack {
  private ReadBack() {}

  /** Null when every track of {@code tracks} matches its source, else what differs. */
  public static String verifyAudio(Path bin, List<Track> tracks, List<FarmSource> sources) throws IOException {
    List<Track> audio = tracks.stream().filter(t -> t.kind() == TrackKind.AUDIO).toList();
    if (audio.size() != sources.size()) {
      return "the disc has " + audio.size() + " audio tracks, the plan " + sources.size();
    }
    try (FileChannel ch = FileChannel.open(bin, StandardOpenOption.READ)) {
      for (int i = 0; i < audio.size(); i++) {
        Track t = audio.get(i);
        FarmSource s = sources.get(i);
        long start = t.startLba() * RedBook.SECTOR_BYTES;
        long length = t.lengthSectors() * RedBook.SECTOR_BYTES;
        if (t.partial() || s.getPcmBytes() > length || start + length > ch.size()) {
          return "track " + t.number() + " is shorter than " + s.getName();
        }
        String read = Checksums.sha256(ch, start, s.getPcmBytes());
        if (!read.equals(s.getPcmSha256())) {
          return "track " + t.number() + " does not read back as " + s.getName() + " (SHA-256 " + read
              + ", expected " + s.getPcmSha256() + ")";
        }
        if (!Checksums.allZero(ch, start + s.getPcmBytes(), length - s.getPcmBytes())) {
          return "track " + t.number() + " has data after " + s.getName() + " where silence belongs";
        }
      }
    }
    return null;
  }

  /** Null when each file of {@code expected} (disc name → SHA-256) reads back from the data image intact. */
  public static String verifyData(Path dataImage, Map<String, String> expected, Path scratch) throws IOException {
    Files.createDirectories(scratch);
    try {
      for (Map.Entry<String, String> e : expected.entrySet()) {
        Path out = scratch.resolve("readback-" + Math.abs(e.getKey().hashCode()));
        Files.deleteIfExists(out);
        Xorriso.extract("stdio:" + dataImage, "/" + e.getKey(), out);
        if (!Files.isRegularFile(out)) {
          return "/" + e.getKey() + " is missing from the data session";
        }
        String read = Checksums.sha256(out);
        Files.delete(out);
        if (!read.equals(e.getValue())) {
          return "/" + e.getKey() + " does not read back intact (SHA-256 " + read + ", expected " + e.getValue()
              + ")";
        }
      }
    } finally {
      FarmFiles.deleteTree(scratch);
    }
    return null;
  }
}
