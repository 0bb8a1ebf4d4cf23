#!/usr/bin/env bash
# The full phases, once, on one engine pair: baseline → overload → spike → fault (chaos experiments)
# → soak, each against a fresh `exodus up`, each audited. Figures go to the README ("Proving it").
#   bench/phases.sh sqlite|distributed OUT_DIR [SOAK_DURATION]
# distributed: NATS at EXODUS_BENCH_NATS_URL (default nats://127.0.0.1:4222) with a fresh prefix and
# PostgreSQL at EXODUS_BENCH_POSTGRES_URL (default postgres://127.0.0.1:5432/test) with a fresh schema.
set -euo pipefail
cd "$(dirname "$0")/.."
engine=${1:?sqlite or distributed}
out=$(realpath -m "${2:?output dir}")
soak=${3:-30m}
exodus() { node bin/exodus.js "$@"; }
mkdir -p "$out"
data=$(mktemp -d /tmp/exodus-phases-XXXXXX)
engines=()
if [[ $engine == distributed ]]; then
  tag=phases$(date +%s)
  engines=(--queue "${EXODUS_BENCH_NATS_URL:-nats://127.0.0.1:4222}?prefix=$tag" --store "${EXODUS_BENCH_POSTGRES_URL:-postgres://127.0.0.1:5432/test}?schema=$tag")
fi
port=$((3800 + RANDOM % 100))
export EXODUS_EVACUEE_WRITES_PER_MINUTE=0   # one machine sends every evacuee's wishes
exodus roster generate --data "$data" --count 20000 --out "$data/roster.csv" "${engines[@]}" >/dev/null
exodus up --data "$data" --port "$port" --console-port $((port + 100)) --replicas parser=1,worker=2,tally=1 "${engines[@]}" >"$out/up.log" 2>&1 &
up=$!
trap 'kill -TERM $up 2>/dev/null; wait $up 2>/dev/null || true' EXIT
until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do sleep 0.5; done
target=http://127.0.0.1:$port
rss() { # resident memory of every exodus process, MB
  node -e "const s=require('$data/supervisor.json');const {execSync}=require('child_process');const pids=[s.supervisorPid,...s.processes.map(p=>p.pid)];console.log(execSync('ps -o rss= -p '+pids.join(',')).toString().trim().split(/\s+/).reduce((a,b)=>a+Number(b),0)/1024|0)"
}
for scenario in baseline overload spike; do
  exodus load --target "$target" --roster "$data/roster.csv" --scenario "$scenario" --data "$data" "${engines[@]}" --out "$out/$scenario" >"$out/$scenario.txt" 2>&1 || true
done
for experiment in workers-killed store-outage $([[ $engine == distributed ]] && echo broker-restart); do
  exodus chaos run "$experiment" --roster "$data/roster.csv" --data "$data" "${engines[@]}" --out "$out/chaos-$experiment" >"$out/chaos-$experiment.txt" 2>&1 || true
done
echo "rss_mb_before_soak $(rss)" >"$out/soak-rss.txt"
( while sleep 60; do echo "rss_mb $(date +%s) $(rss)" >>"$out/soak-rss.txt"; done ) &
sampler=$!
exodus load --target "$target" --roster "$data/roster.csv" --scenario soak --duration "$soak" --data "$data" "${engines[@]}" --out "$out/soak" >"$out/soak.txt" 2>&1 || true
kill $sampler
echo "rss_mb_after_soak $(rss)" >>"$out/soak-rss.txt"
echo "done: $out"
