#!/usr/bin/env bash
# The adaptive rate against a SignalWire-like write limit: 4 spaces × 250 projects, the simulator
# allowing 200 PUTs per 10 s per space (20/s, so the ideal is 250 / 20 = 12.5 s), 20 ms latency,
# 32 requests in flight, every project written (--force). Prints a Markdown table: wall time
# against the ideal, the share of requests answered 429, projects failed.
#   bench/adaptive.sh        FLEET=/path/to/fleet bench/adaptive.sh   (skips the build)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=bench/out/adaptive
rm -rf "$OUT" && mkdir -p "$OUT"
if [ -z "${FLEET:-}" ]; then swift build -c release >/dev/null; FLEET="$(swift build -c release --show-bin-path)/fleet"; fi
python3 -c "import aiohttp" 2>/dev/null || pip install -q aiohttp
python3 bench/make_inventory.py 1000 "$OUT/inventory.csv" 4
cat > "$OUT/template.json" <<'JSON'
{"default_encryption": "required", "default_codecs": ["OPUS", "G722", "PCMU"], "default_ciphers": ["AEAD_AES_256_GCM_8"]}
JSON
IDEAL=12.5

# simulator NAME [FLAGS…]: a fresh simulator with the write limit; sets API and SIMULATOR.
simulator() {
  local name=$1; shift
  "$FLEET" simulate --port 0 --accounts "$OUT/inventory.csv" --latency 20 --write-limit 200/10 "$@" \
    --log "$OUT/$name.jsonl" > "$OUT/$name.simulator" 2>&1 &
  SIMULATOR=$!
  for _ in $(seq 100); do grep -q "use: --api-base" "$OUT/$name.simulator" && break; sleep 0.1; done
  local port; port=$(sed -n 's/.* on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$OUT/$name.simulator" | head -1)
  API="http://127.0.0.1:$port/{space}/api/relay/rest"
}

# row ID LABEL WALL FAILED: a table row from the simulator's log of the case.
row() {
  python3 - "$OUT/$1.jsonl" "$2" "$3" "$4" "$IDEAL" <<'PY'
import json, sys
path, name, wall, failed, ideal = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4], float(sys.argv[5])
statuses = [json.loads(line)["status"] for line in open(path)]
throttled = statuses.count(429)
print(f"| {name} | {wall:.2f} s | {wall / ideal:.2f}× | {len(statuses):,} | {throttled:,} ({100 * throttled / len(statuses):.1f}%) | {failed} |")
PY
}

fleet_case() {  # fleet_case ID LABEL RATE [SIMULATOR FLAGS…]
  local name=$1 label=$2 rate=$3; shift 3
  simulator "$name" "$@"
  rm -f "$OUT/$name.db"*
  "$FLEET" import "$OUT/inventory.csv" --db "$OUT/$name.db" > /dev/null
  local started finished
  started=$(date +%s.%N)
  "$FLEET" rollout "$OUT/template.json" --db "$OUT/$name.db" --api-base "$API" --concurrency 32 --rate "$rate" \
    --force --yes --quiet > "$OUT/$name.out" 2>&1 || true
  finished=$(date +%s.%N)
  kill "$SIMULATOR"; wait "$SIMULATOR" 2>/dev/null || true
  local failed
  failed=$("$FLEET" status --json --db "$OUT/$name.db" | python3 -c "import json,sys; c=json.load(sys.stdin)['counts']; print(c['total'] - c['succeeded'] - c['unchanged'])")
  row "$name" "$label" "$(python3 -c "print($finished - $started)")" "$failed"
}

echo "| case | wall | wall / ideal ($IDEAL s) | requests | answered 429 | projects failed |"
echo "| --- | --- | --- | --- | --- | --- |"
fleet_case a1 "(a) fleet --rate 1000, Retry-After sent" 1000
fleet_case a2 "(a) fleet --rate 1000, no Retry-After" 1000 --no-retry-after
fleet_case b1 "(b) fleet --rate 20 (the write limit)" 20
fleet_case b2 "(b) fleet --rate 40 (a GET and a PUT per write)" 40
simulator c
started=$(date +%s.%N)
(cd bench && python3 peer_aiohttp_retry.py "../$OUT/inventory.csv" "$API" 32) > "$OUT/aiohttp.out"
finished=$(date +%s.%N)
kill "$SIMULATOR"; wait "$SIMULATOR" 2>/dev/null || true
row c "(c) aiohttp, 429 retried after Retry-After" "$(python3 -c "print($finished - $started)")" "$(cut -d' ' -f1 "$OUT/aiohttp.out")"
