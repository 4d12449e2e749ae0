# The headers the module makes (the subrequest's Content-Type and its other
# headers, the 303's Location, every reply header) are whole ngx_table_elt_t
# entries: since nginx 1.23 they are linked through "next", and nginx's
# variables follow it ($content_type in the internal location walks
# headers_in.content_type->next).  An entry left with pool garbage in "next"
# reads uninitialised memory: a crash, or foreign bytes sent upstream.
#
# The checks here see the values; the memory is checked by running nginx
# under Valgrind (memcheck: any "Conditional jump or move depends on
# uninitialised value(s)" fails the block), which this file does by itself
# when valgrind is installed, unless TEST_NGINX_USE_VALGRIND or
# TEST_NGINX_PREFIX_CMD is set already.  It matters on nginx >= 1.23 (the
# compatibility matrix runs it there); on 1.22 there is no "next".
BEGIN {
    if (!defined $ENV{TEST_NGINX_USE_VALGRIND} && !defined $ENV{TEST_NGINX_PREFIX_CMD}
        && grep { -x "$_/valgrind" } split /:/, $ENV{PATH} || '')
    {
        $ENV{TEST_NGINX_USE_VALGRIND} = '--leak-check=no';
    }
}

use RVTest;

run_tests();

__DATA__

=== TEST 1: $content_type, $http_content_type and a header walk in the internal location
--- http_config
    log_format sub '$uri ct=$content_type hct=$http_content_type';
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    }
    location = /.aliyun {
        internal;
        log_subrequest on;
        access_log logs/sub.log sub;
        proxy_set_header X-Ct $content_type;
        proxy_set_header X-Hct $http_content_type;
        proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/;
    }
--- request eval
["POST /resend\n--b0\r\nContent-Disposition: form-data; name=\"Email\"\r\n\r\nalice\@example.com\r\n--b0--\r\n",
 "POST /resend\nEmail=bob%40example.com"]
--- more_headers eval
["Content-Type: multipart/form-data; boundary=b0",
 "Content-Type: application/x-www-form-urlencoded"]
--- error_code: 200
--- upstream_requests: 2
--- upstream_like
^x-ct: application/x-www-form-urlencoded$
^x-hct: application/x-www-form-urlencoded$
--- custom_check eval
sub {
    my $log = RVTest::slurp(RVTest::servroot() . '/logs/sub.log');
    my @l = grep { /^\/\.aliyun/ } split /\n/, $log;
    @l == 2 && !grep { !/ ct=application\/x-www-form-urlencoded hct=application\/x-www-form-urlencoded$/ } @l;
}
--- no_error_log
[alert]
[crit]



=== TEST 2: the 303's Location and the reply headers, read back by variables
--- http_config
    log_format main '$status loc=$sent_http_location vary=$sent_http_vary '
                    'acao=$sent_http_access_control_allow_origin';
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_allow_origin http://localhost;
        resend_verify_redirect /sent /failed;
        access_log logs/main.log main;
    }
    location = /.aliyun { internal; proxy_pass http://127.0.0.1:$TEST_NGINX_DOUBLE_PORT/; }
--- request eval
["POST /resend\nEmail=alice%40example.com", "POST /resend\nEmail=bob%40example.com"]
--- more_headers eval
["Content-Type: application/x-www-form-urlencoded\nAccept: text/html",
 "Content-Type: application/x-www-form-urlencoded\nAccept: application/json"]
--- error_code eval
[303, 200]
--- upstream_requests: 2
--- custom_check eval
sub {
    my @l = split /\n/, RVTest::slurp(RVTest::servroot() . '/logs/main.log');
    @l == 2
    && $l[0] =~ m{^303 loc=\S*/sent\?result=sent vary=Origin, Accept acao=http://localhost$}
    && $l[1] =~ m{^200 loc=- vary=Origin, Accept acao=http://localhost$}
    or do { Test::More::diag(join "\n", @l); 0 };
}
--- no_error_log
[alert]
[crit]
