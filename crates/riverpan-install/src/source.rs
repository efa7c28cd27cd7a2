//! Where distributions come from (a riverpan, any CPAN mirror over HTTP, a local CPAN tree or a
//! riverpan data directory), and getting a tarball from one: verified against its author's
//! CHECKSUMS and kept in a download cache addressed by SHA-256, shared by every project.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::InstallError;

/// The largest index file or tarball read from a source.
const MAX_DOWNLOAD: u64 = 256 * 1024 * 1024;
/// Tries per HTTP request (the first and two retries) on connection errors and 5xx answers.
const TRIES: u32 = 3;

/// A CPAN layout reached over HTTP or on disk.
#[derive(Debug)]
pub enum Source {
    /// `http://host[:port]/path/` with `modules/` and `authors/id/` below it.
    Http {
        /// The base URL, ending in `/`.
        base: String,
        /// Keep-alive connections, shared by the workers.
        agent: ureq::Agent,
    },
    /// A CPAN tree on disk (`modules/`, `authors/id/`).
    Local {
        /// Its root.
        root: PathBuf,
    },
}

impl Source {
    /// `http(s)://…` is a mirror or a riverpan; anything else a directory: a CPAN tree, or a
    /// riverpan data directory (whose tree is `DIR/cpan`).
    pub fn parse(spec: &str) -> Result<Source, InstallError> {
        if spec.starts_with("http://") || spec.starts_with("https://") {
            let mut base = spec.to_string();
            if !base.ends_with('/') {
                base.push('/');
            }
            let agent = ureq::AgentBuilder::new()
                .timeout_connect(Duration::from_secs(10))
                .timeout_read(Duration::from_secs(120))
                .max_idle_connections_per_host(16)
                .build();
            return Ok(Source::Http { base, agent });
        }
        let dir = PathBuf::from(spec.strip_prefix("file://").unwrap_or(spec));
        for root in [dir.join("cpan"), dir.clone()] {
            if root.join("modules/02packages.details.txt.gz").is_file() {
                return Ok(Source::Local { root });
            }
        }
        Err(InstallError::Source {
            source_name: spec.to_string(),
            why: "neither a URL nor a directory holding modules/02packages.details.txt.gz"
                .to_string(),
        })
    }

    /// How the source is named in messages.
    pub fn name(&self) -> String {
        match self {
            Source::Http { base, .. } => base.clone(),
            Source::Local { root } => root.display().to_string(),
        }
    }

    /// The bytes of `path` (relative to the CPAN root), or `None` when the source has no such
    /// file (404).
    pub fn get(&self, path: &str) -> Result<Option<Vec<u8>>, InstallError> {
        let failed = |why: String| InstallError::Source {
            source_name: self.name(),
            why,
        };
        match self {
            Source::Local { root } => {
                if path.split('/').any(|part| part == ".." || part.is_empty()) {
                    return Err(failed(format!("refusing the path {path}")));
                }
                match std::fs::read(root.join(path)) {
                    Ok(bytes) => Ok(Some(bytes)),
                    Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(error) => Err(failed(format!("reading {path}: {error}"))),
                }
            }
            Source::Http { base, agent } => {
                let url = format!("{base}{path}");
                let mut last = String::new();
                for attempt in 0..TRIES {
                    if attempt > 0 {
                        std::thread::sleep(Duration::from_millis(200 << attempt));
                    }
                    match agent.get(&url).call() {
                        Ok(response) => {
                            let mut bytes = Vec::new();
                            response
                                .into_reader()
                                .take(MAX_DOWNLOAD + 1)
                                .read_to_end(&mut bytes)
                                .map_err(|error| failed(format!("reading {url}: {error}")))?;
                            if bytes.len() as u64 > MAX_DOWNLOAD {
                                return Err(failed(format!("{url} is larger than 256 MiB")));
                            }
                            return Ok(Some(bytes));
                        }
                        Err(ureq::Error::Status(404 | 410, _)) => return Ok(None),
                        Err(ureq::Error::Status(code, _)) if code < 500 => {
                            return Err(failed(format!("{url}: HTTP {code}")))
                        }
                        Err(error) => last = error.to_string(),
                    }
                }
                Err(failed(format!("{url}: {last}")))
            }
        }
    }
}

/// Downloaded tarballs by SHA-256: `DIR/sha256/ab/abcdef….tar.gz`.
#[derive(Debug, Clone)]
pub struct DownloadCache {
    dir: PathBuf,
}

impl DownloadCache {
    /// The cache in `dir` (created on first use).
    pub fn new(dir: &Path) -> DownloadCache {
        DownloadCache {
            dir: dir.to_path_buf(),
        }
    }

    fn path_for(&self, sha256: &str) -> PathBuf {
        let shard = sha256.get(..2).unwrap_or("00");
        self.dir.join("sha256").join(shard).join(sha256)
    }

