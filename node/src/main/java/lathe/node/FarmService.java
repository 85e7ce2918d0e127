package lathe.node;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import lathe.disc.MediaType;
import lathe.drive.DriveActor;
import lathe.drive.DriveSerializer;
import lathe.farm.Farm;
import lathe.farm.FarmCoordinator;
import lathe.farm.FileServer;
import lathe.protocol.ArchiveRequest;
import lathe.protocol.DriveList;
import lathe.protocol.FailDriveRequest;
import lathe.protocol.FarmAttempt;
import lathe.protocol.FarmDisc;
import lathe.protocol.FarmDrive;
import lathe.protocol.FarmGrpc;
import lathe.protocol.FarmJob;
import lathe.protocol.FarmJobs;
import lathe.protocol.FarmSource;
import lathe.protocol.FileDescribe;
import lathe.protocol.FileDescription;
import lathe.protocol.JobList;
import lathe.protocol.JobRequest;
import lathe.protocol.ListDrivesRequest;
import lathe.protocol.ListJobsRequest;
import lathe.protocol.RecordingInfo;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * The gRPC face of the burner farm on every node: it turns recording names into sources (the registry says
 * where each file is, the file server on that node hashes it and checks CD audio), hands jobs to the
 * coordinator singleton, follows them, lists the drives of every node and arms rehearsal faults.
 */
final class FarmService extends FarmGrpc.FarmImplBase {
  private static final Duration QUICK = Duration.ofSeconds(30);
  /** Hashing a recording of several GB on its node takes a while. */
  private static final Duration DESCRIBE = Duration.ofMinutes(10);
  private static final Duration WATCH_EVERY = Duration.ofMillis(500);

  private final ActorSystem<?> system;
  private final Registry registry;
  private final ActorRef<FarmCoordinator.Command> coordinator;

  FarmService(ActorSystem<?> system, Registry registry, ActorRef<FarmCoordinator.Command> coordinator) {
    this.system = system;
    this.registry = registry;
    this.coordinator = coordinator;
  }

  @Override
  public void archive(ArchiveRequest req, StreamObserver<FarmJob> out) {
    CompletionStage<FarmJob> job;
    try {
      job = submit(req);
    } catch (StatusRuntimeException e) {
      job = CompletableFuture.failedFuture(e);
    }
    reply(job, out);
  }

  private CompletionStage<FarmJob> submit(ArchiveRequest req) {
    String kind = req.getAs();
    if (!kind.equals("audio-cd") && !kind.equals("data")) {
      throw invalid("archive as audio-cd or data, not '" + kind + "'");
    }
    String media = req.getMedia().isEmpty() ? "cdr80" : req.getMedia();
    try {
      MediaType.fromId(media);
    } catch (IllegalArgumentException e) {
      throw invalid(e.getMessage());
    }
    if (req.getRecordingsCount() == 0) {
      throw invalid("name at least one recording to archive");
    }
    if (new HashSet<>(req.getRecordingsList()).size() != req.getRecordingsCount()) {
      throw invalid("a recording is named twice");
    }
    if (req.getCdExtra() && !kind.equals("audio-cd")) {
      throw invalid("--cd-extra is for audio CDs");
    }
    if (req.getSpeed() < 0 || req.getSpeed() > 52) {
      throw invalid("a write speed is 1..52 (x) or 0 for the fastest");
    }
    boolean audio = kind.equals("audio-cd");
    return registry.all().thenCompose(known -> {
      Map<String, RecordingInfo> byName = new HashMap<>();
      for (RecordingInfo r : known) {
        byName.put(r.getName(), r);
      }
      List<RecordingInfo> chosen = new ArrayList<>();
      for (String name : req.getRecordingsList()) {
        RecordingInfo r = byName.get(name);
        if (r == null) {
          throw new CompletionException(Status.NOT_FOUND.withDescription("no recording named '" + name
              + "' in the cluster (lathe status lists them)").asRuntimeException());
        }
        if (!r.getState().equals("finalized") && !r.getState().equals("recovered")) {
          throw new CompletionException(Status.FAILED_PRECONDITION.withDescription("recording '" + name + "' is "
              + r.getState() + "; only finalized recordings can be archived").asRuntimeException());
        }
        chosen.add(r);
      }
      return fileServers().thenCompose(servers -> {
        List<CompletableFuture<FarmSource>> sources = new ArrayList<>();
        for (RecordingInfo r : chosen) {
          sources.add(describe(servers, r, audio).toCompletableFuture());
        }
        return CompletableFuture.allOf(sources.toArray(CompletableFuture[]::new)).thenApply(x -> {
          FarmJob.Builder draft = FarmJob.newBuilder().setKind(kind).setMedia(media)
              .setLeaveOpen(req.getLeaveOpen()).setCdExtra(req.getCdExtra()).setSpeed(req.getSpeed());
          sources.forEach(s -> draft.addSources(s.join()));
          return draft.build();
        });
      });
    }).thenCompose(draft -> AskPattern.<FarmCoordinator.Command, FarmJobs>ask(coordinator,
        r -> new FarmCoordinator.Submit(draft, r), QUICK, system.scheduler())).thenApply(jobs -> {
          if (!jobs.getError().isEmpty()) {
            throw new CompletionException(invalid(jobs.getError()));
          }
          return jobs.getJobs(0);
        });
  }

