//! The repository commands: `init`, `user`, `perms`, `upload`, `import`, `index`, `report`. A
//! stable scripting interface: exit status 0 when the command did what was asked (an upload whose
//! packages were refused was still accepted), non-zero with a message when it was refused.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use riverpan_indexer::Policy;
use riverpan_repository::{MailConfig, Repository, UploadPrecheck};
use riverpan_store::AuthorRecord;

use crate::config;
use crate::GlobalOptions;

/// Create or configure the repository in the data directory.
#[derive(Debug, Args)]
#[command(after_help = "\
Policies:
  proposed  (default for a new repository) the \"proposed future behaviour\" of PAUSE's indexing
            document: the dist-name permission is checked first, permissions are assigned for
            developer releases too, x_private packages in provides are not indexed, a report is
            sent only when something was logged or rolled back.
  pause     what PAUSE does today, exactly.

Examples:
  riverpan --data /srv/cpan init
  riverpan --data /srv/cpan init --policy pause --upload-precheck refuse")]
pub(crate) struct InitArgs {
    /// The indexing policy.
    #[arg(long, value_parser = ["pause", "proposed"])]
    policy: Option<String>,
    /// Refuse (or warn about) an upload before storing it when the uploader has no permission on
    /// the package named after the distribution.
    #[arg(long, value_parser = ["off", "warn", "refuse"])]
    upload_precheck: Option<String>,
}

/// Manage authors (PAUSE ids).
#[derive(Debug, Args)]
pub(crate) struct UserArgs {
    #[command(subcommand)]
    command: UserCommand,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Register an author (or update its name and address).
    Add {
        /// The PAUSE id (upper case).
        pauseid: String,
        /// Full name.
        #[arg(long)]
        name: Option<String>,
        /// Address (else PAUSEID@cpan.org is published).
        #[arg(long)]
        email: Option<String>,
        /// May upload perl itself.
        #[arg(long)]
        pumpking: bool,
    },
}

/// Grant, revoke and show upload permissions (06perms); manage them as an administrator
/// (co-maintainers, transfers, giving up, markers, per package or --dist; recorded and mailed),
/// and decide adoption requests.
#[derive(Debug, Args)]
pub(crate) struct PermsArgs {
    #[command(subcommand)]
    command: PermsCommand,
}

#[derive(Debug, Subcommand)]
enum PermsCommand {
    /// Give PAUSEID first-come (owner) or co-maint permission on PACKAGE.
    Grant {
        /// The package.
        package: String,
        /// The author.
        pauseid: String,
        /// First-come (primary maintainer).
        #[arg(long, conflicts_with = "comaint", required_unless_present = "comaint")]
        first_come: bool,
        /// Co-maintainer.
        #[arg(long)]
        comaint: bool,
    },
    /// Seed permissions from a 06perms file (`06perms.txt` or `.gz`, as PAUSE publishes it):
    /// every `package,userid,f|m|c` row granted in one transaction, unknown authors registered.
    Import {
        /// The 06perms file.
        file: PathBuf,
    },
    /// Take PAUSEID's permissions on PACKAGE away.
    Revoke {
        /// The package.
        package: String,
        /// The author.
        pauseid: String,
    },
    #[command(flatten)]
    Manage(crate::perms_cmd::ManageCommand),
    /// Who may upload PACKAGE (any case): f = first-come, c = co-maint.
    Show {
        /// JSON output: [{"package","userid","permission"}].
        #[arg(long)]
        json: bool,
        /// The package.
        package: String,
    },
}

/// Upload distributions as an author: store under authors/id/X/XX/PAUSEID/, index, publish.
#[derive(Debug, Args)]
#[command(after_help = "\
Exit status: 0 when every file was accepted (even if some packages were not indexed: the report
says why); 1 when a file was refused (a name used before, an unknown author, upload_precheck).")]
pub(crate) struct UploadArgs {
    /// The uploading author.
    #[arg(long = "as", value_name = "PAUSEID")]
    pauseid: String,
    /// Print the reports as JSON (one object per line).
    #[arg(long)]
    json: bool,
    /// The files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

/// Replay a CPAN-like authors/id/ tree as uploads, oldest file first.
#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// A CPAN mirror root (with authors/id/) or an authors/id directory.
    tree: PathBuf,
}

/// Check that the store and the CPAN tree agree: every upload's file is on disk with the size
/// and SHA-256 it was accepted with, every package of the index points at a live upload, every
/// file below authors/id/ is an upload, every author directory's CHECKSUMS lists its files.
/// Changes nothing; exits 1 when something disagrees.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  riverpan check                 # every problem, one per line
  riverpan check --quick --json  # sizes only (no hashing), as JSON")]
