package org.bootfarm.coordinator.placement;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.Set;

/**
 * A discrete-event simulation of nightly builds that drives the real {@link RendezvousPlacement}:
 * 1,000 workers with a few slots, 10,000 repos each built once a night, two nights (the second
 * with the first night's caches), then the second night again with 10% of the workers gone.
 * Prints Markdown tables: cache-hit ratio, makespan against its lower bound, and the share of
 * repos that move. Every random draw comes from fixed seeds, so a run prints the same numbers.
 *
 * <p>The coordinator it models: at the start of the night every build is queued in a shuffled
 * order; the coordinator walks its queue and places each build; a placed build runs at once if
 * the worker has a free slot and otherwise waits on that worker (counting in its load); a build
 * that gets "waiting" stays in the coordinator's queue and is tried again whenever a build
 * finishes. Placement sees live loads, so the bound is the paper's bound on the builds held.
 *
 * <p>Run with {@code bench/placement-simulation.sh}; arguments {@code [workers] [repos]}.
 */
public final class PlacementSimulation {
  private static final long SEED = 20261125L;
  private static final String ARCH = "x86_64";
  private static final long GIB = 1024L * 1024 * 1024;

  /** A repo of the simulated farm, with its build time on each night. */
  private record Repo(String name, String packageManager, double night1Minutes,
      double night2Minutes) {}

  /** A worker as configured: what it runs and how many slots. */
  private record WorkerSpec(String id, Set<String> packageManagers, int slots) {}

  /** What one night produced. */
  private record Night(
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

    double lowerBound() {
      return Math.max(totalWorkMinutes / totalSlots, longestMinutes);
    }
  }

  private PlacementSimulation() {}

