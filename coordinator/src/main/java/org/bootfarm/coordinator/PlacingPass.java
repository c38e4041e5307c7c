package org.bootfarm.coordinator;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bootfarm.coordinator.assignment.NoCacheOption;
import org.bootfarm.coordinator.queue.BuildRecord;
import org.bootfarm.coordinator.queue.BuildStore;
import org.bootfarm.coordinator.queue.ErrorKind;
import org.bootfarm.coordinator.queue.LeaseAction;
import org.bootfarm.protocol.api.v1.BuildView;

/**
 * One placing pass over the queue ({@link BuildCoordinator#assign}): reads the QUEUED builds page by page in
 * placement order (priority, then submission) and does what {@link BuildPlacer} advises for each, so builds that
 * cannot be placed now, however many, never hide the ones behind them (ADR 0040). A pass ends when it placed as
 * many builds as asked, reached the queue's end, or every live worker holds its most builds. A build left waiting
 * keeps its reason in its record, written only when the reason changed and in one transaction per page, so a long
 * queue costs reads, and a page of new waiting builds one commit.
 * A build an idle worker would steal from its busy warm worker ({@link org.bootfarm.coordinator.placement.StealingRule})
 * is advised again, in queue order, after the walk: a free slot goes first to a build whose cache is warm there.
 * A pass that can place nothing reads little (ADR 0051): with every live worker full it reads nothing; with no live
 * worker at all it advises only the builds no pass has noted yet (new submissions), and walks the whole queue
 * again only when it last did so with live workers or when {@link IdleRewalk} says, so a queue of any length that
 * waits for its first worker costs the submissions that join it, not a walk of it every 500 ms. With live workers,
 * a pass that placed nothing is not repeated until something that could change that happened ({@link
 * LastIdlePass}, ADR 0057), or {@link LastIdlePass#REREAD} passed.
 */
final class PlacingPass {
  /** How many queued builds a pass reads from the store at a time. */
  static final int QUEUE_PAGE = 64;
  /**
   * How many new builds a pass with no live worker notes in one transaction: submissions arrive thousands a second,
   * and each commit of notes holds the store (and an fsync) that their inserts wait for.
   */
  static final int NEW_PAGE = 500;

  private final BuildPlacer placer;
  private final BuildStore store;
  private final BuildStateListener stateListener;
  private final LastIdlePass lastIdle;
  /** When a pass with no live worker walks the whole queue again. */
  private final IdleRewalk idleWalk = new IdleRewalk();

  PlacingPass(BuildPlacer placer, BuildStore store, BuildStateListener stateListener) {
    this.placer = placer;
    this.store = store;
    this.stateListener = stateListener;
    this.lastIdle = new LastIdlePass(store, placer::workerChanges);
  }

  /** A report was decided: a recorded success counts towards its repo's steal threshold (ADR 0052). */
  void heard(LeaseAction action) {
    placer.heard(action);
    lastIdle.changed(); // a new cost may move a waiting build's threshold
  }

  /** This coordinator became the active one: placement reads again what it learnt from the store at start. */
  void tookOver() {
    placer.tookOver();
    lastIdle.changed();
  }

