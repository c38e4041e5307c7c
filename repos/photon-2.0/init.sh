#!/bin/bash
# init.sh for photon-2.0 (becomes /bin/repoinit in the bootstrap image). The bootstrap sources it
# with bash inside the booted initramfs, loads every module in ${drivers[@]}, and calls
#   install-iptables /mnt/containerfs/.tether
#   install-entropy  /mnt/containerfs/.tether
# before switching root to the container filesystem: each copies its binaries and the libraries
# they need from the running image into $1, which tether later uses as /.tether.
#
# Photon 2.0 layout: /lib64 -> lib, glibc's loader at /lib64/ld-linux-x86-64.so.2, daemons and
# iptables (1.6, xtables-multi) in /usr/sbin, iptables extensions in /usr/lib/iptables or
# /usr/lib/xtables, libhavege in /usr/lib.

# kernel modules (linux-esx 4.9) loaded by the bootstrap; ones built into the kernel are skipped
drivers=(
    "vmxnet3" "vmw_pvscsi"
    "nfnetlink" "x_tables" "ip_tables" "iptable_filter" "iptable_nat"
    "nf_conntrack" "nf_conntrack_ipv4" "nf_defrag_ipv4" "nf_nat" "nf_nat_ipv4"
    "xt_conntrack" "xt_state" "xt_tcpudp" "xt_REDIRECT" "nf_nat_redirect"
    "nf_reject_ipv4" "ipt_REJECT"
    "sunrpc" "lockd" "nfs" "nfsv3"
)

REPOINIT_LOADER=/lib64/ld-linux-x86-64.so.2

# first existing path of a program in this image's layout
repoinit-find () {
    local dir
    for dir in /usr/sbin /sbin /usr/bin /bin; do
        if [ -e "$dir/$1" ]; then echo "$dir/$1"; return 0; fi
    done
    echo "repoinit: $1 not found in /usr/sbin /sbin /usr/bin /bin" >&2
    return 1
}

# copies the shared libraries an ELF file needs into $2/lib64, as the loader resolves them
# (pure bash: the base image may have no awk or sed)
repoinit-copy-libs () {
    local soname arrow lib rest
    "$REPOINIT_LOADER" --list "$1" | while read -r soname arrow lib rest; do
        if [ "$arrow" = "=>" ] && [ "${lib#/}" != "$lib" ]; then
            cp -Ln "$lib" "$2/lib64/"
        fi
    done
}

# the skeleton both functions share: bin, lib64 with the loader, lib -> lib64
repoinit-prepare () {
    mkdir -p "$1/bin" "$1/lib64" "$1/opt/config" "$1/run"
    [ -e "$1/lib" ] || ln -s lib64 "$1/lib"
    cp -Ln "$REPOINIT_LOADER" "$1/lib64/"
}

# Usage: install-entropy ROOT
# Copies haveged and its libraries into ROOT and writes ROOT/opt/config/entropy.txt, the command
# line tether runs (through the copied loader) to start the entropy daemon.
install-entropy () {
    local haveged
    haveged=$(repoinit-find haveged) || return 1
    repoinit-prepare "$1"
    cp -L "$haveged" "$1/bin/haveged"
    repoinit-copy-libs "$haveged" "$1"
    cat > "$1/opt/config/entropy.txt" <<ENTROPY
/.tether/lib64/ld-linux-x86-64.so.2 --library-path /.tether/lib64 /.tether/bin/haveged -w 1024 -v 1 -F
ENTROPY
}

# Usage: install-iptables ROOT
# Copies iptables, its libraries and its extension modules into ROOT and writes
# ROOT/bin/iptables-wrapper, which runs iptables chrooted into /.tether.
install-iptables () {
    local iptables ext
    iptables=$(repoinit-find iptables) || return 1
    repoinit-prepare "$1"
    cp -L "$iptables" "$1/bin/iptables"
    repoinit-copy-libs "$iptables" "$1"
    for ext in /usr/lib/iptables /usr/lib/xtables /lib/xtables /usr/lib64/xtables; do
        if [ -d "$ext" ]; then
            mkdir -p "$1/lib64/xtables"
            cp -L "$ext"/*.so "$1/lib64/xtables/"
            break
        fi
    done
    cat > "$1/bin/iptables-wrapper" <<'IPTABLES'
#!/bin/sh
XTABLES_LIBDIR=/lib64/xtables exec chroot /.tether/ /lib64/ld-linux-x86-64.so.2 --library-path /lib64 /bin/iptables "$@"
IPTABLES
    chmod 755 "$1/bin/iptables-wrapper"
}
