#!/usr/bin/perl
# The reference side of riverpan's differential tests: answers one request per line with Perl's
# own version.pm and CPAN::Version. Arguments travel hex-encoded so any byte string survives.
#   p HEX        -> version->parse   : ok<TAB>lax<TAB>strict<TAB>str<TAB>num<TAB>normal<TAB>alpha<TAB>qv
#   q HEX        -> version->declare : same shape
#                   or err<TAB>lax<TAB>strict<TAB>CLASS
#   c HEXA HEXB  -> version->parse(A) <=> version->parse(B) : -1/0/1 or err<TAB>MESSAGE
#   k HEXA HEXB  -> CPAN::Version->vcmp(A, B)                : -1/0/1 or die<TAB>MESSAGE
use strict;
use warnings;
use version;
use CPAN::Version;
$| = 1;
$SIG{__WARN__} = sub { };

sub hex_out { unpack "H*", $_[0] }
sub class_of {
    my ($e) = @_;
    $e =~ s/ at \S+ line \d+.*\z//s;
    return $e =~ /\AInvalid version format \((.*)\)\z/ ? $1 : $e;
}
sub describe {
    my ($how, $s) = @_;
    my $lax = version::is_lax($s) ? 1 : 0;
    my $strict = version::is_strict($s) ? 1 : 0;
    my $v = eval { $how eq 'q' ? version->declare($s) : version->parse($s) };
    return join "\t", "err", $lax, $strict, hex_out(class_of($@)) unless defined $v;
    return join "\t", "ok", $lax, $strict, hex_out($v->stringify), hex_out($v->numify),
        hex_out($v->normal), ($v->is_alpha ? 1 : 0), ($v->is_qv ? 1 : 0);
}
while (my $line = <STDIN>) {
    chomp $line;
    my ($cmd, @args) = split /\t/, $line, -1;
    @args = map { pack "H*", $_ } @args;
    if ($cmd eq 'p' or $cmd eq 'q') {
        print describe($cmd, $args[0]), "\n";
    } elsif ($cmd eq 'c') {
        my $r = eval { version->parse($args[0]) <=> version->parse($args[1]) };
        print defined $r ? "$r\n" : "err\t" . hex_out(class_of($@)) . "\n";
    } elsif ($cmd eq 'k') {
        my $r = eval { CPAN::Version->vcmp($args[0], $args[1]) };
        print defined $r ? "$r\n" : "die\t" . hex_out(class_of($@)) . "\n";
    } else {
        print "unknown\n";
    }
}
