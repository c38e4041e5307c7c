#!/bin/bash
# The plain tool pipeline for an rpm repo definition (e.g. the fixture-tdnf one the benchmark
# serves): dnf --installroot into a directory, the kernel to the ISO, depmod, sorted newc cpio +
# gzip, xorriso + isolinux. The baseline bootfarm's rpm builds are compared against; it prints
# the time of every step. It does not run hooks or make anything reproducible: it is the floor.
#
# Usage: bench/plain-pipeline-rpm.sh DEFINITION_DIR OUT_DIR CACHE_DIR
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 DEFINITION_DIR OUT_DIR CACHE_DIR" >&2; exit 2; }
def=$(realpath "$1"); out=$(realpath -m "$2"); cache=$(realpath -m "$3")
for tool in dnf jq cpio gzip xorriso depmod bc; do
    command -v "$tool" >/dev/null || { echo "$0: $tool is not installed (apt-get install $tool)" >&2; exit 2; }
done
export LC_ALL=C TZ=UTC SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1704067200}
umask 022
rm -rf "$out"; mkdir -p "$out/repos.d" "$out/home" "$out/iso/boot/isolinux" "$cache"
root=$out/rootfs
echo '%_dbpath /var/lib/rpm' > "$out/home/.rpmmacros"
for f in "$def"/*.repo; do
    # gpgkey=file:///etc/pki/rpm-gpg/NAME -> the key beside the definition
    sed -E "s#file:///etc/pki/rpm-gpg/#file://$def/#g" "$f" > "$out/repos.d/$(basename "$f")"
done
packages="$(jq -r '[.packages.base, .packages.bootstrap, .kernel] | map(select(. != null and . != "")) | join(" ")' "$def/repo-spec.json")"
total_start=$(date +%s.%N)
step() {
    local name=$1 start; shift; start=$(date +%s.%N)
    "$@"
    printf 'TIMING %-10s %7.2f s\n' "$name" "$(echo "$(date +%s.%N) - $start" | bc)"
}
install_packages() {
    # shellcheck disable=SC2086
    HOME=$out/home dnf -q -y --installroot="$root" --releasever=0 --noplugins \
        --setopt=reposdir="$out/repos.d" --setopt=cachedir="$cache" --setopt=keepcache=1 \
        --setopt=install_weak_deps=False install $packages > "$out/dnf.log" 2>&1
}
kernel() {
    local kver; kver=$(ls "$root/lib/modules")
    find "$root/lib/modules" -name '*.ko.xz' -exec xz -d {} +
    depmod -a -b "$root" "$kver"
    mv "$root"/boot/vmlinuz-* "$out/iso/boot/vmlinuz64"
    rm -rf "$root"/var/lib/rpm "$root"/var/lib/dnf "$root"/var/log/* "$root"/var/cache/dnf
}
make_initramfs() {
    (cd "$root" && find . -mindepth 1 | sort | cpio --quiet -o -H newc -R 0:0 --reproducible | gzip -n -6) > "$out/iso/boot/core.gz"
}
make_iso() {
    cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 "$out/iso/boot/isolinux/"
    printf 'default b\nlabel b\n  kernel /boot/vmlinuz64\n  initrd /boot/core.gz\n  append rdinit=/bin/init\n' > "$out/iso/boot/isolinux/isolinux.cfg"
    xorriso -as mkisofs -quiet -o "$out/plain.iso" -V BOOTSTRAP -r -J -b boot/isolinux/isolinux.bin \
        -c boot/isolinux/boot.cat -no-emul-boot -boot-load-size 4 -boot-info-table "$out/iso"
}
step dnf install_packages
step kernel kernel
step cpio+gzip make_initramfs
step xorriso make_iso
printf 'TIMING %-10s %7.2f s\n' total "$(echo "$(date +%s.%N) - $total_start" | bc)"
