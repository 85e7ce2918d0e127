package lathe.source;

/** The parts of H.264 SPS, PPS and slice headers (ITU-T H.264 §7.3) that access units and timing need. */
final class H264Syntax {

  private H264Syntax() {}

  record Sps(
      int profileIdc,
      int constraintFlags,
      int levelIdc,
      int id,
      int chromaFormatIdc,
      boolean separateColourPlane,
      int bitDepthLuma,
      int bitDepthChroma,
      int log2MaxFrameNum,
      int pocType,
      int log2MaxPocLsb,
      boolean deltaPicOrderAlwaysZero,
      int offsetForNonRefPic,
      int offsetForTopToBottomField,
      int[] offsetForRefFrame,
      boolean frameMbsOnly,
      int width,
      int height,
      int maxNumReorderFrames) {}

  record Pps(int id, int spsId, boolean bottomFieldPicOrderInFramePresent) {}

  /** The slice header fields of §7.4.1.2.4 that tell a new primary coded picture, plus what POC needs. */
  record SliceHeader(
      int nalType,
      int nalRefIdc,
      int firstMbInSlice,
      int ppsId,
      int frameNum,
      boolean fieldPic,
      boolean bottomField,
      int idrPicId,
      int pocLsb,
      int deltaPocBottom,
      int deltaPoc0,
      int deltaPoc1) {

    boolean idr() {
      return nalType == 5;
    }

    /** §7.4.1.2.4: does this slice start a different primary coded picture than {@code prev}? */
    boolean startsNewPictureAfter(SliceHeader prev, Sps sps) {
      return frameNum != prev.frameNum
          || ppsId != prev.ppsId
          || fieldPic != prev.fieldPic
          || (fieldPic && bottomField != prev.bottomField)
          || (nalRefIdc != prev.nalRefIdc && (nalRefIdc == 0 || prev.nalRefIdc == 0))
          || (sps.pocType() == 0 && (pocLsb != prev.pocLsb || deltaPocBottom != prev.deltaPocBottom))
          || (sps.pocType() == 1 && (deltaPoc0 != prev.deltaPoc0 || deltaPoc1 != prev.deltaPoc1))
          || idr() != prev.idr()
          || (idr() && prev.idr() && idrPicId != prev.idrPicId);
    }
  }

