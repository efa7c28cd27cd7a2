//! The static install (`x_static_install: 1`, CPAN::Static::Spec version 1), done here without
//! running `Build.PL`: what Module::Build::Tiny's `Build` does for such a distribution, as cpm's
//! and Menlo's static builders do. Configure writes `MYMETA` from `META`; build copies `lib/`'s
//! `.pm`/`.pod` files to `blib/lib`, `script/*` to `blib/script` (its `#!perl` line pointing at
//! the perl that builds it), `share/` to `blib/lib/auto/share/dist/<Dist>` and
//! `module-share/<Mod-Name>/` to `blib/lib/auto/share/module/<Mod-Name>`; test runs
//! `TAP::Harness::Env` over `t/**/*.t` with `blib/arch` and `blib/lib`.

use std::path::Path;
use std::time::Instant;

use crate::work::{files_below, StepOutput};
use crate::InstallError;

/// Whether META opts in: `x_static_install` is `1`, the only version of the spec (a later,
/// unknown version is not installed statically, as the spec asks).
pub fn opts_in(meta: &cpan_meta::CpanMeta) -> bool {
    meta.extensions
        .get("x_static_install")
        .and_then(cpan_meta::RawValue::as_perl_string)
        .is_some_and(|value| value.trim() == "1")
}

/// Configure: `MYMETA.json`/`MYMETA.yml` are META's (a static distribution's prerequisites
/// are not computed at configure time).
pub fn configure(root: &Path) -> Result<StepOutput, InstallError> {
    let started = Instant::now();
    let mut log = String::new();
    for (meta, mymeta) in [("META.json", "MYMETA.json"), ("META.yml", "MYMETA.yml")] {
        if root.join(meta).is_file() {
            std::fs::copy(root.join(meta), root.join(mymeta))
                .map_err(InstallError::io(format!("writing {mymeta}")))?;
            log.push_str(&format!("static install: {meta} -> {mymeta}\n"));
        }
    }
    Ok(StepOutput {
        success: true,
        log,
        elapsed: started.elapsed(),
        exit_code: Some(0),
        timed_out: false,
    })
}

/// Build: fill `blib/` from `lib/`, `script/`, `share/` and `module-share/`.
pub fn build(root: &Path, dist_name: &str, perl: &Path) -> Result<StepOutput, InstallError> {
    let started = Instant::now();
    let mut log = String::new();
    let blib = root.join("blib");
    for dir in ["lib", "arch", "script"] {
        std::fs::create_dir_all(blib.join(dir))
            .map_err(InstallError::io(format!("creating blib/{dir}")))?;
    }
    let mut copied = 0usize;
    for file in files_below(&root.join("lib")) {
        let name = file.to_string_lossy();
        if name.ends_with(".pm") || name.ends_with(".pod") {
            copy_file(&root.join("lib").join(&file), &blib.join("lib").join(&file))?;
            copied += 1;
        }
    }
    let share = blib.join("lib/auto/share");
    for file in files_below(&root.join("share")) {
        copy_file(
            &root.join("share").join(&file),
            &share.join("dist").join(dist_name).join(&file),
        )?;
        copied += 1;
    }
    for file in files_below(&root.join("module-share")) {
        copy_file(
            &root.join("module-share").join(&file),
            &share.join("module").join(&file),
        )?;
        copied += 1;
    }
    let scripts = root.join("script");
    if scripts.is_dir() {
        let entries = std::fs::read_dir(&scripts).map_err(InstallError::io("reading script/"))?;
        for entry in entries.flatten() {
            if !entry.file_type().is_ok_and(|kind| kind.is_file()) {
                continue;
            }
            let target = blib.join("script").join(entry.file_name());
            let bytes =
                std::fs::read(entry.path()).map_err(InstallError::io("reading a script"))?;
            std::fs::write(&target, fix_shebang(&bytes, perl))
                .map_err(InstallError::io(format!("writing {}", target.display())))?;
            make_executable(&target)?;
            copied += 1;
        }
    }
    log.push_str(&format!("static install: {copied} files into blib\n"));
    Ok(StepOutput {
        success: true,
        log,
        elapsed: started.elapsed(),
        exit_code: Some(0),
        timed_out: false,
    })
}

/// Test: perl's arguments to run `TAP::Harness::Env` over the sorted `t/**/*.t` (none: the
/// harness says so, and the step passes with "No tests" as Module::Build::Tiny's does).
pub fn test_arguments(root: &Path) -> Result<Vec<String>, InstallError> {
    const HARNESS: &str = "use strict; use TAP::Harness::Env; use File::Spec; \
        my $harness = TAP::Harness::Env->create({ verbosity => 0, \
          lib => [ map { File::Spec->rel2abs(File::Spec->catdir('blib', $_)) } qw(arch lib) ] }); \
        if (!@ARGV) { print \"No tests defined\\n\"; exit 0 } \
        exit($harness->runtests(@ARGV)->has_errors ? 1 : 0);";
    let mut tests: Vec<String> = files_below(&root.join("t"))
        .into_iter()
        .filter(|file| file.extension().is_some_and(|ext| ext == "t"))
        .map(|file| Path::new("t").join(file).to_string_lossy().into_owned())
        .collect();
    tests.sort();
    let mut arguments = vec!["-e".to_string(), HARNESS.to_string()];
    arguments.extend(tests);
    Ok(arguments)
}

