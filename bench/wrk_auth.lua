-- wrk script of bench/http_bench.py: sends the Bearer token from $BENCH_TOKEN and prints one JSON summary line.
local token = os.getenv("BENCH_TOKEN")
if token and #token > 0 then
  wrk.headers["Authorization"] = "Bearer " .. token
end
-- The 304 scenarios: a current ETag of the endpoint (every answer is then 304; wrk counts only >= 400 as errors).
local etag = os.getenv("BENCH_IF_NONE_MATCH")
if etag and #etag > 0 then
  wrk.headers["If-None-Match"] = etag
end

done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '\nBENCH_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "non_2xx": %d, ' ..
    '"connect": %d, "read": %d, "write": %d, "timeout": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), errors.status,
    errors.connect, errors.read, errors.write, errors.timeout))
end
