#!/usr/bin/python3
"""Validates rendered Kubernetes manifests (kubectl kustomize output) against the API schemas that Debian's
python3-kubernetes ships (its model classes: field names, types, required fields, enums), strictly: an unknown
field anywhere is an error, as `kubectl apply --validate=strict` would make it. Then checks what this project's
deployment relies on. Usage: validate_k8s.py FILE.yaml [--replicas N]"""
import re
import sys

import yaml
import kubernetes.client as k8s
from kubernetes.client import Configuration

errors = []
config = Configuration()
config.client_side_validation = True


def model_class(api_version, kind):
    version = api_version.split("/")[-1]
    name = version[0].upper() + version[1:] + kind
    cls = getattr(k8s, name, None)
    if cls is None and api_version == "autoscaling/v2":
        # python3-kubernetes 22 predates autoscaling/v2 (GA in Kubernetes 1.23); v2beta2 has the same schema.
        cls = getattr(k8s, "V2beta2" + kind, None)
    return cls


def check(value, typ, path):
    if value is None:
        return
    m = re.match(r"list\[(.*)\]$", typ)
    if m:
        if not isinstance(value, list):
            errors.append(f"{path}: expected a list, got {type(value).__name__}")
            return
        for i, item in enumerate(value):
            check(item, m.group(1), f"{path}[{i}]")
        return
    m = re.match(r"dict\((.*), (.*)\)$", typ)
    if m:
        if not isinstance(value, dict):
            errors.append(f"{path}: expected a map, got {type(value).__name__}")
            return
        for k, v in value.items():
            check(v, m.group(2), f"{path}.{k}")
        return
    if typ == "str":
        if not isinstance(value, str):
            errors.append(f"{path}: expected a string, got {value!r}")
        return
    if typ == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            errors.append(f"{path}: expected an integer, got {value!r}")
        return
    if typ == "bool":
        if not isinstance(value, bool):
            errors.append(f"{path}: expected true/false, got {value!r}")
        return
    if typ == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            errors.append(f"{path}: expected a number, got {value!r}")
        return
    if typ in ("object", "datetime", "date"):
        return  # int-or-string, quantities given as objects, timestamps
    cls = getattr(k8s, typ)
    if not isinstance(value, dict):
        errors.append(f"{path}: expected an object ({typ}), got {value!r}")
        return
    by_json = {json_name: attr for attr, json_name in cls.attribute_map.items()}
    kwargs = {}
    for key, v in value.items():
        attr = by_json.get(key)
        if attr is None:
            errors.append(f"{path}.{key}: unknown field (not in {typ})")
            continue
        check(v, cls.openapi_types[attr], f"{path}.{key}")
        kwargs[attr] = v
    try:
        # The model's setters reject a missing required field and a value outside an enum.
        cls(local_vars_configuration=config, **kwargs)
    except ValueError as e:
        errors.append(f"{path}: {e}")


