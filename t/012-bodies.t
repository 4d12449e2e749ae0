# Every body a browser can send: urlencoded (t/010), multipart/form-data
# (fetch with FormData) and JSON; every malformed variant is a clean 400
# or 415 with no upstream call.
use RVTest;

run_tests();

__DATA__

=== TEST 1: multipart as fetch(FormData) sends it
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_max_emails 2;
        resend_verify_detail on;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request eval
"POST /resend\n" . "------WebKitFormBoundary7MA4YWxkTrZu0gW\r\nContent-Disposition: form-data; name=\"Email\"\r\n\r\nalice\@example.com\r\n------WebKitFormBoundary7MA4YWxkTrZu0gW\r\nContent-Disposition: form-data; name=\"Lang\"\r\n\r\nzh\r\n------WebKitFormBoundary7MA4YWxkTrZu0gW--\r\n"
--- more_headers
Content-Type: multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW
--- error_code: 200
--- response_json
{"ok": true}
--- upstream_requests: 1
--- upstream_json
{"Email": "alice@example.com", "Lang": "zh"}



=== TEST 2: multipart, repeated Email fields, a file part ignored
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_max_emails 2;
        resend_verify_detail on;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request eval
"POST /resend\n" . "--XyZzy0123\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\na+1\@example.com\r\n--XyZzy0123\r\nContent-Disposition: form-data; name=\"avatar\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\x00\x01\r\n--XyZzy0123\r\nContent-Disposition: form-data; name=\"Email\"\r\n\r\nb\@example.com\r\n--XyZzy0123--\r\n"
--- more_headers
Content-Type: multipart/form-data; boundary="XyZzy0123"
--- error_code: 200
--- response_json
{"ok": true}
--- upstream_requests: 1
--- upstream_json
{"Email": "a+1@example.com,b@example.com"}



=== TEST 3: multipart without a boundary
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_max_emails 2;
        resend_verify_detail on;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
x
--- more_headers
Content-Type: multipart/form-data
--- error_code: 400
--- response_json
{"ok": false, "error": {"code": "InvalidBody"}}
--- upstream_requests: 0



=== TEST 4: multipart, unterminated
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_max_emails 2;
        resend_verify_detail on;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request eval
"POST /resend\n" . "--XyZzy0123\r\nContent-Disposition: form-data; name=\"Email\"\r\n\r\nalice\@example.com\r\n"
--- more_headers
Content-Type: multipart/form-data; boundary=XyZzy0123
--- error_code: 400
--- response_json
{"ok": false, "error": {"code": "InvalidBody"}}
--- upstream_requests: 0



=== TEST 5: multipart, a part without Content-Disposition
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_max_emails 2;
        resend_verify_detail on;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request eval
"POST /resend\n" . "--XyZzy0123\r\nContent-Type: text/plain\r\n\r\nalice\@example.com\r\n--XyZzy0123--\r\n"
--- more_headers
Content-Type: multipart/form-data; boundary=XyZzy0123
--- error_code: 400
--- response_json
{"ok": false, "error": {"code": "InvalidBody"}}
--- upstream_requests: 0



=== TEST 6: multipart, a file named Email
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_max_emails 2;
        resend_verify_detail on;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request eval
"POST /resend\n" . "--XyZzy0123\r\nContent-Disposition: form-data; name=\"Email\"; filename=\"x.txt\"\r\n\r\nalice\@example.com\r\n--XyZzy0123--\r\n"
--- more_headers
Content-Type: multipart/form-data; boundary=XyZzy0123
--- error_code: 400
--- response_json
{"ok": false, "error": {"code": "InvalidBody"}}
--- upstream_requests: 0



=== TEST 7: multipart, base64 transfer encoding
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_max_emails 2;
        resend_verify_detail on;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request eval
"POST /resend\n" . "--XyZzy0123\r\nContent-Disposition: form-data; name=\"Email\"\r\nContent-Transfer-Encoding: base64\r\n\r\nYWxpY2VAZXhhbXBsZS5jb20=\r\n--XyZzy0123--\r\n"
--- more_headers
Content-Type: multipart/form-data; boundary=XyZzy0123
--- error_code: 400
--- response_json
{"ok": false, "error": {"code": "InvalidBody"}}
--- upstream_requests: 0



=== TEST 8: multipart, bare LF line endings
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_max_emails 2;
        resend_verify_detail on;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request eval
"POST /resend\n" . "--XyZzy0123\nContent-Disposition: form-data; name=\"Email\"\n\nalice\@example.com\n--XyZzy0123--\n"
--- more_headers
Content-Type: multipart/form-data; boundary=XyZzy0123
--- error_code: 400
--- response_json
{"ok": false, "error": {"code": "InvalidBody"}}
--- upstream_requests: 0



=== TEST 9: multipart, invalid UTF-8 in the address
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_max_emails 2;
        resend_verify_detail on;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request eval
"POST /resend\n" . "--XyZzy0123\r\nContent-Disposition: form-data; name=\"Email\"\r\n\r\nal\xc3ice\@example.com\r\n--XyZzy0123--\r\n"
--- more_headers
Content-Type: multipart/form-data; boundary=XyZzy0123
--- error_code: 400
--- response_json
{"ok": false, "error": {"code": "InvalidEncoding"}}
--- upstream_requests: 0



=== TEST 10: multipart, an invalid address
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_max_emails 2;
        resend_verify_detail on;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request eval
