package org.bootfarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.bootfarm.cluster.ClusterSettings;
import org.bootfarm.cluster.NodeRole;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine.ParameterException;

/**
 * The deployment files under {@code deploy/} hold together: the compose file passes {@code
 * docker-compose config} and names only images it builds from {@code deploy/images} or known public
 * ones; every Dockerfile installs a package list that exists through {@code install.sh}, as {@code
 * .ci/run} does; the Kubernetes manifests parse and agree with the config files they mount; the
 * config files and the systemd environment file are accepted by the real config parser; the systemd
 * units pass {@code systemd-analyze verify}. Every node they start gives a farm certificate ({@code
 * --member-dir}, ADR 0031), and a NetworkPolicy keeps the cluster and event-bus ports to farm pods.
 */
@Tag("unit")
class DeployFilesTest {
  static final YAMLMapper YAML = new YAMLMapper();
  /** Images compose may pull rather than build: the public Prometheus and Grafana. */
  static final Set<String> PUBLIC_IMAGES = Set.of("prom/prometheus", "grafana/grafana");
  static final Path ROOT = CheckCommandTest.repoRoot();
  static final Path DEPLOY = ROOT.resolve("deploy");

  @TempDir Path dir;

  // --- compose

  @Test
  void composeConfigPassesAndNamesOnlyBuiltOrPublicImages() throws Exception {
    JsonNode compose = YAML.readTree(composeConfig());
    JsonNode services = compose.get("services");
    Set<String> names = new TreeSet<>();
    services.fieldNames().forEachRemaining(names::add);
    assertEquals(Set.of("farm-certificates", "coordinator", "worker-1", "worker-2", "worker-3", "prometheus",
        "grafana"), names);
    for (String name : names) {
      JsonNode service = services.get(name);
      String image = service.path("image").asText();
      if (service.has("build")) {
        Path dockerfile = Path.of(service.get("build").get("context").asText())
            .resolve(service.get("build").get("dockerfile").asText()).normalize();
        assertTrue(dockerfile.startsWith(DEPLOY.resolve("images")), name + " builds " + dockerfile);
        assertTrue(Files.isRegularFile(dockerfile), name + ": " + dockerfile + " does not exist");
      } else {
        String repository = image.replaceFirst(":[^/]*$", "");
        assertTrue(PUBLIC_IMAGES.contains(repository), name + " pulls " + image + ", neither built here nor in "
            + PUBLIC_IMAGES);
      }
    }
  }

  @Test
  void composeWorkersHaveTheirOwnIdAddressAndCacheAndJoinTheCoordinator() throws Exception {
    JsonNode services = YAML.readTree(composeConfig()).get("services");
    Set<String> ids = new TreeSet<>();
    for (String worker : List.of("worker-1", "worker-2", "worker-3")) {
      JsonNode service = services.get(worker);
      Map<String, String> flags = flags(service.get("command"));
      ids.add(flags.get("worker-id"));
      assertEquals(worker, flags.get("cluster-host"), worker + ": Hazelcast must bind the container's own address");
      assertEquals("coordinator:5701", flags.get("join"), worker);
      assertEquals("0.0.0.0", flags.get("metrics-host"), worker);
      assertEquals("9101", flags.get("metrics-port"), worker);
      assertTrue(service.path("privileged").asBoolean(), worker + " must run privileged for bwrap");
      assertTrue(mountTargets(service).contains("/var/cache/bootfarm"), worker + " has no cache volume");
    }
    assertEquals(3, ids.size(), "worker ids " + ids);
    Map<String, String> coordinator = flags(services.get("coordinator").get("command"));
    assertEquals("coordinator", coordinator.get("cluster-host"));
    assertEquals("coordinator", coordinator.get("http-host"),
        "the HTTP host is the artifact URL handed to workers: it must be the coordinator's reachable address");
    assertTrue(mountTargets(services.get("prometheus")).contains("/etc/prometheus"));
    assertTrue(mountTargets(services.get("grafana")).contains("/etc/grafana/provisioning"));
    assertTrue(mountTargets(services.get("grafana")).contains("/var/lib/grafana/dashboards"));
  }

