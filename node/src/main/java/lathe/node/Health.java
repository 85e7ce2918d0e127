package lathe.node;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * {@code /alive} and {@code /ready} on the management port, the two probes pekko-management serves. The JDK's
 * HttpServer stands in for pekko-management: its newest release (1.1.1) is built on Pekko 1.1 and pekko-http,
 * which do not match the Pekko 1.7 BOM this build pins (mixed Pekko versions refuse to start).
 */
final class Health implements AutoCloseable {
  private final HttpServer server;

  Health(String host, int port, BooleanSupplier alive, BooleanSupplier ready) throws IOException {
    server = HttpServer.create(new InetSocketAddress(host, port), 16);
    server.createContext("/alive", x -> answer(x, alive.getAsBoolean()));
    server.createContext("/ready", x -> answer(x, ready.getAsBoolean()));
    server.setExecutor(Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "lathe-health");
      t.setDaemon(true);
      return t;
    }));
    server.start();
  }

  int port() {
    return server.getAddress().getPort();
  }

  private static void answer(HttpExchange x, boolean ok) throws IOException {
    byte[] body = (ok ? "OK\n" : "not yet\n").getBytes(StandardCharsets.UTF_8);
    x.sendResponseHeaders(ok ? 200 : 503, body.length);
    try (OutputStream out = x.getResponseBody()) {
      out.write(body);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
