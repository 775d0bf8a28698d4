#!/usr/bin/env bash
# Replays the README walkthrough's §1, §3, §4 and §6–§9 against the simulator over HTTPS (seed 7,
# the shipped samples), printing each command, its output and its exit status, to compare with
# the README by eye (times, durations and hashes differ). FLEET=PATH picks the binary (default:
# the debug build).   bench/walkthrough.sh > walkthrough.out
set -u
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
F=${FLEET:-$ROOT/.build/debug/fleet}
WORK=$(mktemp -d)
cd "$WORK"
cp -r "$ROOT/samples" .
cat > check-calls.sh <<'SH'
#!/bin/sh
# A stand-in for your call-quality check: fails after the second wave.
echo "wave $FLEET_WAVE of run $FLEET_RUN: $(date -u +%H:%M:%S) checked"
[ "$FLEET_WAVE" -lt 2 ]
SH
chmod +x check-calls.sh
"$F" simulate --port 8443 --accounts samples/projects.csv --accounts samples/corrected-tokens.csv --tls --ca-out simulator-ca.pem \
  --fail-rate 0.05 --seed 7 > sim.out 2>&1 &
SIM=$!
trap 'kill $SIM; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do grep -q "use:" sim.out && break; sleep 0.1; done
export FLEET_API_BASE='https://127.0.0.1:8443/{space}/api/relay/rest'
export FLEET_CA_FILE=simulator-ca.pem
fleet() { "$F" "$@"; }
run() { echo "\$ $*"; eval "$@" 2>&1; echo "[exit $?]"; echo; }
edit() {  # edit LABEL SPACE BODY: a dashboard edit by hand
  run "curl -s -o /dev/null -w '%{http_code}\n' --cacert simulator-ca.pem -u \"\$(grep '$1' samples/projects.csv | cut -d, -f2,3 | tr , :)\" -X PUT -H 'Content-Type: application/json' -d '$3' https://127.0.0.1:8443/$2/api/relay/rest/sip_profile"
}
run fleet import samples/projects.csv
run fleet rollout samples/profile.json --concurrency 16 --quiet --yes
run fleet status 1 --failed
run fleet import samples/corrected-tokens.csv
run fleet retry 1 --quiet --yes
edit 'Globex SYD' globex '{"default_codecs":["PCMU"],"domain_identifier":"someone-else"}'
run fleet verify 1
run fleet rollback 1 --dry-run
run fleet rollback 1 --quiet --yes
run fleet runs
run fleet history "'Globex LON'"
run fleet rollout samples/profile.json --waves 4,50%,100% --bake 2s --gate ./check-calls.sh --rollback-on-halt --quiet --yes
run fleet runs
run fleet retry 3 --yes
run fleet plan samples/profile.json --out plan.json
edit 'Acme SYD' acme '{"default_codecs":["PCMU"]}'
run fleet rollout --plan plan.json --quiet --yes
run fleet verify 5
run fleet retry 3 --yes
run fleet verify 5
