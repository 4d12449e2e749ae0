# The module over HTTP/2: TLS with ALPN "h2" and cleartext with prior
# knowledge (h2c), with t/lib/h2client.js (Node's http2 module).  For each:
# every body type with and without a content-length, a body in many DATA
# frames, the origin check, the 303 of a no-JS form, a stream reset mid-body
# and while the call is in flight (the worker goes on serving, the request
# ends, nothing is left open, the cooldown is kept only for the call that was
# made), and many concurrent streams on one connection.
#
# Ports: TEST_NGINX_PORT (+2 TLS, +3 h2c, +4 misbehave.js), the double on
# TEST_NGINX_DOUBLE_PORT.  Skipped when the nginx binary has no http_v2.
use strict;
use warnings;

use RVTest;
use RVProto;
use JSON::PP ();

my $Bin = RVTest::nginx_binary();
plan skip_all => "$Bin has no HTTP/2 (not configured --with-http_v2_module)"
    unless nginx_has('http_v2');

my $P     = $ENV{TEST_NGINX_PORT};
my $Tls   = $P + 2;
my $Clear = $P + 3;
my $Mb    = $P + 4;
my $JSON  = JSON::PP->new->utf8->canonical;

RVTest::init_servroot();
start_misbehave($Mb);
start_double();

my $listen = listen_h2($Tls, $Clear);
my $common = <<"END";
        resend_verify_access_key_id \$TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret \$TEST_NGINX_KEY_SECRET;
        resend_verify_detail on;
        resend_verify_max_emails 2;
        resend_verify_limit zone=h2;
END

