#!/usr/bin/perl
# The core's unit tests (every public signing vector, the encoder, the
# address rules, the body and reply parsers): a C program linked without
# nginx that prints TAP.  Built by `make unit`.
use strict;
use warnings;
use FindBin;

my $top = "$FindBin::Bin/..";
my $bin = "$top/build/unit/test_core";

if (!-x $bin) {
    print "1..1\nnot ok 1 - $bin is missing: run make unit\n";
    exit 1;
}

exec $bin, "$top/t/data/vectors-public.json" or die "exec $bin: $!";
