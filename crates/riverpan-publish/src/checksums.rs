//! `authors/id/X/XX/ID/CHECKSUMS`, in the format of CPAN::Checksums 2.14 (`updatedir($dir, $root)`).

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::time::SystemTime;

use md5::{Digest as _, Md5};
use sha2::Sha256;

use crate::date::{perl_scalar_gmtime, ymd};

/// The checksum facts of one directory entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChecksumEntry {
    /// The file name (no directory part).
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// Modification time; written as `YYYY-MM-DD` (GMT).
    pub mtime: SystemTime,
    /// Lowercase hex SHA-256 of the file.
    pub sha256: String,
    /// Lowercase hex MD5 of the file.
    pub md5: String,
    /// SHA-256 of the gunzipped data, for `.gz` and `.tgz`.
    pub sha256_ungz: Option<String>,
    /// MD5 of the gunzipped data, for `.gz` and `.tgz`.
    pub md5_ungz: Option<String>,
    /// SHA-256 of the bunzipped data, for `.bz2` and `.tbz`.
    pub sha256_unbz2: Option<String>,
    /// MD5 of the bunzipped data, for `.bz2` and `.tbz`.
    pub md5_unbz2: Option<String>,
    /// A subdirectory: written as `{ 'isdir' => 1 }` (plus `cpan_path`), the other fields are ignored.
    pub isdir: bool,
    /// The entry is a symbolic link (CPAN::Checksums adds `'issymlink' => 1`).
    pub issymlink: bool,
}

/// What a CHECKSUMS file leaves out, as CPAN::Checksums does: dot files, anything starting with `CHECKSUMS`
/// (the file itself, its temporary files, `CHECKSUMS.gz`), and names ending in `readme`, any case (`$IGNORE_MATCH`).
pub fn is_excluded_from_checksums(name: &str) -> bool {
    name.starts_with('.') || name.starts_with("CHECKSUMS") || ends_with_readme(name)
}

fn ends_with_readme(name: &str) -> bool {
    // qr{readme$}i: `$` also matches before a final newline
    let name = name.strip_suffix('\n').unwrap_or(name);
    name.len() >= 6 && name.as_bytes()[name.len() - 6..].eq_ignore_ascii_case(b"readme")
}

/// Which decompressed digests CPAN::Checksums adds, by file name.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Compression {
    Gzip,
    Bzip2,
    None,
}

fn compression_of(name: &str) -> Compression {
    let extension = name.rsplit_once('.').map(|(_, extension)| extension);
    match extension {
        Some("gz" | "tgz") => Compression::Gzip,
        Some("bz2" | "tbz") => Compression::Bzip2,
        _ => Compression::None,
    }
}

/// SHA-256 and MD5 computed together over one stream.
#[derive(Default, Clone)]
struct DigestPair {
    sha256: Sha256,
    md5: Md5,
}

impl DigestPair {
    fn update(&mut self, data: &[u8]) {
        self.sha256.update(data);
        self.md5.update(data);
    }

    fn finish(self) -> (String, String) {
        (hex(&self.sha256.finalize()), hex(&self.md5.finalize()))
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(DIGITS[usize::from(byte >> 4)] as char);
        out.push(DIGITS[usize::from(byte & 15)] as char);
    }
    out
}

/// A reader that digests every byte that passes through it, so the raw file and its decompressed content are
/// digested in one read of the file.
struct DigestingReader<R> {
    inner: R,
    digests: DigestPair,
}

impl<R: Read> Read for DigestingReader<R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let count = self.inner.read(buffer)?;
        self.digests.update(&buffer[..count]);
        Ok(count)
    }
}

const READ_BUFFER: usize = 64 * 1024;

/// Feeds everything `decoder` yields into a digest. A decoding error ends the data but not the entry: Perl's
/// `$dig->add($buffer) while $zip->gzread($buffer) > 0` records the digest of what was read before the error.
fn digest_decoded(mut decoder: impl Read) -> (String, String) {
    let mut digests = DigestPair::default();
    let mut buffer = vec![0u8; READ_BUFFER];
    loop {
        match decoder.read(&mut buffer) {
            Ok(0) => break,
            Ok(count) => digests.update(&buffer[..count]),
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            // Corrupt data ends the digest; a failing disk shows up again when the rest of the file is drained.
            Err(_) => break,
        }
    }
    digests.finish()
}

