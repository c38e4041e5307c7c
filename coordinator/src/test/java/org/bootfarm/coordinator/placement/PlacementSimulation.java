package org.bootfarm.coordinator.placement;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

/**
 * A discrete-event simulation of nightly builds that drives the real {@link RendezvousPlacement} through the
 * real {@link StealingRule}: 1,000 workers with a few slots, 10,000 repos each built once a night, two nights
 * (the second with the first night's caches), then the second night again with 10% of the workers gone.
 * Prints Markdown tables: cache-hit ratio, makespan against its lower bound, and the share of repos that move.
 * Every random draw comes from fixed seeds, so a run prints the same numbers.
 *
 * <p>The coordinator it models is the placing pass ({@code PlacingPass}): every build of a night is queued at
 * its start (time 0) in the night's order; a pass walks the queue in order and does what the stealing rule
 * decides for each build (place it, leave it waiting for its busy warm worker, or, after it waited the
 * threshold, let a worker with room take it once the walk has placed every other build: a steal). A pass runs
 * whenever a build finishes and when a waiting build's threshold passes. A build placed on a worker with no
 * free slot (only with more than one build per slot) waits on that worker. A build that runs where its repo's
 * cache is cold takes {@code coldMinutes} longer (-DcoldMinutes, default 1.5: 15 % of the median build).
 *
 * <p>Under ADR 0052 (the default, {@code -Drules=0052}) a build queued longer than the configured threshold goes to
 * a warm worker with room rather than its cold home, and its threshold is its repo's cold cost as {@link
 * ColdCacheCosts} estimates it from the runs simulated so far (at most the configured threshold; one history through the nights, in order: night 1,
 * night 2, night 2 with 10% gone); {@code -Drules=0046} decides as ADR 0046 did (the home first, one threshold).
 *
 * <p>The walk skips, without asking the rule, builds whose home and warm worker are full (the rule could only
 * answer wait or steal) and builds no worker with room can run; the answer is the same, the walk ~100× faster.
 *
 * <p>Run with {@code bench/placement-simulation.sh}; arguments {@code [workers] [repos] [max builds per slot]
 * [epsilons]}; {@code -DstealAfter=before,1.5,never} the thresholds in simulated minutes (default: before, no
 * stealing rule, each build where placement alone says, as before ADR 0046; the cold cost; never); {@code
 * -Drules=0046,0052} which rules to compare, row by row.
 */
public final class PlacementSimulation {
  private static final long SEED = 20261125L;
  private static final String ARCH = "x86_64";
  /** The one target every simulated build builds. */
  private static final String TARGET = "bootstrap";
  private static final long GIB = 1024L * 1024 * 1024;
  /** Stands for "never steal": longer than any night. */
  static final double NEVER = 1e9;
  /** Stands for "no stealing rule": each build where {@link RendezvousPlacement#place} says (before ADR 0046). */
  static final double BEFORE = -1;

  /** A repo of the simulated farm, with its build time (warm cache) on each night. */
  record Repo(String name, String packageManager, double night1Minutes, double night2Minutes) {}

  /** A worker as configured: what it runs and how many slots. */
  record WorkerSpec(String id, Set<String> packageManagers, int slots) {}

  /** The simulated farm. */
  record Farm(List<WorkerSpec> workers, List<Repo> repos) {}

  /** What one night produced. */
  record Night(
      int builds,
      int warmHits,
      int atHome,
      int stolen,
      int waitedInQueue,
      double makespanMinutes,
      double totalWorkMinutes,
      long totalSlots,
      double longestMinutes,
      Map<String, String> placedOn) {

    /** max(least total work / slots, longest least build time): no schedule ends earlier. */
    double lowerBound() {
      return Math.max(totalWorkMinutes / totalSlots, longestMinutes);
    }

    double ratio() {
      return makespanMinutes / lowerBound();
    }

    double hitShare() {
      return (double) warmHits / builds;
    }
  }

  private PlacementSimulation() {}

