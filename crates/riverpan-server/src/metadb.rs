//! The cpanmetadb API (`/v1.0/package/{module}`, `/v1.0/history/{module}`), which cpanm and cpm
//! ask before (or instead of) reading 02packages, and the in-memory index snapshot that answers
//! it and the JSON API.
//!
//! Package lookups are the hottest route of the server (every `cpanm Foo` asks one per
//! dependency), so they never touch SQLite: a background thread loads the package index and the
//! permissions into a [`Snapshot`] and swaps in a new one whenever the store's index generation
//! changes (checked every [`REFRESH_INTERVAL`]).  Handlers clone an `Arc` and answer from memory.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use riverpan_store::Store;
use tokio::sync::watch;

use crate::ServerState;

/// How often the refresher asks the store whether the index changed.  Short enough that an
/// upload shows up in lookups at once for a person, long enough that the query costs nothing.
pub(crate) const REFRESH_INTERVAL: Duration = Duration::from_millis(200);

/// `Cache-Control` of cpanmetadb answers.  cpanmetadb.plackperl.org says `max-age=1800`; a private
/// CPAN wants a new upload to be installable at once, so caches must revalidate.
const METADB_CACHE_CONTROL: &str = "no-cache";

/// The body of cpanmetadb's 404s, byte for byte.
const NOT_FOUND_BODY: &str = "Not found\n";

/// The routes of this module.
pub(crate) fn routes() -> Router<ServerState> {
    Router::new()
        .route("/v1.0/package/{module}", get(package))
        .route("/v1.0/history/{module}", get(history))
}

/// One package of the index.
#[derive(Debug)]
pub(crate) struct PackageEntry {
    /// The version as 02packages writes it (`undef` when there is none).
    pub(crate) version: Box<str>,
    /// Index into [`Snapshot::dists`].
    pub(crate) dist: u32,
}

/// One distribution file that provides indexed packages.
#[derive(Debug)]
pub(crate) struct DistEntry {
    /// The path below `authors/id/`, e.g. `M/MI/MIYAGAWA/Plack-1.0048.tar.gz`.
    pub(crate) path: Box<str>,
    /// The packages indexed to this file, with their versions, byte-sorted by name.
    pub(crate) provides: Vec<(Box<str>, Box<str>)>,
    /// `---\ndistfile: …\nprovides:\n  …\n`: every line of the YAML answer but the last, which
    /// depends on the package asked for.
    yaml_head: Box<str>,
}

/// A permission as 06perms shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Permission {
    /// `f`: the first-come owner.
    FirstCome,
    /// `c`: a co-maintainer.
    CoMaint,
}

impl Permission {
    /// The 06perms letter.
    pub(crate) fn letter(self) -> &'static str {
        match self {
            Permission::FirstCome => "f",
            Permission::CoMaint => "c",
        }
    }
}

/// The package index and the permissions at one index generation.
#[derive(Debug, Default)]
pub(crate) struct Snapshot {
    /// The store's index generation this snapshot was read at (or after).
    pub(crate) generation: u64,
    /// Exact-case package name → its entry.
    pub(crate) packages: HashMap<Box<str>, PackageEntry>,
    /// The distribution files `packages` point into.
    pub(crate) dists: Vec<DistEntry>,
    /// Distribution path → index into `dists`.
    pub(crate) dist_by_path: HashMap<Box<str>, u32>,
    /// PAUSE id → (package, best permission), sorted by package.
    pub(crate) permissions_by_author: HashMap<Box<str>, Vec<(Box<str>, Permission)>>,
    /// How long loading it took.
    pub(crate) load_time: Duration,
}

