# MC Dropout Service — HTTP API

Every example below was run against a freshly started service (`./mvnw spring-boot:run`, empty store,
so the `digits` model was trained at start) and shows the JSON it actually returned, pretty-printed.
Long per-epoch lists in model metadata are cut to their first values (`...`); nothing else is edited.
(`docs/tools/` regenerates this page.)

The machine-readable contract is the OpenAPI document at
[`/v3/api-docs`](http://localhost:8080/v3/api-docs) (browse it at
[`/swagger-ui.html`](http://localhost:8080/swagger-ui.html)). Operation ids, for generated clients:
`predict`, `listModels`, `getModelVersion`, `activateModelVersion`, `deleteModelVersion`,
`downloadArtifact`, `importModel`, `train`, `getTrainingJob`, `listTrainingJobs`, `cancelTrainingJob`, and
for the Open Inference Protocol `oipServerMetadata`, `oipServerLive`, `oipServerReady`, `oipModelMetadata`,
`oipModelVersionMetadata`, `oipModelReady`, `oipModelVersionReady`, `oipInfer`, `oipInferVersion`.

- [Predict](#predict)
- [Models](#models): [list](#list-models), [describe a version](#describe-a-version),
  [download](#download-an-artifact), [import](#import-an-artifact), [activate](#activate-a-version),
  [delete](#delete-a-version)
- Training: `POST /train` (JSON or CSV upload), `GET /train/jobs/{id}`, `GET /train/jobs`,
  `DELETE /train/jobs/{id}` — a full session with curl and the real answers is in
  [training.md](training.md), its reference section lists every field, limit and property
- [Open Inference Protocol](#open-inference-protocol) (KServe / Triton clients): [oip.md](oip.md)
- [Errors](#errors)
- [Generated clients](#generated-clients)
- [Security](#security)
- [Operations: health, info, metrics, Prometheus](#operations)
- [Configuration](#configuration)

## Predict

`POST /predict` with a JSON body `{"instances": [[...], ...]}`: one row per instance, each with as many
numbers as the model has input features (64 pixel values 0..16 for `digits`; the rows below are the
first two rows of the bundled digits data, a 0 and a 1).

| Query parameter | Meaning |
|---|---|
| `mcSamples` | Stochastic forward passes with dropout on. Absent or `0`: one deterministic pass (all `std` 0, `mutualInformation` 0). At most 10,000. |
| `seed` | Seed of the dropout masks, any 64-bit integer. Absent: one is drawn and returned in the answer, so any answer can be reproduced. |
| `model` | `NAME` or `NAME:VERSION`. Absent: the active version of the default model (`mcdropout.default-model`, `digits`). |
| `include` | `scores` adds `scoresMean` / `scoresStd`, the same statistics of the raw class scores. |

Per row: `mean` and `std` are the mean and population standard deviation of each class's softmax
probability over the passes (in the order of `classes`); `predictedClass` is the label with the highest
mean; `predictiveEntropy` is the entropy of `mean` (total uncertainty, in nats); `mutualInformation` is
that minus the mean entropy of the individual passes (the model's own, epistemic, uncertainty; Gal &
Ghahramani 2016); `variationRatio` is the share of passes that did not vote for the modal class.

@@ curl -s -X POST 'http://localhost:8080/predict?mcSamples=100&seed=7' -H 'Content-Type: application/json' -d '{"instances": [$ROW, $ROW2]}'

Both rows are clear cases: the passes agree, `std` and `mutualInformation` are tiny. A hard case is
row 1,119 of the digits data, a 3 that the model reads as an 8; the passes disagree (`variationRatio`),
and the mutual information, the part of the uncertainty that comes from the model itself, is three orders
of magnitude higher (about a thousand times):

@@ curl -s -X POST 'http://localhost:8080/predict?mcSamples=100&seed=7' -H 'Content-Type: application/json' -d '{"instances": [[0,0,3,11,14,12,3,0,0,2,13,10,4,10,12,0,0,2,11,2,0,9,9,0,0,0,0,3,10,10,1,0,0,0,7,16,16,2,0,0,0,0,3,0,14,3,0,0,0,0,0,1,13,2,0,0,0,3,7,14,5,0,0,0]]}'

Over all 1,797 digits rows (the model's own training data, so few mistakes), the 7 misclassified rows have
a median mutual information of 0.22 nats against 0.0014 for the rest: a threshold on it flags the
answers not to trust.

The same request again gives the same answer, because the seed fixes every dropout mask. Without
`mcSamples`, one deterministic pass (dropout off), and a drawn seed:

@@ curl -s -X POST 'http://localhost:8080/predict' -H 'Content-Type: application/json' -d '{"instances": [$ROW]}'

A pinned version and the raw class scores:

@@ curl -s -X POST 'http://localhost:8080/predict?mcSamples=20&seed=1&model=digits:1&include=scores' -H 'Content-Type: application/json' -d '{"instances": [$ROW]}'

Limits (each configurable, see [Configuration](#configuration)); a breach is a 4xx problem naming the
limit: `mcSamples` ≤ 10,000; rows ≤ 10,000; rows × `mcSamples` ≤ 10,000,000; body ≤ 16 MiB (413, also
for chunked bodies). Every number must be a finite JSON number: `NaN`, `Infinity`, strings, `null` and
booleans are rejected with a 400 that names the position (`instances[0][3]`); a row with the wrong
number of features is a 422 naming the expected and the actual count.

## Models

Models live in the store directory (`mcdropout.store.dir`, default `./data/models`) as
`{name}/{version}.zip`, with an `active` file naming the active version. Names match
`[a-z0-9][a-z0-9_-]{0,63}`; versions are 1, 2, 3, ... and a number is never reused, even after a
delete.

### List models

@@ curl -s http://localhost:8080/models

### Describe a version

Architecture, classes, hyperparameters, training history, validation metrics, creation time and the
SHA-256 of the stored zip:

@@ short curl -s http://localhost:8080/models/digits/versions/1

### Download an artifact

The stored zip, byte for byte (its SHA-256 is the `sha256` above):

@@ raw curl -s -o digits-1.zip -D - http://localhost:8080/models/digits/versions/1/artifact && sha256sum digits-1.zip

### Import an artifact

`POST /models/{name}/versions` with an `application/zip` body (a zip written by the engine's artifact
writer, e.g. one downloaded as above or trained elsewhere; the format is described in
[model-artifact.md](model-artifact.md)) stores it as the model's next version. The
zip is validated strictly first: an invalid one is a 422 problem saying why, and nothing is stored.
The answer is `201 Created` with `Location` naming the new version. The first version of a new model is
activated at once; later versions wait for an explicit activation.

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

## Open Inference Protocol

The same predictions over the Open Inference Protocol V2 (REST), as KServe, Triton and MLServer clients
send them: `GET /v2`, `/v2/health/live`, `/v2/health/ready`, `/v2/models/{name}[/versions/{version}]`
(metadata), `.../ready` and `POST .../infer` with the Monte Carlo settings in the request's
`"parameters": {"mc_samples": 100, "seed": 7}` and the uncertainty as output tensors. Errors there are the
protocol's `{"error": "..."}`, not problems. See [oip.md](oip.md).

## Errors

Every error is an RFC 9457 problem, `Content-Type: application/problem+json`, whose `detail` says what
to fix; `errors` lists the offending fields, parameters or limits when there are any. Client mistakes
are always 4xx, never a 5xx or a stack trace.

@@ curl -s -X POST 'http://localhost:8080/predict?mcSamples=20000' -H 'Content-Type: application/json' -d '{"instances": [$ROW]}'

@@ curl -s -X POST 'http://localhost:8080/predict' -H 'Content-Type: application/json' -d '{"instances": [[1, 2, 3]]}'

@@ curl -s -X POST 'http://localhost:8080/predict' -H 'Content-Type: application/json' -d '{"instances": [[0, NaN]]}'

@@ curl -s -X POST 'http://localhost:8080/predict?model=wine' -H 'Content-Type: application/json' -d '{"instances": [[1]]}'

@@ curl -s http://localhost:8080/models/..%2F..%2Fetc/versions/1

| Status | When |
|---|---|
| 400 | Malformed JSON, a value that is not a finite number, an invalid parameter or name, a limit on samples or rows |
| 401 / 403 | Missing / wrong `X-API-Key` on a mutating endpoint; 403 also for a remote client when no key is configured |
| 404 | Unknown model, version or path |
| 405 / 406 / 415 | Wrong method, `Accept` or `Content-Type` |
| 409 | Deleting the active version |
| 413 | Body over `max-predict-body` / `max-artifact-body` |
| 422 | Rows that do not fit the model; an invalid artifact |
| 503 | More than `mcdropout.predict.max-concurrent` predictions waited longer than `queue-timeout`; `POST /train` on an instance with `mcdropout.training.enabled=false` (`training-disabled`) |

## Generated clients

The build itself uses a generated client. `src/test/resources/openapi/mc-dropout-service.json` is a
snapshot of `/v3/api-docs` (keys sorted, server `http://localhost:8080`); `./mvnw verify` generates a Java
client from it with openapi-generator's Maven plugin (generator `java`, library `native`, into
`target/generated-test-sources/openapi`, packages `dev.mcdropout.client.api`, `.model`, `.invoker`), and
`GeneratedClientTest` lists models, predicts with `mcSamples=100`, trains a model and predicts with it
through that client alone. `OpenApiContractTest` fails, naming the JSON pointers that differ, when the
served document no longer equals the snapshot. After an intended API change, refresh and commit it:

```bash
./mvnw test -Dtest=OpenApiContractTest -Dopenapi.snapshot.update=true
git diff src/test/resources/openapi/mc-dropout-service.json
```

(If the snapshot is missing or no longer generates compiling code, add `-Dcodegen.skip=true` to that
command.) One generator option matters to anyone generating a Java client: `Hyperparameters.dropout` is
`oneOf` number | array of numbers, whose `oneOf` wrapper the java generator (7.25.0) emits as code that
does not compile; the build maps that schema to a small hand-written type
(`schemaMappings: Hyperparameters_dropout=...`, see `pom.xml`), and sets `containerDefaultToNull=true`
so that an unset `hiddenLayers` is not sent as `[]` (which asks for softmax regression).

## Security

`POST /predict` and every `GET` are open. The mutating endpoints (import, activate, delete; training
later) need header `X-API-Key` equal to `mcdropout.security.api-key` when a key is configured (compared in
constant time); with no key configured they accept clients on a loopback address only, which is why the
examples above work from the same machine without a key. The loopback rule looks at the TCP peer, not at
`X-Forwarded-For`, so behind a reverse proxy on the same host every client looks local: set a key
whenever the service is reachable from elsewhere.

```bash
MCDROPOUT_SECURITY_API_KEY=change-me ./mvnw spring-boot:run
curl -s -X POST -H 'X-API-Key: change-me' http://localhost:8080/models/digits/versions/1/activate
```

## Operations

Actuator exposes exactly `health`, `info`, `metrics` and `prometheus` under `/actuator`.
Readiness includes a `models` indicator that is DOWN until a model is active (while the default model
trains at first start, for example); liveness does not depend on models. While the default model
trains, readiness answers 503 and says how far training is (captured during a first start):

```json
{"components":{"models":{"details":{"reason":"no model is active yet","startup":"training the default model 'digits' on the bundled digits data: epoch 14 of at most 200"},"status":"DOWN"},"readinessState":{"status":"UP"}},"status":"DOWN"}
```

Once a model is active:

@@ curl -s http://localhost:8080/actuator/health/readiness

@@ curl -s http://localhost:8080/actuator/health/liveness

@@ curl -s http://localhost:8080/actuator/info

The service's own meters, all prefixed `mcdropout`:

| Meter | Type | Tags |
|---|---|---|
| `mcdropout.predict.latency` | timer (with histogram) | `model`, `outcome` = `success` / `client_error` / `server_error` |
| `mcdropout.predict.rows` | distribution summary: rows per request | `model` |
| `mcdropout.predict.mc.samples` | distribution summary: `mcSamples` per request | `model` |
| `mcdropout.predict.predictive.entropy` | distribution summary per predicted row, nats | `model` |
| `mcdropout.predict.mutual.information` | distribution summary per predicted row, nats | `model` |
| `mcdropout.model.active.version` | gauge | `model` |
| `mcdropout.model.reloads` | counter: active versions swapped in by the store rescan (another replica moved the pointer) | `model` |
| `mcdropout.ready` | gauge: 1 once a model is active (readiness), else 0 | |
| `mcdropout.process.memory.resident` | gauge: the process's resident memory, bytes | |
| `mcdropout.native.memory.allocated`, `.max` | gauges: ND4J's off-heap bytes (JavaCPP) and their limit | |

OIP inference (`/v2/models/.../infer`, [docs/oip.md](oip.md)) is counted in the same `mcdropout.predict.*`
meters as `POST /predict`.

Entropy and mutual information have fixed buckets, so a drift in how unsure the model is can be alerted
on (for example on the share of rows with mutual information above 0.3 nats).

@@ curl -s http://localhost:8080/actuator/metrics/mcdropout.predict.latency

Prometheus scrapes `/actuator/prometheus` (text format):

@@ raw curl -s http://localhost:8080/actuator/prometheus | grep -E '^mcdropout_(predict_latency_seconds_(count|sum)|model_active|predict_mutual_information_nats_(count|sum)|predict_mutual_information_nats_bucket\{.*le="0.3"|predict_rows_(count|sum))'

A scrape job for it:

```yaml
scrape_configs:
  - job_name: mc-dropout-service
    metrics_path: /actuator/prometheus
    scrape_interval: 15s
    static_configs:
      - targets: ['localhost:8080']
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

All under `mcdropout.` (as `application.yml` keys, `--mcdropout.x.y=...` arguments or
`MCDROPOUT_X_Y` environment variables):

| Property | Default | Meaning |
|---|---|---|
| `default-model` | `digits` | Model used when a prediction names none; trained at first start when the store is empty |
| `store.dir` | `./data/models` | Model store directory |
| `security.api-key` | (none) | Key for mutating endpoints; none: loopback clients only |
| `limits.max-mc-samples` | `10000` | Largest `mcSamples` |
| `limits.max-rows` | `10000` | Most rows per prediction |
| `limits.max-row-samples` | `10000000` | Most rows × `mcSamples` per prediction |
| `limits.max-predict-body` | `16MB` | Largest JSON body (MB here means MiB) |
| `limits.max-artifact-body` | `256MB` | Largest artifact upload |
| `predict.threads` | `0` (= cores) | Threads of the Monte Carlo predictor's own pool, shared by all requests |
| `predict.max-concurrent` | `8` | Predictions admitted at once; more wait |
| `predict.queue-timeout` | `30s` | How long a prediction waits for admission before a 503 |
| `nd4j.threads` | `1` | OpenMP/BLAS threads per ND4J operation |
| `startup.train-default-model` | `true` | Train `default-model` on the bundled digits data when the store is empty |
| `startup.seed` | `1` | Seed of that training |
| `store.rescan-interval` | `5s` | How often the store is read again for versions and active pointers that other processes sharing it changed (replicas on one volume); `0` switches it off; else 100ms to 1h |
| `training.enabled` | `true` | `false`: this instance does not train: `POST /train` answers 503 (`training-disabled`) and the default model is not trained at start (it is picked up from the shared store when another replica stores it) |

**Replicas sharing one store.** Several instances may use one store directory (a ReadWriteMany volume,
[README](../README.md#deploy)). Version numbers are taken under a lock file per model
(`{store}/.locks/{name}`) and each version file is created only if absent (a hard link of the complete
temp file), so concurrent imports and trainings on different replicas never overwrite, lose or duplicate a
version; the `active` pointer is replaced atomically. Every `store.rescan-interval` each instance reads the
pointers again and swaps in the version another instance activated (its `models` readiness turns UP the
same way when another replica trains the first model). On first start on an empty shared store each
replica with training on starts training the default model; the first to store it wins and the others stop.

**Threads.** ND4J sizes its OpenMP and BLAS pools from the host's core count (in a container often the
node's, not the container's quota). The Monte Carlo predictor already spreads the samples of a request
over its own pool of `predict.threads` threads, so at start-up the service caps ND4J at
`nd4j.threads` (default 1) threads per operation, through ND4J's environment and BLAS settings;
`predict.threads` × `nd4j.threads` should not exceed the cores you give the service. The OpenMP runtime
also reads `OMP_NUM_THREADS` when the native library loads; in a container set it to the same value as
`nd4j.threads` (`OMP_NUM_THREADS=1`) for a hard cap. Results do not depend on either number: the
same seed gives the same answer with any thread count.
