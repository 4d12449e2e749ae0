# The dynamic module in Debian's own nginx (/usr/sbin/nginx, 1.22.1):
# load_module of the .so that `make` builds, nginx -t, and the job.
use strict;
use warnings;
use FindBin;

BEGIN {
    $ENV{TEST_NGINX_BINARY} = '/usr/sbin/nginx';
    $ENV{TEST_NGINX_LOAD_MODULE} =
        "$FindBin::Bin/../build/debian/objs/ngx_http_resend_verify_module.so";
}

use RVTest;

run_tests();

__DATA__

=== TEST 1: Debian's nginx loads the module and passes nginx -t
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- config_ok
--- request
POST /resend
Email=alice%40example.com&Lang=zh
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 200
--- response_json
{"ok": true, "message": "如果该邮箱正在等待验证，新的验证邮件已发出。"}
--- upstream_requests: 1
--- upstream_json
{"Email": "alice@example.com", "Lang": "zh"}
--- no_error_log
[error]



=== TEST 2: and refuses what the private binary refuses
--- config
    location = /resend {
        resend_verify /.aliyun;
    }
--- must_die
--- error_log
"resend_verify" needs credentials



=== TEST 3: a refused call through Debian's nginx
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret NotTheSecret;
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
Code: SignatureDoesNotMatch
