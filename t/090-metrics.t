# resend_verify_status: Prometheus counters in shared memory.
use RVTest;

run_tests();

__DATA__

=== TEST 1: counters by outcome, reply code, upstream error; sends; latency
--- http_config
    resend_verify_limit_zone zone=rv:1m cooldown=60s;
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_limit zone=rv;
        resend_verify_detail on;
        resend_verify_max_emails 2;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
    location = /metrics {
        allow 127.0.0.1;
        deny all;
        resend_verify_status;
    }
--- request eval
["POST /resend\nEmail=ok1%40example.com",
 "POST /resend\nEmail=ok2%40example.com%2Cquota%40example.com",
 "POST /resend\nEmail=ok1%40example.com",
 "POST /resend\nEmail=nope",
 "POST /resend\nEmail=throttle%40example.com",
 "GET /metrics"]
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code eval
[200, 200, 429, 400, 429, 200]
--- response_headers eval
["", "", "", "", "", "Content-Type: text/plain; version=0.0.4"]
--- response_body_like eval
["", "", "", "", "", join("(?s:.*)", map { "(?m:^\Q$_\E\$)" } (
    'resend_verify_requests_total{outcome="sent"} 1',
    'resend_verify_requests_total{outcome="partial"} 1',
    'resend_verify_requests_total{outcome="rejected"} 1',
    'resend_verify_requests_total{outcome="cooldown"} 1',
    'resend_verify_requests_total{outcome="throttled"} 1',
    'resend_verify_replies_total{code="OK",status="200"} 2',
    'resend_verify_replies_total{code="InvalidEmail",status="400"} 1',
    'resend_verify_replies_total{code="TooManyRequests",status="429"} 1',
    'resend_verify_replies_total{code="Throttled",status="429"} 1',
    'resend_verify_upstream_errors_total{code="Throttling"} 1',
    'resend_verify_sends_total{result="success"} 2',
    'resend_verify_sends_total{result="failed"} 1',
    'resend_verify_cooldown_hits_total 1',
    'resend_verify_upstream_duration_seconds_bucket{le="+Inf"} 3',
    'resend_verify_upstream_duration_seconds_count 3',
))]
--- upstream_requests: 3



=== TEST 2: transport errors are counted too
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun { internal; proxy_pass http://unix:$TEST_NGINX_SERVROOT/no-such.sock:/; }
    location = /metrics { resend_verify_status; }
--- request eval
["POST /resend\nEmail=ok1%40example.com", "GET /metrics"]
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code eval
[502, 200]
--- response_body_like eval
["", qr/^resend_verify_upstream_errors_total\{code="unreachable"\} 1$/m]



=== TEST 3: the status location answers GET only
--- config
    location = /metrics { resend_verify_status; }
--- request
POST /metrics
x=1
--- error_code: 405



=== TEST 4: counters of several workers add up
--- main_config
    worker_processes 2;
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun { internal; return 200 '{"RequestId":"R","SuccessList":[{"Email":"a@b.co","Code":"Success"}]}'; }
    location = /metrics { resend_verify_status; }
--- request eval
[(map { "POST /resend\nEmail=u$_%40example.com" } 1 .. 20), "GET /metrics"]
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code eval
[(200) x 21]
--- response_body_like eval
[("") x 20, qr/^resend_verify_requests_total\{outcome="sent"\} 20$/m]
