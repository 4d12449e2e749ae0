# The example signup page in a real browser: Debian's headless Chromium,
# driven by playwright-core (t/browser/run.js), against the demo of
# `make run` (examples/demo.conf.in, rendered as tools/demo.sh does) on its
# own ports, with the Domain API double.  run.js's TAP becomes this file's
# tests; screenshots of every state go to build/browser-artifacts/.
#
# Chromium missing: installed with apt-get when running as root; the file is
# skipped (with the reason) only where it cannot be installed.
use strict;
use warnings;

use FindBin;
use Cwd ();
use POSIX ();
use Errno ();
use File::Path ();
use IO::Socket::INET ();
use Time::HiRes ();
use Test::More;

my $Top        = Cwd::abs_path("$FindBin::Bin/..");
my $Chromium   = $ENV{BROWSER_EXECUTABLE} || '/usr/bin/chromium';
my $Port       = $ENV{BROWSER_NGINX_PORT}  || 2284;
my $DoublePort = $ENV{BROWSER_DOUBLE_PORT} || 2285;
my $Servroot   = $ENV{TEST_NGINX_SERVROOT} || "$Top/t/servroot-browser";
my $Node       = $ENV{TEST_NGINX_NODE} || 'node';
my $Nginx      = $ENV{TEST_NGINX_BINARY}
    || (-x "$Top/build/nginx/sbin/nginx" ? "$Top/build/nginx/sbin/nginx" : '/usr/sbin/nginx');
my $KeyId      = 'LTAI5tBrowserTestKeyId01';
my $KeySecret  = 'BrowserTestSecret0123456789abcd';
my $RunTimeout = 120;    # run.js bounds itself at 85 s

# ---------------------------------------------------------------------------
# Processes: each in its own process group, stopped at the end whatever
# happens (also on die, a signal, or this process being killed: a watchdog
# child holds a pipe and kills the groups on EOF).

my $MainPid = $$;
my %Groups;
my ($WatchFh, $WatchPid);

sub watchdog {
    my ($op, $pgid) = @_;
    return unless $$ == $MainPid;
    if (!$WatchFh) {
        pipe(my $r, my $w) or return;
        my $pid = fork;
        return unless defined $pid;
        if ($pid == 0) {
            close $w;
            setpgrp(0, 0);
            $SIG{$_} = 'IGNORE' for qw(INT TERM HUP PIPE QUIT);
            open STDIN, '<', '/dev/null';
            open STDOUT, '>', '/dev/null';
            open STDERR, '>', '/dev/null';
            my (%g, $buf);
            $buf = '';
            while (1) {
                my $n = sysread($r, $buf, 4096, length $buf);
                if (!defined $n) { next if $! == Errno::EINTR(); last }
                last if $n == 0;
                while ($buf =~ s/\A([+-])(\d+)\n//) {
                    if ($1 eq '+') { $g{$2} = 1 } else { delete $g{$2} }
                }
            }
            my @left = grep { kill 0, -$_ } keys %g;
            if (@left) {
                kill 'TERM', -$_ for @left;
                Time::HiRes::sleep(1);
                kill 'KILL', -$_ for @left;
            }
            POSIX::_exit(0);
        }
        close $r;
        ($WatchFh, $WatchPid) = ($w, $pid);
    }
    syswrite($WatchFh, "$op$pgid\n");
}

sub in_child {
    my ($cmd, $out) = @_;
    setpgrp(0, 0);
    $SIG{$_} = 'DEFAULT' for qw(PIPE INT TERM HUP QUIT CHLD ALRM);
    open STDIN, '<', '/dev/null';
    if (defined $out) {
        open STDOUT, '>>', $out or POSIX::_exit(126);
        open STDERR, '>&', \*STDOUT;
    }
    { no warnings 'exec'; exec { $cmd->[0] } @$cmd; }
    print STDERR "exec $cmd->[0]: $!\n";
    POSIX::_exit(127);
}

