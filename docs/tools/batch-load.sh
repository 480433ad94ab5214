#!/bin/bash
# Batching benchmark (issue 12), not part of ./mvnw verify: the packaged jar twice on loopback, one with
# batching on (mcdropout.predict.batch.enabled=true, the default) and one with it off, otherwise identical,
# under wrk in alternation (on, off, then off, on, ...), so that the load of a shared machine falls on both alike.
#   - the model of docs/tools/load.sh: 784-256-10, dropout 0.5, trained one epoch by the service, downloaded
#     and imported into both as "load784";
#   - one row per request, mcSamples=100, no seed (each request draws its own, so no two rows of a batch are
#     computed as one): POST /predict?model=load784&mcSamples=100;
#   - for each connection count in CONNS (default "2 8 64"), ROUNDS (default 3) pairs of DURATION-second runs.
# Each server's actuator is on its own port (management.server.port = server.port), so two ports suffice.
# Prints a Markdown table (req/s and p50/p99 per run, the on/off ratio of each pair, the mean batch size and
# queue time of the batching server in that run, and each server's CPU time per request: user + system time of
# its process over the run, from /proc, divided by the requests answered; on a machine that other work shares,
# req/s measures the share of the cores a process gets as much as its cost, CPU time per request its cost) and leaves raw output in OUT (default target/batch-load).
# Needs wrk, curl, python3 and the jar (./mvnw -B -DskipTests package).
# Usage: docs/tools/batch-load.sh [seconds per run, default 15]; ON_SETTING=false runs the same with batching
# off in both (an A/A run: how far apart two identical servers measure on this machine).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
DURATION=${1:-15}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-"2 8 64"}
ON=${PORT_ON:-18310}
OFF=${PORT_OFF:-18311}
OUT=${OUT:-$ROOT/target/batch-load}
JAR=${JAR:-$(ls target/mc-dropout-service-*.jar | grep -v original | head -1)}
QUERY="model=load784&mcSamples=100"
command -v wrk > /dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
rm -rf "$OUT"; mkdir -p "$OUT"

start() {  # port batching
  OMP_NUM_THREADS=1 java -jar "$JAR" --server.port="$1" --management.server.port="$1" \
    --mcdropout.store.dir="$OUT/store-$1" --mcdropout.startup.train-default-model=false \
    --mcdropout.predict.batch.enabled="$2" > "$OUT/server-$1.log" 2>&1 &
  echo $!
}
SERVER_ON=$(start "$ON" "${ON_SETTING:-true}")  # ON_SETTING=false: an A/A run, both without batching
SERVER_OFF=$(start "$OFF" false)
trap 'kill $SERVER_ON $SERVER_OFF 2>/dev/null || true; wait $SERVER_ON $SERVER_OFF 2>/dev/null || true' EXIT
for port in "$ON" "$OFF"; do
  for _ in $(seq 1 240); do curl -s -o /dev/null "http://127.0.0.1:$port/actuator/health/liveness" && break; sleep 0.5; done
done

python3 - "$OUT" <<'PY'
import json, random, sys
out = sys.argv[1]
r = random.Random(1)
rows = [[r.random() for _ in range(784)] for _ in range(500)]
labels = [str(i % 10) for i in range(500)]
json.dump({"name": "seed784", "dataset": {"features": rows, "labels": labels},
           "hyperparameters": {"hiddenLayers": [256], "dropout": 0.5, "epochs": 1, "validationFraction": 0}},
          open(f"{out}/train-seed.json", "w"))
json.dump({"instances": [rows[0]]}, open(f"{out}/one-row.json", "w"))
PY
# Both servers train (the same work, so that neither JIT has seen more of the code), the first's model serves.
for port in "$ON" "$OFF"; do
  curl -sf -H 'Content-Type: application/json' --data-binary @"$OUT/train-seed.json" \
    "http://127.0.0.1:$port/train?wait=true" > "$OUT/seed-job-$port.json"
done
curl -sf -o "$OUT/load784.zip" "http://127.0.0.1:$ON/models/seed784/versions/1/artifact"
for port in "$ON" "$OFF"; do
  curl -sf -H 'Content-Type: application/zip' --data-binary @"$OUT/load784.zip" \
    "http://127.0.0.1:$port/models/load784/versions" > "$OUT/import-$port.json"
  # warm up: the JIT and the buffer pools
  BODY_FILE="$OUT/one-row.json" LOAD_PATH="/predict?$QUERY" wrk -t2 -c8 -d5s -s docs/tools/load.lua \
    "http://127.0.0.1:$port" > /dev/null 2>&1 || true
done