  @Test
  void composeMountsWhatThePrometheusAndGrafanaFilesExpect() throws Exception {
    Path prometheusYml = DEPLOY.resolve("prometheus/prometheus.yml");
    Path providers = ROOT.resolve("grafana/provisioning/dashboards");
    Assumptions.assumeTrue(Files.isRegularFile(prometheusYml) && Files.isDirectory(providers),
        "deploy/prometheus and grafana/provisioning are not in this tree yet");
    JsonNode services = YAML.readTree(composeConfig()).get("services");
    // every scrape target is a compose service on the port it serves metrics on
    Set<String> targets = new TreeSet<>();
    YAML.readTree(prometheusYml.toFile()).get("scrape_configs").forEach(job -> job.path("static_configs")
        .forEach(c -> c.path("targets").forEach(t -> targets.add(t.asText()))));
    Set<String> served = new TreeSet<>(Set.of("coordinator:8080"));
    for (String worker : List.of("worker-1", "worker-2", "worker-3")) {
      served.add(worker + ":" + flags(services.get(worker).get("command")).get("metrics-port"));
    }
    assertTrue(targets.containsAll(served), "prometheus.yml scrapes " + targets + ", compose serves " + served);
    // the dashboard provider reads the directory compose mounts grafana/dashboards at
    Set<String> paths = new TreeSet<>();
    try (Stream<Path> files = Files.list(providers)) {
      for (Path file : files.filter(p -> p.toString().matches(".*\\.ya?ml")).toList()) {
        YAML.readTree(file.toFile()).path("providers").forEach(p -> paths.add(p.at("/options/path").asText()));
      }
    }
    assertFalse(paths.isEmpty(), "no dashboard provider under " + providers);
    for (String path : paths) {
      assertTrue(mountTargets(services.get("grafana")).contains(path), "the dashboard provider reads " + path
          + ", which compose does not mount");
    }
  }

