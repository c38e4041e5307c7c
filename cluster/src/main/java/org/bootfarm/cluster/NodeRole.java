package org.bootfarm.cluster;

/**
 * What a node is in the Hazelcast cluster: a coordinator holds the cluster state (a data member), a
 * worker or a client holds none (a lite member), so either can vanish without taking state with it.
 */
public enum NodeRole {
  /** A Hazelcast data member: owns partitions of the live state, replicated between coordinators. */
  COORDINATOR,
  /** A Hazelcast lite member: no partitions; it cannot start while no coordinator is up. */
  WORKER,
  /**
   * A clustered client (a program using the farm's Java client): a lite member like a worker, but it
   * runs no builds, so the coordinator neither places work on it nor expires leases when it leaves.
   */
  CLIENT;

  /** Whether a node in this role is a Hazelcast lite member. */
  public boolean liteMember() {
    return this != COORDINATOR;
  }

  /**
   * The role a Hazelcast member has, from whether it is a lite member, for a member that does not say
   * its role (every bootfarm node publishes it as a member attribute).
   */
  public static NodeRole ofLiteMember(boolean lite) {
    return lite ? WORKER : COORDINATOR;
  }
}
