package org.bootfarm.cluster;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.bootfarm.cluster.identity.MemberCredential;

/**
 * How a node joins the farm's cluster: the cluster name (nodes with different names never join),
 * the host and port this node's Hazelcast listens on, how it finds the others (the members it contacts
 * to join, or Kubernetes' DNS), its role, its data dir, the event-bus port and how fast a member that
 * stops answering is declared gone.
 *
 * @param clusterName Hazelcast cluster name; only nodes with the same name form a cluster
 * @param clusterHost the IP (or a name resolving to one) this node binds and advertises, for Hazelcast
 *     and the event bus alike
 * @param clusterPort Hazelcast member port; no auto-increment, so a taken port fails the start
 * @param join members to contact; this node's own address may be among them
 * @param role coordinator (data member) or worker (lite member)
 * @param dataDir this node's data dir; Vert.x's file cache goes under it
 * @param eventBusPort TCP port of the clustered event bus, 0 for any free port
 * @param heartbeatInterval how often members send heartbeats (Hazelcast's default is 5 s)
 * @param maxNoHeartbeat how long a silent member stays in the cluster (Hazelcast's default is 60 s);
 *     a killed process is noticed at once by its closed connections, a frozen one only after this
 * @param kubernetesServiceDns null to join the {@code join} members over TCP-IP; else the DNS name of
 *     the headless Kubernetes service whose addresses are the members (Hazelcast's DNS-lookup mode,
 *     which needs no access to the Kubernetes API), e.g. {@code bootfarm-hazelcast.bootfarm.svc.cluster.local}
 * @param credential this member's farm certificate and key: the event bus runs over mutual TLS with
 *     the farm CA, the node signs what it sends and claims its role with it (ADR 0031); null only for
 *     clusters inside one test JVM, the commands always give one
 */
