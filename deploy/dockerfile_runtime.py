#!/usr/bin/env python3
"""Reads a Dockerfile and prints what container-check.sh repeats outside a container, as bash assignments: the
build stage's layer extraction command, and of the runtime (last) stage the layers copied (in order), WORKDIR,
the ENV settings in order, the ENTRYPOINT and the HEALTHCHECK command (exec form). Only the forms
this project's Dockerfile uses are understood; anything else is an error, not a guess."""
import json
import shlex
import sys

lines, buf = [], ""
for raw in open(sys.argv[1]):
    line = raw.rstrip("\n")
    if not buf and (line.lstrip().startswith("#") or not line.strip()):
        continue
    if line.lstrip().startswith("#"):
        continue  # a comment inside a continued instruction
    if line.endswith("\\"):
        buf += line[:-1] + " "
        continue
    lines.append(buf + line)
    buf = ""

extract = None
for line in lines:
    if line.split()[0].upper() == "RUN" and "-Djarmode=tools" in line:
        extract = shlex.split(line.split(None, 1)[1])

stage = []
for line in lines:
    if line.split()[0].upper() == "FROM":
        stage = []
    stage.append(line)

env, workdir, entrypoint, health, layers = [], None, None, None, []
for line in stage:
    word, rest = line.split(None, 1) if " " in line else (line, "")
    word = word.upper()
    if word == "ENV":
        for item in shlex.split(rest):
            key, _, value = item.partition("=")
            env.append((key, value))
    elif word == "COPY" and rest.startswith("--from=build "):
        source = rest.split()[1]
        layers.append(source.rstrip("/").split("/")[-1])
    elif word == "WORKDIR":
        workdir = rest.strip()
    elif word == "ENTRYPOINT":
        entrypoint = json.loads(rest)
    elif word == "HEALTHCHECK":
        cmd = rest[rest.index("CMD") + 3:].strip()
        health = json.loads(cmd)

if entrypoint is None or workdir is None or extract is None or not layers:
    sys.exit("no layer extraction, COPY --from=build, ENTRYPOINT (exec form) or WORKDIR found")
print("DOCKER_EXTRACT=(" + " ".join(shlex.quote(a) for a in extract) + ")")
print("DOCKER_LAYERS=(" + " ".join(shlex.quote(a) for a in layers) + ")")
print("DOCKER_WORKDIR=" + shlex.quote(workdir))
print("DOCKER_ENV=(" + " ".join(shlex.quote(f"{k}={v}") for k, v in env) + ")")
print("DOCKER_ENTRYPOINT=(" + " ".join(shlex.quote(a) for a in entrypoint) + ")")
if health:
    if health[0] == "CMD":
        health = health[1:]
    print("DOCKER_HEALTHCHECK=(" + " ".join(shlex.quote(a) for a in health) + ")")
