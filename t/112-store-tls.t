# The fleet store over TLS: redis-server's tls-port with a test CA made
# here by openssl; the certificate verified (its name, its CA), the
# connection kept alive (no handshake per request); a wrong CA refused
# (the policy applies), and accepted only with verification off.
use strict;
use warnings;

use lib 't/lib';
use RVTest;
use RVRedis;

use Test::More;

RVRedis::redis_server()
    or plan skip_all => 'redis-server is not installed (tools/install-deps.sh)';

plan tests => 11;

my $P = $ENV{TEST_NGINX_PORT};
my ($StorePort, $TlsPort) = ($P + 2, $P + 6);

RVTest::init_servroot();
my $Root = servroot();
RVRedis::spew("$Root/store.key", "fleet-secret-for-the-tests-0123456789\n");
RVRedis::spew("$Root/store.auth",
              "$RVRedis::EdgeUser $RVRedis::EdgePassword\n");
my $Ca = RVRedis::test_ca();

my $store = RVRedis::start(name => 'tls', port => $StorePort, acl => 1,
                           tls => 1, tls_port => $TlsPort);

sub start {
    my (%o) = @_;
    my $ca = $o{ca} || $Ca->{ca};
    my $verify = defined $o{verify} ? $o{verify} : 'on';
    my $name = $o{name} || 'localhost';
    start_nginx(<<"EOC", http_config => <<"EOH", log_level => 'info');
    location = /resend {
        resend_verify /.canned;
        resend_verify_access_key_id k;
        resend_verify_access_key_secret s;
        resend_verify_detail on;
        resend_verify_limit zone=tls store=/.store;
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
        resend_verify_redis_ssl on;
        resend_verify_redis_ssl_trusted_certificate $ca;
        resend_verify_redis_ssl_verify $verify;
        resend_verify_redis_ssl_name $name;
    }
EOC
    resend_verify_limit_zone zone=tls:1m cooldown=10m;
    upstream rv_store {
        server 127.0.0.1:$TlsPort;
        keepalive 4;
    }
EOH
}

sub resend {
    my ($email) = @_;
    (my $enc = $email) =~ s/@/%40/g;
    return http_request('POST', '/resend',
        { 'Content-Type' => 'application/x-www-form-urlencoded' },
        "Email=$enc");
}

sub connections {
    my $info = RVRedis::cmd($store, 'INFO', 'stats');
    return $info =~ /total_connections_received:(\d+)/ ? $1 : -1;
}

sub keys_now { scalar grep { $_->{key} =~ /^rv:\{tls\}:c:/ }
    RVRedis::scan_keys($store) }

start();
my $c0 = connections();
my @r = map { resend("tls$_\@example.com") } 1 .. 3;
my $c1 = connections();
stop_nginx();

is(join(' ', map { $_->{status} } @r), '200 200 200', 'TLS: accepted');
is(keys_now(), 3, 'TLS: the reservations are in the store');
is($c1 - $c0 - 1, 1, 'TLS: one connection for three calls (keepalive)');
unlike(error_log_text(), qr/\[error\]/, 'TLS: no error');

# a certificate from another CA: not trusted, the node's zone applies

start(ca => $Ca->{other_ca});
my $r = resend('other-ca@example.com');
stop_nginx();
is($r->{status}, 200, 'another CA: the node\'s zone accepts');
like(error_log_text(), qr/the store "\/\.store" failed \(connect\)/,
     'another CA: the store failed to connect');
is(keys_now(), 3, 'another CA: nothing written to the store');

# the wrong name

start(name => 'not-the-store.example');
$r = resend('other-name@example.com');
stop_nginx();
like(error_log_text(), qr/failed \(connect\)/, 'a wrong name: refused');
is(keys_now(), 3, 'a wrong name: nothing written to the store');

# verification off: any certificate

start(ca => $Ca->{other_ca}, verify => 'off');
$r = resend('no-verify@example.com');
stop_nginx();
is($r->{status}, 200, 'verify off: accepted');
is(keys_now(), 4, 'verify off: the store has the reservation');

RVRedis::stop($store);
