package org.bootfarm.worker.iso;

/**
 * What isolinux boots: the kernel and initramfs paths inside the ISO and the kernel command
 * line.
 *
 * @param kernelPathInIso absolute path inside the ISO, e.g. {@code /boot/vmlinuz64}
 * @param initrdPathInIso absolute path inside the ISO, e.g. {@code /boot/core.gz}
 * @param appendLine the kernel command line, e.g. {@code rdinit=/bin/init console=ttyS0}
 */
public record BootConfig(String kernelPathInIso, String initrdPathInIso, String appendLine) {

  public BootConfig {
    requireIsoPath("kernelPathInIso", kernelPathInIso);
    requireIsoPath("initrdPathInIso", initrdPathInIso);
    if (appendLine == null || appendLine.contains("\n") || appendLine.contains("\r")) {
      throw new IllegalArgumentException(
          "appendLine must be a single line of kernel arguments, not " + appendLine);
    }
  }

  private static void requireIsoPath(String field, String path) {
    if (path == null || !path.startsWith("/") || path.contains("..") || path.contains(" ")
        || path.endsWith("/")) {
      throw new IllegalArgumentException(
          field + " must be an absolute path of a file inside the ISO without spaces or '..', not "
              + path);
    }
  }

  /** The isolinux.cfg that boots this configuration at once, with no prompt. */
  public String isolinuxCfg() {
    return "DEFAULT bootfarm\n"
        + "PROMPT 0\n"
        + "TIMEOUT 0\n"
        + "LABEL bootfarm\n"
        + "  KERNEL " + kernelPathInIso + "\n"
        + "  INITRD " + initrdPathInIso + "\n"
        + "  APPEND " + appendLine + "\n";
  }
}
