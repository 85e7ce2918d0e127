package lathe.sink.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The floor under `bench mux --durability os` on a disk: plain Java writes the same bytes as the recording in
 * packets of the same size, with a background fdatasync every WRITE_BEHIND bytes (one at a time, as
 * WriterActor's write-behind) and the final fsync Finalize does. No demux, no actors, no container. Whatever
 * this takes, a recorder that must make the file durable at Finalize cannot beat on that disk; compare it with
 * `ffmpeg -c copy` of the input (which never fsyncs) timed in the same minute.
 *
 * <p>With MODE fsync the writing thread itself fdatasyncs every WRITE_BEHIND bytes and waits, as a group
 * commit of that many bytes under durability fsync does: the floor under `bench mux` of big samples, to compare
 * with `dd bs=1M conv=fdatasync` of the same size.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar lathe.sink.io.WriteBackFloor DIR [MiB=61] [PACKET=13000] [WRITE_BEHIND_MiB=16] [ROUNDS=5] [MODE=os|fsync]
 * </pre>
 */
public final class WriteBackFloor {
  private WriteBackFloor() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("usage: WriteBackFloor DIR [MiB=61] [PACKET=13000] [WRITE_BEHIND_MiB=16] [ROUNDS=5] "
          + "[MODE=os|fsync]");
      System.exit(2);
    }
    Path dir = Path.of(args[0]);
    long total = arg(args, 1, 61) << 20;
    int packet = (int) arg(args, 2, 13_000);
    long writeBehind = arg(args, 3, 16) << 20;
    int rounds = (int) arg(args, 4, 5);
    boolean waits = args.length > 5 && args[5].equals("fsync");
    ByteBuffer data = ByteBuffer.allocateDirect(packet);
    while (data.hasRemaining()) {
      data.put((byte) 0x5a);
    }
    ExecutorService io = Executors.newSingleThreadExecutor();
    try {
      for (int r = 0; r < rounds; r++) {
        Path file = Files.createTempFile(dir, "floor-", ".bin");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
          long t0 = System.nanoTime();
          long pos = 0;
          long since = 0;
          int behinds = 0;
          CompletableFuture<Void> running = CompletableFuture.completedFuture(null);
          while (pos < total) {
            data.clear();
            pos += ch.write(data, pos);
            since += packet;
            if (waits && since >= writeBehind) {
              since = 0;
              behinds++;
              ch.force(false);
            } else if (!waits && writeBehind > 0 && since >= writeBehind && running.isDone()) {
              since = 0;
              behinds++;
              running = CompletableFuture.runAsync(() -> force(ch), io);
            }
          }
          long written = System.nanoTime() - t0;
          running.join();
          ch.force(true);
          long all = System.nanoTime() - t0;
          System.out.printf(Locale.ROOT, "round %d: %d MiB in %,d-byte writes: written %.0f ms, durable %.0f ms "
              + "(%d %s)%n", r, total >> 20, packet, written / 1e6, all / 1e6, behinds,
              waits ? "fsyncs waited for" : "write-behinds");
        } finally {
          Files.deleteIfExists(file);
        }
      }
    } finally {
      io.shutdown();
    }
  }

  private static void force(FileChannel ch) {
    try {
      ch.force(false);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static long arg(String[] args, int i, long otherwise) {
    return args.length > i ? Long.parseLong(args[i]) : otherwise;
  }
}
