//! Cpanfile parsing with plain expected values (each checked against Module::CPANfile 1.1004
//! when it was written; the differential tests check the fixtures continuously).

use crate::*;

fn parse(src: &str) -> Cpanfile {
    match Cpanfile::parse(src) {
        Ok(c) => c,
        Err(e) => panic!("{src:?}: {e}"),
    }
}

fn req(c: &Cpanfile, phase: Phase, rel: Relationship, module: &str) -> Option<String> {
    c.prereqs().requirement_for_module(phase, rel, module)
}

fn err(src: &str) -> String {
    match Cpanfile::parse(src) {
        Ok(c) => panic!("{src:?} was accepted: {c:?}"),
        Err(e) => e.to_string(),
    }
}

use Phase::*;
use Relationship::*;

#[test]
fn the_synopsis() {
    let c = parse(
        "requires 'Plack', '1.0'; # 1.0 or newer
requires 'JSON', '>= 2.00, < 2.80';

recommends 'JSON::XS', '2.0';
conflicts 'JSON', '< 1.0';

on 'test' => sub {
  requires 'Test::More', '>= 0.96, < 2.0';
  recommends 'Test::TCP', '1.12';
};

on 'develop' => sub {
  recommends 'Devel::NYTProf';
};

feature 'sqlite', 'SQLite support' => sub {
  recommends 'DBD::SQLite';
};
",
    );
    assert_eq!(req(&c, Runtime, Requires, "Plack").as_deref(), Some("1.0"));
    assert_eq!(
        req(&c, Runtime, Requires, "JSON").as_deref(),
        Some(">= 2.00, < 2.80")
    );
    assert_eq!(
        req(&c, Runtime, Conflicts, "JSON").as_deref(),
        Some("< 1.0")
    );
    assert_eq!(
        req(&c, Test, Requires, "Test::More").as_deref(),
        Some(">= 0.96, < 2.0")
    );
    assert_eq!(
        req(&c, Develop, Recommends, "Devel::NYTProf").as_deref(),
        Some("0")
    );
    assert_eq!(c.features().len(), 1);
    let sqlite = &c.features()[0];
    assert_eq!(
        (sqlite.identifier.as_str(), sqlite.description.as_str()),
        ("sqlite", "SQLite support")
    );
    assert_eq!(
        sqlite
            .prereqs
            .requirement_for_module(Runtime, Recommends, "DBD::SQLite")
            .as_deref(),
        Some("0")
    );
    assert_eq!(req(&c, Runtime, Recommends, "DBD::SQLite"), None);
    let all = c.effective_prereqs(&["sqlite"]).unwrap();
    assert_eq!(
        all.requirement_for_module(Runtime, Recommends, "DBD::SQLite")
            .as_deref(),
        Some("0")
    );
    assert!(matches!(
        c.effective_prereqs(&["pg"]),
        Err(Error::UnknownFeature(f)) if f == "pg"
    ));
}

#[test]
fn the_last_declaration_of_a_module_wins() {
    let c = parse(
        "requires 'Foo', '1.0';\nrequires 'Foo', '>= 2, < 3';\nrequires 'Bar', '2';\n\
         requires 'Bar';\non test => sub { requires 'Foo', '0.5' };",
    );
    assert_eq!(
        req(&c, Runtime, Requires, "Foo").as_deref(),
        Some(">= 2, < 3")
    );
    assert_eq!(req(&c, Runtime, Requires, "Bar").as_deref(), Some("0"));
    assert_eq!(req(&c, Test, Requires, "Foo").as_deref(), Some("0.5"));
    // Both declarations are kept.
    assert_eq!(c.declarations().len(), 5);
}

#[test]
fn features_merge_with_add_requirements() {
    let c = parse(
        "requires 'Foo', '1.0';
feature 'new', 'New Foo' => sub { requires 'Foo', '< 2' };
feature 'new' => sub { requires 'Bar' };
feature 0 => sub { requires 'Baz', '3' };",
    );
    let ids: Vec<&str> = c.features().iter().map(|f| f.identifier.as_str()).collect();
    assert_eq!(ids, ["new", "0"]);
    // A feature declared twice keeps the last description (the identifier when omitted).
    assert_eq!(c.features()[0].description, "new");
    // A feature whose identifier is false in Perl feeds the main prerequisites.
    assert_eq!(req(&c, Runtime, Requires, "Baz").as_deref(), Some("3"));
    assert!(c.features()[1].prereqs.is_empty());
    let merged = c.effective_prereqs(&["new"]).unwrap();
    assert_eq!(
        merged
            .requirement_for_module(Runtime, Requires, "Foo")
            .as_deref(),
        Some(">= 1.0, < 2")
    );
}