/// The first line `#!…perl…` runs `perl` instead (with the same switches), as ExtUtils's
/// `fixin` does when a script is installed.
pub fn fix_shebang(bytes: &[u8], perl: &Path) -> Vec<u8> {
    let end = bytes
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(bytes.len());
    let first = String::from_utf8_lossy(&bytes[..end]);
    let Some(command) = first.strip_prefix("#!") else {
        return bytes.to_vec();
    };
    let mut words = command.trim().splitn(2, char::is_whitespace);
    let interpreter = words.next().unwrap_or("");
    let switches = words.next().unwrap_or("").trim();
    let runs_perl = Path::new(interpreter)
        .file_name()
        .is_some_and(|name| name.to_string_lossy().starts_with("perl"))
        || (interpreter.ends_with("/env") && switches.starts_with("perl"));
    if !runs_perl {
        return bytes.to_vec();
    }
    let switches = if interpreter.ends_with("/env") {
        switches
            .split_once(char::is_whitespace)
            .map_or("", |(_, rest)| rest.trim())
    } else {
        switches
    };
    let mut fixed = format!("#!{}", perl.display());
    if !switches.is_empty() {
        fixed.push(' ');
        fixed.push_str(switches);
    }
    let mut out = fixed.into_bytes();
    out.extend_from_slice(&bytes[end..]);
    out
}

#[cfg(unix)]
fn make_executable(path: &Path) -> Result<(), InstallError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(InstallError::io(format!("chmod {}", path.display())))
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) -> Result<(), InstallError> {
    Ok(())
}

fn copy_file(from: &Path, to: &Path) -> Result<(), InstallError> {
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir)
            .map_err(InstallError::io(format!("creating {}", dir.display())))?;
    }
    std::fs::copy(from, to).map_err(InstallError::io(format!("copying {}", from.display())))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shebang_lines_are_pointed_at_the_perl() {
        let perl = Path::new("/opt/perl/bin/perl");
        let fixed = |text: &str| String::from_utf8(fix_shebang(text.as_bytes(), perl)).unwrap();
        assert_eq!(
            fixed("#!perl\nprint 1;\n"),
            "#!/opt/perl/bin/perl\nprint 1;\n"
        );
        assert_eq!(
            fixed("#!/usr/bin/perl -w\n1;"),
            "#!/opt/perl/bin/perl -w\n1;"
        );
        assert_eq!(
            fixed("#!/usr/bin/env perl -T\n"),
            "#!/opt/perl/bin/perl -T\n"
        );
        assert_eq!(fixed("#!/bin/sh\necho\n"), "#!/bin/sh\necho\n");
        assert_eq!(fixed("no shebang\n"), "no shebang\n");
        assert_eq!(fixed("#!perl"), "#!/opt/perl/bin/perl");
    }

    #[test]
    fn the_static_build_fills_blib() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for (path, text) in [
            ("lib/Foo/Bar.pm", "package Foo::Bar; 1;"),
            ("lib/Foo/Bar.pod", "=head1 NAME"),
            ("lib/Foo/notes.txt", "not a module"),
            ("script/foo-bar", "#!perl\nuse Foo::Bar;\n"),
            ("share/data/x.txt", "x"),
            ("module-share/Foo-Bar/y.txt", "y"),
            ("t/b.t", ""),
            ("t/a.t", ""),
            ("t/sub/c.t", ""),
            ("t/lib/Helper.pm", ""),
        ] {
            copy_file_text(root, path, text);
        }
        std::fs::write(root.join("META.json"), "{}").unwrap();
        assert!(configure(root).unwrap().success);
        assert!(root.join("MYMETA.json").is_file());
        let output = build(root, "Foo-Bar", Path::new("/usr/bin/perl")).unwrap();
        assert!(output.success);
        let blib = root.join("blib");
        assert!(blib.join("lib/Foo/Bar.pm").is_file());
        assert!(blib.join("lib/Foo/Bar.pod").is_file());
        assert!(!blib.join("lib/Foo/notes.txt").exists());
        assert!(blib
            .join("lib/auto/share/dist/Foo-Bar/data/x.txt")
            .is_file());
        assert!(blib.join("lib/auto/share/module/Foo-Bar/y.txt").is_file());
        assert!(blib.join("arch").is_dir());
        let script = std::fs::read_to_string(blib.join("script/foo-bar")).unwrap();
        assert!(script.starts_with("#!/usr/bin/perl\n"), "{script}");
        let arguments = test_arguments(root).unwrap();
        assert_eq!(arguments[2..], ["t/a.t", "t/b.t", "t/sub/c.t"]);
    }

    fn copy_file_text(root: &Path, path: &str, text: &str) {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}
