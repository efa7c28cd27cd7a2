//! Streaming, bounded reading of CPAN upload archives.
//!
//! Uploaded archives are hostile. [`read_archive`] reads a `.tar.gz`, `.tar.bz2`, `.tar.xz`,
//! `.tar` or `.zip` in one pass without writing anything to disk, lists every entry, keeps the
//! bytes of the files the caller asks for, and refuses (with one typed [`ArchiveError`]) any
//! archive that breaks a [`Limits`] bound or the path rules: `..` components, absolute paths,
//! links out of the tree, device files, decompression bombs.
//!
//! ```no_run
//! use cpan_archive::{read_file, Limits};
//! let listing = read_file(
//!     std::path::Path::new("Foo-1.0.tar.gz"),
//!     &Limits::default(),
//!     &mut |entry| entry.path.ends_with("/META.json"),
//! )?;
//! for finding in listing.findings() {
//!     println!("{}: {}", finding.code(), finding.message());
//! }
//! # Ok::<(), cpan_archive::ArchiveError>(())
//! ```

#![warn(missing_docs)]

mod collect;
mod error;
mod findings;
mod stream;
mod tar;
mod zip;

pub use error::ArchiveError;
pub use findings::DistFinding;

use collect::{Collector, Syntax};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use stream::{CountingReader, Source};

/// The container and compression of an archive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ArchiveFormat {
    /// gzip-compressed tar (`.tar.gz`, `.tgz`).
    TarGz,
    /// bzip2-compressed tar (`.tar.bz2`, `.tbz`).
    TarBz2,
    /// xz-compressed tar (`.tar.xz`, `.txz`).
    TarXz,
    /// Uncompressed tar.
    Tar,
    /// Zip.
    Zip,
}

impl ArchiveFormat {
    /// From the file name's suffix (.tar.gz .tgz .tar.bz2 .tbz .tar.xz .txz .tar .zip;
    /// case-sensitive like PAUSE).
    pub fn from_file_name(name: &str) -> Option<ArchiveFormat> {
        const SUFFIXES: [(&str, ArchiveFormat); 8] = [
            (".tar.gz", ArchiveFormat::TarGz),
            (".tgz", ArchiveFormat::TarGz),
            (".tar.bz2", ArchiveFormat::TarBz2),
            (".tbz", ArchiveFormat::TarBz2),
            (".tar.xz", ArchiveFormat::TarXz),
            (".txz", ArchiveFormat::TarXz),
            (".tar", ArchiveFormat::Tar),
            (".zip", ArchiveFormat::Zip),
        ];
        SUFFIXES
            .iter()
            .find(|(suffix, _)| name.ends_with(suffix))
            .map(|(_, format)| *format)
    }

    /// From the first bytes (gzip 1f8b, bzip2 "BZh", xz fd377a585a00, zip "PK\x03\x04",
    /// ustar magic at 257). At least 263 bytes are needed to recognise a tar.
    pub fn sniff(first_bytes: &[u8]) -> Option<ArchiveFormat> {
        if first_bytes.starts_with(&[0x1f, 0x8b]) {
            Some(ArchiveFormat::TarGz)
        } else if first_bytes.starts_with(b"BZh") {
            Some(ArchiveFormat::TarBz2)
        } else if first_bytes.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
            Some(ArchiveFormat::TarXz)
        } else if first_bytes.starts_with(b"PK\x03\x04") || first_bytes.starts_with(b"PK\x05\x06") {
            Some(ArchiveFormat::Zip)
        } else if first_bytes.get(257..262) == Some(b"ustar") {
            Some(ArchiveFormat::Tar)
        } else {
            None
        }
    }

    /// A short lowercase name ("tar.gz", "zip", ...).
    pub fn name(self) -> &'static str {
        match self {
            ArchiveFormat::TarGz => "tar.gz",
            ArchiveFormat::TarBz2 => "tar.bz2",
            ArchiveFormat::TarXz => "tar.xz",
            ArchiveFormat::Tar => "tar",
            ArchiveFormat::Zip => "zip",
        }
    }
}