  /** Places up to {@code maxBuilds} builds whose backoff passed at {@code now}, each claimed for {@code lease}. */
  synchronized List<BuildCoordinator.Assignment> pass(int maxBuilds, Instant now, Duration lease) {
    if (lastIdle.holds(now)) {
      return List.of(); // the last pass placed nothing and nothing that could change that happened since
    }
    LastIdlePass.Seen before = lastIdle.before(now);
    BuildPlacer.Round round = placer.round(now);
    long started = System.nanoTime();
    if (round.noLiveWorker()) {
      lastIdle.forget(); // ADR 0051's passes without workers stay as they were
      if (!idleWalk.due(now)) {
        noteNew(round, now, lease);
        return List.of();
      }
    } else {
      idleWalk.forget();
      if (round.full()) {
        lastIdle.placedNothing(before, Optional.empty());
        return List.of(); // every live worker holds its most builds: nothing to place
      }
    }
    List<BuildCoordinator.Assignment> assignments = new ArrayList<>();
    List<BuildRecord> steals = new ArrayList<>();
    List<BuildRecord> page = store.nextQueued(now, QUEUE_PAGE);
    while (!page.isEmpty() && assignments.size() < maxBuilds && !round.full()) {
      Map<String, String> notes = new LinkedHashMap<>(); // one commit per page for the builds left waiting
      for (BuildRecord queued : page) {
        if (assignments.size() >= maxBuilds || round.full()) {
          break;
        }
        place(queued, round, now, lease, notes, steals).ifPresent(assignments::add);
      }
      store.notePlacements(notes);
      page = page.size() < QUEUE_PAGE ? List.of() : store.nextQueuedAfter(now, page.get(page.size() - 1), QUEUE_PAGE);
    }
    Map<String, String> notes = new LinkedHashMap<>(); // a steal that must wait after all
    for (BuildRecord queued : steals) {
      if (assignments.size() >= maxBuilds || round.full()) {
        break;
      }
      place(queued, round, now, lease, notes, null).ifPresent(assignments::add);
    }
    store.notePlacements(notes);
    if (round.noLiveWorker()) {
      idleWalk.walked(now, Duration.ofNanos(System.nanoTime() - started));
    }
    if (assignments.isEmpty() && maxBuilds > 0 && !round.noLiveWorker()) {
      lastIdle.placedNothing(before, round.timedChange()); // walked the whole queue: placed nothing
    } else {
      lastIdle.forget();
    }
    return assignments;
  }

  /**
   * The pass with no live worker between two walks: advises, page by page, only the QUEUED builds no pass has
   * noted yet ({@link BuildStore#unnotedQueued}), which writes each one's reason (or fails it) and so takes it out of
   * the next such pass. Nothing is placed: no worker could take it.
   */
  private void noteNew(BuildPlacer.Round round, Instant now, Duration lease) {
    List<BuildRecord> page = store.unnotedQueued(now, null, NEW_PAGE);
    while (!page.isEmpty()) {
      Map<String, String> notes = new LinkedHashMap<>();
      for (BuildRecord queued : page) {
        place(queued, round, now, lease, notes, null);
      }
      store.notePlacements(notes);
      page = page.size() < NEW_PAGE ? List.of() : store.unnotedQueued(now, page.get(page.size() - 1), NEW_PAGE);
    }
  }

  /**
   * Does what {@code round} advises for one queued build; the assignment when it was claimed. A steal is put
   * in {@code steals} instead when that is not null.
   */
  private Optional<BuildCoordinator.Assignment> place(BuildRecord queued, BuildPlacer.Round round, Instant now,
      Duration lease, Map<String, String> notes, List<BuildRecord> steals) {
    BuildPlacer.Advice advice = round.advise(queued);
    if (advice instanceof BuildPlacer.Place place && place.stolenFrom() != null && steals != null) {
      steals.add(queued);
    } else if (advice instanceof BuildPlacer.Wait wait) {
      if (!wait.reason().equals(queued.placement())) {
        notes.put(queued.id(), wait.reason());
      }
    } else if (advice instanceof BuildPlacer.Fail fail) {
      store.fail(queued.id(), fail.why(), ErrorKind.DETERMINISTIC).ifPresent(failed ->
          stateListener.changed(BuildCoordinator.view(failed), "failed: " + fail.why()));
    } else if (advice instanceof BuildPlacer.Place place) {
      String worker = place.placement().workerId().orElseThrow();
      if (place.rebuild() != null && store.pinAsRebuild(queued.id(), place.rebuild().original(),
          place.rebuild().buildinfoSha256(), place.rebuild().definitionDigest()).isEmpty()) {
        return Optional.empty(); // no longer QUEUED (cancelled meanwhile)
      }
      Optional<BuildRecord> claimed = store.claim(queued.id(), worker, now.plus(lease), place.placement().reason());
      if (claimed.isPresent()) {
        round.claimed(worker);
        BuildView running = BuildCoordinator.view(claimed.get());
        stateListener.changed(running, "running on worker " + worker + ": " + place.placement().reason());
        if (place.stolenFrom() != null) {
          stateListener.stolen(running, place.stolenFrom());
        }
        return Optional.of(new BuildCoordinator.Assignment(running, worker, place.side(),
            claimed.get().pinnedBuildinfo(), NoCacheOption.of(claimed.get().options())));
      }
    }
    return Optional.empty();
  }
}
