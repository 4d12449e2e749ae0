# The fleet store (resend_verify_limit ... store=, resend_verify_redis_*)
# against a real redis-server started here with an ACL user that has only
# the commands the module needs: reservations, cooldowns and the budget in
# the store; the keys it writes; EVALSHA and the EVAL after SCRIPT FLUSH;
# keepalive; two nginx instances sharing the store as two edge nodes.
use strict;
use warnings;

use lib 't/lib';
use RVTest;
use RVRedis;

use Digest::SHA ();
use MIME::Base64 ();
use IO::Socket::INET ();
use IO::Select ();
use Time::HiRes ();
use Test::More;

my $Redis = RVRedis::redis_server()
    or plan skip_all => 'redis-server is not installed (tools/install-deps.sh)';

plan tests => 50;

my $StorePort = $ENV{TEST_NGINX_PORT} + 2;
my $NodeBPort = $ENV{TEST_NGINX_PORT} + 3;
my $Secret = 'fleet-secret-for-the-tests-0123456789';

RVTest::init_servroot();
my $Root = servroot();
RVRedis::spew("$Root/store.key", "$Secret\n");
RVRedis::spew("$Root/store.auth",
              "$RVRedis::EdgeUser $RVRedis::EdgePassword\n");

my $store = RVRedis::start(name => 'main', port => $StorePort, acl => 1);

sub conf {
    my (%o) = @_;
    my $zone = $o{zone} || 'fleet';
    return <<"EOC";
    location = /resend {
        resend_verify /.canned;
        resend_verify_access_key_id k;
        resend_verify_access_key_secret s;
        resend_verify_detail on;
        resend_verify_limit zone=$zone store=/.store;
    }
    location = /resend-nokey {
        resend_verify /.canned;
        resend_verify_access_key_id \$http_x_no_such_header;
        resend_verify_access_key_secret s;
        resend_verify_detail on;
        resend_verify_limit zone=$zone store=/.store;
    }
    location = /.canned {
        internal;
        return 200 '{"RequestId":"X","SuccessList":[]}';
    }
    location = /.store {
        internal;
        resend_verify_redis_pass rv_store;
        resend_verify_redis_auth_file $Root/store.auth;
        resend_verify_redis_key_file $Root/store.key;
    }
    location = /metrics {
        resend_verify_status;
    }
EOC
}

sub http_conf {
    my (%o) = @_;
    my $zone = $o{zone} || 'fleet';
    my $budget = $o{budget} || 100;
    return <<"EOC";
    resend_verify_limit_zone zone=$zone:1m cooldown=10m budget=$budget/1h;
    upstream rv_store {
        server 127.0.0.1:$StorePort;
        keepalive 4;
    }
EOC
}

sub form {
    my ($email) = @_;
    (my $enc = $email) =~ s/@/%40/g;
    return "Email=$enc";
}

sub resend {
    my ($email, $port) = @_;
    local $ENV{TEST_NGINX_PORT} = $port || $ENV{TEST_NGINX_PORT};
    return http_request('POST', '/resend',
        { 'Content-Type' => 'application/x-www-form-urlencoded' },
        form($email));
}

sub metrics {
    my ($port) = @_;
    local $ENV{TEST_NGINX_PORT} = $port || $ENV{TEST_NGINX_PORT};
    return http_request('GET', '/metrics')->{body};
}

sub metric {
    my ($text, $name) = @_;
    return $text =~ /^\Q$name\E (\d+)$/m ? $1 : undef;
}

sub calls {
    my ($log) = @_;
    my $n = () = $log =~ /resend_verify: sent for /g;
    return $n;
}

# the key the store must hold for an address: a third implementation
sub cooldown_key {
    my ($zone, $email) = @_;
    my $mac = Digest::SHA::hmac_sha256("rv1\0" . lc($email), $Secret);
    my $b64 = MIME::Base64::encode_base64(substr($mac, 0, 16), '');
    $b64 =~ tr{+/}{-_};
    return "rv:{$zone}:c:" . substr($b64, 0, 22);
}

sub window_key {
    my ($zone) = @_;
    my $t = time;
    return "rv:{$zone}:b:" . ($t - $t % 3600);
}

