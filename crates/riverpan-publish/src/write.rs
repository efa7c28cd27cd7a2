//! Durable atomic replacement of published files, and their gzip companions.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// gzip level of the published `.gz` files. On CPAN's 02packages (22.6 MB of text, zlib-rs, one core) level 5 gives
/// 2.41 MB in about 150 ms: 2% smaller than PAUSE's own `gzip --best` file (2.46 MB) and 0.4% larger than level 6,
/// which takes about 215 ms; level 9 saves 2% more for 3.5 times the time, level 1 is 48% larger. The crate README has
/// the table. Clients do not care about the level: gunzip reads them all.
pub const GZIP_LEVEL: u32 = 5;

/// Makes temporary names unique within the process; the process id makes them unique across processes.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A temporary file beside `path`: same directory (so `rename` is atomic), a leading dot (so CHECKSUMS, directory
/// listings and mirrors skip it), and the target's name in it (so a leftover after a crash says what it was).
fn temp_path_for(path: &Path) -> io::Result<PathBuf> {
    let file_name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} has no file name", path.display()),
        )
    })?;
    let counter = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(file_name);
    temp_name.push(format!(".tmp.{}.{}", std::process::id(), counter));
    Ok(path.with_file_name(temp_name))
}

/// The directory holding `path`, for the fsync that makes a rename durable.
fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// Flushes a directory's entries to disk, so that a rename into it survives a power loss.
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        // Directories cannot be opened as files elsewhere; the rename itself is what those platforms offer.
        let _ = dir;
        Ok(())
    }
}

/// Durable atomic write with the content produced by `fill`: temp file in the same directory, `fill` writes into it,
/// fsync, rename over `path`, fsync the directory. On any error the temp file is removed and `path` is untouched.
///
/// Readers see either the old or the new complete file, never a mix: the rename replaces the directory entry in one
/// step and open file handles keep reading the file they opened.
pub fn write_atomically_with<F>(path: &Path, fill: F) -> io::Result<()>
where
    F: FnOnce(&mut BufWriter<File>) -> io::Result<()>,
{
    let temp_path = temp_path_for(path)?;
    let result = write_temp_then_rename(path, &temp_path, fill);
    if result.is_err() {
        // Best effort: the error being reported is the one that matters; a leftover temp file is only clutter.
        let _ = fs::remove_file(&temp_path);
    }
    result
}

fn write_temp_then_rename<F>(path: &Path, temp_path: &Path, fill: F) -> io::Result<()>
where
    F: FnOnce(&mut BufWriter<File>) -> io::Result<()>,
{
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(temp_path)?;
    let mut writer = BufWriter::with_capacity(256 * 1024, file);
    fill(&mut writer)?;
    let file = writer.into_inner().map_err(|error| error.into_error())?;
    set_published_permissions(&file)?;
    file.sync_all()?;
    drop(file);
    fs::rename(temp_path, path)?;
    sync_dir(parent_dir(path))
}

/// Published files are world-readable (0644) whatever the umask of the process: the web server and rsync mirrors read
/// them as other users.
fn set_published_permissions(file: &File) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(0o644))
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        Ok(())
    }
}

/// Atomic but not yet durable write: temp file in the same directory, write, rename over. Readers see the old or the
/// new file, never a mix; after a power loss either may be there, or an empty file, until the caller makes the
/// batch durable with [`make_durable`]. For writing many files and paying for the disk once.
pub fn replace_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let temp_path = temp_path_for(path)?;
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp_path)?;
        file.write_all(bytes)?;
        set_published_permissions(&file)?;
        drop(file);
        fs::rename(&temp_path, path)
    })();
    if result.is_err() {
        // Best effort, as in write_atomically_with.
        let _ = fs::remove_file(&temp_path);
    }
    result
}