  public static void main(String[] args) {
    int workerCount = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int repoCount = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
    int maxBuildsPerSlot = args.length > 2 ? Integer.parseInt(args[2])
        : RendezvousPlacement.DEFAULT_MAX_BUILDS_PER_SLOT;
    double[] epsilons = args.length > 3
        ? java.util.Arrays.stream(args[3].split(",")).mapToDouble(Double::parseDouble).toArray()
        : new double[] {0.1, 0.25, 1.0};
    long started = System.nanoTime();

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
    List<Repo> order1 = shuffled(repos, SEED + 1);
    // The second night knows the first night's build times: longest first (LPT), which keeps
    // the longest builds from starting last.
    List<Repo> order2 = new ArrayList<>(shuffled(repos, SEED + 2));
    if (!System.getProperty("order", "lpt").equals("shuffled")) {
      order2.sort(java.util.Comparator.comparingDouble(Repo::night1Minutes).reversed());
    }
    List<WorkerSpec> survivors = shuffled(workers, SEED + 3).subList(0, workerCount * 9 / 10);
    Set<String> departed = new HashSet<>();
    workers.forEach(w -> departed.add(w.id()));
    survivors.forEach(w -> departed.remove(w.id()));

    System.out.printf(Locale.ROOT, "%d workers (%d slots; %d run dnf/tdnf/yum, %d run apt), "
            + "%d repos (dnf 35%%, tdnf 20%%, yum 15%%, apt 30%%), build time log-normal, "
            + "median 10 min, sigma 0.4; seed %d%n%n",
        workerCount, workers.stream().mapToLong(WorkerSpec::slots).sum(),
        workers.stream().filter(w -> w.packageManagers().contains("dnf")).count(),
        workers.stream().filter(w -> w.packageManagers().contains("apt")).count(),
        repoCount, SEED);

    System.out.println("| epsilon | idle slots take waiting builds | night | workers | cache hits"
        + " (warm from night 1) | placed at home (rank 1) | builds stolen | waited in queue"
        + " | makespan | lower bound (work/slots, longest) | makespan / bound |");
    System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
    Map<String, Night[]> nights = new java.util.LinkedHashMap<>();
    for (double epsilon : epsilons) {
      RendezvousPlacement placement = new RendezvousPlacement(epsilon, maxBuildsPerSlot);
      for (boolean stealing : new boolean[] {false, true}) {
        Night first = runNight(placement, workers, order1, true, Map.of(), stealing);
        Night second = runNight(placement, workers, order2, false, first.placedOn(), stealing);
        Night shrunk = runNight(placement, survivors, order2, false, first.placedOn(), stealing);
        String label = String.format(Locale.ROOT, "| %.2f | %s ", epsilon, stealing ? "yes" : "no");
        nights.put(label, new Night[] {first, second, shrunk});
        printRow(label, "1 (cold)", workerCount, first);
        printRow(label, "2", workerCount, second);
        printRow(label, "2, 10% gone", survivors.size(), shrunk);
      }
    }

    System.out.println();
    System.out.println("| epsilon | idle slots take waiting builds | repos that moved when 10% of"
        + " workers left (night 2) | were on a departed worker | moved though their worker"
        + " stayed | idle-farm homes that moved |");
    System.out.println("|---|---|---|---|---|---|");
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

  private static void printRow(String label, String night, int workers, Night n) {
    System.out.printf(Locale.ROOT,
        "%s| %s | %d | %s | %s | %s | %d | %.1f min | %.1f min (%.1f, %.1f) | %.2f |%n",
        label, night, workers, percent(n.warmHits(), n.builds()), percent(n.atHome(), n.builds()),
        percent(n.stolen(), n.builds()), n.waitedInQueue(), n.makespanMinutes(), n.lowerBound(),
        n.totalWorkMinutes() / n.totalSlots(), n.longestMinutes(),
        n.makespanMinutes() / n.lowerBound());
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
    return new WorkerView(w.id(), w.packageManagers(), ARCH, w.slots(), 0, 0, 100 * GIB, Map.of(),
        true);
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

  /** One build running or waiting on a worker. */
  private record Build(Repo repo, double minutes) {}

  /** A build finishing at a time on a worker; seq keeps equal times in a fixed order. */
  private record Finish(double time, long seq, int worker, Build build) {}

  /**
   * Runs one night: all repos queued in {@code order} at time 0, until every build finished.
   *
   * @param previousNight repo to the worker it was built on the night before (its warm cache)
   * @param stealing whether a worker with a free slot and nothing waiting takes a waiting build
   *     from the capable worker with the most waiting builds per slot (the coordinator re-placing a
   *     build that has not started; it then runs where it was stolen to, usually cold)
   */
  private static Night runNight(RendezvousPlacement placement, List<WorkerSpec> specs,
      List<Repo> order, boolean firstNight, Map<String, String> previousNight,
      boolean stealing) {
    int n = specs.size();
    Map<String, Integer> index = new HashMap<>();
    List<WorkerView> views = new ArrayList<>(n);
    List<Map<String, WorkerView.WarmCache>> caches = new ArrayList<>(n);
    int[] running = new int[n];
    List<ArrayDeque<Build>> waiting = new ArrayList<>(n);
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
      views.add(new WorkerView(w.id(), w.packageManagers(), ARCH, w.slots(), 0, 0, 100 * GIB,
          caches.get(i), true));
    }

    List<Build> queue = new ArrayList<>();
    double totalWork = 0;
    double longest = 0;
    for (Repo r : order) {
      double minutes = firstNight ? r.night1Minutes() : r.night2Minutes();
      queue.add(new Build(r, minutes));
      totalWork += minutes;
      longest = Math.max(longest, minutes);
    }
    PriorityQueue<Finish> finishes = new PriorityQueue<>((a, b) -> a.time() != b.time()
        ? Double.compare(a.time(), b.time()) : Long.compare(a.seq(), b.seq()));
    Map<String, String> placedOn = new HashMap<>();
    int[] counters = new int[3]; // warm hits, at home, waited in queue
    long[] seq = {0};
    Set<Build> everWaited = new HashSet<>();

    double now = 0;
    int stolen = 0;
    dispatch(placement, queue, views, index, running, waiting, finishes, placedOn, previousNight,
        counters, seq, everWaited, now);
    double makespan = 0;
    while (!finishes.isEmpty()) {
      Finish f = finishes.poll();
      now = f.time();
      makespan = now;
      int w = f.worker();
      running[w]--;
      caches.get(w).put(f.build().repo().name(), new WorkerView.WarmCache("night", GIB));
      Build next = waiting.get(w).poll();
      if (next != null) {
        start(w, next, now, running, finishes, seq);
      }
      views.set(w, refreshed(views.get(w), running[w], waiting.get(w).size(), caches.get(w)));
      if (!queue.isEmpty()) {
        dispatch(placement, queue, views, index, running, waiting, finishes, placedOn,
            previousNight, counters, seq, everWaited, now);
      }
      if (stealing) {
        stolen += steal(views, running, waiting, finishes, placedOn, previousNight, counters,
            seq, now);
      }
    }
    if (!queue.isEmpty()) {
      throw new IllegalStateException(queue.size() + " builds never placed, e.g. "
          + queue.get(0).repo() + ": " + placement.place(request(queue.get(0)), views).reason());
    }
    long totalSlots = specs.stream().mapToLong(WorkerSpec::slots).sum();
    return new Night(order.size(), counters[0], counters[1], stolen, everWaited.size(), makespan,
        totalWork, totalSlots, longest, placedOn);
  }

  private static PlacementRequest request(Build b) {
    return PlacementRequest.of(b.repo().name(), b.repo().packageManager(), ARCH);
  }

  private static WorkerView refreshed(WorkerView v, int running, int waiting,
      Map<String, WorkerView.WarmCache> caches) {
    return new WorkerView(v.id(), v.packageManagers(), v.arch(), v.slots(), running, waiting,
        v.freeDiskBytes(), caches, v.alive());
  }

  private static void start(int w, Build b, double now, int[] running,
      PriorityQueue<Finish> finishes, long[] seq) {
    running[w]++;
    finishes.add(new Finish(now + b.minutes(), seq[0]++, w, b));
  }

  /**
   * Lets every worker with a free slot and nothing waiting take a waiting build, until none can: a
   * build whose repo's cache is warm on it if one waits anywhere, else the last waiting build of
   * the capable worker with the most waiting builds per slot. Returns how many moved.
   */
  private static int steal(List<WorkerView> views, int[] running, List<ArrayDeque<Build>> waiting,
      PriorityQueue<Finish> finishes, Map<String, String> placedOn,
      Map<String, String> previousNight, int[] counters, long[] seq, double now) {
    List<Integer> victims = new ArrayList<>();
    for (int i = 0; i < views.size(); i++) {
      if (!waiting.get(i).isEmpty()) {
        victims.add(i);
      }
    }
    if (victims.isEmpty()) {
      return 0;
    }
    Map<String, Integer> waitingOn = null; // repo to the worker it waits on, built when needed
    int moved = 0;
    for (int thief = 0; thief < views.size(); thief++) {
      WorkerView t = views.get(thief);
      while (running[thief] < t.slots() && waiting.get(thief).isEmpty()) {
        if (waitingOn == null) {
          waitingOn = new HashMap<>();
          for (int v : victims) {
            for (Build b : waiting.get(v)) {
              waitingOn.put(b.repo().name(), v);
            }
          }
        }
        int victim = -1;
        Build b = null;
        // Sorted: the iteration order of Map.copyOf varies from one JVM run to the next.
        for (String repo : new java.util.TreeSet<>(t.warmCaches().keySet())) {
          Integer v = waitingOn.get(repo);
          if (v != null) {
            victim = v;
            for (Build candidate : waiting.get(v)) {
              if (candidate.repo().name().equals(repo)) {
                b = candidate;
              }
            }
            waiting.get(v).remove(b);
            break;
          }
        }
        double worst = 0;
        for (int v : b != null ? List.<Integer>of() : victims) {
          ArrayDeque<Build> q = waiting.get(v);
          double backlog = (double) q.size() / views.get(v).slots();
          if (!q.isEmpty() && backlog > worst
              && t.packageManagers().contains(q.peekLast().repo().packageManager())) {
            victim = v;
            worst = backlog;
          }
        }
        if (victim < 0) {
          break;
        }
        if (b == null) {
          b = waiting.get(victim).pollLast();
        }
        waitingOn.remove(b.repo().name());
        WorkerView v = views.get(victim);
        views.set(victim, new WorkerView(v.id(), v.packageManagers(), v.arch(), v.slots(),
            running[victim], waiting.get(victim).size(), v.freeDiskBytes(), v.warmCaches(),
            v.alive()));
        String repo = b.repo().name();
        if (v.id().equals(previousNight.get(repo))) {
          counters[0]--;
        }
        if (t.id().equals(previousNight.get(repo))) {
          counters[0]++;
        }
        placedOn.put(repo, t.id());
        start(thief, b, now, running, finishes, seq);
        t = new WorkerView(t.id(), t.packageManagers(), t.arch(), t.slots(), running[thief], 0,
            t.freeDiskBytes(), t.warmCaches(), t.alive());
        views.set(thief, t);
        moved++;
      }
    }
    return moved;
  }

  /** Walks the coordinator's queue in order, placing what placement will place. */
  private static void dispatch(RendezvousPlacement placement, List<Build> queue,
      List<WorkerView> views, Map<String, Integer> index, int[] running,
      List<ArrayDeque<Build>> waiting, PriorityQueue<Finish> finishes,
      Map<String, String> placedOn, Map<String, String> previousNight, int[] counters,
      long[] seq, Set<Build> everWaited, double now) {
    Set<String> full = new HashSet<>(); // package managers whose capable workers are all at bound
    List<Build> stillQueued = new ArrayList<>();
    for (Build b : queue) {
      if (full.contains(b.repo().packageManager())) {
        stillQueued.add(b);
        everWaited.add(b);
        continue;
      }
      Placement p = placement.place(request(b), views);
      if (!p.placed()) {
        full.add(b.repo().packageManager());
        stillQueued.add(b);
        everWaited.add(b);
        continue;
      }
      String id = p.workerId().orElseThrow();
      int w = index.get(id);
      placedOn.put(b.repo().name(), id);
      if (id.equals(previousNight.get(b.repo().name()))) {
        counters[0]++;
      }
      if (p.reason().contains(": rank 1 of ")) {
        counters[1]++;
      }
      if (running[w] < views.get(w).slots()) {
        start(w, b, now, running, finishes, seq);
      } else {
        waiting.get(w).add(b);
      }
      WorkerView v = views.get(w);
      views.set(w, new WorkerView(v.id(), v.packageManagers(), v.arch(), v.slots(), running[w],
          waiting.get(w).size(), v.freeDiskBytes(), v.warmCaches(), v.alive()));
    }
    queue.clear();
    queue.addAll(stillQueued);
  }
}
