//! A streaming tar reader: ustar, GNU (long names `L`/`K`, sparse `S`, base-256 numbers),
//! pax (`x`, `g`, Solaris `X`) and old V7 headers.

use crate::collect::{Collector, RawEntry, RawKind};
use crate::stream::Source;
use crate::ArchiveError;

const BLOCK: usize = 512;
/// Pax and GNU long-name headers larger than this are refused: real ones are a few hundred
/// bytes, and their data is held in memory.
const MAX_META_SIZE: u64 = 1024 * 1024;

/// Pax records this crate acts on.
#[derive(Default, Clone)]
struct Pax {
    path: Option<Vec<u8>>,
    linkpath: Option<Vec<u8>>,
    size: Option<u64>,
    mtime: Option<i64>,
}

impl Pax {
    fn merge(&mut self, other: &Pax) {
        if other.path.is_some() {
            self.path.clone_from(&other.path);
        }
        if other.linkpath.is_some() {
            self.linkpath.clone_from(&other.linkpath);
        }
        if other.size.is_some() {
            self.size = other.size;
        }
        if other.mtime.is_some() {
            self.mtime = other.mtime;
        }
    }
}

fn pax_text(value: &[u8]) -> Option<&str> {
    std::str::from_utf8(value).ok().map(str::trim)
}

/// Parses `"<len> <key>=<value>\n"` records. Parsing stops at the first malformed record
/// (as Python's tarfile does), but a record claiming more bytes than there are is corrupt.
fn parse_pax(data: &[u8], offset: u64) -> Result<Pax, ArchiveError> {
    let mut pax = Pax::default();
    let mut rest = data;
    while !rest.is_empty() {
        let Some(space) = rest.iter().position(|&b| b == b' ') else {
            break;
        };
        let digits = rest.get(..space).unwrap_or_default();
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            break;
        }
        let length: usize = std::str::from_utf8(digits)
            .ok()
            .and_then(|d| d.parse().ok())
            .ok_or_else(|| ArchiveError::corrupt(format!("bad pax record length at {offset}")))?;
        let record = rest.get(..length).ok_or_else(|| {
            ArchiveError::corrupt(format!("pax record longer than its header at {offset}"))
        })?;
        let body = record
            .get(space + 1..)
            .and_then(|b| b.strip_suffix(b"\n"))
            .ok_or_else(|| ArchiveError::corrupt(format!("malformed pax record at {offset}")))?;
        let Some(equals) = body.iter().position(|&b| b == b'=') else {
            return Err(ArchiveError::corrupt(format!(
                "pax record without '=' at {offset}"
            )));
        };
        let key = body.get(..equals).unwrap_or_default();
        let value = body.get(equals + 1..).unwrap_or_default();
        match key {
            b"path" => pax.path = Some(value.to_vec()),
            b"linkpath" => pax.linkpath = Some(value.to_vec()),
            b"size" => {
                let size = pax_text(value)
                    .and_then(|v| v.parse::<u64>().ok())
                    .ok_or_else(|| {
                        ArchiveError::corrupt(format!("bad pax size record at {offset}"))
                    })?;
                pax.size = Some(size);
            }
            b"mtime" => {
                // Fractional seconds are dropped; a malformed mtime is ignored like GNU tar's
                // warning does, since it cannot affect safety.
                let whole = pax_text(value).map(|v| v.split('.').next().unwrap_or(v));
                if let Some(mtime) = whole.and_then(|v| v.parse::<i64>().ok()) {
                    pax.mtime = Some(mtime);
                }
            }
            _ => {}
        }
        rest = rest.get(length..).unwrap_or_default();
    }
    Ok(pax)
}

/// Reads a numeric header field: octal text, or GNU base-256 when the high bit is set.
fn parse_number(field: &[u8]) -> Option<i128> {
    match field.first() {
        Some(&0x80) | Some(&0xff) => {
            let digits = field.get(1..)?;
            let mut value: i128 = 0;
            for &byte in digits {
                value = value.checked_mul(256)?.checked_add(i128::from(byte))?;
            }
            if field.first() == Some(&0xff) {
                // Two's complement over the whole field.
                value -= 256i128.checked_pow(u32::try_from(digits.len()).ok()?)?;
            }
            Some(value)
        }
        _ => {
            let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
            let text = field.get(..end)?;
            let text = text.trim_ascii();
            if text.is_empty() {
                return Some(0);
            }
            let mut value: i128 = 0;
            for &digit in text {
                if !(b'0'..=b'7').contains(&digit) {
                    return None;
                }
                value = value
                    .checked_mul(8)?
                    .checked_add(i128::from(digit - b'0'))?;
            }
            Some(value)
        }
    }
}

/// The text of a NUL-terminated field.
fn cstr(field: &[u8]) -> &[u8] {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    field.get(..end).unwrap_or_default()
}

