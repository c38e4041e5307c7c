package org.bootfarm.cli;

import org.bootfarm.coordinator.nightly.NightlySchedule;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Reads {@code --nightly CRON}: a cron expression ({@link NightlySchedule#parse}) or {@code off}. */
final class NightlyScheduleConverter implements ITypeConverter<NightlySchedule> {
  @Override
  public NightlySchedule convert(String value) {
    try {
      return NightlySchedule.parse(value);
    } catch (IllegalArgumentException e) {
      throw new TypeConversionException(e.getMessage());
    }
  }
}
