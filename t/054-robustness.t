# Smaller robustness points (issue #11, item 10; REVIEW §14 and finding 12):
# a 2xx JSON object that names no result is not "sent"; Vary: Accept when
# resend_verify_redirect makes the reply depend on it; a subrequest of
# another module into the location gets 404, never the static file;
# Cache-Control is nginx's own header, so "expires" does not add a second.
use RVTest;

plan tests => planned_tests();

run_tests();

__DATA__

=== TEST 1: a 2xx "{}" is not the expected JSON: 502, not sent
--- config
    location = /resend {
        resend_verify /.canned;
        resend_verify_access_key_id k;
        resend_verify_access_key_secret s;
        resend_verify_detail on;
        add_header X-Outcome $resend_verify_outcome always;
    }
    location = /.canned { internal; return 200 '{}'; }
--- request
POST /resend
Email=alice%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 502
--- response_headers
X-Outcome: upstream_error
--- response_json
{"ok": false, "error": {"code": "UpstreamError"}}
--- error_log
resend_verify: the upstream answered 200 with 2 bytes that are not the expected JSON



=== TEST 2: a 2xx object of other fields is not the expected JSON either
--- config
    location = /resend {
        resend_verify /.canned;
        resend_verify_access_key_id k;
        resend_verify_access_key_secret s;
    }
    location = /.canned { internal; return 200 '{"status":"ok","data":{"x":1}}'; }
--- request
POST /resend
Email=alice%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 502
--- error_log
not the expected JSON



=== TEST 3: a RequestId alone is still a result
--- config
    location = /resend {
        resend_verify /.canned;
        resend_verify_access_key_id k;
        resend_verify_access_key_secret s;
    }
    location = /.canned { internal; return 200 '{"RequestId":"R1"}'; }
--- request
POST /resend
Email=alice%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 200



=== TEST 4: Vary: Origin, Accept with resend_verify_redirect; Vary: Origin without
--- config
    location = /resend {
        resend_verify /.canned;
        resend_verify_access_key_id k;
        resend_verify_access_key_secret s;
        resend_verify_redirect /sent.html /failed.html;
    }
    location = /plain {
        resend_verify /.canned;
        resend_verify_access_key_id k;
        resend_verify_access_key_secret s;
    }
    location = /.canned { internal; return 200 '{"RequestId":"R1","SuccessList":[]}'; }
--- request eval
["POST /resend\nEmail=alice%40example.com",
 "POST /resend\nEmail=nope",
 "POST /plain\nEmail=alice%40example.com"]
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code eval
[200, 400, 200]
--- response_headers eval
["Vary: Origin, Accept", "Vary: Origin, Accept", "Vary: Origin"]



=== TEST 5: an SSI include of the endpoint gets 404, not the static file of the same name
--- config
    location = /page.html { ssi on; }
    location = /resend {
        resend_verify /.canned;
        resend_verify_access_key_id k;
        resend_verify_access_key_secret s;
    }
    location = /.canned { internal; return 200 '{"RequestId":"R1","SuccessList":[]}'; }
--- user_files
>>> page.html
before <!--# include virtual="/resend" --> after
>>> resend
STATIC FILE
--- request
GET /page.html
--- error_code: 200
--- response_body_like: before .*404 Not Found.* after
--- response_body_unlike: STATIC FILE



=== TEST 6: "expires" sets the module's Cache-Control instead of adding a second one
--- config
    location = /resend {
        resend_verify /.canned;
        resend_verify_access_key_id k;
        resend_verify_access_key_secret s;
        expires 1h;
        add_header X-CC $sent_http_cache_control always;
    }
    location = /.canned { internal; return 200 '{"RequestId":"R1","SuccessList":[]}'; }
--- request
POST /resend
Email=alice%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 200
--- response_headers
Cache-Control: max-age=3600
X-CC: max-age=3600



=== TEST 7: without "expires", one Cache-Control: no-store, seen by $sent_http_cache_control
--- config
    location = /resend {
        resend_verify /.canned;
        resend_verify_access_key_id k;
        resend_verify_access_key_secret s;
        add_header X-CC $sent_http_cache_control always;
    }
    location = /.canned { internal; return 200 '{"RequestId":"R1","SuccessList":[]}'; }
--- request
POST /resend
Email=alice%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 200
--- response_headers
Cache-Control: no-store
X-CC: no-store