sub connections {
    my $info = RVRedis::cmd($store, 'INFO', 'stats');
    return $info =~ /total_connections_received:(\d+)/ ? $1 : -1;
}

# ---------------------------------------------------------------------------
# One node

start_nginx(conf(), http_config => http_conf(), log_level => 'info');

my $r = resend('alice@example.com');
is($r->{status}, 200, 'accepted: 200');
is(calls(error_log_text()), 1, 'accepted: one call');

my @keys = RVRedis::scan_keys($store);
is(scalar @keys, 2, 'the store holds two keys: a cooldown, a window');
my ($ck) = grep { $_->{key} =~ /:c:/ } @keys;
my ($bk) = grep { $_->{key} =~ /:b:/ } @keys;
is($ck && $ck->{key}, cooldown_key('fleet', 'alice@example.com'),
   'cooldown key: HMAC-SHA256 of the address under the fleet secret');
ok($ck && $ck->{pttl} > 590000 && $ck->{pttl} <= 600000,
   'cooldown key: TTL of the cooldown');
like($ck && $ck->{value}, qr/^[0-9a-f]{16}$/,
     'cooldown key: its value is a reservation token');
is($bk && $bk->{key}, window_key('fleet'), 'budget key: by its window');
is($bk && $bk->{value}, '1', 'budget key: one send');
ok($bk && $bk->{pttl} > 0 && $bk->{pttl} <= (3600 + 60) * 1000,
   'budget key: expires a minute after its window');

$r = resend('Alice@example.com');
is($r->{status}, 429, 'again: 429');
is(calls(error_log_text()), 1, 'again: no call');
like(metrics(), qr/^resend_verify_store_skipped_total\{why="local_cooldown"\} 1$/m,
     'again: refused by the node\'s zone with no round trip');

# a cooldown another node took: the store says so

RVRedis::cmd($store, 'SET', cooldown_key('fleet', 'bob@example.com'),
             '0123456789abcdef', 'PX', '300000');
$r = resend('bob@example.com');
is($r->{status}, 429, 'cooldown in the store: 429');
ok(($r->{headers}{'retry-after'} || 0) >= 299
   && ($r->{headers}{'retry-after'} || 0) <= 300,
   'cooldown in the store: Retry-After from its TTL');
is(RVRedis::cmd($store, 'GET', window_key('fleet')), '1',
   'cooldown in the store: no budget spent');

# the budget spent by the fleet

RVRedis::cmd($store, 'SET', window_key('fleet'), '100', 'PX', '60000');
$r = resend('carol@example.com');
is($r->{status}, 503, 'budget spent: 503');
like($r->{body}, qr/SendLimitReached/, 'budget spent: SendLimitReached');
is(RVRedis::cmd($store, 'EXISTS', cooldown_key('fleet', 'carol@example.com')),
   0, 'budget spent: no cooldown started');
RVRedis::cmd($store, 'SET', window_key('fleet'), '1', 'PX', '3660000');

# the script gone (a restart, a failover): EVAL, then EVALSHA again

RVRedis::cmd($store, 'SCRIPT', 'FLUSH');
$r = resend('dave@example.com');
is($r->{status}, 200, 'after SCRIPT FLUSH: 200');
$r = resend('erin@example.com');
is($r->{status}, 200, 'after SCRIPT FLUSH, again: 200');
my $m = metrics();
is(metric($m, 'resend_verify_store_calls_total{result="noscript"}'), 2,
   'NOSCRIPT twice: a fresh store, and after SCRIPT FLUSH');
is(metric($m, 'resend_verify_store_calls_total{result="reserved"}'), 3,
   'three reservations in the store');
is(metric($m, 'resend_verify_store_calls_total{result="cooldown"}'), 1,
   'one cooldown from the store');
is(metric($m, 'resend_verify_store_calls_total{result="budget"}'), 1,
   'one budget refusal from the store');
like($m, qr/^resend_verify_store_duration_seconds_count [1-9]\d*$/m,
     'the latency histogram counts the calls');

# keepalive: three more requests, no new connection

my $c0 = connections();
resend("kept$_\@example.com") for 1 .. 3;
my $c1 = connections();
is($c1 - $c0 - 1, 0, 'keepalive: three calls on the kept-alive connection');

