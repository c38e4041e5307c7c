package org.bootfarm.coordinator.cas;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntSupplier;

/**
 * The meters of bounded uploads: {@code bootfarm_uploads_refused_total{reason}} counts uploads refused or cut
 * off, by why ({@code quota}, {@code reserve}: 507; {@code client_limit}: 429; {@code busy}: 503; {@code
 * deadline}, {@code too_slow}, {@code idle}: 408), and {@code bootfarm_uploads_in_flight} the uploads running.
 * Every reason's counter exists from the start, at 0.
 */
final class UploadMeters {
  /** Why an upload was refused or cut off, as the metric's {@code reason} label says it. */
  enum Reason {
    QUOTA, RESERVE, CLIENT_LIMIT, BUSY, DEADLINE, TOO_SLOW, IDLE;

    String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private final Map<Reason, Counter> refused = new EnumMap<>(Reason.class);

  UploadMeters(MeterRegistry registry, IntSupplier inFlight) {
    for (Reason reason : Reason.values()) {
      refused.put(reason, Counter.builder("bootfarm.uploads.refused")
          .description("uploads to the artifact store refused or cut off, by reason")
          .tag("reason", reason.label()).register(registry));
    }
    Gauge.builder("bootfarm.uploads.in.flight", inFlight::getAsInt)
        .description("uploads to the artifact store running now").register(registry);
  }

  void refused(Reason reason) {
    refused.get(reason).increment();
  }
}
