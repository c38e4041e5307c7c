#!/bin/bash
# debian-12 customisations for the bootstrap: the kernel modules to load and the functions that put
# the entropy daemon and iptables into tether's tmpfs. Sourced with bash by /bin/bootstrap.
#
# Debian 12 is usr-merged and multiarch: libraries live in /usr/lib/x86_64-linux-gnu, the dynamic
# loader's canonical path /lib64/ld-linux-x86-64.so.2 is a symlink into it.

# Modules of Debian 12's cloud kernel (linux-image-cloud-amd64, 6.1) the container VM needs beyond
# what the bootstrap always loads. The bootstrap skips names the kernel does not have (built in or
# gone since 4.19, e.g. nf_nat_redirect is built in), so this list may name either.
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
    "nfsv3"
    "lockd"
)

debian_multiarch=/usr/lib/x86_64-linux-gnu

# Usage: install-entropy <tether root>
# Copies haveged and the libraries it links into <tether root>/{bin,lib64} and records in
# <tether root>/opt/config/entropy.txt the command tether runs to start it, with the loader and
# library path inside the tmpfs so that it runs whatever the container's own libc is.
install-entropy () {
    local root=$1
    mkdir -p "$root"/opt/config "$root"/bin "$root"/lib64

    cp -L /lib64/ld-linux-x86-64.so.2 "$root"/lib64/
    cp -L $debian_multiarch/libc.so.6 $debian_multiarch/libhavege.so.2 "$root"/lib64/
    cp -L /usr/sbin/haveged "$root"/bin/haveged

    cat > "$root"/opt/config/entropy.txt <<'ENTROPY'
/.tether/lib64/ld-linux-x86-64.so.2 --library-path /.tether/lib64 /.tether/bin/haveged -w 1024 -v 1 -F
ENTROPY
}

# Usage: install-iptables <tether root>
# Copies the legacy iptables (xtables-legacy-multi, installed as bin/iptables), its libraries and its
# extension modules into <tether root>, and creates <tether root>/bin/iptables-wrapper, which runs it
# chrooted into /.tether. The bootstrap's VIC chain and tether's rules must use the same backend:
# Debian's /usr/sbin/iptables is the nft variant by default, so name the legacy binary explicitly.
install-iptables () {
    local root=$1
    mkdir -p "$root"/bin "$root"/lib64/xtables "$root"/run

    cp -L /lib64/ld-linux-x86-64.so.2 "$root"/lib64/
    cp -L /usr/sbin/xtables-legacy-multi "$root"/bin/iptables
    local lib
    for lib in libc.so.6 libm.so.6 libxtables.so.12 libip4tc.so.2 libip6tc.so.2; do
        cp -L $debian_multiarch/$lib "$root"/lib64/
    done
    cp -L $debian_multiarch/xtables/*.so "$root"/lib64/xtables/

    # xtables-legacy-multi picks the applet from argv[0] ("iptables"); the extensions are found
    # through XTABLES_LIBDIR; /run inside the chroot holds xtables.lock.
    cat > "$root"/bin/iptables-wrapper <<'IPTABLES'
#!/bin/sh
XTABLES_LIBDIR=/lib64/xtables exec chroot /.tether /lib64/ld-linux-x86-64.so.2 --library-path /lib64 --argv0 iptables /bin/iptables "$@"
IPTABLES
    chmod 755 "$root"/bin/iptables-wrapper
}
