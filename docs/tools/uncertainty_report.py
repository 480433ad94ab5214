#!/usr/bin/env python3
"""Regenerates the measured tables and plots of docs/uncertainty.md against a running service.

    python3 docs/tools/uncertainty_report.py http://localhost:8080 [--api-key KEY] [--doc docs/uncertainty.md]

Only the Python standard library is used. What it does, all through the HTTP API:
  1. splits the bundled digits data (src/main/resources/datasets/digits.csv.gz) by row index: every fifth
     row (i % 5 == 0, 360 rows) is held out as a test set, the other 1,437 rows are for training;
  2. trains model 'digits-uncertainty' on the training rows with the default hyperparameters (POST /train?wait=true);
  3. evaluates it on the test rows with 100 Monte Carlo passes, seed 7, targetAccuracy 0.99, and the test rows
     turned by 90 degrees as the out-of-distribution set (POST /models/{name}/versions/{v}/evaluate);
  4. runs a dropout-rate sweep over the default rates [0.0, 0.3, 0.5, 0.7, 0.9] on the training rows with the
     default hyperparameters (POST /experiments/dropout-sweep), polling until it finishes;
  5. saves the plots under docs/img/ and rewrites the blocks between the GENERATED markers in the doc.
Training is seeded, so a rerun on the same engine gives the same numbers (up to BLAS rounding across CPUs).
"""
import argparse, gzip, json, os, sys, time, urllib.error, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MEASURES = ["predictiveEntropy", "mutualInformation", "variationRatio", "predictedClassStd", "oneMinusMaxProbability"]
LABELS = {"predictiveEntropy": "predictive entropy", "mutualInformation": "mutual information",
          "variationRatio": "variation ratio", "predictedClassStd": "std of predicted class",
          "oneMinusMaxProbability": "1 - max probability"}


def call(base, method, path, body=None, key=None, raw=False, timeout=900):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    if body is not None:
        req.add_header("Content-Type", "application/json")
    if key:
        req.add_header("X-API-Key", key)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            payload = r.read()
    except urllib.error.HTTPError as e:
        sys.exit(f"{method} {path} -> {e.code}: {e.read().decode(errors='replace')[:500]}")
    return payload if raw else json.loads(payload)


def digits():
    rows, labels = [], []
    with gzip.open(os.path.join(ROOT, "src/main/resources/datasets/digits.csv.gz"), "rt") as f:
        for line in f:
            cells = line.strip().split(",")
            rows.append([float(c) for c in cells[:-1]])
            labels.append(str(int(float(cells[-1]))))
    return rows, labels


def rotated(row):
    out = [0.0] * 64
    for r in range(8):
        for c in range(8):
            out[c * 8 + (7 - r)] = row[r * 8 + c]
    return out


def f(x, digits=4):
    return "n/a" if x is None else f"{x:.{digits}f}"


def evaluation_table(ev):
    d, m = ev["deterministic"], ev["monteCarlo"]
    lines = ["| | deterministic (dropout off) | Monte Carlo (%d passes) |" % ev["mcSamples"], "|---|---|---|"]
    for key, name in [("accuracy", "accuracy"), ("nll", "NLL (nats)"), ("brier", "Brier"), ("ece", "ECE (15 bins)"),
                      ("adaptiveEce", "adaptive ECE (15 bins)")]:
        lines.append(f"| {name} | {f(d[key])} | {f(m[key])} |")
    for metric, title in [("misclassificationAuroc", "misclassification AUROC"), ("aurc", "AURC"),
                          ("eAurc", "E-AURC"), ("oodAuroc", "OOD AUROC (rotated digits)"), ("fpr95", "FPR at 95% TPR (OOD)")]:
        for measure in MEASURES:
            dv = d["measures"][measure][metric]
            mv = m["measures"][measure][metric]
            if measure in ("mutualInformation", "variationRatio", "predictedClassStd"):
                dv = None  # one pass has no spread: these are 0 for every row
            lines.append(f"| {title}: {LABELS[measure]} | {f(dv)} | {f(mv)} |")
    t = m["measures"]["mutualInformation"]["target"]
    t2 = m["measures"]["predictiveEntropy"]["target"]
    lines.append("")
    lines.append(f"Selective prediction at targetAccuracy {ev['targetAccuracy']}: keeping rows with Monte Carlo "
                 f"predictive entropy <= {f(t2['threshold'])} keeps {100 * t2['coverage']:.1f}% of them "
                 f"(accuracy {f(t2['accuracy'])}); with mutual information <= {f(t['threshold'], 6)}, "
                 f"{100 * t['coverage']:.1f}% (accuracy {f(t['accuracy'])}).")
    return "\n".join(lines)


