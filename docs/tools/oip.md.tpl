# Open Inference Protocol (V2 REST)

The service also speaks the [Open Inference Protocol](https://github.com/kserve/open-inference-protocol)
(`specification/protocol/inference_rest.md`), the REST protocol of KServe, Triton and MLServer, so their
clients call it without new code; and it answers with what those servers do not give: Monte Carlo dropout
uncertainty. It is a thin adapter onto `POST /predict` (package `dev.mcdropout.oip`): the same models,
limits, admission (`mcdropout.predict.max-concurrent`, 503 when full) and metrics
(`mcdropout.predict.latency` and the uncertainty meters count OIP requests too).

| Verb | Path | Answer |
|---|---|---|
| GET | `/v2` (also `/v2/`) | server metadata: name, version, extensions (`mc_dropout`) |
| GET | `/v2/health/live` | `{"live": true}` |
| GET | `/v2/health/ready` | `{"ready": true, "live": true}`, 200 once a model is active; 503 with `"ready": false` before |
| GET | `/v2/models/{name}[/versions/{version}]` | model metadata: input `[-1, features]` FP32, the six outputs |
| GET | `/v2/models/{name}[/versions/{version}]/ready` | `{"name": ..., "ready": true}`; 503 `false` for a model without active version |
| POST | `/v2/models/{name}[/versions/{version}]/infer` | inference |

Without `/versions/{version}` the model's active version answers; versions are the store's numbers, as
strings (`"1"`). No API key is needed (the protocol is read-only, like `/predict`).

## Inference

The request has one input tensor of datatype `FP32` (`FP64` is accepted too) and shape `[B, features]`,
its `data` flat (row-major, B × features numbers) or nested (B arrays of features numbers); the name of the
input is not checked (the metadata calls it `input`). The request's top-level `parameters` set the Monte
Carlo passes, as the query parameters of `/predict` do:

| Parameter | Meaning |
|---|---|
| `mc_samples` | integer, stochastic passes with dropout on; absent or 0: one deterministic pass; at most `mcdropout.limits.max-mc-samples` (10,000). Adaptive sampling (`mcSamples=auto`) is for `POST /predict` only ([api.md](api.md#adaptive-sampling-mcsamplesauto)) |
| `seed` | integer, any 64-bit; absent: one is drawn and returned |

Other parameters, and the parameters of inputs and outputs, are ignored: their values are skipped as they are
read, never built, however large. The response echoes the request's `id`, names `model_name` and
`model_version`, gives the `mc_samples` and `seed` used in its `parameters` (send the seed back to get the
same answer) and has these outputs (all of them, unless the request's `outputs` names some: then those, in
that order; a name given twice is answered once):

| Output | Datatype, shape | Meaning |
|---|---|---|
| `probabilities_mean` | FP32 `[B, classes]` | mean softmax probability per class over the passes |
| `probabilities_std` | FP32 `[B, classes]` | their population standard deviation |
| `predictive_entropy` | FP32 `[B]` | entropy of the mean distribution, nats (total uncertainty) |
| `mutual_information` | FP32 `[B]` | predictive entropy minus the mean entropy of the passes, nats (the model's own uncertainty) |
| `variation_ratio` | FP32 `[B]` | share of passes that did not vote for the modal class |
| `predicted_class` | BYTES `[B]` | label of the class with the highest mean |

Class labels, in the column order of the probabilities, are in the model metadata's
`properties.classes` (a JSON array as a string). FP32 outputs are the service's double-precision results
rounded to float.

@@ curl -s -X POST http://localhost:8080/v2/models/digits/infer -H 'Content-Type: application/json' -d '{"id": "42", "parameters": {"mc_samples": 100, "seed": 7}, "inputs": [{"name": "input", "shape": [2, 64], "datatype": "FP32", "data": [$ROW, $ROW2]}]}'

Nested data, one output asked for, no `mc_samples` (one deterministic pass, a drawn seed):

@@ curl -s -X POST http://localhost:8080/v2/models/digits/versions/1/infer -H 'Content-Type: application/json' -d '{"inputs": [{"name": "input", "shape": [1, 64], "datatype": "FP32", "data": [$ROW]}], "outputs": [{"name": "predicted_class"}]}'

## Metadata and health

@@ curl -s http://localhost:8080/v2

@@ curl -s http://localhost:8080/v2/health/ready

@@ curl -s http://localhost:8080/v2/models/digits

@@ curl -s http://localhost:8080/v2/models/digits/ready

## Errors

As the protocol asks: a JSON object `{"error": "..."}` that says what to fix, with a 4xx status (400 for
a malformed request, a wrong shape, datatype or value, an unknown output or an invalid parameter; 404 for
an unknown model or version or path under `/v2`; 413 for a body over `mcdropout.limits.max-predict-body`;
415 for a body that is not `application/json`), or 503 when `mcdropout.predict.max-concurrent`
predictions are running. The rest of the API answers with RFC 9457 problems instead.

@@ raw curl -s -w ' (HTTP %{http_code})' -X POST http://localhost:8080/v2/models/digits/infer -H 'Content-Type: application/json' -d '{"inputs": [{"name": "input", "shape": [1, 63], "datatype": "FP32", "data": [1, 2, 3]}]}'

@@ raw curl -s -w ' (HTTP %{http_code})' -X POST http://localhost:8080/v2/models/digits/infer -H 'Content-Type: application/json' -d '{"parameters": {"mc_samples": "100"}, "inputs": [{"name": "input", "shape": [1, 64], "datatype": "FP32", "data": [$ROW]}]}'

@@ raw curl -s -w ' (HTTP %{http_code})' http://localhost:8080/v2/models/wine/ready
