#!/bin/bash
# Checks the deployment files as far as a machine without a container engine can (README, "Deploy"), and fails
# if any check fails. .ci/run calls it after ./mvnw -B verify (it needs the jar that built).
#   1. docker-compose.yml: `docker-compose config` accepts it (and refuses it without MCDROPOUT_API_KEY).
#   2. Prometheus: `promtool check config`, `promtool check rules`, `promtool test rules` (the alerts fire).
#   3. Grafana: the provisioning files and the dashboard parse, and the dashboard uses the provisioned data
#      source (its metric names are checked against a live scrape by DeployMetricsTest, in ./mvnw verify).
#   4. Kubernetes: `kubectl kustomize` renders the base and the two-replica overlay, and every object validates
#      strictly against the API schemas of Debian's python3-kubernetes (deploy/validate_k8s.py).
#   5. The Dockerfile's runtime stage run outside a container with the compose file's environment
#      (docs/container-check.sh): liveness, readiness, the healthchecks, a prediction, the API key, SIGTERM.
# Installs what is missing from Debian's packages, quietly; with everything installed it only checks.
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$(date +%s)
step() { echo "== deploy check: $* ($(( $(date +%s) - t0 )) s)"; }

need=()
command -v docker-compose > /dev/null || need+=(docker-compose)
command -v promtool > /dev/null || need+=(prometheus)
/usr/bin/python3 -c 'import kubernetes, yaml' 2> /dev/null || need+=(python3-kubernetes python3-yaml)
# kubectl is preinstalled on this project's machines; Debian's own (kubernetes-client, 1.20) is the fallback,
# though its kustomize is too old for some of the overlay's fields.
command -v kubectl > /dev/null || need+=(kubernetes-client)
command -v setpriv > /dev/null || need+=(util-linux)
command -v curl > /dev/null || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
  step "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -qq -o DPkg::Lock::Timeout=600 update > /dev/null
  apt-get -qq -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${need[@]}" > /dev/null
fi
W=$(mktemp -d)
chmod a+rx "$W"   # the service below runs as a non-root uid
trap 'rm -rf "$W"' EXIT

step "docker-compose config"
if docker-compose -f docker-compose.yml config -q 2> /dev/null; then
  echo "docker-compose.yml was accepted without MCDROPOUT_API_KEY: the key must be required" >&2; exit 1
fi
KEY=deploy-check-$RANDOM$RANDOM
MCDROPOUT_API_KEY=$KEY docker-compose -f docker-compose.yml config > "$W/compose.yml"
# The service's environment and healthcheck, for the run below.
/usr/bin/python3 - "$W" <<'PY'
import sys, yaml
w = sys.argv[1]
service = yaml.safe_load(open(f"{w}/compose.yml"))["services"]["mc-dropout-service"]
env = service["environment"]
with open(f"{w}/compose.env", "w") as f:
    for k, v in (env.items() if isinstance(env, dict) else (e.split("=", 1) for e in env)):
        f.write(f"{k}={v}\n")
test = service["healthcheck"]["test"]
assert test[:2] == ["CMD", "bash"] and test[2] == "-c", test
open(f"{w}/compose.healthcheck", "w").write(test[3])
assert service["platform"] == "linux/amd64"
PY
echo "docker-compose.yml: valid ($(docker-compose version --short)); service environment: $(cut -d= -f1 "$W/compose.env" | tr '\n' ' ')"

step "promtool"
promtool check config deploy/prometheus/prometheus.yml
promtool check rules deploy/prometheus/rules.yml
promtool test rules deploy/prometheus/rules.test.yml

step "grafana"
/usr/bin/python3 - <<'PY'
import json, yaml
ds = yaml.safe_load(open("deploy/grafana/provisioning/datasources/prometheus.yml"))["datasources"]
uids = {d["uid"] for d in ds}
provider = yaml.safe_load(open("deploy/grafana/provisioning/dashboards/mc-dropout-service.yml"))["providers"][0]
assert provider["options"]["path"] == "/var/lib/grafana/dashboards", provider
dash = json.load(open("deploy/grafana/dashboards/mc-dropout-service.json"))
queries = 0
for panel in dash["panels"]:
    for target in panel.get("targets", []):
        assert target["datasource"]["uid"] in uids, (panel["title"], target)
        assert target["expr"].strip(), panel["title"]
        queries += 1
print(f"dashboard '{dash['title']}': {len(dash['panels'])} panels, {queries} queries, data source {sorted(uids)}")
PY

step "kubectl kustomize + schema validation"
kubectl kustomize deploy/kubernetes/base > "$W/base.yaml"
kubectl kustomize deploy/kubernetes/overlays/two-replicas > "$W/two-replicas.yaml"
/usr/bin/python3 deploy/validate_k8s.py "$W/base.yaml" --replicas 1
/usr/bin/python3 deploy/validate_k8s.py "$W/two-replicas.yaml" --replicas 2

step "the Dockerfile's runtime stage, outside a container, with the compose environment"
if ! ls target/mc-dropout-service-*.jar > /dev/null 2>&1; then
  ./mvnw -B -q -DskipTests package
fi
mkdir -p "$W/run"
WORK="$W/run" ENV_FILE="$W/compose.env" HEALTHCHECK_FILE="$W/compose.healthcheck" API_KEY="$KEY" \
  bash docs/container-check.sh
step "all deploy checks passed"