impl Snapshot {
    /// Reads the whole index from `store`.
    pub(crate) fn load(store: &Store) -> Result<Snapshot, riverpan_store::StoreError> {
        let started = Instant::now();
        // The generation first: whatever is read after it is at least as new, so a change that
        // lands in between only causes one extra reload, never a stale snapshot.
        let generation = store.index_generation()?;
        let reader = store.reader();
        let rows = reader.all_packages()?;

        let mut dist_by_path: HashMap<Box<str>, u32> = HashMap::new();
        let mut dists: Vec<DistEntry> = Vec::new();
        let mut packages = HashMap::with_capacity(rows.len());
        for row in rows {
            let dist = match dist_by_path.get(row.dist.as_str()) {
                Some(&index) => index,
                None => {
                    let index = u32::try_from(dists.len()).unwrap_or(u32::MAX);
                    dist_by_path.insert(row.dist.as_str().into(), index);
                    dists.push(DistEntry {
                        path: row.dist.as_str().into(),
                        provides: Vec::new(),
                        yaml_head: "".into(),
                    });
                    index
                }
            };
            let version: Box<str> = row.version.into();
            if let Some(entry) = dists.get_mut(dist as usize) {
                entry
                    .provides
                    .push((row.package.as_str().into(), version.clone()));
            }
            packages.insert(row.package.into(), PackageEntry { version, dist });
        }
        for dist in &mut dists {
            // YAML.pm sorts hash keys with Perl's `sort`: byte order.
            dist.provides.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            dist.yaml_head = yaml_head(&dist.path, &dist.provides).into();
        }

        let mut best: HashMap<(String, String), Permission> = HashMap::new();
        for row in reader.all_permissions(true)? {
            best.insert((row.package, row.userid), Permission::FirstCome);
        }
        for row in reader.all_permissions(false)? {
            best.entry((row.package, row.userid))
                .or_insert(Permission::CoMaint);
        }
        let mut permissions_by_author: HashMap<Box<str>, Vec<(Box<str>, Permission)>> =
            HashMap::new();
        for ((package, userid), permission) in best {
            permissions_by_author
                .entry(userid.into())
                .or_default()
                .push((package.into(), permission));
        }
        for list in permissions_by_author.values_mut() {
            list.sort_unstable();
        }

        Ok(Snapshot {
            generation,
            packages,
            dists,
            dist_by_path,
            permissions_by_author,
            load_time: started.elapsed(),
        })
    }

    /// The cpanmetadb answer for `package`, or `None` when it is not indexed.
    pub(crate) fn package_yaml(&self, package: &str) -> Option<String> {
        let entry = self.packages.get(package)?;
        let dist = self.dists.get(entry.dist as usize)?;
        let mut body = String::with_capacity(dist.yaml_head.len() + entry.version.len() + 12);
        body.push_str(&dist.yaml_head);
        body.push_str("version:");
        push_yaml_value(&mut body, &entry.version);
        Some(body)
    }

    /// The distribution file `package` is indexed to, with its version.
    pub(crate) fn package(&self, package: &str) -> Option<(&PackageEntry, &DistEntry)> {
        let entry = self.packages.get(package)?;
        Some((entry, self.dists.get(entry.dist as usize)?))
    }

    /// The packages indexed to the distribution file `path` (below `authors/id/`).
    pub(crate) fn provides(&self, path: &str) -> &[(Box<str>, Box<str>)] {
        self.dist_by_path
            .get(path)
            .and_then(|&index| self.dists.get(index as usize))
            .map_or(&[], |dist| dist.provides.as_slice())
    }
}

/// The state of the in-memory index, as handlers see it.
#[derive(Debug, Clone)]
pub(crate) enum SnapshotState {
    /// The first load is still running.
    Loading,
    /// The current snapshot.
    Ready(Arc<Snapshot>),
    /// The first load failed (a later success replaces this).
    Failed(Arc<str>),
}

/// The current [`Snapshot`], kept up to date by a background thread that stops when the last
/// handle is dropped.
pub(crate) struct SnapshotCache {
    current: watch::Receiver<SnapshotState>,
}

impl SnapshotCache {
    /// Starts the refresher thread for the store in `data_dir`.
    pub(crate) fn start(data_dir: PathBuf) -> SnapshotCache {
        let (sender, current) = watch::channel(SnapshotState::Loading);
        let spawned = std::thread::Builder::new()
            .name("riverpan-index-snapshot".into())
            .spawn(move || refresh_loop(&data_dir, &sender));
        if let Err(error) = spawned {
            tracing::error!(%error, "cannot start the index snapshot thread");
            // The receiver still works; it reports the failure to every request.
            let (sender, current) = watch::channel(SnapshotState::Failed(
                format!("cannot start the index snapshot thread: {error}").into(),
            ));
            drop(sender);
            return SnapshotCache { current };
        }
        SnapshotCache { current }
    }

