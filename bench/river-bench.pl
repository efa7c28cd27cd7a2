#!/usr/bin/env perl
# The reference for bench/run-river-bench: metacpan-river's bin/river.pl phases 2-4, verbatim in
# substance, over a graph read from a TSV file instead of MetaCPAN's API (phase 1):
#   P <tab> module <tab> dist              the module -> dist map (%module_to_dist)
#   R <tab> dist <tab> module <tab> ...    a latest release and the modules it requires
# Prints "dist immediate total bucket" lines sorted by dist on stdout, and the time of phases
# 2-4 on stderr as "reference_ms N".  One deliberate difference from river.pl: a dist that only
# appears as a provider is listed too (riverpan counts it as a node; on MetaCPAN every provider
# is a scanned release, so the two lists coincide there).
use v5.12;
use warnings;
use Time::HiRes qw(time);

my ( %dist_deps, %module_to_dist, %seen, @all_dists );
while ( my $line = <> ) {
    chomp $line;
    my ( $kind, @fields ) = split /\t/, $line;
    if ( $kind eq 'P' ) {
        my ( $module, $dist ) = @fields;
        $module_to_dist{$module} = $dist;
        push @all_dists, $dist unless $seen{$dist}++;
    }
    else {
        my ( $dist, @modules ) = @fields;
        push @all_dists, $dist unless $seen{$dist}++;
        my @filtered = grep { $_ ne 'perl' } @modules;
        $dist_deps{$dist} = \@filtered if @filtered;
    }
}

my $start = time;

# Phase 2
my %reverse_deps;
for my $dist ( keys %dist_deps ) {
    for my $module ( @{ $dist_deps{$dist} } ) {
        my $dep_dist = $module_to_dist{$module};
        next unless defined $dep_dist;
        next if $dep_dist eq $dist;
        $reverse_deps{$dep_dist}{$dist} = 1;
    }
}
my %immediate;
for my $dist ( keys %reverse_deps ) {
    $immediate{$dist} = scalar keys %{ $reverse_deps{$dist} };
}

# Phase 3
my %total;
for my $root ( keys %reverse_deps ) {
    my %visited;
    my @queue = keys %{ $reverse_deps{$root} };
    @visited{@queue} = ();
    my $queue_pos = 0;
    while ( $queue_pos < @queue ) {
        my $node = $queue[ $queue_pos++ ];
        my $dependents = $reverse_deps{$node} or next;
        for my $dependent ( keys %$dependents ) {
            next if exists $visited{$dependent};
            $visited{$dependent} = undef;
            push @queue, $dependent;
        }
    }
    $total{$root} = scalar keys %visited;
}

# Phase 4
my %results;
for my $dist (@all_dists) {
    my $immediate_count = $immediate{$dist} // 0;
    my $total_count     = $total{$dist}     // 0;
    my $bucket
        = $total_count == 0    ? 0
        : $total_count < 10    ? 1
        : $total_count < 100   ? 2
        : $total_count < 1000  ? 3
        : $total_count < 10000 ? 4
        :                        5;
    $results{$dist} = [ $immediate_count, $total_count, $bucket ];
}
my $elapsed = time - $start;

for my $dist ( sort keys %results ) {
    say join "\t", $dist, @{ $results{$dist} };
}
printf STDERR "reference_ms %.1f\n", $elapsed * 1e3;
