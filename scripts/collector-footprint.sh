#!/usr/bin/env bash
# Measures the collector's footprint as deployed: bin/oomwatch collector sampling N real
# redis-servers at 1 Hz, RSS from /proc/PID/status and CPU from /proc/PID/stat over DURATION
# seconds after a warm-up. Also measures what one sample costs each Redis server (INFO and
# CLIENT LIST, from Redis's own INFO commandstats) with 10 and 10,000 connected clients.
#   scripts/collector-footprint.sh [INSTANCES=4] [DURATION=300]
# Env: KPORT, BASE (ports, to run several at once), CLIENTS=0 skips the 10,000-client measurement,
# DISCOVER=1 has the collector find the servers itself (no URIs: discovery, as in a DaemonSet),
# METRICS=0 turns its /metrics off, SCRAPE=S scrapes /metrics every S seconds (as Prometheus would).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
N="${1:-4}"; DURATION="${2:-300}"; WARMUP=30
KPORT="${KPORT:-19191}"; BASE="${BASE:-6500}"; MPORT="${MPORT:-19471}"
WORK="$(mktemp -d /tmp/oomwatch-footprint.XXXXXX)"
# 10,000 clients need file descriptors in redis-server and in the helper that opens them.
ulimit -n 20000
pids=()
# The logs stay in $WORK for a look afterwards; the broker's data (up to ~100 MB) goes.
cleanup() { set +e; for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; for i in $(seq 1 "$N"); do redis-cli -p $((BASE+i)) shutdown nosave >/dev/null 2>&1; done; wait 2>/dev/null; rm -rf "$WORK/data"; }
trap cleanup EXIT

uris=()
for i in $(seq 1 "$N"); do
  redis-server --port $((BASE+i)) --save "" --maxclients 10100 --daemonize yes --logfile "$WORK/redis-$i.log" --dir "$WORK" >/dev/null
  uris+=(--redis "redis://127.0.0.1:$((BASE+i))")
done
# the broker and app only: their own collector would sample (discover) the same servers
"$ROOT/bin/oomwatch" local --port $KPORT --data "$WORK/data" --set http.port=0 --set redis.discover=false \
  --set kernel.enabled=false --set metrics.enabled=false --no-archive >/dev/null 2>"$WORK/broker.log" &
pids+=($!)
for _ in $(seq 1 120); do grep -q "oomwatch is running" "$WORK/broker.log" 2>/dev/null && break; sleep 1; done

[[ "${DISCOVER:-0}" == "1" ]] && uris=()
"$ROOT/bin/oomwatch" collector --bootstrap 127.0.0.1:$KPORT --host-id footprint ${uris[@]+"${uris[@]}"} \
  --set collector.metrics.port="$MPORT" --set metrics.enabled="$([[ "${METRICS:-1}" == "0" ]] && echo false || echo true)" \
  2>"$WORK/collector.log" &
launcher=$!; pids+=($launcher)
if [[ "${SCRAPE:-0}" != "0" ]]; then
  ( while sleep "$SCRAPE"; do curl -s -o /dev/null "http://127.0.0.1:$MPORT/metrics"; done ) &
  pids+=($!)
fi
sleep "$WARMUP"
cpid=$launcher  # bin/oomwatch execs the JVM: the launcher is the collector
ticks=$(getconf CLK_TCK)
cpu() { awk '{print $14+$15}' "/proc/$cpid/stat"; }
c0=$(cpu); t0=$(date +%s.%N); maxrss=0
while (( $(echo "$(date +%s.%N) - $t0 < $DURATION" | bc) )); do
  rss=$(awk '/VmRSS/{print $2}' "/proc/$cpid/status"); (( rss > maxrss )) && maxrss=$rss
  sleep 5
done
c1=$(cpu); t1=$(date +%s.%N)
rss=$(awk '/VmRSS/{print $2}' "/proc/$cpid/status")
pct=$(echo "scale=3; ($c1-$c0)/$ticks*100/($t1-$t0)" | bc)
echo "collector: $N instances at 1 Hz for ${DURATION}s: RSS now $((rss/1024)) MB, max $((maxrss/1024)) MB; CPU ${pct}% of one core"

[[ "${CLIENTS:-1}" == "0" ]] && exit 0

cost() { # port window-seconds -> per-call cost of INFO and CLIENT LIST and the share of Redis's main thread they took
  local stats; stats=$(redis-cli -p "$1" info commandstats)
  local i_us c_us i_n c_n
  i_us=$(echo "$stats" | grep -oP 'cmdstat_info:.*?usec=\K[0-9]+' || echo 0)
  c_us=$(echo "$stats" | grep -oP 'cmdstat_client\|list:.*?usec=\K[0-9]+' || echo 0)
  i_n=$(echo "$stats" | grep -oP 'cmdstat_info:calls=\K[0-9]+' || echo 0)
  c_n=$(echo "$stats" | grep -oP 'cmdstat_client\|list:calls=\K[0-9]+' || echo 0)
  echo "INFO $(echo "$stats" | grep -oP 'cmdstat_info:.*?usec_per_call=\K[0-9.]+') us x $i_n calls," \
    "CLIENT LIST $(echo "$stats" | grep -oP 'cmdstat_client\|list:.*?usec_per_call=\K[0-9.]+' || echo -) us x $c_n calls" \
    "in $2 s: $(echo "scale=3; ($i_us+$c_us)/10000/$2" | bc)% of Redis's main thread"
}
p1=$((BASE+1))
redis-cli -p $p1 config resetstat >/dev/null; sleep 10
echo "sample cost on the server with ~10 clients: $(cost $p1 10)"
python3 - "$p1" <<'PY' &
import socket, sys, time
conns = []
for _ in range(10000):
    conns.append(socket.create_connection(("127.0.0.1", int(sys.argv[1]))))
time.sleep(75)
PY
pids+=($!)
sleep 20
# 45 s: CLIENT LIST is read every redis.client.list.slow.interval (15 s) above 1,000 clients
redis-cli -p $p1 config resetstat >/dev/null; sleep 45
echo "sample cost on the server with $(redis-cli -p $p1 info clients | grep -oP 'connected_clients:\K[0-9]+') clients: $(cost $p1 45)"
