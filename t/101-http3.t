# The module over HTTP/3 (QUIC), with an HTTP/3 curl (Debian 13's; see
# t/lib/RVProto.pm for where it is found): every body type with and without
# a content-length, a body in many DATA frames, the same-origin check (a
# browser sends no Host header over HTTP/3, only :authority), the 303, a
# client that goes away mid-body and while the call is in flight (curl
# closes its connection at --max-time: it cannot reset a single stream), and
# many concurrent streams on one connection.
#
# Ports: TEST_NGINX_PORT (+2 QUIC and TLS, +4 misbehave.js), the double on
# TEST_NGINX_DOUBLE_PORT.  Skipped when the nginx binary has no http_v3
# (nginx >= 1.25 configured --with-http_v3_module) or there is no HTTP/3 curl.
use strict;
use warnings;

use RVTest;
use RVProto;
use JSON::PP ();

my $Bin = RVTest::nginx_binary();
RVTest::init_servroot();
plan skip_all => "$Bin has no HTTP/3 (needs nginx >= 1.25 configured "
               . "--with-http_v3_module)" unless nginx_has('http_v3');
plan skip_all => "no curl with HTTP/3: " . h3_curl_why() unless h3_curl();

my $P    = $ENV{TEST_NGINX_PORT};
my $Q    = $P + 2;
my $Mb   = $P + 4;
my $Own  = "https://127.0.0.1:$Q";
my $JSON = JSON::PP->new->utf8->canonical;

start_misbehave($Mb);
start_double();

my $listen = listen_h3($Q);
my $common = <<"END";
        resend_verify_access_key_id \$TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret \$TEST_NGINX_KEY_SECRET;
        resend_verify_detail on;
        resend_verify_limit zone=h3;
END

start_nginx(<<"END", http_config => <<"END2");
$listen
    access_log logs/proto.log proto;

    # same origin only (no list): the own origin is https://127.0.0.1:$Q
    location = /resend {
        resend_verify /.aliyun;
$common
    }
    # a listed origin: everything but the same-origin tests
    location = /listed {
        resend_verify /.aliyun;
$common
        resend_verify_allow_origin https://app.example;
    }
    location = /form {
        resend_verify /.aliyun;
$common
        resend_verify_allow_origin https://app.example;
        resend_verify_redirect /sent /failed;
    }
    location = /stuck {
        resend_verify /.stuck;
$common
        resend_verify_allow_origin https://app.example;
    }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:\$TEST_NGINX_DOUBLE_PORT/;
    }
    location = /.stuck {
        internal;
        proxy_pass http://127.0.0.1:$Mb/no-headers;
        proxy_read_timeout 60s;
    }
END
    log_format proto '\$connection \$server_protocol \$status \$request_uri';
    resend_verify_limit_zone zone=h3:1m cooldown=1h;
END2

my $Boundary = '----WebKitFormBoundaryh3h3h3h3h3h3h3h3';

sub body_of {
    my ($type, $email) = @_;
    return ('application/x-www-form-urlencoded',
            'Email=' . join('%40', split /\@/, $email) . '&Lang=en')
        if $type eq 'urlencoded';
    return ("multipart/form-data; boundary=$Boundary",
            "--$Boundary\r\nContent-Disposition: form-data; name=\"Email\"\r\n\r\n"
            . "$email\r\n--$Boundary\r\nContent-Disposition: form-data; "
            . "name=\"Lang\"\r\n\r\nen\r\n--$Boundary--\r\n")
        if $type eq 'multipart';
    return ('application/json', $JSON->encode({ email => $email, lang => 'en' }));
}

my $Seq = 0;
sub email { my ($tag) = @_; $Seq++; return "h3-$tag-$Seq\@example.com" }

sub json_of { my ($r) = @_; return eval { $JSON->decode($r->{body}) } || {} }

sub one {
    my ($res) = @_;
    return $res->{results} && @{$res->{results}} == 1 ? $res->{results}[0]
        : { status => undef, body => '', headers => {},
            error => $res->{error} || 'no reply' };
}

