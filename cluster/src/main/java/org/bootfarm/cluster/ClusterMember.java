package org.bootfarm.cluster;

/**
 * One live member of the cluster as the farm sees it.
 *
 * @param nodeId the Vert.x node id of that process (vertx-hazelcast keeps it as a member attribute;
 *     it is not the Hazelcast member UUID)
 * @param address the Hazelcast address it is reached at, {@code host:port}
 * @param role coordinator (data member) or worker (lite member)
 * @param local whether this is the member of the process asking
 */
public record ClusterMember(String nodeId, String address, NodeRole role, boolean local) {}
