//! The author life-cycle for administrators: `riverpan ids …` (the id request queue, account
//! states, deleting an id, inactive unused ids) and `riverpan cleanup` (old releases).

use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use riverpan_repository::{CleanupOptions, Repository};

use crate::account_cmd::{cleanup_delay, inactivity_rule, mail_config};
use crate::config;
use crate::GlobalOptions;

/// Who the command line acts as in the records (`decided_by`, `state_changed_by`).
const CLI_ACTOR: &str = "(riverpan ids)";

/// Manage PAUSE ids: requests, account states, deletion, inactive ids.
#[derive(Debug, Args)]
#[command(after_help = "\
Requests come from the public form /request-id of `riverpan serve`. Decisions are mailed to the
requester when [mail] relay is configured; without it, `approve` prints the one-time password.

An id that ever uploaded is never deleted (its files stay on BackPAN under it); an id holding
permissions neither. Inactive unused ids: never uploaded, no permission, no sign-in for
[ids] inactive_after (default 730d). They are reminded by mail (`inactive --warn`) and deleted by
`reclaim` only when the reminder is older than [ids] reclaim_grace (default 30d) and they did not
sign in since.

Examples:
  riverpan ids requests --json
  riverpan ids approve 12
  riverpan ids reject 13 --note 'Please tell us what you want to upload'
  riverpan ids state SPAMMER nologin
  riverpan ids delete TYPO
  riverpan ids cleanup-opt-out NEILB
  riverpan ids inactive --json
  riverpan ids inactive --warn
  riverpan ids reclaim --dry-run")]
pub(crate) struct IdsArgs {
    #[command(subcommand)]
    command: IdsCommand,
}

#[derive(Debug, Subcommand)]
enum IdsCommand {
    /// List the id requests (pending ones by default).
    Requests {
        /// pending, approved, rejected or all.
        #[arg(long, default_value = "pending")]
        state: String,
        /// JSON output: [{"id","userid","fullname","email","homepage","rationale","requested_at","state","decided_at","decided_by","decision_note"}].
        #[arg(long)]
        json: bool,
    },
    /// Approve request ID: register the author and create its account.
    Approve {
        /// The request's number.
        id: i64,
    },
    /// Reject request ID (the requester is mailed, with the note).
    Reject {
        /// The request's number.
        id: i64,
        /// Why (mailed to the requester).
        #[arg(long)]
        note: Option<String>,
    },
    /// Set an account's state: `nologin` refuses sign-in and uploads (password and token).
    State {
        /// The PAUSE id.
        pauseid: String,
        /// active or nologin.
        #[arg(value_parser = ["active", "nologin"])]
        state: String,
    },
    /// Delete an id that never uploaded and holds no permission (it becomes available again).
    Delete {
        /// The PAUSE id.
        pauseid: String,
    },
    /// Opt an author out of the cleanup of old releases (or back in with --off).
    CleanupOptOut {
        /// The PAUSE id.
        pauseid: String,
        /// Opt back in: the cleanup may schedule the author's old releases again.
        #[arg(long)]
        off: bool,
    },
    /// Report the inactive unused ids.
    Inactive {
        /// Mail the reminder to those not reminded since their last activity.
        #[arg(long)]
        warn: bool,
        /// JSON output: {"ids": [{"userid","created_at","last_activity_at","email","warned_at","reclaimable_from"}], "warned": [...]}.
        #[arg(long)]
        json: bool,
    },
    /// Delete the inactive unused ids reminded longer than the grace period ago.
    Reclaim {
        /// Only say which ids would be deleted.
        #[arg(long)]
        dry_run: bool,
        /// JSON output: {"dry_run", "ids": [...]}.
        #[arg(long)]
        json: bool,
    },
}

/// Schedule the deletion of old releases (Lancaster consensus).
#[derive(Debug, Args)]
#[command(after_help = "\
For each distribution with at least three stable releases, the files older than the oldest of
the three newest stable releases, more than five years old and not in 02packages are scheduled
for deletion after [cleanup] delay (default 72h, env RIVERPAN_CLEANUP_DELAY); perl itself never.
Authors who opted out (account page, PUT /api/v1/authors/ID/cleanup) are skipped. Each author
gets one mail listing the files and when they go, and can cancel each deletion until then. The
running server's worker executes the deletions when due (files move to BackPAN).

`riverpan serve` runs this periodically when [cleanup] enabled = true.

Examples:
  riverpan cleanup --dry-run
  riverpan cleanup --dry-run --author NEILB --json
  riverpan cleanup")]
pub(crate) struct CleanupArgs {
    /// Only say what would be scheduled; change nothing, mail nobody.
    #[arg(long)]
    dry_run: bool,
    /// Only this author's files.
    #[arg(long, value_name = "PAUSEID")]
    author: Option<String>,
    /// JSON output: {"dry_run", "authors": [{"userid","paths","due_at","noticed"}], "opted_out", "postponed"}.
    #[arg(long)]
    json: bool,
}

fn open(globals: &GlobalOptions) -> anyhow::Result<(Repository, config::LoadedConfig)> {
    let loaded = config::load(globals)?;
    let mut repository = Repository::open(&globals.data_dir)
        .with_context(|| format!("opening the repository in {}", globals.data_dir.display()))?;
    repository.set_mail(mail_config(&loaded));
    Ok((repository, loaded))
}

