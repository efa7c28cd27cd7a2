//! Builders for test archives: tar headers written by hand (so hostile ones can be made),
//! compression into every format, zips via the `zip` crate.

#![allow(dead_code)]

use cpan_archive::{read_archive, ArchiveError, ArchiveFormat, ArchiveListing, Limits};
use std::io::Write;

pub const MTIME: u64 = 1_700_000_000;

fn octal(field: &mut [u8], value: u64) {
    let width = field.len() - 1;
    let text = format!("{value:0width$o}");
    assert!(text.len() <= width, "{value} does not fit");
    field[..width].copy_from_slice(text.as_bytes());
    field[width] = 0;
}

/// A ustar header with a correct checksum.
pub fn header(name: &[u8], typeflag: u8, size: u64, mode: u32, link: &[u8]) -> [u8; 512] {
    let mut h = [0u8; 512];
    assert!(name.len() <= 100 && link.len() <= 100);
    h[..name.len()].copy_from_slice(name);
    octal(&mut h[100..108], u64::from(mode));
    octal(&mut h[108..116], 1000);
    octal(&mut h[116..124], 1000);
    octal(&mut h[124..136], size);
    octal(&mut h[136..148], MTIME);
    h[156] = typeflag;
    h[157..157 + link.len()].copy_from_slice(link);
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    set_checksum(&mut h);
    h
}

pub fn set_checksum(h: &mut [u8; 512]) {
    h[148..156].copy_from_slice(b"        ");
    let sum: u64 = h.iter().map(|&b| u64::from(b)).sum();
    let text = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(text.as_bytes());
}

fn pad(out: &mut Vec<u8>) {
    while out.len() % 512 != 0 {
        out.push(0);
    }
}

/// Writes a tar stream entry by entry.
#[derive(Default)]
pub struct Tar {
    pub out: Vec<u8>,
}

impl Tar {
    pub fn new() -> Tar {
        Tar::default()
    }

    /// GNU `L`/`K` records for names that do not fit the header.
    fn long(&mut self, typeflag: u8, value: &[u8]) {
        let mut data = value.to_vec();
        data.push(0);
        self.out.extend_from_slice(&header(
            b"././@LongLink",
            typeflag,
            data.len() as u64,
            0o644,
            b"",
        ));
        self.out.extend_from_slice(&data);
        pad(&mut self.out);
    }

    pub fn entry(&mut self, name: &[u8], typeflag: u8, mode: u32, data: &[u8], link: &[u8]) {
        let short_name = if name.len() > 100 {
            self.long(b'L', name);
            &name[..100]
        } else {
            name
        };
        let short_link = if link.len() > 100 {
            self.long(b'K', link);
            &link[..100]
        } else {
            link
        };
        self.out.extend_from_slice(&header(
            short_name,
            typeflag,
            data.len() as u64,
            mode,
            short_link,
        ));
        self.out.extend_from_slice(data);
        pad(&mut self.out);
    }

    pub fn file(&mut self, name: &str, data: &[u8]) -> &mut Tar {
        self.entry(name.as_bytes(), b'0', 0o644, data, b"");
        self
    }

    pub fn file_mode(&mut self, name: &str, mode: u32, data: &[u8]) -> &mut Tar {
        self.entry(name.as_bytes(), b'0', mode, data, b"");
        self
    }

    pub fn dir(&mut self, name: &str) -> &mut Tar {
        self.entry(format!("{name}/").as_bytes(), b'5', 0o755, b"", b"");
        self
    }

    pub fn dir_mode(&mut self, name: &str, mode: u32) -> &mut Tar {
        self.entry(format!("{name}/").as_bytes(), b'5', mode, b"", b"");
        self
    }

    pub fn symlink(&mut self, name: &str, target: &str) -> &mut Tar {
        self.entry(name.as_bytes(), b'2', 0o777, b"", target.as_bytes());
        self
    }

    pub fn hardlink(&mut self, name: &str, target: &str) -> &mut Tar {
        self.entry(name.as_bytes(), b'1', 0o644, b"", target.as_bytes());
        self
    }

