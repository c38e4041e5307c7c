/**
 * The coordinator's durable queue and build history: {@link org.bootfarm.coordinator.queue.BuildStore}
 * (the contract a PostgreSQL store can follow later) and {@link
 * org.bootfarm.coordinator.queue.SqliteBuildStore} (one SQLite file in the data dir). Every state change
 * is a compare-and-set, so a worker that lost its lease can never publish a result.
 */
package org.bootfarm.coordinator.queue;
