# resend_verify_credentials, each provider end to end against its double
# (double/credentials.js): the ECS metadata service in hardened mode, STS
# AssumeRoleWithOIDC with the token file read at each fetch, a broker; the
# Domain API double accepts exactly the credentials they issue.  Then the
# metadata service's misbehaviours, each a clean 503 with Retry-After and
# one error line; the metrics; the log scanned for every secret and token.
use strict;
use warnings;
use RVTest;
use RVCreds;
use Test::More;
use JSON::PP ();

plan tests => 66;

my $root = servroot();
my $JSON = JSON::PP->new->utf8;
my @all_log;                            # every error.log, for the scan

sub finish {
    stop_nginx();
    push @all_log, error_log_text();
}

sub last_api { my @a = api_records(); return $a[-1] }

my $issued_ids = sub { map { $_->{id} } issued() };

# 1. ECS, hardened mode, the role discovered

cred_start();
api_start();
start_nginx(provider_conf('resend_verify_credentials ecs_ram_role /.ecs-metadata/;'));

my $r = post_resend();
is($r->{status}, 200, 'ecs_ram_role: 200') or diag($r->{body});

my @c = cred_records();
is_deeply([map { "$_->{method} $_->{url}" } @c],
          ['PUT /latest/api/token',
           'GET /latest/meta-data/ram/security-credentials/',
           'GET /latest/meta-data/ram/security-credentials/EcsRamRoleTest'],
          'ecs_ram_role: the token, the role, the credentials');
like($c[0]{headers}{'x-aliyun-ecs-metadata-token-ttl-seconds'}, qr/^\d+$/,
     'ecs_ram_role: the PUT asks for a token TTL');
ok($c[1]{headers}{'x-aliyun-ecs-metadata-token'}
   && $c[1]{headers}{'x-aliyun-ecs-metadata-token'} eq $c[0]{response}
   && $c[2]{headers}{'x-aliyun-ecs-metadata-token'} eq $c[0]{response},
   'ecs_ram_role: both GETs carry the token');
ok(!grep({ $_->{headers}{'x-forwarded-for'} || $_->{headers}{origin} } @c),
   'ecs_ram_role: nothing of the browser\'s request reaches the metadata service');

my $api = last_api();
my ($id) = $api->{body} =~ /AccessKeyId=([^&]+)/;
my @iss = issued();
is($id, $iss[-1]{id}, 'ecs_ram_role: the call is signed with the issued AccessKeyId');
like($api->{body}, qr/SecurityToken=/, 'ecs_ram_role: with its SecurityToken');

$r = post_resend('b%40example.com');
is($r->{status}, 200, 'ecs_ram_role: a second request');
is(cred_fetches('credentials'), 1, 'ecs_ram_role: the credentials are cached');

$r = http_request('GET', '/status');
like($r->{body}, qr/^resend_verify_credentials_fetches_total\{provider="ecs_ram_role",uri="\/.ecs-metadata\/",result="success"\} 1$/m,
     'metrics: one successful fetch');
like($r->{body}, qr/^resend_verify_credentials_seconds_left\{provider="ecs_ram_role",uri="\/.ecs-metadata\/"\} (3[0-9]{3})$/m,
     'metrics: about an hour left');

finish();
unlike($all_log[-1], qr/\[(?:error|crit|alert)\]/, 'ecs_ram_role: no error logged');

# 2. ECS with the role given: no role lookup

cred_start();
start_nginx(provider_conf('resend_verify_credentials ecs_ram_role /.ecs-metadata/ role=EcsRamRoleTest;'));
$r = post_resend();
is($r->{status}, 200, 'ecs_ram_role role=: 200') or diag($r->{body});
@c = cred_records();
is_deeply([map { "$_->{method} $_->{url}" } @c],
          ['PUT /latest/api/token',
           'GET /latest/meta-data/ram/security-credentials/EcsRamRoleTest'],
          'ecs_ram_role role=: no role lookup');
finish();

# 3. a metadata service without tokens: refused unless imdsv1=on

