#!/usr/bin/perl
# The core's unit tests (every public signing vector, the encoder, the
# address rules, the body and reply parsers): C programs linked without
# nginx that print TAP, built by `make unit` from t/unit/test_*.c.
use strict;
use warnings;
use FindBin;
use Test::More;

my $top = "$FindBin::Bin/..";
my @src = glob "$top/t/unit/test_*.c";

# every check of every program becomes one test here, so that prove
# counts (and shows, with -v) each signing vector

for my $src (@src) {
    my ($name) = $src =~ m{/(test_\w+)\.c$};
    my $bin = "$top/build/unit/$name";

    if (!-x $bin) {
        fail("$name: $bin is missing: run make unit");
        next;
    }

    my $out = qx{$bin $top/t/data/vectors-public.json 2>&1};
    my $rc = $?;
    my ($plan) = $out =~ /^1\.\.(\d+)$/m;
    my $n = 0;

    for my $line (split /\n/, $out) {
        if ($line =~ /^(not )?ok \d+ - (.*)$/) {
            $n++;
            ok(!$1, "$name: $2");

        } elsif ($line =~ /^#/) {
            diag($line);
        }
    }

    ok($rc == 0 && defined $plan && $plan == $n && $n > 0,
       "$name: exit status 0, $n checks of a plan of " . ($plan // '?'));
}

done_testing();
