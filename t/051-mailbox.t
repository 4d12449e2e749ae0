# One mailbox, one address: de-duplication, the cooldown and the budget
# use one key (rv_email_key(): ASCII case folded, the domain as its IDNA
# A-label), and the Domain API gets the first spelling as it was typed.
use RVTest;

plan tests => planned_tests();

run_tests();

__DATA__

=== TEST 1: two spellings of one mailbox in one request: one address sent, the budget charged once
--- http_config
    resend_verify_limit_zone zone=rv:1m cooldown=60s budget=2/1h;
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_max_emails 2;
        resend_verify_limit zone=rv;
        resend_verify_detail on;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request eval
["POST /resend\nEmail=Alice%40example.com%2Calice%40EXAMPLE.com",
 "POST /resend\nEmail=bob%40example.com",
 "POST /resend\nEmail=carol%40example.com"]
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code eval
[200, 200, 503]
--- response_json eval
[undef, undef, '{"ok": false, "error": {"code": "SendLimitReached"}}']
--- upstream_requests: 2
--- custom_check eval
sub {
    my ($last, $recs) = @_;
    die "first call's Email: $recs->[0]{params}{Email}\n"
        unless $recs->[0]{params}{Email} eq 'Alice@example.com';
    1
}
--- no_error_log
[warn]



=== TEST 2: a U-label and its A-label are one domain, and share the cooldown
--- http_config
    resend_verify_limit_zone zone=rv:1m cooldown=60s;
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_limit zone=rv;
        resend_verify_detail on;
        add_header X-Outcome $resend_verify_outcome always;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request eval
["POST /resend\nEmail=anna%40b%C3%BCcher.example",
 "POST /resend\nEmail=anna%40xn--bcher-kva.example",
 "POST /resend\nEmail=ANNA%40B%C3%9CCHER.EXAMPLE",
 "POST /resend\nEmail=anna%40XN--BCHER-KVA.example"]
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code eval
[200, 429, 429, 429]
--- response_headers eval
["X-Outcome: sent", "X-Outcome: cooldown", "X-Outcome: cooldown",
 "X-Outcome: cooldown"]
--- upstream_requests: 1



=== TEST 3: a domain that is no valid IDN is an invalid address, and costs nothing
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
Email=snow%40%E2%98%83.example
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 400
--- response_json
{"ok": false, "error": {"code": "InvalidEmail"}}
--- upstream_requests: 0