cred_start('--imds-no-token');
start_nginx(provider_conf('resend_verify_credentials ecs_ram_role /.ecs-metadata/;'));
$r = post_resend();
is($r->{status}, 503, 'no token support, imdsv1 off: 503');
like($r->{body}, qr/"code":"ServiceUnavailable"/, 'no token support: ServiceUnavailable');
like($r->{headers}{'retry-after'} // '', qr/^[1-9]\d*$/, 'no token support: Retry-After');
is(cred_fetches('credentials'), 0, 'no token support: no tokenless GET');
finish();
like($all_log[-1], qr/\[error\].*ecs_ram_role credentials from "\/.ecs-metadata\/" failed \(1 in a row\): the metadata service gave no token for the hardened mode \(imdsv1=on allows going without\), status 404; no valid credentials/,
     'no token support: the error line says why');

cred_start('--imds-no-token');
start_nginx(provider_conf('resend_verify_credentials ecs_ram_role /.ecs-metadata/ imdsv1=on;'));
$r = post_resend();
is($r->{status}, 200, 'no token support, imdsv1=on: 200') or diag($r->{body});
@c = grep { $_->{kind} ne 'token' } cred_records();
ok(@c == 2 && !grep({ exists $_->{headers}{'x-aliyun-ecs-metadata-token'} } @c),
   'imdsv1=on: the GETs go without a token');
finish();

# 4. the metadata service misbehaves: each is a 503 and one error line

my %bad = (
    '--garbage'  => 'the reply is not the expected JSON',
    '--code Failed' => 'the reply\'s Code is not Success',
    '--expired'  => 'the credentials have already expired',
    '--delay-ms 4000' => 'no answer in time',
    '--status 500' => 'an error status, status 500, Code InternalError',
);

for my $args (sort keys %bad) {
    cred_start(split / /, $args);
    start_nginx(provider_conf('resend_verify_credentials ecs_ram_role /.ecs-metadata/;'));
    $r = post_resend();
    is($r->{status}, 503, "$args: 503");
    like($r->{headers}{'retry-after'} // '', qr/^[1-9]\d*$/, "$args: Retry-After");
    $r = post_resend('c%40example.com');
    is($r->{status}, 503, "$args: 503 again, within the backoff");
    finish();
    my @err = $all_log[-1] =~ /\[error\][^\n]*ecs_ram_role credentials[^\n]*/g;
    ok(@err == 1 && index($err[0], $bad{$args}) >= 0, "$args: one error line: $bad{$args}")
        or diag(join "\n", @err);
}

# 5. OIDC: the token from the file, in the body, at each fetch

my $token_file = "$root/conf/rrsa-token";
my $oidc_token = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6ZGVmYXVsdDpyZXNlbmQifQ.c2lnbmF0dXJl+/=';

sub write_token {
    my ($t) = @_;
    open my $fh, '>', "$token_file.tmp" or die $!;
    print $fh "$t\n";
    close $fh;
    rename "$token_file.tmp", $token_file or die $!;
}

write_token($oidc_token);
cred_start('--oidc-token-file', $token_file);

local $ENV{ALIBABA_CLOUD_ROLE_ARN} = 'acs:ram::1234567890123456:role/resend-verify-rrsa';
local $ENV{ALIBABA_CLOUD_OIDC_PROVIDER_ARN} = 'acs:ram::1234567890123456:oidc-provider/ack-rrsa-test';
local $ENV{ALIBABA_CLOUD_OIDC_TOKEN_FILE} = $token_file;
local $ENV{ALIBABA_CLOUD_ROLE_SESSION_NAME} = 'edge-node-1';

start_nginx(provider_conf('resend_verify_credentials oidc /.aliyun-sts;'));
$r = post_resend();
is($r->{status}, 200, 'oidc: 200 with the parameters from the environment') or diag($r->{body});
@c = cred_records();
is(scalar @c, 1, 'oidc: one STS call');
my %form = map { my ($k, $v) = split /=/, $_, 2; $k => $v } split /&/, $c[0]{body};
is($c[0]{method} . ' ' . $c[0]{url}, 'POST /sts/', 'oidc: a POST without a query');
is($c[0]{headers}{'content-type'}, 'application/x-www-form-urlencoded', 'oidc: a form');
is(join(',', sort keys %form),
   'Action,DurationSeconds,Format,OIDCProviderArn,OIDCToken,RoleArn,RoleSessionName,Timestamp,Version',
   'oidc: exactly the parameters of AssumeRoleWithOIDC, no signature');
is($form{RoleSessionName}, 'edge-node-1', 'oidc: the session name from the environment');
is($form{DurationSeconds}, 3600, 'oidc: an hour by default');
is(last_api()->{body} =~ /AccessKeyId=(STS\.[^&]+)/ ? $1 : '', (issued())[-1]{id},
   'oidc: the call is signed with the STS credentials');
finish();

# the token file is replaced: the next fetch sends the new token

write_token($oidc_token . 'v2');
start_nginx(provider_conf('resend_verify_credentials oidc /.aliyun-sts duration=2h session_name=given-name;'));
$r = post_resend();
is($r->{status}, 200, 'oidc: 200 with the new token') or diag($r->{body});
@c = cred_records();
like($c[-1]{body}, qr/OIDCToken=[^&]*v2(?:&|$)/, 'oidc: the replaced token file was read');
like($c[-1]{body}, qr/DurationSeconds=7200/, 'oidc: duration=2h');
like($c[-1]{body}, qr/RoleSessionName=given-name/, 'oidc: a given session name wins');
finish();

# STS refuses: a token the STS double does not take

write_token('eyJ.not-the-current.token');
cred_start('--oidc-token-file', "$root/conf/other-token");
start_nginx(provider_conf('resend_verify_credentials oidc /.aliyun-sts;'));
$r = post_resend();
is($r->{status}, 503, 'oidc: STS refuses the token: 503');
finish();
like($all_log[-1], qr/\[error\][^\n]*oidc credentials from "\/.aliyun-sts" failed \(1 in a row\): STS refused the call, status 401, Code AuthenticationFail\.OIDCToken\.Invalid/,
     'oidc: the error line has STS\'s Code');

# the token file is gone

unlink $token_file;
cred_start('--oidc-token-file', $token_file);
start_nginx(provider_conf('resend_verify_credentials oidc /.aliyun-sts;'));
$r = post_resend();
is($r->{status}, 503, 'oidc: no token file: 503');
finish();
like($all_log[-1], qr/\[error\][^\n]*the OIDC token file cannot be opened/, 'oidc: no token file: said so');
is(scalar(grep { $_->{kind} eq 'sts' } cred_records()), 0, 'oidc: no token file: STS not called');

# 6. a broker

cred_start('--ms-expiration');
start_nginx(provider_conf('resend_verify_credentials uri /.credentials-broker;'));
$r = post_resend();
is($r->{status}, 200, 'uri: 200, an Expiration with milliseconds') or diag($r->{body});
@c = cred_records();
is("$c[-1]{method} $c[-1]{url}", 'GET /broker/credentials', 'uri: GET the broker');
is(last_api()->{body} =~ /AccessKeyId=(STS\.[^&]+)/ ? $1 : '', (issued())[-1]{id},
   'uri: the call is signed with the broker\'s credentials');
finish();

# the V3 signature with temporary credentials: the token in its header

start_nginx(provider_conf('resend_verify_credentials uri /.credentials-broker;',
                          'resend_verify_signature acs3-hmac-sha256;'));
$r = post_resend();
is($r->{status}, 200, 'uri + acs3-hmac-sha256: 200') or diag($r->{body});
$api = last_api();
is($api->{headers}{'x-acs-security-token'} // '', (issued())[-1]{token},
   'uri + acs3-hmac-sha256: x-acs-security-token is the issued token');
finish();

# 7. nothing secret in any log line (the logs are at the debug level)

my @mtokens = map { $_->{response} } grep { $_->{kind} eq 'token' } cred_records();
my $log = join '', @all_log;
my @found = secrets_in_log($log, $oidc_token, "${oidc_token}v2");
ok(!@found, 'no secret, STS token or OIDC token in the logs, ' . scalar(issued()) . ' sets issued')
    or diag("found: @found");

# nginx's proxy module logs the headers it sends at the debug level: the
# metadata token (and V3's x-acs-security-token) may be there, and nowhere
# else
my @leak = secrets_in_log($log, @mtokens);
ok(!@leak, 'the metadata tokens only in nginx\'s own debug lines of the headers sent')
    or diag("found: @leak");

my $access = slurp_access();
ok(!secrets_in_log($access, $oidc_token), 'the access log holds no secret either');

sub slurp_access {
    open my $fh, '<', "$root/logs/access.log" or return '';
    local $/;
    return <$fh>;
}

cred_stop();
