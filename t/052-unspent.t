# Give back what was not spent (issue #11, item 1): the cooldown and the
# budget reserved for a call are released when the call certainly sent
# nothing (no connection, a connect timeout, an error envelope proving the
# gateway refused it), and kept when it may have sent (a timeout or a reset
# after the request went out, an InternalError, any reply with per-address
# results).  Each block: two requests for alice through the faulty internal
# location, then three for other addresses through a good one; the zone's
# budget is 2 an hour, so the statuses tell both the cooldown and the count.
#
# Ports: misbehave.js TEST_NGINX_PORT + 2, a full accept queue + 3 (connect
# times out), a closed port + 4.
use strict;
use warnings;

BEGIN {
    my $base = $ENV{TEST_NGINX_PORT} // 1984;
    $ENV{TEST_NGINX_MISBEHAVE_PORT} //= $base + 2;
    $ENV{TEST_NGINX_BACKLOG_PORT}   //= $base + 3;
    $ENV{TEST_NGINX_CLOSED_PORT}    //= $base + 4;
}

use RVTest;

use IO::Socket::INET ();
use Time::HiRes ();

plan tests => planned_tests();

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

RVTest::start_aux('misbehave', 't/lib/misbehave.js',
                  $ENV{TEST_NGINX_MISBEHAVE_PORT});
my @backlog = full_backlog($ENV{TEST_NGINX_BACKLOG_PORT});
die "port $ENV{TEST_NGINX_CLOSED_PORT} must be closed\n"
    if IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                             PeerPort => $ENV{TEST_NGINX_CLOSED_PORT});

run_tests();

RVTest::stop_aux('misbehave');
close $_ for @backlog;

__DATA__

=== TEST 1: connection refused: nothing sent, released
--- http_config
    resend_verify_limit_zone zone=rv:1m cooldown=10m budget=2/1h;
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    resend_verify_limit zone=rv;
    resend_verify_detail on;
    add_header X-Outcome $resend_verify_outcome always;
    location = /resend { resend_verify /.fault; }
    location = /.fault {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_CLOSED_PORT/x;
    }
    location = /ok { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com",
 "POST /resend\nEmail=alice%40example.com",
 "POST /ok\nEmail=bob%40example.com",
 "POST /ok\nEmail=carol%40example.com",
 "POST /ok\nEmail=dave%40example.com"]
--- error_code eval
[502, 502, 200, 200, 503]
--- response_headers eval
["X-Outcome: upstream_error", "X-Outcome: upstream_error", "X-Outcome: sent", "X-Outcome: sent", "X-Outcome: budget"]
--- error_log
resend_verify: nothing was sent (no connection), the reservation for a***@example.com is given back
--- no_error_log
[alert]
[crit]


=== TEST 2: connect timeout: nothing sent, released
--- http_config
    resend_verify_limit_zone zone=rv:1m cooldown=10m budget=2/1h;
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    resend_verify_limit zone=rv;
    resend_verify_detail on;
    add_header X-Outcome $resend_verify_outcome always;
    location = /resend { resend_verify /.fault; }
    location = /.fault {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_BACKLOG_PORT/x;
        proxy_connect_timeout 300ms;
    }
    location = /ok { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com",
 "POST /resend\nEmail=alice%40example.com",
 "POST /ok\nEmail=bob%40example.com",
 "POST /ok\nEmail=carol%40example.com",
 "POST /ok\nEmail=dave%40example.com"]
--- error_code eval
[504, 504, 200, 200, 503]
--- response_headers eval
["X-Outcome: timeout", "X-Outcome: timeout", "X-Outcome: sent", "X-Outcome: sent", "X-Outcome: budget"]
--- error_log
resend_verify: nothing was sent (the connect timed out), the reservation for a***@example.com is given back
--- no_error_log
[alert]
[crit]


=== TEST 3: no live upstream: nothing sent, released
--- http_config
    resend_verify_limit_zone zone=rv:1m cooldown=10m budget=2/1h;
    upstream down { server 127.0.0.1:$TEST_NGINX_CLOSED_PORT down; }
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    resend_verify_limit zone=rv;
    resend_verify_detail on;
    add_header X-Outcome $resend_verify_outcome always;
    location = /resend { resend_verify /.fault; }
    location = /.fault {
        internal;
        proxy_pass http://down/x;
    }
    location = /ok { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com",
 "POST /resend\nEmail=alice%40example.com",
 "POST /ok\nEmail=bob%40example.com",
 "POST /ok\nEmail=carol%40example.com",
 "POST /ok\nEmail=dave%40example.com"]
