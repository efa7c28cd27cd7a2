#!/usr/bin/perl
# The reference pipeline for `riverpan inspect`: what PAUSE's indexer (mldistwatch, PAUSE::dist,
# PAUSE::pmfile, PAUSE::package as of andk/pause 2026-04) sees in a distribution archive, rebuilt
# on the public CPAN modules PAUSE itself uses or that port it: Parse::PMFile (PAUSE::pmfile's
# public port) and Parse::CPAN::Meta.  It extracts each archive to a temporary directory with GNU
# tar / unzip, as PAUSE does.  TEST ONLY: Parse::PMFile evaluates $VERSION lines (in a Safe
# compartment, as PAUSE does); never point this at archives you would not run.
#
# Parse::PMFile 0.43 (Debian's) differs from today's PAUSE::pmfile::parse_version_safely in two
# ways that change results on real code, so this script replaces that one function with PAUSE's
# rules (written here from reading PAUSE, see pause_parse_version_safely below):
#   * PAUSE only treats a $VERSION line as unparseable when evaluating it dies; Parse::PMFile
#     also when it evaluates to undef (`my $VERSION = 0.02;`, `our $VERSION = $Other::VERSION;`)
#     and then retries the right-hand side alone, so it reports 0.02 where PAUSE records undef;
#   * PAUSE's inline-version package line is anchored (`^[\s{;]*package NAME VERSION [:;{]`) and
#     knows `class`/`role` after `use feature 'class'`, `use Object::Pad`, ….
# RIVERPAN_REFERENCE_STOCK_PMFILE=1 keeps Parse::PMFile's own function (docs/inspect-differences.md
# gives the agreement figures for both).
#
# Usage: pause-inspect.pl ARCHIVE...   (or archive paths on stdin, one per line)
# Prints one JSON object per archive, with canonical (sorted) keys:
#   {"file","skip","meta","method","packages":{NAME:{"version","file"}},"problems":[CODE...]}
# `skip` is a problem code (not a message) and `problems` are codes only: riverpan's messages are
# its own; the codes are the contract the differential test compares.
use strict;
use warnings;
use Cwd qw(getcwd);
use ExtUtils::Manifest ();
use File::Basename qw(dirname basename);
use File::Temp qw(tempdir);
use JSON::PP ();
use List::Util qw(reduce);
use Parse::CPAN::Meta ();
use Parse::PMFile ();
use version ();

$Parse::PMFile::VERBOSE = 0;
unless ($ENV{RIVERPAN_REFERENCE_STOCK_PMFILE}) {
    no warnings 'redefine';
    *Parse::PMFile::_parse_version_safely = \&pause_parse_version_safely;
}