    /// The current snapshot, waiting for the first load if it is still running.
    pub(crate) async fn get(&self) -> Result<Arc<Snapshot>, Arc<str>> {
        let mut receiver = self.current.clone();
        let state = match receiver
            .wait_for(|state| !matches!(state, SnapshotState::Loading))
            .await
        {
            Ok(state) => state.clone(),
            Err(_) => return Err("the index snapshot thread stopped".into()),
        };
        match state {
            SnapshotState::Ready(snapshot) => Ok(snapshot),
            SnapshotState::Failed(reason) => Err(reason),
            SnapshotState::Loading => Err("the index is still loading".into()),
        }
    }

    /// The current snapshot if one is loaded (for metrics: never waits).
    pub(crate) fn peek(&self) -> Option<Arc<Snapshot>> {
        match &*self.current.borrow() {
            SnapshotState::Ready(snapshot) => Some(snapshot.clone()),
            _ => None,
        }
    }
}

/// Loads the snapshot, then reloads it whenever the index generation changes, until every
/// receiver is gone (the server state was dropped).
fn refresh_loop(data_dir: &std::path::Path, sender: &watch::Sender<SnapshotState>) {
    let mut store: Option<Store> = None;
    let mut loaded: Option<u64> = None;
    loop {
        if sender.is_closed() {
            return;
        }
        let result = (|| -> Result<(), riverpan_store::StoreError> {
            let store = match &mut store {
                Some(store) => store,
                slot => slot.insert(Store::open(data_dir)?),
            };
            let generation = store.index_generation()?;
            if loaded != Some(generation) {
                let snapshot = Snapshot::load(store)?;
                tracing::info!(
                    generation = snapshot.generation,
                    packages = snapshot.packages.len(),
                    distributions = snapshot.dists.len(),
                    load_ms = snapshot.load_time.as_millis() as u64,
                    "index snapshot loaded"
                );
                loaded = Some(snapshot.generation);
                sender.send_replace(SnapshotState::Ready(Arc::new(snapshot)));
            }
            Ok(())
        })();
        if let Err(error) = result {
            tracing::error!(%error, "cannot load the index snapshot");
            // Keep serving the last good snapshot; only the very first failure is reported to
            // requests, which would otherwise wait for ever.
            if loaded.is_none() {
                sender.send_replace(SnapshotState::Failed(error.to_string().into()));
            }
            // Reopen: the connection may be what broke.
            store = None;
        }
        std::thread::sleep(REFRESH_INTERVAL);
    }
}

/// `---\ndistfile: PATH\nprovides:\n  PKG: VERSION\n…` as `YAML::Dump` writes it.
fn yaml_head(path: &str, provides: &[(Box<str>, Box<str>)]) -> String {
    let mut out = String::with_capacity(32 + path.len() + provides.len() * 40);
    out.push_str("---\ndistfile:");
    push_yaml_value(&mut out, path);
    if provides.is_empty() {
        out.push_str("provides: {}\n");
    } else {
        out.push_str("provides:\n");
        for (package, version) in provides {
            out.push_str("  ");
            push_yaml_scalar(&mut out, package);
            out.push(':');
            push_yaml_value(&mut out, version);
        }
    }
    out
}

/// ` VALUE\n`, the value of a mapping entry.
fn push_yaml_value(out: &mut String, value: &str) {
    out.push(' ');
    push_yaml_scalar(out, value);
    out.push('\n');
}

/// A string scalar styled as YAML.pm 1.x (`YAML::Dumper::_emit_str`) styles a Perl string: plain
/// when `is_valid_plain` allows it, else double-quoted when it has control characters or a
/// single quote, else single-quoted.  Numbers read from text are strings to Perl, so `1.0`
/// stays `1.0`.
pub(crate) fn push_yaml_scalar(out: &mut String, value: &str) {
    let has_escape_char = value
        .chars()
        .any(|c| matches!(c, '\x00'..='\x08' | '\x0b'..='\x1f'));
    if has_escape_char || value.contains('\n') {
        // YAML.pm writes a literal block for long multi-line strings; names and versions never
        // have line breaks, so the double-quoted form is enough here.
        push_yaml_double(out, value);
    } else if yaml_is_valid_plain(value) {
        out.push_str(value);
    } else if value.contains('\'') {
        push_yaml_double(out, value);
    } else {
        out.push('\'');
        out.push_str(value);
        out.push('\'');
    }
}

