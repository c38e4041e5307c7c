#!/bin/bash
# Repo init for the fixture-yum test definition, written for the CentOS 6 file layout its fixture
# packages use (/sbin, /bin). Sourced with bash by the bootstrap: it defines the drivers array and
# the install-entropy and install-iptables functions of the seed's contract.

# kernel modules to load (all three exist in the fixture kernel package)
drivers=(
    "nf_nat"
    "xt_REDIRECT"
    "vmxnet3"
)

# Copies the entropy daemon (rngd, as CentOS 6 has no haveged in base) into the tether root.
# arg1: root of the destination filesystem
install-entropy () {
    mkdir -p "$1/opt/config" "$1/bin" "$1/lib64"
    cp -L /sbin/rngd "$1/bin/rngd"
    cat > "$1/opt/config/entropy.txt" <<ENTROPY
/.tether/bin/rngd -f -r /dev/urandom
ENTROPY
}

# Copies iptables and the library it needs into the tether root, plus the wrapper tether calls.
# arg1: root of the destination filesystem
install-iptables () {
    mkdir -p "$1/bin" "$1/lib64"
    cp -L /usr/sbin/iptables "$1/bin/iptables"
    cp -L /usr/lib64/libxtables.so.12 "$1/lib64/"
    cat > "$1/bin/iptables-wrapper" <<'IPTABLES'
#!/bin/sh
exec chroot /.tether/ /bin/iptables "$@"
IPTABLES
    chmod a+x "$1/bin/iptables-wrapper"
}
