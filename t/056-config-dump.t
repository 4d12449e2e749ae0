# Secrets in nginx's copies of its configuration (issue #11, item 9).
#
# nginx built --with-debug (Debian's and ours are) keeps the whole text of
# every configuration file in every process (the "configuration dump",
# what "nginx -T" prints), and each file's read buffer is freed without
# being wiped.  An inline resend_verify_access_key_secret or
# resend_verify_security_token is masked with '*' in both as soon as it is
# read: "nginx -T" prints the mask, and no process's memory holds the
# directive's text with the secret (the value in use is held once, as the
# directive's argument).  The requests are still signed with the secret,
# also after a reload.
use strict;
use warnings;
use RVTest;
use Test::More;
use POSIX ();

my $Id     = 'LTAI5tDumpTestKey00001';
my $StsId  = 'STS.DumpTestKey00002';
my $Secret = 'DumpSecret0f8e7d6c5b4a3Z9y8X7w';
my $Token  = 'DumpToken' . ('Qq7' x 30);
my $Escaped = 'Esc\\"aped0secret1value2';   # nginx reads Esc"aped...

my $debug = RVTest::nginx_features()->{out} =~ /--with-debug/;

my $root = servroot();
RVTest::init_servroot();

# the secret's directive at the end of the included file's first 4 KB read:
# the token spans two reads of nginx's buffer
my $pad = "    # " . ('p' x 70) . "\n";
my $line = "    resend_verify_access_key_secret \"$Secret\";\n";
my $inc = "    resend_verify_access_key_id $StsId;\n";
$inc .= $pad x int((4096 - 200 - length $inc) / length $pad);
$inc .= ' ' x (4096 - 10 - index($line, $Secret) - length $inc);
$inc .= $line;
$inc .= "    resend_verify_security_token $Token;\n";
RVTest::spew("$root/conf/secrets.conf", $inc);
my $at = index($inc, $Secret);
ok($at < 4096 && $at + length($Secret) > 4096,
   "the secret spans nginx's first read of the included file ($at)");

my $conf = <<"END";
    location = /resend {
        resend_verify /.aliyun;
        include $root/conf/secrets.conf;
    }
    location = /other {
        resend_verify /.aliyun;
        resend_verify_access_key_id $Id;
        resend_verify_access_key_secret $Secret;
    }
    location = /escaped {
        resend_verify /.aliyun;
        resend_verify_access_key_id $Id;
        resend_verify_access_key_secret $Escaped;
    }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$ENV{TEST_NGINX_DOUBLE_PORT}/;
    }
END

start_double("--key $Id:$Secret --key $StsId:$Secret:$Token");

sub post {
    my ($path, $email) = @_;
    return http_request('POST', $path,
        { 'Content-Type' => 'application/x-www-form-urlencoded' },
        "Email=$email%40example.com");
}

# every readable and writable mapping of a process, as one string
sub memory_of {
    my ($pid) = @_;
    no warnings 'portable';    # addresses over 32 bits
    open my $maps, '<', "/proc/$pid/maps" or return undef;
    open my $mem, '<:raw', "/proc/$pid/mem" or return undef;
    my $all = '';
    while (my $l = <$maps>) {
        my ($from, $to, $perm, $path) =
            $l =~ /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/ or next;
        next unless $perm =~ /^rw/;
        next if $path =~ m{^/} && $path !~ /\(deleted\)/;   # a file's data
        next if $path eq '[vvar]' || $path eq '[vsyscall]';
        my $len = hex($to) - hex($from);
        next if $len > 512 * 1024 * 1024;
        sysseek($mem, hex($from), 0) or next;
        my $buf = '';
        my $n = sysread($mem, $buf, $len);
        $all .= $buf if $n;
    }
    return $all;
}

sub nginx_pids {
    my $master = RVTest::slurp("$root/logs/nginx.pid");
    $master =~ s/\s+//g;
    my @pids = ($master);
    for my $stat (glob '/proc/[0-9]*/stat') {
        my $s = RVTest::slurp($stat) or next;
        my ($pid, $ppid) = $s =~ /^(\d+) \(.*\) \S (\d+)/s or next;
        push @pids, $pid if $ppid == $master;
    }
    return @pids;
}

# the directive's text, as a file holds it: its name, blanks, the value
my $text_re = qr/resend_verify_(?:access_key_secret|security_token)[ \t]+"?
                 (?:\Q$Secret\E|\Q$Token\E)/x;

sub check_memory {
    my ($when) = @_;
    my @pids = nginx_pids();
    my ($seen, $hits, $values) = (0, 0, 0);
    for my $pid (@pids) {
        my $m = memory_of($pid);
        next unless defined $m;
        $seen++;
        $hits++ while $m =~ /$text_re/g;
        $values++ if index($m, $Secret) >= 0;
    }
    SKIP: {
        skip "cannot read the memory of nginx's processes (ptrace)", 2 unless $seen;
        is($seen, scalar @pids, "$when: the memory of the master and its worker read");
        is($hits, 0, "$when: no process holds the directives' text with the secret");
    }
}

start_nginx($conf);

# the value in use is the secret: the double checks the signature
my $r = post('/resend', 'dump1');
# (the double takes the STS key only with its token)
is($r->{status}, 200, 'a request signed with the secret and the token of the included file');
$r = post('/other', 'dump2');
is($r->{status}, 200, 'a request signed with the secret of nginx.conf');

like(error_log_text(),
     qr/\[warn\].*the value of "resend_verify_access_key_secret" is written with escapes/,
     'a secret written with escapes: a warning that its text stays');

SKIP: {
    skip 'nginx without --with-debug keeps no dump unless -T', 2 unless $debug;
    check_memory('at start');
}

# a reload parses the files again: they are as they were
kill 'HUP', do { my $p = RVTest::slurp("$root/logs/nginx.pid"); $p =~ s/\s+//g; $p };
my $deadline = time + 15;
until (error_log_text() =~ /gracefully shutting down/ || time > $deadline) {
    select undef, undef, undef, 0.1;
}
select undef, undef, undef, 0.5;
$r = post('/resend', 'dump3');
is($r->{status}, 200, 'after a reload: signed with the secret again');
SKIP: {
    skip 'nginx without --with-debug keeps no dump unless -T', 2 unless $debug;
    check_memory('after a reload');
}
stop_nginx();

# nginx -T: the dump as printed
my ($code, $out) = RVTest::run_cmd(
    [RVTest::prefix_cmd(), RVTest::nginx_binary(), '-p', "$root/", '-c', RVTest::conf_file(), '-T'],
    RVTest::startup_timeout() * 3, "$root/logs/nginx-T.out");
is($code, 0, 'nginx -T succeeds');
my $mask = '*' x length $Secret;
ok(index($out, $Secret) < 0 && index($out, $Token) < 0,
   'nginx -T prints neither the secret nor the token');
like($out, qr/resend_verify_access_key_secret "\Q$mask\E";/,
     'nginx -T prints the mask where the included file has the secret');
like($out, qr/resend_verify_access_key_secret \Q$mask\E;/,
     'and where nginx.conf has it');
like($out, qr/resend_verify_security_token \*{${\ length $Token}};/, 'and the token\'s');
like($out, qr/resend_verify_access_key_secret \Q$Escaped\E;/,
     'a secret with escapes is printed as written (the warning says so)');
like($out, qr/^    # p{70}$/m, 'the rest of the text is untouched');
ok(-s "$root/conf/secrets.conf" == length $inc
   && RVTest::slurp("$root/conf/secrets.conf") eq $inc, 'the files are not changed');

done_testing();
