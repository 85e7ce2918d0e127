package lathe.source;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import lathe.protocol.AudioFormat;
import lathe.protocol.Codec;
import lathe.protocol.MediaType;
import lathe.protocol.Sample;

/**
 * Raw little-endian signed PCM (`ffmpeg ... -f s16le -`), cut into samples of about 20 ms: short enough for live
 * acknowledgement, long enough that the per-sample overhead stays small.
 */
public final class PcmSource implements MediaSource {

  private final InputStream in;
  private final MediaType type;
  private final int frameBytes;
  private final int framesPerSample;
  private long seq;
  private long frames;
  private boolean ended;

  public PcmSource(Path path, int sampleRate, int channels, int bitsPerSample) throws IOException {
    this(Files.newInputStream(path), sampleRate, channels, bitsPerSample);
  }

  public PcmSource(InputStream in, int sampleRate, int channels, int bitsPerSample) {
    this(in, sampleRate, channels, bitsPerSample, null);
  }

  /** Samples of {@code packet} each (null: 20 ms). */
  public PcmSource(InputStream in, int sampleRate, int channels, int bitsPerSample, java.time.Duration packet) {
    try {
      check(sampleRate, channels, bitsPerSample);
    } catch (SourceException e) {
      closeQuietly(in);
      throw e;
    }
    this.in = in;
    this.frameBytes = channels * bitsPerSample / 8;
    this.framesPerSample = Sources.framesPerPacket(sampleRate, frameBytes, packet);
    this.type = MediaType.newBuilder()
        .setCodec(Codec.PCM)
        .setAudio(AudioFormat.newBuilder()
            .setSampleRate(sampleRate)
            .setChannels(channels)
            .setBitsPerSample(bitsPerSample))
        .setTimescale(sampleRate)
        .build();
  }

  @Override
  public List<MediaType> streams() {
    return List.of(type);
  }

  @Override
  public Sample next() throws IOException {
    if (ended) {
      return null;
    }
    byte[] data = in.readNBytes(framesPerSample * frameBytes);
    int whole = data.length / frameBytes;
    if (whole < framesPerSample) {
      ended = true;
      if (whole == 0) {
        return null;
      }
    }
    long pts = frames;
    frames += whole;
    return Sample.newBuilder()
        .setStream(0)
        .setSeq(seq++)
        .setPts(pts)
        .setDts(pts)
        .setDuration(whole)
        .setKey(true)
        // A cut-off last frame (fewer bytes than one sample per channel) is dropped.
        .setData(ByteString.copyFrom(data, 0, whole * frameBytes))
        .build();
  }

  @Override
  public void close() throws IOException {
    in.close();
  }

  private static void check(int sampleRate, int channels, int bitsPerSample) {
    if (sampleRate < 1 || sampleRate > 768_000) {
      throw new SourceException("pcm: sample rate " + sampleRate + " is out of range (1..768000)");
    }
    if (channels < 1 || channels > 64) {
      throw new SourceException("pcm: channel count " + channels + " is out of range (1..64)");
    }
    if (bitsPerSample != 16 && bitsPerSample != 24 && bitsPerSample != 32) {
      throw new SourceException("pcm: " + bitsPerSample + " bits per sample is not supported;"
          + " use 16, 24 or 32 (signed little-endian)");
    }
  }

  private static void closeQuietly(InputStream in) {
    try {
      in.close();
    } catch (IOException ignored) {
      // The spec error is what the user needs to see.
    }
  }
}
