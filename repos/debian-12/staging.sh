#!/bin/bash
# debian-12 staging tweak: the bootstrap's whole root filesystem becomes the initramfs, unpacked into
# the container VM's RAM. Translations, manual pages and info pages are ~34 MB nobody reads there.
set -e
rootfs=$(rootfs_dir "$PKGDIR")
rm -rf "$rootfs"/usr/share/locale "$rootfs"/usr/share/man "$rootfs"/usr/share/info
