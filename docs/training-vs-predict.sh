#!/bin/bash
# Measures POST /predict latency (20 digit rows, mcSamples=100, median of 40 sequential requests) on an idle
# service, while a training job runs, and idle again; run once per niceness and compare the ratios.
# A measurement script (needs curl and python3), not part of the build or the tests.
# usage: docs/training-vs-predict.sh PORT NICE        e.g. 18202 0, then 18203 10
set -euo pipefail
PORT=$1; NICE=$2; U=http://localhost:$PORT
WORK=$(mktemp -d)
(echo "$(seq -s, -f 'p%g' 0 63),digit"; zcat src/main/resources/datasets/digits.csv.gz) > "$WORK/digits.csv"
./mvnw -q -B spring-boot:run -Dspring-boot.run.arguments="--server.port=$PORT --management.server.port=0 --mcdropout.store.dir=$WORK/store \
  --mcdropout.startup.train-default-model=false --mcdropout.training.nice=$NICE" > "$WORK/server.log" 2>&1 &
for _ in $(seq 1 180); do curl -s -o /dev/null "$U/v2/health/live" && break; sleep 1; done
curl -s -o /dev/null -F data=@"$WORK/digits.csv" -F name=digits -F 'hyperparameters={"epochs":10}' "$U/train?wait=true"
python3 - "$U" "$WORK/digits.csv" "$NICE" <<'PY'
import json, statistics, sys, time, urllib.request
U, CSV, NICE = sys.argv[1], sys.argv[2], sys.argv[3]
rows = [list(map(float, l.split(',')[:64])) for l in open(CSV).read().splitlines()[1:21]]
body = json.dumps({"instances": rows}).encode()
def predict():
    t = time.perf_counter()
    urllib.request.urlopen(urllib.request.Request(U + "/predict?mcSamples=100&model=digits", body,
                                                  {"Content-Type": "application/json"})).read()
    return (time.perf_counter() - t) * 1000
def series(n=40):
    return [predict() for _ in range(n)]
for _ in range(5):
    predict()
idle = series()
b = b'----b'
form = (b'--' + b + b'\r\nContent-Disposition: form-data; name="data"; filename="d.csv"\r\nContent-Type: text/csv\r\n\r\n'
        + open(CSV, 'rb').read() + b'\r\n--' + b + b'\r\nContent-Disposition: form-data; name="name"\r\n\r\nbusy\r\n--' + b
        + b'\r\nContent-Disposition: form-data; name="hyperparameters"\r\n\r\n'
        + b'{"epochs":10000,"earlyStoppingPatience":0,"hiddenLayers":[512]}\r\n--' + b + b'--\r\n')
job = json.load(urllib.request.urlopen(urllib.request.Request(U + "/train", form,
                                                              {"Content-Type": "multipart/form-data; boundary=----b"})))
while json.load(urllib.request.urlopen(U + "/train/jobs/" + job["id"]))["epoch"] < 1:
    time.sleep(0.1)
busy = series()
urllib.request.urlopen(urllib.request.Request(U + "/train/jobs/" + job["id"], method="DELETE")).read()
idle2 = series()
med = statistics.median
print(f"nice {NICE}: idle median {med(idle):.1f} ms, during training {med(busy):.1f} ms (p90 {sorted(busy)[35]:.1f}), "
      f"idle again {med(idle2):.1f} ms; ratio training/idle {med(busy) / statistics.mean([med(idle), med(idle2)]):.2f}")
PY
PID=$(ss -ltnp "sport = :$PORT" | grep -o "pid=[0-9]*" | head -1 | cut -d= -f2)
[ -n "$PID" ] && kill "$PID"
rm -rf "$WORK"
