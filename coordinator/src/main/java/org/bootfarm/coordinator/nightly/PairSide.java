package org.bootfarm.coordinator.nightly;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import java.util.Optional;

/**
 * Which side of a reproducibility pair a build is, as its submission options carry it: {@code
 * {"reproducibility": {"pair": ID, "side": "A"}}} for the side placed as usual, and {@code
 * {"reproducibility": {"pair": ID, "side": "B", "otherSide": BUILD}}} for the side that must go to a
 * different worker than build {@code otherSide} and is built under a varied environment.
 *
 * @param pair      the pair's id
 * @param side      {@code A} or {@code B}
 * @param otherSide for side B, the id of side A's build; null for side A
 */
public record PairSide(String pair, String side, String otherSide) {
  /** The options key. */
  public static final String OPTION = "reproducibility";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The options of side A of {@code pair}. */
  public static Map<String, Object> sideA(String pair) {
    return Map.of(OPTION, Map.of("pair", pair, "side", "A"));
  }

  /** The options of side B of {@code pair}, whose side A is build {@code otherSide}. */
  public static Map<String, Object> sideB(String pair, String otherSide) {
    return Map.of(OPTION, Map.of("pair", pair, "side", "B", "otherSide", otherSide));
  }

  /** The side a build's options (JSON text, as the build store keeps them) name, if any. */
  public static Optional<PairSide> of(String optionsJson) {
    if (optionsJson == null || !optionsJson.contains(OPTION)) {
      return Optional.empty();
    }
    try {
      JsonNode node = JSON.readTree(optionsJson).path(OPTION);
      if (!node.isObject() || !node.path("pair").isTextual() || !node.path("side").isTextual()) {
        return Optional.empty();
      }
      String other = node.path("otherSide").isTextual() ? node.path("otherSide").asText() : null;
      return Optional.of(new PairSide(node.path("pair").asText(), node.path("side").asText(), other));
    } catch (java.io.IOException e) {
      return Optional.empty();
    }
  }

  /** Whether this is the side that goes to a second worker under a varied environment. */
  public boolean isSideB() {
    return "B".equals(side) && otherSide != null;
  }
}
