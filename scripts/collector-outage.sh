#!/usr/bin/env bash
# The collector through a broker outage: bin/oomwatch collector samples N real redis-servers at
# 1 Hz while the broker (bin/oomwatch local) is stopped for OUTAGE seconds, then started again on
# its data. Reports the collector's buffer and RSS during the outage, how long the backlog took to
# drain, and checks the topics against what the collector says it took: every sample on the topic
# once, in the order taken per instance, none lost (or, past the buffer, the oldest dropped and
# counted, and said once in the log).
#   scripts/collector-outage.sh [INSTANCES=4] [OUTAGE_SECONDS=600]
# Env: BUFFER=records sets publish.buffer.records (default: 10 minutes of samples) to see what
# happens past the buffer; KPORT, BASE, MPORT move the ports.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
N="${1:-4}"; OUTAGE="${2:-600}"
KPORT="${KPORT:-19291}"; BASE="${BASE:-6600}"; MPORT="${MPORT:-19571}"
WORK="$(mktemp -d /tmp/oomwatch-outage.XXXXXX)"
pids=()
cleanup() { set +e; for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; for i in $(seq 1 "$N"); do redis-cli -p $((BASE+i)) shutdown nosave >/dev/null 2>&1; done; wait 2>/dev/null; rm -rf "$WORK/data"; }
trap cleanup EXIT

uris=()
for i in $(seq 1 "$N"); do
  redis-server --port $((BASE+i)) --save "" --daemonize yes --logfile "$WORK/redis-$i.log" --dir "$WORK" >/dev/null
  uris+=(--redis "redis://127.0.0.1:$((BASE+i))#outage-$i")
done

broker=
start_broker() {
  local before now; before=$(grep -c "oomwatch is running" "$WORK/broker.log" 2>/dev/null || true)
  "$ROOT/bin/oomwatch" local --port "$KPORT" --data "$WORK/data" --set http.port=0 --set redis.discover=false \
    --set kernel.enabled=false --set metrics.enabled=false --no-archive >/dev/null 2>>"$WORK/broker.log" &
  broker=$!; pids+=($broker)
  until (echo > "/dev/tcp/127.0.0.1/$KPORT") 2>/dev/null; do sleep 0.2; done
  listening_at=$(date +%s.%N)
  for _ in $(seq 1 180); do
    now=$(grep -c "oomwatch is running" "$WORK/broker.log" 2>/dev/null || true)
    (( ${now:-0} > ${before:-0} )) && return 0
    sleep 1
  done
  echo "the broker did not start; see $WORK/broker.log" >&2; exit 1
}
metric() { curl -s "http://127.0.0.1:$MPORT/metrics" | awk -v m="$1" '$1 ~ "^"m"(\\{|$)" {s+=$2} END {printf "%d", s}'; }

start_broker
"$ROOT/bin/oomwatch" collector --bootstrap "127.0.0.1:$KPORT" --host-id outage "${uris[@]}" \
  --set collector.metrics.port="$MPORT" ${BUFFER:+--set publish.buffer.records=$BUFFER} 2>"$WORK/collector.log" &
collector=$!; pids+=($collector)
sleep 30
rss() { awk '/VmRSS/{print $2}' "/proc/$collector/status"; }
rss_before=$(rss)

kill "$broker"; wait "$broker" 2>/dev/null || true
stopped_at=$(date +%s.%N)
echo "broker stopped for ${OUTAGE}s"
t0=$(date +%s); max_records=0; max_bytes=0; max_rss=0
while (( $(date +%s) - t0 < OUTAGE )); do
  r=$(metric oomwatch_collector_buffer_records); b=$(metric oomwatch_collector_buffer_bytes); m=$(rss)
  (( r > max_records )) && max_records=$r; (( b > max_bytes )) && max_bytes=$b; (( m > max_rss )) && max_rss=$m
  sleep 5
done
start_broker
t1=$(date +%s.%N)
while (( $(metric oomwatch_collector_buffer_records) > 0 )); do sleep 0.5; done
drain=$(echo "$(date +%s.%N) - $t1" | bc)
sleep 5
kill "$collector"; wait "$collector" 2>/dev/null || true   # it stops sampling and sends what it holds
stats=$(grep -o "collector stopped: {.*}" "$WORK/collector.log" | tail -1)
num() { echo "$stats" | grep -oP "$1=\K[0-9]+"; }
taken_redis=$(( $(num redisSamples) + $(num redisUnreachable) )); taken_host=$(num hostSamples); dropped=$(num dropped)

"$ROOT/bin/oomwatch" tail redis-samples --bootstrap "127.0.0.1:$KPORT" --from-beginning --timeout 15s 2>/dev/null \
  | jq -r 'select(.host == "outage") | [.instance, .timestampMs] | @tsv' > "$WORK/redis-samples.tsv"
on_topic=$(wc -l < "$WORK/redis-samples.tsv")
dups=$(sort "$WORK/redis-samples.tsv" | uniq -d | wc -l)
disorder=$(awk -F'\t' '{ if (($1 in last) && $2 <= last[$1]) bad++; last[$1] = $2 } END { print bad + 0 }' "$WORK/redis-samples.tsv")
host_on_topic=$("$ROOT/bin/oomwatch" tail host-samples --bootstrap "127.0.0.1:$KPORT" --from-beginning --timeout 15s \
  2>/dev/null | jq -r 'select(.host == "outage") | .timestampMs' | wc -l)
said=$(grep -c "publish buffer is full" "$WORK/collector.log" || true)
lost=$(( taken_redis + taken_host - on_topic - host_on_topic - dropped ))

away=$(echo "$listening_at - $stopped_at" | bc)
echo "outage ${OUTAGE}s (the broker listened again after ${away}s), $N instances at 1 Hz: buffer max $max_records records, $((max_bytes / 1024)) KB; collector RSS $((rss_before / 1024)) MB before, max $((max_rss / 1024)) MB during"
echo "after the broker came back: the buffer drained in ${drain}s"
echo "samples taken: $taken_redis Redis + $taken_host host; on the topics: $on_topic + $host_on_topic; dropped (buffer full): $dropped; lost: $lost; Redis samples duplicated: $dups, out of order: $disorder"
echo "'publish buffer is full' said $said time(s) in the collector's log"
