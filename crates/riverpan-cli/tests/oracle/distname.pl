# Reference for `riverpan distname --json`: the same JSON Lines, computed by CPAN::DistnameInfo.
# Reads one path per line of STDIN (trailing "\n" and "\r" removed).
use strict;
use warnings;
use CPAN::DistnameInfo;
use JSON::PP ();

my $json = JSON::PP->new->allow_nonref;
while (my $path = <STDIN>) {
    $path =~ s/\n\z//;
    $path =~ s/\r\z//;
    my $d = CPAN::DistnameInfo->new($path);
    my @fields = map { my $value = $d->$_; qq{"$_":} . (defined $value ? $json->encode($value) : 'null') }
        qw(dist version maturity cpanid distvname extension filename pathname);
    print '{', join(',', @fields), "}\n";
}
