package RVProto;

# HTTP/2 and HTTP/3 support for the tests (t/100-http2.t, t/101-http3.t), on
# top of RVTest: what the nginx binary can do, a throwaway TLS certificate,
# the listen directives of the version at hand, the HTTP/2 client
# (t/lib/h2client.js) and an HTTP/3 curl (Debian 13's; Debian 12's curl has
# no HTTP/3).
#
# HTTP/3 curl, the first that works of:
#   $TEST_NGINX_CURL_H3     a command (words), e.g. "chroot /var/tmp/rv/trixie curl"
#   curl in PATH            if "curl -V" lists HTTP3 (Debian 13 and later)
#   a Debian 13 root with curl  $RV_DEBIAN13_ROOT, else build/debian13 (made by
#                           tools/debian13-root.sh), entered with its --run, as root;
#                           a root without curl gets it (apt-get in the root)
# The requests go to 127.0.0.1 only; bodies go through curl's stdin, replies
# come back on its stdout, so no file has to be visible inside a chroot.

use strict;
use warnings;

use Exporter 'import';
use File::Path ();
use JSON::PP ();
use Text::ParseWords ();
use Time::HiRes ();
use POSIX ();
use IO::Socket::INET ();
use RVTest ();

our @EXPORT = qw(
    nginx_has nginx_version_num tls_cert listen_h2 listen_h3 h2_run
    h3_curl h3_curl_why h3_request access_log_lines start_misbehave
    misbehave_stats
);

my $JSON = JSON::PP->new->utf8->canonical;

sub nginx_v {
    my $bin = RVTest::nginx_binary();
    return -x $bin ? scalar `'$bin' -V 2>&1` : '';
}

# nginx_has('http_v2'), nginx_has('http_v3')
sub nginx_has {
    my ($m) = @_;
    return nginx_v() =~ /--with-${m}_module\b/ ? 1 : 0;
}

# 1.22.1 -> 1022001
sub nginx_version_num {
    my ($a, $b, $c) = nginx_v() =~ m{nginx/(\d+)\.(\d+)\.(\d+)} or return 0;
    return $a * 1000000 + $b * 1000 + $c;
}

# A self-signed certificate for 127.0.0.1 / localhost, made once per test
# file in the servroot (nothing secret is committed).  Returns (cert, key).
sub tls_cert {
    my $dir = RVTest::servroot() . '/conf';
    my ($crt, $key) = ("$dir/test.crt", "$dir/test.key");
    return ($crt, $key) if -s $crt && -s $key;
    File::Path::make_path($dir);
    my ($code, $out) = RVTest::run_cmd(
        ['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt',
         'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
         '-subj', '/CN=localhost', '-addext',
         'subjectAltName=DNS:localhost,IP:127.0.0.1',
         '-keyout', $key, '-out', $crt], 30, "$dir/openssl.log");
    die "RVProto: openssl could not make a test certificate:\n$out\n"
        if $code != 0;
    return ($crt, $key);
}

# server{} directives: TLS with ALPN h2 on $tls_port, cleartext HTTP/2 with
# prior knowledge on $clear_port.  "listen ... http2" before 1.25.1, the
# "http2" directive after (where a plain port serves HTTP/1.1 too).
sub listen_h2 {
    my ($tls_port, $clear_port) = @_;
    my ($crt, $key) = tls_cert();
    my $s = '';
    if (nginx_version_num() >= 1025001) {
        $s .= "listen 127.0.0.1:$tls_port ssl;\n";
        $s .= "listen 127.0.0.1:$clear_port;\n" if $clear_port;
        $s .= "http2 on;\n";
    } else {
        $s .= "listen 127.0.0.1:$tls_port ssl http2;\n";
        $s .= "listen 127.0.0.1:$clear_port http2;\n" if $clear_port;
    }
    $s .= "ssl_certificate $crt;\nssl_certificate_key $key;\n";
    return $s;
}

# server{} directives: HTTP/3 (QUIC) on UDP $port, and TLS over TCP on the
# same port number for HTTP/1.1 and HTTP/2.
sub listen_h3 {
    my ($port) = @_;
    my ($crt, $key) = tls_cert();
    return "listen 127.0.0.1:$port quic;\nlisten 127.0.0.1:$port ssl;\n"
         . "http2 on;\nhttp3 on;\n"
         . "ssl_certificate $crt;\nssl_certificate_key $key;\n";
}

