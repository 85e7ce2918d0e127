package lathe.sink.mp4;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import lathe.protocol.AudioFormat;
import lathe.protocol.Codec;
import lathe.protocol.Container;
import lathe.protocol.MediaType;
import lathe.protocol.Metadata;
import lathe.sink.container.ContainerFormat;
import lathe.sink.container.ContainerWriter;
import lathe.sink.container.SampleTable;

/** ISO BMFF (MP4): fragmented while recording, one plain moov at Finalize. See {@link Mp4Writer}. */
public final class Mp4Format implements ContainerFormat {

  public static final Duration DEFAULT_FRAGMENT_DURATION = Duration.ofSeconds(2);

  private final Duration fragmentDuration;

  public Mp4Format() {
    this(DEFAULT_FRAGMENT_DURATION);
  }

  public Mp4Format(Duration fragmentDuration) {
    if (fragmentDuration.isNegative() || fragmentDuration.isZero()) {
      throw new IllegalArgumentException("fragment duration must be positive, not " + fragmentDuration);
    }
    this.fragmentDuration = fragmentDuration;
  }

  @Override
  public Container container() {
    return Container.MP4;
  }

  @Override
  public String refuse(List<MediaType> existing, MediaType candidate) {
    Codec codec = candidate.getCodec();
    switch (codec) {
      case H264, HEVC, MJPEG -> {
        if (!candidate.hasVideo() || candidate.getVideo().getWidth() <= 0 || candidate.getVideo().getHeight() <= 0) {
          return "mp4: a " + codec + " stream needs a video format with width and height";
        }
        if (codec != Codec.MJPEG && candidate.getCodecConfig().isEmpty()) {
          return "mp4: a " + codec + " stream needs its codec config (" + (codec == Codec.H264 ? "avcC" : "hvcC")
              + " body)";
        }
      }
      case AAC, OPUS, PCM -> {
        if (!candidate.hasAudio() || candidate.getAudio().getChannels() <= 0
            || candidate.getAudio().getSampleRate() <= 0) {
          return "mp4: a " + codec + " stream needs an audio format with sample rate and channels";
        }
        AudioFormat a = candidate.getAudio();
        if (codec == Codec.AAC && candidate.getCodecConfig().isEmpty()) {
          return "mp4: an AAC stream needs its AudioSpecificConfig as codec config";
        }
        if (codec == Codec.PCM && Mp4Boxes.pcmFourcc(a) == null) {
          return "mp4: PCM of " + a.getBitsPerSample() + " bits" + (a.getFloatingPoint() ? " float" : "")
              + " is not supported (use 8, 16, 24 or 32-bit integer or 32/64-bit float)";
        }
        if (codec == Codec.PCM && a.getSampleRate() > 0xFFFF) {
          return "mp4: PCM above 65535 Hz is not supported in mp4; use bwf";
        }
      }
      default -> {
        return "mp4 cannot hold codec " + codec;
      }
    }
    if (candidate.getTimescale() == 0 && candidate.hasAudio() && candidate.getAudio().getSampleRate() == 0) {
      return "mp4: stream has neither timescale nor sample rate";
    }
    return null;
  }

  @Override
  public ContainerWriter create(FileChannel channel, List<MediaType> streams, Metadata metadata)
      throws IOException {
    return Mp4Writer.create(channel, tracks(streams), created(), fragmentDuration);
  }

  @Override
  public ContainerWriter resume(FileChannel channel, List<MediaType> streams, Metadata metadata,
      SampleTable samples) throws IOException {
    return Mp4Writer.resume(channel, tracks(streams), created(), samples);
  }

  private List<Track> tracks(List<MediaType> streams) {
    if (streams.isEmpty()) {
      throw new IllegalArgumentException("mp4: a recording needs at least one stream");
    }
    List<Track> tracks = new ArrayList<>();
    for (int i = 0; i < streams.size(); i++) {
      String why = refuse(streams.subList(0, i), streams.get(i));
      if (why != null) {
        throw new IllegalArgumentException("stream " + i + ": " + why);
      }
      tracks.add(Track.of(i, streams.get(i)));
    }
    return tracks;
  }

  private static long created() {
    return Instant.now().getEpochSecond() + Mp4Boxes.EPOCH_1904;
  }
}