  /** The farm of {@code workerCount} workers and {@code repoCount} repos drawn from the fixed seed. */
  static Farm farm(int workerCount, int repoCount) {
    Random random = new Random(SEED);
    List<WorkerSpec> workers = new ArrayList<>();
    for (int i = 0; i < workerCount; i++) {
      Set<String> managers = new HashSet<>();
      boolean rpm = random.nextDouble() < 0.85;
      boolean apt = random.nextDouble() < 0.5;
      if (rpm || !apt) {
        managers.addAll(List.of("dnf", "tdnf", "yum"));
      }
      if (apt) {
        managers.add("apt");
      }
      workers.add(new WorkerSpec(String.format(Locale.ROOT, "w%04d", i), Set.copyOf(managers),
          1 + random.nextInt(4)));
    }
    String[] managers = {"dnf", "tdnf", "yum", "apt"};
    double[] shares = {0.35, 0.20, 0.15, 0.30};
    List<Repo> repos = new ArrayList<>();
    for (int i = 0; i < repoCount; i++) {
      double draw = random.nextDouble();
      int m = 0;
      while (m < shares.length - 1 && draw >= shares[m]) {
        draw -= shares[m];
        m++;
      }
      // Build time: log-normal, median 10 minutes; the second night varies by about 10%.
      double night1 = 10 * Math.exp(0.4 * random.nextGaussian());
      double night2 = night1 * Math.exp(0.1 * random.nextGaussian());
      repos.add(new Repo(String.format(Locale.ROOT, "repo-%05d", i), managers[m], night1, night2));
    }
    return new Farm(workers, repos);
  }

  /** The first night's order: shuffled. */
  static List<Repo> firstOrder(Farm farm) {
    return shuffled(farm.repos(), SEED + 1);
  }

  /** The second night's order: longest first by the first night's times (LPT), unless -Dorder=shuffled. */
  static List<Repo> secondOrder(Farm farm) {
    List<Repo> order = new ArrayList<>(shuffled(farm.repos(), SEED + 2));
    if (!System.getProperty("order", "lpt").equals("shuffled")) {
      order.sort(java.util.Comparator.comparingDouble(Repo::night1Minutes).reversed());
    }
    return order;
  }