sub spawn {
    my ($cmd, $out) = @_;
    my $pid = fork;
    die "fork: $!\n" unless defined $pid;
    in_child($cmd, $out) if $pid == 0;
    setpgrp($pid, $pid);
    $Groups{$pid} = 1;
    watchdog('+', $pid);
    return $pid;
}

# a command whose stdout we read, in its own group too
sub spawn_reader {
    my ($cmd, $err) = @_;
    my $pid = open(my $fh, '-|');
    die "fork: $!\n" unless defined $pid;
    if ($pid == 0) {
        open STDERR, '>>', $err if defined $err;
        in_child($cmd, undef);
    }
    setpgrp($pid, $pid);
    $Groups{$pid} = 1;
    watchdog('+', $pid);
    return ($pid, $fh);
}

sub wait_pid {
    my ($pid, $timeout) = @_;
    my $deadline = Time::HiRes::time() + $timeout;
    while (1) {
        my $r = waitpid($pid, POSIX::WNOHANG());
        return $? if $r == $pid;
        return -1 if $r < 0;
        return undef if Time::HiRes::time() >= $deadline;
        Time::HiRes::sleep(0.02);
    }
}

sub stop {
    my ($pid, $reaped) = @_;
    return unless $pid && delete $Groups{$pid};
    kill 'TERM', $pid unless $reaped;
    if (!$reaped && !defined wait_pid($pid, 5)) {
        kill 'KILL', -$pid;
        wait_pid($pid, 3);
    }
    kill 'KILL', -$pid if kill 0, -$pid;    # leftovers of the group
    watchdog('-', $pid);
}

sub stop_all { stop($_) for sort { $b <=> $a } keys %Groups }

END { stop_all() if $$ == $MainPid }
$SIG{INT} = $SIG{TERM} = $SIG{HUP} = sub { die "killed by SIG$_[0]\n" };

# Runs a command to its end, bounded; returns (exit status, output).
sub run_cmd {
    my ($cmd, $timeout, $log) = @_;
    unlink $log;
    my $pid = spawn($cmd, $log);
    my $st = wait_pid($pid, $timeout);
    my $timed_out = !defined $st;
    stop($pid, !$timed_out);
    my $out = slurp($log);
    return ($timed_out ? "timed out after ${timeout}s" : $st >> 8, $out);
}

sub slurp {
    my ($f) = @_;
    open my $fh, '<', $f or return '';
    local $/;
    my $s = <$fh>;
    return defined $s ? $s : '';
}

sub tail {
    my ($s, $n) = @_;
    my @l = split /\n/, $s;
    @l = @l[-$n .. -1] if @l > $n;
    return join("\n", @l);
}

sub port_busy {
    my ($port) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Proto => 'tcp', Timeout => 1);
    return $s ? 1 : 0;
}

sub wait_port {
    my ($port, $pid, $timeout) = @_;
    my $deadline = Time::HiRes::time() + $timeout;
    while (Time::HiRes::time() < $deadline) {
        return 1 if port_busy($port);
        return 0 if waitpid($pid, POSIX::WNOHANG()) == $pid;    # it died
        Time::HiRes::sleep(0.05);
    }
    return 0;
}

# ---------------------------------------------------------------------------
# Chromium and playwright-core

File::Path::remove_tree($Servroot);
File::Path::make_path($Servroot);

if (!-x $Chromium) {
    my $why;
    if ($> != 0) {
        $why = "$Chromium is missing and this is not root "
             . "(install it with: apt-get install chromium)";
    } elsif (!-x '/usr/bin/apt-get') {
        $why = "$Chromium is missing and there is no apt-get";
    } else {
        diag("$Chromium is missing: apt-get install chromium");
        local $ENV{DEBIAN_FRONTEND} = 'noninteractive';
        my ($st, $out) = run_cmd(['apt-get', 'update', '-qq'], 300,
                                 "$Servroot/apt-update.log");
        ($st, $out) = run_cmd(['apt-get', 'install', '-y', '-qq', 'chromium'], 900,
                              "$Servroot/apt-install.log")
            if $st eq '0';
        if ($st ne '0') {
            my ($last) = grep { /\S/ } reverse split /\n/, $out;
            $why = "apt-get install chromium failed (exit $st): "
                 . (defined $last ? $last : 'no output');
        } elsif (!-x $Chromium) {
            $why = "apt-get installed chromium, but there is no $Chromium";
        }
    }
    plan skip_all => "Chromium cannot be installed here: $why" if $why;
}

