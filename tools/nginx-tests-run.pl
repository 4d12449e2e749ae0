#!/usr/bin/perl
# Runs nginx's own test suite (the *.t of the current directory, an
# unpacked nginx-tests) against $TEST_NGINX_BINARY and prints one line per
# file: its name, then what prove would say of it, reduced to what must not
# depend on the run: "skip" (the whole file skipped), or "pass"/"fail", the
# number of tests run, the numbers of the failed ones, how many were
# skipped and how many TODO tests passed.  Then a "total" line.
#
#   TEST_NGINX_BINARY=/path/nginx perl nginx-tests-run.pl [JOBS [FILE.t ...]]
#
# (with files: only those)
use strict;
use warnings;
use TAP::Harness;

my $jobs = shift // 2;
my @files = @ARGV ? @ARGV : sort glob '*.t';
die "nginx-tests-run: no *.t in the current directory\n" unless @files;

my $h = TAP::Harness->new({
    jobs      => $jobs,
    lib       => ['lib'],
    verbosity => -3,
    merge     => 1,
});
my $agg = $h->runtests(@files);

my ($n, $tests) = (0, 0);
for my $f (@files) {
    my ($p) = $agg->parsers($f);
    $n++;
    if (!$p) {
        print "$f\tfail\tdid not run\n";
        next;
    }
    if ($p->skip_all) {
        print "$f\tskip\n";
        next;
    }
    my @failed = $p->failed;
    my $bad = @failed || $p->exit || $p->has_problems;
    $tests += $p->tests_run;
    printf "%s\t%s\ttests=%d\tfailed=%s\tskipped=%d\ttodo_passed=%s\texit=%d\n",
        $f, $bad ? 'fail' : 'pass', $p->tests_run,
        (@failed ? join(',', @failed) : '-'), scalar($p->skipped),
        (join(',', $p->todo_passed) || '-'), $p->exit;
}
print "total\tfiles=$n\ttests=$tests\n";
