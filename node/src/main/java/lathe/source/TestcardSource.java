package lathe.source;

import com.google.protobuf.ByteString;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import lathe.protocol.Codec;
import lathe.protocol.MediaType;
import lathe.protocol.Sample;
import lathe.protocol.VideoFormat;

/**
 * A moving test pattern (75% colour bars, a box bouncing across them and the frame number) as JPEG images from
 * the JDK's own ImageIO, so that video recording works without any codec library. Frames come as fast as they
 * are asked for; pacing to the frame rate is the caller's job.
 */
public final class TestcardSource implements MediaSource {

  /** 75% colour bars (ITU-R BT.801 order): white, yellow, cyan, green, magenta, red, blue. */
  private static final Color[] BARS = {
    new Color(191, 191, 191), new Color(191, 191, 0), new Color(0, 191, 191), new Color(0, 191, 0),
    new Color(191, 0, 191), new Color(191, 0, 0), new Color(0, 0, 191)
  };
  /** Seven-segment digits: bits a b c d e f g from the top, clockwise, then the middle. */
  private static final int[] SEGMENTS = {0x7e, 0x30, 0x6d, 0x79, 0x33, 0x5b, 0x5f, 0x70, 0x7f, 0x7b};

  private final int width;
  private final int height;
  private final long frameLimit;
  private final long frameDuration;
  private final MediaType type;
  private final BufferedImage image;
  private final Graphics2D g;
  private final ImageWriter writer;
  private final ImageWriteParam param;
  private final ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
  private long frame;

  /**
   * {@code frameLimit} frames, or endless when it is -1. Timescale 90000 when a frame is a whole number of 90 kHz
   * ticks, else {@code fpsNum} with frames of {@code fpsDen} ticks.
   */
  public TestcardSource(int width, int height, int fpsNum, int fpsDen, long frameLimit) {
    if (width < 16 || height < 16 || width > 7680 || height > 4320) {
      throw new SourceException("testcard: size " + width + "x" + height + " is out of range (16x16 to 7680x4320)");
    }
    if (fpsNum <= 0 || fpsDen <= 0 || (double) fpsNum / fpsDen > 240) {
      throw new SourceException("testcard: frame rate " + fpsNum + "/" + fpsDen + " is out of range (0 to 240)");
    }
    if (frameLimit < -1) {
      throw new SourceException("testcard: frame count " + frameLimit + " must be -1 (endless) or more");
    }
    this.width = width;
    this.height = height;
    this.frameLimit = frameLimit;
    long timescale;
    if (90000L * fpsDen % fpsNum == 0) {
      timescale = 90000;
      frameDuration = 90000L * fpsDen / fpsNum;
    } else {
      timescale = fpsNum;
      frameDuration = fpsDen;
    }
    this.type = MediaType.newBuilder()
        .setCodec(Codec.MJPEG)
        .setVideo(VideoFormat.newBuilder().setWidth(width).setHeight(height))
        .setTimescale((int) timescale)
        .build();
    this.image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
    this.g = image.createGraphics();
    this.writer = ImageIO.getImageWritersByFormatName("jpeg").next();
    this.param = writer.getDefaultWriteParam();
    param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
    param.setCompressionQuality(0.85f);
  }

  @Override
  public List<MediaType> streams() {
    return List.of(type);
  }

  @Override
  public Sample next() throws IOException {
    if (frameLimit >= 0 && frame >= frameLimit) {
      return null;
    }
    draw(frame);
    jpeg.reset();
    try (MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(jpeg)) {
      writer.setOutput(out);
      writer.write(null, new IIOImage(image, null, null), param);
    }
    long n = frame++;
    return Sample.newBuilder()
        .setStream(0)
        .setSeq(n)
        .setPts(n * frameDuration)
        .setDts(n * frameDuration)
        .setDuration(frameDuration)
        .setKey(true)
        .setData(ByteString.copyFrom(jpeg.toByteArray()))
        .build();
  }

  @Override
  public void close() {
    writer.dispose();
    g.dispose();
  }

  private void draw(long n) {
    int barsHeight = height * 2 / 3;
    for (int i = 0; i < BARS.length; i++) {
      int x0 = i * width / BARS.length;
      int x1 = (i + 1) * width / BARS.length;
      g.setColor(BARS[i]);
      g.fillRect(x0, 0, x1 - x0, barsHeight);
    }
    g.setColor(new Color(16, 16, 16));
    g.fillRect(0, barsHeight, width, height - barsHeight);

    // A box that crosses the bars and back once every 4 seconds at 25 fps, whatever the size.
    int box = Math.max(8, height / 6);
    int travel = width - box;
    long period = 100;
    long phase = n % (2 * period);
    int x = (int) ((phase < period ? phase : 2 * period - phase) * travel / period);
    g.setColor(Color.WHITE);
    g.fillRect(x, (barsHeight - box) / 2, box, box);
    g.setColor(Color.BLACK);
    g.fillRect(x + box / 4, (barsHeight - box) / 2 + box / 4, box / 2, box / 2);

    drawNumber(n, barsHeight + (height - barsHeight) / 6, (height - barsHeight) * 2 / 3);
  }

  /** The frame number in seven-segment digits, centred, {@code size} pixels high. */
  private void drawNumber(long n, int top, int size) {
    String digits = Long.toString(n);
    int digitWidth = size / 2;
    int gap = Math.max(2, size / 6);
    int stroke = Math.max(1, size / 10);
    int total = digits.length() * (digitWidth + gap) - gap;
    int left = (width - total) / 2;
    g.setColor(Color.WHITE);
    for (int i = 0; i < digits.length(); i++) {
      int s = SEGMENTS[digits.charAt(i) - '0'];
      int x = left + i * (digitWidth + gap);
      int half = size / 2;
      if ((s & 0x40) != 0) g.fillRect(x, top, digitWidth, stroke); // a
      if ((s & 0x20) != 0) g.fillRect(x + digitWidth - stroke, top, stroke, half); // b
      if ((s & 0x10) != 0) g.fillRect(x + digitWidth - stroke, top + half, stroke, size - half); // c
      if ((s & 0x08) != 0) g.fillRect(x, top + size - stroke, digitWidth, stroke); // d
      if ((s & 0x04) != 0) g.fillRect(x, top + half, stroke, size - half); // e
      if ((s & 0x02) != 0) g.fillRect(x, top, stroke, half); // f
      if ((s & 0x01) != 0) g.fillRect(x, top + half - stroke / 2, digitWidth, stroke); // g
    }
  }
}
