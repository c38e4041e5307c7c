package org.bootfarm.cluster;

import java.nio.file.Path;
import org.bootfarm.cluster.identity.FarmCa;
import org.bootfarm.cluster.identity.IdentityException;
import org.bootfarm.cluster.identity.MemberIdentity;
import org.bootfarm.testkit.FreePorts;

/**
 * The members of one secured cluster inside a test JVM: a test CA of its own, every member on 127.0.0.1 with a
 * certificate of that CA naming it and its role, its data under {@code <dir>/<name>} and its member directory under
 * {@code <dir>/<name>-member}; the first member started takes the cluster's first port, the others join it.
 */
public final class FarmMembers {
  private final FarmCa ca;
  private final Path dir;
  private final String cluster;
  private final int firstPort;

  private FarmMembers(FarmCa ca, Path dir, String cluster, int firstPort) {
    this.ca = ca;
    this.dir = dir;
    this.cluster = cluster;
    this.firstPort = firstPort;
  }

  /** A cluster named {@code name} and its first port, its CA in {@code <dir>/ca}. */
  public static FarmMembers of(Path dir, String name) throws IdentityException {
    int port = FreePorts.one();
    return new FarmMembers(FarmCa.init(dir.resolve("ca"), "test"), dir, name + "-" + port, port);
  }

  /** The cluster's name. */
  public String cluster() {
    return cluster;
  }

  /** Starts the first member, on the cluster's first port. */
  public ClusterNode first(NodeRole role, String name) throws Exception {
    return start(role, name, firstPort, "");
  }

  /** Starts a member joining the first one. */
  public ClusterNode join(NodeRole role, String name) throws Exception {
    return start(role, name, FreePorts.one(), "127.0.0.1:" + firstPort);
  }

  private ClusterNode start(NodeRole role, String name, int port, String join) throws Exception {
    return ClusterNode.start(ClusterSettings.of(role, "127.0.0.1", port, join, dir.resolve(name))
        .withClusterName(cluster).withCredential(ca.issue(new MemberIdentity(name, role),
            dir.resolve(name + "-member"))));
  }
}
