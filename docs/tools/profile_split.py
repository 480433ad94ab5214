"""Splits an async-profiler CPU profile (collapsed stacks) of the one-row predict load into the parts of a
request (issue 12; docs/performance.md, "Where a request's time goes"). Each stack counts once, for the first
part in RULES that names one of its frames; stacks of threads that serve no request are JIT, GC or other.
Usage: python3 profile_split.py LABEL:profile.collapsed:wrk-output.txt ... (one column per profile);
the wrk output gives the requests served while the profile ran, so each part is also in CPU microseconds
per request (1 sample = 1 ms of CPU at interval=1ms).
"""
import collections, re, sys

TOMCAT = ("org/apache/tomcat", "org/apache/coyote", "org/apache/catalina", "NioEndpoint")
RULES = [  # the first part with a frame in the stack wins
    ("Tomcat (HTTP, sockets)", ["catalina/connector/OutputBuffer.close", "catalina/connector/OutputBuffer.doFlush",
                                "catalina/connector/OutputBuffer.flush"]),  # the answer's socket write
    ("metrics: mcdropout meters", ["McDropoutMetrics"]),
    ("metrics: Spring's http.server.requests", ["io/micrometer", "ServerHttpObservationFilter.createOrFetch"]),
    ("statistics", ["MonteCarloStatistics", "nn/Uncertainty", "DistinctRows.expand"]),
    ("engine", ["MonteCarloPredictor", "ParallelSamples", "FusedKernel", "nn/Dropout", "MaskSource", "DistinctRows",
                "Network.standardized"]),
    ("parse", ["PredictService.readInstances", "InstancesDeserializer", "PredictBody", "FastInstancesParser"]),
    ("response writing", ["writeWithMessageConverters"]),
    ("validation", ["PredictService.checkRows", "PredictService.mcSamples", "ModelSelector", "parseInclude",
                    "PredictService.predict(", "ModelRegistry.resolve", "PredictService.resolve"]),
    ("admission", ["PredictService.acquire", "PredictService.admitted", "ClientDisconnects", "Semaphore"]),
]
FILTERS = ["RequestIdFilter.", "BodySizeLimitFilter.", "ApiKeyInterceptor", "LimitedRequest", "CountingStream"]
ORDER = ["parse", "validation", "admission", "engine", "statistics", "response writing",
         "metrics: mcdropout meters", "metrics: Spring's http.server.requests",
         "filters (request id, body limit, API key)", "Spring MVC dispatch", "Tomcat (HTTP, sockets)",
         "JIT", "GC", "other threads"]
NOT_REQUEST = ("JIT", "GC", "other threads")


def classify(stack):
    frames = stack.split(";")
    if not any(t in f for f in frames for t in TOMCAT):
        if any("ParallelSamples" in f for f in frames):
            return "engine"
        if any(k in stack for k in ("GC", "G1", "Parallel")):
            return "GC"
        if any(k in stack for k in ("Compile", "C2", "C1", "Phase")):
            return "JIT"
        return "other threads"
    for part, names in RULES:
        if any(n in f for f in frames for n in names):
            return part
    # a filter's own work: the deepest frame that is neither Tomcat's nor Spring's belongs to a filter
    for f in reversed(frames):
        if any(n in f for n in FILTERS):
            rest = frames[frames.index(f) + 1:]
            if not any("doFilter" in r or "FilterChain" in r or "DispatcherServlet" in r for r in rest):
                return "filters (request id, body limit, API key)"
            break
    if any("springframework" in f for f in frames):
        return "Spring MVC dispatch"
    return "Tomcat (HTTP, sockets)"


def column(spec):
    label, profile, wrk = spec.split(":")
    parts = collections.Counter()
    for line in open(profile):
        stack, n = line.rstrip().rsplit(" ", 1)
        parts[classify(stack)] += int(n)
    text = open(wrk).read()
    requests = int(re.search(r"(\d+) requests in", text).group(1))
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    load = re.search(r"load average ([\d.]+)", text)
    return label, parts, requests, rate, load.group(1) if load else "?"


cols = [column(a) for a in sys.argv[1:]]
print("| Part | " + " | ".join(f"{c[0]}: µs CPU per request (share of request path)" for c in cols) + " |")
print("|---|" + "---|" * len(cols))
for part in ORDER:
    cells = []
    for _, parts, requests, _, _ in cols:
        path = sum(v for k, v in parts.items() if k not in NOT_REQUEST)
        share = "" if part in NOT_REQUEST else f" ({100 * parts[part] / path:.0f}%)"
        cells.append(f"{1000 * parts[part] / requests:.0f}{share}")
    print(f"| {part} | " + " | ".join(cells) + " |")
print("| **request path** | " + " | ".join(
    f"**{1000 * sum(v for k, v in p.items() if k not in NOT_REQUEST) / r:.0f}**" for _, p, r, _, _ in cols) + " |")
print("| req/s while profiled (load average) | " + " | ".join(f"{rate:.0f} ({load})" for *_, rate, load in
                                                              [(c[0], c[1], c[2], c[3], c[4]) for c in cols]) + " |")
