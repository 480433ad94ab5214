package dev.mcdropout.system;

import java.io.IOException;
import java.io.Writer;
import java.util.List;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import tools.jackson.databind.json.JsonMapper;

/**
 * Tomcat's last-resort error page, as a problem+json body without server details, written by Jackson.
 * {@link WebConfig} puts an instance with the configured type base into the host's pipeline.
 */
public class ProblemErrorReportValve extends ErrorReportValve {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final String typeBase;

    public ProblemErrorReportValve() {
        this(Problems.DEFAULT_TYPE_BASE);
    }

    public ProblemErrorReportValve(String typeBase) {
        this.typeBase = typeBase;
    }

    @Override
    protected void report(Request request, Response response, Throwable throwable) {
        int status = response.getStatus();
        if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
            return;
        }
        try {
            response.setContentType("application/problem+json");
            String detail = status >= 500 ? "the service failed to answer this request"
                    : "the request was rejected before it reached the API (malformed URI or headers?)";
            String type = status == 400 ? "bad-request" : status >= 500 ? "internal-error" : "http-" + status;
            Writer writer = response.getReporter();
            if (writer != null) {
                ProblemDetail problem = Problems.of(HttpStatusCode.valueOf(status), type,
                        status >= 500 ? "Internal error" : "Bad request", detail, List.of());
                writer.write(JSON.writeValueAsString(ApiProblem.from(problem, typeBase)));
                response.finishResponse();
            }
        } catch (IOException | IllegalStateException e) {
            // the client is gone or the response was committed meanwhile; nothing more to say
        }
    }
}
