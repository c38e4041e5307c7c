#!/bin/bash
# Repo init for the fixture-centos-7 test definition, in the shape of VIC's later definitions
# (centos-7, photon-1.0-passthrough, ci): tracing on and no drivers array, so the bootstrap loads
# none of the repo's modules. It defines the install-entropy and install-iptables functions.
set -x

# Copies the entropy daemon (rngd) into the tether root.
# arg1: root of the destination filesystem
install-entropy () {
    mkdir -p $1/{opt/config,bin,lib64}
    cp -L /sbin/rngd $1/bin/rngd
    cat - > $1/opt/config/entropy.txt <<ENTROPY
/.tether/bin/rngd -f -r /dev/urandom
ENTROPY
}

# Copies iptables and the library it needs into the tether root, plus the wrapper tether calls.
# arg1: root of the destination filesystem
install-iptables () {
    mkdir -p $1/{bin,lib64}
    cp -L /usr/sbin/iptables $1/bin/iptables
    cp -L /usr/lib64/libxtables.so.12 $1/lib64/
    cat - > $1/bin/iptables-wrapper <<'IPTABLES'
#!/bin/sh
exec chroot /.tether/ /bin/iptables "$@"
IPTABLES
    chmod a+x $1/bin/iptables-wrapper
}
