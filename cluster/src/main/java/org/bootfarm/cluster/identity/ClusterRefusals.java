package org.bootfarm.cluster.identity;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/**
 * What a member refused because it could not tell who sent it, logged one line each and counted
 * in {@code bootfarm_cluster_refused_total{reason}} (docs/metrics.md), every reason registered at 0
 * so a dashboard sees the series before the first attack.
 */
public final class ClusterRefusals {
  /** Why something from the cluster was refused. */
  public enum Reason {
    /** A Hazelcast member without a farm certificate's claim for its role and address: ignored. */
    UNVERIFIED_MEMBER,
    /** A message no farm member signed, or signed by a member not entitled to send it. */
    UNAUTHENTICATED_MESSAGE,
    /** A record in a shared Hazelcast map that the active coordinator did not sign. */
    FORGED_RECORD;

    String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public static final String METRIC = "bootfarm_cluster_refused";
  private static final System.Logger LOG = System.getLogger(ClusterRefusals.class.getName());
  private final Map<Reason, Counter> counters = new EnumMap<>(Reason.class);

  public ClusterRefusals(MeterRegistry registry) {
    for (Reason reason : Reason.values()) {
      counters.put(reason, Counter.builder(METRIC).tag("reason", reason.label())
          .description("what this member refused from the cluster because no farm certificate vouched for it")
          .register(registry));
    }
  }

  /** Counts one refusal and logs {@code what} (which should say what was refused, from where, and why). */
  public void refuse(Reason reason, String what) {
    counters.get(reason).increment();
    LOG.log(System.Logger.Level.WARNING, "refused (" + reason.label() + "): " + what);
  }

  /** How many refusals of this reason were counted (tests, the ready line). */
  public long count(Reason reason) {
    return (long) counters.get(reason).count();
  }
}
