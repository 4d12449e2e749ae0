# The core job end to end: a real nginx with the module, the Domain API
# double checking every signature, and what the browser gets back.
use RVTest;

run_tests();

__DATA__

=== TEST 1: one address, uniform reply (detail off by default)
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
Content-Type: application/json; charset=utf-8
Cache-Control: no-store
X-Content-Type-Options: nosniff
--- response_json
{"ok": true, "message": "If the address is waiting for verification, a new email is on its way."}
--- response_body_like: ^\{"ok":true,"requestId":"[0-9A-F-]{36}","message":"[^"]+"\}$
--- upstream_requests: 1
--- upstream_json
{"Action": "ResendEmailVerification", "Email": "alice@example.com", "Lang": "en",
 "Format": "JSON", "Version": "2018-01-29", "SignatureMethod": "HMAC-SHA1",
 "SignatureVersion": "1.0", "AccessKeyId": "LTAI5tTestOnlyKeyId0001", "UserClientIp": "127.0.0.1"}
--- upstream_like
^POST /$
^content-type: application/x-www-form-urlencoded$
^content-length: \d+$
&Signature=[A-Za-z0-9%]+$
--- upstream_unlike
^POST /\?
Signature=.*Signature=
^cookie:
--- no_error_log
[error]
[warn]



=== TEST 2: detail on: per-address lists, the upstream's outcome passes through
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_detail on;
        resend_verify_max_emails 3;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
Email=ok%40example.com%2Cquota%40example.com&Lang=zh
--- more_headers
Content-Type: application/x-www-form-urlencoded; charset=UTF-8
--- error_code: 200
--- response_json
{"ok": true, "sent": ["ok@example.com"],
 "failed": [{"email": "quota@example.com", "code": "SendTokenQuotaExceeded",
   "message": "The maximum number of attempts allowed to send the email verification link is exceeded."}]}
--- upstream_json
{"Email": "ok@example.com,quota@example.com", "Lang": "zh"}
--- error_log
resend_verify: partial for o***@example.com,+1, 1 sent, 1 failed, SendTokenQuotaExceeded
--- no_error_log
[error]
quota@example.com



=== TEST 3: "+" in the address reaches the upstream as %2B, signed right
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_detail on;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
email=a%2Btag%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- response_json
{"ok": true, "sent": ["a+tag@example.com"], "failed": []}
--- upstream_like
Email=a%2Btag%40example.com&
--- upstream_json
{"Email": "a+tag@example.com"}



=== TEST 4: a raw "+" in the browser's form is a space: invalid, no upstream call
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
Email=a+tag%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 400
--- response_json
{"ok": false, "error": {"code": "InvalidEmail", "message": "Enter a valid email address."}}
--- upstream_requests: 0
--- no_error_log
[error]



=== TEST 5: invalid address in Chinese
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
Email=not-an-address&Lang=zh
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 400
--- response_json
{"ok": false, "error": {"code": "InvalidEmail", "message": "请输入有效的邮箱地址。"}}
--- upstream_requests: 0



=== TEST 6: configured default language
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_lang zh;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
Email=x%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- response_json
{"ok": true, "message": "如果该邮箱正在等待验证，新的验证邮件已发出。"}
--- upstream_json
{"Lang": "zh"}



=== TEST 7: missing address
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
Lang=en&name=alice
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 400
--- response_json
{"ok": false, "error": {"code": "MissingEmail"}}
--- upstream_requests: 0



=== TEST 8: empty body
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 400
--- response_json
{"ok": false, "error": {"code": "MissingEmail"}}
--- upstream_requests: 0



=== TEST 9: more addresses than resend_verify_max_emails (default 1)
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
Email=a%40example.com&Email=b%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 400
--- response_json
{"ok": false, "error": {"code": "TooManyEmails"}}
--- upstream_requests: 0



=== TEST 10: the same address twice counts once
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
Email=a%40example.com&email=a%40EXAMPLE.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 200
--- upstream_json
{"Email": "a@example.com"}



=== TEST 11: malformed percent-encoding
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
Email=a%4x%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 400
--- response_json
{"ok": false, "error": {"code": "InvalidBody"}}
--- upstream_requests: 0



=== TEST 12: invalid UTF-8
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
Email=%C3%28%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 400
--- response_json
{"ok": false, "error": {"code": "InvalidEncoding"}}
--- upstream_requests: 0



=== TEST 13: GET is 405 with Allow
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
GET /resend?Email=a%40example.com
--- error_code: 405
--- response_headers
Allow: POST, OPTIONS
Content-Type: application/json; charset=utf-8
--- response_json
{"ok": false, "error": {"code": "MethodNotAllowed"}}
--- upstream_requests: 0



=== TEST 14: another content type is 415
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
<Email>a@example.com</Email>
--- more_headers
Content-Type: text/xml
--- error_code: 415
--- response_json
{"ok": false, "error": {"code": "UnsupportedMediaType"}}
--- upstream_requests: 0



