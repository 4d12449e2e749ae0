package RVRedis;

# A real redis-server (or valkey-server) for the fleet store's tests:
# started in the servroot on 127.0.0.1 with a generated config and ACL
# file, stopped by its pid; a tiny RESP client for the test's own checks;
# a test CA and certificates made with openssl at test time; small fake
# stores (one that accepts and never answers, one that is not Redis).
#
#   my $s = RVRedis::start(name => 'a', port => $p, acl => 1,
#                          tls => 1, valkey => 1, extra => ["maxmemory 1"]);
#   RVRedis::cmd($s, 'SET', 'k', 'v');       # as the admin user
#   RVRedis::stop($s);
#
# Ports come from the caller (derived from TEST_NGINX_PORT).  Everything
# runs under RVTest's watchdog (RVTest::spawn).

use strict;
use warnings;

use IO::Socket::INET ();
use IO::Select ();
use POSIX ();
use Time::HiRes ();
use File::Path ();

use RVTest ();

our $AdminPassword = 'admin-only-for-tests';
our $EdgeUser = 'rv-edge';
our $EdgePassword = 'edge-pass-for-tests';

# the least the module needs (README, "Fleet")
our $EdgeAcl = 'resetkeys ~rv:* resetchannels -@all +eval +evalsha '
    . '+get +set +del +pttl +incrby +decrby +pexpireat';

sub dir_of {
    my ($name) = @_;
    return RVTest::servroot() . "/redis-$name";
}

sub spew {
    my ($f, $text) = @_;
    open my $fh, '>', $f or die "RVRedis: cannot write $f: $!\n";
    print $fh $text;
    close $fh or die "RVRedis: cannot write $f: $!\n";
}

sub slurp {
    my ($f) = @_;
    open my $fh, '<', $f or return '';
    local $/;
    my $s = <$fh>;
    return defined $s ? $s : '';
}

# a CA, and a server certificate for "localhost" (and 127.0.0.1) signed
# by it, in DIR; returns the paths.  Made once per servroot.
sub test_ca {
    my $d = RVTest::servroot() . '/tls';
    my %f = (ca => "$d/ca.crt", cakey => "$d/ca.key", crt => "$d/server.crt",
             key => "$d/server.key", other_ca => "$d/other-ca.crt");
    return \%f if -s $f{crt} && -s $f{other_ca};
    File::Path::make_path($d);
    my @q = ('2>>', "$d/openssl.log");
    spew("$d/ext.cnf", "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
    for my $c (
        "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=rv-test-ca"
            . " -keyout $f{cakey} -out $f{ca}",
        "openssl req -newkey rsa:2048 -nodes -subj /CN=localhost"
            . " -keyout $f{key} -out $d/server.csr",
        "openssl x509 -req -in $d/server.csr -CA $f{ca} -CAkey $f{cakey}"
            . " -CAcreateserial -days 2 -extfile $d/ext.cnf -out $f{crt}",
        "openssl req -x509 -newkey rsa:2048 -nodes -days 2"
            . " -subj /CN=another-ca -keyout $d/other-ca.key"
            . " -out $f{other_ca}")
    {
        system("$c >/dev/null 2>>$d/openssl.log") == 0
            or die "RVRedis: '$c' failed:\n" . slurp("$d/openssl.log");
    }
    chmod 0644, $f{key};
    return \%f;
}

sub redis_server {
    for my $d (split /:/, $ENV{PATH} || '') {
        return "$d/redis-server" if -x "$d/redis-server";
    }
    return undef;
}

sub valkey_root {
    return $ENV{RV_DEBIAN13_ROOT}
        || RVTest::repo_root() . '/build/debian13';
}

sub valkey_available {
    return -x valkey_root() . '/usr/bin/valkey-server';
}

# start(name => ..., port => ..., [acl => 1], [tls => 1] (tls_port =>),
#       [valkey => 1], [extra => [...]], [password => 'default user pass'])
sub start {
    my (%o) = @_;
    my $name = $o{name} or die "RVRedis::start: no name\n";
    RVTest::init_servroot();
    my $d = dir_of($name);
    File::Path::remove_tree($d);
    File::Path::make_path($d);

    my $conf = "bind 127.0.0.1\nport $o{port}\nprotected-mode no\n"
        . "daemonize no\nsave \"\"\nappendonly no\ndir $d\n"
        . "logfile $d/server.log\nloglevel notice\ntimeout 0\n"
        . "databases 1\n";

    if ($o{acl}) {
        spew("$d/users.acl",
             "user default on >$AdminPassword ~* &* +\@all\n"
             . "user $EdgeUser on >$EdgePassword $EdgeAcl\n");
        $conf .= "aclfile $d/users.acl\n";
    }

    if ($o{tls}) {
        my $ca = test_ca();
        $conf .= "tls-port $o{tls_port}\ntls-cert-file $ca->{crt}\n"
            . "tls-key-file $ca->{key}\ntls-ca-cert-file $ca->{ca}\n"
            . "tls-auth-clients no\n";
    }

    $conf .= "$_\n" for @{$o{extra} || []};
    spew("$d/redis.conf", $conf);

    my @cmd;
    if ($o{valkey}) {
        @cmd = (RVTest::repo_root() . '/tools/debian13-root.sh', '--run',
                '--bind', RVTest::servroot(), valkey_root(), '--',
                '/usr/bin/valkey-server', "$d/redis.conf");
    } else {
        @cmd = ('redis-server', "$d/redis.conf");
    }

    my $pid = RVTest::spawn(cmd => \@cmd, stdout => "$d/stdout.log",
                            stderr => "$d/stdout.log");
    my $s = { %o, pid => $pid, dir => $d };

    my $deadline = Time::HiRes::time() + 20;
    while (1) {
        last if slurp("$d/server.log") =~ /Ready to accept connections/;
        my $r = waitpid($pid, POSIX::WNOHANG());
        die "RVRedis: the store '$name' exited at start:\n"
            . slurp("$d/stdout.log") . slurp("$d/server.log") . "\n"
            if $r == $pid;
        die "RVRedis: the store '$name' did not start within 20 s:\n"
            . slurp("$d/server.log") . "\n"
            if Time::HiRes::time() > $deadline;
        Time::HiRes::sleep(0.02);
    }
    return $s;
}

sub stop {
    my ($s) = @_;
    return unless $s && $s->{pid};
    RVTest::terminate(delete $s->{pid}, 'TERM', 5);
}

# a RESP client, as the admin user (the default user's password)
sub cmd {
    my ($s, @args) = @_;
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
        PeerPort => $s->{port}, Proto => 'tcp', Timeout => 5)
        or die "RVRedis: cannot connect to $s->{port}: $!\n";
    my $req = '';
    if ($s->{acl}) {
        $req .= encode('AUTH', $AdminPassword);
    }
    $req .= encode(@args);
    syswrite($sock, $req);
    my $buf = '';
    my $want = $s->{acl} ? 2 : 1;
    my @r;
    my $deadline = Time::HiRes::time() + 5;
    my $sel = IO::Select->new($sock);
    while (@r < $want) {
        my ($v, $rest) = decode($buf);
        if (defined $rest) {
            push @r, $v;
            $buf = $rest;
            next;
        }
        die "RVRedis: no reply within 5 s to @args\n"
            if Time::HiRes::time() > $deadline;
        next unless $sel->can_read(0.2);
        my $n = sysread($sock, $buf, 65536, length $buf);
        die "RVRedis: the store closed the connection on @args\n" unless $n;
    }
    close $sock;
    return $r[-1];
}