public record ClusterSettings(
    String clusterName,
    String clusterHost,
    int clusterPort,
    List<JoinMember> join,
    NodeRole role,
    Path dataDir,
    int eventBusPort,
    Duration heartbeatInterval,
    Duration maxNoHeartbeat,
    String kubernetesServiceDns,
    MemberCredential credential) {

  /** The cluster name used when none is given. */
  public static final String DEFAULT_CLUSTER_NAME = "bootfarm";
  /** Loopback: the standalone default. */
  public static final String DEFAULT_CLUSTER_HOST = "127.0.0.1";
  /** Heartbeats every second. */
  public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofSeconds(1);
  /** A member silent for 5 s is gone. */
  public static final Duration DEFAULT_MAX_NO_HEARTBEAT = Duration.ofSeconds(5);

  public ClusterSettings {
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(dataDir, "dataDir");
    join = List.copyOf(Objects.requireNonNull(join, "join"));
    if (clusterName == null || clusterName.isBlank()) {
      throw new IllegalArgumentException("the cluster name is empty; give one or leave the default '"
          + DEFAULT_CLUSTER_NAME + "'");
    }
    if (clusterHost == null || clusterHost.isBlank()) {
      throw new IllegalArgumentException("--cluster-host is empty; give the IP this node is reached at");
    }
    if (clusterPort < 1 || clusterPort > 65535) {
      throw new IllegalArgumentException("--cluster-port " + clusterPort + " is not in 1..65535");
    }
    if (eventBusPort < 0 || eventBusPort > 65535) {
      throw new IllegalArgumentException("event-bus port " + eventBusPort + " is not in 0..65535 (0: any free port)");
    }
    if (heartbeatInterval.compareTo(Duration.ofSeconds(1)) < 0 || heartbeatInterval.toMillis() % 1000 != 0) {
      throw new IllegalArgumentException("heartbeat interval " + heartbeatInterval
          + " must be whole seconds, at least 1 s (Hazelcast counts it in seconds)");
    }
    if (maxNoHeartbeat.toMillis() % 1000 != 0 || maxNoHeartbeat.compareTo(heartbeatInterval.multipliedBy(2)) < 0) {
      throw new IllegalArgumentException("max time without heartbeat " + maxNoHeartbeat
          + " must be whole seconds and at least twice the heartbeat interval " + heartbeatInterval);
    }
    if (credential != null && credential.identity().role() != role) {
      throw new IllegalArgumentException("the farm certificate in " + credential.dir() + " is a "
          + credential.identity() + "'s; this node runs as " + role.name().toLowerCase(java.util.Locale.ROOT)
          + " and needs a certificate of that role");
    }
    if (kubernetesServiceDns != null) {
      if (kubernetesServiceDns.isBlank() || kubernetesServiceDns.chars().anyMatch(Character::isWhitespace)) {
        throw new IllegalArgumentException("--kubernetes-service-dns '" + kubernetesServiceDns + "' is not a DNS"
            + " name; give the headless service's, e.g. bootfarm-hazelcast.bootfarm.svc.cluster.local");
      }
      if (!join.isEmpty()) {
        throw new IllegalArgumentException("--join " + join + " and Kubernetes discovery exclude each other:"
            + " members come from the service " + kubernetesServiceDns + "; drop --join");
      }
    }
  }

  /** Whether members are found through Kubernetes' DNS rather than the {@code join} list. */
  public boolean kubernetesDiscovery() {
    return kubernetesServiceDns != null;
  }

  /**
   * Settings with the defaults for everything but what a command line must say: the role, the
   * cluster host and port, the join list as given to {@code --join} and the data dir.
   *
   * @throws IllegalArgumentException naming the bad join entry or value
   */
  public static ClusterSettings of(NodeRole role, String clusterHost, int clusterPort, String join, Path dataDir) {
    return new ClusterSettings(DEFAULT_CLUSTER_NAME, clusterHost, clusterPort, JoinMember.parseList(join), role,
        dataDir, 0, DEFAULT_HEARTBEAT_INTERVAL, DEFAULT_MAX_NO_HEARTBEAT, null, null);
  }

  /** The same settings under another cluster name. */
  public ClusterSettings withClusterName(String name) {
    return new ClusterSettings(name, clusterHost, clusterPort, join, role, dataDir, eventBusPort, heartbeatInterval,
        maxNoHeartbeat, kubernetesServiceDns, credential);
  }

  /** The same settings with another event-bus port (0: any free port). */
  public ClusterSettings withEventBusPort(int port) {
    return new ClusterSettings(clusterName, clusterHost, clusterPort, join, role, dataDir, port, heartbeatInterval,
        maxNoHeartbeat, kubernetesServiceDns, credential);
  }

  /** The same settings with other failure-detection times. */
  public ClusterSettings withFailureDetection(Duration interval, Duration maxSilence) {
    return new ClusterSettings(clusterName, clusterHost, clusterPort, join, role, dataDir, eventBusPort, interval,
        maxSilence, kubernetesServiceDns, credential);
  }

  /**
   * The same settings finding members through the headless Kubernetes service {@code serviceDns}
   * instead of a join list (which must be empty).
   *
   * @throws IllegalArgumentException when the name is blank or a join list is set
   */
  public ClusterSettings withKubernetesDiscovery(String serviceDns) {
    return new ClusterSettings(clusterName, clusterHost, clusterPort, join, role, dataDir, eventBusPort,
        heartbeatInterval, maxNoHeartbeat, Objects.requireNonNull(serviceDns, "serviceDns"), credential);
  }

  /** The same settings with this member's farm certificate: mutual TLS, signed messages and claim (ADR 0031). */
  public ClusterSettings withCredential(MemberCredential memberCredential) {
    return new ClusterSettings(clusterName, clusterHost, clusterPort, join, role, dataDir, eventBusPort,
        heartbeatInterval, maxNoHeartbeat, kubernetesServiceDns, memberCredential);
  }

  /** Whether this node has a farm certificate (every node the commands start does). */
  public boolean secured() {
    return credential != null;
  }
}