/// Bounds on what an archive may contain. Exceeding any of them refuses the archive.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Size of the archive file itself. Default 256 MiB.
    pub max_compressed_size: u64,
    /// Sum of the sizes of the file entries. Default 1 GiB.
    pub max_total_size: u64,
    /// Size of one file entry. Default 256 MiB.
    pub max_entry_size: u64,
    /// Number of entries of any kind. Default 100 000.
    pub max_entries: u64,
    /// Length of a path (and of a zip symlink's target) in bytes. Default 1024.
    pub max_path_len: usize,
    /// Number of components of a path. Default 64.
    pub max_depth: usize,
    /// Decompressed bytes per compressed byte. Default 200. Only enforced once more than
    /// `ratio_floor` bytes have been decompressed, so tiny files pass.
    pub max_ratio: u64,
    /// See `max_ratio`. Default 16 MiB.
    pub ratio_floor: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_compressed_size: 256 * 1024 * 1024,
            max_total_size: 1024 * 1024 * 1024,
            max_entry_size: 256 * 1024 * 1024,
            max_entries: 100_000,
            max_path_len: 1024,
            max_depth: 64,
            max_ratio: 200,
            ratio_floor: 16 * 1024 * 1024,
        }
    }
}

/// What an entry is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular file (also GNU tar's unknown types, which it extracts as files).
    File,
    /// A directory.
    Directory,
    /// A symbolic link, whose target stays inside the tree.
    Symlink {
        /// The target as stored.
        target: String,
    },
    /// A hard link to an earlier entry.
    Hardlink {
        /// The target as stored.
        target: String,
    },
}

/// One member of an archive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The path as stored, UTF-8 lossily decoded, without a leading "./" or trailing "/";
    /// the archive root itself ("./") is ".".
    pub path: String,
    /// What it is.
    pub kind: EntryKind,
    /// Permission bits (`& 0o7777`).
    pub mode: u32,
    /// Size in bytes for files; 0 for everything else.
    pub size: u64,
    /// Modification time, seconds since the epoch.
    pub mtime: i64,
}

/// Everything [`read_archive`] learned about an archive.
#[derive(Clone, Debug)]
pub struct ArchiveListing {
    /// The format it was read as.
    pub format: ArchiveFormat,
    /// Every entry, in archive order.
    pub entries: Vec<Entry>,
    /// Bytes of the File entries `want` selected, by path.
    pub contents: BTreeMap<String, Vec<u8>>,
    /// Bytes of the archive file read.
    pub compressed_size: u64,
    /// For tar formats the bytes of the decompressed tar stream read; for zip the sum of the
    /// entries' declared sizes.
    pub uncompressed_size: u64,
}

impl ArchiveListing {
    /// Dist-level findings PAUSE acts on (see pause.md §2.3, §2.4).
    pub fn findings(&self) -> Vec<DistFinding> {
        findings::findings(self)
    }

    /// The single top-level directory, if the archive unpacks into exactly one.
    pub fn root(&self) -> Option<&str> {
        findings::root(self)
    }
}

/// Reads the whole archive in one streaming pass; keeps the bytes of File entries for which
/// `want` returns true.
pub fn read_archive<R: Read>(
    reader: R,
    format: ArchiveFormat,
    limits: &Limits,
    want: &mut dyn FnMut(&Entry) -> bool,
) -> Result<ArchiveListing, ArchiveError> {
    read_archive_observed(reader, format, limits, want, &mut |_| {})
}

