package org.bootfarm.coordinator.nightly;

import org.bootfarm.coordinator.queue.StoreUnderTest;
import org.junit.jupiter.api.Tag;

/** {@link NightlyRunsTest} on a SQLite file, the coordinator's default store. */
@Tag("unit")
class SqliteNightlyRunsTest extends NightlyRunsTest {
  @Override
  StoreUnderTest database() {
    return StoreUnderTest.sqlite(dir.resolve("builds.sqlite"));
  }
}
