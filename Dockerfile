# syntax=docker/dockerfile:1
#
# mc-dropout-service image. Build: docker build -t mc-dropout-service .   Run and probes: docs/container.md.
# Written and reasoned about on machines without a Docker engine; the layer extraction and the ENTRYPOINT
# were checked by running them on the real jar (see docs/container.md, "How this was checked").

# Base images are pinned by exact tag (Temurin 17.0.15+6 on Ubuntu 24.04 "noble"), not by digest: no digest
# could be looked up on machines without a registry, and a digest copied from elsewhere could not be checked.
# Pin by digest where you build: docker buildx imagetools inspect eclipse-temurin:17.0.15_6-jre-noble, then
# FROM eclipse-temurin:17.0.15_6-jre-noble@sha256:... (the tags above stay as documentation).

# ---- build: the Maven wrapper on a full JDK ----------------------------------------------------------------
# On the builder's own platform: packaging only downloads jars (the x86-64 natives among them) and runs Java.
FROM --platform=$BUILDPLATFORM eclipse-temurin:17.0.15_6-jdk-noble AS build
WORKDIR /src
COPY mvnw pom.xml ./
COPY .mvn .mvn
COPY src src
# Tests are not run here: ./mvnw verify runs them in CI. .mvn/maven.config already holds
# -Djavacpp.platform=linux-x86_64, so only the linux-x86_64 native libraries of ND4J are packaged.
# The cache mount keeps ~/.m2 between builds without putting it in a layer.
RUN --mount=type=cache,target=/root/.m2 \
    ./mvnw -B -q -DskipTests package \
 && cp target/mc-dropout-service-*.jar /tmp/app.jar
# Spring Boot 4 layered extraction (layertools is gone): one directory per layer, plus the launcher.
RUN java -Djarmode=tools -jar /tmp/app.jar extract --layers --launcher --destination /extracted

# ---- run: a JRE only ---------------------------------------------------------------------------------------
# linux/amd64 only: ND4J's packaged native libraries are linux-x86_64 (an arm64 host runs it under emulation).
FROM --platform=linux/amd64 eclipse-temurin:17.0.15_6-jre-noble
# A fixed numeric uid, so that Kubernetes' runAsNonRoot can check it.
RUN groupadd --system --gid 10001 mcdropout \
 && useradd --system --uid 10001 --gid mcdropout --create-home --home-dir /home/mcdropout mcdropout \
 && mkdir -p /data/models \
 && chown -R mcdropout:mcdropout /data
WORKDIR /app
# Least to most often changed, so a code change rebuilds only the last, small layer (the ~160 MB of
# dependencies, mostly ND4J's native libraries, stay cached).
COPY --from=build /extracted/dependencies/ ./
COPY --from=build /extracted/spring-boot-loader/ ./
COPY --from=build /extracted/snapshot-dependencies/ ./
COPY --from=build /extracted/application/ ./

# The model store survives the container. Owned by the service's user (set before VOLUME, so a new named
# volume starts with that ownership).
VOLUME /data
ENV MCDROPOUT_STORE_DIR=/data/models

# ND4J sizes its OpenMP and BLAS thread pools from the HOST's core count, not the container's CPU quota, so a
# 2-CPU container on a 64-core node would start 64 threads per op and thrash. Set both explicitly: the
# OpenMP runtime reads OMP_NUM_THREADS when the native library loads, and the service caps OpenMP and BLAS
# to mcdropout.nd4j.threads at start. 1 suits a server answering several requests at once: each request's
# matrix products run on one core, and the Monte Carlo predictor splits its element-wise passes over its
# own pool (sized by the JVM from the container's CPU quota). For the lowest latency of single large
# requests, raise MCDROPOUT_ND4J_THREADS and OMP_NUM_THREADS to the CPU quota and set
# OPENBLAS_THREAD_TIMEOUT=4, so idle BLAS workers sleep instead of spinning against the predictor's threads
# (docs/performance.md).
ENV OMP_NUM_THREADS=1 \
    MCDROPOUT_ND4J_THREADS=1

# Memory, for a container limit L (give it at least 2 GiB):
# - The heap is capped at 40% of L, not the JVM's usual 75%, because ND4J keeps every array's data OFF the
#   heap (JavaCPP pointers), and the network's weights, activations and Monte Carlo samples live there.
# - JavaCPP would allow off-heap memory up to the heap size (maxbytes) and the whole process up to 4x the
#   heap (maxphysicalbytes), i.e. 160% of L: the kernel would OOM-kill the container first. With the
#   limits below (percentages are of the maximum heap) JavaCPP collects garbage and then throws
#   OutOfMemoryError before the process reaches about 84% of L; a training job that hits it fails with a
#   507 problem and the service keeps answering. The rest of L is metaspace, code cache, thread stacks
#   and the native libraries themselves.
# - -XX:+ExitOnOutOfMemoryError: a JVM whose heap ran out is in an unknown state (a thread may have died
#   holding a lock while liveness still says UP), so it exits and the orchestrator restarts it. Only the
#   JVM's own out-of-memory errors exit: JavaCPP's off-heap limit above is an OutOfMemoryError that Java code
#   throws, which a training job still turns into its 507 while the service keeps answering. Request bodies
#   cannot exhaust the heap (they are parsed into bounded blocks after admission; docs/api.md, "Capacity").
# JAVA_TOOL_OPTIONS, not ENTRYPOINT flags, so operators can change them with -e without rebuilding.
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=40 -XX:+ExitOnOutOfMemoryError -Dorg.bytedeco.javacpp.maxbytes=100% -Dorg.bytedeco.javacpp.maxphysicalbytes=210%"

USER 10001:10001
# 8080: the API and the web page. 8081: actuator (probes, metrics, Prometheus) on its own port and threads
# (management.server.port), so a flood of requests waiting on 8080 cannot starve the probes; publish it only
# where the orchestrator and Prometheus reach it, not to clients.
EXPOSE 8080 8081
# Liveness only (readiness waits for a model, which a first start trains for a while). The JRE image has no
# curl or wget; bash's /dev/tcp speaks enough HTTP/1.0. start-period covers the first start's native-library
# unpacking and the default model's training. Kubernetes ignores HEALTHCHECK: it uses the probes in
# deploy/kubernetes, on the same actuator groups and port.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8081 && printf 'GET /actuator/health/liveness HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
# Exec form: java is PID 1 and gets SIGTERM: readiness turns DOWN, requests in flight finish, a running training
# job is cancelled and recorded as CANCELLED, and the process exits within mcdropout.shutdown.grace-period (9 s),
# inside `docker stop`'s default 10 s before SIGKILL (docs/container.md, "Stopping").
ENTRYPOINT ["java", "org.springframework.boot.loader.launch.JarLauncher"]
