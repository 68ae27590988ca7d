-- wrk script for bench/api_cost.py: requests from environment variables, results as JSON.
--   BENCH_METHOD  GET or POST
--   BENCH_PATHS   space-separated paths, taken in turn (each thread starts at another one)
--   BENCH_BODY    request body (JSON) for POST
--   BENCH_COOKIE  Cookie header (session + csrftoken); BENCH_CSRF the X-CSRFToken header
-- Requests are built once in init(), as wrk's SCRIPTING advises, so Lua costs nothing per request.

local threads = 0

function setup(thread)
  thread:set("offset", threads)
  threads = threads + 1
end

function init(args)
  local method = os.getenv("BENCH_METHOD") or "GET"
  local body = os.getenv("BENCH_BODY")
  if body == "" then body = nil end
  local headers = {}
  local cookie = os.getenv("BENCH_COOKIE") or ""
  if cookie ~= "" then headers["Cookie"] = cookie end
  local csrf = os.getenv("BENCH_CSRF") or ""
  if csrf ~= "" then headers["X-CSRFToken"] = csrf end
  if body then headers["Content-Type"] = "application/json" end
  requests = {}
  for path in string.gmatch(os.getenv("BENCH_PATHS") or "/", "%S+") do
    requests[#requests + 1] = wrk.format(method, path, headers, body)
  end
  index = (offset or 0) % #requests
end

function request()
  index = index % #requests + 1
  return requests[index]
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "errors_connect": %d, "errors_read": %d, "errors_write": %d, ' ..
    '"errors_status": %d, "errors_timeout": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, errors.connect, errors.read, errors.write,
    errors.status, errors.timeout))
end
