package dev.mcdropout.system;

import java.io.IOException;
import java.io.Writer;
import java.util.List;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;

/** Tomcat's last-resort error page, as a problem+json body without server details. */
public class ProblemErrorReportValve extends ErrorReportValve {

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
                writer.write(Problems.json(status, type, status >= 500 ? "Internal error" : "Bad request", detail,
                        null, List.of()));
                response.finishResponse();
            }
        } catch (IOException | IllegalStateException e) {
            // the client is gone or the response was committed meanwhile; nothing more to say
        }
    }
}
