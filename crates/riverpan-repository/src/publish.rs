//! Regenerates the published CPAN files from the database: `modules/02packages.details.txt(.gz)`,
//! `modules/06perms.txt(.gz)`, `modules/03modlist.data.gz`, `authors/01mailrc.txt.gz` and every
//! author directory's `CHECKSUMS`. Each file is written atomically and only when its content
//! (ignoring the date in its header) changed, so an unchanged index keeps its bytes and its
//! `Last-Modified`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use riverpan_publish::{AuthorEntry, FileHeader, IndexedPackage, PermissionKind, PermissionLine};
use riverpan_store::Store;

use crate::import::KnownChecksums;
use crate::{io_error, RepositoryError};

/// Counter of permission changes (06perms is regenerated only when it moved).
pub(crate) const PERMS_COUNTER: &str = "perms.generation";
/// Counter of author changes (01mailrc is regenerated only when it moved).
pub(crate) const AUTHORS_COUNTER: &str = "authors.generation";

/// Whether the file for `counter` must be regenerated: the counter moved since it was last
/// published, or the file is missing.
fn stale(store: &Store, counter: &str, file: &Path) -> Result<Option<u64>, RepositoryError> {
    let now = store.counter(counter)?;
    let published = store.counter(&format!("published.{counter}"))?;
    if now != published || !file.exists() || now == 0 {
        Ok(Some(now))
    } else {
        Ok(None)
    }
}

/// `Written-By` of the published files.
const WRITTEN_BY: &str = concat!("riverpan ", env!("CARGO_PKG_VERSION"));

/// Which author directories get their CHECKSUMS recomputed (hashing every file of CPAN on each
/// upload would not scale).
pub(crate) enum ChecksumScope<'a> {
    /// Every author directory (open after a crash, rebuild, import).
    All,
    /// Only these `X/XX/ID` directories (an upload).
    Only(&'a BTreeSet<String>),
}

pub(crate) fn publish_all(
    store: &Store,
    cpan: &Path,
    now: i64,
    scope: ChecksumScope<'_>,
    known: Option<&KnownChecksums>,
) -> Result<(), RepositoryError> {
    let reader = store.reader();
    let date = UNIX_EPOCH + Duration::from_secs(now.max(0) as u64);
    let header = FileHeader {
        url_base: "http://www.cpan.org".to_string(),
        written_by: WRITTEN_BY.to_string(),
        date,
    };
    let modules = cpan.join("modules");

    let packages = reader.all_packages()?;
    let lines: Vec<IndexedPackage<'_>> = packages
        .iter()
        .map(|row| IndexedPackage {
            package: &row.package,
            version: &row.version,
            dist: &row.dist,
        })
        .collect();
    let details = riverpan_publish::packages_details(&lines, &header);
    write_if_body_changed(&modules.join("02packages.details.txt"), &details, true)?;
    crate::failpoint("after_02packages");

    let perms_path = modules.join("06perms.txt");
    if let Some(generation) = stale(store, PERMS_COUNTER, &perms_path)? {
        let first_come = reader.all_permissions(true)?;
        let comaint = reader.all_permissions(false)?;
        let mut perm_lines: Vec<PermissionLine<'_>> = first_come
            .iter()
            .map(|row| PermissionLine {
                package: &row.package,
                userid: &row.userid,
                kind: PermissionKind::FirstCome,
            })
            .collect();
        perm_lines.extend(comaint.iter().map(|row| PermissionLine {
            package: &row.package,
            userid: &row.userid,
            kind: PermissionKind::CoMaint,
        }));
        let perms = riverpan_publish::perms_txt(&perm_lines, &header);
        write_if_body_changed(&perms_path, &perms, true)?;
        store.set_setting(
            &format!("published.{PERMS_COUNTER}"),
            &generation.to_string(),
        )?;
    }

    let modlist = modules.join("03modlist.data.gz");
    if !modlist.exists() {
        riverpan_publish::write_gz_only(&modlist, &riverpan_publish::modlist_stub(&header))
            .map_err(io_error("writing 03modlist.data.gz"))?;
    }

    let mailrc_path = cpan.join("authors/01mailrc.txt.gz");
    if let Some(generation) = stale(store, AUTHORS_COUNTER, &mailrc_path)? {
        let authors = reader.authors()?;
        let entries: Vec<AuthorEntry<'_>> = authors
            .iter()
            .map(|author| AuthorEntry {
                userid: &author.userid,
                name: &author.fullname,
                email: author.email.as_deref(),
                deleted: false,
                nologin: false,
                ascii_name: None,
                homepage: None,
            })
            .collect();
        let mailrc = riverpan_publish::mailrc(&entries);
        let current = riverpan_publish::read_gz_text(&mailrc_path).ok().flatten();
        if current.as_deref() != Some(mailrc.as_str()) {
            riverpan_publish::write_gz_only(&mailrc_path, &mailrc)
                .map_err(io_error("writing 01mailrc.txt.gz"))?;
        }
        store.set_setting(
            &format!("published.{AUTHORS_COUNTER}"),
            &generation.to_string(),
        )?;
    }

    // Only accepted uploads are listed: a file whose upload was never committed (a crash between
    // storing the file and the commit) is not part of CPAN.
    let mut dirs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for upload in reader.uploads()? {
        if let Some((dir, name)) = upload.path.rsplit_once('/') {
            dirs.entry(dir.to_string())
                .or_default()
                .insert(name.to_string());
        }
    }
    if let ChecksumScope::Only(only) = &scope {
        // A directory whose last file was deleted still needs its CHECKSUMS rewritten (empty).
        for dir in only.iter() {
            if cpan.join("authors/id").join(dir).is_dir() {
                dirs.entry(dir.clone()).or_default();
            }
        }
    }
    // Many CHECKSUMS (an import, a rebuild) are written first and made durable together;
    // one (an upload) is synced on its own, which is cheaper than syncing the file system.
    let selected: Vec<(String, BTreeSet<String>)> = dirs
        .into_iter()
        .filter(|(dir, _)| match &scope {
            ChecksumScope::Only(only) => only.contains(dir),
            ChecksumScope::All => true,
        })
        .collect();
    let batched = selected.len() > 8;
    let mut written = Vec::new();
    for (dir, names) in selected {
        let id_root = cpan.join("authors/id");
        if let Some(path) = write_checksums(&id_root, &dir, &names, date, known, batched)? {
            written.push(path);
        }
    }
    riverpan_publish::make_durable(&written).map_err(io_error("making CHECKSUMS durable"))?;
    Ok(())
}

