package lathe.drive.backend;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import lathe.disc.RedBook;
import lathe.disc.Track;
import lathe.disc.WavInfo;

/**
 * Writes one TAO track into the BIN image: the gap as silence, the WAV's PCM (already little-endian, as CD-DA
 * images keep it), then silence up to the padded length (IEC 60908: 588 stereo frames per 2352-byte sector).
 */
final class SimAudioWriter implements AudioTrackWriter {
  private static final int SECTORS_PER_IO = 512;

  private final FileChannel bin;
  private final FileChannel wav;
  private final Track track;
  private final WavInfo info;
  private final long base;
  private final long total;
  private final long faultSector;
  private long written;

  SimAudioWriter(Path binPath, Track track, WavInfo info, int faultAtPercent) throws IOException {
    this.track = track;
    this.info = info;
    this.base = (track.startLba() - track.gapSectors()) * RedBook.SECTOR_BYTES;
    this.total = track.footprint();
    this.faultSector = faultAtPercent < 0 ? -1 : total * faultAtPercent / 100;
    this.bin = FileChannel.open(binPath, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.READ);
    this.bin.truncate(base);
    this.wav = FileChannel.open(info.path(), StandardOpenOption.READ);
  }

  @Override
  public long totalSectors() {
    return total;
  }

  @Override
  public long writtenSectors() {
    return written;
  }

  @Override
  public long write(long sectors) throws IOException {
    long end = Math.min(total, written + sectors);
    if (faultSector >= 0 && faultSector >= written && faultSector < end) {
      writeRange(faultSector);
      throw new IOException("simulated write error at LBA " + (track.startLba() - track.gapSectors() + faultSector));
    }
    writeRange(end);
    return written;
  }

  private void writeRange(long end) throws IOException {
    while (written < end) {
      long to = Math.min(end, written + SECTORS_PER_IO);
      ByteBuffer buf = ByteBuffer.allocate((int) ((to - written) * RedBook.SECTOR_BYTES));
      long gap = track.gapSectors();
      long audioFrom = Math.max(written, gap);
      if (audioFrom < to) {
        long pcmFrom = (audioFrom - gap) * RedBook.SECTOR_BYTES;
        long pcmTo = Math.min((to - gap) * RedBook.SECTOR_BYTES, info.dataBytes());
        if (pcmTo > pcmFrom) {
          int at = (int) ((audioFrom - written) * RedBook.SECTOR_BYTES);
          ByteBuffer slice = buf.duplicate().position(at).limit(at + (int) (pcmTo - pcmFrom));
          while (slice.hasRemaining()) {
            if (wav.read(slice, info.dataOffset() + pcmFrom + (slice.position() - at)) < 0) {
              throw new IOException(info.path() + " ended early");
            }
          }
        }
      }
      while (buf.hasRemaining()) {
        bin.write(buf, base + written * RedBook.SECTOR_BYTES + buf.position());
      }
      written = to;
    }
  }

  @Override
  public Track finish() throws IOException {
    bin.force(true);
    return track;
  }

  @Override
  public Track abandon() throws IOException {
    long content = Math.max(0, Math.min(written - track.gapSectors(), track.contentSectors()));
    long length = RedBook.paddedTrackSectors(content);
    long end = track.gapSectors() + length;
    long keep = Math.min(written, end);
    // Whatever lies past the written part (a failed chunk's bytes) becomes the silence of the padding.
    bin.truncate(base + keep * RedBook.SECTOR_BYTES);
    if (keep < end) {
      bin.write(ByteBuffer.allocate(1), base + end * RedBook.SECTOR_BYTES - 1);
    }
    bin.force(true);
    return new Track(track.number(), track.session(), track.kind(), track.startLba(), track.gapSectors(), length,
        content, true, track.source());
  }

  @Override
  public void close() throws IOException {
    try (wav) {
      bin.close();
    }
  }
}
