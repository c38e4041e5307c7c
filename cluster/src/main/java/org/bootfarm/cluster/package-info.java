/**
 * The farm's cluster: {@link org.bootfarm.cluster.ClusterNode} starts a clustered Vert.x on
 * Hazelcast from {@link org.bootfarm.cluster.ClusterSettings} (TCP-IP join with an explicit
 * member list, multicast, auto-detection and phone-home off); coordinators are Hazelcast data members,
 * workers lite members. {@link org.bootfarm.cluster.ClusterMembership} reports who is live
 * and tells the coordinator when a member leaves, so it can expire that worker's leases.
 */
package org.bootfarm.cluster;
