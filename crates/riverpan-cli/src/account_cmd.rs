//! The write side's commands: `token create/revoke/list`, `passwd`, `delete`; and what `serve`
//! needs to turn uploads on (the write options from config and env, the admin bootstrap).

use std::io::BufRead;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use clap::{Args, Subcommand};
use riverpan_repository::{MailConfig, Repository};
use riverpan_server::{TokenScope, WriteOptions};
use riverpan_store::{AccountRecord, AuthorRecord};

use crate::config::{self, LoadedConfig};
use crate::GlobalOptions;

/// Tokens last this long unless `--expires` says otherwise (PAUSE's default and maximum).
const DEFAULT_TOKEN_LIFETIME: &str = "180d";

/// Manage API tokens (for `POST /api/upload`, or as the password of `cpan-upload`).
#[derive(Debug, Args)]
#[command(after_help = "\
A token is shown once, as PAUSEID:TOKENID:SECRET; riverpan stores only its sha256. Use it as
  curl -H 'Authorization: Bearer PAUSEID:TOKENID:SECRET' -F file=@Foo-1.0.tar.gz URL/api/upload
  cpan-upload -u PAUSEID -p PAUSEID:TOKENID:SECRET Foo-1.0.tar.gz

Scopes: `upload` (any of the author's distributions) or `upload:Foo::*,Bar` (only
distributions whose main package, the dist name with - as ::, is Bar or inside Foo::).

Examples:
  riverpan token create NEILB --expires 30d
  riverpan token create NEILB --scope 'upload:Foo::*' --description 'CI for Foo'
  riverpan token list NEILB --json
  riverpan token revoke 3f9c0a1b2c3d4e5f")]
pub(crate) struct TokenArgs {
    #[command(subcommand)]
    command: TokenCommand,
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Create a token for PAUSEID and print it (once).
    Create {
        /// The author the token acts as.
        pauseid: String,
        /// `upload` or `upload:PACKAGE,NAMESPACE::*,...`.
        #[arg(long, default_value = "upload")]
        scope: String,
        /// Lifetime (e.g. 30d, 12h) or `never`.
        #[arg(long, default_value = DEFAULT_TOKEN_LIFETIME)]
        expires: String,
        /// A note shown by `token list`.
        #[arg(long, default_value = "")]
        description: String,
    },
    /// Revoke the token TOKENID (the middle part of PAUSEID:TOKENID:SECRET).
    Revoke {
        /// The token's id.
        token_id: String,
    },
    /// List PAUSEID's tokens (never their secrets).
    List {
        /// The author.
        pauseid: String,
        /// JSON output: [{"token_id","scope","description","created_at","expires_at","revoked_at","last_used_at","state"}].
        #[arg(long)]
        json: bool,
    },
}

/// Set the login password of PAUSEID (the author must exist: `riverpan user add`).
#[derive(Debug, Args)]
#[command(after_help = "\
Without --password-stdin a random password is generated and printed once.

Examples:
  riverpan passwd NEILB
  printf '%s\\n' \"$PASSWORD\" | riverpan passwd NEILB --password-stdin
  riverpan passwd ANDK --admin")]
pub(crate) struct PasswdArgs {
    /// The author.
    pauseid: String,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    password_stdin: bool,
    /// Make the account an administrator (may upload and delete for other authors).
    #[arg(long, conflicts_with = "no_admin")]
    admin: bool,
    /// Take the administrator right away.
    #[arg(long)]
    no_admin: bool,
}

/// Schedule the deletion of an uploaded file (or undelete it before it runs).
#[derive(Debug, Args)]
#[command(after_help = "\
The file moves to DIR/backpan/authors/id/... after the deletion delay ([server] deletion_delay,
env RIVERPAN_DELETION_DELAY, default 1h), when the running server's worker executes it; its
packages then leave 02packages. The name can never be uploaded again.

Examples:
  riverpan delete N/NE/NEILB/Foo-1.0.tar.gz
  riverpan delete authors/id/N/NE/NEILB/Foo-1.0.tar.gz --undelete
  riverpan delete N/NE/NEILB/Foo-1.0.tar.gz --now")]
pub(crate) struct DeleteArgs {
    /// The file: X/XX/PAUSEID/File-1.0.tar.gz (or authors/id/...).
    file: String,
    /// Cancel the scheduled deletion of FILE instead.
    #[arg(long, conflicts_with = "now")]
    undelete: bool,
    /// Delete at once instead of after the delay.
    #[arg(long)]
    now: bool,
}

