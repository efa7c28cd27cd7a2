//! `riverpan perms` for administrators: the permission operations of the web pages and the API
//! (co-maintainers, transfers, giving up, markers; per package or, with `--dist`, per
//! distribution), the record of changes, and the adoption queue. Every operation is recorded
//! as the administrator's (`--by`, acting for the owner or for `--as`), with interface `cli`,
//! and mailed to the authors concerned when a relay is configured. A refusal exits with status
//! 1 and changes nothing.

use std::io::Write;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use riverpan_repository::permissions::rules::{Action, Actor, AdoptionRule, Marker};
use riverpan_repository::permissions::{
    describe_change, Interface, PermOutcome, PermRequest, Subject,
};
use riverpan_repository::{Repository, RepositoryError};

/// What an operation applies to, and who does it.
#[derive(Debug, Args)]
pub(crate) struct Target {
    /// The package (or, with --dist, the distribution).
    target: String,
    /// TARGET is a distribution: the operation applies to all its packages.
    #[arg(long)]
    dist: bool,
    /// The administrator recorded as acting.
    #[arg(long, value_name = "PAUSEID", default_value = "ADMIN")]
    by: String,
    /// Act for this author (default: the owner).
    #[arg(long = "as", value_name = "PAUSEID")]
    acting_for: Option<String>,
    /// Why (recorded and mailed).
    #[arg(long)]
    reason: Option<String>,
}

/// The administrators' permission operations.
#[derive(Debug, Subcommand)]
pub(crate) enum ManageCommand {
    /// Make PAUSEID a co-maintainer of TARGET.
    AddComaint {
        #[command(flatten)]
        target: Target,
        /// The new co-maintainer.
        pauseid: String,
    },
    /// Remove PAUSEID's co-maintenance of TARGET.
    RemoveComaint {
        #[command(flatten)]
        target: Target,
        /// The co-maintainer.
        pauseid: String,
    },
    /// Make PAUSEID the owner of TARGET at once (the old owner stays co-maintainer).
    Transfer {
        #[command(flatten)]
        target: Target,
        /// The new owner.
        pauseid: String,
    },
    /// The owner (or --as a co-maintainer) gives TARGET up: ownership to ADOPTME.
    GiveUp {
        #[command(flatten)]
        target: Target,
    },
    /// Mark TARGET HANDOFF or NEEDHELP.
    Mark {
        #[command(flatten)]
        target: Target,
        /// HANDOFF or NEEDHELP.
        marker: String,
    },
    /// The recorded permission changes of a package (or --dist distribution), newest first.
    Log {
        /// The package or distribution.
        target: String,
        /// TARGET is a distribution.
        #[arg(long)]
        dist: bool,
    },
    /// The adoption requests waiting for an administrator.
    Adoptions,
    /// Grant or refuse an adoption request; the rationale is published.
    Decide {
        /// The request's id (`riverpan perms adoptions`).
        id: i64,
        /// Grant it.
        #[arg(long, conflicts_with = "refuse", required_unless_present = "refuse")]
        grant: bool,
        /// Refuse it.
        #[arg(long)]
        refuse: bool,
        /// Why (published on the distribution's page).
        #[arg(long)]
        rationale: String,
        /// The administrator recorded as deciding.
        #[arg(long, value_name = "PAUSEID", default_value = "ADMIN")]
        by: String,
    },
    /// Show or set what happens to an adoption request for a distribution nothing depends on:
    /// `first-come` (granted at once, the Berlin consensus) or `admin` (an administrator decides).
    AdoptionRule {
        /// The new rule; without it, the current one is shown.
        #[arg(value_parser = ["first-come", "admin"])]
        rule: Option<String>,
    },
}

fn print_outcome(outcome: &PermOutcome) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let operation = &outcome.operation;
    write!(
        out,
        "{} on {} {} by {}",
        operation.operation, operation.scope, operation.subject, operation.actor
    )?;
    if let Some(for_id) = &operation.on_behalf_of {
        write!(out, " for {for_id}")?;
    }
    writeln!(out)?;
    for change in &outcome.changes {
        writeln!(out, "  {}", describe_change(change))?;
    }
    for skipped in &outcome.skipped {
        writeln!(out, "  left alone: {}: {}", skipped.package, skipped.reason)?;
    }
    if let Some(adoption) = &outcome.adoption {
        writeln!(
            out,
            "  adoption request {}: {}",
            adoption.id, adoption.state
        )?;
    }
    if let Some(error) = &outcome.mail_error {
        writeln!(out, "  (mail not sent: {error})")?;
    }
    Ok(())
}

