#!/bin/bash
# Staging hook of the fixture-yum test definition: without /etc/localtime the system clock reads
# as UTC, which is what tether expects once it has switched root into the container.
echo "staging customizations for $(basename "$(dirname "$0")")"

rm -f "$(rootfs_dir "$PKGDIR")/etc/localtime"
