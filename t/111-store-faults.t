# The fleet store failing, every way we know: stopped, restarted mid-run
# (a kept-alive connection broken), slow (accepts, never answers), a wrong
# password, a read-only replica, out of memory, a server that is not
# Redis, TLS against a plain port and a plain client against a TLS port.
# Each gives a clean JSON reply with the policy applied (fallback=local:
# the node's zone; fallback=refuse: 503 with Retry-After), one error line
# per failure streak naming the reason, and no secret in the log.
use strict;
use warnings;

use lib 't/lib';
use RVTest;
use RVRedis;

use Time::HiRes ();
use Test::More;

RVRedis::redis_server()
    or plan skip_all => 'redis-server is not installed (tools/install-deps.sh)';

plan tests => 44;

my $P = $ENV{TEST_NGINX_PORT};
my ($StorePort, $OtherPort, $FakePort, $TlsPort) = ($P + 2, $P + 4, $P + 5,
                                                     $P + 6);

RVTest::init_servroot();
my $Root = servroot();
RVRedis::spew("$Root/store.key", "fleet-secret-for-the-tests-0123456789\n");
RVRedis::spew("$Root/store.auth",
              "$RVRedis::EdgeUser $RVRedis::EdgePassword\n");
RVRedis::spew("$Root/wrong.auth", "$RVRedis::EdgeUser not-the-password\n");
my $Ca = RVRedis::test_ca();

sub conf {
    my (%o) = @_;
    my $fallback = $o{fallback} || 'local';
    my $port = $o{port} || $StorePort;
    my $auth = $o{auth} || 'store.auth';
    my $tls = $o{tls} ? <<"EOT" : '';
        resend_verify_redis_ssl on;
        resend_verify_redis_ssl_trusted_certificate $Ca->{ca};
        resend_verify_redis_ssl_name localhost;
EOT
    return (<<"EOC", http_config => <<"EOH", log_level => 'info');
    location = /resend {
        resend_verify /.canned;
        resend_verify_access_key_id k;
        resend_verify_access_key_secret s;
        resend_verify_detail on;
        resend_verify_limit zone=fleet store=/.store fallback=$fallback;
    }
    location = /.canned {
        internal;
        return 200 '{"RequestId":"X","SuccessList":[]}';
    }
    location = /.store {
        internal;
        resend_verify_redis_pass 127.0.0.1:$port;
        resend_verify_redis_auth_file $Root/$auth;
        resend_verify_redis_key_file $Root/store.key;
$tls    }
    location = /metrics {
        resend_verify_status;
    }
EOC
    resend_verify_limit_zone zone=fleet:1m cooldown=10m budget=100/1h;
EOH
}

sub resend {
    my ($email) = @_;
    (my $enc = $email) =~ s/@/%40/g;
    return http_request('POST', '/resend',
        { 'Content-Type' => 'application/x-www-form-urlencoded' },
        "Email=$enc");
}

sub count {
    my ($re) = @_;
    my $n = () = error_log_text() =~ /$re/g;
    return $n;
}

