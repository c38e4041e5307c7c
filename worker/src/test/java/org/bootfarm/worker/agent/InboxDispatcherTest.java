package org.bootfarm.worker.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.bootfarm.protocol.api.v1.Assignment;
import org.bootfarm.protocol.api.v1.RunCancel;
import org.bootfarm.protocol.api.v1.WireJson;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class InboxDispatcherTest {
  private final List<Assignment> assignments = new CopyOnWriteArrayList<>();
  private final List<RunCancel> cancels = new CopyOnWriteArrayList<>();
  private final List<String> refused = new CopyOnWriteArrayList<>();
  private final InboxDispatcher inbox = new InboxDispatcher("w1", assignments::add, cancels::add, refused::add,
      new WorkerLog("w1"));

  @Test
  void eachMessageGoesWhereItsTypeSays() {
    Assignment assignment = new Assignment("01J", "fixture", "bootstrap", Map.of("tether", "b".repeat(64)),
        Map.of("repo-spec.json", "e30=", "keys/RPM-GPG-KEY", ""), "a".repeat(64), "http://127.0.0.1:8080", 0);
    inbox.dispatch(new JsonObject(WireJson.write(assignment)));
    inbox.dispatch(new JsonObject(WireJson.write(new RunCancel("01J", 0))));
    inbox.dispatch(WireJson.write(new RunCancel("01K", 1))); // as text, too

    assertEquals(List.of(assignment), assignments);
    assertEquals(List.of(new RunCancel("01J", 0), new RunCancel("01K", 1)), cancels);
  }

  @Test
  void aMessageThatIsNeitherIsIgnored() {
    inbox.dispatch(new JsonObject().put("cancel", "").put("attempt", 0)); // a cancel without a build id
    inbox.dispatch(new JsonObject().put("somethingNewer", true));
    inbox.dispatch("not json");
    inbox.dispatch(null);
    assertEquals(List.of(), assignments);
    assertEquals(List.of(), cancels);
  }

  /** Ids and names become file names on the worker: one that is a path is refused before any is written. */
  @Test
  void anAssignmentWithAPathForANameIsRefusedAndCounted() {
    Assignment good = new Assignment("01J", "fixture", "bootstrap", Map.of("tether", "b".repeat(64)),
        Map.of("repo-spec.json", "e30="), "a".repeat(64), "http://127.0.0.1:8080", 0);
    List<Assignment> bad = List.of(
        with(good, "../../etc/cron.d", good.buildId(), good.components(), good.definitionFiles()),
        with(good, "..", good.buildId(), good.components(), good.definitionFiles()),
        with(good, good.repo(), "../x", good.components(), good.definitionFiles()),
        with(good, good.repo(), good.buildId(), Map.of("../../root/.ssh/authorized_keys", "b".repeat(64)),
            good.definitionFiles()),
        with(good, good.repo(), good.buildId(), Map.of("tether", "../b"), good.definitionFiles()),
        with(good, good.repo(), good.buildId(), good.components(), Map.of("../../../etc/shadow", "")),
        with(good, good.repo(), good.buildId(), good.components(), Map.of("/etc/shadow", "")));
    for (Assignment assignment : bad) {
      inbox.dispatch(new JsonObject(WireJson.write(assignment)));
    }
    inbox.dispatch(new JsonObject(WireJson.write(good)));
    assertEquals(List.of(good), assignments, "only the well-formed assignment is run");
    assertEquals(bad.size(), refused.size());
    assertEquals(List.of("malformed_assignment"), refused.stream().distinct().toList());
  }

  private static Assignment with(Assignment a, String repo, String buildId, Map<String, String> components,
      Map<String, String> files) {
    return new Assignment(buildId, repo, a.target(), components, files, a.definitionDigest(), a.artifactsUrl(),
        a.attempt());
  }
}
