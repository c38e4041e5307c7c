package org.bootfarm.protocol.api.v1;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The environment one side of a reproducibility pair is built under, varied the way the
 * reproducible-builds.org test bench varies its second build: a deeper build path, another time
 * zone, locale, umask, hostname and CPU count. Every field is optional: null leaves that part as the
 * worker has it, so {@link #standard()} (all null) is no variation at all.
 *
 * @param pathPrefix extra directory levels under which the worker puts the build's work and build
 *     directories, e.g. {@code second/build/path} (relative, no {@code .} or {@code ..} levels)
 * @param timeZone   TZ of the build process, a region id of the tz database ({@code Pacific/Kiritimati})
 * @param locale     LANG and LC_ALL of the build process, e.g. {@code C.UTF-8} or {@code de_DE.UTF-8};
 *     the worker refuses a locale it does not have installed
 * @param umask      the build process's umask, octal digits ({@code 077} or {@code 0077})
 * @param hostname   the hostname the build process sees (in a UTS namespace of its own)
 * @param cpus       how many CPUs the build process may run on (its affinity), at least 1
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BuildVariation(
    String pathPrefix, String timeZone, String locale, String umask, String hostname, Integer cpus) {

  private static final Pattern PATH_LEVEL = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,63}");
  private static final Pattern LOCALE = Pattern.compile("[A-Za-z]{1,8}(_[A-Za-z]{2,3})?(\\.[A-Za-z0-9-]{1,16})?(@[A-Za-z0-9]{1,16})?");
  private static final Pattern UMASK = Pattern.compile("0?[0-7]{3}");
  private static final Pattern HOST_LABEL = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");

  /**
   * @throws IllegalArgumentException naming every field that is not valid and what it must look like
   */
  public BuildVariation {
    List<String> problems = new ArrayList<>();
    if (pathPrefix != null) {
      String[] levels = pathPrefix.split("/", -1);
      boolean ok = !pathPrefix.isEmpty() && levels.length <= 16;
      for (String level : levels) {
        ok &= PATH_LEVEL.matcher(level).matches() && !level.equals(".") && !level.equals("..");
      }
      if (!ok) {
        problems.add("pathPrefix '" + pathPrefix + "' must be 1 to 16 relative directory levels separated by '/', "
            + "each of letters, digits, '.', '_' or '-' (not starting with '.' or '-'), e.g. 'second/build/path'");
      }
    }
    if (timeZone != null && !validTimeZone(timeZone)) {
      problems.add("timeZone '" + timeZone + "' is not a region id of the tz database, e.g. 'Pacific/Kiritimati'"
          + " or 'UTC'");
    }
    if (locale != null && !LOCALE.matcher(locale).matches()) {
      problems.add("locale '" + locale + "' must look like language[_TERRITORY][.charset][@modifier],"
          + " e.g. 'C.UTF-8' or 'de_DE.UTF-8'");
    }
    if (umask != null && !UMASK.matcher(umask).matches()) {
      problems.add("umask '" + umask + "' must be three or four octal digits, e.g. '077' or '0022'");
    }
    if (hostname != null && !validHostname(hostname)) {
      problems.add("hostname '" + hostname + "' must be at most 64 characters of dot-separated labels of letters,"
          + " digits and inner '-', e.g. 'bootfarm-rebuild'");
    }
    if (cpus != null && cpus < 1) {
      problems.add("cpus " + cpus + " must be at least 1");
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("invalid build variation: " + String.join("; ", problems));
    }
  }

  /** No variation: the build runs as the worker runs every build. */
  public static BuildVariation standard() {
    return new BuildVariation(null, null, null, null, null, null);
  }

  /**
   * The second build of a reproducibility pair, after the reproducible-builds.org test bench: three
   * more levels of build path, TZ {@code Pacific/Kiritimati} (UTC+14, as far from UTC as a zone goes),
   * locale {@code C.UTF-8} (a UTF-8 character set instead of the standard build's ASCII {@code C}; it is
   * the one locale besides C that every Debian 12 worker has without {@code locale-gen}), umask
   * {@code 077} (instead of 022), hostname {@code bootfarm-rebuild} and one CPU.
   */
  public static BuildVariation varied() {
    return new BuildVariation("second/build/path", "Pacific/Kiritimati", "C.UTF-8", "077", "bootfarm-rebuild", 1);
  }

  /** Whether every field is null: nothing to vary. */
  @JsonIgnore
  public boolean isStandard() {
    return equals(standard());
  }

  /**
   * One line for a build's log, e.g.
   * {@code TZ=Pacific/Kiritimati LANG=C.UTF-8 umask=077 hostname=bootfarm-rebuild cpus=1 path=+second/build/path};
   * a field left as the worker has it reads {@code (worker's)}.
   */
  public String describe() {
    return "TZ=" + orWorkers(timeZone) + " LANG=" + orWorkers(locale) + " umask=" + orWorkers(umask)
        + " hostname=" + orWorkers(hostname) + " cpus=" + orWorkers(cpus == null ? null : cpus.toString())
        + " path=" + (pathPrefix == null ? "(worker's)" : "+" + pathPrefix);
  }

  private static String orWorkers(String value) {
    return value == null ? "(worker's)" : value;
  }

  /** Region ids of the tz database only: a fixed offset like {@code UTC+3} means something else to glibc's TZ. */
  private static boolean validTimeZone(String id) {
    return ZoneId.getAvailableZoneIds().contains(id);
  }

  private static boolean validHostname(String name) {
    if (name.isEmpty() || name.length() > 64) {
      return false;
    }
    for (String label : name.split("\\.", -1)) {
      if (!HOST_LABEL.matcher(label).matches()) {
        return false;
      }
    }
    return true;
  }
}
