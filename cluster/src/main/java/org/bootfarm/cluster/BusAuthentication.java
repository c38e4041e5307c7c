package org.bootfarm.cluster;

import com.hazelcast.cluster.Cluster;
import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import io.vertx.core.eventbus.EventBus;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.bootfarm.cluster.identity.CoordinatorSessions;
import org.bootfarm.cluster.identity.MemberCredential;
import org.bootfarm.cluster.identity.MessageSignatures;
import org.bootfarm.cluster.identity.SenderSessions;
import org.bootfarm.cluster.identity.SessionKeyClaim;

/**
 * Wires one node's event-bus authentication to the Hazelcast membership (ADR 0031, ADR 0050): a worker
 * or client keeps a session with each live coordinator whose session key its coordinator certificate
 * vouched for and tags its messages in them; a coordinator finds the member behind each sender's
 * session key and tags its replies to it; every node signs what it cannot tag. What is accepted is decided in {@code
 * cluster.identity}; this class only says where the keys come from.
 */
final class BusAuthentication {
  private BusAuthentication() {}

  /** The session-key claim this node publishes, or null without a certificate. */
  static String claim(ClusterSettings settings, String hazelcastAddress) {
    return settings.secured()
        ? SessionKeyClaim.make(settings.credential(), settings.clusterName(), hazelcastAddress) : null;
  }

  /** Makes {@code bus} authenticate what it sends, and returns how this node tells who sent what it receives. */
  static MessageSignatures start(ClusterSettings settings, EventBus bus, Cluster cluster, Clock clock) {
    if (!settings.secured()) {
      return MessageSignatures.UNSECURED;
    }
    MemberCredential credential = settings.credential();
    String name = settings.clusterName();
    if (settings.role() == NodeRole.COORDINATOR) {
      SenderSessions senders = new SenderSessions(credential, name, key -> memberOf(key, settings, cluster), clock);
      MessageSignatures.signOutgoing(bus, credential, clock, senders);
      return remembering(bus, new MessageSignatures(credential, clock, senders));
    }
    CoordinatorSessions coordinators = new CoordinatorSessions(credential, name,
        key -> memberOf(key, settings, cluster).map(SessionKeyClaim.Vouched::identity));
    // a member's attributes do not change while it lives: its claims are checked once, not at every join
    Map<UUID, Optional<SessionKeyClaim.Vouched>> checked = new ConcurrentHashMap<>();
    Runnable refresh = () -> coordinators.coordinators(coordinatorKeys(settings, cluster, checked));
    cluster.addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {
        refresh.run();
      }

      @Override
      public void memberRemoved(MembershipEvent event) {
        checked.remove(event.getMember().getUuid());
        refresh.run();
      }
    });
    refresh.run();
    MessageSignatures.signOutgoing(bus, credential, clock, coordinators);
    return remembering(bus, new MessageSignatures(credential, clock, coordinators));
  }

  /** {@code signatures}, remembering who sent each refusal that answers this node's requests (ADR 0064). */
  private static MessageSignatures remembering(EventBus bus, MessageSignatures signatures) {
    signatures.rememberRefusals(bus);
    return signatures;
  }

  /** The session keys of the live coordinators, each vouched for by a coordinator certificate. */
  private static List<SessionKeyClaim.Vouched> coordinatorKeys(ClusterSettings settings, Cluster cluster,
      Map<UUID, Optional<SessionKeyClaim.Vouched>> checked) {
    List<SessionKeyClaim.Vouched> keys = new ArrayList<>();
    for (Member m : cluster.getMembers()) {
      if (ClusterMembership.role(m) == NodeRole.COORDINATOR) {
        checked.computeIfAbsent(m.getUuid(), uuid -> vouched(m, settings)).ifPresent(keys::add);
      }
    }
    return keys;
  }

  /** The live member whose vouched session key is {@code key}. */
  private static Optional<SessionKeyClaim.Vouched> memberOf(String key, ClusterSettings settings, Cluster cluster) {
    for (Member m : cluster.getMembers()) {
      if (SessionKeyClaim.publicKey(m.getAttribute(SessionKeyClaim.ATTRIBUTE)).filter(key::equals).isPresent()) {
        return vouched(m, settings);
      }
    }
    return Optional.empty();
  }

  private static Optional<SessionKeyClaim.Vouched> vouched(Member m, ClusterSettings settings) {
    return SessionKeyClaim.verify(settings.credential().trust(), m.getAttribute(SessionKeyClaim.ATTRIBUTE),
        m.getAttribute(org.bootfarm.cluster.identity.MemberClaim.ATTRIBUTE), settings.clusterName(),
        ClusterMembership.address(m), ClusterMembership.role(m));
  }
}
