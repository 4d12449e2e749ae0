# A checkout the workers cannot read: as root, a copy of this tree in a 0700
# directory under /root (as "git clone" into /root gives).  `make run`'s
# demo (tools/demo.sh) must serve the signup page, the form's 303 and its
# landing pages from there, and t/070-browser.t must pass in it.  nginx
# runs its workers as nobody unless told otherwise; both now tell it to run
# them as root only when nobody cannot read the tree (the harness's own
# configs always do, as root).
#
# The copy is of the working tree's files (tracked and new, not ignored:
# what you would commit), with node_modules linked; the nginx binary is the
# one under test (nothing is rebuilt).  Ports: TEST_NGINX_PORT +5 (demo
# nginx) and +6 (its double).  Skipped unless root.
use strict;
use warnings;

use RVTest;
use File::Temp ();
use POSIX ();
use Time::HiRes ();

plan skip_all => 'needs root (the workers of a root nginx run as nobody)' if $> != 0;
plan skip_all => 'needs a /root directory' unless -d '/root';

my $Top        = repo_root();
my $DemoPort   = $ENV{TEST_NGINX_PORT} + 5;
my $DemoDouble = $ENV{TEST_NGINX_PORT} + 6;
my $Bin        = nginx_binary();

RVTest::init_servroot();
my $Log = servroot() . '/logs';

my $Parent = File::Temp::tempdir('rv-0700-XXXXXX', DIR => '/root', CLEANUP => 1);
chmod 0700, $Parent;
my $Tree = "$Parent/checkout";
mkdir $Tree, 0755 or die "mkdir $Tree: $!";

# the working tree's files, copied
my ($code, $out) = RVTest::run_cmd(
    ['sh', '-c', 'cd "$1" && git ls-files -z -c -o --exclude-standard '
     . '| xargs -0 -r sh -c \'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done\' _ '
     . '| tar --null -T - -cf - | tar -C "$2" -xf -', '_', $Top, $Tree],
    120, "$Log/copy.log");
is($code, 0, "the tree copied into a 0700 directory ($Tree)") or diag($out);
symlink("$Top/node_modules", "$Tree/node_modules") if -d "$Top/node_modules";

# is the tree really unreadable to nobody?  (else this test proves nothing)
my @pw = getpwnam('nobody');
my $pid = fork;
if ($pid == 0) {
    $( = $pw[3];
    $) = "$pw[3] $pw[3]";
    POSIX::setuid($pw[2]);
    POSIX::_exit(-r "$Tree/examples/signup.html" ? 0 : 1);
}
waitpid($pid, 0);
ok($? != 0, 'nobody cannot read the copy');

# ---------------------------------------------------------------------------
# make run's demo

sub get {
    my ($method, $uri, $headers, $body) = @_;
    local $ENV{TEST_NGINX_PORT} = $DemoPort;
    return http_request($method, $uri, $headers, $body);
}

my $demo = do {
    local $ENV{RESEND_VERIFY_PORT}        = $DemoPort;
    local $ENV{RESEND_VERIFY_DOUBLE_PORT} = $DemoDouble;
    local $ENV{TEST_NGINX_BINARY}         = $Bin;
    RVTest::spawn(cmd => ["$Tree/tools/demo.sh"], chdir => $Tree,
                  stdout => "$Log/demo.out", stderr => "$Log/demo.out");
};
my $up = 0;
my $deadline = Time::HiRes::time() + 30;
while (Time::HiRes::time() < $deadline) {
    last if waitpid($demo, POSIX::WNOHANG()) == $demo;
    $up = RVTest::slurp("$Log/demo.out") =~ /The signup page/ && !RVTest::port_free($DemoPort);
    last if $up;
    Time::HiRes::sleep(0.05);
}
ok($up, "tools/demo.sh started from the copy") or diag(RVTest::slurp("$Log/demo.out"));

my $r = get('GET', '/', { Origin => undef });
is($r->{status}, 200, 'the signup page: 200');
like($r->{body}, qr/<form\b/i, 'it is the signup page');

$r = get('POST', '/signup/resend',
         { 'Content-Type' => 'application/x-www-form-urlencoded',
           'Accept' => 'text/html' }, 'Email=alice%40example.com');
is($r->{status}, 303, 'the form without JavaScript: 303');
like($r->{headers}{location} // '', qr{/signup/sent\.html\?result=sent$}, 'to the sent page');

$r = get('GET', '/signup/sent.html?result=sent', { Origin => undef });
is($r->{status}, 200, 'the sent page: 200');
$r = get('GET', '/signup/failed.html?result=invalid', { Origin => undef });
is($r->{status}, 200, 'the failed page (SSI): 200');

like(RVTest::slurp("$Log/demo.out"), qr/workers run as root/,
     'demo.sh says why the workers run as root');
RVTest::terminate($demo, 'TERM', 10);
ok(RVTest::port_free($DemoPort) && RVTest::port_free($DemoDouble), 'the demo stopped');

# ---------------------------------------------------------------------------
# t/070-browser.t in the copy

SKIP: {
    skip 'no Chromium (t/070-browser.t says how to get it)', 1
        unless -x ($ENV{BROWSER_EXECUTABLE} || '/usr/bin/chromium');
    local $ENV{BROWSER_NGINX_PORT}  = $DemoPort;
    local $ENV{BROWSER_DOUBLE_PORT} = $DemoDouble;
    local $ENV{TEST_NGINX_SERVROOT} = "$Tree/t/servroot-browser";
    local $ENV{TEST_NGINX_BINARY}   = $Bin;
    my ($c, $o) = RVTest::run_cmd(
        ['sh', '-c', 'cd "$1" && prove t/070-browser.t', '_', $Tree],
        240, "$Log/browser.log");
    is($c, 0, 't/070-browser.t passes in the copy') or diag($o);
}

Test::More::done_testing();
