//! The files every CPAN client reads, byte for byte as PAUSE writes them.
//!
//! * `modules/02packages.details.txt(.gz)`: [`packages_details`] (`mldistwatch.pm::rewrite02`);
//! * `modules/06perms.txt(.gz)`: [`perms_txt`] (`rewrite06`);
//! * `modules/03modlist.data.gz`: [`modlist_stub`] (`rewrite03`);
//! * `authors/01mailrc.txt.gz` and `authors/02authors.txt.gz`: [`mailrc`], [`authors_txt`] (`cron/cron-daily.pl`);
//! * `authors/id/X/XX/ID/CHECKSUMS`: [`checksum_entry`], [`checksums_file`] (CPAN::Checksums 2.14);
//! * durable atomic replacement of all of them: [`write_atomically`], [`write_text_and_gz`], [`write_gz_only`].
//!
//! The formatting functions are pure (input rows and a header in, text out); the caller owns the data and decides
//! when to write. To keep `Last-Updated` meaningful, compare [`details_body`] of the new text with that of the
//! published `.gz` ([`read_gz_text`]) and rewrite only on a difference, as PAUSE does.

mod authors;
mod checksums;
mod date;
mod packages;
mod perms;
mod write;

pub use authors::{authors_txt, mailrc, AuthorEntry};
pub use checksums::{
    checksum_entries_of_dir, checksum_entry, checksum_entry_of_bytes, checksums_file,
    has_decompressed_digests, is_excluded_from_checksums, ChecksumEntry, StreamDigests,
    CHECKSUMS_WRITER,
};
pub use date::http_date;
pub use packages::{
    default_written_by, details_body, packages_details, FileHeader, IndexedPackage,
    DEFAULT_URL_BASE,
};
pub use perms::{modlist_stub, perms_txt, PermissionKind, PermissionLine};
pub use write::{
    gz_path, gzip_bytes, make_durable, read_gz_text, replace_atomically, write_atomically,
    write_atomically_with, write_gz_only, write_text_and_gz, GZIP_LEVEL,
};