# a request answered before its call gives its reservation back, to the
# store too (in the background)

my $used = RVRedis::cmd($store, 'GET', window_key('fleet'));
$r = http_request('POST', '/resend-nokey',
    { 'Content-Type' => 'application/x-www-form-urlencoded' },
    form('henry@example.com'));
is($r->{status}, 500, 'no AccessKey: 500, after the reservation');
my $deadline = Time::HiRes::time() + 10;
Time::HiRes::sleep(0.05)
    while RVRedis::cmd($store, 'EXISTS', cooldown_key('fleet', 'henry@example.com'))
        && Time::HiRes::time() < $deadline;
is(RVRedis::cmd($store, 'EXISTS', cooldown_key('fleet', 'henry@example.com')),
   0, 'released: the store\'s cooldown is gone');
is(RVRedis::cmd($store, 'GET', window_key('fleet')), $used,
   'released: the send is given back to the window');
like(metrics(), qr/^resend_verify_store_calls_total\{result="released"\} 1$/m,
     'released: counted');

is(calls(error_log_text()), 6, 'six calls in all');
unlike(error_log_text() =~ s/^.*AccessKey id or secret is empty.*$//mr,
       qr/\[error\]/, 'no error logged (but the missing AccessKey)');
unlike(error_log_text(), qr/\Q$RVRedis::EdgePassword\E|\Q$Secret\E/,
       'no secret in the log');

stop_nginx();

# ---------------------------------------------------------------------------
# Two nodes sharing the store

sub start_node_b {
    my (%o) = @_;
    local $ENV{TEST_NGINX_PORT} = $NodeBPort;
    my $conf = RVTest::build_conf(config => conf(%o),
                                  http_config => http_conf(%o),
                                  log_level => 'info');
    my $d = "$Root/node-b";
    File::Path::make_path("$d/logs", "$d/conf");
    $conf =~ s{\Q$Root\E/logs/}{$d/logs/}g;
    $conf =~ s{\Q$Root\E/(\w+_temp)}{$d/$1}g;
    RVRedis::spew("$d/conf/nginx.conf", $conf);
    unlink "$d/logs/nginx.pid", "$d/logs/error.log";
    my $pid = RVTest::spawn(cmd => [nginx_binary(), '-p', "$d/", '-c',
                                    "$d/conf/nginx.conf"],
                            stdout => "$d/logs/stderr", stderr => "$d/logs/stderr");
    my $deadline = Time::HiRes::time() + 10;
    until (RVRedis::slurp("$d/logs/nginx.pid") =~ /^\d+/) {
        die "node B did not start:\n" . RVRedis::slurp("$d/logs/stderr")
            if Time::HiRes::time() > $deadline;
        Time::HiRes::sleep(0.02);
    }
    return $pid;
}

sub node_b_log { RVRedis::slurp("$Root/node-b/logs/error.log") }

sub stop_node_b {
    my ($pid) = @_;
    RVTest::terminate($pid, 'QUIT', 5);
}

start_nginx(conf(), http_config => http_conf(), log_level => 'info');
my $b = start_node_b();

$r = resend('frank@example.com');
is($r->{status}, 200, 'two nodes: accepted at A');
$r = resend('frank@example.com', $NodeBPort);
is($r->{status}, 429, 'two nodes: refused at B');
is(calls(node_b_log()), 0, 'two nodes: no call at B');
like(metrics($NodeBPort),
     qr/^resend_verify_store_calls_total\{result="cooldown"\} 1$/m,
     'two nodes: B learnt it from the store');

stop_node_b($b);
stop_nginx();

# a budget of 3 over both nodes admits exactly 3

start_nginx(conf(zone => 'b3'), http_config => http_conf(zone => 'b3',
            budget => 3), log_level => 'info');
$b = start_node_b(zone => 'b3', budget => 3);

my %st;
for my $i (1 .. 8) {
    my $x = resend("budget$i\@example.com", $i % 2 ? undef : $NodeBPort);
    $st{$x->{status}}++;
}
is($st{200} || 0, 3, 'budget 3 over two nodes: 3 accepted');
is($st{503} || 0, 5, 'budget 3 over two nodes: the others refused');
is(calls(error_log_text()) + calls(node_b_log()), 3,
   'budget 3 over two nodes: 3 calls in all');