fn field(header: &[u8; BLOCK], start: usize, len: usize) -> &[u8] {
    header.get(start..start + len).unwrap_or_default()
}

fn checksum_ok(header: &[u8; BLOCK]) -> bool {
    let Some(stored) = parse_number(field(header, 148, 8)) else {
        return false;
    };
    let mut unsigned: i128 = 0;
    let mut signed: i128 = 0;
    for (index, &byte) in header.iter().enumerate() {
        let byte = if (148..156).contains(&index) {
            b' '
        } else {
            byte
        };
        unsigned += i128::from(byte);
        signed += i128::from(byte as i8);
    }
    stored == unsigned || stored == signed
}

fn padding(size: u64) -> u64 {
    (BLOCK as u64 - size % BLOCK as u64) % BLOCK as u64
}

/// Reads the data of a meta header (pax, long name) into memory.
fn read_meta(source: &mut Source<'_, '_>, size: u64, offset: u64) -> Result<Vec<u8>, ArchiveError> {
    if size > MAX_META_SIZE {
        return Err(ArchiveError::corrupt(format!(
            "extended header of {size} bytes at {offset} is larger than {MAX_META_SIZE} bytes"
        )));
    }
    let mut data = Vec::with_capacity(size as usize);
    let got = source.append(size, &mut data)?;
    if got < size {
        return Err(ArchiveError::truncated(format!(
            "archive ends inside the extended header at {offset}"
        )));
    }
    skip_exact(source, padding(size), offset)?;
    Ok(data)
}

fn skip_exact(source: &mut Source<'_, '_>, count: u64, offset: u64) -> Result<(), ArchiveError> {
    let skipped = source.skip(count)?;
    if skipped < count {
        return Err(ArchiveError::truncated(format!(
            "archive ends inside the data of the entry at {offset}"
        )));
    }
    Ok(())
}

