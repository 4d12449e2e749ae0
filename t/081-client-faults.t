# Client faults (issue #5, part 2): the browser closes or resets the
# connection while its body is being read, while the subrequest is in flight
# and while the reply is sent; a slow-loris body; pipelined and keep-alive
# requests.  No crash, no stuck request (every request reaches the access
# log before nginx is stopped), no leaked connection (no "open socket ...
# left in connection" alert when the worker exits gracefully), and the
# worker's open files and memory stay flat over a few hundred faults.
#
# The upstream is t/lib/misbehave.js (/ok, /ok-echo, /slow-ok, /late-ok).
# Ports (unless set): nginx 2484, misbehave 2487.  Runs in t/servroot-faults.
use strict;
use warnings;

use Cwd ();
use File::Basename ();

BEGIN {
    my $t = File::Basename::dirname(Cwd::abs_path(__FILE__));
    $ENV{TEST_NGINX_PORT}           //= 2484;
    $ENV{TEST_NGINX_DOUBLE_PORT}    //= 2485;
    $ENV{TEST_NGINX_MISBEHAVE_PORT} //= 2487;
    $ENV{TEST_NGINX_SERVROOT}       //= "$t/servroot-faults";
}

use RVTest;

use POSIX ();
use Socket qw(SOL_SOCKET SO_RCVBUF SO_LINGER IPPROTO_TCP TCP_NODELAY
              inet_aton pack_sockaddr_in);
use IO::Socket::INET ();
use IO::Select ();
use Time::HiRes ();

# ---------------------------------------------------------------------------
# misbehave.js: started once for the file (in its own process group, watched
# by the harness's watchdog), stopped at the end

my $MisbehavePid;

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

# misbehave's request counters
sub misbehave_stats {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
        PeerPort => $ENV{TEST_NGINX_MISBEHAVE_PORT}, Timeout => 2) or return {};
    print $s "GET /__stats HTTP/1.1\r\nHost: x\r\n\r\n";
    local $/;
    my $r = <$s>;
    my ($json) = $r =~ /\r\n\r\n(.*)\z/s;
    return JSON::PP::decode_json($json);
}

# the access log lines (log_format "faults" below), as [status, connection,
# connection_requests, request]
sub access_lines {
    my $text = RVTest::slurp(servroot() . '/logs/access.log');
    return map { [/^(\d+) (\d+) (\d+) "(.*)"$/] } split /\n/, $text;
}

start_misbehave($ENV{TEST_NGINX_MISBEHAVE_PORT});

plan tests => planned_tests() + 27;

run_tests();

# ---------------------------------------------------------------------------
# Perl tests: one nginx for what needs socket options, several exchanges on
# one connection, or many repetitions.