# A font for the Chinese state, or its screenshot shows boxes (the tests
# read the DOM's text, so they pass either way): best effort, as root.
if ($> == 0 && -x '/usr/bin/apt-get' && -x '/usr/bin/fc-list'
    && `fc-list :lang=zh 2>/dev/null` !~ /\S/)
{
    local $ENV{DEBIAN_FRONTEND} = 'noninteractive';
    my ($st) = run_cmd(['apt-get', 'install', '-y', '-qq', 'fonts-wqy-zenhei'], 300,
                       "$Servroot/apt-fonts.log");
    ($st) = run_cmd(['sh', '-c', 'apt-get update -qq && apt-get install -y -qq '
                     . 'fonts-wqy-zenhei'], 300, "$Servroot/apt-fonts.log")
        if $st ne '0';
    diag("no Chinese font (apt-get install fonts-wqy-zenhei failed): "
         . "the zh screenshot shows boxes") if $st ne '0';
}

if (system("cd '$Top' && '$Node' -e \"require.resolve('playwright-core')\" "
           . ">/dev/null 2>&1") != 0) {
    diag('playwright-core is not installed: npm install (package-lock.json pins it)');
    my ($st, $out) = run_cmd(['sh', '-c', "cd '$Top' && npm install --no-audit "
                              . "--no-fund --loglevel=error"], 300,
                             "$Servroot/npm-install.log");
    diag(tail($out, 20)) if $st ne '0';
}

# ---------------------------------------------------------------------------
# The demo's nginx.conf, rendered as tools/demo.sh does

# As root, the workers run as nobody where nobody can read the pages and enter
# the servroot, else (a 0700 checkout) as root, as tools/demo.sh decides.
sub nobody_can_read {
    my @pw = getpwnam('nobody') or return 0;
    my $pid = fork;
    return 0 unless defined $pid;
    if ($pid == 0) {
        $( = $pw[3];
        $) = "$pw[3] $pw[3]";    # the supplementary groups too
        POSIX::setuid($pw[2]);
        POSIX::_exit(($> == $pw[2] && -r "$Top/examples/signup.html" && -x $Servroot) ? 0 : 1);
    }
    waitpid($pid, 0);
    return $? == 0;
}

sub worker_user {
    return '' unless $> == 0;
    return 'user root;' unless nobody_can_read();
    my $group = getgrgid((getpwnam('nobody'))[3]);
    return "user nobody $group;";
}

sub render_conf {
    my $load = $ENV{TEST_NGINX_LOAD_MODULE} ? "load_module $ENV{TEST_NGINX_LOAD_MODULE};" : '';
    my %v = (RUNDIR => $Servroot, TOP => $Top, PORT => $Port, USER => worker_user(),
             DOUBLE_PORT => $DoublePort, KEY_ID => $KeyId,
             KEY_SECRET => $KeySecret, LOAD_MODULE => $load);
    my $conf = slurp("$Top/examples/demo.conf.in");
    $conf =~ s/\@([A-Z_]+)\@/exists $v{$1} ? $v{$1} : "\@$1\@"/ge;    # as sed does
    open my $fh, '>', "$Servroot/nginx.conf" or die "$Servroot/nginx.conf: $!\n";
    print $fh $conf;
    close $fh;
}

my $failed_setup = 0;
sub setup_fail {
    my ($what, $detail) = @_;
    fail($what);
    diag($detail) if defined $detail && length $detail;
    $failed_setup = 1;
}

