package org.bootfarm.coordinator;

import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.coordinator.inputs.RebuildCheck;
import org.bootfarm.coordinator.queue.BuildPriority;
import org.bootfarm.coordinator.queue.BuildRecord;
import org.bootfarm.coordinator.queue.BuildStore;
import org.bootfarm.protocol.api.v1.ApiError;
import org.bootfarm.protocol.api.v1.Caller;
import org.bootfarm.protocol.api.v1.Priority;
import org.bootfarm.protocol.api.v1.SubmitRequest;
import org.bootfarm.protocol.api.v1.SubmitResults;
import org.bootfarm.protocol.api.v1.WireJson;
import org.bootfarm.protocol.repo.RepoDefinition;

/**
 * How a build enters the queue: a submission that passes {@link SubmissionCheck}, recorded QUEUED with the
 * definition it was checked against pinned by digest ({@link PinnedDefinitions}), or a rebuild of a recorded build
 * that passes {@link RebuildCheck}. Either way the listener hears it before it is stored ({@link
 * BuildStateListener#accepting}: its inputs are held where they outlive this coordinator) and after; nothing is
 * recorded for a refused one. {@link BuildCoordinator} answers the API with it and owns every later transition.
 */
final class BuildAdmission {
  private final BuildStore store;
  private final ArtifactStore artifacts;
  private final RepoCatalog repos;
  private final SubmissionCheck submissions;
  private final RebuildCheck rebuilds;
  private final PinnedDefinitions definitions;
  private final Clock clock;
  private final BuildStateListener stateListener;

  BuildAdmission(BuildStore store, ArtifactStore artifacts, RepoCatalog repos, SubmissionCheck submissions,
      RebuildCheck rebuilds, PinnedDefinitions definitions, Clock clock, BuildStateListener stateListener) {
    this.store = store;
    this.artifacts = artifacts;
    this.repos = repos;
    this.submissions = submissions;
    this.rebuilds = rebuilds;
    this.definitions = definitions;
    this.clock = clock;
    this.stateListener = stateListener;
  }

  /**
   * Records {@code request}, submitted by {@code caller}, as QUEUED with {@code farmOptions} (a pair side's, ADR 0040;
   * empty for a client's) among its options, and returns the record.
   *
   * @throws ApiException BAD_REQUEST with every problem {@link SubmissionCheck} found; CONFLICT when the repo's
   *     definition became invalid while it was checked; INTERNAL when its definition cannot be kept
   */
  BuildRecord submitted(Caller caller, SubmitRequest request, Map<String, Object> farmOptions) throws ApiException {
    return queued(checked(caller, request, farmOptions, new ArtifactTouches(artifacts)));
  }

  /**
   * Records each of {@code requests}, submitted by {@code caller}, as {@link #submitted} records one, committed together
   * (docs/adr/0056); per request in order, its build's id, or why it was refused (nothing recorded for that one). A
   * record the store could not write is refused as INTERNAL.
   */
  List<SubmitResults.Result> submittedEach(Caller caller, List<SubmitRequest> requests) {
    List<SubmitResults.Result> results = new ArrayList<>(requests.size());
    List<BuildRecord> accepted = new ArrayList<>();
    List<Integer> acceptedAt = new ArrayList<>();
    ArtifactTouches touches = new ArtifactTouches(artifacts); // one age reset per object for the batch
    for (SubmitRequest request : requests) {
      try {
        BuildRecord record = checked(caller, request, Map.of(), touches);
        acceptedAt.add(results.size());
        accepted.add(record);
        results.add(SubmitResults.Result.accepted(record.id()));
      } catch (ApiException refused) {
        results.add(SubmitResults.Result.refused(refused.error()));
      }
    }
    List<RuntimeException> stored = recorded(accepted);
    for (int a = 0; a < accepted.size(); a++) {
      if (stored.get(a) != null) {
        results.set(acceptedAt.get(a), SubmitResults.Result.refused(new ApiError(ApiError.Code.INTERNAL, "build "
            + accepted.get(a).id() + " was not recorded (" + stored.get(a).getMessage() + "); submit it again",
            List.of())));
      }
    }
    return results;
  }

  /** {@code request} as the QUEUED record it would be, not stored yet; refused as {@link #submitted} says. */
  private BuildRecord checked(Caller caller, SubmitRequest request, Map<String, Object> farmOptions,
      ArtifactTouches touches) throws ApiException {
    List<String> problems = submissions.problems(request, touches);
    if (!problems.isEmpty()) {
      throw new ApiException(ApiError.Code.BAD_REQUEST, "build refused", problems);
    }
    Map<String, Object> options = new TreeMap<>(request.options());
    options.putAll(farmOptions);
    String id = store.nextId();
    BuildPriority priority = request.priorityOrDefault() == Priority.NIGHTLY
        ? BuildPriority.NIGHTLY : BuildPriority.INTERACTIVE;
    // one snapshot's entry: the definition checked is the one pinned (the catalogue may reload meanwhile)
    RepoCatalog.Entry entry = repos.find(request.repo()).filter(e -> e.definition().isPresent())
        .orElseThrow(() -> new ApiException(ApiError.Code.CONFLICT, "repo " + request.repo()
            + " changed while the build was submitted and is no longer valid: see bootfarm repos"));
    // the operator's --allow-unsigned decided when the catalog was read; the submitter has no say in it
    List<String> unsigned = entry.definition().map(RepoDefinition::unsigned).orElse(List.of());
    return BuildRecord.queued(id, request.repo(), request.targetOrDefault(), request.components(),
        priority, WireJson.write(options), clock.instant(), unsigned, caller.credential())
        .withDefinition(pin(entry, touches));
  }

  /**
   * Records a QUEUED rebuild of {@code original} for {@code caller} and returns it; refused, nothing recorded, when
   * {@link RebuildCheck} finds something it pins gone.
   */
  BuildRecord rebuildOf(Caller caller, BuildRecord original) throws ApiException {
    return queued(rebuilds.rebuildOf(original, store.nextId(), clock.instant(), caller.credential()));
  }

  private BuildRecord queued(BuildRecord queued) {
    RuntimeException failure = recorded(List.of(queued)).get(0);
    if (failure != null) {
      throw failure;
    }
    return queued;
  }

  /**
   * Stores {@code builds} in one group commit ({@link BuildStore#insertEach}), the listener hearing each before and,
   * once stored, after; returns per build null or why it was not stored.
   */
  private List<RuntimeException> recorded(List<BuildRecord> builds) {
    builds.forEach(stateListener::accepting);
    List<RuntimeException> stored = store.insertEach(builds);
    for (int i = 0; i < builds.size(); i++) {
      if (stored.get(i) == null) {
        stateListener.submitted(BuildCoordinator.view(builds.get(i)));
      }
    }
    return stored;
  }

  /** Keeps the definition's checked bytes in the artifact store under its digest, which the build records. */
  private String pin(RepoCatalog.Entry entry, ArtifactTouches touches) throws ApiException {
    try {
      return definitions.keep(entry, touches);
    } catch (IOException e) {
      throw new ApiException(ApiError.Code.INTERNAL, "cannot keep definition " + entry.name() + " "
          + entry.digest() + " in the coordinator's artifact store (" + e.getMessage() + "): the build is not"
          + " recorded; free space in the coordinator's data directory and submit again");
    }
  }
}