# PAUSE::pmfile::parse_version_safely's rules (andk/pause 2026-04): the first package line with a
# lax inline version wins; else the first line assigning to $VERSION (not comparing) is evaluated
# as PAUSE wraps it; only an exception makes it unparseable; undef becomes "undef".
sub pause_parse_version_safely {
    my ($parsefile) = @_;
    open(my $fh, '<', $parsefile) or die "Could not open '$parsefile': $!";
    local $/ = "\n";
    my ($inpod, $keywords, $result) = (0, 'package', undef);
    while (<$fh>) {
        $inpod = /^=(?!cut)/ ? 1 : /^=cut/ ? 0 : $inpod;
        next if $inpod || /^\s*#/;
        last if /^__(?:END|DATA)__\b/;
        chop;
        $keywords = 'package|class'
            if /^[\s\{;]*use\s+(?:feature|experimental)\s+[^;]+\b(?:class|all)[^;]*;/
            || /^[\s\{;]*use\s+(?:Feature::Compat::Class)[^;]*;/;
        $keywords = 'package|class|role' if /^[\s\{;]*use\s+(?:Object::Pad)[^;]*;/;
        if (my ($inline) = /^[\s\{;]*(?:$keywords) \s+ \S+ \s+ (\S+) \s* [:;{]/x) {
            return $inline if version::is_lax($inline);
        }
        next unless /([\$*])(([\w\:\']*)\bVERSION)\b.*(?<![!><=])\=(?![=>])/;
        my $line = $_;
        my $code = "package ExtUtils::MakeMaker::_version;\nlocal $1$2;\n\$$2=undef; do {\n$_\n}; \$$2\n";
        local $^W = 0;
        local $SIG{__WARN__} = sub {};
        $result = Parse::PMFile::__clean_eval($code);
        die +{ eval => $code, line => $line, file => $parsefile, err => $@ } if $@;
        last;
    }
    close $fh;
    $result = "undef" unless defined $result;
    $result = $result->numify if ref($result) =~ /^version(?:::vpp)?\b/;
    return $result;
}
my $JSON = JSON::PP->new->canonical->utf8;
my $SUFFQR = qr/\.(tgz|tbz|tar[\._-]gz|tar\.bz2|tar\.Z)$/;
my $REGULAR_PERL = qr{
    / ( perl-5[._-](\d{3}(_[0-4][0-9])?|\d*[02468]\.\d+) | perl5[._](00\d(_[0-4][0-9])?) | ponie-[\d.\-] )
    (?: \.tar[._-]gz | \.tar\.bz2 ) \z
}x;
my $START = getcwd();

my @archives = @ARGV ? @ARGV : map { chomp; $_ } grep { /\S/ } <STDIN>;
$| = 1;
for my $archive (@archives) {
    my $result = eval { inspect($archive) };
    $result ||= { file => $archive, skip => "reference_error", meta => undef, method => undef,
                  packages => {}, problems => ["reference_error"], error => "$@" };
    chdir $START;
    print $JSON->encode($result), "\n";
}

# The dist path PAUSE's name rules see: the part after authors/id/, else "/" . basename.
sub dist_path {
    my ($path) = @_;
    return $1 if $path =~ m{authors/id/(.+)\z};
    return "/" . basename($path);
}

sub inspect {
    my ($archive) = @_;
    my %r = (file => $archive, skip => undef, meta => undef, method => undef, packages => {}, problems => []);
    my $skip = sub { my ($code) = @_; $r{skip} //= $code; push @{ $r{problems} }, $code; };
    my $dist = dist_path($archive);

    # mldistwatch::reason_to_skip_dist -> PAUSE::dist::ignoredist
    return { %r, skip => "illegal_file_name", problems => ["illegal_file_name"] } if $dist =~ m|/\.|;
    return { %r, skip => "not_a_distribution", problems => ["not_a_distribution"] }
        if $dist =~ /(\.readme|\.sig|\.meta|CHECKSUMS)$/;

    # PAUSE::dist::examine_dist
    my $is_perl = $dist =~ $REGULAR_PERL ? 1 : 0;
    my $kind;
    if ($is_perl) {
        push @{ $r{problems} }, "perl_release";
        $kind = "tar";
    } elsif ($dist =~ /\d\.\d+_\d/ || $dist =~ /-TRIAL[0-9]*$SUFFQR/) {
        $skip->("developer_release");
    } elsif ($dist =~ m|/perl-\d+|) {
        $skip->("perl_like_release");
    }
    if (!$kind) {
        if ($dist =~ $SUFFQR) { $kind = "tar" }
        elsif ($dist =~ /\.pm\.(?:Z|gz|bz2)$/) { $skip->("bare_pm_file"); return \%r }
        elsif ($dist =~ /\.zip$/) { $kind = "zip" }
        else { $skip->("not_a_distribution"); $kind = $archive =~ /\.zip\z/ ? "zip" : "tar" }
    }

    my $tmp = tempdir(CLEANUP => 1);
    my $abs = $archive =~ m{^/} ? $archive : "$START/$archive";
    chdir $tmp or die "chdir $tmp: $!";
    if ($kind eq "tar") {
        my @list = `tar --warning=no-unknown-keyword -tf '$abs' 2>/dev/null`;
        if ($?) { $skip->("could_not_untar"); return \%r }
        for (@list) {
            if (m:^\.\./: || m:/\.\./:) { $skip->("path_traversal"); return \%r }
        }
        system("tar", "--warning=no-unknown-keyword", "-xf", $abs) == 0
            or do { $skip->("could_not_untar"); return \%r };
    } else {
        system("unzip -qq -o '$abs' >/dev/null 2>&1");
    }

    # PAUSE::dist::read_dist
    my @manifound = sort keys %{ ExtUtils::Manifest::manifind() };

    # PAUSE::dist::extract_readme_and_meta
    my ($json, $yaml);
    my $p6 = grep { m:^[^/]+/META6\.json$: } @manifound;
    if ($p6) {
        $skip->("perl6_distribution");
        $json = reduce { length $a < length $b ? $a : $b } grep !m|/t/|, grep m|META6\.json$|, @manifound;
    } else {
        $json = reduce { length $a < length $b ? $a : $b } grep !m|/t/|, grep m|/META\.json$|, @manifound;
        $yaml = reduce { length $a < length $b ? $a : $b } grep !m|/t/|, grep m|/META\.yml$|, @manifound;
    }
    my $meta_content;
    if (!$json && !$yaml) {
        $skip->("no_meta");
    } else {
        $json = '' if $json && $yaml && length($json) > length($yaml) + 1;
        my $metafile = $json || $yaml;
        if (-l $metafile) {
            push @{ $r{problems} }, "meta_symlink";
        } elsif (-s $metafile) {
            $r{meta} = $metafile;
            $meta_content = eval { Parse::CPAN::Meta->load_file($metafile) };
            if (!$meta_content) {
                push @{ $r{problems} }, "meta_unparsable";
                $meta_content = {};
            }
        } else {
            push @{ $r{problems} }, "meta_empty";
        }
    }
    $meta_content = {} unless ref $meta_content eq 'HASH';
    if (!$r{skip}) {
        if ($meta_content->{distribution_type} && $meta_content->{distribution_type} =~ m/^(script)$/) {
            $skip->("script_distribution");
        } elsif (($meta_content->{release_status} // 'stable') ne 'stable') {
            $skip->("meta_unstable");
        }
    }

    # check_blib, check_multiple_root, check_world_writable
    my $blib = 0;
    if (grep m|^[^/]+/blib/|, @manifound) { $blib = 1 }
    else {
        my @found = @manifound;
        my $endless = 0;
        while (1) {
            my %seen;
            my @top = grep { s|/.*||; !$seen{$_}++ } map { $_ } @found;
            if (@top == 1) {
                my $success = 0;
                for (@found) { s|\Q$top[0]\E/|| && $success++ }
                last unless $success;
                last if ++$endless > 10;
                next;
            }
            $blib = 1 if grep m|^blib/|, @found;
            last;
        }
    }
    $skip->("blib") if $blib;
    my %seen;
    my @top = grep { s|/.*||; !$seen{$_}++ } map { $_ } @manifound;
    $skip->("multiple_roots") if @top > 1;
    my $distroot = @top == 1 ? $top[0] : undef;
    {
        my @dirs = do { my %s; grep { !$s{$_}++ } map { dirname($_) . "/" } @manifound };
        my $n = @dirs;
        while (1) {
            @dirs = do { my %s; grep { !$s{$_}++ } map { ($_, dirname($_) . "/") } @dirs };
            last if @dirs == $n;
            $n = @dirs;
        }
        my @ww = grep { my @st = lstat $_; @st && !-l $_ && $st[2] & 2 } grep { $_ ne "./" } @dirs, @manifound;
        $skip->("world_writable") if @ww;
    }

    # PAUSE::dist::examine_pms; riverpan lists packages even when the dist is skipped, so this runs
    # unless the archive could not be read.
    my @pmfiles;
  MANI: for my $mf (@manifound) {
        next unless $mf =~ /\.pm(?:\.PL)?$/i;
        my ($inmf) = $mf =~ m!^[^/]+/(.+)!;
        next unless defined $inmf;
        next if $inmf =~ m!^(?:x?t|inc|local|perl5|fatlib|examples?|ex|eg|demo)/!;
        my $no_index = $meta_content->{no_index} || $meta_content->{private};
        if (ref($no_index) eq 'HASH') {
            my %map = (file => qr{\z}, directory => qr{/});
            for my $k (qw(file directory)) {
                next unless my $v = $no_index->{$k};
                for my $ve (ref $v eq 'ARRAY' ? @$v : ($v)) {
                    next unless defined $ve;
                    (my $e = $ve) =~ s|/+$||;
                    my $hit = eval { $inmf =~ /^$e$map{$k}/ };
                    next MANI if $hit;
                }
            }
        }
        push @pmfiles, $mf;
    }
    my $from_meta_ok = version_from_meta_ok($meta_content);
    my $provides = $meta_content->{provides};
    if ($from_meta_ok && $provides && ref $provides eq 'HASH') {
        $r{method} = "meta";
        for my $pkg (sort keys %$provides) {
            my $v = $provides->{$pkg};
            next unless ref $v eq 'HASH' and defined $v->{file} and length $v->{file};
            my $version = defined $v->{version} ? "$v->{version}" : "undef";
            check_in(\%r, $pkg, $version, "$v->{file}", 1, undef);
        }
    } elsif (@pmfiles) {
        $r{method} = "files";
        for my $pmfile (@pmfiles) {
            next if $pmfile =~ m|/blib/|;
            my $parser = Parse::PMFile->new($meta_content, {});
            my ($ppp, $errors) = eval { $parser->parse($pmfile) };
            next unless $ppp;
            $errors ||= {};
            # Parse::PMFile turns what PAUSE's normalize_version dies on into an "undef" version;
            # PAUSE skips the whole file.
            if (grep { $_->{normalize} } values %$errors) {
                push @{ $r{problems} }, "version_unparsable";
                next;
            }
            (my $rel = $pmfile) =~ s{^[^/]+/}{};
            for my $pkg (sort keys %$ppp) {
                my $e = $errors->{$pkg} || {};
                if ($e->{parse_version} || $e->{open}) {
                    push @{ $r{problems} }, "version_unparsable";
                    next;
                }
                my $pp = $ppp->{$pkg};
                check_in(\%r, $pkg, $pp->{version}, $rel, 0, simile($pmfile, $pkg));
            }
            # packages Parse::PMFile refused for an overlong version
            for my $pkg (sort grep { $errors->{$_}{long_version} } keys %$errors) {
                push @{ $r{problems} }, "version_too_long";
            }
        }
    } else {
        push @{ $r{problems} }, "no_indexing_method";
    }
    delete $r{packages}{$_}{simile} for keys %{ $r{packages} };
    return \%r;
}

# PAUSE::package::examine_pkg's checks that need no database, and update_package's competition
# between two files of the same distribution (the later file wins unless only the earlier one's
# name matched the package).
sub check_in {
    my ($r, $pkg, $version, $file, $by_meta, $simile) = @_;
    $version = "$version" if defined $version;
    return if $pkg !~ /^\w[\w\:\']*\w?\z/ || $pkg !~ /\w\z/ || ($pkg =~ /:/ && $pkg !~ /::/)
        || $pkg =~ /\w:\w/ || $pkg =~ /:::/;
    for ($pkg, $version) {
        return if !defined || /^\s*$/ || /\s/;
    }
    if (length $version > 16) {
        push @{ $r->{problems} }, "version_too_long";
        return;
    }
    if (my $old = $r->{packages}{$pkg}) {
        if ($version ne 'undef' && !version::is_lax($version)) {
            push @{ $r->{problems} }, "bad_version";
            return;
        }
        return if !$by_meta && !$simile && $old->{simile};
    }
    $r->{packages}{$pkg} = { version => $version, file => $file, simile => $simile };
}

sub simile {
    my ($file, $package) = @_;
    $file =~ s|.*/||;
    $file =~ s|\.pm(?:\.PL)?||;
    my $ret = $package =~ m/\b\Q$file\E$/;
    $ret ||= 0;
    $ret = 1 if !$ret && lc $file eq 'version';
    return $ret;
}

sub version_from_meta_ok {
    my ($c) = @_;
    return 0 unless $c->{provides};
    my ($mb_v) = ($c->{generated_by} // '') =~ /Module::Build version ([\d\.]+)/;
    return 1 unless $mb_v;
    return 1 if $mb_v eq '0.250.0';
    no warnings;
    return 0 if $mb_v >= 0.19 && $mb_v < 0.26 && ref $c->{provides} eq 'HASH' && !keys %{ $c->{provides} };
    return 1;
}
