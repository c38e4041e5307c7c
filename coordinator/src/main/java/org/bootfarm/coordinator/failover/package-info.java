/**
 * Which coordinator is active and how another becomes it: the election (the oldest live coordinator),
 * the takeover, a standby's following of the active one, and its forwarding of HTTP calls to it
 * (ADR 0018).
 */
package org.bootfarm.coordinator.failover;
