package org.bootfarm.coordinator.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The stealing rule (ADR 0046): a build whose warm worker is busy waits for it until it has waited longer than
 * a cold cache costs, then a capable worker with room takes it, and never one that cannot run it.
 */
@Tag("unit")
class StealingRuleTest {
  private static final long GIB = 1L << 30;
  private static final String REPO = "debian-12";
  private static final PlacementRequest APT = PlacementRequest.of(REPO, "apt", "x86_64");
  private static final Duration AFTER = Duration.ofSeconds(30);
  private final StealingRule rule = new StealingRule(new RendezvousPlacement(0.25, 1, AFTER));

  private static WorkerView worker(String id, Set<String> managers, String arch, int slots, int busy, boolean warm) {
    return new WorkerView(id, managers, arch, slots, busy, 0, 100 * GIB,
        warm ? Map.of(REPO, new WorkerView.WarmCache("r1", GIB)) : Map.of(), true);
  }

  private static WorkerView warmBusy() {
    return worker("warm", Set.of("apt"), "x86_64", 1, 1, true);
  }

  private static WorkerView idle(String id) {
    return worker(id, Set.of("apt"), "x86_64", 2, 0, false);
  }

  /** An idle 2-slot worker that is not the repo's home next to {@link #warmBusy}, which then is. */
  private static WorkerView idleNotHome() {
    for (int i = 0; ; i++) {
      WorkerView idle = idle("idle-" + i);
      if (RendezvousPlacement.score(REPO, idle) < RendezvousPlacement.score(REPO, warmBusy())) {
        return idle;
      }
    }
  }

  @Test
  void aBuildForABusyWarmWorkerWaitsUntilItWaitedTheColdCacheCost() {
    StealingRule.Decision d = rule.decide(APT, List.of(warmBusy(), idleNotHome()), Duration.ofSeconds(29));
    assertEquals(StealingRule.Kind.WAIT, d.kind());
    assertFalse(d.claims());
    assertEquals("warm", d.warmWorker());
    assertTrue(d.placement().reason().startsWith("waiting for warm (home, warm, load 1, 1 slots), busy;"
        + " after 30 s queued"), d.placement().reason());
  }

  /** The placing pass writes a waiting build's reason only when it changes: the reason holds no running clock. */
  @Test
  void aWaitingBuildsReasonStaysTheSameWhileItWaits() {
    List<WorkerView> workers = List.of(warmBusy(), idleNotHome());
    assertEquals(rule.decide(APT, workers, Duration.ofSeconds(1)).placement().reason(),
        rule.decide(APT, workers, Duration.ofSeconds(29)).placement().reason());
  }

  @Test
  void afterTheThresholdAnIdleCapableWorkerStealsIt() {
    WorkerView idle = idleNotHome();
    StealingRule.Decision d = rule.decide(APT, List.of(warmBusy(), idle), Duration.ofSeconds(30));
    assertEquals(StealingRule.Kind.STEAL, d.kind());
    assertTrue(d.claims());
    assertEquals(Optional.of(idle.id()), d.placement().workerId());
    assertEquals("warm", d.warmWorker());
    assertTrue(d.placement().reason().startsWith("stolen from busy warm (home, warm, load 1, 1 slots) after 30 s"
        + " queued (longer than a cold cache costs, 30 s): worker " + idle.id() + ": rank 2 of 2"),
        d.placement().reason());
  }

  @Test
  void neverStolenByAWorkerThatLacksThePackageManagerTheArchOrASlot() {
    List<WorkerView> others = List.of(warmBusy(),
        worker("rpm-only", Set.of("dnf", "tdnf", "yum"), "x86_64", 4, 0, false),
        worker("arm", Set.of("apt"), "aarch64", 4, 0, false),
        worker("draining", Set.of("apt"), "x86_64", 0, 0, false),
        worker("full", Set.of("apt"), "x86_64", 2, 2, false),
        new WorkerView("dead", Set.of("apt"), "x86_64", 4, 0, 0, 100 * GIB, Map.of(), false));
    StealingRule.Decision d = rule.decide(APT, others, Duration.ofHours(1));
    assertFalse(d.claims(), d.toString());
    assertEquals(Placement.Outcome.WAITING_FOR_CAPACITY, d.placement().outcome());
    assertTrue(d.placement().reason().contains("at their load bound"), d.placement().reason());
  }

  @Test
  void aHomeWithRoomTakesItAtOnceWarmOrColdAndAWarmWorkerWithRoomWhenTheHomeIsBusy() {
    WorkerView warm = worker("warm", Set.of("apt"), "x86_64", 2, 1, true);
    for (int i = 0; i < 20; i++) {
      WorkerView other = idle("idle-" + i);
      boolean otherIsHome = RendezvousPlacement.score(REPO, other) > RendezvousPlacement.score(REPO, warm);
      StealingRule.Decision d = rule.decide(APT, List.of(warm, other), Duration.ZERO);
      assertEquals(StealingRule.Kind.PLACE, d.kind());
      assertEquals(Optional.of(otherIsHome ? other.id() : "warm"), d.placement().workerId(), d.placement().reason());
      WorkerView busyOther = worker(other.id(), Set.of("apt"), "x86_64", 2, 2, false);
      assertEquals(Optional.of("warm"), rule.decide(APT, List.of(warm, busyOther), Duration.ZERO).placement()
          .workerId(), "the home is full: the warm worker with room");
    }
  }

