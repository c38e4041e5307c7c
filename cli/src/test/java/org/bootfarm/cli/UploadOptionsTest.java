package org.bootfarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.bootfarm.coordinator.cas.StoreSpace;
import org.bootfarm.coordinator.cas.UploadLimits;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The coordinator's upload flags read as ADR 0041 says: no flags give {@link UploadLimits#DEFAULTS}, sizes take
 * binary units, the reserve takes a size, a percent or both, and a value that is neither is refused naming it.
 */
@Tag("unit")
class UploadOptionsTest {
  @CommandLine.Command(name = "coordinator")
  static final class Holder {
    @CommandLine.Mixin UploadOptions uploads;
  }

  private static UploadLimits parse(String... args) {
    Holder holder = new Holder();
    new CommandLine(holder).parseArgs(args);
    return holder.uploads.limits();
  }

  @Test
  void noFlagsAreTheDefaults() {
    assertEquals(UploadLimits.DEFAULTS, parse());
  }

  @Test
  void flagsSetEveryLimit() {
    UploadLimits limits = parse("--upload-threads", "4", "--uploads-per-client", "2", "--upload-deadline", "10m",
        "--upload-min-rate", "1M", "--store-quota", "500G", "--store-reserve", "2G");
    assertEquals(4, limits.threads());
    assertEquals(2, limits.perClient());
    assertEquals(Duration.ofMinutes(10), limits.deadline());
    assertEquals(1L << 20, limits.minBytesPerSecond());
    assertEquals(new StoreSpace(500L << 30, 2L << 30, 0), limits.space());
    assertEquals(new StoreSpace(0, 0, 10), parse("--store-reserve", "10%").space());
    assertEquals(new StoreSpace(0, 0, 0), parse("--store-reserve", "0", "--store-quota", "none").space());
  }

  @Test
  void aReserveOrQuotaThatIsNoSizeIsRefusedNamingIt() {
    CommandLine.ParameterException percent = assertThrows(CommandLine.ParameterException.class,
        () -> parse("--store-reserve", "1G,120%"));
    assertTrue(percent.getMessage().contains("'120%' in --store-reserve is not a percent from 0% to 100%"),
        percent.getMessage());
    CommandLine.ParameterException quota = assertThrows(CommandLine.ParameterException.class,
        () -> parse("--store-quota", "lots"));
    assertTrue(quota.getMessage().contains("'lots' is not a size"), quota.getMessage());
  }
}
