package lathe.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import lathe.client.SinkWriterClient;
import lathe.protocol.ClusterStatus;
import lathe.protocol.Drive;
import lathe.protocol.Member;
import lathe.protocol.RecordingInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "status", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Show a running cluster: members (address, status, roles), recordings (name, node, state, "
        + "bytes) and drives, as the node at --cluster sees them.")
final class StatusCommand implements Callable<Integer> {

  @Option(names = "--cluster", required = true, paramLabel = "HOST:G", description = "A node's gRPC address.")
  String cluster;

  @Option(names = "--json", description = "Print JSON on stdout.")
  boolean json;

  @Override
  public Integer call() {
    if (!cluster.matches("[^:]+:\\d{1,5}")) {
      throw new UserError("--cluster wants HOST:GRPC_PORT, not '" + cluster + "'", OneLineErrors.USAGE);
    }
    ClusterStatus status;
    try {
      status = SinkWriterClient.clusterStatus(cluster);
    } catch (SinkWriterClient.LatheException e) {
      throw new UserError("cannot reach " + cluster + ": " + e.getMessage());
    }
    if (json) {
      System.out.println(Json.pretty(toMap(status)));
      return 0;
    }
    System.out.println("members (seen from " + status.getSelf() + "):");
    for (Member m : status.getMembersList()) {
      System.out.printf(Locale.ROOT, "  %-36s %-9s %s%s%n", m.getAddress(), m.getStatus(),
          String.join(",", m.getRolesList()), m.getReachable() ? "" : "  UNREACHABLE");
    }
    System.out.println("recordings:");
    for (RecordingInfo r : status.getRecordingsList()) {
      System.out.printf(Locale.ROOT, "  %-32s %-10s %,14d bytes  %s%n", r.getName(), r.getState(), r.getBytes(),
          r.getNode());
    }
    System.out.println("drives:" + (status.getDrivesCount() == 0 ? " none" : ""));
    for (Drive d : status.getDrivesList()) {
      System.out.printf(Locale.ROOT, "  %-24s %-10s %s%n", d.getName(), d.getState(), d.getNode());
    }
    return 0;
  }

  static Map<String, Object> toMap(ClusterStatus s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("self", s.getSelf());
    List<Object> members = new ArrayList<>();
    for (Member x : s.getMembersList()) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("address", x.getAddress());
      e.put("status", x.getStatus());
      e.put("roles", x.getRolesList());
      e.put("reachable", x.getReachable());
      members.add(e);
    }
    m.put("members", members);
    List<Object> recordings = new ArrayList<>();
    for (RecordingInfo x : s.getRecordingsList()) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("name", x.getName());
      e.put("node", x.getNode());
      e.put("state", x.getState());
      e.put("bytes", x.getBytes());
      e.put("path", x.getPath());
      recordings.add(e);
    }
    m.put("recordings", recordings);
    List<Object> drives = new ArrayList<>();
    for (Drive x : s.getDrivesList()) {
      drives.add(Map.of("name", x.getName(), "node", x.getNode(), "state", x.getState()));
    }
    m.put("drives", drives);
    return m;
  }
}
