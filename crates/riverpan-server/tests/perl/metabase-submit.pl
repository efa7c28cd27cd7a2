#!/usr/bin/perl
# Sends one CPAN Testers report to a Metabase endpoint the way CPAN::Reporter does it today:
# Test::Reporter -> Test::Reporter::Transport::Metabase -> Metabase::Client::Simple -> HTTP::Tiny.
#
# Debian ships Test::Reporter and Metabase::Fact (libtest-reporter-perl, libmetabase-fact-perl)
# but not the transport, the client or CPAN::Testers::Report, so this script carries its own
# small versions of those three, written to behave as their CPAN releases do (testers.md §1.1):
#   * the report fact is a CPAN::Testers::Report holding exactly a LegacyReport and a
#     TestSummary fact, about the resource cpan:///distfile/<distfile>;
#   * the id file is [profile_struct, secret_struct] as metabase-profile writes it;
#   * submit is a POST of JSON(ascii) of as_struct to <uri>submit/CPAN-Testers-Report with the
#     profile guid and secret as URL userinfo (HTTP::Tiny turns it into Basic auth) and the
#     headers Content_Type / Accept; on 401 it HEADs guid/<profile guid>, and only when that
#     fails it POSTs register and retries once.
#
# Usage: metabase-submit.pl --uri URL --id-file FILE --distfile AUTHOR/Dist-1.0.tar.gz
#          [--grade pass] [--comments TEXT] [--name N --email E --secret S] [--use-secret S]
# A missing id file is created from --name/--email/--secret. --use-secret replaces the
# secret read from the id file (a tester whose local secret differs from the registered one).
# Prints one JSON object: what was sent, every HTTP exchange, and the outcome. Exit status 0
# when the report was accepted, 1 when the client gave up, 2 when it could not start.
use strict;
use warnings;

BEGIN {
    # The three CPAN modules below live in this file; tell require they are loaded.
    $INC{$_} = __FILE__ for qw(
      Test/Reporter/Transport/Metabase.pm Metabase/Client/Simple.pm CPAN/Testers/Report.pm
      CPAN/Testers/Fact/LegacyReport.pm CPAN/Testers/Fact/TestSummary.pm
    );
}

use Getopt::Long ();
use JSON::PP ();
use Metabase::User::Profile ();
use Metabase::User::Secret ();
use Test::Reporter ();

# ---- CPAN::Testers::Report and the two facts the transport sends (CPAN-Testers-Report 1.999) --

package CPAN::Testers::Fact::LegacyReport;
use Metabase::Fact::Hash ();
our @ISA = ('Metabase::Fact::Hash');
sub required_keys { qw(grade osname osversion archname perl_version textreport) }
sub content_metadata {
    my ($self) = @_;
    my $c = $self->content;
    return { map { $_ => $c->{$_} } qw(grade osname osversion archname perl_version) };
}
sub content_metadata_types {
    return { map { $_ => '//str' } qw(grade osname osversion archname perl_version) };
}

package CPAN::Testers::Fact::TestSummary;
our @ISA = ('Metabase::Fact::Hash');
sub required_keys { qw(grade osname osversion archname perl_version) }
sub content_metadata {
    my ($self) = @_;
    my $c = $self->content;
    return { map { $_ => $c->{$_} } qw(grade osname archname perl_version) };
}
sub content_metadata_types {
    return { map { $_ => '//str' } qw(grade osname archname perl_version) };
}

package CPAN::Testers::Report;
use Metabase::Report ();
our @ISA = ('Metabase::Report');
sub report_spec {
    return {
        'CPAN::Testers::Fact::LegacyReport'     => 1,
        'CPAN::Testers::Fact::TestSummary'      => 1,
        'CPAN::Testers::Fact::TestOutput'       => '0+',
        'CPAN::Testers::Fact::TesterComment'    => '0+',
        'CPAN::Testers::Fact::PerlConfig'       => '0+',
        'CPAN::Testers::Fact::TestEnvironment'  => '0+',
        'CPAN::Testers::Fact::Prereqs'          => '0+',
        'CPAN::Testers::Fact::InstalledModules' => '0+',
    };
}
sub content_metadata {
    my ($self) = @_;
    my ($legacy) = grep { $_->type eq 'CPAN-Testers-Fact-LegacyReport' } $self->facts;
    return $legacy ? $legacy->content_metadata : undef;
}

