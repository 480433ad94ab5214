#!/usr/bin/env bash
# Generated-client check (issue 15), run by .ci/run after `./mvnw verify`: starts the packaged service on a free
# loopback port with a fresh store and an API key, reads its live OpenAPI document (/v3/api-docs), generates
# java (library native), python and typescript-fetch clients from it with openapi-generator-cli 7.25.0 (from
# Maven Central; no options beyond package names and, for Java, useJakartaEe=true and
# openApiNullable=false as in pom.xml), compiles each (javac; python compileall and
# import; tsc --strict) and runs clients/<language>/ through the typed API: list models, predict with
# mcSamples=100 and seed 7, upload a CSV and train, a 404 problem as the language's error type. All three
# must get the same prediction numbers. It also lints the document with Spectral (spectral:oas, from npm).
# Ends with "clients: N passed, N failed"; exits non-zero on a failure.
#
# Needs: java 17, node 20 + npm (typescript, @types/node and @stoplight/spectral-cli come from npm, pinned by
# clients/typescript/package-lock.json and clients/spectral/package-lock.json),
# python3 with pydantic>=2, urllib3, python-dateutil, typing-extensions (preinstalled on these machines; PyPI
# is not reachable, and Debian's python3-pydantic is 1.x, which the generated client does not support).
# Usage: clients/check.sh [path/to/service.jar]   (default: target/mc-dropout-service-*.jar, built if missing)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
GENERATOR_VERSION=7.25.0
WORK=$ROOT/target/clients
API_KEY=client-check-key
START=$(date +%s)
step() { printf '[clients %3ds] %s\n' "$(( $(date +%s) - START ))" "$*"; }

rm -rf "$WORK"
mkdir -p "$WORK" "$ROOT/target/client-tools"

# --- tools -----------------------------------------------------------------------------------------------
JAR=${1:-$(ls target/mc-dropout-service-*.jar 2>/dev/null | grep -v -- '-plain\|\.original' | head -1 || true)}
if [[ -z "$JAR" || ! -f "$JAR" ]]; then
  step "no service jar: ./mvnw package -DskipTests"
  ./mvnw -q -B package -DskipTests
  JAR=$(ls target/mc-dropout-service-*.jar | head -1)
fi
GENERATOR=$ROOT/target/client-tools/openapi-generator-cli-$GENERATOR_VERSION.jar
if [[ ! -f "$GENERATOR" ]]; then
  step "openapi-generator-cli $GENERATOR_VERSION from Maven Central"
  ./mvnw -q -B dependency:copy -Dartifact=org.openapitools:openapi-generator-cli:$GENERATOR_VERSION \
    -DoutputDirectory="$ROOT/target/client-tools" >/dev/null
fi
# Jackson 2, httpmime and their dependencies for the Java client: the build's own test class path (pom.xml)
CLASSPATH_FILE=$ROOT/target/client-tools/java-client.classpath
if [[ ! -s "$CLASSPATH_FILE" || pom.xml -nt "$CLASSPATH_FILE" ]]; then
  step "Java client class path from the build's test dependencies"
  ./mvnw -q -B dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$CLASSPATH_FILE.all" >/dev/null
  tr ':' '\n' < "$CLASSPATH_FILE.all" \
    | grep -E '/com/fasterxml/jackson/|/org/apache/httpcomponents/|/commons-logging/|/commons-codec/|/jakarta/annotation/' \
    | paste -sd: > "$CLASSPATH_FILE"
