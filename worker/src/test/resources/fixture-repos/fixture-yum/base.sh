#!/bin/bash
# Base hook of the fixture-yum test definition, as CentOS 6 needs it: lib64 must be a real
# directory rather than a symlink, and packages expect /dev/null before udev exists (mknod).
echo "base customizations for $(basename "$(dirname "$0")")"

rm -f "$(rootfs_dir "$PKGDIR")/lib64"
mkdir -p "$(rootfs_dir "$PKGDIR")"/{dev,lib64}
mknod "$(rootfs_dir "$PKGDIR")/dev/null" c 1 3
chmod 666 "$(rootfs_dir "$PKGDIR")/dev/null"
