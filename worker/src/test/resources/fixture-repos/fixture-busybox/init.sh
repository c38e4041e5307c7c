#!/bin/bash
# Repo init for the fixture-busybox test definition, written for the Photon 2.0 layout its packages
# use (BusyboxPhotonRepo): /lib64 -> lib with glibc and the loader in /lib, other libraries in
# /usr/lib, iptables (legacy xtables-multi) and haveged in /usr/sbin, iptables extensions in
# /usr/lib/iptables. The userland is busybox. Sourced with bash by the bootstrap: it defines the
# drivers array and the install-entropy and install-iptables functions of the seed's contract.

# Modules of the fixture's linux-esx (Debian 12's cloud kernel, 6.1) the container VM needs beyond
# what the bootstrap always loads; names the kernel has built in or lacks are skipped.
drivers=(
    "vmw_pvscsi"
    "vmxnet3"
    "virtio_net"
    "nf_nat"
    "nf_nat_redirect"
    "xt_REDIRECT"
    "nf_reject_ipv4"
    "ipt_REJECT"
    "xt_state"
    "xt_tcpudp"
)

# Usage: install-entropy <tether root>
# Copies haveged and the libraries it links into <tether root>/{bin,lib64} and records in
# <tether root>/opt/config/entropy.txt the command tether starts it with, through the copied loader
# so that it runs whatever the container's own libc is.
install-entropy () {
    local root=$1
    mkdir -p "$root"/opt/config "$root"/bin "$root"/lib64
    cp -L /lib64/ld-linux-x86-64.so.2 /lib/libc.so.6 /usr/lib/libhavege.so.2 "$root"/lib64/
    cp -L /usr/sbin/haveged "$root"/bin/haveged
    cat > "$root"/opt/config/entropy.txt <<'ENTROPY'
/.tether/lib64/ld-linux-x86-64.so.2 --library-path /.tether/lib64 /.tether/bin/haveged -w 1024 -v 1 -F
ENTROPY
}

# Usage: install-iptables <tether root>
# Copies iptables (the legacy multi-call binary /usr/sbin/iptables links to), its libraries and its
# extensions into <tether root>, and writes <tether root>/bin/iptables-wrapper, which runs it
# chrooted into /.tether. The multi-call binary picks the applet from argv[0]: the loader passes
# /bin/iptables. /.tether/run holds xtables.lock.
install-iptables () {
    local root=$1 lib
    mkdir -p "$root"/bin "$root"/lib64/xtables "$root"/run
    cp -L /lib64/ld-linux-x86-64.so.2 "$root"/lib64/
    cp -L /usr/sbin/iptables "$root"/bin/iptables
    for lib in /lib/libc.so.6 /lib/libm.so.6 /usr/lib/libxtables.so.12 /usr/lib/libip4tc.so.2 /usr/lib/libip6tc.so.2; do
        cp -L "$lib" "$root"/lib64/
    done
    cp -L /usr/lib/iptables/*.so "$root"/lib64/xtables/
    cat > "$root"/bin/iptables-wrapper <<'IPTABLES'
#!/bin/sh
XTABLES_LIBDIR=/lib64/xtables exec chroot /.tether /lib64/ld-linux-x86-64.so.2 --library-path /lib64 /bin/iptables "$@"
IPTABLES
    chmod 755 "$root"/bin/iptables-wrapper
}