fi
if [[ ! -x clients/typescript/node_modules/.bin/tsc ]]; then
  step "typescript from npm (package-lock.json)"
  (cd clients/typescript && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
if [[ ! -x clients/spectral/node_modules/.bin/spectral ]]; then
  step "@stoplight/spectral-cli from npm (package-lock.json)"
  (cd clients/spectral && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
# The Python that has the generated client's runtime packages: python3 on the PATH, else a pyenv one
has_client_packages() {
  "$1" - <<'EOF' 2>/dev/null
import importlib.metadata as m, sys
need = {"pydantic": 2, "urllib3": 1, "python-dateutil": 2, "typing_extensions": 4}
for name, major in need.items():
    if int(m.version(name).split(".")[0]) < major:
        sys.exit(1)
EOF
}
PY=
for candidate in "$(command -v python3 || true)" /root/.pyenv/shims/python3 /root/.pyenv/versions/3.*/bin/python3; do
  if [[ -x "$candidate" ]] && has_client_packages "$candidate"; then
    PY=$candidate
    break
  fi
done
if [[ -z "$PY" ]]; then
  echo "clients: no python3 here has the generated client's runtime packages (pydantic>=2, urllib3," \
       "python-dateutil, typing-extensions); PyPI is not reachable and Debian's python3-pydantic is 1.x," \
       "so the Python part cannot run" >&2
  exit 1
fi

# --- the service -----------------------------------------------------------------------------------------
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE=http://localhost:$PORT
STORE=$(mktemp -d)
step "starting $JAR on port $PORT (store $STORE; it trains the digits model first)"
java -jar "$JAR" --server.port="$PORT" --server.address=127.0.0.1 --management.server.port=0 --mcdropout.store.dir="$STORE" \
  --mcdropout.security.api-key="$API_KEY" --mcdropout.predict.threads=2 >"$WORK/server.log" 2>&1 &
SERVER=$!
stop_server() { kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; rm -rf "$STORE"; }
trap stop_server EXIT

python3 - "$BASE" "$WORK" "$SERVER" <<'EOF'
import csv, gzip, json, os, sys, time, urllib.request
base, work, pid = sys.argv[1], sys.argv[2], int(sys.argv[3])
deadline = time.time() + 300
while True:
    try:
        with urllib.request.urlopen(base + "/v2/health/ready", timeout=5) as r:
            if r.status == 200:
                break
    except OSError:
        pass
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit("the service exited; see target/clients/server.log")
    if time.time() > deadline:
        sys.exit("the service was not ready within 300 s; see target/clients/server.log")
    time.sleep(0.5)
with urllib.request.urlopen(base + "/v3/api-docs", timeout=30) as r:
    open(os.path.join(work, "openapi.json"), "wb").write(r.read())
# The bundled digits data (64 pixel columns, label last): rows 0-3 to predict, rows 0-499 as a CSV with a
# header and the label column first (named, not last), rows 1000-1039 held out to score the trained model.
rows = [line.split(",") for line in gzip.open("src/main/resources/datasets/digits.csv.gz", "rt").read().split()]
features = lambda r: [float(v) for v in r[:-1]]
json.dump([features(r) for r in rows[:4]], open(os.path.join(work, "rows.json"), "w"))
with open(os.path.join(work, "train.csv"), "w", newline="") as f:
    out = csv.writer(f)
    out.writerow(["digit"] + [f"p{j}" for j in range(64)])
    out.writerows([r[-1]] + r[:-1] for r in rows[:500])
json.dump({"instances": [features(r) for r in rows[1000:1040]], "labels": [r[-1] for r in rows[1000:1040]]},
          open(os.path.join(work, "test.json"), "w"))
EOF
step "service ready; live document saved as target/clients/openapi.json"

generate() {  # generator, output directory, extra arguments
  local generator=$1 out=$2
  shift 2
  java -jar "$GENERATOR" generate -g "$generator" -i "$WORK/openapi.json" -o "$out" "$@" >"$out.log" 2>&1 \
    || { tail -20 "$out.log"; return 1; }
}

# Each step returns on its first failure (set -e does not apply inside an if condition).
check_java() {
  generate java "$WORK/java" --library native --api-package dev.mcdropout.client.api \
    --model-package dev.mcdropout.client.model --invoker-package dev.mcdropout.client.invoker \
    --additional-properties useJakartaEe=true,openApiNullable=false || return 1
  mkdir -p "$WORK/java-classes"
  local cp
  cp=$(cat "$CLASSPATH_FILE")
  javac -nowarn -encoding UTF-8 -d "$WORK/java-classes" -cp "$cp" \
    $(find "$WORK/java/src/main/java" -name '*.java') clients/java/ClientCheck.java || return 1
  java -cp "$WORK/java-classes:$cp" ClientCheck "$BASE" "$API_KEY" "$WORK"
}

check_python() {
  generate python "$WORK/python" --package-name mcdropout_client || return 1
  PYTHONPYCACHEPREFIX="$WORK/pycache" "$PY" -m compileall -q "$WORK/python/mcdropout_client" clients/python/client_check.py \
    >/dev/null || return 1
  PYTHONPATH="$WORK/python" "$PY" -B clients/python/client_check.py "$BASE" "$API_KEY" "$WORK"
}

check_typescript() {
  mkdir -p "$WORK/typescript"
  generate typescript-fetch "$WORK/typescript/generated" || return 1
  cp clients/typescript/client_check.ts clients/typescript/tsconfig.json "$WORK/typescript/" || return 1
  ln -sfn "$ROOT/clients/typescript/node_modules" "$WORK/typescript/node_modules" || return 1
  (cd "$WORK/typescript" && node_modules/.bin/tsc --strict -p tsconfig.json) || return 1
  node "$WORK/typescript/out/client_check.js" "$BASE" "$API_KEY" "$WORK"
}

# Stoplight Spectral's spectral:oas ruleset: no error, no warning, no hint (--fail-severity=hint)
check_spectral() {
  clients/spectral/node_modules/.bin/spectral lint --ruleset clients/spectral/.spectral.yaml \
    --fail-severity=hint "$WORK/openapi.json"
}

passed=0
failed=0
for language in spectral java python typescript; do
  if [[ $language == spectral ]]; then step "spectral: lint the live document"; else step "$language: generate, compile, run"; fi
  if "check_$language"; then
    passed=$((passed + 1))
  else
    echo "clients: the $language client check FAILED" >&2
    failed=$((failed + 1))
  fi
done

step "comparing the three clients' predictions (mcSamples=100, seed=7)"
if ! python3 - "$WORK" <<'EOF'
import json, os, sys
work = sys.argv[1]
answers = {}
for language in ("java", "python", "typescript"):
    path = os.path.join(work, f"prediction-{language}.json")
    if os.path.exists(path):
        answers[language] = json.load(open(path))
if "java" not in answers or len(answers) < 2:
    sys.exit("fewer than two clients (with Java) predicted; nothing to compare")
for language, answer in answers.items():
    if answer != answers["java"]:
        sys.exit(f"{language} got different numbers from the Java client: {answer} vs {answers['java']}")
first = answers["java"]
print(f"same numbers in {', '.join(answers)}: model {first['model']}, row 0 predicted {first['predictedClass'][0]}, "
      f"mean max {max(first['mean'][0]):.6f}, mutual information {first['mutualInformation'][0]:.6g}")
EOF
then
  failed=$((failed + 1))
fi
step "done"
echo "clients: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
