#!/usr/bin/env bash
# Measures fleet against the physical limit and against what operators use today, and writes
# BENCHMARKS.md. The job: GET then PUT the SIP profile of N projects over 20 spaces, against the
# simulator with 20 ms latency, 64 requests in flight, rate limit out of the way.
# The transports and the comparisons are each the median of ROUNDS runs (3), alternated.
#   bench/run.sh                       # N=10000 for the comparison, scaling at 1k/10k/100k/1M
#   N=2000 SCALES="1000 2000" ROUNDS=1 bench/run.sh   # a quicker run
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-10000}
ROUNDS=${ROUNDS:-3}
SCALES=${SCALES:-"1000 10000 100000 1000000"}
LATENCY_MS=20
CONCURRENCY=64
OUT=bench/out
rm -rf "$OUT" && mkdir -p "$OUT"

# What the peers need.
if ! command -v parallel >/dev/null || ! command -v curl >/dev/null || [ ! -x /usr/bin/time ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq parallel curl time
fi
python3 -c "import aiohttp" 2>/dev/null || pip install -q aiohttp

swift build -c release >/dev/null
FLEET="$(swift build -c release --show-bin-path)/fleet"

MAX=$N
for n in $SCALES; do [ "$n" -gt "$MAX" ] && MAX=$n; done
python3 bench/make_inventory.py "$MAX" "$OUT/all.csv"
subset() { head -n "$(( $1 + 1 ))" "$OUT/all.csv" > "$OUT/inventory-$1.csv"; echo "$OUT/inventory-$1.csv"; }

# simulator MODE [ACCOUNTS]: a fresh simulator (tls: HTTPS with HTTP/2 and HTTP/1.1 by ALPN;
# http1: HTTPS, HTTP/1.1 only; plain: HTTP) for ACCOUNTS (the whole inventory without); sets
# API_BASE, CA and SIMULATOR.
simulator() {
  local mode=$1 accounts=${2:-$OUT/all.csv} flags=()
  case $mode in tls) flags=(--tls --ca-out "$OUT/ca.pem");; http1) flags=(--tls --http1-only --ca-out "$OUT/ca.pem");; esac
  SIMULATOR_LOG="$OUT/simulator-$mode.log"
  "$FLEET" simulate --port 0 --accounts "$accounts" --latency "$LATENCY_MS" "${flags[@]}" > "$SIMULATOR_LOG" 2>&1 &
  SIMULATOR=$!
  # (1,000,000 accounts take a while to load)
  for _ in $(seq 1200); do grep -q "use: --api-base" "$SIMULATOR_LOG" && break; sleep 0.1; done
  API_BASE=$(sed -n "s/^use: --api-base '\([^']*\)'.*/\1/p" "$SIMULATOR_LOG")
  CA=""; [ "$mode" = plain ] || CA="$OUT/ca.pem"
}
# stop_simulator: stops it; sets SERVED to what it says it served (requests, protocols, connections).
stop_simulator() {
  kill -INT "$SIMULATOR"; wait "$SIMULATOR" 2>/dev/null || true
  SERVED=$(sed -n 's/^fleet: simulator stopped after //p' "$SIMULATOR_LOG")
}
trap 'kill $SIMULATOR 2>/dev/null || true' EXIT
cat > "$OUT/template.json" <<'JSON'
{"default_encryption": "required", "default_codecs": ["OPUS", "G722", "PCMU"], "default_ciphers": ["AEAD_AES_256_GCM_8"]}
JSON

# measure NAME COMMAND…: sets WALL, CPU (user + sys, s) and RSS (MB) from GNU time.
measure() {
  local name=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o "$OUT/time-$name.txt" "$@" > "$OUT/$name.out" 2> "$OUT/$name.err" || {
    echo "$name failed; see $OUT/$name.err" >&2; tail -5 "$OUT/$name.err" >&2; exit 1; }
  read -r WALL USER SYS RSS_KB < <(tail -1 "$OUT/time-$name.txt")
  CPU=$(python3 -c "print(round($USER + $SYS, 2))")
  RSS=$(( RSS_KB / 1024 ))
}

