# The Debian package (make deb): installs
# build/deb/libnginx-mod-http-resend-verify_<version>_<arch>.deb into the
# machine's nginx with apt-get, checks where its files landed and that it
# depends on the nginx ABI of the installed nginx, then serves the job with
# Debian's /usr/sbin/nginx loading the module the way the system does: by
# including /etc/nginx/modules-enabled/*.conf (no path into build/).
#
# Root only.  Run it with `make test-deb` (builds the package first).
#
# Afterwards the package is purged again if this test installed it (the
# machine is left as it was); it stays if it was installed before, or with
# RV_KEEP_PACKAGE=1.  Either way the system's `nginx -t` must pass.  The
# nginx service is never started (a running one is reloaded by the
# package's dpkg trigger, as with any libnginx-mod-* package).
use strict;
use warnings;
use FindBin;
use Cwd ();

my ($Top, $Pkg, $Version, $Arch, $Deb);

BEGIN {
    $Top = Cwd::abs_path("$FindBin::Bin/..");
    $ENV{TEST_NGINX_BINARY}      = '/usr/sbin/nginx';
    $ENV{TEST_NGINX_PORT}        = 2184;
    $ENV{TEST_NGINX_DOUBLE_PORT} = 2185;
    $ENV{TEST_NGINX_SERVROOT}    = "$Top/t/servroot-pkg";
    delete $ENV{TEST_NGINX_LOAD_MODULE};    # the package's module, only

    $Pkg = 'libnginx-mod-http-resend-verify';
    open my $fh, '<', "$Top/debian/changelog"
        or die "cannot read $Top/debian/changelog: $!\n";
    ($Version) = <$fh> =~ /^\S+ \(([^)]+)\)/
        or die "no version in debian/changelog\n";
    chomp($Arch = `dpkg --print-architecture 2>/dev/null` || '');
    $Deb = "$Top/build/deb/${Pkg}_${Version}_$Arch.deb";
}

use RVTest;

my $So        = '/usr/lib/nginx/modules/ngx_http_resend_verify_module.so';
my $Snippet   = '/usr/share/nginx/modules-available/mod-http-resend-verify.conf';
my $Enabled   = '/etc/nginx/modules-enabled/50-mod-http-resend-verify.conf';
my $LoadLine  = "load_module modules/ngx_http_resend_verify_module.so;\n";

plan(skip_all => 'installs a package into the machine\'s nginx: run as root'
        . ' (sudo make test-deb)') if $> != 0;
plan(skip_all => "Debian's nginx is not installed (/usr/sbin/nginx)")
    unless -x '/usr/sbin/nginx' && -d '/etc/nginx/modules-enabled';
plan(skip_all => "the package is not built ($Deb): make test-deb (or make deb)")
    unless -f $Deb;

sub sh_out {
    my (@cmd) = @_;
    my $pid = open(my $fh, '-|');
    die "fork: $!" unless defined $pid;
    if (!$pid) {
        open STDERR, '>&', \*STDOUT;
        open STDIN, '<', '/dev/null';
        exec @cmd or die "exec $cmd[0]: $!";
    }
    local $/;
    my $out = <$fh>;
    close $fh;
    return ($? >> 8, defined $out ? $out : '');
}

sub pkg_status {
    my ($rc, $out) = sh_out('dpkg-query', '-W',
        '-f=${db:Status-Abbrev}|${Version}|${Depends}', $Pkg);
    return $rc == 0 ? $out : '';
}

sub apt {
    my (@args) = @_;
    local $ENV{DEBIAN_FRONTEND} = 'noninteractive';
    return sh_out('timeout', '300', 'apt-get', '-y', '-q',
        '-o', 'DPkg::Lock::Timeout=120', @args);
}

my $InstalledBefore = pkg_status() =~ /^ii/;
my $Purge = !$InstalledBefore && !$ENV{RV_KEEP_PACKAGE};
my $Installed = 0;

END {
    # a test that died half-way must not leave the package behind either
    if ($Installed && $Purge && $? != 0) {
        apt('purge', $Pkg);
    }
}

my $own = 12 + ($Purge ? 4 : 1);
plan(tests => planned_tests() + $own);

# ---------------------------------------------------------------------------
# install

my ($rc, $out) = apt('install', '--reinstall', $Deb);
$Installed = 1;
ok($rc == 0, "apt-get install ./build/deb/" . (split m{/}, $Deb)[-1])
    or diag($out);

