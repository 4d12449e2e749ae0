# resend_verify_signature acs3-hmac-sha256 | acs3-hmac-sm3 (V3) and
# resend_verify_host: the call as the official SDK makes it (POST /, the
# parameters in a form body, Authorization and the x-acs-* headers), checked
# by the Domain API double with openapi-util; a wrong key gets the gateway's
# real error and the browser its 502; STS tokens; the Host rule.
use RVTest;

run_tests();

__DATA__

=== TEST 1: acs3-hmac-sha256: the SDK's request, accepted
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_signature acs3-hmac-sha256;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/;
        proxy_set_header Host $http_host;
    }
--- request
POST /resend
Email=alice%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 200
--- response_json
{"ok": true, "message": "If the address is waiting for verification, a new email is on its way."}
--- upstream_requests: 1
--- upstream_json
{"Email": "alice@example.com", "Lang": "en", "UserClientIp": "127.0.0.1"}
--- upstream_like
^POST /$
^host: domain\.aliyuncs\.com$
^authorization: ACS3-HMAC-SHA256 Credential=LTAI5tTestOnlyKeyId0001,SignedHeaders=content-type;host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=[0-9a-f]{64}$
^content-type: application/x-www-form-urlencoded$
^x-acs-action: ResendEmailVerification$
^x-acs-version: 2018-01-29$
^x-acs-date: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$
^x-acs-signature-nonce: [0-9a-f]{32}$
^x-acs-content-sha256: [0-9a-f]{64}$
^Email=alice%40example\.com&Lang=en&UserClientIp=127\.0\.0\.1$
--- upstream_unlike
^POST /\?
&Signature=
AccessKeyId
SignatureMethod
Timestamp
x-acs-security-token
x-acs-accesskey-id
x-acs-credentials-provider
^cookie:
--- no_error_log
[error]
[warn]



=== TEST 2: acs3-hmac-sm3: accepted
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_signature acs3-hmac-sm3;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_lang zh;
    }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/;
        proxy_set_header Host $http_host;
    }
--- request
POST /resend
Email=a%2Btag%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 200
--- upstream_json
{"Email": "a+tag@example.com", "Lang": "zh"}
--- upstream_like
^authorization: ACS3-HMAC-SM3 Credential=LTAI5tTestOnlyKeyId0001,SignedHeaders=content-type;host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=[0-9a-f]{64}$
^Email=a%2Btag%40example\.com&Lang=zh&UserClientIp=127\.0\.0\.1$
--- no_error_log
[error]
[warn]



=== TEST 3: acs3-hmac-sha256, a wrong secret: SignatureDoesNotMatch, the browser gets 502
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_signature acs3-hmac-sha256;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret WrongSecretWrongSecret;
    }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/;
        proxy_set_header Host $http_host;
    }
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
the internal location sent



=== TEST 4: acs3-hmac-sm3, a wrong secret: the same
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_signature acs3-hmac-sm3;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret WrongSecretWrongSecret;
    }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/;
        proxy_set_header Host $http_host;
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
Code: SignatureDoesNotMatch
--- no_error_log
WrongSecret



=== TEST 5: an unknown key id: InvalidAccessKeyId.NotFound, 502
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_signature acs3-hmac-sha256;
        resend_verify_access_key_id LTAI5tNobodyKnowsMe;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/;
        proxy_set_header Host $http_host;
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
status 404, Code: InvalidAccessKeyId.NotFound



=== TEST 6: STS inline: x-acs-accesskey-id and x-acs-security-token, both signed
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_signature acs3-hmac-sha256;
        resend_verify_access_key_id STS.TestOnlyKey01;
        resend_verify_access_key_secret StsOnlySecret0123;
        resend_verify_security_token "CAIS+test/token==";
    }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/;
        proxy_set_header Host $http_host;
    }
--- double_args: --key STS.TestOnlyKey01:StsOnlySecret0123:CAIS+test/token==
--- request
POST /resend
Email=alice%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 200
--- upstream_like
^authorization: ACS3-HMAC-SHA256 Credential=STS\.TestOnlyKey01,SignedHeaders=content-type;host;x-acs-accesskey-id;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-security-token;x-acs-signature-nonce;x-acs-version,Signature=[0-9a-f]{64}$
^x-acs-accesskey-id: STS\.TestOnlyKey01$
^x-acs-security-token: CAIS\+test/token==$
--- upstream_unlike
SecurityToken=
--- no_error_log
[error]



=== TEST 7: STS, another token: InvalidSecurityToken.MismatchWithAccessKey, 502
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_signature acs3-hmac-sm3;
        resend_verify_access_key_id STS.TestOnlyKey01;
        resend_verify_access_key_secret StsOnlySecret0123;
        resend_verify_security_token "CAIS+another/token==";
    }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/;
        proxy_set_header Host $http_host;
    }
--- double_args: --key STS.TestOnlyKey01:StsOnlySecret0123:CAIS+test/token==
--- request
POST /resend
Email=alice%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 502
--- error_log
Code: InvalidSecurityToken.MismatchWithAccessKey



=== TEST 8: STS, no token: MissingSecurityToken, 502
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_signature acs3-hmac-sha256;
        resend_verify_access_key_id STS.TestOnlyKey01;
        resend_verify_access_key_secret StsOnlySecret0123;
    }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/;
        proxy_set_header Host $http_host;
    }
--- double_args: --key STS.TestOnlyKey01:StsOnlySecret0123:CAIS+test/token==
--- request
POST /resend
Email=alice%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 502
--- error_log
Code: MissingSecurityToken



