#!/usr/bin/env bash
# See oomwatch catch a kernel OOM kill on this machine.
#
# Starts a disposable redis-server in a memory cgroup limited to 256 MiB (v1 or v2), runs
# `bin/oomwatch local` against it, fills Redis to about two thirds of the limit, then forks it
# (BGSAVE) under a write load until the kernel's OOM killer takes it; restarts it once, as a
# supervisor would. The alerts print as they fire. Needs root, redis-server and redis-benchmark
# (Debian: apt-get install redis-server). Removes everything it made when it ends.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PORT="${PORT:-6411}"
KAFKA_PORT="${KAFKA_PORT:-19099}"
LIMIT_MB="${LIMIT_MB:-256}"
NAME="oomwatch-demo-$$"
WORK="$(mktemp -d /tmp/oomwatch-demo.XXXXXX)"

[[ $EUID -eq 0 ]] || { echo "run as root: creating a memory cgroup needs it" >&2; exit 1; }
command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null \
  || { echo "needs redis-server and redis-benchmark (apt-get install redis-server)" >&2; exit 1; }

if [[ -d /sys/fs/cgroup/memory ]]; then
  CG="/sys/fs/cgroup/memory/$NAME"; mkdir -p "$CG"
  echo $((LIMIT_MB * 1024 * 1024)) > "$CG/memory.limit_in_bytes"
else
  CG="/sys/fs/cgroup/$NAME"; mkdir -p "$CG"
  echo $((LIMIT_MB * 1024 * 1024)) > "$CG/memory.max"
fi

pids=()
cleanup() {
  set +e
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  pkill -f "oomwatch.cli.Oomwatch local --redis redis://127.0.0.1:$PORT" 2>/dev/null
  pkill -f "redis-benchmark -p $PORT" 2>/dev/null
  pkill -f "redis-server.*:$PORT" 2>/dev/null
  sleep 2
  rmdir "$CG" 2>/dev/null
  echo "(work files in $WORK)"
}
trap cleanup EXIT

start_redis() {
  sh -c "echo \$\$ > '$CG/cgroup.procs' && exec redis-server --port $PORT --bind 127.0.0.1 --dir '$WORK' \
    --save '3600 1' --appendonly no --logfile '$WORK/redis.log'" > /dev/null 2>&1 &
  server=""
  for _ in $(seq 1 50); do
    server=$(pgrep -f "redis-server 127.0.0.1:$PORT" | head -1 || true)
    [[ -n "$server" ]] && redis-cli -p "$PORT" ping > /dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "redis-server did not start; see $WORK/redis.log" >&2
  exit 1
}

echo "== a redis-server in memory cgroup $CG, limit $LIMIT_MB MiB"
start_redis
echo "   pid $server on port $PORT"

echo "== bin/oomwatch local --redis redis://127.0.0.1:$PORT#demo (broker on $KAFKA_PORT, log in $WORK/oomwatch.log)"
"$ROOT/bin/oomwatch" local --redis "redis://127.0.0.1:$PORT#demo" --data "$WORK/data" --port "$KAFKA_PORT" \
  2> "$WORK/oomwatch.log" | sed -u 's/^/   ALERT /' &
pids+=($!)
for _ in $(seq 1 120); do grep -q "oomwatch is running" "$WORK/oomwatch.log" 2>/dev/null && break; sleep 1; done

echo "== filling Redis to about two thirds of the limit"
redis-benchmark -p "$PORT" -t set -r 150000 -n 450000 -d 1000 -c 20 -P 20 -q > /dev/null
sleep 8

echo "== BGSAVE under writes until the kernel kills redis-server"
redis-benchmark -p "$PORT" -t set -r 150000 -n 100000000 -d 1000 -c 2 -q > /dev/null 2>&1 &
pids+=($!)
for _ in $(seq 1 300); do
  kill -0 "$server" 2>/dev/null || break
  redis-cli -p "$PORT" bgsave > /dev/null 2>&1 || true
  sleep 0.3
done
if kill -0 "$server" 2>/dev/null; then echo "no kill within 90 s: try a smaller LIMIT_MB"; exit 1; fi
echo "== the kernel said:"
dmesg 2>/dev/null | grep -E "Killed process $server " | tail -1 | sed 's/^/   /' || true
pkill -f "redis-benchmark -p $PORT" 2>/dev/null || true

sleep 1
echo "== restarting redis-server, as a supervisor would"
start_redis
echo "   pid $server"
sleep 10
echo "== done"
