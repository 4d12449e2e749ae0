# Per-address cooldown and the send budget (resend_verify_limit_zone,
# resend_verify_limit): shared memory, checked before any upstream call.
# The blocks run first; then perl tests for what needs time or signals
# between requests: cooldown expiry, LRU eviction in a full zone, reload.
use RVTest;

use Time::HiRes ();

plan tests => planned_tests() + 18;

run_tests();

# ---------------------------------------------------------------------------
# Perl tests.  The upstream is a canned success in a local location (fast,
# no double); a call is counted by the module's "sent for" info line.

my $Canned = <<'EOC';
    location = /.canned {
        internal;
        return 200 '{"RequestId":"X","SuccessList":[]}';
    }
EOC

sub resend_location {
    my ($extra) = @_;
    $extra = '' unless defined $extra;
    return <<"EOC" . $Canned;
    location = /resend {
        resend_verify /.canned;
        resend_verify_access_key_id k;
        resend_verify_access_key_secret s;
        resend_verify_limit zone=rv;
        resend_verify_detail on;
        $extra
    }
EOC
}

sub resend {
    my ($email) = @_;
    (my $enc = $email) =~ s/@/%40/g;
    return http_request('POST', '/resend',
        { 'Content-Type' => 'application/x-www-form-urlencoded' },
        "Email=$enc");
}

sub count_lines {
    my ($re) = @_;
    my $n = () = error_log_text() =~ /$re/g;
    return $n;
}

# wait until the error log, past $from bytes, matches $re
sub wait_log {
    my ($from, $re, $secs) = @_;
    my $deadline = Time::HiRes::time() + ($secs || 5);
    while (Time::HiRes::time() < $deadline) {
        return 1 if substr(error_log_text(), $from) =~ $re;
        Time::HiRes::sleep(0.05);
    }
    return 0;
}

# 1. the cooldown expires

start_nginx(resend_location(),
    http_config => 'resend_verify_limit_zone zone=rv:1m cooldown=1s;',
    log_level => 'info');

my $r1 = resend('alice@example.com');
my $r2 = resend('alice@example.com');
Time::HiRes::sleep(1.2);
my $r3 = resend('alice@example.com');
stop_nginx();

is($r1->{status}, 200, 'expiry: first request 200');
is($r2->{status}, 429, 'expiry: again at once 429');
is($r2->{headers}{'retry-after'}, '1', 'expiry: Retry-After: 1');
is($r3->{status}, 200, 'expiry: after the cooldown 200 again');
is(count_lines(qr/resend_verify: sent for a\*\*\*\@example\.com/), 2,
   'expiry: two upstream calls');

# 2. LRU eviction: the smallest zone, many distinct addresses

start_nginx(resend_location(),
    http_config =>
        'resend_verify_limit_zone zone=rv:' . (8 * POSIX::sysconf(
            POSIX::_SC_PAGESIZE()) / 1024) . 'k cooldown=1h;',
    log_level => 'info');

my $n = 2000;
my (%status, $t0);
$t0 = Time::HiRes::time();
for my $i (1 .. $n) {
    my $r = resend("user$i\@example.com");
    $status{$r->{error} ? "error: $r->{error}" : $r->{status}}++;
}
my $last = resend("user$n\@example.com");
my $first = resend('user1@example.com');
my $elapsed = Time::HiRes::time() - $t0;
stop_nginx();

is_deeply(\%status, { 200 => $n }, "LRU: $n distinct addresses, all 200")
    or diag(explain(\%status));
is(count_lines(qr/\[warn\].*resend_verify: zone "rv" is full, evicting/), 1,
   'LRU: one "is full, evicting" warning');
is($last->{status}, 429, 'LRU: the most recent address still cools down');
is($first->{status}, 200, 'LRU: the oldest address was evicted: 200');
is(count_lines(qr/\[(?:error|crit|alert|emerg)\]/), 0,
   'LRU: no error lines');
diag(sprintf "LRU: %d requests in %.1fs", $n + 2, $elapsed)
    if $ENV{TEST_VERBOSE};

# 3. reload (HUP): the zone and its entries survive; a new cooldown applies

my $conf60 = RVTest::build_conf(
    config => resend_location('add_header X-Pid $pid always;'),
    http_config => 'resend_verify_limit_zone zone=rv:1m cooldown=60s;',
    log_level => 'info');
