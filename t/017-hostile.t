# Parameter smuggling: only the addresses and the language come from the
# client; the action, the key, the client IP, the signature parameters
# never do, whatever the field names, encodings or body format.
use RVTest;

run_tests();

__DATA__

=== TEST 1: smuggled API parameters in the form, plain and percent-encoded names
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend?Action=DeleteEmailVerification&AccessKeyId=LTAIevil
%41ction=DeleteEmailVerification&Access%4BeyId=LTAIevil&UserClientIp=6.6.6.6&SecurityToken=smuggled&Signature=smuggled&Email=alice%40example.com&Version=2017-12-18&Format=XML&RegionId=smuggled
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 200
--- upstream_requests: 1
--- upstream_json
{"Action": "ResendEmailVerification", "AccessKeyId": "LTAI5tTestOnlyKeyId0001", "UserClientIp": "127.0.0.1", "Version": "2018-01-29", "Format": "JSON", "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0", "Email": "alice@example.com"}
--- upstream_like
^POST /$
--- upstream_unlike
LTAIevil
DeleteEmailVerification
6\.6\.6\.6
smuggled



=== TEST 2: smuggled parameters as multipart parts
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request eval
"POST /resend\n" . join("", map { "--B0undary\r\nContent-Disposition: form-data; name=\"$_->[0]\"\r\n\r\n$_->[1]\r\n" } (["Action","DeleteEmailVerification"],["AccessKeyId","LTAIevil"],["UserClientIp","6.6.6.6"],["SecurityToken","smuggled"],["Email","alice\@example.com"])) . "--B0undary--\r\n"
--- more_headers
Content-Type: multipart/form-data; boundary=B0undary
--- error_code: 200
--- upstream_requests: 1
--- upstream_json
{"Action": "ResendEmailVerification", "AccessKeyId": "LTAI5tTestOnlyKeyId0001", "UserClientIp": "127.0.0.1", "Version": "2018-01-29", "Format": "JSON", "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0", "Email": "alice@example.com"}
--- upstream_like
^POST /$
--- upstream_unlike
LTAIevil
DeleteEmailVerification
6\.6\.6\.6
smuggled



=== TEST 3: smuggled parameters as JSON keys
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
{"Action": "DeleteEmailVerification", "AccessKeyId": "LTAIevil", "UserClientIp": "6.6.6.6", "SecurityToken": "smuggled", "Signature": "smuggled", "email": "alice@example.com", "Timestamp": "2000-01-01T00:00:00Z"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- upstream_requests: 1
--- upstream_json
{"Action": "ResendEmailVerification", "AccessKeyId": "LTAI5tTestOnlyKeyId0001", "UserClientIp": "127.0.0.1", "Version": "2018-01-29", "Format": "JSON", "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0", "Email": "alice@example.com"}
--- upstream_like
^POST /$
--- upstream_unlike
LTAIevil
DeleteEmailVerification
6\.6\.6\.6
smuggled



=== TEST 4: a parameter hidden in the address is an invalid address
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
Email=alice%40example.com%26Action%3DDeleteEmailVerification
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 400
--- upstream_requests: 0



=== TEST 5: a parameter hidden after a comma is an invalid address
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
Email=alice%40example.com%2CAction%3DDeleteEmailVerification
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 400
--- upstream_requests: 0



=== TEST 6: a parameter hidden in the language is an invalid language
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
Email=alice%40example.com&Lang=en%26AccessKeyId%3DLTAIevil
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 400
--- upstream_requests: 0



=== TEST 7: a CRLF in the address
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
Email=alice%40example.com%0D%0AX-Injected%3A+1
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 400
--- upstream_requests: 0



=== TEST 8: forwarding headers do not change UserClientIp
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
X-Forwarded-For: 6.6.6.6
X-Real-IP: 6.6.6.6
Forwarded: for=6.6.6.6
--- error_code: 200
--- upstream_requests: 1
--- upstream_json
{"Action": "ResendEmailVerification", "AccessKeyId": "LTAI5tTestOnlyKeyId0001", "UserClientIp": "127.0.0.1", "Version": "2018-01-29", "Format": "JSON", "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0", "Email": "alice@example.com"}
--- upstream_like
^POST /$
--- upstream_unlike
LTAIevil
DeleteEmailVerification
6\.6\.6\.6
smuggled


