# Origin and CSRF checks, CORS, preflight, and the 303 of a no-JS form.
use RVTest;

run_tests();

__DATA__

=== TEST 1: no Origin and no Referer is refused, with no upstream call
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
Email=alice%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
!Origin
--- error_code: 403
--- response_headers
Vary: Origin
!Access-Control-Allow-Origin
--- response_json
{"ok": false, "error": {"code": "ForbiddenOrigin"}}
--- upstream_requests: 0



=== TEST 2: a same-origin Referer stands in for a missing Origin
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
Email=alice%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
!Origin
Referer: http://localhost/signup?x=1
--- error_code: 200
--- response_headers
!Access-Control-Allow-Origin
--- upstream_requests: 1



=== TEST 3: another site's Origin is refused by default (same origin only)
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
Email=alice%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
Origin: https://evil.test
--- error_code: 403
--- response_headers
!Access-Control-Allow-Origin
--- upstream_requests: 0
--- error_log
resend_verify: refused a request from origin "https://evil.test"



=== TEST 4: a cross-site Referer without Origin is refused
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
Email=alice%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
!Origin
Referer: http://localhost.evil.test/
--- error_code: 403
--- upstream_requests: 0



=== TEST 5: Sec-Fetch-Site: cross-site is refused even with a same-origin Origin
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
Email=alice%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
Sec-Fetch-Site: cross-site
--- error_code: 403
--- upstream_requests: 0



=== TEST 6: Origin: null is refused
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
Email=alice%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
Origin: null
--- error_code: 403
--- upstream_requests: 0



=== TEST 7: a listed origin gets CORS headers, cross-site included
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_allow_origin https://example.com https://www.example.com;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
Email=alice%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
Origin: https://www.example.com
Sec-Fetch-Site: cross-site
--- error_code: 200
--- response_headers
Access-Control-Allow-Origin: https://www.example.com
Vary: Origin
--- upstream_requests: 1



=== TEST 8: look-alike origins are not listed origins
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_allow_origin https://example.com;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request eval
[map { "POST /resend\nEmail=alice%40example.com" } 1 .. 5]
--- more_headers eval
[map { "Content-Type: application/x-www-form-urlencoded\nOrigin: $_" }
 'https://example.com.evil.test', 'https://evilexample.com', 'http://example.com',
 'https://example.com:8443', 'https://example.co']
--- error_code eval
[403, 403, 403, 403, 403]
--- upstream_requests: 0



=== TEST 9: with a list, the request's own origin is not enough
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_allow_origin https://example.com;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
Email=alice%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 403
--- upstream_requests: 0



=== TEST 10: errors carry CORS headers too, for a listed origin
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_allow_origin https://example.com;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
Email=nope
--- more_headers
Content-Type: application/x-www-form-urlencoded
Origin: https://example.com
--- error_code: 400
--- response_headers
Access-Control-Allow-Origin: https://example.com
Vary: Origin
--- response_json
{"ok": false, "error": {"code": "InvalidEmail"}}



=== TEST 11: preflight of a listed origin
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_allow_origin https://example.com;
    }
--- request
OPTIONS /resend
--- more_headers
Origin: https://example.com
Access-Control-Request-Method: POST
Access-Control-Request-Headers: content-type
Sec-Fetch-Site: cross-site
--- error_code: 204
--- response_headers
Access-Control-Allow-Origin: https://example.com
Access-Control-Allow-Methods: POST
Access-Control-Allow-Headers: Content-Type, Accept, Accept-Language
Access-Control-Max-Age: 600
Vary: Origin
--- response_body chomp



=== TEST 12: preflight of another origin is refused
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_allow_origin https://example.com;
    }
--- request
OPTIONS /resend
--- more_headers
Origin: https://evil.test
Access-Control-Request-Method: POST
--- error_code: 403
--- response_headers
!Access-Control-Allow-Origin
!Access-Control-Allow-Methods
--- response_json
{"ok": false, "error": {"code": "ForbiddenOrigin"}}



=== TEST 13: a plain HTML form is sent to the success page with 303
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_redirect /signup/sent.html /signup/failed.html;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
Email=alice%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8
--- error_code: 303
--- response_headers
Location: http://localhost:$TEST_NGINX_SERVER_PORT/signup/sent.html?result=sent
--- upstream_requests: 1



=== TEST 14: an invalid address goes to the failure page
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_redirect /sent /failed?from=signup;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
Email=not-an-address
--- more_headers
Content-Type: application/x-www-form-urlencoded
Accept: text/html
--- error_code: 303
--- response_headers
Location: http://localhost:$TEST_NGINX_SERVER_PORT/failed?from=signup&result=invalid
--- upstream_requests: 0



=== TEST 15: upstream trouble is "later" or "error" for the failure page
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_redirect /sent /failed;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request eval
["POST /resend\nEmail=throttle%40example.com", "POST /resend\nEmail=internalerror%40example.com"]
--- more_headers
Content-Type: application/x-www-form-urlencoded
Accept: text/html
--- error_code eval
[303, 303]
--- response_headers eval
["Location: http://localhost:$ENV{TEST_NGINX_PORT}/failed?result=later",
 "Location: http://localhost:$ENV{TEST_NGINX_PORT}/failed?result=error"]



=== TEST 16: a fetch() that asks for JSON gets JSON, not a redirect
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_redirect /sent /failed;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
Email=alice%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
Accept: application/json, text/html
--- error_code: 200
--- response_headers
!Location
--- response_json
{"ok": true}



=== TEST 17: a bad origin in the configuration
--- config
    location = /resend {
        resend_verify /a;
        resend_verify_access_key_id a;
        resend_verify_access_key_secret b;
        resend_verify_allow_origin https://example.com/;
    }
