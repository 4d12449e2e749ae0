-- wrk script: like post.lua, but every request names another address
-- (bench-<thread>-<n>@example.com), so that a cooldown never refuses one:
-- the limit's whole path (the node's zone, or the fleet store) runs each
-- time.
--
--   wrk -s bench/post-unique.lua http://127.0.0.1:3080/store

local n = 0
local tag = tostring(math.random(1000000))

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Origin"] = "http://" .. wrk.host .. ":" .. wrk.port

function request()
    n = n + 1
    return wrk.format(nil, nil, nil,
                      "Email=bench-" .. tag .. "-" .. n .. "%40example.com")
end

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
