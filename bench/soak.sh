#!/usr/bin/env bash
# Soak: N projects (default 3000) against ~30% mixed faults (500, dropped connections, 429,
# each project's first request 503, answers slower than the timeout), with K kill -9 (default
# 20) at random moments, each followed by `fleet retry` (itself killed, but for the last).
# Then: every task final exactly once, no project written again after fleet recorded its
# write (by the PUT's answer, or by the read that confirmed a PUT whose answer was lost), every
# profile right (a plan finds nothing to change), `fleet verify` covering every project with
# none drifted, PRAGMA integrity_check ok. DROP_WRITES=P also resets the connection after a
# share P of the applied PUTs (the write landed, its answer never came). TLS=1 serves HTTPS, so
# fleet speaks HTTP/2 on one connection, where a dropped connection fails every stream on it.
# FLEET=PATH uses that binary instead of building the release one.
#   bench/soak.sh     N=500 KILLS=5 bench/soak.sh     DROP_WRITES=0.3 bench/soak.sh     TLS=1 bench/soak.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-3000}
KILLS=${KILLS:-20}
SEED=${SEED:-7}
DROP_WRITES=${DROP_WRITES:-0}
TLS=${TLS:-0}
OUT=bench/out/soak
rm -rf "$OUT" && mkdir -p "$OUT"
if [ -z "${FLEET:-}" ]; then
  swift build -c release >/dev/null
  FLEET="$(swift build -c release --show-bin-path)/fleet"
fi

python3 bench/make_inventory.py "$N" "$OUT/inventory.csv"
cat > "$OUT/template.json" <<'JSON'
{"default_encryption": "required", "default_codecs": ["OPUS", "G722", "PCMU"], "default_ciphers": ["AEAD_AES_256_GCM_8"]}
JSON
SERVE=(); TRUST=()
if [ "$TLS" = 1 ]; then SERVE=(--tls --ca-out "$OUT/ca.pem"); TRUST=(--ca-file "$OUT/ca.pem"); fi
"$FLEET" simulate --port 0 --accounts "$OUT/inventory.csv" --latency 5 --fail-rate 0.08 --drop-rate 0.05 --rate-limit 60 \
  --fail-first 1 --slow-rate 0.03 --slow-delay 3 --drop-write-rate "$DROP_WRITES" --seed "$SEED" --log "$OUT/simulator.jsonl" \
  "${SERVE[@]}" > "$OUT/simulator.out" 2>&1 &
SIMULATOR=$!
trap 'kill $SIMULATOR 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q "use: --api-base" "$OUT/simulator.out" && break; sleep 0.1; done
API=$(sed -n "s/^use: --api-base '\([^']*\)'.*/\1/p" "$OUT/simulator.out")
DB="$OUT/fleet.db"
"$FLEET" import "$OUT/inventory.csv" --db "$DB" > /dev/null
OPTIONS=(--db "$DB" --api-base "$API" "${TRUST[@]}" --concurrency 64 --timeout 2 --max-attempts 10 --yes --quiet)

started=$(date +%s.%N)
python3 - "$SEED" "$KILLS" > "$OUT/delays" <<'PY'
import random, sys
rng = random.Random(int(sys.argv[1]))
print(" ".join(f"{rng.uniform(0.2, 1.5):.2f}" for _ in range(int(sys.argv[2]))))
PY
read -r -a DELAYS < "$OUT/delays"
command=(rollout "$OUT/template.json")
for delay in "${DELAYS[@]}"; do
  "$FLEET" "${command[@]}" "${OPTIONS[@]}" > /dev/null 2>&1 &
  pid=$!
  sleep "$delay"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  command=(retry)
