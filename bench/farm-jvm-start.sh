#!/bin/bash
# What a test farm's JVM start costs, with the JVM's default options against testkit ChildJvm's (C1 alone, the
# serial collector), interleaved A B A B: a coordinator started as FarmProcesses starts one (fresh data dir, the
# test class path, a farm CA), then a worker joining it; for each, the seconds from its start to its ready line
# and the CPU seconds (user + system, /proc/PID/stat) it had used by then, and the CPU both used in the next
# IDLE seconds (heartbeats, placing passes, the JIT finishing). Both are killed after each round.
#
# Usage: bench/farm-jvm-start.sh [WORK_DIR]   (default /var/tmp/bootfarm-farm-jvm-start)
# Environment: PAIRS (rounds, default 3), IDLE (default 10), NEW_OPTIONS (default "-XX:TieredStopAtLevel=1
# -XX:+UseSerialGC", testkit ChildJvm.DEFAULT_OPTIONS), MVN_FLAGS (e.g. -o; default online).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-/var/tmp/bootfarm-farm-jvm-start}
pairs=${PAIRS:-3}
idle=${IDLE:-10}
new_options=${NEW_OPTIONS:-"-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"}
rm -rf "$dir"
mkdir -p "$dir"
# shellcheck disable=SC2086 # MVN_FLAGS is a list of flags
(cd "$here" && mvn ${MVN_FLAGS:-} -q -B -ntp -pl cli -am test-compile dependency:build-classpath \
  -Dmdep.outputFile="$dir/cp.txt" -Dmdep.includeScope=test)
cp="$here/cli/target/test-classes:$here/cli/target/classes"
for m in coordinator worker client cluster protocol testkit; do
  cp="$cp:$here/$m/target/classes:$here/$m/target/test-classes"
done
cp="$cp:$(cat "$dir/cp.txt")"
java=$(readlink -f "$(command -v java)")
tick=$(getconf CLK_TCK)

cpu_of() { # PID -> CPU seconds used so far
  awk -v t="$tick" '{print ($14 + $15) / t}' "/proc/$1/stat"
}

await_ready() { # LOG PID -> seconds waited, or fails
  local log=$1 pid=$2 start=$3
  for _ in $(seq 1 1800); do
    if grep -q ' ready: ' "$log" 2>/dev/null; then
      echo "$(date +%s.%N) - $start" | bc
      return
    fi
    kill -0 "$pid" 2>/dev/null || { echo "process $pid died; see $log" >&2; exit 1; }
    sleep 0.1
  done
  echo "no ready line in $log" >&2
  exit 1
}

port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

"$java" -cp "$cp" org.bootfarm.cli.Main ca init "$dir/farm-ca" >/dev/null
export BOOTFARM_FARM_CA=$dir/farm-ca
mkdir -p "$dir/repos" "$dir/keys"
printf 'round\tvariant\tcoordinator ready s\tcoordinator cpu s\tworker ready s\tworker cpu s\tcpu next %ss\tload\n' "$idle" \
  | tee "$dir/times.tsv"
for round in $(seq 1 "$pairs"); do
  if [ $((round % 2)) = 1 ]; then order=(default new); else order=(new default); fi
  for variant in "${order[@]}"; do
    options=()
    [ "$variant" = new ] && read -r -a options <<<"$new_options"
    run=$dir/$round-$variant
    mkdir -p "$run"
    cluster_port=$(port) http_port=$(port)
    load=$(cut -d' ' -f1 /proc/loadavg)
    start=$(date +%s.%N)
    "$java" "${options[@]}" --add-opens java.base/java.lang=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED \
      -cp "$cp" org.bootfarm.cli.Main coordinator --bridge-port 0 --data-dir "$run/c" --repos "$dir/repos" \
      --keys "$dir/keys" --http-port "$http_port" --cluster-name "bench-$cluster_port" --cluster-port "$cluster_port" \
      --nightly off >"$run/coordinator.log" 2>&1 &
    coordinator=$!
    c_ready=$(await_ready "$run/coordinator.log" "$coordinator" "$start")
    c_cpu=$(cpu_of "$coordinator")
    start=$(date +%s.%N)
    "$java" "${options[@]}" --add-opens java.base/java.lang=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED \
      -cp "$cp" org.bootfarm.cli.Main worker --data-dir "$run/w" --cache-dir "$run/w/cache" --keys "$dir/keys" \
      --cluster-name "bench-$cluster_port" --cluster-port "$(port)" --join "127.0.0.1:$cluster_port" \
      --token-file "$run/c/coordinator/workers-token" --metrics-port 0 --no-action-cache >"$run/worker.log" 2>&1 &
    worker=$!
    w_ready=$(await_ready "$run/worker.log" "$worker" "$start")
    w_cpu=$(cpu_of "$worker")
    both=$(echo "$(cpu_of "$coordinator") + $w_cpu" | bc)
    sleep "$idle"
    later=$(echo "$(cpu_of "$coordinator") + $(cpu_of "$worker") - $both" | bc)
    kill -9 "$coordinator" "$worker"
    wait "$coordinator" "$worker" 2>/dev/null || true
    printf '%s\t%s\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%s\n' "$round" "$variant" "$c_ready" "$c_cpu" "$w_ready" "$w_cpu" \
      "$later" "$load" | tee -a "$dir/times.tsv"
  done
done