(my $conf30 = $conf60) =~ s/cooldown=60s/cooldown=30s/ or die;

start_nginx($conf60);

my $h1 = resend('alice@example.com');

RVTest::spew(RVTest::conf_file(), $conf30);
my $from = length error_log_text();
my ($master) = RVTest::slurp(servroot() . '/logs/nginx.pid') =~ /(\d+)/;
kill 'HUP', $master;
my $reloaded = wait_log($from, qr/gracefully shutting down/);

my $h2 = resend('alice@example.com');
my $h3 = resend('bob@example.com');
stop_nginx();

ok($reloaded, 'reload: the old worker shut down');
is($h1->{status}, 200, 'reload: first request 200');
isnt($h2->{headers}{'x-pid'}, $h1->{headers}{'x-pid'},
     'reload: a new worker answers');
is($h2->{status}, 429, 'reload: the address still cools down');
ok(defined $h2->{headers}{'retry-after'}
       && $h2->{headers}{'retry-after'} >= 28
       && $h2->{headers}{'retry-after'} <= 30,
   'reload: Retry-After follows the new cooldown of 30s')
    or diag("Retry-After: " . ($h2->{headers}{'retry-after'} // 'none'));
is($h3->{status}, 200, 'reload: another address 200');
is(count_lines(qr/resend_verify: sent for/), 2, 'reload: two upstream calls');
is(count_lines(qr/\[(?:error|crit|alert|emerg)\]/), 0,
   'reload: no error lines');

__DATA__

=== TEST 1: the same address again: 429 with Retry-After, no upstream call
--- http_config
    resend_verify_limit_zone zone=rv:1m cooldown=60s;
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_limit zone=rv;
        resend_verify_detail on;
        add_header X-Outcome $resend_verify_outcome always;
        add_header X-Error $resend_verify_error always;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request eval
["POST /resend\nEmail=alice%40example.com",
 "POST /resend\nEmail=alice%40example.com",
 "POST /resend\nEmail=alice%40example.com&Lang=zh"]
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code eval
[200, 429, 429]
--- response_headers eval
["X-Outcome: sent\n!Retry-After",
 "Retry-After: 60\nX-Outcome: cooldown\nX-Error: TooManyRequests\nContent-Type: application/json; charset=utf-8\nCache-Control: no-store",
 "X-Outcome: cooldown"]
--- response_headers_like eval
[undef, undef, "Retry-After: ^(59|60)\$"]
--- response_json eval
['{"ok": true}',
 '{"ok": false, "error": {"code": "TooManyRequests", "message": "Please wait before asking for another email."}}',
 '{"ok": false, "error": {"code": "TooManyRequests", "message": "请稍候再请求发送邮件。"}}']
--- upstream_requests: 1
--- error_log
resend_verify: cooldown for a***@example.com, retry in 60 s
--- no_error_log
[error]
[warn]
alice@example.com



=== TEST 2: another address is not affected
--- http_config
    resend_verify_limit_zone zone=rv:1m cooldown=60s;
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_limit zone=rv;
        resend_verify_detail on;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request eval
["POST /resend\nEmail=alice%40example.com",
 "POST /resend\nEmail=bob%40example.com",
 "POST /resend\nEmail=alice%40example.org",
 "POST /resend\nEmail=bob%40example.com"]
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code eval
[200, 200, 200, 429]
--- upstream_requests: 3
--- no_error_log
[error]



=== TEST 3: the key is case-insensitive for ASCII; other UTF-8 of the local part is kept as it is
--- http_config
    resend_verify_limit_zone zone=rv:1m cooldown=60s;
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_limit zone=rv;
        resend_verify_detail on;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request eval
["POST /resend\nEmail=alice%40example.com",
 "POST /resend\nEmail=ALICE%40EXAMPLE.COM",
 "POST /resend\nEmail=Alice%40Example.Com",
 "POST /resend\nEmail=jos%C3%A9%40example.com",
 "POST /resend\nEmail=JOS%C3%A9%40EXAMPLE.com",
 "POST /resend\nEmail=jos%C3%89%40example.com"]
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code eval
[200, 429, 429, 200, 429, 200]
--- upstream_requests: 3
--- error_log
resend_verify: cooldown for A***@EXAMPLE.COM, retry in
--- no_error_log
[error]



=== TEST 4: two addresses, one cooling down: the whole request is refused, nothing reserved
--- http_config
    resend_verify_limit_zone zone=rv:1m cooldown=60s;
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_max_emails 2;
        resend_verify_limit zone=rv;
        resend_verify_detail on;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request eval
["POST /resend\nEmail=alice%40example.com",
 "POST /resend\nEmail=bob%40example.com%2Calice%40example.com",
 "POST /resend\nEmail=bob%40example.com",
 "POST /resend\nEmail=carol%40example.com&Email=dave%40example.com",
 "POST /resend\nEmail=dave%40example.com"]
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code eval
[200, 429, 200, 200, 429]
--- response_json eval
[undef, '{"ok": false, "error": {"code": "TooManyRequests"}}']
--- upstream_requests: 3
--- error_log
resend_verify: cooldown for b***@example.com,+1, retry in 60 s
--- no_error_log
[error]



=== TEST 5: the budget: 503 SendLimitReached with Retry-After, one error line a period
--- http_config
    resend_verify_limit_zone zone=rv:1m cooldown=60s budget=3/1h;
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_max_emails 3;
        resend_verify_limit zone=rv;
        resend_verify_detail on;
        add_header X-Outcome $resend_verify_outcome always;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request eval
["POST /resend\nEmail=a%40example.com",
 "POST /resend\nEmail=b%40example.com%2Cc%40example.com%2Cd%40example.com",
 "POST /resend\nEmail=b%40example.com%2Cc%40example.com",
 "POST /resend\nEmail=e%40example.com",
 "POST /resend\nEmail=f%40example.com",
 "POST /resend\nEmail=g%40example.com",
 "POST /resend\nEmail=a%40example.com"]
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code eval
[200, 503, 200, 503, 503, 503, 429]
--- response_headers eval
[undef, "X-Outcome: budget", undef, "X-Outcome: budget", undef, undef,
 "X-Outcome: cooldown\nRetry-After: 60"]
--- response_headers_like eval
[undef, 'Retry-After: ^\d+$', undef, 'Retry-After: ^\d+$']
--- response_json eval
[undef, '{"ok": false, "error": {"code": "SendLimitReached", "message": "Too many emails are being sent right now. Try again later."}}',
 undef, '{"ok": false, "error": {"code": "SendLimitReached"}}']
--- upstream_requests: 2
--- custom_check eval
[sub {
    my ($last, $recs, $log, $all) = @_;
    my $n = () = $log =~ /\[error\].*resend_verify: send budget of zone "rv" exhausted: 3 sends per 1h/g;
    die "the budget line was logged $n times\n" unless $n == 1;
    1
 },
 sub {
    my ($last, $recs, $log, $all) = @_;
    # the end of the current hour UTC, seen from the test
    my $left = 3600 - time() % 3600;
    for my $i (1, 3, 4, 5) {
        my $ra = $all->[$i]{headers}{'retry-after'};
        die "request " . ($i + 1) . ": Retry-After $ra, expected about $left\n"
            unless $ra >= 1 && $ra <= 3600 && abs($ra - $left) <= 2;
    }
    1
 }]
--- error_log
resend_verify: send budget exhausted, b***@example.com,+2 refused, retry in
--- no_error_log
[warn]



=== TEST 6: "resend_verify_limit off" in a nested location; inheritance
--- http_config
    resend_verify_limit_zone zone=rv:1m cooldown=60s;
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    resend_verify_limit zone=rv;
    resend_verify_detail on;
    location /r/ {
        location = /r/free {
            resend_verify /.aliyun;
            resend_verify_limit off;
        }
        location = /r/limited {
            resend_verify /.aliyun;
        }
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request eval
["POST /r/free\nEmail=alice%40example.com",
 "POST /r/free\nEmail=alice%40example.com",
 "POST /r/limited\nEmail=alice%40example.com",
 "POST /r/limited\nEmail=alice%40example.com",
 "POST /r/free\nEmail=alice%40example.com"]
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code eval
[200, 200, 200, 429, 200]
--- upstream_requests: 4
--- no_error_log
[error]



=== TEST 7: http level, used before the zone is defined
--- http_config
    resend_verify_limit zone=rv;
    resend_verify_detail on;
    resend_verify_limit_zone zone=rv:64k cooldown=2m;
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- config_ok
--- request eval
["POST /resend\nEmail=alice%40example.com",
 "POST /resend\nEmail=alice%40example.com"]
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code eval
[200, 429]
--- response_headers eval
[undef, "Retry-After: 120"]
--- upstream_requests: 1



=== TEST 8: a refused request is not reserved: invalid input is checked first
--- http_config
    resend_verify_limit_zone zone=rv:1m cooldown=60s budget=1/1d;
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_limit zone=rv;
        resend_verify_detail on;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request eval
["POST /resend\nEmail=alice%40example",
 "POST /resend\nEmail=alice%40example.com",
 "POST /resend\nEmail=bob%40example.com"]
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code eval
[400, 200, 503]
--- upstream_requests: 1



=== TEST 9: the cooldown is shared by the workers
--- main_config
    worker_processes 2;
--- http_config
    resend_verify_limit_zone zone=rv:1m cooldown=60s;
    server {
        # reuseport: the kernel spreads the connections over the workers
        listen 127.0.0.1:$TEST_NGINX_PORT reuseport;
        server_name workers.test;
        location = /resend {
            resend_verify /.aliyun;
            resend_verify_access_key_id $TEST_NGINX_KEY_ID;
            resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
            resend_verify_limit zone=rv;
            resend_verify_detail on;
            add_header X-Pid $pid always;
        }
        location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
    }
--- config
--- request eval
[map { "POST /resend\nEmail=alice%40example.com" } 1 .. 24]
--- more_headers
Host: workers.test
Content-Type: application/x-www-form-urlencoded
--- error_code eval
[200, (429) x 23]
--- upstream_requests: 1
--- custom_check eval
sub {
    my ($last, $recs, $log, $all) = @_;
    my %pids = map { $_->{headers}{'x-pid'} => 1 } @$all;
    die "one worker served every request: " . join(',', keys %pids) . "\n"
        unless keys %pids >= 2;
    my %refused = map { $_->{headers}{'x-pid'} => 1 }
                  grep { $_->{status} == 429 } @$all;
    die "no worker other than the first refused\n"
        unless grep { $_ ne $all->[0]{headers}{'x-pid'} } keys %refused;
    1
}
--- no_error_log
[error]



=== TEST 10: an unknown zone
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id a;
        resend_verify_access_key_secret b;
        resend_verify_limit zone=nope;
    }
--- must_die
--- error_log
unknown resend_verify_limit_zone "nope"



=== TEST 11: zone sizes
--- http_config eval
"resend_verify_limit_zone zone=small:" . (4 * POSIX::sysconf(POSIX::_SC_PAGESIZE()) / 1024) . "k cooldown=60s;"
--- must_die
--- error_log eval
qr/zone "zone=small:\d+k" is too small in "resend_verify_limit_zone" directive, it must be at least \d+k/



=== TEST 12: a zone size that is not a size
--- http_config
    resend_verify_limit_zone zone=rv:lots cooldown=60s;
--- must_die
--- error_log
invalid zone size "zone=rv:lots" in "resend_verify_limit_zone" directive



=== TEST 13: a zone without a size
--- http_config
    resend_verify_limit_zone zone=rv cooldown=60s;
--- must_die
--- error_log
invalid zone "zone=rv" in "resend_verify_limit_zone" directive, it must be "zone=NAME:SIZE"



=== TEST 14: a cooldown of 0
--- http_config
    resend_verify_limit_zone zone=rv:1m cooldown=0s;
--- must_die
--- error_log
invalid cooldown "cooldown=0s" in "resend_verify_limit_zone" directive, it must be from 1s to 7d



=== TEST 15: a cooldown over 7 days
--- http_config
    resend_verify_limit_zone zone=rv:1m cooldown=8d;
--- must_die
--- error_log
invalid cooldown "cooldown=8d" in "resend_verify_limit_zone" directive



=== TEST 16: a cooldown in milliseconds
--- http_config
    resend_verify_limit_zone zone=rv:1m cooldown=500ms;
--- must_die
--- error_log
invalid cooldown "cooldown=500ms"



=== TEST 17: a budget of 0
--- http_config
    resend_verify_limit_zone zone=rv:1m cooldown=60s budget=0/1h;
--- must_die
--- error_log
invalid budget "budget=0/1h" in "resend_verify_limit_zone" directive, it must be "budget=N/TIME", N from 1 to 1000000000, TIME from 1s to 30d



=== TEST 18: a budget without a period
--- http_config
    resend_verify_limit_zone zone=rv:1m cooldown=60s budget=100;
--- must_die
--- error_log
invalid budget "budget=100"



=== TEST 19: a budget over 10^9
--- http_config
    resend_verify_limit_zone zone=rv:1m cooldown=60s budget=1000000001/1h;
--- must_die
--- error_log
invalid budget "budget=1000000001/1h"



=== TEST 20: a budget period over 30 days
--- http_config
    resend_verify_limit_zone zone=rv:1m cooldown=60s budget=10/31d;
--- must_die
--- error_log
invalid budget "budget=10/31d"



=== TEST 21: the largest values are fine
--- http_config
    resend_verify_limit_zone zone=rv:1m cooldown=7d budget=1000000000/30d;
--- config
    location = /t { return 204; }
--- config_ok
--- request
GET /t
--- error_code: 204



=== TEST 22: a zone defined twice
--- http_config
    resend_verify_limit_zone zone=rv:1m cooldown=60s;
    resend_verify_limit_zone zone=rv:1m cooldown=30s;
--- must_die
--- error_log
duplicate zone "rv" in "resend_verify_limit_zone" directive



=== TEST 23: a zone name already used by limit_req
--- http_config
    limit_req_zone $binary_remote_addr zone=rv:1m rate=1r/s;
    resend_verify_limit_zone zone=rv:1m cooldown=60s;
--- must_die
--- error_log
the shared memory zone "rv" is already declared for a different use



=== TEST 24: a zone without a cooldown
--- http_config
    resend_verify_limit_zone zone=rv:1m budget=10/1h;
--- must_die
--- error_log
"resend_verify_limit_zone" must have "cooldown" parameter



=== TEST 25: a zone without a name
--- http_config
    resend_verify_limit_zone cooldown=60s;
--- must_die
--- error_log
"resend_verify_limit_zone" must have "zone" parameter



=== TEST 26: an unknown parameter
--- http_config
    resend_verify_limit_zone zone=rv:1m cooldown=60s rate=1r/s;
--- must_die
--- error_log
invalid parameter "rate=1r/s" in "resend_verify_limit_zone" directive



=== TEST 27: a parameter twice
--- http_config
    resend_verify_limit_zone zone=rv:1m cooldown=60s cooldown=30s;
--- must_die
--- error_log
duplicate parameter "cooldown=30s" in "resend_verify_limit_zone" directive



=== TEST 31: a request that fails before the call does not hold its address back
--- http_config
    resend_verify_limit_zone zone=rv:1m cooldown=60s;
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $http_x_key_id;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_limit zone=rv;
        resend_verify_detail on;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request eval
["POST /resend\nEmail=alice%40example.com", "POST /resend\nEmail=alice%40example.com"]
--- more_headers eval
["Content-Type: application/x-www-form-urlencoded",
 "Content-Type: application/x-www-form-urlencoded\nX-Key-Id: $ENV{TEST_NGINX_KEY_ID}"]
--- error_code eval
[500, 200]
--- upstream_requests: 1



=== TEST 28: the zone directive is http-only
--- config
    resend_verify_limit_zone zone=rv:1m cooldown=60s;
--- must_die
--- error_log
"resend_verify_limit_zone" directive is not allowed here



=== TEST 29: resend_verify_limit wants zone=NAME or off
--- http_config
    resend_verify_limit_zone zone=rv:1m cooldown=60s;
--- config
    resend_verify_limit rv;
--- must_die
--- error_log
invalid parameter "rv" in "resend_verify_limit" directive, it must be "zone=NAME" or "off"



=== TEST 30: resend_verify_limit twice
--- http_config
    resend_verify_limit_zone zone=rv:1m cooldown=60s;
--- config
    resend_verify_limit zone=rv;
    resend_verify_detail on;
    resend_verify_limit off;
--- must_die
--- error_log
"resend_verify_limit" directive is duplicate
