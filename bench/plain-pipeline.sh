#!/bin/bash
# The plain tool pipeline for the debian-12 bootstrap ISO: mmdebstrap into a directory, the repo's
# hooks (if any), the assemble contract (worker/.../assemble/LAYOUT.md) done with coreutils, depmod,
# sorted newc cpio + gzip, xorriso + isolinux. It is the prototype of bootfarm's assemble stage and the
# baseline bootfarm is benchmarked against; it prints the time of every step.
#
# Usage: bench/plain-pipeline.sh OUT_DIR TETHER_FILE UNPACK_FILE CACHE_DIR
#   OUT_DIR      receives bootstrap-debian-12.iso (and work/, the trees it was made from)
#   CACHE_DIR    keeps the downloaded .debs between runs (a warm run downloads nothing)
# Environment: APT_SOURCES (default: this machine's /etc/apt/sources.list.d/debian.sources, else
# /etc/apt/sources.list), SUITE (default bookworm), SOURCE_DATE_EPOCH (default 1735689600),
# GZIP_LEVEL (default 6), EXTRA_PACKAGES (added to the spec's lists, e.g. "udev" to get the systemd
# flavour of /bin/init).
set -euo pipefail
# Debian's own search path, as the worker gives every tool (ExternalCommand.PATH): a login shell's pyenv shim in
# front of python3 slowed mmdebstrap's mmtarfilter by ~0.4 s a package, 48 s against 27 s (docs/adr/0060)
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

if [ $# -ne 4 ]; then
    echo "usage: $0 OUT_DIR TETHER_FILE UNPACK_FILE CACHE_DIR" >&2
    exit 2
fi
for tool in mmdebstrap jq cpio gzip xorriso depmod; do
    command -v "$tool" >/dev/null || { echo "$0: $tool is not installed (apt-get install $tool)" >&2; exit 2; }
done

out=$(realpath -m "$1")
tether=$(realpath "$2")
unpack=$(realpath "$3")
cache=$(realpath -m "$4")
here=$(cd "$(dirname "$0")/.." && pwd)
repodir=$here/repos/debian-12
assemble=$here/worker/src/main/resources/org/bootfarm/worker/assemble
isolinux_bin=/usr/lib/ISOLINUX/isolinux.bin
ldlinux_c32=/usr/lib/syslinux/modules/bios/ldlinux.c32
isohybrid_mbr=/usr/lib/ISOLINUX/isohdpfx.bin

if [ -z "${APT_SOURCES:-}" ]; then
    if [ -r /etc/apt/sources.list.d/debian.sources ]; then
        APT_SOURCES=/etc/apt/sources.list.d/debian.sources
    else
        APT_SOURCES=/etc/apt/sources.list
    fi
fi
SUITE=${SUITE:-bookworm}
GZIP_LEVEL=${GZIP_LEVEL:-6}
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1735689600}
export LC_ALL=C TZ=UTC
umask 022

for file in "$tether" "$unpack" "$APT_SOURCES" "$isolinux_bin" "$ldlinux_c32" "$repodir/repo-spec.json" "$repodir/init.sh"; do
    [ -r "$file" ] || { echo "$0: cannot read $file" >&2; exit 2; }
done