--- error_code eval
[502, 502, 200, 200, 503]
--- response_headers eval
["X-Outcome: upstream_error", "X-Outcome: upstream_error", "X-Outcome: sent", "X-Outcome: sent", "X-Outcome: budget"]
--- error_log
resend_verify: nothing was sent (no connection), the reservation for a***@example.com is given back
--- no_error_log
[alert]
[crit]


=== TEST 4: SignatureDoesNotMatch: the gateway refused, released
--- http_config
    resend_verify_limit_zone zone=rv:1m cooldown=10m budget=2/1h;
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    resend_verify_limit zone=rv;
    resend_verify_detail on;
    add_header X-Outcome $resend_verify_outcome always;
    location = /resend { resend_verify /.fault; }
    location = /.fault {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/sig-mismatch;
    }
    location = /ok { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com",
 "POST /resend\nEmail=alice%40example.com",
 "POST /ok\nEmail=bob%40example.com",
 "POST /ok\nEmail=carol%40example.com",
 "POST /ok\nEmail=dave%40example.com"]
--- error_code eval
[502, 502, 200, 200, 503]
--- response_headers eval
["X-Outcome: upstream_error", "X-Outcome: upstream_error", "X-Outcome: sent", "X-Outcome: sent", "X-Outcome: budget"]
--- error_log
resend_verify: nothing was sent (the gateway refused it), the reservation for a***@example.com is given back
--- no_error_log
[alert]
[crit]


=== TEST 5: InvalidAccessKeyId.NotFound: the gateway refused, released
--- http_config
    resend_verify_limit_zone zone=rv:1m cooldown=10m budget=2/1h;
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    resend_verify_limit zone=rv;
    resend_verify_detail on;
    add_header X-Outcome $resend_verify_outcome always;
    location = /resend { resend_verify /.fault; }
    location = /.fault {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/key-not-found;
    }
    location = /ok { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com",
 "POST /resend\nEmail=alice%40example.com",
 "POST /ok\nEmail=bob%40example.com",
 "POST /ok\nEmail=carol%40example.com",
 "POST /ok\nEmail=dave%40example.com"]
--- error_code eval
[502, 502, 200, 200, 503]
--- response_headers eval
["X-Outcome: upstream_error", "X-Outcome: upstream_error", "X-Outcome: sent", "X-Outcome: sent", "X-Outcome: budget"]
--- error_log
resend_verify: nothing was sent (the gateway refused it), the reservation for a***@example.com is given back
--- no_error_log
[alert]
[crit]


=== TEST 6: Throttling.User: the gateway refused, released
--- http_config
    resend_verify_limit_zone zone=rv:1m cooldown=10m budget=2/1h;
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    resend_verify_limit zone=rv;
    resend_verify_detail on;
    add_header X-Outcome $resend_verify_outcome always;
    location = /resend { resend_verify /.fault; }
    location = /.fault {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/throttling;
    }
    location = /ok { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com",
 "POST /resend\nEmail=alice%40example.com",
 "POST /ok\nEmail=bob%40example.com",
 "POST /ok\nEmail=carol%40example.com",
 "POST /ok\nEmail=dave%40example.com"]
--- error_code eval
[429, 429, 200, 200, 503]
--- response_headers eval
["X-Outcome: throttled", "X-Outcome: throttled", "X-Outcome: sent", "X-Outcome: sent", "X-Outcome: budget"]
--- error_log
resend_verify: nothing was sent (the gateway refused it), the reservation for a***@example.com is given back
--- no_error_log
[alert]
[crit]


=== TEST 7: ServiceUnavailable: the gateway refused, released
--- http_config
    resend_verify_limit_zone zone=rv:1m cooldown=10m budget=2/1h;
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    resend_verify_limit zone=rv;
    resend_verify_detail on;
    add_header X-Outcome $resend_verify_outcome always;
    location = /resend { resend_verify /.fault; }
    location = /.fault {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/unavailable;
    }
    location = /ok { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com",
 "POST /resend\nEmail=alice%40example.com",
 "POST /ok\nEmail=bob%40example.com",
 "POST /ok\nEmail=carol%40example.com",
 "POST /ok\nEmail=dave%40example.com"]
