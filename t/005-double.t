#!/usr/bin/perl
# The Domain API double's own tests (node:test, TAP output): that it checks
# signatures like the gateway, with the official SDK, so that passing
# against it means something.
use strict;
use warnings;
use FindBin;

chdir "$FindBin::Bin/.." or die "chdir: $!";

my $node = $ENV{TEST_NGINX_NODE} || 'node';
exec $node, '--test', '--test-reporter=tap', 'double/' or die "exec $node: $!";
