# Self-test of the t/lib/RVTest.pm harness with a plain nginx (no module, no
# API double).  Run: prove -I t/lib t/000-harness.t
use strict;
use warnings;

BEGIN {
    use FindBin ();
    if (!defined $ENV{TEST_NGINX_BINARY} || !length $ENV{TEST_NGINX_BINARY}) {
        $ENV{TEST_NGINX_BINARY} = '/usr/sbin/nginx'
            unless -x "$FindBin::Bin/../build/nginx/sbin/nginx";
    }
    # this file must not load the module under test
    delete $ENV{TEST_NGINX_LOAD_MODULE};
}

use RVTest;
use File::Temp ();

plan tests => planned_tests() + 19;

run_tests();

# ---- helpers for custom perl tests -----------------------------------------

ok(-d servroot() && -f servroot() . '/conf/nginx.conf', 'servroot() exists');

start_nginx(<<'EOC');
    location = /t { return 200 "custom $http_x_a"; }
    location = /p { return 201 "got $content_length"; }
EOC
my $r = http_request('GET', '/t', { 'X-A' => 'b' });
is($r->{status}, 200, 'http_request status');
is($r->{body}, 'custom b', 'http_request body');
is($r->{headers}{'content-type'}, 'text/plain', 'http_request headers');
$r = http_request('POST', '/p', {}, "x\ny");
is($r->{status}, 201, 'http_request POST status');
is($r->{body}, 'got 3', 'http_request sends the body exactly');
like(error_log_text(), qr/\[notice\].*start worker process/,
    'error_log_text() reads the log');
stop_nginx();
ok(!eval { IO::Socket::INET->new(PeerAddr => '127.0.0.1',
        PeerPort => $ENV{TEST_NGINX_PORT}, Timeout => 1) },
    'nginx is gone after stop_nginx()');

{
    local $ENV{TEST_NGINX_LOAD_MODULE} = '/nonexistent/ngx_x_module.so';
    my $conf = RVTest::build_conf(config => '', log_level => 'info');
    like($conf, qr/\Aload_module \/nonexistent\/ngx_x_module\.so;\n/,
        'TEST_NGINX_LOAD_MODULE emits load_module first');
    like($conf, qr/error_log \S+ info;/, 'log_level override');
}

is(RVTest::json_subset_diff({a => 1}, JSON::PP->new->decode('{"a":"1"}'), 1),
    'at $.a: expected 1 (number), got "1" (string)',
    'json subset: strict number vs string');

# client timeout: nginx proxies to a socket that never answers
{
    my $sink = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
        Listen => 5, ReuseAddr => 1) or die "listen: $@";
    my $sport = $sink->sockport;
    local $ENV{TEST_NGINX_TIMEOUT} = 1;
    start_nginx("location = /hang { proxy_pass http://127.0.0.1:$sport; }");
    my $t0 = time;
    my $h = http_request('GET', '/hang');
    like($h->{error} || '', qr/timeout/, 'client timeout reported');
    ok(time - $t0 <= 3, 'client timeout bounded');
    stop_nginx();
}

