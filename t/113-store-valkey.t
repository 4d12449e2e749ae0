# The fleet store on Valkey 8 (Debian 13's valkey-server, run from a
# Debian 13 root: tools/debian13-root.sh, $RV_DEBIAN13_ROOT or
# build/debian13): the same script, the same ACL, the same keys as on
# Redis 7.0.  As root, a root without valkey-server gets it installed.
use strict;
use warnings;

use lib 't/lib';
use RVTest;
use RVRedis;

use Test::More;

if (!RVRedis::valkey_available()) {
    plan skip_all => 'no Debian 13 root: tools/debian13-root.sh (as root)'
        if $> != 0;
    my $log = RVTest::repo_root() . '/build/debian13-valkey.log';
    system(RVTest::repo_root() . "/tools/debian13-root.sh '"
           . RVRedis::valkey_root() . "' valkey-server > '$log' 2>&1");
    BAIL_OUT("valkey-server could not be installed in "
             . RVRedis::valkey_root() . ", see $log")
        unless RVRedis::valkey_available();
}

plan tests => 10;

my $P = $ENV{TEST_NGINX_PORT};
my $StorePort = $P + 2;

RVTest::init_servroot();
my $Root = servroot();
RVRedis::spew("$Root/store.key", "fleet-secret-for-the-tests-0123456789\n");
RVRedis::spew("$Root/store.auth",
              "$RVRedis::EdgeUser $RVRedis::EdgePassword\n");

my $store = RVRedis::start(name => 'valkey', port => $StorePort, acl => 1,
                           valkey => 1);

like(RVRedis::cmd($store, 'INFO', 'server'), qr/valkey_version:8\./,
     'the store is Valkey 8');

start_nginx(<<"EOC", http_config => <<"EOH", log_level => 'info');
    location = /resend {
        resend_verify /.canned;
        resend_verify_access_key_id k;
        resend_verify_access_key_secret s;
        resend_verify_detail on;
        resend_verify_limit zone=vk store=/.store fallback=refuse;
    }
    location = /.canned {
        internal;
        return 200 '{"RequestId":"X","SuccessList":[]}';
    }
    location = /.store {
        internal;
        resend_verify_redis_pass 127.0.0.1:$StorePort;
        resend_verify_redis_auth_file $Root/store.auth;
        resend_verify_redis_key_file $Root/store.key;
    }
EOC
    resend_verify_limit_zone zone=vk:1m cooldown=10m budget=2/1h;
EOH

sub resend {
    my ($email) = @_;
    (my $enc = $email) =~ s/@/%40/g;
    return http_request('POST', '/resend',
        { 'Content-Type' => 'application/x-www-form-urlencoded' },
        "Email=$enc");
}

my @r = map { resend($_) } 'a@example.com', 'a@example.com',
    'b@example.com', 'c@example.com';
RVRedis::cmd($store, 'SCRIPT', 'FLUSH');
RVRedis::cmd($store, 'DEL', (map { $_->{key} } grep { $_->{key} =~ /:b:/ }
                             RVRedis::scan_keys($store)));
my $after_flush = resend('d@example.com');
stop_nginx();

is($r[0]{status}, 200, 'Valkey: accepted');
is($r[1]{status}, 429, 'Valkey: the cooldown');
is($r[2]{status}, 200, 'Valkey: a second address');
is($r[3]{status}, 503, 'Valkey: the budget of 2');
like($r[3]{body}, qr/SendLimitReached/, 'Valkey: SendLimitReached');
is($after_flush->{status}, 200, 'Valkey: after SCRIPT FLUSH, EVAL');

my @keys = RVRedis::scan_keys($store);
is(scalar(grep { $_->{key} !~ /^rv:\{vk\}:(?:c:[A-Za-z0-9_-]{22}|b:\d+)$/ }
           @keys), 0, 'Valkey: only rv:{vk}: keys');
is(scalar(grep { !($_->{pttl} > 0) } @keys), 0, 'Valkey: each with a TTL');
unlike(error_log_text(), qr/\[error\]/, 'Valkey: no error');

RVRedis::stop($store);