  private CompletionStage<FarmSource> describe(Map<String, ActorRef<FileServer.Command>> servers,
      RecordingInfo r, boolean audio) {
    String node = hostPort(r.getNode());
    ActorRef<FileServer.Command> server = servers.get(node);
    if (server == null) {
      return CompletableFuture.failedFuture(Status.UNAVAILABLE.withDescription("the node holding '"
          + r.getName() + "' (" + node + ") is not in the cluster").asRuntimeException());
    }
    FileDescribe req = FileDescribe.newBuilder().setPath(r.getPath()).setAudio(audio).build();
    return AskPattern.<FileServer.Command, FileDescription>ask(server, x -> new FileServer.Describe(req, x),
        DESCRIBE, system.scheduler()).thenApply(d -> {
          if (!d.getError().isEmpty()) {
            throw new CompletionException(invalid("recording '" + r.getName() + "': " + d.getError()));
          }
          return FarmSource.newBuilder().setName(r.getName()).setNode(node).setPath(r.getPath())
              .setBytes(d.getBytes()).setSha256(d.getSha256()).setPcmOffset(d.getPcmOffset())
              .setPcmBytes(d.getPcmBytes()).setPcmSha256(d.getPcmSha256()).build();
        });
  }

  @Override
  public void watchJob(JobRequest req, StreamObserver<FarmJob> out) {
    ServerCallStreamObserver<FarmJob> call = (ServerCallStreamObserver<FarmJob>) out;
    AtomicReference<FarmJob> last = new AtomicReference<>();
    AtomicReference<Cancellable> timer = new AtomicReference<>();
    Object lock = new Object();
    Runnable poll = () -> jobs().whenComplete((jobs, t) -> {
      synchronized (lock) {
        if (call.isCancelled() || timer.get() == null) {
          return;
        }
        if (t != null) {
          // the coordinator is moving to another node: ask again at the next tick
          return;
        }
        FarmJob job = jobs.stream().filter(j -> j.getId().equals(req.getId())).findFirst().orElse(null);
        if (job == null) {
          timer.getAndSet(null).cancel();
          out.onError(Status.NOT_FOUND.withDescription("no job " + req.getId()).asRuntimeException());
          return;
        }
        if (!job.equals(last.get())) {
          last.set(job);
          out.onNext(job);
        }
        if (job.getState().equals("done") || job.getState().equals("failed")) {
          timer.getAndSet(null).cancel();
          out.onCompleted();
        }
      }
    });
    synchronized (lock) {
      timer.set(system.scheduler().scheduleAtFixedRate(Duration.ZERO, WATCH_EVERY, poll,
          system.executionContext()));
    }
    call.setOnCancelHandler(() -> {
      synchronized (lock) {
        Cancellable c = timer.getAndSet(null);
        if (c != null) {
          c.cancel();
        }
      }
    });
  }

  @Override
  public void listJobs(ListJobsRequest req, StreamObserver<JobList> out) {
    reply(jobs().thenApply(jobs -> JobList.newBuilder().addAllJobs(jobs).build()), out);
  }

  @Override
  public void listDrives(ListDrivesRequest req, StreamObserver<DriveList> out) {
    reply(drives().thenApply(drives -> DriveList.newBuilder().addAllDrives(drives).build()), out);
  }

  @Override
  public void failDrive(FailDriveRequest req, StreamObserver<FarmDrive> out) {
    if (req.getAtPercent() < 0 || req.getAtPercent() > 100) {
      out.onError(invalid("--at-percent is 0..100"));
      return;
    }
    reply(driveRefs().thenCompose(refs -> {
      ActorRef<DriveActor.Command> ref = find(refs, req.getDrive());
      return AskPattern.<DriveActor.Command, DriveActor.Reply>ask(ref,
          r -> new DriveActor.InjectWriteFault(req.getAtPercent(), true, r), QUICK, system.scheduler())
          .thenApply(reply -> {
            if (!reply.ok()) {
              throw new CompletionException(invalid(reply.error() + ": " + reply.message()));
            }
            return FarmDrive.newBuilder().setId(Farm.driveId(system, ref)).setNode(Farm.node(system, ref))
                .setMedia(DriveSerializer.toProto(reply.media())).setStatus("armed").build();
          });
    }), out);
  }