# simulator_cpu: the simulator's CPU time so far (user + sys, s), from /proc.
simulator_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$SIMULATOR/stat"; }

fleet_rollout() {  # fleet_rollout N: a fresh database with N projects, then the timed rollout; sets SIM_CPU too
  local n=$1 db="$OUT/fleet-$1.db" before
  rm -f "$db"*
  "$FLEET" import "$(subset "$n")" --db "$db" > /dev/null
  timed_rollout "$n"
}
timed_rollout() {  # timed_rollout N: the timed rollout of the database fleet-N.db; sets SIM_CPU too
  local n=$1 db="$OUT/fleet-$1.db" before
  local trust=(); [ -n "$CA" ] && trust=(--ca-file "$CA")
  before=$(simulator_cpu)
  measure "fleet-$n" "$FLEET" rollout "$OUT/template.json" --db "$db" --api-base "$API_BASE" "${trust[@]}" \
    --concurrency "$CONCURRENCY" --rate 100000 --force --yes --quiet
  SIM_CPU=$(python3 -c "print(round($(simulator_cpu) - $before, 2))")
}

# series NAME: adds the last measurement to NAME's runs; median NAME: sets WALL, CPU, RSS and
# SIM_CPU, each the median of NAME's runs.
series() { echo "$WALL $CPU $RSS ${SIM_CPU:-0}" >> "$OUT/series-$1"; }
median() {
  read -r WALL CPU RSS SIM_CPU < <(python3 -c "
import statistics, sys
rows = [[float(x) for x in line.split()] for line in open(sys.argv[1])]
print(*[round(statistics.median(column), 3) for column in zip(*rows)])" "$OUT/series-$1")
  RSS=${RSS%.*}
}

ideal() { python3 -c "print(round($1 * 2 * $LATENCY_MS / 1000 / $CONCURRENCY, 2))"; }
row() {  # row NAME N: a table row from the last measurement
  local ideal; ideal=$(ideal "$2")
  python3 -c "
wall, cpu, n, ideal = $WALL, $CPU, $2, $ideal
print(f'| $1 | {wall:.2f} s | {cpu:.2f} s | $RSS MB | {2 * n / wall:,.0f} | {wall / ideal:.2f}× |')"
}

echo "TLS and HTTP/2, TLS and HTTP/1.1, plain HTTP at N=$N…" >&2
TLS_ROWS=""
# fleet's own transport, then async-http-client (FLEET_TRANSPORT), over HTTPS and plain HTTP;
# the simulator offers HTTP/2 and HTTP/1.1 by ALPN (http1: HTTP/1.1 only), and both clients
# take HTTP/2 when it is offered.
for run in "tls fleet" "http1 fleet" "tls async-http-client" "plain fleet" "plain async-http-client"; do
  read -r mode transport <<< "$run"
  for _ in $(seq "$ROUNDS"); do
    simulator "$mode" "$(subset "$N")"
    FLEET_TRANSPORT=$transport fleet_rollout "$N"
    stop_simulator
    series "$mode-$transport"
  done
  median "$mode-$transport"
  case $run in
    "tls fleet") what="fleet transport, HTTPS (HTTP/2 by ALPN)";;
    "http1 fleet") what="fleet transport, HTTPS, HTTP/1.1 (\`simulate --http1-only\`)";;
    "tls async-http-client") what="async-http-client, HTTPS (HTTP/2 by ALPN)";;
    "plain fleet") what="fleet transport, plain HTTP/1.1";;
    *) what="async-http-client, plain HTTP/1.1";;
  esac
  TLS_ROWS+=$(python3 -c "
wall, cpu, n, ideal = $WALL, $CPU, $N, $(ideal "$N")
print(f'| $what | {wall:.2f} s | {wall / ideal:.2f}× | {cpu * 1000 / n:.3f} ms | $RSS MB | $SIM_CPU s | $SERVED |')")$'\n'
done

INVENTORY=$(subset "$N")
# compare MODE: fleet and aiohttp, ROUNDS runs each, alternated, against one simulator.
compare() {
  simulator "$1" "$INVENTORY"
  local trust=(); [ -n "$CA" ] && trust=(SSL_CERT_FILE="$CA")
  for _ in $(seq "$ROUNDS"); do
    fleet_rollout "$N"; series "fleet-$1"
    SIM_CPU=0
    measure "aiohttp-$1-$N" env "${trust[@]}" python3 bench/peer_aiohttp.py "$INVENTORY" "$API_BASE" "$CONCURRENCY"
    series "aiohttp-$1"
  done
}
echo "comparison at N=$N over TLS (ideal $(ideal "$N") s)…" >&2
compare tls
median fleet-tls; FLEET_ROW=$(row "fleet rollout" "$N"); FLEET_WALL=$WALL
median aiohttp-tls; AIOHTTP_ROW=$(row "Python asyncio + aiohttp" "$N"); AIOHTTP_WALL=$WALL
measure "curl-$N" bash -c "tail -n +2 '$INVENTORY' | parallel -j$CONCURRENCY --colsep , CURL_CA_BUNDLE='$CA' bench/peer_curl.sh '$API_BASE' {1} {2} {3}"
CURL_ROW=$(row "GNU parallel -j$CONCURRENCY + curl" "$N")
stop_simulator

echo "comparison at N=$N over plain HTTP…" >&2
compare plain
median fleet-plain; FLEET_PLAIN_ROW=$(row "fleet rollout" "$N"); FLEET_PLAIN_WALL=$WALL
median aiohttp-plain; AIOHTTP_PLAIN_ROW=$(row "Python asyncio + aiohttp" "$N"); AIOHTTP_PLAIN_WALL=$WALL
stop_simulator
RATIOS=$(python3 -c "print(f'fleet / aiohttp wall: {$FLEET_WALL / $AIOHTTP_WALL:.2f}× over HTTPS, {$FLEET_PLAIN_WALL / $AIOHTTP_PLAIN_WALL:.2f}× over plain HTTP (medians of $ROUNDS alternated runs).')")

# At each N: import, a dry run (plan), the rollout, status and status --json, each with its peak RSS.
simulator tls
SCALE_ROWS=""; REPORT_ROWS=""
for n in $SCALES; do
  echo "fleet at N=$n…" >&2
  db="$OUT/fleet-$n.db"; rm -f "$db"*
  trust=(); [ -n "$CA" ] && trust=(--ca-file "$CA")
  measure "import-$n" "$FLEET" import "$(subset "$n")" --db "$db"; IMPORT="$WALL s, $RSS MB"
  measure "plan-$n" "$FLEET" plan "$OUT/template.json" --db "$db" --api-base "$API_BASE" "${trust[@]}" \
    --concurrency "$CONCURRENCY" --rate 100000
  PLAN="$WALL s, $RSS MB"
  timed_rollout "$n"
  SCALE_ROWS+=$(python3 -c "
wall, cpu, n, ideal = $WALL, $CPU, $n, $(ideal "$n")
print(f'| {n:,} | {wall:.2f} s | {wall / ideal:.2f}× | {cpu * 1000 / n:.3f} ms | $RSS MB |')")$'\n'
  echo "N=$n: rollout $WALL s, CPU $(python3 -c "print(f'{$CPU * 1000 / $n:.3f}')") ms a project, peak RSS $RSS MB" >&2
  measure "status-$n" "$FLEET" status --db "$db"; STATUS="$WALL s, $RSS MB"
  measure "status-json-$n" "$FLEET" status --json --db "$db"; STATUS_JSON="$WALL s, $RSS MB"
  REPORT_ROWS+="| $(python3 -c "print(f'{$n:,}')") | $IMPORT | $PLAN | $STATUS | $STATUS_JSON |"$'\n'
  [ "$n" = "$MAX" ] || rm -f "$db"*
done
stop_simulator

CPU_MODEL=$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)
cat > BENCHMARKS.md <<MD
# Benchmarks

Measured $(date -u +"%Y-%m-%d %H:%M UTC") on $(nproc) cores ($CPU_MODEL), $(free -g | awk '/Mem:/ {print $2}') GiB,
$(uname -sr), $(swift --version 2>&1 | head -1). Reproduce with \`bench/run.sh\` (it installs GNU
parallel, curl and aiohttp if missing, builds release, and rewrites this file).

The job: for each of N projects over 20 spaces, GET then PUT its SIP profile (\`--force\`), 64
requests in flight, rate limit out of the way, against \`fleet simulate --tls --latency $LATENCY_MS\` (HTTPS, as
production is; the peers trust its authority too) on the same machine (the simulator's CPU competes with the client's on the same $(nproc) cores). The ideal wall
time is N × 2 requests × $LATENCY_MS ms / $CONCURRENCY. Wall, CPU (user + sys) and peak RSS come from GNU time;
for GNU parallel the CPU includes every curl, and the peak RSS is that of its largest process.
Each transport's figures and each comparison's (fleet and aiohttp) are the medians of $ROUNDS runs,
alternated (this machine drifts 5 to 10% from one minute to the next); curl runs once.

## The transport: fleet's own against async-http-client (N = $N, ideal $(ideal "$N") s)

| transport | wall | wall / ideal | CPU per project | peak RSS | simulator CPU | the simulator served |
| --- | --- | --- | --- | --- | --- | --- |
$TLS_ROWS
The simulator's CPU is its own during fleet's run: it shares the two cores with fleet, where in
production the server is elsewhere. On loopback every space shares 127.0.0.1, so each client
treats all 20 spaces as one host: over HTTP/2 one connection carrying up to 64 streams (fleet:
frames kept by \`HTTP2StreamsHandler\`, no channel per stream; async-http-client: a child
channel per stream); over HTTP/1.1 up to 64 connections, each kept for the next request. In
production each space is its own host. In the comparison with the peers below, over HTTPS,
fleet and curl speak HTTP/2 (curl a new connection per call) and aiohttp HTTP/1.1 (all it offers).

## fleet and its peers at N = $N over HTTPS (ideal $(ideal "$N") s)

| tool | wall | CPU | peak RSS | requests/s | wall / ideal |
| --- | --- | --- | --- | --- | --- |
$FLEET_ROW
$CURL_ROW
$AIOHTTP_ROW

Over plain HTTP (\`fleet simulate --latency $LATENCY_MS\`, no TLS):

| tool | wall | CPU | peak RSS | requests/s | wall / ideal |
| --- | --- | --- | --- | --- | --- |
$FLEET_PLAIN_ROW
$AIOHTTP_PLAIN_ROW

$RATIOS

fleet also records every attempt, the profile before and after, and each task's state in SQLite;
the peers record nothing.

## fleet at scale

| N | wall | wall / ideal | CPU per project | peak RSS |
| --- | --- | --- | --- | --- |
$SCALE_ROWS
Over HTTPS, against one simulator holding all the accounts of the largest N (its own work per
request grows with them: the 10,000 row is slower than the comparison's). The peak RSS of a
rollout stays flat in N: a run reads its tasks from the database a window at a time.

## Inventory, dry run and reports at scale (wall, peak RSS)

| N | \`fleet import\` | \`fleet plan\` (GET only) | \`fleet status\` | \`fleet status --json\` |
| --- | --- | --- | --- | --- |
$REPORT_ROWS
MD
# The analysis of the goals (bench/profile.md) is written by hand from a profile; it follows the tables.
cat bench/profile.md >> BENCHMARKS.md
cat BENCHMARKS.md
