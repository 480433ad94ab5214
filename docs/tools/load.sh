#!/bin/bash
# Load benchmark (issue 10), not part of ./mvnw verify: wrk against the packaged jar on loopback.
#   - a 784-256-10 network with dropout 0.5 (trained for one epoch on random data by the service itself, then
#     downloaded and imported as an artifact under the name "load784");
#   - one row per request, mcSamples=100: POST /predict?model=load784&mcSamples=100 with no seed, so that every
#     request draws its own and no two requests are the same computation (with one seed for all, concurrent
#     identical requests batched together would be computed once: a figure no real client load would see);
#   - 60 s each at 2, 8 and 64 connections, at 8 while a training job runs, and an overload run (200
#     connections, one row with mcSamples=10000 per request: more than max-concurrent 8 + max-queued 64 can take)
#     that must produce only 503s with Retry-After beside 200s;
#   - during every run a probe loop GETs readiness and liveness on the management port every 200 ms with a 1 s
#     timeout (a Kubernetes probe's default) and records each answer's time.
#   - the baseline (issue 12): a minimal Flask + PyTorch server (docs/tools/torch_server.py) loads the same
#     artifact and runs the same batched Monte Carlo pass; wrk runs against it at the same connection counts,
#     each run right after the service's, and the table gives the ratio. Before the runs, both answer the
#     same row and their mean probabilities are printed side by side (deterministic pass and 1000 samples).
# Prints Markdown tables (req/s, p50, p99, errors, probe latency; service against Flask + PyTorch) and leaves
# raw output in OUT (default target/load). Needs wrk, curl, python3 and the jar (./mvnw -B -DskipTests
# package); the baseline needs Debian's python3-torch and python3-flask (apt-get install -y wrk python3-torch
# python3-flask; TORCH_PYTHON, default /usr/bin/python3, is the interpreter that has them). COMPARE=0 skips it.
# Ports: PORT (API, 18110), MPORT (management, 18111), TORCH_PORT (baseline, PORT + 5).
# CONNS (default "2 8 64") and TRAINING (default 1) choose the runs before the overload run, which always runs;
# WARMUP (default 20) is the seconds of unmeasured load at 8 connections that warm both servers up first.
# Usage: docs/tools/load.sh [seconds per run, default 60]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
DURATION=${1:-60}
PORT=${PORT:-18110}
MPORT=${MPORT:-18111}
OUT=${OUT:-$ROOT/target/load}
JAR=${JAR:-$(ls target/mc-dropout-service-*.jar | grep -v original | head -1)}
TORCH_PORT=${TORCH_PORT:-$((PORT + 5))}
TORCH_PYTHON=${TORCH_PYTHON:-/usr/bin/python3}
COMPARE=${COMPARE:-1}
CONNS=${CONNS-2 8 64}      # connection counts of the plain runs (each followed by the baseline's)
TRAINING=${TRAINING-1}     # 0 skips the run at 8 connections during training
WARMUP=${WARMUP-20}        # seconds of unmeasured load before the runs (0: none)
U=http://127.0.0.1:$PORT
M=http://127.0.0.1:$MPORT
T=http://127.0.0.1:$TORCH_PORT
command -v wrk > /dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
[ -f "$JAR" ] || { echo "no jar in target/: ./mvnw -B -DskipTests package" >&2; exit 1; }
if [ "$COMPARE" = 1 ] && ! "$TORCH_PYTHON" -c 'import torch, flask, numpy' 2> /dev/null; then
  echo "$TORCH_PYTHON lacks torch or flask: apt-get install -y python3-torch python3-flask (or COMPARE=0)" >&2
  exit 1
fi
for p in $PORT $MPORT $TORCH_PORT; do
  if curl -s -o /dev/null -m 1 "http://127.0.0.1:$p/"; then echo "port $p is already taken" >&2; exit 1; fi
done
rm -rf "$OUT"; mkdir -p "$OUT"

OMP_NUM_THREADS=1 java -jar "$JAR" --server.port=$PORT --management.server.port=$MPORT \
  --mcdropout.store.dir="$OUT/store" --mcdropout.startup.train-default-model=false > "$OUT/server.log" 2>&1 &
