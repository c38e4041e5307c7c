package org.bootfarm.cli.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bootfarm.cluster.identity.FarmCa;
import org.bootfarm.coordinator.access.DefaultTokensFile;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.worker.fixture.FixtureDefinitions;
import org.bootfarm.worker.fixture.FixtureYumRepo;

/**
 * The chaos benchmark of issue 15 ({@code bench/chaos.sh} sets up the network and runs this): a farm of two
 * {@code bootfarm coordinator}s and three {@code bootfarm worker}s, each its own JVM in its own network namespace
 * on a host bridge, gets a stream of fixture tdnf builds while, at random intervals, a worker or a coordinator is
 * killed with SIGKILL and restarted, the active coordinator's cluster and event-bus ports are blocked with
 * nftables and unblocked, or a worker is cut off silently (its veth link set down on the host side: no RST, no
 * FIN). Per fault it prints how long until the builds the victim held run elsewhere (for a coordinator: until
 * another coordinator is active); at the end, once the queue drained, builds accepted, SUCCEEDED, FAILED, lost
 * (accepted, never finished or unknown), duplicated (two runs of one build that ended SUCCEEDED, from the workers'
 * logs) and artifacts whose bytes do not hash to their sha256. Not a test: the numbers are findings.
 *
 * <p>Usage: {@code ChaosBenchmark DIR STORE FAULTS DURATION_S SEED NET NS_PREFIX VETH_PREFIX [STORE_URL]}: NET is
 * the bridge's first three octets (host {@code NET.254}, coordinators {@code NET.1}, {@code .2}, workers {@code
 * .11}..{@code .13}); namespaces are {@code NS_PREFIX}{@code c1|c2|w1|w2|w3}, host-side veths {@code
 * VETH_PREFIX}{@code c1|...}. STORE is {@code sqlite} or {@code postgresql} (then STORE_URL is given to each
 * coordinator as {@code --store}, its password in {@code BOOTFARM_STORE_PASSWORD}).
 */
public final class ChaosBenchmark {
  static final int CLUSTER_PORT = 5701;
  static final int EVENT_BUS_PORT = 5702;
  static final int HTTP_PORT = 8080;
  static final ObjectMapper JSON = new ObjectMapper();
  static final Pattern ENDED = Pattern.compile("build (\\S+) run (\\d+) ended (\\w+)");

  final Path dir;
  final String store;
  final String storeUrl;
  final int faults;
  final int duration;
  final Random random;
  final String net;
  final String nsPrefix;
  final String vethPrefix;
  final Map<String, Member> members = new LinkedHashMap<>();
  final FarmHttp http;
  final List<String> accepted = new CopyOnWriteArrayList<>();
  final Map<String, Integer> refused = new ConcurrentHashMap<>();
  final List<Fault> done = new CopyOnWriteArrayList<>();
  final ExecutorService measuring = Executors.newCachedThreadPool();
  volatile boolean submitting = true;
  Map<String, String> components;
  final long start = System.nanoTime();

