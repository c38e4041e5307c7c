package org.bootfarm.cli.monitoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped Grafana dashboards and provisioning (grafana/): valid JSON, unique uids and panel ids, every
 * panel and query on the provisioned datasource, plain PromQL that promtool parses, and only metrics of the
 * catalogue docs/metrics.md.
 */
@Tag("unit")
class DashboardsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One panel query: where it is and what it says. */
  record Query(String dashboard, int panelId, String panelTitle, String refId, String expr) {
    String where() {
      return dashboard + " panel " + panelId + " \"" + panelTitle + "\" target " + refId;
    }
  }

  static Map<Path, JsonNode> dashboards() throws IOException {
    Map<Path, JsonNode> boards = new LinkedHashMap<>();
    for (Path file : MonitoringFiles.dashboards()) {
      boards.put(file, JSON.readTree(file.toFile()));
    }
    return boards;
  }

  /** Every panel of a dashboard, rows' nested panels included, in file order. */
  static List<JsonNode> panels(JsonNode dashboard) {
    List<JsonNode> all = new ArrayList<>();
    collect(dashboard.path("panels"), all);
    return all;
  }

  private static void collect(JsonNode panels, List<JsonNode> into) {
    for (JsonNode panel : panels) {
      into.add(panel);
      collect(panel.path("panels"), into);
    }
  }

  static List<Query> queries() throws IOException {
    List<Query> queries = new ArrayList<>();
    for (Map.Entry<Path, JsonNode> board : dashboards().entrySet()) {
      for (JsonNode panel : panels(board.getValue())) {
        for (JsonNode target : panel.path("targets")) {
          queries.add(new Query(board.getKey().getFileName().toString(), panel.path("id").asInt(),
              panel.path("title").asText(), target.path("refId").asText(), target.path("expr").asText()));
        }
      }
    }
    return queries;
  }

  @Test
  void theFourDashboardsOfTheIssueAreThere() throws Exception {
    assertEquals(List.of("builds-and-stages.json", "farm-overview.json", "reproducibility.json",
        "workers-and-caches.json"), MonitoringFiles.dashboards().stream().map(p -> p.getFileName().toString()).toList());
  }

  @Test
  void everyDashboardIsValidJsonWithAUniqueUidAndTitle() throws Exception {
    Set<String> uids = new TreeSet<>();
    Set<String> titles = new TreeSet<>();
    for (Path file : MonitoringFiles.dashboards()) {
      JsonNode board = JSON.readTree(file.toFile()); // throws on invalid JSON, naming line and column
      assertTrue(board.isObject(), file + " is not a JSON object");
      String uid = board.path("uid").asText("");
      assertTrue(uid.matches("[a-zA-Z0-9_-]{1,40}"), file + ": uid '" + uid + "' must be 1-40 letters, digits, - or _");
      assertTrue(uids.add(uid), file + ": uid " + uid + " is used by another dashboard");
      assertTrue(titles.add(board.path("title").asText("")), file + ": title repeats another dashboard's");
      assertFalse(board.path("description").asText("").isBlank(), file + " needs a description");
      assertTrue(board.path("panels").size() > 0, file + " has no panels");
    }
  }

  @Test
  void panelIdsAreUniqueWithinEachDashboardIncludingRows() throws Exception {
    for (Map.Entry<Path, JsonNode> board : dashboards().entrySet()) {
      Set<Integer> ids = new TreeSet<>();
      for (JsonNode panel : panels(board.getValue())) {
        assertTrue(panel.path("id").isInt(), board.getKey() + ": panel \"" + panel.path("title").asText()
            + "\" has no integer id");
        assertTrue(ids.add(panel.path("id").asInt()), board.getKey() + ": panel id " + panel.path("id")
            + " is used twice (\"" + panel.path("title").asText() + "\")");
      }
    }
  }

  @Test
  void panelIdCheckSeesPanelsNestedInCollapsedRows() {
    ObjectNode board = JSON.createObjectNode();
    ArrayNode top = board.putArray("panels");
    ObjectNode row = top.addObject().put("id", 1).put("type", "row");
    row.putArray("panels").addObject().put("id", 2).put("type", "stat");
    top.addObject().put("id", 3).put("type", "stat");
    assertEquals(List.of(1, 2, 3), panels(board).stream().map(p -> p.path("id").asInt()).toList());
  }

  @Test
  void everyPanelAndTargetQueriesTheProvisionedDatasource() throws Exception {
    JsonNode provisioned = JSON.createObjectNode().put("type", "prometheus").put("uid", MonitoringFiles.DATASOURCE_UID);
    for (Map.Entry<Path, JsonNode> board : dashboards().entrySet()) {
      for (JsonNode panel : panels(board.getValue())) {
        String where = board.getKey().getFileName() + " panel " + panel.path("id") + " \"" + panel.path("title").asText() + "\"";
        if (panel.path("type").asText().equals("row")) {
          assertEquals(0, panel.path("targets").size(), where + ": a row has no queries");
          continue;
        }
        assertFalse(panel.path("title").asText("").isBlank(), where + " needs a title");
        assertFalse(panel.path("description").asText("").isBlank(), where + " needs a description");
        assertEquals(provisioned, panel.path("datasource"), where + ": datasource must be the provisioned one");
        assertTrue(panel.path("targets").size() > 0, where + " has no query");
        Set<String> refIds = new TreeSet<>();
        for (JsonNode target : panel.path("targets")) {
          assertEquals(provisioned, target.path("datasource"), where + " target " + target.path("refId")
              + ": datasource must be the provisioned one");
          assertTrue(refIds.add(target.path("refId").asText()), where + ": refId " + target.path("refId") + " twice");
          assertFalse(target.path("expr").asText("").isBlank(), where + " target " + target.path("refId") + " has no expr");
        }
      }
      for (JsonNode annotation : board.getValue().path("annotations").path("list")) {
        assertEquals(provisioned, annotation.path("datasource"), board.getKey() + ": annotation \""
            + annotation.path("name").asText() + "\" must query the provisioned datasource");
      }
    }
  }

  @Test
  void queriesUseNoTemplateVariablesOrMacros() throws Exception {
    for (Map.Entry<Path, JsonNode> board : dashboards().entrySet()) {
      assertEquals(0, board.getValue().path("templating").path("list").size(),
          board.getKey() + " has template variables; the queries must be plain PromQL");
    }
    for (Query query : queries()) {
      assertFalse(query.expr().contains("$"), query.where() + " uses a Grafana variable or macro: " + query.expr());
    }
  }

  @Test
  void queriesSelectOnlyCatalogueMetrics() throws Exception {
    MetricCatalogue catalogue = MetricCatalogue.read(MonitoringFiles.repoRoot().resolve("docs/metrics.md"));
    Set<String> allowed = catalogue.selectableSeries();
    for (Query query : queries()) {
      Set<String> selected = PromqlNames.selected(query.expr());
      assertFalse(selected.isEmpty(), query.where() + " selects no metric: " + query.expr());
      Set<String> unknown = new TreeSet<>(selected);
      unknown.removeAll(allowed);
      assertTrue(unknown.isEmpty(), query.where() + " selects " + unknown + ", which docs/metrics.md does not list: "
          + query.expr());
    }
  }

  @Test
  void everyCatalogueMetricIsOnADashboard() throws Exception {
    MetricCatalogue catalogue = MetricCatalogue.read(MonitoringFiles.repoRoot().resolve("docs/metrics.md"));
    Set<String> shown = new TreeSet<>();
    for (Query query : queries()) {
      PromqlNames.selected(query.expr()).forEach(series -> shown.add(catalogue.baseName(series)));
    }
    Set<String> missing = new TreeSet<>(catalogue.names());
    missing.removeAll(shown);
    assertTrue(missing.isEmpty(), "no dashboard panel shows " + missing);
  }

  @Test
  void metricNamesAreFoundInsideFunctionsAndNotInLabelsOrGroupings() {
    assertEquals(Set.of("bootfarm_build_duration_seconds_bucket"), PromqlNames.selected(
        "histogram_quantile(0.95, sum by (le, target) (rate(bootfarm_build_duration_seconds_bucket{outcome=\"succeeded\"}[30m])))"));
    assertEquals(Set.of("bootfarm_verdicts_total", "not_in_catalogue"), PromqlNames.selected(
        "sum(increase(bootfarm_verdicts_total{verdict=\"x\"}[7d])) / on() group_left sum(not_in_catalogue) or vector(0)"));
    assertEquals(Set.of("up"), PromqlNames.selected("sum(up{job=\"bootfarm-worker\"}) * 1e3 > bool 0.5"));
  }

  @Test
  void everyQueryParsesAsPromql(@TempDir Path dir) throws Exception {
    List<Query> queries = queries();
    Promtool.Result check = checkAsRecordingRules(dir, queries);
    assertTrue(check.succeeded(), "promtool rejects a dashboard query (rules named DASHBOARD_panel_ID_REFID):\n"
        + check.output());
    assertTrue(check.output().contains("SUCCESS: " + queries.size() + " rules found"), check.output());
  }

  @Test
  void promqlCheckRejectsATypo(@TempDir Path dir) throws Exception {
    Promtool.Result check = checkAsRecordingRules(dir, List.of(
        new Query("typo.json", 1, "typo", "A", "sum(rate(bootfarm_builds_finished_total[5m])")));
    assertFalse(check.succeeded(), "promtool accepted an unbalanced parenthesis:\n" + check.output());
  }

  /** Writes the queries as recording rules (JSON is YAML) and runs promtool check rules on them. */
  private static Promtool.Result checkAsRecordingRules(Path dir, List<Query> queries) throws Exception {
    ObjectNode file = JSON.createObjectNode();
    Map<String, ArrayNode> groups = new LinkedHashMap<>();
    ArrayNode groupList = file.putArray("groups");
    for (Query query : queries) {
      ArrayNode rules = groups.computeIfAbsent(query.dashboard(), name -> {
        ObjectNode group = groupList.addObject().put("name", name);
        return group.putArray("rules");
      });
      String board = query.dashboard().replaceAll("\\.json$", "").replaceAll("[^a-zA-Z0-9]", "_");
      rules.addObject().put("record", board + "_panel_" + query.panelId() + "_" + query.refId())
          .put("expr", query.expr());
    }
    Files.writeString(dir.resolve("dashboard-queries.yml"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(file));
    return Promtool.run(dir, "check", "rules", "dashboard-queries.yml");
  }

  @Test
  void provisioningNamesTheDatasourceUidAndTheDashboardsPath() throws Exception {
    String datasource = Files.readString(MonitoringFiles.grafanaDir().resolve("provisioning/datasources/prometheus.yaml"));
    assertTrue(datasource.lines().anyMatch(l -> l.trim().equals("uid: " + MonitoringFiles.DATASOURCE_UID)),
        "the datasource must be provisioned with uid " + MonitoringFiles.DATASOURCE_UID + ", which the dashboards name");
    assertTrue(datasource.lines().anyMatch(l -> l.trim().equals("type: prometheus")), "datasource type prometheus");
    String provider = Files.readString(MonitoringFiles.grafanaDir().resolve("provisioning/dashboards/bootfarm.yaml"));
    assertTrue(provider.lines().anyMatch(l -> l.trim().equals("path: /var/lib/grafana/dashboards")),
        "the dashboard provider must load /var/lib/grafana/dashboards, where grafana/dashboards is mounted");
  }
}
