//! `riverpan`: a self-hostable CPAN in one binary.
//!
//! This file holds the command line (clap) and dispatch; each subcommand lives in its own
//! module.  `version` and `distname` are a stable scripting interface (their `--json` output
//! and exit codes are specified in their `--help` and must not change); `serve` runs the server.

mod account_cmd;
mod config;
mod distname_cmd;
mod ids_cmd;
mod input;
mod inspect_cmd;
mod install_cmd;
mod installed_cmd;
mod logging;
mod perms_cmd;
mod repo_cmd;
mod river_cmd;
mod serve_cmd;
mod smoke_cmd;
mod testers_cmd;
mod version_cmd;

use std::io;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{ArgAction, Parser, Subcommand};

/// Help heading that keeps the global options apart from each subcommand's own.
const GLOBAL_OPTIONS: &str = "Global options";

/// Exit status of usage errors (clap uses it for its own, too).
const EXIT_USAGE: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "riverpan",
    version,
    about = "A self-hostable CPAN in one binary",
    long_about = "riverpan is a self-hostable CPAN in one binary: PAUSE-style uploads and \
        indexing, a CPAN mirror, CPAN Testers and MetaCPAN's river.\n\n\
        Today it serves a status page (`riverpan serve`) and offers the CPAN vocabulary as \
        stable scripting commands (`riverpan version`, `riverpan distname`, `riverpan inspect`).",
    after_help = "Configuration: flags win over RIVERPAN_* environment variables, which win over \
        the config file (TOML), which wins over the defaults. Example riverpan.toml:\n\n  \
        [server]\n  listen = \"127.0.0.1:5000\"\n\n\
        Examples:\n  \
        riverpan serve\n  \
        riverpan --data /srv/riverpan serve --listen 0.0.0.0:8080\n  \
        riverpan version --json 1.02_03\n  \
        riverpan distname authors/id/N/NE/NEILB/Foo-Bar-1.23.tar.gz\n  \
        riverpan inspect --json Foo-Bar-1.23.tar.gz"
)]
struct Cli {
    /// Data directory: holds the store (riverpan.sqlite) and, by default, the config file.
    #[arg(
        long,
        global = true,
        help_heading = GLOBAL_OPTIONS,
        value_name = "DIR",
        env = "RIVERPAN_DATA",
        default_value = "./riverpan-data"
    )]
    data: PathBuf,

    /// Config file (TOML) [default: DIR/riverpan.toml when it exists].
    #[arg(
        long,
        global = true,
        help_heading = GLOBAL_OPTIONS,
        value_name = "FILE",
        env = "RIVERPAN_CONFIG"
    )]
    config: Option<PathBuf>,

    /// Log more: -v for debug, -vv for trace (takes precedence over RUST_LOG).
    #[arg(short, long, global = true, help_heading = GLOBAL_OPTIONS, action = ArgAction::Count)]
    verbose: u8,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Serve(serve_cmd::ServeArgs),
    Version(version_cmd::VersionArgs),
    Distname(distname_cmd::DistnameArgs),
    Inspect(inspect_cmd::InspectArgs),
    Init(repo_cmd::InitArgs),
    User(repo_cmd::UserArgs),
    Perms(repo_cmd::PermsArgs),
    Upload(repo_cmd::UploadArgs),
    Import(repo_cmd::ImportArgs),
    Check(repo_cmd::CheckArgs),
    Index(repo_cmd::IndexArgs),
    Report(repo_cmd::ReportArgs),
    Token(account_cmd::TokenArgs),
    Passwd(account_cmd::PasswdArgs),
    Delete(account_cmd::DeleteArgs),
    Ids(ids_cmd::IdsArgs),
    Cleanup(ids_cmd::CleanupArgs),
    Testers(testers_cmd::TestersArgs),
    River(river_cmd::RiverArgs),
    Install(install_cmd::InstallArgs),
    Exec(install_cmd::ExecArgs),
    List(installed_cmd::ListArgs),
    Uninstall(installed_cmd::UninstallArgs),
    Cache(install_cmd::CacheArgs),
    Smoke(smoke_cmd::SmokeArgs),
}

/// Global options every subcommand may need.
#[derive(Debug, Clone)]
pub(crate) struct GlobalOptions {
    /// `--data`.
    pub data_dir: PathBuf,
    /// `--config`, when given.
    pub config_file: Option<PathBuf>,
    /// How many `-v`.
    pub verbose: u8,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init(cli.verbose);
    let globals = GlobalOptions {
        data_dir: cli.data,
        config_file: cli.config,
        verbose: cli.verbose,
    };
    let outcome = match cli.command {
        Command::Serve(args) => serve_cmd::run(&globals, &args),
        Command::Version(args) => version_cmd::run(&args),
        Command::Distname(args) => distname_cmd::run(&args),
        Command::Inspect(args) => inspect_cmd::run(&args),
        Command::Init(args) => repo_cmd::init(&globals, &args),
        Command::User(args) => repo_cmd::user(&globals, &args),
        Command::Perms(args) => repo_cmd::perms(&globals, &args),
        Command::Upload(args) => repo_cmd::upload(&globals, &args),
        Command::Import(args) => repo_cmd::import(&globals, &args),
        Command::Check(args) => repo_cmd::check(&globals, &args),
        Command::Index(args) => repo_cmd::index(&globals, &args),
        Command::Report(args) => repo_cmd::report(&globals, &args),
        Command::Token(args) => account_cmd::token(&globals, &args),
        Command::Passwd(args) => account_cmd::passwd(&globals, &args),
        Command::Delete(args) => account_cmd::delete(&globals, &args),
        Command::Ids(args) => ids_cmd::ids(&globals, &args),
        Command::Cleanup(args) => ids_cmd::cleanup(&globals, &args),
        Command::Testers(args) => testers_cmd::run(&globals, &args),
        Command::River(args) => river_cmd::run(&globals, &args),
        Command::Install(args) => install_cmd::install(&globals, &args),
        Command::Exec(args) => install_cmd::exec(&globals, &args),
        Command::List(args) => installed_cmd::list(&globals, &args),
        Command::Uninstall(args) => installed_cmd::uninstall(&globals, &args),
        Command::Cache(args) => install_cmd::cache(&globals, &args),
        Command::Smoke(args) => smoke_cmd::run(&globals, &args),
    };
    match outcome {
        Ok(code) => code,
        // The reader went away (`riverpan version --json < big | head`): nothing left to do.
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("riverpan: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|io_error| io_error.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// Stops with a usage error in clap's format and exit status [`EXIT_USAGE`].
pub(crate) fn usage_error(message: impl std::fmt::Display) -> ! {
    use clap::CommandFactory;
    let error = Cli::command().error(clap::error::ErrorKind::ArgumentConflict, message);
    // Printing can only fail when stderr is gone, and then there is no one to tell.
    let _ = error.print();
    std::process::exit(i32::from(EXIT_USAGE))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
