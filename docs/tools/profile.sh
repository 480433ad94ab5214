#!/bin/bash
# Where a one-row request's CPU goes (issue 12): starts the packaged jar (or uses JAR), imports the load
# benchmark's 784-256-10 model (dropout 0.5) as load.sh does, drives POST /predict?model=load784&mcSamples=100&seed=1
# with wrk at 8 connections, warms up WARMUP seconds, then profiles SECONDS with async-profiler (CPU, 1 ms;
# from Maven Central, tools.profiler:async-profiler, loaded into the running JVM with jcmd) and prints the split
# (docs/tools/profile_split.py). Raw profile (collapsed stacks, for flame graphs) and wrk output in OUT.
# Usage: docs/tools/profile.sh [label, default "profile"]   (JAR, PORT, MPORT, OUT, WARMUP, SECONDS)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
LABEL=${1:-profile}
PORT=${PORT:-18110}
MPORT=${MPORT:-18111}
WARMUP=${WARMUP:-60}
SECONDS_PROFILED=${SECONDS:-30}
OUT=${OUT:-$ROOT/target/profile-$LABEL}
JAR=${JAR:-$(ls target/mc-dropout-service-*.jar | grep -v original | head -1)}
AP_VERSION=3.0
AP_JAR=$HOME/.m2/repository/tools/profiler/async-profiler/$AP_VERSION/async-profiler-$AP_VERSION.jar
U=http://127.0.0.1:$PORT
M=http://127.0.0.1:$MPORT
command -v wrk > /dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
[ -f "$AP_JAR" ] || ./mvnw -q -B dependency:get -Dartifact=tools.profiler:async-profiler:$AP_VERSION
rm -rf "$OUT"; mkdir -p "$OUT"
unzip -q -o -j "$AP_JAR" linux-x64/libasyncProfiler.so -d "$OUT"
LIB=$OUT/libasyncProfiler.so

OMP_NUM_THREADS=1 java -jar "$JAR" --server.port=$PORT --management.server.port=$MPORT \
  --mcdropout.store.dir="$OUT/store" --mcdropout.startup.train-default-model=false > "$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 240); do curl -s -o /dev/null "$M/actuator/health/liveness" && break; sleep 0.5; done
python3 - "$OUT" <<'PY'
import json, random, sys
out = sys.argv[1]
r = random.Random(1)  # the same rows as load.sh
rows = [[r.random() for _ in range(784)] for _ in range(500)]
json.dump({"name": "seed784", "dataset": {"features": rows, "labels": [str(i % 10) for i in range(500)]},
           "hyperparameters": {"hiddenLayers": [256], "dropout": 0.5, "epochs": 1, "validationFraction": 0}},
          open(f"{out}/train-seed.json", "w"))
json.dump({"instances": [rows[0]]}, open(f"{out}/one-row.json", "w"))
PY
curl -sf -H 'Content-Type: application/json' --data-binary @"$OUT/train-seed.json" "$U/train?wait=true" > /dev/null
curl -sf -o "$OUT/load784.zip" "$U/models/seed784/versions/1/artifact"
curl -sf -H 'Content-Type: application/zip' --data-binary @"$OUT/load784.zip" "$U/models/load784/versions" > /dev/null

export BODY_FILE=$OUT/one-row.json LOAD_PATH="/predict?model=load784&mcSamples=100&seed=1"
wrk -t2 -c8 -d"${WARMUP}s" -s docs/tools/load.lua "$U" > "$OUT/wrk-warmup.txt" 2>&1
# jcmd hands the agent its options as one quoted argument
jcmd $SERVER JVMTI.agent_load "$LIB" '"start,event=cpu,interval=1ms"' > "$OUT/agent.txt"
echo "load average $(cut -d' ' -f1-3 /proc/loadavg)" > "$OUT/wrk.txt"
wrk -t2 -c8 -d"${SECONDS_PROFILED}s" --latency -s docs/tools/load.lua "$U" >> "$OUT/wrk.txt" 2>&1
jcmd $SERVER JVMTI.agent_load "$LIB" "\"stop,file=$OUT/cpu.collapsed,collapsed\"" >> "$OUT/agent.txt"
grep -E 'Requests/sec|99%' "$OUT/wrk.txt"
python3 docs/tools/profile_split.py "$LABEL:$OUT/cpu.collapsed:$OUT/wrk.txt"
