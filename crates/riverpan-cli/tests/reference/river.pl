#!/usr/bin/env perl
# An independent, straightforward CPAN river for riverpan's differential test
# (crates/riverpan-cli/tests/river.rs), written from metacpan-river's algorithm (bin/river.pl)
# but reading a CPAN tree on disk instead of MetaCPAN's Elasticsearch:
#
#   river.pl [--meta pause|metacpan] [--rdeps FILE] CPAN_ROOT
#
# CPAN_ROOT holds modules/02packages.details.txt.gz and authors/id/.
#
# 1. Releases: every path in 02packages is named with CPAN::DistnameInfo; per distribution the
#    file 02packages points at is its release (several files of one distribution: the newest by
#    file mtime, MetaCPAN's "latest" rule; ties: the last path in string order).  Each release is
#    read with Archive::Tar; its META file is chosen by PAUSE's rule (PAUSE::dist
#    extract_readme_and_meta: the shortest path ending in /META.json, and the shortest ending in
#    /META.yml, neither under /t/, ties going to the later path as List::Util::reduce does; YAML
#    when the JSON is only in a subdirectory; a symlink or an empty file counts as no META) or,
#    with --meta metacpan, by MetaCPAN's (MetaCPAN::Model::Release _load_meta_file: */META.json,
#    */META.yml, */META.yaml, then the same at the top, the first that CPAN::Meta loads).  It is
#    loaded with CPAN::Meta (load_json_string / load_yaml_string, lazy validation); a META that
#    does not load declares nothing.  The `requires` prerequisites of the configure, build, test
#    and runtime phases are the release's edges.
# 2-4. metacpan-river's phases: module -> distribution from 02packages; perl and
#    self-dependencies dropped; the reverse-dependency hash; a breadth-first search over the
#    reverse edges per distribution (total = distinct dependents reached, the root itself when
#    it is in a cycle); buckets 0-5.
#
# Output (stdout): canonical JSON {"Dist": {"bucket": N, "immediate": N, "total": N}, ...} for
# every distribution in 02packages.  With --rdeps FILE, also writes {"direct": {dist: [...]},
# "deep": {dist: [...]}, "unresolved": {module: [dists]}} (sorted lists) to FILE.

use strict;
use warnings;

use Archive::Tar       ();
use CPAN::DistnameInfo ();
use CPAN::Meta         ();
use Encode             ();
use Getopt::Long       qw(GetOptions);
use IO::Uncompress::Gunzip qw($GunzipError);
use JSON::PP ();

my $meta_rule = 'pause';
my $rdeps_file;
GetOptions('meta=s' => \$meta_rule, 'rdeps=s' => \$rdeps_file)
    or die "usage: $0 [--meta pause|metacpan] [--rdeps FILE] CPAN_ROOT\n";
die "--meta is pause or metacpan\n" unless $meta_rule =~ /\A(?:pause|metacpan)\z/;
my $root = shift @ARGV or die "usage: $0 [--meta pause|metacpan] [--rdeps FILE] CPAN_ROOT\n";

# --- 02packages -------------------------------------------------------------------------------
my $index = "$root/modules/02packages.details.txt.gz";
my $z = IO::Uncompress::Gunzip->new($index) or die "$index: $GunzipError\n";
while (my $line = $z->getline) {    # the header ends at the first blank line
    last if $line =~ /\A\s*\z/;
}
my %module_to_path;    # module => path under authors/id/
my %paths_of_dist;     # dist => { path => 1 }
my %dist_of_path;
while (my $line = $z->getline) {
    my ($module, undef, $path) = split ' ', $line;
    next unless defined $path;
    $module_to_path{$module} = $path;
    my $dist = $dist_of_path{$path} //= CPAN::DistnameInfo->new($path)->dist;
    next unless defined $dist;
    $paths_of_dist{$dist}{$path} = 1;
}
$z->close;

# --- phase 1: each distribution's release and its requires ------------------------------------
my %release_of;    # dist => path
for my $dist (keys %paths_of_dist) {
    my @paths = sort keys %{ $paths_of_dist{$dist} };
    my ($newest) = sort {
        (stat "$root/authors/id/$b")[9] <=> (stat "$root/authors/id/$a")[9] or $b cmp $a
    } @paths;
    $release_of{$dist} = $newest;
}

my %module_to_dist;
for my $module (keys %module_to_path) {
    my $dist = $dist_of_path{ $module_to_path{$module} };
    $module_to_dist{$module} = $dist if defined $dist;
}

my %dist_deps;    # dist => [module, ...]
for my $dist (sort keys %release_of) {
    my $meta = load_meta("$root/authors/id/$release_of{$dist}");
    next unless $meta;
    my $prereqs = $meta->effective_prereqs;
    my @modules;
    for my $phase (qw(configure build test runtime)) {
        push @modules, $prereqs->requirements_for($phase, 'requires')->required_modules;
    }
    $dist_deps{$dist} = [ grep { $_ ne 'perl' } @modules ];
}

