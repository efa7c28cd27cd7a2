//! The published files as Perl clients read them: CPAN.pm (Safe->reval of CHECKSUMS and 03modlist, its 01mailrc
//! regex, `split " "` of 02packages), cpanm (its 02packages regex, sha256 from CHECKSUMS), cpm/Menlo (binary search
//! with Search::Dict), and PAUSE's own formatting expressions as a differential reference.
//!
//! Every test is skipped (with a note) when `perl` is not installed.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, UNIX_EPOCH};

use riverpan_publish::{
    checksum_entries_of_dir, checksums_file, mailrc, modlist_stub, packages_details, AuthorEntry,
    FileHeader, IndexedPackage,
};

fn have_perl() -> bool {
    let found = Command::new("perl")
        .arg("-e")
        .arg("1")
        .status()
        .map(|status| status.success())
        .unwrap_or(false);
    if !found {
        eprintln!("skipped: perl is not installed");
    }
    found
}

/// Runs `perl -e script args...` with `stdin`, returns stdout; fails the test with stderr on a non-zero exit.
fn run_perl(script: &str, args: &[&str], stdin: &str) -> String {
    let mut child = Command::new("perl")
        .arg("-e")
        .arg(script)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("perl starts");
    {
        let mut input = child.stdin.take().expect("stdin is piped");
        // A script that does not read its input closes the pipe early; that is not an error here.
        let _ = input.write_all(stdin.as_bytes());
    }
    let output = child.wait_with_output().expect("perl runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "perl failed: {}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        stdout,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    encoder.write_all(data).expect("in-memory gzip");
    encoder.finish().expect("in-memory gzip")
}

fn bzip2(data: &[u8]) -> Vec<u8> {
    let mut encoder = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::new(6));
    encoder.write_all(data).expect("in-memory bzip2");
    encoder.finish().expect("in-memory bzip2")
}

/// An author directory with every kind of entry CPAN::Checksums distinguishes.
fn populate_author_dir(dir: &Path) {
    let payload: Vec<u8> = (0..200_000u32).flat_map(|n| n.to_le_bytes()).collect();
    std::fs::write(dir.join("Foo-Bar-1.0.tar.gz"), gzip(&payload)).expect("write");
    let mut two_members = gzip(b"first member\n");
    two_members.extend(gzip(b"second member\n"));
    std::fs::write(dir.join("Multi-1.0.tgz"), two_members).expect("write");
    std::fs::write(
        dir.join("NotReally-1.0.tar.gz"),
        b"plain text pretending to be gzip\n",
    )
    .expect("write");
    std::fs::write(dir.join("Foo-Bar-1.1.tar.bz2"), bzip2(&payload)).expect("write");
    std::fs::write(dir.join("Foo-Bar-1.0.zip"), b"PK\x03\x04 not really a zip").expect("write");
    std::fs::write(dir.join("Foo-Bar-1.0.meta"), b"{\"name\":\"Foo-Bar\"}\n").expect("write");
    std::fs::write(dir.join("Foo-Bar-1.0.readme"), b"excluded\n").expect("write");
    std::fs::write(dir.join("README"), b"excluded\n").expect("write");
    std::fs::write(dir.join(".hidden"), b"excluded\n").expect("write");
    std::fs::write(dir.join("CHECKSUMS.old"), b"excluded\n").expect("write");
    std::fs::write(dir.join("It's-a \\ name.tar.gz"), gzip(b"quoted")).expect("write");
    std::fs::write(dir.join("empty.txt"), b"").expect("write");
    std::fs::create_dir(dir.join("Perl6")).expect("mkdir");
}