pub(crate) struct CheckArgs {
    /// Compare sizes only, without reading every file to hash it.
    #[arg(long)]
    quick: bool,
    /// Print the report as one JSON object.
    #[arg(long)]
    json: bool,
}

/// Index maintenance.
#[derive(Debug, Args)]
pub(crate) struct IndexArgs {
    /// Recompute the whole index from the upload history (byte-identical when nothing changed).
    #[arg(long, required = true)]
    rebuild: bool,
}

/// Show the indexer's report of an upload.
#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// JSON output.
    #[arg(long)]
    json: bool,
    /// The upload: X/XX/PAUSEID/File-1.0.tar.gz (or authors/id/...).
    file: String,
}

fn open(globals: &GlobalOptions) -> anyhow::Result<Repository> {
    let mut repository = Repository::open(&globals.data_dir)
        .with_context(|| format!("opening the repository in {}", globals.data_dir.display()))?;
    let loaded = config::load(globals)?;
    let relay = std::env::var("RIVERPAN_SMTP_RELAY")
        .ok()
        .or(loaded.file.mail.relay);
    if let Some(relay) = relay {
        let from = std::env::var("RIVERPAN_MAIL_FROM")
            .ok()
            .or(loaded.file.mail.from)
            .unwrap_or_else(|| "riverpan@localhost".to_string());
        let admin = std::env::var("RIVERPAN_MAIL_ADMIN")
            .ok()
            .or(loaded.file.mail.admin);
        repository.set_mail(Some(MailConfig { relay, from, admin }));
    }
    Ok(repository)
}