my $st = pkg_status();
like($st, qr/^ii \|\Q$Version\E\|/, "$Pkg $Version is installed")
    or diag($st);

ok(-f $So, "the module is in /usr/lib/nginx/modules");
($rc, $out) = sh_out('dpkg-query', '-S', $So);
like($out, qr/^\Q$Pkg\E: /, "and belongs to $Pkg") or diag($out);

my $snippet = -f $Snippet ? RVTest::slurp($Snippet) : '(missing)';
is($snippet, $LoadLine, "modules-available/mod-http-resend-verify.conf loads it");
ok(-l $Enabled, "modules-enabled/50-mod-http-resend-verify.conf is a symlink");
is(readlink($Enabled) // '', $Snippet, 'to the snippet in modules-available');

# the exact nginx ABI: what the installed nginx provides
my (undef, $provides) = sh_out('dpkg-query', '-W', '-f=${Provides}', 'nginx');
my ($abi) = $provides =~ /(nginx-abi-[^\s,]+)/;
my ($depends) = $st =~ /^[^|]*\|[^|]*\|(.*)$/s;
$depends //= '';
ok(defined $abi && $depends =~ /(?:^|,\s*)\Q$abi\E(?:,|$)/,
    'Depends on the ABI of the installed nginx (' . ($abi // 'none') . ')')
    or diag("Depends: $depends\nnginx Provides: $provides");
like($depends, qr/(?:^|,\s*)libyajl2\b/, 'Depends on libyajl2')
    or diag("Depends: $depends");

# the system's configuration (/etc/nginx/nginx.conf includes modules-enabled)
($rc, $out) = sh_out('/usr/sbin/nginx', '-T', '-q');
ok($rc == 0, "the system's nginx -t passes with the package's module")
    or diag($out);
like($out, qr{^# configuration file \Q$Enabled\E:\n\Q$LoadLine\E}m,
    'and loads it from modules-enabled');

# ---------------------------------------------------------------------------
# the job, served by Debian's nginx with the packaged module

# The snippet says "modules/...so", relative to nginx's prefix: Debian's is
# /usr/share/nginx, where modules -> ../../lib/nginx/modules.  The harness
# runs nginx with -p servroot, so servroot gets the same link.
RVTest::init_servroot();
symlink('/usr/lib/nginx/modules', servroot() . '/modules')
    or die "symlink: $!";

run_tests();

# the running master really mapped the packaged file
my $conf = <<'EOF';
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
EOF
my $maps = '';
eval {
    my $pid = start_nginx($conf,
        main_config => 'include /etc/nginx/modules-enabled/*.conf;');
    $maps = RVTest::slurp("/proc/$pid/maps");
    1;
} or diag($@);
stop_nginx();
like($maps, qr{ \Q$So\E$}m, "nginx mapped $So");

# ---------------------------------------------------------------------------
# leave the machine as it was

if ($Purge) {
    ($rc, $out) = apt('purge', $Pkg);
    ok($rc == 0 && pkg_status() !~ /^[ih]i/, "apt-get purge $Pkg") or diag($out);
    $Installed = 0;
    ok(!-e $So, 'the module is gone');
    ok(!-l $Enabled && !-l "$Enabled.removed", 'and its modules-enabled link');
} else {
    diag("$Pkg stays installed ("
        . ($InstalledBefore ? 'it was installed before' : 'RV_KEEP_PACKAGE')
        . ')');
}
($rc, $out) = sh_out('/usr/sbin/nginx', '-t', '-q');
ok($rc == 0, "the system's nginx -t still passes") or diag($out);

__DATA__

=== TEST 1: Debian's nginx with the packaged module serves the job
--- main_config
include /etc/nginx/modules-enabled/*.conf;
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- config_ok
--- request
POST /resend
Email=alice%40example.com&Lang=zh
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 200
--- response_json
{"ok": true, "message": "如果该邮箱正在等待验证，新的验证邮件已发出。"}
--- upstream_requests: 1
--- upstream_json
{"Email": "alice@example.com", "Lang": "zh"}
--- no_error_log
[error]



=== TEST 2: without modules-enabled, Debian's nginx does not know the directive
--- config
    location = /resend {
        resend_verify /.aliyun;
    }
--- must_die
--- error_log
unknown directive "resend_verify"