/// What CPAN.pm's `CHECKSUM_check_file` does, for every file of the directory, plus the digests of CPAN::Checksums
/// recomputed with Digest::SHA / Digest::MD5 / IO::Uncompress, and a re-dump with the same Data::Dumper settings.
const CHECK_CHECKSUMS: &str = r#"
use strict; use warnings;
use Safe; use Digest::SHA; use Digest::MD5; use Data::Dumper;
use IO::Uncompress::Gunzip (); use IO::Uncompress::Bunzip2 ();
my ($dir, $cpan_path) = @ARGV;
open my $fh, '<', "$dir/CHECKSUMS" or die "open: $!";
my $text = do { local $/; <$fh> };
$text =~ s/\015?\012/\n/g;
my $cksum = Safe->new->reval($text);
die "reval: $@" if $@;
die "not a hash" unless ref $cksum eq 'HASH';
# The dump must be exactly what Data::Dumper writes for the same structure (CPAN::Checksums' settings).
{
    local $Data::Dumper::Indent = 1; local $Data::Dumper::Quotekeys = 1; local $Data::Dumper::Sortkeys = 1;
    my $dump = Data::Dumper->new([$cksum], ["cksum"])->Dump;
    (my $body = $text) =~ s/\A#[^\n]*\n//;
    die "dump differs:\n$dump\nvs\n$body" unless $dump eq $body;
}
sub digests {
    my ($reader) = @_;
    my $sha = Digest::SHA->new(256); my $md5 = Digest::MD5->new; my $buffer;
    while ((my $n = $reader->read($buffer, 65536)) > 0) { $sha->add($buffer); $md5->add($buffer) }
    return ($sha->hexdigest, $md5->hexdigest);
}
opendir my $dh, $dir or die;
my %expected;
for my $name (readdir $dh) {
    next if $name =~ /^\./ or substr($name, 0, 9) eq 'CHECKSUMS' or $name =~ qr{readme$}i;
    $expected{$name} = 1;
    my $entry = $cksum->{$name} or die "missing entry for $name";
    die "cpan_path of $name" unless $entry->{cpan_path} eq $cpan_path;
    # CPAN.pm: substr($self->{ID}, 0, length cpan_path) eq cpan_path
    my $id = "$cpan_path/$name";
    die "cpan_path does not prefix $id" unless substr($id, 0, length $entry->{cpan_path}) eq $entry->{cpan_path};
    my $path = "$dir/$name";
    if (-d $path) { die "isdir of $name" unless $entry->{isdir} == 1 && !exists $entry->{sha256}; next }
    die "size of $name" unless $entry->{size} == -s $path;
    my @gm = gmtime((stat $path)[9]);
    die "mtime of $name" unless $entry->{mtime} eq sprintf("%04d-%02d-%02d", $gm[5] + 1900, $gm[4] + 1, $gm[3]);
    open my $raw, '<:raw', $path or die;
    my $sha = Digest::SHA->new(256)->addfile($raw)->hexdigest;
    die "sha256 of $name" unless $entry->{sha256} eq $sha;
    open $raw, '<:raw', $path or die;
    die "md5 of $name" unless $entry->{md5} eq Digest::MD5->new->addfile($raw)->hexdigest;
    if ($name =~ /\.(gz|tgz)$/) {
        # Compress::Zlib::gzopen's reader: transparent for non-gzip data, all members of a multi-member file
        my $z = IO::Uncompress::Gunzip->new($path, Transparent => 1, MultiStream => 1, Strict => 0) or die;
        my ($s, $m) = digests($z);
        die "sha256-ungz of $name" unless $entry->{'sha256-ungz'} eq $s;
        die "md5-ungz of $name" unless $entry->{'md5-ungz'} eq $m;
    } elsif ($name =~ /\.(bz2|tbz)$/) {
        my $z = IO::Uncompress::Bunzip2->new($path, MultiStream => 1) or die;
        my ($s, $m) = digests($z);
        die "sha256-unbz2 of $name" unless $entry->{'sha256-unbz2'} eq $s;
        die "md5-unbz2 of $name" unless $entry->{'md5-unbz2'} eq $m;
    } else {
        die "unexpected decompressed digest for $name" if grep { /-un/ } keys %$entry;
    }
    # cpanm --verify compares {sha256} only; CPAN.pm accepts sha256 or sha256-ungz: both checked above.
}
for my $name (keys %$cksum) { die "unexpected entry $name" unless $expected{$name} }
print scalar(keys %$cksum), " entries ok\n";
"#;

