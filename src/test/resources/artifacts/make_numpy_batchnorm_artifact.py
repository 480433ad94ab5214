"""Writes numpy-bn-net.zip, a formatVersion 2 model archive made by hand in numpy the way an outside user would:
two hidden layers with batch normalisation (linear -> batch norm -> ReLU -> dropout), the second with DropConnect,
and numpy-bn-net.expected.json with the test-mode class scores and probabilities numpy computes for a few rows.

Run once from this folder (python3 make_numpy_batchnorm_artifact.py); the outputs are committed and the Java
tests only read them. The arrays are float32 (as a PyTorch model's state_dict would give them: a Linear's weight
transposed, BatchNorm1d's weight, bias, running_mean, running_var), one batch-norm array is 2-D (1, units), the
entries are deflated and model.json comes last.
"""
import hashlib
import io
import json
import zipfile

import numpy as np

rng = np.random.default_rng(20130616)
sizes = [4, 6, 5, 3]
f32 = np.float32
weights = [rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out)).astype(f32) for n_in, n_out in zip(sizes, sizes[1:])]
biases = [rng.normal(0.0, 0.1, size=n_out).astype(f32) for n_out in sizes[1:]]
batch_norm = []
for units in sizes[1:-1]:
    batch_norm.append({
        "gamma": rng.uniform(0.5, 1.5, size=units).astype(f32),
        "beta": rng.normal(0.0, 0.2, size=units).astype(f32),
        "runningMean": rng.normal(0.0, 0.5, size=units).astype(f32),
        "runningVar": rng.uniform(0.2, 2.0, size=units).astype(f32),
    })
epsilon = [1e-5, 1e-3]
mean = np.array([5.8, 3.0, 3.7, 1.2])
std = np.array([0.8, 0.45, 1.75, 0.75])


def npy(array):
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


files = {}
layers = []
for i, (w, b) in enumerate(zip(weights, biases)):
    files[f"fc{i}_weight.npy"] = npy(w)
    files[f"fc{i}_bias.npy"] = npy(b)
    layer = {"weights": f"fc{i}_weight.npy", "bias": f"fc{i}_bias.npy",
             "activation": "relu" if i < len(weights) - 1 else "linear",
             "dropout": [0.2, 0.4, 0.0][i], "dropConnect": i == 1}
    if i < len(batch_norm):
        bn = {}
        for name, values in batch_norm[i].items():
            stored = values.reshape(1, -1) if (i, name) == (1, "gamma") else values
            files[f"bn{i}_{name}.npy"] = npy(stored)
            bn[name] = f"bn{i}_{name}.npy"
        bn["epsilon"] = epsilon[i]
        layer["batchNorm"] = bn
    layers.append(layer)
assert all(b"'<f4'" in f[:128] for f in files.values())

model = {
    "formatVersion": 2,
    "classes": ["setosa", "versicolor", "virginica"],
    "inputDropout": 0.1,
    "standardization": {"mean": mean.tolist(), "std": std.tolist()},
    "layers": layers,
    "sha256": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
    "hyperparameters": {"framework": "numpy", "batchNorm": True},
    "history": None,
    "createdAt": "2026-12-03T00:00:00Z",
}

with zipfile.ZipFile("numpy-bn-net.zip", "w") as archive:
    for name, data in list(files.items()) + [("model.json", json.dumps(model, indent=2).encode())]:
        info = zipfile.ZipInfo(name, date_time=(2026, 12, 3, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, data)

# The deterministic (test-mode) forward pass, in float64 from the stored float32 values, as docs/model-artifact.md
# shows it: batch norm with the running statistics, DropConnect and dropout off.
rows = np.array([
    [5.1, 3.5, 1.4, 0.2],
    [6.4, 3.2, 4.5, 1.5],
    [6.3, 3.3, 6.0, 2.5],
    [0.0, 0.0, 0.0, 0.0],
    [9.0, -1.0, 12.0, 4.0],
])
h = (rows - mean) / std
for i, (w, b) in enumerate(zip(weights, biases)):
    h = h @ w.astype(np.float64) + b.astype(np.float64)
    if i < len(batch_norm):
        bn = {k: v.astype(np.float64) for k, v in batch_norm[i].items()}
        h = (h - bn["runningMean"]) / np.sqrt(bn["runningVar"] + epsilon[i]) * bn["gamma"] + bn["beta"]
        h = np.maximum(h, 0.0)
scores = h
shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
probabilities = shifted / shifted.sum(axis=1, keepdims=True)

with open("numpy-bn-net.expected.json", "w") as out:
    json.dump({
        "note": "test-mode scores and softmax probabilities computed by make_numpy_batchnorm_artifact.py in float64",
        "rows": rows.tolist(),
        "scores": scores.tolist(),
        "probabilities": probabilities.tolist(),
    }, out, indent=2)
    out.write("\n")
