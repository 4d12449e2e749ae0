# Body caps without a Content-Length (issue #11, item 6) and nginx's own
# errors about the body in the module's locations (item 7): a chunked body
# over resend_verify_max_body_size is refused as soon as it crosses the cap,
# never spooled to a temporary file; client_max_body_size's 413 and a
# malformed chunk's 400 are the module's JSON, with CORS headers.
use strict;
use warnings;
use RVTest;
use Test::More;
use IO::Socket::INET ();
use IO::Select ();
use RVProto;
use JSON::PP ();

my $H2 = nginx_has('http_v2');

plan tests => planned_tests() + 4 + 3;

run_tests();

# The 413 comes before the body ends: the first chunk crosses the cap, the
# body is never finished, and the reply is there anyway.  Before the body
# filter, nginx waited for the rest (client_body_timeout, 60s by default).

start_nginx(<<'EOC');
    location = /resend {
        resend_verify /.canned;
        resend_verify_access_key_id k;
        resend_verify_access_key_secret s;
        resend_verify_max_body_size 1k;
        client_body_timeout 60s;
    }
    location = /.canned { internal; return 200 '{"RequestId":"R","SuccessList":[]}'; }
EOC

my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                              PeerPort => $ENV{TEST_NGINX_PORT} // 1984)
    or die "connect: $!";
print $s "POST /resend HTTP/1.1\r\nHost: localhost\r\n"
    . "Origin: http://localhost\r\n"
    . "Content-Type: application/x-www-form-urlencoded\r\n"
    . "Transfer-Encoding: chunked\r\n\r\n"
    . sprintf("%x\r\n", 3000) . ('x' x 3000) . "\r\n";

my $reply = '';
my $sel = IO::Select->new($s);
while ($sel->can_read(20)) {
    my $n = sysread($s, $reply, 65536, length $reply);
    last unless $n;
    last if $reply =~ /\r\n\r\n(.*)$/s && $reply =~ /\}\s*$/;
}
close $s;
stop_nginx();

like($reply, qr{^HTTP/1\.1 413 }, 'an unfinished chunked body over the cap: 413 at once');
like($reply, qr/"code":"BodyTooLarge"/, 'the module\'s JSON error');
like($reply, qr/Connection: close/i, 'and the connection closes (the rest is not read)');
like(error_log_text(), qr/the request body is larger than resend_verify_max_body_size 1024/,
     'the refusal is logged');

# HTTP/2 has no chunked encoding and often no content-length: the same
# body filter refuses the body as it crosses the cap (h2c, prior knowledge)