  public static void main(String[] args) {
    int workerCount = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int repoCount = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
    int maxBuildsPerSlot = args.length > 2 ? Integer.parseInt(args[2])
        : RendezvousPlacement.DEFAULT_MAX_BUILDS_PER_SLOT;
    double[] epsilons = args.length > 3
        ? java.util.Arrays.stream(args[3].split(",")).mapToDouble(Double::parseDouble).toArray()
        : new double[] {0.1, 0.25, 0.5, 1.0};
    double coldMinutes = Double.parseDouble(System.getProperty("coldMinutes", "1.5"));
    double[] thresholds = java.util.Arrays.stream(System.getProperty("stealAfter", "before," + coldMinutes + ",never")
        .split(",")).mapToDouble(t -> t.equals("never") ? NEVER : t.equals("before") ? BEFORE : Double.parseDouble(t))
        .toArray();
    String[] rules = System.getProperty("rules", "0052").split(",");
    long started = System.nanoTime();

    Farm farm = farm(workerCount, repoCount);
    List<WorkerSpec> workers = farm.workers();
    List<Repo> repos = farm.repos();
    List<Repo> order1 = firstOrder(farm);
    List<Repo> order2 = secondOrder(farm);
    List<WorkerSpec> survivors = shuffled(workers, SEED + 3).subList(0, workerCount * 9 / 10);
    Set<String> departed = new HashSet<>();
    workers.forEach(w -> departed.add(w.id()));
    survivors.forEach(w -> departed.remove(w.id()));

    System.out.printf(Locale.ROOT, "%d workers (%d slots; %d run dnf/tdnf/yum, %d run apt), "
            + "%d repos (dnf 35%%, tdnf 20%%, yum 15%%, apt 30%%), build time log-normal, "
            + "median 10 min, sigma 0.4, %.1f min more on a cold cache; %d build(s) per slot; seed %d%n%n",
        workerCount, workers.stream().mapToLong(WorkerSpec::slots).sum(),
        workers.stream().filter(w -> w.packageManagers().contains("dnf")).count(),
        workers.stream().filter(w -> w.packageManagers().contains("apt")).count(),
        repoCount, coldMinutes, maxBuildsPerSlot, SEED);

    System.out.println("| epsilon | steal after | rule | night | workers | cache hits | placed at home (rank 1)"
        + " | builds stolen | waited in queue | makespan | lower bound (work/slots, longest) | makespan / bound |");
    System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|");
    Map<String, Night[]> nights = new LinkedHashMap<>();
    for (double epsilon : epsilons) {
      for (double threshold : thresholds) {
        for (String ruleName : threshold == BEFORE ? new String[] {"none"} : rules) {
          RendezvousPlacement placement = new RendezvousPlacement(epsilon, maxBuildsPerSlot,
              minutes(Math.max(0, threshold)));
          Rule rule = threshold == BEFORE ? Rule.NONE : Rule.named(ruleName);
          // one history across the nights, as the coordinator's: night 2, 10% gone, comes after night 2
          ColdCacheCosts costs = new ColdCacheCosts(placement.stealAfter());
          Night first = runNight(placement, rule, costs, workers, order1, true, Map.of(), coldMinutes);
          Night second = runNight(placement, rule, costs, workers, order2, false, first.placedOn(), coldMinutes);
          Night shrunk = runNight(placement, rule, costs, survivors, order2, false, first.placedOn(), coldMinutes);
          String label = String.format(Locale.ROOT, "| %.2f | %s | %s ", epsilon, threshold >= NEVER ? "never"
              : threshold == BEFORE ? "no rule (before)" : String.format(Locale.ROOT, "%.1f min", threshold),
              rule.label);
          nights.put(label, new Night[] {first, second, shrunk});
          printRow(label, "1 (cold)", workerCount, first);
          printRow(label, "2", workerCount, second);
          printRow(label, "2, 10% gone", survivors.size(), shrunk);
        }
      }
    }

    System.out.println();
    System.out.println("| epsilon | steal after | rule | repos that moved when 10% of"
        + " workers left (night 2) | were on a departed worker | moved though their worker"
        + " stayed | idle-farm homes that moved |");
    System.out.println("|---|---|---|---|---|---|---|");
    Map<String, String> idleHomesAll = idleHomes(new RendezvousPlacement(), workers, repos);
    Map<String, String> idleHomesSurvivors = idleHomes(new RendezvousPlacement(), survivors, repos);
    int idleMoved = 0;
    for (Repo r : repos) {
      if (!idleHomesAll.get(r.name()).equals(idleHomesSurvivors.get(r.name()))) {
        idleMoved++;
      }
    }
    for (var entry : nights.entrySet()) {
      Night[] n = entry.getValue();
      int moved = 0;
      int onDeparted = 0;
      for (Repo r : repos) {
        String before = n[1].placedOn().get(r.name());
        if (departed.contains(before)) {
          onDeparted++;
        }
        if (!before.equals(n[2].placedOn().get(r.name()))) {
          moved++;
        }
      }
      System.out.printf(Locale.ROOT, "%s| %s | %s | %s | %s |%n", entry.getKey(),
          percent(moved, repoCount), percent(onDeparted, repoCount),
          percent(moved - onDeparted, repoCount), percent(idleMoved, repoCount));
    }
    System.out.printf(Locale.ROOT, "%nsimulated in %.1f s%n", (System.nanoTime() - started) / 1e9);
  }

  /** Simulated minutes as the duration the rule compares waits with (one simulated minute, one minute). */
  static Duration minutes(double minutes) {
    return minutes >= NEVER ? Duration.ofDays(365 * 100) : Duration.ofMillis(Math.round(minutes * 60_000));
  }

  private static void printRow(String label, String night, int workers, Night n) {
    System.out.printf(Locale.ROOT,
        "%s| %s | %d | %s | %s | %s | %d | %.1f min | %.1f min (%.1f, %.1f) | %.2f |%n",
        label, night, workers, percent(n.warmHits(), n.builds()), percent(n.atHome(), n.builds()),
        percent(n.stolen(), n.builds()), n.waitedInQueue(), n.makespanMinutes(), n.lowerBound(),
        n.totalWorkMinutes() / n.totalSlots(), n.longestMinutes(), n.ratio());
  }

  private static String percent(int part, int whole) {
    return String.format(Locale.ROOT, "%.1f%%", 100.0 * part / whole);
  }

