# Upstream faults (issue #5, part 1): the internal location proxy_passes to
# t/lib/misbehave.js, a local server that misbehaves on purpose (the
# behaviour is the path of the proxied URI).  In every block the browser gets
# a clean JSON error (or, for a slow but complete reply, the success) with a
# sensible status, nothing crashes, and the same worker then answers a second,
# normal request (POST /again, whose upstream is misbehave's /ok).
#
# Ports (unless set): nginx 2484, misbehave 2486, a listening socket whose
# accept queue is full so that connect() times out 2488, a closed port so
# that connect() is refused 2489.  Runs in t/servroot-faults.
use strict;
use warnings;

use Cwd ();
use File::Basename ();

BEGIN {
    my $t = File::Basename::dirname(Cwd::abs_path(__FILE__));
    $ENV{TEST_NGINX_PORT}           //= 2484;
    $ENV{TEST_NGINX_DOUBLE_PORT}    //= 2485;
    $ENV{TEST_NGINX_MISBEHAVE_PORT} //= 2486;
    $ENV{TEST_NGINX_BACKLOG_PORT}   //= 2488;
    $ENV{TEST_NGINX_CLOSED_PORT}    //= 2489;
    $ENV{TEST_NGINX_SERVROOT}       //= "$t/servroot-faults";
}

use RVTest;

use POSIX ();
use IO::Socket::INET ();
use Time::HiRes ();

# ---------------------------------------------------------------------------
# misbehave.js: started once for the file (in its own process group, watched
# by the harness's watchdog), stopped at the end

my ($MisbehavePid, @Backlog);

sub start_misbehave {
    my ($port) = @_;
    RVTest::init_servroot();
    my $out = servroot() . "/logs/misbehave-$port.out";
    unlink $out;
    $MisbehavePid = RVTest::spawn(
        cmd => [$ENV{TEST_NGINX_NODE} || 'node',
                repo_root() . '/t/lib/misbehave.js', '--port', $port,
                '--parent-pid', $$],
        stdout => $out, stderr => $out);
    my $deadline = Time::HiRes::time() + 10;
    until (RVTest::slurp($out) =~ /^misbehave listening on 127\.0\.0\.1:$port$/m) {
        die "misbehave.js did not start on 127.0.0.1:$port:\n"
            . RVTest::slurp($out) . "\n"
            if Time::HiRes::time() > $deadline
               || waitpid($MisbehavePid, POSIX::WNOHANG()) == $MisbehavePid;
        Time::HiRes::sleep(0.05);
    }
}

END {
    RVTest::terminate($MisbehavePid, 'TERM', 2) if $MisbehavePid;
}

# A listening socket with a backlog of 1 that never accepts, its accept queue
# filled: the kernel drops further SYNs, so a connect() to it times out.
sub full_backlog {
    my ($port) = @_;
    my $l = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
        LocalPort => $port, Listen => 1, ReuseAddr => 1)
        or die "cannot listen on 127.0.0.1:$port: $@\n";
    my @s = ($l);
    for (1 .. 3) {
        push @s, IO::Socket::INET->new(PeerAddr => '127.0.0.1',
            PeerPort => $port, Blocking => 0);
    }
    Time::HiRes::sleep(0.2);
    my $probe = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
        PeerPort => $port, Timeout => 0.5);
    die "the accept queue of 127.0.0.1:$port is not full: connect() works\n"
        if $probe;
    return @s;
}

start_misbehave($ENV{TEST_NGINX_MISBEHAVE_PORT});
@Backlog = full_backlog($ENV{TEST_NGINX_BACKLOG_PORT});
die "port $ENV{TEST_NGINX_CLOSED_PORT} must be closed\n"
    if IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                             PeerPort => $ENV{TEST_NGINX_CLOSED_PORT});

run_tests();

