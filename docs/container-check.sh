#!/bin/bash
# Without a Docker engine, does what the Dockerfile does on the real jar: runs the build stage's layer extraction,
# merges the layers into one /app-like directory in the runtime stage's COPY order, and runs the ENTRYPOINT from
# its WORKDIR with the image's ENV (all four read from the Dockerfile itself, by deploy/dockerfile_runtime.py),
# plus ENV_FILE's KEY=VALUE lines on top (deploy/check.sh passes docker-compose.yml's environment), as a non-root
# uid (65534, via setpriv, when run as root). Then: liveness, readiness (on the management port), the Dockerfile's
# HEALTHCHECK command (and HEALTHCHECK_FILE's, the compose file's), a prediction over /predict and over the Open
# Inference Protocol, the API key (API_KEY) guarding an import, metrics; finally SIGTERM: readiness must turn DOWN
# and the process exit within Docker's default 10 s. Exits non-zero if any step fails.
#
# Needs ./mvnw -B -DskipTests package first (or JAR=...). WORK=dir keeps the work files there.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
JAR=${JAR:-$(ls "$ROOT"/target/mc-dropout-service-*.jar)}
W=${WORK:-$(mktemp -d)}
fail() { echo "FAILED: $*" >&2; [ -f "$W/server.log" ] && tail -40 "$W/server.log" >&2; exit 1; }
eval "$(python3 "$ROOT/deploy/dockerfile_runtime.py" "$ROOT/Dockerfile")"

mkdir -p "$W/app" "$W/home" "$W/data/models"
chmod a+rx "$W"   # mktemp -d makes it 700: the non-root uid must reach the app directory, as /app in the image
# The build stage's extraction command, on the real jar and into $W/extracted.
extract=()
for a in "${DOCKER_EXTRACT[@]}"; do
  case "$a" in /tmp/app.jar) extract+=("$JAR");; /extracted) extract+=("$W/extracted");; *) extract+=("$a");; esac
done
rm -rf "$W/extracted"
"${extract[@]}" > /dev/null
for layer in "${DOCKER_LAYERS[@]}"; do
  [ -d "$W/extracted/$layer" ] || fail "layer $layer, which the Dockerfile copies, was not extracted"
  cp -a "$W/extracted/$layer/." "$W/app/"
done
echo "layers (Dockerfile order): ${DOCKER_LAYERS[*]} -> $(du -sh "$W/app" | cut -f1)"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
MPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# The image's ENV, then the compose file's environment; container paths under /data map into $W/data.
envs=()
for kv in "${DOCKER_ENV[@]}"; do envs+=("${kv//=\/data/=$W/data}"); done
if [ -n "${ENV_FILE:-}" ]; then
  while IFS= read -r kv; do [ -n "$kv" ] && envs+=("${kv//=\/data/=$W/data}"); done < "$ENV_FILE"
fi
envs+=("SERVER_PORT=$PORT" "MANAGEMENT_SERVER_PORT=$MPORT")
as_user=()
if [ "$(id -u)" = 0 ]; then
  chown -R 65534:65534 "$W/home" "$W/data"
  as_user=(setpriv --reuid 65534 --regid 65534 --clear-groups)
fi
JAVA_BIN=$(dirname "$(readlink -f "$(command -v java)")")
cd "$W/app"   # the Dockerfile's WORKDIR ($DOCKER_WORKDIR): the class path is the working directory
env -i PATH="$JAVA_BIN:/usr/bin:/bin" HOME="$W/home" "${envs[@]}" \
  "${as_user[@]}" "${DOCKER_ENTRYPOINT[@]}" > "$W/server.log" 2>&1 &
PID=$!
echo "$PID" > "$W/pid"
trap 'kill -9 $PID 2>/dev/null || true' EXIT
start=$(date +%s.%N)
since() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$start" "$(date +%s.%N)"; }
url=http://127.0.0.1:$PORT
murl=http://127.0.0.1:$MPORT   # actuator: probes, metrics (management.server.port, 8081 in the image)

live=""
for _ in $(seq 1 1200); do
  kill -0 $PID 2>/dev/null || fail "the service exited"
  code=$(curl -s -o "$W/live.json" -w '%{http_code}' "$murl/actuator/health/liveness" || true)
  if [ "$code" = 200 ]; then live=$(since); break; fi
  sleep 0.2
done
[ -n "$live" ] || fail "liveness not UP within 240 s"
echo "liveness UP after ${live} s: $(cat "$W/live.json")"
ready=""
for _ in $(seq 1 1200); do
  kill -0 $PID 2>/dev/null || fail "the service exited"
  code=$(curl -s -o "$W/ready.json" -w '%{http_code}' "$murl/actuator/health/readiness" || true)
  if [ "$code" = 200 ]; then ready=$(since); break; fi
  sleep 0.2
