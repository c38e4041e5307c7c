package org.bootfarm.coordinator.nightly;

import org.bootfarm.coordinator.queue.StoreFixture;
import org.junit.jupiter.api.Tag;

/** {@link NightlyRunsTest} on PostgreSQL, the shared store of a farm with several coordinators. */
@Tag("unit")
class PostgresNightlyRunsTest extends NightlyRunsTest {
  @Override
  StoreFixture database() {
    return StoreFixture.postgres(getClass().getSimpleName());
  }
}
