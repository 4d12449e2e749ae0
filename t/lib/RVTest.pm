package RVTest;

# Data-driven nginx test harness for ngx_http_resend_verify_module, in the
# spirit of Test::Nginx::Socket (which is not available here).  See
# t/README.md for the block format.
#
# Spiffy source filter note (Test::Base -Base): a column-0 "sub name {" gets
# "my $self = shift;" injected; "sub name () {" is a plain function (the empty
# prototype is stripped).  All functions below use the "()" form.

use Test::Base -Base;

use POSIX ();
use Errno ();
use IO::Socket::INET ();
use IO::Select ();
use Time::HiRes ();
use File::Path ();
use File::Basename ();
use File::Copy ();
use Cwd ();
use JSON::PP ();
use Text::ParseWords ();
use B ();
require Test::Base::Filter;

our $VERSION = '0.01';

our @EXPORT = qw(
    run_tests planned_tests repeat_each double_args
    start_nginx stop_nginx http_request error_log_text servroot
    last_upstream_records record_file start_double stop_double
    repo_root nginx_binary subst_vars json_subset_diff allow_sections
    aux_port start_aux stop_aux
);

# ---------------------------------------------------------------------------
# Environment

my $RepoRoot = Cwd::abs_path(
    File::Basename::dirname(Cwd::abs_path(__FILE__)) . '/../..');

my %EnvDefaults = (
    TEST_NGINX_PORT        => 1984,
    TEST_NGINX_DOUBLE_PORT => 1985,
    TEST_NGINX_WORKERS     => 1,
    TEST_NGINX_TIMEOUT     => 10,
    TEST_NGINX_SERVROOT    => "$RepoRoot/t/servroot",
    TEST_NGINX_REPO        => $RepoRoot,
    TEST_NGINX_KEY_ID      => 'LTAI5tTestOnlyKeyId0001',
    TEST_NGINX_KEY_SECRET  => 'TestOnlySecret0123456789abcdef',
);
for my $k (sort keys %EnvDefaults) {
    $ENV{$k} = $EnvDefaults{$k}
        unless defined $ENV{$k} && length $ENV{$k};
}
$ENV{TEST_NGINX_SERVER_PORT} = $ENV{TEST_NGINX_PORT}
    unless defined $ENV{TEST_NGINX_SERVER_PORT}
        && length $ENV{TEST_NGINX_SERVER_PORT};

my $MainPid = $$;
my $RepeatEach = 1;
my $FileDoubleArgs;
my $ServrootReady = 0;
my %Nginx;            # pid, started
my %Double;           # pid, args, stderr
my %Aux;              # name => pid of the other doubles
my @LastRecords;
my $Features;

my $JSON = JSON::PP->new->utf8->allow_nonref->canonical;

sub repo_root () { $RepoRoot }
sub servroot () { $ENV{TEST_NGINX_SERVROOT} }
sub record_file () { servroot() . '/double/record.jsonl' }
sub last_upstream_records () { wantarray ? @LastRecords : [@LastRecords] }
sub port () { $ENV{TEST_NGINX_PORT} }
sub double_port () { $ENV{TEST_NGINX_DOUBLE_PORT} }
sub client_timeout () { $ENV{TEST_NGINX_TIMEOUT} || 10 }

sub repeat_each () {
    $RepeatEach = shift if @_;
    return $RepeatEach;
}

sub double_args () {
    $FileDoubleArgs = shift if @_;
    return $FileDoubleArgs;
}

sub file_double_args () {
    no warnings 'once';
    return $FileDoubleArgs if defined $FileDoubleArgs;
    return $main::DoubleArgs if defined $main::DoubleArgs;
    return '';
}

sub nginx_binary () {
    return $ENV{TEST_NGINX_BINARY}
        if defined $ENV{TEST_NGINX_BINARY} && length $ENV{TEST_NGINX_BINARY};
    my $b = "$RepoRoot/build/nginx/sbin/nginx";
    return -x $b ? $b : '/usr/sbin/nginx';
}

sub prefix_cmd () {
    my $p = $ENV{TEST_NGINX_PREFIX_CMD};
    return Text::ParseWords::shellwords($p) if defined $p && $p =~ /\S/;
    my $v = $ENV{TEST_NGINX_USE_VALGRIND};
    return () unless $v;
    my @cmd = ('valgrind', '-q', '--num-callers=50');
    if ($v =~ /^\d+$/) {
        push @cmd, '--leak-check=full';
    } else {
        push @cmd, Text::ParseWords::shellwords($v);
    }
    my $supp = "$RepoRoot/t/valgrind.suppress";
    push @cmd, "--suppressions=$supp" if -f $supp;
    return @cmd;
}

sub startup_timeout () { prefix_cmd() ? 60 : 10 }

# ---------------------------------------------------------------------------
# $TEST_NGINX_* substitution

sub env_lookup () {
    my ($name, $where) = @_;
    my $key = "TEST_NGINX_$name";
    return $ENV{$key} if defined $ENV{$key};
    return nginx_binary() if $name eq 'BINARY';
    die "RVTest: unknown variable \$$key"
        . (defined $where ? " in $where" : '')
        . " (set it in the environment or use a known one)\n";
}

sub subst_vars () {
    my ($v, $where) = @_;
    return $v unless defined $v;
    return [map { subst_vars($_, $where) } @$v] if ref $v eq 'ARRAY';
    return $v if ref $v;
    $v =~ s{\$(\{)?TEST_NGINX_([A-Z0-9_]+)(?(1)\})}{env_lookup($2, $where)}ge;
    return $v;
}

# Before an "eval" section is evaluated: also swallow a backslash in front of
# the variable so "\$TEST_NGINX_PORT" in a perl string works too.
sub subst_vars_code () {
    my ($v, $where) = @_;
    $v =~ s{\\?\$(\{)?TEST_NGINX_([A-Z0-9_]+)(?(1)\})}{env_lookup($2, $where)}ge;
    return $v;
}

# ---------------------------------------------------------------------------
# Processes

sub spawn () {
    my (%o) = @_;    # cmd => [...], stdout => file, stderr => file, chdir
    my @cmd = @{$o{cmd}};
    my $pid = fork;
    die "RVTest: fork failed: $!\n" unless defined $pid;
    if ($pid == 0) {
        eval {
            setpgrp(0, 0);
            $SIG{$_} = 'DEFAULT' for qw(PIPE INT TERM HUP QUIT CHLD ALRM);
            chdir $o{chdir} if $o{chdir};
            open STDIN, '<', '/dev/null';
            open STDOUT, '>>', $o{stdout} or die "open $o{stdout}: $!";
            open STDERR, '>>', $o{stderr} or die "open $o{stderr}: $!";
            exec { $cmd[0] } @cmd or die "exec $cmd[0] failed: $!";
        };
        print STDERR "RVTest: $@";
        POSIX::_exit(127);
    }
    setpgrp($pid, $pid);    # may fail harmlessly if the child already did it
    watchdog_notify('+', $pid);
    return $pid;
}

# A watchdog process kills every process group we started if this test
# process dies without cleaning up (SIGKILL, SIGPIPE, a crash...): it holds
# the read end of a pipe and acts on EOF.
my ($WatchFh, $WatchPid);

sub watchdog_notify () {
    my ($op, $pgid) = @_;
    return unless $$ == $MainPid;
    start_watchdog() unless $WatchFh;
    syswrite($WatchFh, "$op$pgid\n") if $WatchFh;
}