=== TEST 15: a body over the module's cap is 413 (Content-Length)
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_max_body_size 64;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request eval
"POST /resend\n" . "Email=a%40example.com&pad=" . ("x" x 100)
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 413
--- response_json
{"ok": false, "error": {"code": "BodyTooLarge"}}
--- upstream_requests: 0



=== TEST 16: a chunked body over the cap is 413 too
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_max_body_size 64;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- raw_request eval
"POST /resend HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
. "Origin: http://localhost\r\n"
. "Content-Type: application/x-www-form-urlencoded\r\n"
. "Transfer-Encoding: chunked\r\n\r\n"
. "40\r\n" . ("x" x 64) . "\r\n" . "10\r\n" . ("y" x 16) . "\r\n0\r\n\r\n"
--- error_code: 413
--- response_json
{"ok": false, "error": {"code": "BodyTooLarge"}}
--- upstream_requests: 0



=== TEST 17: a chunked body within the cap works
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- raw_request eval
"POST /resend HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
. "Origin: http://localhost\r\n"
. "Content-Type: application/x-www-form-urlencoded\r\n"
. "Transfer-Encoding: chunked\r\n\r\n"
. "6\r\nEmail=\r\n" . "c\r\nbob%40exampl\r\n" . "6\r\ne.com&\r\n" . "0\r\n\r\n"
--- error_code: 200
--- upstream_json
{"Email": "bob@example.com"}



=== TEST 18: browser headers and cookies do not reach the upstream
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
Cookie: session=s3cr3t
Authorization: Bearer t0ken
X-Forwarded-For: 10.9.8.7
Referer: http://localhost/signup
User-Agent: test-browser/1.0
--- error_code: 200
--- upstream_unlike
s3cr3t
t0ken
10\.9\.8\.7
^origin:
^referer:
test-browser
--- upstream_like
^host: 127\.0\.0\.1:\d+$



=== TEST 19: fields named like API parameters are ignored, never forwarded
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
Action=DeleteEmailVerification&AccessKeyId=LTAIevil&UserClientIp=6.6.6.6&Version=2017-12-18&Signature=x&SignatureNonce=1&Timestamp=2000-01-01T00%3A00%3A00Z&Format=XML&Email=alice%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 200
--- upstream_json
{"Action": "ResendEmailVerification", "AccessKeyId": "LTAI5tTestOnlyKeyId0001",
 "UserClientIp": "127.0.0.1", "Version": "2018-01-29", "Format": "JSON"}
--- upstream_unlike
LTAIevil
6\.6\.6\.6
DeleteEmailVerification



=== TEST 20: resend_verify_client_ip and resend_verify_api_version
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_client_ip $http_x_real_ip;
        resend_verify_api_version 2017-12-18;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- double_args: --version 2018-01-29 --version 2017-12-18
--- request
POST /resend
Email=alice%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
X-Real-IP: 2001:db8::1
--- error_code: 200
--- upstream_json
{"UserClientIp": "2001:db8::1", "Version": "2017-12-18"}



=== TEST 21: an empty client IP is not sent
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_client_ip $http_x_real_ip;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
Email=alice%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 200
--- upstream_unlike
UserClientIp



=== TEST 22: STS security token is signed and sent
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id STS.TestOnlyKey01;
        resend_verify_access_key_secret StsOnlySecret0123;
        resend_verify_security_token "CAIS+test/token==";
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- double_args: --key STS.TestOnlyKey01:StsOnlySecret0123:CAIS+test/token==
--- request
POST /resend
Email=alice%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 200
--- upstream_json
{"SecurityToken": "CAIS+test/token==", "AccessKeyId": "STS.TestOnlyKey01"}
--- upstream_like
SecurityToken=CAIS%2Btest%2Ftoken%3D%3D



=== TEST 23: a wrong secret: the gateway refuses, the browser gets 502, the log gets the code
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret WrongSecretWrongSecret;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
Email=alice%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 502
--- response_json
{"ok": false, "error": {"code": "UpstreamError", "message": "The email could not be sent. Try again later."}}
--- response_body_unlike: SignatureDoesNotMatch
--- error_log eval
qr/resend_verify: the upstream refused the call: status 400, Code: SignatureDoesNotMatch, RequestId: [0-9A-F-]{36}, HostId: domain\.aliyuncs\.com/
--- no_error_log
WrongSecret
server string to sign



=== TEST 24: an unknown key: 502, Code in the log
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id LTAI5tNoSuchKey;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
Email=alice%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 502
--- response_json
{"ok": false, "error": {"code": "UpstreamError"}}
--- error_log
Code: InvalidAccessKeyId.NotFound



=== TEST 25: upstream throttling is 429 with Retry-After
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
Email=throttle%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 429
--- response_headers
Retry-After: 60
--- response_json
{"ok": false, "error": {"code": "Throttled"}}
--- error_log
Code: Throttling.User