/// [`read_archive`], also handing every chunk of the decompressed stream of a compressed tar
/// (`.tar.gz`, `.tar.bz2`, `.tar.xz`) to `observe`, in order, then an empty slice once the
/// whole stream was read and its checksums verified. A caller that needs a digest of the
/// decompressed data (CPAN's CHECKSUMS has them) gets it without decompressing twice; without
/// the final empty slice (an error, a zip, a plain tar) it has no complete stream.
pub fn read_archive_observed<R: Read>(
    reader: R,
    format: ArchiveFormat,
    limits: &Limits,
    want: &mut dyn FnMut(&Entry) -> bool,
    observe: &mut dyn FnMut(&[u8]),
) -> Result<ArchiveListing, ArchiveError> {
    let (counting, compressed) = CountingReader::new(reader, limits.max_compressed_size);
    if format == ArchiveFormat::Zip {
        let bytes = read_bounded(counting, limits)?;
        let mut collector = Collector::new(limits, Syntax::Zip, want);
        zip::read_zip(&bytes, limits, &mut collector)?;
        return Ok(ArchiveListing {
            format,
            uncompressed_size: collector.total_size,
            entries: collector.entries,
            contents: collector.contents,
            compressed_size: bytes.len() as u64,
        });
    }
    let (decoder, consumed) = stream::decoder(counting, format)?;
    let compressed_tar = format != ArchiveFormat::Tar;
    let ratio_counter = compressed_tar.then_some(consumed);
    let decoder: Box<dyn Read + '_> = if compressed_tar {
        Box::new(stream::Observed::new(decoder, &mut *observe))
    } else {
        decoder
    };
    let mut source = Source::new(decoder, ratio_counter, limits);
    let mut collector = Collector::new(limits, Syntax::Tar, want);
    tar::read_tar(&mut source, &mut collector)?;
    if compressed_tar {
        // Reading to the end verifies the compressed stream's checksums.
        source.drain()?;
    }
    let uncompressed_size = source.produced;
    drop(source);
    if compressed_tar {
        observe(&[]);
    }
    Ok(ArchiveListing {
        format,
        entries: collector.entries,
        contents: collector.contents,
        compressed_size: compressed.get(),
        uncompressed_size,
    })
}

fn read_bounded<R: Read>(mut reader: R, limits: &Limits) -> Result<Vec<u8>, ArchiveError> {
    let mut bytes = Vec::new();
    reader
        .read_to_end(&mut bytes)
        .map_err(|error| stream::map_io_error(error, limits, "reading the archive"))?;
    Ok(bytes)
}

/// Convenience: format from the file name, falling back to sniffing; opens and streams the
/// file.
pub fn read_file(
    path: &Path,
    limits: &Limits,
    want: &mut dyn FnMut(&Entry) -> bool,
) -> Result<ArchiveListing, ArchiveError> {
    let io_error = |source| ArchiveError::Io {
        path: path.display().to_string(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io_error)?;
    let size = file.metadata().map_err(io_error)?.len();
    if size > limits.max_compressed_size {
        return Err(ArchiveError::CompressedTooLarge {
            limit: limits.max_compressed_size,
        });
    }
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let format = match ArchiveFormat::from_file_name(&name) {
        Some(format) => format,
        None => {
            let mut head = Vec::with_capacity(512);
            (&mut file)
                .take(512)
                .read_to_end(&mut head)
                .map_err(io_error)?;
            std::io::Seek::rewind(&mut file).map_err(io_error)?;
            sniff_or_refuse(&head)?
        }
    };
    read_archive(file, format, limits, want)
}

fn sniff_or_refuse(head: &[u8]) -> Result<ArchiveFormat, ArchiveError> {
    if let Some(format) = ArchiveFormat::sniff(head) {
        return Ok(format);
    }
    let what = if head.starts_with(&[0x1f, 0x9d]) {
        "compress(1) .Z archives are not supported".to_string()
    } else {
        "the file is not a recognised archive".to_string()
    };
    Err(ArchiveError::Unsupported { what })
}

/// Decompresses the archive without parsing it (for tar formats the whole compressed stream,
/// for zip every entry) and returns the number of decompressed bytes. No limits apply; this
/// exists so a benchmark can compare [`read_archive`] with plain decompression.
pub fn decompress_only<R: Read>(reader: R, format: ArchiveFormat) -> Result<u64, ArchiveError> {
    let unlimited = Limits {
        max_compressed_size: u64::MAX,
        ..Limits::default()
    };
    if format == ArchiveFormat::Zip {
        let bytes = read_bounded(reader, &unlimited)?;
        return zip::decompress_all(&bytes);
    }
    let (mut decoder, _) = stream::decoder(reader, format)?;
    std::io::copy(&mut decoder, &mut std::io::sink())
        .map_err(|error| stream::map_io_error(error, &unlimited, "decompression failed"))
}