  ChaosBenchmark(String[] args) throws Exception {
    dir = Path.of(args[0]).toAbsolutePath();
    store = args[1];
    faults = Integer.parseInt(args[2]);
    duration = Integer.parseInt(args[3]);
    random = new Random(Long.parseLong(args[4]));
    net = args[5];
    nsPrefix = args[6];
    vethPrefix = args[7];
    storeUrl = args.length > 8 ? args[8] : "";
    Files.createDirectories(dir);
    Path tokens = DefaultTokensFile.prepare(Files.createDirectories(dir.resolve("access")));
    http = new FarmHttp(DefaultTokensFile.tokenOf(tokens, DefaultTokensFile.LOCAL_CLIENT).orElseThrow());
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 8) {
      System.err.println("usage: ChaosBenchmark DIR STORE FAULTS DURATION_S SEED NET NS_PREFIX VETH_PREFIX [STORE_URL]");
      System.exit(2);
    }
    ChaosBenchmark bench = new ChaosBenchmark(args);
    try {
      bench.run();
    } finally {
      bench.members.values().forEach(Member::kill);
    }
    System.exit(0);
  }

  /** Seconds since the driver started, for the log lines and the fault table. */
  double now() {
    return (System.nanoTime() - start) / 1e9;
  }

  void say(String line) {
    System.err.printf("[%7.1f] %s%n", now(), line);
  }

  void run() throws Exception {
    Path tokens = dir.resolve("access").resolve(DefaultTokensFile.NAME);
    Path workerToken = Files.writeString(dir.resolve("access").resolve("worker-token"),
        DefaultTokensFile.tokenOf(tokens, DefaultTokensFile.WORKERS_CLIENT).orElseThrow() + "\n");
    Path farmCa = FarmCa.loadOrInit(dir.resolve("farm-ca"), "chaos").dir();
    FixtureYumRepo repo = FixtureYumRepo.startOn(InetAddress.getByName(net + ".254"));
    say("fixture yum repository at " + repo.baseUrl());
    Path repos = Files.createDirectories(dir.resolve("repos"));
    FixtureDefinitions.write(repos, FixtureDefinitions.TDNF, repo);
    Path keys = Files.createDirectories(dir.resolve("keys"));
    String cluster = "chaos-" + nsPrefix;
    String join = net + ".1:" + CLUSTER_PORT + "," + net + ".2:" + CLUSTER_PORT;
    for (int i = 1; i <= 2; i++) {
      String address = net + "." + i;
      List<String> args = new ArrayList<>(List.of("coordinator", "--data-dir", dir.resolve("c" + i).toString(),
          "--repos", repos.toString(), "--keys", keys.toString(), "--http-host", address, "--http-port",
          String.valueOf(HTTP_PORT), "--cluster-name", cluster, "--cluster-host", address, "--cluster-port",
          String.valueOf(CLUSTER_PORT), "--event-bus-port", String.valueOf(EVENT_BUS_PORT), "--bridge-port", "0",
          "--join", join, "--tokens", tokens.toString()));
      if (!storeUrl.isEmpty()) {
        args.addAll(List.of("--store", storeUrl)); // PostgreSQL store (issue 15): password from the environment
      }
      members.put("c" + i, new Member(this, "c" + i, address, args, farmCa));
    }
    for (int i = 1; i <= 3; i++) {
      String address = net + "." + (10 + i);
      members.put("w" + i, new Member(this, "w" + i, address, List.of("worker", "--data-dir",
          dir.resolve("w" + i).toString(), "--cache-dir", dir.resolve("w" + i + "/cache").toString(), "--keys",
          keys.toString(), "--cluster-name", cluster, "--cluster-host", address, "--cluster-port",
          String.valueOf(CLUSTER_PORT), "--event-bus-port", String.valueOf(EVENT_BUS_PORT), "--join", join,
          "--slots", "1", "--metrics-port", "0", "--no-action-cache", "--worker-id", "w" + i, "--token-file", workerToken.toString()),
          farmCa));
    }
    members.get("c1").start();
    members.get("c1").awaitReady(180);
    members.get("c2").start();
    members.get("c2").awaitReady(180);
    for (String w : List.of("w1", "w2", "w3")) {
      members.get(w).start();
    }
    for (String w : List.of("w1", "w2", "w3")) {
      members.get(w).awaitReady(180);
    }
    components = uploadComponents();
    say("farm up: coordinators " + coordinators() + ", workers w1 w2 w3; store " + store);
    Thread supervisor = new Thread(this::superviseLoop, "chaos-supervisor");
    supervisor.setDaemon(true);
    supervisor.start();
    Thread submitter = new Thread(this::submitLoop, "chaos-submitter");
    submitter.setDaemon(true);
    submitter.start();
    Thread.sleep(20_000); // a queue and running builds before the first fault
    injectFaults();
    submitting = false;
    submitter.join(30_000);
    restoreAll();
    measuring.shutdown();
    measuring.awaitTermination(3, TimeUnit.MINUTES);
    new ChaosReport(this).print();
    repo.close();
  }

  List<String> coordinators() {
    return List.of("c1", "c2");
  }

  String api(String coordinator) {
    return "http://" + members.get(coordinator).address + ":" + HTTP_PORT;
  }

  /** The tether and unpack stand-ins, uploaded to every live coordinator; their sha256 by name. */
  Map<String, String> uploadComponents() throws Exception {
    Map<String, String> shas = new TreeMap<>();
    for (String name : List.of("tether", "unpack")) {
      byte[] bytes = ("#!/bin/sh\necho " + name + " stand-in\n").getBytes();
      Path file = Files.write(dir.resolve(name), bytes);
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
      shas.put(name, Sha256.of(bytes));
      for (String c : coordinators()) {
        if (members.get(c).alive()) {
          int status = http.put(api(c), "/api/v1/artifacts/" + Sha256.of(bytes), bytes);
          if (status != 200 && status != 201) {
            say("upload of " + name + " to " + c + " answered " + status);
          }
        }
      }
    }
    return shas;
  }

  /** The coordinators whose /metrics say they are active now. */
  List<String> active() {
    List<String> active = new ArrayList<>();
    for (String c : coordinators()) {
      String metrics = http.text(api(c), "/metrics", 3);
      if (metrics != null && metrics.lines().anyMatch(l -> l.startsWith("bootfarm_coordinator_active 1"))) {
        active.add(c);
      }
    }
    return active;
  }

  /** Restarts every member that exited by itself, every two seconds, as systemd would. */
  void superviseLoop() {
    while (true) {
      try {
        for (Member member : members.values()) {
          member.superviseOnce();
        }
        Thread.sleep(2000);
      } catch (InterruptedException e) {
        return;
      } catch (Exception e) {
        say("supervisor: " + e);
      }
    }
  }

  /** Keeps about four builds queued: a submission every two seconds while fewer are waiting. */
  void submitLoop() {
    int turn = 0;
    while (submitting) {
      try {
        JsonNode queued = listBuilds("QUEUED");
        if (queued == null || queued.size() < 4) {
          submit(turn++);
        }
        Thread.sleep(2000);
      } catch (InterruptedException e) {
        return;
      } catch (Exception e) {
        say("submitter: " + e);
      }
    }
  }

  void submit(int turn) throws Exception {
    String body = JSON.writeValueAsString(Map.of("repo", FixtureDefinitions.TDNF, "target", "bootstrap",
        "components", components));
    String first = coordinators().get(turn % 2);
    String why = "";
    for (String c : List.of(first, first.equals("c1") ? "c2" : "c1")) {
      FarmHttp.Answer answer = http.post(api(c), "/api/v1/builds", body);
      if (answer.status() == 201) {
        String id = JSON.readTree(answer.body()).get("id").asText();
        accepted.add(id);
        return;
      }
      why = answer.status() < 0 ? "unanswered" : String.valueOf(answer.status());
      say("submit to " + c + " not accepted (" + why + "): " + answer.body());
      if (answer.status() > 0 && answer.status() < 500) {
        break; // a client error is not retried elsewhere
      }
    }
    refused.merge(why, 1, Integer::sum); // a submission neither coordinator accepted, by the last answer
  }

  /** The builds in {@code state} as some coordinator answers them; null when none answers. */
  JsonNode listBuilds(String state) {
    for (String c : coordinators()) {
      JsonNode list = http.json(api(c), "/api/v1/builds?state=" + state + "&limit=1000", 5);
      if (list != null && list.has("builds")) {
        return list.get("builds");
      }
      if (list != null && list.isArray()) {
        return list;
      }
    }
    return null;
  }

  /**
   * A build's record as the coordinators answer it: a finished record from either if one has it (two active
   * coordinators may disagree), else the first record; null when none answers with a record.
   */
  JsonNode build(String id) {
    JsonNode first = null;
    for (String c : coordinators()) {
      JsonNode build = http.json(api(c), "/api/v1/builds/" + id, 5);
      if (build != null && build.has("state")) {
        if (!List.of("QUEUED", "RUNNING").contains(build.get("state").asText())) {
          return build;
        }
        first = first == null ? build : first;
      }
    }
    return first;
  }

  enum Kind {
    KILL_WORKER, KILL_COORDINATOR, BLOCK_CLUSTER_PORT, CUT_WORKER
  }

  /** One injected fault and what it did. */
  static final class Fault {
    final int number;
    /** Whether its timing stopped because the next fault began (a coordinator fault). */
    volatile boolean cutShort;
    final Kind kind;
    final String victim;
    final double at;
    volatile String note = "";
    volatile List<String> held = List.of();
    /** Seconds until the victim's builds ran elsewhere (a coordinator: until another one is active); NaN: never. */
    volatile double recovered = Double.NaN;
    /** Seconds until no held build was the victim's any more (queued again, or running or finished elsewhere). */
    volatile double takenBack = Double.NaN;
    volatile boolean measured;

    Fault(int number, Kind kind, String victim, double at) {
      this.number = number;
      this.kind = kind;
      this.victim = victim;
      this.at = at;
    }
  }

  void injectFaults() throws Exception {
    List<Kind> plan = new ArrayList<>();
    for (int i = 0; i < faults; i++) {
      plan.add(Kind.values()[i % Kind.values().length]);
    }
    java.util.Collections.shuffle(plan, random);
    double slot = Math.max(8, (double) duration / faults);
    for (int i = 0; i < plan.size(); i++) {
      Kind kind = plan.get(i);
      double slotEnd = now() + slot;
      Fault fault = inject(i + 1, kind);
      done.add(fault);
      double left = slotEnd - now();
      Thread.sleep((long) (Math.max(2, left * (0.6 + 0.8 * random.nextDouble())) * 1000));
    }
  }

  /**
   * The number of the fault injected last: a coordinator fault's timing stops when the next fault begins, since
   * killing the blocked coordinator next makes the other active for a reason of its own.
   */
  volatile int lastFault;

  /** Injects one fault, holds it, and undoes it; the measurement runs beside it. */
  Fault inject(int number, Kind kind) throws Exception {
    lastFault = number;
    List<String> active = active();
    String victim = switch (kind) {
      case KILL_WORKER, CUT_WORKER -> "w" + (1 + random.nextInt(3));
      case KILL_COORDINATOR -> active.size() == 1 && random.nextDouble() < 0.7 ? active.get(0)
          : "c" + (1 + random.nextInt(2));
      case BLOCK_CLUSTER_PORT -> active.isEmpty() ? "c" + (1 + random.nextInt(2)) : active.get(0);
    };
    Member member = members.get(victim);
    Fault fault = new Fault(number, kind, victim, now());
    boolean victimActive = active.contains(victim);
    if (victim.startsWith("w")) {
      JsonNode running = listBuilds("RUNNING");
      List<String> held = new ArrayList<>();
      if (running != null) {
        running.forEach(b -> {
          if (victim.equals(b.path("worker").asText())) {
            held.add(b.get("id").asText());
          }
        });
      }
      fault.held = held;
    } else {
      fault.note = victimActive ? "active" : "standby";
    }
    say("fault " + number + ": " + kind + " " + victim + " (" + (victim.startsWith("w") ? "holds " + fault.held
        : fault.note) + ")");
    switch (kind) {
      case KILL_WORKER, KILL_COORDINATOR -> member.kill();
      case BLOCK_CLUSTER_PORT -> Network.blockClusterPorts(nsPrefix + victim);
      case CUT_WORKER -> Network.link(vethPrefix + victim, false);
    }
    long injected = System.nanoTime();
    measuring.submit(() -> measure(fault, victimActive, injected));
    double hold = switch (kind) {
      case KILL_WORKER, KILL_COORDINATOR -> 2 + 6 * random.nextDouble();
      case BLOCK_CLUSTER_PORT -> 10 + 10 * random.nextDouble();
      case CUT_WORKER -> 15 + 10 * random.nextDouble();
    };
    Thread.sleep((long) (hold * 1000));
    switch (kind) {
      case KILL_WORKER -> member.start();
      case KILL_COORDINATOR -> {
        member.start();
        try {
          member.awaitReady(180);
        } catch (IllegalStateException e) {
          fault.note += "; restart: " + e.getMessage();
        }
        uploadComponents();
      }
      case BLOCK_CLUSTER_PORT -> {
        Network.unblockClusterPorts(nsPrefix + victim);
        Thread.sleep(10_000);
        List<String> after = active();
        if (after.size() > 1) {
          fault.note += "; 10 s after unblocking both coordinators active";
        }
      }
      case CUT_WORKER -> Network.link(vethPrefix + victim, true);
    }
    say("fault " + number + " undone after " + String.format("%.1f", hold) + " s; active now " + active());
    return fault;
  }

  /** Times the fault's recovery, up to two minutes. */
  void measure(Fault fault, boolean victimActive, long injected) {
    long deadline = injected + TimeUnit.MINUTES.toNanos(2);
    try {
      if (fault.victim.startsWith("c")) {
        if (!victimActive) {
          fault.measured = true;
          return;
        }
        while (System.nanoTime() < deadline && lastFault == fault.number) {
          List<String> active = active();
          if (active.stream().anyMatch(c -> !c.equals(fault.victim))) {
            fault.recovered = (System.nanoTime() - injected) / 1e9;
            break;
          }
          Thread.sleep(200);
        }
        fault.cutShort = Double.isNaN(fault.recovered) && lastFault != fault.number;
      } else {
        Set<String> pending = ConcurrentHashMap.newKeySet();
        pending.addAll(fault.held);
        Set<String> onVictim = ConcurrentHashMap.newKeySet();
        onVictim.addAll(fault.held);
        while (!pending.isEmpty() && System.nanoTime() < deadline) {
          for (String id : List.copyOf(pending)) {
            JsonNode b = build(id);
            if (b == null) {
              continue;
            }
            String state = b.get("state").asText();
            String worker = b.path("worker").asText();
            if (state.equals("QUEUED") || !worker.equals(fault.victim)) {
              onVictim.remove(id);
              if (onVictim.isEmpty() && Double.isNaN(fault.takenBack)) {
                fault.takenBack = (System.nanoTime() - injected) / 1e9;
              }
            }
            if ((state.equals("RUNNING") && !worker.equals(fault.victim)) || (!state.equals("QUEUED")
                && !state.equals("RUNNING") && !worker.equals(fault.victim))) {
              pending.remove(id);
            } else if (!state.equals("QUEUED") && !state.equals("RUNNING")) {
              pending.remove(id); // finished on the victim itself: its report got through before the fault
              fault.note += id + " finished " + state + " on the victim; ";
            }
          }
          if (!pending.isEmpty()) {
            Thread.sleep(250);
          }
        }
        if (pending.isEmpty() && !fault.held.isEmpty()) {
          fault.recovered = (System.nanoTime() - injected) / 1e9;
        }
      }
      fault.measured = true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Undoes every fault still in effect: links up, ports open, every member running. */
  void restoreAll() throws Exception {
    for (Member member : members.values()) {
      Network.link(vethPrefix + member.name, true);
      if (member.name.startsWith("c")) {
        Network.unblockClusterPorts(nsPrefix + member.name);
      }
      if (!member.alive()) {
        member.start();
      }
    }
  }

  /** The worker logs' "build ID run N ended STATE" lines: build id → (worker/run → state). */
  Map<String, Map<String, String>> runsFromWorkerLogs() throws Exception {
    Map<String, Map<String, String>> runs = new TreeMap<>();
    for (String w : List.of("w1", "w2", "w3")) {
      Path log = members.get(w).log;
      if (!Files.exists(log)) {
        continue;
      }
      for (String line : Files.readAllLines(log)) {
        Matcher m = ENDED.matcher(line);
        if (m.find()) {
          runs.computeIfAbsent(m.group(1), k -> new TreeMap<>()).put(w + "/run" + m.group(2), m.group(3));
        }
      }
    }
    return runs;
  }

  static String stamp() {
    return Instant.now().toString();
  }
}
