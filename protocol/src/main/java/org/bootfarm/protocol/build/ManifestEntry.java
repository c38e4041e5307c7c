package org.bootfarm.protocol.build;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * One file of a built image as {@code manifest.json} lists it, for comparing two builds file by
 * file.
 *
 * @param image which image the file is in: {@code "initramfs"} or {@code "iso"}
 * @param path path inside the image, '/'-separated, no leading "./"
 * @param type {@code file}, {@code directory}, {@code symlink}, {@code char-device},
 *     {@code block-device} or {@code fifo}
 * @param mode permission bits as a 4-digit octal string, e.g. {@code "0755"}, {@code "4755"}
 * @param uid numeric owner
 * @param gid numeric group
 * @param size bytes of a regular file, length of a symlink's target, else 0
 * @param sha256 sha256 of a regular file's content; null for every other type
 * @param target a symlink's target, or "major:minor" of a device node; null otherwise
 */
@JsonPropertyOrder({"image", "path", "type", "mode", "uid", "gid", "size", "sha256", "target"})
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ManifestEntry(
    String image,
    String path,
    String type,
    String mode,
    int uid,
    int gid,
    long size,
    String sha256,
    String target) {

  /** The same entry without the target field (for files and directories). */
  public ManifestEntry(
      String image, String path, String type, String mode, int uid, int gid, long size,
      String sha256) {
    this(image, path, type, mode, uid, gid, size, sha256, null);
  }
}
