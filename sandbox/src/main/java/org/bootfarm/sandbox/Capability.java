package org.bootfarm.sandbox;

/**
 * The Linux capabilities a {@link Sandbox} may keep when the process starting it runs as root, each with the
 * program of a build that needs it. A sandbox starts from none of them.
 *
 * <p>The capabilities that would let a program leave its mount namespace or get past its read-only
 * and {@code nodev} mounts are deliberately not in this list, so no caller can grant them:
 * {@code CAP_SYS_ADMIN} (mount, remount read-write, setns), {@code CAP_DAC_READ_SEARCH}
 * ({@code open_by_handle_at} reaches files outside the mount namespace), {@code CAP_SYS_PTRACE},
 * {@code CAP_SYS_MODULE}, {@code CAP_SYS_RAWIO}, {@code CAP_NET_ADMIN} and {@code CAP_NET_RAW}, and
 * every other one.
 */
public enum Capability {

  /** Files in the image get their owners: rpm and dpkg unpacking, {@code chown} in a hook or package script. */
  CHOWN("rpm and dpkg give unpacked files their owners; hooks and package scripts chown files in the image"),

  /** Metadata of files the process does not own. */
  FOWNER("chmod, utime and extended attributes on files of other owners, as rpm and dpkg set every file's"
      + " metadata after unpacking"),

  /** setuid and setgid bits survive a chown or a write. */
  FSETID("setuid and setgid bits the packages ship (su, passwd, mount) stay set when rpm or dpkg"
      + " chowns the file after writing it"),

  /** File capabilities. */
  SETFCAP("file capabilities the packages ship (rpm %caps, setcap in a postinst, e.g. ping's cap_net_raw)"),

  /**
   * Device nodes in the image. Every writable mount of a sandbox is {@code nodev}, so a node made
   * there can be archived into the image but not opened inside the sandbox.
   */
  MKNOD("device nodes an image ships: centos-6.9's base.sh makes /dev/null, rpm payloads may hold"
      + " nodes; every writable mount is nodev, so a node cannot be opened inside the sandbox"),

  /** Permission bits do not stop root. */
  DAC_OVERRIDE("package scripts write where the mode shuts root out: RPM distributions ship /etc/shadow and"
      + " /etc/gshadow mode 0000 and useradd in a %pre writes them; Debian's systemd postinst creates"
      + " /run/systemd/netif/* inside a directory owned by systemd-network (Permission denied without it)"),

  /** chroot(2). */
  SYS_CHROOT("rpm and dpkg chroot into the image to run package scripts; mmdebstrap chroots to run dpkg");

  private final String why;

  Capability(String why) {
    this.why = why;
  }

  /** Why a build needs this capability (for the documentation and error messages). */
  public String why() {
    return why;
  }

  /** The name bubblewrap takes, e.g. {@code CAP_MKNOD}. */
  public String bwrapName() {
    return "CAP_" + name();
  }
}
