#!/bin/bash
# Chaos benchmark (issue 15): a local farm of two `bootfarm coordinator`s and three `bootfarm worker`s, each its
# own JVM in its own network namespace (veth pairs on a host bridge with private addresses: host .254,
# coordinators .1 and .2, workers .11-.13), gets a stream of fixture tdnf builds while, at random intervals, a
# worker or a coordinator is killed with SIGKILL and restarted, the active coordinator's cluster and event-bus
# ports are blocked with nftables in its namespace and unblocked, or a worker is cut off silently (the host
# side of its veth set down: no RST, no FIN). Prints the machine, a machine line, one row per fault (the builds
# the victim held and the seconds until they ran elsewhere; for the active coordinator, until the other one is
# active) and the totals: accepted, SUCCEEDED, FAILED, lost, duplicated, corrupt artifacts. The driver is
# org.bootfarm.cli.chaos.ChaosBenchmark (cli test sources). Every process's log stays in DIR.
#
# Usage: bench/chaos.sh [--store sqlite|postgresql] [--faults N] [--duration S] [--seed N] [DIR]
#   (default: postgresql, 24 faults over 540 s, seed from the clock, DIR /var/tmp/bootfarm-bench-chaos)
# Needs root (network namespaces), ip (iproute2) and nft (nftables); CHAOS_DRAIN_SECONDS bounds the final
# wait for the queue to drain (default 420).
#
# --store sqlite: one SQLite file per coordinator. Since ADR 0039 a second coordinator on SQLite refuses to
#   start (several coordinators need PostgreSQL); the SQLite figures in docs/benchmarks.md predate that.
# --store postgresql: the shared store (ADR 0039). It starts
#   Debian's PostgreSQL 15 (/usr/lib/postgresql/15/bin) on the bridge address, port 55432, database bootfarm,
#   user bootfarm, and gives each coordinator `--store postgresql://ADDR:55432/bootfarm?user=bootfarm` with the
#   password in BOOTFARM_STORE_PASSWORD.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
store=postgresql
faults=24
duration=540
seed=$(date +%s)
dir=/var/tmp/bootfarm-bench-chaos
while [ $# -gt 0 ]; do
  case "$1" in
    --store) store=$2; shift 2 ;;
    --faults) faults=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    -h|--help) sed -n 2,22p "$0"; exit 0 ;;
    -*) echo "chaos.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) dir=$1; shift ;;
  esac
done
case "$store" in sqlite|postgresql) ;; *) echo "chaos.sh: --store is sqlite or postgresql, not '$store'" >&2; exit 2 ;; esac
if [ "$faults" -lt 20 ]; then
  echo "chaos.sh: note: the issue asks for at least 20 faults per run; running $faults" >&2
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "chaos.sh: needs root for network namespaces (ip netns) and nftables; run it with sudo" >&2; exit 2
fi
for tool in ip nft java mvn; do
  if ! command -v "$tool" >/dev/null; then
    case "$tool" in
      ip) pkg=iproute2 ;; nft) pkg=nftables ;; java) pkg=openjdk-17-jdk-headless ;; mvn) pkg=maven ;;
    esac
    echo "chaos.sh: '$tool' is missing: apt-get install -y $pkg" >&2; exit 2
  fi
done
dir=$(realpath -m "$dir")
rm -rf "$dir/run"
mkdir -p "$dir/run"

# names unique per run: namespaces chaos<pid>-c1..., host-side veths cx<pid>c1..., bridge cxbr<pid>
id=$$
ns="chaos$id-"
veth="cx$id"
bridge="cxbr$id"
members="c1 c2 w1 w2 w3"
third=""
for n in $(seq 0 250); do
  if ! ip -4 addr show | grep -q "inet 10\.77\.$n\."; then third=$n; break; fi
done
[ -n "$third" ] || { echo "chaos.sh: no free 10.77.N.0/24 on this machine" >&2; exit 2; }
net="10.77.$third"
pg_data=""

cleanup() {
  set +e
  for m in $members; do
    if ip netns list | grep -q "^$ns$m\b"; then
      for pid in $(ip netns pids "$ns$m"); do kill -9 "$pid" 2>/dev/null; done
    fi
  done
  if [ -n "$pg_data" ] && [ -f "$pg_data/postmaster.pid" ]; then
    su postgres -c "/usr/lib/postgresql/15/bin/pg_ctl -D '$pg_data' -m immediate stop" >/dev/null 2>&1
  fi
  for m in $members; do
    ip netns del "$ns$m" 2>/dev/null
    ip link del "$veth$m" 2>/dev/null
  done
  ip link del "$bridge" 2>/dev/null
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip link add "$bridge" type bridge
ip addr add "$net.254/24" dev "$bridge"
ip link set "$bridge" up
address_of() { case "$1" in c1) echo "$net.1" ;; c2) echo "$net.2" ;; w1) echo "$net.11" ;; w2) echo "$net.12" ;; w3) echo "$net.13" ;; esac; }
for m in $members; do
  ip netns add "$ns$m"
  ip link add "$veth$m" type veth peer name "${veth}${m}p"
  ip link set "${veth}${m}p" netns "$ns$m"
  ip link set "$veth$m" master "$bridge" up
  ip -n "$ns$m" link set lo up
  ip -n "$ns$m" addr add "$(address_of "$m")/24" dev "${veth}${m}p"
  ip -n "$ns$m" link set "${veth}${m}p" up