# The files bootstrap and the repos' install-* functions copy into tether's tmpfs, for every repo
# layout (rpm /lib + /lib64, Debian multiarch); LAYOUT.md holds the same list. /.tempfs_size is
# computed over them.
tempfs_patterns=(
    '/lib/modules/*' '/bin/tether' '/bin/unpack'
    '/sbin/*tables*' '/usr/sbin/*tables*'
    '/lib/libxtables*' '/lib64/libxtables*' '/usr/lib64/libxtables*' '/usr/lib/x86_64-linux-gnu/libxtables*'
    '/lib/libip*tc*' '/lib64/libip*tc*' '/usr/lib64/libip*tc*' '/usr/lib/x86_64-linux-gnu/libip*tc*'
    '/lib/xtables' '/lib64/xtables' '/usr/lib64/xtables' '/usr/lib/iptables' '/usr/lib/x86_64-linux-gnu/xtables'
    '/lib64/ld-*' '/usr/lib/x86_64-linux-gnu/ld-linux*'
    '/lib/libc.so*' '/lib/libc-*' '/lib64/libc.so*' '/lib64/libc-*' '/usr/lib/x86_64-linux-gnu/libc.so*'
    '/lib/libm.so*' '/lib/libm-*' '/lib64/libm.so*' '/lib64/libm-*' '/usr/lib/x86_64-linux-gnu/libm.so*'
    '/lib/libgcc_s*' '/lib64/libgcc_s*' '/lib/libdl*' '/lib64/libdl*'
    '/usr/sbin/haveged' '/sbin/haveged' '/lib/libhavege*' '/lib64/libhavege*' '/usr/lib/x86_64-linux-gnu/libhavege*'
    '/sbin/rngd' '/usr/sbin/rngd'
)

PKGDIR=$out/work
rootfs_dir() { echo "$1/rootfs"; }
bootfs_dir() { echo "$1/bootfs"; }
export PKGDIR REPODIR=$repodir
export -f rootfs_dir bootfs_dir
rootfs=$(rootfs_dir "$PKGDIR")
bootfs=$(bootfs_dir "$PKGDIR")
iso=$out/bootstrap-debian-12.iso

total_start=$(date +%s.%N)
step() {
    local name=$1 start end
    shift
    start=$(date +%s.%N)
    "$@"
    end=$(date +%s.%N)
    printf 'TIMING %-10s %7.2f s\n' "$name" "$(echo "$end - $start" | bc)"
}

