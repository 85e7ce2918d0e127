package lathe.node;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A TCP proxy whose connections can be cut at once, to play a lost network between producer and node. */
final class CuttableProxy implements AutoCloseable {
  private final ServerSocket server;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();

  CuttableProxy(int targetPort) throws IOException {
    server = new ServerSocket(0);
    Thread accept = new Thread(() -> {
      while (!server.isClosed()) {
        try {
          Socket in = server.accept();
          Socket out = new Socket("127.0.0.1", targetPort);
          sockets.add(in);
          sockets.add(out);
          pipe(in, out);
          pipe(out, in);
        } catch (IOException e) {
          return;
        }
      }
    }, "proxy-accept");
    accept.setDaemon(true);
    accept.start();
  }

  int port() {
    return server.getLocalPort();
  }

  private void pipe(Socket from, Socket to) {
    Thread t = new Thread(() -> {
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        in.transferTo(out);
      } catch (IOException e) {
        // cut
      } finally {
        closeQuietly(from);
        closeQuietly(to);
      }
    }, "proxy-pipe");
    t.setDaemon(true);
    t.start();
  }

  /** Drops every connection and refuses new ones. */
  void cut() {
    closeQuietly(server);
    sockets.forEach(CuttableProxy::closeQuietly);
  }

  private static void closeQuietly(java.io.Closeable c) {
    try {
      c.close();
    } catch (IOException ignored) {
      // already gone
    }
  }

  @Override
  public void close() {
    cut();
  }
}
