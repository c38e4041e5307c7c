/**
 * Which coordinator is active and how another becomes it: the election (the oldest live coordinator, ADR 0018;
 * or, on the shared PostgreSQL store, the holder of its term lock, ADR 0039), the takeover, a standby's
 * following of the active one, and its forwarding of HTTP calls to it.
 */
package org.bootfarm.coordinator.failover;
