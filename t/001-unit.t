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

plan tests => scalar @src;

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
    my $oks = () = $out =~ /^ok \d+/mg;
    my @bad = $out =~ /^(not ok .*)$/mg;

    ok($rc == 0 && defined $plan && $plan > 0 && $oks == $plan && !@bad,
       "$name: " . ($oks) . " of " . ($plan // '?') . " checks passed")
        or diag(join("\n", @bad) . "\n" . ($rc ? "exit status $rc\n" : '')
                . (@bad ? '' : $out));
}
