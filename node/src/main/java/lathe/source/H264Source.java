package lathe.source;

import com.google.protobuf.ByteString;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import lathe.protocol.Codec;
import lathe.protocol.MediaType;
import lathe.protocol.Sample;
import lathe.protocol.VideoFormat;

/**
 * H.264 Annex B byte stream (`ffmpeg ... -bsf:v h264_mp4toannexb -f h264 -`) as length-prefixed access units.
 *
 * <p>Every NAL unit of an access unit is kept, in-band SPS/PPS/SEI/AUD included, exactly as ffmpeg's own
 * Annex B → MP4 remux keeps them; the parameter sets before the first picture also make the avcC. A raw stream has
 * no timestamps: decoding times step by one frame at the given rate, and presentation times follow the picture
 * order count through the reorder depth of the SPS (max_num_reorder_frames), so pts − dts is what an encoder
 * would have written. Field-coded (PAFF) streams are refused.
 */
public final class H264Source implements MediaSource {

  private static final int MAX_NALS_BEFORE_SPS = 1000;

  /** One access unit on its way out: decoded at {@code index}, shown at {@code display} once known. */
  private static final class AccessUnit {
    final List<byte[]> nals = new ArrayList<>();
    long index;
    long poc;
    boolean key;
    /** IDR or MMCO 5: every earlier picture is output before it (§C.4.4). */
    boolean resetsOutput;
    long display = -1;
  }

  private final InputStream in;
  private final AnnexBReader reader;
  private final ArrayDeque<byte[]> lookahead = new ArrayDeque<>();
  private final Map<Integer, H264Syntax.Sps> spsById = new HashMap<>();
  private final Map<Integer, byte[]> spsNalById = new HashMap<>();
  private final Map<Integer, H264Syntax.Pps> ppsById = new HashMap<>();
  private final H264Syntax.Sps sps;
  private final MediaType type;
  private final long frameDuration;
  private final int reorderDepth;

  private AccessUnit current;
  private H264Syntax.SliceHeader lastSlice;
  /** The SPS of the slice just parsed (through its PPS). */
  private H264Syntax.Sps activeSps;
  private boolean inputEnded;
  private long decoded;
  private long displayed;
  private long seq;
  /** Access units in decoding order, waiting for their display index. */
  private final ArrayDeque<AccessUnit> queue = new ArrayDeque<>();
  /** The reorder buffer of §C.4.5.3 with max_num_reorder_frames as its size: smallest POC leaves first. */
  private final PriorityQueue<AccessUnit> reorder = new PriorityQueue<>(Comparator.comparingLong(a -> a.poc));

  // Picture order count state, ITU-T H.264 §8.2.1.
  private long prevPocMsb;
  private int prevPocLsb;
  private int prevFrameNum;
  private long prevFrameNumOffset;

  public H264Source(Path path, int fpsNum, int fpsDen) throws IOException {
    this(Files.newInputStream(path), fpsNum, fpsDen);
  }

  /**
   * Reads up to the first picture to learn SPS and PPS. Timescale 90000 when a frame is a whole number of 90 kHz
   * ticks (25, 30, 29.97, 50, 59.94 fps), else {@code fpsNum} with frames of {@code fpsDen} ticks (23.976 fps).
   */
  public H264Source(InputStream in, int fpsNum, int fpsDen) throws IOException {
    if (fpsNum <= 0 || fpsDen <= 0) {
      in.close();
      throw new SourceException("h264: frame rate " + fpsNum + "/" + fpsDen + " must be positive");
    }
    this.in = in;
    this.reader = new AnnexBReader(in);
    long timescale;
    if (90000L * fpsDen % fpsNum == 0) {
      timescale = 90000;
      frameDuration = 90000L * fpsDen / fpsNum;
    } else {
      timescale = fpsNum;
      frameDuration = fpsDen;
    }
    byte[] avcC;
    List<byte[]> spsNals = new ArrayList<>();
    List<byte[]> ppsNals = new ArrayList<>();
    List<byte[]> extNals = new ArrayList<>();
    try {
      readUpToFirstPicture(spsNals, ppsNals, extNals);
      sps = H264Syntax.parseSps(spsNals.get(0));
      avcC = AvcDecoderConfig.build(sps, spsNals, ppsNals, extNals);
    } catch (IOException | RuntimeException e) {
      in.close();
      throw e;
    }
    reorderDepth = sps.maxNumReorderFrames();
    type = MediaType.newBuilder()
        .setCodec(Codec.H264)
        .setVideo(VideoFormat.newBuilder().setWidth(sps.width()).setHeight(sps.height()))
        .setCodecConfig(ByteString.copyFrom(avcC))
        .setTimescale((int) timescale)
        .build();
  }

