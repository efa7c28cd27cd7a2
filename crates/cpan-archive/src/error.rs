//! The one error type: every refusal is its own variant with a stable code.

/// Why an archive was refused (or could not be read).
///
/// Every variant's `Display` is a sentence that names the offending path and the limit
/// involved; [`ArchiveError::code`] gives a stable snake_case identifier for machines.
#[derive(thiserror::Error, Debug)]
pub enum ArchiveError {
    /// The compressed file is larger than [`crate::Limits::max_compressed_size`].
    #[error("the archive is larger than the limit of {limit} bytes")]
    CompressedTooLarge {
        /// The limit that was exceeded.
        limit: u64,
    },
    /// The sum of the entry sizes is larger than [`crate::Limits::max_total_size`].
    #[error(
        "the archive unpacks to more than the limit of {limit} bytes (reached at entry {path:?})"
    )]
    TotalTooLarge {
        /// The entry at which the total went over the limit.
        path: String,
        /// The limit that was exceeded.
        limit: u64,
    },
    /// One entry is larger than [`crate::Limits::max_entry_size`].
    #[error("entry {path:?} is {size} bytes, more than the limit of {limit} bytes")]
    EntryTooLarge {
        /// The entry.
        path: String,
        /// Its size as declared by the archive.
        size: u64,
        /// The limit that was exceeded.
        limit: u64,
    },
    /// More entries than [`crate::Limits::max_entries`].
    #[error("the archive has more than the limit of {limit} entries")]
    TooManyEntries {
        /// The limit that was exceeded.
        limit: u64,
    },
    /// A path longer than [`crate::Limits::max_path_len`] bytes.
    #[error("path {path:?} is {len} bytes long, more than the limit of {limit} bytes")]
    PathTooLong {
        /// The path (lossily decoded).
        path: String,
        /// Its length in bytes.
        len: usize,
        /// The limit that was exceeded.
        limit: usize,
    },
    /// A path with more than [`crate::Limits::max_depth`] components.
    #[error("path {path:?} has {depth} components, more than the limit of {limit}")]
    PathTooDeep {
        /// The path.
        path: String,
        /// Its number of components.
        depth: usize,
        /// The limit that was exceeded.
        limit: usize,
    },
    /// A `..` component (PAUSE: "updir detected").
    #[error("updir detected: path {path:?} contains a \"..\" component")]
    PathTraversal {
        /// The path.
        path: String,
    },
    /// An absolute path: a leading `/`, or in a zip a leading `\` or a Windows drive.
    #[error("path {path:?} is absolute")]
    AbsolutePath {
        /// The path.
        path: String,
    },
    /// A NUL byte inside a name or link target.
    #[error("path {path:?} contains a NUL byte")]
    NulInPath {
        /// The path, NUL shown as U+0000.
        path: String,
    },
    /// A symbolic link that points outside the unpacked tree.
    #[error("symbolic link {path:?} points to {target:?}, outside the archive's tree")]
    SymlinkEscapes {
        /// The link.
        path: String,
        /// Its target as stored.
        target: String,
    },
    /// A hard link to something that is not an earlier entry of the archive.
    #[error(
        "hard link {path:?} points to {target:?}, which is not an earlier entry of the archive"
    )]
    HardlinkOutside {
        /// The link.
        path: String,
        /// Its target as stored.
        target: String,
    },
    /// A character device, block device, FIFO or socket.
    #[error("entry {path:?} is a {kind}, which a distribution may not contain")]
    SpecialFile {
        /// The entry.
        path: String,
        /// "character device", "block device", "FIFO" or "socket".
        kind: &'static str,
    },
    /// Decompression produced far more bytes than it consumed (a "zip bomb").
    #[error(
        "the archive decompresses to more than {limit} times its compressed size \
         ({uncompressed} bytes from {compressed} bytes)"
    )]
    RatioExceeded {
        /// Bytes produced so far.
        uncompressed: u64,
        /// Compressed bytes consumed so far.
        compressed: u64,
        /// The ratio limit.
        limit: u64,
    },
    /// The data is not a valid archive of its format.
    #[error("the archive is corrupt: {message}")]
    Corrupt {
        /// What was wrong, with the decoder's own message where there is one.
        message: String,
    },
    /// The data ends before the archive does.
    #[error("the archive is truncated: {message}")]
    Truncated {
        /// Where it ended.
        message: String,
    },
    /// A format (or a feature of a format) this crate does not read.
    #[error("unsupported archive format: {what}")]
    Unsupported {
        /// What is not supported.
        what: String,
    },
    /// An encrypted zip entry.
    #[error("zip entry {path:?} is encrypted")]
    Encrypted {
        /// The entry.
        path: String,
    },
    /// The archive file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
}

impl ArchiveError {
    /// A stable snake_case identifier of the kind of refusal, e.g. `"path_traversal"`.
    pub fn code(&self) -> &'static str {
        match self {
            ArchiveError::CompressedTooLarge { .. } => "compressed_too_large",
            ArchiveError::TotalTooLarge { .. } => "total_too_large",
            ArchiveError::EntryTooLarge { .. } => "entry_too_large",
            ArchiveError::TooManyEntries { .. } => "too_many_entries",
            ArchiveError::PathTooLong { .. } => "path_too_long",
            ArchiveError::PathTooDeep { .. } => "path_too_deep",
            ArchiveError::PathTraversal { .. } => "path_traversal",
            ArchiveError::AbsolutePath { .. } => "absolute_path",
            ArchiveError::NulInPath { .. } => "nul_in_path",
            ArchiveError::SymlinkEscapes { .. } => "symlink_escape",
            ArchiveError::HardlinkOutside { .. } => "hardlink_outside",
            ArchiveError::SpecialFile { .. } => "special_file",
            ArchiveError::RatioExceeded { .. } => "ratio_exceeded",
            ArchiveError::Corrupt { .. } => "corrupt",
            ArchiveError::Truncated { .. } => "truncated",
            ArchiveError::Unsupported { .. } => "unsupported_format",
            ArchiveError::Encrypted { .. } => "encrypted_entry",
            ArchiveError::Io { .. } => "io",
        }
    }

    pub(crate) fn corrupt(message: impl Into<String>) -> ArchiveError {
        ArchiveError::Corrupt {
            message: message.into(),
        }
    }

    pub(crate) fn truncated(message: impl Into<String>) -> ArchiveError {
        ArchiveError::Truncated {
            message: message.into(),
        }
    }
}
