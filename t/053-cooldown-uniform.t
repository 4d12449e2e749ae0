# resend_verify_detail off hides the cooldown (issue #11, item 2): a 429
# with an exact Retry-After would tell anyone that an address was asked for
# recently, and when.  With detail off the cooldown hit gets the reply of a
# real send (same status, headers and body shape, a RequestId of the
# gateway's form) and makes no call; with detail on it keeps 429 and
# Retry-After.
use RVTest;
use JSON::PP ();

plan tests => planned_tests();

our $UUID = qr/^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/;

# the two replies agree but for Date and the RequestId
sub same_reply {
    my ($all) = @_;
    my ($a, $b) = @$all;
    die "status $a->{status} then $b->{status}\n" unless $a->{status} == $b->{status};
    my %ha = %{$a->{headers}}; my %hb = %{$b->{headers}};
    delete @ha{qw(date)}; delete @hb{qw(date)};
    my $ka = join ',', sort keys %ha; my $kb = join ',', sort keys %hb;
    die "header names differ:\n  $ka\n  $kb\n" unless $ka eq $kb;
    for my $k (keys %ha) {
        die "header $k: '$ha{$k}' then '$hb{$k}'\n" unless $ha{$k} eq $hb{$k};
    }
    return 1 unless length $a->{body};
    my $ja = JSON::PP::decode_json($a->{body});
    my $jb = JSON::PP::decode_json($b->{body});
    die "body keys differ\n"
        unless join(',', sort keys %$ja) eq join(',', sort keys %$jb);
    for my $j ($ja, $jb) {
        die "requestId '$j->{requestId}' is not an upper-case UUID\n"
            unless $j->{requestId} =~ $::UUID;
    }
    die "the same requestId twice\n" if $ja->{requestId} eq $jb->{requestId};
    for my $k (grep { $_ ne 'requestId' } keys %$ja) {
        die "body $k differs\n"
            unless JSON::PP->new->canonical->encode([$ja->{$k}])
                eq JSON::PP->new->canonical->encode([$jb->{$k}]);
    }
    1
}

run_tests();

__DATA__

=== TEST 1: detail off: the cooldown hit looks like a real send, and makes no call
--- http_config
    resend_verify_limit_zone zone=rv:1m cooldown=60s;
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_limit zone=rv;
        resend_verify_allow_origin https://example.com;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
Origin: https://example.com
--- request eval
["POST /resend\nEmail=alice%40example.com",
 "POST /resend\nEmail=alice%40example.com"]
--- error_code eval
[200, 200]
--- response_headers eval
["!Retry-After\nAccess-Control-Allow-Origin: https://example.com",
 "!Retry-After\nAccess-Control-Allow-Origin: https://example.com"]
--- response_json eval
['{"ok": true, "message": "If the address is waiting for verification, a new email is on its way."}',
 '{"ok": true, "message": "If the address is waiting for verification, a new email is on its way."}']
--- upstream_requests: 1
--- custom_check eval
sub { main::same_reply($_[3]) }
--- error_log
resend_verify: cooldown for a***@example.com, retry in 60 s
--- no_error_log
[error]



=== TEST 2: detail off, a plain HTML form: the cooldown hit is the 303 to the success page
--- http_config
    resend_verify_limit_zone zone=rv:1m cooldown=60s;
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_limit zone=rv;
        resend_verify_redirect /sent.html /failed.html;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
Accept: text/html
--- request eval
["POST /resend\nEmail=alice%40example.com",
 "POST /resend\nEmail=alice%40example.com"]
--- error_code eval
[303, 303]
--- response_headers eval
["!Retry-After", "!Retry-After"]
--- response_headers_like eval
['Location: /sent\.html\?result=sent$', 'Location: /sent\.html\?result=sent$']
--- upstream_requests: 1
--- custom_check eval
sub { main::same_reply($_[3]) }



=== TEST 3: detail on: the cooldown hit is 429 with Retry-After
--- http_config
    resend_verify_limit_zone zone=rv:1m cooldown=60s;
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_limit zone=rv;
        resend_verify_detail on;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
["POST /resend\nEmail=alice%40example.com",
 "POST /resend\nEmail=alice%40example.com"]
--- error_code eval
[200, 429]
--- response_headers eval
["!Retry-After", "Retry-After: 60"]
--- response_json eval
[undef, '{"ok": false, "error": {"code": "TooManyRequests"}}']
--- upstream_requests: 1