SKIP: {
    skip 'the nginx binary has no HTTP/2', 3 unless $H2;

    my $h2c = ($ENV{TEST_NGINX_PORT} // 1984) + 3;
    start_nginx(listen_h2(($ENV{TEST_NGINX_PORT} // 1984) + 2, $h2c) . <<'EOC');
    location = /resend {
        resend_verify /.canned;
        resend_verify_access_key_id k;
        resend_verify_access_key_secret s;
        client_body_buffer_size 8k;
    }
    location = /.canned { internal; return 200 '{"RequestId":"R","SuccessList":[]}'; }
EOC
    my $out = RVProto::h2_run({ url => "http://127.0.0.1:$h2c", requests => [{
        method => 'POST', path => '/resend',
        headers => { 'content-type' => 'application/x-www-form-urlencoded',
                     'accept' => 'application/json',
                     'origin' => "http://127.0.0.1:$h2c" },
        body => 'Email=a%40example.com&x=' . ('y' x 40000),
        content_length => JSON::PP::false, frames => 10 }] });
    stop_nginx();
    my $r = $out->{results}[0] || {};
    is($r->{status}, 413, 'HTTP/2 without a content-length: 413')
        or diag(JSON::PP->new->encode($out));
    like($r->{body} // '', qr/"code":"BodyTooLarge"/, 'HTTP/2: the module\'s JSON');
    unlike(error_log_text(), qr/a client request body is buffered to a temporary file/,
           'HTTP/2: nothing written to a temporary file');
}

__DATA__

=== TEST 1: a chunked body far over the cap: 413 JSON, nothing written to a temporary file
--- config
    location = /resend {
        resend_verify /.canned;
        resend_verify_access_key_id k;
        resend_verify_access_key_secret s;
        client_body_buffer_size 8k;
        client_max_body_size 1m;
    }
    location = /.canned { internal; return 200 '{"RequestId":"R","SuccessList":[]}'; }
--- raw_request eval
"POST /resend HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
. "Origin: http://localhost\r\n"
. "Content-Type: application/x-www-form-urlencoded\r\n"
. "Transfer-Encoding: chunked\r\n\r\n"
. join('', map { "1000\r\n" . ("x" x 4096) . "\r\n" } 1 .. 8) . "0\r\n\r\n"
--- error_code: 413
--- response_json
{"ok": false, "error": {"code": "BodyTooLarge"}}
--- error_log
the request body is larger than resend_verify_max_body_size 4096
--- no_error_log
a client request body is buffered to a temporary file
[alert]



=== TEST 2: client_max_body_size's 413 is the module's JSON, with CORS headers
--- config
    location = /resend {
        resend_verify /.canned;
        resend_verify_access_key_id k;
        resend_verify_access_key_secret s;
        resend_verify_allow_origin https://example.com;
        client_max_body_size 100;
    }
    location = /.canned { internal; return 200 '{"RequestId":"R","SuccessList":[]}'; }
--- request eval
"POST /resend\n" . ("x" x 200)
--- more_headers
Content-Type: application/x-www-form-urlencoded
Origin: https://example.com
--- error_code: 413
--- response_headers
Content-Type: application/json; charset=utf-8
Access-Control-Allow-Origin: https://example.com
Cache-Control: no-store
--- response_json
{"ok": false, "error": {"code": "BodyTooLarge", "message": "The request is too large."}}
--- upstream_requests: 0
--- error_log
client intended to send too large body



=== TEST 3: a malformed chunk's 400 is the module's JSON, with CORS headers, in the location's language
--- config
    location = /resend {
        resend_verify /.canned;
        resend_verify_access_key_id k;
        resend_verify_access_key_secret s;
        resend_verify_allow_origin https://example.com;
        resend_verify_lang zh;
    }
    location = /.canned { internal; return 200 '{"RequestId":"R","SuccessList":[]}'; }
--- raw_request eval
"POST /resend HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
. "Origin: https://example.com\r\n"
. "Content-Type: application/x-www-form-urlencoded\r\n"
. "Transfer-Encoding: chunked\r\n\r\n"
. "zz\r\nEmail=a%40b.co\r\n0\r\n\r\n"
--- error_code: 400
--- response_headers
Content-Type: application/json; charset=utf-8
Access-Control-Allow-Origin: https://example.com
--- response_json
{"ok": false, "error": {"code": "InvalidBody", "message": "无法解析请求内容。"}}
--- error_log
client sent invalid chunked body



=== TEST 4: a plain HTML form gets the 303 for these errors too
--- config
    location = /resend {
        resend_verify /.canned;
        resend_verify_access_key_id k;
        resend_verify_access_key_secret s;
        resend_verify_redirect /sent.html /failed.html;
        client_max_body_size 100;
    }
    location = /.canned { internal; return 200 '{"RequestId":"R","SuccessList":[]}'; }
--- request eval
"POST /resend\n" . ("x" x 200)
--- more_headers
Content-Type: application/x-www-form-urlencoded
Accept: text/html
--- error_code: 303
--- response_headers_like
Location: /failed\.html\?result=too-large$



=== TEST 5: the operator's own error_page for a code wins
--- config
    location = /resend {
        resend_verify /.canned;
        resend_verify_access_key_id k;
        resend_verify_access_key_secret s;
        client_max_body_size 100;
        error_page 413 /too-big.json;
    }
    location = /too-big.json { return 200 '{"mine":true}'; }
    location = /.canned { internal; return 200 '{"RequestId":"R","SuccessList":[]}'; }
--- request eval
"POST /resend\n" . ("x" x 200)
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 413
--- response_json
{"mine": true}



=== TEST 6: nginx -t warns when the cap is larger than client_body_buffer_size
--- config
    location = /resend {
        resend_verify /.canned;
        resend_verify_access_key_id k;
        resend_verify_access_key_secret s;
        resend_verify_max_body_size 64k;
        client_body_buffer_size 16k;
    }
    location = /.canned { internal; return 200 '{"RequestId":"R","SuccessList":[]}'; }
--- config_ok
--- request
GET /resend
--- error_code: 405
--- error_log
"resend_verify_max_body_size" 65536 is larger than "client_body_buffer_size" 16384



=== TEST 7: a chunked body within the cap still works, and other locations are untouched
--- config
    location = /resend {
        resend_verify /.canned;
        resend_verify_access_key_id k;
        resend_verify_access_key_secret s;
        resend_verify_max_body_size 64;
    }
    location = /.canned { internal; return 200 '{"RequestId":"R","SuccessList":[]}'; }
--- raw_request eval
"POST /resend HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
. "Origin: http://localhost\r\n"
. "Content-Type: application/x-www-form-urlencoded\r\n"
. "Transfer-Encoding: chunked\r\n\r\n"
. "20\r\nEmail=bob%40example.com&Lang=en&\r\n" . "20\r\nx=" . ("y" x 30) . "\r\n0\r\n\r\n"
--- error_code: 200
