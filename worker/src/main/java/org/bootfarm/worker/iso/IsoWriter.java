package org.bootfarm.worker.iso;

import org.bootfarm.worker.process.ExternalCommand;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.archive.AtomicOutput;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.worker.archive.ImageTree;

/**
 * Makes the bootable ISO from a prepared tree (kernel and initramfs in it): adds isolinux from
 * Debian's packages with a generated {@code isolinux.cfg}, then runs xorriso in mkisofs mode
 * with an El Torito no-emulation boot record. The isolinux files are this machine's: a build records them
 * ({@link HostBootFiles}).
 *
 * <p>Reproducibility: every mtime in the tree is clamped to SOURCE_DATE_EPOCH first; xorriso
 * runs with {@code SOURCE_DATE_EPOCH} in its environment (it then fixes the volume dates and
 * the volume uuid, and sets every file's other times to its mtime), {@code LC_ALL=C TZ=UTC}, a
 * fixed volume id and exact Rock Ridge attributes ({@code -R}: the tree's modes and numeric
 * owners; the files we add are 0644/0755). Output goes to a temporary name and is moved into
 * place once xorriso succeeded.
 *
 * <p>Note: {@code -boot-info-table} patches isolinux.bin inside the image, so the ISO's copy of
 * {@code isolinux/isolinux.bin} is not byte-identical to the tree's.
 */
public final class IsoWriter {

  /** isolinux's boot sector, from Debian's {@code isolinux} package. */
  public static final Path ISOLINUX_BIN = Path.of("/usr/lib/ISOLINUX/isolinux.bin");

  /** isolinux's core module, from Debian's {@code syslinux-common} package. */
  public static final Path LDLINUX_C32 = Path.of("/usr/lib/syslinux/modules/bios/ldlinux.c32");

  private static final Pattern VOLUME_ID = Pattern.compile("[A-Za-z0-9_.-]{1,32}");

  private IsoWriter() {}

  /**
   * Writes {@code outIso} from {@code isoTree} and returns its sha256. The tree gains
   * {@code isolinux/} (isolinux.bin, ldlinux.c32, isolinux.cfg) and has its mtimes clamped.
   *
   * @throws BuildFailure of kind TOOL when xorriso or isolinux is not installed
   * @throws IOException when the tree lacks the kernel or initramfs, the volume id is not
   *     1 to 32 of {@code [A-Za-z0-9_.-]}, or xorriso fails
   */
  public static String write(
      Path isoTree, Path outIso, BootConfig boot, String volumeId, long sourceDateEpoch)
      throws IOException, BuildFailure {
    return write(isoTree, outIso, boot, volumeId, sourceDateEpoch, ISOLINUX_BIN, LDLINUX_C32);
  }

  static String write(
      Path isoTree,
      Path outIso,
      BootConfig boot,
      String volumeId,
      long sourceDateEpoch,
      Path isolinuxBin,
      Path ldlinuxC32)
      throws IOException, BuildFailure {
    requireTool(isolinuxBin, "isolinux");
    requireTool(ldlinuxC32, "syslinux-common");
    if (!ExternalCommand.installed("xorriso")) {
      throw new BuildFailure(
          BuildFailure.Kind.TOOL,
          "xorriso is not installed on this worker (needed to make " + outIso
              + "): install the Debian package 'xorriso'");
    }
    if (!VOLUME_ID.matcher(volumeId).matches()) {
      throw new IOException(
          "volume id '" + volumeId + "' for " + outIso
              + " must be 1 to 32 characters of A-Z, a-z, 0-9, '_', '.' and '-'");
    }
    for (String inIso : List.of(boot.kernelPathInIso(), boot.initrdPathInIso())) {
      Path file = isoTree.resolve(inIso.substring(1));
      if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
        throw new IOException(
            "the ISO tree " + isoTree + " has no regular file " + inIso
                + " (boot configuration names it): assemble it before making the ISO");
      }
    }

    Path isolinux = isoTree.resolve("isolinux");
    Files.createDirectories(isolinux);
    Files.setPosixFilePermissions(isolinux, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.deleteIfExists(isolinux.resolve("boot.cat"));
    Files.copy(isolinuxBin, isolinux.resolve("isolinux.bin"), StandardCopyOption.REPLACE_EXISTING);
    Files.copy(ldlinuxC32, isolinux.resolve("ldlinux.c32"), StandardCopyOption.REPLACE_EXISTING);
    Files.writeString(isolinux.resolve("isolinux.cfg"), boot.isolinuxCfg(), StandardCharsets.UTF_8);
    for (String name : List.of("isolinux.bin", "ldlinux.c32", "isolinux.cfg")) {
      Files.setPosixFilePermissions(
          isolinux.resolve(name), PosixFilePermissions.fromString("rw-r--r--"));
    }
    ImageTree.clampMtimes(isoTree, sourceDateEpoch);

    Path temp = AtomicOutput.temporaryBeside(outIso);
    try {
      Files.delete(temp); // xorriso refuses to overwrite a non-empty file; an empty one is fine too
      ExternalCommand.require(
          List.of(
              "xorriso", "-as", "mkisofs",
              "-o", temp.toString(),
              "-R",
              "-V", volumeId,
              "-b", "isolinux/isolinux.bin",
              "-c", "isolinux/boot.cat",
              "-no-emul-boot", "-boot-load-size", "4", "-boot-info-table",
              isoTree.toAbsolutePath().toString()),
          Map.of("SOURCE_DATE_EPOCH", Long.toString(sourceDateEpoch)),
          "making ISO " + outIso + " from " + isoTree,
          "xorriso");
      Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-r--r--"));
      // not synced: it is a build directory's file, copied or moved out when the build publishes
      String sha = Sha256.of(temp);
      AtomicOutput.moveIntoPlace(temp, outIso);
      return sha;
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /**
   * The first line of {@code xorriso -version} (e.g. "xorriso 1.5.4 : RockRidge filesystem
   * manipulator, libburnia project."), for buildinfo's tool versions.
   */
  public static String xorrisoVersion() throws IOException {
    // xorriso writes part of its version report to standard error: read both
    List<String> out = ExternalCommand.run(List.of("xorriso", "-version"), Map.of(), null, line -> {}).tail();
    return out.stream().filter(l -> l.startsWith("xorriso ")).findFirst().orElse(String.join("\n", out).strip());
  }

  static void requireTool(Path file, String debianPackage) throws BuildFailure {
    if (!Files.isRegularFile(file)) {
      throw new BuildFailure(
          BuildFailure.Kind.TOOL,
          file + " is missing on this worker (isolinux boot files): install the Debian package '"
              + debianPackage + "'");
    }
  }
}