    /// A pax extended header for the next entry.
    pub fn pax(&mut self, records: &[(&str, &[u8])]) -> &mut Tar {
        let mut data = Vec::new();
        for (key, value) in records {
            let body_len = key.len() + value.len() + 3;
            let mut len = body_len + 1;
            while format!("{len}").len() + body_len != len {
                len = format!("{len}").len() + body_len;
            }
            data.extend_from_slice(format!("{len} {key}=").as_bytes());
            data.extend_from_slice(value);
            data.push(b'\n');
        }
        self.out.extend_from_slice(&header(
            b"PaxHeaders/x",
            b'x',
            data.len() as u64,
            0o644,
            b"",
        ));
        self.out.extend_from_slice(&data);
        pad(&mut self.out);
        self
    }

    /// The stream with the two zero end blocks.
    pub fn finish(&self) -> Vec<u8> {
        let mut out = self.out.clone();
        out.extend_from_slice(&[0u8; 1024]);
        out
    }
}

pub fn compress(format: ArchiveFormat, tar: &[u8]) -> Vec<u8> {
    match format {
        ArchiveFormat::Tar => tar.to_vec(),
        ArchiveFormat::TarGz => {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            encoder.write_all(tar).unwrap();
            encoder.finish().unwrap()
        }
        ArchiveFormat::TarBz2 => {
            let mut encoder =
                bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
            encoder.write_all(tar).unwrap();
            encoder.finish().unwrap()
        }
        ArchiveFormat::TarXz => {
            let mut encoder =
                lzma_rust2::XzWriter::new(Vec::new(), lzma_rust2::XzOptions::with_preset(6))
                    .unwrap();
            encoder.write_all(tar).unwrap();
            encoder.finish().unwrap()
        }
        ArchiveFormat::Zip => panic!("zip is built with zip_of"),
    }
}

/// One member of a test zip.
pub enum ZipMember<'a> {
    File(&'a str, u32, &'a [u8]),
    Dir(&'a str),
    Symlink(&'a str, &'a str),
}

pub fn zip_of(members: &[ZipMember<'_>]) -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::from_date_and_time(2023, 11, 14, 22, 13, 20).unwrap());
    for member in members {
        match member {
            ZipMember::File(name, mode, data) => {
                writer
                    .start_file(*name, options.unix_permissions(*mode))
                    .unwrap();
                writer.write_all(data).unwrap();
            }
            ZipMember::Dir(name) => writer
                .add_directory(*name, options.unix_permissions(0o755))
                .unwrap(),
            ZipMember::Symlink(name, target) => {
                writer.add_symlink(*name, *target, options).unwrap()
            }
        }
    }
    writer.finish().unwrap().into_inner()
}

pub fn read_all(
    bytes: &[u8],
    format: ArchiveFormat,
    limits: &Limits,
) -> Result<ArchiveListing, ArchiveError> {
    read_archive(bytes, format, limits, &mut |_| true)
}

pub fn tar_gz(tar: &Tar) -> Vec<u8> {
    compress(ArchiveFormat::TarGz, &tar.finish())
}

/// Reads a tar.gz with default limits and wants everything.
pub fn read_tar_gz(tar: &Tar) -> Result<ArchiveListing, ArchiveError> {
    read_all(&tar_gz(tar), ArchiveFormat::TarGz, &Limits::default())
}

pub fn code_of(result: Result<ArchiveListing, ArchiveError>) -> &'static str {
    match result {
        Ok(listing) => panic!("expected a refusal, got {:?}", listing.entries),
        Err(error) => {
            let message = error.to_string();
            assert!(!message.is_empty());
            error.code()
        }
    }
}

pub const TAR_FORMATS: [ArchiveFormat; 4] = [
    ArchiveFormat::Tar,
    ArchiveFormat::TarGz,
    ArchiveFormat::TarBz2,
    ArchiveFormat::TarXz,
];