start_nginx(<<"END", http_config => <<"END2");
$listen
    access_log logs/proto.log proto;

    location = /resend {
        resend_verify /.aliyun;
$common
    }
    location = /form {
        resend_verify /.aliyun;
$common
        resend_verify_redirect /sent /failed;
    }
    location = /stuck {
        resend_verify /.stuck;
$common
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
    resend_verify_limit_zone zone=h2:1m cooldown=1h;
END2

my $Boundary = '----WebKitFormBoundaryh2h2h2h2h2h2h2h2';

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
sub email { my ($tag) = @_; $Seq++; return "h2-$tag-$Seq\@example.com" }

sub rq {
    my (%o) = @_;
    my ($ct, $body) = body_of($o{type} || 'urlencoded', $o{email});
    return {
        method => 'POST', path => $o{path} || '/resend',
        headers => { 'content-type' => $ct, 'accept' => 'application/json',
                     %{$o{headers} || {}} },
        body => defined $o{body} ? $o{body} : $body,
        content_length => exists $o{cl} ? $o{cl} : JSON::PP::true,
        ($o{frames} ? (frames => $o{frames}) : ()),
        ($o{reset} ? (reset => $o{reset}) : ()),
        %{$o{extra} || {}},
    };
}

sub json_of {
    my ($r) = @_;
    return eval { $JSON->decode($r->{body}) } || {};
}

sub records_since {
    my ($off) = @_;
    return RVTest::read_records($off);
}

sub sent_ok {
    my ($r, $email, $what) = @_;
    my $j = json_of($r);
    my $ok = defined $r->{status} && $r->{status} == 200 && $j->{ok}
        && ref $j->{sent} eq 'ARRAY' && "@{$j->{sent}}" eq $email;
    ok($ok, "$what: 200, sent [$email]")
        or diag("status " . ($r->{status} // 'none') . ", error "
                . ($r->{error} // 'none') . ", body $r->{body}");
}

sub data_frames {
    my ($from) = @_;
    my $log = substr(error_log_text(), $from);
    my $n = () = $log =~ /http2 frame type:0 /g;
    return $n;
}

for my $t (['TLS', "https://127.0.0.1:$Tls", 'https', $Tls],
           ['h2c', "http://127.0.0.1:$Clear", 'http', $Clear])
{
    my ($name, $url, $scheme, $port) = @$t;
    my $own = "$scheme://127.0.0.1:$port";

    # every body type, with and without a content-length, one session
    my (@reqs, @emails, @what);
    for my $type (qw(urlencoded multipart json)) {
        for my $cl (1, 0) {
            my $e = email("$type-$cl");
            push @emails, $e;
            push @what, "$name, $type, " . ($cl ? 'with' : 'without')
                . ' content-length';
            push @reqs, rq(type => $type, email => $e,
                           cl => $cl ? JSON::PP::true : JSON::PP::false,
                           headers => { origin => $own });
        }
    }
    my $off = RVTest::record_size();
    my $out = h2_run({ url => $url, requests => \@reqs });
    is($out->{error}, undef, "$name: the client ran");
    sent_ok($out->{results}[$_], $emails[$_], $what[$_]) for 0 .. $#reqs;
    my @recs = records_since($off);
    is_deeply([map { $_->{params}{Email} } @recs], \@emails,
              "$name: the double got each address once, in order");

    # a body in many DATA frames
    my $log_off = length error_log_text();
    my $e = email('frames');
    $out = h2_run({ url => $url, requests => [
        rq(type => 'multipart', email => $e, frames => 40, cl => JSON::PP::false,
           headers => { origin => $own }) ] });
    sent_ok($out->{results}[0], $e, "$name: a multipart body in 40 DATA frames");
    my $frames = data_frames($log_off);
    ok($frames >= 20, "$name: nginx read the body in many DATA frames ($frames)");

    # the origin check
    $out = h2_run({ url => $url, requests => [
        rq(email => email('evil'), headers => { origin => 'https://evil.test' }),
        rq(email => email('scheme'),
           headers => { origin => ($scheme eq 'https' ? 'http' : 'https')
                                  . "://127.0.0.1:$port" }),
        rq(email => email('noorigin'), headers => {}) ] });
    for my $i (0 .. 2) {
        my $r = $out->{results}[$i];
        is($r->{status}, 403, "$name: origin check " . ($i + 1) . " refused");
        is(json_of($r)->{error}{code}, 'ForbiddenOrigin',
           "$name: origin check " . ($i + 1) . ": ForbiddenOrigin");
    }

    # the 303 of a form without JavaScript
    $e = email('form');
    $out = h2_run({ url => $url, requests => [
        rq(path => '/form', email => $e,
           headers => { origin => $own, accept => 'text/html,*/*;q=0.8' }) ] });
    my $r = $out->{results}[0];
    is($r->{status}, 303, "$name: a form post gets a 303");
    like($r->{headers}{location} // '', qr{^(?:\Q$own\E)?/sent\?result=sent$},
         "$name: to the success page");

    # a reset mid-body: no call, no reservation; the same session goes on
    $off = RVTest::record_size();
    $e = email('reset-body');
    $out = h2_run({ url => $url, requests => [
        rq(type => 'json', email => $e, frames => 8, reset => 'mid-body',
           headers => { origin => $own }),
        rq(type => 'json', email => $e, headers => { origin => $own }) ] });
    ok($out->{results}[0]{reset}, "$name: a stream reset mid-body");
    sent_ok($out->{results}[1], $e,
            "$name: the same address next, on the same connection (nothing reserved)");
    is(scalar(records_since($off)), 1, "$name: one call, for the second request");

    # a reset while the call is in flight: the call was made, so the
    # reservation stays; the request ends (499), the next one is served
    my $before = misbehave_stats($Mb)->{byBehaviour}{'no-headers'} || 0;
    $e = email('reset-call');
    my $e2 = email('after-reset');
    $out = h2_run({ url => $url, requests => [
        rq(path => '/stuck', email => $e, reset => 'in-flight',
           headers => { origin => $own },
           extra => { wait_url => "http://127.0.0.1:$Mb/__stats",
                      wait_key => 'no-headers', wait_count => $before + 1 }),
        rq(email => $e, headers => { origin => $own }),
        rq(email => $e2, headers => { origin => $own }) ] });
    ok($out->{results}[0]{reset} && !defined $out->{results}[0]{status},
       "$name: a stream reset while the call is in flight");
    $r = $out->{results}[1];
    is($r->{status}, 429, "$name: the address of the call made stays reserved");
    sent_ok($out->{results}[2], $e2, "$name: the next request on the connection is served");
    my $ended = 0;
    for (1 .. 750) {
        $ended = grep { m{ 499 /stuck$} } access_log_lines('proto.log');
        last if $ended >= ($name eq 'TLS' ? 1 : 2);
        select undef, undef, undef, 0.02;
    }
    is($ended, $name eq 'TLS' ? 1 : 2, "$name: the reset request ended (499 in the log)");

    # many concurrent streams on one connection
    my @many = map { email("many$_") } 1 .. 60;
    $off = RVTest::record_size();
    my $lines_before = () = access_log_lines('proto.log');
    $out = h2_run({ url => $url, concurrent => JSON::PP::true, requests => [
        map { rq(type => (qw(urlencoded multipart json))[$_ % 3], email => $many[$_],
                 cl => $_ % 2 ? JSON::PP::true : JSON::PP::false,
                 headers => { origin => $own }) } 0 .. $#many ] });
    my $good = grep {
        my $r = $out->{results}[$_];
        $r && ($r->{status} // 0) == 200 && (json_of($r)->{sent} || [''])->[0] eq $many[$_]
    } 0 .. $#many;
    is($good, scalar @many, "$name: 60 concurrent streams, each its own reply");
    is_deeply([sort map { $_->{params}{Email} } records_since($off)], [sort @many],
              "$name: one call per stream");
    my @lines = (access_log_lines('proto.log'))[$lines_before .. $lines_before + 59];
    my %conns = map { (split / /)[0] => 1 } grep { defined } @lines;
    ok(keys %conns == 1 && (grep { defined && / HTTP\/2\.0 200 / } @lines) == 60,
       "$name: all on one HTTP/2 connection")
        or diag(join "\n", grep { defined } @lines);
}

stop_nginx();
my $log = error_log_text();
unlike($log, qr/\[(?:alert|crit|emerg)\]/, 'no alert, crit or emerg in error.log')
    or diag(join "\n", grep { /\[(?:alert|crit|emerg)\]/ } split /\n/, $log);
unlike($log, qr/open socket #\d+ left|worker process \d+ exited on signal/,
       'no connection left open, no worker crashed');

Test::More::done_testing();
