package dev.mcdropout.system;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** "APPLICATION FAILED TO START" with what to set, instead of a stack trace, for {@link KeylessExposureCheck}. */
class KeylessExposureFailureAnalyzer extends AbstractFailureAnalyzer<KeylessExposureCheck.KeylessExposureException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, KeylessExposureCheck.KeylessExposureException cause) {
        return new FailureAnalysis(cause.getMessage(),
                "Set an API key (MCDROPOUT_SECURITY_API_KEY, sent by clients as header X-API-Key). If every "
                        + "loopback peer really is a local client, set mcdropout.security.allow-no-key-behind-proxy=true "
                        + "(mutating endpoints then accept loopback peers only). docs/api.md, \"Security\".", cause);
    }
}
