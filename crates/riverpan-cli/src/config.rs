//! The config file and how it combines with environment variables and flags.
//!
//! Precedence, highest first: command-line flag, `RIVERPAN_*` environment variable, config file,
//! built-in default.  Flags and environment variables are merged by clap (each flag declares its
//! variable), so this module only has to put the file underneath them.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

use crate::GlobalOptions;

/// The config file looked for in the data directory when `--config` is not given.
pub(crate) const CONFIG_FILE_NAME: &str = "riverpan.toml";

/// Where `serve` listens when nothing else says.
pub(crate) const DEFAULT_LISTEN: &str = "127.0.0.1:5000";

/// The config file's contents.  Unknown keys are errors: a misspelt key silently ignored is a
/// setting that silently does not apply.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConfigFile {
    /// `[server]`
    #[serde(default)]
    pub server: ServerSection,
    /// `[mail]`
    #[serde(default)]
    pub mail: MailSection,
    /// `[tester]`
    #[serde(default)]
    pub tester: TesterSection,
    /// `[smoke]`
    #[serde(default)]
    pub smoke: SmokeSection,
    /// `[registration]`
    #[serde(default)]
    pub registration: RegistrationSection,
    /// `[cleanup]`
    #[serde(default)]
    pub cleanup: CleanupSection,
    /// `[ids]`
    #[serde(default)]
    pub ids: IdsSection,
}

/// The `[registration]` table: the queue of requests for a PAUSE id (`/request-id`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RegistrationSection {
    /// `per_email_per_day = 2`: requests per e-mail address per 24 hours.
    pub per_email_per_day: Option<i64>,
    /// `per_client_per_day = 5`: requests per client address per 24 hours.
    pub per_client_per_day: Option<i64>,
    /// `per_day = 50`: requests in all per 24 hours.
    pub per_day: Option<i64>,
    /// `auto_approve = false`: approve without an administrator (needs `[mail] relay`).
    pub auto_approve: Option<bool>,
    /// `auto_approve_daily_cap = 10`: at most this many automatic approvals per 24 hours.
    pub auto_approve_daily_cap: Option<i64>,
    /// `min_form_time = "5s"`: a form sent back sooner is refused.
    pub min_form_time: Option<String>,
}

/// The `[cleanup]` table: the automatic cleanup of old releases (Lancaster consensus).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CleanupSection {
    /// `enabled = false`: whether `serve` runs it periodically.
    pub enabled: Option<bool>,
    /// `interval = "1d"`: how often.
    pub interval: Option<String>,
    /// `delay = "72h"`: how long authors have to cancel.
    pub delay: Option<String>,
    /// `notice_interval = "30d"`: at most one notice per author per this period.
    pub notice_interval: Option<String>,
}

/// The `[ids]` table: the report of inactive unused ids.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct IdsSection {
    /// `inactive_after = "730d"`: no sign-in for this long makes an unused id inactive.
    pub inactive_after: Option<String>,
    /// `reclaim_grace = "30d"`: how long after the reminder an id may be reclaimed.
    pub reclaim_grace: Option<String>,
}

/// The `[smoke]` table: what `riverpan smoke` never tests.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SmokeSection {
    /// `exclude = ["Acme-*", "Net-SSLeay"]`: distribution name patterns (`*`, `?`), added to
    /// `--exclude` and to what CPAN::Reporter::Smoker always skips.
    #[serde(default)]
    pub exclude: Vec<String>,
}

/// The `[tester]` table: who CPAN Testers reports (`install --report`, `smoke`) come from.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TesterSection {
    /// `name = "Jane Tester"`.
    pub name: Option<String>,
    /// `email = "jane@example.org"` (required to report, as CPAN::Reporter's `email_from`).
    pub email: Option<String>,
}

/// The `[mail]` table: where indexer reports are sent. Without a relay, no mail is sent.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MailSection {
    /// `relay = "127.0.0.1:25"` (env `RIVERPAN_SMTP_RELAY`).
    pub relay: Option<String>,
    /// `from = "riverpan@example.org"` (env `RIVERPAN_MAIL_FROM`).
    pub from: Option<String>,
    /// `admin = "cpan-admin@example.org"`: a copy of every report (env `RIVERPAN_MAIL_ADMIN`).
    pub admin: Option<String>,
}