  /** Keeps every NAL unit up to and including the first slice; collects the parameter sets for the avcC. */
  private void readUpToFirstPicture(List<byte[]> spsNals, List<byte[]> ppsNals, List<byte[]> extNals)
      throws IOException {
    int skipped = 0;
    while (true) {
      byte[] nal = reader.next();
      if (nal == null) {
        throw new SourceException(spsNals.isEmpty() ? "no H.264 SPS found: is this an H.264 Annex B stream?"
            : "H.264 stream ends before its first picture");
      }
      checkHeader(nal);
      int t = nal[0] & 0x1f;
      if (spsNals.isEmpty() && ++skipped > MAX_NALS_BEFORE_SPS) {
        throw new SourceException("no H.264 SPS in the first " + MAX_NALS_BEFORE_SPS
            + " NAL units: is this an H.264 Annex B stream?");
      }
      lookahead.add(nal);
      if (spsNals.isEmpty() && (t == 1 || t == 2 || t == 5)) {
        // Joined mid-stream: pictures before the first SPS cannot be decoded. (An SEI or AUD just before the
        // SPS stays: it belongs to the first access unit.)
        lookahead.clear();
        continue;
      }
      if (t == 7) {
        spsNals.add(nal);
      } else if (t == 8) {
        ppsNals.add(nal);
      } else if (t == 13) {
        extNals.add(nal);
      } else if (t == 1 || t == 2 || t == 5) {
        if (ppsNals.isEmpty()) {
          throw new SourceException("H.264 picture before any PPS at byte " + reader.position());
        }
        break;
      }
    }
  }

  @Override
  public List<MediaType> streams() {
    return List.of(type);
  }

  @Override
  public Sample next() throws IOException {
    while (queue.isEmpty() || queue.peekFirst().display < 0) {
      if (inputEnded) {
        if (queue.isEmpty()) {
          return null;
        }
        throw new IllegalStateException("access unit left without a display index");
      }
      readUntilAccessUnitEnds();
    }
    AccessUnit au = queue.pollFirst();
    ByteArrayOutputStream data = new ByteArrayOutputStream();
    for (byte[] nal : au.nals) {
      // ISO/IEC 14496-15 §5.3.2: each NAL unit preceded by its length (4 bytes, per the avcC).
      data.write(nal.length >>> 24);
      data.write(nal.length >>> 16);
      data.write(nal.length >>> 8);
      data.write(nal.length);
      data.writeBytes(nal);
    }
    return Sample.newBuilder()
        .setStream(0)
        .setSeq(seq++)
        .setDts(au.index * frameDuration)
        .setPts((au.display + reorderDepth) * frameDuration)
        .setDuration(frameDuration)
        .setKey(au.key)
        .setData(ByteString.copyFrom(data.toByteArray()))
        .build();
  }

  @Override
  public void close() throws IOException {
    in.close();
  }

