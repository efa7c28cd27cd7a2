#!/usr/bin/perl
# The Perl side of the differential tests: reads one request per line on stdin and answers
# one line on stdout.
#   f <TAB> path        Parse::CPAN::Meta->load_file(path), then CPAN::Meta->new on it
#   y <TAB> hex bytes   the bytes as load_file would read them from a .yml file
#   j <TAB> hex bytes   the bytes as load_file would read them from a .json file
# Answer: <raw JSON> <TAB> <converted JSON>, each either {"ok": VALUE} or {"error": MESSAGE},
# where VALUE has every scalar as the string Perl prints for it (undef as null).
use strict;
use warnings;
use Parse::CPAN::Meta;
use CPAN::Meta;
use JSON::PP;
use Encode ();

$| = 1;
$SIG{__WARN__} = sub { };
my $out = JSON::PP->new->canonical->utf8->allow_nonref;

sub plain {
    my ($v) = @_;
    return undef unless defined $v;
    my $r = ref $v;
    return [ map { plain($_) } @$v ] if $r eq 'ARRAY';
    return { map { ($_ => plain($v->{$_})) } keys %$v } if $r eq 'HASH';
    return "$v";
}

sub answer {
    my ($load) = @_;
    my $raw = eval { $load->() };
    if (my $err = $@) {
        $err =~ s/\s+\z//;
        return $out->encode({ error => "$err" }) . "\t" . $out->encode({ error => "raw failed" });
    }
    my $raw_json = $out->encode({ ok => plain($raw) });
    my $conv = eval { CPAN::Meta->new($raw, { lazy_validation => 1 })->as_struct };
    if (my $err = $@) {
        $err =~ s/\s+\z//;
        return "$raw_json\t" . $out->encode({ error => "$err" });
    }
    return "$raw_json\t" . $out->encode({ ok => plain($conv) });
}

while (my $line = <STDIN>) {
    chomp $line;
    my ($kind, $arg) = split /\t/, $line, 2;
    $arg = '' unless defined $arg;
    my $reply;
    if ($kind eq 'f') {
        $reply = answer(sub { Parse::CPAN::Meta->load_file($arg) });
    } elsif ($kind eq 'y' or $kind eq 'j') {
        my $bytes = pack 'H*', $arg;
        my $text = Encode::decode('UTF-8', $bytes, Encode::PERLQQ());
        $reply = $kind eq 'y'
            ? answer(sub { Parse::CPAN::Meta->load_yaml_string($text) })
            : answer(sub { Parse::CPAN::Meta->load_json_string($text) });
    } else {
        $reply = $out->encode({ error => "bad request" }) . "\t" . $out->encode({ error => "bad request" });
    }
    $reply =~ s/\n/\\n/g;
    print "$reply\n";
}