fn now_seconds() -> i64 {
    std::env::var("RIVERPAN_NOW")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        })
}

fn open_repository(globals: &GlobalOptions) -> anyhow::Result<Repository> {
    Repository::open(&globals.data_dir)
        .with_context(|| format!("opening the repository in {}", globals.data_dir.display()))
}

fn require_author(repository: &Repository, pauseid: &str) -> anyhow::Result<AuthorRecord> {
    repository.store().reader().author(pauseid)?.ok_or_else(|| {
        anyhow::anyhow!(
            "{pauseid} is not a registered author (add it with `riverpan user add {pauseid}`)"
        )
    })
}

/// Runs `riverpan token …`.
pub(crate) fn token(globals: &GlobalOptions, args: &TokenArgs) -> anyhow::Result<ExitCode> {
    let repository = open_repository(globals)?;
    let store = repository.store();
    match &args.command {
        TokenCommand::Create {
            pauseid,
            scope,
            expires,
            description,
        } => {
            require_author(&repository, pauseid)?;
            let scope = TokenScope::parse(scope)?;
            let now = now_seconds();
            let expires_at = if expires == "never" {
                None
            } else {
                let lifetime = riverpan_server::parse_duration(expires)
                    .map_err(|error| anyhow::anyhow!("--expires: {error}"))?;
                Some(now.saturating_add(i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX)))
            };
            if store.account(pauseid)?.is_none() {
                // Token-only account: no password until `riverpan passwd`.
                store.upsert_account(
                    &AccountRecord {
                        userid: pauseid.clone(),
                        password_hash: None,
                        is_admin: false,
                    },
                    now,
                )?;
            }
            let token =
                riverpan_server::generate_token(pauseid, &scope, expires_at, description, now)?;
            store.insert_token(&token.record)?;
            eprintln!(
                "token {} for {pauseid} (scope {scope}, {}); it is shown only once:",
                token.record.token_id,
                expires_at.map_or_else(
                    || "never expires".to_string(),
                    |at| format!("expires at {at}")
                )
            );
            println!("{}", token.shown);
        }
        TokenCommand::Revoke { token_id } => {
            if store.revoke_token(token_id, now_seconds())? {
                println!("token {token_id} revoked");
            } else {
                anyhow::bail!("no valid token {token_id} (unknown, or revoked already)");
            }
        }
        TokenCommand::List { pauseid, json } => {
            let now = now_seconds();
            let tokens = store.tokens_of(pauseid)?;
            let state = |token: &riverpan_store::TokenRecord| {
                if token.revoked_at.is_some() {
                    "revoked"
                } else if token.expires_at.is_some_and(|at| at <= now) {
                    "expired"
                } else {
                    "valid"
                }
            };
            if *json {
                let list: Vec<serde_json::Value> = tokens
                    .iter()
                    .map(|token| {
                        serde_json::json!({
                            "token_id": token.token_id,
                            "scope": token.scope,
                            "description": token.description,
                            "created_at": token.created_at,
                            "expires_at": token.expires_at,
                            "revoked_at": token.revoked_at,
                            "last_used_at": token.last_used_at,
                            "state": state(token),
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                for token in &tokens {
                    println!(
                        "{}  {:7}  {}  {}",
                        token.token_id,
                        state(token),
                        token.scope,
                        token.description
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `riverpan passwd`.
pub(crate) fn passwd(globals: &GlobalOptions, args: &PasswdArgs) -> anyhow::Result<ExitCode> {
    let repository = open_repository(globals)?;
    require_author(&repository, &args.pauseid)?;
    let (password, generated) = if args.password_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        let password = line.trim_end_matches(['\r', '\n']).to_string();
        if password.is_empty() {
            anyhow::bail!("empty password on standard input");
        }
        (password, false)
    } else {
        (riverpan_server::random_password()?, true)
    };
    let store = repository.store();
    let existing = store.account(&args.pauseid)?;
    let is_admin = if args.admin {
        true
    } else if args.no_admin {
        false
    } else {
        existing.as_ref().is_some_and(|account| account.is_admin)
    };
    store.upsert_account(
        &AccountRecord {
            userid: args.pauseid.clone(),
            password_hash: Some(riverpan_server::hash_password(&password)?),
            is_admin,
        },
        now_seconds(),
    )?;
    if generated {
        eprintln!("password of {} set; it is shown only once:", args.pauseid);
        println!("{password}");
    } else {
        println!("password of {} set", args.pauseid);
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `riverpan delete`.
pub(crate) fn delete(globals: &GlobalOptions, args: &DeleteArgs) -> anyhow::Result<ExitCode> {
    let loaded = config::load(globals)?;
    let options = write_options(&loaded)?;
    let mut repository = open_repository(globals)?;
    let path = args
        .file
        .trim_start_matches('/')
        .trim_start_matches("authors/id/")
        .to_string();
    let upload = repository
        .store()
        .reader()
        .upload_by_path(&path)?
        .ok_or_else(|| anyhow::anyhow!("no upload {path} (give X/XX/PAUSEID/File-1.0.tar.gz)"))?;
    let pending = repository.store().pending_deletion(upload.id)?;
    if args.undelete {
        let Some(pending) = pending else {
            anyhow::bail!("{path} is not scheduled for deletion");
        };
        if !repository.cancel_deletion(pending.id)? {
            anyhow::bail!("the deletion of {path} ran already");
        }
        println!("deletion {} of {path} cancelled", pending.id);
        return Ok(ExitCode::SUCCESS);
    }
    // Refuses deleted files and CHECKSUMS with the same messages as the server.
    let upload = repository.deletable_upload(&upload.userid, &path)?;
    if args.now {
        let deleted = repository.delete_now(&path, pending.map(|deletion| deletion.id))?;
        println!(
            "{path} deleted: moved to {}; {} package(s) left the index",
            deleted.backpan_file.display(),
            deleted.packages_dropped.len()
        );
    } else {
        let deletion =
            repository.schedule_deletion(&upload, "(riverpan delete)", options.deletion_delay)?;
        println!(
            "deletion {} of {path} scheduled for {} (in {}s); undo with `riverpan delete {path} --undelete`",
            deletion.id,
            deletion.due_at,
            deletion.due_at - now_seconds()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The mail relay for indexer reports (`[mail]`, env `RIVERPAN_SMTP_RELAY`…), if configured.
pub(crate) fn mail_config(loaded: &LoadedConfig) -> Option<MailConfig> {
    let relay = std::env::var("RIVERPAN_SMTP_RELAY")
        .ok()
        .or_else(|| loaded.file.mail.relay.clone())?;
    let from = std::env::var("RIVERPAN_MAIL_FROM")
        .ok()
        .or_else(|| loaded.file.mail.from.clone())
        .unwrap_or_else(|| "riverpan@localhost".to_string());
    let admin = std::env::var("RIVERPAN_MAIL_ADMIN")
        .ok()
        .or_else(|| loaded.file.mail.admin.clone());
    Some(MailConfig { relay, from, admin })
}

/// The write side's settings: env `RIVERPAN_MAX_UPLOAD_SIZE` / `RIVERPAN_DELETION_DELAY` over
/// `[server] max_upload_size` / `deletion_delay` over the defaults (256 MiB, 1 h).
pub(crate) fn write_options(loaded: &LoadedConfig) -> anyhow::Result<WriteOptions> {
    let mut options = WriteOptions::default();
    let size = std::env::var("RIVERPAN_MAX_UPLOAD_SIZE")
        .ok()
        .or_else(|| loaded.file.server.max_upload_size.clone());
    if let Some(size) = size {
        options.max_upload_size = riverpan_server::parse_size(&size)
            .map_err(|error| anyhow::anyhow!("max_upload_size: {error}"))?;
    }
    let delay = std::env::var("RIVERPAN_DELETION_DELAY")
        .ok()
        .or_else(|| loaded.file.server.deletion_delay.clone());
    if let Some(delay) = delay {
        options.deletion_delay = riverpan_server::parse_duration(&delay)
            .map_err(|error| anyhow::anyhow!("deletion_delay: {error}"))?;
    }
    options.mail = mail_config(loaded);
    let duration = |key: &str, text: &Option<String>| -> anyhow::Result<Option<Duration>> {
        text.as_deref()
            .map(|text| {
                riverpan_server::parse_duration(text)
                    .map_err(|error| anyhow::anyhow!("{key}: {error}"))
            })
            .transpose()
    };
    let registration = &loaded.file.registration;
    let policy = &mut options.registration;
    policy.per_email_per_day = registration
        .per_email_per_day
        .unwrap_or(policy.per_email_per_day);
    policy.per_client_per_day = registration
        .per_client_per_day
        .unwrap_or(policy.per_client_per_day);
    policy.per_day = registration.per_day.unwrap_or(policy.per_day);
    policy.auto_approve = registration.auto_approve.unwrap_or(policy.auto_approve);
    policy.auto_approve_daily_cap = registration
        .auto_approve_daily_cap
        .unwrap_or(policy.auto_approve_daily_cap);
    if let Some(min) = duration("[registration] min_form_time", &registration.min_form_time)? {
        options.min_form_time = min;
    }
    options.inactivity = inactivity_rule(loaded)?;
    let cleanup = &loaded.file.cleanup;
    if cleanup.enabled.unwrap_or(false) {
        let mut schedule = riverpan_server::CleanupSchedule::default();
        if let Some(interval) = duration("[cleanup] interval", &cleanup.interval)? {
            schedule.interval = interval;
        }
        schedule.delay = cleanup_delay(loaded)?;
        if let Some(interval) = duration("[cleanup] notice_interval", &cleanup.notice_interval)? {
            schedule.notice_interval = interval;
        }
        options.cleanup = Some(schedule);
    }
    // Test-only: keep uploads queued (the restart test stops a server with work pending).
    options.hold_queue = std::env::var_os("RIVERPAN_TEST_HOLD_QUEUE").is_some();
    if let Some(millis) = std::env::var("RIVERPAN_TEST_DEBOUNCE_MS")
        .ok()
        .and_then(|value| value.parse().ok())
    {
        options.debounce = Duration::from_millis(millis);
    }
    Ok(options)
}

/// `[ids] inactive_after` / `reclaim_grace` over the defaults (2 years, 30 days).
pub(crate) fn inactivity_rule(
    loaded: &LoadedConfig,
) -> anyhow::Result<riverpan_repository::InactivityRule> {
    let mut rule = riverpan_repository::InactivityRule::default();
    if let Some(text) = &loaded.file.ids.inactive_after {
        rule.inactive_for = riverpan_server::parse_duration(text)
            .map_err(|error| anyhow::anyhow!("[ids] inactive_after: {error}"))?;
    }
    if let Some(text) = &loaded.file.ids.reclaim_grace {
        rule.grace = riverpan_server::parse_duration(text)
            .map_err(|error| anyhow::anyhow!("[ids] reclaim_grace: {error}"))?;
    }
    Ok(rule)
}

/// `[cleanup] delay` (env `RIVERPAN_CLEANUP_DELAY`), else PAUSE's 72 hours.
pub(crate) fn cleanup_delay(loaded: &LoadedConfig) -> anyhow::Result<Duration> {
    let text = std::env::var("RIVERPAN_CLEANUP_DELAY")
        .ok()
        .or_else(|| loaded.file.cleanup.delay.clone());
    match text {
        Some(text) => riverpan_server::parse_duration(&text)
            .map_err(|error| anyhow::anyhow!("[cleanup] delay: {error}")),
        None => Ok(riverpan_server::CleanupSchedule::default().delay),
    }
}

/// On a data directory without accounts, creates the administrator (`RIVERPAN_ADMIN`, else
/// `[server] admin`, else `ADMIN`) with `RIVERPAN_ADMIN_PASSWORD` or a random password printed
/// once to stderr. Does nothing when any account exists.
pub(crate) fn bootstrap_admin(
    repository: &mut Repository,
    loaded: &LoadedConfig,
) -> anyhow::Result<()> {
    if repository.store().account_count()? > 0 {
        return Ok(());
    }
    let userid = std::env::var("RIVERPAN_ADMIN")
        .ok()
        .or_else(|| loaded.file.server.admin.clone())
        .unwrap_or_else(|| "ADMIN".to_string());
    riverpan_repository::check_userid(&userid)?;
    if repository.store().reader().author(&userid)?.is_none() {
        repository.add_author(&AuthorRecord {
            userid: userid.clone(),
            fullname: "riverpan administrator".into(),
            email: None,
            pumpking: false,
        })?;
    }
    let (password, generated) = match std::env::var("RIVERPAN_ADMIN_PASSWORD") {
        Ok(password) if !password.is_empty() => (password, false),
        _ => (riverpan_server::random_password()?, true),
    };
    repository.store().upsert_account(
        &AccountRecord {
            userid: userid.clone(),
            password_hash: Some(riverpan_server::hash_password(&password)?),
            is_admin: true,
        },
        now_seconds(),
    )?;
    if generated {
        eprintln!(
            "riverpan: created the administrator account {userid} with the one-time password\n\n    {password}\n\n\
             Change it with `riverpan passwd {userid}`; it is not shown again."
        );
    } else {
        eprintln!("riverpan: created the administrator account {userid} (password from RIVERPAN_ADMIN_PASSWORD)");
    }
    Ok(())
}
