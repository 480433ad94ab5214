#!/bin/bash
# Without a Docker engine, does what the Dockerfile does on the real jar: extracts the layers, merges them into
# one /app-like directory in the Dockerfile's COPY order, runs the ENTRYPOINT from there with the image's
# environment as a non-root uid (65534, via setpriv; run this script as root), waits for readiness, predicts,
# and stops the service with SIGTERM. Needs ./mvnw -B -DskipTests package first.
set -eu
JAR=$(ls "$(dirname "$0")"/../target/mc-dropout-service-*.jar)
W=${WORK:-$(mktemp -d)}
mkdir -p $W/app $W/home $W/data/models
java -Djarmode=tools -jar "$JAR" extract --layers --launcher --destination $W/extracted
ls $W/extracted
for layer in dependencies spring-boot-loader snapshot-dependencies application; do
  cp -a $W/extracted/$layer/. $W/app/
done
du -sh $W/extracted/*
chown -R 65534:65534 $W/home $W/data
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
echo "port $PORT"
cd $W/app
env -i PATH=/usr/bin:/bin HOME=$W/home \
  JAVA_HOME=${JAVA_HOME:-} \
  MCDROPOUT_STORE_DIR=$W/data/models \
  OMP_NUM_THREADS=1 MCDROPOUT_ND4J_THREADS=1 SERVER_PORT=$PORT \
  JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=40 -Dorg.bytedeco.javacpp.maxbytes=100% -Dorg.bytedeco.javacpp.maxphysicalbytes=210%" \
  setpriv --reuid 65534 --regid 65534 --clear-groups \
  $(command -v java) org.springframework.boot.loader.launch.JarLauncher > $W/server.log 2>&1 &
PID=$!
echo "pid $PID"
echo $PID > $W/pid
start=$(date +%s)
for i in $(seq 1 180); do
  code=$(curl -s -o $W/ready.json -w '%{http_code}' http://127.0.0.1:$PORT/actuator/health/readiness || true)
  if [ "$i" = 3 ] || [ "$i" = 6 ]; then
    echo "readiness at ${i}s: $code $(head -c 300 $W/ready.json)"
    for t in /proc/$PID/task/*; do c=$(cat $t/comm); case "$c" in mcdropout-*) echo "thread $c nice $(awk '{print $19}' $t/stat)";; esac; done
  fi
  if [ "$code" = 200 ]; then echo "readiness UP after $(( $(date +%s) - start )) s: $(cat $W/ready.json | head -c 300)"; break; fi
  sleep 1
done
echo "liveness: $(curl -s http://127.0.0.1:$PORT/actuator/health/liveness)"
echo "uid of java: $(awk '/^Uid/{print $2}' /proc/$PID/status)"
curl -s -X POST "http://127.0.0.1:$PORT/predict?mcSamples=100&seed=7" -H 'Content-Type: application/json' \
  -d '{"instances": [[0,0,5,13,9,1,0,0,0,0,13,15,10,15,5,0,0,3,15,2,0,11,8,0,0,4,12,0,0,8,8,0,0,5,8,0,0,9,8,0,0,4,11,0,1,12,7,0,0,2,14,5,10,12,0,0,0,0,6,13,10,0,0,0]]}' | head -c 200; echo
ls -la $W/data/models $W/home/.javacpp 2>&1 | head
grep -E "Picked up|ND4J limited|runs at nice|OMP|Started McDropout|trained default" $W/server.log | cut -c1-220
kill -TERM $PID
for i in $(seq 1 30); do kill -0 $PID 2>/dev/null || break; sleep 1; done
kill -0 $PID 2>/dev/null && echo "still running" || echo "stopped after SIGTERM"
echo "uid 65534 unpacked the native libraries to /tmp/.javacpp-nobody (its home does not exist); remove it when done"
