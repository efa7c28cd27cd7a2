#!/usr/bin/perl
# Runs CPAN::Reporter's own grading subroutines on the cases the differential test sends.
#
# Input (stdin): a JSON array of {phase: "PL"|"make"|"test", command, lines: [...],
# exit_value, prereq_pm, harness_version, files: {relative path: content}}.
# Output (stdout): `RESULT ` and a JSON array of {grade, msg, is_make}, in the same order.
#
# Each case runs in its own temporary directory holding the files the grading looks at
# (Makefile, Build, test.pl, nested Makefile.PL).  The result hash is pre-"expanded" with the
# prerequisite table and the Test::Harness version, so that nothing inspects this machine.
use strict;
use warnings;
use CPAN::Reporter ();
use File::Temp qw(tempdir);
use File::Path qw(mkpath);
use File::Basename qw(dirname);
use Cwd qw(getcwd);
use JSON::PP ();

my $json = JSON::PP->new->utf8->canonical;
my $cases = $json->decode( do { local $/; <STDIN> } );
my $home = getcwd();
my @out;
for my $case (@$cases) {
    my $dir = tempdir( CLEANUP => 1 );
    while ( my ( $path, $content ) = each %{ $case->{files} } ) {
        my $full = "$dir/$path";
        mkpath( dirname($full) );
        open my $fh, '>', $full or die "$full: $!";
        print {$fh} $content;
        close $fh;
    }
    chdir $dir or die "$dir: $!";
    my $result = {
        phase      => $case->{phase},
        command    => $case->{command},
        is_make    => CPAN::Reporter::_is_make( $case->{command} ),
        output     => $case->{lines},
        exit_value => $case->{exit_value},
        expanded   => 1,
        prereq_pm  => $case->{prereq_pm},
        toolchain  => { 'Test::Harness' => { have => $case->{harness_version} } },
    };
    my %compute = (
        PL   => \&CPAN::Reporter::_compute_PL_grade,
        make => \&CPAN::Reporter::_compute_make_grade,
        test => \&CPAN::Reporter::_compute_test_grade,
    );
    $compute{ $case->{phase} }->($result);
    chdir $home;
    push @out, { grade => $result->{grade}, msg => $result->{grade_msg}, is_make => $result->{is_make} ? JSON::PP::true : JSON::PP::false };
}
# CPAN.pm's frontend prints its warnings on stdout too: mark the answer.
print "RESULT ", $json->encode( \@out ), "\n";
print STDERR "CPAN::Reporter $CPAN::Reporter::VERSION\n";