# ---- Metabase::Client::Simple (0.012): HTTP::Tiny, userinfo auth, the 401 dance ------------

package Metabase::Client::Simple;
use Carp ();
use HTTP::Tiny ();
use JSON::PP ();
use URI ();

sub new {
    my ($class, %args) = @_;
    $args{uri} .= '/' unless $args{uri} =~ m{/\z};
    return bless {%args}, $class;
}
sub profile { $_[0]{profile} }
sub secret  { $_[0]{secret} }
sub _ua {
    my ($self) = @_;
    $self->{ua} ||= main::RecordingTiny->new(agent => 'Metabase::Client::Simple/0.012 ');
}
sub _abs_uri { URI->new($_[1])->abs($_[0]{uri}) }
sub _json_request {
    my ($self, $content) = @_;
    return {
        # Content_Type with an underscore, as the client writes it: HTTP::Tiny sends it as a
        # header line of its own and still adds Content-Type: application/octet-stream.
        headers => { Content_Type => 'application/json', Accept => 'application/json' },
        content => JSON::PP->new->ascii->encode($content),
    };
}
sub _error {
    my ($self, $res, $prefix) = @_;
    my $type = $res->{headers}{'content-type'} || '';
    if ($type eq 'application/json') {
        my $entity = eval { JSON::PP->new->decode($res->{content}) } || {};
        return "$prefix: " . ($entity->{error} // '');
    }
    return "$prefix: $res->{reason}";
}
sub submit_fact {
    my ($self, $fact) = @_;
    $fact->set_creator($self->profile->resource) unless $fact->creator;
    my $uri = $self->_abs_uri('submit/' . $fact->type);
    $uri->userinfo(
        $self->_ua->_uri_escape(join ':', $self->profile->resource->guid, $self->secret->content));
    my @request = ($uri, $self->_json_request($fact->as_struct));
    my $res = $self->_ua->post(@request);
    if ($res->{status} == 401) {
        # A known guid means the secret is wrong: registering again cannot help.
        Carp::croak($self->_error($res, 'authentication failed'))
          if $self->guid_exists($self->profile->guid);
        $self->register;
        $res = $self->_ua->post(@request);
    }
    Carp::croak($self->_error($res, 'fact submission failed')) unless $res->{success};
    return 1;
}
sub guid_exists {
    my ($self, $guid) = @_;
    return $self->_ua->head($self->_abs_uri("guid/$guid"))->{success};
}
sub register {
    my ($self) = @_;
    for my $fact ($self->profile, $self->secret) {
        $fact->set_creator($fact->resource) unless $fact->creator;
    }
    my $res = $self->_ua->post($self->_abs_uri('register'),
        $self->_json_request([ $self->profile->as_struct, $self->secret->as_struct ]));
    Carp::croak($self->_error($res, 'registration failed')) unless $res->{success};
    return 1;
}

# ---- Test::Reporter::Transport::Metabase (1.999010): the fact built from the report ----------

package Test::Reporter::Transport::Metabase;
use Carp ();
use Config::Perl::V ();
our @ISA = ('Test::Reporter::Transport');
require Test::Reporter::Transport;

sub new {
    my ($class, %args) = @_;
    $args{client} ||= 'Metabase::Client::Simple';
    return bless {%args}, $class;
}
sub send {
    my ($self, $report) = @_;
    Carp::croak("requires the 'distfile' parameter") unless eval { $report->distfile };
    my ($profile, $secret) = main::load_id_file($self->{id_file});
    $secret = Metabase::User::Secret->new(resource => $profile->resource, content => $main::use_secret)
      if defined $main::use_secret;
    my $client = $self->{client}->new(uri => $self->{uri}, profile => $profile, secret => $secret);
    my $config = Config::Perl::V::summary(Config::Perl::V::plv2hash($report->{_perl_version}{_myconfig}));
    my $perl_version = $report->{_perl_version}{_version} || $config->{version};
    my $fact = CPAN::Testers::Report->open(resource => 'cpan:///distfile/' . $report->distfile);
    $fact->add('CPAN::Testers::Fact::LegacyReport' => {
        grade        => $report->grade,
        osname       => $config->{osname},
        osversion    => $report->{_perl_version}{_osvers},
        archname     => $report->{_perl_version}{_archname},
        perl_version => $perl_version,
        textreport   => $report->report,
    });
    $fact->add('CPAN::Testers::Fact::TestSummary' => [ $fact->facts ]->[0]->content_metadata);
    $fact->close;
    $main::sent_fact = $fact;
    return $client->submit_fact($fact);
}

# ---- the script ------------------------------------------------------------------------------

package main::RecordingTiny;
our @ISA = ('HTTP::Tiny');
# Every exchange, for the test to check the client's sequence of requests.
our @exchanges;
# The User-Agent the real client sends ("Metabase::Client::Simple/0.012 HTTP-Tiny/0.080"),
# not one named after this subclass.
sub _agent { 'HTTP-Tiny/' . HTTP::Tiny->VERSION }
sub request {
    my ($self, $method, $url, $args) = @_;
    my $res = $self->SUPER::request($method, $url, $args);
    (my $path = "$url") =~ s{\A\w+://[^/]+}{};
    push @exchanges, { method => $method, path => $path, status => 0 + $res->{status} };
    return $res;
}

package main;

our ($sent_fact, $use_secret);

sub load_id_file {
    my ($file) = @_;
    open my $fh, '<', $file or die "cannot read $file: $!\n";
    my $data = JSON::PP->new->decode(do { local $/; <$fh> });
    return (Metabase::User::Profile->from_struct($data->[0]),
            Metabase::User::Secret->from_struct($data->[1]));
}

# As metabase-profile does it.
sub write_id_file {
    my ($file, $name, $email, $secret) = @_;
    my $profile = Metabase::User::Profile->create(full_name => $name, email_address => $email);
    my $secret_fact = Metabase::User::Secret->new(resource => $profile->resource, content => $secret);
    open my $fh, '>', $file or die "cannot write $file: $!\n";
    print {$fh} JSON::PP->new->ascii->pretty->encode([ $profile->as_struct, $secret_fact->as_struct ]);
    close $fh or die "cannot write $file: $!\n";
}

my %opt = (grade => 'pass', comments => 'Sent by riverpan tests/perl/metabase-submit.pl');
Getopt::Long::GetOptions(\%opt, 'uri=s', 'id-file=s', 'distfile=s', 'grade=s', 'comments=s',
    'name=s', 'email=s', 'secret=s', 'use-secret=s')
  or exit 2;
for my $required (qw(uri id-file distfile)) {
    die "--$required is required\n" unless defined $opt{$required};
}
$use_secret = $opt{'use-secret'};
write_id_file(@opt{qw(id-file name email secret)}) unless -e $opt{'id-file'};
my ($profile) = load_id_file($opt{'id-file'});

(my $distribution = $opt{distfile}) =~ s{\A.*/}{};
$distribution =~ s{\.(?:tar\.gz|tgz|zip|tar\.bz2)\z}{};
my $reporter = Test::Reporter->new(
    grade          => $opt{grade},
    distribution   => $distribution,
    distfile       => $opt{distfile},
    from           => $opt{email} || 'tester@example.com',
    comments       => $opt{comments},
    transport      => 'Metabase',
    transport_args => [ uri => $opt{uri}, id_file => $opt{'id-file'} ],
);
my $ok = $reporter->send;

my %out = (
    accepted     => $ok ? JSON::PP::true : JSON::PP::false,
    error        => $ok ? undef : $reporter->errstr,
    profile_guid => $profile->guid,
    exchanges    => \@main::RecordingTiny::exchanges,
);
if ($sent_fact) {
    my ($legacy) = grep { $_->type eq 'CPAN-Testers-Fact-LegacyReport' } $sent_fact->facts;
    $out{fact} = {
        guid          => $sent_fact->guid,
        creation_time => $sent_fact->creation_time,
        resource      => $sent_fact->resource . '',
        types         => [ map { $_->type } $sent_fact->facts ],
        legacy        => $legacy->content,
    };
}
print JSON::PP->new->ascii->canonical->encode(\%out), "\n";
exit($ok ? 0 : 1);
