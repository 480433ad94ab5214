"""Writes numpy-net.zip, a model archive made by hand in numpy the way an outside user would, and
numpy-net.expected.json with the test-mode class scores and probabilities numpy computes for a few rows.

Also writes numpy-f4-3x4.npy, np.save of a small float32 matrix.

Run once from this folder (python3 make_numpy_artifact.py); the outputs are committed and the Java tests
only read them. On purpose it differs from what ModelArtifacts writes: float64 arrays (numpy's default),
one array in Fortran order, one .npy in format version 2.0, its own file names, deflated entries,
model.json last, an offset timestamp, no history.
"""
import hashlib
import io
import json
import zipfile

import numpy as np

rng = np.random.default_rng(20261130)
sizes = [4, 6, 5, 3]
weights = [rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out)) for n_in, n_out in zip(sizes, sizes[1:])]
biases = [rng.normal(0.0, 0.1, size=n_out) for n_out in sizes[1:]]
mean = np.array([5.8, 3.0, 3.7, 1.2])
std = np.array([0.8, 0.45, 1.75, 0.75])


def npy(array, version=None):
    buffer = io.BytesIO()
    if version is None:
        np.save(buffer, array)
    else:
        np.lib.format.write_array(buffer, array, version=version)
    return buffer.getvalue()


files = {
    "hidden1_W.npy": npy(weights[0]),
    "hidden1_b.npy": npy(biases[0]),
    "hidden2_W.npy": npy(np.asfortranarray(weights[1])),  # stored column-major, fortran_order True
    "hidden2_b.npy": npy(biases[1], version=(2, 0)),
    "out_W.npy": npy(weights[2]),
    "out_b.npy": npy(biases[2]),
}
assert b"'fortran_order': True" in files["hidden2_W.npy"][:128]
assert files["hidden2_b.npy"][6:8] == b"\x02\x00"
assert all(b"'<f8'" in f[:128] for f in files.values())

model = {
    "formatVersion": 1,
    "classes": ["setosa", "versicolor", "virginica"],
    "inputDropout": 0.1,
    "standardization": {"mean": mean.tolist(), "std": std.tolist()},
    "layers": [
        {"weights": "hidden1_W.npy", "bias": "hidden1_b.npy", "activation": "relu", "dropout": 0.5},
        {"weights": "hidden2_W.npy", "bias": "hidden2_b.npy", "activation": "relu", "dropout": 0.25},
        {"weights": "out_W.npy", "bias": "out_b.npy", "activation": "linear", "dropout": 0.0},
    ],
    "sha256": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
    "hyperparameters": {"framework": "numpy", "epochs": 10, "learningRate": 0.01},
    "metrics": {"accuracy": 0.9},
    "history": None,
    "createdAt": "2026-11-30T00:00:00+00:00",
}

with zipfile.ZipFile("numpy-net.zip", "w") as archive:
    for name, data in list(files.items()) + [("model.json", json.dumps(model, indent=2).encode())]:
        info = zipfile.ZipInfo(name, date_time=(2026, 11, 30, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, data)

rows = np.array([
    [5.1, 3.5, 1.4, 0.2],
    [6.4, 3.2, 4.5, 1.5],
    [6.3, 3.3, 6.0, 2.5],
    [0.0, 0.0, 0.0, 0.0],
    [9.0, -1.0, 12.0, 4.0],
])
h = (rows - mean) / std
for i, (w, b) in enumerate(zip(weights, biases)):
    h = h @ w + b
    if i < len(weights) - 1:
        h = np.maximum(h, 0.0)
scores = h
shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
probabilities = shifted / shifted.sum(axis=1, keepdims=True)

with open("numpy-net.expected.json", "w") as out:
    json.dump({
        "note": "test-mode scores and softmax probabilities computed by make_numpy_artifact.py in float64",
        "rows": rows.tolist(),
        "scores": scores.tolist(),
        "probabilities": probabilities.tolist(),
    }, out, indent=2)
    out.write("\n")

# np.save's own bytes for a float32 matrix, to check that the Java writer produces what numpy does.
with open("numpy-f4-3x4.npy", "wb") as out:
    out.write(npy((np.arange(12, dtype="<f4").reshape(3, 4) - 5.5) / 8))
