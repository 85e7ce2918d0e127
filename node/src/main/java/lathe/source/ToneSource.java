package lathe.source;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import lathe.protocol.AudioFormat;
import lathe.protocol.Codec;
import lathe.protocol.MediaType;
import lathe.protocol.Sample;

/**
 * A half-scale sine on every channel as 16-bit little-endian PCM, the `tone:RATE:CHANNELS[:HZ]` source. Frame n is
 * {@code round(0.5 * 32767 * sin(2 pi hz n / rate))}, so a test can compute any stretch of it independently.
 */
public final class ToneSource implements MediaSource {

  /** 997 Hz shares no factor with the usual sample rates, so every sample of a test tone differs (AES17). */
  public static final double DEFAULT_HZ = 997;

  private static final long MAX_SAMPLE_BYTES = 16 << 20;

  private final int rate;
  private final int channels;
  private final double hz;
  private final long totalFrames;
  private final int framesPerSample;
  private final MediaType type;
  private long frame;
  private long seq;

  /** {@code totalFrames} = -1 for an endless tone; samples of 20 ms. */
  public ToneSource(int rate, int channels, double hz, long totalFrames) {
    this(rate, channels, hz, totalFrames, Math.max(1, rate / 50));
  }

  public ToneSource(int rate, int channels, double hz, long totalFrames, int framesPerSample) {
    if (rate <= 0) {
      throw new SourceException("tone: the sample rate must be above 0 Hz, not " + rate);
    }
    if (channels <= 0 || channels > 0xFFFF) {
      throw new SourceException("tone: the channel count must be 1 to 65535, not " + channels);
    }
    if (!(hz >= 0) || Double.isInfinite(hz)) {
      throw new SourceException("tone: the frequency must be 0 Hz or more, not " + hz);
    }
    if (totalFrames < -1) {
      throw new SourceException("tone: the length must be -1 (endless) or 0 frames or more, not " + totalFrames);
    }
    if (framesPerSample <= 0) {
      throw new SourceException("tone: a sample must hold at least one frame, not " + framesPerSample);
    }
    if ((long) framesPerSample * channels * 2 > MAX_SAMPLE_BYTES) {
      throw new SourceException("tone: " + framesPerSample + " frames of " + channels
          + " channels make a sample over 16 MiB");
    }
    this.rate = rate;
    this.channels = channels;
    this.hz = hz;
    this.totalFrames = totalFrames;
    this.framesPerSample = framesPerSample;
    this.type = MediaType.newBuilder().setCodec(Codec.PCM).setTimescale(rate)
        .setAudio(AudioFormat.newBuilder().setSampleRate(rate).setChannels(channels).setBitsPerSample(16))
        .build();
  }

  @Override
  public List<MediaType> streams() {
    return List.of(type);
  }

  @Override
  public Sample next() {
    long frames = totalFrames < 0 ? framesPerSample : Math.min(framesPerSample, totalFrames - frame);
    if (frames <= 0) {
      return null;
    }
    ByteBuffer pcm = ByteBuffer.allocate((int) frames * channels * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (long n = frame; n < frame + frames; n++) {
      short value = (short) Math.round(0.5 * 32767 * Math.sin(2 * Math.PI * hz * n / rate));
      for (int c = 0; c < channels; c++) {
        pcm.putShort(value);
      }
    }
    Sample sample = Sample.newBuilder().setStream(0).setSeq(seq++).setPts(frame).setDts(frame)
        .setDuration(frames).setKey(true).setData(ByteString.copyFrom(pcm.flip())).build();
    frame += frames;
    return sample;
  }

  @Override
  public void close() {}
}
