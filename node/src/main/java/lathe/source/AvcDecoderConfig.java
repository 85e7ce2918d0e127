package lathe.source;

import java.io.ByteArrayOutputStream;
import java.util.List;

/** The avcC body: AVCDecoderConfigurationRecord of ISO/IEC 14496-15 §5.3.3.1.2, with 4-byte NAL lengths. */
final class AvcDecoderConfig {

  private AvcDecoderConfig() {}

  /** Parameter set NAL units as they appear in the stream (emulation prevention kept, no start codes). */
  static byte[] build(H264Syntax.Sps sps, List<byte[]> spsNals, List<byte[]> ppsNals, List<byte[]> spsExtNals) {
    if (spsNals.size() > 31) {
      throw new SourceException("H.264 stream has " + spsNals.size() + " SPS; avcC holds at most 31");
    }
    if (ppsNals.size() > 255 || spsExtNals.size() > 255) {
      throw new SourceException("H.264 stream has too many PPS or SPS extensions for an avcC (255 at most)");
    }
    byte[] first = spsNals.get(0);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(1); // configurationVersion
    out.write(first[1]); // AVCProfileIndication
    out.write(first[2]); // profile_compatibility
    out.write(first[3]); // AVCLevelIndication
    out.write(0xfc | 3); // lengthSizeMinusOne = 3
    out.write(0xe0 | spsNals.size());
    spsNals.forEach(nal -> writeNal(out, nal));
    out.write(ppsNals.size());
    ppsNals.forEach(nal -> writeNal(out, nal));
    int profile = first[1] & 0xff;
    if (profile != 66 && profile != 77 && profile != 88) {
      out.write(0xfc | sps.chromaFormatIdc());
      out.write(0xf8 | (sps.bitDepthLuma() - 8));
      out.write(0xf8 | (sps.bitDepthChroma() - 8));
      out.write(spsExtNals.size());
      spsExtNals.forEach(nal -> writeNal(out, nal));
    }
    return out.toByteArray();
  }

  private static void writeNal(ByteArrayOutputStream out, byte[] nal) {
    if (nal.length > 0xffff) {
      throw new SourceException("H.264 parameter set of " + nal.length + " bytes is too large for an avcC");
    }
    out.write(nal.length >>> 8);
    out.write(nal.length);
    out.writeBytes(nal);
  }
}
