package RVCreds;

# Helpers of the temporary credentials tests (t/11x-credentials-*.t): the
# credentials double (double/credentials.js) on TEST_NGINX_PORT + 2, the
# Domain API double accepting what it issues, the nginx configuration, and
# concurrent requests.

use strict;
use warnings;

use IO::Socket::INET ();
use IO::Select ();
use Time::HiRes ();
use JSON::PP ();
use Exporter 'import';

our @EXPORT = qw(
    cred_port cred_start cred_stop cred_records cred_fetches issued
    api_start provider_conf post_resend parallel_posts api_records
    secrets_in_log wait_until
);

my $JSON = JSON::PP->new->utf8->allow_nonref;

sub cred_port { RVTest::aux_port(2) }
sub issued_file { RVTest::servroot() . '/double/issued.jsonl' }
sub cred_record { RVTest::servroot() . '/double/credentials.jsonl' }

# the credentials double, with its misbehaviours as arguments
sub cred_start {
    my (@args) = @_;
    unlink cred_record();
    return RVTest::start_aux('credentials', 'double/credentials.js', cred_port(),
        '--issued', issued_file(), '--record', cred_record(), @args);
}

sub cred_stop { RVTest::stop_aux('credentials') }

sub read_jsonl {
    my ($f) = @_;
    open my $fh, '<', $f or return ();
    my @r;
    while (my $l = <$fh>) {
        next unless $l =~ /\S/;
        my $v = eval { $JSON->decode($l) };
        push @r, $v if $v;
    }
    return @r;
}

sub cred_records { read_jsonl(cred_record()) }
sub issued { read_jsonl(issued_file()) }
sub api_records { read_jsonl(RVTest::record_file()) }

# credentials answers of a kind (credentials, sts, broker, token, role)
sub cred_fetches {
    my ($kind) = @_;
    return scalar grep { $_->{kind} eq $kind } cred_records();
}

# the Domain API double: the test key, and every set the credentials
# double issued
sub api_start {
    RVTest::start_double('--sts-issued ' . issued_file());
}

# a server{} block: /resend with the given credentials directive, the
# internal locations of the three sources and of the Domain API
sub provider_conf {
    my ($directive, $extra) = @_;
    my $p = cred_port();
    $extra //= '';
    return <<"END";
    location = /resend {
        resend_verify /.aliyun;
        $directive
        $extra
    }
    location = /.aliyun {
        internal;
        proxy_pass http://127.0.0.1:$ENV{TEST_NGINX_DOUBLE_PORT}/;
        proxy_set_header Host \$http_host;
    }
    location /.ecs-metadata/ {
        internal;
        proxy_pass http://127.0.0.1:$p/;
        proxy_connect_timeout 2s;
        proxy_read_timeout 2s;
    }
    location = /.aliyun-sts {
        internal;
        proxy_pass http://127.0.0.1:$p/sts/;
        proxy_read_timeout 2s;
    }
    location = /.credentials-broker {
        internal;
        proxy_pass http://127.0.0.1:$p/broker/credentials;
        proxy_read_timeout 2s;
    }
    location = /status {
        resend_verify_status;
    }
END
}

sub post_resend {
    my ($email) = @_;
    $email //= 'alice%40example.com';
    return RVTest::http_request('POST', '/resend',
        { 'Content-Type' => 'application/x-www-form-urlencoded' },
        "Email=$email");
}

# n requests sent together on n connections; returns the status codes
sub parallel_posts {
    my ($n, $timeout) = @_;
    $timeout //= 30;
    my (%sock, %buf, @status);
    my $sel = IO::Select->new;
    for my $i (1 .. $n) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
            PeerPort => $ENV{TEST_NGINX_PORT}, Proto => 'tcp')
            or die "connect: $!";
        my $body = "Email=p$i%40example.com";
        print $s "POST /resend HTTP/1.1\r\nHost: localhost\r\n"
            . "Origin: http://localhost\r\nConnection: close\r\n"
            . "Content-Type: application/x-www-form-urlencoded\r\n"
            . "Content-Length: " . length($body) . "\r\n\r\n$body";
        $s->blocking(0);
        $sock{$s} = $s;
        $buf{$s} = '';
        $sel->add($s);
    }
    my $deadline = Time::HiRes::time() + $timeout;
    while ($sel->count && Time::HiRes::time() < $deadline) {
        for my $s ($sel->can_read(0.5)) {
            my $r = sysread($s, my $chunk, 65536);
            next if !defined $r && $!{EAGAIN};
            if (!$r) {
                push @status, $buf{$s} =~ m{^HTTP/1\.\d (\d{3})} ? $1 : 0;
                $sel->remove($s);
                close $s;
                next;
            }
            $buf{$s} .= $chunk;
        }
    }
    for my $s ($sel->handles) {
        push @status, 0;
        close $s;
    }
    return @status;
}

# every secret and token handed out, and the extra strings given, that
# the text holds.  At the debug level nginx's proxy module logs the headers
# it sends: the V3 call's x-acs-security-token and the metadata service's
# token are there by nginx's doing, those lines are left out.
sub secrets_in_log {
    my ($text, @extra) = @_;
    my @found;
    my @entries = split /\n(?=\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d )/, $text;
    $text = join "\n", grep {
        !/\A[^\n]* \[debug\] [^\n]* http proxy header:(?:\n| "(?:x-acs-security-token|X-aliyun-ecs-metadata-token): )/i
    } @entries;
    for my $c (issued()) {
        for my $v ($c->{secret}, $c->{token}) {
            push @found, substr($v, 0, 12) . '...'
                if index($text, $v) >= 0;
        }
    }
    for my $v (@extra) {
        push @found, substr($v, 0, 12) . '...' if index($text, $v) >= 0;
    }
    return @found;
}

sub wait_until {
    my ($cond, $timeout) = @_;
    my $deadline = Time::HiRes::time() + $timeout;
    while (Time::HiRes::time() < $deadline) {
        return 1 if $cond->();
        Time::HiRes::sleep(0.1);
    }
    return $cond->();
}

1;
