package org.bootfarm.coordinator.assignment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;

/**
 * The submission option {@code "noCache": true} ({@code bootfarm submit --no-cache}): the build runs every stage,
 * taking nothing from its worker's action cache or stage cache and putting nothing there, as both sides of a
 * reproducibility pair do (docs/adr/0048). A client option like any other (ADR 0040: it instructs nothing but
 * this build's own worker to do more work), so not among the reserved keys.
 */
public final class NoCacheOption {
  /** The option's key in a submission's options. */
  public static final String OPTION = "noCache";
  private static final ObjectMapper JSON = new ObjectMapper();

  private NoCacheOption() {}

  /** Whether the recorded options (JSON text, as {@code BuildRecord#options}) ask for no cache. */
  public static boolean of(String optionsJson) {
    if (optionsJson == null || !optionsJson.contains(OPTION)) {
      return false;
    }
    try {
      JsonNode node = JSON.readTree(optionsJson).path(OPTION);
      return node.isBoolean() && node.booleanValue();
    } catch (IOException e) {
      return false;
    }
  }

  /** What is wrong with the option in a submission's {@code options}: it must be {@code true} or {@code false}. */
  public static Optional<String> problem(Map<String, Object> options) {
    Object value = options.get(OPTION);
    if (value == null || value instanceof Boolean) {
      return Optional.empty();
    }
    return Optional.of("options." + OPTION + ": '" + value + "' is not true or false; give true to run every stage"
        + " without the workers' caches (bootfarm submit --no-cache), or leave it out");
  }
}
