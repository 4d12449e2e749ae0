# resend_verify_credentials_file: read at start, read again when it
# changes (no reload), a bad new file keeps the old key, the secret never
# shows in "nginx -T", a reply or a log line.
use strict;
use warnings;
use RVTest;
use Test::More;
use Time::HiRes qw(sleep time);

plan tests => 25;

my $root = servroot();
my $keyfile = "$root/conf/aliyun.key";
my $nginx = RVTest::nginx_binary();

my %key = (
    A => ['LTAI5tRotateKeyA000001', 'RotateSecretA0123456789abcdef'],
    B => ['LTAI5tRotateKeyB000002', 'RotateSecretB0123456789abcdef'],
);

sub write_key {
    my ($text) = @_;
    # atomic, as a deployment tool does it
    open my $fh, '>', "$keyfile.tmp" or die $!;
    print $fh $text;
    close $fh;
    chmod 0640, "$keyfile.tmp";
    rename "$keyfile.tmp", $keyfile or die $!;
}

sub key_text {
    my ($k, $extra) = @_;
    return "# test credentials, fake\naccess_key_id = $key{$k}[0]\n"
        . "access_key_secret = $key{$k}[1]\n" . ($extra // '');
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

start_double("--key $key{A}[0]:$key{A}[1] --key $key{B}[0]:$key{B}[1]"
             . " --key STS.Key01:StsSecret01:CAIStoken/+=");

# 1. start with key A

write_key(key_text('A'));
start_nginx($conf, log_level => 'debug');

my $r = post();
is($r->{status}, 200, 'key A from the file: 200') or diag($r->{body});
is(last_key_id(), $key{A}[0], 'the call was signed with key A');

# 2. nginx -T shows the directive, not the secret

my $dump = qx{$nginx -T -p $root/ -c $root/conf/nginx.conf 2>&1};
like($dump, qr/resend_verify_credentials_file/, 'nginx -T shows the directive');
unlike($dump, qr/\Q$key{A}[1]\E/, 'nginx -T does not show the secret');

# 3. rotation under load, no reload, no failed request

my ($n, $failed, %seen) = (0, 0);
my $rotated = 0;
my $t0 = time;

while (time - $t0 < 4.5) {
    if (!$rotated && time - $t0 > 1) {
        write_key(key_text('B'));
        $rotated = 1;
    }
    my $res = post('u' . $n++ . '%40example.com');
    $failed++ if $res->{status} != 200;
    $seen{last_key_id() // '-'}++;
}

is($failed, 0, "rotation under load: $n requests, none failed");
ok($seen{$key{A}[0]} && $seen{$key{B}[0]}, 'both keys were used, A then B');
is(last_key_id(), $key{B}[0], 'key B after the rotation, without a reload');

# 4. a bad new file keeps key B, one error line

write_key("access_key_id = $key{A}[0]\nacess_key_secret = typo\n");
sleep 1.1;
$r = post('bad1%40example.com');
is($r->{status}, 200, 'a bad new file: still 200');
is(last_key_id(), $key{B}[0], 'a bad new file: key B stays');
sleep 1.1;
$r = post('bad2%40example.com');
is($r->{status}, 200, 'a bad new file: still 200 later');

# 5. a missing file keeps key B too

unlink $keyfile;
sleep 1.1;
$r = post('gone%40example.com');
is($r->{status}, 200, 'a removed file: still 200');

# 6. STS credentials from the file

write_key("access_key_id = STS.Key01\naccess_key_secret = StsSecret01\n"
          . "security_token = CAIStoken/+=\n");
sleep 1.1;
$r = post('sts%40example.com');
is($r->{status}, 200, 'STS credentials from the file: 200') or diag($r->{body});
my @rec = do { open my $fh, '<', record_file(); <$fh> };
like($rec[-1], qr/SecurityToken=CAIStoken%2F%2B%3D/, 'the token is signed and sent');

stop_nginx();

my $log = error_log_text();
my @invalid = $log =~ /credentials file "[^"]+" is invalid: an unknown key in line 2, the credentials in use stay/g;
is(scalar @invalid, 1, 'the bad file was logged once');
like($log, qr/credentials file "[^"]+" cannot be read, the credentials in use stay/,
     'the missing file was logged');
like($log, qr/credentials file "[^"]+" read again/, 'the rotation was logged');

for my $secret ($key{A}[1], $key{B}[1], 'StsSecret01', 'typo') {
    unlike($log, qr/\Q$secret\E/, "the debug log does not hold \"$secret\"");
}

# 7. nginx -t refuses a bad file, without printing its content

write_key("access_key_id = $key{A}[0]\naccess_key_secret = $key{A}[1]\n"
          . "access_key_secret = $key{A}[1]\n");
my $out = qx{$nginx -t -p $root/ -c $root/conf/nginx.conf 2>&1};
like($out, qr/invalid credentials file "\Q$keyfile\E": a key given twice in line 3/,
     'nginx -t names the file, the error and the line');
unlike($out, qr/\Q$key{A}[1]\E/, 'and does not print the secret');

write_key("access_key_id = $key{A}[0]\n");
$out = qx{$nginx -t -p $root/ -c $root/conf/nginx.conf 2>&1};
like($out, qr/access_key_id or access_key_secret is missing/, 'a file without a secret');

unlink $keyfile;
$out = qx{$nginx -t -p $root/ -c $root/conf/nginx.conf 2>&1};
like($out, qr/invalid credentials file "\Q$keyfile\E": cannot be opened/, 'a missing file');

write_key(key_text('A'));
chmod 0644, $keyfile;
$out = qx{$nginx -t -p $root/ -c $root/conf/nginx.conf 2>&1};
like($out, qr/\[warn\].*credentials file "\Q$keyfile\E" is readable by anyone/,
     'a world-readable file is warned about');

stop_double();
