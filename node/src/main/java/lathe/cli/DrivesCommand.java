package lathe.cli;

import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import lathe.disc.MediaType;
import lathe.drive.DriveActor.MediaInfo;
import lathe.drive.DriveFailure;
import lathe.protocol.DriveList;
import lathe.protocol.FailDriveRequest;
import lathe.protocol.FarmDrive;
import lathe.protocol.ListDrivesRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "drives", mixinStandardHelpOptions = true,
    description = {"List the burners with their discs (media, state, sessions, tracks, sectors, images): this "
        + "machine's (an embedded node on --data-dir), or with --cluster every drive of every node."},
    subcommands = {DrivesCommand.Load.class, DrivesCommand.Eject.class, DrivesCommand.Fail.class})
final class DrivesCommand implements Callable<Integer> {

  @Mixin DriveCli.Common common;

  @Option(names = "--cluster", paramLabel = "HOST:G",
      description = "A node's gRPC address: list the drives of every node of that cluster.")
  String cluster;

  @Override
  public Integer call() throws Exception {
    if (cluster != null) {
      return clusterDrives();
    }
    try (DriveCli cli = DriveCli.open(common.dataDir)) {
      List<MediaInfo> infos = new ArrayList<>();
      for (String id : cli.driveIds()) {
        infos.add(cli.burner(id).mediaInfo());
      }
      if (common.json) {
        System.out.println(DriveCli.JSON.writeValueAsString(
            Map.of("drives", infos.stream().map(DriveCli::json).toList())));
      } else {
        infos.forEach(i -> DriveCli.print(System.out, i));
      }
    } catch (DriveFailure f) {
      throw DriveCli.userError(f);
    }
    return 0;
  }

  private int clusterDrives() {
    try (FarmCli cli = new FarmCli(cluster)) {
      DriveList drives;
      try {
        drives = cli.stub().listDrives(ListDrivesRequest.getDefaultInstance());
      } catch (StatusRuntimeException e) {
        throw cli.error(e);
      }
      if (common.json) {
        System.out.println(FarmCli.json(drives));
      } else {
        drives.getDrivesList().forEach(d -> System.out.println(FarmCli.drive(d)));
      }
      return 0;
    }
  }

  @Command(name = "fail", mixinStandardHelpOptions = true,
      description = "Arm a write fault on a simulated drive of a running cluster: its next audio track fails "
          + "once that share of it is written, as a drive failing mid-disc would (rehearsals and tests).")
  static final class Fail implements Callable<Integer> {
    @Option(names = "--cluster", required = true, paramLabel = "HOST:G", description = "A node's gRPC address.")
    String cluster;

    @Option(names = "--drive", required = true, paramLabel = "ID",
        description = "DRIVE@HOST:PORT as `lathe drives --cluster` lists it, or DRIVE when only one node has it.")
    String drive;

    @Option(names = "--at-percent", required = true, paramLabel = "P", description = "0..100") int percent;

    @Option(names = "--json", description = "Print the drive as JSON on stdout") boolean json;

    @Override
    public Integer call() {
      try (FarmCli cli = new FarmCli(cluster)) {
        FarmDrive d;
        try {
          d = cli.stub().failDrive(FailDriveRequest.newBuilder().setDrive(drive).setAtPercent(percent).build());
        } catch (StatusRuntimeException e) {
          throw cli.error(e);
        }
        System.out.println(json ? FarmCli.json(d)
            : d.getId() + ": its next audio track fails at " + percent + " %");
        return 0;
      }
    }
  }

  @Command(name = "load", mixinStandardHelpOptions = true, description = "Put a blank disc in a drive.")
  static final class Load implements Callable<Integer> {
    @Mixin DriveCli.Common common;

    @Option(names = "--drive", required = true, paramLabel = "ID") String drive;

    @Option(names = "--media", required = true, paramLabel = "TYPE",
        description = "cdr74, cdr80, dvdr, dvdplusr or bdr") String media;

    @Override
    public Integer call() throws Exception {
      MediaType type;
      try {
        type = MediaType.fromId(media);
      } catch (IllegalArgumentException e) {
        throw new UserError(e.getMessage(), 2);
      }
      try (DriveCli cli = DriveCli.open(common.dataDir)) {
        MediaInfo info = cli.burner(drive).load(type);
        if (common.json) {
          System.out.println(DriveCli.JSON.writeValueAsString(DriveCli.json(info)));
        } else {
          DriveCli.print(System.out, info);
        }
      } catch (DriveFailure f) {
        throw DriveCli.userError(f);
      }
      return 0;
    }
  }

  @Command(name = "eject", mixinStandardHelpOptions = true,
      description = "Take the disc out of a drive (a simulated drive keeps its images under ejected/).")
  static final class Eject implements Callable<Integer> {
    @Mixin DriveCli.Common common;

    @Option(names = "--drive", required = true, paramLabel = "ID") String drive;

    @Override
    public Integer call() throws Exception {
      try (DriveCli cli = DriveCli.open(common.dataDir)) {
        MediaInfo info = cli.burner(drive).eject();
        if (common.json) {
          System.out.println(DriveCli.JSON.writeValueAsString(DriveCli.json(info)));
        } else {
          DriveCli.print(System.out, info);
        }
      } catch (DriveFailure f) {
        throw DriveCli.userError(f);
      }
      return 0;
    }
  }
}
