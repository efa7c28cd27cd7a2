//! riverpan against `Parse::CPAN::Meta` / `CPAN::Meta` on every META file of the corpus.

mod common;

use common::*;
use std::path::{Path, PathBuf};

fn meta_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            meta_files(&path, out);
        } else if kind.is_file()
            && matches!(
                path.file_name().and_then(|n| n.to_str()),
                Some("META.json" | "META.yml")
            )
        {
            out.push(path);
        }
    }
}

#[test]
fn corpus_meta_files_match_perl() {
    if perl_skipped() {
        return;
    }
    let Some(dir) = corpus_dir() else { return };
    let mut files = Vec::new();
    meta_files(&dir, &mut files);
    files.sort();
    if files.is_empty() {
        eprintln!("the corpus has no META files: skipping");
        return;
    }
    // Paths with a tab or newline cannot be sent to the oracle; none are expected.
    files.retain(|f| f.to_str().is_some_and(|s| !s.contains(['\t', '\n'])));
    let requests: Vec<String> = files
        .iter()
        .map(|f| format!("f\t{}", f.display()))
        .collect();
    let answers = with_oracle(|o| o.batch(&requests));

    let (mut raw_agree, mut conv_agree, mut conv_both_ok) = (0usize, 0usize, 0usize);
    let (mut perl_raw_ok, mut perl_conv_ok) = (0usize, 0usize);
    let mut raw_mismatches = Vec::new();
    let mut conv_mismatches = Vec::new();
    for (file, answer) in files.iter().zip(&answers) {
        let bytes = std::fs::read(file).unwrap();
        let name = file.file_name().unwrap().to_str().unwrap();
        let theirs = parse_answer(answer);
        let mine = ours(cpan_meta::parse_file_content(name, &bytes));
        perl_raw_ok += usize::from(theirs.0.is_ok());
        perl_conv_ok += usize::from(theirs.1.is_ok());
        if same(&theirs.0, &mine.0) {
            raw_agree += 1;
        } else {
            raw_mismatches.push(format!(
                "{}\n    perl: {}\n    ours: {}",
                file.display(),
                describe(&theirs.0),
                describe(&mine.0)
            ));
        }
        if theirs.0.is_ok() && mine.0.is_ok() {
            conv_both_ok += 1;
            if same(&theirs.1, &mine.1) {
                conv_agree += 1;
            } else {
                conv_mismatches.push(format!(
                    "{}\n    perl: {}\n    ours: {}",
                    file.display(),
                    describe(&theirs.1),
                    describe(&mine.1)
                ));
            }
        }
    }
    let total = files.len();
    println!("META files: {total} (Perl: {perl_raw_ok} parse, {perl_conv_ok} convert)");
    println!(
        "raw agreement: {raw_agree}/{total} ({:.3}%)",
        100.0 * raw_agree as f64 / total as f64
    );
    println!(
        "converted agreement (where both parsed): {conv_agree}/{conv_both_ok} ({:.3}%)",
        100.0 * conv_agree as f64 / conv_both_ok.max(1) as f64
    );
    for m in &raw_mismatches {
        println!("RAW MISMATCH {m}");
    }
    for m in conv_mismatches.iter().take(200) {
        println!("CONVERSION MISMATCH {m}");
    }
    assert!(
        raw_agree as f64 >= 0.995 * total as f64,
        "raw agreement below 99.5%"
    );
    assert!(
        conv_agree as f64 >= 0.99 * conv_both_ok as f64,
        "conversion agreement below 99%"
    );
}
