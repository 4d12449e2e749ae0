# Nothing of the browser's request reaches an upstream, even on an
# allocation failure (issue #11, item 5): everything a subrequest of the
# module carries (its headers, its body, its handler) is made before
# ngx_http_subrequest() posts it; once posted, nothing can fail, or the
# posted subrequest would run with the browser's own headers and body.
#
# nginx runs under gdb (t/lib/subrequest-allocs.py), one process, and the
# script counts nginx's allocator calls made by
# ngx_http_resend_verify_subrequest() before and after ngx_http_subrequest()
# for each subrequest the module posts: the Domain API's call, a credentials
# broker's fetch and the fleet store's reservation.  Before the change
# (headers and body set up after the subrequest existed) "after" was not 0.
use strict;
use warnings;
use RVTest;
use RVRedis;
use Test::More;
use POSIX ();

my $gdb = RVTest::find_in_path('gdb')
    or plan skip_all => 'gdb is not installed (tools/install-deps.sh installs it)';
my $Redis = RVRedis::redis_server()
    or plan skip_all => 'redis-server is not installed (tools/install-deps.sh)';
plan skip_all => "gdb has no Python: $gdb"
    unless system("$gdb -q -batch -ex 'python import gdb' >/dev/null 2>&1") == 0;
# (ptrace may be refused in a container)
my $can = `$gdb -q -batch -ex run --args /bin/true 2>&1`;
plan skip_all => "gdb cannot run a program here: $can"
    unless $can =~ /exited normally/;

plan tests => 8;

RVTest::init_servroot();
my $Root = servroot();
my $P = $ENV{TEST_NGINX_PORT};
my $StorePort = $P + 2;
my $Out = "$Root/gdb-allocs.txt";

RVRedis::spew("$Root/store.key", "fleet-secret-for-the-tests-0123456789\n");
RVRedis::spew("$Root/store.auth", "$RVRedis::EdgeUser $RVRedis::EdgePassword\n");
my $store = RVRedis::start(name => 'order', port => $StorePort, acl => 1);

my ($StsId, $StsSecret, $StsToken) =
    ('STS.OrderTestKey0001', 'OrderTestStsSecret0123456789', 'OrderTestToken' . ('x' x 40));
start_double("--key $StsId:$StsSecret:$StsToken");

my $expires = POSIX::strftime('%Y-%m-%dT%H:%M:%SZ', gmtime(time + 6 * 3600));
my $broker = qq({"Code":"Success","AccessKeyId":"$StsId","AccessKeySecret":"$StsSecret",)
           . qq("SecurityToken":"$StsToken","Expiration":"$expires"});

# nginx under gdb: the harness runs the prefix, waits for the pid file
local $ENV{TEST_NGINX_PREFIX_CMD} = "$gdb -q -batch -x "
    . RVTest::repo_root() . '/t/lib/subrequest-allocs.py --args';
local $ENV{RV_GDB_OUT} = $Out;
unlink $Out;

start_nginx(<<"END", main_config => 'master_process off;', http_config => <<"END2");
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_credentials uri /.broker;
        resend_verify_limit zone=order store=/.store;
        resend_verify_detail on;
    }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:\$TEST_NGINX_DOUBLE_PORT/;
    }
    location = /.broker {
        internal;
        proxy_pass http://127.0.0.1:$P/broker-backend;
    }
    location = /broker-backend {
        default_type application/json;
        return 200 '$broker';
    }
    location = /.store {
        internal;
        resend_verify_redis_pass 127.0.0.1:$StorePort;
        resend_verify_redis_auth_file $Root/store.auth;
        resend_verify_redis_key_file $Root/store.key;
    }
END
    resend_verify_limit_zone zone=order:1m cooldown=10m;
END2

my @status;
for my $n (1 .. 3) {
    my $r = http_request('POST', '/resend',
        { 'Content-Type' => 'application/x-www-form-urlencoded',
          'Origin' => 'http://localhost', 'Cookie' => 'session=browser-only' },
        "Email=order$n%40example.com");
    push @status, $r->{status} // 'none';
}
is("@status", '200 200 200', 'three requests sent (a call, a fetch, a reservation each or once)');
is(scalar(RVTest::read_records(0)), 3, 'three calls reached the Domain API double');

# nginx exits on QUIT; gdb writes the counts and ends
my $pid = RVTest::slurp("$Root/logs/nginx.pid");
$pid =~ s/\s+//g;
kill 'QUIT', $pid if $pid =~ /^\d+$/;
my $deadline = time + 60;
select undef, undef, undef, 0.1 until -s $Out || time > $deadline;
select undef, undef, undef, 0.3;
stop_nginx();

my %c = RVTest::slurp($Out) =~ /^(calls|posted|before|after) (\d+)$/mg;
my @after = RVTest::slurp($Out) =~ /^alloc (.*)$/mg;
ok(-s $Out, 'gdb wrote the counts') or diag(RVTest::slurp("$Root/logs/nginx.stderr"));
# per request: the store's reservation and the call; the broker once
ok(($c{calls} // 0) >= 7, "the module's subrequests went through gdb ($c{calls})");
is($c{posted}, $c{calls}, 'each was posted');
ok(($c{before} // 0) >= 3 * ($c{calls} // 0),
   "allocations before ngx_http_subrequest(): seen ($c{before})");
is($c{after}, 0, 'no allocation after ngx_http_subrequest() returned')
    or diag(join "\n", @after);
unlike(RVTest::error_log_text(), qr/\[(?:alert|crit|emerg)\]/, 'no alert in error.log');
RVRedis::stop($store);
