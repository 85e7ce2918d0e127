package lathe.farm;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import lathe.disc.DiscException;
import lathe.disc.WavInfo;
import lathe.protocol.FileChunk;
import lathe.protocol.FileDescribe;
import lathe.protocol.FileDescription;
import lathe.protocol.FileReadChunk;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * Lends the files of one node's archive to the rest of the cluster: a description (size, SHA-256, and for a
 * WAV where its CD audio is) and reads of bounded chunks, so a burner on another node pulls a recording at its
 * own pace and no message comes near Artery's frame limit. Nothing outside the archive root is served.
 */
public final class FileServer {
  private FileServer() {}

  public interface Command {}

  /** Describes {@code path}; {@code audio} also checks it is CD audio and hashes its PCM. */
  public record Describe(FileDescribe request, ActorRef<FileDescription> replyTo) implements Command {}

  /** At most {@link #MAX_CHUNK} bytes of {@code path} from {@code offset}. */
  public record ReadChunk(FileReadChunk request, ActorRef<FileChunk> replyTo) implements Command {}

  public static final ServiceKey<Command> SERVICE_KEY = ServiceKey.create(Command.class, "lathe-file-server");
  /** Well under Artery's 256 KiB frame with the envelope. */
  public static final int MAX_CHUNK = 128 * 1024;

  public static Behavior<Command> create(Path root) {
    Path base = root.toAbsolutePath().normalize();
    return Behaviors.setup(ctx -> {
      ctx.getSystem().receptionist().tell(Receptionist.register(SERVICE_KEY, ctx.getSelf()));
      Executor io = ctx.getSystem().dispatchers().lookup(DispatcherSelector.fromConfig(Farm.IO_DISPATCHER));
      return Behaviors.receive(Command.class)
          .onMessage(Describe.class, m -> {
            CompletableFuture.supplyAsync(() -> describe(base, m.request()), io).thenAccept(m.replyTo()::tell);
            return Behaviors.same();
          })
          .onMessage(ReadChunk.class, m -> {
            CompletableFuture.supplyAsync(() -> read(base, m.request()), io).thenAccept(m.replyTo()::tell);
            return Behaviors.same();
          })
          .build();
    });
  }

  static FileDescription describe(Path base, FileDescribe req) {
    FileDescription.Builder b = FileDescription.newBuilder().setPath(req.getPath());
    try {
      Path p = inside(base, req.getPath());
      b.setBytes(Files.size(p)).setSha256(Checksums.sha256(p));
      if (req.getAudio()) {
        WavInfo wav = WavInfo.read(p);
        b.setPcmOffset(wav.dataOffset()).setPcmBytes(wav.dataBytes())
            .setPcmSha256(Checksums.sha256(p, wav.dataOffset(), wav.dataBytes()));
      }
    } catch (DiscException e) {
      b.setError(e.getMessage());
    } catch (IOException | RuntimeException e) {
      b.setError("cannot read " + req.getPath() + ": " + e.getMessage());
    }
    return b.build();
  }

  static FileChunk read(Path base, FileReadChunk req) {
    FileChunk.Builder b = FileChunk.newBuilder().setPath(req.getPath()).setOffset(req.getOffset());
    try (FileChannel ch = FileChannel.open(inside(base, req.getPath()), StandardOpenOption.READ)) {
      int want = (int) Math.max(0, Math.min(Math.min(req.getLength(), MAX_CHUNK), ch.size() - req.getOffset()));
      ByteBuffer buf = ByteBuffer.allocate(want);
      while (buf.hasRemaining() && ch.read(buf, req.getOffset() + buf.position()) >= 0) {
        // read fully
      }
      buf.flip();
      b.setData(ByteString.copyFrom(buf)).setEof(req.getOffset() + buf.limit() >= ch.size());
    } catch (IOException | RuntimeException e) {
      b.setError("cannot read " + req.getPath() + ": " + e.getMessage());
    }
    return b.build();
  }

  private static Path inside(Path base, String path) throws IOException {
    Path p = Path.of(path).toAbsolutePath().normalize();
    if (!p.startsWith(base)) {
      throw new IOException("outside the archive of this node");
    }
    if (!Files.isRegularFile(p)) {
      throw new IOException("no such file");
    }
    return p;
  }
}
