package dev.mcdropout.training;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.web.servlet.HandlerInterceptor;

/**
 * Answers a training upload with the queue's 429 before its body is read: the JSON body of {@code POST /train}
 * is bound, and a multipart form parsed, only after this runs (and after the API key check). An upload of
 * hundreds of megabytes that would be refused anyway is then not parsed, nor stored in temporary files.
 */
class TrainingAdmissionInterceptor implements HandlerInterceptor {

    private final TrainingJobService jobs;
    private final TrainingProperties properties;

    TrainingAdmissionInterceptor(TrainingJobService jobs, TrainingProperties properties) {
        this.jobs = jobs;
        this.properties = properties;
    }

    @Override
    public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler) {
        if ("POST".equals(request.getMethod()) && properties.enabled()) {
            jobs.requireRoom();
        }
        return true;
    }
}
