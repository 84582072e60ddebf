package dev.depot.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * A picocli converter for an option whose parser says what is wrong with an
 * IllegalArgumentException: picocli shows that message as the option's error.
 */
abstract class LongOptionConverter implements ITypeConverter<Long> {
  @Override
  public Long convert(String value) {
    try {
      return parse(value);
    } catch (IllegalArgumentException e) {
      throw new TypeConversionException(e.getMessage());
    }
  }

  /**
   * Parses one option value.
   *
   * @throws IllegalArgumentException naming the bad value and the accepted forms
   */
  abstract long parse(String value);
}