# --- phase 2: reverse dependencies --------------------------------------------------------------
my %reverse_deps;    # dist => { dependent => 1 }
my %unresolved;      # module => { dist => 1 }
for my $dist (keys %dist_deps) {
    for my $module (@{ $dist_deps{$dist} }) {
        my $dep_dist = $module_to_dist{$module};
        unless (defined $dep_dist) {
            $unresolved{$module}{$dist} = 1;
            next;
        }
        next if $dep_dist eq $dist;
        $reverse_deps{$dep_dist}{$dist} = 1;
    }
}
my %immediate = map { $_ => scalar keys %{ $reverse_deps{$_} } } keys %reverse_deps;

# --- phase 3: breadth-first search over the reverse edges ---------------------------------------
my %total;
my %deep;
for my $start (keys %reverse_deps) {
    my @queue = keys %{ $reverse_deps{$start} };
    my %visited = map { $_ => 1 } @queue;
    for (my $at = 0; $at < @queue; $at++) {
        my $dependents = $reverse_deps{ $queue[$at] } or next;
        for my $dependent (keys %$dependents) {
            next if $visited{$dependent}++;
            push @queue, $dependent;
        }
    }
    $total{$start} = scalar keys %visited;
    $deep{$start} = [ sort keys %visited ] if $rdeps_file;
}

# --- phase 4: buckets ---------------------------------------------------------------------------
my %results;
for my $dist (keys %paths_of_dist) {
    my $total = $total{$dist} // 0;
    my $bucket = $total == 0 ? 0 : $total < 10 ? 1 : $total < 100 ? 2 : $total < 1000 ? 3
        : $total < 10000 ? 4 : 5;
    $results{$dist} = { immediate => $immediate{$dist} // 0, total => $total, bucket => $bucket };
}
my $json = JSON::PP->new->canonical;
print $json->encode(\%results), "\n";

if ($rdeps_file) {
    my %direct = map { $_ => [ sort keys %{ $reverse_deps{$_} } ] } keys %reverse_deps;
    my %missing = map { $_ => [ sort keys %{ $unresolved{$_} } ] } keys %unresolved;
    open my $out, '>', $rdeps_file or die "$rdeps_file: $!\n";
    print {$out} $json->encode({ direct => \%direct, deep => \%deep, unresolved => \%missing });
    close $out or die "$rdeps_file: $!\n";
}

# --- META -----------------------------------------------------------------------------------
# The CPAN::Meta object of the release in FILE, or undef.
sub load_meta {
    my ($file) = @_;
    my %entries;    # path (without a leading ./) => Archive::Tar::File
    my $next = Archive::Tar->iter($file, 1);
    unless ($next) {
        warn "river.pl: cannot read $file\n";
        return undef;
    }
    while (my $entry = $next->()) {
        next if $entry->is_dir;
        (my $path = $entry->full_path) =~ s{\A(?:\./)+}{};
        next if $path eq '' || $path =~ m{/\z};
        $entries{$path} = $entry;
    }
    return $meta_rule eq 'pause' ? pause_meta(\%entries) : metacpan_meta(\%entries);
}

sub pause_meta {
    my ($entries) = @_;
    my @manifind = sort keys %$entries;
    my $shortest = sub {
        my ($re) = @_;
        my $best;
        for my $path (grep { !m{/t/} } grep { $_ =~ $re } @manifind) {
            $best = $path if !defined $best || !(length $best < length $path);
        }
        return $best;
    };
    my $json = $shortest->(qr{/META\.json\z});
    my $yaml = $shortest->(qr{/META\.yml\z});
    return undef unless $json || $yaml;
    $json = '' if $json && $yaml && length($json) > length($yaml) + 1;
    my $chosen = $json || $yaml;
    my $entry = $entries->{$chosen};
    return undef if $entry->is_symlink || !length $entry->get_content;
    return parse_meta($chosen, $entry->get_content);
}

sub metacpan_meta {
    my ($entries) = @_;
    my @candidates;
    for my $name (qw(META.json META.yml META.yaml)) {
        my ($in_dir) = sort grep { m{\A[^/]+/\Q$name\E\z} } keys %$entries;
        push @candidates, $in_dir if defined $in_dir;
    }
    for my $name (qw(META.json META.yml META.yaml)) {
        push @candidates, $name if $entries->{$name};
    }
    for my $path (@candidates) {
        my $meta = parse_meta($path, $entries->{$path}->get_content);
        return $meta if $meta;
    }
    return undef;
}

sub parse_meta {
    my ($path, $bytes) = @_;
    # Parse::CPAN::Meta->load_file (what PAUSE and MetaCPAN call) reads the file as UTF-8.
    my $content = Encode::decode('UTF-8', $bytes);
    my $meta = eval {
        $path =~ /\.json\z/
            ? CPAN::Meta->load_json_string($content)
            : CPAN::Meta->load_yaml_string($content);
    };
    return $meta;
}
