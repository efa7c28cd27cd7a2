//! `riverpan list` and `riverpan uninstall`: the installed-distributions database of the
//! Lancaster consensus (`.meta/<distvname>/install.json`, as cpanm, cpm and `riverpan install`
//! write it) read and acted on.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use riverpan_install::{InstalledDist, LocalLib, Perl};

use crate::GlobalOptions;

/// List the installed distributions: the local lib's, then those of the perl's own @INC.
///
/// Reads the .meta/<distvname>/install.json records that cpanm, cpm and riverpan install
/// write (DIR/lib/perl5/<archname>/.meta for the local lib; <dir>/.meta or
/// <dir>/<archname>/.meta for each directory of the perl's @INC), stacked in @INC order.
/// Each entry says where it is installed, its main module, distvname, version and CPAN path,
/// and which of its packages an earlier @INC directory shadows (perl loads that one).
///
/// --json prints one JSON array of objects with the keys dist, dist_name, name, version,
/// pathname, location, local, provides (package -> version or null), shadowed.
///
/// Examples:
///   riverpan list
///   riverpan list -L /opt/app/local --local-only
///   riverpan list --json | jq -r '.[] | select(.local) | .dist'
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub(crate) struct ListArgs {
    /// The local lib: modules in DIR/lib/perl5 (as cpanm -L).
    #[arg(
        short = 'L',
        long = "local-lib",
        value_name = "DIR",
        default_value = "local"
    )]
    local_lib: PathBuf,
    /// The perl whose @INC is listed after the local lib.
    #[arg(long, value_name = "PATH", default_value = "perl")]
    perl: PathBuf,
    /// Only the local lib, not the perl's @INC.
    #[arg(long)]
    local_only: bool,
    /// One JSON array.
    #[arg(long)]
    json: bool,
}

/// Remove installed distributions from the local lib, through their .packlist.
///
/// DIST is a distvname (Foo-Bar-1.0), a distribution name (Foo-Bar) or its main module
/// (Foo::Bar). The files its .packlist names are removed (files only, never directories;
/// an entry outside DIR is reported and left alone), then the .packlist, its
/// .meta/<distvname> record and the directories left empty (never DIR itself or above).
/// Every record of the same main module goes with it (they share the .packlist).
///
/// A distribution that another installed distribution still requires at runtime (its
/// MYMETA.json), for a module nothing else in the local lib or the perl's vendor and core
/// directories provides, is not removed (nothing is): --force removes it anyway.
///
/// Examples:
///   riverpan uninstall Try-Tiny
///   riverpan uninstall -L /opt/app/local --dry-run Moo-2.005005
///   riverpan uninstall --force Role-Tiny
///
/// Exit status: 0 when every DIST was removed; 1 when one is not installed, is still needed
/// (nothing is removed then), or its .packlist names files outside DIR (the rest is removed).
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub(crate) struct UninstallArgs {
    /// The local lib: modules in DIR/lib/perl5 (as cpanm -L).
    #[arg(
        short = 'L',
        long = "local-lib",
        value_name = "DIR",
        default_value = "local"
    )]
    local_lib: PathBuf,
    /// The perl (its archname says where the .packlist is).
    #[arg(long, value_name = "PATH", default_value = "perl")]
    perl: PathBuf,
    /// Remove even what other installed distributions still require.
    #[arg(long)]
    force: bool,
    /// Print what would be removed and remove nothing.
    #[arg(long)]
    dry_run: bool,
    /// Distributions: Foo-Bar-1.0, Foo-Bar or Foo::Bar.
    #[arg(required = true, value_name = "DIST")]
    dists: Vec<String>,
}

/// `dir`, relative to the working directory when it is not absolute.
pub(crate) fn absolute(dir: &Path) -> anyhow::Result<PathBuf> {
    Ok(if dir.is_absolute() {
        dir.to_path_buf()
    } else {
        std::env::current_dir()?.join(dir)
    })
}

pub(crate) fn list(_globals: &GlobalOptions, args: &ListArgs) -> anyhow::Result<ExitCode> {
    let perl = Perl::probe(&args.perl)?;
    let local = LocalLib::new(&absolute(&args.local_lib)?, &perl);
    let inc = if args.local_only {
        Vec::new()
    } else {
        riverpan_install::perl_inc(&perl)?
    };
    let (installed, problems) =
        riverpan_install::list_installed(Some(&local), &inc, &perl.archname);
    for problem in &problems {
        eprintln!("riverpan: warning: {problem}");
    }
    if args.json {
        println!("{}", serde_json::to_string(&installed)?);
    } else if installed.is_empty() {
        eprintln!("riverpan: no installed distributions found");
    } else {
        print!("{}", table(&installed));
    }
    Ok(ExitCode::SUCCESS)
}

