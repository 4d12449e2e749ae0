# The credentials file reader: it opens without blocking and takes only a
# regular file (a FIFO at the path must not stall the worker), it notices
# a same-size rewrite in place within one second, and it does not take a
# file caught while it is being written in place.
use strict;
use warnings;
use RVTest;
use Test::More;
use POSIX ();
use Time::HiRes qw(sleep time);

plan tests => 14;

my $root = servroot();
my $keyfile = "$root/conf/aliyun.key";
my $nginx = RVTest::nginx_binary();

# A and C have the same length: a rewrite from one to the other keeps the size
my %key = (
    A => ['LTAI5tReaderKeyA000001', 'ReaderSecretA0123456789abcdef'],
    B => ['LTAI5tReaderKeyB000002', 'ReaderSecretB0123456789abcdef'],
    C => ['LTAI5tReaderKeyC000003', 'ReaderSecretC0123456789abcdef'],
);

sub key_text {
    my ($k) = @_;
    return "access_key_id = $key{$k}[0]\naccess_key_secret = $key{$k}[1]\n";
}

sub write_renamed {
    my ($text) = @_;
    open my $fh, '>', "$keyfile.tmp" or die $!;
    print $fh $text;
    close $fh;
    rename "$keyfile.tmp", $keyfile or die $!;
}

# in place, keeping the inode: what an editor or "cat > file" does
sub write_in_place {
    my ($text, $truncate) = @_;
    open my $fh, '+<', $keyfile or die $!;
    truncate $fh, 0 if $truncate;
    seek $fh, 0, 0;
    syswrite $fh, $text;
    close $fh;
}

sub post {
    return http_request('POST', '/resend',
        { 'Content-Type' => 'application/x-www-form-urlencoded' },
        'Email=' . ($_[0] // 'alice%40example.com'));
}

sub last_key_id {
    my @r = do { open my $fh, '<', record_file() or return; <$fh> };
    return unless @r;
    my ($id) = $r[-1] =~ /AccessKeyId=([^&]+)/;
    return $id;
}

# the start of a fresh second, so that what follows falls within one
sub fresh_second {
    my $t = time;
    sleep(1 - ($t - int $t) + 0.01);
}

my $conf = <<"END";
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_credentials_file $keyfile;
    }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$ENV{TEST_NGINX_DOUBLE_PORT}/;
    }
END

start_double(join ' ', map { "--key $key{$_}[0]:$key{$_}[1]" } sort keys %key);

# 1. a FIFO at the path: the request still answers, with the key in use

write_renamed(key_text('B'));
start_nginx($conf, log_level => 'info');
sleep 1.1;

my $r = post('b%40example.com');
is($r->{status}, 200, 'key B: 200') or diag($r->{body});
is(last_key_id(), $key{B}[0], 'signed with key B');

unlink "$keyfile.fifo";
POSIX::mkfifo("$keyfile.fifo", 0640) or die "mkfifo: $!";
rename "$keyfile.fifo", $keyfile or die $!;
sleep 1.1;

$r = post('fifo%40example.com');
is($r->{status}, 200, 'a FIFO at the path: the request still answers 200')
    or diag($r->{error} // $r->{body});
is(last_key_id(), $key{B}[0], 'a FIFO at the path: key B stays');
like(error_log_text(),
     qr/credentials file "\Q$keyfile\E" is not a regular file, the credentials in use stay/,
     'a FIFO at the path is logged');

# 2. a same-size rewrite in place within one second is noticed

unlink $keyfile;
write_renamed(key_text('B'));
sleep 1.1;
post('b2%40example.com');
fresh_second();
write_in_place(key_text('A'), 1);
post('a%40example.com');            # the worker looks at the file now
write_in_place(key_text('C'), 0);   # same size, same second
sleep 1.1;
$r = post('c%40example.com');
is($r->{status}, 200, 'after a same-size rewrite: 200') or diag($r->{body});
is(last_key_id(), $key{C}[0], 'after a same-size rewrite: key C is used');

# 3. a file caught half-written in place is not taken

sleep 1.1;
my $text = key_text('A');
my $half = substr($text, 0, length($text) - 10);    # a valid, short secret
my $t0 = time;
write_in_place($half, 1);
$r = post('half%40example.com');
my $dt = time - $t0;
SKIP: {
    skip "the request took ${dt}s, longer than the reader waits", 2
        if $dt >= 0.9;
    is($r->{status}, 200, 'a half-written file: the request answers 200')
        or diag($r->{body});
    is(last_key_id(), $key{C}[0], 'a half-written file: key C stays');
}
write_in_place($text, 1);
sleep 1.1;
$r = post('whole%40example.com');
is($r->{status}, 200, 'the whole file: 200') or diag($r->{body});
is(last_key_id(), $key{A}[0], 'the whole file: key A is used');

stop_nginx();

unlike(error_log_text(), qr/\[error\].*(?:signature|SignatureDoesNotMatch)/i,
       'no call was signed with a half-written secret');

# 4. nginx -t refuses a FIFO at once, and does not hang

unlink $keyfile;
POSIX::mkfifo($keyfile, 0640) or die "mkfifo: $!";
my $out = '';
my $pid = open my $fh, '-|';
die "fork: $!" unless defined $pid;
if (!$pid) {
    open STDERR, '>&', \*STDOUT;
    exec $nginx, '-t', '-p', "$root/", '-c', "$root/conf/nginx.conf";
    exit 127;
}
eval {
    local $SIG{ALRM} = sub { die "timeout\n" };
    alarm 20;
    local $/;
    $out = <$fh>;
    alarm 0;
};
if ($@) {
    kill 'KILL', $pid;
}
close $fh;
is($@, '', 'nginx -t with a FIFO at the path ends');
like($out, qr/invalid credentials file "\Q$keyfile\E": is not a regular file/,
     'nginx -t says the path is not a regular file');
unlink $keyfile;

stop_double();