  /** Reads NAL units until one access unit is complete (§7.4.1.2.3) or the input ends. */
  private void readUntilAccessUnitEnds() throws IOException {
    while (true) {
      byte[] nal = lookahead.isEmpty() ? reader.next() : lookahead.pollFirst();
      if (nal == null) {
        inputEnded = true;
        finishAccessUnit();
        while (!reorder.isEmpty()) {
          reorder.poll().display = displayed++;
        }
        return;
      }
      checkHeader(nal);
      int t = nal[0] & 0x1f;
      boolean vcl = t == 1 || t == 2 || t == 5;
      boolean done = false;
      if (t == 7) {
        remember(nal);
      } else if (t == 8) {
        H264Syntax.Pps pps = H264Syntax.parsePps(nal);
        ppsById.put(pps.id(), pps);
      }
      if (vcl) {
        H264Syntax.SliceHeader slice = parseSlice(nal);
        if (slice.fieldPic()) {
          throw new SourceException("field-coded (interlaced PAFF) H.264 is not supported (picture at byte "
              + reader.position() + ")");
        }
        if (current != null && lastSlice != null && slice.startsNewPictureAfter(lastSlice, activeSps)) {
          done = finishAccessUnit();
        }
        if (current == null) {
          current = new AccessUnit();
        }
        if (lastSlice == null) {
          startPicture(current, slice);
        }
        lastSlice = slice;
      } else if ((t == 6 || t == 7 || t == 8 || t == 9 || (t >= 14 && t <= 18)) && lastSlice != null) {
        // §7.4.1.2.3: after the last VCL NAL unit of a picture, these open the next access unit.
        done = finishAccessUnit();
      }
      if (current == null) {
        current = new AccessUnit();
      }
      current.nals.add(nal);
      if (done) {
        return;
      }
    }
  }

  /** Closes the access unit being read, if it holds a picture; true if it did. */
  private boolean finishAccessUnit() {
    if (current == null || lastSlice == null) {
      return false;
    }
    AccessUnit au = current;
    current = null;
    lastSlice = null;
    au.index = decoded++;
    queue.addLast(au);
    if (au.resetsOutput) {
      // no_output_of_prior_pics_flag aside, every earlier picture is output before this one.
      while (!reorder.isEmpty()) {
        reorder.poll().display = displayed++;
      }
    }
    reorder.add(au);
    while (reorder.size() > reorderDepth) {
      reorder.poll().display = displayed++;
    }
    return true;
  }

  private void startPicture(AccessUnit au, H264Syntax.SliceHeader s) {
    au.key = s.idr();
    au.resetsOutput = s.idr() || s.mmco5();
    au.poc = pictureOrderCount(s);
    if (s.mmco5()) {
      // §8.2.1: after MMCO 5 the picture counts as POC 0 (its smaller field, tempPicOrderCnt, is subtracted),
      // and the next picture's POC starts afresh as after an IDR with this picture's frame_num taken as 0.
      prevPocLsb = Math.max(0, -s.deltaPocBottom());
      prevPocMsb = 0;
      prevFrameNum = 0;
      prevFrameNumOffset = 0;
      au.poc = 0;
    }
  }