sub start_watchdog () {
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

# Returns the wait status, or undef if still running after $timeout.
sub wait_pid () {
    my ($pid, $timeout) = @_;
    my $deadline = Time::HiRes::time() + $timeout;
    while (1) {
        my $r = waitpid($pid, POSIX::WNOHANG());
        return $? if $r == $pid;
        return -1 if $r < 0;    # not our child / already reaped
        return undef if Time::HiRes::time() >= $deadline;
        Time::HiRes::sleep(0.01);
    }
}

sub group_alive () { my ($pgid) = @_; return kill(0, -$pgid) ? 1 : 0 }

# Stop a process started by spawn(): $sig first, SIGKILL to its whole process
# group after $grace seconds; also kills leftovers of the group.
sub terminate () {
    my ($pid, $sig, $grace) = @_;
    return unless $pid;
    kill $sig, $pid;
    my $st = wait_pid($pid, $grace);
    if (!defined $st) {
        kill 'KILL', -$pid;
        kill 'KILL', $pid;
        $st = wait_pid($pid, 3);
    }
    if (group_alive($pid)) {
        kill 'KILL', -$pid;
        my $deadline = Time::HiRes::time() + 2;
        Time::HiRes::sleep(0.01)
            while group_alive($pid) && Time::HiRes::time() < $deadline;
    }
    watchdog_notify('-', $pid) unless group_alive($pid);
    return $st;
}

# Run a command to completion (bounded); returns (exit_code, stderr_text).
sub run_cmd () {
    my ($cmd, $timeout, $errfile) = @_;
    unlink $errfile;
    my $pid = spawn(cmd => $cmd, stdout => $errfile, stderr => $errfile);
    my $st = wait_pid($pid, $timeout);
    my $timed_out = !defined $st;
    $st = terminate($pid, 'KILL', 1) if $timed_out;
    my $out = slurp($errfile);
    $out .= "\n[RVTest: command timed out after ${timeout}s]\n" if $timed_out;
    my $code = $timed_out ? -1 : ($st & 127) ? 128 + ($st & 127) : $st >> 8;
    return ($code, $out);
}

sub cleanup_all () {
    return unless $$ == $MainPid;
    my $was_running = $Nginx{pid};
    stop_nginx_quietly(2, 'TERM');
    sanitizer_fail_if_reported('nginx left running at exit') if $was_running;
    stop_double();
    stop_aux($_) for keys %Aux;
}

END {
    local $?;
    cleanup_all();
}

for my $sig (qw(INT TERM HUP PIPE ALRM)) {
    $SIG{$sig} = sub {
        cleanup_all();
        print STDERR "RVTest: caught SIG$sig, processes cleaned up\n";
        my %num = (INT => 2, TERM => 15, HUP => 1, PIPE => 13, ALRM => 14);
        POSIX::_exit(128 + $num{$sig});
    };
}

# ---------------------------------------------------------------------------
# Files

sub slurp () {
    my ($f, $from) = @_;
    open my $fh, '<:raw', $f or return '';
    if ($from) { seek $fh, $from, 0 or return '' }
    local $/;
    my $s = <$fh>;
    return defined $s ? $s : '';
}

sub spew () {
    my ($f, $text) = @_;
    File::Path::make_path(File::Basename::dirname($f));
    open my $fh, '>:raw', $f or die "RVTest: cannot write $f: $!\n";
    print $fh $text;
    close $fh or die "RVTest: cannot write $f: $!\n";
}

sub init_servroot () {
    return if $ServrootReady;
    my $root = servroot();
    die "RVTest: TEST_NGINX_SERVROOT must be an absolute path, got '$root'\n"
        unless $root =~ m{^/.};
    if (-d $root && !-e "$root/.rvtest-servroot") {
        opendir my $dh, $root or die "RVTest: cannot read $root: $!\n";
        my @e = grep { !/^\.\.?$/ } readdir $dh;
        die "RVTest: refusing to wipe non-empty $root (no .rvtest-servroot"
            . " marker); remove it or choose another TEST_NGINX_SERVROOT\n"
            if @e && File::Basename::basename($root) !~ /servroot/;
    }
    File::Path::remove_tree($root) if -d $root;
    File::Path::make_path(map { "$root/$_" }
        qw(conf logs html double failed));
    spew("$root/.rvtest-servroot", "created by RVTest for $0\n");
    $ServrootReady = 1;
}

sub error_log_file () { servroot() . '/logs/error.log' }
sub error_log_text () { slurp(error_log_file()) }

sub nginx_features () {
    return $Features if $Features;
    my $bin = nginx_binary();
    my $out = -x $bin ? `'$bin' -V 2>&1` : '';
    my %f = (out => $out);
    $f{without}{$1} = 1 while $out =~ /--without-http_(\w+?)_module/g;
    return $Features = \%f;
}

sub port_free () {
    my ($p) = @_;
    my $s = IO::Socket::INET->new(
        LocalAddr => '127.0.0.1', LocalPort => $p, Proto => 'tcp',
        Listen => 1, ReuseAddr => 1);
    return 0 unless $s;
    close $s;
    return 1;
}

# ---------------------------------------------------------------------------
# nginx

sub build_conf () {
    my (%o) = @_;  # config, http_config, main_config, log_level
    my $root = servroot();
    my $main = defined $o{main_config} ? $o{main_config} : '';
    my $level = defined $o{log_level} && length $o{log_level}
        ? $o{log_level} : 'debug';
    my $workers = $ENV{TEST_NGINX_WORKERS} || 1;
    my $f = nginx_features()->{without};
    my $conf = '';
    $conf .= "load_module $ENV{TEST_NGINX_LOAD_MODULE};\n"
        if defined $ENV{TEST_NGINX_LOAD_MODULE}
            && length $ENV{TEST_NGINX_LOAD_MODULE};
    $conf .= "daemon off;\n";
    $conf .= "master_process on;\n" unless $main =~ /^\s*master_process\s/m;
    $conf .= "worker_processes $workers;\n"
        unless $main =~ /^\s*worker_processes\s/m;
    $conf .= "user root;\n" if $> == 0 && $main !~ /^\s*user\s/m;
    $conf .= "error_log $root/logs/error.log $level;\n";
    $conf .= "pid $root/logs/nginx.pid;\n";
    $conf .= "\n$main\n" if length $main;
    $conf .= "events {\n    worker_connections 1024;\n}\n\n";
    $conf .= "http {\n";
    $conf .= "    access_log $root/logs/access.log;\n";
    $conf .= "    client_body_temp_path $root/client_body_temp;\n";
    $conf .= "    proxy_temp_path $root/proxy_temp;\n" unless $f->{proxy};
    $conf .= "    fastcgi_temp_path $root/fastcgi_temp;\n" unless $f->{fastcgi};
    $conf .= "    uwsgi_temp_path $root/uwsgi_temp;\n" unless $f->{uwsgi};
    $conf .= "    scgi_temp_path $root/scgi_temp;\n" unless $f->{scgi};
    $conf .= "    default_type text/plain;\n";
    $conf .= "\n$o{http_config}\n"
        if defined $o{http_config} && length $o{http_config};
    $conf .= "    server {\n";
    $conf .= "        listen 127.0.0.1:" . port() . ";\n";
    $conf .= "        server_name localhost;\n";
    $conf .= "\n$o{config}\n" if defined $o{config};
    $conf .= "    }\n}\n";
    return $conf;
}

sub conf_file () { servroot() . '/conf/nginx.conf' }

sub reset_logs () {
    my $root = servroot();
    unlink map { "$root/logs/$_" }
        qw(error.log access.log nginx.stderr nginx.pid nginx-t.stderr);
}

sub log_excerpt () {
    my ($text, $max) = @_;
    $max ||= 15;
    my @lines = split /\n/, $text;
    my @imp = grep { /\[(?:warn|error|crit|alert|emerg)\]/ } @lines;
    @imp = @imp[-30 .. -1] if @imp > 30;
    my @tail = @lines > $max ? @lines[-$max .. -1] : @lines;
    my $s = '';
    $s .= "  warn+ lines:\n" . join('', map { "    $_\n" } @imp) if @imp;
    $s .= "  last lines:\n" . join('', map { "    $_\n" } @tail) if @tail;
    return $s || "  (empty)\n";
}

sub nginx_test_conf () {
    my ($code, $out) = run_cmd(
        [prefix_cmd(), nginx_binary(), '-p', servroot() . '/', '-c',
         conf_file(), '-t'],
        startup_timeout(), servroot() . '/logs/nginx-t.stderr');
    return ($code, $out);
}

# The budget's periods (resend_verify_limit_zone budget=N/1h, /1d, /30d,
# and the store's) are aligned to multiples of their length, all of them
# hour boundaries: a test that counts sends across one would see the budget
# start again.  An nginx is not started in the last 20 s of an hour: that
# leaves a block (and most files) the time to finish before the boundary.
sub avoid_period_boundary () {
    my $left = 3600 - Time::HiRes::time() % 3600;
    return if $left > 20 || $ENV{TEST_NGINX_NO_BOUNDARY_WAIT};
    Time::HiRes::sleep($left + 0.5);
}

sub launch_nginx () {
    avoid_period_boundary();
    my $bin = nginx_binary();
    die "RVTest: nginx binary '$bin' not found or not executable"
        . " (set TEST_NGINX_BINARY)\n" unless -x $bin;
    stop_nginx_quietly(5) if $Nginx{pid};
    my $p = port();
    die "RVTest: port $p (TEST_NGINX_PORT) on 127.0.0.1 is in use by another"
        . " process; free it or set TEST_NGINX_PORT\n" unless port_free($p);
    my $root = servroot();
    my $pidfile = "$root/logs/nginx.pid";
    unlink $pidfile;
    my $pid = spawn(
        cmd => [prefix_cmd(), $bin, '-p', "$root/", '-c', conf_file()],
        stdout => "$root/logs/nginx.stderr",
        stderr => "$root/logs/nginx.stderr");
    $Nginx{pid} = $pid;
    my $deadline = Time::HiRes::time() + startup_timeout();
    while (1) {
        # nginx writes the pid file after its listening sockets are open
        my $pf = slurp($pidfile);
        last if $pf =~ /^\d+\s*$/;
        my $r = waitpid($pid, POSIX::WNOHANG());
        if ($r == $pid) {
            my $st = $?;
            delete $Nginx{pid};
            die "nginx failed to start (exit status " . ($st >> 8)
                . ")\n--- nginx stderr:\n" . slurp("$root/logs/nginx.stderr")
                . "--- error.log:\n" . log_excerpt(error_log_text());
        }
        if (Time::HiRes::time() > $deadline) {
            stop_nginx_quietly(1);
            die "nginx did not become ready within " . startup_timeout()
                . "s\n--- nginx stderr:\n" . slurp("$root/logs/nginx.stderr")
                . "--- error.log:\n" . log_excerpt(error_log_text());
        }
        Time::HiRes::sleep(0.01);
    }
    return $pid;
}

sub stop_nginx_quietly () {
    my ($grace, $sig) = @_;
    my $pid = delete $Nginx{pid} or return;
    return terminate($pid, $sig || 'QUIT', defined $grace ? $grace : 5);
}

# Memory checkers (make test-asan, make test-valgrind).  With
# TEST_NGINX_CHECK_SANITIZER=1, or with nginx under valgrind, each block has
# one more check that fails if the nginx it ran (or nginx -t) left an
# ASan/UBSan/LSan report or a valgrind error in logs/nginx.stderr,
# nginx-t.stderr, error.log or valgrind.*.log (valgrind --log-file).  The
# valgrind logs are consumed (a copy of one with errors goes to failed/).
# stop_nginx() checks the same and adds a failing test only on a report.
sub sanitizer_check_on () {
    return 1 if $ENV{TEST_NGINX_CHECK_SANITIZER};
    return (grep { m{(?:^|/)valgrind$} } prefix_cmd()) ? 1 : 0;
}

my $SanitizerRe = qr{
      ERROR:\ (?:AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer)
    | ^[^\n]*:\d+:\d+:\ runtime\ error:
    | ^==\d+==\ (?:ERROR\ SUMMARY:\ [1-9] | Invalid\ (?:read|write|free)
        | Conditional\ jump | Use\ of\ uninitialised | Syscall\ param
        | Mismatched\ free | Source\ and\ destination\ overlap
        | Jump\ to\ the\ invalid | Argument\ '\w+'\ of\ function
        | [\d,]+\ \(?[\d,]+\ direct.*?\ blocks\ are\ definitely\ lost
        | [\d,]+\ bytes\ in\ [\d,]+\ blocks\ are\ definitely\ lost
        | Process\ terminating)
}xm;

sub sanitizer_reports () {
    my ($tag) = @_;
    my $root = servroot();
    (my $n = defined $tag ? $tag : 'nginx') =~ s/[^\w.-]+/_/g;
    my $found = '';
    for my $f ((map { "$root/logs/$_" } qw(nginx.stderr nginx-t.stderr
                                           error.log)),
               sort glob("$root/logs/valgrind.*.log")) {
        my $text = slurp($f);
        my $vg = $f =~ m{/(valgrind\.[^/]+)$} ? $1 : undef;
        if ($text =~ $SanitizerRe) {
            my $at = rindex($text, "\n", $-[0]) + 1;
            $found .= "--- $f:\n" . shorten(substr($text, $at), 12000) . "\n";
            File::Copy::copy($f, "$root/failed/$n.$vg") if $vg;
        }
        unlink $f if $vg;
    }
    return $found;
}

sub sanitizer_fail_if_reported () {
    my ($where) = @_;
    return 1 unless sanitizer_check_on();
    my $r = sanitizer_reports($where);
    return 1 unless length $r;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    Test::More::ok(0, "$where: no sanitizer or valgrind report");
    Test::More::diag($r);
    return 0;
}

# Public helpers -------------------------------------------------------------

# start_nginx($config_text, %opts): $config_text is server{}-level config like
# "--- config" (opts: http_config, main_config, log_level), or a complete
# nginx.conf if it contains a top-level "events {" / "http {".
sub start_nginx () {
    my ($text, %o) = @_;
    init_servroot();
    reset_logs();
    $text = subst_vars($text, 'start_nginx()');
    $o{$_} = subst_vars($o{$_}, 'start_nginx()') for keys %o;
    my $conf = $text =~ /^\s*(?:events|http)\s*\{/m
        ? $text : build_conf(%o, config => $text);
    spew(conf_file(), $conf);
    return launch_nginx();
}

sub stop_nginx () {
    my $st = stop_nginx_quietly(5);
    sanitizer_fail_if_reported('stop_nginx()');
    return $st;
}

sub default_host () {
    my ($headers) = @_;
    for my $k (keys %$headers) {
        return $headers->{$k} if lc $k eq 'host' && defined $headers->{$k};
    }
    return undef;
}

sub http_request () {
    my ($method, $uri, $headers, $body) = @_;
    $headers ||= {};
    my %seen = map { lc($_) => 1 } keys %$headers;
    my $raw = "$method $uri HTTP/1.1\r\n";
    $raw .= "Host: localhost\r\n" unless $seen{host};
    $raw .= "Connection: close\r\n" unless $seen{connection};
    # a browser's same-origin POST carries Origin; undef leaves it out
    $raw .= "Origin: http://" . (default_host($headers) // 'localhost')
        . "\r\n" unless $seen{origin};
    for my $k (sort keys %$headers) {
        my $v = $headers->{$k};
        next unless defined $v;
        $raw .= "$k: $_\r\n" for ref $v eq 'ARRAY' ? @$v : ($v);
    }
    if (defined $body) {
        utf8::encode($body) if utf8::is_utf8($body);
        $raw .= "Content-Length: " . length($body) . "\r\n"
            unless $seen{'content-length'} || $seen{'transfer-encoding'};
    }
    $raw .= "\r\n";
    $raw .= $body if defined $body;
    my ($r) = http_exchange(raw => $raw, methods => [$method]);
    return $r;
}

# ---------------------------------------------------------------------------
# The API double

sub double_script () { "$RepoRoot/double/server.js" }

sub find_in_path () {
    my ($prog) = @_;
    return -x $prog ? $prog : undef if $prog =~ m{/};
    for my $d (split /:/, $ENV{PATH} || '') {
        return "$d/$prog" if length $d && -x "$d/$prog" && !-d "$d/$prog";
    }
    return undef;
}

sub double_alive () {
    return 0 unless $Double{pid};
    my $r = waitpid($Double{pid}, POSIX::WNOHANG());
    return 1 if $r == 0;
    $Double{died} = "the API double (pid $Double{pid}) exited unexpectedly"
        . " (status $?)\n--- double stderr:\n" . slurp($Double{stderr});
    delete $Double{pid};
    return 0;
}

sub start_double () {
    my ($args) = @_;
    $args = file_double_args() unless defined $args;
    init_servroot();
    stop_double();
    my $node = find_in_path($ENV{TEST_NGINX_NODE} || 'node')
        or die "cannot start the API double: 'node' not found in PATH"
            . " (or set TEST_NGINX_NODE)\n";
    my $script = double_script();
    die "cannot start the API double: $script does not exist\n"
        unless -f $script;
    my $p = double_port();
    die "RVTest: port $p (TEST_NGINX_DOUBLE_PORT) on 127.0.0.1 is in use by"
        . " another process; free it or set TEST_NGINX_DOUBLE_PORT\n"
        unless port_free($p);
    my @args = Text::ParseWords::shellwords(subst_vars($args, 'double args'));
    push @args, '--key', "$ENV{TEST_NGINX_KEY_ID}:$ENV{TEST_NGINX_KEY_SECRET}"
        unless grep { /^--key(?:=|$)/ } @args;
    my $dir = servroot() . '/double';
    File::Path::make_path($dir);
    my ($out, $err) = ("$dir/stdout.log", "$dir/stderr.log");
    unlink $out, $err;
    my $rec = record_file();
    open my $touch, '>>', $rec or die "RVTest: cannot create $rec: $!\n";
    close $touch;
    my @cmd = ($node, $script, '--port', $p, '--record', $rec, @args);
    my $pid = spawn(cmd => \@cmd, stdout => $out, stderr => $err,
        chdir => $RepoRoot);
    %Double = (pid => $pid, args => $args, stderr => $err,
        cmd => join(' ', @cmd));
    my $deadline = Time::HiRes::time() + 10;
    while (1) {
        return $pid if slurp($out) =~ /double listening on 127\.0\.0\.1:\d+/;
        my $r = waitpid($pid, POSIX::WNOHANG());
        if ($r == $pid) {
            my $st = $?;
            %Double = ();
            die "the API double exited during startup (status "
                . ($st >> 8) . "): @cmd\n--- double stderr:\n"
                . slurp($err) . "--- double stdout:\n" . slurp($out);
        }
        if (Time::HiRes::time() > $deadline) {
            stop_double();
            die "the API double did not print its ready line within 10s: "
                . "@cmd\n--- double stderr:\n" . slurp($err);
        }
        Time::HiRes::sleep(0.02);
    }
}

# Other doubles (double/credentials.js...): each on a port derived from
# TEST_NGINX_PORT (aux_port(2) is TEST_NGINX_PORT + 2), stdout and stderr in
# servroot/double/NAME.log; start_aux() waits for its "listening on" line.
sub aux_port () { my ($n) = @_; return port() + $n }

sub start_aux () {
    my ($name, $script, $port, @args) = @_;
    init_servroot();
    stop_aux($name);
    my $node = find_in_path($ENV{TEST_NGINX_NODE} || 'node')
        or die "cannot start $name: 'node' not found in PATH\n";
    die "RVTest: port $port for $name on 127.0.0.1 is in use\n"
        unless port_free($port);
    my $log = servroot() . "/double/$name.log";
    File::Path::make_path(servroot() . '/double');
    my $from = -s $log || 0;
    my @cmd = ($node, "$RepoRoot/$script", '--port', $port, @args);
    my $pid = spawn(cmd => \@cmd, stdout => $log, stderr => $log,
        chdir => $RepoRoot);
    $Aux{$name} = $pid;
    my $deadline = Time::HiRes::time() + 10;
    while (1) {
        return $pid if slurp($log, $from) =~ /listening on 127\.0\.0\.1:\d+/;
        if (waitpid($pid, POSIX::WNOHANG()) == $pid) {
            delete $Aux{$name};
            die "$name exited during startup: @cmd\n" . slurp($log, $from);
        }
        if (Time::HiRes::time() > $deadline) {
            stop_aux($name);
            die "$name did not print its ready line within 10s: @cmd\n";
        }
        Time::HiRes::sleep(0.02);
    }
}

sub stop_aux () {
    my ($name) = @_;
    my $pid = delete $Aux{$name} or return;
    return terminate($pid, 'TERM', 3);
}

sub stop_double () {
    my $pid = $Double{pid};
    %Double = ();
    return unless $pid;
    return terminate($pid, 'TERM', 3);
}

sub ensure_double () {
    my ($args) = @_;
    if (double_alive()) {
        return if $Double{args} eq $args;
    } elsif (my $died = delete $Double{died}) {
        Test::More::diag("RVTest: $died");
    }
    start_double($args);
}

sub record_size () { my $s = -s record_file(); return $s || 0 }

sub read_records () {
    my ($offset) = @_;
    my $text = slurp(record_file(), $offset);
    my @recs;
    for my $line (split /\n/, $text) {
        next unless $line =~ /\S/;
        my $r = eval { $JSON->decode($line) };
        push @recs, $r || { _raw => $line, _error => "bad JSON: $@" };
    }
    return @recs;
}

sub render_record () {
    my ($r) = @_;
    return $r->{_raw} if exists $r->{_raw};
    my $s = (defined $r->{method} ? $r->{method} : '') . ' '
        . (defined $r->{url} ? $r->{url} : '') . "\n";
    my $h = ref $r->{headers} eq 'HASH' ? $r->{headers} : {};
    for my $k (sort keys %$h) {
        $s .= "$k: $_\n" for ref $h->{$k} eq 'ARRAY' ? @{$h->{$k}} : ($h->{$k});
    }
    $s .= "\n" . (defined $r->{body} ? $r->{body} : '');
    utf8::encode($s) if utf8::is_utf8($s);
    return $s;
}

# ---------------------------------------------------------------------------
# HTTP client (raw socket)

sub fill_buf () {
    my ($c) = @_;
    return 0 if $c->{eof};
    my $left = $c->{deadline} - Time::HiRes::time();
    if ($left <= 0) { $c->{timeout} = 1; return undef }
    my $sel = IO::Select->new($c->{sock});
    unless ($sel->can_read($left)) { $c->{timeout} = 1; return undef }
    my $n = sysread($c->{sock}, my $chunk, 65536);
    if (!defined $n) {
        return fill_buf($c) if $! == Errno::EINTR() || $! == Errno::EAGAIN();
        $c->{read_error} = "$!";
        $c->{eof} = 1;
        return 0;
    }
    if ($n == 0) { $c->{eof} = 1; return 0 }
    $c->{buf} .= $chunk;
    $c->{raw} .= $chunk;
    return 1;
}

sub read_response () {
    my ($c, $method) = @_;
    my $resp = { headers => {}, header_list => [], body => '' };
    my $start = length($c->{raw}) - length($c->{buf});
    my $fail = sub {
        my ($why) = @_;
        $why .= " ($c->{read_error})" if $c->{read_error};
        $resp->{error} = $why;
        $resp->{raw} = substr($c->{raw}, $start);
        return $resp;
    };
  HEADER: while (1) {
        while ($c->{buf} !~ /\r?\n\r?\n/) {
            my $r = fill_buf($c);
            next if $r;
            return $fail->($c->{timeout}
                ? 'timeout after ' . $c->{timeout_secs} . 's reading the response header'
                : length $c->{buf}
                    ? 'connection closed in the middle of the response header'
                    : 'connection closed without a response');
        }
        $c->{buf} =~ s/\A(.*?)\r?\n\r?\n//s;
        my @lines = split /\r?\n/, $1;
        my $sl = shift @lines;
        $sl = '' unless defined $sl;
        $resp->{status_line} = $sl;
        unless ($sl =~ m{^HTTP/(\d+\.\d+)\s+(\d{3})(?:\s+(.*))?$}) {
            return $fail->("bad status line: '$sl'");
        }
        @$resp{qw(proto status reason)} = ($1, $2 + 0, defined $3 ? $3 : '');
        $resp->{headers} = {};
        $resp->{header_list} = [];
        for my $l (@lines) {
            if ($l =~ /^([^:\s]+)\s*:\s*(.*?)\s*$/) {
                push @{$resp->{header_list}}, [$1, $2];
                my $k = lc $1;
                $resp->{headers}{$k} = exists $resp->{headers}{$k}
                    ? "$resp->{headers}{$k}, $2" : $2;
            } else {
                push @{$resp->{bad_header_lines}}, $l;
            }
        }
        # skip interim responses (100 Continue etc.)
        next HEADER if $resp->{status} >= 100 && $resp->{status} < 200
            && $resp->{status} != 101;
        last;
    }
    my $h = $resp->{headers};
    my $no_body = ($method && uc($method) eq 'HEAD')
        || $resp->{status} == 204 || $resp->{status} == 304
        || $resp->{status} == 101;
    if ($no_body) {
        # nothing
    } elsif (defined $h->{'transfer-encoding'}
             && $h->{'transfer-encoding'} =~ /chunked\s*$/i) {
        my $body = '';
        while (1) {
            while ($c->{buf} !~ /\A[^\n]*\n/) {
                my $r = fill_buf($c);
                next if $r;
                $resp->{body} = $body;
                return $fail->($c->{timeout}
                    ? "timeout reading chunked body" : "truncated chunked body");
            }
            $c->{buf} =~ s/\A([^\n]*)\n//;
            my $line = $1;
            unless ($line =~ /^\s*([0-9a-fA-F]+)/) {
                $resp->{body} = $body;
                return $fail->("bad chunk size line: '$line'");
            }
            my $size = hex $1;
            if ($size == 0) {
                # trailers up to an empty line
                while (1) {
                    while ($c->{buf} !~ /\A[^\n]*\n/) {
                        my $r = fill_buf($c);
                        next if $r;
                        last;
                    }
                    last unless $c->{buf} =~ s/\A([^\n]*)\n//;
                    my $t = $1;
                    last if $t =~ /^\r?$/;
                    if ($t =~ /^([^:\s]+)\s*:\s*(.*?)\s*$/) {
                        push @{$resp->{trailers}}, [$1, $2];
                    }
                }
                last;
            }
            while (length $c->{buf} < $size + 2) {
                my $r = fill_buf($c);
                next if $r;
                $body .= substr($c->{buf}, 0, $size);
                $resp->{body} = $body;
                return $fail->($c->{timeout}
                    ? "timeout reading chunked body" : "truncated chunked body");
            }
            $body .= substr($c->{buf}, 0, $size, '');
            $c->{buf} =~ s/\A\r?\n//;
        }
        $resp->{body} = $body;
        $resp->{chunked} = 1;
    } elsif (defined $h->{'content-length'}) {
        my ($len) = $h->{'content-length'} =~ /^\s*(\d+)/;
        return $fail->("bad Content-Length '$h->{'content-length'}'")
            unless defined $len;
        while (length $c->{buf} < $len) {
            my $r = fill_buf($c);
            next if $r;
            $resp->{body} = $c->{buf};
            return $fail->($c->{timeout}
                ? "timeout reading the body ("
                    . length($c->{buf}) . " of $len bytes)"
                : "connection closed after " . length($c->{buf})
                    . " of $len body bytes");
        }
        $resp->{body} = substr($c->{buf}, 0, $len, '');
    } else {
        1 while fill_buf($c);
        $resp->{body} = $c->{buf};
        $c->{buf} = '';
        return $fail->("timeout reading a close-delimited body")
            if $c->{timeout};
    }
    $resp->{raw} = substr($c->{raw}, $start,
        length($c->{raw}) - length($c->{buf}) - $start);
    return $resp;
}

# http_exchange(raw => $bytes | [$piece, ...], delay => $secs,
#               methods => [...one per expected response...], timeout => $s)
sub http_exchange () {
    my (%o) = @_;
    my $timeout = $o{timeout} || client_timeout();
    my @methods = @{$o{methods} || ['GET']};
    my $err = sub {
        my ($msg) = @_;
        return map { { error => $msg, headers => {}, header_list => [],
                       body => '', raw => '' } } @methods;
    };
    my $sock = IO::Socket::INET->new(
        PeerAddr => '127.0.0.1', PeerPort => port(), Proto => 'tcp',
        Timeout => $timeout)
        or return $err->("cannot connect to 127.0.0.1:" . port() . ": $@");
    $sock->blocking(0);
    my $c = { sock => $sock, buf => '', raw => '', eof => 0,
              deadline => Time::HiRes::time() + $timeout,
              timeout_secs => $timeout };
    my @pieces = ref $o{raw} eq 'ARRAY' ? @{$o{raw}} : ($o{raw});
    my $write_error;
    local $SIG{PIPE} = 'IGNORE';
  PIECE: for my $i (0 .. $#pieces) {
        my $data = $pieces[$i];
        $data = '' unless defined $data;
        utf8::encode($data) if utf8::is_utf8($data);
        while (length $data) {
            my $left = $c->{deadline} - Time::HiRes::time();
            if ($left <= 0 || !IO::Select->new($sock)->can_write($left)) {
                $write_error = 'timeout writing the request';
                last PIECE;
            }
            my $n = syswrite($sock, $data);
            if (!defined $n) {
                next if $! == Errno::EINTR() || $! == Errno::EAGAIN();
                # the server may have answered early and closed; read it
                $write_error = "write failed: $!";
                last PIECE;
            }
            substr($data, 0, $n, '');
        }
        Time::HiRes::sleep($o{delay})
            if $o{delay} && $i < $#pieces;
    }
    my @resps;
    for my $m (@methods) {
        my $r = read_response($c, $m);
        $r->{error} .= " [$write_error]" if $r->{error} && $write_error;
        push @resps, $r;
        if ($r->{error}) {
            push @resps, { error => "no response (previous one failed)",
                           headers => {}, header_list => [], body => '',
                           raw => '' } while @resps < @methods;
            last;
        }
    }
    close $sock;
    return @resps;
}

# ---------------------------------------------------------------------------
# Blocks

sub sec_exists () { my ($b, $s) = @_; return exists $b->{$s} }

sub sec () {
    my ($b, $s) = @_;
    return undef unless exists $b->{$s};
    my $v = $b->{$s};
    return ref $v eq 'ARRAY' ? $v->[0] : $v;
}

sub sec_is_eval () {
    my ($b, $s) = @_;
    my $f = $b->{_section_map} && $b->{_section_map}[0]{$s}
        ? $b->{_section_map}[0]{$s}{filters} : '';
    return defined $f && $f =~ /(?:^|\s)eval(?:\s|$)/ ? 1 : 0;
}

# Value of a per-request section for request $i (arrayref = one per request).
sub req_sec () {
    my ($b, $s, $i) = @_;
    my $v = sec($b, $s);
    return ref $v eq 'ARRAY' ? $v->[$i] : $v;
}

# Lines of a list-like section: string (non-empty lines), arrayref, or qr//.
sub sec_lines () {
    my ($v) = @_;
    return () unless defined $v;
    return map { sec_lines($_) } @$v if ref $v eq 'ARRAY';
    return ($v) if ref $v;
    return grep { /\S/ } split /\r?\n/, $v;
}

sub parse_header_lines () {
    my ($text, $where) = @_;
    my (@h, %suppress);
    for my $l (sec_lines($text)) {
        if ($l =~ /^\s*!\s*([^:\s]+)\s*$/) {
            $suppress{lc $1} = 1;
        } elsif ($l =~ /^\s*([^:\s]+)\s*:\s?(.*?)\r?$/) {
            push @h, [$1, $2];
        } else {
            die "RVTest: bad header line '$l' in $where (want 'Name: value')\n";
        }
    }
    return (\@h, \%suppress);
}

sub make_request () {
    my ($b, $text, $is_eval, $conn, $where, $i) = @_;
    die "RVTest: empty request in $where\n" unless defined $text && length $text;
    $text =~ s/\n\z// unless $is_eval;
    my ($first, $body) = split /\n/, $text, 2;
    $first =~ s/\r\z//;
    $first =~ /^\s*(\S+)\s+(\S+)(?:\s+(HTTP\/\d+\.\d+))?\s*$/
        or die "RVTest: bad request line '$first' in $where"
            . " (want 'METHOD URI [HTTP/1.x]')\n";
    my ($method, $uri, $proto) = ($1, $2, $3 || 'HTTP/1.1');
    # an eval'd array gives each request its own headers
    my ($hdrs, $suppress) = parse_header_lines(
        defined $i ? req_sec($b, 'more_headers', $i) : sec($b, 'more_headers'),
        "more_headers of $where");
    my %have = map { (lc $_->[0] => 1) } @$hdrs;
    my $raw = "$method $uri $proto\r\n";
    $raw .= "Host: localhost\r\n" unless $have{host} || $suppress->{host};
    $raw .= "Connection: $conn\r\n"
        unless $have{connection} || $suppress->{connection};
    # like a browser's same-origin POST: "!Origin" in more_headers drops it
    if (!$have{origin} && !$suppress->{origin}) {
        my ($h) = map { $_->[1] } grep { lc $_->[0] eq 'host' } @$hdrs;
        $raw .= "Origin: http://" . ($h // 'localhost') . "\r\n";
    }
    $raw .= "$_->[0]: $_->[1]\r\n" for @$hdrs;
    $body = '' unless defined $body;
    utf8::encode($body) if utf8::is_utf8($body);
    if ((length $body || $method =~ /^(?:POST|PUT|PATCH)$/)
        && !$have{'content-length'} && !$have{'transfer-encoding'}
        && !$suppress->{'content-length'}) {
        $raw .= "Content-Length: " . length($body) . "\r\n";
    }
    $raw .= "\r\n" . $body;
    return { raw => $raw, method => $method, label => "$method $uri" };
}

# Exchanges of a block: each is one connection producing >= 1 responses.
sub block_exchanges () {
    my ($b) = @_;
    my $name = $b->name;
    if (sec_exists($b, 'raw_request')) {
        my $raw = sec($b, 'raw_request');
        my $delay = sec($b, 'raw_request_middle_delay');
        my $first = ref $raw eq 'ARRAY' ? join('', @$raw) : $raw;
        $first = '' unless defined $first;
        my ($m) = $first =~ /^\s*(\S+)/;
        return ({ raw => ((ref $raw eq 'ARRAY' && !$delay)
                      ? join('', @$raw) : $raw),
                  delay => $delay, methods => [$m || 'GET'],
                  labels => ['raw_request'] });
    }
    if (sec_exists($b, 'pipelined_requests')) {
        my $list = sec($b, 'pipelined_requests');
        my $is_eval = sec_is_eval($b, 'pipelined_requests');
        $list = [grep { /\S/ } split /\n/, $list] unless ref $list eq 'ARRAY';
        my @reqs;
        for my $i (0 .. $#$list) {
            push @reqs, make_request($b, $list->[$i], 1,
                $i == $#$list ? 'close' : 'keep-alive',
                "pipelined_requests of '$name'");
        }
        return ({ raw => join('', map { $_->{raw} } @reqs),
                  methods => [map { $_->{method} } @reqs],
                  labels => [map { $_->{label} } @reqs] });
    }
    if (sec_exists($b, 'request')) {
        my $r = sec($b, 'request');
        my $is_eval = sec_is_eval($b, 'request');
        my @list = ref $r eq 'ARRAY' ? @$r : ($r);
        return map {
            my $q = make_request($b, $list[$_], $is_eval, 'close',
                                 "request of '$name'", $_);
            { raw => $q->{raw}, methods => [$q->{method}],
              labels => [$q->{label}] }
        } 0 .. $#list;
    }
    return ();
}

sub needs_double () {
    my ($b) = @_;
    my $d = sec($b, 'double');
    if (defined $d && length $d) {
        return 0 if $d =~ /^\s*(?:off|no|0|false)\s*$/i;
        return 1 if $d =~ /^\s*(?:on|yes|1|true)\s*$/i;
    }
    return 1 if sec_exists($b, 'double_args');
    for my $s (qw(config http_config main_config)) {
        my $orig = $b->original_values->{$s};
        return 1 if defined $orig && $orig =~ /TEST_NGINX_DOUBLE_PORT/;
    }
    return 0;
}

# The list of checks (one TAP test each) a block will perform.
sub block_checks () {
    my ($b) = @_;
    my @c;
    my $add_lines = sub {
        my ($kind, $sec, %extra) = @_;
        push @c, map { { kind => $kind, arg => $_, %extra } }
            sec_lines(sec($b, $sec));
    };
    if (sec_exists($b, 'must_die')) {
        push @c, { kind => 'must_die' };
        $add_lines->('error_log', 'error_log');
        $add_lines->('no_error_log', 'no_error_log');
        push @c, { kind => 'sanitizer' } if sanitizer_check_on();
        return @c;
    }
    push @c, { kind => 'config_ok' } if sec_exists($b, 'config_ok');
    my $n = 0;
    $n += @{$_->{methods}} for block_exchanges($b);
    unless (sec_exists($b, 'ignore_response')) {
        for my $i (0 .. $n - 1) {
            my $code = req_sec($b, 'error_code', $i);
            push @c, { kind => 'error_code', req => $i,
                       arg => defined $code && length $code ? $code : 200 };
            for my $l (sec_lines(req_sec($b, 'response_headers', $i))) {
                push @c, { kind => 'response_header', req => $i, arg => $l };
            }
            for my $l (sec_lines(req_sec($b, 'response_headers_like', $i))) {
                push @c, { kind => 'response_header_like', req => $i,
                           arg => $l };
            }
            for my $k (qw(response_body response_body_like response_body_unlike
                        response_json)) {
                next unless sec_exists($b, $k);
                my $v = req_sec($b, $k, $i);
                push @c, { kind => $k, req => $i, arg => $v } if defined $v;
            }
        }
    }
    push @c, { kind => 'upstream_requests', arg => sec($b, 'upstream_requests') }
        if sec_exists($b, 'upstream_requests');
    $add_lines->('upstream_like', 'upstream_like');
    $add_lines->('upstream_unlike', 'upstream_unlike');
    push @c, { kind => 'upstream_json', arg => sec($b, 'upstream_json') }
        if sec_exists($b, 'upstream_json');
    $add_lines->('error_log', 'error_log');
    $add_lines->('no_error_log', 'no_error_log');
    if (sec_exists($b, 'custom_check')) {
        my $cc = sec($b, 'custom_check');
        for my $code (ref $cc eq 'ARRAY' ? @$cc : ($cc)) {
            die "RVTest: '--- custom_check eval' must give a code ref (or an"
                . " array of them) in block '" . $b->name . "'\n"
                unless ref $code eq 'CODE';
            push @c, { kind => 'custom_check', arg => $code };
        }
    }
    push @c, { kind => 'sanitizer' } if sanitizer_check_on();
    return @c;
}

sub block_repeat () {
    my ($b) = @_;
    my $r = sec($b, 'repeat');
    return defined $r && $r =~ /^\s*(\d+)\s*$/ ? $1 : 1;
}

my %KnownSections = map { $_ => 1 } qw(
    ONLY SKIP LAST
    main_config http_config config log_level must_die config_ok user_files
    request raw_request raw_request_middle_delay pipelined_requests
    more_headers timeout wait repeat ignore_response
    error_code response_headers response_headers_like response_body
    response_body_like response_body_unlike response_json
    double double_args upstream_requests upstream_like upstream_unlike
    upstream_json custom_check error_log no_error_log
);

# Allow extra section names (e.g. for a file's own preprocessing).
sub allow_sections () { $KnownSections{$_} = 1 for @_ }

sub prepare_block () {
    my ($b) = @_;
    return scalar block_checks($b) if $b->{_rv_prepared}++;
    my $where = "block '" . $b->name . "'";
    my @unknown = grep { !$KnownSections{$_} }
        @{$b->{_section_order}[0] || []};
    die "RVTest: unknown section(s) '--- " . join("', '--- ", @unknown)
        . "' in $where (typo? see t/README.md; or RVTest::allow_sections())\n"
        if @unknown;
    for my $s (@{$b->{_section_order}[0] || []}) {
        next unless exists $b->{$s};
        $b->{$s} = [map { subst_vars($_, "section '$s' of $where") }
                    @{$b->{$s}}];
    }
    # validate eagerly so mistakes die before the plan
    my @c = block_checks($b);
    return scalar @c;
}

# Number of TAP tests run_tests() will emit (for files adding own tests).
sub planned_tests () {
    my $total = 0;
    for my $b (blocks()) {
        $total += prepare_block($b) * block_repeat($b) * repeat_each();
    }
    return $total;
}

sub run_tests () {
    my @blocks = blocks();
    my $total = planned_tests();
    my $tb = Test::More->builder;
    unless ($tb->has_plan) {
        if ($total) { Test::More::plan(tests => $total) }
        else { Test::More::plan(skip_all => 'no checks in any block') }
    }
    init_servroot();
    for my $rep (1 .. repeat_each()) {
        for my $b (@blocks) {
            for my $r (1 .. block_repeat($b)) {
                my $tag = repeat_each() > 1 || block_repeat($b) > 1
                    ? " [repeat $rep.$r]" : '';
                run_one_block($b, $tag);
            }
        }
    }
    stop_double();
}

sub do_block () {
    my ($b, $ctx) = @_;
    reset_logs();
    my $root = servroot();
    if (needs_double($b)) {
        my $args = sec_exists($b, 'double_args')
            ? join(' ', sec_lines(sec($b, 'double_args')))
            : file_double_args();
        ensure_double($args);
    }
    # html dir and user files
    File::Path::remove_tree("$root/html");
    File::Path::make_path("$root/html");
    spew("$root/html/index.html", "index\n");
    if (defined(my $uf = sec($b, 'user_files'))) {
        my @files;
        if (ref $uf eq 'ARRAY') {
            @files = map { [@$_] } @$uf;
        } else {
            for my $part (split /^>>> */m, $uf) {
                next unless $part =~ /\S/;
                my ($name, $content) = split /\n/, $part, 2;
                push @files, [$name, defined $content ? $content : ''];
            }
        }
        for my $f (@files) {
            die "RVTest: bad user_files name '$f->[0]'\n"
                if $f->[0] =~ /\.\./ || $f->[0] =~ m{^/};
            spew("$root/html/$f->[0]", $f->[1]);
        }
    }
    my $conf = build_conf(
        config => sec($b, 'config'), http_config => sec($b, 'http_config'),
        main_config => sec($b, 'main_config'),
        log_level => sec($b, 'log_level'));
    spew(conf_file(), $conf);

    if (sec_exists($b, 'must_die') || sec_exists($b, 'config_ok')) {
        @$ctx{qw(t_code t_out)} = nginx_test_conf();
        if (sec_exists($b, 'must_die')) {
            $ctx->{must_die} = 1;
            $ctx->{log} = $ctx->{t_out} . error_log_text();
            return;
        }
    }
    my $offset = record_size();
    launch_nginx();
    my $timeout = sec($b, 'timeout');
    $timeout = client_timeout() unless defined $timeout && $timeout =~ /^[\d.]+$/;
    for my $x (block_exchanges($b)) {
        push @{$ctx->{requests}}, @{$x->{labels}};
        push @{$ctx->{raw_requests}}, $x->{raw};
        push @{$ctx->{responses}},
            http_exchange(%$x, timeout => $timeout);
    }
    my $wait = sec($b, 'wait');
    Time::HiRes::sleep($wait) if defined $wait && $wait =~ /^[\d.]+$/ && $wait > 0;
    $ctx->{log_len_before_stop} = -s error_log_file() || 0;
    stop_nginx_quietly(5);
    $ctx->{records} = [read_records($offset)];
    @LastRecords = @{$ctx->{records}};
    $ctx->{log} = error_log_text();
}

sub json_type () {
    my ($v) = @_;
    return 'null' unless defined $v;
    my $r = ref $v;
    return 'bool' if $r && ($r eq 'JSON::PP::Boolean' || $r =~ /Boolean/);
    return 'object' if $r eq 'HASH';
    return 'array' if $r eq 'ARRAY';
    return 'other' if $r;
    my $f = B::svref_2object(\$v)->FLAGS;
    return 'number' if ($f & (B::SVf_IOK() | B::SVf_NOK())) && !($f & B::SVf_POK());
    return 'string';
}

sub show_json () {
    my ($v) = @_;
    my $s = eval { $JSON->encode($v) };
    return defined $s ? $s : "$v";
}

# json_subset_diff($expected, $got, $strict_types): undef when $expected is a
# subset of $got, else a message naming the first difference.
sub json_subset_diff () {
    my ($exp, $got, $strict, $path) = @_;
    $path = '$' unless defined $path;
    my ($te, $tg) = (json_type($exp), json_type($got));
    my $bad = sub {
        "at $path: expected " . show_json($exp) . " ($te), got "
            . show_json($got) . " ($tg)";
    };
    if ($te eq 'object') {
        return $bad->() unless $tg eq 'object';
        for my $k (sort keys %$exp) {
            return "at $path: missing key " . show_json($k)
                . " (got keys: " . join(', ', sort keys %$got) . ")"
                unless exists $got->{$k};
            my $d = json_subset_diff($exp->{$k}, $got->{$k}, $strict,
                "$path." . ($k =~ /^\w+$/ ? $k : show_json($k)));
            return $d if defined $d;
        }
        return undef;
    }
    if ($te eq 'array') {
        return $bad->() unless $tg eq 'array';
        return "at $path: expected " . scalar(@$exp) . " elements, got "
            . scalar(@$got) . ": " . show_json($got)
            unless @$exp == @$got;
        for my $i (0 .. $#$exp) {
            my $d = json_subset_diff($exp->[$i], $got->[$i], $strict,
                "$path\[$i\]");
            return $d if defined $d;
        }
        return undef;
    }
    if ($te eq 'null' || $tg eq 'null') {
        return $te eq $tg ? undef : $bad->();
    }
    if ($te eq 'bool' || $tg eq 'bool') {
        return $bad->() unless $te eq $tg;
        return (!!$exp == !!$got) ? undef : $bad->();
    }
    return $bad->() if $tg eq 'object' || $tg eq 'array';
    if ($strict && $te ne $tg) { return $bad->() }
    if ($te eq 'number' && $tg eq 'number') {
        return $exp == $got ? undef : $bad->();
    }
    return "$exp" eq "$got" ? undef : $bad->();
}

sub decode_expected_json () {
    my ($b, $sec, $v) = @_;
    return ($v, 0) if ref $v;    # eval'd perl structure: loose scalar types
    utf8::encode($v) if utf8::is_utf8($v);
    my $e = eval { $JSON->decode($v) };
    return ($e, 1) unless $@;
    my $err = $@;
    my @r = eval "package main; $v";
    return ($r[0], 0) if !$@ && @r == 1 && ref $r[0];
    die "section '$sec' is neither JSON nor a perl structure: $err";
}

sub run_check () {
    my ($ctx, $c) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 4;
    my $b = $ctx->{block};
    my $resp = defined $c->{req} ? $ctx->{responses}[$c->{req}] : undef;
    my $k = $c->{kind};
    my $reqtag = defined $c->{req} && @{$ctx->{responses} || []} > 1
        ? " (request " . ($c->{req} + 1) . ")" : '';
    my $name = $ctx->{name};
    if ($k eq 'must_die') {
        my $ok = $ctx->{t_code} != 0;
        Test::More::ok($ok, "$name - nginx -t fails")
            or Test::More::diag("nginx -t unexpectedly succeeded:\n$ctx->{t_out}");
        return $ok;
    }
    if ($k eq 'sanitizer') {
        my $r = $ctx->{sanitizer};
        $r = '' unless defined $r;
        Test::More::ok(!length $r, "$name - no sanitizer or valgrind report")
            or Test::More::diag("$name: memory checker report(s):\n$r");
        return !length $r;
    }
    if ($k eq 'config_ok') {
        my $ok = $ctx->{t_code} == 0;
        Test::More::ok($ok, "$name - nginx -t ok")
            or Test::More::diag("nginx -t failed (exit $ctx->{t_code}):\n$ctx->{t_out}");
        return $ok;
    }
    if (defined $c->{req} && (!$resp || $resp->{error})) {
        my $err = $resp ? $resp->{error} : 'no response';
        Test::More::ok(0, "$name - $k$reqtag");
        Test::More::diag("request failed: $err");
        return 0;
    }
    if ($k eq 'error_code') {
        my $ok = Test::More::is($resp->{status}, $c->{arg},
            "$name - status code ok$reqtag");
        return $ok;
    }
    if ($k eq 'response_header' || $k eq 'response_header_like') {
        my $l = $c->{arg};
        if ($k eq 'response_header' && $l =~ /^\s*!\s*([^:\s]+)\s*$/) {
            my $hn = $1;
            my $ok = !exists $resp->{headers}{lc $hn};
            Test::More::ok($ok, "$name - header $hn absent$reqtag")
                or Test::More::diag("got $hn: $resp->{headers}{lc $hn}");
            return $ok;
        }
        if ($k eq 'response_header' && $l =~ /^\s*([^:\s]+)\s*$/) {
            my $hn = $1;
            return Test::More::ok(exists $resp->{headers}{lc $hn},
                "$name - header $hn present$reqtag");
        }
        $l =~ /^\s*([^:\s]+)\s*:\s?(.*?)\s*$/
            or die "RVTest: bad response header line '$l'\n";
        my ($hn, $want) = ($1, $2);
        my $got = $resp->{headers}{lc $hn};
        if ($k eq 'response_header') {
            return Test::More::is($got, $want, "$name - header $hn$reqtag");
        }
        my $ok = defined $got && $got =~ /$want/;
        Test::More::ok($ok, "$name - header $hn like /$want/$reqtag")
            or Test::More::diag(defined $got ? "got $hn: $got"
                                             : "header $hn is absent");
        return $ok;
    }
    if ($k eq 'response_body') {
        return is($resp->{body}, $c->{arg}, "$name - response_body$reqtag");
    }
    if ($k eq 'response_body_like') {
        my $re = $c->{arg};
        unless (ref $re) { $re =~ s/\n\z//; $re = qr/$re/s }
        return Test::More::like($resp->{body}, $re,
            "$name - response_body_like$reqtag");
    }
    if ($k eq 'response_body_unlike') {
        my $re = $c->{arg};
        unless (ref $re) { $re =~ s/\n\z//; $re = qr/$re/s }
        return Test::More::unlike($resp->{body}, $re,
            "$name - response_body_unlike$reqtag");
    }
    if ($k eq 'response_json') {
        my ($exp, $strict) = eval { decode_expected_json($b, $k, $c->{arg}) };
        if ($@) {
            Test::More::ok(0, "$name - response_json$reqtag");
            Test::More::diag($@);
            return 0;
        }
        my $got = eval { $JSON->decode($resp->{body}) };
        if ($@) {
            Test::More::ok(0, "$name - response_json$reqtag");
            Test::More::diag("reply body is not JSON: $@");
            return 0;
        }
        my $d = json_subset_diff($exp, $got, $strict);
        Test::More::ok(!defined $d, "$name - response_json$reqtag")
            or Test::More::diag("JSON mismatch $d");
        return !defined $d;
    }
    my @recs = @{$ctx->{records} || []};
    if ($k eq 'upstream_requests') {
        my $ok = Test::More::is(scalar(@recs), $c->{arg},
            "$name - upstream request count");
        return $ok;
    }
    if ($k eq 'upstream_like' || $k eq 'upstream_unlike') {
        my $src = $c->{arg};
        $src =~ s/[ \t]+\z// unless ref $src;    # invisible trailing blanks
        my $re = ref $src ? $src : qr/$src/m;
        my @hits = grep { render_record($_) =~ $re } @recs;
        my $ok = $k eq 'upstream_like' ? scalar(@hits) : !@hits;
        Test::More::ok($ok, "$name - $k $re")
            or Test::More::diag(@recs
                ? ($k eq 'upstream_like' ? 'no' : scalar(@hits))
                    . " of " . scalar(@recs) . " upstream requests matched"
                : "no upstream requests were recorded");
        return $ok;
    }
    if ($k eq 'upstream_json') {
        my ($exp, $strict) = eval { decode_expected_json($b, $k, $c->{arg}) };
        my $err = $@;
        my $d = $err ? $err
            : !@recs ? 'no upstream request was recorded'
            : json_subset_diff($exp, $recs[-1]{params}, 0);
        Test::More::ok(!defined $d, "$name - upstream_json")
            or Test::More::diag("upstream params mismatch: $d");
        return !defined $d;
    }
    if ($k eq 'error_log' || $k eq 'no_error_log') {
        my $pat = $c->{arg};
        my $match = sub {
            my ($text) = @_;
            return ref $pat ? $text =~ $pat : index($text, $pat) >= 0;
        };
        my $text = $ctx->{log};
        if ($k eq 'error_log' && !$match->($text)) {
            my $deadline = Time::HiRes::time() + 1;
            while (!$match->($text) && Time::HiRes::time() < $deadline) {
                Time::HiRes::sleep(0.05);
                $text = $ctx->{must_die} ? $text : error_log_text();
            }
            $ctx->{log} = $text;
        }
        my $found = $match->($text);
        my $ok = $k eq 'error_log' ? $found : !$found;
        my $where = sec_exists($b, 'must_die') ? 'nginx -t output' : 'error.log';
        Test::More::ok($ok, "$name - $where "
            . ($k eq 'error_log' ? 'has' : 'lacks') . " '$pat'");
        if (!$ok && $k eq 'no_error_log') {
            my @l = grep { $match->($_) } split /\n/, $text;
            @l = @l[0 .. 4] if @l > 5;
            Test::More::diag("matching lines:\n" . join("\n", @l));
        }
        return $ok;
    }
    if ($k eq 'custom_check') {
        my $r = eval { $c->{arg}->($ctx->{responses}[-1], [@recs],
                                   $ctx->{log}, $ctx->{responses}) };
        my $err = $@;
        my $ok = !$err && $r;
        Test::More::ok($ok, "$name - custom_check")
            or Test::More::diag($err ? "custom_check died: $err"
                                     : "custom_check returned false");
        return $ok;
    }
    die "RVTest: internal: unknown check kind $k\n";
}

sub shorten () {
    my ($s, $max) = @_;
    $max ||= 2000;
    $s = '' unless defined $s;
    return length $s > $max
        ? substr($s, 0, $max) . "\n... (" . (length($s) - $max) . " more bytes)"
        : $s;
}

sub run_one_block () {
    my ($b, $tag) = @_;
    my $name = $b->name . $tag;
    my @checks = block_checks($b);
    my $ctx = { block => $b, name => $name, responses => [], records => [],
                log => '', t_code => 0, t_out => '' };
    @LastRecords = ();
    my $ok = eval { do_block($b, $ctx); 1 };
    my $fatal = $ok ? undef : ($@ || 'unknown error');
    stop_nginx_quietly(5);
    $ctx->{sanitizer} = sanitizer_reports($b->name . $tag)
        if sanitizer_check_on();
    Test::More::diag("$name: memory checker report(s):\n$ctx->{sanitizer}")
        if defined $fatal && $ctx->{sanitizer};
    if (prefix_cmd()) {
        # e.g. valgrind reports: shown, not counted as tests
        my $se = slurp(servroot() . '/logs/nginx.stderr');
        Test::More::diag("$name: nginx stderr (prefix command):\n$se")
            if $se =~ /\S/;
    }
    local $Test::Builder::Level = $Test::Builder::Level + 2;
    if (defined $fatal) {
        # keep the plan: every check of the block fails, loudly
        Test::More::ok(0, "$name - " . ($_->{kind}) . " (block aborted)")
            for @checks;
        Test::More::diag("$name: block aborted: $fatal");
        save_failed_logs($b);
        return;
    }
    my $all = 1;
    for my $c (@checks) {
        my $r = eval { run_check($ctx, $c) };
        if ($@) {
            Test::More::ok(0, "$name - $c->{kind}");
            Test::More::diag("check died: $@");
            $r = 0;
        }
        $all &&= $r;
    }
    return if $all;
    my $d = "---- context of $name\n";
    my $i = 0;
    for my $resp (@{$ctx->{responses}}) {
        $d .= "request " . ($i + 1) . ": " . ($ctx->{requests}[$i] || '') . "\n";
        $d .= $resp->{error} ? "  error: $resp->{error}\n" : '';
        $d .= "  response:\n" . join('', map { "    $_\n" }
            split /\n/, shorten($resp->{raw})) . "\n";
        $i++;
    }
    if (@{$ctx->{records}}) {
        $d .= "upstream requests recorded by the double:\n";
        $d .= join('', map { "    $_\n" } split /\n/,
            shorten(render_record($_), 1500)) . "    => $_->{status} "
            . (defined $_->{code} ? $_->{code} : '') . "\n"
            for @{$ctx->{records}};
    }
    my $log = $ctx->{log};
    $log = substr($log, 0, $ctx->{log_len_before_stop})
        if $ctx->{log_len_before_stop}
            && $ctx->{log_len_before_stop} < length $log;
    (my $n = $b->name) =~ s/[^\w.-]+/_/g;
    $d .= "error.log before nginx was stopped (full copy: "
        . servroot() . "/failed/$n.error.log):\n" . log_excerpt($log);
    my $se = slurp(servroot() . '/logs/nginx.stderr');
    $d .= "nginx stderr:\n$se" if $se =~ /\S/;
    Test::More::diag($d);
    save_failed_logs($b);
}

sub save_failed_logs () {
    my ($b) = @_;
    my $root = servroot();
    (my $n = $b->name) =~ s/[^\w.-]+/_/g;
    for my $f (qw(error.log access.log nginx.stderr)) {
        File::Copy::copy("$root/logs/$f", "$root/failed/$n.$f")
            if -f "$root/logs/$f";
    }
    File::Copy::copy(conf_file(), "$root/failed/$n.nginx.conf")
        if -f conf_file();
}

# ---------------------------------------------------------------------------
# Filters: "eval" that substitutes $TEST_NGINX_* first and dies on errors
# (Test::Base's own eval silently returns $@ as the section value).

package RVTest::Filter;
our @ISA = ('Test::Base::Filter');

sub eval {
    $self->assert_scalar(@_);
    my $code = shift;
    my $block = $self->current_block;
    my $where = "eval section of block '"
        . ($block ? $block->name : '?') . "'";
    $code = RVTest::subst_vars_code($code, $where);
    my @r = CORE::eval("package main; $code");
    die "RVTest: $where failed: $@" if $@;
    return @r;
}

package RVTest;

1;
