#!/usr/bin/perl
# The Perl side of cpan-pmscan's differential tests. One request per line on STDIN, one answer
# per line on STDOUT (a file request answers with a count line and then that many lines).
#
#   e <hex line>   evaluate a $VERSION line the way PAUSE's parse_version child does (Safe
#                  compartment, same shares and permits, retry of the right-hand side):
#                  answers "ok <codepoints>" / "died" / "nomatch"
#   n <hex value>  PAUSE's normalize_version: "ok <hex>" or "die"
#   f <path>       Parse::PMFile 0.43 ->new({}, {})->parse(path): "<n>" then n lines
#                  "<package>\t<version>"
use strict;
use warnings;
use Safe;
use version ();
use CPAN::Version;
use Parse::PMFile;

$| = 1;
our $LINE;

# What PAUSE::pmfile::parse_version_safely does with the one line it evaluates.
sub eval_line {
    my ($line) = @_;
    no strict;
    return "NOMATCH" unless $line =~ /([\$*])(([\w\:\']*)\bVERSION)\b.*(?<![!><=])\=(?![=>])/;
    my $eval = qq{
          package ExtUtils::MakeMaker::_version;

          local $1$2;
          \$$2=undef; do {
              $line
          }; \$$2
      };
    local $^W = 0;
    my $result = eval($eval);
    die +{ line => $line, err => $@ } if $@;
    $result = "undef" unless defined $result;
    return $result;
}

sub codepoints { join ".", map { sprintf "%x", ord } split //, $_[0] }

sub pause_eval {
    my ($line) = @_;
    local $LINE = $line;
    my $comp = Safe->new("_pause::mldistwatch");
    $comp->permit("entereval");
    $comp->share('&eval_line', '$LINE');
    $comp->share("*version::new");
    $comp->share("*version::numify");
    $comp->share_from('main', ['*version::', '*Exporter::', '*DynaLoader::']);
    $comp->share_from('version', ['&qv']);
    $comp->permit(":base_math");
    my $v;
    {
        local $SIG{__WARN__} = sub {};
        local $SIG{ALRM} = sub { die "timeout\n" };
        alarm 5;
        $v = $comp->reval('local($^W) = 0; eval_line($LINE)');
        if ($@) {
            my $err = $@;
            if (ref $err) {
                if ($err->{line} =~ /[\$*]([\w\:\']*)\bVERSION\b.*\=(.*)/) {
                    $v = $comp->reval($2);
                }
                if ($@) { alarm 0; return "died" }
            } else {
                alarm 0;
                return "died";
            }
        }
        alarm 0;
    }
    return "nomatch" if defined $v && !ref $v && $v eq "NOMATCH";
    if (defined $v) {
        $v = $v->numify if ref($v) eq 'version';
    } else {
        $v = "";
    }
    return "ok " . codepoints("$v");
}

sub force_numeric {
    my ($v) = @_;
    $v = CPAN::Version->readable($v);
    if ($v =~ /^(\+?)(\d*)(\.(\d*))?/ && (defined $2 && length $2 || defined $4 && length $4)) {
        my $two = defined $2 ? $2 : "";
        my $three = defined $3 ? $3 : "";
        $v = "$two$three";
    }
    $v;
}

# PAUSE::pmfile::normalize_version
sub normalize {
    my ($v) = @_;
    $v = "undef" unless defined $v;
    return $v if $v eq "undef";
    return $v if $v =~ /^\{.*\}$/;
    $v =~ s/^\s+//;
    $v =~ s/\s+\z//;
    return $v if $v =~ /_/;
    my $vv = version->new($v)->numify;
    if ($vv eq $v) {
    } else {
        my $forced = force_numeric($v);
        if ($forced eq $vv) {
        } elsif ($forced =~ /^v(.+)/) {
            $vv = version->new($1)->numify;
        } else {
            no warnings;
            $vv = $forced if $forced == $vv;
        }
    }
    return $vv;
}

open my $null, '>', '/dev/null' or die;
while (my $req = <STDIN>) {
    chomp $req;
    my ($cmd, $arg) = split /\t/, $req, 2;
    $arg = "" unless defined $arg;
    if ($cmd eq 'e') {
        print pause_eval(pack "H*", $arg), "\n";
    } elsif ($cmd eq 'n') {
        my $r = eval { local $SIG{__WARN__} = sub {}; normalize(pack "H*", $arg) };
        print defined $r ? "ok " . unpack("H*", $r) . "\n" : "die\n";
    } elsif ($cmd eq 'f') {
        my $res = eval {
            local $SIG{__WARN__} = sub {};
            local $SIG{ALRM} = sub { die "timeout\n" };
            alarm 10;
            my $r = Parse::PMFile->new({}, {})->parse($arg);
            alarm 0;
            $r;
        };
        alarm 0;
        if (!$res) { print "0\n"; next }
        my @k = sort keys %$res;
        print scalar(@k), "\n";
        for my $k (@k) {
            my $v = $res->{$k}{version};
            $v = "<undef>" unless defined $v;
            $v =~ s/[\t\n]/ /g;
            print "$k\t$v\n";
        }
    } else {
        print "unknown\n";
    }
}
