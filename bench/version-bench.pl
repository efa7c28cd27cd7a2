#!/usr/bin/perl
# The reference side of bench/run-version-bench: version.pm (XS) and CPAN::Version on the same
# list, timed the same way as riverpan's version-bench (five rounds, ns per operation).
use strict;
use warnings;
use version;
use CPAN::Version;
use Time::HiRes qw(time);
$SIG{__WARN__} = sub { };

open my $fh, '<', $ARGV[0] or die "$ARGV[0]: $!";
chomp(my @lines = <$fh>);
my $rounds = 5;

sub timed {
    my ($label, $ops, $code) = @_;
    my $start = time;
    my $checksum = 0;
    $checksum += $code->() for 1 .. $rounds;
    printf "%s %.1f (checksum %d)\n", $label, (time - $start) * 1e9 / ($ops * $rounds), $checksum;
}

timed('parse', scalar @lines, sub {
    my $n = 0;
    for (@lines) { my $v = eval { version->parse($_) } or next; $n += @{ $v->{version} } }
    $n;
});
my @parsed = grep { defined } map { eval { version->parse($_) } } @lines;
timed('compare', $#parsed, sub {
    my $n = 0;
    $n += ($parsed[$_] <=> $parsed[$_ + 1]) + 1 for 0 .. $#parsed - 1;
    $n;
});
timed('vcmp', $#lines, sub {
    my $n = 0;
    $n += CPAN::Version->vcmp($lines[$_], $lines[$_ + 1]) + 1 for 0 .. $#lines - 1;
    $n;
});
