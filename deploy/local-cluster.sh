#!/usr/bin/env bash
# deploy/local-cluster.sh: a whole bootfarm on this machine, as plain background processes on 127.0.0.1,
# watched by Debian's Prometheus (/usr/bin/prometheus, package `prometheus`). No systemd, no containers.
#
#   deploy/local-cluster.sh start [-n N] [--repos DIR] [--state DIR] [port and other options] [-- COORDINATOR FLAGS]
#   deploy/local-cluster.sh stop   [--state DIR]
#   deploy/local-cluster.sh status [--state DIR]
#   deploy/local-cluster.sh restart NAME [--state DIR]     NAME: coordinator, worker-I or prometheus
#
# `start` runs one coordinator and N workers (default 2) through the ./bootfarm launcher, writes
# <state>/prometheus.yml (jobs bootfarm-coordinator and bootfarm-worker, plus Prometheus itself; the alert
# rules of deploy/prometheus/alerts.yml when that file exists) and starts Prometheus with its own storage under
# <state>/prometheus. It returns once the coordinator's /metrics, every worker's /metrics and Prometheus's
# /-/ready answer, or fails naming the process that did not come up and its log file (and stops the rest).
# `stop` sends TERM to everything `start` started and waits (workers drain: a running build may finish), sends
# TERM again after STOP_WAIT seconds, then KILLs what is left; it is safe to repeat.
# `status` prints each process, whether it runs, and its URL. `restart NAME` stops one process (if it runs) and
# starts it again with the command line `start` gave it (kept in <state>/NAME.cmd), e.g. a worker killed or
# upgraded, and waits until it answers. Logs and pid files live in the state dir, and so do the farm CA
# (<state>/farm-ca, made on the first start) and each process's certificate (<state>/members/NAME, given with
# --member-dir), so the event bus runs over mutual TLS like a real farm's.
# Workers upload with the coordinator's 'workers' token: `start` waits for the coordinator's tokens file (its
# --tokens after --, else the one it makes on first start, <state>/coordinator/coordinator/access-tokens) and
# copies that line's token into <state>/worker-token (mode 600), which every worker gets as --token-file.
#
# Options of start (every port is overridable, so tests can use free ones; a port already taken is refused
# naming the option that moves it):
#   -n, --workers N            workers to start (default 2)
#   --repos DIR                the repo definitions the coordinator serves (default: <checkout>/repos)
#   --state DIR                data, caches, logs, pid files (default: ${XDG_RUNTIME_DIR:-/tmp}/bootfarm-local)
#   --keys DIR                 trusted GPG keys, given to every bootfarm process (default: theirs)
#   --cluster-name NAME        Hazelcast cluster name (default bootfarm-local, so it joins no other farm)
#   --http-port P              coordinator HTTP API and /metrics (default 8080)
#   --bridge-port P            coordinator TCP bridge for the CLI (default 7000)
#   --cluster-port P           coordinator cluster port (default 5701)
#   --worker-cluster-port P    first worker's cluster port, worker i takes P+i-1 (default 5702)
#   --metrics-port P           first worker's /metrics port, worker i takes P+i-1 (default 9101)
#   --prometheus-port P        Prometheus's web port (default 9090; when 9090 is taken, e.g. by the system
#                              prometheus service, the first free port from 9091 is taken instead)
#   --timeout SECONDS          how long start waits for everything to answer (default 180)
# Environment:
#   BOOTFARM_LAUNCHER          the command that runs bootfarm (default: <checkout>/bootfarm, whose jar is built
#                              once before anything starts); tests point it at their class path
#   BOOTFARM_WORKER_FLAGS      extra flags for every worker, e.g. "--package-managers tdnf --slots 2"
#   SCRAPE_INTERVAL            Prometheus scrape and rule evaluation interval (default 2s)
#   PROMETHEUS                 the Prometheus binary (default /usr/bin/prometheus)
#   STOP_WAIT                  seconds stop and restart wait after the first TERM (default 15)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
checkout="$(cd "$here/.." && pwd)"
prog="deploy/local-cluster.sh"

usage() {
  sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
}

die() {
  echo "$prog: $*" >&2
  exit 1
}

# --- arguments

command="${1:-}"
[ -n "$command" ] || { usage >&2; exit 2; }
shift
case "$command" in
  start|stop|status|restart) ;;
  -h|--help|help) usage; exit 0 ;;
  *) echo "$prog: unknown command '$command'" >&2; usage >&2; exit 2 ;;
esac