=== TEST 26: upstream ServiceUnavailable is 503 with Retry-After
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
Email=unavailable%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 503
--- response_headers
Retry-After: 60
--- response_json
{"ok": false, "error": {"code": "ServiceUnavailable"}}



=== TEST 27: upstream InternalError is 502
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
Email=internalerror%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 502
--- response_json
{"ok": false, "error": {"code": "UpstreamError"}}
--- error_log
status 500, Code: InternalError



=== TEST 28: upstream read timeout is 504
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/;
        proxy_read_timeout 300ms;
    }
--- double_args: --delay-ms 1500
--- request
POST /resend
Email=alice%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 504
--- response_json
{"ok": false, "error": {"code": "UpstreamTimeout"}}
--- error_log
upstream timed out
resend_verify: the upstream call timed out



=== TEST 29: upstream connection refused is 502
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun { internal; proxy_pass http://unix:$TEST_NGINX_SERVROOT/no-such.sock:/; }
--- request
POST /resend
Email=alice%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 502
--- response_json
{"ok": false, "error": {"code": "UpstreamError"}}
--- error_log
resend_verify: the upstream call failed (502)



=== TEST 30: a reply larger than subrequest_output_buffer_size is a clean 502
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/big;
        subrequest_output_buffer_size 64;
    }
    location = /big {
        return 200 '{"RequestId":"0EA54E99-DB48-4CE3-A099-6ED8E451B8AC","SuccessList":[{"Code":"Success","Message":"Success","Email":"alice@example.com"}]}';
    }
--- request
POST /resend
Email=alice%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 502
--- response_json
{"ok": false, "error": {"code": "UpstreamError"}}
--- error_log
resend_verify: the upstream reply is larger than subrequest_output_buffer_size 64
--- no_error_log
too big subrequest response



=== TEST 31: HTML instead of JSON is a clean 502
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/html;
    }
    location = /html {
        return 200 '<html><body>Bad gateway</body></html>';
    }
--- request
POST /resend
Email=alice%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 502
--- response_json
{"ok": false, "error": {"code": "UpstreamError"}}
--- error_log
resend_verify: the upstream answered 200 with 37 bytes that are not the expected JSON



=== TEST 32: log variables
--- http_config
    log_format rv '$resend_verify_outcome|$resend_verify_email|$resend_verify_request_id|$resend_verify_error|$resend_verify_upstream_code|$resend_verify_upstream_status|$resend_verify_upstream_time';
--- config
    access_log logs/rv.log rv;
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_detail on;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
Email=quota.me%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 200
--- custom_check eval
sub {
    my $log = do { local (@ARGV, $/) = (RVTest::servroot() . "/logs/rv.log"); <> };
    return $log =~ m{^failed\|q\*\*\*\@example\.com\|[0-9A-F-]{36}\|-\|SendTokenQuotaExceeded\|200\|\d+\.\d{3}$}m
        || (print("# rv.log: $log\n"), 0);
}



=== TEST 33: no secret, signature or full address anywhere in the debug log or the reply
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_detail off;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
Email=quota-secret-person%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 200
--- custom_check eval
sub {
    my ($resp, $records, $log) = @_;
    my ($sig) = $records->[-1]{body} =~ /&Signature=([^&]+)$/;
    my $raw = $sig; $raw =~ s/%([0-9A-F]{2})/chr hex $1/ge;
    my @bad = grep { index($log, $_) >= 0 || index($resp->{body}, $_) >= 0 }
              ($ENV{TEST_NGINX_KEY_SECRET}, $sig, $raw,
               'quota-secret-person@example.com', 'quota-secret-person%40');
    print "# found in the log or reply: @bad\n" if @bad;
    return defined $sig && length $sig > 20 && length $log > 1000 && !@bad;
}
--- error_log
resend_verify: failed for q***@example.com



=== TEST 34: detail off: success and every per-address failure look the same
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request eval
["POST /resend\nEmail=exists%40example.com",
 "POST /resend\nEmail=quota%40example.com",
 "POST /resend\nEmail=nobody%40example.com"]
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code eval
[200, 200, 200]
--- custom_check eval
sub {
    my ($last, $records, $log, $all) = @_;
    my @bodies = map { (my $b = $_->{body}) =~ s/"requestId":"[0-9A-F-]{36}"/"requestId":"-"/; $b } @$all;
    my @heads;
    for my $r (@$all) {
        my $h = $r->{headers};
        push @heads, join ',', map { "$_=$h->{$_}" } sort grep { $_ ne 'date' } keys %$h;
    }
    my $same = @bodies == 3 && $bodies[0] eq $bodies[1] && $bodies[1] eq $bodies[2]
               && $heads[0] eq $heads[1] && $heads[1] eq $heads[2];
    print "# bodies: @bodies\n" unless $same;
    return $same;
}
--- upstream_requests: 3
--- error_log
resend_verify: sent for e***@example.com
resend_verify: failed for q***@example.com, 0 sent, 1 failed, SendTokenQuotaExceeded
