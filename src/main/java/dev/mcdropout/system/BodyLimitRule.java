package dev.mcdropout.system;

import org.springframework.http.server.PathContainer;
import org.springframework.util.unit.DataSize;
import org.springframework.web.util.pattern.PathPattern;
import org.springframework.web.util.pattern.PathPatternParser;

/**
 * A body-size limit for requests whose method and path match. Features declare their own as beans (the
 * artifact upload does, training will); requests that match none get {@code mcdropout.limits.max-predict-body}.
 *
 * @param property the limit's name under {@code mcdropout.limits}, quoted in the 413 problem
 */
public record BodyLimitRule(String method, PathPattern pattern, DataSize limit, String property) {

    public static BodyLimitRule of(String method, String pattern, DataSize limit, String property) {
        return new BodyLimitRule(method, PathPatternParser.defaultInstance.parse(pattern), limit, property);
    }

    boolean matches(String requestMethod, String path) {
        return method.equalsIgnoreCase(requestMethod) && pattern.matches(PathContainer.parsePath(path));
    }
}