# failure paths, run in a child so their "not ok" lines stay out of our TAP
{
    my $tmp = File::Temp->newdir('rvtest-XXXXXX', TMPDIR => 1);
    my $script = "$tmp/child.t";
    open my $fh, '>', $script or die $!;
    print $fh <<'EOT';
use RVTest;
run_tests();
__DATA__

=== TEST 1: wrong status
--- config
    location = /x { return 404; }
--- request
GET /x
--- error_code: 200

=== TEST 2: needs the double, but node is missing
--- config
    location = /y { proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request
GET /y
--- upstream_requests: 1
EOT
    close $fh;
    local $ENV{TEST_NGINX_NODE} = '/nonexistent/node';
    local $ENV{TEST_NGINX_SERVROOT} = "$tmp/servroot";
    my $out = `$^X -I$FindBin::Bin/lib $script 2>&1`;
    like($out, qr/^1\.\.3$/m, 'child: plan computed from blocks');
    like($out, qr/^not ok 1 - TEST 1: wrong status - status code ok/m,
        'child: a failing check fails');
    like($out, qr/---- context of TEST 1.*HTTP\/1\.1 404 Not Found/s,
        'child: the reply is shown on failure');
    ok($out =~ /^not ok 3 - TEST 2: .*block aborted/m
            && $out =~ /'node' not found/, 'child: missing node fails loudly')
        or diag($out);

    open $fh, '>', $script or die $!;
    print $fh "use RVTest;\nrun_tests();\n__DATA__\n\n=== TEST 1: x\n"
        . "--- config\nlocation / { return 200 \$TEST_NGINX_NO_SUCH; }\n"
        . "--- request\nGET /\n";
    close $fh;
    $out = `$^X -I$FindBin::Bin/lib $script 2>&1`;
    like($out, qr/unknown variable \$TEST_NGINX_NO_SUCH/,
        'unknown $TEST_NGINX_ variable dies');

    open $fh, '>', $script or die $!;
    print $fh "use RVTest;\nrun_tests();\n__DATA__\n\n=== TEST 1: x\n"
        . "--- config\nlocation / { return 200; }\n"
        . "--- request\nGET /\n--- reponse_body\nx\n";
    close $fh;
    $out = `$^X -I$FindBin::Bin/lib $script 2>&1`;
    like($out, qr/unknown section\(s\) '--- reponse_body'/,
        'a misspelt section dies');
}

__DATA__

=== TEST 1: return JSON, subset match, header presence and absence
--- config
    location = /json {
        default_type application/json;
        return 200 '{"ok":true,"n":1,"list":[1,"a"],"nested":{"x":null,"y":"z"}}';
    }
--- request
GET /json
--- error_code: 200
--- response_headers
Content-Type: application/json
Content-Length
!X-Nope
--- response_json
{"ok": true, "n": 1, "list": [1, "a"], "nested": {"x": null}}
--- no_error_log
[error]
[crit]



=== TEST 2: add_header, headers_like, exact body
--- config
    location = /h {
        add_header X-Test "hello world" always;
        add_header Access-Control-Allow-Origin *;
        return 200 "hi\n";
    }
--- request
GET /h
--- response_headers
X-Test: hello world
Access-Control-Allow-Origin: *
--- response_headers_like
Server: ^nginx
X-Test: ^hello\s
--- response_body
hi



=== TEST 3: return 405 to a POST with a body
--- config
    location = /nope { return 405; }
--- request
POST /nope
a=1&b=2
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 405
--- response_body_like: 405 Not Allowed



=== TEST 4: proxy_pass to a location on the same server
--- config
    location = /front { proxy_pass http://127.0.0.1:$TEST_NGINX_PORT/back; }
    location = /back { return 200 "from back, uri=$uri, port=$server_port"; }
--- request
GET /front
--- response_body chomp
from back, uri=/back, port=$TEST_NGINX_SERVER_PORT



=== TEST 5: a broken config must die
--- config
    location / { no_such_directive_here on; }
--- must_die
--- error_log
unknown directive "no_such_directive_here"
--- no_error_log
[crit]



=== TEST 6: config_ok, log_level and main_config
--- main_config
    worker_rlimit_nofile 1024;
--- config
    location = / { return 204; }
--- log_level: notice
--- config_ok
--- request
GET /
--- error_code: 204
--- response_body chomp
--- no_error_log
[debug]



=== TEST 7: a missing file logs an error
--- config
    location / { root $TEST_NGINX_SERVROOT/html; }
--- request
GET /missing.txt
--- error_code: 404
--- error_log
/html/missing.txt" failed (2: No such file or directory)
open() "$TEST_NGINX_SERVROOT/html/missing.txt"
--- no_error_log
[crit]
[alert]
[emerg]



=== TEST 8: more_headers echoed back
--- config
    location = /echo-h {
        return 200 "foo=[$http_x_foo] ua=[$http_user_agent] ct=[$content_type]\n";
    }
--- request
GET /echo-h
--- more_headers
X-Foo: bar baz
User-Agent: RVTest/1
--- response_body
foo=[bar baz] ua=[RVTest/1] ct=[]



=== TEST 9: a POST body echoed back through a proxy to itself
--- http_config
    client_body_buffer_size 64k;
--- config
    location = /echo-body {
        client_body_buffer_size 64k;
        proxy_pass http://127.0.0.1:$TEST_NGINX_PORT/sink;
        proxy_set_header X-Body $request_body;
    }
    location = /sink {
        return 200 "body=[$http_x_body] len=$http_content_length\n";
    }
--- request
POST /echo-body
Email=alice%40example.com&Lang=zh
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- response_body
body=[Email=alice%40example.com&Lang=zh] len=33
--- error_log
http client request body preread
--- no_error_log
[error]



=== TEST 10: request eval keeps the trailing newline; multi-line body
--- config
    location = /len { return 200 "len=$content_length"; }
--- request eval
"POST /len\nab\n"
--- response_body chomp
len=3



=== TEST 11: multiple requests (eval arrays), per-request checks
--- config
    location = /a { return 200 "a\n"; }
    location = /b { return 404; }
--- request eval
["GET /a", "GET /b", "HEAD /a"]
--- error_code eval
[200, 404, 200]
--- response_body eval
["a\n", undef, ""]



=== TEST 12: pipelined requests on one connection
--- config
    location = /a { return 200 "a\n"; }
    location = /b { return 200 "bb\n"; }
--- pipelined_requests eval
["GET /a", "GET /b", "GET /a"]
--- response_body eval
["a\n", "bb\n", "a\n"]
--- no_error_log
[error]



=== TEST 13: raw_request, chunked reply (gzip)
--- config
    location = /gz {
        gzip on; gzip_min_length 1; gzip_types text/plain;
        return 200 "hello hello hello hello hello hello\n";
    }
--- raw_request eval
"GET /gz HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n"
--- response_headers
Content-Encoding: gzip
Transfer-Encoding: chunked
!Content-Length
--- response_body_like eval
qr/\A\x1f\x8b/



=== TEST 14: raw_request in pieces, close-delimited HTTP/1.0 reply
--- config
    location = /gz {
        gzip on; gzip_min_length 1; gzip_types text/plain; gzip_http_version 1.0;
        return 200 "hello hello hello hello hello hello\n";
    }
--- raw_request eval
["GET /gz HTTP/1.0\r\n", "Accept-Encoding: gzip\r\n\r\n"]
--- raw_request_middle_delay: 0.05
--- response_headers
!Content-Length
!Transfer-Encoding
--- response_body_like eval
qr/\A\x1f\x8b.{10}/s



=== TEST 15: --- repeat, user_files, regex error_log and wait
--- user_files
>>> data/hello.txt
hello file
--- config
    location / { root $TEST_NGINX_SERVROOT/html; }
--- request
GET /data/hello.txt
--- repeat: 2
--- wait: 0.05
--- response_body
hello file
--- error_log eval
qr{http finalize request: 0, "/data/hello\.txt\?" a:1, c:1}



=== TEST 16: upstream checks with no double: zero requests recorded
--- config
    location = /z { return 200; }
--- request
GET /z
--- upstream_requests: 0
--- upstream_unlike
.



=== TEST 17: custom_check sees the reply and the log
--- config
    location = /c { return 200 "custom\n"; }
--- request
GET /c
--- custom_check eval
sub { my ($resp, $recs, $log) = @_;
      $resp->{body} eq "custom\n" && ref $recs eq 'ARRAY'
        && $log =~ /http finalize request/ }
