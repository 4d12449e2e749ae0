# examples/nginx.conf, the production example, passes nginx -t.
#
# The test copies it into t/servroot-examples/conf/ and rewrites only what
# cannot work on a test machine, each rewrite checked to apply:
#   * certificate paths: a throwaway self-signed certificate made here with
#     openssl (the example points at Let's Encrypt's files);
#   * the credentials file: a 0600 copy of examples/aliyun-credentials.example;
#   * logs, pid and temp paths: into the servroot;
#   * listen: 127.0.0.1:2184 (443) and 127.0.0.1:2185 (the others), the IPv6
#     listens dropped (nginx -t binds the listening sockets);
#   * the upstream's "server domain.aliyuncs.com:443" becomes 127.0.0.1:443:
#     nginx resolves an upstream server name when it reads the configuration,
#     i.e. at nginx -t time, and there is no DNS here.  Nothing connects to it.
#   * the modules-enabled include: dropped for the private nginx (the module is
#     built in), a load_module of build/debian's .so for Debian's nginx; kept
#     as it is when the package is installed (t/060-package.t).
#   * "http2" on listen, only for a binary built without ngx_http_v2_module
#     (the private test nginx); Debian's nginx has it.
# Then nginx -t with each binary that has the module: build/nginx/sbin/nginx,
# and Debian's /usr/sbin/nginx with build/debian's .so and/or the package.
use strict;
use warnings;
use FindBin;
use Cwd ();
use File::Path ();
use File::Copy ();
use Test::More;

my $Top      = Cwd::abs_path("$FindBin::Bin/..");
my $Root     = "$Top/t/servroot-examples";
my $Example  = "$Top/examples/nginx.conf";
my $CredsEx  = "$Top/examples/aliyun-credentials.example";
my $Private  = "$Top/build/nginx/sbin/nginx";
my $Debian   = '/usr/sbin/nginx';
my $DebSo    = "$Top/build/debian/objs/ngx_http_resend_verify_module.so";
my $PkgConf  = '/etc/nginx/modules-enabled/50-mod-http-resend-verify.conf';
my $PkgSo    = '/usr/lib/nginx/modules/ngx_http_resend_verify_module.so';
my ($Port, $Port2) = (2184, 2185);

sub slurp {
    my ($f) = @_;
    open my $fh, '<:raw', $f or return undef;
    local $/;
    return scalar <$fh>;
}

sub spew {
    my ($f, $text, $mode) = @_;
    open my $fh, '>:raw', $f or die "cannot write $f: $!\n";
    print $fh $text;
    close $fh or die "cannot write $f: $!\n";
    chmod $mode, $f if defined $mode;
}

sub run {    # (exit code, stdout+stderr), bounded in time
    my (@cmd) = @_;
    my $pid = open(my $fh, '-|');
    die "fork: $!\n" unless defined $pid;
    if (!$pid) {
        open STDERR, '>&', \*STDOUT;
        open STDIN, '<', '/dev/null';
        exec 'timeout', '30', @cmd or die "exec: $!\n";
    }
    local $/;
    my $out = <$fh>;
    close $fh;
    return ($? >> 8, defined $out ? $out : '');
}

my @variants;    # [name, binary, how the module is loaded]
push @variants, ['the private nginx', $Private, 'builtin'] if -x $Private;
push @variants, ["Debian's nginx, load_module build/debian",
                 $Debian, "load_module $DebSo;"]
    if -x $Debian && -f $DebSo;
push @variants, ["Debian's nginx, the installed package", $Debian, 'package']
    if -x $Debian && -e $PkgConf && -f $PkgSo;

my $text = slurp($Example);
my $creds = slurp($CredsEx);
plan(skip_all => 'examples/nginx.conf is missing') unless defined $text;

plan(tests => 16 + 2 * @variants + (@variants ? 0 : 1));

# ---------------------------------------------------------------------------
# what the issue asks of the example, read from the file itself

my $nc = $text;
$nc =~ s/#[^\n]*//g;    # comments say anything; check the directives