render_conf();

for my $p ($Port, $DoublePort) {
    if (port_busy($p)) {
        setup_fail("port $p is free", "127.0.0.1:$p is in use: the browser tests need "
                   . "$Port (nginx) and $DoublePort (double)");
    }
}

if (!$failed_setup) {
    my ($st, $out) = run_cmd([$Nginx, '-t', '-p', $Servroot, '-e', "$Servroot/error.log",
                              '-c', "$Servroot/nginx.conf"], 20, "$Servroot/nginx-t.log");
    if ($st eq '0') {
        pass("nginx -t accepts examples/demo.conf.in ($Nginx)");
    } else {
        setup_fail("nginx -t accepts examples/demo.conf.in ($Nginx)", tail($out, 10));
    }
}

my ($double, $nginx);
if (!$failed_setup) {
    $double = spawn([$Node, "$Top/double/server.js", '--port', $DoublePort,
                     '--key', "$KeyId:$KeySecret"], "$Servroot/double.log");
    setup_fail("the Domain API double listens on $DoublePort",
               tail(slurp("$Servroot/double.log"), 10))
        unless wait_port($DoublePort, $double, 10);
}

if (!$failed_setup) {
    $nginx = spawn([$Nginx, '-p', $Servroot, '-e', "$Servroot/error.log",
                    '-c', "$Servroot/nginx.conf"], "$Servroot/nginx.out");
    setup_fail("nginx listens on $Port",
               tail(slurp("$Servroot/nginx.out") . slurp("$Servroot/error.log"), 10))
        unless wait_port($Port, $nginx, 10);
}

# ---------------------------------------------------------------------------
# run.js, its TAP passed through

if (!$failed_setup) {
    local $ENV{BROWSER_BASE_URL} = "http://127.0.0.1:$Port/";
    local $ENV{BROWSER_EXECUTABLE} = $Chromium;
    my ($pid, $fh) = spawn_reader([$Node, "$Top/t/browser/run.js"], "$Servroot/run-js.err");
    my ($planned, $seen, $bad, $lastbad) = (undef, 0, 0, 0);
    my $timed_out = 0;
    eval {
        local $SIG{ALRM} = sub { die "timeout\n" };
        alarm $RunTimeout;
        while (my $l = <$fh>) {
            chomp $l;
            if ($l =~ /^1\.\.(\d+)/) {
                $planned = $1;
            } elsif ($l =~ /^(not )?ok \d+\s*(?:-\s*)?(.*)$/) {
                $seen++;
                $bad++ if $1;
                $lastbad = $1 ? 1 : 0;
                ok(!$1, "browser: $2");
            } elsif ($l =~ /^#\s?(.*)$/) {
                my $c = $1;
                if ($lastbad && $c =~ /^\s/) { diag($c) } else { note($c) }
            } elsif (length $l) {
                note($l);
            }
        }
        alarm 0;
        1;
    } or do {
        alarm 0;
        die $@ unless $@ eq "timeout\n";
        $timed_out = 1;
    };
    stop($pid);
    close $fh;
    my $err = tail(slurp("$Servroot/run-js.err"), 15);
    ok(!$timed_out && defined $planned && $seen == $planned && !$bad,
       "t/browser/run.js ran to the end"
       . ($timed_out ? " (timed out after ${RunTimeout}s)" : '')
       . (defined $planned ? " ($seen of $planned)" : ' (no plan)'))
        or diag($err);
}

stop($nginx) if $nginx;
stop($double) if $double;

if ($failed_setup || grep { !$_ } Test::More->builder->summary) {
    my $log = tail(join('', grep { /\[(error|alert|crit|emerg)\]/ }
                            map { "$_\n" } split /\n/, slurp("$Servroot/error.log")), 15);
    diag("nginx error.log ($Servroot/error.log):\n$log") if length $log;
    diag("screenshots: $Top/build/browser-artifacts/");
}

done_testing();
