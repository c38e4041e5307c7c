#!/bin/bash
# staging.sh for centos-6.9: runs after the bootstrap packages are installed.

echo "staging customizations for $(basename "$(dirname "$0")")"

# CentOS installs /etc/localtime for US/Eastern; the container VM keeps UTC, and once tether
# switches to the container's root that setting would be lost anyway, so keep the clock in UTC.
rm -f "$(rootfs_dir "$PKGDIR")/etc/localtime"