"POST /resend\n" . "--XyZzy0123\r\nContent-Disposition: form-data; name=\"Email\"\r\n\r\nalice\@\@example.com\r\n--XyZzy0123--\r\n"
--- more_headers
Content-Type: multipart/form-data; boundary=XyZzy0123
--- error_code: 400
--- response_json
{"ok": false, "error": {"code": "InvalidEmail"}}
--- upstream_requests: 0



=== TEST 11: JSON with one address
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_max_emails 2;
        resend_verify_detail on;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
{"email": "alice@example.com", "lang": "en"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_json
{"ok": true}
--- upstream_requests: 1
--- upstream_json
{"Email": "alice@example.com", "Lang": "en"}



=== TEST 12: JSON with a list of addresses
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_max_emails 2;
        resend_verify_detail on;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
{"emails": ["a@example.com", "b@example.com"]}
--- more_headers
Content-Type: application/json; charset=UTF-8
--- error_code: 200
--- response_json
{"ok": true}
--- upstream_requests: 1
--- upstream_json
{"Email": "a@example.com,b@example.com"}



=== TEST 13: JSON with escaped Unicode
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_max_emails 2;
        resend_verify_detail on;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
{"Email": "\u5f20\u4e09@example.cn"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_json
{"ok": true}
--- upstream_requests: 1
--- upstream_json
{"Email": "张三@example.cn"}



=== TEST 14: malformed JSON
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_max_emails 2;
        resend_verify_detail on;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
{"email": "a@example.com"
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_json
{"ok": false, "error": {"code": "InvalidBody"}}
--- upstream_requests: 0



=== TEST 15: JSON that is not an object
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_max_emails 2;
        resend_verify_detail on;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
["a@example.com"]
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_json
{"ok": false, "error": {"code": "InvalidBody"}}
--- upstream_requests: 0



=== TEST 16: JSON, a number for the address
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_max_emails 2;
        resend_verify_detail on;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
{"email": 42}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_json
{"ok": false, "error": {"code": "InvalidBody"}}
--- upstream_requests: 0



=== TEST 17: JSON, null for the address
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_max_emails 2;
        resend_verify_detail on;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
{"email": null}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_json
{"ok": false, "error": {"code": "InvalidBody"}}
--- upstream_requests: 0



=== TEST 18: JSON, nested arrays
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_max_emails 2;
        resend_verify_detail on;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
{"emails": [["a@example.com"]]}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_json
{"ok": false, "error": {"code": "InvalidBody"}}
--- upstream_requests: 0



=== TEST 19: JSON, the same key twice
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_max_emails 2;
        resend_verify_detail on;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
{"email": "a@example.com", "email": "b@example.com"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_json
{"ok": false, "error": {"code": "DuplicateField"}}
--- upstream_requests: 0



=== TEST 20: JSON nested deeper than 16
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_max_emails 2;
        resend_verify_detail on;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
{"x":{"x":{"x":{"x":{"x":{"x":{"x":{"x":{"x":{"x":{"x":{"x":{"x":{"x":{"x":{"x":{"x":{"x":{"x":{"x":1}}}}}}}}}}}}}}}}}}}}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_json
{"ok": false, "error": {"code": "InvalidBody"}}
--- upstream_requests: 0



=== TEST 21: JSON with trailing garbage
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_max_emails 2;
        resend_verify_detail on;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
{"email": "a@example.com"} x
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_json
{"ok": false, "error": {"code": "InvalidBody"}}
--- upstream_requests: 0



=== TEST 22: JSON with invalid UTF-8
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_max_emails 2;
        resend_verify_detail on;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request eval
"POST /resend\n" . "{\"email\": \"a\xff\@example.com\"}"
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_json
{"ok": false, "error": {"code": "InvalidEncoding"}}
--- upstream_requests: 0



=== TEST 23: JSON, more addresses than allowed
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_max_emails 2;
        resend_verify_detail on;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
{"emails": ["a@example.com", "b@example.com", "c@example.com"]}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_json
{"ok": false, "error": {"code": "TooManyEmails"}}
--- upstream_requests: 0



=== TEST 24: JSON, an unknown language
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_max_emails 2;
        resend_verify_detail on;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
{"email": "a@example.com", "lang": "fr"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_json
{"ok": false, "error": {"code": "InvalidLang"}}
--- upstream_requests: 0



=== TEST 25: an empty JSON body
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_max_emails 2;
        resend_verify_detail on;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend

--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_json
{"ok": false, "error": {"code": "InvalidBody"}}
--- upstream_requests: 0



=== TEST 26: urlencoded with a Latin-1 charset
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_max_emails 2;
        resend_verify_detail on;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
Email=a%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded; charset=ISO-8859-1
--- error_code: 415
--- response_json
{"ok": false, "error": {"code": "UnsupportedMediaType"}}
--- upstream_requests: 0



=== TEST 27: text/plain
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_max_emails 2;
        resend_verify_detail on;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
Email=a%40example.com
--- more_headers
Content-Type: text/plain
--- error_code: 415
--- response_json
{"ok": false, "error": {"code": "UnsupportedMediaType"}}
--- upstream_requests: 0



=== TEST 28: no Content-Type
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_max_emails 2;
        resend_verify_detail on;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
Email=a%40example.com
--- more_headers
!Content-Type
--- error_code: 415
--- response_json
{"ok": false, "error": {"code": "UnsupportedMediaType"}}
--- upstream_requests: 0



=== TEST 29: application/json-seq is not JSON
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_max_emails 2;
        resend_verify_detail on;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
{"email":"a@example.com"}
--- more_headers
Content-Type: application/json-seq
--- error_code: 415
--- response_json
{"ok": false, "error": {"code": "UnsupportedMediaType"}}
--- upstream_requests: 0


