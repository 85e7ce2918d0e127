package lathe.client;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import java.nio.channels.ClosedChannelException;
import org.junit.jupiter.api.Test;

/** Which ends of a write stream make the client attach again and resend, and which fail the recording. */
class SinkWriterClientTest {
  @Test
  void aCutConnectionIsResentWhateverCodeTheTransportGivesIt() {
    assertTrue(SinkWriterClient.connectionLost(Status.UNAVAILABLE.withDescription("io exception")));
    assertTrue(SinkWriterClient.connectionLost(Status.CANCELLED));
    // what grpc-java's Netty transport may report for a connection reset (seen in ClusterRecordingTest)
    assertTrue(SinkWriterClient.connectionLost(
        Status.UNKNOWN.withDescription("channel closed").withCause(new ClosedChannelException())));
  }

  @Test
  void whatTheNodeRefusesIsNotResent() {
    assertFalse(SinkWriterClient.connectionLost(Status.INVALID_ARGUMENT.withDescription("bad sample")));
    assertFalse(SinkWriterClient.connectionLost(Status.FAILED_PRECONDITION));
    assertFalse(SinkWriterClient.connectionLost(Status.UNKNOWN.withDescription("sent by the server")));
  }
}