#[test]
fn checksums_evaluate_in_safe_and_match_perls_digests() {
    if !have_perl() {
        return;
    }
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("O").join("OP").join("OPRIME");
    std::fs::create_dir_all(&dir).expect("mkdir");
    populate_author_dir(&dir);
    let entries = checksum_entries_of_dir(&dir).expect("entries");
    // Excluded names are not even computed by checksum_entries_of_dir.
    assert!(entries
        .iter()
        .all(|entry| !entry.name.contains("readme") && !entry.name.starts_with('.')));
    let text = checksums_file(
        &entries,
        UNIX_EPOCH + Duration::from_secs(1_777_213_348),
        "O/OP/OPRIME",
    );
    riverpan_publish::write_atomically(&dir.join("CHECKSUMS"), text.as_bytes())
        .expect("write CHECKSUMS");
    let dir_arg = dir.to_str().expect("utf-8 temp path");
    let out = run_perl(CHECK_CHECKSUMS, &[dir_arg, "O/OP/OPRIME"], "");
    assert_eq!(out, "9 entries ok\n");

    // The client's reader (cpan-index) reads back exactly what was written, as Perl does.
    let read = cpan_index::parse_checksums(&text).expect("cpan-index reads CHECKSUMS");
    assert_eq!(read.len(), entries.len());
    for entry in &entries {
        let record = &read[&entry.name];
        if entry.isdir {
            assert_eq!(record.fields["isdir"], "1");
            continue;
        }
        assert_eq!(
            record.sha256.as_deref(),
            Some(entry.sha256.as_str()),
            "{}",
            entry.name
        );
        assert_eq!(
            record.md5.as_deref(),
            Some(entry.md5.as_str()),
            "{}",
            entry.name
        );
        assert_eq!(record.size, Some(entry.size), "{}", entry.name);
        assert_eq!(
            record.fields.get("sha256-ungz"),
            entry.sha256_ungz.as_ref(),
            "{}",
            entry.name
        );
    }
}

/// PAUSE's `rewrite02` formatting and sort, as a reference: rows as TAB-separated lines on stdin.
const PAUSE_02_REFERENCE: &str = r#"
my @listing02;
while (<STDIN>) {
    chomp; my @row = split /\t/, $_, -1;
    $row[1] =~ s/^\+//;
    my ($one, $two) = (30, 8);
    if (length($row[0]) > $one) { $one += 8 - length($row[1]); $two = length($row[1]); }
    push @listing02, sprintf "%-${one}s %${two}s  %s\n", @row;
}
print join "", sort { lc $a cmp lc $b } @listing02;
"#;

fn tricky_rows() -> Vec<(String, String, String)> {
    let mut rows = Vec::new();
    let dists = [
        "A/AB/ABC/X-1.tar.gz",
        "F/FO/FOO/Foo-Bar-1.23.tar.gz",
        "Z/ZZ/ZZZ/Long-Dist-Name-0.001_01.tar.bz2",
    ];
    let versions = [
        "1",
        "+1.23",
        "v1.2.3",
        "undef",
        "0.001002",
        "1.2_03",
        "9999.123456789012",
        "0",
    ];
    let names = [
        "A",
        "a::b",
        "A12345678901234567890123456789",
        "A123456789012345678901234567890",
        "Some::Very::Long::Package::Name::H",
        "Some::Very::Long::Package::Name::Here",
        "Foo",
        "Foo::Bar",
        "Foo_Bar",
        "Foo'Bar",
        "FooBar",
        "foo::bar2",
        "Paws::EC2::DescribeInstancesResult::Reservation::Instance::Detail",
        "Paws::EC2::DescribeInstancesResult",
        "Z",
    ];
    for (index, name) in names.iter().enumerate() {
        for round in 0..3 {
            let version = versions[(index + round * 3) % versions.len()];
            rows.push((
                name.to_string(),
                version.to_string(),
                dists[index % dists.len()].to_string(),
            ));
        }
    }
    rows
}

#[test]
fn packages_body_equals_pauses_perl_expressions() {
    if !have_perl() {
        return;
    }
    let rows = tricky_rows();
    let stdin: String = rows
        .iter()
        .map(|(p, v, d)| format!("{p}\t{v}\t{d}\n"))
        .collect();
    let reference = run_perl(PAUSE_02_REFERENCE, &[], &stdin);
    let indexed: Vec<IndexedPackage> = rows
        .iter()
        .map(|(p, v, d)| IndexedPackage {
            package: p,
            version: v,
            dist: d,
        })
        .collect();
    let text = packages_details(&indexed, &FileHeader::at(UNIX_EPOCH));
    assert_eq!(riverpan_publish::details_body(&text), reference);
}