/// Makes files written without a sync (and the renames that put them in place, and the directories created for
/// them) durable, at once. On Linux that is one `syncfs` per file system they are on — one flush of the disk for
/// the whole batch instead of one per file; elsewhere an fsync per file and per directory.
pub fn make_durable(files: &[PathBuf]) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::MetadataExt;
        use std::os::unix::io::AsRawFd;
        let mut devices = std::collections::BTreeSet::new();
        for file in files {
            let dir = File::open(parent_dir(file))?;
            if devices.insert(dir.metadata()?.dev()) {
                // SAFETY: `dir` is an open file descriptor for the duration of the call.
                if unsafe { libc::syncfs(dir.as_raw_fd()) } != 0 {
                    return Err(io::Error::last_os_error());
                }
            }
        }
        Ok(())
    }
    #[cfg(not(target_os = "linux"))]
    {
        let mut dirs = std::collections::BTreeSet::new();
        for file in files {
            File::open(file)?.sync_all()?;
            let mut dir = Some(parent_dir(file));
            while let Some(current) = dir {
                if !dirs.insert(current.to_path_buf()) {
                    break;
                }
                dir = current.parent().filter(|p| !p.as_os_str().is_empty());
            }
        }
        for dir in dirs {
            sync_dir(&dir)?;
        }
        Ok(())
    }
}

/// Durable atomic write: temp file in the same directory, write, fsync, rename over, fsync the directory.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomically_with(path, |writer| writer.write_all(bytes))
}

/// gzip of `text` as the published files use it: level [`GZIP_LEVEL`], no file name and a zero mtime in the gzip
/// header, so the same text always gives the same bytes (an index rebuild is byte-identical, `.gz` included).
pub fn gzip_bytes(text: &[u8]) -> io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() / 5 + 64);
    gzip_into(&mut out, text)?;
    Ok(out)
}

fn gzip_into<W: Write>(writer: W, text: &[u8]) -> io::Result<W> {
    let mut encoder = flate2::GzBuilder::new()
        .mtime(0)
        .write(writer, flate2::Compression::new(GZIP_LEVEL));
    encoder.write_all(text)?;
    encoder.finish()
}

/// Writes `path.gz` atomically with gzip(`text`), compressing straight into the temporary file.
fn write_gz_file(path_gz: &Path, text: &str) -> io::Result<()> {
    write_atomically_with(path_gz, |writer| {
        gzip_into(writer, text.as_bytes()).map(|_| ())
    })
}

/// `path` with `.gz` appended to its file name (`02packages.details.txt` → `02packages.details.txt.gz`).
pub fn gz_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(".gz");
    PathBuf::from(name)
}

/// Writes `text` to `path` and gzip(text) to `path.gz`, both atomically, for 02packages / 06perms.
///
/// Order: the `.txt` first, then the `.gz`, as PAUSE does. The `.gz` is what every client reads and what the
/// rewrite decision compares against ([`read_gz_text`] + [`crate::details_body`]), so it is the commit point: after a
/// crash between the two writes the `.gz` still holds the old body, the next run sees a difference and writes both
/// again. Writing the `.gz` first would let such a crash leave a stale `.txt` that no later comparison notices.
pub fn write_text_and_gz(path: &Path, text: &str) -> io::Result<()> {
    write_atomically(path, text.as_bytes())?;
    write_gz_file(&gz_path(path), text)
}

/// Writes only gzip(`text`) to `path_gz`, atomically: 01mailrc.txt.gz, 03modlist.data.gz.
pub fn write_gz_only(path_gz: &Path, text: &str) -> io::Result<()> {
    write_gz_file(path_gz, text)
}

/// Reads a published `.gz` back as text (all gzip members), or `None` when it does not exist. Invalid gzip or
/// UTF-8 is an error of kind `InvalidData`.
pub fn read_gz_text(path_gz: &Path) -> io::Result<Option<String>> {
    let file = match File::open(path_gz) {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error),
    };
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(io::BufReader::new(file)).read_to_string(&mut text)?;
    Ok(Some(text))
}
