package org.bootfarm.coordinator.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.bootfarm.coordinator.placement.Placement.Outcome;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The properties of rendezvous placement with bounded load that the farm relies on. */
@Tag("unit")
class PlacementTest {
  private static final long GIB = 1024L * 1024 * 1024;
  private final RendezvousPlacement placement = new RendezvousPlacement();

  private static WorkerView worker(String id, int slots, String... packageManagers) {
    return new WorkerView(id, Set.of(packageManagers), "x86_64", slots, 0, 0, 100 * GIB, Map.of(),
        true);
  }

  private static WorkerView withLoad(WorkerView w, int load) {
    WorkerView loaded = new WorkerView(w.id(), w.packageManagers(), w.arch(), w.slots(), 0, 0,
        w.freeDiskBytes(), w.warmCaches(), w.alive());
    for (int i = 0; i < load; i++) {
      loaded = loaded.withOneMoreBuild();
    }
    return loaded;
  }

  private static WorkerView warm(WorkerView w, String repo) {
    Map<String, WorkerView.WarmCache> caches = new HashMap<>(w.warmCaches());
    caches.put(repo, new WorkerView.WarmCache("1700000000", 512L * 1024 * 1024));
    return new WorkerView(w.id(), w.packageManagers(), w.arch(), w.slots(), w.busySlots(),
        w.waitingBuilds(), w.freeDiskBytes(), caches, w.alive());
  }

  private static WorkerView dead(WorkerView w) {
    return new WorkerView(w.id(), w.packageManagers(), w.arch(), w.slots(), w.busySlots(),
        w.waitingBuilds(), w.freeDiskBytes(), w.warmCaches(), false);
  }

