package org.bootfarm.cli;

import java.time.Duration;
import org.bootfarm.coordinator.cas.StoreSpace;
import org.bootfarm.coordinator.cas.UploadLimits;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * The coordinator's flags that bound uploads to its artifact store (ADR 0041): their own thread pool, a per-client
 * limit, a deadline and a minimum rate, and the store's quota and free-space reserve. Defaults are {@link
 * UploadLimits#DEFAULTS}'.
 */
final class UploadOptions {
  @Option(names = "--upload-threads", paramLabel = "N", defaultValue = "16",
      description = "uploads to the artifact store running at once, on a pool of their own; one more is answered 503"
          + " with Retry-After (default: ${DEFAULT-VALUE})")
  int threads;

  @Option(names = "--uploads-per-client", paramLabel = "N", defaultValue = "8",
      description = "uploads one client (a token's client at one address) runs at once; one more is answered 429"
          + " with Retry-After (default: ${DEFAULT-VALUE})")
  int perClient;

  @Option(names = "--upload-deadline", paramLabel = "DURATION", defaultValue = "1h", converter = DurationConverter.class,
      description = "the longest one upload may take; a longer one is cut off with 408 (default: ${DEFAULT-VALUE})")
  Duration deadline;

  @Option(names = "--upload-min-rate", paramLabel = "SIZE", defaultValue = "16K", converter = ByteSizeConverter.class,
      description = "bytes per second an upload must send, averaged over each minute; a slower one is cut off with"
          + " 408; 0: no minimum (default: ${DEFAULT-VALUE})")
  long minRate;

  @Option(names = "--store-quota", paramLabel = "SIZE", defaultValue = "none", converter = ByteSizeConverter.class,
      description = "the most the artifact store's objects may hold, e.g. 500G; an upload that would cross it is"
          + " refused with 507 (default: ${DEFAULT-VALUE}: only --store-reserve limits the store)")
  long quota;

  @Option(names = "--store-reserve", paramLabel = "SIZE,PERCENT", defaultValue = "1G,5%",
      converter = ReserveConverter.class,
      description = "free space the artifact store's file system keeps: the larger of a size and a percent of the"
          + " file system (1G,5%%), or one of them (2G, 10%%), or 0; an upload that would eat into it is refused with"
          + " 507 (default: ${DEFAULT-VALUE})")
  StoreSpace reserve;

  UploadLimits limits() {
    if (threads < 1 || perClient < 1) {
      throw new TypeConversionException("--upload-threads and --uploads-per-client must be at least 1");
    }
    return new UploadLimits(threads, perClient, deadline, minRate, UploadLimits.DEFAULTS.rateWindow(),
        UploadLimits.DEFAULTS.idleTimeout(), reserve.withQuota(quota));
  }

  /** Reads {@code --store-reserve}: {@code SIZE}, {@code PERCENT%}, or both separated by a comma. */
  static final class ReserveConverter implements ITypeConverter<StoreSpace> {
    @Override
    public StoreSpace convert(String value) {
      long bytes = 0;
      int percent = 0;
      for (String part : value.split(",")) {
        String text = part.trim();
        if (text.endsWith("%")) {
          try {
            percent = Integer.parseInt(text.substring(0, text.length() - 1).trim());
          } catch (NumberFormatException e) {
            percent = -1;
          }
          if (percent < 0 || percent > 100) {
            throw new TypeConversionException("'" + text + "' in --store-reserve is not a percent from 0% to 100%");
          }
        } else {
          bytes = ByteSizeConverter.parse(text);
        }
      }
      return new StoreSpace(0, bytes, percent);
    }
  }
}
