package org.bootfarm.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Reads a byte-count flag as a number and an optional binary unit: {@code 512}, {@code 16K}, {@code 500M},
 * {@code 2G}, {@code 1T} (K = 1024 bytes; a trailing {@code iB} or {@code B} is allowed: {@code 2GiB}); {@code none}
 * reads as 0, which the flags that take it say means "no limit".
 */
final class ByteSizeConverter implements ITypeConverter<Long> {
  private static final Pattern SIZE = Pattern.compile("(\\d{1,15})\\s*([KMGTP]?)(?:I?B)?");

  @Override
  public Long convert(String value) {
    return parse(value);
  }

  static long parse(String value) {
    String text = value.trim().toUpperCase(Locale.ROOT);
    if (text.equals("NONE")) {
      return 0;
    }
    Matcher m = SIZE.matcher(text);
    if (!m.matches()) {
      throw new TypeConversionException("'" + value + "' is not a size: write a number of bytes with an optional"
          + " unit K, M, G, T or P (powers of 1024), e.g. 500G, or 'none'");
    }
    int shift = switch (m.group(2)) {
      case "K" -> 10;
      case "M" -> 20;
      case "G" -> 30;
      case "T" -> 40;
      case "P" -> 50;
      default -> 0;
    };
    long n = Long.parseLong(m.group(1));
    if (n > (Long.MAX_VALUE >> shift)) {
      throw new TypeConversionException("'" + value + "' is more bytes than fit in a long");
    }
    return n << shift;
  }
}