=== TEST 9: the credentials file (STS) at the server level, one location with SM3, one with SHA-256
--- user_files
>>> aliyun.key
access_key_id     = STS.TestOnlyKey01
access_key_secret = StsOnlySecret0123
security_token    = CAIS+test/token==
--- config
    resend_verify_credentials_file $TEST_NGINX_SERVROOT/html/aliyun.key;
    resend_verify_signature acs3-hmac-sha256;
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_signature acs3-hmac-sm3;
    }
    location = /resend256 {
        resend_verify /.aliyun;
    }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/;
        proxy_set_header Host $http_host;
    }
--- double_args: --key STS.TestOnlyKey01:StsOnlySecret0123:CAIS+test/token==
--- pipelined_requests eval
["POST /resend\nEmail=alice%40example.com", "POST /resend256\nEmail=bob%40example.com"]
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code eval
[200, 200]
--- upstream_requests: 2
--- upstream_like
^authorization: ACS3-HMAC-SM3 Credential=STS\.TestOnlyKey01,
^authorization: ACS3-HMAC-SHA256 Credential=STS\.TestOnlyKey01,
^x-acs-security-token: CAIS\+test/token==$
--- no_error_log
[error]
StsOnlySecret0123



=== TEST 10: the Host rule: a proxy that sends another Host than the one signed is named in the log
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_signature acs3-hmac-sha256;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/;
    }
--- request
POST /resend
Email=alice%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 502
--- upstream_like
^host: 127\.0\.0\.1:\d+$
--- error_log eval
[qr/resend_verify: the internal location sent "Host: 127\.0\.0\.1:$ENV{TEST_NGINX_DOUBLE_PORT}", but the V3 signature covers "Host: domain\.aliyuncs\.com": add "proxy_set_header Host \$http_host;" to it/,
 qr/Code: SignatureDoesNotMatch/]



=== TEST 11: the Host rule: resend_verify_host names what proxy_pass sends
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_signature acs3-hmac-sha256;
        resend_verify_host 127.0.0.1:$TEST_NGINX_DOUBLE_PORT;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/;
    }
--- request
POST /resend
Email=alice%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 200
--- upstream_like eval
qr/^host: 127\.0\.0\.1:$ENV{TEST_NGINX_DOUBLE_PORT}$/m
--- no_error_log
[error]



=== TEST 12: the Host rule: 2017-12-18 signs domain-intl.aliyuncs.com by default
--- config
    resend_verify_api_version 2017-12-18;
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_signature acs3-hmac-sha256;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/;
        proxy_set_header Host $http_host;
    }
--- double_args: --version 2017-12-18
--- request
POST /resend
Email=alice%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 200
--- upstream_like
^host: domain-intl\.aliyuncs\.com$
^x-acs-version: 2017-12-18$
--- no_error_log
[error]



=== TEST 13: hmac-sha1 (the default) is the V1 call, and it gives its subrequest the same Host
--- config
    resend_verify_signature acs3-hmac-sm3;
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_signature hmac-sha1;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/;
        proxy_set_header Host $http_host;
    }
--- request
POST /resend
Email=alice%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 200
--- upstream_json
{"SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0"}
--- upstream_like
^host: domain\.aliyuncs\.com$
--- upstream_unlike
^authorization:
^x-acs-
--- no_error_log
[error]



=== TEST 14: a secret made of variables (no key states): the same request
--- http_config
    map $uri $rv_secret {
        default $TEST_NGINX_KEY_SECRET;
    }
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_signature acs3-hmac-sm3;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $rv_secret;
    }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/;
        proxy_set_header Host $http_host;
    }
--- request
POST /resend
Email=alice%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 200
--- no_error_log
[error]



=== TEST 15: a token a header cannot carry is refused before any call
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_signature acs3-hmac-sha256;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_security_token "CAIS token";
    }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/;
        proxy_set_header Host $http_host;
    }
--- request
POST /resend
Email=alice%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 500
--- upstream_requests: 0
--- error_log
resend_verify: the AccessKey id or the STS token has a byte that a header cannot carry



=== TEST 16: with an STS token, the info-level log holds neither the secret nor the token
--- log_level: info
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_signature acs3-hmac-sha256;
        resend_verify_access_key_id STS.TestOnlyKey01;
        resend_verify_access_key_secret StsOnlySecret0123;
        resend_verify_security_token "CAIS+test/token==";
    }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/;
        proxy_set_header Host $http_host;
    }
--- double_args: --key STS.TestOnlyKey01:StsOnlySecret0123:CAIS+test/token==
--- request
POST /resend
Email=throttle%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 429
--- no_error_log
StsOnlySecret0123
CAIS+test/token==
Authorization



=== TEST 17: nginx -t: an unknown signature
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_signature acs3-hmac-md5;
        resend_verify_access_key_id a;
        resend_verify_access_key_secret b;
    }
--- must_die
--- error_log
invalid value "acs3-hmac-md5", it must be "hmac-sha1", "acs3-hmac-sha256" or "acs3-hmac-sm3"



=== TEST 18: nginx -t: resend_verify_signature twice
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_signature acs3-hmac-sha256;
        resend_verify_signature acs3-hmac-sm3;
        resend_verify_access_key_id a;
        resend_verify_access_key_secret b;
    }
--- must_die
--- error_log
"resend_verify_signature" directive is duplicate



=== TEST 19: nginx -t: a host with a scheme or a path
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_host https://domain.aliyuncs.com/;
        resend_verify_access_key_id a;
        resend_verify_access_key_secret b;
    }
--- must_die
--- error_log
invalid host "https://domain.aliyuncs.com/": a host name and an optional port, as in "domain.aliyuncs.com" (no scheme, no path)



=== TEST 20: nginx -t: a host with a bad port
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_host domain.aliyuncs.com:99999;
        resend_verify_access_key_id a;
        resend_verify_access_key_secret b;
    }
--- must_die
--- error_log
invalid port in host "domain.aliyuncs.com:99999"