    /// The cached bytes with this SHA-256 (checked again: a damaged cache entry is a miss).
    pub fn get(&self, sha256: &str) -> Option<Vec<u8>> {
        let bytes = std::fs::read(self.path_for(sha256)).ok()?;
        (sha256_hex(&bytes) == sha256).then_some(bytes)
    }

    /// Keeps `bytes` (whose SHA-256 is `sha256`); a failure to cache is not an error.
    pub fn put(&self, sha256: &str, bytes: &[u8]) {
        let path = self.path_for(sha256);
        let Some(dir) = path.parent() else {
            return;
        };
        let temp = dir.join(format!(".{sha256}.{}", std::process::id()));
        let stored = std::fs::create_dir_all(dir)
            .and_then(|()| std::fs::write(&temp, bytes))
            .and_then(|()| std::fs::rename(&temp, &path));
        if let Err(error) = stored {
            let _ = std::fs::remove_file(&temp);
            tracing::debug!("could not cache {sha256}: {error}");
        }
    }
}

/// Lowercase hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A tarball fetched, with how it was obtained.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// Their SHA-256.
    pub sha256: String,
    /// Served from the download cache.
    pub from_cache: bool,
    /// Checked against the author's CHECKSUMS.
    pub verified: bool,
}

/// Fetches distribution files from the sources in order, verifying them against CHECKSUMS
/// (read once per author directory) unless told not to.
#[derive(Debug)]
pub struct Fetcher {
    sources: Vec<Source>,
    cache: DownloadCache,
    verify: bool,
    checksums: Mutex<BTreeMap<String, BTreeMap<String, cpan_index::ChecksumRecord>>>,
    /// Local targets (a tarball or a directory on disk) by their distribution id.
    locals: BTreeMap<String, PathBuf>,
}

impl Fetcher {
    /// A fetcher over `sources`, caching in `cache`.
    pub fn new(sources: Vec<Source>, cache: DownloadCache, verify: bool) -> Fetcher {
        Fetcher {
            sources,
            cache,
            verify,
            checksums: Mutex::new(BTreeMap::new()),
            locals: BTreeMap::new(),
        }
    }

    /// Serve the distribution `id` from the file or directory `path` (a local target: the user
    /// named it, so nothing verifies it against CHECKSUMS).
    pub fn add_local(&mut self, id: &str, path: PathBuf) {
        self.locals.insert(id.to_string(), path);
    }

    /// The directory a local distribution `id` is built from, when it is one.
    pub fn local_directory(&self, id: &str) -> Option<&Path> {
        self.locals
            .get(id)
            .map(PathBuf::as_path)
            .filter(|path| path.is_dir())
    }

    /// The sources.
    pub fn sources(&self) -> &[Source] {
        &self.sources
    }

    /// The package index: the first source's `02packages`, with the lines of later sources
    /// for packages the earlier ones lack.
    pub fn package_index(&self) -> Result<cpan_index::PackageIndex, InstallError> {
        let mut merged: Option<cpan_index::PackageIndex> = None;
        for source in &self.sources {
            let Some(gz) = source.get("modules/02packages.details.txt.gz")? else {
                return Err(InstallError::Source {
                    source_name: source.name(),
                    why: "no modules/02packages.details.txt.gz".into(),
                });
            };
            let mut text = String::new();
            flate2::read::GzDecoder::new(gz.as_slice())
                .take(1024 * 1024 * 1024)
                .read_to_string(&mut text)
                .map_err(|error| InstallError::Source {
                    source_name: source.name(),
                    why: format!("02packages.details.txt.gz: {error}"),
                })?;
            let index =
                cpan_index::PackageIndex::parse(&text).map_err(|error| InstallError::Source {
                    source_name: source.name(),
                    why: error.to_string(),
                })?;
            merged = Some(match merged {
                None => index,
                Some(mut first) => {
                    for line in index.lines() {
                        if first.get(&line.package).is_none() {
                            first.insert(line.clone());
                        }
                    }
                    first
                }
            });
        }
        merged.ok_or(InstallError::NoSource)
    }

    /// Every release that ever held `module` in the index, oldest first, as `(version, path)`,
    /// from the first HTTP source that offers cpanmetadb's `/v1.0/history/{module}` (a riverpan
    /// does). Local trees keep no history: empty.
    pub fn history(&self, module: &str) -> Vec<(String, String)> {
        for source in &self.sources {
            if !matches!(source, Source::Http { .. }) {
                continue;
            }
            let Ok(Some(bytes)) = source.get(&format!("v1.0/history/{module}")) else {
                continue;
            };
            let rows = parse_history(&String::from_utf8_lossy(&bytes), module);
            if !rows.is_empty() {
                return rows;
            }
        }
        Vec::new()
    }