  /** The compose file as {@code docker-compose config} resolves it (Debian's docker-compose needs no engine). */
  static String composeConfig() throws Exception {
    Process process = new ProcessBuilder("docker-compose", "-f", DEPLOY.resolve("compose.yaml").toString(), "config")
        .redirectErrorStream(false).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), "docker-compose config did not finish");
    assertEquals(0, process.exitValue(), "docker-compose config failed:\n" + err);
    return out;
  }

  // --- images and package lists

  @Test
  void everyDockerfileInstallsAListThatExistsThroughInstallSh() throws Exception {
    Map<String, String> finalList = Map.of("coordinator", "coordinator.txt", "worker", "worker.txt");
    try (Stream<Path> images = Files.list(DEPLOY.resolve("images"))) {
      List<Path> dockerfiles = images.map(d -> d.resolve("Dockerfile")).filter(Files::isRegularFile).sorted().toList();
      assertEquals(2, dockerfiles.size(), dockerfiles::toString);
      for (Path dockerfile : dockerfiles) {
        String text = Files.readString(dockerfile);
        assertFalse(text.contains("apt-get install"), dockerfile + " installs packages beside install.sh");
        String[] stages = text.split("(?m)^FROM ");
        String last = stages[stages.length - 1];
        assertTrue(last.startsWith("debian:12-slim"), dockerfile + ": the image is not FROM debian:12-slim");
        List<String> installed = installedLists(dockerfile, last);
        String image = dockerfile.getParent().getFileName().toString();
        assertEquals(List.of(finalList.get(image)), installed, dockerfile + " installs");
        for (int i = 1; i < stages.length; i++) {
          for (String list : installedLists(dockerfile, stages[i])) {
            assertTrue(Files.isRegularFile(DEPLOY.resolve("packages").resolve(list)), dockerfile + " installs " + list);
          }
        }
        assertTrue(last.contains("@/usr/share/bootfarm/jvm.options"), dockerfile + " does not start with jvm.options");
      }
    }
  }

  /** The lists a Dockerfile stage installs: RUN .../install.sh /tmp/packages/X.txt, each COPYed from deploy/packages/X.txt. */
  static List<String> installedLists(Path dockerfile, String stage) {
    List<String> lists = new ArrayList<>();
    Matcher run = Pattern.compile("(?m)^RUN (\\S*install\\.sh)((?: /tmp/packages/[\\w.-]+\\.txt)+)").matcher(stage);
    while (run.find()) {
      for (String file : run.group(2).trim().split(" ")) {
        String list = Path.of(file).getFileName().toString();
        assertTrue(stage.contains("deploy/packages/" + list), dockerfile + " installs " + list + " without copying it");
        lists.add(list);
      }
    }
    return lists;
  }

  @Test
  void ciInstallsEveryListWithTheImagesCommandAndEveryPackageIsInstalledHere() throws Exception {
    String ci = Files.readString(ROOT.resolve(".ci/run"));
    List<Path> lists;
    try (Stream<Path> files = Files.list(DEPLOY.resolve("packages"))) {
      lists = files.filter(p -> p.toString().endsWith(".txt")).sorted().toList();
    }
    assertEquals(List.of("build.txt", "coordinator.txt", "test.txt", "worker.txt"),
        lists.stream().map(p -> p.getFileName().toString()).toList());
    for (Path list : lists) {
      assertTrue(ci.contains("deploy/packages/install.sh") && ci.contains("deploy/packages/" + list.getFileName()),
          ".ci/run does not install " + list.getFileName() + " through install.sh");
    }
    List<String> command = new ArrayList<>(List.of(DEPLOY.resolve("packages/install.sh").toString(), "--print"));
    lists.forEach(l -> command.add(l.toString()));
    Process print = new ProcessBuilder(command).start();
    List<String> packages = new String(print.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    assertEquals(0, print.waitFor());
    assertTrue(packages.containsAll(List.of("openjdk-17-jre-headless", "dnf", "mmdebstrap", "xorriso", "isolinux",
        "bubblewrap", "prometheus", "docker-compose")), packages::toString);
    for (String pkg : packages) {
      Process query = new ProcessBuilder("dpkg-query", "-W", "-f=${db:Status-Status}", pkg).start();
      String status = new String(query.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      query.waitFor();
      assertEquals("installed", status, pkg + " is on a package list but not installed: is the name right?");
    }
  }

  // --- Kubernetes

  @Test
  void kubernetesWorkersKeepTheirCacheOnAClaimAndTheCoordinatorServiceExposesItsPorts() throws Exception {
    Map<String, JsonNode> objects = kubernetesObjects();
    Map<String, String> workerConf = configMapFile("worker.conf");
    Map<String, String> coordinatorConf = configMapFile("coordinator.conf");

    JsonNode workers = objects.get("StatefulSet/bootfarm-worker");
    assertNotNull(workers, objects.keySet()::toString);
    Set<String> claims = new TreeSet<>();
    workers.at("/spec/volumeClaimTemplates").forEach(c -> claims.add(c.at("/metadata/name").asText()));
    JsonNode container = workers.at("/spec/template/spec/containers/0");
    String cacheClaim = null;
    for (JsonNode mount : container.get("volumeMounts")) {
      if (mount.get("mountPath").asText().equals(workerConf.get("cache-dir"))) {
        cacheClaim = mount.get("name").asText();
      }
    }
    assertNotNull(cacheClaim, "no volume mounted at the worker's cache-dir " + workerConf.get("cache-dir"));
    assertTrue(claims.contains(cacheClaim), "the cache volume " + cacheClaim + " is not a volumeClaimTemplate " + claims);
    assertTrue(container.at("/securityContext/privileged").asBoolean(), "the worker needs privilege for bwrap");
    assertEquals("9101", workers.at("/spec/template/metadata/annotations").get("prometheus.io/port").asText());
    assertTrue(containerPorts(container).contains(9101));

    JsonNode service = objects.get("Service/bootfarm-coordinator");
    Set<Integer> ports = new TreeSet<>();
    service.at("/spec/ports").forEach(p -> ports.add(p.get("port").asInt()));
    Set<Integer> flagged = Set.of(Integer.parseInt(coordinatorConf.get("http-port")),
        Integer.parseInt(coordinatorConf.get("bridge-port")), Integer.parseInt(coordinatorConf.get("cluster-port")));
    assertEquals(flagged, ports, "the coordinator Service's ports against coordinator.conf");
    JsonNode coordinator = objects.get("Deployment/bootfarm-coordinator");
    assertTrue(containerPorts(coordinator.at("/spec/template/spec/containers/0")).containsAll(flagged));
    assertEquals(coordinatorConf.get("http-port"),
        coordinator.at("/spec/template/metadata/annotations").get("prometheus.io/port").asText());

    // discovery: both config files name the headless service, which selects both kinds of pod
    JsonNode headless = objects.get("Service/bootfarm-hazelcast");
    assertEquals("None", headless.at("/spec/clusterIP").asText());
    assertTrue(headless.at("/spec/publishNotReadyAddresses").asBoolean());
    String dns = headless.at("/metadata/name").asText() + "." + headless.at("/metadata/namespace").asText()
        + ".svc.cluster.local";
    assertEquals(dns, workerConf.get("kubernetes-service-dns"));
    assertEquals(dns, coordinatorConf.get("kubernetes-service-dns"));
    for (JsonNode pods : List.of(workers, coordinator)) {
      JsonNode labels = pods.at("/spec/template/metadata/labels");
      headless.at("/spec/selector").fields().forEachRemaining(selector -> assertEquals(selector.getValue().asText(),
          labels.path(selector.getKey()).asText(), pods.at("/metadata/name") + " is not behind the headless service"));
    }
  }

  static Map<String, JsonNode> kubernetesObjects() throws IOException {
    Map<String, JsonNode> objects = new LinkedHashMap<>();
    try (Stream<Path> files = Files.list(DEPLOY.resolve("k8s"))) {
      for (Path file : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        try (MappingIterator<JsonNode> docs = YAML.readerFor(JsonNode.class).readValues(file.toFile())) {
          for (JsonNode doc : docs.readAll()) {
            assertTrue(doc.hasNonNull("apiVersion") && doc.hasNonNull("kind"), file + ": a document without kind");
            if (!doc.get("kind").asText().equals("Namespace")) {
              assertEquals("bootfarm", doc.at("/metadata/namespace").asText(), file + ": " + doc.get("kind"));
            }
            objects.put(doc.get("kind").asText() + "/" + doc.at("/metadata/name").asText(), doc);
          }
        }
      }
    }
    return objects;
  }

  /** One file of the ConfigMap as key → value (comments and blank lines skipped). */
  static Map<String, String> configMapFile(String name) throws IOException {
    String text = kubernetesObjects().get("ConfigMap/bootfarm-config").at("/data").get(name).asText();
    Map<String, String> entries = new LinkedHashMap<>();
    text.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).forEach(l -> {
      int equals = l.indexOf('=');
      entries.put(l.substring(0, equals).strip(), l.substring(equals + 1).strip());
    });
    return entries;
  }

  static Set<Integer> containerPorts(JsonNode container) {
    Set<Integer> ports = new TreeSet<>();
    container.path("ports").forEach(p -> ports.add(p.get("containerPort").asInt()));
    return ports;
  }

  // --- farm certificates (ADR 0031)

  @Test
  void everyNodeTheDeployFilesStartGivesAMemberDir() throws Exception {
    JsonNode services = YAML.readTree(composeConfig()).get("services");
    for (String node : List.of("coordinator", "worker-1", "worker-2", "worker-3")) {
      String memberDir = flags(services.get(node).get("command")).get("member-dir");
      assertEquals("/etc/bootfarm-members/" + node, memberDir, node);
      assertTrue(mountTargets(services.get(node)).contains("/etc/bootfarm-members"), node + " mounts no member dirs");
    }
    assertTrue(services.get("farm-certificates").get("command").toString().contains("ca issue"));

    Map<String, JsonNode> objects = kubernetesObjects();
    for (String conf : List.of("coordinator.conf", "worker.conf")) {
      assertEquals("/etc/bootfarm-member", configMapFile(conf).get("member-dir"), conf);
    }
    for (String pods : List.of("Deployment/bootfarm-coordinator", "StatefulSet/bootfarm-worker")) {
      JsonNode container = objects.get(pods).at("/spec/template/spec/containers/0");
      Set<String> mounts = new TreeSet<>();
      container.get("volumeMounts").forEach(m -> mounts.add(m.get("mountPath").asText()));
      assertTrue(mounts.contains("/etc/bootfarm-member"), pods + " mounts nothing at its member-dir: " + mounts);
    }

    for (String unit : List.of("bootfarm-coordinator.service", "bootfarm-worker.service")) {
      String exec = Files.readAllLines(DEPLOY.resolve("systemd").resolve(unit)).stream()
          .filter(l -> l.startsWith("ExecStart=")).findFirst().orElseThrow();
      assertTrue(exec.contains("--member-dir /etc/bootfarm/member"), unit + ": " + exec);
    }

    String script = Files.readString(DEPLOY.resolve("local-cluster.sh"));
    Matcher launches = Pattern.compile("launch (coordinator|\"worker-\\$i\") .*?(?=\n\s*(done|for|$))",
        Pattern.DOTALL).matcher(script);
    int count = 0;
    while (launches.find()) {
      count++;
      assertTrue(launches.group().contains("--member-dir"), "local-cluster.sh: " + launches.group());
    }
    assertEquals(2, count, "local-cluster.sh launches a coordinator and workers");
  }

  @Test
  void networkPolicyLetsOnlyFarmPodsReachTheClusterAndEventBusPorts() throws Exception {
    JsonNode policy = kubernetesObjects().get("NetworkPolicy/bootfarm-cluster-members-only");
    assertNotNull(policy, "deploy/k8s has no NetworkPolicy bootfarm-cluster-members-only");
    JsonNode members = policy.at("/spec/podSelector/matchLabels");
    assertEquals("true", members.path("bootfarm/cluster-member").asText());
    Set<Integer> clusterPorts = Set.of(Integer.parseInt(configMapFile("coordinator.conf").get("cluster-port")),
        Integer.parseInt(configMapFile("coordinator.conf").get("event-bus-port")));
    assertEquals(clusterPorts, Set.of(Integer.parseInt(configMapFile("worker.conf").get("cluster-port")),
        Integer.parseInt(configMapFile("worker.conf").get("event-bus-port"))), "both kinds of pod use the same ports");
    for (JsonNode rule : policy.at("/spec/ingress")) {
      Set<Integer> ports = new TreeSet<>();
      rule.path("ports").forEach(p -> ports.add(p.get("port").asInt()));
      boolean fromMembersOnly = rule.has("from") && rule.get("from").size() == 1
          && rule.get("from").get(0).at("/podSelector/matchLabels").equals(members);
      if (fromMembersOnly) {
        assertEquals(clusterPorts, ports, "the members-only rule names the cluster and event-bus ports");
      } else {
        assertTrue(ports.stream().noneMatch(clusterPorts::contains), "a rule open to others reaches " + ports);
      }
    }
  }

  // --- config files against the real parser

  @Test
  void configMapFilesAreAcceptedByTheRealConfigParser() throws Exception {
    JsonNode data = kubernetesObjects().get("ConfigMap/bootfarm-config").get("data");
    Path coordinatorConf = Files.writeString(dir.resolve("coordinator.conf"), data.get("coordinator.conf").asText());
    Path workerConf = Files.writeString(dir.resolve("worker.conf"), data.get("worker.conf").asText());

    var coordinator = (FarmCommands.Coordinator) parse("coordinator", "--config", coordinatorConf.toString());
    ClusterSettings cluster = coordinator.farm.cluster(NodeRole.COORDINATOR, null);
    assertEquals(Path.of("/etc/bootfarm-member"), coordinator.farm.member.memberDir);
    assertEquals("bootfarm-hazelcast.bootfarm.svc.cluster.local", cluster.kubernetesServiceDns());
    assertEquals(8080, coordinator.options.httpPort);
    var worker = (FarmCommands.Worker) parse("worker", "--config", workerConf.toString());
    assertTrue(worker.farm.cluster(NodeRole.WORKER, null).kubernetesDiscovery());
    assertEquals(Path.of("/var/cache/bootfarm"), worker.options.cacheDir);
    assertEquals(java.time.Duration.ofMinutes(30), worker.options.drainTimeout);

    // the check can fail: the same file with a key the command does not take is refused
    Files.writeString(workerConf, "http-port = 8080\n", java.nio.file.StandardOpenOption.APPEND);
    ParameterException refused = assertThrows(ParameterException.class,
        () -> parse("worker", "--config", workerConf.toString()));
    assertTrue(refused.getMessage().contains("unknown key 'http-port'"), refused.getMessage());
  }

  @Test
  void everyKeyOfTheExampleConfigFileIsAcceptedByTheRealConfigParser() throws Exception {
    // standalone takes the keys of both coordinator and worker
    StringBuilder uncommented = new StringBuilder();
    for (String line : Files.readAllLines(DEPLOY.resolve("bootfarm.conf.example"))) {
      if (line.matches("# [a-z-]+ = .*")) {
        uncommented.append(line.substring(2)).append('\n');
      }
    }
    assertTrue(uncommented.toString().contains("drain-timeout = "), uncommented::toString);
    Path file = Files.writeString(dir.resolve("example.conf"), uncommented);
    var standalone = (FarmCommands.Standalone) parse("standalone", "--config", file.toString());
    assertEquals(5711, standalone.farm.eventBusPort);
    assertEquals(FarmOptions.Discovery.KUBERNETES, standalone.farm.discovery);
    assertEquals(List.of("my-local-repo", "my-other-repo"), standalone.coordinatorOptions.allowUnsigned);
  }

  @Test
  void systemdEnvironmentFileSetsOnlyVariablesBootfarmReads() throws Exception {
    Path example = DEPLOY.resolve("systemd/bootfarm.env.example");
    Map<String, String> variables = environmentFile(Files.readString(example));
    assertTrue(variables.keySet().containsAll(List.of("BOOTFARM_JAVA_OPTS", "BOOTFARM_DATA_DIR")), variables::toString);
    String readers = readersOfTheEnvironment();
    for (String name : variables.keySet()) {
      assertTrue(name.startsWith("BOOTFARM_") && readers.contains(name), example + " sets " + name
          + ", which neither the code, the launcher nor the units read");
    }
    // the check can fail: a misspelt variable is read by nothing
    assertFalse(readers.contains("BOOTFARM_DATADIR"));
    // and the config files the units name through BOOTFARM_CONFIG take the example's keys
    for (String unit : List.of("bootfarm-coordinator.service", "bootfarm-worker.service")) {
      String text = Files.readString(DEPLOY.resolve("systemd").resolve(unit));
      assertTrue(text.contains("EnvironmentFile=-/etc/default/bootfarm"), unit);
      assertTrue(text.contains("-jar /usr/share/bootfarm/bootfarm.jar"), unit);
      assertTrue(text.contains("$BOOTFARM_JAVA_OPTS"), unit);
    }
  }

  @Test
  void systemdUnitsPassSystemdAnalyzeVerify() throws Exception {
    Process verify = new ProcessBuilder("systemd-analyze", "verify",
        DEPLOY.resolve("systemd/bootfarm-coordinator.service").toString(),
        DEPLOY.resolve("systemd/bootfarm-worker.service").toString()).redirectErrorStream(true).start();
    String out = new String(verify.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(verify.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, verify.exitValue(), out);
    assertEquals("", out.strip(), "systemd-analyze verify complains");
  }

  /** {@code KEY=value} lines of a systemd EnvironmentFile, comments and blank lines skipped. */
  static Map<String, String> environmentFile(String text) {
    Map<String, String> variables = new LinkedHashMap<>();
    for (String line : text.lines().map(String::strip).toList()) {
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      Matcher m = Pattern.compile("([A-Z_][A-Z0-9_]*)=(.*)").matcher(line);
      assertTrue(m.matches(), "'" + line + "' is not KEY=value");
      variables.put(m.group(1), m.group(2));
    }
    return variables;
  }

  /** The text of everything that reads BOOTFARM_* variables: main sources, the launcher, the systemd units. */
  static String readersOfTheEnvironment() throws IOException {
    StringBuilder text = new StringBuilder(Files.readString(ROOT.resolve("bootfarm")));
    for (String module : List.of("cli", "cluster", "protocol", "worker", "coordinator", "client")) {
      Path main = ROOT.resolve(module).resolve("src/main");
      if (!Files.isDirectory(main)) {
        continue;
      }
      try (Stream<Path> files = Files.walk(main)) {
        for (Path file : files.filter(p -> p.toString().endsWith(".java")).toList()) {
          text.append(Files.readString(file));
        }
      }
    }
    try (Stream<Path> units = Files.list(DEPLOY.resolve("systemd"))) {
      for (Path unit : units.filter(p -> p.toString().endsWith(".service")).toList()) {
        text.append(Files.readString(unit));
      }
    }
    return text.toString();
  }

  // --- helpers

  Object parse(String... args) {
    return Main.commandLine(List.of(args), Map.of(), dir.resolve("absent.conf")).parseArgs(args).subcommand()
        .commandSpec().userObject();
  }

  /** {@code --key=value} entries of a command list as key → value. */
  static Map<String, String> flags(JsonNode command) {
    Map<String, String> flags = new LinkedHashMap<>();
    command.forEach(arg -> {
      String text = arg.asText();
      assertTrue(text.startsWith("--") && text.contains("="), "'" + text + "' is not --key=value");
      flags.put(text.substring(2, text.indexOf('=')), text.substring(text.indexOf('=') + 1));
    });
    return flags;
  }

  static Set<String> mountTargets(JsonNode service) {
    Set<String> targets = new TreeSet<>();
    service.path("volumes").forEach(v -> targets.add(v.isTextual() ? v.asText().split(":")[1] : v.get("target").asText()));
    return targets;
  }
}
