package lathe.source;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AnnexBReaderTest {

  /** 3- and 4-byte start codes, trailing_zero_8bits, a NAL unit bigger than the buffer, a pipe giving 1 byte. */
  @Test
  void splitsOnStartCodesWhateverTheReadSizes() throws IOException {
    byte[] small = {0x09, (byte) 0xf0};
    byte[] big = new byte[200_000];
    new Random(1).nextBytes(big);
    big[0] = 0x65;
    for (int i = 2; i < big.length; i++) {
      if (big[i - 2] == 0 && big[i - 1] == 0 && (big[i] & 0xff) <= 3) {
        big[i] = 4; // keep it free of start codes, as emulation prevention would
      }
    }
    big[big.length - 1] = (byte) 0x80;
    byte[] last = {0x41, 0x00, 0x00, 0x03, 0x01, 0x7f};
    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    stream.writeBytes(new byte[] {0x00, 0x00, 0x00, 0x01});
    stream.writeBytes(small);
    stream.writeBytes(new byte[] {0x00, 0x00, 0x00, 0x00, 0x00, 0x01}); // trailing zeros, then a start code
    stream.writeBytes(big);
    stream.writeBytes(new byte[] {0x00, 0x00, 0x01});
    stream.writeBytes(last);
    byte[] bytes = stream.toByteArray();

    for (InputStream in : new InputStream[] {new ByteArrayInputStream(bytes), oneByteAtATime(bytes)}) {
      AnnexBReader reader = new AnnexBReader(in);
      assertArrayEquals(small, reader.next());
      assertArrayEquals(big, reader.next());
      assertArrayEquals(last, reader.next());
      assertNull(reader.next());
      assertNull(reader.next());
    }
  }

  private static InputStream oneByteAtATime(byte[] bytes) {
    return new FilterInputStream(new ByteArrayInputStream(bytes)) {
      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        return super.read(b, off, Math.min(len, 1));
      }
    };
  }
}