/// `YAML::Dumper::is_valid_plain` (with `QuoteNumericStrings` off, the default).
fn yaml_is_valid_plain(value: &str) -> bool {
    let Some(first) = value.chars().next() else {
        return false;
    };
    let last = value.chars().next_back().unwrap_or(first);
    let is_perl_space = |c: char| c.is_ascii_whitespace() || c == '\x0b';
    if is_perl_space(first) || "{[~`'\"!@#>|%&?*^".contains(first) {
        return false;
    }
    if value.contains(['{', '[', ']', '}', ',']) {
        return false;
    }
    let chars: Vec<char> = value.chars().collect();
    for pair in chars.windows(2) {
        if matches!(pair[0], ':' | '-' | '?') && is_perl_space(pair[1]) {
            return false;
        }
        if is_perl_space(pair[0]) && pair[1] == '#' {
            return false;
        }
    }
    if last == ':' || is_perl_space(last) || last == '|' || last == '>' {
        return false;
    }
    value != "-" && value != "="
}

/// YAML.pm's double-quoted style (`_emit_double`).
fn push_yaml_double(out: &mut String, value: &str) {
    const ESCAPES: [&str; 32] = [
        "\\0", "\\x01", "\\x02", "\\x03", "\\x04", "\\x05", "\\x06", "\\a", "\\x08", "\\t", "\\n",
        "\\v", "\\f", "\\r", "\\x0e", "\\x0f", "\\x10", "\\x11", "\\x12", "\\x13", "\\x14",
        "\\x15", "\\x16", "\\x17", "\\x18", "\\x19", "\\x1a", "\\e", "\\x1c", "\\x1d", "\\x1e",
        "\\x1f",
    ];
    out.push('"');
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c if (c as u32) < 0x20 => out.push_str(ESCAPES[c as usize]),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A cpanmetadb-style plain-text answer.
fn text_response(status: StatusCode, content_type: &'static str, body: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static(METADB_CACHE_CONTROL),
            ),
        ],
        body,
    )
        .into_response()
}

fn not_found() -> Response {
    text_response(
        StatusCode::NOT_FOUND,
        "text/plain",
        NOT_FOUND_BODY.to_owned(),
    )
}

/// Answers 503 when the index cannot be read at all.
pub(crate) fn unavailable(reason: &str) -> Response {
    tracing::error!(%reason, "index snapshot unavailable");
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("the package index is not available: {reason}\n"),
    )
        .into_response()
}

/// `GET /v1.0/package/{module}`.
async fn package(State(state): State<ServerState>, Path(module): Path<String>) -> Response {
    let snapshot = match state.inner.snapshot.get().await {
        Ok(snapshot) => snapshot,
        Err(reason) => return unavailable(&reason),
    };
    match snapshot.package_yaml(&module) {
        Some(body) => text_response(StatusCode::OK, "text/yaml", body),
        None => not_found(),
    }
}

/// `GET /v1.0/history/{module}`: every index entry the package had, oldest first, as
/// 02packages lines.
async fn history(State(state): State<ServerState>, Path(module): Path<String>) -> Response {
    let readers = state.inner.readers.clone();
    let lookup = module.clone();
    let rows = tokio::task::spawn_blocking(move || {
        readers.with(|store| store.reader().package_history(&lookup))
    })
    .await;
    let rows = match rows {
        Ok(Ok(rows)) => rows,
        Ok(Err(error)) => return crate::api::internal_error(&error.to_string()),
        Err(error) => return crate::api::internal_error(&error.to_string()),
    };
    if rows.is_empty() {
        return not_found();
    }
    let mut body = String::with_capacity(rows.len() * 80);
    for (version, dist) in &rows {
        push_packages_line(&mut body, &module, version, dist);
    }
    text_response(StatusCode::OK, "text/plain", body)
}