done
"$FLEET" retry "${OPTIONS[@]}" > "$OUT/last-retry.out" 2>&1 || true
# A last retry for what the faults left failed (max attempts exhausted), as an operator would.
"$FLEET" retry "${OPTIONS[@]}" > "$OUT/final-retry.out" 2>&1 || true
finished=$(date +%s.%N)
"$FLEET" status --json --db "$DB" > "$OUT/status.json" || true
"$FLEET" plan "$OUT/template.json" --db "$DB" --api-base "$API" "${TRUST[@]}" --json --quiet > "$OUT/plan.json" || true
# verify reads under the same faults: a profile that could not be read (five faults in a row)
# is read again, as an operator would rerun it.
for _ in 1 2 3; do
  "$FLEET" verify 1 --db "$DB" "${TRUST[@]}" --json --quiet > "$OUT/verify.json" && break
  python3 -c 'import json, sys; sys.exit(json.load(open(sys.argv[1]))["failed"] == 0)' "$OUT/verify.json" || break
done

python3 - "$DB" "$OUT" "$N" "$KILLS" "$started" "$finished" <<'PY'
import json, sqlite3, sys, collections
from datetime import datetime
db, out, n, kills, started, finished = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
con = sqlite3.connect(db)
status = json.load(open(f"{out}/status.json"))
plan = json.load(open(f"{out}/plan.json"))
verify = json.load(open(f"{out}/verify.json"))
integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
executions = con.execute("SELECT count(*) FROM executions").fetchone()[0]
tasks = con.execute("SELECT count(*), sum(state = 'succeeded') FROM tasks").fetchone()
double = con.execute("""SELECT count(*) FROM (SELECT task_id FROM attempts WHERE method = 'PUT' AND http_status IN (200, 201)
                        GROUP BY task_id HAVING count(*) > 1)""").fetchone()[0]
def ts(text): return datetime.strptime(text.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
# When fleet knew each project's write had landed: the end of its succeeded task's last attempt
# (the PUT's answer, or the read that confirmed a PUT whose answer was lost).
recorded = {}
confirmed_by_read = 0
for project, started_at, duration, method in con.execute("""SELECT p.project_id, a.started_at, a.duration_ms, a.method FROM attempts a
        JOIN tasks t ON t.id = a.task_id JOIN projects p ON p.id = t.project_ref
        WHERE t.state = 'succeeded' AND a.number = (SELECT max(number) FROM attempts WHERE task_id = t.id)"""):
    recorded[project] = ts(started_at) + duration / 1000
    confirmed_by_read += method == "GET"
no_after = con.execute("""SELECT count(*) FROM tasks t WHERE t.state = 'succeeded'
                          AND NOT EXISTS (SELECT 1 FROM snapshots s WHERE s.task_id = t.id AND s.kind = 'after')""").fetchone()[0]
later_writes = 0
requests = collections.Counter()
for line in open(f"{out}/simulator.jsonl"):
    entry = json.loads(line)
    requests["fault" if entry["status"] not in (200, 201) else "ok"] += 1
    if entry["method"] == "PUT" and entry["project_id"] in recorded and ts(entry["time"]) - entry["duration_ms"] / 1000 > recorded[entry["project_id"]] + 0.001:
        later_writes += 1
total = sum(requests.values())
print(f"projects {n}, kill -9 {kills}, executions {executions}, wall {finished - started:.1f} s")
print(f"requests {total}, answered with a fault or dropped {requests['fault']} ({100 * requests['fault'] / total:.1f}%) (slow answers count as ok)")
print(f"tasks {tasks[0]}, succeeded {tasks[1]}; status: {status['counts']}")
print(f"tasks with two recorded writes: {double}; writes after fleet recorded the project's write: {later_writes}")
print(f"writes confirmed by a read: {confirmed_by_read}; succeeded tasks without an after: {no_after}")
print(f"plan after the soak: {plan['would_change']} would change, {plan['failed']} could not be read; integrity_check: {integrity}")
print(f"verify: {verify['selected']} projects it wrote, {verify['would_change']} drifted, {verify['failed']} could not be read")
ok = (tasks[0] == n and tasks[1] == n and double == 0 and later_writes == 0 and plan["would_change"] == 0 and plan["failed"] == 0
      and integrity == "ok" and no_after == 0 and verify["selected"] == n and verify["would_change"] == 0 and verify["failed"] == 0)
print("SOAK OK" if ok else "SOAK FAILED")
sys.exit(0 if ok else 1)
PY
