package lathe.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import lathe.disc.MediaType;
import lathe.drive.DriveActor.MediaInfo;
import lathe.drive.DriveFailure;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "drives", mixinStandardHelpOptions = true,
    description = "List the burners with their discs (media, state, sessions, tracks, sectors, images).",
    subcommands = {DrivesCommand.Load.class, DrivesCommand.Eject.class})
final class DrivesCommand implements Callable<Integer> {

  @Mixin DriveCli.Common common;

  @Override
  public Integer call() throws Exception {
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