  /** §7.3.2.1.1 seq_parameter_set_data, with the VUI of §E.1.1 as far as max_num_reorder_frames. */
  static Sps parseSps(byte[] nal) {
    Rbsp r = new Rbsp(nal, 1, nal.length);
    int profile = r.u(8);
    int constraints = r.u(8);
    int level = r.u(8);
    int id = r.ue();
    if (id > 31) {
      throw new SourceException("bad H.264 SPS: seq_parameter_set_id " + id);
    }
    int chroma = 1;
    boolean separate = false;
    int depthLuma = 8;
    int depthChroma = 8;
    if (profile == 100 || profile == 110 || profile == 122 || profile == 244 || profile == 44 || profile == 83
        || profile == 86 || profile == 118 || profile == 128 || profile == 138 || profile == 139
        || profile == 134 || profile == 135) {
      chroma = r.ue();
      if (chroma > 3) {
        throw new SourceException("bad H.264 SPS: chroma_format_idc " + chroma);
      }
      if (chroma == 3) {
        separate = r.flag();
      }
      depthLuma = 8 + r.ue();
      depthChroma = 8 + r.ue();
      r.skip(1); // qpprime_y_zero_transform_bypass_flag
      if (r.flag()) { // seq_scaling_matrix_present_flag
        for (int i = 0; i < (chroma != 3 ? 8 : 12); i++) {
          if (r.flag()) {
            skipScalingList(r, i < 6 ? 16 : 64);
          }
        }
      }
    }
    int log2MaxFrameNum = r.ue() + 4;
    int pocType = r.ue();
    int log2MaxPocLsb = 0;
    boolean alwaysZero = false;
    int offsetNonRef = 0;
    int offsetTopBottom = 0;
    int[] offsets = new int[0];
    if (pocType == 0) {
      log2MaxPocLsb = r.ue() + 4;
    } else if (pocType == 1) {
      alwaysZero = r.flag();
      offsetNonRef = r.se();
      offsetTopBottom = r.se();
      int cycle = r.ue();
      if (cycle > 255) {
        throw new SourceException("bad H.264 SPS: num_ref_frames_in_pic_order_cnt_cycle " + cycle);
      }
      offsets = new int[cycle];
      for (int i = 0; i < cycle; i++) {
        offsets[i] = r.se();
      }
    } else if (pocType != 2) {
      throw new SourceException("bad H.264 SPS: pic_order_cnt_type " + pocType);
    }
    r.ue(); // max_num_ref_frames
    r.skip(1); // gaps_in_frame_num_value_allowed_flag
    int widthMbs = r.ue() + 1;
    int heightMapUnits = r.ue() + 1;
    boolean frameMbsOnly = r.flag();
    if (!frameMbsOnly) {
      r.skip(1); // mb_adaptive_frame_field_flag
    }
    r.skip(1); // direct_8x8_inference_flag
    int frameHeightMbs = (frameMbsOnly ? 1 : 2) * heightMapUnits;
    int width = widthMbs * 16;
    int height = frameHeightMbs * 16;
    if (r.flag()) { // frame_cropping_flag; §7.4.2.1.1 CropUnitX/CropUnitY
      int chromaArrayType = separate ? 0 : chroma;
      int cropX = chromaArrayType == 0 ? 1 : (chroma == 3 ? 1 : 2);
      int cropY = (chromaArrayType == 0 ? 1 : (chroma == 1 ? 2 : 1)) * (frameMbsOnly ? 1 : 2);
      width -= cropX * (r.ue() + r.ue());
      height -= cropY * (r.ue() + r.ue());
      if (width <= 0 || height <= 0) {
        throw new SourceException("bad H.264 SPS: cropping leaves no picture");
      }
    }
    int reorder = -1;
    if (r.flag()) { // vui_parameters_present_flag
      reorder = vuiMaxNumReorderFrames(r);
    }
    if (reorder < 0) {
      reorder = inferredMaxNumReorderFrames(profile, constraints, level, pocType, widthMbs * frameHeightMbs);
    }
    return new Sps(profile, constraints, level, id, chroma, separate, depthLuma, depthChroma, log2MaxFrameNum,
        pocType, log2MaxPocLsb, alwaysZero, offsetNonRef, offsetTopBottom, offsets, frameMbsOnly, width, height,
        reorder);
  }

  /** §7.3.2.2, as far as bottom_field_pic_order_in_frame_present_flag. */
  static Pps parsePps(byte[] nal) {
    Rbsp r = new Rbsp(nal, 1, 64);
    int id = r.ue();
    int spsId = r.ue();
    if (id > 255 || spsId > 31) {
      throw new SourceException("bad H.264 PPS: pic_parameter_set_id " + id + ", seq_parameter_set_id " + spsId);
    }
    r.skip(1); // entropy_coding_mode_flag
    return new Pps(id, spsId, r.flag());
  }

  /** Reads the pic_parameter_set_id of a slice (§7.3.3) so the caller can find the SPS and PPS. */
  static int slicePpsId(byte[] nal) {
    Rbsp r = new Rbsp(nal, 1, 16);
    r.ue();
    r.ue();
    return r.ue();
  }

  /** §7.3.3 slice_header, as far as delta_pic_order_cnt[1]. */
  static SliceHeader parseSliceHeader(byte[] nal, Sps sps, Pps pps) {
    int nalType = nal[0] & 0x1f;
    int nalRefIdc = (nal[0] >> 5) & 3;
    Rbsp r = new Rbsp(nal, 1, 64);
    int firstMb = r.ue();
    r.ue(); // slice_type
    int ppsId = r.ue();
    if (sps.separateColourPlane()) {
      r.skip(2); // colour_plane_id
    }
    int frameNum = r.u(sps.log2MaxFrameNum());
    boolean field = false;
    boolean bottom = false;
    if (!sps.frameMbsOnly()) {
      field = r.flag();
      if (field) {
        bottom = r.flag();
      }
    }
    int idrPicId = nalType == 5 ? r.ue() : 0;
    int pocLsb = 0;
    int deltaBottom = 0;
    int delta0 = 0;
    int delta1 = 0;
    if (sps.pocType() == 0) {
      pocLsb = r.u(sps.log2MaxPocLsb());
      if (pps.bottomFieldPicOrderInFramePresent() && !field) {
        deltaBottom = r.se();
      }
    }
    if (sps.pocType() == 1 && !sps.deltaPicOrderAlwaysZero()) {
      delta0 = r.se();
      if (pps.bottomFieldPicOrderInFramePresent() && !field) {
        delta1 = r.se();
      }
    }
    return new SliceHeader(nalType, nalRefIdc, firstMb, ppsId, frameNum, field, bottom, idrPicId, pocLsb,
        deltaBottom, delta0, delta1);
  }