workers=2
repos="$checkout/repos"
state="${XDG_RUNTIME_DIR:-/tmp}/bootfarm-local"
keys=""
cluster_name="bootfarm-local"
http_port=8080
bridge_port=7000
cluster_port=5701
worker_cluster_port=5702
metrics_port=9101
prometheus_port=""
timeout=180
coordinator_extra=()
restart_name=""
if [ "$command" = restart ]; then
  case "${1:-}" in
    ""|-*) die "restart needs the name of a process: coordinator, worker-I or prometheus" ;;
  esac
  restart_name="$1"
  shift
fi

need_value() {
  [ $# -ge 2 ] && [ -n "$2" ] || die "option $1 needs a value (see: $prog --help)"
}
need_number() {
  [[ "$2" =~ ^[0-9]+$ ]] || die "option $1 takes a number, not '$2'"
}

while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --) shift; coordinator_extra=("$@"); break ;;
    --state) need_value "$@"; state="$2"; shift 2 ;;
    -n|--workers) need_value "$@"; need_number "$1" "$2"; workers="$2"; shift 2 ;;
    --repos) need_value "$@"; repos="$2"; shift 2 ;;
    --keys) need_value "$@"; keys="$2"; shift 2 ;;
    --cluster-name) need_value "$@"; cluster_name="$2"; shift 2 ;;
    --http-port) need_value "$@"; need_number "$1" "$2"; http_port="$2"; shift 2 ;;
    --bridge-port) need_value "$@"; need_number "$1" "$2"; bridge_port="$2"; shift 2 ;;
    --cluster-port) need_value "$@"; need_number "$1" "$2"; cluster_port="$2"; shift 2 ;;
    --worker-cluster-port) need_value "$@"; need_number "$1" "$2"; worker_cluster_port="$2"; shift 2 ;;
    --metrics-port) need_value "$@"; need_number "$1" "$2"; metrics_port="$2"; shift 2 ;;
    --prometheus-port) need_value "$@"; need_number "$1" "$2"; prometheus_port="$2"; shift 2 ;;
    --timeout) need_value "$@"; need_number "$1" "$2"; timeout="$2"; shift 2 ;;
    *) die "unknown option '$1' (see: $prog --help)" ;;
  esac
done

