//! Zip archives: read (size-bounded) into memory, listed from the central directory.

use crate::collect::{Collector, RawEntry, RawKind};
use crate::{ArchiveError, Limits};
use std::io::{Cursor, Read};
use zip::result::ZipError;
use zip::{CompressionMethod, ZipArchive};

const S_IFMT: u32 = 0o170000;
const S_IFLNK: u32 = 0o120000;
const S_IFDIR: u32 = 0o040000;
const S_IFCHR: u32 = 0o020000;
const S_IFBLK: u32 = 0o060000;
const S_IFIFO: u32 = 0o010000;
const S_IFSOCK: u32 = 0o140000;

fn zip_error(error: ZipError) -> ArchiveError {
    match error {
        ZipError::UnsupportedArchive(what) => ArchiveError::Unsupported {
            what: format!("zip: {what}"),
        },
        ZipError::Io(error) if error.kind() == std::io::ErrorKind::UnexpectedEof => {
            ArchiveError::truncated(format!("zip: {error}"))
        }
        other => ArchiveError::corrupt(format!("zip: {other}")),
    }
}

/// Days from 1970-01-01 to the given civil date (proleptic Gregorian).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn mtime_of<R: Read>(file: &zip::read::ZipFile<'_, R>) -> i64 {
    for field in file.extra_data_fields() {
        let zip::ExtraField::ExtendedTimestamp(stamp) = field else {
            continue;
        };
        if let Some(mtime) = stamp.mod_time() {
            return i64::from(mtime);
        }
    }
    // DOS times carry no zone; they are taken as UTC.
    file.last_modified().map_or(0, |time| {
        let days = days_from_civil(
            i64::from(time.year()),
            i64::from(time.month()),
            i64::from(time.day()),
        );
        days * 86_400
            + i64::from(time.hour()) * 3_600
            + i64::from(time.minute()) * 60
            + i64::from(time.second())
    })
}

/// Decompresses `count` bytes at most of an entry; more means the entry lied about its size.
fn read_entry<R: Read>(
    file: zip::read::ZipFile<'_, R>,
    size: u64,
    path: &str,
) -> Result<Vec<u8>, ArchiveError> {
    let mut bytes = Vec::with_capacity(size.min(1 << 20) as usize);
    file.take(size.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|error| ArchiveError::corrupt(format!("zip entry {path:?}: {error}")))?;
    if bytes.len() as u64 != size {
        return Err(ArchiveError::corrupt(format!(
            "zip entry {path:?} decompresses to {} bytes but declares {size}",
            bytes.len()
        )));
    }
    Ok(bytes)
}

/// Lists (and extracts what is wanted from) a zip held in memory.
pub(crate) fn read_zip(
    bytes: &[u8],
    limits: &Limits,
    collector: &mut Collector<'_, '_>,
) -> Result<(), ArchiveError> {
    let mut archive = ZipArchive::new(Cursor::new(bytes)).map_err(zip_error)?;
    let compressed = bytes.len() as u64;
    let mut declared_total: u64 = 0;
    for index in 0..archive.len() {
        let (raw_path, kind, mode, size, mtime, supported) = {
            let file = archive.by_index_raw(index).map_err(zip_error)?;
            let raw_path = file.name_raw().to_vec();
            if file.encrypted() {
                return Err(ArchiveError::Encrypted {
                    path: String::from_utf8_lossy(&raw_path).into_owned(),
                });
            }
            let unix = file.unix_mode();
            let named_dir = raw_path.ends_with(b"/") || raw_path.ends_with(b"\\");
            let kind = match unix.map(|mode| mode & S_IFMT) {
                _ if named_dir => ZipKind::Directory,
                Some(S_IFDIR) => ZipKind::Directory,
                Some(S_IFLNK) => ZipKind::Symlink,
                Some(S_IFCHR) => ZipKind::Special("character device"),
                Some(S_IFBLK) => ZipKind::Special("block device"),
                Some(S_IFIFO) => ZipKind::Special("FIFO"),
                Some(S_IFSOCK) => ZipKind::Special("socket"),
                _ => ZipKind::File,
            };
            let default_mode = if kind == ZipKind::Directory {
                0o755
            } else {
                0o644
            };
            let mode = unix.map_or(default_mode, |m| m & 0o7777);
            let supported = matches!(
                file.compression(),
                CompressionMethod::Stored | CompressionMethod::Deflated | CompressionMethod::Bzip2
            );
            (
                raw_path,
                kind,
                mode,
                file.size(),
                mtime_of(&file),
                supported,
            )
        };
        declared_total = declared_total.saturating_add(size);
        if declared_total > limits.ratio_floor
            && declared_total > limits.max_ratio.saturating_mul(compressed)
        {
            return Err(ArchiveError::RatioExceeded {
                uncompressed: declared_total,
                compressed,
                limit: limits.max_ratio,
            });
        }
        let path_text = String::from_utf8_lossy(&raw_path).into_owned();
        let unsupported = || ArchiveError::Unsupported {
            what: format!("compression method of zip entry {path_text:?}"),
        };
        // A zip symlink's target is its content.
        let target = if kind == ZipKind::Symlink {
            if !supported {
                return Err(unsupported());
            }
            if size > limits.max_path_len as u64 {
                return Err(ArchiveError::PathTooLong {
                    path: format!("target of {path_text:?}"),
                    len: usize::try_from(size).unwrap_or(usize::MAX),
                    limit: limits.max_path_len,
                });
            }
            let file = archive.by_index(index).map_err(zip_error)?;
            read_entry(file, size, &path_text)?
        } else {
            Vec::new()
        };
        let raw_kind = match kind {
            ZipKind::File => RawKind::File,
            ZipKind::Directory => RawKind::Directory,
            ZipKind::Symlink => RawKind::Symlink(&target),
            ZipKind::Special(what) => RawKind::Special(what),
        };
        let admitted = collector.admit(RawEntry {
            path: &raw_path,
            kind: raw_kind,
            mode,
            size,
            mtime,
        })?;
        if let Some(keep) = admitted.keep {
            if !supported {
                return Err(unsupported());
            }
            let file = archive.by_index(index).map_err(zip_error)?;
            let contents = read_entry(file, size, &keep)?;
            collector.store(keep, contents);
        }
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ZipKind {
    File,
    Directory,
    Symlink,
    Special(&'static str),
}

/// Decompresses every entry (for the benchmark); returns the number of bytes produced.
pub(crate) fn decompress_all(bytes: &[u8]) -> Result<u64, ArchiveError> {
    let mut archive = ZipArchive::new(Cursor::new(bytes)).map_err(zip_error)?;
    let mut total = 0u64;
    for index in 0..archive.len() {
        let mut file = archive.by_index(index).map_err(zip_error)?;
        total += std::io::copy(&mut file, &mut std::io::sink())
            .map_err(|error| ArchiveError::corrupt(format!("zip: {error}")))?;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::days_from_civil;

    #[test]
    fn civil_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1980, 1, 1), 3_652);
    }
}
