//! `riverpan testers beforemaintrelease` and `riverpan testers report`, run as a user would:
//! the result file is read back with Perl's JSON::PP (what andk's own tools use) and its
//! counts are checked against a recount of the stored reports.

use std::collections::BTreeMap;
use std::error::Error;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

type TestResult = Result<(), Box<dyn Error>>;

const RIVERPAN: &str = env!("CARGO_BIN_EXE_riverpan");

fn riverpan(data: &Path, args: &[&str]) -> Result<Output, Box<dyn Error>> {
    let output = Command::new(RIVERPAN)
        .env_remove("RIVERPAN_DATA")
        .env_remove("RIVERPAN_CONFIG")
        .arg("--data")
        .arg(data)
        .args(args)
        .output()?;
    Ok(output)
}

fn ok(output: Output) -> Result<String, Box<dyn Error>> {
    let stdout = String::from_utf8(output.stdout)?;
    if !output.status.success() {
        return Err(format!(
            "riverpan failed: {stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    Ok(stdout)
}

/// Reads a result file with JSON::PP and prints what a consumer sees: the perls, the report
/// count on the new perl, `totalrcdists`, and per candidate `dist version perl grade count`.
const PERL_READER: &str = r#"
use strict; use warnings; use JSON::PP;
open my $fh, '<', $ARGV[0] or die "$ARGV[0]: $!";
my $data = JSON::PP->new->decode(do { local $/; <$fh> });
die "no !ALL" unless ref $data->{'!ALL'} eq 'HASH';
die "no !CAND" unless ref $data->{'!CAND'} eq 'HASH';
my $all = $data->{'!ALL'};
my ($old, $new) = @{ $all->{perls} };
print "perls $old $new\n";
print "on_new $all->{$new}\n";
print "totalrcdists $all->{totalrcdists}\n";
print "datetime $all->{datetime}\n";
for my $dist (sort keys %{ $data->{'!CAND'} }) {
    for my $version (sort keys %{ $data->{'!CAND'}{$dist} }) {
        my $perls = $data->{'!CAND'}{$dist}{$version};
        die "$dist $version lacks a perl" unless exists $perls->{$old} && exists $perls->{$new};
        for my $perl ($old, $new) {
            print "cand $dist $version $perl $_ $perls->{$perl}{$_}\n" for sort keys %{ $perls->{$perl} };
        }
    }
}
"#;

/// The lines [`PERL_READER`] should print, recounted from `testers_reports` (not from the
/// summary table the command reads).
fn recount(data: &Path, old: &str, new: &str) -> Result<Vec<String>, Box<dyn Error>> {
    let conn = riverpan_testers::store::open(data)?;
    let mut stmt = conn.prepare(
        "SELECT dist, version, perl, grade, COUNT(*) FROM testers_reports
         WHERE prereq_failure = 0 AND perl IN (?1, ?2) GROUP BY dist, version, perl, grade",
    )?;
    // (dist, version) -> perl -> grade -> n
    type Grades = BTreeMap<String, i64>;
    let mut per: BTreeMap<(String, String), BTreeMap<String, Grades>> = BTreeMap::new();
    let rows = stmt.query_map([old, new], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, i64>(4)?,
        ))
    })?;
    for row in rows {
        let (dist, version, perl, grade, n) = row?;
        *per.entry((dist, version))
            .or_default()
            .entry(perl)
            .or_default()
            .entry(grade)
            .or_default() += n;
    }
    let count = |g: &BTreeMap<String, Grades>, perl: &str, grade: &str| {
        g.get(perl).and_then(|m| m.get(grade)).copied().unwrap_or(0)
    };
    let on_new: i64 = per
        .values()
        .flat_map(|g| g.get(new))
        .flat_map(|m| m.values())
        .sum();
    let total = per.values().filter(|g| g.contains_key(new)).count();
    let mut lines = vec![
        format!("perls {old} {new}"),
        format!("on_new {on_new}"),
        format!("totalrcdists {total}"),
    ];
    for ((dist, version), g) in &per {
        let (ps, fs) = (count(g, old, "pass"), count(g, old, "fail"));
        let (pn, fnew) = (count(g, new, "pass"), count(g, new, "fail"));
        // andk's rules: some pass, some fail, and not all four figures non-zero.
        let candidate =
            (ps > 0 || pn > 0) && (fs > 0 || fnew > 0) && !(ps > 0 && fs > 0 && pn > 0 && fnew > 0);
        if !candidate {
            continue;
        }
        for perl in [old, new] {
            for (grade, n) in g.get(perl).into_iter().flatten() {
                lines.push(format!("cand {dist} {version} {perl} {grade} {n}"));
            }
        }
    }
    Ok(lines)
}

