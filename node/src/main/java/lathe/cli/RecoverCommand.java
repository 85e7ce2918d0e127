package lathe.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import lathe.sink.Formats;
import lathe.sink.recovery.Recovery;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "recover", mixinStandardHelpOptions = true,
    description = {
        "Turn what an interrupted recording left (NAME.part + NAME.journal) into the finalized NAME, keeping every "
            + "sample the journal holds (every acknowledged one). PATH is a .part file or a folder to scan.",
        "Finalized files are never touched. Exit status 0 when everything found was recovered."})
final class RecoverCommand implements Callable<Integer> {

  @Parameters(paramLabel = "PATH", description = "A .part file, or a folder searched for them.")
  Path path;

  @Option(names = "--json", description = "Print a JSON report on stdout.")
  boolean json;

  @Override
  public Integer call() throws IOException {
    if (!Files.exists(path) && !Files.exists(Path.of(path + ".part"))) {
      throw new UserError(path + ": no such file or directory");
    }
    List<Recovery.Result> results = Recovery.recoverAll(path, Formats.standard());
    List<Map<String, Object>> recovered = new ArrayList<>();
    List<Map<String, Object>> failed = new ArrayList<>();
    for (Recovery.Result r : results) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("part", r.part().toString());
      if (r.ok()) {
        m.put("path", r.output().toString());
        m.put("container", r.container().name().toLowerCase(Locale.ROOT));
        m.put("samples", r.samples());
        m.put("journaled", r.journaled());
        m.put("bytes", r.bytes());
        m.put("tornJournal", r.tornJournal());
        recovered.add(m);
      } else {
        m.put("error", r.error());
        failed.add(m);
      }
    }
    if (json) {
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("recovered", recovered);
      out.put("failed", failed);
      System.out.println(Json.pretty(out));
    } else {
      for (Map<String, Object> m : recovered) {
        System.out.printf(Locale.ROOT, "recovered %s: %,d samples, %,d bytes%n", m.get("path"), m.get("samples"),
            m.get("bytes"));
      }
      if (results.isEmpty()) {
        System.out.println("nothing to recover under " + path);
      }
    }
    if (!failed.isEmpty()) {
      throw new UserError(failed.size() == 1 ? (String) failed.get(0).get("error")
          : failed.size() + " recordings could not be recovered; first: " + failed.get(0).get("error"));
    }
    return 0;
  }
}
