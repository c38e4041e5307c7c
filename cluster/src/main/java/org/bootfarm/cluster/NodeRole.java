package org.bootfarm.cluster;

/**
 * What a node is in the Hazelcast cluster: a coordinator holds the cluster state (a data member), a
 * worker holds none (a lite member), so a worker can vanish without taking state with it.
 */
public enum NodeRole {
  /** A Hazelcast data member: owns partitions of the live state, replicated between coordinators. */
  COORDINATOR,
  /** A Hazelcast lite member: no partitions; it cannot start while no coordinator is up. */
  WORKER;

  /** Whether a node in this role is a Hazelcast lite member. */
  public boolean liteMember() {
    return this == WORKER;
  }

  /** The role a Hazelcast member has, from whether it is a lite member. */
  public static NodeRole ofLiteMember(boolean lite) {
    return lite ? WORKER : COORDINATOR;
  }
}
