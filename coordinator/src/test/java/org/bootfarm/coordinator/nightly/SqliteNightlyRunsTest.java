package org.bootfarm.coordinator.nightly;

import org.bootfarm.coordinator.queue.StoreFixture;
import org.junit.jupiter.api.Tag;

/** {@link NightlyRunsTest} on a SQLite file, the coordinator's default store. */
@Tag("unit")
class SqliteNightlyRunsTest extends NightlyRunsTest {
  @Override
  StoreFixture database() {
    return StoreFixture.sqlite(dir.resolve("builds.sqlite"));
  }
}
