package org.bootfarm.cli;

import java.time.Duration;
import picocli.CommandLine.Option;

/** The coordinator's placement flags: how long a build waits for its busy home or warm worker (ADR 0046, 0052). */
final class PlacementFlags {
  @Option(names = "--steal-after", paramLabel = "DURATION", defaultValue = "30s", converter = DurationConverter.class,
      description = "a build whose repo's home and warm workers are all busy waits for them as long as a cold package"
          + " cache costs its repo (its recorded cold runs' mean less its warm runs'), at most this long and this"
          + " long without such runs, then an idle worker takes it (default: ${DEFAULT-VALUE})")
  Duration stealAfter;
}
