package lathe.node;

import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * Turns a request that is not valid protobuf into INVALID_ARGUMENT with a line saying so. grpc-java parses
 * requests before any interceptor could catch the failure and answers a bare UNKNOWN; here the service takes
 * raw bytes and the parsing happens inside this interceptor's listener.
 */
final class MalformedMessages implements ServerInterceptor {

  static ServerServiceDefinition wrap(ServerServiceDefinition service) {
    return ServerInterceptors.intercept(ServerInterceptors.useMarshalledMessages(service, new Bytes()),
        new MalformedMessages());
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    ServerCall.Listener<Q> listener = next.startCall(call, headers);
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
      private boolean refused;

      @Override
      public void onMessage(Q message) {
        if (refused) {
          return;
        }
        try {
          super.onMessage(message);
        } catch (StatusRuntimeException e) {
          if (!(e.getCause() instanceof InvalidProtocolBufferException bad)) {
            throw e;
          }
          refused = true;
          call.close(Status.INVALID_ARGUMENT.withDescription("INVALID_REQUEST: malformed "
              + methodName(call.getMethodDescriptor()) + " message: " + bad.getMessage()), new Metadata());
        }
      }

      @Override
      public void onHalfClose() {
        if (!refused) {
          super.onHalfClose();
        }
      }
    };
  }

  private static String methodName(MethodDescriptor<?, ?> m) {
    String name = m.getBareMethodName();
    return name == null ? m.getFullMethodName() : name;
  }

  static final class Bytes implements MethodDescriptor.Marshaller<byte[]> {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        // gRPC's message streams know their length: one exact array instead of readAllBytes' doubling copies.
        return stream instanceof io.grpc.KnownLength ? stream.readNBytes(stream.available()) : stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
