# The fleet store's configuration: nginx -t refuses what cannot work, and
# nginx -T shows the paths of the auth and key files, never what is in them.
use RVTest;

use Test::More;

my $root = RVTest::servroot();

plan tests => planned_tests() + 3;

RVTest::init_servroot();
RVTest::spew("$root/store-files/store.auth", "rv-edge do-not-print-this-password\n");
RVTest::spew("$root/store-files/store.key", "do-not-print-this-fleet-secret\n");
RVTest::spew("$root/store-files/short.key", "too-short\n");
RVTest::spew("$root/store-files/two-lines.auth", "rv-edge pass\nmore\n");

run_tests();

# nginx -T

start_nginx(<<"EOC", http_config => 'resend_verify_limit_zone zone=ok:1m cooldown=1m;');
    location = /resend {
        resend_verify /.x;
        resend_verify_access_key_id k;
        resend_verify_access_key_secret s;
        resend_verify_limit zone=ok store=/.store;
    }
    location = /.store {
        internal;
        resend_verify_redis_pass 127.0.0.1:1;
        resend_verify_redis_auth_file $root/store-files/store.auth;
        resend_verify_redis_key_file $root/store-files/store.key;
    }
EOC
my $dump = `'${\ nginx_binary()}' -p '$root/' -c '$root/conf/nginx.conf' -T 2>&1`;
stop_nginx();
like($dump, qr/resend_verify_redis_auth_file \Q$root\E\/store-files\/store\.auth;/,
     'nginx -T: the auth file\'s path');
unlike($dump, qr/do-not-print-this/, 'nginx -T: not what the files hold');
unlike(error_log_text(), qr/do-not-print-this/, 'the log: not what the files hold');

__DATA__

=== TEST 1: store= without a zone
--- http_config
    resend_verify_limit_zone zone=ok:1m cooldown=1m;
--- config
    location = /resend {
        resend_verify /.x;
        resend_verify_access_key_id k;
        resend_verify_access_key_secret s;
        resend_verify_limit off store=/.store;
    }
--- must_die
--- error_log
"store" of "resend_verify_limit" needs "zone=NAME"



=== TEST 2: a zone whose name cannot go into a key
--- http_config
    resend_verify_limit_zone zone=a/b:1m cooldown=1m;
--- config
    location = /resend {
        resend_verify /.x;
        resend_verify_access_key_id k;
        resend_verify_access_key_secret s;
        resend_verify_limit zone=a/b store=/.store;
    }
--- must_die
--- error_log
the zone of a store must be named with letters, digits



=== TEST 3: fallback= without store=
--- http_config
    resend_verify_limit_zone zone=ok:1m cooldown=1m;
--- config
    location = /resend {
        resend_verify /.x;
        resend_verify_access_key_id k;
        resend_verify_access_key_secret s;
        resend_verify_limit zone=ok fallback=refuse;
    }
--- must_die
--- error_log
"fallback" of "resend_verify_limit" needs "store"



=== TEST 4: an unknown fallback
--- http_config
    resend_verify_limit_zone zone=ok:1m cooldown=1m;
--- config
    location = /resend {
        resend_verify /.x;
        resend_verify_access_key_id k;
        resend_verify_access_key_secret s;
        resend_verify_limit zone=ok store=/.store fallback=open;
    }
--- must_die
--- error_log
it must be "fallback=local" or "fallback=refuse"



=== TEST 5: a fleet secret too short
--- config
    location = /.store {
        resend_verify_redis_pass 127.0.0.1:1;
        resend_verify_redis_key_file $TEST_NGINX_SERVROOT/store-files/short.key;
    }
--- must_die
--- error_log
is shorter than 16 bytes



=== TEST 6: an auth file of two lines
--- config
    location = /.store {
        resend_verify_redis_pass 127.0.0.1:1;
        resend_verify_redis_auth_file $TEST_NGINX_SERVROOT/store-files/two-lines.auth;
    }
--- must_die
--- error_log
must hold one line: "password" or "user password"



=== TEST 7: TLS verified without trusted certificates
--- config
    location = /.store {
        resend_verify_redis_pass 127.0.0.1:1;
        resend_verify_redis_key_file $TEST_NGINX_SERVROOT/store-files/store.key;
        resend_verify_redis_ssl on;
    }
--- must_die
--- error_log
no resend_verify_redis_ssl_trusted_certificate for resend_verify_redis_ssl_verify



=== TEST 8: a missing key file
--- config
    location = /.store {
        resend_verify_redis_pass 127.0.0.1:1;
        resend_verify_redis_key_file $TEST_NGINX_SERVROOT/store-files/none.key;
    }
--- must_die
--- error_log
open() "



=== TEST 9: a store without the fleet secret
--- config
    location = /.store {
        resend_verify_redis_pass 127.0.0.1:1;
    }
--- must_die
--- error_log
"resend_verify_redis_pass" needs "resend_verify_redis_key_file"