#[test]
fn phases_and_shortcuts() {
    let c = parse(
        "configure_requires 'A';\nbuild_requires 'B', 1;\ntest_requires 'C', '2';\n\
         author_requires 'D';\non('build', sub { suggests 'E' });\n\
         on test => sub { on develop => sub { requires 'F' }; requires 'G' }",
    );
    assert_eq!(req(&c, Configure, Requires, "A").as_deref(), Some("0"));
    assert_eq!(req(&c, Build, Requires, "B").as_deref(), Some("1"));
    assert_eq!(req(&c, Test, Requires, "C").as_deref(), Some("2"));
    assert_eq!(req(&c, Develop, Requires, "D").as_deref(), Some("0"));
    assert_eq!(req(&c, Build, Suggests, "E").as_deref(), Some("0"));
    assert_eq!(req(&c, Develop, Requires, "F").as_deref(), Some("0"));
    assert_eq!(req(&c, Test, Requires, "G").as_deref(), Some("0"));
}

#[test]
fn options() {
    let c = parse(
        "requires 'Foo', '1.0', dist => 'MIYAGAWA/Foo-1.0.tar.gz', mirror => 'http://m/';
requires 'Bar', git => 'https://github.com/x/bar.git', ref => 'main';
requires 'Baz', url => 'https://example.com/Baz-1.tar.gz';
requires 'Baz', '2', dist => 'X/Baz-2.tar.gz';",
    );
    let foo = c.options_for_module("Foo").unwrap();
    assert_eq!(foo.dist.as_deref(), Some("MIYAGAWA/Foo-1.0.tar.gz"));
    assert_eq!(foo.mirror.as_deref(), Some("http://m/"));
    let bar = c.options_for_module("Bar").unwrap();
    assert_eq!(
        bar.iter().collect::<Vec<_>>(),
        [("git", "https://github.com/x/bar.git"), ("ref", "main")]
    );
    assert_eq!(req(&c, Runtime, Requires, "Bar").as_deref(), Some("0"));
    // The first declaration's options, as Module::CPANfile's `options_for_module`.
    let baz = c.options_for_module("Baz").unwrap();
    assert_eq!(baz.url.as_deref(), Some("https://example.com/Baz-1.tar.gz"));
    assert_eq!(baz.dist, None);
    assert_eq!(req(&c, Runtime, Requires, "Baz").as_deref(), Some("2"));
    assert!(c.options_for_module("Nope").is_none());
}

#[test]
fn literals() {
    let c = parse(
        "requires \"A\" => 1.10;
requires q(B), q{1.2};
requires qw(C 1.3);
requires 'D', '';
requires 'E', 0.0;
requires 'F', '0.0';
requires 'G', v5.10.1;
requires 'H', 5.10.1;
requires 'I', 1_000;
requires 'J', undef;
requires 'K' => '>= 1.5';
requires 'L', 'v1.2';
mirror 'https://cpan.example.com/';
mirror \"https://backup.example.com/\"",
    );
    let want = [
        ("A", "1.1"),
        ("B", "1.2"),
        ("C", "1.3"),
        ("D", "0"),
        ("E", "0"),
        ("F", "0.0"),
        ("G", "v5.10.1"),
        ("H", "v5.10.1"),
        ("I", "1000"),
        ("J", "0"),
        ("K", "1.5"),
        ("L", "v1.2.0"),
    ];
    for (module, version) in want {
        assert_eq!(
            req(&c, Runtime, Requires, module).as_deref(),
            Some(version),
            "{module}"
        );
    }
    assert_eq!(
        c.mirrors(),
        ["https://cpan.example.com/", "https://backup.example.com/"]
    );
    // The declared version is kept as Perl passed it.
    assert_eq!(c.declarations()[0].version, "1.1");
    assert_eq!(c.declarations()[7].version, "5.10.1");
}

#[test]
fn trivia() {
    let c = parse(
        "use strict;\nuse warnings;\n\n=pod\n\nrequires 'Nope';\n\n=cut\n\
         requires 'A' # comment\n  , # more\n  '1'\n;;\r\nrequires 'B'\n__END__\nrequires 'C' if 1;",
    );
    let modules: Vec<&str> = c.declarations().iter().map(|d| d.module.as_str()).collect();
    assert_eq!(modules, ["A", "B"]);
    assert!(parse("").prereqs().is_empty());
    assert!(parse("# only a comment\n").declarations().is_empty());
    let last = parse("on test => sub { requires 'A' }");
    assert_eq!(req(&last, Test, Requires, "A").as_deref(), Some("0"));
}

#[test]
fn declarations_record_where_and_what() {
    let c =
        parse("\n  feature 'f' => sub {\n    on test => sub { recommends 'A', '1', git => 'g' } }");
    let d = &c.declarations()[0];
    assert_eq!(d.feature.as_deref(), Some("f"));
    assert_eq!((d.phase, d.relationship), (Test, Recommends));
    assert_eq!(
        d.location,
        Location {
            line: 3,
            column: 22
        }
    );
    assert_eq!(d.options.git.as_deref(), Some("g"));
    assert!(!d.in_main());
    assert_eq!(c.prereq_for_module("A"), Some(d));
}