fn read_with_perl(file: &Path) -> Result<Option<Vec<String>>, Box<dyn Error>> {
    let output = match Command::new("perl")
        .args(["-e", PERL_READER])
        .arg(file)
        .output()
    {
        Ok(output) => output,
        Err(e) => {
            eprintln!("skipping the JSON::PP check: no perl ({e})");
            return Ok(None);
        }
    };
    assert!(
        output.status.success(),
        "JSON::PP could not read {}: {}",
        file.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(Some(
        String::from_utf8(output.stdout)?
            .lines()
            .map(str::to_string)
            .collect(),
    ))
}

#[test]
fn beforemaintrelease_writes_andks_files() -> TestResult {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let out = dir.path().join("out");
    ok(riverpan(
        &data,
        &[
            "testers", "generate", "6000", "--dists", "80", "--seed", "11",
        ],
    )?)?;

    // Defaults: the latest stable and development perls of the data.
    let written: Value = serde_json::from_str(&ok(riverpan(
        &data,
        &[
            "testers",
            "beforemaintrelease",
            "--output",
            out.to_str().ok_or("path")?,
            "--json",
        ],
    )?)?)?;
    let (old, new) = (
        written["old"].as_str().ok_or("old")?.to_string(),
        written["new"].as_str().ok_or("new")?.to_string(),
    );
    assert_eq!((old.as_str(), new.as_str()), ("5.42.0", "5.43.9"));
    let result = out.join(format!("result-{old}:{new}.json"));
    assert_eq!(written["result"], result.display().to_string());
    let text = std::fs::read_to_string(&result)?;
    // andk's layout: JSON::XS canonical pretty, three-space indent, no space after ':'.
    assert!(
        text.starts_with(&format!("{{\n   \"!ALL\":{{\n      \"{new}\":")),
        "{}",
        &text[..text.len().min(200)]
    );
    assert!(text.ends_with("}\n"));
    let datetime = written["datetime"].as_str().ok_or("datetime")?.to_string();
    assert_eq!(
        datetime.len(),
        19,
        "YYYY-MM-DDTHH:MM:SS, no zone: {datetime}"
    );

    let expected = recount(&data, &old, &new)?;
    assert!(
        expected.iter().filter(|l| l.starts_with("cand ")).count() > 5,
        "the generated data has candidates: {expected:?}"
    );
    if let Some(mut seen) = read_with_perl(&result)? {
        assert!(seen.contains(&format!("datetime {datetime}")));
        seen.retain(|l| !l.starts_with("datetime "));
        assert_eq!(seen, expected);
    }
    let candidates = expected
        .iter()
        .filter_map(|l| l.strip_prefix("cand "))
        .map(|l| l.split(' ').take(2).collect::<Vec<_>>())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    assert_eq!(written["candidates"], candidates);

    // A second pair: its own result file, and overview.json keeps the first pair.
    let other = ok(riverpan(
        &data,
        &[
            "testers",
            "beforemaintrelease",
            "--old",
            "5.40.0",
            "--new",
            &new,
            "--output",
            out.to_str().ok_or("path")?,
        ],
    )?)?;
    assert!(other.starts_with("wrote "), "{other}");
    assert!(out.join(format!("result-5.40.0:{new}.json")).is_file());
    let overview_text = std::fs::read_to_string(out.join("overview.json"))?;
    let overview: BTreeMap<String, String> = serde_json::from_str(&overview_text)?;
    assert_eq!(
        overview.keys().cloned().collect::<Vec<_>>(),
        vec![format!("5.40.0:{new}"), format!("{old}:{new}")]
    );
    assert_eq!(overview[&format!("{old}:{new}")], datetime);
    assert!(overview_text.contains(&format!("\n   \"{old}:{new}\":\"{datetime}\"")));
    // No temporary files are left behind.
    let mut names: Vec<String> = std::fs::read_dir(&out)?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_, _>>()?;
    names.sort();
    assert_eq!(
        names,
        vec![
            "overview.json".to_string(),
            format!("result-5.40.0:{new}.json"),
            format!("result-{old}:{new}.json"),
        ]
    );

    // An overview.json that is not an object is never overwritten.
    std::fs::write(out.join("overview.json"), "garbage")?;
    let refused = riverpan(
        &data,
        &[
            "testers",
            "beforemaintrelease",
            "--output",
            out.to_str().ok_or("path")?,
        ],
    )?;
    assert!(!refused.status.success());
    assert_eq!(
        std::fs::read_to_string(out.join("overview.json"))?,
        "garbage"
    );
    Ok(())
}

#[test]
fn report_prints_one_stored_report() -> TestResult {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    ok(riverpan(
        &data,
        &["testers", "generate", "20", "--dists", "3", "--seed", "5"],
    )?)?;
    let conn = riverpan_testers::store::open(&data)?;
    let (id, dist, grade): (String, String, String) = conn.query_row(
        "SELECT guid, dist, grade FROM testers_reports ORDER BY rowid_ LIMIT 1",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let stored = riverpan_testers::store::report_json(&conn, &id)?.ok_or("stored")?;

    let json: Value = serde_json::from_str(&ok(riverpan(
        &data,
        &["testers", "report", &id, "--json"],
    )?)?)?;
    assert_eq!(json, stored);

    let text = ok(riverpan(&data, &["testers", "report", &id])?)?;
    assert!(text.starts_with(&format!("id:        {id}\n")), "{text}");
    assert!(text.contains(&format!("\ndist:      {dist} ")), "{text}");
    assert!(text.contains(&format!("\ngrade:     {grade}\n")), "{text}");
    let body = stored["result"]["output"]["uncategorized"]
        .as_str()
        .ok_or("text")?;
    assert!(text.ends_with(&format!("\n\n{body}\n")), "{text}");

    let missing = riverpan(&data, &["testers", "report", "no-such-report"])?;
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no report no-such-report"));
    Ok(())
}

/// Stores `(dist, perl, grade, how many)` reports of version 1.0.
fn store_reports(data: &Path, reports: &[(&str, &str, &str, usize)]) -> TestResult {
    let mut conn = riverpan_testers::store::open(data)?;
    let mut batch = Vec::new();
    for (dist, perl, grade, n) in reports {
        for _ in 0..*n {
            let value = serde_json::json!({
                "id": format!("00000000-0000-4000-8000-{:012}", batch.len() + 1),
                "reporter": {"email": "smoker@example.org"},
                "environment": {
                    "language": {"name": "Perl 5", "version": perl, "archname": "x86_64-linux"},
                    "system": {"osname": "linux", "osversion": "6.1"},
                },
                "distribution": {"name": dist, "version": "1.0"},
                "result": {"grade": grade, "output": {"uncategorized": "t/basic.t .. ok"}},
            });
            batch.push(
                riverpan_testers::ingest::validate(&value)
                    .map_err(|e| format!("invalid fixture: {e:?}"))?,
            );
        }
    }
    riverpan_testers::ingest(&mut conn, &batch)?;
    Ok(())
}

#[test]
fn bbc_says_which_candidates_break_and_which_the_new_perl_fixed() -> TestResult {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    store_reports(
        &data,
        &[
            // Sorts first by name, yet fixed by the new perl: listed after the break.
            ("Aaa-Fixed", "5.42.0", "fail", 3),
            ("Aaa-Fixed", "5.43.9", "pass", 3),
            ("Zzz-Broken", "5.42.0", "pass", 2),
            ("Zzz-Broken", "5.43.9", "fail", 1),
            ("Mid-Mixed", "5.42.0", "pass", 1),
            ("Mid-Mixed", "5.42.0", "fail", 1),
        ],
    )?;
    let json: Value = serde_json::from_str(&ok(riverpan(&data, &["testers", "bbc", "--json"])?)?)?;
    let got: Vec<(&str, &str, bool)> = json["candidates"]
        .as_array()
        .ok_or("candidates")?
        .iter()
        .map(|c| {
            (
                c["dist"].as_str().unwrap_or_default(),
                c["verdict"].as_str().unwrap_or_default(),
                c["strong"].as_bool().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("Zzz-Broken", "breaks", true),
            ("Aaa-Fixed", "fixed", true),
            ("Mid-Mixed", "mixed", false),
        ]
    );

    let text = ok(riverpan(&data, &["testers", "bbc"])?)?;
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with(
            "# 3 candidates, old perl 5.42.0, new perl 5.43.9: 1 break, 1 fixed, 1 mixed"
        ),
        "{text}"
    );
    let headed: Vec<(&str, Option<&str>)> = lines
        .iter()
        .filter(|l| l.starts_with("## "))
        .map(|heading| {
            // The dist of the line under the heading.
            let at = lines.iter().position(|l| l == heading).unwrap_or(0);
            let under = lines
                .get(at + 1)
                .and_then(|l| l.split_whitespace().find(|word| word.contains('/')))
                .and_then(|name| name.split('/').nth(1));
            (*heading, under)
        })
        .collect();
    assert_eq!(
        headed,
        [
            ("## Breaks on 5.43.9 (1)", Some("Zzz-Broken-1.0")),
            ("## Fixed by 5.43.9 (1)", Some("Aaa-Fixed-1.0")),
            ("## Mixed results (1)", Some("Mid-Mixed-1.0")),
        ],
        "{text}"
    );
    assert!(
        text.contains("* ?/Zzz-Broken-1.0  old 2/0  new 0/1"),
        "{text}"
    );
    Ok(())
}
