//! `perl -V` read from a captured copy (Debian 12's perl 5.36.0) and from this machine's perl,
//! checked against perl's own `%Config` and against `Config::Perl::V::plv2hash` (core since
//! perl 5.16), which the CPAN Testers clients use for the same text.

use std::process::Command;

use cpan_reporter::PerlIdentity;
use serde_json::Value;

const DEBIAN_5_36: &str = include_str!("fixtures/perl-V-5.36.0-debian12.txt");

fn perl(args: &[&str], stdin: Option<&str>) -> Option<String> {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = Command::new("perl")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let input = stdin.unwrap_or_default().to_string();
    let mut pipe = child.stdin.take()?;
    pipe.write_all(input.as_bytes()).ok()?;
    drop(pipe);
    let out = child.wait_with_output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn captured_debian_perl() {
    let p = PerlIdentity::parse(DEBIAN_5_36).unwrap();
    assert_eq!(p.version, "5.36.0");
    assert_eq!(p.numbers, (5, 36, 0));
    assert_eq!(p.report_version(), "5.36.0");
    assert_eq!(p.osname, "linux");
    assert_eq!(p.osvers, "4.19.0");
    assert_eq!(p.archname, "x86_64-linux-gnu-thread-multi");
    assert!(p.useithreads() && p.usemultiplicity() && p.use64bitint() && p.use64bitall());
    assert!(!p.uselongdouble() && !p.usequadmath() && !p.usemymalloc());
    assert!(p.useshrplib());
    assert_eq!(p.get("cc"), Some("x86_64-linux-gnu-gcc"));
    assert_eq!(p.get("gccversion"), Some("12.2.0"));
    assert_eq!(p.get("ivsize"), Some("8"));
    assert_eq!(
        p.get("libpth"),
        Some("/usr/local/lib /usr/lib/x86_64-linux-gnu /usr/lib /lib/x86_64-linux-gnu /lib")
    );
    assert!(p.get("config_args").is_some_and(
        |a| a.starts_with("-Dmksymlinks -Dusethreads") && a.ends_with("libperl.so.5.36.0")
    ));
    assert!(p.compile_time_options.iter().any(|o| o == "USE_ITHREADS"));
    assert!(p.local_patches.len() > 40);
    assert!(p.local_patches[0].starts_with("DEBPKG:debian/cpan_definstalldirs"));
    assert_eq!(p.built_under.as_deref(), Some("linux"));
    assert!(p.compiled_at.is_some());
    assert_eq!(p.inc.first().map(String::as_str), Some("/etc/perl"));
    assert_eq!(p.patch, None);
    assert_eq!(p.text, DEBIAN_5_36);
}

/// Our reading of `text` against `Config::Perl::V::plv2hash`'s, for the settings its
/// `summary` reports (the ones that identify a perl) and every other key both have.
fn agrees_with_config_perl_v(text: &str) {
    let Some(json) = perl(
        &[
            "-MConfig::Perl::V",
            "-MJSON::PP",
            "-e",
            "local $/; my $h = Config::Perl::V::plv2hash(<STDIN>); print JSON::PP->new->canonical->encode($h->{config})",
        ],
        Some(text),
    ) else {
        eprintln!("SKIPPED: Config::Perl::V is not available");
        return;
    };
    let theirs: Value = serde_json::from_str(&json).unwrap();
    let ours = PerlIdentity::parse(text).unwrap();
    let mut differ = Vec::new();
    for (key, value) in &ours.config {
        if let Some(t) = theirs.get(key).and_then(Value::as_str) {
            if t != value {
                differ.push(format!("{key}: ours {value:?}, Config::Perl::V {t:?}"));
            }
        }
    }
    for key in [
        "osname",
        "osvers",
        "archname",
        "useithreads",
        "uselongdouble",
        "config_args",
        "cc",
        "gccversion",
        "ivsize",
        "nvsize",
    ] {
        if ours.get(key) != theirs.get(key).and_then(Value::as_str) {
            differ.push(format!(
                "{key}: ours {:?}, Config::Perl::V {:?}",
                ours.get(key),
                theirs.get(key)
            ));
        }
    }
    assert_eq!(theirs["version"].as_str(), Some(ours.version.as_str()));
    assert!(differ.is_empty(), "{}", differ.join("\n"));
    assert!(ours.config.len() > 50, "{}", ours.config.len());
}

#[test]
fn captured_copy_agrees_with_config_perl_v() {
    agrees_with_config_perl_v(DEBIAN_5_36);
}

#[test]
fn this_machines_perl() {
    let Some(text) = perl(&["-V"], None) else {
        eprintln!("SKIPPED: no perl on PATH");
        return;
    };
    let p = PerlIdentity::parse(&text).unwrap();
    // perl's own %Config says the same.
    let config = perl(
        &[
            "-MConfig",
            "-e",
            "print join qq{\\n}, $^V =~ s/^v//r, map { $Config{$_} // q{} } qw(osname osvers archname useithreads uselongdouble use64bitint)",
        ],
        None,
    )
    .unwrap();
    let c: Vec<&str> = config.lines().collect();
    assert_eq!(p.version, c[0]);
    assert_eq!(p.osname, c[1]);
    assert_eq!(p.osvers, c[2]);
    assert_eq!(p.archname, c[3]);
    assert_eq!(p.useithreads(), c[4] == "define");
    assert_eq!(p.uselongdouble(), c[5] == "define");
    assert_eq!(p.use64bitint(), c[6] == "define");
    agrees_with_config_perl_v(&text);
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn on_arbitrary_text(text in any::<String>()) {
            let _ = PerlIdentity::parse(&text);
        }

        /// Lines of the real output, shuffled, cut and with junk between them.
        #[test]
        fn on_damaged_perl_v(
            picks in prop::collection::vec((0usize..200, 0usize..200, "[ -~']{0,12}"), 0..60),
        ) {
            let lines: Vec<&str> = DEBIAN_5_36.lines().collect();
            let mut text = String::from("Summary of my perl5 (revision 5 version 36 subversion 0) configuration:\n");
            for (line, cut, junk) in picks {
                let l = lines[line % lines.len()];
                let mut end = cut.min(l.len());
                while !l.is_char_boundary(end) {
                    end -= 1;
                }
                text.push_str(&l[..end]);
                text.push_str(&junk);
                text.push('\n');
            }
            if let Ok(p) = PerlIdentity::parse(&text) {
                prop_assert!(!p.archname.is_empty());
                prop_assert_eq!(p.version, "5.36.0");
            }
        }
    }
}