__DATA__
=== TEST 1: connection refused is 502
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    location = /resend { resend_verify /.aliyun; }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_CLOSED_PORT/x;
    }
    location = /again { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com", "POST /again\nEmail=alice%40example.com"]
--- error_code eval
[502, 200]
--- response_json eval
['{"ok": false, "error": {"code": "UpstreamError", "message": "The email could not be sent. Try again later."}}', '{"ok": true}']
--- response_headers eval
["Content-Type: application/json; charset=utf-8\nCache-Control: no-store\n!Retry-After", "Content-Type: application/json; charset=utf-8"]
--- response_body_unlike eval
[qr/RequestId|HostId|Recommend|html|xml|Success"/i, qr/^$/]
--- error_log
connect() failed (111: Connection refused) while connecting to upstream
resend_verify: the upstream call failed (502)
--- no_error_log eval
['[alert]', '[emerg]', '[crit]', 'exited on signal', qr/resend_verify: sent for[^\n]*"POST \/resend /]



=== TEST 2: connect timeout (accept queue full) is 504
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    location = /resend { resend_verify /.aliyun; }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_BACKLOG_PORT/x;
        proxy_connect_timeout 300ms;
    }
    location = /again { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com", "POST /again\nEmail=alice%40example.com"]
--- error_code eval
[504, 200]
--- response_json eval
['{"ok": false, "error": {"code": "UpstreamTimeout", "message": "The service did not answer in time. Try again later."}}', '{"ok": true}']
--- response_headers eval
["Content-Type: application/json; charset=utf-8\nCache-Control: no-store\n!Retry-After", "Content-Type: application/json; charset=utf-8"]
--- response_body_unlike eval
[qr/RequestId|HostId|Recommend|html|xml|Success"/i, qr/^$/]
--- error_log
upstream timed out (110: Connection timed out) while connecting to upstream
resend_verify: the upstream call timed out
--- no_error_log eval
['[alert]', '[emerg]', '[crit]', 'exited on signal', qr/resend_verify: sent for[^\n]*"POST \/resend /]



=== TEST 3: read timeout before the headers is 504
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    location = /resend { resend_verify /.aliyun; }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/no-headers;
        proxy_read_timeout 300ms;
    }
    location = /again { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com", "POST /again\nEmail=alice%40example.com"]
--- error_code eval
[504, 200]
--- response_json eval
['{"ok": false, "error": {"code": "UpstreamTimeout", "message": "The service did not answer in time. Try again later."}}', '{"ok": true}']
--- response_headers eval
["Content-Type: application/json; charset=utf-8\nCache-Control: no-store\n!Retry-After", "Content-Type: application/json; charset=utf-8"]
--- response_body_unlike eval
[qr/RequestId|HostId|Recommend|html|xml|Success"/i, qr/^$/]
--- error_log
upstream timed out (110: Connection timed out) while reading response header from upstream
resend_verify: the upstream call timed out
--- no_error_log eval
['[alert]', '[emerg]', '[crit]', 'exited on signal', qr/resend_verify: sent for[^\n]*"POST \/resend /]



=== TEST 4: read timeout after the headers (no body byte) is 504
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    location = /resend { resend_verify /.aliyun; }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/stall;
        proxy_read_timeout 300ms;
    }
    location = /again { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com", "POST /again\nEmail=alice%40example.com"]
--- error_code eval
[504, 200]
--- response_json eval
['{"ok": false, "error": {"code": "UpstreamTimeout", "message": "The service did not answer in time. Try again later."}}', '{"ok": true}']
--- response_headers eval
["Content-Type: application/json; charset=utf-8\nCache-Control: no-store\n!Retry-After", "Content-Type: application/json; charset=utf-8"]
--- response_body_unlike eval
[qr/RequestId|HostId|Recommend|html|xml|Success"/i, qr/^$/]
--- error_log
upstream timed out (110: Connection timed out) while reading upstream
resend_verify: the upstream call timed out
--- no_error_log eval
['[alert]', '[emerg]', '[crit]', 'exited on signal', qr/resend_verify: sent for[^\n]*"POST \/resend /]



=== TEST 5: read timeout in the middle of the body is 504
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    location = /resend { resend_verify /.aliyun; }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/stall-mid-body;
        proxy_read_timeout 300ms;
    }
    location = /again { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com", "POST /again\nEmail=alice%40example.com"]
--- error_code eval
[504, 200]
--- response_json eval
['{"ok": false, "error": {"code": "UpstreamTimeout", "message": "The service did not answer in time. Try again later."}}', '{"ok": true}']
--- response_headers eval
["Content-Type: application/json; charset=utf-8\nCache-Control: no-store\n!Retry-After", "Content-Type: application/json; charset=utf-8"]
--- response_body_unlike eval
[qr/RequestId|HostId|Recommend|html|xml|Success"/i, qr/^$/]
--- error_log
upstream timed out (110: Connection timed out) while reading upstream
resend_verify: the upstream call timed out
--- no_error_log eval
['[alert]', '[emerg]', '[crit]', 'exited on signal', qr/resend_verify: sent for[^\n]*"POST \/resend /]



=== TEST 6: read timeout in the middle of the body, proxy_buffering off, is 504
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    location = /resend { resend_verify /.aliyun; }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/stall-mid-body;
        proxy_read_timeout 300ms;
        proxy_buffering off;
    }
    location = /again { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com", "POST /again\nEmail=alice%40example.com"]
--- error_code eval
[504, 200]
--- response_json eval
['{"ok": false, "error": {"code": "UpstreamTimeout", "message": "The service did not answer in time. Try again later."}}', '{"ok": true}']
--- response_headers eval
["Content-Type: application/json; charset=utf-8\nCache-Control: no-store\n!Retry-After", "Content-Type: application/json; charset=utf-8"]
--- response_body_unlike eval
[qr/RequestId|HostId|Recommend|html|xml|Success"/i, qr/^$/]
--- error_log
upstream timed out (110: Connection timed out)
resend_verify: the upstream call timed out
--- no_error_log eval
['[alert]', '[emerg]', '[crit]', 'exited on signal', qr/resend_verify: sent for[^\n]*"POST \/resend /]



=== TEST 7: 500 with HTML is 502
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    location = /resend { resend_verify /.aliyun; }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/html-500;
    }
    location = /again { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com", "POST /again\nEmail=alice%40example.com"]
--- error_code eval
[502, 200]
--- response_json eval
['{"ok": false, "error": {"code": "UpstreamError", "message": "The email could not be sent. Try again later."}}', '{"ok": true}']
--- response_headers eval
["Content-Type: application/json; charset=utf-8\nCache-Control: no-store\n!Retry-After", "Content-Type: application/json; charset=utf-8"]
--- response_body_unlike eval
[qr/RequestId|HostId|Recommend|html|xml|Success"/i, qr/^$/]
--- error_log
resend_verify: the upstream answered 500 with 165 bytes that are not the expected JSON
--- no_error_log eval
['[alert]', '[emerg]', '[crit]', 'exited on signal', qr/resend_verify: sent for[^\n]*"POST \/resend /]



=== TEST 8: 503 with HTML (a proxy's maintenance page) is 503 with Retry-After
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    location = /resend { resend_verify /.aliyun; }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/html-503;
    }
    location = /again { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com", "POST /again\nEmail=alice%40example.com"]
--- error_code eval
[503, 200]
--- response_json eval
['{"ok": false, "error": {"code": "ServiceUnavailable"}}', '{"ok": true}']
--- response_headers eval
["Content-Type: application/json; charset=utf-8\nCache-Control: no-store\nRetry-After: 60", "Content-Type: application/json; charset=utf-8"]
--- response_body_unlike eval
[qr/RequestId|HostId|Recommend|html|xml|Success"/i, qr/^$/]
--- error_log
resend_verify: the upstream answered 503 with
--- no_error_log eval
['[alert]', '[emerg]', '[crit]', 'exited on signal', qr/resend_verify: sent for[^\n]*"POST \/resend /]



=== TEST 9: 200 with HTML is 502
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    location = /resend { resend_verify /.aliyun; }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/html-200;
    }
    location = /again { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com", "POST /again\nEmail=alice%40example.com"]
--- error_code eval
[502, 200]
--- response_json eval
['{"ok": false, "error": {"code": "UpstreamError", "message": "The email could not be sent. Try again later."}}', '{"ok": true}']
--- response_headers eval
["Content-Type: application/json; charset=utf-8\nCache-Control: no-store\n!Retry-After", "Content-Type: application/json; charset=utf-8"]
--- response_body_unlike eval
[qr/RequestId|HostId|Recommend|html|xml|Success"/i, qr/^$/]
--- error_log
resend_verify: the upstream answered 200 with
not the expected JSON
--- no_error_log eval
['[alert]', '[emerg]', '[crit]', 'exited on signal', qr/resend_verify: sent for[^\n]*"POST \/resend /]



=== TEST 10: truncated body (Content-Length larger than what is sent, then close) is 502
# misbehave sends a complete, valid success JSON but announces 64 bytes more:
# only the framing tells that the reply is cut, and a cut reply is not a success
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    location = /resend { resend_verify /.aliyun; }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/truncated;
    }
    location = /again { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com", "POST /again\nEmail=alice%40example.com"]
--- error_code eval
[502, 200]
--- response_json eval
['{"ok": false, "error": {"code": "UpstreamError", "message": "The email could not be sent. Try again later."}}', '{"ok": true}']
--- response_headers eval
["Content-Type: application/json; charset=utf-8\nCache-Control: no-store\n!Retry-After", "Content-Type: application/json; charset=utf-8"]
--- response_body_unlike eval
[qr/RequestId|HostId|Recommend|html|xml|Success"/i, qr/^$/]
--- error_log
upstream prematurely closed connection while reading upstream
resend_verify: the upstream reply was cut short
--- no_error_log eval
['[alert]', '[emerg]', '[crit]', 'exited on signal', qr/resend_verify: sent for[^\n]*"POST \/resend /]



=== TEST 11: truncated body, half of the JSON, is 502
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    location = /resend { resend_verify /.aliyun; }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/truncated-half;
    }
    location = /again { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com", "POST /again\nEmail=alice%40example.com"]
--- error_code eval
[502, 200]
--- response_json eval
['{"ok": false, "error": {"code": "UpstreamError", "message": "The email could not be sent. Try again later."}}', '{"ok": true}']
--- response_headers eval
["Content-Type: application/json; charset=utf-8\nCache-Control: no-store\n!Retry-After", "Content-Type: application/json; charset=utf-8"]
--- response_body_unlike eval
[qr/RequestId|HostId|Recommend|html|xml|Success"/i, qr/^$/]
--- error_log
upstream prematurely closed connection while reading upstream
resend_verify: the upstream reply was cut short
--- no_error_log eval
['[alert]', '[emerg]', '[crit]', 'exited on signal', qr/resend_verify: sent for[^\n]*"POST \/resend /]



=== TEST 12: truncated chunked body (no last chunk) is 502
# the whole JSON in one chunk, then close without the terminating chunk
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    location = /resend { resend_verify /.aliyun; }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/truncated-chunked;
    }
    location = /again { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com", "POST /again\nEmail=alice%40example.com"]
--- error_code eval
[502, 200]
--- response_json eval
['{"ok": false, "error": {"code": "UpstreamError", "message": "The email could not be sent. Try again later."}}', '{"ok": true}']
--- response_headers eval
["Content-Type: application/json; charset=utf-8\nCache-Control: no-store\n!Retry-After", "Content-Type: application/json; charset=utf-8"]
--- response_body_unlike eval
[qr/RequestId|HostId|Recommend|html|xml|Success"/i, qr/^$/]
--- error_log
upstream prematurely closed connection while reading upstream
resend_verify: the upstream reply was cut short
--- no_error_log eval
['[alert]', '[emerg]', '[crit]', 'exited on signal', qr/resend_verify: sent for[^\n]*"POST \/resend /]



=== TEST 13: connection reset in the middle of the body is 502
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    location = /resend { resend_verify /.aliyun; }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/reset-mid-body;
    }
    location = /again { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com", "POST /again\nEmail=alice%40example.com"]
--- error_code eval
[502, 200]
--- response_json eval
['{"ok": false, "error": {"code": "UpstreamError", "message": "The email could not be sent. Try again later."}}', '{"ok": true}']
--- response_headers eval
["Content-Type: application/json; charset=utf-8\nCache-Control: no-store\n!Retry-After", "Content-Type: application/json; charset=utf-8"]
--- response_body_unlike eval
[qr/RequestId|HostId|Recommend|html|xml|Success"/i, qr/^$/]
--- error_log
(104: Connection reset by peer) while reading upstream
resend_verify: the upstream reply was cut short
--- no_error_log eval
['[alert]', '[emerg]', '[crit]', 'exited on signal', qr/resend_verify: sent for[^\n]*"POST \/resend /]



=== TEST 14: connection reset after a complete JSON but before Content-Length is reached is 502
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    location = /resend { resend_verify /.aliyun; }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/reset-after-json;
    }
    location = /again { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com", "POST /again\nEmail=alice%40example.com"]
--- error_code eval
[502, 200]
--- response_json eval
['{"ok": false, "error": {"code": "UpstreamError", "message": "The email could not be sent. Try again later."}}', '{"ok": true}']
--- response_headers eval
["Content-Type: application/json; charset=utf-8\nCache-Control: no-store\n!Retry-After", "Content-Type: application/json; charset=utf-8"]
--- response_body_unlike eval
[qr/RequestId|HostId|Recommend|html|xml|Success"/i, qr/^$/]
--- error_log
(104: Connection reset by peer) while reading upstream
resend_verify: the upstream reply was cut short
--- no_error_log eval
['[alert]', '[emerg]', '[crit]', 'exited on signal', qr/resend_verify: sent for[^\n]*"POST \/resend /]



=== TEST 15: connection reset after a complete JSON, proxy_buffering off, is 502
# unbuffered, the JSON reaches the in-memory buffer before the reset
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    location = /resend { resend_verify /.aliyun; }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/reset-after-json;
        proxy_buffering off;
    }
    location = /again { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com", "POST /again\nEmail=alice%40example.com"]
--- error_code eval
[502, 200]
--- response_json eval
['{"ok": false, "error": {"code": "UpstreamError", "message": "The email could not be sent. Try again later."}}', '{"ok": true}']
--- response_headers eval
["Content-Type: application/json; charset=utf-8\nCache-Control: no-store\n!Retry-After", "Content-Type: application/json; charset=utf-8"]
--- response_body_unlike eval
[qr/RequestId|HostId|Recommend|html|xml|Success"/i, qr/^$/]
--- error_log
(104: Connection reset by peer) while reading upstream
resend_verify: the upstream reply was cut short
--- no_error_log eval
['[alert]', '[emerg]', '[crit]', 'exited on signal', qr/resend_verify: sent for[^\n]*"POST \/resend /]



=== TEST 16: connection reset before the headers is 502
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    location = /resend { resend_verify /.aliyun; }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/reset-before-headers;
    }
    location = /again { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com", "POST /again\nEmail=alice%40example.com"]
--- error_code eval
[502, 200]
--- response_json eval
['{"ok": false, "error": {"code": "UpstreamError", "message": "The email could not be sent. Try again later."}}', '{"ok": true}']
--- response_headers eval
["Content-Type: application/json; charset=utf-8\nCache-Control: no-store\n!Retry-After", "Content-Type: application/json; charset=utf-8"]
--- response_body_unlike eval
[qr/RequestId|HostId|Recommend|html|xml|Success"/i, qr/^$/]
--- error_log
(104: Connection reset by peer) while reading response header from upstream
resend_verify: the upstream call failed (502)
--- no_error_log eval
['[alert]', '[emerg]', '[crit]', 'exited on signal', qr/resend_verify: sent for[^\n]*"POST \/resend /]



=== TEST 17: a reply larger than the in-memory buffer (5 MB, Content-Length) is 502
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    location = /resend { resend_verify /.aliyun; }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/enormous;
    }
    location = /again { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com", "POST /again\nEmail=alice%40example.com"]
--- error_code eval
[502, 200]
--- response_json eval
['{"ok": false, "error": {"code": "UpstreamError", "message": "The email could not be sent. Try again later."}}', '{"ok": true}']
--- response_headers eval
["Content-Type: application/json; charset=utf-8\nCache-Control: no-store\n!Retry-After", "Content-Type: application/json; charset=utf-8"]
--- response_body_unlike eval
[qr/RequestId|HostId|Recommend|html|xml|Success"/i, qr/^$/]
--- error_log
resend_verify: the upstream reply is larger than subrequest_output_buffer_size
--- no_error_log eval
['[alert]', '[emerg]', '[crit]', 'exited on signal', 'too big subrequest response', qr/resend_verify: sent for[^\n]*"POST \/resend /]



=== TEST 18: a reply larger than the in-memory buffer, chunked (no Content-Length) is 502
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    location = /resend { resend_verify /.aliyun; }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/enormous-chunked;
        proxy_http_version 1.1;
    }
    location = /again { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com", "POST /again\nEmail=alice%40example.com"]
--- error_code eval
[502, 200]
--- response_json eval
['{"ok": false, "error": {"code": "UpstreamError", "message": "The email could not be sent. Try again later."}}', '{"ok": true}']
--- response_headers eval
["Content-Type: application/json; charset=utf-8\nCache-Control: no-store\n!Retry-After", "Content-Type: application/json; charset=utf-8"]
--- response_body_unlike eval
[qr/RequestId|HostId|Recommend|html|xml|Success"/i, qr/^$/]
--- error_log
resend_verify: the upstream reply is larger than subrequest_output_buffer_size
--- no_error_log eval
['[alert]', '[emerg]', '[crit]', 'exited on signal', 'too big subrequest response', qr/resend_verify: sent for[^\n]*"POST \/resend /]



=== TEST 19: a 5 MB JSON in a buffer big enough (an unknown field) is parsed: 200
# valid JSON, the success shape, with a 5 MB unknown field: not an error, and no crash
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    location = /resend { resend_verify /.aliyun; }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/enormous;
        subrequest_output_buffer_size 8m;
    }
    location = /again { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com", "POST /again\nEmail=alice%40example.com"]
--- error_code eval
[200, 200]
--- response_json eval
['{"ok": true, "message": "If the address is waiting for verification, a new email is on its way."}', '{"ok": true}']
--- response_headers eval
["Content-Type: application/json; charset=utf-8\nCache-Control: no-store\n!Retry-After", "Content-Type: application/json; charset=utf-8"]
--- response_body_like eval
[qr/^\{"ok":true,"requestId":"[0-9A-F-]{36}","message":"[^"]+"\}$/, qr/^\{"ok":true,/]
--- error_log
resend_verify: sent for a***@example.com, 1 sent, 0 failed
--- no_error_log eval
['[alert]', '[emerg]', '[crit]', 'exited on signal', qr/\[error\]/]



=== TEST 20: XML instead of JSON is 502
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    location = /resend { resend_verify /.aliyun; }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/xml;
    }
    location = /again { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com", "POST /again\nEmail=alice%40example.com"]
--- error_code eval
[502, 200]
--- response_json eval
['{"ok": false, "error": {"code": "UpstreamError", "message": "The email could not be sent. Try again later."}}', '{"ok": true}']
--- response_headers eval
["Content-Type: application/json; charset=utf-8\nCache-Control: no-store\n!Retry-After", "Content-Type: application/json; charset=utf-8"]
--- response_body_unlike eval
[qr/RequestId|HostId|Recommend|html|xml|Success"/i, qr/^$/]
--- error_log
resend_verify: the upstream answered 200 with 305 bytes that are not the expected JSON
--- no_error_log eval
['[alert]', '[emerg]', '[crit]', 'exited on signal', qr/resend_verify: sent for[^\n]*"POST \/resend /]



=== TEST 21: Content-Encoding: gzip (not asked for) is 502
# a gzip-compressed valid success JSON: the module does not ask for gzip and must not
# take it (or anything else with a Content-Encoding) as JSON
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    location = /resend { resend_verify /.aliyun; }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/gzip;
    }
    location = /again { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com", "POST /again\nEmail=alice%40example.com"]
--- error_code eval
[502, 200]
--- response_json eval
['{"ok": false, "error": {"code": "UpstreamError", "message": "The email could not be sent. Try again later."}}', '{"ok": true}']
--- response_headers eval
["Content-Type: application/json; charset=utf-8\nCache-Control: no-store\n!Retry-After", "Content-Type: application/json; charset=utf-8"]
--- response_body_unlike eval
[qr/RequestId|HostId|Recommend|html|xml|Success"/i, qr/^$/]
--- error_log
resend_verify: the upstream answered 200 with
--- no_error_log eval
['[alert]', '[emerg]', '[crit]', 'exited on signal', qr/resend_verify: sent for[^\n]*"POST \/resend /]



=== TEST 22: an empty body (Content-Length: 0) is 502
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    location = /resend { resend_verify /.aliyun; }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/empty;
    }
    location = /again { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com", "POST /again\nEmail=alice%40example.com"]
--- error_code eval
[502, 200]
--- response_json eval
['{"ok": false, "error": {"code": "UpstreamError", "message": "The email could not be sent. Try again later."}}', '{"ok": true}']
--- response_headers eval
["Content-Type: application/json; charset=utf-8\nCache-Control: no-store\n!Retry-After", "Content-Type: application/json; charset=utf-8"]
--- response_body_unlike eval
[qr/RequestId|HostId|Recommend|html|xml|Success"/i, qr/^$/]
--- error_log
resend_verify: the upstream answered 200 with 0 bytes that are not the expected JSON
--- no_error_log eval
['[alert]', '[emerg]', '[crit]', 'exited on signal', qr/resend_verify: sent for[^\n]*"POST \/resend /]



=== TEST 23: an empty body (no length, close at once) is 502
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    location = /resend { resend_verify /.aliyun; }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/empty-close;
    }
    location = /again { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com", "POST /again\nEmail=alice%40example.com"]
--- error_code eval
[502, 200]
--- response_json eval
['{"ok": false, "error": {"code": "UpstreamError", "message": "The email could not be sent. Try again later."}}', '{"ok": true}']
--- response_headers eval
["Content-Type: application/json; charset=utf-8\nCache-Control: no-store\n!Retry-After", "Content-Type: application/json; charset=utf-8"]
--- response_body_unlike eval
[qr/RequestId|HostId|Recommend|html|xml|Success"/i, qr/^$/]
--- error_log
resend_verify: the upstream answered 200 with 0 bytes that are not the expected JSON
--- no_error_log eval
['[alert]', '[emerg]', '[crit]', 'exited on signal', qr/resend_verify: sent for[^\n]*"POST \/resend /]



=== TEST 24: 204 No Content is 502
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    location = /resend { resend_verify /.aliyun; }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/no-content;
    }
    location = /again { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com", "POST /again\nEmail=alice%40example.com"]
--- error_code eval
[502, 200]
--- response_json eval
['{"ok": false, "error": {"code": "UpstreamError", "message": "The email could not be sent. Try again later."}}', '{"ok": true}']
--- response_headers eval
["Content-Type: application/json; charset=utf-8\nCache-Control: no-store\n!Retry-After", "Content-Type: application/json; charset=utf-8"]
--- response_body_unlike eval
[qr/RequestId|HostId|Recommend|html|xml|Success"/i, qr/^$/]
--- error_log
resend_verify: the upstream answered 204 with 0 bytes
--- no_error_log eval
['[alert]', '[emerg]', '[crit]', 'exited on signal', qr/resend_verify: sent for[^\n]*"POST \/resend /]



=== TEST 25: JSON nested 10000 deep, in a buffer big enough, is 502
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    location = /resend { resend_verify /.aliyun; }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/nested;
        subrequest_output_buffer_size 64k;
    }
    location = /again { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com", "POST /again\nEmail=alice%40example.com"]
--- error_code eval
[502, 200]
--- response_json eval
['{"ok": false, "error": {"code": "UpstreamError", "message": "The email could not be sent. Try again later."}}', '{"ok": true}']
--- response_headers eval
["Content-Type: application/json; charset=utf-8\nCache-Control: no-store\n!Retry-After", "Content-Type: application/json; charset=utf-8"]
--- response_body_unlike eval
[qr/RequestId|HostId|Recommend|html|xml|Success"/i, qr/^$/]
--- error_log
resend_verify: the upstream answered 200 with 20
not the expected JSON
--- no_error_log eval
['[alert]', '[emerg]', '[crit]', 'exited on signal', qr/resend_verify: sent for[^\n]*"POST \/resend /]



=== TEST 26: JSON nested 10000 deep, default buffer, is 502
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    location = /resend { resend_verify /.aliyun; }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/nested;
    }
    location = /again { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com", "POST /again\nEmail=alice%40example.com"]
--- error_code eval
[502, 200]
--- response_json eval
['{"ok": false, "error": {"code": "UpstreamError", "message": "The email could not be sent. Try again later."}}', '{"ok": true}']
--- response_headers eval
["Content-Type: application/json; charset=utf-8\nCache-Control: no-store\n!Retry-After", "Content-Type: application/json; charset=utf-8"]
--- response_body_unlike eval
[qr/RequestId|HostId|Recommend|html|xml|Success"/i, qr/^$/]
--- error_log
resend_verify: the upstream reply is larger than subrequest_output_buffer_size
--- no_error_log eval
['[alert]', '[emerg]', '[crit]', 'exited on signal', qr/resend_verify: sent for[^\n]*"POST \/resend /]



=== TEST 27: a JSON string instead of an object is 502
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    location = /resend { resend_verify /.aliyun; }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/json-string;
    }
    location = /again { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com", "POST /again\nEmail=alice%40example.com"]
--- error_code eval
[502, 200]
--- response_json eval
['{"ok": false, "error": {"code": "UpstreamError", "message": "The email could not be sent. Try again later."}}', '{"ok": true}']
--- response_headers eval
["Content-Type: application/json; charset=utf-8\nCache-Control: no-store\n!Retry-After", "Content-Type: application/json; charset=utf-8"]
--- response_body_unlike eval
[qr/RequestId|HostId|Recommend|html|xml|Success"/i, qr/^$/]
--- error_log
resend_verify: the upstream answered 200 with 9 bytes that are not the expected JSON
--- no_error_log eval
['[alert]', '[emerg]', '[crit]', 'exited on signal', qr/resend_verify: sent for[^\n]*"POST \/resend /]



=== TEST 28: null is 502
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    location = /resend { resend_verify /.aliyun; }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/json-null;
    }
    location = /again { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com", "POST /again\nEmail=alice%40example.com"]
--- error_code eval
[502, 200]
--- response_json eval
['{"ok": false, "error": {"code": "UpstreamError", "message": "The email could not be sent. Try again later."}}', '{"ok": true}']
--- response_headers eval
["Content-Type: application/json; charset=utf-8\nCache-Control: no-store\n!Retry-After", "Content-Type: application/json; charset=utf-8"]
--- response_body_unlike eval
[qr/RequestId|HostId|Recommend|html|xml|Success"/i, qr/^$/]
--- error_log
resend_verify: the upstream answered 200 with 4 bytes that are not the expected JSON
--- no_error_log eval
['[alert]', '[emerg]', '[crit]', 'exited on signal', qr/resend_verify: sent for[^\n]*"POST \/resend /]



=== TEST 29: two JSON documents in a row are 502
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    location = /resend { resend_verify /.aliyun; }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/json-trailing;
    }
    location = /again { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com", "POST /again\nEmail=alice%40example.com"]
--- error_code eval
[502, 200]
--- response_json eval
['{"ok": false, "error": {"code": "UpstreamError", "message": "The email could not be sent. Try again later."}}', '{"ok": true}']
--- response_headers eval
["Content-Type: application/json; charset=utf-8\nCache-Control: no-store\n!Retry-After", "Content-Type: application/json; charset=utf-8"]
--- response_body_unlike eval
[qr/RequestId|HostId|Recommend|html|xml|Success"/i, qr/^$/]
--- error_log
not the expected JSON
--- no_error_log eval
['[alert]', '[emerg]', '[crit]', 'exited on signal', qr/resend_verify: sent for[^\n]*"POST \/resend /]



=== TEST 30: the success JSON with status 500 is 502
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    location = /resend { resend_verify /.aliyun; }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/success-500;
    }
    location = /again { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com", "POST /again\nEmail=alice%40example.com"]
--- error_code eval
[502, 200]
--- response_json eval
['{"ok": false, "error": {"code": "UpstreamError", "message": "The email could not be sent. Try again later."}}', '{"ok": true}']
--- response_headers eval
["Content-Type: application/json; charset=utf-8\nCache-Control: no-store\n!Retry-After", "Content-Type: application/json; charset=utf-8"]
--- response_body_unlike eval
[qr/RequestId|HostId|Recommend|html|xml|Success"/i, qr/^$/]
--- error_log
resend_verify: the upstream refused the call: status 500
--- no_error_log eval
['[alert]', '[emerg]', '[crit]', 'exited on signal', qr/resend_verify: sent for[^\n]*"POST \/resend /]



=== TEST 31: a header block larger than proxy_buffer_size is 502
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    location = /resend { resend_verify /.aliyun; }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/huge-headers;
    }
    location = /again { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com", "POST /again\nEmail=alice%40example.com"]
--- error_code eval
[502, 200]
--- response_json eval
['{"ok": false, "error": {"code": "UpstreamError", "message": "The email could not be sent. Try again later."}}', '{"ok": true}']
--- response_headers eval
["Content-Type: application/json; charset=utf-8\nCache-Control: no-store\n!Retry-After", "Content-Type: application/json; charset=utf-8"]
--- response_body_unlike eval
[qr/RequestId|HostId|Recommend|html|xml|Success"/i, qr/^$/]
--- error_log
upstream sent too big header while reading response header from upstream
resend_verify: the upstream call failed (502)
--- no_error_log eval
['[alert]', '[emerg]', '[crit]', 'exited on signal', qr/resend_verify: sent for[^\n]*"POST \/resend /]



=== TEST 32: envelope: SignatureDoesNotMatch (400) is 502, the message not logged
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    location = /resend { resend_verify /.aliyun; }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/sig-mismatch;
    }
    location = /again { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com", "POST /again\nEmail=alice%40example.com"]
--- error_code eval
[502, 200]
--- response_json eval
['{"ok": false, "error": {"code": "UpstreamError", "message": "The email could not be sent. Try again later."}}', '{"ok": true}']
--- response_headers eval
["Content-Type: application/json; charset=utf-8\nCache-Control: no-store\n!Retry-After", "Content-Type: application/json; charset=utf-8"]
--- response_body_unlike eval
[qr/RequestId|HostId|Recommend|html|xml|Success"/i, qr/^$/]
--- error_log
resend_verify: the upstream refused the call: status 400, Code: SignatureDoesNotMatch
--- no_error_log eval
['[alert]', '[emerg]', '[crit]', 'exited on signal', 'server string to sign', qr/resend_verify: sent for[^\n]*"POST \/resend /]



=== TEST 33: envelope: InvalidAccessKeyId.NotFound (404) is 502
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    location = /resend { resend_verify /.aliyun; }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/key-not-found;
    }
    location = /again { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com", "POST /again\nEmail=alice%40example.com"]
--- error_code eval
[502, 200]
--- response_json eval
['{"ok": false, "error": {"code": "UpstreamError", "message": "The email could not be sent. Try again later."}}', '{"ok": true}']
--- response_headers eval
["Content-Type: application/json; charset=utf-8\nCache-Control: no-store\n!Retry-After", "Content-Type: application/json; charset=utf-8"]
--- response_body_unlike eval
[qr/RequestId|HostId|Recommend|html|xml|Success"/i, qr/^$/]
--- error_log
resend_verify: the upstream refused the call: status 404, Code: InvalidAccessKeyId.NotFound
--- no_error_log eval
['[alert]', '[emerg]', '[crit]', 'exited on signal', qr/resend_verify: sent for[^\n]*"POST \/resend /]



=== TEST 34: envelope: Throttling.User (400) is 429 with Retry-After
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    location = /resend { resend_verify /.aliyun; }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/throttling;
    }
    location = /again { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com", "POST /again\nEmail=alice%40example.com"]
--- error_code eval
[429, 200]
--- response_json eval
['{"ok": false, "error": {"code": "Throttled", "message": "The service is busy. Try again later."}}', '{"ok": true}']
--- response_headers eval
["Content-Type: application/json; charset=utf-8\nCache-Control: no-store\nRetry-After: 60", "Content-Type: application/json; charset=utf-8"]
--- response_body_unlike eval
[qr/RequestId|HostId|Recommend|html|xml|Success"/i, qr/^$/]
--- error_log
resend_verify: the upstream refused the call: status 400, Code: Throttling.User
--- no_error_log eval
['[alert]', '[emerg]', '[crit]', 'exited on signal', qr/resend_verify: sent for[^\n]*"POST \/resend /]



=== TEST 35: envelope: Throttling.Api (400) is 429 with Retry-After
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    location = /resend { resend_verify /.aliyun; }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/throttling-api;
    }
    location = /again { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com", "POST /again\nEmail=alice%40example.com"]
--- error_code eval
[429, 200]
--- response_json eval
['{"ok": false, "error": {"code": "Throttled", "message": "The service is busy. Try again later."}}', '{"ok": true}']
--- response_headers eval
["Content-Type: application/json; charset=utf-8\nCache-Control: no-store\nRetry-After: 60", "Content-Type: application/json; charset=utf-8"]
--- response_body_unlike eval
[qr/RequestId|HostId|Recommend|html|xml|Success"/i, qr/^$/]
--- error_log
Code: Throttling.Api
--- no_error_log eval
['[alert]', '[emerg]', '[crit]', 'exited on signal', qr/resend_verify: sent for[^\n]*"POST \/resend /]



=== TEST 36: 429 with the envelope Throttling is 429 with Retry-After
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    location = /resend { resend_verify /.aliyun; }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/throttling-429;
    }
    location = /again { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com", "POST /again\nEmail=alice%40example.com"]
--- error_code eval
[429, 200]
--- response_json eval
['{"ok": false, "error": {"code": "Throttled", "message": "The service is busy. Try again later."}}', '{"ok": true}']
--- response_headers eval
["Content-Type: application/json; charset=utf-8\nCache-Control: no-store\nRetry-After: 60", "Content-Type: application/json; charset=utf-8"]
--- response_body_unlike eval
[qr/RequestId|HostId|Recommend|html|xml|Success"/i, qr/^$/]
--- error_log
resend_verify: the upstream refused the call: status 429, Code: Throttling,
--- no_error_log eval
['[alert]', '[emerg]', '[crit]', 'exited on signal', qr/resend_verify: sent for[^\n]*"POST \/resend /]



=== TEST 37: envelope: ServiceUnavailable (503) is 503 with Retry-After
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    location = /resend { resend_verify /.aliyun; }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/unavailable;
    }
    location = /again { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com", "POST /again\nEmail=alice%40example.com"]
--- error_code eval
[503, 200]
--- response_json eval
['{"ok": false, "error": {"code": "ServiceUnavailable", "message": "The service is temporarily unavailable. Try again later."}}', '{"ok": true}']
--- response_headers eval
["Content-Type: application/json; charset=utf-8\nCache-Control: no-store\nRetry-After: 60", "Content-Type: application/json; charset=utf-8"]
--- response_body_unlike eval
[qr/RequestId|HostId|Recommend|html|xml|Success"/i, qr/^$/]
--- error_log
resend_verify: the upstream refused the call: status 503, Code: ServiceUnavailable
--- no_error_log eval
['[alert]', '[emerg]', '[crit]', 'exited on signal', qr/resend_verify: sent for[^\n]*"POST \/resend /]



=== TEST 38: envelope: InternalError (500) is 502
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    location = /resend { resend_verify /.aliyun; }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/internal-error;
    }
    location = /again { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com", "POST /again\nEmail=alice%40example.com"]
--- error_code eval
[502, 200]
--- response_json eval
['{"ok": false, "error": {"code": "UpstreamError", "message": "The email could not be sent. Try again later."}}', '{"ok": true}']
--- response_headers eval
["Content-Type: application/json; charset=utf-8\nCache-Control: no-store\n!Retry-After", "Content-Type: application/json; charset=utf-8"]
--- response_body_unlike eval
[qr/RequestId|HostId|Recommend|html|xml|Success"/i, qr/^$/]
--- error_log
resend_verify: the upstream refused the call: status 500, Code: InternalError
--- no_error_log eval
['[alert]', '[emerg]', '[crit]', 'exited on signal', qr/resend_verify: sent for[^\n]*"POST \/resend /]



=== TEST 39: a slow but complete reply within the timeout succeeds
# the body comes in 5 pieces, 200 ms apart: each read is within
# proxy_read_timeout, the whole reply takes longer than it
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    location = /resend { resend_verify /.aliyun; }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/slow-ok?delay=1000;
        proxy_read_timeout 600ms;
    }
    location = /again { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com", "POST /again\nEmail=alice%40example.com"]
--- error_code eval
[200, 200]
--- response_json eval
['{"ok": true, "message": "If the address is waiting for verification, a new email is on its way."}', '{"ok": true}']
--- response_headers eval
["Content-Type: application/json; charset=utf-8\nCache-Control: no-store\n!Retry-After", "Content-Type: application/json; charset=utf-8"]
--- response_body_like eval
[qr/^\{"ok":true,"requestId":"[0-9A-F-]{36}","message":"[^"]+"\}$/, qr/^\{"ok":true,/]
--- error_log
resend_verify: sent for a***@example.com, 1 sent, 0 failed
--- no_error_log eval
['[alert]', '[emerg]', '[crit]', 'exited on signal', qr/\[error\]/]



=== TEST 40: a late but complete reply within the timeout succeeds
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    location = /resend { resend_verify /.aliyun; }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/late-ok?delay=800;
        proxy_read_timeout 2s;
    }
    location = /again { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com", "POST /again\nEmail=alice%40example.com"]
--- error_code eval
[200, 200]
--- response_json eval
['{"ok": true, "message": "If the address is waiting for verification, a new email is on its way."}', '{"ok": true}']
--- response_headers eval
["Content-Type: application/json; charset=utf-8\nCache-Control: no-store\n!Retry-After", "Content-Type: application/json; charset=utf-8"]
--- response_body_like eval
[qr/^\{"ok":true,"requestId":"[0-9A-F-]{36}","message":"[^"]+"\}$/, qr/^\{"ok":true,/]
--- error_log
resend_verify: sent for a***@example.com, 1 sent, 0 failed
--- no_error_log eval
['[alert]', '[emerg]', '[crit]', 'exited on signal', qr/\[error\]/]



=== TEST 41: a chunked success reply succeeds
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    location = /resend { resend_verify /.aliyun; }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok-chunked;
        proxy_http_version 1.1;
    }
    location = /again { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com", "POST /again\nEmail=alice%40example.com"]
--- error_code eval
[200, 200]
--- response_json eval
['{"ok": true, "message": "If the address is waiting for verification, a new email is on its way."}', '{"ok": true}']
--- response_headers eval
["Content-Type: application/json; charset=utf-8\nCache-Control: no-store\n!Retry-After", "Content-Type: application/json; charset=utf-8"]
--- response_body_like eval
[qr/^\{"ok":true,"requestId":"[0-9A-F-]{36}","message":"[^"]+"\}$/, qr/^\{"ok":true,/]
--- error_log
resend_verify: sent for a***@example.com, 1 sent, 0 failed
--- no_error_log eval
['[alert]', '[emerg]', '[crit]', 'exited on signal', qr/\[error\]/]
