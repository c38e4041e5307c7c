package org.bootfarm.worker.stage;

import org.bootfarm.protocol.build.Manifest;

/**
 * The last stage of a target: turns the staged rootfs into the bootable ISO. Its {@link #run} returns
 * the ISO's sha256; afterwards it knows the ISO's name, the initramfs's sha256 and the manifest.
 */
public interface ImageAssembly extends Stage {
  /** The ISO's file name ({@code bootstrap-<repo>.iso}, {@code appliance.iso}). */
  String isoName();

  /** Every file of the initramfs and the ISO, known once the stage ran. */
  Manifest manifest();

  /** The sha256 of {@code /boot/core.gz}, known once the stage ran. */
  String initramfsSha256();
}
