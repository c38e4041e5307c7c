package org.bootfarm.cluster;

/**
 * One live member of the cluster as the farm sees it.
 *
 * @param nodeId the Vert.x node id of that process (vertx-hazelcast keeps it as a member attribute;
 *     it is not the Hazelcast member UUID)
 * @param address the Hazelcast address it is reached at, {@code host:port}
 * @param role coordinator (data member) or worker (lite member)
 * @param local whether this is the member of the process asking
 * @param name the name its farm certificate gives it (a worker's id), checked against its signed claim
 *     ({@link org.bootfarm.cluster.identity.MemberClaim}); null in a cluster run without certificates
 */
public record ClusterMember(String nodeId, String address, NodeRole role, boolean local, String name) {
  /** A member of a cluster run without certificates (in-process test clusters). */
  public ClusterMember(String nodeId, String address, NodeRole role, boolean local) {
    this(nodeId, address, role, local, null);
  }
}
