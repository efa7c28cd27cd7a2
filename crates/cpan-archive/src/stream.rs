//! The byte pipeline under the tar parser: a counting, size-capped reader of the compressed
//! file, the decompressor, and a buffered source that enforces the ratio limit.

use crate::{ArchiveError, ArchiveFormat, Limits};
use std::cell::Cell;
use std::io::{self, BufRead, BufReader, Read};
use std::rc::Rc;

/// Compressed input is read in chunks this large; inflate is fastest with big inputs.
const INPUT_BUFFER: usize = 128 * 1024;
/// Decompressed output is pulled in chunks this large.
const OUTPUT_BUFFER: usize = 128 * 1024;
/// Memory an xz decoder may use. `xz -9` needs 65 MiB; nothing legitimate needs more.
const XZ_MEMORY_LIMIT_KIB: u32 = 128 * 1024;

/// A byte count shared between a reader deep in the pipeline and its owner.
pub(crate) type ByteCounter = Rc<Cell<u64>>;

/// Marker carried inside an `io::Error` when the compressed-size cap is hit, so the cause
/// survives the trip through the decompressor.
#[derive(Debug)]
struct CompressedLimitHit;

impl std::fmt::Display for CompressedLimitHit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("compressed size limit reached")
    }
}

impl std::error::Error for CompressedLimitHit {}

/// Counts the bytes read from the underlying file and refuses to read past the cap.
pub(crate) struct CountingReader<R> {
    inner: R,
    count: Rc<Cell<u64>>,
    limit: u64,
}

impl<R: Read> CountingReader<R> {
    pub(crate) fn new(inner: R, limit: u64) -> (CountingReader<R>, Rc<Cell<u64>>) {
        let count = Rc::new(Cell::new(0));
        let reader = CountingReader {
            inner,
            count: Rc::clone(&count),
            limit,
        };
        (reader, count)
    }
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        let total = self.count.get().saturating_add(read as u64);
        self.count.set(total);
        if total > self.limit {
            return Err(io::Error::other(CompressedLimitHit));
        }
        Ok(read)
    }
}

/// Turns an I/O error from anywhere in the pipeline into the refusal it stands for.
pub(crate) fn map_io_error(error: io::Error, limits: &Limits, context: &str) -> ArchiveError {
    if error
        .get_ref()
        .is_some_and(|inner| inner.is::<CompressedLimitHit>())
    {
        return ArchiveError::CompressedTooLarge {
            limit: limits.max_compressed_size,
        };
    }
    if error.kind() == io::ErrorKind::UnexpectedEof {
        return ArchiveError::truncated(format!("{context}: {error}"));
    }
    ArchiveError::corrupt(format!("{context}: {error}"))
}

/// One compressed stream of a possibly multi-member file (gzip and bzip2 allow several
/// members back to back).
trait Member<R: BufRead>: Read + Sized {
    /// The bytes a following member starts with.
    const MAGIC: &'static [u8];
    fn start(reader: R) -> Self;
    fn finish(self) -> R;
}

impl<R: BufRead> Member<R> for flate2::bufread::GzDecoder<R> {
    const MAGIC: &'static [u8] = &[0x1f, 0x8b];
    fn start(reader: R) -> Self {
        flate2::bufread::GzDecoder::new(reader)
    }
    fn finish(self) -> R {
        self.into_inner()
    }
}

impl<R: BufRead> Member<R> for bzip2::bufread::BzDecoder<R> {
    const MAGIC: &'static [u8] = b"BZh";
    fn start(reader: R) -> Self {
        bzip2::bufread::BzDecoder::new(reader)
    }
    fn finish(self) -> R {
        self.into_inner()
    }
}

/// Reads member after member; stops quietly at anything after a member that does not start
/// like another one, as `gzip -d` and `bzip2 -d` do with trailing garbage.
struct Members<R: BufRead, M: Member<R>> {
    current: Option<M>,
    _reader: std::marker::PhantomData<R>,
}

impl<R: BufRead, M: Member<R>> Members<R, M> {
    fn new(reader: R) -> Self {
        Members {
            current: Some(M::start(reader)),
            _reader: std::marker::PhantomData,
        }
    }
}

impl<R: BufRead, M: Member<R>> Read for Members<R, M> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let Some(member) = self.current.as_mut() else {
                return Ok(0);
            };
            let read = member.read(buf)?;
            if read > 0 || buf.is_empty() {
                return Ok(read);
            }
            let Some(member) = self.current.take() else {
                return Ok(0);
            };
            let mut reader = member.finish();
            let next = reader.fill_buf()?;
            let prefix = next.len().min(M::MAGIC.len());
            let another = prefix > 0 && next.get(..prefix) == M::MAGIC.get(..prefix);
            if another {
                self.current = Some(M::start(reader));
            }
        }
    }
}

/// Hands every chunk read from `inner` to `observe` (never an empty one).
pub(crate) struct Observed<'o, R> {
    inner: R,
    observe: &'o mut dyn FnMut(&[u8]),
}

impl<'o, R> Observed<'o, R> {
    pub(crate) fn new(inner: R, observe: &'o mut dyn FnMut(&[u8])) -> Self {
        Observed { inner, observe }
    }
}

impl<R: Read> Read for Observed<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        if let Some(chunk) = buf.get(..read).filter(|chunk| !chunk.is_empty()) {
            (self.observe)(chunk);
        }
        Ok(read)
    }
}

/// Buffers the compressed input and counts the bytes the decompressor actually consumed
/// (not the read-ahead), so the ratio check is exact even for files smaller than the buffer.
struct Consumed<R> {
    inner: BufReader<R>,
    consumed: Rc<Cell<u64>>,
}