  private static List<WorkerView> dnfWorkers(int n) {
    List<WorkerView> workers = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      workers.add(worker("w" + i, 4, "dnf", "tdnf", "yum"));
    }
    return workers;
  }

  private static PlacementRequest dnf(String repo) {
    return PlacementRequest.of(repo, "dnf", "x86_64");
  }

  private String placedOn(PlacementRequest request, List<WorkerView> workers) {
    Placement p = placement.place(request, workers);
    assertTrue(p.placed(), p::reason);
    return p.workerId().orElseThrow();
  }

  /** Home of each repo with every worker idle: where pure rendezvous puts it. */
  private Map<String, String> homes(int repos, List<WorkerView> workers) {
    Map<String, String> homes = new HashMap<>();
    for (int r = 0; r < repos; r++) {
      homes.put("repo-" + r, placedOn(dnf("repo-" + r), workers));
    }
    return homes;
  }

  @Test
  void sameRepoKeepsGoingToTheSameWorkerWhileItLivesAndIsNotOverloaded() {
    List<WorkerView> workers = dnfWorkers(8);
    String home = placedOn(dnf("photon-2.0"), workers);
    Random random = new Random(7);
    for (int round = 0; round < 50; round++) {
      List<WorkerView> busy = new ArrayList<>();
      for (WorkerView w : workers) {
        busy.add(w.id().equals(home) ? w : withLoad(w, random.nextInt(5)));
      }
      assertEquals(home, placedOn(dnf("photon-2.0"), busy), "round " + round);
    }
    // Overloaded (4 builds, everyone else idle: bound is ceil(1.25 * 5 * 4 / 32) = 1), it spills...
    List<WorkerView> overloaded = new ArrayList<>();
    for (WorkerView w : workers) {
      overloaded.add(w.id().equals(home) ? withLoad(w, 4) : w);
    }
    assertNotEquals(home, placedOn(dnf("photon-2.0"), overloaded));
    // ... and once its load is back to the average, the repo is home again.
    assertEquals(home, placedOn(dnf("photon-2.0"), workers));
  }

  @Test
  void workerLeavingMovesOnlyTheReposThatWereOnIt() {
    List<WorkerView> workers = dnfWorkers(20);
    Map<String, String> before = homes(2000, workers);
    List<WorkerView> afterLeave = new ArrayList<>(workers);
    afterLeave.set(7, dead(workers.get(7)));
    List<WorkerView> afterRemoval = new ArrayList<>(workers);
    afterRemoval.remove(7);
    for (List<WorkerView> remaining : List.of(afterLeave, afterRemoval)) {
      Map<String, String> after = homes(2000, remaining);
      Set<String> newHomesOfMoved = new HashSet<>();
      int moved = 0;
      for (var entry : before.entrySet()) {
        String now = after.get(entry.getKey());
        if (entry.getValue().equals("w7")) {
          assertNotEquals("w7", now);
          newHomesOfMoved.add(now);
          moved++;
        } else {
          assertEquals(entry.getValue(), now, entry.getKey() + " moved though its worker stayed");
        }
      }
      assertTrue(moved > 50, "w7 was home to only " + moved + " of 2000 repos");
      assertTrue(newHomesOfMoved.size() > 10,
          "w7's repos should spread over the survivors, went to " + newHomesOfMoved);
    }
  }

  @Test
  void workerJoiningTakesAboutItsShareAndOnlyFromOthers() {
    List<WorkerView> workers = dnfWorkers(20);
    Map<String, String> before = homes(2100, workers);
    List<WorkerView> joined = new ArrayList<>(workers);
    joined.add(worker("w-new", 4, "dnf"));
    Map<String, String> after = homes(2100, joined);
    int taken = 0;
    for (var entry : before.entrySet()) {
      String now = after.get(entry.getKey());
      if (!now.equals(entry.getValue())) {
        assertEquals("w-new", now, entry.getKey() + " moved between two old workers");
        taken++;
      }
    }
    // Its share is 2100 / 21 = 100; the binomial spread is about 10.
    assertTrue(taken >= 65 && taken <= 135, "the new worker took " + taken + " of 2100 repos");
  }

  @Test
  void workerIsHomeToAShareOfReposProportionalToItsSlots() {
    List<WorkerView> workers = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      workers.add(worker("one" + i, 1, "dnf"));
      workers.add(worker("four" + i, 4, "dnf"));
    }
    Map<String, String> homes = homes(5000, workers);
    long onFourSlotWorkers = homes.values().stream().filter(id -> id.startsWith("four")).count();
    // 40 of the 50 slots are on 4-slot workers: their share is 4000 of 5000 (spread about 28).
    assertTrue(onFourSlotWorkers > 3850 && onFourSlotWorkers < 4150,
        "4-slot workers are home to " + onFourSlotWorkers + " of 5000 repos");
  }

  @Test
  void noWorkerExceedsCeilingOfCTimesItsShareOfTheAverage() {
    Random random = new Random(42);
    int[] slotChoices = {2, 4, 8};
    Map<String, WorkerView> workers = new HashMap<>();
    for (int i = 0; i < 40; i++) {
      String id = "w" + i;
      workers.put(id, worker(id, slotChoices[random.nextInt(3)], "dnf"));
    }
    long totalSlots = workers.values().stream().mapToLong(WorkerView::slots).sum();
    int spilled = 0;
    // No per-slot cap here, so only the paper's bound limits a worker.
    RendezvousPlacement uncapped = new RendezvousPlacement(0.25, Integer.MAX_VALUE / 64);
    // 900 builds of 60 repos: hot repos would pile up on their homes without the bound.
    for (int build = 1; build <= 900; build++) {
      String repo = "repo-" + (int) Math.floor(Math.pow(random.nextDouble(), 3) * 60);
      Placement p = uncapped.place(dnf(repo), List.copyOf(workers.values()));
      assertTrue(p.placed(), p::reason);
      String id = p.workerId().orElseThrow();
      if (p.reason().contains("passed over")) {
        spilled++;
      }
      WorkerView chosen = workers.get(id).withOneMoreBuild();
      workers.put(id, chosen);
      // build is the total load counting this build; the per-slot average is build / totalSlots.
      long bound = (long) Math.ceil(1.25 * build * chosen.slots() / totalSlots - 1e-9);
      assertTrue(chosen.load() <= bound,
          id + " holds " + chosen.load() + " builds after build " + build + ", bound " + bound);
    }
    assertTrue(spilled > 0, "the skewed repos never hit the bound, so the test pins nothing");
  }

  @Test
  void workerNeverHoldsMoreThanItsBuildsPerSlotCap() {
    RendezvousPlacement capped = new RendezvousPlacement(0.25, 2);
    List<WorkerView> workers = new ArrayList<>(List.of(worker("a", 1, "apt"), worker("b", 2, "apt")));
    for (int i = 0; i < 6; i++) {
      Placement p = capped.place(PlacementRequest.of("debian-12", "apt", "x86_64"), workers);
      assertTrue(p.placed(), "build " + i + ": " + p.reason());
      String id = p.workerId().orElseThrow();
      workers.replaceAll(w -> w.id().equals(id) ? w.withOneMoreBuild() : w);
    }
    Placement seventh = capped.place(PlacementRequest.of("debian-12", "apt", "x86_64"), workers);
    assertEquals(Outcome.WAITING_FOR_CAPACITY, seventh.outcome());
    assertTrue(seventh.reason().startsWith(
        "all 2 live workers that run apt on x86_64 are at their load bound ("), seventh.reason());
    assertTrue(seventh.reason().endsWith("; waiting"), seventh.reason());
    assertTrue(seventh.reason().contains("a rank") && seventh.reason().contains("load 2/2"),
        seventh.reason());
  }

  @Test
  void incapableWorkersNeverReceiveABuild() {
    List<WorkerView> workers = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      workers.add(worker("rpm" + i, 4, "dnf", "tdnf", "yum"));
    }
    workers.add(worker("apt0", 4, "apt"));
    workers.add(worker("apt1", 2, "apt", "dnf"));
    workers.add(dead(worker("apt-dead", 8, "apt")));
    workers.add(new WorkerView("apt-arm", Set.of("apt"), "aarch64", 8, 0, 0, 100 * GIB, Map.of(),
        true));
    workers.add(new WorkerView("apt-full-disk", Set.of("apt"), "x86_64", 8, 0, 0, GIB, Map.of(),
        true));
    workers.add(worker("apt-draining", 0, "apt"));
    Set<String> used = new HashSet<>();
    for (int build = 0; build < 200; build++) {
      PlacementRequest request =
          new PlacementRequest("debian-" + (build % 30), "apt", "x86_64", 10 * GIB);
      Placement p = new RendezvousPlacement(0.25, 1000).place(request, workers);
      String id = p.workerId().orElseThrow(() -> new AssertionError(p.reason()));
      assertTrue(id.equals("apt0") || id.equals("apt1"), "apt build went to " + id);
      used.add(id);
      workers.replaceAll(w -> w.id().equals(id) ? w.withOneMoreBuild() : w);
    }
    assertEquals(Set.of("apt0", "apt1"), used);

    Placement onlyDraining = placement.place(PlacementRequest.of("debian-12", "apt", "x86_64"),
        List.of(worker("apt-draining", 0, "apt"), worker("rpm0", 4, "dnf")));
    assertEquals(Outcome.WAITING_FOR_CAPACITY, onlyDraining.outcome());
    assertEquals("the only live worker that runs apt on x86_64 is at its load bound"
        + " (apt-draining rank 1 load 0/0); waiting", onlyDraining.reason());
  }

  @Test
  void sameInputsGiveTheSameResultWhateverTheOrderOfWorkers() {
    Random random = new Random(3);
    List<WorkerView> workers = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      WorkerView w = withLoad(worker("w" + i, 2 + random.nextInt(6), "dnf"), random.nextInt(9));
      workers.add(random.nextBoolean() ? warm(w, "repo-" + random.nextInt(20)) : w);
    }
    for (int r = 0; r < 20; r++) {
      PlacementRequest request = dnf("repo-" + r);
      Placement reference = placement.place(request, workers);
      for (int shuffle = 0; shuffle < 10; shuffle++) {
        List<WorkerView> shuffled = new ArrayList<>(workers);
        Collections.shuffle(shuffled, new Random(shuffle));
        assertEquals(reference, placement.place(request, shuffled));
        assertEquals(reference, new RendezvousPlacement().place(request, shuffled));
      }
    }
  }

  @Test
  void homeWithinTheBoundWinsOverAWarmCacheElsewhere() {
    List<WorkerView> workers = dnfWorkers(6);
    List<WorkerView> order = placement.rendezvousOrder(dnf("photon-2.0"), workers);
    String home = order.get(0).id();
    String fourth = order.get(3).id();
    workers.replaceAll(w -> w.id().equals(fourth) ? warm(w, "photon-2.0") : w);
    Placement p = placement.place(dnf("photon-2.0"), workers);
    assertEquals(home, p.workerId().orElseThrow());
    assertTrue(p.reason().contains("rank 1 of 6") && p.reason().contains("cache cold"),
        p.reason());
  }

  @Test
  void spilledBuildPrefersAWarmCacheWithinTheBound() {
    List<WorkerView> workers = dnfWorkers(6);
    List<WorkerView> order = placement.rendezvousOrder(dnf("photon-2.0"), workers);
    String home = order.get(0).id();
    String second = order.get(1).id();
    String fourth = order.get(3).id();
    workers.replaceAll(w -> w.id().equals(home) ? withLoad(w, 4)
        : w.id().equals(fourth) ? warm(withLoad(w, 1), "photon-2.0") : w);
    // Loads 4 + 1 + this build over 24 slots: bound ceil(1.25 * 6 * 4 / 24) = 2 on each worker.
    Placement p = placement.place(dnf("photon-2.0"), workers);
    assertEquals(fourth, p.workerId().orElseThrow(), p.reason());
    assertEquals("worker " + fourth + ": rank 4 of 6 for photon-2.0 (dnf, x86_64), cache warm"
        + " (revision 1700000000), load 2/2 (4 slots); passed over " + home
        + " rank 1 load 4/2; its warm cache preferred over cold " + second + " (rank 2)",
        p.reason());
  }

  @Test
  void placedReasonNamesWorkerRankRepoCacheAndLoad() {
    String home = placement.rendezvousOrder(dnf("photon-2.0"), dnfWorkers(3)).get(0).id();
    List<WorkerView> busier = new ArrayList<>(dnfWorkers(3));
    busier.replaceAll(w -> w.id().equals(home) ? warm(withLoad(w, 1), "photon-2.0")
        : withLoad(w, 2));
    // Loads 1 + 2 + 2 + this build = 6 over 12 slots: bound ceil(1.25 * 6 * 4 / 12) = 3.
    Placement atHome = placement.place(dnf("photon-2.0"), busier);
    assertEquals("worker " + home + ": rank 1 of 3 for photon-2.0 (dnf, x86_64), cache warm"
        + " (revision 1700000000), load 2/3 (4 slots)", atHome.reason());
  }

  @Test
  void unsatisfiableReasonsNameThePackageManagerOrTheArch() {
    List<WorkerView> rpmOnly = dnfWorkers(3);
    Placement yumless = placement.place(PlacementRequest.of("centos-6.9", "yum", "x86_64"),
        List.of(worker("w0", 4, "dnf"), worker("w1", 4, "tdnf", "apt")));
    assertEquals(Outcome.NO_CAPABLE_WORKER, yumless.outcome());
    assertTrue(yumless.workerId().isEmpty());
    assertTrue(yumless.reason().startsWith("no live worker runs yum"), yumless.reason());

    Placement aptless = placement.place(PlacementRequest.of("debian-12", "apt", "x86_64"), rpmOnly);
    assertTrue(aptless.reason().startsWith("no live worker runs apt (the 3 live workers run dnf,"
        + " tdnf, yum)"), aptless.reason());

    Placement arm = placement.place(PlacementRequest.of("photon-2.0", "dnf", "aarch64"), rpmOnly);
    assertEquals(Outcome.NO_CAPABLE_WORKER, arm.outcome());
    assertTrue(arm.reason().startsWith("no live worker runs dnf on aarch64 (the 3 that run dnf"
        + " are x86_64)"), arm.reason());

    List<WorkerView> allDead = new ArrayList<>(rpmOnly);
    allDead.replaceAll(PlacementTest::dead);
    Placement noneAlive = placement.place(dnf("photon-2.0"), allDead);
    assertTrue(noneAlive.reason().startsWith("no live worker runs dnf: none of the 3 known"),
        noneAlive.reason());
    assertTrue(placement.place(dnf("photon-2.0"), List.of()).reason()
        .startsWith("no live worker runs dnf: no worker has joined"));

    Placement disk = placement.place(
        new PlacementRequest("photon-2.0", "dnf", "x86_64", 500 * GIB), rpmOnly);
    assertTrue(disk.reason().startsWith("no live worker that runs dnf on x86_64 has 500.0 GiB free"
        + " for photon-2.0 (most free: w0 with 100.0 GiB)"), disk.reason());
  }

  @Test
  void secondChoiceIsTheBestCapableWorkerOtherThanTheFirst() {
    List<WorkerView> workers = dnfWorkers(5);
    List<WorkerView> order = placement.rendezvousOrder(dnf("photon-2.0"), workers);
    Placement first = placement.place(dnf("photon-2.0"), workers);
    assertEquals(order.get(0).id(), first.workerId().orElseThrow());
    Placement second = placement.secondChoice(dnf("photon-2.0"), workers, order.get(0).id());
    assertEquals(order.get(1).id(), second.workerId().orElseThrow());
    assertTrue(second.reason().startsWith("second choice after " + order.get(0).id()
        + ": worker " + order.get(1).id()), second.reason());

    Placement alone = placement.secondChoice(dnf("photon-2.0"), dnfWorkers(1), "w0");
    assertFalse(alone.placed());
    assertTrue(alone.reason().contains("no live worker runs dnf"), alone.reason());
  }

  @Test
  void workerListedTwiceIsRejectedByName() {
    List<WorkerView> workers = List.of(worker("w1", 4, "dnf"), worker("w1", 2, "dnf"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> placement.place(dnf("photon-2.0"), workers));
    assertTrue(e.getMessage().contains("worker w1 is listed twice"), e.getMessage());
  }

  @Test
  void rendezvousHashIsStableAcrossRunsAndReleases() {
    // Changing the hash reshuffles every repo's home, and so every warm cache in the
    // farm: this pins it. The values come from an independent Python implementation of FNV-1a 64
    // over "photon-2.0\0w1" finished with MurmurHash3's fmix64.
    assertEquals(PINNED_PHOTON_W1, RendezvousPlacement.hash("photon-2.0", "w1"));
    assertEquals(PINNED_PHOTON_W2, RendezvousPlacement.hash("photon-2.0", "w2"));
    assertNotEquals(RendezvousPlacement.hash("photon-2.0", "w1"),
        RendezvousPlacement.hash("photon-2.0w", "1"));
  }

  private static final long PINNED_PHOTON_W1 = -3729909069946722004L;
  private static final long PINNED_PHOTON_W2 = -3269095573893189536L;

  @Test
  void rejectsNonPositiveEpsilonAndCap() {
    assertThrows(IllegalArgumentException.class, () -> new RendezvousPlacement(0, 4));
    assertThrows(IllegalArgumentException.class, () -> new RendezvousPlacement(Double.NaN, 4));
    assertThrows(IllegalArgumentException.class, () -> new RendezvousPlacement(0.25, 0));
  }
}