  private static <T> List<T> shuffled(List<T> items, long seed) {
    List<T> copy = new ArrayList<>(items);
    Collections.shuffle(copy, new Random(seed));
    return copy;
  }

  private static WorkerView idleView(WorkerSpec w) {
    return new WorkerView(w.id(), w.packageManagers(), ARCH, w.slots(), 0, 0, 100 * GIB, Map.of(), true);
  }

  private static Map<String, String> idleHomes(
      RendezvousPlacement placement, List<WorkerSpec> workers, List<Repo> repos) {
    List<WorkerView> views = workers.stream().map(PlacementSimulation::idleView).toList();
    Map<String, String> homes = new HashMap<>();
    for (Repo r : repos) {
      homes.put(r.name(), placement.place(
          PlacementRequest.of(r.name(), r.packageManager(), ARCH), views).workerId().orElseThrow());
    }
    return homes;
  }

  /** Which rule a simulated placing pass decides with. */
  enum Rule {
    /** Placement alone: each build where {@link RendezvousPlacement#place} says (before ADR 0046). */
    NONE("none"),
    /** ADR 0046: one threshold; a home with room always takes its build. */
    ADR_0046("0046"),
    /** ADR 0052: per-repo thresholds ({@link ColdCacheCosts}); an overdue build takes a warm worker before its home. */
    ADR_0052("0052");

    final String label;

    Rule(String label) {
      this.label = label;
    }

    static Rule named(String name) {
      for (Rule r : values()) {
        if (r.label.equals(name.trim())) {
          return r;
        }
      }
      throw new IllegalArgumentException("-Drules takes 0046 and 0052, comma-separated; not " + name);
    }
  }

  /**
   * One build of a night: its repo, its time on a warm cache, when it was queued, and how long it waits for its
   * warm worker (its repo's threshold when queued: it changes only when the repo's run ends, once a night).
   */
  private record Build(Repo repo, double minutes, double queuedAt, double stealAfterMinutes) {}

  /** A build finishing at a time on a worker; seq keeps equal times in a fixed order. */
  private record Finish(double time, long seq, int worker, Build build, double startedAt, boolean warm) {}

  /**
   * Runs one night: all repos queued in {@code order} at time 0, until every build finished.
   *
   * @param previousNight repo to the worker it was built on the night before (its warm cache)
   * @param coldMinutes how much longer a build takes on a worker whose cache for its repo is cold
   * @param rule which rule the pass decides with
   * @param costs the cold cost estimates, fed every run of the night (ADR 0052's thresholds)
   */
  static Night runNight(RendezvousPlacement placement, Rule rule, ColdCacheCosts costs, List<WorkerSpec> specs,
      List<Repo> order, boolean firstNight, Map<String, String> previousNight, double coldMinutes) {
    return new NightRun(placement, rule, costs, specs, previousNight, coldMinutes).run(order, firstNight);
  }

  /** The state of one simulated night. */
  private static final class NightRun {
    private final RendezvousPlacement placement;
    private final StealingRule rule;
    private final boolean ruleOn;
    private final ColdCacheCosts costs;
    private final List<WorkerSpec> specs;
    private final Map<String, String> previousNight;
    private final double coldMinutes;
    private final int n;
    private final Map<String, Integer> index = new HashMap<>();
    private final List<WorkerView> views = new ArrayList<>();
    private final List<Map<String, WorkerView.WarmCache>> caches = new ArrayList<>();
    private final int[] running;
    private final List<ArrayDeque<Build>> waiting = new ArrayList<>();
    private final PriorityQueue<Finish> finishes = new PriorityQueue<>((a, b) -> a.time() != b.time()
        ? Double.compare(a.time(), b.time()) : Long.compare(a.seq(), b.seq()));
    private final TreeSet<Double> wakes = new TreeSet<>();
    private final Map<String, String> placedOn = new HashMap<>();
    private final Set<Build> everWaited = new HashSet<>();
    private final Map<String, Integer> home = new HashMap<>();
    private int warmHits;
    private int atHome;
    private int stolen;
    private long seq;

