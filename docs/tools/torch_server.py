"""Minimal Flask + PyTorch Monte Carlo dropout server, the baseline of docs/tools/load.sh (issue 12).

POST /predict?mcSamples=N&seed=S with {"instances": [[...], ...]} -> the same batched pass the service runs:
the B standardised rows repeated N times, one dropout mask per row, sample and layer (inverted dropout), softmax,
then per row the mean and population std of each class probability, predictive entropy, mutual information and
variation ratio (natural logarithms). Usage: python3 torch_server.py ARTIFACT.zip PORT (Debian: python3-torch,
python3-flask). TORCH_THREADS (default 1) sets torch's intra-op threads; Flask serves requests on threads.
"""
import io, json, logging, os, sys, zipfile
import numpy as np, torch
from flask import Flask, jsonify, request

torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "1")))
z = zipfile.ZipFile(sys.argv[1])
meta = json.loads(z.read("model.json"))
load = lambda name: torch.from_numpy(np.load(io.BytesIO(z.read(name))).astype(np.float32))
layers = [(load(l["weights"]), load(l["bias"]).reshape(-1), l["activation"], l.get("dropout", 0.0)) for l in meta["layers"]]
st = meta.get("standardization")
mean, std = (torch.tensor(st["mean"]), torch.tensor(st["std"])) if st else (0.0, 1.0)
app = Flask(__name__)
logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no log line per request: the baseline at its fastest

def drop(x, p, g):  # inverted dropout: keep with probability 1 - p, scale kept values by 1 / (1 - p)
    return x * (torch.rand(x.shape, generator=g) >= p) / (1.0 - p) if p > 0 else x

@app.post("/predict")
def predict():
    n, g = int(request.args.get("mcSamples", 0)), torch.Generator().manual_seed(int(request.args.get("seed", 1)))
    x = ((torch.tensor(request.get_json()["instances"], dtype=torch.float64) - mean) / std).float()
    b = x.shape[0]
    with torch.no_grad():
        h = drop(x.repeat(max(n, 1), 1), meta.get("inputDropout", 0.0) if n else 0.0, g)   # sample-major N*B rows
        for w, bias, act, p in layers:
            h = h @ w + bias
            h = drop(torch.relu(h) if act == "relu" else h, p if n else 0.0, g)
        probs = torch.softmax(h.double(), dim=1).reshape(max(n, 1), b, -1)   # (N, B, classes)
        m, s = probs.mean(0), probs.std(0, unbiased=False)
        entropy = -(m * torch.log(m.clamp_min(1e-300))).sum(1)
        expected = -(probs * torch.log(probs.clamp_min(1e-300))).sum(2).mean(0)
        votes = torch.nn.functional.one_hot(probs.argmax(2), probs.shape[2]).sum(0)
    return jsonify({"mcSamples": n, "classes": meta["classes"], "predictions": [
        {"predictedClass": meta["classes"][int(m[i].argmax())], "mean": m[i].tolist(), "std": s[i].tolist(),
         "predictiveEntropy": float(entropy[i]), "mutualInformation": float(entropy[i] - expected[i]),
         "variationRatio": 1.0 - float(votes[i].max()) / max(n, 1)} for i in range(b)]})

if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[2]), threaded=True)