done
[ -n "$ready" ] || fail "readiness not UP within 240 s: $(head -c 300 "$W/ready.json")"
echo "readiness UP after ${ready} s"

healthcheck=()
for a in "${DOCKER_HEALTHCHECK[@]}"; do healthcheck+=("${a//\/8081/\/$MPORT}"); done
"${healthcheck[@]}" || fail "the Dockerfile's HEALTHCHECK command failed"
echo "Dockerfile HEALTHCHECK: healthy"
if [ -n "${HEALTHCHECK_FILE:-}" ]; then
  bash -c "$(sed "s#/8081#/$MPORT#" "$HEALTHCHECK_FILE")" || fail "the compose file's healthcheck failed"
  echo "compose healthcheck: healthy"
fi

ROW='[0,0,5,13,9,1,0,0,0,0,13,15,10,15,5,0,0,3,15,2,0,11,8,0,0,4,12,0,0,8,8,0,0,5,8,0,0,9,8,0,0,4,11,0,1,12,7,0,0,2,14,5,10,12,0,0,0,0,6,13,10,0,0,0]'
code=$(curl -s -o "$W/predict.json" -w '%{http_code}' -X POST "$url/predict?mcSamples=100&seed=7" \
  -H 'Content-Type: application/json' -d "{\"instances\": [$ROW]}")
[ "$code" = 200 ] || fail "POST /predict answered $code: $(cat "$W/predict.json")"
grep -q '"predictedClass":"0"' "$W/predict.json" || fail "unexpected prediction: $(cat "$W/predict.json")"
echo "POST /predict: 200, $(head -c 160 "$W/predict.json")..."
code=$(curl -s -o "$W/infer.json" -w '%{http_code}' -X POST "$url/v2/models/digits/infer" -H 'Content-Type: application/json' \
  -d "{\"id\": \"check\", \"parameters\": {\"mc_samples\": 100, \"seed\": 7}, \"inputs\": [{\"name\": \"input\", \"shape\": [1, 64], \"datatype\": \"FP32\", \"data\": $ROW}]}")
[ "$code" = 200 ] || fail "OIP infer answered $code: $(cat "$W/infer.json")"
echo "POST /v2/models/digits/infer: 200, $(head -c 120 "$W/infer.json")..."
if [ -n "${API_KEY:-}" ]; then
  code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$url/models/probe/versions" -H 'Content-Type: application/zip' --data-binary 'x')
  [ "$code" = 401 ] || fail "an import without the API key answered $code, not 401: the key from the environment is not in force"
  code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$url/models/probe/versions" -H 'Content-Type: application/zip' \
    -H "X-API-Key: $API_KEY" --data-binary 'x')
  [ "$code" = 422 ] || fail "an import of a non-zip with the API key answered $code, not 422"
  echo "API key from the environment: in force (401 without it, 422 for a bad zip with it)"
fi
curl -s "$murl/actuator/prometheus" | grep -q '^mcdropout_predict_latency_seconds_count{' || fail "no prediction metrics"
[ -f "$W/data/models/digits/1.zip" ] || fail "the default model was not stored under the store directory"
echo "store: $(ls "$W/data/models/digits" | tr '\n' ' '), owner uid $(stat -c %u "$W/data/models/digits/1.zip")"
grep -E "Picked up JAVA_TOOL_OPTIONS|ND4J limited" "$W/server.log" | cut -c1-160 || true

stop=$(date +%s.%N)
kill -TERM $PID
down=""
for _ in $(seq 1 100); do
  kill -0 $PID 2>/dev/null || break
  code=$(curl -s -o /dev/null -m 1 -w '%{http_code}' "$murl/actuator/health/readiness" || true)
  if [ "$code" = 503 ]; then down=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$stop" "$(date +%s.%N)"); break; fi
  sleep 0.05
done
[ -n "$down" ] || fail "readiness did not answer 503 after SIGTERM (mcdropout.shutdown.drain-delay)"
echo "readiness DOWN ${down} s after SIGTERM"
for _ in $(seq 1 100); do kill -0 $PID 2>/dev/null || break; sleep 0.1; done
kill -0 $PID 2>/dev/null && fail "still running 10 s after SIGTERM (Docker's default stop timeout; compose stop_grace_period)"
echo "stopped $(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$stop" "$(date +%s.%N)") s after SIGTERM"
trap - EXIT