    NightRun(RendezvousPlacement placement, Rule rule, ColdCacheCosts costs, List<WorkerSpec> specs,
        Map<String, String> previousNight, double coldMinutes) {
      this.placement = placement;
      this.ruleOn = rule != Rule.NONE;
      // "never" stays never: no estimate below it
      this.costs = rule == Rule.ADR_0052 && !placement.stealAfter().equals(minutes(NEVER)) ? costs
          : new ColdCacheCosts(placement.stealAfter());
      this.rule = rule == Rule.ADR_0052 ? new StealingRule(placement) : StealingRule.beforeAdr0052(placement);
      this.specs = specs;
      this.previousNight = previousNight;
      this.coldMinutes = coldMinutes;
      this.n = specs.size();
      this.running = new int[n];
      for (int i = 0; i < n; i++) {
        index.put(specs.get(i).id(), i);
        caches.add(new HashMap<>());
        waiting.add(new ArrayDeque<>());
      }
      previousNight.forEach((repo, worker) -> {
        Integer i = index.get(worker);
        if (i != null) {
          caches.get(i).put(repo, new WorkerView.WarmCache("night-1", GIB));
        }
      });
      for (int i = 0; i < n; i++) {
        WorkerSpec w = specs.get(i);
        views.add(new WorkerView(w.id(), w.packageManagers(), ARCH, w.slots(), 0, 0, 100 * GIB, caches.get(i), true));
      }
    }

    Night run(List<Repo> order, boolean firstNight) {
      List<Build> queue = new ArrayList<>();
      double totalWork = 0;
      double longest = 0;
      for (Repo r : order) {
        double minutes = firstNight ? r.night1Minutes() : r.night2Minutes();
        queue.add(new Build(r, minutes, 0, minutesOf(costs.stealAfter(r.name(), TARGET))));
        // the least this build can take: warm only where last night's cache survived
        double least = minutes + (index.containsKey(previousNight.get(r.name())) ? 0 : coldMinutes);
        totalWork += least;
        home.put(r.name(), homeOf(r));
        longest = Math.max(longest, least);
      }
      double now = 0;
      double makespan = 0;
      pass(queue, now);
      while (!finishes.isEmpty() || (!queue.isEmpty() && !wakes.isEmpty())) {
        Double wake = wakes.isEmpty() ? null : wakes.first();
        if (wake != null && (finishes.isEmpty() || wake < finishes.peek().time())) {
          wakes.pollFirst();
          now = Math.max(now, wake);
        } else {
          Finish f = finishes.poll();
          now = f.time();
          makespan = now;
          int w = f.worker();
          running[w]--;
          costs.record(f.build().repo().name(), TARGET, f.warm(), minutes(f.time() - f.startedAt()));
          caches.get(w).put(f.build().repo().name(), new WorkerView.WarmCache("night", GIB));
          Build next = waiting.get(w).poll();
          if (next != null) {
            start(w, next, now);
          }
          refresh(w);
        }
        if (!queue.isEmpty()) {
          pass(queue, now);
        }
      }
      if (!queue.isEmpty()) {
        throw new IllegalStateException(queue.size() + " builds never placed, e.g. " + queue.get(0).repo() + ": "
            + placement.place(request(queue.get(0)), views).reason());
      }
      long totalSlots = specs.stream().mapToLong(WorkerSpec::slots).sum();
      return new Night(order.size(), warmHits, atHome, stolen, everWaited.size(), makespan, totalWork, totalSlots,
          longest, placedOn);
    }

    /** The repo's home among every capable worker of the night (capability does not depend on load). */
    private int homeOf(Repo r) {
      int best = -1;
      double bestScore = 0;
      for (int i = 0; i < n; i++) {
        WorkerView w = views.get(i);
        if (w.packageManagers().contains(r.packageManager())) {
          double score = RendezvousPlacement.score(r.name(), w);
          if (best < 0 || RendezvousPlacement.before(score, w.id(), bestScore, views.get(best).id())) {
            best = i;
            bestScore = score;
          }
        }
      }
      return best;
    }

    private boolean open(int w) {
      return views.get(w).load() < (long) placement.maxBuildsPerSlot() * views.get(w).slots();
    }

