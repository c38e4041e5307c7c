/**
 * Who a cluster member is (ADR 0031): the farm's own certificate authority, the certificate and key
 * each coordinator, worker and clustered client holds, the mutual TLS of the event bus built from
 * them, and the signatures that tie a message, a membership claim or a replicated record to the
 * certificate of the member that made it. Identity comes from a credential the receiver checks,
 * never from a field in a message body.
 */
package org.bootfarm.cluster.identity;