/// Runs `riverpan ids …`.
pub(crate) fn ids(globals: &GlobalOptions, args: &IdsArgs) -> anyhow::Result<ExitCode> {
    let (mut repository, loaded) = open(globals)?;
    match &args.command {
        IdsCommand::Requests { state, json } => {
            let filter = (state != "all").then_some(state.as_str());
            let requests = repository.store().id_requests(filter)?;
            if *json {
                let list: Vec<serde_json::Value> = requests
                    .iter()
                    .map(|r| {
                        serde_json::json!({
                            "id": r.id, "userid": r.userid, "fullname": r.fullname,
                            "email": r.email, "homepage": r.homepage, "rationale": r.rationale,
                            "requested_at": r.requested_at, "state": r.state,
                            "decided_at": r.decided_at, "decided_by": r.decided_by,
                            "decision_note": r.decision_note,
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else if requests.is_empty() {
                println!("no {state} requests");
            } else {
                for r in &requests {
                    println!(
                        "{:>5}  {:9}  {:8}  {} <{}>: {}",
                        r.id,
                        r.userid,
                        r.state,
                        r.fullname,
                        r.email,
                        r.rationale.replace('\n', " ")
                    );
                }
            }
        }
        IdsCommand::Approve { id } => {
            let password = riverpan_server::random_password()?;
            let hash = riverpan_server::hash_password(&password)?;
            let approved = repository.approve_id_request(*id, CLI_ACTOR, &password, &hash)?;
            if approved.mailed {
                println!(
                    "{} approved; the one-time password was mailed to {}",
                    approved.request.userid, approved.request.email
                );
            } else {
                eprintln!(
                    "{} approved; no mail was sent: give them this one-time password:",
                    approved.request.userid
                );
                println!("{password}");
            }
        }
        IdsCommand::Reject { id, note } => {
            let (request, mailed) =
                repository.reject_id_request(*id, CLI_ACTOR, note.as_deref())?;
            println!(
                "request {id} for {} rejected{}",
                request.userid,
                if mailed {
                    "; the requester was mailed"
                } else {
                    ""
                }
            );
        }
        IdsCommand::State { pauseid, state } => {
            let before = repository.set_account_state(pauseid, state, CLI_ACTOR)?;
            println!("{pauseid}: {before} -> {state}");
        }
        IdsCommand::Delete { pauseid } => {
            repository.delete_id(pauseid, CLI_ACTOR, "deleted by an administrator")?;
            println!("{pauseid} deleted; the id is available again");
        }
        IdsCommand::CleanupOptOut { pauseid, off } => {
            if !repository.store().set_cleanup_opt_out(pauseid, !off)? {
                anyhow::bail!("{pauseid} is not a registered author");
            }
            if *off {
                println!("{pauseid}: the cleanup may schedule old releases again");
            } else {
                println!("{pauseid}: opted out of the cleanup; old releases are kept");
            }
        }
        IdsCommand::Inactive { warn, json } => {
            let rule = inactivity_rule(&loaded)?;
            let warned = if *warn {
                repository.warn_inactive_ids(&rule)?
            } else {
                Vec::new()
            };
            let ids = repository.inactive_ids(&rule)?;
            if *json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "inactive_for_seconds": rule.inactive_for.as_secs(),
                        "grace_seconds": rule.grace.as_secs(),
                        "ids": ids,
                        "warned": warned,
                    }))?
                );
            } else {
                for id in &ids {
                    println!(
                        "{:9}  last active {}  {}",
                        id.userid,
                        id.last_activity_at,
                        match (id.warned_at, id.reclaimable_from, &id.email) {
                            (Some(_), Some(from), _) =>
                                format!("reminded; reclaimable from {from}"),
                            (_, _, None) => "no address known: never reminded nor reclaimed".into(),
                            _ => "not reminded yet".into(),
                        }
                    );
                }
                if *warn {
                    println!("{} reminder(s) sent", warned.len());
                }
            }
        }
        IdsCommand::Reclaim { dry_run, json } => {
            let rule = inactivity_rule(&loaded)?;
            let ids = repository.reclaim_inactive_ids(&rule, CLI_ACTOR, *dry_run)?;
            if *json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "dry_run": dry_run, "ids": ids,
                    }))?
                );
            } else {
                let verb = if *dry_run { "would delete" } else { "deleted" };
                println!("{verb} {} id(s): {}", ids.len(), ids.join(" "));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `riverpan cleanup`.
pub(crate) fn cleanup(globals: &GlobalOptions, args: &CleanupArgs) -> anyhow::Result<ExitCode> {
    let (repository, loaded) = open(globals)?;
    let options = CleanupOptions {
        rule: riverpan_repository::CleanupRule::default(),
        delay: cleanup_delay(&loaded)?,
        author: args.author.as_ref().map(|id| id.to_ascii_uppercase()),
        dry_run: args.dry_run,
        // An administrator's explicit run notices everyone concerned now.
        notice_interval: None,
    };
    let summary = repository.cleanup(&options)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
        return Ok(ExitCode::SUCCESS);
    }
    let verb = if args.dry_run {
        "would schedule"
    } else {
        "scheduled"
    };
    for author in &summary.authors {
        println!(
            "{}: {verb} {} file(s) for deletion at {}{}",
            author.userid,
            author.paths.len(),
            author.due_at,
            if author.noticed { " (noticed)" } else { "" }
        );
        for path in &author.paths {
            println!("  {path}");
        }
    }
    if !summary.opted_out.is_empty() {
        println!("opted out: {}", summary.opted_out.join(" "));
    }
    if summary.authors.is_empty() {
        println!("nothing to clean up");
    }
    Ok(ExitCode::SUCCESS)
}
