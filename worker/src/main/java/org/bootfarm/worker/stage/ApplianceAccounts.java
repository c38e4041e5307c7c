package org.bootfarm.worker.stage;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.image.ImageRoot;

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

  static void write(ImageRoot rootfs, long sourceDateEpoch) throws BuildFailure, IOException {
    AccountFile passwd = new AccountFile(rootfs, "/etc/passwd");
    AccountFile group = new AccountFile(rootfs, "/etc/group");
    if (!rootfs.isRegularFile(passwd.path()) || !rootfs.isRegularFile(group.path())) {
      throw new BuildFailure(BuildFailure.Kind.DEFINITION, "the appliance image has no /etc/passwd or /etc/group:"
          + " the base packages must install them (filesystem, base-passwd)");
    }
    List<String> groups = group.lines();
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

    AccountFile shadow = new AccountFile(rootfs, "/etc/shadow");
    if (rootfs.isRegularFile(shadow.path())) {
      add(shadow, USER + ":!:" + sourceDateEpoch / 86400 + ":0:99999:7:::", -1);
      clampLastChanged(shadow, sourceDateEpoch / 86400);
    }
    AccountFile gshadow = new AccountFile(rootfs, "/etc/gshadow");
    if (rootfs.isRegularFile(gshadow.path())) {
      add(gshadow, USER + ":!::", -1);
      add(gshadow, GROUP + ":!::", -1);
      addMember(gshadow, JOURNAL_GROUP, 3);
    }

    String home = "/home/" + USER;
    if (rootfs.isSymbolicLink(home)) {
      rootfs.delete(home); // the home directory is the appliance's, not whatever a link there names
    }
    rootfs.createDirectories(home);
    rootfs.setOwnerAndMode(home, USER_ID, USER_ID, 0750);
  }

  /** One of the colon-separated account files of the image, edited in place. */
  private record AccountFile(ImageRoot rootfs, String path) {
    List<String> lines() throws IOException {
      return new ArrayList<>(new String(rootfs.read(path), StandardCharsets.UTF_8).lines().toList());
    }

    /** Rewrites the file in place: its mode and owner stay. */
    void rewrite(List<String> lines) throws IOException {
      rootfs.rewrite(path, (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
    }

    String name() {
      return path.substring(path.lastIndexOf('/') + 1);
    }
  }

  /**
   * Appends {@code line} to a colon file unless it is there already. A different entry with the same
   * name, or (for {@code id >= 0}) another entry with the same numeric id, is refused: the appliance's
   * ids are fixed, and a package that took them must be left out.
   */
  private static void add(AccountFile file, String line, int id) throws BuildFailure, IOException {
    List<String> lines = file.lines();
    if (lines.contains(line)) {
      return;
    }
    String name = line.substring(0, line.indexOf(':'));
    for (String existing : lines) {
      String[] fields = existing.split(":", -1);
      if (fields[0].equals(name) || (id >= 0 && fields.length > 2 && fields[2].equals(String.valueOf(id)))) {
        throw new BuildFailure(BuildFailure.Kind.DEFINITION, "the appliance image's " + file.name()
            + " already has '" + existing + "', which collides with the appliance's '" + line
            + "': leave out the package that creates it");
      }
    }
    lines.add(line);
    file.rewrite(lines);
  }

  /** Adds vicadmin to the member list (field {@code field}) of {@code groupName}. */
  private static void addMember(AccountFile file, String groupName, int field) throws IOException {
    List<String> lines = file.lines();
    for (int i = 0; i < lines.size(); i++) {
      String[] fields = lines.get(i).split(":", -1);
      if (fields[0].equals(groupName) && fields.length > field) {
        List<String> members = new ArrayList<>(fields[field].isEmpty() ? List.of() : List.of(fields[field].split(",")));
        if (!members.contains(USER)) {
          members.add(USER);
          fields[field] = String.join(",", members);
          lines.set(i, String.join(":", fields));
          file.rewrite(lines);
        }
        return;
      }
    }
  }

  /**
   * Sets every account's "last changed" day (field 3 of shadow) to SOURCE_DATE_EPOCH's: pwconv and useradd,
   * run by package scripts, write the day they ran, and the appliance must not depend on it.
   */
  private static void clampLastChanged(AccountFile shadow, long day) throws IOException {
    List<String> lines = shadow.lines();
    List<String> clamped = new ArrayList<>();
    for (String line : lines) {
      String[] fields = line.split(":", -1);
      if (fields.length > 2 && !fields[2].isEmpty()) {
        fields[2] = String.valueOf(day);
      }
      clamped.add(String.join(":", fields));
    }
    if (!clamped.equals(lines)) {
      shadow.rewrite(clamped);
    }
  }
}
