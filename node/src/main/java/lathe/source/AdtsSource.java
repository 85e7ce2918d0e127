package lathe.source;

import com.google.protobuf.ByteString;
import java.io.BufferedInputStream;
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
 * AAC in ADTS (what `ffmpeg ... -f adts -` writes): one sample per raw AAC frame with the ADTS header (and CRC)
 * stripped, and the AudioSpecificConfig built from the first header. Reads frame by frame, so a pipe works live.
 */
public final class AdtsSource implements MediaSource {

  /** ISO/IEC 14496-3 §1.6.3.4 samplingFrequencyIndex. */
  private static final int[] RATES = {
    96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350
  };
  private static final int SAMPLES_PER_FRAME = 1024;

  private final InputStream in;
  private final MediaType type;
  private final byte[] header = new byte[7];
  private final int firstHeaderKey;
  private long seq;
  private long offset;
  private boolean ended;

  public AdtsSource(Path path) throws IOException {
    this(Files.newInputStream(path));
  }

  /** Reads the first ADTS header at once to learn the stream's format. */
  public AdtsSource(InputStream in) throws IOException {
    this.in = new BufferedInputStream(in, 1 << 16);
    try {
      if (!readHeader()) {
        throw new SourceException("ADTS input is empty: no AAC frame found");
      }
      firstHeaderKey = formatKey(header);
      this.type = mediaType(header);
    } catch (IOException | RuntimeException e) {
      in.close();
      throw e;
    }
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
    if (seq > 0 && !readHeader()) {
      ended = true;
      return null;
    }
    // ISO/IEC 13818-7 §6.2.1 adts_fixed_header + adts_variable_header (28 + 28 bits).
    boolean protectionAbsent = (header[1] & 0x01) != 0;
    int frameLength = ((header[3] & 0x03) << 11) | ((header[4] & 0xff) << 3) | ((header[5] & 0xe0) >>> 5);
    int rawBlocks = header[6] & 0x03;
    if (formatKey(header) != firstHeaderKey) {
      throw new SourceException("ADTS format changes at byte " + offset + " (profile, sampling rate or channels);"
          + " one stream must keep one format");
    }
    if (rawBlocks != 0) {
      throw new SourceException("ADTS frame at byte " + offset + " holds " + (rawBlocks + 1)
          + " raw data blocks; only one AAC frame per ADTS frame is supported");
    }
    int headerLength = protectionAbsent ? 7 : 9; // §6.2.2 adts_error_check: crc_check follows the header
    int payload = frameLength - headerLength;
    if (payload <= 0) {
      throw new SourceException("bad ADTS frame at byte " + offset + ": aac_frame_length " + frameLength);
    }
    if (!protectionAbsent && in.readNBytes(2).length < 2) {
      ended = true;
      return null;
    }
    byte[] data = in.readNBytes(payload);
    if (data.length < payload) {
      ended = true; // a cut-off last frame is dropped, not passed on half
      return null;
    }
    offset += frameLength;
    long n = seq++;
    return Sample.newBuilder()
        .setStream(0)
        .setSeq(n)
        .setPts(n * SAMPLES_PER_FRAME)
        .setDts(n * SAMPLES_PER_FRAME)
        .setDuration(SAMPLES_PER_FRAME)
        .setKey(true)
        .setData(ByteString.copyFrom(data))
        .build();
  }

  @Override
  public void close() throws IOException {
    in.close();
  }

  /** Reads the next 7-byte header; false at a clean or cut-off end. */
  private boolean readHeader() throws IOException {
    int got = in.readNBytes(header, 0, header.length);
    if (got < header.length) {
      return false;
    }
    if ((header[0] & 0xff) != 0xff || (header[1] & 0xf0) != 0xf0) {
      throw new SourceException(String.format("not ADTS: no syncword 0xFFF at byte %d (found %02X %02X)",
          offset, header[0] & 0xff, header[1] & 0xff));
    }
    if ((header[1] & 0x06) != 0) {
      throw new SourceException("not ADTS: layer is " + ((header[1] >> 1) & 3) + " at byte " + offset
          + " (MPEG audio layer 1-3 rather than AAC?)");
    }
    return true;
  }

  /** profile, sampling_frequency_index and channel_configuration: what must stay the same in one stream. */
  private static int formatKey(byte[] h) {
    return ((h[2] & 0xff) << 8 | (h[3] & 0xff)) & 0xfdc0;
  }

  private static MediaType mediaType(byte[] h) {
    int profile = (h[2] & 0xc0) >>> 6;
    int rateIndex = (h[2] & 0x3c) >>> 2;
    int channelConfig = ((h[2] & 0x01) << 2) | ((h[3] & 0xc0) >>> 6);
    if (rateIndex >= RATES.length) {
      throw new SourceException("bad ADTS header: sampling_frequency_index " + rateIndex + " is reserved");
    }
    if (channelConfig == 0) {
      throw new SourceException("ADTS channel_configuration 0 (channel layout in an in-band PCE) is not supported");
    }
    int channels = channelConfig == 7 ? 8 : channelConfig;
    int objectType = profile + 1; // ISO/IEC 13818-7 §6.2.1: ADTS profile = audioObjectType - 1
    // ISO/IEC 14496-3 §1.6.2.1 AudioSpecificConfig + §4.4.1 GASpecificConfig (all three flags 0): 16 bits.
    int asc = objectType << 11 | rateIndex << 7 | channelConfig << 3;
    byte[] config = {(byte) (asc >>> 8), (byte) asc};
    return MediaType.newBuilder()
        .setCodec(Codec.AAC)
        .setAudio(AudioFormat.newBuilder().setSampleRate(RATES[rateIndex]).setChannels(channels))
        .setCodecConfig(ByteString.copyFrom(config))
        .setTimescale(RATES[rateIndex])
        .build();
  }
}