SERVER=$!
TORCH=
trap 'kill $SERVER $TORCH 2>/dev/null || true; wait $SERVER $TORCH 2>/dev/null || true' EXIT
for _ in $(seq 1 240); do curl -s -o /dev/null "$M/actuator/health/liveness" && break; sleep 0.5; done
curl -sf -o /dev/null "$M/actuator/health/liveness" || { echo "the service did not start: $OUT/server.log" >&2; exit 1; }

# The model: the service trains a 784-256-10 network (dropout 0.5) for one epoch, then it is downloaded and
# imported as an artifact, as a model trained elsewhere would be.
python3 - "$OUT" <<'PY'
import json, random, sys
out = sys.argv[1]
r = random.Random(1)
rows = [[r.random() for _ in range(784)] for _ in range(500)]
labels = [str(i % 10) for i in range(500)]
json.dump({"name": "seed784", "dataset": {"features": rows, "labels": labels},
           "hyperparameters": {"hiddenLayers": [256], "dropout": 0.5, "epochs": 1, "validationFraction": 0}},
          open(f"{out}/train-seed.json", "w"))
json.dump({"name": "busy784", "dataset": {"features": rows, "labels": labels},
           "hyperparameters": {"hiddenLayers": [256], "dropout": 0.5, "epochs": 10000, "earlyStoppingPatience": 0,
                               "validationFraction": 0, "batchSize": 16}},
          open(f"{out}/train-busy.json", "w"))
json.dump({"instances": [rows[0]]}, open(f"{out}/one-row.json", "w"))
PY
curl -sf -H 'Content-Type: application/json' --data-binary @"$OUT/train-seed.json" "$U/train?wait=true" > "$OUT/seed-job.json"
curl -sf -o "$OUT/load784.zip" "$U/models/seed784/versions/1/artifact"
curl -sf -H 'Content-Type: application/zip' --data-binary @"$OUT/load784.zip" "$U/models/load784/versions" > "$OUT/import.json"
python3 -c "import json,sys; m=json.load(open(sys.argv[1])); a=m['architecture']; print('model', m['name'], m['version'], a['inputs'], a['hiddenLayers'], a['outputs'], 'dropout', a['dropout'])" "$OUT/import.json"
curl -sf -H 'Content-Type: application/json' --data-binary @"$OUT/one-row.json" "$U/predict?model=load784&mcSamples=100&seed=1" > /dev/null

if [ "$COMPARE" = 1 ]; then
  TORCH_THREADS=${TORCH_THREADS:-1} "$TORCH_PYTHON" docs/tools/torch_server.py "$OUT/load784.zip" "$TORCH_PORT" \
    > "$OUT/torch-server.log" 2>&1 &
  TORCH=$!
  for _ in $(seq 1 240); do curl -s -o /dev/null -m 1 "$T/" && break; sleep 0.5; done
  curl -s -o /dev/null -m 1 "$T/" || { echo "the Flask + PyTorch server did not start: $OUT/torch-server.log" >&2; exit 1; }
  # The same row through both: the deterministic pass must agree to float32 rounding, Monte Carlo means
  # (different random masks) to their sampling error.
  for q in "mcSamples=0&seed=1" "mcSamples=1000&seed=1"; do
    curl -sf -H 'Content-Type: application/json' --data-binary @"$OUT/one-row.json" "$U/predict?model=load784&$q" > "$OUT/agree-service.json"
    curl -sf -H 'Content-Type: application/json' --data-binary @"$OUT/one-row.json" "$T/predict?$q" > "$OUT/agree-torch.json"
    python3 - "$OUT" "$q" <<'PY' | tee -a "$OUT/agreement.txt"
import json, sys
out, q = sys.argv[1], sys.argv[2]
a = json.load(open(f"{out}/agree-service.json"))["predictions"][0]
b = json.load(open(f"{out}/agree-torch.json"))["predictions"][0]
diff = max(abs(x - y) for x, y in zip(a["mean"], b["mean"]))
print(f"{q}: service mean {[round(v, 4) for v in a['mean']]}")
print(f"{q}: torch   mean {[round(v, 4) for v in b['mean']]}")
print(f"{q}: max |difference| {diff:.2e}; predicted {a['predictedClass']} / {b['predictedClass']}; "
      f"entropy {a['predictiveEntropy']:.4f} / {b['predictiveEntropy']:.4f}; "
      f"mutual information {a['mutualInformation']:.4f} / {b['mutualInformation']:.4f}")
PY
  done
fi

