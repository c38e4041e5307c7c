/** The coordinator daemon: submission API, durable queue, placement, artifact store (issue 3). */
package org.bootfarm.coordinator;