def main():
    args = sys.argv[1:]
    replicas = None
    if "--replicas" in args:
        i = args.index("--replicas")
        replicas = int(args[i + 1])
        del args[i:i + 2]
    docs = [d for d in yaml.safe_load_all(open(args[0])) if d]
    kinds = {}
    for n, doc in enumerate(docs):
        where = f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
        cls = model_class(doc.get("apiVersion", ""), doc.get("kind", ""))
        if cls is None:
            errors.append(f"document {n} ({where}): no schema for {doc.get('apiVersion')} {doc.get('kind')}")
            continue
        check(doc, cls.__name__, where)
        kinds[doc["kind"]] = doc

    for kind in ("Deployment", "Service", "PersistentVolumeClaim", "PodDisruptionBudget", "HorizontalPodAutoscaler", "Secret"):
        if kind not in kinds:
            errors.append(f"no {kind} rendered")
    if not errors:
        deployment = kinds["Deployment"]
        pod = deployment["spec"]["template"]
        container = pod["spec"]["containers"][0]
        if replicas is not None and deployment["spec"]["replicas"] != replicas:
            errors.append(f"Deployment has {deployment['spec']['replicas']} replicas, expected {replicas}")
        if replicas is not None and kinds["HorizontalPodAutoscaler"]["spec"]["minReplicas"] < replicas:
            errors.append("the autoscaler's minReplicas is below the overlay's replicas")
        for probe, path in (("startupProbe", "/actuator/health/liveness"), ("livenessProbe", "/actuator/health/liveness"),
                            ("readinessProbe", "/actuator/health/readiness")):
            if container.get(probe, {}).get("httpGet", {}).get("path") != path:
                errors.append(f"{probe} must GET {path}")
            if container.get(probe, {}).get("httpGet", {}).get("port") not in ("management", 8081):
                errors.append(f"{probe} must use the management port (8081), not the API's")
        annotations = pod["metadata"].get("annotations", {})
        if annotations.get("prometheus.io/scrape") != "true" or annotations.get("prometheus.io/path") != "/actuator/prometheus" \
                or annotations.get("prometheus.io/port") != "8081":
            errors.append("the pod template lacks the Prometheus scrape annotations (management port 8081)")
        ports = {p.get("name"): p.get("containerPort") for p in container.get("ports", [])}
        if ports.get("management") != 8081:
            errors.append("the container must declare the management port 8081")
        if pod["spec"].get("terminationGracePeriodSeconds", 30) > 30:
            errors.append("terminationGracePeriodSeconds above Kubernetes' default 30 s: the service stops well within it")
        if kinds["PersistentVolumeClaim"]["spec"]["accessModes"] != ["ReadWriteMany"]:
            errors.append("the model store's claim must be ReadWriteMany")
        claim = kinds["PersistentVolumeClaim"]["metadata"]["name"]
        if not any(v.get("persistentVolumeClaim", {}).get("claimName") == claim for v in pod["spec"]["volumes"]):
            errors.append("the Deployment does not mount the model store's claim")
        secret = kinds["Secret"]["metadata"]["name"]
        env = {e["name"]: e for e in container["env"]}
        ref = env.get("MCDROPOUT_SECURITY_API_KEY", {}).get("valueFrom", {}).get("secretKeyRef", {})
        if ref.get("name") != secret or ref.get("key") not in kinds["Secret"].get("data", {}):
            errors.append("MCDROPOUT_SECURITY_API_KEY must come from the rendered Secret's api-key")
        limits, requests = container["resources"]["limits"], container["resources"]["requests"]
        if limits.get("memory") != requests.get("memory"):
            errors.append("memory request and limit must be equal (the JVM's limits are percentages of it)")
        if "MaxRAMPercentage=40" not in env.get("JAVA_TOOL_OPTIONS", {}).get("value", ""):
            errors.append("JAVA_TOOL_OPTIONS must hold the image's memory settings")
        # The pod's grace (counted from preStop) must cover preStop + the service's own bounded shutdown, and that
        # must cover its drain delay + the wait for requests in flight.
        grace = pod["spec"].get("terminationGracePeriodSeconds", 30)
        seconds = lambda v: float(str(v).rstrip("s"))
        pre_stop = container.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command", [])
        pre_stop = seconds(pre_stop[-1]) if pre_stop[:1] == ["sleep"] else 0.0
        service_grace = seconds(env.get("MCDROPOUT_SHUTDOWN_GRACEPERIOD", {}).get("value", "9s"))
        drain = seconds(env.get("MCDROPOUT_SHUTDOWN_DRAINDELAY", {}).get("value", "1s"))
        web = seconds(env.get("SPRING_LIFECYCLE_TIMEOUTPERSHUTDOWNPHASE", {}).get("value", "6s"))
        if pre_stop + service_grace >= grace:
            errors.append(f"preStop {pre_stop} s + MCDROPOUT_SHUTDOWN_GRACEPERIOD {service_grace} s must stay below "
                          f"terminationGracePeriodSeconds {grace}")
        if drain + web >= service_grace:
            errors.append(f"drain delay {drain} s + web drain {web} s must stay below the service's grace period "
                          f"{service_grace} s")
        selector = deployment["spec"]["selector"]["matchLabels"]
        for kind in ("Service", "PodDisruptionBudget"):
            sel = kinds[kind]["spec"]["selector"]
            sel = sel.get("matchLabels", sel)
            if sel != selector:
                errors.append(f"the {kind}'s selector {sel} does not match the Deployment's {selector}")

    if errors:
        for e in errors:
            print(f"  INVALID {args[0]}: {e}")
        sys.exit(1)
    print(f"  {args[0]}: {len(docs)} objects valid ({', '.join(sorted(kinds))})")


main()
