# Temporary credentials under load, on two workers: a cold start of 100
# requests at once makes at most one fetch per worker; credentials that
# rotate under load fail no request; a provider that goes down after a
# fetch: requests succeed until the credentials expire, then a clean 503,
# and recovery when it is back; the gateway refusing the token makes the
# credentials stale at once.  The measured counts are printed (diag).
use strict;
use warnings;
use RVTest;
use RVCreds;
use Test::More;
use Time::HiRes qw(time sleep);

plan tests => 28;

my $conf = provider_conf('resend_verify_credentials ecs_ram_role /.ecs-metadata/;');
my @workers = (main_config => 'worker_processes 2;');
my $r;

sub statuses { my %n; $n{$_}++ for @_; join ', ', map { "$_: $n{$_}" } sort keys %n }

# 1. the stampede: 100 requests at a cold start, the fetch slowed down so
# that they all arrive while it runs

cred_start('--delay-ms', 500);
api_start();
start_nginx($conf, @workers);

my @st = parallel_posts(100, 60);
is(scalar(grep { $_ == 200 } @st), 100, 'cold start: 100 requests at once, all 200')
    or diag(statuses(@st));
my $fetches = cred_fetches('credentials');
ok($fetches >= 1 && $fetches <= 2, "cold start: $fetches fetches for 100 requests on 2 workers (at most one per worker)");
diag("stampede: 100 concurrent requests, 2 workers: $fetches credentials fetches, "
     . cred_fetches('token') . " token PUTs");
is(scalar(api_records()), 100, 'cold start: 100 calls reached the Domain API');

@st = parallel_posts(50, 60);
is(scalar(grep { $_ == 200 } @st), 50, 'warm: 50 more at once, all 200');
is(cred_fetches('credentials'), $fetches, 'warm: no more fetches');

stop_nginx();
my $log = error_log_text();
unlike($log, qr/\[(?:error|crit|alert)\]/, 'cold start: nothing logged at error');

# 2. rotation under load: credentials that live 12 s are refreshed with
# 4 s left, by one request of the whole nginx; 26 s of requests, 4 at a
# time, none fails

cred_start('--lifetime', 12);
start_nginx($conf, @workers);

my ($n, @bad) = (0);
my $t0 = time;
my $calls_before = scalar(api_records());

while (time - $t0 < 26) {
    for my $s (parallel_posts(4, 30)) {
        $n++;
        push @bad, $s if $s != 200;
    }
    sleep 0.02;
}

is(scalar @bad, 0, "rotation: $n requests in 26 s, none failed") or diag(statuses(@bad));

my $rot = cred_fetches('credentials');
my @calls = api_records();
my %used = map { ($_->{body} =~ /AccessKeyId=([^&]+)/)[0] => 1 }
    @calls[$calls_before .. $#calls];
my @ids = grep { /^STS\./ } keys %used;
ok($rot >= 3, "rotation: $rot fetches in 26 s of 12 s credentials");
ok(@ids >= 3, 'rotation: ' . scalar(@ids) . ' sets of credentials signed the calls');
diag("rotation: $n requests over 26 s on 2 workers, 12 s credentials: $rot fetches, "
     . scalar(@ids) . " sets used, " . scalar(@bad) . " failed");

$r = http_request('GET', '/status');
my ($ok) = $r->{body} =~ /^resend_verify_credentials_fetches_total\{[^}]*result="success"\} (\d+)$/m;
is($ok, $rot, 'rotation: the metrics count the fetches');

stop_nginx();
$log = error_log_text();
unlike($log, qr/\[(?:error|crit|alert)\]/, 'rotation: nothing logged at error');
ok(!secrets_in_log($log), 'rotation: no secret or token in the debug log');

# 3. the provider goes down after a fetch

cred_start('--lifetime', 8);
start_nginx($conf, @workers);

$r = post_resend();
is($r->{status}, 200, 'down: the first fetch');
my $expires = (issued())[-1]{expires} / 1000;
cred_stop();

my (@before, $first503, $t503);
my $deadline = time + 20;

while (time < $deadline) {
    $r = post_resend();
    if ($r->{status} != 200) {
        ($first503, $t503) = ($r, time);
        last;
    }
    push @before, $r->{status};
    sleep 0.2;
}

ok(@before > 0, 'down: ' . scalar(@before) . ' requests succeeded with the credentials in hand');
ok($first503 && $first503->{status} == 503, 'down: then 503');
ok($t503 && $t503 >= $expires - 3, 'down: not before the credentials expire (less the 2 s margin)')
    or diag("503 at $t503, expiry at $expires");
like($first503->{body} // '', qr/^\{"ok":false,"error":\{"code":"ServiceUnavailable"/, 'down: ServiceUnavailable');
like($first503->{headers}{'retry-after'} // '', qr/^[1-9]\d*$/, 'down: with Retry-After');

$r = http_request('GET', '/status');
like($r->{body}, qr/^resend_verify_credentials_fetches_total\{[^}]*result="unreachable"\} [1-9]\d*$/m,
     'down: the metrics count the failed fetches');
like($r->{body}, qr/^resend_verify_credentials_seconds_left\{[^}]*\} [0-2]$/m,
     'down: no more than the margin left');

# back up: a request after the backoff fetches again

cred_start('--lifetime', 8);
my $back;
$deadline = time + 70;

while (time < $deadline) {
    $r = post_resend();
    if ($r->{status} == 200) {
        $back = time;
        last;
    }
    sleep 0.5;
}

ok($back, 'down: recovered when the provider came back'
          . ($back ? sprintf(' (%.1f s later)', $back - $t503) : ''));

stop_nginx();
$log = error_log_text();
my @err = $log =~ /\[error\][^\n]*credentials from[^\n]*/g;
is(scalar @err, 1, 'down: one error line for the whole failure streak')
    or diag(join "\n", @err);
like($log, qr/\[notice\][^\n]*ecs_ram_role credentials from "\/.ecs-metadata\/" fetched again after \d+ failures/,
     'down: the recovery is logged');

# 4. the gateway refuses the token: stale at once, the next request fetches

cred_start();
start_nginx($conf);

$r = post_resend();
is($r->{status}, 200, 'stale: the first fetch');
my $c = (issued())[-1];
open my $fh, '>>', servroot() . '/double/issued.jsonl' or die $!;
print $fh JSON::PP->new->encode({ %$c, revoked => JSON::PP::true }) . "\n";
close $fh;

$r = post_resend('b%40example.com');
is($r->{status}, 502, 'stale: the call with the revoked token fails');
$r = post_resend('c%40example.com');
is($r->{status}, 200, 'stale: the next request has new credentials') or diag($r->{body});
is(cred_fetches('credentials'), 2, 'stale: one more fetch');

stop_nginx();
like(error_log_text(), qr/\[warn\][^\n]*the gateway refused the ecs_ram_role credentials' token, fetching new ones/,
     'stale: said once');

cred_stop();
