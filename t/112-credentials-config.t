# resend_verify_credentials: what nginx -t refuses (one source per
# location, unknown providers and parameters, STS limits, OIDC parameters
# neither given nor in the environment), and what it takes.
use RVTest;

delete $ENV{$_} for qw(ALIBABA_CLOUD_ROLE_ARN ALIBABA_CLOUD_OIDC_PROVIDER_ARN
                       ALIBABA_CLOUD_OIDC_TOKEN_FILE
                       ALIBABA_CLOUD_ROLE_SESSION_NAME);

run_tests();

__DATA__

=== TEST 1: a provider and the credentials file in one location
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_credentials ecs_ram_role /.ecs-metadata/;
        resend_verify_credentials_file $TEST_NGINX_SERVROOT/html/key;
    }
--- user_files
>>> key
access_key_id = LTAI5tTestOnlyKeyId0001
access_key_secret = TestOnlySecret0123456789abcdef
--- must_die
--- error_log
"resend_verify_credentials" and "resend_verify_credentials_file" are both set: one credentials source per location



=== TEST 2: a provider and inline keys in one location
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_access_key_id $TEST_NGINX_KEY_ID;
        resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
        resend_verify_credentials uri /.broker;
    }
--- must_die
--- error_log
"resend_verify_credentials" and "resend_verify_access_key_id" are both set: one credentials source per location



=== TEST 3: both at the http level
--- http_config
    resend_verify_credentials uri /.broker;
    resend_verify_credentials_file $TEST_NGINX_SERVROOT/html/key;
--- user_files
>>> key
access_key_id = LTAI5tTestOnlyKeyId0001
access_key_secret = TestOnlySecret0123456789abcdef
--- config
    location = /resend {
        resend_verify /.aliyun;
    }
--- must_die
--- error_log
"resend_verify_credentials" and "resend_verify_credentials_file" are both set



=== TEST 4: inline keys at the server level, a provider in the location: the nearest wins
--- config
    resend_verify_access_key_id $TEST_NGINX_KEY_ID;
    resend_verify_access_key_secret $TEST_NGINX_KEY_SECRET;
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_credentials uri /.broker;
    }
--- config_ok
--- request
GET /nothing
--- error_code: 404



=== TEST 5: an unknown provider
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_credentials ram_role_arn /.sts;
    }
--- must_die
--- error_log
unknown credentials provider "ram_role_arn": use ecs_ram_role, oidc or uri



=== TEST 6: the URI must be a location's
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_credentials uri http://127.0.0.1:9911/credentials;
    }
--- must_die
--- error_log
"http://127.0.0.1:9911/credentials" is not the URI of an internal location



=== TEST 7: a parameter of another provider
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_credentials ecs_ram_role /.ecs-metadata/ role_arn=acs:ram::1:role/x;
    }
--- must_die
--- error_log
invalid parameter "role_arn=acs:ram::1:role/x" for "ecs_ram_role"



=== TEST 8: a role name that is not one
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_credentials ecs_ram_role /.ecs-metadata/ role=../../x;
    }
--- must_die
--- error_log
invalid parameter "role=../../x" for "ecs_ram_role"



=== TEST 9: imdsv1 takes on or off
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_credentials ecs_ram_role /.ecs-metadata/ imdsv1=yes;
    }
--- must_die
--- error_log
invalid parameter "imdsv1=yes" for "ecs_ram_role"



=== TEST 10: oidc without a role ARN, given or in the environment
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_credentials oidc /.aliyun-sts oidc_provider_arn=acs:ram::1:oidc-provider/p token_file=/tmp/t;
    }
--- must_die
--- error_log
"resend_verify_credentials oidc" needs role_arn=, or ALIBABA_CLOUD_ROLE_ARN in the environment



=== TEST 11: oidc: a duration STS does not take
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_credentials oidc /.aliyun-sts role_arn=acs:ram::1:role/r oidc_provider_arn=acs:ram::1:oidc-provider/p token_file=/tmp/t duration=10m;
    }
--- must_die
--- error_log
invalid "duration=10m": STS takes 15m to 12h



=== TEST 12: oidc: a session name STS does not take
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_credentials oidc /.aliyun-sts role_arn=acs:ram::1:role/r oidc_provider_arn=acs:ram::1:oidc-provider/p token_file=/tmp/t session_name=a/b;
    }
--- must_die
--- error_log
invalid session name "a/b"



=== TEST 13: oidc: not an ARN
--- config
    location = /resend {
        resend_verify /.aliyun;
        resend_verify_credentials oidc /.aliyun-sts role_arn=arn:aws:iam::1:role/r oidc_provider_arn=acs:ram::1:oidc-provider/p token_file=/tmp/t;
    }
--- must_die
--- error_log
invalid role ARN "arn:aws:iam::1:role/r"



=== TEST 14: every provider, each with all its parameters, at once
--- config
    location = /a {
        resend_verify /.aliyun;
        resend_verify_credentials ecs_ram_role /.ecs-metadata/ role=EcsRamRoleTest imdsv1=on;
    }
    location = /b {
        resend_verify /.aliyun;
        resend_verify_credentials oidc /.aliyun-sts role_arn=acs:ram::1:role/r oidc_provider_arn=acs:ram::1:oidc-provider/p token_file=/tmp/t session_name=edge-1 duration=2h;
    }
    location = /c {
        resend_verify /.aliyun;
        resend_verify_credentials uri /.broker;
    }
    location = /d {
        resend_verify /.aliyun;
        resend_verify_credentials uri /.broker;
    }
--- config_ok
--- request
GET /nothing
--- error_code: 404