  /** §8.2.1 TopFieldOrderCnt/BottomFieldOrderCnt of a frame; its POC is the smaller. */
  private long pictureOrderCount(H264Syntax.SliceHeader s) {
    H264Syntax.Sps sps = activeSps;
    int maxFrameNum = 1 << sps.log2MaxFrameNum();
    long frameNumOffset = 0;
    if (sps.pocType() != 0 && !s.idr()) {
      frameNumOffset = prevFrameNum > s.frameNum() ? prevFrameNumOffset + maxFrameNum : prevFrameNumOffset;
    }
    long top;
    long bottom;
    switch (sps.pocType()) {
      case 0 -> { // §8.2.1.1
        long prevMsb = s.idr() ? 0 : prevPocMsb;
        int prevLsb = s.idr() ? 0 : prevPocLsb;
        int maxLsb = 1 << sps.log2MaxPocLsb();
        long msb;
        if (s.pocLsb() < prevLsb && prevLsb - s.pocLsb() >= maxLsb / 2) {
          msb = prevMsb + maxLsb;
        } else if (s.pocLsb() > prevLsb && s.pocLsb() - prevLsb > maxLsb / 2) {
          msb = prevMsb - maxLsb;
        } else {
          msb = prevMsb;
        }
        top = msb + s.pocLsb();
        bottom = top + s.deltaPocBottom();
        if (s.nalRefIdc() != 0) {
          prevPocMsb = msb;
          prevPocLsb = s.pocLsb();
        }
      }
      case 1 -> { // §8.2.1.2
        int cycle = sps.offsetForRefFrame().length;
        long abs = cycle != 0 ? frameNumOffset + s.frameNum() : 0;
        if (s.nalRefIdc() == 0 && abs > 0) {
          abs--;
        }
        long expected = 0;
        if (abs > 0) {
          long deltaPerCycle = Arrays.stream(sps.offsetForRefFrame()).asLongStream().sum();
          long cycleCount = (abs - 1) / cycle;
          int inCycle = (int) ((abs - 1) % cycle);
          expected = cycleCount * deltaPerCycle;
          for (int i = 0; i <= inCycle; i++) {
            expected += sps.offsetForRefFrame()[i];
          }
        }
        if (s.nalRefIdc() == 0) {
          expected += sps.offsetForNonRefPic();
        }
        top = expected + s.deltaPoc0();
        bottom = top + sps.offsetForTopToBottomField() + s.deltaPoc1();
      }
      default -> { // §8.2.1.3
        long temp = s.idr() ? 0 : 2 * (frameNumOffset + s.frameNum()) - (s.nalRefIdc() == 0 ? 1 : 0);
        top = temp;
        bottom = temp;
      }
    }
    prevFrameNum = s.frameNum();
    prevFrameNumOffset = frameNumOffset;
    return Math.min(top, bottom);
  }

  private H264Syntax.SliceHeader parseSlice(byte[] nal) {
    int ppsId = H264Syntax.slicePpsId(nal);
    H264Syntax.Pps pps = ppsById.get(ppsId);
    if (pps == null) {
      throw new SourceException("H.264 slice at byte " + reader.position() + " refers to PPS " + ppsId
          + ", which the stream has not sent");
    }
    activeSps = spsById.get(pps.spsId());
    if (activeSps == null) {
      throw new SourceException("H.264 PPS " + ppsId + " refers to SPS " + pps.spsId()
          + ", which the stream has not sent");
    }
    return H264Syntax.parseSliceHeader(nal, activeSps, pps);
  }

  /** Keeps an SPS; one that changes the picture format mid-stream would make the avcC a lie, so it is refused. */
  private void remember(byte[] nal) {
    H264Syntax.Sps parsed = H264Syntax.parseSps(nal);
    byte[] known = spsNalById.get(parsed.id());
    if (known != null && !Arrays.equals(known, nal) && sps != null
        && (parsed.width() != sps.width() || parsed.height() != sps.height()
            || parsed.profileIdc() != sps.profileIdc() || parsed.pocType() != sps.pocType()
            || parsed.log2MaxFrameNum() != sps.log2MaxFrameNum()
            || parsed.log2MaxPocLsb() != sps.log2MaxPocLsb()
            || parsed.maxNumReorderFrames() != sps.maxNumReorderFrames())) {
      throw new SourceException("H.264 SPS " + parsed.id() + " changes mid-stream at byte " + reader.position()
          + " (new size or profile); one recording stream keeps one format");
    }
    spsById.put(parsed.id(), parsed);
    spsNalById.put(parsed.id(), nal);
  }

  private void checkHeader(byte[] nal) {
    if ((nal[0] & 0x80) != 0) {
      throw new SourceException(String.format("bad H.264 NAL unit header 0x%02X at byte %d"
          + " (forbidden_zero_bit set): is this H.264 Annex B?", nal[0] & 0xff, reader.position()));
    }
  }
}
