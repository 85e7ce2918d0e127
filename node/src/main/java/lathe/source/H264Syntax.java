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

  record Pps(
      int id,
      int spsId,
      boolean bottomFieldPicOrderInFramePresent,
      int numRefIdxL0Default,
      int numRefIdxL1Default,
      boolean weightedPred,
      int weightedBipredIdc,
      boolean redundantPicCntPresent) {}

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
      int deltaPoc1,
      boolean mmco5) {

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

  /** §7.3.2.2, as far as redundant_pic_cnt_present_flag. */
  static Pps parsePps(byte[] nal) {
    Rbsp r = new Rbsp(nal, 1, nal.length);
    int id = r.ue();
    int spsId = r.ue();
    if (id > 255 || spsId > 31) {
      throw new SourceException("bad H.264 PPS: pic_parameter_set_id " + id + ", seq_parameter_set_id " + spsId);
    }
    r.skip(1); // entropy_coding_mode_flag
    boolean bottomFieldPocPresent = r.flag();
    int sliceGroups = r.ue() + 1;
    if (sliceGroups > 8) {
      throw new SourceException("bad H.264 PPS: num_slice_groups_minus1 " + (sliceGroups - 1));
    }
    if (sliceGroups > 1) {
      int mapType = r.ue();
      if (mapType == 0) {
        for (int i = 0; i < sliceGroups; i++) {
          r.ue(); // run_length_minus1
        }
      } else if (mapType == 2) {
        for (int i = 0; i < sliceGroups - 1; i++) {
          r.ue(); // top_left
          r.ue(); // bottom_right
        }
      } else if (mapType >= 3 && mapType <= 5) {
        r.skip(1);
        r.ue();
      } else if (mapType == 6) {
        int units = r.ue() + 1;
        int bits = 32 - Integer.numberOfLeadingZeros(sliceGroups - 1);
        for (int i = 0; i < units; i++) {
          r.skip(bits); // slice_group_id
        }
      }
    }
    int l0 = r.ue() + 1;
    int l1 = r.ue() + 1;
    boolean weightedPred = r.flag();
    int weightedBipred = r.u(2);
    r.se(); // pic_init_qp_minus26
    r.se(); // pic_init_qs_minus26
    r.se(); // chroma_qp_index_offset
    r.skip(2); // deblocking_filter_control_present_flag, constrained_intra_pred_flag
    boolean redundant = r.flag();
    return new Pps(id, spsId, bottomFieldPocPresent, l0, l1, weightedPred, weightedBipred, redundant);
  }

  /** Reads the pic_parameter_set_id of a slice (§7.3.3) so the caller can find the SPS and PPS. */
  static int slicePpsId(byte[] nal) {
    Rbsp r = new Rbsp(nal, 1, 16);
    r.ue();
    r.ue();
    return r.ue();
  }

  /** §7.3.3 slice_header, as far as dec_ref_pic_marking (for memory_management_control_operation 5). */
  static SliceHeader parseSliceHeader(byte[] nal, Sps sps, Pps pps) {
    int nalType = nal[0] & 0x1f;
    int nalRefIdc = (nal[0] >> 5) & 3;
    Rbsp r = new Rbsp(nal, 1, 1024);
    int firstMb = r.ue();
    int sliceType = r.ue() % 5;
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
    boolean mmco5 = nalRefIdc != 0 && nalType != 5 && hasMmco5(r, sliceType, sps, pps);
    return new SliceHeader(nalType, nalRefIdc, firstMb, ppsId, frameNum, field, bottom, idrPicId, pocLsb,
        deltaBottom, delta0, delta1, mmco5);
  }

  /** The rest of §7.3.3 up to dec_ref_pic_marking (§7.3.3.3) of a non-IDR reference slice: is there an MMCO 5? */
  private static boolean hasMmco5(Rbsp r, int sliceType, Sps sps, Pps pps) {
    boolean p = sliceType == 0 || sliceType == 3;
    boolean b = sliceType == 1;
    if (pps.redundantPicCntPresent()) {
      r.ue(); // redundant_pic_cnt
    }
    if (b) {
      r.skip(1); // direct_spatial_mv_pred_flag
    }
    int l0 = pps.numRefIdxL0Default();
    int l1 = pps.numRefIdxL1Default();
    if (p || b) {
      if (r.flag()) { // num_ref_idx_active_override_flag
        l0 = r.ue() + 1;
        if (b) {
          l1 = r.ue() + 1;
        }
      }
    }
    if (l0 > 32 || l1 > 32) {
      throw new SourceException("bad H.264 slice header: more than 32 reference indices");
    }
    if (sliceType != 2 && sliceType != 4) {
      skipRefPicListModification(r); // §7.3.3.1
    }
    if (b) {
      skipRefPicListModification(r);
    }
    if ((pps.weightedPred() && p) || (pps.weightedBipredIdc() == 1 && b)) {
      boolean chroma = !sps.separateColourPlane() && sps.chromaFormatIdc() != 0;
      r.ue(); // luma_log2_weight_denom (§7.3.3.2)
      if (chroma) {
        r.ue(); // chroma_log2_weight_denom
      }
      skipWeights(r, l0, chroma);
      if (b) {
        skipWeights(r, l1, chroma);
      }
    }
    if (!r.flag()) { // adaptive_ref_pic_marking_mode_flag
      return false;
    }
    for (int i = 0; i < 100; i++) {
      int mmco = r.ue();
      switch (mmco) {
        case 0 -> {
          return false;
        }
        case 1, 2, 6 -> r.ue();
        case 3 -> {
          r.ue();
          r.ue();
        }
        case 4 -> r.ue();
        case 5 -> {
          return true;
        }
        default -> throw new SourceException("bad H.264 slice header: memory_management_control_operation " + mmco);
      }
    }
    throw new SourceException("bad H.264 slice header: endless memory_management_control_operation list");
  }

  private static void skipRefPicListModification(Rbsp r) {
    if (!r.flag()) { // ref_pic_list_modification_flag_lX
      return;
    }
    for (int i = 0; i < 100; i++) {
      int idc = r.ue();
      if (idc == 3) {
        return;
      }
      if (idc > 5) {
        throw new SourceException("bad H.264 slice header: modification_of_pic_nums_idc " + idc);
      }
      r.ue(); // abs_diff_pic_num_minus1, long_term_pic_num or abs_diff_view_idx_minus1
    }
    throw new SourceException("bad H.264 slice header: endless ref_pic_list_modification");
  }

  private static void skipWeights(Rbsp r, int refs, boolean chroma) {
    for (int i = 0; i < refs; i++) {
      if (r.flag()) { // luma_weight_lX_flag
        r.se();
        r.se();
      }
      if (chroma && r.flag()) { // chroma_weight_lX_flag
        for (int j = 0; j < 4; j++) {
          r.se();
        }
      }
    }
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
