package org.bootfarm.cli.monitoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped Prometheus configuration and alert rules (deploy/prometheus): promtool accepts them, the
 * promtool unit tests pass, and every alert tells the operator what to do, selects only catalogue metrics,
 * and has a unit test where it fires and one where it stays quiet.
 */
@Tag("unit")
class PrometheusRulesTest {
  /** The alerts issue 5 asks for, plus the coordinator and worker scrape alerts. */
  private static final Set<String> REQUIRED_ALERTS = Set.of("BootfarmCoordinatorDown", "BootfarmQueueStuck",
      "BootfarmNoLiveWorker", "BootfarmNightlyFailed", "BootfarmNightlyMissed", "BootfarmReproducibleRateLow",
      "BootfarmRepoNoLongerReproducible", "BootfarmArtifactStoreNearlyFull");
  /** The promtool unit-test files: minute-scale alerts, and the alerts that look over days (evaluated hourly). */
  private static final List<String> UNIT_TESTS = List.of("alerts.test.yml", "alerts.daily.test.yml");

  @Test
  void prometheusConfigPassesPromtoolCheckConfig() throws Exception {
    Promtool.Result check = Promtool.run(MonitoringFiles.prometheusDir(), "check", "config", "prometheus.yml");
    assertTrue(check.succeeded(), "promtool check config deploy/prometheus/prometheus.yml:\n" + check.output());
    assertTrue(check.output().contains("1 rule files found"), "prometheus.yml must load alerts.yml:\n"
        + check.output());
  }

  @Test
  void prometheusConfigScrapesTheFixedJobNames() throws Exception {
    String config = Files.readString(MonitoringFiles.prometheusDir().resolve("prometheus.yml"));
    assertTrue(config.contains("job_name: bootfarm-coordinator"), "docs/metrics.md fixes the job name bootfarm-coordinator");
    assertTrue(config.contains("job_name: bootfarm-worker"), "docs/metrics.md fixes the job name bootfarm-worker");
  }

  @Test
  void alertRulesPassPromtoolCheckRules() throws Exception {
    Promtool.Result check = Promtool.run(MonitoringFiles.prometheusDir(), "check", "rules", "alerts.yml");
    assertTrue(check.succeeded(), "promtool check rules deploy/prometheus/alerts.yml:\n" + check.output());
  }

  @Test
  void alertUnitTestsPass() throws Exception {
    Promtool.Result test = Promtool.run(MonitoringFiles.prometheusDir(), "test", "rules", UNIT_TESTS.get(0),
        UNIT_TESTS.get(1));
    assertTrue(test.succeeded(), "promtool test rules in deploy/prometheus:\n" + test.output());
  }

  @Test
  void promtoolUnitTestsFailWhenAnAlertDoesNotFire(@TempDir Path dir) throws Exception {
    // The same runner must see a failing unit test as failed: a rule that never fires.
    Files.writeString(dir.resolve("never.yml"), """
        groups:
          - name: never
            rules:
              - alert: NeverFires
                expr: vector(1) == 2
        """);
    Files.writeString(dir.resolve("never.test.yml"), """
        rule_files: [never.yml]
        tests:
          - interval: 1m
            alert_rule_test:
              - eval_time: 1m
                alertname: NeverFires
                exp_alerts:
                  - exp_labels: {}
        """);
    Promtool.Result test = Promtool.run(dir, "test", "rules", "never.test.yml");
    assertFalse(test.succeeded(), "promtool test rules passed a test expecting an alert that cannot fire:\n"
        + test.output());
  }

  @Test
  void everyAlertHasASeverityASummaryAndADescription() throws Exception {
    AlertRules alerts = AlertRules.read(MonitoringFiles.prometheusDir().resolve("alerts.yml"));
    Set<String> names = new TreeSet<>();
    for (AlertRules.Rule rule : alerts.rules()) {
      assertTrue(names.add(rule.name()), "alert " + rule.name() + " is defined twice in alerts.yml");
      assertTrue(Set.of("critical", "warning").contains(rule.severity()),
          rule.name() + " needs a severity label critical or warning, has " + rule.severity());
      assertTrue(rule.hasSummary() && rule.hasDescription(),
          rule.name() + " needs summary and description annotations telling the operator what to do");
    }
    assertTrue(names.containsAll(REQUIRED_ALERTS), "alerts.yml lacks " + difference(REQUIRED_ALERTS, names));
  }

  @Test
  void alertsSelectOnlyCatalogueMetrics() throws Exception {
    MetricCatalogue catalogue = MetricCatalogue.read(MonitoringFiles.repoRoot().resolve("docs/metrics.md"));
    for (AlertRules.Rule rule : AlertRules.read(MonitoringFiles.prometheusDir().resolve("alerts.yml")).rules()) {
      Set<String> unknown = difference(PromqlNames.selected(rule.expr()), catalogue.selectableSeries());
      assertTrue(unknown.isEmpty(), rule.name() + " selects " + unknown + ", which docs/metrics.md does not list: "
          + rule.expr());
    }
  }

  @Test
  void everyAlertHasAUnitTestWhereItFiresAndOneWhereItStaysQuiet() throws Exception {
    Set<String> fires = new TreeSet<>();
    Set<String> quiet = new TreeSet<>();
    Pattern alertname = Pattern.compile("^\\s*alertname:\\s*(\\S+)\\s*$");
    String current = null;
    for (String file : UNIT_TESTS) {
      for (String line : Files.readAllLines(MonitoringFiles.prometheusDir().resolve(file))) {
        Matcher m = alertname.matcher(line);
        if (m.matches()) {
          current = m.group(1);
        } else if (line.trim().equals("exp_alerts: []")) {
          quiet.add(current);
        } else if (line.trim().startsWith("- exp_labels:")) {
          fires.add(current);
        }
      }
    }
    for (AlertRules.Rule rule : AlertRules.read(MonitoringFiles.prometheusDir().resolve("alerts.yml")).rules()) {
      assertTrue(fires.contains(rule.name()), "the unit tests " + UNIT_TESTS + " have no case where "
          + rule.name() + " fires");
      assertTrue(quiet.contains(rule.name()), "the unit tests " + UNIT_TESTS + " have no healthy case where "
          + rule.name() + " stays quiet (exp_alerts: [])");
    }
  }

  @Test
  void alertRuleReaderReadsFoldedExpressions() throws Exception {
    AlertRules alerts = AlertRules.read(MonitoringFiles.prometheusDir().resolve("alerts.yml"));
    AlertRules.Rule stuck = alerts.rules().stream().filter(r -> r.name().equals("BootfarmQueueStuck")).findFirst()
        .orElseThrow();
    assertEquals(Set.of("bootfarm_queue_oldest_age_seconds", "bootfarm_builds_started_total"),
        PromqlNames.selected(stuck.expr()), stuck.expr());
    assertEquals(List.of(), alerts.rules().stream().filter(r -> r.expr().contains("- alert:")).toList());
  }

  private static Set<String> difference(Set<String> a, Set<String> b) {
    Set<String> d = new TreeSet<>(a);
    d.removeAll(b);
    return d;
  }
}
