#!/usr/bin/perl
# The reference side of bench/run-distname-bench: CPAN::DistnameInfo on the same paths.
use strict;
use warnings;
use CPAN::DistnameInfo;
use Time::HiRes qw(time);

open my $fh, '<', $ARGV[0] or die "$ARGV[0]: $!";
chomp(my @paths = <$fh>);
my $rounds = 5;
my $start = time;
my $checksum = 0;
for (1 .. $rounds) {
    for (@paths) {
        my $d = CPAN::DistnameInfo->new($_);
        $checksum += length($d->dist // '') + length($d->version // '');
    }
}
printf "distname %.1f (checksum %d)\n", (time - $start) * 1e9 / (@paths * $rounds), $checksum;
