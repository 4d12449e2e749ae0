-- wrk script: POSTs the browser's form and prints one machine-readable
-- line at the end (latencies in microseconds).
--
--   wrk -s bench/post.lua http://127.0.0.1:3080/module

wrk.method = "POST"
-- the form: BENCH_WRK_BODY (bench_body in lib.sh), or one address
wrk.body = os.getenv("BENCH_WRK_BODY") or "Email=bench%40example.com"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
-- what a browser sends with a same-origin form post
wrk.headers["Origin"] = "http://" .. wrk.host .. ":" .. wrk.port

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        "RESULT requests=%d duration_us=%d bytes=%d errors_connect=%d " ..
        "errors_read=%d errors_write=%d errors_status=%d errors_timeout=%d " ..
        "p50_us=%d p90_us=%d p99_us=%d max_us=%d mean_us=%.1f\n",
        summary.requests, summary.duration, summary.bytes, e.connect,
        e.read, e.write, e.status, e.timeout,
        latency:percentile(50), latency:percentile(90),
        latency:percentile(99), latency.max, latency.mean))
end