impl<R: Read> Read for Consumed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.consumed
            .set(self.consumed.get().saturating_add(read as u64));
        Ok(read)
    }
}

impl<R: Read> BufRead for Consumed<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        self.consumed
            .set(self.consumed.get().saturating_add(amount as u64));
        self.inner.consume(amount);
    }
}

/// The decompressed byte stream of a tar-based archive, and the count of compressed bytes
/// the decompressor has consumed.
pub(crate) fn decoder<'r, R: Read + 'r>(
    input: R,
    format: ArchiveFormat,
) -> Result<(Box<dyn Read + 'r>, ByteCounter), ArchiveError> {
    let consumed = Rc::new(Cell::new(0));
    let buffered = Consumed {
        inner: BufReader::with_capacity(INPUT_BUFFER, input),
        consumed: Rc::clone(&consumed),
    };
    let reader: Box<dyn Read + 'r> = match format {
        ArchiveFormat::TarGz => {
            Box::new(Members::<_, flate2::bufread::GzDecoder<_>>::new(buffered))
        }
        ArchiveFormat::TarBz2 => {
            Box::new(Members::<_, bzip2::bufread::BzDecoder<_>>::new(buffered))
        }
        ArchiveFormat::TarXz => Box::new(lzma_rust2::XzReader::new_mem_limit(
            buffered,
            true,
            XZ_MEMORY_LIMIT_KIB,
        )),
        ArchiveFormat::Tar => Box::new(buffered),
        ArchiveFormat::Zip => {
            return Err(ArchiveError::Unsupported {
                what: "zip is not a tar stream".to_string(),
            })
        }
    };
    Ok((reader, consumed))
}

/// A buffered reader of decompressed bytes that counts them and enforces the ratio limit.
pub(crate) struct Source<'r, 'l> {
    reader: Box<dyn Read + 'r>,
    buffer: Box<[u8]>,
    start: usize,
    end: usize,
    /// Decompressed bytes pulled from the decoder so far.
    pub(crate) produced: u64,
    /// Compressed bytes consumed by the decompressor so far; `None` for an uncompressed tar.
    compressed: Option<Rc<Cell<u64>>>,
    limits: &'l Limits,
}

impl<'r, 'l> Source<'r, 'l> {
    pub(crate) fn new(
        reader: Box<dyn Read + 'r>,
        compressed: Option<Rc<Cell<u64>>>,
        limits: &'l Limits,
    ) -> Self {
        Source {
            reader,
            buffer: vec![0; OUTPUT_BUFFER].into_boxed_slice(),
            start: 0,
            end: 0,
            produced: 0,
            compressed,
            limits,
        }
    }

    /// Makes bytes available; `false` at the end of the stream.
    fn fill(&mut self) -> Result<bool, ArchiveError> {
        if self.start < self.end {
            return Ok(true);
        }
        let read = loop {
            match self.reader.read(&mut self.buffer) {
                Ok(read) => break read,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(map_io_error(error, self.limits, "decompression failed")),
            }
        };
        self.start = 0;
        self.end = read;
        self.produced = self.produced.saturating_add(read as u64);
        self.check_ratio()?;
        Ok(read > 0)
    }

    fn check_ratio(&self) -> Result<(), ArchiveError> {
        let Some(compressed) = &self.compressed else {
            return Ok(());
        };
        let compressed = compressed.get();
        if self.produced > self.limits.ratio_floor
            && self.produced > self.limits.max_ratio.saturating_mul(compressed)
        {
            return Err(ArchiveError::RatioExceeded {
                uncompressed: self.produced,
                compressed,
                limit: self.limits.max_ratio,
            });
        }
        Ok(())
    }

    fn available(&self) -> &[u8] {
        self.buffer.get(self.start..self.end).unwrap_or_default()
    }

    /// Fills `out` as far as the stream allows; returns how many bytes were copied.
    pub(crate) fn read_up_to(&mut self, out: &mut [u8]) -> Result<usize, ArchiveError> {
        let mut done = 0;
        while done < out.len() {
            if !self.fill()? {
                break;
            }
            let chunk = self.available();
            let count = chunk.len().min(out.len() - done);
            if let (Some(target), Some(source)) =
                (out.get_mut(done..done + count), chunk.get(..count))
            {
                target.copy_from_slice(source);
            }
            self.start += count;
            done += count;
        }
        Ok(done)
    }

    /// Discards up to `count` bytes; returns how many there were.
    pub(crate) fn skip(&mut self, count: u64) -> Result<u64, ArchiveError> {
        let mut done = 0u64;
        while done < count {
            if !self.fill()? {
                break;
            }
            let available = (self.end - self.start) as u64;
            let step = available.min(count - done);
            self.start += step as usize;
            done += step;
        }
        Ok(done)
    }

    /// Appends up to `count` bytes to `out`; returns how many there were.
    pub(crate) fn append(&mut self, count: u64, out: &mut Vec<u8>) -> Result<u64, ArchiveError> {
        let mut done = 0u64;
        while done < count {
            if !self.fill()? {
                break;
            }
            let chunk = self.available();
            let step = (chunk.len() as u64).min(count - done) as usize;
            out.extend_from_slice(chunk.get(..step).unwrap_or_default());
            self.start += step;
            done += step as u64;
        }
        Ok(done)
    }

    /// Reads everything that is left (to verify the compressed stream's checksums).
    pub(crate) fn drain(&mut self) -> Result<(), ArchiveError> {
        self.skip(u64::MAX).map(|_| ())
    }
}