fn drain(mut reader: impl Read) -> io::Result<()> {
    let mut buffer = vec![0u8; READ_BUFFER];
    loop {
        match reader.read(&mut buffer) {
            Ok(0) => return Ok(()),
            Ok(_) => {}
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
}

type DigestStrings = (String, String);

/// Digests of the raw file and, when `compression` says so, of its decompressed content, in one pass.
fn digest_file(
    file: impl Read,
    compression: Compression,
) -> io::Result<(DigestStrings, Option<DigestStrings>)> {
    let raw = DigestingReader {
        inner: file,
        digests: DigestPair::default(),
    };
    let mut buffered = BufReader::with_capacity(READ_BUFFER, raw);
    let decoded = match compression {
        Compression::None => None,
        Compression::Gzip => {
            // Compress::Zlib::gzopen reads with Transparent => 1 and MultiStream => 1: data that is not gzip is
            // digested as it is, and concatenated gzip members are all read.
            let is_gzip = buffered.fill_buf()?.starts_with(&[0x1f, 0x8b]);
            if is_gzip {
                let mut decoder = flate2::bufread::MultiGzDecoder::new(buffered);
                let digests = digest_decoded(&mut decoder);
                buffered = decoder.into_inner();
                Some(digests)
            } else {
                None // filled in below from the raw digests
            }
        }
        Compression::Bzip2 => {
            let mut decoder = bzip2::bufread::MultiBzDecoder::new(buffered);
            let digests = digest_decoded(&mut decoder);
            buffered = decoder.into_inner();
            Some(digests)
        }
    };
    // The decoder may have stopped early (corrupt data, trailing bytes): read the rest so the raw digests cover the
    // whole file. Bytes the BufReader holds were already digested when they were read from the file.
    let mut raw = buffered.into_inner();
    drain(&mut raw)?;
    let raw_digests = raw.digests.finish();
    let decoded = match (compression, decoded) {
        (Compression::Gzip, None) => Some(raw_digests.clone()),
        (_, decoded) => decoded,
    };
    Ok((raw_digests, decoded))
}

/// Computes an entry from a file on disk (streams it; digests of the decompressed data for .gz/.tgz/.bz2/.tbz).
///
/// A directory (or a symlink to one) gives an `isdir` entry without digests; a symlink is followed and marked
/// `issymlink`, as CPAN::Checksums does.
pub fn checksum_entry(path: &Path) -> io::Result<ChecksumEntry> {
    let name = path
        .file_name()
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{} has no file name", path.display()),
            )
        })?
        .to_string_lossy()
        .into_owned();
    let issymlink = std::fs::symlink_metadata(path)?.file_type().is_symlink();
    let metadata = std::fs::metadata(path)?;
    let mtime = metadata.modified()?;
    if metadata.is_dir() {
        return Ok(ChecksumEntry {
            name,
            size: 0,
            mtime,
            sha256: String::new(),
            md5: String::new(),
            sha256_ungz: None,
            md5_ungz: None,
            sha256_unbz2: None,
            md5_unbz2: None,
            isdir: true,
            issymlink,
        });
    }
    let compression = compression_of(&name);
    let file = File::open(path)?;
    // The size comes from the same open file, so size and digests describe the same bytes even if the path is
    // replaced meanwhile.
    let size = file.metadata()?.len();
    let (raw, decoded) = digest_file(file, compression)?;
    Ok(file_entry(
        name,
        size,
        mtime,
        raw,
        decoded,
        compression,
        issymlink,
    ))
}

/// The entry of a file from its digests (`decoded`: of its decompressed data, by `compression`).
fn file_entry(
    name: String,
    size: u64,
    mtime: SystemTime,
    (sha256, md5): DigestStrings,
    decoded: Option<DigestStrings>,
    compression: Compression,
    issymlink: bool,
) -> ChecksumEntry {
    let (mut sha256_ungz, mut md5_ungz, mut sha256_unbz2, mut md5_unbz2) = (None, None, None, None);
    if let Some((sha, md)) = decoded {
        if compression == Compression::Gzip {
            sha256_ungz = Some(sha);
            md5_ungz = Some(md);
        } else {
            sha256_unbz2 = Some(sha);
            md5_unbz2 = Some(md);
        }
    }
    ChecksumEntry {
        name,
        size,
        mtime,
        sha256,
        md5,
        sha256_ungz,
        md5_ungz,
        sha256_unbz2,
        md5_unbz2,
        isdir: false,
        issymlink,
    }
}

/// SHA-256 and MD5 of a stream, computed as it passes by: a caller that reads a file's data anyway (the import
/// inspects every archive) hands the decompressed stream here instead of having [`checksum_entry`] decompress
/// it a second time.
#[derive(Default, Clone)]
pub struct StreamDigests(DigestPair);

impl StreamDigests {
    /// Adds the next bytes of the stream.
    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    /// The lowercase hex SHA-256 and MD5 of everything added.
    pub fn finish(self) -> (String, String) {
        self.0.finish()
    }
}

/// Whether CHECKSUMS records digests of the decompressed data of a file of this name (`.gz`, `.tgz`: ungz;
/// `.bz2`, `.tbz`: unbz2), the stream a caller would pass to [`checksum_entry_of_bytes`].
pub fn has_decompressed_digests(name: &str) -> bool {
    compression_of(name) != Compression::None
}

