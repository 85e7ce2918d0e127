package lathe.sink;

import lathe.protocol.Codec;
import lathe.protocol.MediaType;

/** Checks of a media type that hold for every container. */
final class MediaTypes {
  private MediaTypes() {}

  /** Null when well-formed, otherwise a one-line reason. */
  static String check(MediaType t) {
    if (t == null || t.getCodec() == Codec.CODEC_UNSPECIFIED || t.getCodec() == Codec.UNRECOGNIZED) {
      return "the media type names no codec";
    }
    boolean audio = t.getCodec() == Codec.PCM || t.getCodec() == Codec.AAC || t.getCodec() == Codec.OPUS;
    if (audio) {
      if (!t.hasAudio()) {
        return t.getCodec() + " is audio: the media type needs an audio format (rate, channels)";
      }
      if (t.getAudio().getSampleRate() == 0) {
        return "sample rate 0 is not a rate";
      }
      if (t.getAudio().getChannels() == 0) {
        return "an audio stream needs at least one channel";
      }
      if (t.getCodec() == Codec.PCM) {
        int bits = t.getAudio().getBitsPerSample();
        boolean ok = t.getAudio().getFloatingPoint() ? bits == 32 || bits == 64
            : bits == 8 || bits == 16 || bits == 24 || bits == 32;
        if (!ok) {
          return "PCM with " + bits + " bits per sample is not supported (8, 16, 24, 32; float 32, 64)";
        }
      }
    } else if (!t.hasVideo()) {
      return t.getCodec() + " is video: the media type needs a video format (width, height)";
    }
    return null;
  }

  /** Fills in the default timescale: the sample rate for audio, 90 kHz for video. */
  static MediaType normalize(MediaType t) {
    if (t.getTimescale() != 0) {
      return t;
    }
    int timescale = t.hasAudio() ? t.getAudio().getSampleRate() : 90_000;
    return t.toBuilder().setTimescale(timescale).build();
  }
}
