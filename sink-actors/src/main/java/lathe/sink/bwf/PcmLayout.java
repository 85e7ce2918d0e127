package lathe.sink.bwf;

import lathe.protocol.AudioFormat;
import lathe.protocol.Codec;
import lathe.protocol.MediaType;

/** The PCM shape a WAV file stores: rate, channels, width, float or integer, and the input byte order. */
record PcmLayout(int sampleRate, int channels, int bitsPerSample, boolean floatingPoint, boolean bigEndian) {

  int bytesPerSample() {
    return bitsPerSample / 8;
  }

  /** Bytes of one frame (one sample on every channel), the WAV nBlockAlign. */
  int blockAlign() {
    return channels * bytesPerSample();
  }

  long byteRate() {
    return (long) sampleRate * blockAlign();
  }

  /** Returns null when a BWF file can hold this stream, otherwise the one-line reason. */
  static String refuse(MediaType type) {
    if (type.getCodec() != Codec.PCM) {
      String codec = type.getCodec() == Codec.CODEC_UNSPECIFIED
          ? "a stream without codec" : type.getCodec().name().toLowerCase();
      return "bwf holds one PCM audio stream; use mp4 for " + codec;
    }
    if (!type.hasAudio()) {
      return "bwf holds one PCM audio stream; this PCM stream has no audio format";
    }
    AudioFormat a = type.getAudio();
    if (a.getSampleRate() == 0) {
      return "bwf needs a sample rate above 0 Hz";
    }
    if (a.getSampleRate() < 0) {
      return "bwf sample rate " + Integer.toUnsignedString(a.getSampleRate()) + " Hz is too large";
    }
    if (a.getChannels() == 0) {
      return "bwf needs at least one channel";
    }
    if (a.getChannels() > 0xFFFF) {
      return "bwf holds at most 65535 channels, not " + Integer.toUnsignedString(a.getChannels());
    }
    int bits = a.getBitsPerSample();
    if (a.getFloatingPoint() ? bits != 32 && bits != 64 : bits != 8 && bits != 16 && bits != 24 && bits != 32) {
      return a.getFloatingPoint()
          ? "bwf float PCM is 32 or 64 bits, not " + Integer.toUnsignedString(bits)
          : "bwf integer PCM is 8, 16, 24 or 32 bits, not " + Integer.toUnsignedString(bits);
    }
    long blockAlign = (long) a.getChannels() * (bits / 8);
    if (blockAlign > 0xFFFF || Integer.toUnsignedLong(a.getSampleRate()) * blockAlign > 0xFFFFFFFFL) {
      return "bwf cannot describe " + Integer.toUnsignedString(a.getChannels()) + " channels of " + bits
          + " bits at " + Integer.toUnsignedString(a.getSampleRate()) + " Hz (frame or byte rate too large)";
    }
    return null;
  }

  /** The layout of a stream {@link #refuse} accepted; throws IllegalArgumentException with the reason otherwise. */
  static PcmLayout of(MediaType type) {
    String reason = refuse(type);
    if (reason != null) {
      throw new IllegalArgumentException(reason);
    }
    AudioFormat a = type.getAudio();
    return new PcmLayout(a.getSampleRate(), a.getChannels(), a.getBitsPerSample(), a.getFloatingPoint(),
        a.getBigEndian());
  }
}