  private static void skipScalingList(Rbsp r, int size) {
    int last = 8;
    int next = 8;
    for (int j = 0; j < size && next != 0; j++) {
      next = (last + r.se() + 256) % 256;
      last = next == 0 ? last : next;
    }
  }

  /** §E.1.1 vui_parameters up to bitstream_restriction; -1 when that is absent. */
  private static int vuiMaxNumReorderFrames(Rbsp r) {
    if (r.flag()) { // aspect_ratio_info_present_flag
      if (r.u(8) == 255) { // Extended_SAR
        r.skip(32);
      }
    }
    if (r.flag()) { // overscan_info_present_flag
      r.skip(1);
    }
    if (r.flag()) { // video_signal_type_present_flag
      r.skip(4);
      if (r.flag()) { // colour_description_present_flag
        r.skip(24);
      }
    }
    if (r.flag()) { // chroma_loc_info_present_flag
      r.ue();
      r.ue();
    }
    if (r.flag()) { // timing_info_present_flag
      r.skip(65);
    }
    boolean nalHrd = r.flag();
    if (nalHrd) {
      skipHrd(r);
    }
    boolean vclHrd = r.flag();
    if (vclHrd) {
      skipHrd(r);
    }
    if (nalHrd || vclHrd) {
      r.skip(1); // low_delay_hrd_flag
    }
    r.skip(1); // pic_struct_present_flag
    if (!r.flag()) { // bitstream_restriction_flag
      return -1;
    }
    r.skip(1); // motion_vectors_over_pic_boundaries_flag
    r.ue(); // max_bytes_per_pic_denom
    r.ue(); // max_bits_per_mb_denom
    r.ue(); // log2_max_mv_length_horizontal
    r.ue(); // log2_max_mv_length_vertical
    return r.ue(); // max_num_reorder_frames
  }

  /** §E.1.2 hrd_parameters. */
  private static void skipHrd(Rbsp r) {
    int count = r.ue() + 1;
    if (count > 32) {
      throw new SourceException("bad H.264 VUI: cpb_cnt_minus1 " + (count - 1));
    }
    r.skip(8); // bit_rate_scale, cpb_size_scale
    for (int i = 0; i < count; i++) {
      r.ue();
      r.ue();
      r.skip(1);
    }
    r.skip(20);
  }

  /**
   * §E.2.1: without bitstream_restriction, max_num_reorder_frames is 0 for the intra profiles and MaxDpbFrames
   * (Table A-1) otherwise. POC type 2 pictures are output in decoding order, so nothing waits there.
   */
  private static int inferredMaxNumReorderFrames(int profile, int constraints, int level, int pocType, int mbs) {
    boolean constraintSet3 = (constraints & 0x10) != 0;
    if (pocType == 2
        || (constraintSet3 && (profile == 44 || profile == 86 || profile == 100 || profile == 110
            || profile == 122 || profile == 244))) {
      return 0;
    }
    int maxDpbMbs = switch (level) {
      case 9, 10 -> 396;
      case 11 -> constraintSet3 && (profile == 66 || profile == 77 || profile == 88) ? 396 : 900;
      case 12, 13, 20 -> 2376;
      case 21 -> 4752;
      case 22, 30 -> 8100;
      case 31 -> 18000;
      case 32 -> 20480;
      case 40, 41 -> 32768;
      case 42 -> 34816;
      case 50 -> 110400;
      case 51, 52 -> 184320;
      default -> 696320;
    };
    return Math.min(maxDpbMbs / mbs, 16);
  }
}
