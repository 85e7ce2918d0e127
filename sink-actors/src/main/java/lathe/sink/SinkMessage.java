package lathe.sink;

/** Marker for messages that can cross nodes; {@link SinkSerializer} writes them as protobuf. */
public interface SinkMessage {}