probe_loop() {  # $1: file; GETs readiness and liveness alternately every 200 ms, 1 s timeout
  # One long-lived prober, a new connection per probe as a kubelet makes: a curl process forked five times a
  # second took CPU from the two cores that the service and wrk share, and showed up in the service's tail.
  exec python3 -u - "$MPORT" "$1" <<'PY'
import http.client, sys, time
port, out = int(sys.argv[1]), sys.argv[2]
i = 0
with open(out, "a", buffering=1) as f:
    while True:
        name = "liveness" if i % 2 else "readiness"
        t0 = time.monotonic()
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            c.request("GET", "/actuator/health/" + name)
            r = c.getresponse()
            r.read()
            c.close()
            f.write(f"{name} {r.status} {time.monotonic() - t0:.6f}\n")
        except Exception:
            f.write(f"{name} 000 1.000\n")
        i += 1
        time.sleep(0.2)
PY
}

run() {  # name connections body query [base URL, default the service]
  local name=$1 conns=$2 body=$3 query=$4 base=${5:-$U}
  echo "== $name: $conns connections, $DURATION s, load avg $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/runs.txt"
  probe_loop "$OUT/probes-$name.txt" & local PROBE=$!
  BODY_FILE="$body" LOAD_PATH="/predict?$query" wrk -t2 -c"$conns" -d"${DURATION}s" --timeout 30s --latency \
    -s docs/tools/load.lua "$base" > "$OUT/wrk-$name.txt" 2>&1 || true
  kill $PROBE; wait $PROBE 2>/dev/null || true
  local result
  result=$(grep '^LOAD_RESULT' "$OUT/wrk-$name.txt" | cut -d' ' -f2-) || true
  [ -n "$result" ] || { echo "wrk printed no result for $name: $OUT/wrk-$name.txt" >&2; return; }
  echo "$name $conns $result" >> "$OUT/results.txt"
}

ONE="model=load784&mcSamples=100"
# Warm-up, not measured (as JMH's warm-up iterations): the JIT compiles the request path under the same load,
# and the baseline serves the same request; a cold JVM's first seconds otherwise land in the first run's tail.
if [ "$WARMUP" -gt 0 ]; then
  BODY_FILE="$OUT/one-row.json" LOAD_PATH="/predict?$ONE" wrk -t2 -c8 -d"${WARMUP}s" -s docs/tools/load.lua "$U" \
    > "$OUT/wrk-warmup.txt" 2>&1 || true
  if [ "$COMPARE" = 1 ]; then
    BODY_FILE="$OUT/one-row.json" LOAD_PATH="/predict?mcSamples=100" wrk -t2 -c2 -d5s -s docs/tools/load.lua "$T" \
      > "$OUT/wrk-warmup-torch.txt" 2>&1 || true
  fi
fi
# Each service run is followed by the baseline's at the same connection count, so that both see the same
# machine (on a shared machine the load changes by the minute: the load average is printed with each run).
for c in $CONNS; do
  run c$c $c "$OUT/one-row.json" "$ONE"
  if [ "$COMPARE" = 1 ]; then
    run torch-c$c $c "$OUT/one-row.json" "mcSamples=100" "$T"
  fi