if [ "$command" != start ] && { [ "$workers" != 2 ] || [ ${#coordinator_extra[@]} -gt 0 ]; }; then
  die "$command takes only --state DIR (and restart --timeout SECONDS)"
fi
mkdir -p "$state"
state="$(cd "$state" && pwd)"
settings="$state/cluster.env"

# --- processes: one pid file and one log per name

pid_of() {
  local file="$state/$1.pid"
  [ -f "$file" ] && cat "$file"
}

running() {
  local pid
  pid="$(pid_of "$1")" || return 1
  [ -n "$pid" ] && alive "$pid"
}

# A process that exists and is no zombie (a killed process whose parent has not reaped it yet).
alive() {
  kill -0 "$1" 2>/dev/null || return 1
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 0
  stat="${stat##*) }"
  [ "${stat%% *}" != Z ]
}

# Names of the processes start recorded, Prometheus first (so stop ends the watcher before the watched).
started_names() {
  local names=() f
  [ -f "$state/prometheus.pid" ] && names+=(prometheus)
  for f in "$state"/worker-*.pid; do
    [ -e "$f" ] && names+=("$(basename "$f" .pid)")
  done
  [ -f "$state/coordinator.pid" ] && names+=(coordinator)
  [ ${#names[@]} -gt 0 ] && printf '%s\n' "${names[@]}"
  return 0
}

# Keeps in `live` (entries NAME:PID) those still alive, reporting the others stopped; waits up to $1 tenths
# of a second for all to go.
await_exit() {
  local tenths="$1" i entry left
  for ((i = 0; i <= tenths && ${#live[@]} > 0; i++)); do
    left=()
    for entry in "${live[@]}"; do
      if alive "${entry#*:}"; then
        left+=("$entry")
      else
        echo "stopped ${entry%%:*} (pid ${entry#*:})"
        rm -f "$state/${entry%%:*}.pid"
      fi
    done
    live=("${left[@]+"${left[@]}"}")
    if [ ${#live[@]} -gt 0 ] && [ "$i" -lt "$tenths" ]; then sleep 0.1; fi
  done
}

# TERM to the processes NAME..., at once, and up to STOP_WAIT seconds (default 15) for them to leave: a worker
# drains on TERM, letting a running build finish. Then a second TERM (a draining worker leaves at once) and
# 5 s more; then KILL for what is left.
stop_names() {
  local name pid entry live=()
  for name in "$@"; do
    if running "$name"; then
      pid="$(pid_of "$name")"
      kill -TERM "$pid" 2>/dev/null || true
      live+=("$name:$pid")
    else
      rm -f "$state/$name.pid"
    fi
  done
  local wait="${STOP_WAIT:-15}"
  [[ "$wait" =~ ^[0-9]+$ ]] || die "STOP_WAIT takes a number of seconds, not '$wait'"
  await_exit $((wait * 10))
  for entry in "${live[@]+"${live[@]}"}"; do
    echo "$prog: ${entry%%:*} (pid ${entry#*:}) still runs ${wait} s after TERM (a worker draining a build?); TERM again" >&2
    kill -TERM "${entry#*:}" 2>/dev/null || true
  done
  await_exit 50
  for entry in "${live[@]+"${live[@]}"}"; do
    echo "$prog: ${entry%%:*} (pid ${entry#*:}) ignored TERM twice; killing it" >&2
    kill -KILL "${entry#*:}" 2>/dev/null || true
    rm -f "$state/${entry%%:*}.pid"
  done
}

stop_all() {
  # shellcheck disable=SC2046 # names are single words
  stop_names $(started_names)
}

# Starts COMMAND... in the background as NAME, its output in <state>/NAME.log and its pid in <state>/NAME.pid;
# the command line goes to <state>/NAME.cmd (NUL-separated) and the URL that answers when it is ready to
# <state>/NAME.url, for restart. The launcher and prometheus exec their program: the pid is the program's own.
launch() {
  local name="$1" url="$2"
  shift 2
  printf '%s\0' "$@" >"$state/$name.cmd"
  echo "$url" >"$state/$name.url"
  echo "== $(date -u '+%Y-%m-%dT%H:%M:%SZ') $prog starts: $*" >>"$state/$name.log"
  nohup "$@" </dev/null >>"$state/$name.log" 2>&1 &
  echo $! >"$state/$name.pid"
}

port_taken() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Whether http://127.0.0.1:PORT/PATH answers 200, asked over bash's /dev/tcp (no HTTP client needed).
answers() {
  local rest="${1#http://}" status=""
  local address="${rest%%/*}" path="/${rest#*/}"
  (
    exec 3<>"/dev/tcp/${address%:*}/${address##*:}" || exit 1
    printf 'GET %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n' "$path" "$address" >&3
    read -r -t 2 status <&3 || exit 1
    case "$status" in "HTTP/1."?" 200 "*) exit 0 ;; *) exit 1 ;; esac
  ) 2>/dev/null
}

# Waits until URL answers; fails naming NAME, its log and the last lines of it when NAME exits or time runs out.
await_ready() {
  local name="$1" url="$2" deadline="$3"
  while ! answers "$url"; do
    if ! running "$name"; then
      echo "$prog: $name exited before $url answered; its log $state/$name.log ends:" >&2
      tail -n 20 "$state/$name.log" | sed 's/^/  /' >&2
      return 1
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "$prog: $name did not answer $url within ${timeout}s; see its log $state/$name.log, which ends:" >&2
      tail -n 20 "$state/$name.log" | sed 's/^/  /' >&2
      return 1
    fi
    sleep 0.5
  done
}

# Copies the 'workers' token of the coordinator's tokens file into <state>/worker-token, waiting for the file
# (a coordinator makes its default one early in its start); names the file and what to add when it has none.
write_worker_token() {
  local tokens="$state/coordinator/coordinator/access-tokens" i token="" deadline
  for ((i = 0; i < ${#coordinator_extra[@]}; i++)); do
    if [ "${coordinator_extra[$i]}" = "--tokens" ]; then tokens="${coordinator_extra[$((i + 1))]:-}"; fi
  done
  deadline=$(($(date +%s) + timeout))
  while :; do
    token="$(awk '$1 == "workers" { print $2; exit }' "$tokens" 2>/dev/null || true)"
    [ -n "$token" ] && break
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "$prog: no 'workers' line in the coordinator's tokens file $tokens after ${timeout} s: add one" \
        "('workers <token> submit', token from: openssl rand -hex 32), or see $state/coordinator.log" >&2
      return 1
    fi
    sleep 0.2
  done
  (umask 077 && printf '%s\n' "$token" >"$state/worker-token")
}

abort_start() {
  echo "$prog: start failed; stopping what it started (logs stay in $state)" >&2
  stop_all >&2
  exit 1
}

# --- commands

do_status() {
  [ -f "$settings" ] || { echo "no local cluster started in $state"; return 0; }
  # shellcheck source=/dev/null
  . "$settings"
  local name url state_word any=0
  for name in $(started_names); do
    any=1
    case "$name" in
      coordinator) url="http://127.0.0.1:$HTTP_PORT (API, /metrics), bridge 127.0.0.1:$BRIDGE_PORT" ;;
      prometheus) url="http://127.0.0.1:$PROMETHEUS_PORT" ;;
      worker-*) url="http://127.0.0.1:$((METRICS_PORT + ${name#worker-} - 1))/metrics" ;;
    esac
    if running "$name"; then state_word="running (pid $(pid_of "$name"))"; else state_word="NOT running"; fi
    printf '%-12s %-22s %s   log %s\n' "$name" "$state_word" "$url" "$state/$name.log"
  done
  if [ "$any" = 1 ]; then
    echo "CLI: BOOTFARM_DATA_DIR=$state/coordinator ./bootfarm workers --farm 127.0.0.1:$BRIDGE_PORT"
  else
    echo "nothing running from $state (settings of the last start: $settings)"
  fi
}

do_start() {
  local name i
  for name in $(started_names); do
    if running "$name"; then
      die "$name already runs from $state (pid $(pid_of "$name")); run '$prog stop --state $state' first"
    fi
  done
  [ "$workers" -ge 1 ] || die "-n must be at least 1"
  [ -d "$repos" ] || die "no repo definitions at $repos; give --repos DIR"
  repos="$(cd "$repos" && pwd)"
  local prometheus_bin="${PROMETHEUS:-/usr/bin/prometheus}"
  [ -x "$prometheus_bin" ] || die "no Prometheus at $prometheus_bin: install Debian's package (apt-get install prometheus) or set PROMETHEUS"

  if [ -z "$prometheus_port" ]; then
    prometheus_port=9090
    while port_taken "$prometheus_port"; do
      prometheus_port=$((prometheus_port + 1))
      [ "$prometheus_port" -le 9099 ] || die "ports 9090-9099 are all taken; give --prometheus-port P"
    done
    [ "$prometheus_port" = 9090 ] || echo "$prog: 9090 is taken (a system Prometheus?); this one listens on $prometheus_port" >&2
  fi
  local check=("--http-port:$http_port" "--bridge-port:$bridge_port" "--cluster-port:$cluster_port"
    "--prometheus-port:$prometheus_port")
  for ((i = 1; i <= workers; i++)); do
    check+=("--worker-cluster-port:$((worker_cluster_port + i - 1))" "--metrics-port:$((metrics_port + i - 1))")
  done
  local entry seen=" "
  for entry in "${check[@]}"; do
    case "$seen" in *" ${entry#*:} "*) die "port ${entry#*:} is given twice (${entry%%:*} overlaps another port option)" ;; esac
    seen="$seen${entry#*:} "
    if port_taken "${entry#*:}"; then
      die "port ${entry#*:} on 127.0.0.1 is already taken; move it with ${entry%%:*}"
    fi
  done

  local launcher=()
  if [ -n "${BOOTFARM_LAUNCHER:-}" ]; then
    read -r -a launcher <<<"$BOOTFARM_LAUNCHER"
  else
    launcher=("$checkout/bootfarm")
    # builds the jar (and installs missing OS packages) once, not in N+1 processes racing each other
    "$checkout/bootfarm" --version >/dev/null || die "the bootfarm launcher failed: $checkout/bootfarm --version"
  fi
  local worker_flags=()
  if [ -n "${BOOTFARM_WORKER_FLAGS:-}" ]; then
    read -r -a worker_flags <<<"$BOOTFARM_WORKER_FLAGS"
  fi
  # issue_member ROLE NAME: NAME's certificate in <state>/members/NAME, issued once
  issue_member() {
    [ -f "$state/members/$2/member.key" ] && return 0
    "${launcher[@]}" ca issue --ca "$state/farm-ca" --role "$1" --out "$state/members/$2" "$2" >>"$state/ca.log" 2>&1 \
      || die "cannot issue $1 $2 a certificate: $(cat "$state/ca.log")"
  }
  local keys_flag=()
  if [ -n "$keys" ]; then
    [ -d "$keys" ] || die "no keys directory $keys"
    keys_flag=(--keys "$(cd "$keys" && pwd)")
  fi

  cat >"$settings" <<EOF
# written by $prog start at $(date -u '+%Y-%m-%dT%H:%M:%SZ')
WORKERS=$workers
CLUSTER_NAME=$cluster_name
HTTP_PORT=$http_port
BRIDGE_PORT=$bridge_port
CLUSTER_PORT=$cluster_port
WORKER_CLUSTER_PORT=$worker_cluster_port
METRICS_PORT=$metrics_port
PROMETHEUS_PORT=$prometheus_port
EOF

  local interval="${SCRAPE_INTERVAL:-2s}" rules="$checkout/deploy/prometheus/alerts.yml"
  {
    echo "# written by $prog start: the local cluster's scrape targets"
    echo "global:"
    echo "  scrape_interval: $interval"
    echo "  evaluation_interval: $interval"
    if [ -f "$rules" ]; then
      echo "rule_files:"
      echo "  - $rules"
    fi
    echo "scrape_configs:"
    echo "  - job_name: bootfarm-coordinator"
    echo "    static_configs:"
    echo "      - targets: ['127.0.0.1:$http_port']"
    echo "  - job_name: bootfarm-worker"
    echo "    static_configs:"
    echo "      - targets:"
    for ((i = 1; i <= workers; i++)); do
      echo "          - '127.0.0.1:$((metrics_port + i - 1))'"
    done
    echo "  - job_name: prometheus"
    echo "    static_configs:"
    echo "      - targets: ['127.0.0.1:$prometheus_port']"
  } >"$state/prometheus.yml"
  if command -v promtool >/dev/null; then
    promtool check config "$state/prometheus.yml" >"$state/promtool.log" 2>&1 \
      || die "promtool rejects $state/prometheus.yml (with $rules): $(cat "$state/promtool.log")"
  fi

  # the farm CA and one member directory per process, made on the first start and kept (ADR 0031): every
  # node runs the event bus over mutual TLS with its own certificate
  if [ ! -f "$state/farm-ca/ca.key" ]; then
    "${launcher[@]}" ca init "$state/farm-ca" --farm-name "$cluster_name" >>"$state/ca.log" 2>&1 \
      || die "cannot make the farm CA in $state/farm-ca: $(cat "$state/ca.log")"
  fi
  issue_member coordinator coordinator
  for ((i = 1; i <= workers; i++)); do
    issue_member worker "local-worker-$i"
  done

  launch coordinator "http://127.0.0.1:$http_port/metrics" "${launcher[@]}" coordinator --data-dir "$state/coordinator" --repos "$repos" \
    "${keys_flag[@]}" --cluster-name "$cluster_name" --cluster-port "$cluster_port" \
    --member-dir "$state/members/coordinator" \
    --http-port "$http_port" --bridge-port "$bridge_port" "${coordinator_extra[@]}"
  write_worker_token || abort_start
  for ((i = 1; i <= workers; i++)); do
    launch "worker-$i" "http://127.0.0.1:$((metrics_port + i - 1))/metrics" "${launcher[@]}" worker --data-dir "$state/worker-$i" --cache-dir "$state/worker-$i/cache" \
      --member-dir "$state/members/local-worker-$i" \
      --worker-id "local-worker-$i" "${keys_flag[@]}" --cluster-name "$cluster_name" \
      --cluster-port "$((worker_cluster_port + i - 1))" --join "127.0.0.1:$cluster_port" \
      --metrics-host 127.0.0.1 --metrics-port "$((metrics_port + i - 1))" --token-file "$state/worker-token" \
      "${worker_flags[@]}"
  done
  mkdir -p "$state/prometheus/data"
  launch prometheus "http://127.0.0.1:$prometheus_port/-/ready" "$prometheus_bin" --config.file "$state/prometheus.yml" \
    --storage.tsdb.path "$state/prometheus/data" --storage.tsdb.retention.time 2d \
    --web.listen-address "127.0.0.1:$prometheus_port"

  local deadline=$(($(date +%s) + timeout))
  await_ready prometheus "http://127.0.0.1:$prometheus_port/-/ready" "$deadline" || abort_start
  await_ready coordinator "http://127.0.0.1:$http_port/metrics" "$deadline" || abort_start
  for ((i = 1; i <= workers; i++)); do
    await_ready "worker-$i" "http://127.0.0.1:$((metrics_port + i - 1))/metrics" "$deadline" || abort_start
  done
  echo "local bootfarm up: coordinator, $workers worker(s) and Prometheus (state in $state)"
  do_status
}

do_restart() {
  local name="$restart_name" command=() url
  [ -f "$state/$name.cmd" ] || die "$name was never started from $state (no $state/$name.cmd); see: $prog status --state $state"
  mapfile -d '' -t command <"$state/$name.cmd"
  url="$(cat "$state/$name.url")"
  stop_names "$name"
  launch "$name" "$url" "${command[@]}"
  await_ready "$name" "$url" "$(($(date +%s) + timeout))" || exit 1
  echo "restarted $name (pid $(pid_of "$name")): $url answers"
}

case "$command" in
  start) do_start ;;
  restart) do_restart ;;
  stop) stop_all; echo "local cluster in $state stopped" ;;
  status) do_status ;;
esac