sub encode {
    my (@a) = @_;
    my $s = '*' . scalar(@a) . "\r\n";
    $s .= '$' . length($_) . "\r\n$_\r\n" for @a;
    return $s;
}

# (value, rest) or () if incomplete; an error is { err => text }
sub decode {
    my ($b) = @_;
    return () unless $b =~ /\A([-+:\$*])([^\r]*)\r\n/;
    my ($t, $line) = ($1, $2);
    my $rest = substr($b, length($t) + length($line) + 2);
    return ($line, $rest) if $t eq '+';
    return ({ err => $line }, $rest) if $t eq '-';
    return ($line + 0, $rest) if $t eq ':';
    if ($t eq '$') {
        return (undef, $rest) if $line < 0;
        return () if length($rest) < $line + 2;
        return (substr($rest, 0, $line), substr($rest, $line + 2));
    }
    return (undef, $rest) if $line < 0;
    my @v;
    for (1 .. $line) {
        my ($v, $r) = decode($rest);
        return () unless defined $r;
        push @v, $v;
        $rest = $r;
    }
    return (\@v, $rest);
}

# every key of the store, each with its TTL and value
sub scan_keys {
    my ($s) = @_;
    my @keys;
    my $cursor = '0';
    do {
        my $r = cmd($s, 'SCAN', $cursor, 'COUNT', '1000');
        $cursor = $r->[0];
        push @keys, @{$r->[1]};
    } while ($cursor ne '0');
    return map { { key => $_, pttl => cmd($s, 'PTTL', $_),
                   value => cmd($s, 'GET', $_) } } sort @keys;
}

# A fake store: node on a port, "silent" (accepts, reads, never answers)
# or "http" (answers like a web server), until the test stops it.
sub start_fake {
    my (%o) = @_;
    my $d = dir_of("fake-$o{port}");
    File::Path::make_path($d);
    my $js = $o{mode} eq 'silent'
        ? 'c.on("data", () => {});'
        : 'c.on("data", () => { c.end("HTTP/1.1 400 Bad Request\r\n'
          . 'Content-Length: 0\r\nConnection: close\r\n\r\n"); });';
    spew("$d/fake.js",
         "const net = require('net');\n"
         . "const s = net.createServer((c) => { c.on('error', () => {}); $js });\n"
         . "s.listen($o{port}, '127.0.0.1', () => console.log('fake ready'));\n");
    unlink "$d/out.log";
    my $pid = RVTest::spawn(cmd => [$ENV{TEST_NGINX_NODE} || 'node',
                                    "$d/fake.js"],
                            stdout => "$d/out.log", stderr => "$d/out.log");
    my $deadline = Time::HiRes::time() + 10;
    until (slurp("$d/out.log") =~ /fake ready/) {
        die "RVRedis: the fake store did not start:\n" . slurp("$d/out.log")
            if Time::HiRes::time() > $deadline;
        Time::HiRes::sleep(0.02);
    }
    return { pid => $pid, port => $o{port} };
}

1;
