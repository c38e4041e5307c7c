#!/bin/bash
# Repo init for the fixture-tdnf test definition, written for the Photon file layout its fixture
# packages use (/usr/sbin, /usr/lib64). Sourced with bash by the bootstrap: it defines the
# drivers array and the install-entropy and install-iptables functions of the seed's contract.

# kernel modules to load (all three exist in the fixture linux-esx package)
drivers=(
    "nf_nat"
    "xt_REDIRECT"
    "vmxnet3"
)

# Copies the entropy daemon into the tether root and records how tether starts it.
# arg1: root of the destination filesystem
install-entropy () {
    mkdir -p "$1/opt/config" "$1/bin" "$1/lib64"
    cp -L /usr/sbin/haveged "$1/bin/haveged"
    cat > "$1/opt/config/entropy.txt" <<ENTROPY
/.tether/bin/haveged -w 1024 -v 1 -F
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