    /// The CHECKSUMS of the author directory `dir` (`A/AU/AUTHOR[/sub]`) in the first source
    /// that has one.
    fn checksums_of(
        &self,
        dir: &str,
    ) -> Result<BTreeMap<String, cpan_index::ChecksumRecord>, InstallError> {
        if let Ok(known) = self.checksums.lock() {
            if let Some(found) = known.get(dir) {
                return Ok(found.clone());
            }
        }
        for source in &self.sources {
            let Some(bytes) = source.get(&format!("authors/id/{dir}/CHECKSUMS"))? else {
                continue;
            };
            let text = String::from_utf8_lossy(&bytes);
            let parsed =
                cpan_index::parse_checksums(&text).map_err(|error| InstallError::Verification {
                    path: format!("{dir}/CHECKSUMS"),
                    why: error.to_string(),
                })?;
            if let Ok(mut known) = self.checksums.lock() {
                known.insert(dir.to_string(), parsed.clone());
            }
            return Ok(parsed);
        }
        Err(InstallError::Verification {
            path: format!("{dir}/CHECKSUMS"),
            why: "no source has it".into(),
        })
    }

    /// The distribution file `path` (below `authors/id/`), verified and cached.
    pub fn fetch(&self, path: &str) -> Result<Fetched, InstallError> {
        if let Some(file) = self.locals.get(path) {
            let bytes = read_bounded(file)?;
            return Ok(Fetched {
                sha256: sha256_hex(&bytes),
                bytes,
                from_cache: false,
                verified: false,
            });
        }
        let (dir, name) = path
            .rsplit_once('/')
            .ok_or_else(|| InstallError::Verification {
                path: path.to_string(),
                why: "not an author's file".into(),
            })?;
        let expected = if self.verify {
            let checksums = self.checksums_of(dir)?;
            let sha256 = checksums
                .get(name)
                .and_then(|record| record.sha256.clone())
                .ok_or_else(|| InstallError::Verification {
                    path: path.to_string(),
                    why: format!("{dir}/CHECKSUMS has no sha256 for {name}"),
                })?;
            Some(sha256)
        } else {
            None
        };
        if let Some(sha256) = &expected {
            if let Some(bytes) = self.cache.get(sha256) {
                return Ok(Fetched {
                    bytes,
                    sha256: sha256.clone(),
                    from_cache: true,
                    verified: true,
                });
            }
        }
        for source in &self.sources {
            let Some(bytes) = source.get(&format!("authors/id/{path}"))? else {
                continue;
            };
            let sha256 = sha256_hex(&bytes);
            if let Some(expected) = &expected {
                if &sha256 != expected {
                    return Err(InstallError::Verification {
                        path: path.to_string(),
                        why: format!(
                            "its SHA-256 is {sha256}, CHECKSUMS says {expected}: the file was \
                             changed or damaged"
                        ),
                    });
                }
            }
            self.cache.put(&sha256, &bytes);
            return Ok(Fetched {
                bytes,
                sha256,
                from_cache: false,
                verified: expected.is_some(),
            });
        }
        Err(InstallError::Source {
            source_name: self
                .sources
                .iter()
                .map(Source::name)
                .collect::<Vec<_>>()
                .join(", "),
            why: format!("no source has authors/id/{path}"),
        })
    }
}

/// A local file, refused above [`MAX_DOWNLOAD`] bytes.
pub fn read_bounded(file: &Path) -> Result<Vec<u8>, InstallError> {
    let failed = InstallError::io(format!("reading {}", file.display()));
    let mut bytes = Vec::new();
    std::fs::File::open(file)
        .and_then(|opened| opened.take(MAX_DOWNLOAD + 1).read_to_end(&mut bytes))
        .map_err(failed)?;
    if bytes.len() as u64 > MAX_DOWNLOAD {
        return Err(InstallError::Target(format!(
            "{} is larger than 256 MiB",
            file.display()
        )));
    }
    Ok(bytes)
}

/// cpanmetadb's history answer: 02packages lines (`Module  version  A/AU/AUTHOR/Dist-1.0.tar.gz`)
/// for `module`; other lines are ignored.
pub fn parse_history(text: &str, module: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let (package, version, path) = (fields.next()?, fields.next()?, fields.next()?);
            (package == module && fields.next().is_none() && path.contains('/'))
                .then(|| (version.to_string(), path.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod history_tests {
    use super::parse_history;

    #[test]
    fn history_lines_are_read_and_others_ignored() {
        let text = "Foo::Bar                         1.0  A/AL/ALICE/Foo-Bar-1.0.tar.gz\n\
                    Foo::Bar                         undef  A/AL/ALICE/Foo-Bar-0.9.tar.gz\n\
                    Other                            1.0  A/AL/ALICE/Other-1.0.tar.gz\n\
                    <html>not found</html>\n";
        assert_eq!(
            parse_history(text, "Foo::Bar"),
            [
                (
                    "1.0".to_string(),
                    "A/AL/ALICE/Foo-Bar-1.0.tar.gz".to_string()
                ),
                (
                    "undef".to_string(),
                    "A/AL/ALICE/Foo-Bar-0.9.tar.gz".to_string()
                )
            ]
        );
    }
}
