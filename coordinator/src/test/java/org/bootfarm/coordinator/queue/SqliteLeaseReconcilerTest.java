package org.bootfarm.coordinator.queue;

import org.junit.jupiter.api.Tag;

/** {@link LeaseReconcilerTest} on a SQLite file, the coordinator's default store. */
@Tag("unit")
class SqliteLeaseReconcilerTest extends LeaseReconcilerTest {
  @Override
  StoreFixture database() {
    return StoreFixture.sqlite(dir.resolve("builds.sqlite"));
  }
}
