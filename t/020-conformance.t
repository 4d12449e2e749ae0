# Conformance with the official SDK: the requests the module really sends
# (recorded by the double) are replayed through @alicloud/pop-core 1.8.0
# (hmac-sha1), whose POST body must be the same, byte for byte, and whose
# signature openapi-util must reproduce; and, for V3 (acs3-hmac-sha256,
# acs3-hmac-sm3), through @alicloud/openapi-client 0.4.15 doRequest, whose
# body and signed headers must be the same, byte for byte.
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

# each signature in turn: the RPC one (hmac-sha1) through pop-core, V3
# through openapi-client (t/conformance/acs3-replay.js)
my @signatures = ('hmac-sha1', 'acs3-hmac-sha256', 'acs3-hmac-sm3');

plan tests => @signatures * (2 * @addresses + 4);

my $node = $ENV{TEST_NGINX_NODE} || 'node';

start_double();

for my $sig (@signatures) {
    my $v3 = $sig ne 'hmac-sha1';
    my $host = $v3 ? 'proxy_set_header Host $http_host;' : '';

    my $conf = <<"END";
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_signature $sig;
        resend_verify_access_key_id $ENV{TEST_NGINX_KEY_ID};
        resend_verify_access_key_secret $ENV{TEST_NGINX_KEY_SECRET};
        resend_verify_max_emails 2;
        resend_verify_detail on;
    }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$ENV{TEST_NGINX_DOUBLE_PORT}/;
        $host
    }
END

    my $from = 1 + (() = do {
        open my $fh, '<', record_file() or die "record: $!";
        <$fh>;
    });

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
        is($res->{status}, 200, "$sig: $shown ($lang): 200 through the double")
            or diag($res->{body});
        like($res->{body}, qr/"ok":true/, "$sig: $shown: ok");
    }

    stop_nginx();

    my $records = () = do {
        open my $fh, '<', record_file() or die "record: $!";
        <$fh>;
    };
    is($records - $from + 1, scalar @addresses,
       "$sig: the double saw every request, once");

    my $script = $v3 ? 't/conformance/acs3-replay.js'
                     : 't/conformance/popcore-replay.js';
    my $sdk = $v3 ? 'openapi-client' : 'pop-core';
    my $out = qx{$node $script --record @{[record_file()]} --from-line $from --secret $ENV{TEST_NGINX_KEY_SECRET} --key-id $ENV{TEST_NGINX_KEY_ID} 2>&1};
    my $rc = $?;

    is($rc, 0, "$sig: $sdk replay: every request is the SDK's, byte for byte")
        or diag($out);
    my $oks = () = $out =~ /^ok /mg;
    is($oks, 3 * @addresses, "$sig: three checks per request passed")
        or diag($out);
    unlike($out, qr/^not ok/m, "$sig: no check failed");
}

stop_double();
