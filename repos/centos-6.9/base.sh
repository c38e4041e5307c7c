#!/bin/bash
# base.sh for centos-6.9: runs before the base packages are installed, with PKGDIR (the bundle
# holding rootfs/ and bootfs/), REPODIR (this directory) and the rootfs_dir/bootfs_dir functions.

echo "base customizations for $(basename "$(dirname "$0")")"

rootfs=$(rootfs_dir "$PKGDIR")

# The bundle starts with lib64 as a symlink to lib; CentOS 6 packages install real files into
# /lib64 and the initramfs cpio must not traverse a link there, so make it a directory.
rm -f "$rootfs/lib64"
mkdir -p "$rootfs/dev" "$rootfs/lib64"

# libgcc's scriptlet writes to /dev/null before udev exists to create it.
mknod -m 666 "$rootfs/dev/null" c 1 3