is(RVRedis::cmd($store, 'GET', window_key('b3')), '3',
   'budget 3 over two nodes: the window counts 3');

stop_node_b($b);
stop_nginx();

# 50 concurrent requests for one address, spread over both: one call

start_nginx(conf(zone => 'c50'), http_config => http_conf(zone => 'c50'),
            log_level => 'info');
$b = start_node_b(zone => 'c50');

sub parallel {
    my (@ports) = @_;
    my (@socks, %buf);
    for my $p (@ports) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p,
                                      Proto => 'tcp', Timeout => 5)
            or die "connect $p: $!";
        push @socks, $s;
    }
    my $body = form('grace@example.com');
    for my $s (@socks) {
        syswrite($s, "POST /resend HTTP/1.1\r\nHost: localhost\r\n"
            . "Origin: http://localhost\r\nConnection: close\r\n"
            . "Content-Type: application/x-www-form-urlencoded\r\n"
            . "Content-Length: " . length($body) . "\r\n\r\n$body");
    }
    my $sel = IO::Select->new(@socks);
    my $deadline = Time::HiRes::time() + 20;
    while ($sel->count && Time::HiRes::time() < $deadline) {
        for my $s ($sel->can_read(0.5)) {
            my $n = sysread($s, $buf{$s}, 65536, length($buf{$s} // ''));
            $sel->remove($s) unless $n;
        }
    }
    my %status;
    for my $s (@socks) {
        my $code = ($buf{$s} // '') =~ m{^HTTP/1\.1 (\d+)} ? $1 : 'none';
        $status{$code}++;
    }
    return \%status;
}

my $before = calls(error_log_text()) + calls(node_b_log());
my $par = parallel(map { $_ % 2 ? $ENV{TEST_NGINX_PORT} : $NodeBPort } 1 .. 50);
is($par->{200} || 0, 1, '50 concurrent requests on two nodes: one accepted');
is($par->{429} || 0, 49, '50 concurrent requests on two nodes: 49 refused');
is(calls(error_log_text()) + calls(node_b_log()) - $before, 1,
   '50 concurrent requests on two nodes: one call');

stop_node_b($b);
stop_nginx();

# ---------------------------------------------------------------------------
# What the store holds after the run: only rv:{zone}: keys, each with a
# TTL, none with an address or a plain hash of one

my @emails = map { ("$_\@example.com", ucfirst($_) . '@example.com') }
    qw(alice bob carol dave erin frank grace henry kept1 kept2 kept3),
    map { "budget$_" } 1 .. 8;
my @plain;
for my $e (@emails) {
    for my $d (Digest::SHA::sha256($e), Digest::SHA::sha256(lc $e)) {
        (my $b64 = MIME::Base64::encode_base64($d, '')) =~ tr{+/}{-_};
        push @plain, unpack('H*', $d), substr($b64, 0, 22),
            substr(MIME::Base64::encode_base64($d, ''), 0, 22);
    }
}

@keys = RVRedis::scan_keys($store);
ok(@keys > 10, 'scan: the store holds the run\'s keys');
is(scalar(grep { $_->{key} !~ /^rv:\{(?:fleet|b3|c50)\}:(?:c:[A-Za-z0-9_-]{22}|b:\d+)$/ } @keys),
   0, 'scan: only rv:{zone}:c:HASH and rv:{zone}:b:WINDOW keys');
is(scalar(grep { !($_->{pttl} > 0) } @keys), 0, 'scan: every key has a TTL');
my $all = join("\n", map { "$_->{key} " . ($_->{value} // '') } @keys);
is(scalar(grep { index($all, $_) >= 0 } @emails, 'example', '@'), 0,
   'scan: no address in a key or a value');
is(scalar(grep { index($all, $_) >= 0 } @plain), 0,
   'scan: no plain hash of an address');
is(scalar(grep { ($_->{value} // '') !~ /^(?:[0-9a-f]{16}|\d+)$/ } @keys), 0,
   'scan: values are tokens and counts only');

RVRedis::stop($store);