/// Prints a refusal and answers exit status 1; other errors propagate.
fn finish(result: Result<PermOutcome, RepositoryError>) -> anyhow::Result<ExitCode> {
    match result {
        Ok(outcome) => {
            print_outcome(&outcome)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(RepositoryError::PermissionRefused(refusal)) => {
            eprintln!("refused: {}", refusal.message);
            for skipped in &refusal.skipped {
                eprintln!("  {}: {}", skipped.package, skipped.reason);
            }
            Ok(ExitCode::FAILURE)
        }
        Err(RepositoryError::NotFound(message)) => {
            eprintln!("{message}");
            Ok(ExitCode::FAILURE)
        }
        Err(other) => Err(other.into()),
    }
}

fn operate(
    repository: &mut Repository,
    target: &Target,
    action: Action,
) -> anyhow::Result<ExitCode> {
    let request = PermRequest {
        subject: if target.dist {
            Subject::Distribution(target.target.clone())
        } else {
            Subject::Package(target.target.clone())
        },
        action,
        actor: Actor {
            userid: target.by.to_ascii_uppercase(),
            is_admin: true,
            for_userid: target.acting_for.as_ref().map(|id| id.to_ascii_uppercase()),
        },
        interface: Interface::Cli,
        reason: target.reason.clone(),
    };
    finish(repository.change_permissions_as(&request))
}

/// Runs one administrators' command.
pub(crate) fn run(
    repository: &mut Repository,
    command: &ManageCommand,
) -> anyhow::Result<ExitCode> {
    let id = |text: &str| text.trim().to_ascii_uppercase();
    match command {
        ManageCommand::AddComaint { target, pauseid } => {
            operate(repository, target, Action::AddComaint(id(pauseid)))
        }
        ManageCommand::RemoveComaint { target, pauseid } => {
            operate(repository, target, Action::RemoveComaint(id(pauseid)))
        }
        ManageCommand::Transfer { target, pauseid } => {
            operate(repository, target, Action::Transfer(id(pauseid)))
        }
        ManageCommand::GiveUp { target } => operate(repository, target, Action::GiveUp),
        ManageCommand::Mark { target, marker } => {
            let Some(marker) = Marker::parse(marker) else {
                anyhow::bail!("the marker is HANDOFF or NEEDHELP, not {marker:?}");
            };
            operate(repository, target, Action::Mark(marker))
        }
        ManageCommand::Log { target, dist } => {
            let reader = repository.store().reader();
            let log = if *dist {
                reader.perm_log_of_dist(target)?
            } else {
                reader.perm_log_of_package(target)?
            };
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            for (operation, changes) in log {
                let on_behalf = operation
                    .on_behalf_of
                    .map(|id| format!(" for {id}"))
                    .unwrap_or_default();
                writeln!(
                    out,
                    "{} {} {}{on_behalf} ({}) {}{}{}",
                    operation.id,
                    operation.at,
                    operation.actor,
                    operation.interface,
                    operation.operation,
                    operation
                        .argument
                        .map(|a| format!(" {a}"))
                        .unwrap_or_default(),
                    operation
                        .reason
                        .map(|r| format!(" — {r}"))
                        .unwrap_or_default(),
                )?;
                for change in &changes {
                    writeln!(out, "  {}", describe_change(change))?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        ManageCommand::Adoptions => {
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            for request in repository.store().reader().pending_adoptions()? {
                writeln!(
                    out,
                    "{} {} by {} ({}; {} direct, {} total dependents): {}",
                    request.id,
                    request.dist,
                    request.userid,
                    request.held_by,
                    request.immediate,
                    request.total,
                    request.reason
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }
        ManageCommand::Decide {
            id: request,
            grant,
            rationale,
            by,
            ..
        } => {
            let actor = Actor {
                userid: id(by),
                is_admin: true,
                for_userid: None,
            };
            finish(repository.decide_adoption(*request, &actor, *grant, rationale, Interface::Cli))
        }
        ManageCommand::AdoptionRule { rule } => {
            if let Some(rule) = rule {
                let rule = AdoptionRule::parse(rule)
                    .ok_or_else(|| anyhow::anyhow!("the rule is first-come or admin"))?;
                repository.set_adoption_rule(rule)?;
            }
            println!("{}", repository.adoption_rule()?.as_str());
            Ok(ExitCode::SUCCESS)
        }
    }
}