like($nc, qr/^\s*listen\s+443\s+ssl\b/m, 'listens on 443 with TLS');
like($nc, qr/^\s*proxy_pass\s+https:\/\/(\w+)\/;/m, 'proxy_pass to https://');
like($nc, qr/^\s*proxy_ssl_verify\s+on;/m, 'the upstream certificate is verified');
like($nc, qr/^\s*proxy_ssl_trusted_certificate\s+\S+;/m, 'against a CA bundle');
like($nc, qr/^\s*proxy_ssl_name\s+domain\.aliyuncs\.com;/m,
    'and the name domain.aliyuncs.com');
like($nc, qr/upstream\s+\w+\s*\{[^}]*\bserver\s+domain\.aliyuncs\.com:443;[^}]*\bkeepalive\s+\d+;/s,
    'a keepalive upstream to the real endpoint');
like($nc, qr/^\s*resolver\s+\S/m, 'a resolver');
like($nc, qr/^\s*limit_req\s+zone=/m, 'limit_req');
like($nc, qr/^\s*resend_verify_limit_zone\s+zone=\w+:\w+\s+cooldown=\w+/m,
    'a cooldown zone');
like($nc, qr/^\s*resend_verify_credentials_file\s+\S+;/m, 'a credentials file');
unlike($nc, qr/resend_verify_access_key_(?:id|secret)/,
    'and no AccessKey in nginx.conf');
like($nc, qr/location\s+=\s+\/metrics\s*\{(?=[^}]*\ballow\s+127\.0\.0\.1;)(?=[^}]*\bdeny\s+all;)[^}]*\bresend_verify_status;/s,
    'metrics location, localhost only');

ok(defined $creds, 'examples/aliyun-credentials.example exists');
$creds //= '';
like($creds, qr/^access_key_id\s*=\s*\S+\s*$/m, 'it has access_key_id');
like($creds, qr/^access_key_secret\s*=\s*\S+\s*$/m, 'and access_key_secret');
like($creds, qr/^#.*\bmust be mode 0600, owned by root/m,
    'and says the real file must be mode 0600, owned by root');

# ---------------------------------------------------------------------------
# nginx -t

unless (@variants) {
    SKIP: {
        skip('no nginx with the module: make nginx (build/nginx/sbin/nginx)'
            . ' or make module (build/debian .so)', 1);
    }
    exit 0;
}

File::Path::remove_tree($Root);
File::Path::make_path(map { "$Root/$_" } qw(conf logs html));
spew("$Root/.rvtest-servroot", "created by $0\n");    # RVTest's marker

my ($rc, $out) = run('openssl', 'req', '-x509', '-newkey', 'rsa:2048',
    '-nodes', '-days', '2', '-subj', '/CN=example.com',
    '-addext', 'subjectAltName=DNS:example.com',
    '-keyout', "$Root/conf/example.key", '-out', "$Root/conf/example.crt");
die "openssl could not make a certificate:\n$out" if $rc != 0;
spew("$Root/conf/aliyun-credentials", $creds, 0600);
chmod 0600, "$Root/conf/example.key";