sub sent_ok {
    my ($r, $email, $what) = @_;
    my $j = json_of($r);
    ok(($r->{status} // 0) == 200 && $j->{ok} && ref $j->{sent} eq 'ARRAY'
       && "@{$j->{sent}}" eq $email, "$what: 200, sent [$email]")
        or diag("status " . ($r->{status} // 'none') . ", "
                . ($r->{error} // '') . " body " . ($r->{body} // ''));
}

sub post {
    my (%o) = @_;
    my ($ct, $body) = body_of($o{type} || 'urlencoded', $o{email});
    my @h = ("Content-Type: $ct", 'Accept: ' . ($o{accept} || 'application/json'));
    push @h, "Origin: $o{origin}" if defined $o{origin};
    push @h, @{$o{headers} || []};
    my @req = (url => "$Own" . ($o{path} || '/resend'), headers => \@h,
               body => $body, no_length => $o{no_length}, args => $o{args},
               ($o{timeout} ? (timeout => $o{timeout}, allow_fail => 1) : ()));
    my $res = h3_request(@req);
    # curl that got no HTTP status at all (a QUIC handshake lost on a
    # loaded machine) tries once more; what the tests assert is the reply
    if (!$o{timeout} && !defined one($res)->{status}) {
        diag("no reply over HTTP/3, once more: " . (one($res)->{error} // ''));
        $res = h3_request(@req);
    }
    return $res;
}

sub proto_lines { return access_log_lines('proto.log') }

# every body type, with and without a content-length
for my $type (qw(urlencoded multipart json)) {
    for my $nolen (0, 1) {
        my $e = email("$type-$nolen");
        my $off = RVTest::record_size();
        my $res = post(type => $type, email => $e, path => '/listed',
                       origin => 'https://app.example', no_length => $nolen);
        sent_ok(one($res), $e, "$type, " . ($nolen ? 'without' : 'with')
                . ' content-length');
        my @recs = RVTest::read_records($off);
        is(join(',', map { $_->{params}{Email} } @recs), $e,
           "$type, " . ($nolen ? 'without' : 'with') . ' content-length: one call');
    }
}
my @l = proto_lines();
ok(@l == 6 && !(grep { !/ HTTP\/3\.0 200 \/listed$/ } @l), 'all six over HTTP/3')
    or diag(join "\n", @l);

# a body in many DATA frames: with --limit-rate, curl sends at most that many
# bytes at a time, each its own DATA frame
{
    my $log_off = length error_log_text();
    my $e = email('frames');
    my $res = post(type => 'multipart', email => $e, path => '/listed',
                   origin => 'https://app.example', no_length => 1,
                   args => ['--limit-rate', '64']);
    sent_ok(one($res), $e, 'a multipart body sent 64 bytes at a time');
    my @len = substr(error_log_text(), $log_off) =~ /http3 parse data type:0, len:(\d+)/g;
    ok(@len >= 4 && !(grep { $_ > 64 } @len),
       "nginx read it in many DATA frames (@len)");
}

# the same-origin check: the own origin is the host nginx resolved for the
# request (:authority), as over HTTP/1.1 and HTTP/2
{
    my $e = email('own');
    sent_ok(one(post(email => $e, origin => $Own)), $e, 'the own origin (no Host header)');
    $e = email('referer');
    sent_ok(one(post(email => $e, headers => ["Referer: $Own/signup?x=1"])), $e,
            'a same-origin Referer without Origin');
    for my $o ('https://evil.test', "http://127.0.0.1:$Q", 'https://127.0.0.1',
               "https://127.0.0.1:$Q.evil.test", 'null') {
        my $r = one(post(email => email('bad'), origin => $o));
        ok(($r->{status} // 0) == 403
           && (json_of($r)->{error}{code} // '') eq 'ForbiddenOrigin',
           "Origin $o: 403 ForbiddenOrigin")
            or diag("status " . ($r->{status} // 'none') . ", " . ($r->{error} // '')
                    . " body " . ($r->{body} // ''));
    }
}

# the 303 of a form without JavaScript
{
    my $r = one(post(path => '/form', email => email('form'), origin => 'https://app.example',
                     accept => 'text/html,*/*;q=0.8'));
    is($r->{status}, 303, 'a form post gets a 303');
    like($r->{headers}{location} // '', qr{^(?:\Q$Own\E)?/sent\?result=sent$},
         'to the success page');
}

# the client goes away mid-body (curl sends 16 bytes a second and gives up
# after 5): no call, nothing reserved
{
    my $e = email('gone-body');
    my $off = RVTest::record_size();
    my $log_off = length error_log_text();
    my $res = post(type => 'multipart', email => $e, path => '/listed',
                   origin => 'https://app.example', timeout => 5,
                   args => ['--limit-rate', '16']);
    is($res->{exit}, 28, 'curl gave up mid-body (timeout)');
    my @len = substr(error_log_text(), $log_off) =~ /http3 parse data type:0, len:(\d+)/g;
    ok(@len >= 1, "nginx had part of the body (@len)");
    sent_ok(one(post(type => 'multipart', email => $e, path => '/listed',
                     origin => 'https://app.example')), $e,
            'the same address next (nothing reserved)');
    is(scalar(RVTest::read_records($off)), 1, 'one call, for the second request');
}

# the client goes away while the call is in flight: the call was made, the
# reservation stays, the request ends
{
    my $before = misbehave_stats($Mb)->{byBehaviour}{'no-headers'} || 0;
    my $e = email('gone-call');
    my $res = post(path => '/stuck', email => $e, origin => 'https://app.example',
                   timeout => 6);
    isnt($res->{exit}, 0, 'curl gave up while the call was in flight');
    is(misbehave_stats($Mb)->{byBehaviour}{'no-headers'} || 0, $before + 1,
       'the call had reached the upstream');
    my $ended = 0;
    for (1 .. 750) {
        $ended = grep { m{ 499 /stuck$} } proto_lines();
        last if $ended;
        select undef, undef, undef, 0.02;
    }
    is($ended, 1, 'the request ended (499 in the log)');
    is(one(post(email => $e, path => '/listed', origin => 'https://app.example'))->{status},
       429, 'the address of the call made stays reserved');
    my $e2 = email('after');
    sent_ok(one(post(email => $e2, path => '/listed', origin => 'https://app.example')),
            $e2, 'the next request is served');
}

# many concurrent streams on one connection
{
    my @many = map { email("many$_") } 1 .. 30;
    my $off = RVTest::record_size();
    my @before = proto_lines();
    my @par = map {
        my ($ct, $body) = body_of((qw(urlencoded multipart json))[$_ % 3], $many[$_]);
        { url => "$Own/listed?n=$_", body => $body,
          headers => ["Content-Type: $ct", 'Origin: https://app.example',
                      'Accept: application/json'] }
    } 0 .. $#many;
    my $res = h3_request(parallel => \@par);
    my @r = @{$res->{results} || []};
    is(scalar(grep { $_->{status} == 200 } @r), 30, '30 parallel requests: 200 each')
        or diag(Test::More::explain($res));
    my $connects = 0;
    $connects += $_->{connects} for @r;
    is($connects, 1, 'curl made one connection for them');
    is_deeply([sort map { $_->{params}{Email} } RVTest::read_records($off)], [sort @many],
              'one call per stream, each its own address');
    # ($connection is a stream's over HTTP/3: the connection count is curl's)
    my @new = (proto_lines())[@before .. @before + 29];
    is(scalar(grep { defined && / HTTP\/3\.0 200 \/listed\?n=\d+$/ } @new), 30,
       'nginx served them over HTTP/3') or diag(join "\n", grep { defined } @new);
}

stop_nginx();
my $log = error_log_text();
unlike($log, qr/\[(?:alert|crit|emerg)\]/, 'no alert, crit or emerg in error.log')
    or diag(join "\n", grep { /\[(?:alert|crit|emerg)\]/ } split /\n/, $log);
unlike($log, qr/open socket #\d+ left|worker process \d+ exited on signal/,
       'no connection left open, no worker crashed');

Test::More::done_testing();
