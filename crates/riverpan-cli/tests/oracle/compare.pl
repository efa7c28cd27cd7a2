# Reference for `riverpan version --cmp` and `--vcmp`: reads "A<TAB>B" lines and prints
# "<cmp> <vcmp>" per line, where cmp is version.pm's <=> (or "error: <message>" when a side does
# not parse) and vcmp is CPAN::Version->vcmp.
use strict;
use warnings;
use version;
use CPAN::Version;

local $SIG{__WARN__} = sub { };
while (my $line = <STDIN>) {
    chomp $line;
    my ($a, $b) = split /\t/, $line, 2;
    my $cmp = eval { version->parse($a) <=> version->parse($b) };
    if (!defined $cmp) {
        ($cmp = $@) =~ s/ at \S+ line \d+(?:, <\w+> line \d+)?\.?\n\z//;
        $cmp = "error: $cmp";
    }
    print $cmp, "\t", CPAN::Version->vcmp($a, $b), "\n";
}
