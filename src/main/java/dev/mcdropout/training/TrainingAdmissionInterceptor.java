package dev.mcdropout.training;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.web.servlet.HandlerInterceptor;

/**
 * Answers a training upload with the queue's 429 before its body is read: the JSON body of {@code POST /train}
 * is bound, and a multipart form parsed, only after this runs (and after the API key check). An upload of
 * hundreds of megabytes that would be refused anyway is then not parsed, nor stored in temporary files.
 *
 * <p>Except a retry: a request whose {@code Idempotency-Key} is already known (its job is running, queued,
 * finished, or being taken in) does not make a new job, so the queue does not concern it. It goes on to the
 * controller, which answers it exactly as it would with room in the queue: the earlier job (same content), a 422
 * (other content) or a 409 (the first request is still being taken in). A header that is not a valid key is left
 * to the controller's 400 too; a client cannot use it to skip the queue, since an unknown key still meets it.
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
        if ("POST".equals(request.getMethod()) && properties.enabled()
                && !jobs.knowsIdempotencyKey(request.getHeader(TrainingController.IDEMPOTENCY_KEY))) {
            jobs.requireRoom();
        }
        return true;
    }
}