install_packages() {
    local packages
    packages=$( (jq -r '[.packages.base, .packages.bootstrap, .kernel] | map(select(. != null)) | join(" ")' \
        "$repodir/repo-spec.json"; echo "${EXTRA_PACKAGES:-}") | xargs | tr ' ' ',')
    mkdir -p "$cache/archives"
    rm -rf "$PKGDIR"
    mkdir -p "$PKGDIR" "$bootfs/boot/isolinux"
    # INITRD=No: the kernel's initramfs hook would build an initrd nobody boots (~30 s)
    # merged-usr hook: usr-is-merged instead of usrmerge, which drags in perl (~47 MB); no manuals,
    # translations or docs (as bootfarm's apt driver): the tree is unpacked into the guest's RAM
    INITRD=No mmdebstrap --quiet --variant=essential --include="$packages" \
        --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
        --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
        --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
        --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/lintian/*' \
        --aptopt='APT::Install-Recommends "false"' \
        --setup-hook='mkdir -p "$1"/var/cache/apt/archives' \
        --setup-hook="sync-in $cache/archives /var/cache/apt/archives/" \
        --customize-hook="sync-out /var/cache/apt/archives $cache/archives" \
        --skip=download/empty \
        "$SUITE" "$rootfs" "$APT_SOURCES" > "$out/mmdebstrap.log" 2>&1 || {
        tail -n 30 "$out/mmdebstrap.log" >&2
        echo "$0: mmdebstrap failed; its whole output is in $out/mmdebstrap.log" >&2
        return 1
    }
}

base_and_staging() {
    local kernel
    kernel=$(ls "$rootfs"/boot/vmlinuz-*)
    cp "$kernel" "$bootfs/boot/vmlinuz64"
    rm -rf "$rootfs"/boot/* "$rootfs"/vmlinuz* "$rootfs"/initrd.img*
    local hook
    for hook in base.sh staging.sh; do
        if [ -f "$repodir/$hook" ]; then
            bash -e "$repodir/$hook"
        fi
    done
    # what the package manager leaves behind
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/* \
        "$rootfs"/var/cache/ldconfig/aux-cache "$rootfs"/etc/machine-id
}

tempfs_bytes() {
    # regular files only (symlinks are followed by the copy, counted at their target), each rounded up
    # to a 4 KiB tmpfs page, every inode once
    (
        cd "$rootfs"
        shopt -s nullglob
        local pattern match
        for pattern in "${tempfs_patterns[@]}"; do
            for match in .$pattern; do
                # a pattern without wildcards stays itself when nothing matches
                [ -e "$match" ] || [ -L "$match" ] || continue
                find "$match" -type f -printf '%i %s\n'
            done
        done
    ) | sort -u -k1,1 | awk '{ total += int(($2 + 4095) / 4096) * 4096 } END { printf "%d\n", total }'
}

assemble_tree() {
    # the systemd flavour when the rootfs has systemd's udev, else the sysv flavour
    local flavour=init
    # (Debian's is an absolute symlink to /bin/udevadm: test the link, not the host path it names)
    local udevd
    for udevd in /lib/systemd/systemd-udevd /usr/lib/systemd/systemd-udevd; do
        if [ -e "$rootfs$udevd" ] || [ -L "$rootfs$udevd" ]; then
            flavour=init-systemd
        fi
    done
    echo "init: $flavour"
    install -m 0755 "$assemble/$flavour" "$rootfs/bin/init"
    install -m 0755 "$assemble/bootstrap" "$rootfs/bin/bootstrap"
    install -m 0755 "$repodir/init.sh" "$rootfs/bin/repoinit"
    install -m 0755 "$tether" "$rootfs/bin/tether"
    install -m 0755 "$unpack" "$rootfs/bin/unpack"
    local kver
    kver=$(ls "$rootfs/lib/modules")
    depmod -b "$rootfs" "$kver"
    local bytes mib
    bytes=$(tempfs_bytes)
    mib=$(( (bytes + 1048575) / 1048576 ))
    echo "${tempfs_patterns[*]}" > "$rootfs/.tempfs_list"
    echo $(( mib + mib / 5 )) > "$rootfs/.tempfs_size"
    echo "tempfs: $bytes bytes listed, /.tempfs_size $(cat "$rootfs/.tempfs_size") MiB"
    local spec_init
    spec_init=$(jq -r .init "$repodir/repo-spec.json")
    [ -x "$rootfs$spec_init" ] || { echo "$0: the spec's init $spec_init is not executable in the rootfs" >&2; exit 1; }
    cp "$isolinux_bin" "$ldlinux_c32" "$bootfs/boot/isolinux/"
    cat > "$bootfs/boot/isolinux/isolinux.cfg" <<CFG
default bootstrap
prompt 0
timeout 0
label bootstrap
  kernel /boot/vmlinuz64
  initrd /boot/core.gz
  append rdinit=$spec_init console=ttyS0,115200n8 loglevel=3 panic=1
CFG
    # clamp every mtime after the last write
    find "$rootfs" "$bootfs" -newermt "@$SOURCE_DATE_EPOCH" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
}

make_initramfs() {
    (cd "$rootfs" && find . -mindepth 1 | sort | cpio --quiet -o -H newc -R 0:0 --reproducible | gzip -n -"$GZIP_LEVEL") \
        > "$bootfs/boot/core.gz"
    find "$bootfs" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
    echo "initramfs: $(du -sm --exclude=./proc "$rootfs" | cut -f1) MiB tree, $(( $(stat -c %s "$bootfs/boot/core.gz") / 1048576 )) MiB core.gz"
}

make_iso() {
    rm -f "$iso"
    xorriso -as mkisofs -quiet -o "$iso" -V BOOTSTRAP -r -J \
        -b boot/isolinux/isolinux.bin -c boot/isolinux/boot.cat \
        -no-emul-boot -boot-load-size 4 -boot-info-table \
        -isohybrid-mbr "$isohybrid_mbr" \
        "$bootfs"
}

mkdir -p "$out"
step mmdebstrap install_packages
step staging base_and_staging
step assemble assemble_tree
step cpio+gzip make_initramfs
step xorriso make_iso
printf 'TIMING %-10s %7.2f s\n' total "$(echo "$(date +%s.%N) - $total_start" | bc)"
echo "ISO: $iso ($(sha256sum "$iso" | cut -d' ' -f1))"
