package dev.mcdropout.system;

import java.net.URI;
import java.util.List;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;

/** Builds the problem bodies every error path of the service answers with. */
public final class Problems {

    public static final String TYPE_BASE = "https://mcdropout.dev/problems/";

    private Problems() {
    }

    public static ProblemDetail of(HttpStatusCode status, String type, String title, String detail,
                                   List<String> errors) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        problem.setType(URI.create(TYPE_BASE + type));
        problem.setTitle(title);
        if (errors != null && !errors.isEmpty()) {
            problem.setProperty("errors", List.copyOf(errors));
        }
        return problem;
    }

    /** Problem JSON written by hand, for filters that answer before Spring MVC is involved. */
    public static String json(int status, String type, String title, String detail, String instance,
                              List<String> errors) {
        StringBuilder sb = new StringBuilder(256);
        sb.append("{\"type\":").append(quote(TYPE_BASE + type))
                .append(",\"title\":").append(quote(title))
                .append(",\"status\":").append(status)
                .append(",\"detail\":").append(quote(detail));
        if (instance != null) {
            sb.append(",\"instance\":").append(quote(instance));
        }
        if (errors != null && !errors.isEmpty()) {
            sb.append(",\"errors\":[");
            for (int i = 0; i < errors.size(); i++) {
                sb.append(i == 0 ? "" : ",").append(quote(errors.get(i)));
            }
            sb.append(']');
        }
        String requestId = org.slf4j.MDC.get(RequestIdFilter.MDC_KEY);
        if (requestId != null) {
            sb.append(",\"requestId\":").append(quote(requestId));
        }
        return sb.append('}').toString();
    }

    static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
