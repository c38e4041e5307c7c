package org.bootfarm.coordinator.retention;

import java.io.IOException;
import java.util.List;
import org.bootfarm.coordinator.ApiException;
import org.bootfarm.protocol.api.v1.ApiError;
import org.bootfarm.protocol.api.v1.CollectionReport;

/**
 * A collection of this coordinator's artifact store on request ({@code bootfarm gc}, {@code POST /api/v1/gc},
 * the GC address), as the API answers it: what was freed and kept, or a refusal saying why not now.
 */
@FunctionalInterface
public interface StoreCollection {
  /** Collects now, or with {@code dryRun} only counts what a collection would free. */
  CollectionReport collect(boolean dryRun) throws ApiException;

  /** {@code retention}'s collection, refused (CONFLICT) while a scheduled one is running. */
  static StoreCollection of(RetentionPolicy retention) {
    return dryRun -> {
      CollectionReport report;
      try {
        report = retention.collectNow(dryRun);
      } catch (IOException | RuntimeException e) {
        throw new ApiException(ApiError.Code.INTERNAL, "the collection failed, nothing more was deleted: " + e,
            List.of());
      }
      if (report == null) {
        throw new ApiException(ApiError.Code.CONFLICT, "a collection is running now; try again when it has ended");
      }
      return report;
    };
  }
}
