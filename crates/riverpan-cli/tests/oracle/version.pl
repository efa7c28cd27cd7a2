# Reference for `riverpan version --json`: the same JSON Lines, computed by Perl's version.pm.
# Reads one version string per line of STDIN (trailing "\n" and "\r" removed).
use strict;
use warnings;
use version;
use JSON::PP ();

my $json = JSON::PP->new->allow_nonref;
sub bool_json { $_[0] ? 'true' : 'false' }
local $SIG{__WARN__} = sub { };    # numify of alpha versions warns "lossy"

while (my $input = <STDIN>) {
    $input =~ s/\n\z//;
    $input =~ s/\r\z//;
    # defined, not true: version objects overload bool, and version "0" is false.
    my $v = eval { version->parse($input) };
    my $valid = defined $v;
    my @pairs = (
        input  => $json->encode($input),
        valid  => bool_json($valid),
        lax    => bool_json(version::is_lax($input)),
        strict => bool_json(version::is_strict($input)),
    );
    if ($valid) {
        push @pairs,
            stringify => $json->encode("$v"),
            numify    => $json->encode('' . $v->numify),
            normal    => $json->encode($v->normal),
            is_alpha  => bool_json($v->is_alpha),
            is_qv     => bool_json($v->is_qv);
    }
    else {
        (my $message = $@) =~ s/ at \S+ line \d+(?:, <\w+> line \d+)?\.?\n\z//;
        my $class = $message =~ /\((.*)\)/ ? $1 : $message;
        push @pairs, map({ ($_ => 'null') } qw(stringify numify normal is_alpha is_qv)),
            error => $json->encode($class);
    }
    my @fields;
    while (my ($key, $value) = splice @pairs, 0, 2) {
        push @fields, qq{"$key":$value};
    }
    print '{', join(',', @fields), "}\n";
}