--- must_die
--- error_log
invalid origin "https://example.com/" in "resend_verify_allow_origin" directive



=== TEST 18: a wildcard is not an origin
--- config
    location = /resend {
        resend_verify /a;
        resend_verify_access_key_id a;
        resend_verify_access_key_secret b;
        resend_verify_allow_origin https://*.example.com;
    }
--- must_die
--- error_log
invalid origin "https://*.example.com"



=== TEST 19: a bad redirect page
--- config
    location = /resend {
        resend_verify /a;
        resend_verify_access_key_id a;
        resend_verify_access_key_secret b;
        resend_verify_redirect sent.html;
    }
--- must_die
--- error_log
invalid page "sent.html" in "resend_verify_redirect" directive



=== TEST 20: Origin: null with Sec-Fetch-Site: same-origin is the own origin (a no-referrer form)
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_redirect /sent /failed;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
Email=alice%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8
Origin: null
Sec-Fetch-Site: same-origin
--- error_code: 303
--- response_headers
Location: http://localhost:$TEST_NGINX_SERVER_PORT/sent?result=sent
!Access-Control-Allow-Origin
--- upstream_requests: 1



=== TEST 21: Origin: null from anywhere else is refused
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request eval
["POST /resend\nEmail=alice%40example.com", "POST /resend\nEmail=alice%40example.com",
 "POST /resend\nEmail=alice%40example.com", "POST /resend\nEmail=alice%40example.com"]
--- more_headers eval
["Content-Type: application/x-www-form-urlencoded\nOrigin: null\nSec-Fetch-Site: cross-site",
 "Content-Type: application/x-www-form-urlencoded\nOrigin: null\nSec-Fetch-Site: same-site",
 "Content-Type: application/x-www-form-urlencoded\nOrigin: null\nSec-Fetch-Site: none",
 "Content-Type: application/x-www-form-urlencoded\nOrigin: null\nReferer: http://localhost/signup"]
--- error_code eval
[403, 403, 403, 403]
--- response_json
{"ok": false, "error": {"code": "ForbiddenOrigin"}}
--- upstream_requests: 0
--- error_log
resend_verify: refused a request from origin "null", Sec-Fetch-Site



=== TEST 22: neither Origin nor Referer, but Sec-Fetch-Site: same-origin, is the own origin
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
Email=alice%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
!Origin
Sec-Fetch-Site: same-origin
--- error_code: 200
--- response_headers
!Access-Control-Allow-Origin
--- upstream_requests: 1



=== TEST 23: with a list, Origin: null same-origin passes only if the own origin is listed
--- config
    location = /listed {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_allow_origin https://example.com http://localhost;
    }
    location = /other {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_allow_origin https://example.com;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request eval
["POST /listed\nEmail=alice%40example.com", "POST /other\nEmail=bob%40example.com"]
--- more_headers
Content-Type: application/x-www-form-urlencoded
Origin: null
Sec-Fetch-Site: same-origin
--- error_code eval
[200, 403]
--- response_headers
!Access-Control-Allow-Origin
--- upstream_requests: 1



=== TEST 24: a listed origin may read Retry-After (Access-Control-Expose-Headers)
--- http_config
    resend_verify_limit_zone zone=expose:1m cooldown=1h;
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_allow_origin https://app.example.com;
        resend_verify_limit zone=expose;
        resend_verify_detail on;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request eval
["POST /resend\nEmail=alice%40example.com", "POST /resend\nEmail=alice%40example.com"]
--- more_headers
Content-Type: application/x-www-form-urlencoded
Origin: https://app.example.com
Sec-Fetch-Site: cross-site
--- error_code eval
[200, 429]
--- response_headers
Access-Control-Allow-Origin: https://app.example.com
Access-Control-Expose-Headers: Retry-After
--- custom_check eval
sub { my ($last) = @_; ($last->{headers}{'retry-after'} // '') =~ /^\d+$/ }
--- upstream_requests: 1



=== TEST 25: the own origin is echoed, and may read Retry-After too
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
Email=alice%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 200
--- response_headers
Access-Control-Allow-Origin: http://localhost
Access-Control-Expose-Headers: Retry-After



=== TEST 26: absolute-form HTTP/1.0 without Host: the own origin is the request line's
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request eval
["POST http://localhost:8080/resend HTTP/1.0\nEmail=alice%40example.com",
 "POST http://localhost:8080/resend HTTP/1.0\nEmail=bob%40example.com",
 "POST http://localhost/resend HTTP/1.0\nEmail=carol%40example.com"]
--- more_headers eval
["Content-Type: application/x-www-form-urlencoded\n!Host\nOrigin: http://localhost:8080",
 "Content-Type: application/x-www-form-urlencoded\n!Host\nOrigin: http://localhost",
 "Content-Type: application/x-www-form-urlencoded\n!Host\nOrigin: http://localhost"]
--- error_code eval
[200, 403, 200]
--- upstream_requests: 2



=== TEST 27: absolute-form HTTP/1.1: nginx resolves the server by the request line, not Host
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request eval
["POST http://a.example:81/resend HTTP/1.1\nEmail=alice%40example.com",
 "POST http://a.example:81/resend HTTP/1.1\nEmail=bob%40example.com"]
--- more_headers eval
["Content-Type: application/x-www-form-urlencoded\nHost: b.example\nOrigin: http://a.example:81",
 "Content-Type: application/x-www-form-urlencoded\nHost: b.example\nOrigin: http://b.example"]
--- error_code eval
[200, 403]
--- upstream_requests: 1
