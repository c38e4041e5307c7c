package org.bootfarm.coordinator.access;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/**
 * Counts the API calls refused before they reach the coordinator, as {@code
 * bootfarm_api_refused_total{reason, interface}} (docs/metrics.md): every reason on every interface is
 * registered at 0, so that a dashboard shows a flat line rather than no data.
 */
public final class ApiRefusals {
  /** Why a call was refused. */
  public enum Reason { UNAUTHENTICATED, FORBIDDEN, MISDIRECTED, UNSUPPORTED_MEDIA_TYPE, NON_CANONICAL_PATH }

  /** Where it came in. */
  public enum Interface { HTTP, BRIDGE }

  private final Map<Interface, Map<Reason, Counter>> counters = new EnumMap<>(Interface.class);

  public ApiRefusals(MeterRegistry registry) {
    for (Interface in : Interface.values()) {
      Map<Reason, Counter> byReason = new EnumMap<>(Reason.class);
      for (Reason reason : Reason.values()) {
        byReason.put(reason, Counter.builder("bootfarm.api.refused")
            .description("API calls refused before the coordinator saw them")
            .tag("reason", lower(reason)).tag("interface", lower(in)).register(registry));
      }
      counters.put(in, byReason);
    }
  }

  /** No registry: counts nowhere (a server in a test that does not look). */
  public static ApiRefusals uncounted() {
    return new ApiRefusals(new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
  }

  public void count(Interface in, Reason reason) {
    counters.get(in).get(reason).increment();
  }

  /** How many were counted (for tests). */
  public double counted(Interface in, Reason reason) {
    return counters.get(in).get(reason).count();
  }

  private static String lower(Enum<?> value) {
    return value.name().toLowerCase(Locale.ROOT);
  }
}