batch_meter() {  # port -> "count sum queue_count queue_sum"
  curl -s "http://127.0.0.1:$1/actuator/prometheus" | python3 -c '
import re, sys
text = sys.stdin.read()
def v(name):
    m = re.search(r"(?m)^" + name + r"(?:\{[^}]*\})? ([0-9.eE+-]+)$", text)
    return float(m.group(1)) if m else 0.0
print(v("mcdropout_predict_batch_size_count"), v("mcdropout_predict_batch_size_sum"),
      v("mcdropout_predict_queue_time_seconds_count"), v("mcdropout_predict_queue_time_seconds_sum"))'
}

cpu_ticks() {  # pid -> user + system clock ticks of the whole process
  awk '{print $14 + $15}' "/proc/$1/stat"
}

run() {  # label port connections round
  local before after pid cpu0 cpu1
  pid=$SERVER_ON; [ "$1" = off ] && pid=$SERVER_OFF
  before=$(batch_meter "$2")
  cpu0=$(cpu_ticks "$pid")
  echo "== $1 $3 connections round $4, load avg $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/runs.txt"
  BODY_FILE="$OUT/one-row.json" LOAD_PATH="/predict?$QUERY" wrk -t2 -c"$3" -d"${DURATION}s" --timeout 30s \
    --latency -s docs/tools/load.lua "http://127.0.0.1:$2" > "$OUT/wrk-$1-c$3-r$4.txt" 2>&1 || true
  cpu1=$(cpu_ticks "$pid")
  after=$(batch_meter "$2")
  echo "$1 $3 $4 $((cpu1 - cpu0)) $before $after $(grep '^LOAD_RESULT' "$OUT/wrk-$1-c$3-r$4.txt" | cut -d' ' -f2-)" >> "$OUT/results.txt"
}

for conns in $CONNS; do
  for round in $(seq 1 "$ROUNDS"); do
    if [ $((round % 2)) = 1 ]; then
      run on "$ON" "$conns" "$round"; run off "$OFF" "$conns" "$round"
    else
      run off "$OFF" "$conns" "$round"; run on "$ON" "$conns" "$round"
    fi
  done
done

python3 - "$OUT" <<'PY'
import json, os, statistics, sys
out = sys.argv[1]
TICKS = os.sysconf("SC_CLK_TCK")
runs = {}
for line in open(f"{out}/results.txt"):
    parts = line.split(" ", 12)
    label, conns, rnd, ticks = parts[0], int(parts[1]), int(parts[2]), int(parts[3])
    b = [float(x) for x in parts[4:8]]
    a = [float(x) for x in parts[8:12]]
    r = json.loads(parts[12])
    ok = sum(v for k, v in r["statuses"].items() if 200 <= int(k) < 300)
    errors = sum(v for k, v in r["statuses"].items() if not 200 <= int(k) < 300) + sum(r["socket_errors"].values())
    calls, preds = a[0] - b[0], a[1] - b[1]
    queued = (a[3] - b[3]) / max(1, a[2] - b[2])
    runs[(label, conns, rnd)] = dict(rps=r["requests"] / (r["duration_us"] / 1e6), p50=r["p50_us"] / 1000,
                                     p99=r["p99_us"] / 1000, errors=errors, batch=preds / max(1, calls),
                                     queue=queued * 1e6, cpu=ticks / TICKS * 1000 / max(1, r["requests"]))
print("| Connections | Round | on: req/s | off: req/s | on/off | on: p50 / p99 | off: p50 / p99 | on: mean batch | on: mean queue time | CPU per request on / off | errors |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
ratios, cpu = {}, {}
for (label, conns, rnd) in sorted(k for k in runs if k[0] == "on"):
    on, off = runs[("on", conns, rnd)], runs[("off", conns, rnd)]
    ratio = on["rps"] / off["rps"]
    ratios.setdefault(conns, []).append(ratio)
    cpu.setdefault(conns, []).append(on["cpu"] / off["cpu"])
    print(f"| {conns} | {rnd} | {on['rps']:.0f} | {off['rps']:.0f} | {ratio:.2f} | {on['p50']:.1f} / {on['p99']:.1f} ms | "
          f"{off['p50']:.1f} / {off['p99']:.1f} ms | {on['batch']:.2f} | {on['queue']:.0f} µs | "
          f"{on['cpu']:.2f} / {off['cpu']:.2f} ms | {on['errors'] + off['errors']} |")
print()
for conns, rs in sorted(ratios.items()):
    cs = cpu[conns]
    print(f"{conns} connections: on/off throughput ratio median {statistics.median(rs):.2f} (min {min(rs):.2f}, "
          f"max {max(rs):.2f}), on/off CPU per request median {statistics.median(cs):.2f} (min {min(cs):.2f}, "
          f"max {max(cs):.2f}), {len(rs)} pairs")
PY
