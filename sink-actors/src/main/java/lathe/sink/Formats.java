package lathe.sink;

import java.util.Map;
import lathe.protocol.Container;
import lathe.sink.bwf.BwfFormat;
import lathe.sink.container.ContainerFormat;
import lathe.sink.mp4.Mp4Format;

/** The containers a node writes and recovers. */
public final class Formats {
  private Formats() {}

  public static Map<Container, ContainerFormat> standard() {
    return Map.of(Container.BWF, new BwfFormat(), Container.MP4, new Mp4Format());
  }
}