done
if [ -n "$TORCH" ]; then kill $TORCH; wait $TORCH 2>/dev/null || true; TORCH=; fi
if [ "$TRAINING" = 1 ]; then
JOB=$(curl -sf -H 'Content-Type: application/json' --data-binary @"$OUT/train-busy.json" "$U/train" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
sleep 2
run c8-training 8 "$OUT/one-row.json" "$ONE"
curl -s "$U/train/jobs/$JOB" | python3 -c 'import json,sys; j=json.load(sys.stdin); print("training job during c8-training:", j["status"], "epoch", j["epoch"])' | tee -a "$OUT/runs.txt"
curl -s -X DELETE -o /dev/null "$U/train/jobs/$JOB"
fi
HEAVY="model=load784&mcSamples=10000"
run overload-c200 200 "$OUT/one-row.json" "$HEAVY"
# A few overloaded requests timed one by one while 200 connections keep the service saturated: how fast a 503 is.
probe_loop "$OUT/probes-overload-sampled.txt" & PROBE=$!
BODY_FILE="$OUT/one-row.json" LOAD_PATH="/predict?$HEAVY" wrk -t2 -c200 -d20s \
  --timeout 30s -s docs/tools/load.lua "$U" > "$OUT/wrk-overload-background.txt" 2>&1 &
WRK=$!
sleep 5
for _ in $(seq 1 40); do
  curl -s -o /dev/null -D - -m 30 -w 'TIMED %{http_code} %{time_total}\n' -H 'Content-Type: application/json' \
    --data-binary @"$OUT/one-row.json" "$U/predict?$HEAVY" \
    | tr -d '\r' | grep -iE '^(TIMED|retry-after)' | paste -sd' ' >> "$OUT/overload-sampled.txt"
  sleep 0.2
done
wait $WRK || true
kill $PROBE; wait $PROBE 2>/dev/null || true

python3 - "$OUT" "$DURATION" <<'PY'
import glob, json, os, statistics, sys
out, duration = sys.argv[1], int(sys.argv[2])
print("\n| Run | Connections | req/s | p50 | p99 | 2xx | 503 (with Retry-After) | other errors | probes | probe p50 / p99 / max | probes over 1 s or failed |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for line in open(f"{out}/results.txt"):
    name, conns, payload = line.split(" ", 2)
    r = json.loads(payload)
    st = {int(k): v for k, v in r["statuses"].items()}
    ok = sum(v for k, v in st.items() if 200 <= k < 300)
    busy = st.get(503, 0)
    other = sum(v for k, v in st.items() if not (200 <= k < 300) and k != 503) + sum(r["socket_errors"].values())
    probes = [l.split() for l in open(f"{out}/probes-{name}.txt")]
    times = sorted(float(p[2]) for p in probes)
    slow = sum(1 for p in probes if p[1] != "200" or float(p[2]) > 1.0)
    q = lambda p: times[min(len(times) - 1, int(p * len(times)))] * 1000
    print(f"| {name} | {conns} | {r['requests'] / (r['duration_us'] / 1e6):.0f} | {r['p50_us'] / 1000:.1f} ms | "
          f"{r['p99_us'] / 1000:.1f} ms | {ok} | {busy} ({r['retry_after_503']}) | {other} | {len(probes)} | "
          f"{q(0.5):.1f} / {q(0.99):.1f} / {times[-1] * 1000:.1f} ms | {slow} |")
codes, ra = {}, 0
for l in open(f"{out}/overload-sampled.txt"):
    w = l.split()
    if "TIMED" not in w:
        continue
    i = w.index("TIMED")
    codes.setdefault(w[i + 1], []).append(float(w[i + 2]) * 1000)
    ra += 1 if w[i + 1] == "503" and "retry-after:" in l.lower() else 0
print("\nOverload, requests timed one by one while 200 connections saturate the service:")
for code, ts in sorted(codes.items()):
    ts.sort()
    print(f"- {code}: {len(ts)} requests, median {statistics.median(ts):.1f} ms, max {ts[-1]:.1f} ms")
print(f"- 503s with Retry-After: {ra} of {len(codes.get('503', []))}")
runs = {}
for line in open(f"{out}/results.txt"):
    name, conns, payload = line.split(" ", 2)
    r = json.loads(payload)
    runs[name] = (r["requests"] / (r["duration_us"] / 1e6), r["p99_us"] / 1000)
pairs = [(c, runs[f"c{c}"], runs[f"torch-c{c}"]) for c in (2, 8, 64) if f"c{c}" in runs and f"torch-c{c}" in runs]
if pairs:
    print("\nThe service against a minimal Flask + PyTorch server (docs/tools/torch_server.py), same artifact, same row, "
          "mcSamples=100, each pair run back to back:")
    print("\n| Connections | service req/s | service p99 | Flask + PyTorch req/s | Flask + PyTorch p99 | ratio |")
    print("|---|---|---|---|---|---|")
    for c, (s_rps, s_p99), (t_rps, t_p99) in pairs:
        print(f"| {c} | {s_rps:.0f} | {s_p99:.1f} ms | {t_rps:.0f} | {t_p99:.1f} ms | {s_rps / t_rps:.1f}x |")
if os.path.exists(f"{out}/agreement.txt"):
    print("\nSame row, both servers:")
    for line in open(f"{out}/agreement.txt"):
        print("- " + line.rstrip())
pr = [l.split() for l in open(f"{out}/probes-overload-sampled.txt")]
print(f"- probes meanwhile: {len(pr)}, max {max(float(p[2]) for p in pr) * 1000:.1f} ms, "
      f"over 1 s or failed: {sum(1 for p in pr if p[1] != '200' or float(p[2]) > 1.0)}")
PY