def sweep_table(sw):
    lines = ["| rate | epochs trained | best epoch | MC accuracy | MC NLL | MC ECE | MC Brier | MI misclassification AUROC "
             "| deterministic accuracy | deterministic NLL |", "|---|---|---|---|---|---|---|---|---|---|"]
    for run in sw["runs"]:
        r = run["report"]
        best = " **(best)**" if run["rate"] == sw["bestRate"] else ""
        lines.append(f"| {run['rate']}{best} | {run['epoch']} | {run['bestEpoch']} | {f(r['accuracy'])} | {f(r['nll'])} "
                     f"| {f(r['ece'])} | {f(r['brier'])} | {f(r.get('misclassificationAurocMutualInformation'))} "
                     f"| {f(r['deterministicAccuracy'])} | {f(r['deterministicNll'])} |")
    return "\n".join(lines)


def replace_block(text, name, content):
    begin, end = f"<!-- BEGIN GENERATED {name} -->", f"<!-- END GENERATED {name} -->"
    i, j = text.index(begin) + len(begin), text.index(end)
    return text[:i] + "\n" + content.strip() + "\n" + text[j:]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("base", nargs="?", default="http://localhost:8080")
    p.add_argument("--api-key")
    p.add_argument("--doc", default=os.path.join(ROOT, "docs", "uncertainty.md"))
    a = p.parse_args()
    base, key = a.base.rstrip("/"), a.api_key
    img = os.path.join(os.path.dirname(a.doc), "img")
    os.makedirs(img, exist_ok=True)

    rows, labels = digits()
    test = [i for i in range(len(rows)) if i % 5 == 0]
    train = [i for i in range(len(rows)) if i % 5 != 0]
    started = time.time()
    job = call(base, "POST", "/train?wait=true", {"name": "digits-uncertainty", "dataset": {
        "features": [rows[i] for i in train], "labels": [labels[i] for i in train]}}, key)
    if job["status"] != "SUCCEEDED":
        sys.exit(f"training did not succeed: {job}")
    version = job["model"]["version"]
    print(f"trained digits-uncertainty v{version} in {time.time() - started:.1f} s", file=sys.stderr)

    ev = call(base, "POST", f"/models/digits-uncertainty/versions/{version}/evaluate?mcSamples=100&seed=7", {
        "dataset": {"features": [rows[i] for i in test], "labels": [labels[i] for i in test]},
        "outOfDistribution": {"features": [rotated(rows[i]) for i in test]}, "targetAccuracy": 0.99}, key)
    for kind, plot in [("reliability", "reliabilityDiagram"), ("risk-coverage", "riskCoverage")]:
        with open(os.path.join(img, f"digits-{kind}.png"), "wb") as out:
            out.write(call(base, "GET", ev["plots"][plot], raw=True))

    started = time.time()
    sw = call(base, "POST", "/experiments/dropout-sweep", {"dataset": {
        "features": [rows[i] for i in train], "labels": [labels[i] for i in train]}, "mcSamples": 100}, key)
    while sw["status"] in ("QUEUED", "RUNNING"):
        time.sleep(2)
        sw = call(base, "GET", f"/experiments/{sw['id']}")
        print(f"sweep {100 * sw['progress']:.0f}%", file=sys.stderr)
    if sw["status"] != "SUCCEEDED":
        sys.exit(f"sweep did not succeed: {sw}")
    seconds = time.time() - started
    for metric in ("accuracy", "loss"):
        with open(os.path.join(img, f"sweep-{metric}.png"), "wb") as out:
            out.write(call(base, "GET", f"/experiments/{sw['id']}/plot?metric={metric}", raw=True))

    text = open(a.doc).read()
    text = replace_block(text, "evaluation", evaluation_table(ev))
    text = replace_block(text, "sweep", sweep_table(sw) + f"\n\nBest rate by Monte Carlo validation NLL: "
                         f"**{sw['bestRate']}** ({len(sw['runs'])} runs, {seconds:.0f} s on the machine that ran this).")
    open(a.doc, "w").write(text)
    json.dump({"evaluation": ev, "sweep": sw}, open(os.path.join(img, "uncertainty-report.json"), "w"), indent=1)
    print(evaluation_table(ev))
    print(sweep_table(sw))


if __name__ == "__main__":
    main()
