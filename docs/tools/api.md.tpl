# MC Dropout Service — HTTP API

Every example below was run against a freshly started service (`./mvnw spring-boot:run`, empty store,
so the `digits` model was trained at start) and shows the JSON it actually returned, pretty-printed.
Long per-epoch lists in model metadata are cut to their first values (`...`); nothing else is edited.
(`docs/tools/` regenerates this page.)

The machine-readable contract is the OpenAPI document at
[`/v3/api-docs`](http://localhost:8080/v3/api-docs) (browse it at
[`/swagger-ui.html`](http://localhost:8080/swagger-ui.html)). Operation ids, for generated clients:
`predict`, `listModels`, `getModelVersion`, `activateModelVersion`, `deleteModelVersion`,
`downloadArtifact`, `importModel`, `train`, `trainFromCsv`, `getTrainingJob`, `listTrainingJobs`,
`cancelTrainingJob`,
`getDatasetRows`, and for the Open Inference Protocol `oipServerMetadata`, `oipServerLive`,
`oipServerReady`, `oipModelMetadata`, `oipModelVersionMetadata`, `oipModelReady`, `oipModelVersionReady`,
`oipInfer`, `oipInferVersion`, and for evaluations and experiments `evaluateModelVersion`, `getEvaluation`,
`plotEvaluation`, `plotModelVersionEvaluation`, `startDropoutSweep`, `getExperiment`, `listExperiments`,
`cancelExperiment`, `plotExperiment`, `plotTrainingJob`.

| Endpoint | operationId | What |
|---|---|---|
| `POST /predict` | `predict` | Monte Carlo dropout prediction ([Predict](#predict)) |
| `GET /models` | `listModels` | Models, their versions and the active one |
| `GET /models/{name}/versions/{version}` | `getModelVersion` | One version's metadata |
| `GET /models/{name}/versions/{version}/artifact` | `downloadArtifact` | The version's zip artifact |
| `POST /models/{name}/versions` | `importModel` | Import an artifact as the next version |
| `POST /models/{name}/versions/{version}/activate` | `activateModelVersion` | Serve that version |
| `DELETE /models/{name}/versions/{version}` | `deleteModelVersion` | Delete a version that is not active |
| `POST /train` | `train` | Train from JSON (or, as before, a CSV form) |
| `POST /train/csv` | `trainFromCsv` | Train from a CSV upload ([generated clients](#generated-clients)) |
| `GET /train/jobs/{id}` | `getTrainingJob` | A training job and its progress |
| `GET /train/jobs` | `listTrainingJobs` | Recent training jobs |
| `DELETE /train/jobs/{id}` | `cancelTrainingJob` | Cancel a training job |
| `POST /models/{name}/versions/{version}/evaluate` | `evaluateModelVersion` | Calibration and uncertainty quality of a version on labelled data ([Evaluation](#evaluation)) |
| `GET /evaluations/{id}` | `getEvaluation` | A recent evaluation again |
| `GET /evaluations/{id}/plots/{kind}` | `plotEvaluation` | Its reliability diagram or risk–coverage curve ([Plots](#plots)) |
| `GET /models/{name}/versions/{version}/evaluation/plots/{kind}` | `plotModelVersionEvaluation` | The plots of a version's stored validation report |
| `POST /experiments/dropout-sweep` | `startDropoutSweep` | One training run per dropout rate, as one job ([Dropout-rate sweep](#dropout-rate-sweep)) |
| `GET /experiments/{id}` | `getExperiment` | A sweep and its progress |
| `GET /experiments` | `listExperiments` | Recent sweeps |
| `DELETE /experiments/{id}` | `cancelExperiment` | Cancel a sweep |
| `GET /experiments/{id}/plot` | `plotExperiment` | Validation accuracy or loss per epoch, one line per rate |
| `GET /train/jobs/{id}/plot` | `plotTrainingJob` | A training job's loss or accuracy per epoch |
| `GET /datasets/{name}/rows` | `getDatasetRows` | Rows of a bundled data set, with labels ([Bundled data](#bundled-data)) |
| `GET /v2` | `oipServerMetadata` | Open Inference Protocol: server metadata ([oip.md](oip.md)) |
| `GET /v2/health/live` | `oipServerLive` | Open Inference Protocol: server liveness |
| `GET /v2/health/ready` | `oipServerReady` | Open Inference Protocol: server readiness |
| `GET /v2/models/{name}` | `oipModelMetadata` | Open Inference Protocol: model metadata (active version) |
| `GET /v2/models/{name}/versions/{version}` | `oipModelVersionMetadata` | Open Inference Protocol: a version's metadata |
| `GET /v2/models/{name}/ready` | `oipModelReady` | Open Inference Protocol: model readiness |
| `GET /v2/models/{name}/versions/{version}/ready` | `oipModelVersionReady` | Open Inference Protocol: a version's readiness |
| `POST /v2/models/{name}/infer` | `oipInfer` | Open Inference Protocol: inference with Monte Carlo uncertainty |
| `POST /v2/models/{name}/versions/{version}/infer` | `oipInferVersion` | Open Inference Protocol: inference with a pinned version |

A person can use the service from a browser too: [`/`](http://localhost:8080/) serves a web page (try a
prediction and see its uncertainty, browse model versions, train from a CSV file); see the
[README](../README.md#web-page).

- [Predict](#predict)
- [Models](#models): [list](#list-models), [describe a version](#describe-a-version),
  [download](#download-an-artifact), [import](#import-an-artifact), [activate](#activate-a-version),
  [delete](#delete-a-version)
- Training: `POST /train` (JSON or CSV upload), `POST /train/csv` (CSV upload, as its own operation for
  [generated clients](#generated-clients)), `GET /train/jobs/{id}`, `GET /train/jobs`, `DELETE /train/jobs/{id}` — a full session with curl and the real answers is in
  [training.md](training.md), its reference section lists every field, limit and property; job records
  survive restarts, and an `Idempotency-Key` header makes a retried `POST /train` safe
- [Bundled data](#bundled-data): `GET /datasets/digits/rows`
- [Open Inference Protocol](#open-inference-protocol) (KServe / Triton clients): [oip.md](oip.md)
- [Evaluation](#evaluation): calibration and uncertainty quality of a version on labelled data
  (what the figures mean: [uncertainty.md](uncertainty.md))
- [Dropout-rate sweep](#dropout-rate-sweep): one training run per dropout rate, as one job
- [Plots](#plots): sweeps, training jobs, evaluations (PNG or SVG)
- [Errors](#errors)
- [Generated clients](#generated-clients)
- [Security](#security)
- [Capacity: memory, threads, admission](#capacity)
- [Operations: health, info, metrics, Prometheus](#operations)
- [Configuration](#configuration)

## Predict

`POST /predict` with a JSON body `{"instances": [[...], ...]}`: one row per instance, each with as many
numbers as the model has input features (64 pixel values 0..16 for `digits`; the rows below are the
first two rows of the bundled digits data, a 0 and a 1).

| Query parameter | Meaning |
|---|---|
| `mcSamples` | Stochastic forward passes with dropout on. Absent or `0`: one deterministic pass (all `std` 0, `mutualInformation` 0). At most 10,000. `auto`: as many passes per row as it needs, see [Adaptive sampling](#adaptive-sampling-mcsamplesauto). |
| `seed` | Seed of the dropout masks, any 64-bit integer. Absent: one is drawn and returned in the answer, so any answer can be reproduced. |
| `model` | `NAME` or `NAME:VERSION`. Absent: the active version of the default model (`mcdropout.default-model`, `digits`). |
| `include` | `scores` adds `scoresMean` / `scoresStd`, the same statistics of the raw class scores. |
| `tolerance`, `minSamples`, `maxSamples` | Settings of `mcSamples=auto` ([below](#adaptive-sampling-mcsamplesauto)); a 400 with a fixed `mcSamples`. |

Per row: `mean` and `std` are the mean and population standard deviation of each class's softmax
probability over the passes (in the order of `classes`); `predictedClass` is the label with the highest
mean; `predictiveEntropy` is the entropy of `mean` (total uncertainty, in nats); `mutualInformation` is
that minus the mean entropy of the individual passes (the model's own, epistemic, uncertainty; Gal &
Ghahramani 2016); `variationRatio` is the share of passes that did not vote for the modal class.

Models trained with the tutorial's two variants (hyperparameters `dropConnect` and `batchNorm`,
[training.md](training.md#7-dropconnect-and-batch-normalisation); or imported, [model-artifact.md](model-artifact.md))
are served the same way:

- **DropConnect** (Wan et al. 2013): each pass draws one mask over each DropConnect layer's weights (scaled
  by 1 / (1 − p) where kept) and uses it for every row of the request, since a pass is one network drawn from
  the distribution; units of the input (`inputDropout`) are still dropped per row. The deterministic pass uses
  the weights as stored.
- **Batch normalisation**: every pass keeps batch norm in prediction mode, normalising with the running mean
  and variance learned in training, so only dropout is stochastic. That is what Monte Carlo dropout with batch
  norm means in the literature (batch norm at test time as in Ioffe and Szegedy 2015, dropout as in Gal and
  Ghahramani 2016); Monte Carlo batch normalisation (Teye et al. 2018), which instead samples batch
  statistics, is a different method and not what the service does. In the passes the batch norm is folded into
  the layer's weights and bias (the same affine map, rounded once).

@@ curl -s -X POST 'http://localhost:8080/predict?mcSamples=100&seed=7' -H 'Content-Type: application/json' -d '{"instances": [$ROW, $ROW2]}'

Both rows are clear cases: the passes agree, `std` and `mutualInformation` are tiny. A hard case is
row 1,119 of the digits data, a 3 that the model reads as an 8; the passes disagree (`variationRatio`),
and the mutual information, the part of the uncertainty that comes from the model itself, is two orders
of magnitude higher (over a hundred times):

@@ curl -s -X POST 'http://localhost:8080/predict?mcSamples=100&seed=7' -H 'Content-Type: application/json' -d '{"instances": [[0,0,3,11,14,12,3,0,0,2,13,10,4,10,12,0,0,2,11,2,0,9,9,0,0,0,0,3,10,10,1,0,0,0,7,16,16,2,0,0,0,0,3,0,14,3,0,0,0,0,0,1,13,2,0,0,0,3,7,14,5,0,0,0]]}'

Over all 1,797 digits rows (the model's own training data, so few mistakes), the 11 misclassified rows have
a median mutual information of 0.17 nats against 0.0071 for the rest: a threshold on it flags the
answers not to trust.

The same request again gives the same answer, because the seed fixes every dropout mask (exactly what
is promised is under [Reproducibility](#reproducibility)). Without `mcSamples`, one deterministic pass
(dropout off), and a drawn seed:

@@ curl -s -X POST 'http://localhost:8080/predict' -H 'Content-Type: application/json' -d '{"instances": [$ROW]}'

A pinned version and the raw class scores:

@@ curl -s -X POST 'http://localhost:8080/predict?mcSamples=20&seed=1&model=digits:1&include=scores' -H 'Content-Type: application/json' -d '{"instances": [$ROW]}'

Limits (each configurable, see [Configuration](#configuration)); a breach is a 4xx problem naming the
limit: `mcSamples` ≤ 10,000; rows ≤ 10,000; rows × `mcSamples` ≤ 10,000,000; body ≤ 16 MiB (413, also
for chunked bodies). Every number must be a finite JSON number: `NaN`, `Infinity`, strings, `null` and
booleans are rejected with a 400 that names the position (`instances[0][3]`), and so is a value so large
that the model cannot compute with it (standardised, it overflows float32); a row with the wrong number of
features is a 422 naming the expected and the actual count. A model whose own weights overflow on an input
answers a 500 problem (`non-finite-result`) rather than a NaN: an answer is always finite.

**Admission, deadline, overload.** At most `predict.max-concurrent` (8) predictions compute at once; up to
`predict.max-queued` (64) more wait for a slot, each at most `predict.queue-timeout` (30 s). One more than
that is refused at once with `503` (`busy`) and `Retry-After` (`predict.retry-after`, 1 s): an overloaded
service answers fast 503s instead of letting requests pile up. Every prediction also has a deadline,
`predict.deadline` (60 s) from its arrival (the body upload counts): past it its work stops (the engine
checks between samples and after every matrix product) and the answer is `503` (`deadline-exceeded`) with
`Retry-After`. A client that closes its connection while its prediction waits or computes has its work
stopped too: the service probes the connections of running predictions five times a second. OIP inference
follows the same rules. Meters: `mcdropout.predict.in.flight`, `.queued`, `.rejected{reason}` and
`.stopped{reason}` ([Operations](#operations)).

**Batching.** Predictions admitted at the same time for the same model version, `mcSamples` and `include`
run as one engine call over all their rows, and each gets its own rows' answers: many small requests cost
the engine little more than one. Each row keeps its own request's seed (sent or drawn), so its masks are
exactly those it draws alone, and its answer agrees with the answer it gets alone to the rounding bound of
[Reproducibility](#reproducibility). The first prediction of a batch waits at most `predict.batch.window`
(1 ms) for others, not at all when the service has no more requests in flight than the engine has
threads (`predict.threads`, by default the cores: each then has a core of its own), and no longer once every admitted
prediction has joined the batch or the batch holds `predict.batch.max-rows` (64) rows or
`predict.batch.max-row-samples` (100,000) rows × `mcSamples`; a bigger prediction runs on its own. Admission,
deadline and disconnects hold for each prediction of a batch as for one alone: one that is stopped stops
waiting at once (its rows are left out if the batch has not started) and answers its 503 while the batch
computes on for the others; the batch's work stops only when every prediction in it is stopped. A row the
model cannot compute with fails only its own request (the batch is computed again, each prediction on its
own). Models with DropConnect share a weight mask per sample among all rows of a call, so they batch only
predictions with the same seed. `predict.batch.enabled=false` switches batching off. Meters:
`mcdropout.predict.batch.size` (predictions per engine call) and `mcdropout.predict.queue.time`.
`mcSamples=auto` predictions are not batched: they run on their own.

### Adaptive sampling (`mcSamples=auto`)

How many passes a row needs depends on the row: the passes over a clear digit agree to a few thousandths
after a few dozen, those over a hard one keep disagreeing. With `mcSamples=auto` the service decides per
row. Every row gets `minSamples` passes; then, round by round, the passes of the rows still running are
doubled, up to `maxSamples` (with the defaults: 50, 100, 200, 400, 800). A row leaves after the first round
at whose end the **standard error of every class's mean probability**, `std / sqrt(n - 1)` over its `n`
passes, is below `tolerance`; rows that stopped are left out of the later rounds, the others are computed
together.

| Query parameter | Meaning | Default | Bounds |
|---|---|---|---|
| `tolerance` | standard error of a mean class probability below which a row stops (0.01: each mean within about ±0.02 at 95% confidence) | `0.01` | 0.0001 to 0.5 |
| `minSamples` | passes every row takes before the first check | `50` (or `maxSamples`, if smaller) | 2 to `limits.max-mc-samples` |
| `maxSamples` | passes after which a row stops whatever its standard error | `800` (or `minSamples`, if larger) | `minSamples` to `limits.max-mc-samples` |

Each row's answer adds `samplesUsed` (its passes) and `standardError` (the largest standard error of its
mean probabilities, below `tolerance` unless the row stopped at `maxSamples`); `mcSamples` in the answer is
the most passes any row took and `adaptive` echoes the settings. The first row below is a clear 0, the second
the hard row 1,119 from above:

@@ curl -s -X POST 'http://localhost:8080/predict?mcSamples=auto&seed=7' -H 'Content-Type: application/json' -d '{"instances": [$ROW, [0,0,3,11,14,12,3,0,0,2,13,10,4,10,12,0,0,2,11,2,0,9,9,0,0,0,0,3,10,10,1,0,0,0,7,16,16,2,0,0,0,0,3,0,14,3,0,0,0,0,0,1,13,2,0,0,0,3,7,14,5,0,0,0]]}'

- **What a row's answer is.** A row's passes are the passes `0 .. samplesUsed - 1` of the seed, the same that
  `mcSamples=samplesUsed` draws, so its answer is that fixed answer (to the rounding bound below; tested),
  and, since masks depend on the row alone, the same whichever rows share the request and its rounds: a row
  alone and among others stops at the same check with the same numbers to rounding (`PredictAdaptiveTest`).
  The same request and seed give the same answer byte for byte. (A standard error that lies within rounding
  of `tolerance` at a check could stop a row one round apart in two compositions; no test has met one.)
- **What it saves.** On the held-out digits rows, three rows in four stop at the first check and the average
  row takes about a seventh of `maxSamples`; wrong and unsure rows take most of the passes
  ([performance.md](performance.md#adaptive-monte-carlo-issue-12)).
- **What it does not promise.** The standard error is estimated from the passes themselves: a row whose
  passes disagree only rarely can show no spread in its first `minSamples` passes and stop there with a
  mean further from the many-pass mean than the tolerance suggests. `minSamples` bounds how rare (the
  measured effect is in performance.md); raise it for rows where that matters.
- **Limits.** A request is budgeted for its worst case: rows × `maxSamples` ≤ `limits.max-row-samples`
  (a 400 naming `maxSamples` otherwise), `maxSamples` ≤ `limits.max-mc-samples`; admission, deadline and
  client disconnects work as for any prediction. Out-of-range settings are 400 problems that name the
  parameter (`errors`).
- **Generated clients.** The OpenAPI document declares `mcSamples` an integer, so that generated clients keep
  an integer parameter there; they ask for `auto` by leaving `mcSamples` out and giving `tolerance`,
  `minSamples` or `maxSamples` (any of them without `mcSamples` means `auto`). Java clients generated from
  this version of the document have these three parameters at the end of `predict(...)`.
- **Open Inference Protocol.** `auto` is for `POST /predict` only: OIP's `mc_samples` stays an integer
  (a per-row sample count would be an output tensor that OIP clients do not expect).

### Reproducibility

What a `seed` fixes, and how exactly (each point is what a test checks, no more):

- **The masks, exactly.** A row's dropout masks are a pure function of the seed, the sample index, the
  dropout site and a 64-bit hash of the row's own feature values (as the model computes with them,
  float32). They do not depend on the row's position, the other rows of the request, its size, how the
  service splits the work into chunks, its thread counts or concurrent load, and identical rows draw
  identical masks (`DropoutTest`, `MonteCarloPredictorTest`: bit for bit).
- **DropConnect masks, exactly.** For a model with DropConnect, each layer's weight mask in a sample is a
  pure function of the seed, the sample index and the layer (keyed on a site number, −1 − layer, that unit
  dropout never uses, so a weight mask never repeats a unit mask). It is drawn once per sample and shared by
  every row of the request (`DropConnectTest`: one draw per sample and layer whatever the rows and chunks; the
  same bits for the same key), so a row's answer does not depend on the other rows beyond rounding, and an
  identical request gets a bit-identical answer with 1, 2 or 4 predictor threads (`DropConnectTest`).
- **The same request to the same service: bit-identical.** An identical request (model version, rows,
  `mcSamples`, seed) gets a byte-identical answer whatever `predict.threads` and while other clients
  predict (`PredictReproducibilityTest`: twice, and ten times while 8 other clients predict), as long as it
  computes on its own: a prediction [batched](#predict) with others that arrive at the same moment for the
  same model version, `mcSamples` and `include` is computed in products of another shape, and agrees to
  rounding, below (`PredictBatchingTest`: 1,000 random predictions from 16 concurrent clients against the
  same requests sent again alone; `predict.batch.enabled=false` makes every prediction compute on its own).
  Identical rows in one request get identical answers: each distinct row is computed once.
- **Everything else: to rounding.** The matrix products are OpenBLAS's, which picks its kernels, and so the
  order of each sum, by CPU, matrix shape and thread count. A row sent alone or among other rows, with
  another `nd4j.threads`, or to a service on another machine, gets the same answer up to floating-point
  rounding: **mean, std, predictive entropy, mutual information and variation ratio within 1e-5** (the
  tested bound; `include=scores` statistics within 1e-5 × max(1, |score|)). The worst difference measured
  was 3.2e-7, for the digits model and for random networks, with OpenBLAS's Haswell, SkylakeX and Zen
  kernels at 1 and 2 threads, and 4.8e-7 for a one-hidden-layer network whose scores the engine sums in Java
  against a plain loop of BLAS forward passes on the Haswell kernels (run 13 in `docs/performance.md`). The same bound is tested for DropConnect models (a row alone against the same
  row among six others, `DropConnectTest`) and for batch-norm models (the folded passes against a plain loop
  with batch norm computed as written, `BatchNormTest`). `predictedClass` and `variationRatio` are counts of
  argmaxes, so they agree exactly unless two classes are tied to within rounding in some pass.
- **Training**: the same data, hyperparameters and seed give bit-identical weights on one machine at one
  `nd4j.threads`; with another thread count or CPU the weights agree to rounding, which grows with every
  step (tested: three epochs on digits, weights within 1e-5 of the largest weight). DropConnect draws one
  weight mask per mini-batch from the seed; with DropConnect and batch norm the same seed also gives
  bit-identical weights, gammas, betas and running statistics on one machine (`BatchNormTest`).

## Models

Models live in the store directory (`mcdropout.store.dir`, default `./data/models`) as
`{name}/{version}.zip`, with an `active` file naming the active version. Names match
`[a-z0-9][a-z0-9_-]{0,63}`; versions are 1, 2, 3, ... and a number is never reused, even after a
delete.

### List models

@@ curl -s http://localhost:8080/models

### Describe a version

Architecture, classes, hyperparameters, training history, validation metrics, creation time, the
SHA-256 of the stored zip and, for versions trained by this service, the evaluation report of the
validation split (`evaluation`, see [Evaluation](#evaluation); shortened here to its headline figures):

@@ short curl -s http://localhost:8080/models/digits/versions/1 | python3 -c 'import json,sys; m=json.load(sys.stdin); e=m["evaluation"]; m["evaluation"]={k: e[k] for k in ("rows","mcSamples","seed")} | {p: {k: e[p][k] for k in ("accuracy","nll","ece")} for p in ("deterministic","monteCarlo")}; print(json.dumps(m))'

A version trained with `dropConnect` or `batchNorm` shows `"dropConnect": true` or `"batchNorm": true` in its
`architecture` (true when any hidden layer has it; an imported archive describes each layer in its
`model.json`), and the same names, with `batchNormMomentum` and `batchNormEpsilon`, in its `hyperparameters`.

### Download an artifact

The stored zip, byte for byte (its SHA-256 is the `sha256` above). It holds the model's weights, so it
needs the API key like the mutating endpoints ([Security](#security)); this example runs on the service's
own machine with no key configured:

@@ raw curl -s -o digits-1.zip -D - http://localhost:8080/models/digits/versions/1/artifact && sha256sum digits-1.zip

### Import an artifact

`POST /models/{name}/versions` with an `application/zip` body (a zip written by the engine's artifact
writer, e.g. one downloaded as above or trained elsewhere; the format is described in
[model-artifact.md](model-artifact.md)) stores it as the model's next version. The
zip is validated strictly first: an invalid one is a 422 problem saying why, and nothing is stored.
The answer is `201 Created` with `Location` naming the new version. The first version of a new model is
activated at once; later versions wait for an explicit activation. The upload is written to a temp file in
the store and validated before the model's lock is taken, for only the moment it takes to make the file a
version: a slow upload does not hold up activations, deletions or training jobs of the same model.

@@ raw curl -s -o imported.json -D - -X POST http://localhost:8080/models/digits/versions -H 'Content-Type: application/zip' --data-binary @digits-1.zip | tr -d '\r' | sed -e '/^Date:/d'

The body is the new version's metadata, shaped as in [Describe a version](#describe-a-version):

@@ python3 -c 'import json; m = json.load(open("imported.json")); print(json.dumps({k: m[k] for k in ("name", "version", "active", "sha256")}))'

### Activate a version

Switches which version answers predictions that name no version. The switch is one atomic reference
swap: a prediction that is running keeps the version it started with, and no prediction ever sees a
half-loaded model. The `active` file on disk is rewritten atomically first, so a restart serves the same
version.

@@ short curl -s -X POST http://localhost:8080/models/digits/versions/2/activate

@@ curl -s -X POST 'http://localhost:8080/predict?mcSamples=10&seed=3' -H 'Content-Type: application/json' -d '{"instances": [$ROW]}' | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["model"]))'

### Delete a version

Only a version that is not active can be deleted (409 otherwise):

@@ curl -s -X DELETE http://localhost:8080/models/digits/versions/2

@@ raw curl -s -o /dev/null -w '%{http_code}\n' -X POST http://localhost:8080/models/digits/versions/1/activate && curl -s -o /dev/null -w '%{http_code}\n' -X DELETE http://localhost:8080/models/digits/versions/2

## Bundled data

`GET /datasets/digits/rows?offset=0&limit=20` returns rows of the data set the service ships (the digits
data, on which the default model is trained at first start), each with its `label` and its `features`
exactly as `POST /predict` takes them, so a client can try the service on real examples without a copy of
the data (the web page's "Try it" view does). `offset` is 0..1796, `limit` 1..100 (default 20); anything
else, or another name than `digits`, is a 400 or 404 problem. The 64-number lists are cut below:

@@ short curl -s 'http://localhost:8080/datasets/digits/rows?offset=0&limit=2'

@@ curl -s 'http://localhost:8080/datasets/digits/rows?limit=500'

## Open Inference Protocol

The same predictions over the Open Inference Protocol V2 (REST), as KServe, Triton and MLServer clients
send them: `GET /v2`, `/v2/health/live`, `/v2/health/ready`, `/v2/models/{name}[/versions/{version}]`
(metadata), `.../ready` and `POST .../infer` with the Monte Carlo settings in the request's
`"parameters": {"mc_samples": 100, "seed": 7}` and the uncertainty as output tensors. Errors there are the
protocol's `{"error": "..."}`, not problems. See [oip.md](oip.md).

## Evaluation

How good are a version's probabilities and uncertainties on your data? `POST
/models/{name}/versions/{version}/evaluate` takes a labelled data set in the same forms as training (JSON
`{"dataset": {"features", "labels"}}`, or multipart with a CSV part `data` and `labelColumn`), optionally
out-of-distribution rows (`"outOfDistribution": {"features": [...]}`, or a second CSV part
`outOfDistribution` with the same columns), and answers with the deterministic pass (dropout off) and
Monte Carlo dropout side by side: `accuracy`, `nll`, `brier`, `ece` over 15 equal-width bins with the bin
table `eceBins`, `adaptiveEce` over 15 equal-count bins, and per uncertainty measure (`predictiveEntropy`,
`mutualInformation`, `variationRatio`, `predictedClassStd`, `oneMinusMaxProbability`) the
`misclassificationAuroc`, with an OOD set `oodAuroc`, `oodAupr` and `fpr95`, the `riskCoverage` curve,
`aurc`, `eAurc`, `riskAt80Coverage` and, for `targetAccuracy`, the `target` threshold and the coverage it
leaves. Definitions and how to read them: [uncertainty.md](uncertainty.md).

| Query parameter | Meaning |
|---|---|
| `mcSamples` | Monte Carlo passes, 1 to `mcdropout.evaluation.max-mc-samples` (1,000); default `mcdropout.evaluation.default-mc-samples` (100) |
| `seed` | Seed of the dropout masks; absent: drawn and returned |
| `targetAccuracy` | In (0, 1]; may also be a body field (or form field) instead |

Evaluations are always synchronous: at most 10,000 labelled and 10,000 OOD rows
(`mcdropout.evaluation.max-rows`), (rows + OOD rows) × `mcSamples` ≤ 2,000,000
(`max-row-samples`), two at a time (`max-concurrent`, then 503 `busy` with `Retry-After`); a bigger set
should be split. Like a prediction, an evaluation has a deadline, `evaluation.deadline` (120 s) from its
arrival (the body upload counts): past it its work stops (the engine checks between samples and after every
matrix product) and the answer is `503` (`deadline-exceeded`) with `Retry-After` (5 s); a client that closes
its connection while its evaluation computes has its work stopped too (the connection is probed five times a
second). Meters: `mcdropout.evaluation.in.flight` and `mcdropout.evaluation.stopped{reason}`. Each figure is exactly what `POST /predict` answers for the same rows, `mcSamples` and `seed`
give. Evaluating costs CPU, so the endpoint needs the API key like training. The first two digits rows
(right, and confidently so), a row the model gets wrong (row 1,119, a 3 read as 8), and the first row
turned by 90 degrees as an OOD row; only the headline figures and one measure are shown, the full answer
has every measure, both bin tables and the curves:

@@ curl -s -X POST 'http://localhost:8080/models/digits/versions/1/evaluate?mcSamples=100&seed=7&targetAccuracy=0.99' -H 'Content-Type: application/json' -d '{"dataset": {"features": [$ROW, $ROW2, [0,0,3,11,14,12,3,0,0,2,13,10,4,10,12,0,0,2,11,2,0,9,9,0,0,0,0,3,10,10,1,0,0,0,7,16,16,2,0,0,0,0,3,0,14,3,0,0,0,0,0,1,13,2,0,0,0,3,7,14,5,0,0,0]], "labels": ["0", "1", "3"]}, "outOfDistribution": {"features": [[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,3,4,5,8,9,4,0,0,15,15,8,8,8,12,6,0,13,2,0,0,0,11,10,0,2,11,12,11,10,15,13,0,0,0,4,15,15,13,5,0,0,0,0,0,0,0,0]]}}' | python3 -c 'import json,sys; e=json.load(sys.stdin); pick=lambda p: {k: p[k] for k in ("accuracy","nll","brier","ece","adaptiveEce")} | {"measures": {"mutualInformation": {k: v for k, v in p["measures"]["mutualInformation"].items() if k != "riskCoverage"}}}; print(json.dumps({k: e[k] for k in ("id","model","mcSamples","seed","rows","oodRows","targetAccuracy")} | {"deterministic": pick(e["deterministic"]), "monteCarlo": pick(e["monteCarlo"]), "plots": e["plots"]}))'

The deterministic pass has one pass, so its mutual information is 0 for every row: it cannot rank
anything (AUROC 0.5). With three rows the figures are only an illustration; uncertainty.md has a real
measurement. `GET /evaluations/{id}` returns a recent evaluation again (the newest
`mcdropout.evaluation.retained`, 50, are kept in memory), and its plots are drawn on request:

- `GET /evaluations/{id}/plots/reliability`: reliability diagram, accuracy against mean confidence per
  non-empty bin, deterministic and Monte Carlo, with the diagonal of perfect calibration;
- `GET /evaluations/{id}/plots/risk-coverage`: error rate of the kept rows (%) against the share kept (%),
  most certain first, one line per Monte Carlo measure and one for the deterministic `1 - max p`.

Every training job evaluates its validation split the same way (Monte Carlo with
`default-mc-samples` passes and the training seed) and stores the report beside the version
(`{name}/{version}.evaluation.json` in the store, written before the version is activated); `GET
/models/{name}/versions/{v}` shows it as `evaluation` (`null` for imported versions and versions stored
before reports existed), and `GET /models/{name}/versions/{v}/evaluation/plots/{reliability|risk-coverage}`
draws it. The default model's:

@@ curl -s http://localhost:8080/models/digits/versions/1 | python3 -c 'import json,sys; e=json.load(sys.stdin)["evaluation"]; print(json.dumps({k: e[k] for k in ("rows","mcSamples","seed")} | {p: {k: e[p][k] for k in ("accuracy","nll","brier","ece","adaptiveEce")} | {"mutualInformationAuroc": e[p]["measures"]["mutualInformation"]["misclassificationAuroc"]} for p in ("deterministic","monteCarlo")}))'

@@ raw curl -s -o reliability.png -D - http://localhost:8080/models/digits/versions/1/evaluation/plots/reliability | tr -d '\r' | grep -iE '^(HTTP|content-type|content-disposition)' && file reliability.png

## Dropout-rate sweep

`POST /experiments/dropout-sweep` trains one network per dropout rate (the probability on every hidden
layer) on the same data, stratified validation split and seed, one after another as one job, and
evaluates each run's validation split with Monte Carlo dropout. The body is the training body without a
name (JSON `dataset`, or multipart with a CSV part `data` and fields `labelColumn`, `rates`,
`hyperparameters`, `mcSamples`, `saveBest`), plus:

| Field | Meaning |
|---|---|
| `rates` | Dropout probabilities to compare, each in [0, 1), distinct, at most 20 (`mcdropout.experiments.max-rates`); default `[0.0, 0.3, 0.5, 0.7, 0.9]` |
| `hyperparameters` | As for training, shared by all runs; `dropout` comes from `rates` (sending it is a 400); `validationFraction` must be above 0 |
| `mcSamples` | Monte Carlo passes of each run's validation report (default 100) |
| `saveBest` | `{"name": ..., "activate": true}`: store the best run as the next version of that model, with its report |

Answers 202 with the job; `GET /experiments/{id}` shows its progress (0 to 1), per rate the validation
accuracy and loss per epoch and, once the run finished, its report (Monte Carlo accuracy, NLL, Brier, ECE,
misclassification AUROC of mutual information, and the deterministic accuracy, NLL and ECE), and at the
end `bestRate`, the rate with the lowest Monte Carlo validation NLL, and `model` if `saveBest` stored it.
`DELETE /experiments/{id}` cancels (before the next mini-batch; nothing is saved). `GET /experiments`
lists recent sweeps. Limits: rows × epochs × rates ≤ `mcdropout.experiments.max-row-epochs` (10^8), and
the training limits; one sweep runs at a time (`concurrency`), two may wait (`queue-capacity`, then 429).
Sweeps run on their own thread at the training jobs' lowered priority.

A quick sweep on the first 500 digits rows (a small network and 20 epochs, to keep the example short; the
run lists are cut to their last three epochs):

```bash
# sweep.json: {"dataset": {"features": [...], "labels": [...]}, "hyperparameters": {"hiddenLayers": [64], "epochs": 20, "seed": 1},
#              "mcSamples": 50, "saveBest": {"name": "digits-swept", "activate": false}}   (the first 500 digits rows)
ID=$(curl -s -X POST http://localhost:8080/experiments/dropout-sweep -H 'Content-Type: application/json' -d @sweep.json | jq -r .id)
curl -s http://localhost:8080/experiments/$ID | jq -c '{status, progress}'     # poll until SUCCEEDED
curl -s http://localhost:8080/experiments/$ID | jq '.runs[].history |= map_values(.[-3:])'
curl -s -o sweep.png "http://localhost:8080/experiments/$ID/plot"               # PNG, 800 x 500
curl -s -o sweep.svg "http://localhost:8080/experiments/$ID/plot?metric=loss&format=svg"
```

(captured by hand against the same service; `render_docs.py` leaves this block as it is)

```json
{
  "id": "1c41acc5-fb74-4617-9cb3-568c97df5716",
  "status": "SUCCEEDED",
  "rates": [0.0, 0.3, 0.5, 0.7, 0.9],
  "progress": 1.0,
  "epochs": 20,
  "runs": [
    {
      "rate": 0.0,
      "status": "SUCCEEDED",
      "epoch": 20,
      "history": {
        "loss": [0.09671369145568655, 0.08676628590730681, 0.07892370834575932],
        "trainAccuracy": [0.9925, 0.9925, 0.9975],
        "validationAccuracy": [0.96, 0.96, 0.96],
        "validationLoss": [0.2329083540717157, 0.22478577744380715, 0.21702546282021395]
      },
      "bestEpoch": 20,
      "report": {
        "accuracy": 0.96,
        "nll": 0.2170254596817899,
        "brier": 0.07352013090542049,
        "ece": 0.07927379995099856,
        "misclassificationAurocMutualInformation": 0.5,
        "deterministicAccuracy": 0.96,
        "deterministicNll": 0.2170254596817899,
        "deterministicEce": 0.07927379995099856
      }
    },
    {
      "rate": 0.3,
      "status": "SUCCEEDED",
      "epoch": 20,
      "history": {
        "loss": [0.2385605369642511, 0.20565727040729648, 0.17823643995661595],
        "trainAccuracy": [0.9475, 0.9625, 0.9675],
        "validationAccuracy": [0.95, 0.95, 0.95],
        "validationLoss": [0.2747926911418081, 0.263268607701974, 0.25309132457707006]
      },
      "bestEpoch": 20,
      "report": {
        "accuracy": 0.95,
        "nll": 0.2873371119981067,
        "brier": 0.10405189284649519,
        "ece": 0.13839410821750187,
        "misclassificationAurocMutualInformation": 0.7810526315789473,
        "deterministicAccuracy": 0.95,
        "deterministicNll": 0.25309132351274966,
        "deterministicEce": 0.07896418265371374
      }
    },
    {
      "rate": 0.5,
      "status": "SUCCEEDED",
      "epoch": 20,
      "history": {
        "loss": [0.3902200475275261, 0.4471411603245514, 0.3616938625704448],
        "trainAccuracy": [0.8625, 0.87, 0.8925],
        "validationAccuracy": [0.92, 0.93, 0.94],
        "validationLoss": [0.3368028569799309, 0.3239391714778813, 0.31029717250886174]
      },
      "bestEpoch": 20,
      "report": {
        "accuracy": 0.93,
        "nll": 0.393645162818238,
        "brier": 0.15227897709464788,
        "ece": 0.21246082216174106,
        "misclassificationAurocMutualInformation": 0.8141321044546851,
        "deterministicAccuracy": 0.94,
        "deterministicNll": 0.3102971676107424,
        "deterministicEce": 0.09201156966491537
      }
    },
    {
      "rate": 0.7,
      "status": "SUCCEEDED",
      "epoch": 20,
      "history": {
        "loss": [0.7736618270953914, 0.8352399295255114, 0.833609572870513],
        "trainAccuracy": [0.735, 0.725, 0.71],
        "validationAccuracy": [0.9, 0.89, 0.92],
        "validationLoss": [0.4829787279437954, 0.47105712055323035, 0.45562908792441725]
      },
      "bestEpoch": 20,
      "report": {
        "accuracy": 0.92,
        "nll": 0.6430045908807405,
        "brier": 0.2649616262249058,
        "ece": 0.33743786291370415,
        "misclassificationAurocMutualInformation": 0.7024456521739131,
        "deterministicAccuracy": 0.92,
        "deterministicNll": 0.45562907723461415,
        "deterministicEce": 0.14658497198242645
      }
    },
    {
      "rate": 0.9,
      "status": "SUCCEEDED",
      "epoch": 20,
      "history": {
        "loss": [2.27873273385565, 2.123417750983276, 1.9326479908948067],
        "trainAccuracy": [0.3025, 0.2875, 0.3275],
        "validationAccuracy": [0.77, 0.78, 0.78],
        "validationLoss": [0.9541454388249844, 0.9277727421151089, 0.9027995812838899]
      },
      "bestEpoch": 20,
      "report": {
        "accuracy": 0.77,
        "nll": 1.3922882580569487,
        "brier": 0.6102964953691004,
        "ece": 0.481127486634634,
        "misclassificationAurocMutualInformation": 0.5008469791078487,
        "deterministicAccuracy": 0.78,
        "deterministicNll": 0.9027995791055318,
        "deterministicEce": 0.29645611294743435
      }
    }
  ],
  "bestRate": 0.0,
  "model": {
    "name": "digits-swept",
    "version": 1
  },
  "rows": 500,
  "features": 64,
  "classes": ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
  "mcSamples": 50,
  "plots": {
    "accuracy": "/experiments/1c41acc5-fb74-4617-9cb3-568c97df5716/plot?metric=accuracy",
    "loss": "/experiments/1c41acc5-fb74-4617-9cb3-568c97df5716/plot?metric=loss"
  },
  "createdAt": "2026-12-02T07:01:59.723202538Z",
  "startedAt": "2026-12-02T07:01:59.784484006Z",
  "finishedAt": "2026-12-02T07:02:12.298173778Z"
}
```

Bad input is a 4xx problem naming the field:

@@ curl -s -X POST http://localhost:8080/experiments/dropout-sweep -H 'Content-Type: application/json' -d '{"dataset": {"features": [$ROW, $ROW2], "labels": ["0", "1"]}, "rates": [0.1, 1.0]}'

## Plots

Drawn by XChart (PNG through Java2D, SVG through VectorGraphics2D), headless, each with a title, axis
titles with units and a legend. PNG by default at 800 × 500 pixels; `format=svg` for SVG; `width` and
`height` (200 to 3,000) for another size. They work while a job is still running (409 before its first
epoch).

| Plot | What it shows |
|---|---|
| `GET /experiments/{id}/plot?metric=accuracy` (default) or `metric=loss` | validation accuracy (or loss, nats) per epoch, one line per rate: the dropout tutorial's figure |
| `GET /train/jobs/{id}/plot?metric=loss` (default) or `metric=accuracy` | training (dropout on) and validation (test mode) loss or accuracy per epoch |
| `GET /evaluations/{id}/plots/reliability`, `.../risk-coverage` | reliability diagram and risk-coverage curves of an evaluation |
| `GET /models/{name}/versions/{v}/evaluation/plots/reliability`, `.../risk-coverage` | the same for a version's stored validation report |

![Validation accuracy per epoch of the sweep in uncertainty.md](img/sweep-accuracy.png)

## Errors

Every error is an RFC 9457 problem, `Content-Type: application/problem+json`, whose `detail` says what
to fix; `errors` lists the offending fields, parameters or limits when there are any; `requestId` is the
request's id, as in its `X-Request-Id` response header and on the service's log lines for it
([Operations](#operations)). Client mistakes are always 4xx, never a 5xx or a stack trace.

@@ curl -s -X POST 'http://localhost:8080/predict?mcSamples=20000' -H 'Content-Type: application/json' -d '{"instances": [$ROW]}'

@@ curl -s -X POST 'http://localhost:8080/predict' -H 'Content-Type: application/json' -d '{"instances": [[1, 2, 3]]}'

@@ curl -s -X POST 'http://localhost:8080/predict' -H 'Content-Type: application/json' -d '{"instances": [[0, NaN]]}'

@@ curl -s -X POST 'http://localhost:8080/predict?model=wine' -H 'Content-Type: application/json' -d '{"instances": [[1]]}'

@@ curl -s http://localhost:8080/models/..%2F..%2Fetc/versions/1

Every `type` is `mcdropout.problems.type-base` (default `https://mcdropout.dev/problems/`, a name, not a page
that answers) followed by the name below, whichever layer answers (Spring MVC, the body-size filter, Tomcat's
own error page); point it at your documentation with, e.g.,
`MCDROPOUT_PROBLEMS_TYPEBASE=https://docs.example.com/mcdropout/errors#`. Problems are Spring's
`ErrorResponseException`s with an RFC 9457 body, so a `Retry-After` travels with its 429 or 503.

| Status | When | `type` (after the type base) |
|---|---|---|
| 400 | Malformed JSON, CSV or form, a value that is not a finite number or too large for the model to compute with, an invalid parameter or name, an unknown field, a hyperparameter out of range, a limit on samples, rows, features, layers or epochs; an `Idempotency-Key` that is not 1 to 255 visible ASCII characters | `invalid-json`, `invalid-number`, `invalid-parameter`, `invalid-inference-request`, `invalid-rates`, `missing-parameter`, `missing-part`, `missing-header`, `invalid-request`, `invalid-multipart`, `invalid-model-name`, `invalid-version`, `invalid-instances`, `empty-artifact`, `invalid-csv`, `invalid-hyperparameters`, `unknown-field`, `limit-exceeded`, `bad-request`, `invalid-idempotency-key` |
| 401 / 403 | Missing / wrong `X-API-Key` on a mutating endpoint or an artifact download; 403 also for a remote client when no key is configured | `api-key-missing` / `api-key-invalid`, `loopback-only` |
| 404 | Unknown model, version, training job or path | `unknown-model`, `unknown-version`, `no-active-version`, `unknown-job`, `unknown-dataset`, `unknown-evaluation`, `no-evaluation`, `unknown-experiment`, `not-found` |
| 405 / 406 / 415 | Wrong method, `Accept` or `Content-Type` | `method-not-allowed`, `not-acceptable`, `unsupported-media-type` |
| 409 | Deleting the active version; cancelling a finished training job or sweep, or a job that runs on another instance sharing the store; a plot before the first epoch; a training request whose `Idempotency-Key` another request is taking in right now (retry) | `version-active`, `job-finished`, `job-on-another-instance`, `nothing-to-plot`, `idempotency-key-in-use` |
| 413 | Body over `max-predict-body` / `max-artifact-body` / `max-training-body` (a multipart form included); more training rows than `max-training-rows` | `limit-exceeded`, `artifact-limit-exceeded` |
| 422 | Rows that do not fit the model; an invalid artifact; a data set that cannot be trained on; an `Idempotency-Key` already used for another training request | `feature-count-mismatch`, `invalid-artifact`, `invalid-dataset`, `idempotency-key-reused` |
| 429 | The training or sweep queue is full (`mcdropout.training.queue-capacity`, `mcdropout.experiments.queue-capacity`); retry after `Retry-After` seconds | `training-queue-full`, `experiment-queue-full` |
| 500 | A failure of the service itself (logged); a stored model that no longer loads; a model whose weights overflow on this input, so no finite answer exists (never a NaN in a 200) | `internal-error`, `stored-model-invalid`, `non-finite-result` |
| 503 | Predictions: all `mcdropout.predict.max-concurrent` slots busy and `max-queued` waiting, or a wait past `queue-timeout` (`busy`); a prediction past its `deadline`, its work stopped (`deadline-exceeded`); a prediction whose client hung up (`client-disconnected`, which nobody reads); a pinned version load that could not start within `queue-timeout` (`max-concurrent-loads`). `POST /train` on an instance with `mcdropout.training.enabled=false`, or while it shuts down (`shutting-down`); more than `mcdropout.evaluation.max-concurrent` evaluations (`busy`), an evaluation past `mcdropout.evaluation.deadline` (`deadline-exceeded`) or whose client hung up (`client-disconnected`). All but `training-disabled` carry `Retry-After` | `busy`, `deadline-exceeded`, `client-disconnected`, `training-disabled`, `shutting-down` |
| 422 / 507 / 500 / 503 in a job | Not answers but a failed training job's `error`: training diverged, failed or ran out of memory (507); the process running the job stopped (crash, kill) before the job recorded a result and before it saved its version (503, reported after the restart; a job whose version was saved is reported `SUCCEEDED`) | `training-diverged`, `training-failed`, `training-out-of-memory`, `internal-error`, `interrupted-by-restart` |
| other 4xx | Any other status the server or Tomcat answers with | `http-NNN` (the status, e.g. `http-400`) |


## Generated clients

The OpenAPI document is written so that openapi-generator (7.25.0) builds working clients from it as
generated, with no patches and no schema mappings, in Java (`java`, library `native`), Python (`python`) and
TypeScript (`typescript-fetch`). CI proves it on every change: `clients/check.sh` (run by `.ci/run` after
`./mvnw verify`) starts the packaged service, generates the three clients from its live `/v3/api-docs`,
compiles them (`javac`; `python3 -m compileall` and import; `tsc --strict`) and, through each typed API,
lists the models, predicts with `mcSamples=100` and seed 7 (all three must get the same numbers), uploads a
CSV and trains, and sees a 404 problem arrive as the language's error type; it also lints the document
with Spectral (below). It ends with `clients: 4 passed, 0 failed` (197 s and 309 s measured on a 2-core machine
shared with four other builds, 60 to 100 s of it the service's start-up training of `digits`). It needs Node 20 (it
installs `typescript` and `@stoplight/spectral-cli` from npm, pinned by the `package-lock.json` files under
`clients/`) and python3 with `pydantic` >= 2, `urllib3`, `python-dateutil` and `typing-extensions`
(preinstalled on the project's machines; Debian's `python3-pydantic` is 1.x, which the Python client does
not support).

Two shapes in the document exist for generators:

- `POST /train` takes JSON or a `multipart/form-data` CSV upload. Generators build one typed method per
  operation, from its first media type (JSON), so the upload also has an operation of its own,
  `trainFromCsv` (`POST /train/csv`): the same form fields (`data`, `name`, `labelColumn`,
  `hyperparameters`, `activate`), the same `?wait=`, the same answers and problems. `POST /train` still
  takes the form, as before, and the document still lists it there, written inline: as a `$ref` beside
  JSON it made typescript-fetch (and java) import a model they never write
  (`Cannot find module '../models/TrainForm'`).
- `Hyperparameters.dropout` is documented as a list, one probability per hidden layer. The service also
  takes a bare number for every hidden layer, as before; described as "number or list" (`oneOf`) it made
  the java generator write code that does not compile.

The document passes Stoplight Spectral's standard ruleset with no problem (no error, no warning);
`clients/check.sh` runs this too, and `OpenApiDocumentTest` validates the live document with swagger-parser
in every build:

```bash
printf 'extends: ["spectral:oas"]\n' > .spectral.yaml     # as in clients/spectral/.spectral.yaml
curl -s http://localhost:8080/v3/api-docs > api-docs.json
npx @stoplight/spectral-cli lint --ruleset .spectral.yaml --fail-severity=hint api-docs.json
```

Generate a client from a running service (the generator jar comes from Maven Central):

```bash
./mvnw -q dependency:copy -Dartifact=org.openapitools:openapi-generator-cli:7.25.0 -DoutputDirectory=.
G="java -jar openapi-generator-cli-7.25.0.jar generate -i http://localhost:8080/v3/api-docs"
$G -g java --library native -o mcd-java --additional-properties useJakartaEe=true,openApiNullable=false \
   --api-package dev.mcdropout.client.api --model-package dev.mcdropout.client.model \
   --invoker-package dev.mcdropout.client.invoker
$G -g python -o mcd-python --package-name mcdropout_client
$G -g typescript-fetch -o mcd-ts
```

Java (`row` is a `List<Double>` of 64 pixel values; the key is needed by mutating calls only):

```java
ApiClient client = new ApiClient();
client.updateBaseUri("http://localhost:8080");
client.setRequestInterceptor(request -> request.header("X-API-Key", "change-me"));
List<ModelSummary> models = new ModelsApi(client).listModels();
PredictRequest request = new PredictRequest().instances(List.of(row));
Prediction p = new PredictApi(client).predict(request, 100, 7L, null, null).getPredictions().get(0); // mcSamples, seed
System.out.println(p.getPredictedClass() + " " + p.getMean() + " MI " + p.getMutualInformation());
TrainingJob job = new TrainingApi(client).trainFromCsv(new File("wine.csv"), "wine", true, "class", "{\"epochs\": 50}", true);
try { new PredictApi(client).predict(request, 100, 7L, "no-such-model", null); }
catch (ApiException e) { System.out.println(e.getCode() + " " + e.getResponseBody()); } // 404, a problem
```

Python (`PYTHONPATH=mcd-python`):

```python
import mcdropout_client as mcd
config = mcd.Configuration(host="http://localhost:8080")
config.api_key["apiKey"] = "change-me"
with mcd.ApiClient(config) as client:
    models = mcd.ModelsApi(client).list_models()
    p = mcd.PredictApi(client).predict(mcd.PredictRequest(instances=[row]), mc_samples=100, seed=7).predictions[0]
    print(p.predicted_class, p.mean, "MI", p.mutual_information)
    job = mcd.TrainingApi(client).train_from_csv(data="wine.csv", name="wine", label_column="class", wait=True)
    try: mcd.PredictApi(client).predict(mcd.PredictRequest(instances=[row]), model="no-such-model")
    except mcd.ApiException as e: print(e.status, mcd.Problem.from_json(e.body).detail)  # 404
```

TypeScript (an ES module on Node 20, `readFileSync` from `node:fs`; in a browser the `Blob` comes from a file input):

```typescript
import { Configuration, ModelsApi, PredictApi, ProblemFromJSON, ResponseError, TrainingApi } from "./mcd-ts";
const config = new Configuration({ basePath: "http://localhost:8080", apiKey: "change-me" });
const models = await new ModelsApi(config).listModels();
const answer = await new PredictApi(config).predict({ predictRequest: { instances: [row] }, mcSamples: 100, seed: 7 });
const p = answer.predictions![0]; console.log(p.predictedClass, p.mean, "MI", p.mutualInformation);
const data = new Blob([readFileSync("wine.csv")], { type: "text/csv" });
const job = await new TrainingApi(config).trainFromCsv({ data, name: "wine", labelColumn: "class", wait: true });
try { await new PredictApi(config).predict({ predictRequest: { instances: [row] }, model: "no-such-model" }); }
catch (e) { if (e instanceof ResponseError) console.log(e.response.status, ProblemFromJSON(await e.response.json()).detail); }
```

The build also uses a generated client itself. `src/test/resources/openapi/mc-dropout-service.json` is a
snapshot of `/v3/api-docs` (keys sorted, server `http://localhost:8080`); `./mvnw verify` generates a Java
client from it with openapi-generator's Maven plugin (generator `java`, library `native`, into
`target/generated-test-sources/openapi`, packages `dev.mcdropout.client.api`, `.model`, `.invoker`), and
`GeneratedClientTest` lists models, predicts with `mcSamples=100`, trains a model from JSON and from a CSV
upload and predicts with it through that client alone. (The snapshot's keys are sorted, so the parameters of
its `trainFromCsv` come in a different order from a client generated from the live document.)
`OpenApiContractTest` fails, naming the JSON pointers that differ, when the served document no longer equals
the snapshot. After an intended API change, refresh and commit it:

```bash
./mvnw test -Dtest=OpenApiContractTest -Dopenapi.snapshot.update=true
git diff src/test/resources/openapi/mc-dropout-service.json
```

(If the old snapshot no longer generates compiling code, move `GeneratedClientTest` aside for that one
command.) The build's Java client sets `containerDefaultToNull=true` so that an unset `hiddenLayers` is not
sent as `[]` (which asks for softmax regression); set it too when you generate a Java client.

## Security

`POST /predict`, the Open Inference Protocol and every `GET` except an artifact download are open (actuator
is on the management port, see [Operations](#operations)). The
mutating endpoints (import, activate, delete, train, cancel a training job, start or cancel a sweep,
evaluate), `GET /models/{name}/versions/{version}/artifact` (the weights; unless
`mcdropout.security.artifact-download-requires-key=false`) and health details need the key:

- **A key is set** (`mcdropout.security.api-key`, `MCDROPOUT_SECURITY_API_KEY`): header `X-API-Key` must
  equal it (compared as SHA-256 digests in constant time). No header: 401 `api-key-missing`; another value:
  403 `api-key-invalid`. Checked before the request's body is read.
- **No key is set**: only a client whose **TCP peer address** is a loopback address (`127.0.0.0/8`, `::1`)
  may; anyone else gets 403 `loopback-only`. That is why the examples above work from the same machine
  without a key.
- **A blank key** (`MCDROPOUT_SECURITY_API_KEY=` or spaces) is not "no key": the service does not start
  (`api-key must not be blank`).
- **Forwarded headers are ignored.** The service sets `server.forward-headers-strategy=none`, so
  `X-Forwarded-For`, `X-Forwarded-Proto` and `Forwarded` never change the peer address, on every platform
  (Spring Boot would otherwise trust them on Kubernetes or Cloud Foundry, and Tomcat would take
  `X-Forwarded-For: 127.0.0.1` from any private-address peer as a local client). To opt in behind a proxy
  you trust to overwrite them, set `server.forward-headers-strategy=native` (Tomcat's `RemoteIpValve`;
  narrow `server.tomcat.remoteip.internal-proxies` to that proxy's address) or `framework`; the loopback
  rule then applies to the address the proxy reports.
- **Where loopback may be a proxy, no key means no start.** Without a key the service refuses to start
  (`APPLICATION FAILED TO START`, naming the reason and the fix) when Spring Boot detects a cloud platform
  (Kubernetes by `KUBERNETES_SERVICE_HOST` and `KUBERNETES_SERVICE_PORT`, Cloud Foundry, Heroku, SAP,
  Nomad, Azure App Service: sidecars such as Istio or Linkerd and ingress proxies make every client a
  loopback or cluster peer) or when forwarded headers are trusted (`native` or `framework`). If every
  loopback peer there really is local, `mcdropout.security.allow-no-key-behind-proxy=true` allows the start;
  the loopback rule above still applies. A reverse proxy on the same host, which the service cannot see,
  makes every client local too: set a key whenever the service is reachable from elsewhere.
- **Health details** (components, model versions, start-up progress, the messages of failing indicators,
  on the management port) are shown to the same callers (key, or loopback without a key); everyone else, probes included, gets
  the status and its HTTP code only: `{"status":"UP"}` with 200, `{"status":"DOWN"}` with 503.

The web page at `/` sends the key the same way: when a mutating action (training, cancelling, activating,
deleting) gets a 401, or a 403 for a wrong key, it asks for the key, keeps it in the tab's session storage
(never in a cookie or local storage) and sends it as `X-API-Key` from then on.

```bash
MCDROPOUT_SECURITY_API_KEY=change-me ./mvnw spring-boot:run
curl -s -X POST -H 'X-API-Key: change-me' http://localhost:8080/models/digits/versions/1/activate
curl -s -H 'X-API-Key: change-me' http://localhost:8081/actuator/health/readiness   # with details
```

## Capacity

What one request may cost is bounded before it is paid for, and what many may cost together is bounded by
admission:

- **Bodies.** Every body is capped (`limits.max-predict-body`, `max-artifact-body`, `max-training-body`; a
  declared `Content-Length` over the cap is refused at once, a chunked body when it passes the cap). A
  multipart form (`POST /train`, `/train/csv`), which Tomcat reads from its own stream, has the same cap,
  `limits.max-training-body`: file and request size are set from it.
- **Predictions are admitted before their body is read.** `POST /predict` and OIP infer first take one of
  `predict.max-concurrent` admissions (waiting up to `predict.queue-timeout`, then 503 `busy`), then load a
  pinned version if it is not in memory, then parse the body: `instances` (or the input tensor's `data`)
  go straight from the JSON tokens into one flat block of doubles, checking the row count (`limits.max-rows`,
  and `max-row-samples` / `mcSamples`) and each row's width against the model as they arrive. Nothing is
  kept past those bounds, and nothing at all once a row is wrong; the rest of the body is only counted, so
  that the answer names the same limit as before. A 16 MiB body of `[0],[0],...` (four million rows) costs
  no memory beyond the parser's buffer: sixteen of them at once against a 256 MiB heap each get their 400
  and the service stays ready (`HostileBodiesHeapTest`). A body of at most 1 MiB with a declared
  `Content-Length` (the usual one) is first read whole into one array and parsed from it, with the same
  answers and the same errors; larger or chunked bodies are parsed as they stream in. The rows a request
  may bring take at most `max-rows × features × 8` bytes, and at most `predict.max-concurrent` requests hold
  such a block.
  A client that sends its body slowly holds its admission while it does; Tomcat's
  `server.tomcat.connection-timeout` (20 s between packets) bounds how long it may stall.
- **Data sets in JSON bodies are bounded while parsed.** The `dataset.features` and `dataset.labels` of
  `POST /train`, of an evaluation and of a sweep, and an evaluation's `outOfDistribution.features`, go from
  the JSON tokens into one flat block of doubles (and a list of labels, each distinct label held once). Rows
  are kept up to the largest row limit a body is checked against (`limits.max-training-rows`, or
  `evaluation.max-rows` if larger), numbers per row up to `limits.max-training-features` (or the widest model
  input a version may have, 2^20, if larger), and nothing after the first row that is null or of another
  width than the first; the rest is counted and checked, never kept, so every answer (status, type, message,
  `errors`) is the one the checks gave before. A 16 MiB body of `[0],[0],...` or of `"a","a",...` then costs
  at most `max-training-rows × 8` bytes of rows, not four million arrays or strings (`HostileBodiesHeapTest`).
- **OIP parameters are read bounded too.** Of an inference request's `parameters` (and its inputs' and
  outputs'), only `mc_samples` and `seed` are read; every other value is skipped token by token, and an array
  or object given for `mc_samples` or `seed` is kept only as far as its 400 message shows it (80 characters).
  Of `outputs`, only the entries that decide the answer are kept: the first of each name, up to the first
  entry without a name or the seventh distinct name (the error is then at or before it); repeats are read and
  dropped.
- **Model loads.** A version that is not active is read from the store when a request pins it
  (`?model=name:N`, OIP `/versions/N`) or describes it; the last four stay cached. At most
  `predict.max-concurrent-loads` such loads run at once, one per version (a second request for the same
  version waits for the first load), and a pinned prediction loads only once admitted; a load that cannot
  start within `predict.queue-timeout` is a 503 `busy` with `Retry-After`. `mcdropout.model.loads` counts them.
- **Training uploads** are checked against the training queue before their body is read: when every
  training thread is busy and the queue is full, `POST /train` and `POST /train/csv` answer 429 with
  `Retry-After` without parsing (or storing) the upload. The API key is checked before that, and an
  `Idempotency-Key` after it: a retry whose key is already known is not a new job, so it gets its earlier job
  (or the 422/409 it would get with room in the queue), not the 429.
- **Threads and connections.** Tomcat runs at most `server.tomcat.threads.max=128` request threads (Boot's
  default is 200), keeps `min-spare=8`, accepts up to `server.tomcat.max-connections=1024` connections and
  queues `server.tomcat.accept-count=100` more in the kernel; beyond that connections are refused, not
  taken on. Threads do not hold memory while they wait for admission, so 128 covers the running predictions
  (8) and their queue (`predict.max-queued`, 64) and leaves 56 threads to refuse the next ones at once and
  to serve the GETs beside them: an overload gets its fast 503s rather than waiting unseen in Tomcat's
  queue (with no more threads than running + waiting predictions, that queue could never fill). Raise
  `predict.max-concurrent` with the cores and memory you give the service, and the queue and thread count
  with it, keeping max-concurrent + max-queued well below the threads.
- **Out of memory.** The container image, the compose file and the Kubernetes manifests run the JVM with
  `-XX:+ExitOnOutOfMemoryError`: a heap that runs out ends the process, for the orchestrator to restart,
  rather than leave it running in an unknown state while liveness says UP (`java
  -XX:+ExitOnOutOfMemoryError -jar ...` when you run the jar yourself). ND4J's off-heap limit is separate:
  JavaCPP throws its `OutOfMemoryError` from Java code, which the flag does not act on, so a training job
  too big for memory still fails with its 507 and the service keeps serving.

**Fuzzing.** `ApiFuzzTest`, part of `./mvnw verify`, sends over 2,000 requests to a running server: 1,792
built from this document (`/v3/api-docs`), every operation in turn with its parameters and body mutated
(wrong types, out-of-range and huge values, broken JSON, missing and unknown fields, wrong media types,
missing or wrong keys), and Jazzer (`@FuzzTest`) replaying the inputs committed under
`src/test/resources/dev/mcdropout/system/ApiFuzzTestInputs`, each as two predictions and two OIP requests.
Every answer must be a 4xx problem (under `/v2` the protocol's error object) or a right 2xx, none a 5xx
(except the documented `non-finite-result`); afterwards a reference prediction must be unchanged. To look for
new inputs: `JAZZER_FUZZ=1 ./mvnw test -Dtest='ApiFuzzTest#predictAndInfer'` (90 s), then copy what it keeps
in `.cifuzz-corpus/` into that directory.

## Operations

Actuator exposes exactly `health`, `info`, `metrics` and `prometheus` under `/actuator`, **on its own port**,
`management.server.port` (8081; the API stays on `server.port`, 8080). The management port has its own
Tomcat and threads: requests queueing for a prediction slot, slow uploads or a flood of clients on 8080 cannot
take the threads the probes need, so liveness and readiness answer within a second under full load
(`OverloadTest` holds every request thread of 8080 and times the probes on 8081; the load benchmark in
[performance.md](performance.md) measures them during each run). Point probes and Prometheus at 8081 and keep
it off the public network (bind it with `management.server.address`, or publish only 8080); `/actuator` on
8080 is a 404. The Open Inference Protocol's `/v2/health/live` and `/v2/health/ready` stay on 8080 for OIP
clients. Health shows its components and details only to callers with the API key (or, with no key set,
loopback clients; [Security](#security)); probes without it get `{"status":"UP"}` or `{"status":"DOWN"}`
and the code. The answers below were captured on the service's own machine with no key set.

Readiness includes a `models` indicator that is DOWN until a model is active (while the default model
trains at first start, for example) and a `storeDiskSpace` indicator that is DOWN while the model store's file
system has less than `store.min-free-space` (100 MB) free; liveness depends on neither. While the default model
trains, readiness answers 503 and says how far training is (captured during a first start):

```json
{"components":{"models":{"details":{"reason":"no model is active yet","startup":"training the default model 'digits' on the bundled digits data: epoch 14 of at most 200"},"status":"DOWN"},"readinessState":{"status":"UP"}},"status":"DOWN"}
```

Once a model is active:

@@ curl -s http://localhost:8081/actuator/health/readiness

@@ curl -s http://localhost:8081/actuator/health/liveness

@@ curl -s http://localhost:8081/actuator/info

**Request ids and logs.** Every request gets an id: the client's `X-Request-Id` header when it is 1 to 64
characters of letters, digits and `. _ : -`, else a new UUID. The id is echoed in the `X-Request-Id` response
header, named as `requestId` in problem bodies, and written on every log line the request causes (the
logging MDC key `requestId`; lines outside requests show `[-]`). A training job's log lines carry the id of
the request that submitted it, and `jobId`. Logs are plain text by default; set
`logging.structured.format.console=ecs` (or `logstash`, `gelf`; Spring Boot's structured logging) for one JSON
object per line, with `requestId` as a field. The import above, as the service logged it (plain text, taken
from the console of the service this page was rendered against):

```
LOGLINE_PLACEHOLDER
```

**Stopping.** On SIGTERM (`docker stop`, Kubernetes) the service (1) turns readiness DOWN at once and keeps
serving for `shutdown.drain-delay` (1 s), so a load balancer stops sending; (2) cancels training jobs (a
running one stops before its next mini-batch; its record says `CANCELLED`) and refuses new ones (503
`shutting-down`); (3) stops accepting requests and lets those in flight finish, for up to
`spring.lifecycle.timeout-per-shutdown-phase` (6 s); (4) exits. If all that takes longer than
`shutdown.grace-period` (9 s) the process halts anyway. The defaults fit inside Docker's default stop timeout
(10 s, then SIGKILL); under Kubernetes' default `terminationGracePeriodSeconds` (30 s, counted from the start
of a `preStop` hook) the manifests in `deploy/kubernetes` keep a 5 s `preStop` and set 20 s for requests in
flight and a 24 s grace period. `GracefulShutdownTest` sends SIGTERM to a service that is training and
predicting and checks each step, with these defaults, and that it exits with 143, not by the halt.

**Crash safety.** Model versions, active pointers and training-job records are written to a temp file,
fsynced and renamed into place (then the directory fsynced): after a crash, each is the old or the new one,
never half written; temp files a crash leaves are never read and are removed at the next start.
`CrashSafetyTest` kill -9s the service at random moments during imports, activations, deletions and training
jobs, restarts it on the same store, and checks that every version a client was told was saved is there with
its SHA-256, that everything listed loads and predicts, and that job records and idempotency keys hold
(5 kills in `./mvnw verify`; `-Dmcdropout.crash.kills=50` for the full run, which passed on 2026-12-02: 50
kills in 18 min on a 2-core machine shared with other builds, by then 593 imported and 247 trained versions
reported saved, all found whole; at the kill the importer was importing 40 times, activating 9, deleting 1, and
the trainer was inside a training request 47 times).

The service's own meters, all prefixed `mcdropout`:

| Meter | Type | Tags |
|---|---|---|
| `mcdropout.predict.latency` | timer (with histogram) | `model`, `outcome` = `success` / `client_error` / `server_error` |
| `mcdropout.predict.rows` | distribution summary: rows per request | `model` |
| `mcdropout.predict.mc.samples` | distribution summary: `mcSamples` per request (with `mcSamples=auto`, the most passes a row took) | `model` |
| `mcdropout.predict.predictive.entropy` | distribution summary per predicted row, nats | `model` |
| `mcdropout.predict.mutual.information` | distribution summary per predicted row, nats | `model` |
| `mcdropout.predict.in.flight` | gauge: predictions admitted and computing | |
| `mcdropout.predict.queued` | gauge: predictions waiting for a slot | |
| `mcdropout.predict.rejected` | counter: predictions refused with 503 `busy` before they ran | `reason` = `queue_full` / `queue_timeout` |
| `mcdropout.predict.stopped` | counter: predictions whose work was stopped | `reason` = `deadline` / `disconnected` |
| `mcdropout.predict.batch.size` | distribution summary: predictions per engine call (1: it ran alone; [batching](#predict)) | |
| `mcdropout.predict.queue.time` | timer: from a prediction reaching the engine to its batch's engine call starting | |
| `mcdropout.evaluation.in.flight` | gauge: evaluations admitted and computing | |
| `mcdropout.evaluation.stopped` | counter: evaluations whose work was stopped | `reason` = `deadline` / `disconnected` |
| `mcdropout.model.active.version` | gauge | `model` |
| `mcdropout.model.reloads` | counter: active versions swapped in by the store rescan (another replica moved the pointer) | `model` |
| `mcdropout.model.loads` | counter: versions that are not active read from the store on demand ([Capacity](#capacity)) | `model` |
| `mcdropout.ready` | gauge: 1 once a model is active (readiness), else 0 | |
| `mcdropout.process.memory.resident` | gauge: the process's resident memory, bytes | |
| `mcdropout.native.memory.allocated`, `.max` | gauges: ND4J's off-heap bytes (JavaCPP) and their limit | |

OIP inference (`/v2/models/.../infer`, [docs/oip.md](oip.md)) is counted in the same `mcdropout.predict.*`
meters as `POST /predict`.

Entropy and mutual information have fixed buckets, so a drift in how unsure the model is can be alerted
on (for example on the share of rows with mutual information above 0.3 nats).

@@ curl -s http://localhost:8081/actuator/metrics/mcdropout.predict.latency

Prometheus scrapes `/actuator/prometheus` on the management port (text format):

@@ raw curl -s http://localhost:8081/actuator/prometheus | grep -E '^mcdropout_(predict_latency_seconds_(count|sum)|model_active|predict_mutual_information_nats_(count|sum)|predict_mutual_information_nats_bucket\{.*le="0.3"|predict_rows_(count|sum))'

A scrape job for it:

```yaml
scrape_configs:
  - job_name: mc-dropout-service
    metrics_path: /actuator/prometheus
    scrape_interval: 15s
    static_configs:
      - targets: ['localhost:8081']
```

An example alert on uncertainty drift (the share of predicted rows whose mutual information exceeds
0.3 nats, over an hour; [deploy/prometheus/rules.yml](../deploy/prometheus/rules.yml) holds it with latency,
server-error and readiness alerts, and `deploy/check.sh` unit-tests them with `promtool test rules`):

```yaml
- alert: McDropoutUncertaintyDrift
  expr: |
    1 - sum(rate(mcdropout_predict_mutual_information_nats_bucket{le="0.3"}[1h])) by (model)
      / sum(rate(mcdropout_predict_mutual_information_nats_count[1h])) by (model) > 0.2
  for: 30m
```

## Configuration

Spring Boot's own settings that this service sets: `management.server.port` (8081, actuator's own port),
`server.shutdown=graceful` with `spring.lifecycle.timeout-per-shutdown-phase` (6s, requests in flight at
SIGTERM), `logging.pattern.correlation` (the request id on log lines), and, off by default,
`logging.structured.format.console` (JSON logs). The service's own:

All under `mcdropout.` (as `application.yml` keys, `--mcdropout.x.y=...` arguments or
`MCDROPOUT_X_Y` environment variables). Every property is bound to a validated `@ConfigurationProperties`
record (an out-of-range value stops the start with a message naming it), and the jar carries
`META-INF/spring-configuration-metadata.json`, so an IDE completes and describes them. A `mcdropout.*` key
that no property binds (a typo) is logged at start-up as a warning naming the closest known key, e.g.
`unknown configuration property 'mcdropout.limits.max-rowz' is ignored; did you mean 'mcdropout.limits.max-rows'?`
(environment variables are not checked: their names do not say where one word ends).

| Property | Default | Meaning |
|---|---|---|
| `default-model` | `digits` | Model used when a prediction names none; trained at first start when the store is empty |
| `store.dir` | `./data/models` | Model store directory |
| `security.api-key` | (none) | Key for mutating endpoints, artifact downloads and health details; none: loopback clients only; blank: refused at start |
| `security.allow-no-key-behind-proxy` | `false` | Start without a key even on a detected cloud platform (Kubernetes, ...) or with forwarded headers trusted ([Security](#security)) |
| `security.artifact-download-requires-key` | `true` | `GET .../artifact` needs the key like the mutating endpoints |
| `problems.type-base` | `https://mcdropout.dev/problems/` | Prefix of every problem `type` (an absolute URI; the problem's name is appended as it is) |
| `limits.max-mc-samples` | `10000` | Largest `mcSamples` |
| `limits.max-rows` | `10000` | Most rows per prediction |
| `limits.max-row-samples` | `10000000` | Most rows × `mcSamples` per prediction |
| `limits.max-predict-body` | `16MB` | Largest JSON body (MB here means MiB) |
| `limits.max-artifact-body` | `256MB` | Largest artifact upload |
| `limits.max-training-body` | `256MB` | Largest body of `POST /train` and `POST /train/csv` |
| `limits.max-training-rows` | `1000000` | Most rows of a training data set |
| `limits.max-training-features` | `100000` | Most features (columns) of a training data set |
| `limits.max-hidden-units` | `16384` | Most units of one hidden layer |
| `limits.max-hidden-layers` | `16` | Most hidden layers |
| `limits.max-epochs` | `10000` | Most epochs of one training job |
| `predict.threads` | `0` (= cores) | Threads of the Monte Carlo predictor's own pool, shared by all requests |
| `predict.max-concurrent` | `8` | Predictions admitted at once; more wait |
| `predict.queue-timeout` | `30s` | How long a prediction waits for admission (and a version load for its slot) before a 503 |
| `predict.max-concurrent-loads` | `2` | Versions that are not active read from the store at once (pinned predictions, version metadata); more wait ([Capacity](#capacity)) |
| `predict.max-queued` | `64` | Predictions that may wait for admission; one more gets a 503 (`busy`) at once |
| `predict.deadline` | `60s` | From a prediction's arrival to its answer; past it the work stops and the answer is 503 (`deadline-exceeded`) |
| `predict.retry-after` | `1s` | `Retry-After` of those 503s |
| `predict.batch.enabled` | `true` | Batch predictions admitted together for one model version, `mcSamples` and `include` into one engine call ([Predict](#predict)); `false`: each computes on its own |
| `predict.batch.window` | `1ms` | Longest the first prediction of a batch waits for others (0 to 100ms; 0 switches batching off); no wait with no more requests in flight than `predict.threads` |
| `predict.batch.max-rows` | `64` | Most rows of one batch; a prediction with more runs on its own |
| `predict.batch.max-row-samples` | `100000` | Most rows × `mcSamples` of one batch; a prediction with more runs on its own |
| `nd4j.threads` | `1` | OpenMP/BLAS threads per ND4J operation |
| `startup.train-default-model` | `true` | Train `default-model` on the bundled digits data when the store is empty |
| `startup.seed` | `1` | Seed of that training |
| `training.concurrency` | `1` | Jobs training at once, each on its own thread |
| `training.queue-capacity` | `4` | Jobs that may wait for a training thread; one more is a 429 |
| `training.wait-timeout` | `5m` | How long `POST /train?wait=true` holds the request before a 202 with the job still running |
| `training.retained-jobs` | `100` | Finished jobs kept for `GET /train/jobs` (their models stay in the store) |
| `training.retry-after` | `30s` | `Retry-After` of a 429 |
| `training.nice` | `10` | OS niceness (0 to 19) of training threads, so predictions win a contended core; 0 = unchanged |
| `store.min-free-space` | `100MB` | Free space the store's file system needs for readiness (`storeDiskSpace`) to be UP |
| `shutdown.drain-delay` | `1s` | On SIGTERM, how long readiness reports DOWN while the service still serves |
| `shutdown.grace-period` | `9s` | The longest a shutdown may take before the process halts (below Docker's 10 s; Kubernetes: 24 s of its 30 s) |
| `store.rescan-interval` | `5s` | How often the store is read again for versions and active pointers that other processes sharing it changed (replicas on one volume); `0` switches it off; else 100ms to 1h |
| `store.stale-temp-age` | `1h` | A temp file in the store (an upload arriving, a version being written) last written longer ago than this is a crashed writer's leftover and is removed at start-up; a younger one may be another replica's write in progress and is left alone; at least 1m |
| `training.enabled` | `true` | `false`: this instance does not train: `POST /train` answers 503 (`training-disabled`) and the default model is not trained at start (it is picked up from the shared store when another replica stores it) |

**Replicas sharing one store.** Several instances may use one store directory (a ReadWriteMany volume,
[README](../README.md#deploy)). Version numbers are taken under a lock file per model
(`{store}/.locks/{name}`) and each version file is created only if absent (a hard link of the complete
temp file), so concurrent imports and trainings on different replicas never overwrite, lose or duplicate a
version; the `active` pointer is replaced atomically. Every `store.rescan-interval` each instance reads the
pointers again and swaps in the version another instance activated (its `models` readiness turns UP the
same way when another replica trains the first model). On first start on an empty shared store each
replica with training on starts training the default model; the first to store it wins and the others stop. A
replica's start-up removes only temp files last written more than `store.stale-temp-age` (1 h) ago: an
upload in progress on another replica writes its temp file as its bytes arrive, so a start beside it leaves
it alone; a leftover of a crash is removed by a start after it has aged (it is never listed as a version).

| `evaluation.default-mc-samples` | `100` | Monte Carlo passes of an evaluation that names none, and of the validation report a training job stores |
| `evaluation.max-mc-samples` | `1000` | Largest `mcSamples` of an evaluation |
| `evaluation.max-rows` | `10000` | Most labelled rows, and most OOD rows, per evaluation |
| `evaluation.max-row-samples` | `2000000` | Most (rows + OOD rows) × `mcSamples` per evaluation |
| `evaluation.max-concurrent` | `2` | Evaluations computed at once; more get 503 |
| `evaluation.deadline` | `120s` | From an evaluation's arrival to its answer; past it the work stops and the answer is 503 (`deadline-exceeded`) |
| `evaluation.retained` | `50` | Recent evaluations kept in memory for `GET /evaluations/{id}` and their plots |
| `evaluation.curve-points` | `200` | Most points of a risk-coverage curve in a report |
| `experiments.max-rates` | `20` | Most rates per sweep (at most 20) |
| `experiments.max-row-epochs` | `100000000` | Most rows × epochs × rates per sweep |
| `experiments.concurrency` | `1` | Sweeps running at once |
| `experiments.queue-capacity` | `2` | Sweeps that may wait; one more is a 429 |
| `experiments.retained-jobs` | `20` | Finished sweeps kept for `GET /experiments/{id}` |
| `experiments.retry-after` | `30s` | `Retry-After` of that 429 |

**Threads.** ND4J sizes its OpenMP and BLAS pools from the host's core count (in a container often the
node's, not the container's quota). The Monte Carlo predictor already spreads the samples of a request
over its own pool of `predict.threads` threads, so at start-up the service caps ND4J at
`nd4j.threads` (default 1) threads per operation, through ND4J's environment and BLAS settings;
`predict.threads` × `nd4j.threads` should not exceed the cores you give the service. The OpenMP runtime
also reads `OMP_NUM_THREADS` when the native library loads; in a container set it to the same value as
`nd4j.threads` (`OMP_NUM_THREADS=1`) for a hard cap. `predict.threads` never changes an answer;
`nd4j.threads` changes it only by BLAS rounding (see [Reproducibility](#reproducibility)).