/// The entry of a file whose bytes are in memory, as [`checksum_entry`] computes it from disk. `decoded` is the
/// SHA-256 and MD5 of the file's complete decompressed stream when the caller has them (see [`StreamDigests`]);
/// with `None` they are computed here when the name calls for them.
pub fn checksum_entry_of_bytes(
    name: &str,
    bytes: &[u8],
    mtime: SystemTime,
    decoded: Option<(String, String)>,
) -> io::Result<ChecksumEntry> {
    let compression = compression_of(name);
    let (raw, computed) = match (compression, decoded) {
        (Compression::None, _) => {
            let mut raw = DigestPair::default();
            raw.update(bytes);
            (raw.finish(), None)
        }
        (_, Some(decoded)) => {
            let mut raw = DigestPair::default();
            raw.update(bytes);
            (raw.finish(), Some(decoded))
        }
        (_, None) => digest_file(bytes, compression)?,
    };
    Ok(file_entry(
        name.to_string(),
        bytes.len() as u64,
        mtime,
        raw,
        computed,
        compression,
        false,
    ))
}

/// Computes the entries of every file of `dir` that a CHECKSUMS file lists (see [`is_excluded_from_checksums`]),
/// sorted by name. Entries that vanish while the directory is read are skipped, as CPAN::Checksums skips files whose
/// `stat` fails.
pub fn checksum_entries_of_dir(dir: &Path) -> io::Result<Vec<ChecksumEntry>> {
    let mut entries = Vec::new();
    for dirent in std::fs::read_dir(dir)? {
        let dirent = dirent?;
        let name = dirent.file_name();
        let Some(name) = name.to_str() else { continue };
        if is_excluded_from_checksums(name) {
            continue;
        }
        match checksum_entry(&dirent.path()) {
            Ok(entry) => entries.push(entry),
            Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
            Err(error) => return Err(error),
        }
    }
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(entries)
}

/// Who the comment line of CHECKSUMS names as the writer.
pub const CHECKSUMS_WRITER: &str = concat!("riverpan-publish (v", env!("CARGO_PKG_VERSION"), ")");

