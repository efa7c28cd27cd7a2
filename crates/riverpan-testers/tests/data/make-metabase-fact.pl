#!/usr/bin/perl
# Builds a CPAN-Testers-Report fact the way Test::Reporter::Transport::Metabase does and
# prints the request body Metabase::Client::Simple would send (JSON->ascii of as_struct).
# CPAN::Testers::Report is not packaged by Debian, so its three classes are declared here
# exactly as CPAN-Testers-Report 1.999003 declares them (required keys, report spec).
use strict;
use warnings;
use JSON::MaybeXS ();
use Metabase::Fact::Hash;
use Metabase::Report;
use Test::Reporter;

package CPAN::Testers::Fact::LegacyReport {
    our @ISA = ('Metabase::Fact::Hash');
    sub required_keys { qw/grade osname osversion archname perl_version textreport/ }
    sub content_metadata {
        my $self = shift;
        return { grade => $self->content->{grade}, osname => $self->content->{osname},
                 osversion => $self->content->{osversion}, archname => $self->content->{archname},
                 perl_version => $self->content->{perl_version} };
    }
    sub content_metadata_types {
        return { map { $_ => '//str' } qw/grade osname osversion archname perl_version/ };
    }
}
package CPAN::Testers::Fact::TestSummary {
    our @ISA = ('Metabase::Fact::Hash');
    sub required_keys { qw/grade osname osversion archname perl_version/ }
}
package CPAN::Testers::Report {
    our @ISA = ('Metabase::Report');
    sub report_spec {
        return { 'CPAN::Testers::Fact::LegacyReport' => 1, 'CPAN::Testers::Fact::TestSummary' => 1 };
    }
}

package main;

my ($grade, $perl) = @ARGV;
my $reporter = Test::Reporter->new(
    grade => $grade,
    distribution => 'Yancy-1.004',
    distfile => 'PREACTION/Yancy-1.004.tar.gz',
    from => 'Tester <tester@example.org>',
    comments => "t/basic.t .. ok\nAll tests successful.\n",
);
my $creator = 'metabase:user:0e1a1b6a-4d6c-11e5-8a33-0d7fd3a6d2e2';
# Transport::Metabase::send, condensed:
my $report = CPAN::Testers::Report->open(
    resource => 'cpan:///distfile/' . $reporter->distfile,
    creator  => $creator,
);
my %legacy = (
    grade => $reporter->grade, osname => 'linux', osversion => '6.1.0',
    archname => 'x86_64-linux', perl_version => $perl, textreport => $reporter->report,
);
$report->add('CPAN::Testers::Fact::LegacyReport' => \%legacy);
my %summary = %legacy; delete $summary{textreport};
$report->add('CPAN::Testers::Fact::TestSummary' => \%summary);
$report->close;
print JSON::MaybeXS->new(ascii => 1)->encode($report->as_struct);