# Runs t/lib/h2client.js with a job (see there); returns its decoded output
# ({results => [...], error => ...}).
sub h2_run {
    my ($job) = @_;
    my $dir = RVTest::servroot() . '/h2client';
    File::Path::make_path($dir);
    my $n = 0;
    $n++ while -e "$dir/job$n.json";
    my $f = "$dir/job$n.json";
    open my $fh, '>:raw', $f or die "RVProto: $f: $!\n";
    print $fh $JSON->encode($job);
    close $fh;
    my $node = $ENV{TEST_NGINX_NODE} || 'node';
    my $t = int(($job->{timeout_ms} || 20000) / 1000) + 10;
    my ($code, $out) = RVTest::run_cmd(
        [$node, RVTest::repo_root() . '/t/lib/h2client.js', $f], $t,
        "$dir/out$n.log");
    my ($line) = grep { /^\{/ } split /\n/, $out;
    my $r = defined $line ? eval { $JSON->decode($line) } : undef;
    return $r if $r;
    return { results => [], error => "h2client.js (exit $code): $out" };
}

# ---------------------------------------------------------------------------
# HTTP/3 curl

my ($H3Curl, $H3Why);

sub curl_has_h3 {
    my (@cmd) = @_;
    my $out = `@{[ join ' ', map { "'$_'" } @cmd ]} -V 2>/dev/null`;
    return $out =~ /^Features:.*\bHTTP3\b/m ? 1 : 0;
}

sub find_h3_curl {
    my @tried;
    if (defined $ENV{TEST_NGINX_CURL_H3} && $ENV{TEST_NGINX_CURL_H3} =~ /\S/) {
        my @c = Text::ParseWords::shellwords($ENV{TEST_NGINX_CURL_H3});
        return \@c if curl_has_h3(@c);
        return (undef, "TEST_NGINX_CURL_H3 ($ENV{TEST_NGINX_CURL_H3}) has no HTTP3");
    }
    return ['curl'] if curl_has_h3('curl');
    push @tried, "curl in PATH has no HTTP3 (Debian 12's does not)";
    my $tool = RVTest::repo_root() . '/tools/debian13-root.sh';
    my $root = $ENV{RV_DEBIAN13_ROOT} || RVTest::repo_root() . '/build/debian13';
    if ($> == 0 && -x $tool && -f "$root/etc/debian_version" && !-x "$root/usr/bin/curl") {
        # a Debian 13 root without curl (the matrix makes one for 1.26.3's
        # source): curl from Debian 13's archive, with apt-get in the root
        my ($code, $out) = RVTest::run_cmd([$tool, $root, 'curl', 'ca-certificates'], 600,
                                           RVTest::servroot() . '/debian13-curl.log');
        push @tried, "installing curl in $root failed: " . substr($out, -300) if $code != 0;
    }
    if ($> != 0) {
        push @tried, "a Debian 13 root needs root";
    } elsif (!-x "$root/usr/bin/curl") {
        push @tried, -d "$root/etc" ? "no curl in the Debian 13 root $root "
                         . "(tools/debian13-root.sh $root curl)"
                   : "no Debian 13 root at $root (tools/debian13-root.sh makes "
                         . "one; or set RV_DEBIAN13_ROOT or TEST_NGINX_CURL_H3)";
    } else {
        my @c = -x $tool ? ($tool, '--run', $root, '--', 'curl')
                         : ('chroot', $root, 'curl');
        return \@c if curl_has_h3(@c);
        push @tried, "$root/usr/bin/curl has no HTTP3";
    }
    return (undef, join('; ', @tried));
}

# The curl command (a list) that speaks HTTP/3, or undef
sub h3_curl {
    ($H3Curl, $H3Why) = find_h3_curl() unless $H3Curl || $H3Why;
    return $H3Curl ? @$H3Curl : ();
}

sub h3_curl_why { h3_curl(); return $H3Why }

# h3_request(%o): HTTP/3 requests with curl.  o: url, method, headers =>
# [...] ("Name: value"), body (through curl's stdin), no_length (the body
# from a pipe, so no content-length), args => [...], timeout, allow_fail.  Or parallel => [{url, headers, body}...]:
# each its own request, on one connection (curl --parallel multiplexes), the
# bodies on the command line; each result is then {status, connects (new
# connections the transfer made), url}, in the order they ended.  Returns {results => [{status, headers => {lc
# name => value}, body}...], exit, stderr}, or {error => ...}.
sub h3_request {
    my (%o) = @_;
    my @curl = h3_curl() or return { error => h3_curl_why() };
    my @cmd = (@curl, '-sS');
    my $stdin_body = defined $o{body};
    my @each = $o{parallel} ? @{$o{parallel}} : ({ %o });
    push @cmd, '--parallel', '--parallel-max', scalar(@each) if $o{parallel};
    for my $i (0 .. $#each) {
        my $q = $each[$i];
        push @cmd, '--next' if $i;
        # per transfer: "--next" resets them
        push @cmd, '--http3-only', '-k', '--max-time', $o{timeout} || 20;
        push @cmd, '-X', $q->{method} || 'POST';
        push @cmd, map { ('-H', $_) } @{$q->{headers} || []};
        if ($o{parallel}) {
            push @cmd, '--data-binary', $q->{body} if defined $q->{body};
        } elsif ($stdin_body) {
            push @cmd, $o{no_length} ? ('-T', '-') : ('--data-binary', '@-');
        }
        # in parallel, the replies of the transfers could interleave on
        # stdout: only a status line each (the bodies go to /dev/null)
        push @cmd, $o{parallel}
            ? ('-o', '/dev/null', '-w', "--rv %{http_code} %{num_connects} %{url_effective}\n")
            : ('-D', '-', '-o', '-', '-w', "\n--rv-end--\n");
        push @cmd, @{$q->{args} || []};
        push @cmd, $q->{url};
    }
    my $dir = RVTest::servroot() . '/h3curl';
    File::Path::make_path($dir);
    my $err = "$dir/stderr.log";
    unlink $err;
    pipe(my $rd, my $wr) or die "pipe: $!";
    pipe(my $ord, my $owr) or die "pipe: $!";
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if ($pid == 0) {
        setpgrp(0, 0);
        close $wr;
        close $ord;
        open STDIN, '<&', $rd or POSIX::_exit(126);
        open STDOUT, '>&', $owr or POSIX::_exit(126);
        open STDERR, '>>', $err or POSIX::_exit(126);
        { no warnings 'exec'; exec { $cmd[0] } @cmd; }
        POSIX::_exit(127);
    }
    close $rd;
    close $owr;
    binmode $wr;
    local $SIG{PIPE} = 'IGNORE';
    print $wr $o{body} if defined $o{body};
    close $wr;
    my $out = '';
    {
        local $/;
        my $deadline = ($o{timeout} || 20) + 10;
        eval {
            local $SIG{ALRM} = sub { die "alarm\n" };
            alarm $deadline;
            $out = <$ord>;
            alarm 0;
        };
        kill 'KILL', -$pid if $@;
    }
    close $ord;
    waitpid($pid, 0);
    my $st = $?;
    my @res;
    if ($o{parallel}) {
        @res = map { /^--rv (\d+) (\d+) (\S+)$/ ? { status => $1, connects => $2, url => $3 } : () }
            split /\n/, defined $out ? $out : '';
        return { results => \@res, exit => $st >> 8, stderr => RVTest::slurp($err) };
    }
    for my $part (split /\n--rv-end--\n/, defined $out ? $out : '') {
        my %r = (headers => {});
        while ($part =~ s/\AHTTP\/\S+ (\d+)[^\n]*\r?\n((?:[^\r\n]+\r?\n)*)\r?\n//) {
            %r = (status => $1, headers => {});    # the last of 1xx, 3xx ...
            for my $l (split /\r?\n/, $2) {
                my ($k, $v) = $l =~ /^([^:]+):\s*(.*)$/ or next;
                $k = lc $k;
                $r{headers}{$k} = exists $r{headers}{$k} ? "$r{headers}{$k}, $v" : $v;
            }
        }
        $r{body} = $part;
        push @res, \%r;
    }
    return { error => "curl exited with " . ($st >> 8) . ": "
                      . RVTest::slurp($err), exit => $st >> 8, results => \@res }
        if $st != 0 && !$o{allow_fail};
    return { results => \@res, exit => $st >> 8, stderr => RVTest::slurp($err) };
}

# t/lib/misbehave.js on $port (in its own process group, under the harness's
# watchdog, stopped at exit)
my $MisbehavePid;

sub start_misbehave {
    my ($port) = @_;
    my $out = RVTest::servroot() . "/logs/misbehave-$port.out";
    unlink $out;
    $MisbehavePid = RVTest::spawn(
        cmd => [$ENV{TEST_NGINX_NODE} || 'node',
                RVTest::repo_root() . '/t/lib/misbehave.js', '--port', $port,
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
    return $MisbehavePid;
}

END {
    RVTest::terminate($MisbehavePid, 'TERM', 2) if $MisbehavePid;
}

# misbehave's request counters ({requests, byBehaviour => {name => n}})
sub misbehave_stats {
    my ($port) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Timeout => 5) or return {};
    print $s "GET /__stats HTTP/1.1\r\nHost: x\r\n\r\n";
    local $/;
    my $r = <$s>;
    my ($json) = defined $r ? $r =~ /\r\n\r\n(.*)\z/s : ();
    return defined $json ? (eval { JSON::PP::decode_json($json) } || {}) : {};
}

# The lines of the access log (for log_format checks)
sub access_log_lines {
    my ($name) = @_;
    my $f = RVTest::servroot() . '/logs/' . ($name || 'access.log');
    return grep { length } split /\n/, RVTest::slurp($f);
}

1;
