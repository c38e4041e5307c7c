/**
 * Several coordinators in one cluster: artifacts copied between the coordinators' artifact stores (ADR 0018); the
 * builds themselves are in the shared PostgreSQL store every coordinator reads (ADR 0039).
 */
package org.bootfarm.coordinator.replication;