/// The `[server]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ServerSection {
    /// `listen = "127.0.0.1:5000"`: the address `serve` binds.
    pub listen: Option<String>,
    /// `max_upload_size = "256MiB"`: the largest upload (env `RIVERPAN_MAX_UPLOAD_SIZE`).
    pub max_upload_size: Option<String>,
    /// `deletion_delay = "1h"`: how long a scheduled deletion waits (env
    /// `RIVERPAN_DELETION_DELAY`).
    pub deletion_delay: Option<String>,
    /// `admin = "ADMIN"`: the administrator created on first start (env `RIVERPAN_ADMIN`).
    pub admin: Option<String>,
    /// `public_url = "https://cpan.example.org/"`: the address clients reach this riverpan at,
    /// quoted in reports (env `RIVERPAN_PUBLIC_URL`).
    pub public_url: Option<String>,
}

/// A config file together with where it came from (for messages).
#[derive(Debug, Default)]
pub(crate) struct LoadedConfig {
    pub file: ConfigFile,
    /// `None` when no file was found and the defaults apply.
    pub path: Option<PathBuf>,
}

/// Loads `--config FILE` (which must exist), or else `DIR/riverpan.toml` when it exists, or else
/// nothing.
pub(crate) fn load(globals: &GlobalOptions) -> anyhow::Result<LoadedConfig> {
    let path = match &globals.config_file {
        Some(explicit) => explicit.clone(),
        None => {
            let implicit = globals.data_dir.join(CONFIG_FILE_NAME);
            if !implicit.exists() {
                return Ok(LoadedConfig::default());
            }
            implicit
        }
    };
    Ok(LoadedConfig {
        file: read(&path)?,
        path: Some(path),
    })
}

fn read(path: &Path) -> anyhow::Result<ConfigFile> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("invalid config file {}", path.display()))
}

/// Which layer a setting came from, for the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    FlagOrEnvironment,
    ConfigFile,
    Default,
}

/// The listen address: `flag_or_env` (clap's merge of `--listen` and `RIVERPAN_LISTEN`), else
/// the file's `[server] listen`, else [`DEFAULT_LISTEN`].
pub(crate) fn resolve_listen(flag_or_env: Option<&str>, config: &ConfigFile) -> (String, Source) {
    if let Some(listen) = flag_or_env {
        (listen.to_owned(), Source::FlagOrEnvironment)
    } else if let Some(listen) = &config.server.listen {
        (listen.clone(), Source::ConfigFile)
    } else {
        (DEFAULT_LISTEN.to_owned(), Source::Default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ConfigFile, toml::de::Error> {
        toml::from_str(text)
    }

    #[test]
    fn an_empty_file_means_defaults() -> Result<(), toml::de::Error> {
        let config = parse("")?;
        assert_eq!(
            resolve_listen(None, &config),
            (DEFAULT_LISTEN.to_owned(), Source::Default)
        );
        Ok(())
    }

    #[test]
    fn flag_or_env_wins_over_the_file_which_wins_over_the_default() -> Result<(), toml::de::Error> {
        let config = parse("[server]\nlisten = \"0.0.0.0:8080\"\n")?;
        assert_eq!(
            resolve_listen(None, &config),
            ("0.0.0.0:8080".to_owned(), Source::ConfigFile)
        );
        assert_eq!(
            resolve_listen(Some("[::1]:9000"), &config),
            ("[::1]:9000".to_owned(), Source::FlagOrEnvironment)
        );
        Ok(())
    }

    #[test]
    fn unknown_keys_are_rejected() {
        assert!(parse("[server]\nlisten = \"x\"\nlisen = \"typo\"\n").is_err());
        assert!(parse("[sever]\nlisten = \"x\"\n").is_err());
        assert!(parse("[cleanup]\nenabeld = true\n").is_err());
    }

    #[test]
    fn explicit_config_file_must_exist() {
        let globals = GlobalOptions {
            data_dir: PathBuf::from("/nonexistent-riverpan-data"),
            config_file: Some(PathBuf::from("/nonexistent-riverpan.toml")),
            verbose: 0,
        };
        let error = load(&globals).expect_err("a missing --config file is an error");
        assert!(
            format!("{error:#}").contains("cannot read the config file /nonexistent-riverpan.toml"),
            "{error:#}"
        );
    }

    #[test]
    fn implicit_config_file_is_optional() -> anyhow::Result<()> {
        let globals = GlobalOptions {
            data_dir: PathBuf::from("/nonexistent-riverpan-data"),
            config_file: None,
            verbose: 0,
        };
        let loaded = load(&globals)?;
        assert!(loaded.path.is_none());
        assert!(loaded.file.server.listen.is_none());
        Ok(())
    }
}