  /** A drive by DRIVE@HOST:PORT, or by DRIVE alone when only one node has it. */
  private ActorRef<DriveActor.Command> find(Map<String, ActorRef<DriveActor.Command>> refs, String id) {
    if (refs.containsKey(id)) {
      return refs.get(id);
    }
    List<String> same = refs.keySet().stream().filter(k -> k.startsWith(id + "@")).sorted().toList();
    if (same.size() == 1) {
      return refs.get(same.get(0));
    }
    if (same.size() > 1) {
      throw new CompletionException(invalid("drive " + id + " is on " + same.size() + " nodes; name one of "
          + String.join(", ", same)));
    }
    throw new CompletionException(Status.NOT_FOUND.withDescription("no drive " + id + " in the cluster; drives: "
        + String.join(", ", refs.keySet().stream().sorted().toList())).asRuntimeException());
  }

  /**
   * Every drive of every node with its media, and whether the farm is burning on it. Cluster status asks too, so
   * a coordinator that is moving to another node gets a few seconds, not the usual thirty.
   */
  CompletionStage<List<FarmDrive>> drives() {
    CompletionStage<Set<String>> burning = jobs(Duration.ofSeconds(3)).handle((jobs, t) -> {
      Set<String> busy = new HashSet<>();
      for (FarmJob j : t == null ? List.<FarmJob>of() : jobs) {
        for (FarmDisc d : j.getDiscsList()) {
          if (d.getAttemptsCount() > 0) {
            FarmAttempt a = d.getAttempts(d.getAttemptsCount() - 1);
            if (a.getState().equals("burning") || a.getState().equals("verifying")) {
              busy.add(a.getDrive());
            }
          }
        }
      }
      return busy;
    });
    return driveRefs().thenCombine(burning, (refs, busy) -> {
      List<CompletableFuture<FarmDrive>> each = new ArrayList<>();
      refs.keySet().stream().sorted().forEach(id -> {
        ActorRef<DriveActor.Command> ref = refs.get(id);
        FarmDrive.Builder b = FarmDrive.newBuilder().setId(id).setNode(Farm.node(system, ref));
        each.add(AskPattern.<DriveActor.Command, DriveActor.MediaInfo>ask(ref, DriveActor.GetMediaInfo::new,
            Duration.ofSeconds(5), system.scheduler()).toCompletableFuture().handle((info, t) -> {
              if (t != null) {
                return b.setStatus("unreachable").build();
              }
              String status = busy.contains(id) ? "burning" : info.writing() || info.prepared() ? "busy" : "idle";
              return b.setMedia(DriveSerializer.toProto(info)).setStatus(status).build();
            }));
      });
      return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new))
          .thenApply(x -> each.stream().map(CompletableFuture::join).toList());
    }).thenCompose(f -> f);
  }

  private CompletionStage<List<FarmJob>> jobs() {
    return jobs(QUICK);
  }

  private CompletionStage<List<FarmJob>> jobs(Duration within) {
    return AskPattern.<FarmCoordinator.Command, FarmJobs>ask(coordinator, FarmCoordinator.GetJobs::new, within,
        system.scheduler()).thenApply(FarmJobs::getJobsList);
  }

  private CompletionStage<Map<String, ActorRef<DriveActor.Command>>> driveRefs() {
    return listing(DriveActor.SERVICE_KEY).thenApply(refs -> {
      Map<String, ActorRef<DriveActor.Command>> byId = new HashMap<>();
      refs.forEach(r -> byId.put(Farm.driveId(system, r), r));
      return byId;
    });
  }

  private CompletionStage<Map<String, ActorRef<FileServer.Command>>> fileServers() {
    return listing(FileServer.SERVICE_KEY).thenApply(refs -> {
      Map<String, ActorRef<FileServer.Command>> byNode = new HashMap<>();
      refs.forEach(r -> byNode.put(Farm.node(system, r), r));
      return byNode;
    });
  }

  private <T> CompletionStage<Set<ActorRef<T>>> listing(ServiceKey<T> key) {
    return AskPattern.<Receptionist.Command, Receptionist.Listing>ask(system.receptionist(),
        r -> Receptionist.find(key, r), QUICK, system.scheduler()).thenApply(l -> l.getServiceInstances(key));
  }

  /** pekko://lathe@HOST:PORT → HOST:PORT. */
  static String hostPort(String address) {
    int at = address.indexOf('@');
    return at < 0 ? address : address.substring(at + 1);
  }

  private static StatusRuntimeException invalid(String message) {
    return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
  }

  private static <T> void reply(CompletionStage<T> result, StreamObserver<T> out) {
    result.whenComplete((r, t) -> {
      if (t == null) {
        out.onNext(r);
        out.onCompleted();
        return;
      }
      Throwable cause = t;
      while (cause instanceof CompletionException && cause.getCause() != null) {
        cause = cause.getCause();
      }
      if (cause instanceof java.util.concurrent.TimeoutException) {
        out.onError(Status.UNAVAILABLE.withDescription("the farm coordinator did not answer in time (it may be "
            + "moving to another node); try again").asRuntimeException());
        return;
      }
      out.onError(cause instanceof StatusRuntimeException ? cause
          : Status.INTERNAL.withDescription("INTERNAL: " + cause.getMessage()).asRuntimeException());
    });
  }
}
