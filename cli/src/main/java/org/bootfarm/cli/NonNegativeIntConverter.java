package org.bootfarm.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Reads a count flag that may be zero but not negative (e.g. {@code --keep-builds}). */
final class NonNegativeIntConverter implements ITypeConverter<Integer> {
  @Override
  public Integer convert(String value) {
    int n;
    try {
      n = Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw new TypeConversionException("'" + value + "' is not a whole number");
    }
    if (n < 0) {
      throw new TypeConversionException("'" + value + "' is negative; give 0 or more");
    }
    return n;
  }
}