--- error_code eval
[503, 503, 200, 200, 503]
--- response_headers eval
["X-Outcome: unavailable", "X-Outcome: unavailable", "X-Outcome: sent", "X-Outcome: sent", "X-Outcome: budget"]
--- error_log
resend_verify: nothing was sent (the gateway refused it), the reservation for a***@example.com is given back
--- no_error_log
[alert]
[crit]


=== TEST 8: a read timeout after the request went out: kept
--- http_config
    resend_verify_limit_zone zone=rv:1m cooldown=10m budget=2/1h;
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    resend_verify_limit zone=rv;
    resend_verify_detail on;
    add_header X-Outcome $resend_verify_outcome always;
    location = /resend { resend_verify /.fault; }
    location = /.fault {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/stall;
        proxy_read_timeout 300ms;
    }
    location = /ok { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com",
 "POST /resend\nEmail=alice%40example.com",
 "POST /ok\nEmail=bob%40example.com",
 "POST /ok\nEmail=carol%40example.com",
 "POST /ok\nEmail=dave%40example.com"]
--- error_code eval
[504, 429, 200, 503, 503]
--- response_headers eval
["X-Outcome: timeout", "X-Outcome: cooldown", "X-Outcome: sent", "X-Outcome: budget", "X-Outcome: budget"]
--- error_log
resend_verify: the upstream call timed out
--- no_error_log
[alert]
[crit]
nothing was sent


=== TEST 9: a reset after the request went out: kept
--- http_config
    resend_verify_limit_zone zone=rv:1m cooldown=10m budget=2/1h;
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    resend_verify_limit zone=rv;
    resend_verify_detail on;
    add_header X-Outcome $resend_verify_outcome always;
    location = /resend { resend_verify /.fault; }
    location = /.fault {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/reset-before-headers;
    }
    location = /ok { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com",
 "POST /resend\nEmail=alice%40example.com",
 "POST /ok\nEmail=bob%40example.com",
 "POST /ok\nEmail=carol%40example.com",
 "POST /ok\nEmail=dave%40example.com"]
--- error_code eval
[502, 429, 200, 503, 503]
--- response_headers eval
["X-Outcome: upstream_error", "X-Outcome: cooldown", "X-Outcome: sent", "X-Outcome: budget", "X-Outcome: budget"]
--- error_log
resend_verify: the upstream call failed (502)
--- no_error_log
[alert]
[crit]
nothing was sent


=== TEST 10: InternalError: may have been acted on, kept
--- http_config
    resend_verify_limit_zone zone=rv:1m cooldown=10m budget=2/1h;
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    resend_verify_limit zone=rv;
    resend_verify_detail on;
    add_header X-Outcome $resend_verify_outcome always;
    location = /resend { resend_verify /.fault; }
    location = /.fault {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/internal-error;
    }
    location = /ok { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com",
 "POST /resend\nEmail=alice%40example.com",
 "POST /ok\nEmail=bob%40example.com",
 "POST /ok\nEmail=carol%40example.com",
 "POST /ok\nEmail=dave%40example.com"]
--- error_code eval
[502, 429, 200, 503, 503]
--- response_headers eval
["X-Outcome: upstream_error", "X-Outcome: cooldown", "X-Outcome: sent", "X-Outcome: budget", "X-Outcome: budget"]
--- error_log
Code: InternalError
--- no_error_log
[alert]
[crit]
nothing was sent


=== TEST 11: an HTML 503 page of a proxy: not proof, kept
--- http_config
    resend_verify_limit_zone zone=rv:1m cooldown=10m budget=2/1h;
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    resend_verify_limit zone=rv;
    resend_verify_detail on;
    add_header X-Outcome $resend_verify_outcome always;
    location = /resend { resend_verify /.fault; }
    location = /.fault {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/html-503;
    }
    location = /ok { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com",
 "POST /resend\nEmail=alice%40example.com",
 "POST /ok\nEmail=bob%40example.com",
 "POST /ok\nEmail=carol%40example.com",
 "POST /ok\nEmail=dave%40example.com"]
--- error_code eval
[503, 429, 200, 503, 503]
--- response_headers eval
["X-Outcome: unavailable", "X-Outcome: cooldown", "X-Outcome: sent", "X-Outcome: budget", "X-Outcome: budget"]
--- error_log
not the expected JSON
--- no_error_log
[alert]
[crit]
nothing was sent