    /** One placing pass at {@code now}, as {@code PlacingPass}: the walk, then the steals in queue order. */
    private void pass(List<Build> queue, double now) {
      Set<String> openManagers = new HashSet<>();
      for (int i = 0; i < n; i++) {
        if (open(i)) {
          openManagers.addAll(views.get(i).packageManagers());
        }
      }
      List<Build> steals = new ArrayList<>();
      List<Build> stillQueued = new ArrayList<>();
      for (Build b : queue) {
        String pm = b.repo().packageManager();
        if (!openManagers.contains(pm)) {
          stillQueued.add(b);
          everWaited.add(b);
          continue;
        }
        double waited = now - b.queuedAt();
        double after = b.stealAfterMinutes();
        Integer warm = index.get(previousNight.get(b.repo().name()));
        if (ruleOn && !open(home.get(b.repo().name())) && (warm == null || !open(warm))) {
          // its home and its warm worker are full: the rule answers wait, steal, or placement's "waiting"
          stillQueued.add(b);
          everWaited.add(b);
          if (after <= waited) {
            steals.add(b);
          } else {
            wakes.add(b.queuedAt() + after);
          }
          continue;
        }
        StealingRule.Decision d = ruleOn ? decide(b, waited)
            : new StealingRule.Decision(StealingRule.Kind.PLACE, placement.place(request(b), views), null);
        if (d.kind() == StealingRule.Kind.PLACE && d.placement().placed()) {
          claim(b, d, now);
          openManagers = stillOpen(openManagers);
        } else {
          stillQueued.add(b);
          everWaited.add(b);
          if (d.kind() == StealingRule.Kind.STEAL) {
            steals.add(b);
          } else if (d.kind() == StealingRule.Kind.WAIT) {
            wakes.add(b.queuedAt() + after);
          } else {
            openManagers.remove(pm); // every worker with room is at its bound for it
          }
        }
      }
      Set<Build> claimed = new HashSet<>();
      for (Build b : steals) {
        if (!openManagers.contains(b.repo().packageManager())) {
          continue;
        }
        StealingRule.Decision d = decide(b, now - b.queuedAt());
        if (d.claims()) {
          claim(b, d, now);
          claimed.add(b);
          openManagers = stillOpen(openManagers);
        } else if (!d.placement().placed()) {
          openManagers.remove(b.repo().packageManager());
        }
      }
      queue.clear();
      for (Build b : stillQueued) {
        if (!claimed.contains(b)) {
          queue.add(b);
        }
      }
    }

    /** What the rule decides for {@code b} after it waited {@code waited} minutes. */
    private StealingRule.Decision decide(Build b, double waited) {
      return rule.decide(request(b), views, minutes(waited), minutes(b.stealAfterMinutes()));
    }

    private Set<String> stillOpen(Set<String> managers) {
      Set<String> open = new HashSet<>();
      for (int i = 0; i < n && open.size() < managers.size(); i++) {
        if (open(i)) {
          open.addAll(views.get(i).packageManagers());
        }
      }
      open.retainAll(managers);
      return open;
    }

    private void claim(Build b, StealingRule.Decision d, double now) {
      String id = d.placement().workerId().orElseThrow();
      int w = index.get(id);
      placedOn.put(b.repo().name(), id);
      if (d.kind() == StealingRule.Kind.STEAL) {
        stolen++;
      }
      if (d.placement().reason().startsWith("worker ") && d.placement().reason().contains(": rank 1 of ")) {
        atHome++;
      }
      if (running[w] < views.get(w).slots()) {
        start(w, b, now);
      } else {
        waiting.get(w).add(b);
      }
      refresh(w);
    }

    private void start(int w, Build b, double now) {
      boolean warm = caches.get(w).containsKey(b.repo().name());
      if (warm) {
        warmHits++;
      }
      running[w]++;
      finishes.add(new Finish(now + b.minutes() + (warm ? 0 : coldMinutes), seq++, w, b, now, warm));
    }

    private void refresh(int w) {
      WorkerView v = views.get(w);
      views.set(w, new WorkerView(v.id(), v.packageManagers(), v.arch(), v.slots(), running[w],
          waiting.get(w).size(), v.freeDiskBytes(), caches.get(w), v.alive()));
    }
  }

  private static PlacementRequest request(Build b) {
    return PlacementRequest.of(b.repo().name(), b.repo().packageManager(), ARCH);
  }

  private static double minutesOf(Duration d) {
    return d.toMillis() / 60_000.0;
  }
}
