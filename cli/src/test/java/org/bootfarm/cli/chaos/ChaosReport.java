package org.bootfarm.cli.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.bootfarm.protocol.Sha256;

/**
 * The chaos benchmark's end: waits (bounded) until every accepted build finished, then prints the machine line,
 * the per-fault table and the totals: accepted, SUCCEEDED, FAILED, lost (accepted and finished on no coordinator,
 * or unknown to every one), duplicated (two runs of one build ended SUCCEEDED, per the workers' logs), and artifacts
 * of SUCCEEDED builds whose downloaded bytes do not hash to their recorded sha256 (corrupt) or do not download
 * at all (missing).
 */
final class ChaosReport {
  private final ChaosBenchmark bench;

  ChaosReport(ChaosBenchmark bench) {
    this.bench = bench;
  }

  private static boolean finished(JsonNode build) {
    return build != null && !List.of("QUEUED", "RUNNING").contains(build.get("state").asText());
  }

  void print() throws Exception {
    int drain = Integer.parseInt(System.getenv().getOrDefault("CHAOS_DRAIN_SECONDS", "420"));
    long deadline = System.nanoTime() + drain * 1_000_000_000L;
    List<String> ids = List.copyOf(bench.accepted);
    Map<String, JsonNode> last = new TreeMap<>();
    bench.say("draining: " + ids.size() + " accepted builds, up to " + drain + " s");
    double drainStart = bench.now();
    long onlyUnknownSince = System.nanoTime();
    while (true) {
      int open = 0;
      int known = 0;
      for (String id : ids) {
        if (finished(last.get(id))) {
          continue;
        }
        JsonNode build = bench.build(id);
        if (build != null) {
          last.put(id, build);
          known++;
        }
        if (!finished(build)) {
          open++;
        }
      }
      if (known > 0) {
        onlyUnknownSince = System.nanoTime();
      }
      // what is left no coordinator knows: after a minute of that, it will not come back
      boolean hopeless = System.nanoTime() - onlyUnknownSince > 60_000_000_000L;
      if (open == 0 || hopeless || System.nanoTime() > deadline) {
        bench.say("drain ended after " + String.format("%.0f", bench.now() - drainStart) + " s with " + open
            + " builds not finished");
        break;
      }
      Thread.sleep(3000);
    }
    // each coordinator's own final answer, to see whether they agree
    int disagree = 0;
    int unknownToOne = 0;
    for (String id : ids) {
      String one = state(bench.http.json(bench.api("c1"), "/api/v1/builds/" + id, 5));
      String two = state(bench.http.json(bench.api("c2"), "/api/v1/builds/" + id, 5));
      if (!one.equals(two)) {
        disagree++;
      }
      if (one.equals("UNKNOWN") != two.equals("UNKNOWN")) {
        unknownToOne++;
      }
    }
    Map<String, Integer> states = new TreeMap<>();
    Map<String, Integer> failures = new TreeMap<>();
    List<String> lost = new ArrayList<>();
    int corrupt = 0;
    int missing = 0;
    int forgotten = 0;
    int checked = 0;
    for (String id : ids) {
      JsonNode build = last.get(id);
      String state = build == null ? "UNKNOWN" : build.get("state").asText();
      states.merge(state, 1, Integer::sum);
      if (!finished(build)) {
        lost.add(id + " (" + state + ")");
      }
      if (state.equals("FAILED")) {
        String error = build.path("error").asText("");
        if (error.contains("does not know")) {
          forgotten++;
        }
        failures.merge(error.length() > 110 ? error.substring(0, 110) + "…" : error, 1, Integer::sum);
      }
      if (state.equals("SUCCEEDED")) {
        for (JsonNode artifact : build.path("artifacts")) {
          String sha = artifact.get("sha256").asText();
          byte[] bytes = null;
          for (String c : bench.coordinators()) {
            bytes = bench.http.bytes(bench.api(c), "/api/v1/artifacts/" + sha, 60);
            if (bytes != null) {
              break;
            }
          }
          checked++;
          if (bytes == null) {
            missing++;
          } else if (!Sha256.of(bytes).equals(sha) || bytes.length != artifact.path("size").asLong(bytes.length)) {
            corrupt++;
          }
        }
      }
    }
    Map<String, Map<String, String>> runs = bench.runsFromWorkerLogs();
    List<String> duplicated = new ArrayList<>();
    runs.forEach((id, byRun) -> {
      List<String> succeeded = byRun.entrySet().stream().filter(e -> e.getValue().equals("SUCCEEDED"))
          .map(Map.Entry::getKey).toList();
      if (succeeded.size() > 1) {
        duplicated.add(id + " " + succeeded);
      }
    });
    int succeeded = states.getOrDefault("SUCCEEDED", 0);
    int failed = states.getOrDefault("FAILED", 0);
    int unanswered = bench.refused.getOrDefault("unanswered", 0);
    int refusedTotal = bench.refused.values().stream().mapToInt(Integer::intValue).sum() - unanswered;
    System.out.println();
    System.out.printf("chaos: store=%s faults=%d accepted=%d succeeded=%d failed=%d lost=%d duplicated=%d"
            + " corrupt=%d missing_artifacts=%d artifacts_checked=%d coordinators_disagree=%d"
            + " submits_unanswered=%d submits_refused=%d failed_unrecorded=%d%n", bench.store, bench.done.size(),
        ids.size(), succeeded, failed, lost.size(), duplicated.size(), corrupt, missing, checked, disagree, unanswered,
        refusedTotal, forgotten);
    System.out.println();
    System.out.println("| # | at (s) | fault | victim | builds held | s until taken back | s until they ran elsewhere"
        + " | note |");
    System.out.println("|---|---|---|---|---|---|---|---|");
    for (ChaosBenchmark.Fault f : bench.done) {
      String until;
      if (f.victim.startsWith("c")) {
        until = f.note.startsWith("standby") ? "-" : f.cutShort ? "none before the next fault"
            : Double.isNaN(f.recovered) ? "never (120 s)"
            : String.format("%.1f (other coordinator active)", f.recovered);
      } else {
        until = f.held.isEmpty() ? "-" : Double.isNaN(f.recovered) ? "never (120 s)" : String.format("%.1f", f.recovered);
      }
      String takenBack = f.victim.startsWith("c") || f.held.isEmpty() ? "-"
          : Double.isNaN(f.takenBack) ? "never (120 s)" : String.format("%.1f", f.takenBack);
      System.out.printf("| %d | %.0f | %s | %s | %d | %s | %s | %s |%n", f.number, f.at, f.kind.name().toLowerCase()
          .replace('_', ' '), f.victim, f.held.size(), takenBack, until, f.note);
    }
    System.out.println();
    System.out.println("| builds | count |");
    System.out.println("|---|---|");
    System.out.println("| accepted (201 with an id) | " + ids.size() + " |");
    states.forEach((state, count) -> System.out.println("| " + state + " at the end | " + count + " |"));
    System.out.println("| lost (accepted, never finished or unknown) | " + lost.size() + " |");
    System.out.println("| duplicated (two runs ended SUCCEEDED) | " + duplicated.size() + " |");
    System.out.println("| artifacts checked / corrupt / missing | " + checked + " / " + corrupt + " / " + missing + " |");
    System.out.println("| FAILED because the active coordinator had no record of them (lost, then failed) | "
        + forgotten + " |");
    System.out.println("| builds the two coordinators answer differently / unknown to one of them | " + disagree
        + " / " + unknownToOne + " |");
    System.out.println("| submits unanswered / refused (not accepted) | " + unanswered + " / " + refusedTotal + " |");
    System.out.println("| coordinators active at the end | " + bench.active() + " |");
    StringBuilder exits = new StringBuilder();
    bench.members.values().forEach(m -> exits.append(m.name).append(' ').append(m.unplannedExits).append(' '));
    System.out.println("| exits nobody asked for, restarted by the supervisor | " + exits.toString().trim() + " |");
    if (!failures.isEmpty()) {
      System.out.println();
      System.out.println("FAILED builds by error:");
      failures.forEach((error, count) -> System.out.println("  " + count + " × " + error));
    }
    if (!lost.isEmpty()) {
      System.out.println("lost: " + lost);
    }
    if (!duplicated.isEmpty()) {
      System.out.println("duplicated: " + duplicated);
    }
    if (!bench.refused.isEmpty()) {
      System.out.println("submits not accepted, by answer: " + bench.refused);
    }
  }

  private static String state(JsonNode build) {
    return build == null || !build.has("state") ? "UNKNOWN" : build.get("state").asText();
  }
}
