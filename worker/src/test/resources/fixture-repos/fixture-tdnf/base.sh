#!/bin/bash
# Base hook of the fixture-tdnf test definition: the Photon layout keeps /var/run as a link to /run.
echo "base customizations for $(basename "$(dirname "$0")")"

mkdir -p "$(rootfs_dir "$PKGDIR")"/{run,var}
ln -s /run "$(rootfs_dir "$PKGDIR")/var/run"