done
# the bridge must pass traffic between namespaces and the host: a connection from w1 to a closed port of the
# host must be refused (a reset came back), not time out; the links take a moment to come up
reachable=no
for try in $(seq 1 20); do
  answer=$(ip netns exec "${ns}w1" timeout 3 bash -c "exec 3<>/dev/tcp/$net.254/1" 2>&1 || true)
  if [[ $answer == *refused* ]]; then
    reachable=yes; break
  fi
  sleep 0.5
done
if [ $reachable = no ]; then
  echo "chaos.sh: namespace ${ns}w1 cannot reach the host at $net.254 over bridge $bridge" \
    "(bridged traffic filtered? check 'nft list ruleset' and net.bridge.bridge-nf-call-*)" >&2
  exit 2
fi

store_url=""
if [ "$store" = postgresql ]; then
  # the shared store: `bootfarm coordinator --store postgresql://HOST:PORT/DB?user=U` with the password in
  # BOOTFARM_STORE_PASSWORD (ADR 0039)
  pg_bin=/usr/lib/postgresql/15/bin
  [ -x "$pg_bin/initdb" ] || { echo "chaos.sh: PostgreSQL 15 missing: apt-get install -y postgresql-15" >&2; exit 2; }
  pg_home="$dir/run/postgresql" # owned by postgres: the data directory and the server's log
  pg_data="$pg_home/data"
  mkdir -p "$pg_data"
  chown -R postgres: "$pg_home"
  BOOTFARM_STORE_PASSWORD=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
  export BOOTFARM_STORE_PASSWORD
  su postgres -c "$pg_bin/initdb -D '$pg_data' -A scram-sha-256 --pwfile=<(echo postgres-$id) -U postgres" \
    >"$dir/run/postgresql-initdb.log"
  echo "host all all $net.0/24 scram-sha-256" >>"$pg_data/pg_hba.conf"
  su postgres -c "$pg_bin/pg_ctl -D '$pg_data' -l '$pg_home/postgresql.log' -w start \
    -o \"-c listen_addresses=$net.254 -c port=55432 -c unix_socket_directories='$pg_data'\"" >/dev/null
  PGPASSWORD=postgres-$id "$pg_bin/psql" -h "$net.254" -p 55432 -U postgres -v ON_ERROR_STOP=1 -q \
    -c "CREATE ROLE bootfarm LOGIN PASSWORD '$BOOTFARM_STORE_PASSWORD'" -c "CREATE DATABASE bootfarm OWNER bootfarm"
  store_url="postgresql://$net.254:55432/bootfarm?user=bootfarm"
fi

# -am: the reactor's modules come from their target/classes (nothing is installed); cli writes cp.txt last
if ! (cd "$here" && mvn -q -B -ntp -pl cli -am test-compile dependency:build-classpath \
    -Dmdep.outputFile="$dir/run/cp.txt" -Dmdep.includeScope=test) >"$dir/run/mvn.log" 2>&1; then
  cat "$dir/run/mvn.log" >&2; echo "chaos.sh: building the driver failed" >&2; exit 2
fi
cp="$here/cli/target/test-classes:$here/cli/target/classes:$(cat "$dir/run/cp.txt")"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)," \
  "$(free -g | awk '/^Mem:/ {print $2 " GiB RAM"}'), $(. /etc/os-release; echo "$PRETTY_NAME")," \
  "$(df -T "$dir" | awk 'NR==2 {print $2}') at $dir, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "java: $(java -version 2>&1 | head -2 | tr '\n' ' ')"
echo "farm: store $store, $faults faults over ${duration}s, seed $seed, bridge $bridge $net.0/24, logs in $dir/run"
set +e
java --add-opens java.base/java.lang=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED -cp "$cp" \
  org.bootfarm.cli.chaos.ChaosBenchmark "$dir/run" "$store" "$faults" "$duration" "$seed" "$net" "$ns" "$veth" \
  $store_url 2> >(tee "$dir/run/driver.log" >&2)
status=$?
set -e
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $status