# one rewrite: $n matches expected (undef: at least one)
sub rewrite {
    my ($t, $re, $to, $what, $n) = @_;
    my $count = ($$t =~ s/$re/$to->()/ge) || 0;
    die "t/061-examples.t: rewrite '$what' matched $count times in"
        . " examples/nginx.conf (expected " . ($n // 'some')
        . "): update the test with the example\n"
        if defined $n ? $count != $n : !$count;
}

sub test_copy {
    my ($load, $binary) = @_;
    my $t = $text;
    my $v = `'$binary' -V 2>&1`;

    rewrite(\$t, qr{^(\s*pid\s+)\S+;}m, sub { "$1$Root/logs/nginx.pid;" },
        'pid', 1);
    rewrite(\$t, qr{/var/log/nginx/}, sub { "$Root/logs/" }, 'logs');
    rewrite(\$t, qr{^(\s*ssl_certificate\s+)\S+;}m,
        sub { "$1$Root/conf/example.crt;" }, 'ssl_certificate', 1);
    rewrite(\$t, qr{^(\s*ssl_certificate_key\s+)\S+;}m,
        sub { "$1$Root/conf/example.key;" }, 'ssl_certificate_key', 1);
    rewrite(\$t, qr{^(\s*ssl_trusted_certificate\s+)\S+;}m,
        sub { "$1$Root/conf/example.crt;" }, 'ssl_trusted_certificate', 1);
    rewrite(\$t, qr{^(\s*resend_verify_credentials_file\s+)\S+;}m,
        sub { "$1$Root/conf/aliyun-credentials;" }, 'credentials file', 1);
    # no DNS here, and nginx resolves upstream server names at nginx -t
    rewrite(\$t, qr{^(\s*server\s+)domain\.aliyuncs\.com(:443;)}m,
        sub { "${1}127.0.0.1$2" }, 'upstream server domain.aliyuncs.com', 1);
    rewrite(\$t, qr{^\s*listen\s+\[[^\]]*\]:\d+[^;]*;[ \t]*\n}m, sub { '' },
        'IPv6 listen');
    rewrite(\$t, qr{^(\s*listen\s+)(?:[\d.]+:)?(\d+)\b}m,
        sub { $1 . '127.0.0.1:' . ($2 == 443 ? $Port : $Port2) }, 'listen');
    rewrite(\$t, qr{^(http\s*\{[ \t]*\n)}m, sub {
        $1 . join '', map { "    ${_}_temp_path $Root/${_}_temp;\n" }
            qw(client_body proxy fastcgi uwsgi scgi) }, 'temp paths', 1);
    rewrite(\$t, qr{^(\s*listen\s+[^;]*?)\s+http2\b}m, sub { $1 },
        'http2 (binary without ngx_http_v2_module)')
        unless $v =~ /--with-http_v2_module/;
    for my $f ('/etc/nginx/mime.types', '/etc/ssl/certs/ca-certificates.crt') {
        next if -f $f;    # a machine without nginx-common / ca-certificates
        rewrite(\$t, qr{\Q$f\E}, sub { "$Root/conf/example.crt" }, $f, 1)
            if $f =~ /\.crt$/;
        if ($f =~ /mime/) {
            spew("$Root/conf/mime.types", "types { text/html html; }\n");
            rewrite(\$t, qr{\Q$f\E}, sub { "$Root/conf/mime.types" }, $f, 1);
        }
    }
    my $inc = qr{^include\s+/etc/nginx/modules-enabled/\*\.conf;[ \t]*$}m;
    if ($load eq 'builtin') {
        rewrite(\$t, $inc, sub { '# (the module is built in)' }, 'include', 1);
    } elsif ($load ne 'package') {
        rewrite(\$t, $inc, sub { $load }, 'include', 1);
    } else {
        # the snippet says modules/...so, relative to the prefix (-p)
        unlink "$Root/modules";
        symlink '/usr/lib/nginx/modules', "$Root/modules" or die "symlink: $!";
    }
    return $t;
}

for my $var (@variants) {
    my ($name, $binary, $load) = @$var;
    my $conf = eval { test_copy($load, $binary) };
    if (!defined $conf) {
        fail("$name: the copy of examples/nginx.conf");
        diag($@);
        fail("$name: nginx -t");
        next;
    }
    pass("$name: the copy of examples/nginx.conf");
    (my $tag = $name) =~ s/\W+/-/g;
    my $file = "$Root/conf/nginx-$tag.conf";
    spew($file, $conf);
    ($rc, $out) = run($binary, '-p', "$Root/", '-e', "$Root/logs/error.log",
        '-c', $file, '-t');
    ok($rc == 0 && $out =~ /test is successful/, "$name: nginx -t")
        or diag("$binary -t -c $file:\n$out"
            . join('', map { "unknown directive: $_\n" }
                $out =~ /unknown directive "([^"]+)"/g));
}
