package org.bootfarm.cluster;

import com.hazelcast.cluster.Cluster;
import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.bootfarm.cluster.identity.FarmTrust;
import org.bootfarm.cluster.identity.MemberClaim;
import org.bootfarm.cluster.identity.MemberIdentity;

/**
 * The live members of the cluster and their roles, and a way to hear when one joins or leaves: the
 * coordinator expires the leases of a worker the moment it leaves. A process killed with kill -9 is
 * noticed within a second (its connections close); a frozen one after {@link
 * ClusterSettings#maxNoHeartbeat()}. In a farm with certificates only members whose signed claim
 * ({@link MemberClaim}) a farm certificate of their role made count at all: any other Hazelcast member
 * (a process that only knew the cluster name) is left out of every list and call, and shown by {@link
 * #unverified()}.
 */
public final class ClusterMembership {
  /** The member attribute under which vertx-hazelcast publishes a member's Vert.x node id. */
  static final String VERTX_NODE_ID_ATTRIBUTE = "__vertx.nodeId";

  private final Vertx vertx;
  private final Cluster cluster;
  private final String clusterName;
  /** Null in a cluster run without certificates (in-process test clusters): every member counts. */
  private final FarmTrust trust;
  /**
   * Whose each live member's claim is, by its Hazelcast UUID: a member's attributes do not change while it
   * lives, so its claim's signature is checked once, not at every look at the membership.
   */
  private final Map<UUID, Optional<MemberIdentity>> claims = new ConcurrentHashMap<>();

  ClusterMembership(Vertx vertx, Cluster cluster, String clusterName, FarmTrust trust) {
    this.vertx = vertx;
    this.cluster = cluster;
    this.clusterName = clusterName;
    this.trust = trust;
    if (trust != null) {
      cluster.addMembershipListener(new MembershipListener() {
        @Override
        public void memberAdded(MembershipEvent event) {}

        @Override
        public void memberRemoved(MembershipEvent event) {
          claims.remove(event.getMember().getUuid());
        }
      });
    }
  }

  /** The members live now, oldest first, this process's own among them; only verified ones in a farm with certificates. */
  public List<ClusterMember> members() {
    return cluster.getMembers().stream().map(this::member).flatMap(Optional::stream).toList();
  }

  /**
   * The Hazelcast members live now that the farm ignores: no claim, or one no farm certificate of
   * their role signed for their address ({@code host:port} each; empty in a cluster without certificates).
   */
  public List<String> unverified() {
    return cluster.getMembers().stream().filter(m -> member(m).isEmpty()).map(ClusterMembership::address).toList();
  }

  /** Whether the farm counts {@code m}: always without certificates, else when its claim verifies. */
  boolean counts(Member m) {
    return member(m).isPresent();
  }

  /** The live workers (lite members). */
  public List<ClusterMember> workers() {
    return members().stream().filter(m -> m.role() == NodeRole.WORKER).toList();
  }

  /**
   * The live coordinators (data members). A worker that sees none left must restart: the Vert.x
   * cluster state lived only on them.
   */
  public List<ClusterMember> coordinators() {
    return members().stream().filter(m -> m.role() == NodeRole.COORDINATOR).toList();
  }

  /** Whether the member with this node id is live. */
  public boolean isLive(String nodeId) {
    return members().stream().anyMatch(m -> m.nodeId().equals(nodeId));
  }

  /**
   * Calls {@code joined} and {@code left} for every member that joins or leaves from now on, on a
   * Vert.x context of the caller's (an event loop when called from a verticle), never concurrently
   * for one subscription. {@code left} can come a few hundred milliseconds before Vert.x has dropped
   * the member's event-bus consumers: a request sent to its address in that window, like one already
   * in flight, fails only at its send timeout, so expire the member's leases here rather than wait.
   *
   * @return a handle that stops the calls when closed
   */
  public Subscription subscribe(Consumer<ClusterMember> joined, Consumer<ClusterMember> left) {
    Context context = vertx.getOrCreateContext();
    UUID id = cluster.addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {
        member(event.getMember()).ifPresent(member -> context.runOnContext(v -> joined.accept(member)));
      }

      @Override
      public void memberRemoved(MembershipEvent event) {
        member(event.getMember()).ifPresent(member -> context.runOnContext(v -> left.accept(member)));
      }
    });
    return () -> cluster.removeMembershipListener(id);
  }

  /** The member as the farm sees it; empty when the farm has certificates and its claim does not verify. */
  private Optional<ClusterMember> member(Member m) {
    String vertxNodeId = m.getAttribute(VERTX_NODE_ID_ATTRIBUTE);
    String address = address(m);
    NodeRole role = role(m);
    String nodeId = vertxNodeId != null ? vertxNodeId : m.getUuid().toString();
    if (trust == null) {
      return Optional.of(new ClusterMember(nodeId, address, role, m.localMember()));
    }
    Optional<MemberIdentity> identity = claims.get(m.getUuid());
    if (identity == null) {
      identity = MemberClaim.verify(trust, m.getAttribute(MemberClaim.ATTRIBUTE), clusterName, address, role);
      if (cluster.getMembers().contains(m)) { // a member that left is not remembered: its removal came already
        claims.put(m.getUuid(), identity);
      }
    }
    return identity.map(who -> new ClusterMember(nodeId, address, role, m.localMember(), who.name()));
  }

  static String address(Member m) {
    return new JoinMember(m.getAddress().getHost(), m.getAddress().getPort()).hazelcastMember();
  }

  /** The role the member published (its {@code bootfarm.role} attribute), else what its lite flag says. */
  static NodeRole role(Member m) {
    String published = m.getAttribute(ClusterNode.ROLE_ATTRIBUTE);
    if (published != null) {
      try {
        return NodeRole.valueOf(published);
      } catch (IllegalArgumentException newerRole) {
        // a role this version does not know: judge it by what it holds
      }
    }
    return NodeRole.ofLiteMember(m.isLiteMember());
  }

  /** Stops the membership calls of one {@link #subscribe} call. */
  @FunctionalInterface
  public interface Subscription extends AutoCloseable {
    @Override
    void close();
  }
}
