package org.bootfarm.protocol.api.v1;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import java.util.stream.Collectors;

/**
 * Turns the version-1 messages into JSON text and back, the same way on every node and transport.
 * Unknown fields and values of the wrong JSON type are refused with a message naming the field,
 * so a client learns what to fix instead of having its typo ignored.
 */
public final class WireJson {
  private static final ObjectMapper MAPPER = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
      .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);

  private WireJson() {}

  /** A message as JSON text. */
  public static String write(Object message) {
    try {
      return MAPPER.writeValueAsString(message);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot write " + message.getClass().getSimpleName() + " as JSON", e);
    }
  }

  /** Reads a message, or explains in one line what is wrong with the text. */
  public static <T> T read(String json, Class<T> type) throws WireFormatException {
    if (json == null || json.isBlank()) {
      throw new WireFormatException("empty body: expected a JSON object " + type.getSimpleName());
    }
    try {
      return MAPPER.readValue(json, type);
    } catch (UnrecognizedPropertyException e) {
      throw new WireFormatException("unknown field '" + e.getPropertyName() + "' in " + type.getSimpleName()
          + "; known fields: " + e.getKnownPropertyIds().stream().map(Object::toString).sorted()
              .collect(Collectors.joining(", ")));
    } catch (InvalidFormatException e) {
      throw new WireFormatException(field(e) + ": '" + e.getValue() + "' is not a valid "
          + e.getTargetType().getSimpleName());
    } catch (MismatchedInputException e) {
      throw new WireFormatException(field(e).isEmpty()
          ? "expected a JSON object " + type.getSimpleName()
          : field(e) + ": wrong JSON type, expected " + e.getTargetType().getSimpleName());
    } catch (ValueInstantiationException e) {
      // a record's constructor refused the values (e.g. an invalid BuildVariation): its message says why
      String why = e.getCause() != null && e.getCause().getMessage() != null ? e.getCause().getMessage()
          : e.getOriginalMessage();
      throw new WireFormatException(field(e).isEmpty() ? why : field(e) + ": " + why);
    } catch (JsonProcessingException e) {
      throw new WireFormatException("malformed JSON at line " + e.getLocation().getLineNr() + ", column "
          + e.getLocation().getColumnNr() + ": " + e.getOriginalMessage());
    }
  }

  private static String field(JsonMappingException e) {
    return e.getPath().stream()
        .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
        .collect(Collectors.joining("."));
  }

  /** A body that is not a well-formed message of the expected type. */
  public static final class WireFormatException extends Exception {
    public WireFormatException(String message) {
      super(message);
    }
  }
}