  @Test
  void aBuildNoWorkerIsWarmForWaitsForItsBusyHomeToo() {
    WorkerView home = worker("home", Set.of("apt"), "x86_64", 1, 1, false);
    WorkerView idle = null;
    for (int i = 0; idle == null; i++) {
      WorkerView candidate = idle("idle-" + i);
      idle = RendezvousPlacement.score(REPO, candidate) < RendezvousPlacement.score(REPO, home) ? candidate : null;
    }
    StealingRule.Decision waiting = rule.decide(APT, List.of(home, idle), Duration.ofSeconds(1));
    assertEquals(StealingRule.Kind.WAIT, waiting.kind());
    assertEquals("home", waiting.warmWorker());
    assertTrue(waiting.placement().reason().startsWith("waiting for home (home, cold, load 1, 1 slots), busy;"),
        waiting.placement().reason());
    assertEquals(StealingRule.Kind.STEAL, rule.decide(APT, List.of(home, idle), AFTER).kind());
  }

  @Test
  void aZeroThresholdStealsAtOnceAndANegativeOneIsRefused() {
    StealingRule zero = new StealingRule(new RendezvousPlacement(0.25, 1, Duration.ZERO));
    assertEquals(StealingRule.Kind.STEAL, zero.decide(APT, List.of(warmBusy(), idleNotHome()), Duration.ZERO).kind());
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> new RendezvousPlacement(0.25, 1, Duration.ofSeconds(-1)));
    assertTrue(e.getMessage().contains("steal-after must be a duration of zero or more"), e.getMessage());
  }

  /** A cold home next to {@link #warmIdle}, which is not the repo's home. */
  private static WorkerView coldHome(int busy) {
    return worker("home", Set.of("apt"), "x86_64", 1, busy, false);
  }

  /** A warm 1-slot worker that ranks after {@link #coldHome} for the repo. */
  private static WorkerView warmIdle(int busy) {
    for (int i = 0; ; i++) {
      WorkerView warm = worker("warm-" + i, Set.of("apt"), "x86_64", 1, busy, true);
      if (RendezvousPlacement.score(REPO, warm) < RendezvousPlacement.score(REPO, coldHome(0))) {
        return warm;
      }
    }
  }

  @Test
  void aBuildNotYetOverdueGoesToItsColdHomeThoughAWarmWorkerHasRoom() {
    for (Duration waited : List.of(Duration.ZERO, AFTER.minusMillis(1))) {
      StealingRule.Decision d = rule.decide(APT, List.of(coldHome(0), warmIdle(0)), waited, Duration.ZERO);
      assertEquals(StealingRule.Kind.PLACE, d.kind());
      assertEquals(Optional.of("home"), d.placement().workerId(), d.placement().reason());
    }
  }

  @Test
  void anOverdueBuildGoesToAWarmWorkerWithRoomBeforeItsColdHome() {
    WorkerView warm = warmIdle(0);
    StealingRule.Decision d = rule.decide(APT, List.of(coldHome(0), warm), AFTER, Duration.ofSeconds(12));
    assertEquals(StealingRule.Kind.PLACE, d.kind());
    assertEquals("worker " + warm.id() + ": rank 2 of 2 for debian-12 (apt, x86_64), cache warm (revision r1),"
        + " load 1/1 (1 slots); its warm cache preferred over cold home home (rank 1) for a build queued longer than"
        + " 30 s (--steal-after)", d.placement().reason());
    assertEquals(Optional.of("home"), StealingRule.beforeAdr0052(rule.placement())
        .decide(APT, List.of(coldHome(0), warm), AFTER, AFTER).placement().workerId(), "ADR 0046: the home");
  }

  /**
   * The warm worker an overdue build takes is ranked, counted and bounded as placement ranks, counts and bounds:
   * over the capable workers only (a dead or dnf-only warm worker is neither a candidate nor counted).
   */
  @Test
  void anOverdueBuildsWarmWorkerIsRankedAmongTheCapableWorkersAsPlacementRanksThem() {
    WorkerView home = coldHome(0);
    double homeScore = RendezvousPlacement.score(REPO, home);
    WorkerView warm = warmIdle(0);
    List<WorkerView> workers = new ArrayList<>(List.of(home, warm,
        new WorkerView("warm-dead", Set.of("apt"), "x86_64", 8, 0, 0, 100 * GIB,
            Map.of(REPO, new WorkerView.WarmCache("r1", GIB)), false),
        worker("warm-dnf", Set.of("dnf"), "x86_64", 8, 0, true)));
    for (int i = 0; workers.size() < 6; i++) {
      WorkerView busy = worker("warm-busy-" + i, Set.of("apt"), "x86_64", 1, 1, true);
      double score = RendezvousPlacement.score(REPO, busy);
      if (score < homeScore && score > RendezvousPlacement.score(REPO, warm)) {
        workers.add(busy);
      }
    }
    for (int i = 0; workers.size() < 10; i++) {
      if (RendezvousPlacement.score(REPO, idle("cold-" + i)) < homeScore) {
        workers.add(idle("cold-" + i));
      }
    }
    List<WorkerView> order = rule.placement().rendezvousOrder(APT, workers);
    assertEquals(home, order.get(0));
    int rank = order.indexOf(warm) + 1;
    assertTrue(rank > 3, "the warm worker with room ranks behind the busy warm ones: " + rank);

    StealingRule.Decision d = rule.decide(APT, workers, AFTER, Duration.ofSeconds(12));
    assertEquals(StealingRule.Kind.PLACE, d.kind());
    assertEquals("worker " + warm.id() + ": rank " + rank + " of " + order.size() + " for debian-12 (apt, x86_64),"
        + " cache warm (revision r1), load 1/1 (1 slots); its warm cache preferred over cold home home (rank 1) for a"
        + " build queued longer than 30 s (--steal-after)", d.placement().reason());
  }

  @Test
  void anOverdueBuildWhoseWarmWorkersAreBusyIsStolenByItsIdleColdHome() {
    WorkerView warm = warmIdle(1);
    StealingRule.Decision stolen = rule.decide(APT, List.of(coldHome(0), warm), AFTER, Duration.ofSeconds(12));
    assertEquals(StealingRule.Kind.STEAL, stolen.kind());
    assertEquals(Optional.of("home"), stolen.placement().workerId());
    assertEquals(warm.id(), stolen.warmWorker());
    assertTrue(stolen.placement().reason().startsWith("stolen from busy " + warm.id() + " (warm, load 1, 1 slots)"
        + " after 30 s queued (longer than --steal-after, 30 s): worker home: rank 1 of 2"), stolen.placement().reason());
  }

  @Test
  void anOverdueBuildThatNoWorkerIsWarmForGoesToItsColdHome() {
    StealingRule.Decision d = rule.decide(APT, List.of(coldHome(0), idleNotHome()), Duration.ofHours(1), AFTER);
    assertEquals(StealingRule.Kind.PLACE, d.kind());
    assertEquals(Optional.of("home"), d.placement().workerId(), d.placement().reason());
  }

  @Test
  void aRecordedColdCostShorterThanTheSettingIsTheThreshold() {
    Duration recorded = Duration.ofSeconds(12);
    List<WorkerView> workers = List.of(warmBusy(), idleNotHome());
    StealingRule.Decision waiting = rule.decide(APT, workers, Duration.ofSeconds(11), recorded);
    assertEquals(StealingRule.Kind.WAIT, waiting.kind());
    assertTrue(waiting.placement().reason().endsWith("after 12 s queued (the cost of a cold cache as its runs"
        + " recorded, --steal-after 30 s at most) an idle worker takes it"), waiting.placement().reason());
    assertEquals(StealingRule.Kind.STEAL, rule.decide(APT, workers, recorded, recorded).kind());
  }

  /**
   * The simulation decides with this rule: on a small farm its second night steals only because of the
   * threshold (none when it is never reached), keeps most builds on their warm workers, and ends sooner than
   * waiting for warm workers for ever. Simulated minutes, deterministic: no wall-clock time is measured.
   */
  @Test
  void theSimulationStealsWithTheSameRule() {
    PlacementSimulation.Farm farm = PlacementSimulation.farm(60, 600);
    List<PlacementSimulation.Repo> first = PlacementSimulation.firstOrder(farm);
    List<PlacementSimulation.Repo> second = PlacementSimulation.secondOrder(farm);
    PlacementSimulation.Night[] withRule = nights(farm, first, second, 1.5);
    PlacementSimulation.Night[] never = nights(farm, first, second, PlacementSimulation.NEVER);
    assertEquals(0, never[1].stolen());
    assertTrue(withRule[1].stolen() > 0, "stolen " + withRule[1].stolen());
    assertTrue(withRule[1].hitShare() >= 0.8, "cache hits " + withRule[1].hitShare());
    assertTrue(withRule[1].makespanMinutes() < never[1].makespanMinutes(),
        withRule[1].makespanMinutes() + " against " + never[1].makespanMinutes());
  }

  private static PlacementSimulation.Night[] nights(PlacementSimulation.Farm farm,
      List<PlacementSimulation.Repo> first, List<PlacementSimulation.Repo> second, double stealAfter) {
    RendezvousPlacement placement = new RendezvousPlacement(0.25, 1, PlacementSimulation.minutes(stealAfter));
    ColdCacheCosts costs = new ColdCacheCosts(placement.stealAfter());
    PlacementSimulation.Night one = PlacementSimulation.runNight(placement, PlacementSimulation.Rule.ADR_0052, costs,
        farm.workers(), first, true, Map.of(), 1.5);
    PlacementSimulation.Night two = PlacementSimulation.runNight(placement, PlacementSimulation.Rule.ADR_0052, costs,
        farm.workers(), second, false, one.placedOn(), 1.5);
    return new PlacementSimulation.Night[] {one, two};
  }
}
