# resend_verify_allow_origin takes only what a browser can send in an
# Origin header (the URL standard's serialization of an origin): "nginx -t"
# refuses anything else, which would silently never match.
use RVTest;

plan tests => planned_tests();

run_tests();

__DATA__

=== TEST 1: user information is refused
--- config
    location = /resend {
        resend_verify /a;
        resend_verify_access_key_id a;
        resend_verify_access_key_secret b;
        resend_verify_allow_origin https://example.com https://user@example.com;
    }
--- must_die
--- error_log
invalid origin "https://user@example.com" in "resend_verify_allow_origin" directive: it has user information


=== TEST 2: a path is refused
--- config
    location = /resend {
        resend_verify /a;
        resend_verify_access_key_id a;
        resend_verify_access_key_secret b;
        resend_verify_allow_origin https://example.com https://example.com/signup;
    }
--- must_die
--- error_log
invalid origin "https://example.com/signup" in "resend_verify_allow_origin" directive: it has a path


=== TEST 3: a query is refused
--- config
    location = /resend {
        resend_verify /a;
        resend_verify_access_key_id a;
        resend_verify_access_key_secret b;
        resend_verify_allow_origin https://example.com https://example.com?x=1;
    }
--- must_die
--- error_log
invalid origin "https://example.com?x=1" in "resend_verify_allow_origin" directive: it has a query


=== TEST 4: a fragment is refused
--- config
    location = /resend {
        resend_verify /a;
        resend_verify_access_key_id a;
        resend_verify_access_key_secret b;
        resend_verify_allow_origin https://example.com https://example.com#top;
    }
--- must_die
--- error_log
invalid origin "https://example.com#top" in "resend_verify_allow_origin" directive: it has a fragment


=== TEST 5: an empty port is refused
--- config
    location = /resend {
        resend_verify /a;
        resend_verify_access_key_id a;
        resend_verify_access_key_secret b;
        resend_verify_allow_origin https://example.com https://example.com:;
    }
--- must_die
--- error_log
invalid origin "https://example.com:" in "resend_verify_allow_origin" directive: it has an empty port


=== TEST 6: the default port of https is refused
--- config
    location = /resend {
        resend_verify /a;
        resend_verify_access_key_id a;
        resend_verify_access_key_secret b;
        resend_verify_allow_origin https://example.com https://example.com:443;
    }
--- must_die
--- error_log
invalid origin "https://example.com:443" in "resend_verify_allow_origin" directive: it has the scheme's default port


=== TEST 7: the default port of http is refused
--- config
    location = /resend {
        resend_verify /a;
        resend_verify_access_key_id a;
        resend_verify_access_key_secret b;
        resend_verify_allow_origin https://example.com http://example.com:80;
    }
--- must_die
--- error_log
invalid origin "http://example.com:80" in "resend_verify_allow_origin" directive: it has the scheme's default port


=== TEST 8: a trailing dot is refused
--- config
    location = /resend {
        resend_verify /a;
        resend_verify_access_key_id a;
        resend_verify_access_key_secret b;
        resend_verify_allow_origin https://example.com https://example.com.;
    }
--- must_die
--- error_log
invalid origin "https://example.com." in "resend_verify_allow_origin" directive: it has a trailing dot in its host


=== TEST 9: upper case in the host is refused
--- config
    location = /resend {
        resend_verify /a;
        resend_verify_access_key_id a;
        resend_verify_access_key_secret b;
        resend_verify_allow_origin https://example.com https://Example.com;
    }
--- must_die
--- error_log
invalid origin "https://Example.com" in "resend_verify_allow_origin" directive: it has upper case in its host


=== TEST 10: upper case in the scheme is refused
--- config
    location = /resend {
        resend_verify /a;
        resend_verify_access_key_id a;
        resend_verify_access_key_secret b;
        resend_verify_allow_origin https://example.com HTTPS://example.com;
    }
--- must_die
--- error_log
invalid origin "HTTPS://example.com" in "resend_verify_allow_origin" directive: it has upper case in its scheme


=== TEST 11: a U-label is refused
--- config
    location = /resend {
        resend_verify /a;
        resend_verify_access_key_id a;
        resend_verify_access_key_secret b;
        resend_verify_allow_origin https://example.com https://bücher.example;
    }
--- must_die
--- error_log
invalid origin "https://bücher.example" in "resend_verify_allow_origin" directive: it has a non-ASCII host


=== TEST 12: a port with a leading zero is refused
--- config
    location = /resend {
        resend_verify /a;
        resend_verify_access_key_id a;
        resend_verify_access_key_secret b;
        resend_verify_allow_origin https://example.com https://example.com:08443;
    }
--- must_die
--- error_log
invalid origin "https://example.com:08443" in "resend_verify_allow_origin" directive: it has a port with a leading zero


=== TEST 13: what a browser sends is accepted
--- config
    location = /resend {
        resend_verify /.canned;
        resend_verify_access_key_id a;
        resend_verify_access_key_secret b;
        resend_verify_allow_origin https://example.com http://127.0.0.1:8080
            https://xn--bcher-kva.example http://[::1]:8443 https://www.example.com:8443;
    }
    location = /.canned { internal; return 200 '{"RequestId":"X","SuccessList":[]}'; }
--- config_ok
--- request
POST /resend
Email=a%40example.com
--- more_headers
Content-Type: application/x-www-form-urlencoded
Origin: https://xn--bcher-kva.example
--- error_code: 200
--- response_headers
Access-Control-Allow-Origin: https://xn--bcher-kva.example
