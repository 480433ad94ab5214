package dev.mcdropout.system;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.http.HttpStatus;

class ApiKeyInterceptorTest {

    private static ApiKeyInterceptor interceptor(String key) {
        MapConfigurationPropertySource source = new MapConfigurationPropertySource();
        if (key != null) {
            source.put("mcdropout.security.api-key", key);
        }
        return new ApiKeyInterceptor(new Binder(source).bindOrCreate("mcdropout", McDropoutProperties.class));
    }

    private static HttpStatus statusOf(Runnable check) {
        try {
            check.run();
            return HttpStatus.OK;
        } catch (ProblemException e) {
            return e.status();
        }
    }

    @Test
    void withoutAConfiguredKeyOnlyLoopbackClientsMayMutate() {
        ApiKeyInterceptor open = interceptor(null);
        for (String local : new String[] {"127.0.0.1", "127.8.9.10", "::1", "0:0:0:0:0:0:0:1"}) {
            assertThatCode(() -> open.check(null, local)).as(local).doesNotThrowAnyException();
        }
        for (String remote : new String[] {"10.0.0.7", "192.168.1.2", "2001:db8::1", "localhost", "", "not-an-ip"}) {
            assertThatThrownBy(() -> open.check(null, remote)).as(remote).isInstanceOf(ProblemException.class);
        }
        assertThatThrownBy(() -> open.check(null, null)).isInstanceOf(ProblemException.class);
    }

    @Test
    void withAConfiguredKeyEveryClientMustPresentIt() {
        ApiKeyInterceptor keyed = interceptor("s3cret");
        assertThatCode(() -> keyed.check("s3cret", "10.0.0.7")).doesNotThrowAnyException();
        org.assertj.core.api.Assertions.assertThat(statusOf(() -> keyed.check(null, "127.0.0.1"))).isEqualTo(HttpStatus.UNAUTHORIZED);
        org.assertj.core.api.Assertions.assertThat(statusOf(() -> keyed.check("s3cret ", "10.0.0.7"))).isEqualTo(HttpStatus.FORBIDDEN);
        org.assertj.core.api.Assertions.assertThat(statusOf(() -> keyed.check("S3CRET", "127.0.0.1"))).isEqualTo(HttpStatus.FORBIDDEN);
    }
}