/// CPAN.pm's `rd_modpacks` reading (header to the blank line, Line-Count, `split " ", $_, 4`), cpanm's regex on
/// the same lines, and cpm/Menlo's binary search (Search::Dict `look` with fold) for every package.
const READ_02_LIKE_CLIENTS: &str = r#"
use strict; use warnings; use Search::Dict;
my ($file, $body_file) = @ARGV;
open my $fh, '<', $file or die;
my %header;
while (<$fh>) { last if /^$/; /^([\w-]+):\s+(.*)$/ or die "bad header line $_"; $header{$1} = $2 }
die "File header" unless $header{File} eq '02packages.details.txt';
die "Last-Updated" unless $header{'Last-Updated'} =~ / (\d+) (\w+) (\d+) (\d+):(\d+):(\d+) /;
my @rows;
while (<$fh>) {
    chomp;
    my ($pkg, $version, $dist, $rest) = split " ", $_, 4;
    die "extra field on $_" if defined $rest;
    die "missing field on $_" unless defined $dist;
    push @rows, [$pkg, $version, $dist];
    # cpanm 1.7 search_mirror_index_file
    "$_\n" =~ m!^\Q$pkg\E\s+([\w\.]+)\s+(\S*)! or die "cpanm regex fails on $_";
    die "cpanm reads $1 $2 for $_" unless $1 eq $version && $2 eq $dist;
}
die "Line-Count" unless $header{'Line-Count'} == @rows;
open my $body, '<', $body_file or die;
for my $row (@rows) {
    my ($pkg) = @$row;
    look $body, $pkg, { xfrm => sub { (split ' ', $_[0])[0] }, fold => 1 };
    my $found;
    while (my $line = <$body>) {
        my ($name, $version, $dist) = split ' ', $line;
        last if lc $name ne lc $pkg;
        if ($name eq $pkg) { $found = "$version $dist"; last }
    }
    die "binary search misses $pkg" unless defined $found;
}
print scalar(@rows), " rows ok\n";
"#;

#[test]
fn clients_parse_every_02packages_line() {
    if !have_perl() {
        return;
    }
    let rows = tricky_rows();
    let indexed: Vec<IndexedPackage> = rows
        .iter()
        .map(|(p, v, d)| IndexedPackage {
            package: p,
            version: v,
            dist: d,
        })
        .collect();
    let text = packages_details(
        &indexed,
        &FileHeader::at(UNIX_EPOCH + Duration::from_secs(1_777_213_348)),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("02packages.details.txt");
    let body_file = dir.path().join("body.txt");
    std::fs::write(&file, &text).expect("write");
    std::fs::write(&body_file, riverpan_publish::details_body(&text)).expect("write");
    let out = run_perl(
        READ_02_LIKE_CLIENTS,
        &[
            file.to_str().expect("utf-8"),
            body_file.to_str().expect("utf-8"),
        ],
        "",
    );
    assert_eq!(out, format!("{} rows ok\n", rows.len()));
}

#[test]
fn mailrc_parses_with_cpan_pms_regex() {
    if !have_perl() {
        return;
    }
    let authors = [
        AuthorEntry {
            userid: "ANDK",
            name: "Andreas König",
            email: Some("andk@cpan.org"),
            ..Default::default()
        },
        AuthorEntry {
            userid: "QUOTE",
            name: "Mr \"Q\" <q>",
            email: None,
            ..Default::default()
        },
        AuthorEntry {
            userid: "X",
            name: "Single",
            email: Some("x@example.org"),
            ..Default::default()
        },
    ];
    let text = mailrc(&authors);
    // CPAN.pm rd_authindex
    let script = r#"
        while (<STDIN>) {
            my ($userid, $fullname, $email) = m/alias\s+(\S+)\s+\"([^\"\<]*)\s+\<(.*)\>\"/ or die "no match: $_";
            print "$userid|$fullname|$email\n";
        }
    "#;
    let out = run_perl(script, &[], &text);
    assert_eq!(
        out,
        "ANDK|Andreas Konig|andk@cpan.org\nQUOTE|Mr Q q|quote@cpan.org\nX|Single|x@example.org\n"
    );
}

#[test]
fn modlist_stub_evaluates_to_an_empty_module_list() {
    if !have_perl() {
        return;
    }
    let text = modlist_stub(&FileHeader::at(UNIX_EPOCH));
    // CPAN.pm rd_modlist: skip the header to the first blank line, Safe->reval the rest plus the data call.
    let script = r#"
        use Safe;
        local $/; my $all = <STDIN>;
        my ($header, $body) = split /\n\s*\n/, $all, 2;
        die "Date header" unless $header =~ /^Date:\s+\w+, \d\d \w+ \d{4} \d\d:\d\d:\d\d GMT$/m;
        my $comp = Safe->new("CPAN::Safe1");
        my $ret = $comp->reval($body . "\nCPAN::Modulelist->data;");
        die "reval: $@" if $@;
        die "not a hash" unless ref $ret eq 'HASH';
        print scalar(keys %$ret), "\n";
    "#;
    assert_eq!(run_perl(script, &[], &text), "0\n");
}