/// The human listing: an aligned table, a column per field, shadowed packages last.
fn table(installed: &[InstalledDist]) -> String {
    let header = ["DIST", "MODULE", "VERSION", "PATHNAME", "LOCATION"];
    let rows: Vec<[String; 5]> = installed
        .iter()
        .map(|d| {
            [
                d.dist.clone(),
                d.name.clone(),
                d.version.clone(),
                if d.pathname.is_empty() {
                    "-".to_string()
                } else {
                    d.pathname.clone()
                },
                d.location.display().to_string(),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: &[String], shadowed: &str| {
        let mut out = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() && shadowed.is_empty() {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:<width$}  ", width = widths[i]));
            }
        }
        out.push_str(shadowed);
        out.trim_end().to_string() + "\n"
    };
    let mut out = line(&header.map(str::to_string), "");
    for (row, dist) in rows.iter().zip(installed) {
        let shadowed = if dist.shadowed.is_empty() {
            String::new()
        } else {
            format!("shadowed: {}", dist.shadowed.join(", "))
        };
        out.push_str(&line(row, &shadowed));
    }
    out
}

pub(crate) fn uninstall(
    _globals: &GlobalOptions,
    args: &UninstallArgs,
) -> anyhow::Result<ExitCode> {
    let perl = Perl::probe(&args.perl)?;
    let base = absolute(&args.local_lib)?;
    if !base.is_dir() {
        anyhow::bail!("no local lib at {}", base.display());
    }
    let local = LocalLib::new(&base, &perl);
    let outcome = riverpan_install::plan_uninstall(&local, &perl, &args.dists)
        .context("riverpan uninstall")?;
    for problem in &outcome.problems {
        eprintln!("riverpan: warning: {problem}");
    }
    if !outcome.unknown.is_empty() {
        eprintln!(
            "riverpan: not installed in {}: {} (nothing removed)",
            base.display(),
            outcome.unknown.join(", ")
        );
        return Ok(ExitCode::FAILURE);
    }
    if !outcome.blockers.is_empty() && !args.force {
        // One line per distribution that is still needed.
        let mut by_dist: Vec<(String, Vec<String>)> = Vec::new();
        for blocker in &outcome.blockers {
            let need = if blocker.requirement == "0" {
                format!("{} ({})", blocker.needed_by, blocker.module)
            } else {
                format!(
                    "{} ({} {})",
                    blocker.needed_by, blocker.module, blocker.requirement
                )
            };
            match by_dist.iter_mut().find(|(d, _)| *d == blocker.dist) {
                Some((_, needs)) => needs.push(need),
                None => by_dist.push((blocker.dist.clone(), vec![need])),
            }
        }
        for (dist, needs) in by_dist {
            eprintln!(
                "riverpan: {dist} is still needed by {}: nothing removed (--force removes it anyway)",
                needs.join(", ")
            );
        }
        return Ok(ExitCode::FAILURE);
    }
    for blocker in &outcome.blockers {
        eprintln!(
            "riverpan: warning: removing {} although {} requires {} (--force)",
            blocker.dist, blocker.needed_by, blocker.module
        );
    }
    let mut failed = false;
    for plan in &outcome.plans {
        let dists = plan.dists.join(", ");
        for (entry, why) in &plan.refused {
            eprintln!("riverpan: {dists}: left alone: {} ({why})", entry.display());
            failed = true;
        }
        if plan.packlist.is_none() {
            if let Some(expected) = &plan.packlist_expected {
                eprintln!(
                    "riverpan: {dists}: no .packlist at {}: only its .meta record is removed",
                    expected.display()
                );
            }
        }
        if args.dry_run {
            println!("would remove {dists}:");
            for path in plan
                .files
                .iter()
                .chain(plan.packlist.iter())
                .chain(plan.meta_dirs.iter())
            {
                println!("  {}", path.display());
            }
            continue;
        }
        riverpan_install::execute_uninstall(&local, plan)
            .with_context(|| format!("removing {dists}"))?;
        println!(
            "removed: {dists} ({} file{})",
            plan.files.len(),
            if plan.files.len() == 1 { "" } else { "s" }
        );
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