/// One 02packages line: PAUSE's `%-30s %8s  %s\n`, widened as `rewrite02` does for long names.
pub(crate) fn push_packages_line(out: &mut String, package: &str, version: &str, path: &str) {
    let version_width = version.chars().count();
    let (one, two) = if package.chars().count() > 30 {
        // Perl's sprintf reads a negative width `%--Ns` as N: the absolute value.
        let one = 38 - version_width as i64;
        (one.unsigned_abs() as usize, version_width)
    } else {
        (30, 8)
    };
    let _ = writeln!(out, "{package:<one$} {version:>two$}  {path}");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar(value: &str) -> String {
        let mut out = String::new();
        push_yaml_scalar(&mut out, value);
        out
    }

    #[test]
    fn scalars_are_styled_as_yaml_pm_does() {
        assert_eq!(scalar("1.0048"), "1.0048");
        assert_eq!(scalar("undef"), "undef");
        assert_eq!(scalar("v1.2.3"), "v1.2.3");
        assert_eq!(scalar("HTTP::Message::PSGI"), "HTTP::Message::PSGI");
        assert_eq!(
            scalar("M/MI/MIYAGAWA/Plack-1.0048.tar.gz"),
            "M/MI/MIYAGAWA/Plack-1.0048.tar.gz"
        );
        assert_eq!(scalar(""), "''");
        assert_eq!(scalar("Foo:"), "'Foo:'");
        assert_eq!(scalar("a, b"), "'a, b'");
        assert_eq!(scalar("it's"), "it's");
        assert_eq!(scalar("'quoted'"), "\"'quoted'\"");
        assert_eq!(scalar("%x"), "'%x'");
        assert_eq!(scalar("tab\x07"), "\"tab\\a\"");
    }

    #[test]
    fn packages_lines_follow_rewrite02() {
        let mut out = String::new();
        push_packages_line(&mut out, "Foo", "1.0", "A/AB/ABC/Foo-1.0.tar.gz");
        assert_eq!(
            out,
            "Foo                                 1.0  A/AB/ABC/Foo-1.0.tar.gz\n"
        );
        let mut out = String::new();
        let long = "Very::Long::Package::Name::Beyond::Thirty";
        push_packages_line(&mut out, long, "1.0", "A/AB/ABC/Foo-1.0.tar.gz");
        // Wider than 30: the columns shift by 8 - length(version), as rewrite02 does.
        assert_eq!(out, format!("{long} 1.0  A/AB/ABC/Foo-1.0.tar.gz\n"));
    }

    /// Compares with YAML.pm itself when Perl has it (Debian: libyaml-perl).
    #[test]
    fn yaml_matches_yaml_pm() {
        let has_yaml = std::process::Command::new("perl")
            .args(["-MYAML", "-e1"])
            .status()
            .is_ok_and(|status| status.success());
        if !has_yaml {
            eprintln!("skipped: perl with YAML.pm (libyaml-perl) is not installed");
            return;
        }
        let provides: Vec<(Box<str>, Box<str>)> = vec![
            ("Foo".into(), "1.0".into()),
            ("Foo::Bar".into(), "undef".into()),
            ("Foo::Quote".into(), "1.0 beta".into()),
            ("Foo::Colon".into(), "x:".into()),
            ("Foo::Tick".into(), "'1'".into()),
            ("Foo::Empty".into(), "".into()),
            ("Foo::Dash".into(), "-".into()),
            ("Foo::Hash".into(), "1 #2".into()),
        ];
        let mut sorted = provides.clone();
        sorted.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut ours = yaml_head("F/FO/FOO/Foo-1.0.tar.gz", &sorted);
        ours.push_str("version:");
        push_yaml_value(&mut ours, "1.0");
        let mut script =
            String::from("use YAML; print YAML::Dump({distfile => 'F/FO/FOO/Foo-1.0.tar.gz', version => '1.0', provides => {");
        for (package, version) in &provides {
            let quote = |s: &str| format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"));
            script.push_str(&format!("{} => {},", quote(package), quote(version)));
        }
        script.push_str("}});");
        let output = std::process::Command::new("perl")
            .args(["-e", &script])
            .output()
            .expect("perl runs");
        assert!(output.status.success(), "{output:?}");
        assert_eq!(ours, String::from_utf8_lossy(&output.stdout));
    }
}
