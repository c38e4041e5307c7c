package org.bootfarm.coordinator.queue;

import org.junit.jupiter.api.Tag;

/** {@link LeaseReconcilerTest} on PostgreSQL, the shared store of a farm with several coordinators. */
@Tag("unit")
class PostgresLeaseReconcilerTest extends LeaseReconcilerTest {
  @Override
  StoreFixture database() {
    return StoreFixture.postgres(getClass().getSimpleName());
  }
}
