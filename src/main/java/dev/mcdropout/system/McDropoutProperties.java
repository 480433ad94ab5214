package dev.mcdropout.system;

import jakarta.validation.Valid;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * Everything under {@code mcdropout.*}. Each limit is what a single request may ask of the service; a breach
 * is a 4xx problem naming the property, so an operator knows which knob a client ran into. The Javadoc
 * {@code @param} texts become the IDE hints of {@code META-INF/spring-configuration-metadata.json}.
 *
 * @param defaultModel model used when a prediction names none; trained at first start when the store is empty
 * @param store        where model artifacts are kept
 * @param security     API key of the mutating endpoints (and of artifact downloads and health details)
 * @param limits       what one prediction or artifact upload may ask of the service
 * @param predict      the Monte Carlo predictor's threads and admission
 * @param nd4j         ND4J's native threads
 * @param startup      what happens at first start with an empty store
 * @param problems     how error bodies (RFC 9457 problems) name their types
 * @param shutdown     how the service stops on SIGTERM
 */
@Validated
@ConfigurationProperties("mcdropout")
public record McDropoutProperties(
        @DefaultValue("digits") @NotBlank @Pattern(regexp = "[a-z0-9][a-z0-9_-]{0,63}") String defaultModel,
        @DefaultValue @Valid @NotNull Store store,
        @DefaultValue @Valid @NotNull Security security,
        @DefaultValue @Valid @NotNull Limits limits,
        @DefaultValue @Valid @NotNull Predict predict,
        @DefaultValue @Valid @NotNull Nd4jSettings nd4j,
        @DefaultValue @Valid @NotNull Startup startup,
        @DefaultValue @Valid @NotNull ProblemTypes problems,
        @DefaultValue @Valid @NotNull Shutdown shutdown) {

    /**
     * Where model zips live: {@code {dir}/{name}/{version}.zip} plus an {@code active} pointer per model.
     *
     * @param dir model store directory
     * @param rescanInterval how often the store is read again for versions and active pointers that other
     *                       processes sharing it (replicas on one volume) changed; 0 switches rescanning off
     * @param minFreeSpace   free space the store's file system must have for readiness to be UP (the
     *                       storeDiskSpace indicator); below it new versions and job records may not fit
     * @param staleTempAge   a temp file in the store (an upload or a version being written) last written longer
     *                       ago than this is a crashed writer's leftover and is removed at start-up; a younger one
     *                       may be another replica's write in progress and is left alone (at least 1 minute)
     */
    public record Store(
            @DefaultValue("./data/models") @NotNull Path dir,
            @DefaultValue("5s") @NotNull Duration rescanInterval,
            @DefaultValue("100MB") @NotNull DataSize minFreeSpace,
            @DefaultValue("1h") @NotNull Duration staleTempAge) {

        /** Shorter would risk removing a live upload that pauses between packets or is being validated. */
        @AssertTrue(message = "stale-temp-age must be at least 1m")
        public boolean isStaleTempAgeValid() {
            return staleTempAge == null || staleTempAge.compareTo(Duration.ofMinutes(1)) >= 0;
        }

        /** 0 (off), or from 100 ms (a tighter loop would only burn I/O on a network volume) to 1 hour. */
        @AssertTrue(message = "rescan-interval must be 0 (off) or between 100ms and 1h")
        public boolean isRescanIntervalValid() {
            return rescanInterval == null || rescanInterval.isZero()
                    || (rescanInterval.compareTo(Duration.ofMillis(100)) >= 0
                        && rescanInterval.compareTo(Duration.ofHours(1)) <= 0);
        }
    }

    /**
     * {@code apiKey} unset: mutating endpoints accept loopback clients only (the TCP peer's address; forwarded
     * headers count only where {@code server.forward-headers-strategy} is set explicitly). Set: they require
     * header {@code X-API-Key} with this value. A blank key is a configuration error, not "no key". Without a
     * key the service refuses to start where a loopback peer may be a proxy for anyone (a cloud platform such
     * as Kubernetes is detected, or forwarded headers are trusted) unless {@code allowNoKeyBehindProxy} says so.
     *
     * @param apiKey key the mutating endpoints require in header X-API-Key; unset: loopback clients only; blank: an error
     * @param allowNoKeyBehindProxy start without an API key even on a detected cloud platform (Kubernetes, Cloud
     *                              Foundry, ...) or with forwarded headers trusted, where loopback peers may be
     *                              proxies; mutating endpoints then still accept loopback peers only
     * @param artifactDownloadRequiresKey GET .../artifact (the model's weights) needs the API key (or, with no
     *                                    key configured, a loopback client), like the mutating endpoints
     */
    public record Security(
            String apiKey,
            @DefaultValue("false") boolean allowNoKeyBehindProxy,
            @DefaultValue("true") boolean artifactDownloadRequiresKey) {

        public boolean hasApiKey() {
            return apiKey != null;
        }

        /** Blank is refused: an empty MCDROPOUT_SECURITY_API_KEY must not silently mean "no key". */
        @AssertTrue(message = "api-key must not be blank: remove it for loopback-only access, or set a real key")
        public boolean isApiKeyNotBlank() {
            return apiKey == null || !apiKey.isBlank();
        }
    }

    /**
     * Every limit a client can hit, under one prefix so that each is named the same way in its 413/400
     * problem. The training defaults may be lowered (or raised up to the hard caps here).
     *
     * @param maxMcSamples        largest mcSamples of one prediction
     * @param maxRows             most rows of one prediction
     * @param maxRowSamples       most rows times mcSamples of one prediction
     * @param maxPredictBody      largest JSON body of POST /predict (MB means MiB)
     * @param maxArtifactBody     largest model artifact upload
     * @param maxTrainingBody     largest body of POST /train and POST /train/csv
     * @param maxTrainingRows     most rows of a training data set
     * @param maxTrainingFeatures most features (columns) of a training data set
     * @param maxHiddenUnits      most units of one hidden layer of a trained network
     * @param maxHiddenLayers     most hidden layers of a trained network
     * @param maxEpochs           most epochs of one training job
     */
    public record Limits(
            @DefaultValue("10000") @Min(1) @Max(1_000_000) int maxMcSamples,
            @DefaultValue("10000") @Min(1) @Max(10_000_000) int maxRows,
            @DefaultValue("10000000") @Min(1) long maxRowSamples,
            @DefaultValue("16MB") @NotNull DataSize maxPredictBody,
            @DefaultValue("256MB") @NotNull DataSize maxArtifactBody,
            @DefaultValue("256MB") @NotNull DataSize maxTrainingBody,
            @DefaultValue("1000000") @Min(2) @Max(100_000_000) int maxTrainingRows,
            @DefaultValue("100000") @Min(1) @Max(1_000_000) int maxTrainingFeatures,
            @DefaultValue("16384") @Min(1) @Max(1 << 20) int maxHiddenUnits,
            @DefaultValue("16") @Min(0) @Max(256) int maxHiddenLayers,
            @DefaultValue("10000") @Min(1) @Max(1_000_000) int maxEpochs) {
    }

    /**
     * {@code threads}: the Monte Carlo predictor's own pool (0 = available processors).
     * {@code maxConcurrent}: predictions admitted at once; others wait up to {@code queueTimeout}.
     *
     * @param threads       threads of the Monte Carlo predictor's own pool, shared by all requests (0 = cores)
     * @param maxConcurrent predictions admitted at once; more wait. A prediction's body is read, and a pinned
     *                      version loaded, only once it is admitted
     * @param queueTimeout  how long a prediction waits for admission (or a version load for its slot) before a 503
     * @param maxConcurrentLoads model versions that are not active (pinned with ?model=name:N, or described by
     *                           GET /models/{name}/versions/{N}) read from the store at once; more wait
     * @param maxQueued     predictions that may wait for admission; one more gets a 503 at once
     * @param deadline      how long a prediction may take from arrival to answer; past it the work stops and
     *                      the client gets a 503
     * @param retryAfter    the Retry-After a client gets with a 503 (busy or deadline exceeded)
     */
    public record Predict(
            @DefaultValue("0") @Min(0) @Max(1024) int threads,
            @DefaultValue("8") @Min(1) @Max(10_000) int maxConcurrent,
            @DefaultValue("30s") @NotNull Duration queueTimeout,
            @DefaultValue("2") @Min(1) @Max(64) int maxConcurrentLoads,
            @DefaultValue("64") @Min(0) @Max(100_000) int maxQueued,
            @DefaultValue("60s") @NotNull Duration deadline,
            @DefaultValue("1s") @NotNull Duration retryAfter) {

        @AssertTrue(message = "deadline must be positive")
        public boolean isDeadlinePositive() {
            return deadline == null || (!deadline.isNegative() && !deadline.isZero());
        }

        public int effectiveThreads() {
            return threads > 0 ? threads : Math.max(1, Runtime.getRuntime().availableProcessors());
        }
    }

    /**
     * OpenMP/BLAS threads ND4J may use inside one op; set at startup (see docs/api.md, "Threads").
     *
     * @param threads OpenMP/BLAS threads per ND4J operation
     */
    public record Nd4jSettings(@DefaultValue("1") @Min(1) @Max(1024) int threads) {
    }

    /**
     * {@code trainDefaultModel}: train and activate {@code defaultModel} on the bundled digits data when
     * the store holds no model. {@code seed}: its training seed.
     *
     * @param trainDefaultModel train default-model on the bundled digits data when the store is empty
     * @param seed              seed of that training
     */
    public record Startup(@DefaultValue("true") boolean trainDefaultModel, @DefaultValue("1") long seed) {
    }

    /**
     * The {@code type} of every problem is this base followed by the problem's name ({@code limit-exceeded}).
     *
     * @param typeBase prefix of every problem type URI, e.g. https://docs.example.com/mcdropout/problems/ or
     *                 https://docs.example.com/errors# (the name is appended as it is)
     */
    public record ProblemTypes(@DefaultValue(Problems.DEFAULT_TYPE_BASE) @NotBlank String typeBase) {

        /** The base followed by a name must be an absolute URI. */
        @AssertTrue(message = "type-base must be an absolute URI such as https://docs.example.com/problems/")
        public boolean isTypeBaseAbsolute() {
            try {
                return typeBase == null || java.net.URI.create(typeBase + "limit-exceeded").isAbsolute();
            } catch (IllegalArgumentException e) {
                return false;
            }
        }
    }

    /**
     * On SIGTERM: readiness turns DOWN and the service keeps serving for {@code drainDelay} (so load balancers
     * stop sending), then stops accepting requests, lets those in flight finish (within Spring's
     * {@code spring.lifecycle.timeout-per-shutdown-phase}), cancels running training jobs and records them as
     * CANCELLED. If all that takes longer than {@code gracePeriod} the process halts anyway: set it below the
     * orchestrator's own grace (Docker 10 s, Kubernetes 30 s), after which it sends SIGKILL.
     *
     * @param drainDelay  how long readiness reports DOWN before the service stops accepting requests
     * @param gracePeriod the longest the whole shutdown may take before the process halts
     */
    public record Shutdown(
            @DefaultValue("1s") @NotNull Duration drainDelay,
            @DefaultValue("9s") @NotNull Duration gracePeriod) {

        @AssertTrue(message = "drain-delay must be at least 0 and shorter than grace-period")
        public boolean isDrainDelayShorterThanGracePeriod() {
            return drainDelay == null || gracePeriod == null
                    || (!drainDelay.isNegative() && drainDelay.compareTo(gracePeriod) < 0);
        }
    }
}
