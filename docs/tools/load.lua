-- wrk script for docs/tools/load.sh: POSTs BODY_FILE to PATH and tallies the answers by status, and how many
-- 503s carried Retry-After. Prints one JSON line (prefix LOAD_RESULT) after the run.
local body_file = os.getenv("BODY_FILE")
local path = os.getenv("LOAD_PATH")
local f = assert(io.open(body_file, "r"))
wrk.method = "POST"
wrk.path = path
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
  retry_after = 0
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status == 503 and (headers["Retry-After"] or headers["retry-after"]) then
    retry_after = retry_after + 1
  end
end

function done(summary, latency, requests)
  local agg, ra = {}, 0
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("statuses")) do
      agg[k] = (agg[k] or 0) + v
    end
    ra = ra + t:get("retry_after")
  end
  local parts = {}
  for k, v in pairs(agg) do
    table.insert(parts, string.format('"%d": %d', k, v))
  end
  local e = summary.errors
  io.write(string.format('LOAD_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "statuses": {%s}, "retry_after_503": %d, "socket_errors": {"connect": %d, "read": %d, ' ..
    '"write": %d, "timeout": %d}}\n', summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.max, table.concat(parts, ", "), ra, e.connect, e.read,
    e.write, e.timeout))
end