/// 02packages and 06perms: rewritten only when the body (after the header) changed.
fn write_if_body_changed(path: &Path, text: &str, with_gz: bool) -> Result<(), RepositoryError> {
    let old = std::fs::read_to_string(path).ok();
    let unchanged = old.as_deref().is_some_and(|old| {
        riverpan_publish::details_body(old) == riverpan_publish::details_body(text)
    });
    let gz = path.with_extension("txt.gz");
    if unchanged && (!with_gz || gz.exists()) {
        return Ok(());
    }
    riverpan_publish::write_text_and_gz(path, text)
        .map_err(io_error(format!("writing {}", path.display())))
}

/// One author directory's CHECKSUMS, rewritten only when an entry changed. An entry in `known`
/// (computed when the file was imported) is used while the file keeps its size and mtime.
fn write_checksums(
    id_root: &Path,
    dir: &str,
    names: &BTreeSet<String>,
    date: SystemTime,
    known: Option<&KnownChecksums>,
    batched: bool,
) -> Result<Option<std::path::PathBuf>, RepositoryError> {
    let full = id_root.join(dir);
    let mut entries = Vec::new();
    for name in names {
        // CPAN::Checksums leaves out dot files, CHECKSUMS and README-like files.
        if riverpan_publish::is_excluded_from_checksums(name) {
            continue;
        }
        let path = full.join(name);
        let still_valid = |entry: &&riverpan_publish::ChecksumEntry| {
            std::fs::metadata(&path).is_ok_and(|metadata| {
                metadata.is_file()
                    && metadata.len() == entry.size
                    && metadata.modified().is_ok_and(|mtime| mtime == entry.mtime)
            })
        };
        let cached = known
            .and_then(|known| known.get(&format!("{dir}/{name}")))
            .filter(still_valid);
        let checksum = match cached {
            Some(entry) => entry.clone(),
            None => riverpan_publish::checksum_entry(&path)
                .map_err(io_error(format!("checksumming {}", path.display())))?,
        };
        entries.push(checksum);
    }
    let text = riverpan_publish::checksums_file(&entries, date, dir);
    let path = full.join("CHECKSUMS");
    let old = std::fs::read_to_string(&path).ok();
    let body = |text: &str| text.split_once('\n').map(|(_, rest)| rest.to_string());
    if old.as_deref().and_then(body) == body(&text) {
        return Ok(None);
    }
    if batched {
        riverpan_publish::replace_atomically(&path, text.as_bytes())
            .map_err(io_error(format!("writing {}", path.display())))?;
        Ok(Some(path))
    } else {
        riverpan_publish::write_atomically(&path, text.as_bytes())
            .map_err(io_error(format!("writing {}", path.display())))?;
        Ok(None)
    }
}