/// Reads a whole tar stream; returns after the end-of-archive block (or a clean end of data).
pub(crate) fn read_tar(
    source: &mut Source<'_, '_>,
    collector: &mut Collector<'_, '_>,
) -> Result<(), ArchiveError> {
    let mut global = Pax::default();
    let mut local: Option<Pax> = None;
    let mut long_name: Option<Vec<u8>> = None;
    let mut long_link: Option<Vec<u8>> = None;
    let mut offset: u64 = 0;
    let mut header = [0u8; BLOCK];
    loop {
        let got = source.read_up_to(&mut header)?;
        if got == 0 {
            // No end-of-archive blocks: GNU tar and Python accept this.
            return Ok(());
        }
        if got < BLOCK {
            if header.get(..got).is_some_and(|h| h.iter().all(|&b| b == 0)) {
                // Zero bytes short of a block at the end: an end marker cut short.
                return Ok(());
            }
            return Err(ArchiveError::truncated(format!(
                "archive ends inside the header at {offset}"
            )));
        }
        if header.iter().all(|&b| b == 0) {
            return Ok(());
        }
        if !checksum_ok(&header) {
            return Err(ArchiveError::corrupt(if offset == 0 {
                "not a tar archive (bad header checksum)".to_string()
            } else {
                format!("bad header checksum at {offset}")
            }));
        }
        let header_offset = offset;
        offset += BLOCK as u64;
        let typeflag = header[156];
        let stored_size = parse_number(field(&header, 124, 12))
            .and_then(|n| u64::try_from(n).ok())
            .ok_or_else(|| {
                ArchiveError::corrupt(format!("bad size field in the header at {header_offset}"))
            })?;
        match typeflag {
            b'L' | b'K' | b'x' | b'X' | b'g' => {
                let data = read_meta(source, stored_size, header_offset)?;
                offset += stored_size + padding(stored_size);
                match typeflag {
                    b'L' => long_name = Some(cstr(&data).to_vec()),
                    b'K' => long_link = Some(cstr(&data).to_vec()),
                    b'g' => global.merge(&parse_pax(&data, header_offset)?),
                    _ => {
                        let mut pax = local.take().unwrap_or_default();
                        pax.merge(&parse_pax(&data, header_offset)?);
                        local = Some(pax);
                    }
                }
                continue;
            }
            _ => {}
        }
        let mut pax = global.clone();
        if let Some(local) = local.take() {
            pax.merge(&local);
        }
        let name_field = cstr(field(&header, 0, 100));
        let magic = field(&header, 257, 6);
        let prefix = cstr(field(&header, 345, 155));
        let path: Vec<u8> = if let Some(path) = pax.path.take() {
            path
        } else if let Some(name) = long_name.take() {
            name
        } else if magic == b"ustar\0" && !prefix.is_empty() {
            [prefix, b"/", name_field].concat()
        } else {
            name_field.to_vec()
        };
        long_name = None;
        let link: Vec<u8> = match (pax.linkpath.take(), long_link.take()) {
            (Some(link), _) | (None, Some(link)) => link,
            (None, None) => cstr(field(&header, 157, 100)).to_vec(),
        };
        let mode = parse_number(field(&header, 100, 8))
            .and_then(|m| u32::try_from(m & 0o7777).ok())
            .unwrap_or(0);
        let mtime = pax.mtime.unwrap_or_else(|| {
            parse_number(field(&header, 136, 12))
                .and_then(|m| i64::try_from(m).ok())
                .unwrap_or(0)
        });
        // Bytes of data that follow the header in the archive.
        let mut data_size = pax.size.unwrap_or(stored_size);
        let mut size = data_size;
        let mut sparse = false;
        let kind = match typeflag {
            b'0' | b'7' => RawKind::File,
            0 if path.ends_with(b"/") => RawKind::Directory,
            0 => RawKind::File,
            b'1' => RawKind::Hardlink(&link),
            b'2' => RawKind::Symlink(&link),
            b'3' => RawKind::Special("character device"),
            b'4' => RawKind::Special("block device"),
            b'6' => RawKind::Special("FIFO"),
            b'5' => RawKind::Directory,
            b'D' => RawKind::Directory,
            b'S' => {
                sparse = true;
                size = parse_number(field(&header, 483, 12))
                    .and_then(|n| u64::try_from(n).ok())
                    .ok_or_else(|| {
                        ArchiveError::corrupt(format!("bad sparse size at {header_offset}"))
                    })?;
                let mut extended = header[482] != 0;
                while extended {
                    let mut block = [0u8; BLOCK];
                    if source.read_up_to(&mut block)? < BLOCK {
                        return Err(ArchiveError::truncated(format!(
                            "archive ends inside the sparse map at {header_offset}"
                        )));
                    }
                    offset += BLOCK as u64;
                    extended = block[504] != 0;
                }
                RawKind::File
            }
            b'V' => {
                // A volume label names the archive, it is not a member.
                skip_exact(source, data_size + padding(data_size), header_offset)?;
                offset += data_size + padding(data_size);
                continue;
            }
            b'M' => {
                return Err(ArchiveError::Unsupported {
                    what: "multi-volume tar archives".to_string(),
                })
            }
            // GNU tar extracts unknown types as regular files.
            _ => RawKind::File,
        };
        if !matches!(kind, RawKind::File) && typeflag != b'D' {
            data_size = 0;
        }
        let is_file = matches!(kind, RawKind::File);
        let admitted = collector.admit(RawEntry {
            path: &path,
            kind,
            mode,
            size,
            mtime,
        })?;
        let block_size = data_size + padding(data_size);
        match admitted.keep {
            Some(keep) if is_file => {
                if sparse {
                    return Err(ArchiveError::Unsupported {
                        what: format!("contents of the GNU sparse file {keep:?}"),
                    });
                }
                // Grow as the data arrives: the header's size is not trusted for allocation.
                let mut bytes = Vec::with_capacity(data_size.min(1 << 20) as usize);
                let got = source.append(data_size, &mut bytes)?;
                if got < data_size {
                    return Err(ArchiveError::truncated(format!(
                        "archive ends inside the data of {keep:?}"
                    )));
                }
                skip_padding(source, padding(data_size))?;
                collector.store(keep, bytes);
            }
            _ => {
                let skipped = source.skip(data_size)?;
                if skipped < data_size {
                    return Err(ArchiveError::truncated(format!(
                        "archive ends inside the data of the entry at {header_offset}"
                    )));
                }
                skip_padding(source, padding(data_size))?;
            }
        }
        offset += block_size;
    }
}

/// The padding after the last member's data may be cut off; GNU tar accepts that.
fn skip_padding(source: &mut Source<'_, '_>, count: u64) -> Result<(), ArchiveError> {
    source.skip(count).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(parse_number(b"0000644\0"), Some(0o644));
        assert_eq!(parse_number(b"  644 \0"), Some(0o644));
        assert_eq!(parse_number(b"\0\0\0"), Some(0));
        assert_eq!(parse_number(b"9"), None);
        assert_eq!(
            parse_number(&[0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]),
            Some(256)
        );
        assert_eq!(parse_number(&[0xff; 12]), Some(-1));
    }

    #[test]
    fn pax_records() {
        let pax = parse_pax(b"20 path=Foo-1/a.txt\n11 size=42\n", 0).unwrap();
        assert_eq!(pax.path.as_deref(), Some(&b"Foo-1/a.txt"[..]));
        assert_eq!(pax.size, Some(42));
        assert!(parse_pax(b"99 path=x\n", 0).is_err());
    }
}