my $Conf = <<'EOC';
    access_log logs/access.log faults;
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    location = /resend { resend_verify /.ok; }
    location = /.ok { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
    location = /slow { resend_verify /.slow; }
    location = /.slow {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/late-ok?delay=300;
    }
    location = /big {
        resend_verify /.echo;
        resend_verify_detail on;
        resend_verify_max_emails 50;
        resend_verify_max_body_size 16k;
        client_body_buffer_size 16k;
    }
    location = /.echo {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok-echo;
        subrequest_output_buffer_size 32k;
    }
EOC

my $HttpConf = <<'EOC';
    log_format faults '$status $connection $connection_requests "$request"';
EOC

sub form_request {
    my ($uri, $body, %o) = @_;
    return "POST $uri HTTP/1.1\r\nHost: localhost\r\nOrigin: http://localhost\r\n"
        . "Content-Type: application/x-www-form-urlencoded\r\n"
        . "Connection: " . ($o{connection} || 'keep-alive') . "\r\n"
        . "Content-Length: " . length($body) . "\r\n\r\n" . $body;
}

sub connect_nginx {
    my (%o) = @_;
    socket(my $s, Socket::PF_INET(), Socket::SOCK_STREAM(), 0) or die "socket: $!";
    setsockopt($s, SOL_SOCKET, SO_RCVBUF, $o{rcvbuf}) or die "SO_RCVBUF: $!"
        if $o{rcvbuf};
    connect($s, pack_sockaddr_in($ENV{TEST_NGINX_PORT}, inet_aton('127.0.0.1')))
        or die "connect: $!";
    setsockopt($s, IPPROTO_TCP, TCP_NODELAY, 1);
    binmode $s;
    return $s;
}

sub rst_close {
    my ($s) = @_;
    setsockopt($s, SOL_SOCKET, SO_LINGER, pack('ii', 1, 0));
    close $s;
}

sub read_one {
    my ($c, $method) = @_;
    return RVTest::read_response($c, $method || 'POST');
}

sub reader {
    my ($s, $timeout) = @_;
    $s->blocking(0) if ref $s ne 'GLOB';
    return { sock => $s, buf => '', raw => '', eof => 0,
             deadline => Time::HiRes::time() + ($timeout || 5),
             timeout_secs => $timeout || 5 };
}

sub worker_pid {
    # the master forks its worker a moment after it writes its pid
    for (1 .. 100) {
        my $master = RVTest::slurp(servroot() . '/logs/nginx.pid');
        chomp $master;
        if ($master) {
            my $kids = RVTest::slurp("/proc/$master/task/$master/children");
            my ($w) = split ' ', $kids // '';
            return $w if $w;
        }
        Time::HiRes::sleep(0.05);
    }
    return undef;
}

sub worker_fds {
    my ($pid) = @_;
    opendir my $d, "/proc/$pid/fd" or return -1;
    return scalar grep { /^\d+$/ } readdir $d;
}

sub worker_rss_kb {
    my ($pid) = @_;
    my ($kb) = RVTest::slurp("/proc/$pid/status") =~ /^VmRSS:\s+(\d+)/m;
    return $kb;
}

sub wait_for {
    my ($cond, $secs) = @_;
    my $deadline = Time::HiRes::time() + ($secs || 5);
    while (Time::HiRes::time() < $deadline) {
        return 1 if $cond->();
        Time::HiRes::sleep(0.02);
    }
    return $cond->();
}

sub no_trouble_in_log {
    my ($what) = @_;
    my $log = error_log_text();
    my @bad = grep { /\[alert\]|\[emerg\]|\[crit\]|exited on signal|open socket #/ }
        split /\n/, $log;
    ok(!@bad, "$what: no alert, crash or leaked socket in error.log")
        or diag(join "\n", @bad[0 .. ($#bad < 9 ? $#bad : 9)]);
}

my $ok_body = 'Email=alice%40example.com';

# --- 1. keep-alive: 5 requests one after another on one connection --------

start_nginx($Conf, http_config => $HttpConf);
{
    my $s = connect_nginx();
    my $c = reader($s, 10);
    my @st;
    for my $i (1 .. 5) {
        my $body = "Email=user$i%40example.com";
        syswrite($s, form_request($i == 3 ? '/slow' : '/resend', $body));
        my $r = read_one($c);
        push @st, ($r->{error} ? "error: $r->{error}" : $r->{status})
            . ($r->{body} =~ /^\{"ok":true,/ ? '' : " body: $r->{body}");
    }
    close $s;
    is_deeply(\@st, [(200) x 5],
        'keep-alive: 5 requests on one connection (the third with a 300 ms upstream), all 200');
}
stop_nginx();
{
    my @a = access_lines();
    my %conns = map { $_->[1] => 1 } @a;
    is(scalar(@a), 5, 'keep-alive: 5 access log lines');
    is_deeply([sort keys %conns], [$a[0][1]], 'keep-alive: one connection');
    is_deeply([map { $_->[2] } @a], [1 .. 5], 'keep-alive: $connection_requests 1..5');
    no_trouble_in_log('keep-alive');
}

# --- 2. the client resets (RST) while the subrequest is in flight ----------

start_nginx($Conf, http_config => $HttpConf);
{
    my $before = misbehave_stats()->{byBehaviour}{'late-ok'} || 0;
    my $s = connect_nginx();
    syswrite($s, form_request('/slow', $ok_body, connection => 'close'));
    # the reset must come while the upstream is working on the call
    wait_for(sub { (misbehave_stats()->{byBehaviour}{'late-ok'} || 0) > $before }, 5);
    rst_close($s);
    ok(wait_for(sub { grep { $_->[3] =~ m{/slow} } access_lines() }, 3),
        'reset in flight: the request is finalized (access log line) before the upstream answers');
    my ($line) = grep { $_->[3] =~ m{/slow} } access_lines();
    is($line && $line->[0], 499, 'reset in flight: logged as 499');
    is((misbehave_stats()->{byBehaviour}{'late-ok'} || 0) - $before, 1,
        'reset in flight: the upstream was called once');
    my $r = http_request('POST', '/resend',
        { 'Content-Type' => 'application/x-www-form-urlencoded' }, $ok_body);
    is($r->{status}, 200, 'reset in flight: the worker answers the next request');
}
stop_nginx();
like(error_log_text(), qr/resend_verify: subrequest done rc:499/,
    'reset in flight: the subrequest is finalized with 499');
no_trouble_in_log('reset in flight');

# --- 3. the client closes while the reply is being sent --------------------
# A reply of ~12 KB (detail on, 50 long addresses echoed by the upstream), a
# client receive buffer of 1 KB that is never read and a 4 KB send buffer on
# the server side: nginx cannot write the whole reply; the client then
# closes with unread data (RST).

{
    # the harness's own "listen", with a small send buffer
    my $conf = RVTest::build_conf(config => $Conf, http_config => $HttpConf);
    $conf =~ s/(listen 127\.0\.0\.1:\d+);/$1 sndbuf=4k;/ or die "no listen";
    start_nginx($conf);

    my @emails = map { sprintf('%s%02d@%s.%s.example', 'a' x 60, $_, 'b' x 60, 'c' x 60) } 1 .. 50;
    my $body = 'Email=' . join('%2C', map { s/@/%40/r } @emails);
    my $s = connect_nginx(rcvbuf => 1024);
    syswrite($s, form_request('/big', $body, connection => 'close'));
    # nginx fills the socket buffers, then waits for the client to read
    ok(wait_for(sub { error_log_text() =~ /http write filter (?!0{16})[0-9A-F]{16}/ }, 3),
        'close while sending: nginx could not write the whole reply at once');
    Time::HiRes::sleep(0.2);
    rst_close($s);
    ok(wait_for(sub { grep { $_->[3] =~ m{/big} } access_lines() }, 3),
        'close while sending: the request is finalized');
    my ($line) = grep { $_->[3] =~ m{/big} } access_lines();
    is($line && $line->[0], 200, 'close while sending: logged as the 200 it was');
    my $r = http_request('POST', '/resend',
        { 'Content-Type' => 'application/x-www-form-urlencoded' }, $ok_body);
    is($r->{status}, 200, 'close while sending: the worker answers the next request');
}
stop_nginx();
like(error_log_text(),
    qr/(?:(?:writev|send)\(\) failed|client prematurely closed connection) \((?:104: Connection reset by peer|32: Broken pipe)\) while sending to client/,
    'close while sending: nginx saw the reset while writing');
no_trouble_in_log('close while sending');

# --- 4. close (FIN) right after sending, to a fast upstream, 20 times -------

start_nginx($Conf, http_config => $HttpConf);
{
    for (1 .. 20) {
        my $s = connect_nginx();
        syswrite($s, form_request('/resend', $ok_body, connection => 'close'));
        close $s;
    }
    ok(wait_for(sub { access_lines() == 20 }, 5),
        'close after sending, 20 times: every request finalized');
    my %st;
    $st{$_->[0]}++ for access_lines();
    ok(!grep({ $_ != 200 && $_ != 499 } keys %st),
        'close after sending: each one 200 or 499 (' . join(', ', map { "$_ x$st{$_}" } sort keys %st) . ')');
}
stop_nginx();
no_trouble_in_log('close after sending');

# --- 5. the worker's files and memory over 400 faults ----------------------

start_nginx($Conf, http_config => $HttpConf);
{
    my $w = worker_pid();
    my $fault = sub {
        my ($i) = @_;
        my $k = $i % 5;
        my $s = connect_nginx();
        my $req = form_request($k == 2 ? '/slow' : '/resend', $ok_body,
                               connection => 'close');
        if ($k == 0) {          # close in the middle of the body
            syswrite($s, substr($req, 0, length($req) - 10));
            close $s;
        } elsif ($k == 1) {     # RST in the middle of the body
            syswrite($s, substr($req, 0, length($req) - 10));
            rst_close($s);
        } elsif ($k == 2) {     # RST while the subrequest is in flight
            syswrite($s, $req);
            Time::HiRes::sleep(0.01);
            rst_close($s);
        } elsif ($k == 3) {     # close right after sending
            syswrite($s, $req);
            close $s;
        } else {                # a normal request
            syswrite($s, $req);
            my $r = read_one(reader($s, 5));
            close $s;
            return $r->{status} == 200;
        }
        return 1;
    };
    my $n = 0;
    for my $i (1 .. 100) { $fault->($i) }
    wait_for(sub { access_lines() >= 100 }, 5);
    my ($fd0, $rss0) = (worker_fds($w), worker_rss_kb($w));
    my $good = 0;
    for my $i (101 .. 500) { $good++ if $fault->($i) }
    ok(wait_for(sub { access_lines() >= 500 }, 10),
        'faults: all 500 requests finalized (' . scalar(access_lines()) . ')');
    Time::HiRes::sleep(0.2);
    my ($fd1, $rss1) = (worker_fds($w), worker_rss_kb($w));
    is($good, 400, 'faults: every fault was a fault and every normal request 200');
    is(worker_pid(), $w, 'faults: the same worker');
    is($fd1, $fd0, "faults: the worker's open files are the same ($fd0 -> $fd1)");
    SKIP: {
        # ASan's quarantine and valgrind keep freed memory: RSS says nothing
        skip "RSS under a memory checker ($rss0 kB -> $rss1 kB)", 1
            if $ENV{TEST_NGINX_CHECK_SANITIZER} || RVTest::prefix_cmd();
        ok($rss1 - $rss0 < 1024,
            "faults: the worker's RSS grew less than 1 MB over 400 faults ($rss0 kB -> $rss1 kB)");
    }
    my %st;
    $st{$_->[0]}++ for access_lines();
    diag('faults: statuses ' . join(', ', map { "$_ x$st{$_}" } sort keys %st));
    ok(!grep({ !/^(?:200|400|499)$/ } keys %st),
        'faults: statuses are 200, 400 (body cut) or 499 (gone in flight)');
}
stop_nginx();
no_trouble_in_log('faults');

__DATA__

=== TEST 1: the client closes while its body is being read: no upstream call
--- http_config
    log_format faults '$status $connection $connection_requests "$request"';
--- config
    access_log logs/access.log faults;
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    location = /resend { resend_verify /.aliyun; }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- raw_request eval
"POST /resend HTTP/1.1\r
Host: localhost\r
Origin: http://localhost\r
Content-Type: application/x-www-form-urlencoded\r
Content-Length: 40\r
\r
Email=alice"
--- timeout: 0.5
--- ignore_response
--- error_log
client prematurely closed connection
--- no_error_log eval
['resend_verify: subrequest', '[alert]', '[emerg]', '[crit]', 'exited on signal', 'open socket #']
--- custom_check eval
sub {
    my @a = main::access_lines();
    return (@a == 1 && $a[0][0] == 400) || (print("# access log: ", join(' | ', map { "@$_" } @a), "\n"), 0);
}



=== TEST 2: the client closes while the subrequest is in flight: the upstream call is cut, 499
--- http_config
    log_format faults '$status $connection $connection_requests "$request"';
--- config
    access_log logs/access.log faults;
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    location = /resend { resend_verify /.aliyun; }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/slow-ok?delay=1000;
    }
--- raw_request eval
"POST /resend HTTP/1.1\r
Host: localhost\r
Origin: http://localhost\r
Content-Type: application/x-www-form-urlencoded\r
Content-Length: 25\r
\r
Email=alice%40example.com"
--- timeout: 0.3
--- ignore_response
--- error_log
resend_verify: subrequest "/.aliyun"
client prematurely closed connection
resend_verify: subrequest done rc:499
http close request
--- no_error_log eval
['[alert]', '[emerg]', '[crit]', 'exited on signal', 'open socket #', 'resend_verify: sent for']
--- custom_check eval
sub {
    my @a = main::access_lines();
    return (@a == 1 && $a[0][0] == 499) || (print("# access log: ", join(' | ', map { "@$_" } @a), "\n"), 0);
}



=== TEST 3: a slow-loris body, 1 byte every 200 ms, each within client_body_timeout: served
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    client_body_timeout 1s;
    location = /resend { resend_verify /.aliyun; }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- raw_request eval
["POST /resend HTTP/1.1\r
Host: localhost\r
Origin: http://localhost\r
Content-Type: application/x-www-form-urlencoded\r
Content-Length: 14\r
Connection: close\r
\r
", split //, "Email=a%40b.co"]
--- raw_request_middle_delay: 0.2
--- error_code: 200
--- response_json
{"ok": true}
--- no_error_log eval
['[error]', '[alert]', '[emerg]', '[crit]', 'exited on signal', 'open socket #']



=== TEST 4: a slow-loris body that stops: 408 after client_body_timeout, no reply, no upstream call
--- http_config
    log_format faults '$status $connection $connection_requests "$request"';
--- config
    access_log logs/access.log faults;
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    client_body_timeout 1s;
    location = /resend { resend_verify /.aliyun; }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok; }
--- raw_request eval
["POST /resend HTTP/1.1\r
Host: localhost\r
Origin: http://localhost\r
Content-Type: application/x-www-form-urlencoded\r
Content-Length: 25\r
Connection: close\r
\r
", "E", "m", "a", "i", "l"]
--- raw_request_middle_delay: 0.2
--- timeout: 4
--- ignore_response
--- error_log
http finalize request: 408, "/resend?"
--- no_error_log eval
['resend_verify: subrequest', '[alert]', '[emerg]', '[crit]', 'exited on signal', 'open socket #']
--- custom_check eval
sub {
    my ($resp) = @_;
    my @a = main::access_lines();
    return ($resp->{error} && $resp->{error} =~ /closed without a response/
            && @a == 1 && $a[0][0] == 408)
        || (print("# reply: ", ($resp->{error} || $resp->{status}),
                  "; access log: ", join(' | ', map { "@$_" } @a), "\n"), 0);
}



=== TEST 5: two pipelined POSTs in one write: both answered, in order
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    location = /resend { resend_verify /.aliyun; resend_verify_detail on; }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok-echo; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- pipelined_requests eval
["POST /resend\nEmail=alice%40example.com", "POST /resend\nEmail=bob%40example.com"]
--- error_code eval
[200, 200]
--- response_json eval
['{"ok": true, "sent": ["alice@example.com"], "failed": []}',
 '{"ok": true, "sent": ["bob@example.com"], "failed": []}']
--- response_headers eval
["Connection: keep-alive", "Connection: close"]
--- no_error_log eval
['[error]', '[alert]', '[emerg]', '[crit]', 'exited on signal', 'open socket #']



=== TEST 6: pipelined: the first to a slow upstream, the second to a fast one: in order
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    resend_verify_detail on;
    location = /slow { resend_verify /.slow; }
    location = /.slow {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/slow-ok?delay=500;
    }
    location = /resend { resend_verify /.aliyun; }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok-echo; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- pipelined_requests eval
["POST /slow\nEmail=alice%40example.com", "POST /resend\nEmail=bob%40example.com",
 "POST /resend\nEmail=carol%40example.com"]
--- error_code eval
[200, 200, 200]
--- response_json eval
['{"ok": true, "sent": ["alice@example.com"]}',
 '{"ok": true, "sent": ["bob@example.com"]}',
 '{"ok": true, "sent": ["carol@example.com"]}']
--- no_error_log eval
['[error]', '[alert]', '[emerg]', '[crit]', 'exited on signal', 'open socket #']



=== TEST 7: pipelined: a refused request's body is skipped, the next one is served
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    resend_verify_detail on;
    location = /resend { resend_verify /.aliyun; }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok-echo; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- pipelined_requests eval
["GET /resend\nEmail=mallory%40example.com",
 "POST /resend\nEmail=not-an-address",
 "POST /resend\nEmail=" . ("x" x 5000),
 "POST /resend\nEmail=bob%40example.com"]
--- error_code eval
[405, 400, 413, 200]
--- response_json eval
['{"ok": false, "error": {"code": "MethodNotAllowed"}}',
 '{"ok": false, "error": {"code": "InvalidEmail"}}',
 '{"ok": false, "error": {"code": "BodyTooLarge"}}',
 '{"ok": true, "sent": ["bob@example.com"]}']
--- no_error_log eval
['[alert]', '[emerg]', '[crit]', 'exited on signal', 'open socket #', 'mallory']



=== TEST 8: pipelined behind a failing upstream call: the error, then the next request
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    resend_verify_detail on;
    location = /bad { resend_verify /.bad; }
    location = /.bad { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/html-500; }
    location = /resend { resend_verify /.aliyun; }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_MISBEHAVE_PORT/ok-echo; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- pipelined_requests eval
["POST /bad\nEmail=alice%40example.com", "POST /resend\nEmail=bob%40example.com"]
--- error_code eval
[502, 200]
--- response_json eval
['{"ok": false, "error": {"code": "UpstreamError"}}',
 '{"ok": true, "sent": ["bob@example.com"]}']
--- no_error_log eval
['[alert]', '[emerg]', '[crit]', 'exited on signal', 'open socket #']