/// Appends `text` as Data::Dumper's single-quoted literal: only `\` and `'` are escaped.
fn push_single_quoted(out: &mut String, text: &str) {
    out.push('\'');
    for c in text.chars() {
        if c == '\\' || c == '\'' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
}

/// A hash value as Data::Dumper writes it: strings quoted, integers (Perl IVs such as `stat`'s size) bare unless
/// longer than 10 characters, which the XS Dumper quotes "so that a 32 bit system reads it".
enum DumpValue<'a> {
    Text(&'a str),
    Integer(u64),
}

fn push_entry(out: &mut String, entry: &ChecksumEntry, cpan_path: &str) {
    let mtime = ymd(entry.mtime);
    let mut fields: Vec<(&str, DumpValue)> = Vec::with_capacity(11);
    fields.push(("cpan_path", DumpValue::Text(cpan_path)));
    if entry.isdir {
        fields.push(("isdir", DumpValue::Integer(1)));
    }
    if entry.issymlink {
        fields.push(("issymlink", DumpValue::Integer(1)));
    }
    if !entry.isdir {
        fields.push(("md5", DumpValue::Text(&entry.md5)));
        if let Some(md5) = &entry.md5_ungz {
            fields.push(("md5-ungz", DumpValue::Text(md5)));
        }
        if let Some(md5) = &entry.md5_unbz2 {
            fields.push(("md5-unbz2", DumpValue::Text(md5)));
        }
        fields.push(("mtime", DumpValue::Text(&mtime)));
        fields.push(("sha256", DumpValue::Text(&entry.sha256)));
        if let Some(sha) = &entry.sha256_ungz {
            fields.push(("sha256-ungz", DumpValue::Text(sha)));
        }
        if let Some(sha) = &entry.sha256_unbz2 {
            fields.push(("sha256-unbz2", DumpValue::Text(sha)));
        }
        fields.push(("size", DumpValue::Integer(entry.size)));
    }
    // Sortkeys = 1: Perl's `sort keys`, byte order ("md5-unbz2" before "md5-ungz").
    fields.sort_by(|a, b| a.0.cmp(b.0));

    out.push_str("  ");
    push_single_quoted(out, &entry.name);
    out.push_str(" => {\n");
    for (index, (key, value)) in fields.iter().enumerate() {
        out.push_str("    ");
        push_single_quoted(out, key);
        out.push_str(" => ");
        match value {
            DumpValue::Text(text) => push_single_quoted(out, text),
            DumpValue::Integer(number) => {
                let digits = number.to_string();
                if digits.len() > 10 {
                    push_single_quoted(out, &digits);
                } else {
                    out.push_str(&digits);
                }
            }
        }
        if index + 1 < fields.len() {
            out.push(',');
        }
        out.push('\n');
    }
    out.push_str("  }");
}

/// CHECKSUMS for one author directory: Perl-evaluable exactly like CPAN::Checksums' Data::Dumper output (Indent=1,
/// Quotekeys=1, Sortkeys=1), header comment line, `cpan_path` key, excluding dot files, CHECKSUMS*, and *readme
/// (case-insensitive).
///
/// `cpan_path` is the directory relative to `authors/id/` (`A/AB/ABC`), written into every entry as CPAN::Checksums
/// 2.14 does (`File::Spec->abs2rel($dir, $root)`); CPAN.pm ≥ 2.29 checks that the distribution's id starts with it.
/// Entries are sorted by name; a name given twice keeps its last entry (a Perl hash would). The file is unsigned:
/// CPAN.pm with `check_sigs` off and cpanm `--verify` read it.
pub fn checksums_file(
    entries: &[ChecksumEntry],
    written_at: std::time::SystemTime,
    cpan_path: &str,
) -> String {
    let mut listed: Vec<&ChecksumEntry> = entries
        .iter()
        .filter(|entry| !is_excluded_from_checksums(&entry.name))
        .collect();
    // Stable sort, then keep the last of equal names.
    listed.sort_by(|a, b| a.name.cmp(&b.name));
    let mut unique: Vec<&ChecksumEntry> = Vec::with_capacity(listed.len());
    for entry in listed {
        match unique.last_mut() {
            Some(last) if last.name == entry.name => *last = entry,
            _ => unique.push(entry),
        }
    }

    let mut out = String::with_capacity(128 + unique.len() * 400);
    out.push_str("# CHECKSUMS file written on ");
    out.push_str(&perl_scalar_gmtime(written_at));
    out.push_str(" GMT by ");
    out.push_str(CHECKSUMS_WRITER);
    out.push('\n');
    if unique.is_empty() {
        out.push_str("$cksum = {};\n");
        return out;
    }
    out.push_str("$cksum = {\n");
    for (index, entry) in unique.iter().enumerate() {
        push_entry(&mut out, entry, cpan_path);
        if index + 1 < unique.len() {
            out.push(',');
        }
        out.push('\n');
    }
    out.push_str("};\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exclusions() {
        for name in [
            ".hidden",
            "CHECKSUMS",
            "CHECKSUMS.gz",
            "CHECKSUMS.1234",
            "Foo-1.readme",
            "README",
            "xReadMe",
        ] {
            assert!(is_excluded_from_checksums(name), "{name}");
        }
        for name in ["Foo-1.tar.gz", "Foo-1.meta", "readme.txt", "checksums"] {
            assert!(!is_excluded_from_checksums(name), "{name}");
        }
    }

    /// An entry from bytes in memory is the entry `checksum_entry` computes from the file, with or without the
    /// decompressed digests supplied by the caller.
    #[test]
    fn entries_from_bytes_match_entries_from_disk() -> io::Result<()> {
        use std::io::Write;
        let dir = tempfile::tempdir()?;
        let data = b"some tar bytes, say".repeat(100);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&data)?;
        let gz = gz.finish()?;
        let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
        bz.write_all(&data)?;
        let bz = bz.finish()?;
        let cases: [(&str, &[u8]); 5] = [
            ("Foo-1.tar.gz", &gz),
            ("Foo-1.tbz", &bz),
            ("Foo-1.zip", &data),
            ("notes.txt.gz", b"not gzip at all"),
            ("Foo-1.tgz", &gz[..gz.len() / 2]),
        ];
        for (name, bytes) in cases {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes)?;
            let on_disk = checksum_entry(&path)?;
            let from_bytes = checksum_entry_of_bytes(name, bytes, on_disk.mtime, None)?;
            assert_eq!(from_bytes, on_disk, "{name}");
        }
        let mut stream = StreamDigests::default();
        for chunk in data.chunks(7) {
            stream.update(chunk);
        }
        let path = dir.path().join("Foo-1.tar.gz");
        let on_disk = checksum_entry(&path)?;
        let given =
            checksum_entry_of_bytes("Foo-1.tar.gz", &gz, on_disk.mtime, Some(stream.finish()))?;
        assert_eq!(given, on_disk);
        assert!(has_decompressed_digests("Foo-1.tar.gz") && has_decompressed_digests("x.tbz"));
        assert!(!has_decompressed_digests("Foo-1.zip") && !has_decompressed_digests("x.tar.xz"));
        Ok(())
    }

    #[test]
    fn quoting() {
        let mut out = String::new();
        push_single_quoted(&mut out, r"it's a \ file");
        assert_eq!(out, r"'it\'s a \\ file'");
    }
}
