# Configuration: nginx -t refuses what cannot work, naming the directive.
use RVTest;

run_tests();

__DATA__

=== TEST 1: no credentials
--- config
    location = /resend {
        resend_verify /.aliyun;
    }
--- must_die
--- error_log
"resend_verify" needs credentials: set "resend_verify_credentials", "resend_verify_credentials_file", or "resend_verify_access_key_id" and "resend_verify_access_key_secret"



=== TEST 2: a secret without a key id
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_secret x;
    }
--- must_die
--- error_log
"resend_verify" needs credentials



=== TEST 3: credentials inherited from the server level are fine
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    location = /resend {
        resend_verify /.aliyun;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- config_ok
--- request
POST /resend
Email=a%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 200
--- upstream_requests: 1



=== TEST 4: the internal location must be a URI
--- config
    location = /resend {
        resend_verify aliyun;
        resend_verify_access_key_id a;
        resend_verify_access_key_secret b;
    }
--- must_die
--- error_log
invalid location "aliyun": it must start with "/"



=== TEST 5: resend_verify twice
--- config
    location = /resend {
        resend_verify /a;
        resend_verify /b;
        resend_verify_access_key_id a;
        resend_verify_access_key_secret b;
    }
--- must_die
--- error_log
"resend_verify" directive is duplicate



=== TEST 6: unknown API version
--- config
    location = /resend {
        resend_verify /a;
        resend_verify_access_key_id a;
        resend_verify_access_key_secret b;
        resend_verify_api_version 2020-01-01;
    }
--- must_die
--- error_log
invalid value "2020-01-01" in "resend_verify_api_version" directive, it must be "2018-01-29" or "2017-12-18"



=== TEST 7: unknown language
--- config
    location = /resend {
        resend_verify /a;
        resend_verify_access_key_id a;
        resend_verify_access_key_secret b;
        resend_verify_lang fr;
    }
--- must_die
--- error_log
invalid value "fr" in "resend_verify_lang" directive, it must be "en" or "zh"



=== TEST 8: max_emails out of range
--- config
    location = /resend {
        resend_verify /a;
        resend_verify_access_key_id a;
        resend_verify_access_key_secret b;
        resend_verify_max_emails 0;
    }
--- must_die
--- error_log
invalid value "0" in "resend_verify_max_emails" directive, it must be a number from 1 to 50



=== TEST 9: max_emails above the hard limit
--- config
    location = /resend {
        resend_verify /a;
        resend_verify_access_key_id a;
        resend_verify_access_key_secret b;
        resend_verify_max_emails 51;
    }
--- must_die
--- error_log
invalid value "51" in "resend_verify_max_emails" directive



=== TEST 10: detail takes on|off
--- config
    location = /resend {
        resend_verify /a;
        resend_verify_access_key_id a;
        resend_verify_access_key_secret b;
        resend_verify_detail yes;
    }
--- must_die
--- error_log
invalid value "yes" in "resend_verify_detail" directive, it must be "on" or "off"



=== TEST 11: resend_verify is not allowed at server level
--- config
    resend_verify /a;
--- must_die
--- error_log
"resend_verify" directive is not allowed here



=== TEST 12: the key from variables (complex values)
--- http_config
    map $host $rv_key_id { default $TEST_NGINX_KEY_ID; }
--- config
    set $rv_secret $TEST_NGINX_KEY_SECRET;
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $rv_key_id;
        resend_verify_access_key_secret $rv_secret;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
Email=a%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 200
--- upstream_json
{"AccessKeyId": "LTAI5tTestOnlyKeyId0001"}



=== TEST 13: a key that evaluates to empty is a 500 and an error line, no call
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $http_x_no_such_header;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
Email=a%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 500
--- response_json
{"ok": false, "error": {"code": "InternalError"}}
--- upstream_requests: 0
--- error_log
resend_verify: the AccessKey id or secret is empty



=== TEST 14: a credentials file and inline credentials at the same level
--- user_files
>>> aliyun.key
access_key_id = LTAI5tTestOnlyKeyId0001
access_key_secret = TestOnlySecret0123456789abcdef
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_credentials_file $TEST_NGINX_SERVROOT/html/aliyun.key;
        resend_verify_access_key_id a;
        resend_verify_access_key_secret b;
    }
--- must_die
--- error_log
"resend_verify_credentials_file" and inline credentials at the same level



=== TEST 15: a location's inline key wins over the server's file
--- user_files
>>> aliyun.key
access_key_id = LTAI5tFileKey
access_key_secret = FileSecret
--- config
    resend_verify_credentials_file $TEST_NGINX_SERVROOT/html/aliyun.key;
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
POST /resend
Email=a%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 200
--- upstream_json
{"AccessKeyId": "LTAI5tTestOnlyKeyId0001"}