# one request with fallback=local and one with fallback=refuse, the store
# failing for REASON; 4 tests
sub both_policies {
    my ($what, $reason, %o) = @_;

    start_nginx(conf(%o));
    my $r = resend("$reason-local\@example.com");
    is($r->{status}, 200, "$what, fallback=local: the node's zone accepts");
    is(count(qr/resend_verify: the store "\/\.store" failed \(\Q$reason\E\)/),
       1, "$what: one error line, reason $reason");
    stop_nginx();

    start_nginx(conf(%o, fallback => 'refuse'));
    $r = resend("$reason-refuse\@example.com");
    is($r->{status} . ' ' . ($r->{headers}{'retry-after'} // '-'), '503 5',
       "$what, fallback=refuse: 503, Retry-After: 5");
    like($r->{body}, qr/"code":"ServiceUnavailable"/,
         "$what, fallback=refuse: ServiceUnavailable");
    stop_nginx();
}

# ---------------------------------------------------------------------------
# stopped: nothing listens; the breaker; the node's zone keeps the state

start_nginx(conf(port => $FakePort));
my $r1 = resend('stopped1@example.com');
my $r2 = resend('stopped2@example.com');
my $r3 = resend('stopped1@example.com');
my $m = http_request('GET', '/metrics')->{body};
stop_nginx();

is($r1->{status}, 200, 'stopped: fallback=local accepts');
is($r2->{status}, 200, 'stopped: again, another address');
is($r3->{status}, 429, 'stopped: the node\'s zone still has the cooldown');
is(count(qr/failed \(connect\)/), 1, 'stopped: one error line per streak');
is(count(qr/resend_verify: sent for /), 2, 'stopped: two calls');
like($m, qr/^resend_verify_store_skipped_total\{why="breaker"\} [12]$/m,
     'stopped: the breaker skips the store after the failure');
like($m, qr/^resend_verify_store_errors_total\{reason="connect"\} 1$/m,
     'stopped: one connect error');
like($m, qr/^resend_verify_store_fallbacks_total\{fallback="local"\} 2$/m,
     'stopped: two fallbacks');

start_nginx(conf(port => $FakePort, fallback => 'refuse'));
$r1 = resend('stopped3@example.com');
stop_nginx();
is($r1->{status}, 503, 'stopped, fallback=refuse: 503');
like($r1->{body}, qr/^\{"ok":false,"error":\{"code":"ServiceUnavailable"/,
     'stopped, fallback=refuse: a JSON error');
is(count(qr/resend_verify: sent for /), 0, 'stopped, fallback=refuse: no call');

# ---------------------------------------------------------------------------
# slow: accepts, never answers

my $fake = RVRedis::start_fake(port => $FakePort, mode => 'silent');
both_policies('slow', 'timeout', port => $FakePort);
RVTest::terminate($fake->{pid}, 'TERM', 3);

# not Redis

$fake = RVRedis::start_fake(port => $FakePort, mode => 'http');
both_policies('not Redis', 'protocol', port => $FakePort);
RVTest::terminate($fake->{pid}, 'TERM', 3);

# ---------------------------------------------------------------------------
# a store that answers, with errors

my $store = RVRedis::start(name => 'main', port => $StorePort, acl => 1,
                           tls => 1, tls_port => $TlsPort);

both_policies('wrong password', 'auth', auth => 'wrong.auth');
# a plain Redis reads the ClientHello as the start of a command, and waits
both_policies('TLS to a plain port', 'timeout', tls => 1);
both_policies('plain to a TLS port', 'closed', port => $TlsPort);

# a read-only replica

my $replica = RVRedis::start(name => 'replica', port => $OtherPort, acl => 1,
    extra => ["replicaof 127.0.0.1 $StorePort",
              "masterauth $RVRedis::AdminPassword"]);
my $deadline = Time::HiRes::time() + 20;
Time::HiRes::sleep(0.05)
    until RVRedis::slurp("$replica->{dir}/server.log") =~ /sync: Finished/
        || Time::HiRes::time() > $deadline;
both_policies('read-only replica', 'readonly', port => $OtherPort);
RVRedis::stop($replica);

# restarted mid-run: the kept-alive connection is broken, the script gone

start_nginx((conf())[0] =~ s{127\.0\.0\.1:$StorePort;}{rv_store;}r,
            http_config => "resend_verify_limit_zone zone=fleet:1m "
                . "cooldown=10m budget=100/1h;\n"
                . "upstream rv_store { server 127.0.0.1:$StorePort; "
                . "keepalive 4; }", log_level => 'info');
$r1 = resend('restart1@example.com');
RVRedis::stop($store);
$store = RVRedis::start(name => 'main', port => $StorePort, acl => 1);
$r2 = resend('restart2@example.com');
$r3 = resend('restart2@example.com');
stop_nginx();
is($r1->{status}, 200, 'restart: before, 200');
is($r2->{status}, 200, 'restart: after, 200 (a new connection, EVAL)');
is($r3->{status}, 429, 'restart: after, the cooldown holds');
is(count(qr/resend_verify: sent for /), 2, 'restart: two calls');

# out of memory: maxmemory 1, noeviction

RVRedis::cmd($store, 'CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
RVRedis::cmd($store, 'CONFIG', 'SET', 'maxmemory', '1');
both_policies('out of memory', 'oom');
RVRedis::cmd($store, 'CONFIG', 'SET', 'maxmemory', '0');

RVRedis::stop($store);

unlike(error_log_text(), qr/\Q$RVRedis::EdgePassword\E|not-the-password|fleet-secret/,
       'no secret in the log');
