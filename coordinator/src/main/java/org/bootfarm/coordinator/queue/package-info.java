/**
 * The coordinator's durable queue and build history: {@link org.bootfarm.coordinator.queue.BuildStore}
 * (the contract) and {@link org.bootfarm.coordinator.queue.SqlBuildStore} (its SQL, on one SQLite file in the
 * data dir or on a PostgreSQL database the farm's coordinators share, {@link
 * org.bootfarm.coordinator.queue.StoreDatabase}, written under fenced terms, {@link
 * org.bootfarm.coordinator.queue.StoreTerm}). Every state change
 * is a compare-and-set, so a worker that lost its lease can never publish a result. On top of it,
 * {@link org.bootfarm.coordinator.queue.LeaseReconciler} applies the {@link
 * org.bootfarm.coordinator.queue.LeasePolicy} and {@link org.bootfarm.coordinator.queue.RetryPolicy}:
 * lost runs go back in the queue behind a backoff, the last one fails the build, deterministic
 * failures are never retried.
 */
package org.bootfarm.coordinator.queue;