#[test]
fn refusals() {
    let cases = [
        (
            "if ($^O eq 'MSWin32') {\n  requires 'Win32';\n}",
            "line 1, column 1: `if` is not supported in a cpanfile read without Perl: \
             conditions and loops need Perl to evaluate them",
        ),
        (
            "requires 'A', $VERSION;",
            "line 1, column 15: the variable `$VERSION` is not supported in a cpanfile read \
             without Perl: variables need Perl to evaluate them; write the value itself",
        ),
        (
            "my $v = '1.0';",
            "line 1, column 1: `my` is not supported in a cpanfile read without Perl: \
             variables need Perl to evaluate them; write the value itself",
        ),
        (
            "requires 'A', '1' . '0';",
            "line 1, column 19: `.` is not supported in a cpanfile read without Perl: \
             concatenation and method calls need Perl; write the whole string",
        ),
        (
            "osname 'MSWin32' => sub {};",
            "line 1, column 1: `osname` is not supported in a cpanfile read without Perl: \
             Module::CPANfile does not implement `osname` (it dies with `TODO`)",
        ),
        (
            "requires ('A'), '2';",
            "line 1, column 15: expected `;` after the parenthesized arguments (Perl would pass \
             only the arguments inside the parentheses), found `,`",
        ),
        (
            "requires 'A' '2';",
            "line 1, column 14: expected `,` or `;`, found the string \"2\"",
        ),
        (
            "on 'tests' => sub { requires 'A' };",
            "line 1, column 4: unknown phase \"tests\" (the phases are configure, build, test, \
             runtime and develop)",
        ),
        (
            "requires 'A', '1', branch => 'main';",
            "line 1, column 20: unknown option \"branch\" for module \"A\" (the options are \
             dist, mirror, url, git and ref)",
        ),
        (
            "requires 'A', 'abc';",
            "line 1, column 1: Can't convert 'abc': Invalid version format (non-numeric data)",
        ),
        (
            "requires Foo::Bar => '1';",
            "line 1, column 10: the bareword `Foo::Bar` is not supported in a cpanfile read \
             without Perl: Perl refuses barewords (Module::CPANfile's sandbox is under `use \
             strict`) or calls a function of that name; quote the module name",
        ),
        (
            "on test => sub {\n  requires 'A';\n",
            "line 1, column 16: unterminated block (missing `}`)",
        ),
        (
            "requires 'A', \"git@github.com\";",
            "line 1, column 19: the interpolation `@github` is not supported in a cpanfile \
             read without Perl: a double-quoted string interpolates variables; use single \
             quotes or escape it with a backslash",
        ),
        (
            "feature 'x';",
            "line 1, column 1: feature: expects an identifier, a description and a block: \
             feature 'identifier', 'Description' => sub { ... }",
        ),
        (
            "requires;",
            "line 1, column 1: requires: expects a module name",
        ),
        (
            "requires 'A', 010;",
            "line 1, column 15: the number `010` is not supported in a cpanfile read without \
             Perl: Perl reads a number starting with 0 as octal, hexadecimal or binary; quote \
             the version",
        ),
        (
            "requires 'A', <<EOT;\n1.0\nEOT\n",
            "line 1, column 15: a heredoc or `<<` is not supported in a cpanfile read without \
             Perl: write the string in quotes",
        ),
        (
            "requires 'A', version();",
            "line 1, column 15: `version` is not supported in a cpanfile read without Perl: \
             barewords and function calls in arguments need Perl; quote strings, and write a \
             word before `=>` only as an option name or phase",
        ),
        (
            "do 'other.cpanfile';",
            "line 1, column 1: `do` is not supported in a cpanfile read without Perl: running \
             Perl code needs Perl",
        ),
        (
            "requires 'A', '1',\n=pod\n\n=cut\n;",
            "line 2, column 1: `=` is not supported in a cpanfile read without Perl: \
             assignments, comparisons and conditions need Perl to evaluate them",
        ),
        (
            "requires 'A', '1.0', dist => 'X', '2';",
            "line 1, column 15: unknown option \"1.0\" for module \"A\" (the options are \
             dist, mirror, url, git and ref)",
        ),
        (
            "requires 'A', dist => sub {};",
            "line 1, column 1: requires: the option \"dist\" expects a string",
        ),
    ];
    for (src, expected) in cases {
        assert_eq!(err(src), expected, "{src:?}");
    }
}

#[test]
fn deep_nesting_is_refused_not_a_stack_overflow() {
    let src = "on test => sub { ".repeat(10_000);
    assert!(err(&src).contains("a block nested more than 64 deep"));
    let fine = format!(
        "{}requires 'A'{}",
        "on test => sub { ".repeat(60),
        " }".repeat(60)
    );
    assert_eq!(
        req(&parse(&fine), Test, Requires, "A").as_deref(),
        Some("0")
    );
}
