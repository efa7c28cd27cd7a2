//! `riverpan serve`: opens the store and runs the HTTP server until SIGINT/SIGTERM.

use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use riverpan_server::ServerState;
use riverpan_store::Store;

use crate::config;
use crate::GlobalOptions;

const SERVE_AFTER_HELP: &str = "\
Listen address: --listen, else $RIVERPAN_LISTEN, else `listen` in the [server] table of the
config file, else 127.0.0.1:5000. Use port 0 for any free port (the log says which).

Routes:
  /                HTML status page
  /api/v1/status   the same as JSON
  /healthz         \"ok\"
  /metrics         Prometheus metrics
  POST /pause/authenquery   uploads from cpan-upload (CPAN::Uploader), Basic auth
  POST /api/upload          uploads with a token (Bearer PAUSEID:TOKENID:SECRET), JSON
  POST /api/v1/deletions    schedule a deletion; DELETE /api/v1/deletions/ID undeletes
  /request-id               the public form to request a PAUSE id (see `riverpan ids --help`)
  /admin/id-requests        administrators: the queue, account states; /admin/inactive-ids

Uploads: on first start (no accounts) an administrator ADMIN is created ($RIVERPAN_ADMIN,
`admin` in [server]) with $RIVERPAN_ADMIN_PASSWORD or a one-time password printed to stderr.
`[server] max_upload_size` (default 256MiB, env RIVERPAN_MAX_UPLOAD_SIZE) and `deletion_delay`
(default 1h, env RIVERPAN_DELETION_DELAY). Upload with
  CPAN_UPLOADER_UPLOAD_URI=http://HOST:PORT/pause/authenquery cpan-upload -u ID -p PASSWORD FILE

With `[cleanup] enabled = true` the worker schedules old releases for deletion every
`[cleanup] interval` (see `riverpan cleanup --help`).

Stops cleanly on SIGINT (Ctrl-C) and SIGTERM.

Examples:
  riverpan serve
  riverpan --data /srv/riverpan serve --listen 0.0.0.0:8080
  RIVERPAN_LISTEN='[::1]:5000' riverpan serve";

/// Open (or create) the store in the data directory and serve the status page.
#[derive(Debug, Args)]
#[command(
    long_about = "Open the store in the data directory (--data, created when missing), bring \
        its schema up to date, and serve riverpan over HTTP: today a status page, a JSON status \
        API, a health check and Prometheus metrics. The CPAN mirror and uploads come later.",
    after_help = SERVE_AFTER_HELP
)]
pub(crate) struct ServeArgs {
    /// Address to listen on, e.g. 127.0.0.1:5000 or [::]:80 [default: 127.0.0.1:5000].
    #[arg(long, value_name = "ADDR", env = "RIVERPAN_LISTEN")]
    listen: Option<String>,
    /// The address clients reach this riverpan at (e.g. https://cpan.example.org/), quoted in
    /// reports' commands [default: `public_url` in [server], else http://ADDR/ when ADDR is a
    /// specific address].
    #[arg(long, value_name = "URL", env = "RIVERPAN_PUBLIC_URL")]
    public_url: Option<String>,
}

/// Runs `riverpan serve`.
pub(crate) fn run(globals: &GlobalOptions, args: &ServeArgs) -> anyhow::Result<ExitCode> {
    let loaded = config::load(globals)?;
    match &loaded.path {
        Some(path) => tracing::info!(config = %path.display(), "config file loaded"),
        None => tracing::debug!("no config file; using defaults"),
    }
    let (listen, source) = config::resolve_listen(args.listen.as_deref(), &loaded.file);
    tracing::debug!(%listen, ?source, "listen address chosen");

    // An absolute path on the status page says unambiguously where the data is.
    std::fs::create_dir_all(&globals.data_dir).with_context(|| {
        format!(
            "cannot create the data directory {}",
            globals.data_dir.display()
        )
    })?;
    let data_dir = std::fs::canonicalize(&globals.data_dir)
        .with_context(|| format!("cannot resolve {}", globals.data_dir.display()))?;
    let store = Store::open(&data_dir)?;
    tracing::info!(
        store = %store.path().display(),
        schema_version = store.schema_version()?,
        "store opened"
    );
    let write_options = crate::account_cmd::write_options(&loaded)?;
    {
        // The repository catches the published files up and creates the first administrator.
        let mut repository = riverpan_repository::Repository::open(&data_dir)?;
        crate::account_cmd::bootstrap_admin(&mut repository, &loaded)?;
    }
    let state = ServerState::new(env!("CARGO_PKG_VERSION"), store);
    // Uploads, deletions and the indexing worker (which first indexes what is still queued).
    let writes = state
        .enable_writes(write_options)
        .context("cannot start the upload side")?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        // Before the "serving" line: whoever reads it may signal right away.
        let shutdown = riverpan_server::shutdown_signal();
        let listener = tokio::net::TcpListener::bind(&listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        let addr = listener
            .local_addr()
            .context("cannot read the listening address")?;
        // What the indexer's reports quote as the address to run commands against.
        let public_url = args
            .public_url
            .clone()
            .or_else(|| loaded.file.server.public_url.clone())
            .or_else(|| (!addr.ip().is_unspecified()).then(|| format!("http://{addr}/")));
        if let Some(url) = &public_url {
            Store::open(&data_dir)?
                .set_setting(riverpan_repository::settings::PUBLIC_URL, url)
                .context("cannot record the public address")?;
        }
        tracing::info!(
            "riverpan {} serving http://{addr}/ (data directory {})",
            env!("CARGO_PKG_VERSION"),
            data_dir.display()
        );
        // What to do next, for the person who just started it.
        eprintln!(
            "\n  upload:   CPAN_UPLOADER_UPLOAD_URI=http://{addr}/pause/authenquery cpan-upload -u PAUSEID Foo-Bar-1.0.tar.gz\n\
             \x20           (authors: riverpan --data {data} user add PAUSEID; riverpan --data {data} passwd PAUSEID)\n\
             \x20 or token: curl -H 'Authorization: Bearer TOKEN' -F file=@Foo-Bar-1.0.tar.gz http://{addr}/api/upload\n\
             \x20           (riverpan --data {data} token create PAUSEID)\n\
             \x20 install:  cpanm --mirror http://{addr}/ --mirror-only Foo::Bar\n\
             \x20           cpm install --resolver 02packages,http://{addr}/ Foo::Bar\n\
             \x20 CPAN.pm:  o conf urllist http://{addr}/\n",
            data = data_dir.display()
        );
        let served = riverpan_server::serve(listener, state, shutdown).await;
        // The worker finishes the pass it is in; anything still queued is indexed next start.
        writes.shutdown();
        served.context("server failed")?;
        tracing::info!("server stopped");
        Ok(ExitCode::SUCCESS)
    })
}
