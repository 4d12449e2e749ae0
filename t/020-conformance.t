# Conformance with the official SDK: the requests the module really sends
# (recorded by the double) are replayed through @alicloud/pop-core 1.8.0,
# whose POST body must be the same, byte for byte, and whose signature
# openapi-util must reproduce.
use strict;
use warnings;
use RVTest;
use Test::More;
use URI::Escape qw(uri_escape_utf8);

my @addresses = (
    'plain@example.com',
    'a+tag@example.com',
    q{o'brien@example.ie},
    'star*@example.com',
    'tilde~name@example.com',
    'first.last@sub.example.co.uk',
    'x-y_z@ex-ample.com',
    'UPPER.Case@Example.COM',
    '!#$%&=?^`{|}@example.org',
    "\x{5f20}\x{4e09}\@\x{4f8b}\x{5b50}.\x{4e2d}\x{56fd}",
    ['one@example.com', 'two+2@example.net'],
);

plan tests => 2 * @addresses + 4;

my $conf = <<"END";
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $ENV{TEST_NGINX_KEY_ID};
        resend_verify_access_key_secret $ENV{TEST_NGINX_KEY_SECRET};
        resend_verify_max_emails 2;
        resend_verify_detail on;
    }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$ENV{TEST_NGINX_DOUBLE_PORT}/;
    }
END

start_double();
start_nginx($conf);

my $n = 0;

for my $a (@addresses) {
    my @list = ref $a ? @$a : ($a);
    my $lang = ($n++ % 2) ? 'zh' : 'en';
    my $body = join('&', (map { 'Email=' . uri_escape_utf8($_) } @list),
                    "Lang=$lang");

    my $res = http_request('POST', '/resend',
        { 'Content-Type' => 'application/x-www-form-urlencoded' }, $body);

    my $shown = join(',', @list);
    utf8::encode($shown);
    is($res->{status}, 200, "$shown ($lang): 200 through the double")
        or diag($res->{body});
    like($res->{body}, qr/"ok":true/, "$shown: ok");
}

stop_nginx();

my $records = () = do {
    open my $fh, '<', record_file() or die "record: $!";
    <$fh>;
};
is($records, scalar @addresses, 'the double saw every request, once');

my $node = $ENV{TEST_NGINX_NODE} || 'node';
my $out = qx{$node t/conformance/popcore-replay.js --record @{[record_file()]} --secret $ENV{TEST_NGINX_KEY_SECRET} --key-id $ENV{TEST_NGINX_KEY_ID} 2>&1};
my $rc = $?;

is($rc, 0, 'pop-core replay: every body matches the SDK byte for byte')
    or diag($out);
my $oks = () = $out =~ /^ok /mg;
is($oks, 3 * @addresses, 'three checks per request passed') or diag($out);
unlike($out, qr/^not ok/m, 'no check failed');

stop_double();