pub(crate) fn init(globals: &GlobalOptions, args: &InitArgs) -> anyhow::Result<ExitCode> {
    let repository = open(globals)?;
    if let Some(policy) = &args.policy {
        let policy: Policy = policy
            .parse()
            .map_err(|_| anyhow::anyhow!("unknown policy"))?;
        repository.set_policy(policy)?;
    } else if repository
        .store()
        .setting(riverpan_repository::settings::POLICY)?
        .is_none()
    {
        repository.set_policy(Policy::Proposed)?;
    }
    if let Some(precheck) = &args.upload_precheck {
        let precheck: UploadPrecheck = precheck.parse()?;
        repository.set_upload_precheck(precheck)?;
    }
    repository.publish()?;
    println!(
        "repository in {}: policy {}, upload_precheck {}",
        globals.data_dir.display(),
        repository.policy()?,
        repository.upload_precheck()?.as_str()
    );
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn user(globals: &GlobalOptions, args: &UserArgs) -> anyhow::Result<ExitCode> {
    let mut repository = open(globals)?;
    match &args.command {
        UserCommand::Add {
            pauseid,
            name,
            email,
            pumpking,
        } => {
            repository.add_author(&AuthorRecord {
                userid: pauseid.clone(),
                fullname: name.clone().unwrap_or_default(),
                email: email.clone(),
                pumpking: *pumpking,
            })?;
            println!("author {pauseid} registered");
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn perms(globals: &GlobalOptions, args: &PermsArgs) -> anyhow::Result<ExitCode> {
    let mut repository = open(globals)?;
    match &args.command {
        PermsCommand::Grant {
            package,
            pauseid,
            first_come,
            ..
        } => {
            repository.grant(package, pauseid, *first_come)?;
            let kind = if *first_come {
                "first-come"
            } else {
                "co-maint"
            };
            println!("{pauseid} has {kind} on {package}");
        }
        PermsCommand::Import { file } => {
            let rows = read_06perms(file)?;
            let applied = repository.import_permissions(&rows)?;
            println!("{applied} permissions imported from {}", file.display());
        }
        PermsCommand::Manage(command) => return crate::perms_cmd::run(&mut repository, command),
        PermsCommand::Revoke { package, pauseid } => {
            repository.revoke(package, pauseid)?;
            println!("{pauseid} has no permission on {package} any more");
        }
        PermsCommand::Show { json, package } => {
            let rows = repository.permissions(package)?;
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            if *json {
                let value: Vec<serde_json::Value> = rows
                    .iter()
                    .map(|(package, userid, kind)| {
                        serde_json::json!({"package": package, "userid": userid, "permission": kind.to_string()})
                    })
                    .collect();
                writeln!(out, "{}", serde_json::to_string(&value)?)?;
            } else if rows.is_empty() {
                writeln!(out, "nobody has permissions on {package}")?;
            } else {
                for (package, userid, kind) in rows {
                    writeln!(out, "{package},{userid},{kind}")?;
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn upload(globals: &GlobalOptions, args: &UploadArgs) -> anyhow::Result<ExitCode> {
    let mut repository = open(globals)?;
    let mut failed = false;
    let stdout = std::io::stdout();
    for file in &args.files {
        match repository.upload(&args.pauseid, file) {
            Ok(outcome) => {
                let mut out = stdout.lock();
                if args.json {
                    let value = serde_json::json!({
                        "upload_id": outcome.upload_id,
                        "path": outcome.path,
                        "precheck_warning": outcome.precheck_warning,
                        "subject": outcome.report.subject(),
                        "report": outcome.report,
                    });
                    writeln!(out, "{}", serde_json::to_string(&value)?)?;
                } else {
                    writeln!(out, "accepted: authors/id/{}", outcome.path)?;
                    if let Some(warning) = &outcome.precheck_warning {
                        writeln!(out, "WARNING: {warning}")?;
                    }
                    writeln!(out, "{}", outcome.report.subject())?;
                    writeln!(out, "{}", outcome.report.render_text())?;
                }
            }
            Err(error) => {
                failed = true;
                eprintln!("riverpan upload: {}: {error}", file.display());
            }
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

pub(crate) fn import(globals: &GlobalOptions, args: &ImportArgs) -> anyhow::Result<ExitCode> {
    let mut repository = open(globals)?;
    let bar = ProgressBar::new(0);
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} files {eta}") {
        bar.set_style(style);
    }
    let progress = |done: u64, total: u64| {
        bar.set_length(total);
        bar.set_position(done);
    };
    let summary = repository.import(&args.tree, &progress)?;
    bar.finish_and_clear();
    println!("imported {} files", summary.uploaded);
    for skipped in &summary.skipped {
        eprintln!("skipped: {skipped}");
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn check(globals: &GlobalOptions, args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let repository = open(globals)?;
    let report = repository.check(args.quick)?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        for problem in &report.problems {
            println!("{}\t{}\t{}", problem.kind, problem.path, problem.detail);
        }
        eprintln!(
            "{} uploads, {} files: {}",
            report.uploads,
            report.files,
            match report.problems.len() {
                0 => "the store and the CPAN tree agree".to_string(),
                n => format!("{n} problem(s)"),
            }
        );
    }
    Ok(if report.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

pub(crate) fn index(globals: &GlobalOptions, args: &IndexArgs) -> anyhow::Result<ExitCode> {
    let mut repository = open(globals)?;
    if args.rebuild {
        let count = repository.rebuild()?;
        println!("rebuilt the index from {count} uploads");
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn report(globals: &GlobalOptions, args: &ReportArgs) -> anyhow::Result<ExitCode> {
    let repository = open(globals)?;
    let Some(report) = repository.report(&args.file)? else {
        eprintln!("riverpan report: no upload {}", args.file);
        return Ok(ExitCode::FAILURE);
    };
    if args.json {
        println!("{}", report.json);
    } else {
        println!("Subject: {}\n\n{}", report.subject, report.text);
    }
    Ok(ExitCode::SUCCESS)
}

/// The rows of a 06perms file: after the header's blank line, `package,userid,perm`; `f` and
/// `m` are first-come, `c` co-maint.
fn read_06perms(file: &std::path::Path) -> anyhow::Result<Vec<(String, String, bool)>> {
    use std::io::Read;
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let mut text = String::new();
    if bytes.starts_with(&[0x1f, 0x8b]) {
        flate2::read::GzDecoder::new(bytes.as_slice())
            .take(1 << 30)
            .read_to_string(&mut text)
            .with_context(|| format!("decompressing {}", file.display()))?;
    } else {
        text = String::from_utf8_lossy(&bytes).into_owned();
    }
    // PAUSE's header ends at the first blank line; a file without one is all rows.
    let body = text
        .split_once("\n\n")
        .map_or(text.as_str(), |(_, rows)| rows);
    let mut rows = Vec::new();
    for (number, line) in body.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').collect();
        let [package, userid, perm] = fields.as_slice() else {
            anyhow::bail!(
                "{}: row {}: not package,userid,perm: {line}",
                file.display(),
                number + 1
            );
        };
        let first_come = match *perm {
            "f" | "m" => true,
            "c" => false,
            other => anyhow::bail!(
                "{}: row {}: unknown permission {other:?}",
                file.display(),
                number + 1
            ),
        };
        rows.push((package.to_string(), userid.to_ascii_uppercase(), first_come));
    }
    Ok(rows)
}
