package org.bootfarm.worker.stage;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.image.ImageDirectories;
import org.bootfarm.worker.image.InRoot;

/**
 * Writes the appliance's own accounts into {@code /etc/passwd}, {@code group}, {@code shadow} and
 * {@code gshadow} as fixed lines, as VIC's appliance staging made them with useradd: user
 * {@code vicadmin} (uid and gid 1000, supplementary group {@code systemd-journal}, home
 * {@code /home/vicadmin}, no login shell, password locked) and group {@code vic} (gid 1001). Nothing
 * depends on the build host (no useradd of the host, whose defaults vary) or the clock: the shadow
 * "last changed" day of every account is SOURCE_DATE_EPOCH's.
 */
final class ApplianceAccounts {
  static final String USER = "vicadmin";
  static final int USER_ID = 1000;
  static final String GROUP = "vic";
  static final int GROUP_ID = 1001;
  static final String JOURNAL_GROUP = "systemd-journal";

  private ApplianceAccounts() {}

  static void write(Path rootfs, long sourceDateEpoch) throws BuildFailure, IOException {
    Path etc = InRoot.resolve(rootfs, "/etc");
    Path passwd = etc.resolve("passwd");
    Path group = etc.resolve("group");
    if (!Files.isRegularFile(passwd, LinkOption.NOFOLLOW_LINKS) || !Files.isRegularFile(group, LinkOption.NOFOLLOW_LINKS)) {
      throw new BuildFailure(BuildFailure.Kind.DEFINITION, "the appliance image has no /etc/passwd or /etc/group:"
          + " the base packages must install them (filesystem, base-passwd)");
    }
    List<String> groups = lines(group);
    if (groups.stream().noneMatch(l -> l.startsWith(JOURNAL_GROUP + ":"))) {
      throw new BuildFailure(BuildFailure.Kind.DEFINITION, "the appliance image has no group " + JOURNAL_GROUP
          + " for vicadmin: packages.appliance must install systemd, which creates it");
    }
    String shell = "/bin/false";
    add(passwd, USER + ":x:" + USER_ID + ":" + USER_ID + ":VIC appliance administrator:/home/" + USER + ":" + shell,
        USER_ID);
    add(group, USER + ":x:" + USER_ID + ":", USER_ID);
    add(group, GROUP + ":x:" + GROUP_ID + ":", GROUP_ID);
    addMember(group, JOURNAL_GROUP, 3);

    Path shadow = etc.resolve("shadow");
    if (Files.isRegularFile(shadow, LinkOption.NOFOLLOW_LINKS)) {
      add(shadow, USER + ":!:" + sourceDateEpoch / 86400 + ":0:99999:7:::", -1);
      clampLastChanged(shadow, sourceDateEpoch / 86400);
    }
    Path gshadow = etc.resolve("gshadow");
    if (Files.isRegularFile(gshadow, LinkOption.NOFOLLOW_LINKS)) {
      add(gshadow, USER + ":!::", -1);
      add(gshadow, GROUP + ":!::", -1);
      addMember(gshadow, JOURNAL_GROUP, 3);
    }

    Path home = InRoot.resolve(rootfs, "/home/" + USER);
    ImageDirectories.create(home);
    Files.setAttribute(home, "unix:uid", USER_ID, LinkOption.NOFOLLOW_LINKS);
    Files.setAttribute(home, "unix:gid", USER_ID, LinkOption.NOFOLLOW_LINKS);
    Files.setAttribute(home, "unix:mode", 0750, LinkOption.NOFOLLOW_LINKS);
  }

  /**
   * Appends {@code line} to a colon file unless it is there already. A different entry with the same
   * name, or (for {@code id >= 0}) another entry with the same numeric id, is refused: the appliance's
   * ids are fixed, and a package that took them must be left out.
   */
  private static void add(Path file, String line, int id) throws BuildFailure, IOException {
    List<String> lines = lines(file);
    if (lines.contains(line)) {
      return;
    }
    String name = line.substring(0, line.indexOf(':'));
    for (String existing : lines) {
      String[] fields = existing.split(":", -1);
      if (fields[0].equals(name) || (id >= 0 && fields.length > 2 && fields[2].equals(String.valueOf(id)))) {
        throw new BuildFailure(BuildFailure.Kind.DEFINITION, "the appliance image's " + file.getFileName()
            + " already has '" + existing + "', which collides with the appliance's '" + line
            + "': leave out the package that creates it");
      }
    }
    lines.add(line);
    rewrite(file, lines);
  }

  /** Adds vicadmin to the member list (field {@code field}) of {@code groupName}. */
  private static void addMember(Path file, String groupName, int field) throws IOException {
    List<String> lines = lines(file);
    for (int i = 0; i < lines.size(); i++) {
      String[] fields = lines.get(i).split(":", -1);
      if (fields[0].equals(groupName) && fields.length > field) {
        List<String> members = new ArrayList<>(fields[field].isEmpty() ? List.of() : List.of(fields[field].split(",")));
        if (!members.contains(USER)) {
          members.add(USER);
          fields[field] = String.join(",", members);
          lines.set(i, String.join(":", fields));
          rewrite(file, lines);
        }
        return;
      }
    }
  }

  /**
   * Sets every account's "last changed" day (field 3 of shadow) to SOURCE_DATE_EPOCH's: pwconv and useradd,
   * run by package scripts, write the day they ran, and the appliance must not depend on it.
   */
  private static void clampLastChanged(Path shadow, long day) throws IOException {
    List<String> lines = lines(shadow);
    List<String> clamped = new ArrayList<>();
    for (String line : lines) {
      String[] fields = line.split(":", -1);
      if (fields.length > 2 && !fields[2].isEmpty()) {
        fields[2] = String.valueOf(day);
      }
      clamped.add(String.join(":", fields));
    }
    if (!clamped.equals(lines)) {
      rewrite(shadow, clamped);
    }
  }

  private static List<String> lines(Path file) throws IOException {
    return new ArrayList<>(Files.readAllLines(file, StandardCharsets.UTF_8));
  }

  /** Rewrites the file in place: its mode and owner stay. */
  private static void rewrite(Path file, List<String> lines) throws IOException {
    Files.writeString(file, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
  }
}
