//! `capture`: packet records out of classic pcap and pcapng files, streamed.
//!
//! This layer owns the file formats and nothing above them: it hands out
//! [`Frame`]s (link type, timestamp, captured bytes, original length, frame
//! number, file offset) and [`Diagnostic`]s, and never looks inside a frame.
//!
//! # Guarantees
//!
//! - **Streaming, bounded memory.** One buffer, starting at
//!   [`INITIAL_BUFFER`] (64 KiB) and grown only as far as the largest record
//!   needs, never beyond [`MAX_RECORD_LEN`] (16 MiB). A record or block whose
//!   length field claims more is reported and reading stops; nothing is ever
//!   allocated from a length field. Memory does not grow with the file.
//! - **No panics, no endless loops** on any input: every length is checked
//!   before it is used, every refill either makes progress or ends the file.
//! - **Everything before a problem is kept.** A parse error or a file that is
//!   cut off ends the file with a fatal [`Diagnostic`] carrying the byte
//!   offset, after all the frames read until then.
//! - **Content sniffing, not file names**: gzip (`1f 8b`, decompressed with
//!   `flate2`'s `MultiGzDecoder`, then sniffed again), pcap (µs/ns, both byte
//!   orders, and the rare "modified" pcap with 24-byte record headers),
//!   pcapng (`0a 0d 0d 0a`).
//! - **Frame numbers as Wireshark counts them**: 1-based over every packet
//!   record (pcap record; pcapng EPB, SPB and obsolete Packet Block), also the
//!   ones we skip with a diagnostic, and over pcapng systemd journal entries,
//!   which Wireshark also numbers. So numbers can have gaps.
//! - **Our own timestamp maths** ([`Timestamp`]): exact integer conversion for
//!   pcapng `if_tsresol` 10^-n and 2^-n, `if_tsoffset` added, seconds kept as
//!   `i64`.
//!
//! # Offsets
//!
//! `file_offset`, `Diagnostic::offset` and [`CaptureReader::bytes_read`] are
//! byte offsets in the *decompressed* stream, i.e. in the `.pcap` that
//! `gunzip` would produce.
//!
//! # Use
//!
//! ```no_run
//! use dnslens::capture::{CaptureReader, Event};
//! let file = std::fs::File::open("dns.pcapng")?;
//! let mut reader = CaptureReader::new(file)?;
//! let (mut frames, mut cut) = (0u64, 0u64);
//! while let Some(event) = reader.next_event() {
//!     match event {
//!         Event::Frame(frame) => {
//!             frames += 1;
//!             cut += u64::from(frame.is_cut());
//!         }
//!         Event::Diagnostic(d) => eprintln!("{d}"),
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Spec references: pcap (draft-ietf-opsawg-pcap), pcapng
//! (draft-ietf-opsawg-pcapng) §4 (blocks), §4.2 (`if_tsresol`,
//! `if_tsoffset`), Appendix A (obsolete Packet Block).

mod linktype;
mod pcap;
mod pcapng;
mod time;

pub use linktype::LinkType;
pub use time::Timestamp;

use std::fmt;
use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Initial size of the read buffer.
pub const INITIAL_BUFFER: usize = 64 * 1024;

/// The largest record (pcap record header + data, or a whole pcapng block)
/// we accept: 16 MiB. Wireshark's own limit for most link types is 256 KiB;
/// this leaves room for odd link types and jumbo/TSO frames while keeping a
/// hostile length field from costing more than 16 MiB.
pub const MAX_RECORD_LEN: usize = 16 * 1024 * 1024;

/// Which kind of file this is, from its header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileFormat {
    /// Classic libpcap format.
    Pcap {
        /// Big-endian header and records (`a1 b2 c3 d4` on disk).
        big_endian: bool,
        /// Nanosecond timestamps (`a1 b2 3c 4d` magic).
        nanos: bool,
        /// (major, minor) version, normally (2, 4).
        version: (u16, u16),
        /// The snapshot length from the header (0 = not given).
        snaplen: u32,
    },
    /// pcapng; byte order, link types and resolutions vary per section and
    /// interface.
    Pcapng,
}

/// One packet record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame<'a> {
    /// 1-based, counts every packet record in the file (pcap record; pcapng
    /// EPB, SPB, obsolete PB; and systemd journal entries), as Wireshark's
    /// `frame.number` does. Skipped records leave gaps.
    pub number: u64,
    /// Capture time. For a pcapng Simple Packet Block, which carries none,
    /// this is the previous frame's timestamp (the epoch for the first
    /// frame), so that capture time never runs backwards; Wireshark shows 0.
    pub ts: Timestamp,
    /// Link type of the interface the frame was captured on.
    pub link: LinkType,
    /// pcapng interface index within its section; 0 for pcap.
    pub interface: u32,
    /// The captured bytes (`caplen` of them).
    pub data: &'a [u8],
    /// The length of the packet on the wire.
    pub orig_len: u32,
    /// Byte offset of the record (pcap record header, pcapng block) in the
    /// decompressed file.
    pub file_offset: u64,
}

impl Frame<'_> {
    /// True when fewer bytes were captured than were on the wire (the
    /// snaplen cut the frame): a short DNS message in such a frame is a
    /// capture artefact, not malformed DNS.
    pub fn is_cut(&self) -> bool {
        (self.data.len() as u64) < u64::from(self.orig_len)
    }
}

/// A problem found while reading the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The frame it concerns, if any.
    pub frame: Option<u64>,
    /// Byte offset in the (decompressed) file of the record or block.
    pub offset: u64,
    /// A sentence saying what is wrong and where.
    pub message: String,
    /// True when reading of this file stops here.
    pub fatal: bool,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// What [`CaptureReader::next_event`] yields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event<'a> {
    /// A packet record.
    Frame(Frame<'a>),
    /// A problem; if `fatal`, the next call returns `None`.
    Diagnostic(Diagnostic),
}

/// Why a file could not be opened as a capture at all.
#[derive(Debug)]
pub enum OpenError {
    /// The file (or the gzip stream's content) has no bytes at all.
    Empty {
        /// The emptiness is that of the decompressed content.
        compressed: bool,
    },
    /// The content starts with no known magic number.
    NotACapture {
        /// Up to the first 8 bytes.
        first_bytes: Vec<u8>,
        /// Those bytes come out of a gzip stream.
        compressed: bool,
    },
    /// The magic number is right but the file header is cut off or invalid.
    BadHeader {
        /// "pcap" or "pcapng".
        format: &'static str,
        /// Byte offset of the problem.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// Reading (or decompressing) failed; the OS error is kept.
    Io(io::Error),
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty { compressed: false } => f.write_str("empty file (0 bytes): not a capture"),
            Self::Empty { compressed: true } => {
                f.write_str("the gzip stream decompresses to 0 bytes: not a capture")
            }
            Self::NotACapture {
                first_bytes,
                compressed,
            } => {
                f.write_str("not a packet capture (")?;
                if *compressed {
                    f.write_str("after gzip decompression, ")?;
                }
                f.write_str("starts with")?;
                for b in first_bytes {
                    write!(f, " {b:02x}")?;
                }
                f.write_str("): expected pcap or pcapng")
            }
            Self::BadHeader {
                format,
                offset,
                reason,
            } => write!(f, "broken {format} file header at byte {offset}: {reason}"),
            Self::Io(e) => write!(f, "read error: {e}"),
        }
    }
}

impl std::error::Error for OpenError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for OpenError {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

/// Streams [`Event`]s out of a pcap or pcapng file (optionally gzipped).
pub struct CaptureReader {
    input: Input,
    format: FileFormat,
    compressed: bool,
    kind: Kind,
    /// Frame numbers handed out so far (including skipped records).
    frames: u64,
    /// Bytes to drop from the buffer at the start of the next call: the
    /// record whose data the last `Frame` borrowed.
    pending: usize,
    /// A frame to deliver right after the diagnostic just returned.
    queued: Option<FrameMeta>,
    done: bool,
    /// Bytes taken from the caller's reader (compressed, for .gz).
    source_bytes: Arc<AtomicU64>,
}

enum Kind {
    Pcap(pcap::State),
    Pcapng(pcapng::State),
}

impl fmt::Debug for CaptureReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaptureReader")
            .field("format", &self.format)
            .field("compressed", &self.compressed)
            .field("frames", &self.frames)
            .field("bytes_read", &self.bytes_read())
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl CaptureReader {
    /// Sniffs the content and reads the file header.
    ///
    /// gzip (`1f 8b`) is decompressed (all members) and sniffed again; then
    /// pcap (`d4 c3 b2 a1`, `a1 b2 c3 d4`, `4d 3c b2 a1`, `a1 b2 3c 4d`,
    /// modified `34 cd b2 a1`/`a1 b2 cd 34`) or pcapng (`0a 0d 0d 0a`).
    /// No `BufReader` is needed: reads go straight into the reader's own
    /// buffer, in chunks of up to 64 KiB (or the size of a larger record).
    pub fn new<R: Read + Send + 'static>(input: R) -> Result<Self, OpenError> {
        let source_bytes = Arc::new(AtomicU64::new(0));
        let mut input = Input::new(Box::new(Counting {
            inner: input,
            count: Arc::clone(&source_bytes),
        }));
        let mut compressed = false;
        // 8 bytes: enough for every magic, and for the "not a capture" message.
        if let Fill::Io(e) = input.fill(8) {
            return Err(OpenError::Io(e));
        }
        if input.available().starts_with(&[0x1f, 0x8b]) {
            // Give the decoder the bytes we already read, then the rest.
            let (prefix, rest) = input.into_parts();
            let chained = io::Cursor::new(prefix).chain(rest);
            input = Input::new(Box::new(Gunzip(flate2::read::MultiGzDecoder::new(chained))));
            compressed = true;
            if let Fill::Io(e) = input.fill(8) {
                return Err(OpenError::Io(e));
            }
        }
        let head = input.available();
        if head.is_empty() {
            return Err(OpenError::Empty { compressed });
        }
        let (format, kind) = match head {
            [0x0a, 0x0d, 0x0d, 0x0a, ..] => (
                FileFormat::Pcapng,
                Kind::Pcapng(pcapng::State::open(&mut input)?),
            ),
            _ => match pcap::State::sniff(head) {
                Some(magic) => {
                    let state = pcap::State::open(&mut input, magic)?;
                    (state.format(), Kind::Pcap(state))
                }
                None => {
                    return Err(OpenError::NotACapture {
                        first_bytes: head.iter().take(8).copied().collect(),
                        compressed,
                    })
                }
            },
        };
        Ok(Self {
            input,
            format,
            compressed,
            kind,
            frames: 0,
            pending: 0,
            queued: None,
            done: false,
            source_bytes,
        })
    }

    /// The format found by sniffing (for pcap, with the header's fields).
    pub fn format(&self) -> FileFormat {
        self.format
    }

    /// True when the file was gzip-compressed.
    pub fn compressed(&self) -> bool {
        self.compressed
    }

    /// Decompressed bytes read and handed out so far: the file offset just
    /// after the last record returned. For progress.
    pub fn bytes_read(&self) -> u64 {
        self.input.offset() + self.pending as u64
    }

    /// Bytes taken so far from the reader given to [`CaptureReader::new`]:
    /// for a gzip file, *compressed* bytes. Compare this with the file size
    /// for a progress display. Runs ahead of what was handed out by at most
    /// one buffer.
    pub fn source_bytes_read(&self) -> u64 {
        self.source_bytes.load(Ordering::Relaxed)
    }

    /// Frame numbers used so far (the last frame's number), including
    /// packet records skipped with a diagnostic.
    pub fn frames_read(&self) -> u64 {
        self.frames
    }

    /// The next frame or diagnostic; `None` at the end of the file or after
    /// a fatal diagnostic (and from then on).
    ///
    /// Lending-iterator style: the returned frame borrows the reader's
    /// buffer, and its record is dropped at the start of the next call.
    pub fn next_event(&mut self) -> Option<Event<'_>> {
        if let Some(meta) = self.queued.take() {
            self.pending = meta.record_len;
            return Some(Event::Frame(self.frame(meta)));
        }
        self.input.consume(std::mem::take(&mut self.pending));
        // Each pass consumes a block (or ends the file), so the loop ends.
        loop {
            if self.done {
                return None;
            }
            let step = match &mut self.kind {
                Kind::Pcap(s) => s.step(&mut self.input, &mut self.frames),
                Kind::Pcapng(s) => s.step(&mut self.input, &mut self.frames),
            };
            match step {
                Step::Skip => continue,
                Step::End => {
                    self.done = true;
                    return None;
                }
                Step::Frame(meta) => {
                    self.pending = meta.record_len;
                    return Some(Event::Frame(self.frame(meta)));
                }
                Step::Diagnostic(d) => {
                    self.done = d.fatal;
                    return Some(Event::Diagnostic(d));
                }
                Step::DiagnosticThenFrame(d, meta) => {
                    self.queued = Some(meta);
                    return Some(Event::Diagnostic(d));
                }
            }
        }
    }

    /// Size of the read buffer (for the memory-bound tests).
    #[cfg(test)]
    fn buffer_len(&self) -> usize {
        self.input.buf.len()
    }

    fn frame(&self, meta: FrameMeta) -> Frame<'_> {
        let start = meta.data_start;
        let data = self
            .input
            .available()
            .get(start..start.saturating_add(meta.data_len))
            .unwrap_or_default();
        Frame {
            number: meta.number,
            ts: meta.ts,
            link: meta.link,
            interface: meta.interface,
            data,
            orig_len: meta.orig_len,
            file_offset: meta.file_offset,
        }
    }
}

/// A frame found by a format reader, described without borrowing the
/// buffer: its data is `available()[data_start..data_start + data_len]`,
/// and `record_len` bytes are consumed once it has been handed out.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FrameMeta {
    pub(crate) number: u64,
    pub(crate) ts: Timestamp,
    pub(crate) link: LinkType,
    pub(crate) interface: u32,
    pub(crate) orig_len: u32,
    pub(crate) file_offset: u64,
    pub(crate) data_start: usize,
    pub(crate) data_len: usize,
    pub(crate) record_len: usize,
}

/// One step of a format reader. Anything but a frame has already been
/// consumed from the input.
#[derive(Debug)]
pub(crate) enum Step {
    Frame(FrameMeta),
    Diagnostic(Diagnostic),
    DiagnosticThenFrame(Diagnostic, FrameMeta),
    /// A block that yields nothing (IDB, NRB, ...): go on.
    Skip,
    End,
}

impl Step {
    fn fatal(offset: u64, message: String) -> Self {
        Self::Diagnostic(Diagnostic {
            frame: None,
            offset,
            message,
            fatal: true,
        })
    }

    /// The file ends inside a record.
    pub(crate) fn cut_off(frames: u64, offset: u64, needed: usize, have: usize) -> Self {
        Self::fatal(
            offset,
            format!(
                "file cut off after frame {frames} at byte {offset}: the last record is \
                 incomplete (needs {needed} bytes, {have} left)"
            ),
        )
    }

    pub(crate) fn read_error(frames: u64, offset: u64, e: &io::Error) -> Self {
        Self::fatal(
            offset,
            format!("read error after frame {frames} at byte {offset}: {e}"),
        )
    }

    pub(crate) fn broken(frames: u64, offset: u64, what: &str) -> Self {
        Self::fatal(
            offset,
            format!("{what} (at byte {offset}, after frame {frames}); reading of this file stops"),
        )
    }

    /// Turns a fill result into a step when it is not `Ready`.
    #[inline]
    pub(crate) fn from_fill(fill: Fill, frames: u64, offset: u64, needed: usize) -> Option<Self> {
        match fill {
            Fill::Ready => None,
            Fill::Eof { have: 0 } => Some(Self::End),
            Fill::Eof { have } => Some(Self::cut_off(frames, offset, needed, have)),
            Fill::Io(e) => Some(Self::read_error(frames, offset, &e)),
        }
    }
}

/// Outcome of [`Input::fill`].
#[derive(Debug)]
pub(crate) enum Fill {
    /// At least the requested number of bytes is available.
    Ready,
    /// The input ended first; `have` bytes are available.
    Eof { have: usize },
    /// The source failed.
    Io(io::Error),
}

/// Counts the bytes read from the caller's reader.
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// A gzip decoder whose errors say they come from the gzip stream (the
/// decoder's own messages, "incomplete deflate stream" or "unexpected end
/// of file", do not). The error kind and the original error are kept.
struct Gunzip<R: Read>(flate2::read::MultiGzDecoder<R>);

impl<R: Read> Read for Gunzip<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf).map_err(|e| match e.kind() {
            io::ErrorKind::Interrupted => e,
            kind => io::Error::new(kind, GzipError(e)),
        })
    }
}

#[derive(Debug)]
struct GzipError(io::Error);

impl fmt::Display for GzipError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the gzip stream is broken or cut off ({})", self.0)
    }
}

impl std::error::Error for GzipError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

/// The read buffer: `buf[start..end]` holds unconsumed bytes, whose file
/// offset is `base + start`.
pub(crate) struct Input {
    src: Box<dyn Read + Send>,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    base: u64,
    eof: bool,
}

impl Input {
    fn new(src: Box<dyn Read + Send>) -> Self {
        Self {
            src,
            buf: Vec::new(),
            start: 0,
            end: 0,
            base: 0,
            eof: false,
        }
    }

    /// The unconsumed bytes.
    pub(crate) fn available(&self) -> &[u8] {
        self.buf.get(self.start..self.end).unwrap_or_default()
    }

    /// File offset of `available()[0]`.
    pub(crate) fn offset(&self) -> u64 {
        self.base + self.start as u64
    }

    pub(crate) fn consume(&mut self, n: usize) {
        self.start = self.start.saturating_add(n).min(self.end);
    }

    /// Makes at least `need` bytes available, reading (and growing the
    /// buffer up to `need`, which callers keep below [`MAX_RECORD_LEN`]) as
    /// required. Ends with `Eof` only when the source returns 0 bytes.
    ///
    /// Inline, for the common case of a record already whole in the buffer
    /// (two calls a record: ~70 instructions a frame before, finding 60).
    #[inline]
    pub(crate) fn fill(&mut self, need: usize) -> Fill {
        if self.end - self.start >= need {
            Fill::Ready
        } else {
            self.refill(need)
        }
    }

    /// [`Input::fill`] for a reader's step: `None` when `need` bytes are
    /// there, else the step that ends it (the end of the file, a cut-off
    /// record or a read error). It tests the length itself rather than
    /// matching on [`Input::fill`]'s result: that form cost the reading
    /// thread 2 % more instructions (callgrind, 357 → 364 M on 300 000 frames).
    #[inline]
    pub(crate) fn fill_or_step(&mut self, need: usize, frames: u64, offset: u64) -> Option<Step> {
        if self.end - self.start >= need {
            None
        } else {
            Step::from_fill(self.refill(need), frames, offset, need)
        }
    }

    #[cold]
    #[inline(never)]
    fn refill(&mut self, need: usize) -> Fill {
        let need = need.min(MAX_RECORD_LEN);
        while self.end - self.start < need {
            if self.eof {
                return Fill::Eof {
                    have: self.end - self.start,
                };
            }
            if self.start + need > self.buf.len() {
                // Move the unconsumed bytes to the front, then grow if even
                // that is not enough room.
                self.buf.copy_within(self.start..self.end, 0);
                self.base += self.start as u64;
                self.end -= self.start;
                self.start = 0;
                if need > self.buf.len() {
                    let size = need
                        .max(INITIAL_BUFFER)
                        .checked_next_power_of_two()
                        .unwrap_or(need)
                        .min(MAX_RECORD_LEN)
                        .max(need);
                    self.buf.resize(size, 0);
                }
            }
            let Some(room) = self.buf.get_mut(self.end..) else {
                return Fill::Eof {
                    have: self.end - self.start,
                };
            };
            match self.src.read(room) {
                Ok(0) => self.eof = true,
                // Never trust a reader's count beyond the room we gave it.
                Ok(n) => self.end = (self.end + n).min(self.buf.len()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Fill::Io(e),
            }
        }
        Fill::Ready
    }

    /// The unconsumed bytes and the source, to put a decoder in between.
    fn into_parts(self) -> (Vec<u8>, Box<dyn Read + Send>) {
        let prefix = self.available().to_vec();
        (prefix, self.src)
    }
}

/// Helpers shared by the tests of this layer: owned frames and a reader
/// that drains a whole file.
#[cfg(test)]
pub(crate) mod test_support {
    use super::*;

    /// A `Frame` with its data copied, for comparing whole runs.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub(crate) struct OwnedFrame {
        pub(crate) number: u64,
        pub(crate) ts: Timestamp,
        pub(crate) link: LinkType,
        pub(crate) interface: u32,
        pub(crate) data: Vec<u8>,
        pub(crate) orig_len: u32,
        pub(crate) file_offset: u64,
    }

    /// Everything a reader yields, in order.
    #[derive(Debug, Default)]
    pub(crate) struct Run {
        pub(crate) frames: Vec<OwnedFrame>,
        pub(crate) diagnostics: Vec<Diagnostic>,
        /// Index in `frames` at which each diagnostic came.
        pub(crate) diagnostic_at: Vec<usize>,
        pub(crate) frames_read: u64,
        pub(crate) bytes_read: u64,
    }

    impl Run {
        pub(crate) fn fatal(&self) -> Option<&Diagnostic> {
            self.diagnostics.iter().find(|d| d.fatal)
        }
    }

    /// Drains `reader`, with a generous bound on the number of events so a
    /// bug that loops shows up as a failure, not a hang.
    pub(crate) fn drain(reader: &mut CaptureReader) -> Run {
        let mut run = Run::default();
        let mut events = 0u64;
        while let Some(ev) = reader.next_event() {
            events += 1;
            assert!(events < 10_000_000, "reader does not end");
            match ev {
                Event::Frame(f) => run.frames.push(OwnedFrame {
                    number: f.number,
                    ts: f.ts,
                    link: f.link,
                    interface: f.interface,
                    data: f.data.to_vec(),
                    orig_len: f.orig_len,
                    file_offset: f.file_offset,
                }),
                Event::Diagnostic(d) => {
                    run.diagnostic_at.push(run.frames.len());
                    run.diagnostics.push(d);
                }
            }
        }
        // Fused: stays at None.
        assert!(reader.next_event().is_none());
        run.frames_read = reader.frames_read();
        run.bytes_read = reader.bytes_read();
        run
    }

    /// Opens `bytes` from memory and drains it.
    pub(crate) fn read_bytes(bytes: &[u8]) -> Result<Run, OpenError> {
        let mut reader = CaptureReader::new(io::Cursor::new(bytes.to_vec()))?;
        Ok(drain(&mut reader))
    }

    /// A pcapng block: type, total length, body (padded to 4), length.
    pub(crate) fn block(be: bool, btype: u32, body: &[u8]) -> Vec<u8> {
        let padded = body.len().div_ceil(4) * 4;
        let len = u32::try_from(12 + padded).expect("test block fits");
        let mut out = Vec::new();
        out.extend(u32b(be, btype));
        out.extend(u32b(be, len));
        out.extend(body);
        out.resize(8 + padded, 0);
        out.extend(u32b(be, len));
        out
    }

    pub(crate) fn u32b(be: bool, v: u32) -> [u8; 4] {
        if be {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }

    pub(crate) fn u16b(be: bool, v: u16) -> [u8; 2] {
        if be {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::pcapng::tests::two_sections;
    use super::test_support::{drain, read_bytes, OwnedFrame, Run};
    use super::*;
    use std::collections::HashMap;
    use std::io::Write;
    use std::path::{Path, PathBuf};

    /// A one-record LE µs pcap (Ethernet, 4 bytes of data).
    fn tiny_pcap() -> Vec<u8> {
        let mut f = vec![
            0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0,
            0, // magic, 2.4, zone, sigfigs
            0xff, 0xff, 0, 0, 1, 0, 0, 0, // snaplen 65535, Ethernet
        ];
        for i in 0..3u8 {
            f.extend([10 + i, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0]); // ts, caplen 4, origlen 4
            f.extend([i; 4]);
        }
        f
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    fn open(bytes: Vec<u8>) -> Result<CaptureReader, OpenError> {
        CaptureReader::new(io::Cursor::new(bytes))
    }

    #[test]
    fn empty_file_is_a_clear_error() {
        let err = open(Vec::new()).unwrap_err();
        assert!(matches!(err, OpenError::Empty { compressed: false }));
        assert_eq!(err.to_string(), "empty file (0 bytes): not a capture");
        let err = open(gzip(b"")).unwrap_err();
        assert!(
            matches!(err, OpenError::Empty { compressed: true }),
            "{err:?}"
        );
    }

    #[test]
    fn wrong_magic_names_the_first_bytes() {
        let err = open(b"<!DOCTYPE html>".to_vec()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "not a packet capture (starts with 3c 21 44 4f 43 54 59 50): expected pcap or pcapng"
        );
        let err = open(vec![0xab]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "not a packet capture (starts with ab): expected pcap or pcapng"
        );
        let err = open(gzip(b"{\"json\": 1}")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "not a packet capture (after gzip decompression, starts with 7b 22 6a 73 6f 6e 22 3a): \
             expected pcap or pcapng"
        );
    }

    #[test]
    fn gzip_is_sniffed_and_decompressed() {
        let plain = tiny_pcap();
        let reader = open(gzip(&plain)).unwrap();
        assert!(reader.compressed());
        assert!(matches!(
            reader.format(),
            FileFormat::Pcap {
                big_endian: false,
                ..
            }
        ));
        let mut reader = reader;
        let run = drain(&mut reader);
        assert_eq!(run.frames, read_bytes(&plain).unwrap().frames);
        // Offsets are in the decompressed stream; source bytes are compressed.
        assert_eq!(run.bytes_read, plain.len() as u64);
        assert_eq!(reader.source_bytes_read(), gzip(&plain).len() as u64);
        // Several gzip members (as `cat a.gz b.gz` makes) are one stream.
        let mut two = gzip(&plain[..30]);
        two.extend(gzip(&plain[30..]));
        let run2 = read_bytes(&two).unwrap();
        assert_eq!(run2.frames, run.frames);
        assert!(run2.diagnostics.is_empty());
    }

    #[test]
    fn broken_gzip_is_an_error_not_a_panic() {
        // Header of a gzip stream, then junk.
        let mut bad = gzip(&tiny_pcap());
        let n = bad.len();
        for b in bad.get_mut(12..n - 8).unwrap() {
            *b ^= 0x5a;
        }
        match open(bad) {
            Err(OpenError::Io(_)) | Err(OpenError::NotACapture { .. }) => {}
            Ok(mut r) => {
                let run = drain(&mut r);
                assert!(run.fatal().is_some());
            }
            Err(other) => panic!("{other:?}"),
        }
        // Only the two magic bytes.
        let err = open(vec![0x1f, 0x8b]).unwrap_err();
        assert!(matches!(err, OpenError::Io(_)));
        assert!(
            err.to_string()
                .starts_with("read error: the gzip stream is broken or cut off ("),
            "{err}"
        );
        // Cut in the middle of the deflate data: the frames before, then a
        // fatal diagnostic naming gzip.
        let mut many = tiny_pcap();
        for _ in 0..6 {
            let tail = many[24..].to_vec();
            many.extend(tail);
        }
        let gz = gzip(&many);
        let run = read_bytes(&gz[..gz.len() - 9]).unwrap();
        assert!(!run.frames.is_empty());
        let d = run.fatal().unwrap();
        assert!(
            d.message.contains("the gzip stream is broken or cut off"),
            "{}",
            d.message
        );
    }

    /// Hands out at most one byte per `read`, with `Interrupted` in between.
    struct Trickle {
        data: Vec<u8>,
        pos: usize,
        interrupt: bool,
    }

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.interrupt = !self.interrupt;
            if self.interrupt {
                return Err(io::ErrorKind::Interrupted.into());
            }
            match (self.data.get(self.pos), buf.first_mut()) {
                (Some(&b), Some(slot)) => {
                    *slot = b;
                    self.pos += 1;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    #[test]
    fn one_byte_reads_give_the_same_result() {
        for file in [tiny_pcap(), two_sections()] {
            let whole = read_bytes(&file).unwrap();
            let mut r = CaptureReader::new(Trickle {
                data: file.clone(),
                pos: 0,
                interrupt: false,
            })
            .unwrap();
            let trickled = drain(&mut r);
            assert_eq!(trickled.frames, whole.frames);
            assert_eq!(trickled.diagnostics, whole.diagnostics);
            assert_eq!(trickled.bytes_read, file.len() as u64);
        }
    }

    /// Fails with an OS-like error after `ok` bytes.
    struct Failing {
        data: io::Cursor<Vec<u8>>,
        ok: u64,
    }

    impl Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let left = self.ok.saturating_sub(self.data.position());
            if left == 0 {
                return Err(io::Error::other("disk on fire"));
            }
            let n = buf.len().min(left as usize);
            self.data.read(&mut buf[..n])
        }
    }

    #[test]
    fn io_errors_are_kept() {
        let file = tiny_pcap();
        let err = CaptureReader::new(Failing {
            data: io::Cursor::new(file.clone()),
            ok: 0,
        })
        .unwrap_err();
        assert!(matches!(&err, OpenError::Io(e) if e.to_string() == "disk on fire"));
        assert!(std::error::Error::source(&err).is_some());
        let mut r = CaptureReader::new(Failing {
            data: io::Cursor::new(file),
            ok: 50,
        })
        .unwrap();
        let run = drain(&mut r);
        assert_eq!(run.frames.len(), 1);
        let d = run.fatal().unwrap();
        assert_eq!(
            d.message,
            "read error after frame 1 at byte 44: disk on fire"
        );
    }

    #[test]
    fn buffer_grows_for_big_records_and_stops_at_the_cap() {
        // A 300 000-byte frame needs more than the initial 64 KiB.
        let mut f = tiny_pcap()[..24].to_vec();
        f[16..20].copy_from_slice(&0u32.to_le_bytes()); // snaplen 0 (unknown)
        let big = 300_000u32;
        f.extend([1, 0, 0, 0, 0, 0, 0, 0]);
        f.extend(big.to_le_bytes());
        f.extend(big.to_le_bytes());
        f.extend((0..big).map(|i| i as u8));
        f.extend(&tiny_pcap()[24..44]); // a small record after it
        let mut reader = open(f.clone()).unwrap();
        let run = drain(&mut reader);
        // Grown to the next power of two that holds the record, no more.
        assert_eq!(reader.buffer_len(), 512 * 1024);
        assert!(run.diagnostics.is_empty(), "{:?}", run.diagnostics);
        assert_eq!(run.frames.len(), 2);
        assert_eq!(run.frames[0].data.len(), big as usize);
        assert_eq!(run.frames[0].data[299_999], (299_999u32 as u8));
        assert_eq!(run.frames[1].data, [0; 4]);
        // Just over the cap: fatal, frames before kept.
        let mut g = tiny_pcap();
        let too_big = u32::try_from(MAX_RECORD_LEN - 15).unwrap();
        g.extend([1, 0, 0, 0, 0, 0, 0, 0]);
        g.extend(too_big.to_le_bytes());
        g.extend(too_big.to_le_bytes());
        let run = read_bytes(&g).unwrap();
        assert_eq!(run.frames.len(), 3);
        assert!(run
            .fatal()
            .unwrap()
            .message
            .contains("more than the 16 MiB limit"));
    }

    #[test]
    fn memory_does_not_grow_with_the_file() {
        // 100 000 records of 60 bytes: ~7.6 MB through a 64 KiB buffer.
        let mut f = tiny_pcap()[..24].to_vec();
        for i in 0..100_000u32 {
            f.extend(i.to_le_bytes()); // ts_sec
            f.extend([0, 0, 0, 0, 60, 0, 0, 0, 60, 0, 0, 0]); // ts_usec, caplen, origlen
            f.extend([i as u8; 60]);
        }
        let mut reader = open(f.clone()).unwrap();
        let mut n = 0u64;
        while let Some(ev) = reader.next_event() {
            let Event::Frame(fr) = ev else {
                panic!("{ev:?}")
            };
            n += 1;
            assert_eq!(fr.number, n);
            assert_eq!(fr.data, [(n - 1) as u8; 60]);
        }
        assert_eq!(n, 100_000);
        assert_eq!(reader.bytes_read(), f.len() as u64);
        assert_eq!(reader.source_bytes_read(), f.len() as u64);
        assert_eq!(reader.buffer_len(), INITIAL_BUFFER);
    }

    #[test]
    fn garbage_appended_keeps_every_frame() {
        for file in [tiny_pcap(), two_sections()] {
            let whole = read_bytes(&file).unwrap();
            let mut g = file.clone();
            g.extend(b"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA trailing junk");
            let run = read_bytes(&g).unwrap();
            assert_eq!(run.frames, whole.frames);
            let d = run.fatal().unwrap();
            assert_eq!(d.offset, file.len() as u64);
        }
    }

    /// Cuts `file` at every offset: never a panic, always a prefix of the
    /// frames, and a fatal "cut off" diagnostic unless the cut falls between
    /// records.
    fn check_every_cut(name: &str, file: &[u8]) {
        let whole = read_bytes(file).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(whole.fatal().is_none(), "{name}: {:?}", whole.fatal());
        for cut in 0..file.len() {
            let Ok(run) = read_bytes(&file[..cut]) else {
                assert!(
                    cut < 24 || file.starts_with(&[0x1f, 0x8b]),
                    "{name}: cut {cut} does not open"
                );
                continue;
            };
            let limit = match run.fatal() {
                Some(d) => {
                    assert!(
                        d.message.contains("cut off")
                            || (file.starts_with(&[0x1f, 0x8b])
                                && d.message.contains("read error")),
                        "{name}: cut {cut}: {}",
                        d.message
                    );
                    let gz = file.starts_with(&[0x1f, 0x8b]);
                    assert!(
                        gz || d.offset <= cut as u64,
                        "{name}: cut {cut}: offset {}",
                        d.offset
                    );
                    d.offset
                }
                None => cut as u64,
            };
            if file.starts_with(&[0x1f, 0x8b]) {
                // Decompressed offsets: only the prefix property holds.
                assert_eq!(
                    run.frames[..],
                    whole.frames[..run.frames.len()],
                    "{name}: cut {cut}"
                );
                continue;
            }
            let expected: Vec<&OwnedFrame> = whole
                .frames
                .iter()
                .filter(|f| f.file_offset < limit)
                .collect();
            let got: Vec<&OwnedFrame> = run.frames.iter().collect();
            assert_eq!(got, expected, "{name}: cut {cut}");
        }
    }

    #[test]
    fn truncation_at_every_byte_of_hand_made_files() {
        check_every_cut("tiny pcap", &tiny_pcap());
        check_every_cut("two sections", &two_sections());
        check_every_cut("tiny pcap gz", &gzip(&tiny_pcap()));
    }

    #[test]
    fn truncation_at_every_byte_of_small_corpus_files() {
        let Some(dir) = corpus_dir() else {
            println!("SKIP: capture corpus truncation test: corpus not found (tried ../shared/corpus and /work/shared/corpus)");
            return;
        };
        for name in [
            "arkime__dns-flags0110.pcap",
            "arkime__ipv6-gtp6.pcap",
            "nDPI__dns_invert_query.pcapng",
            "packets__dns_query_nonexistent.pcapng",
            "PacketQ__sample-bigendian.pcap.gz",
        ] {
            match std::fs::read(dir.join("public").join(name)) {
                Ok(bytes) => check_every_cut(name, &bytes),
                Err(e) => println!("SKIP: {name}: {e}"),
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        /// Random byte flips anywhere in a valid file: no panic, the reader
        /// ends, and frame numbers only go up.
        #[test]
        fn byte_flips_never_panic(
            which in 0usize..2,
            flips in proptest::collection::vec((proptest::prelude::any::<usize>(), proptest::prelude::any::<u8>()), 1..8),
        ) {
            let mut file = if which == 0 { tiny_pcap() } else { two_sections() };
            let n = file.len();
            for (at, x) in flips {
                file[at % n] ^= x | 1;
            }
            if let Ok(run) = read_bytes(&file) {
                let numbers: Vec<u64> = run.frames.iter().map(|f| f.number).collect();
                proptest::prop_assert!(numbers.windows(2).all(|w| w[0] < w[1]));
                proptest::prop_assert!(run.frames.len() <= n / 12 + 1);
                proptest::prop_assert!(run.diagnostics.iter().filter(|d| d.fatal).count() <= 1);
                for f in &run.frames {
                    proptest::prop_assert!(f.ts.nanos < 1_000_000_000);
                }
            }
        }

        /// Arbitrary bytes after each magic number.
        #[test]
        fn arbitrary_bodies_never_panic(
            magic in 0usize..5,
            body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600),
        ) {
            let mut file: Vec<u8> = match magic {
                0 => vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0],
                1 => vec![0xa1, 0xb2, 0x3c, 0x4d, 0, 2, 0, 4],
                2 => vec![0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a],
                3 => vec![0x0a, 0x0d, 0x0d, 0x0a, 0, 0, 0, 28, 0x1a, 0x2b, 0x3c, 0x4d],
                _ => vec![0x1f, 0x8b],
            };
            file.extend(body);
            if let Ok(run) = read_bytes(&file) {
                proptest::prop_assert!(run.frames.len() <= file.len() / 12 + 1);
            }
        }
    }

    // ---- corpus ------------------------------------------------------------

    fn corpus_dir() -> Option<PathBuf> {
        let local = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
        [local, PathBuf::from("/work/shared/corpus")]
            .into_iter()
            .find(|p| p.join("MANIFEST.tsv").is_file())
    }

    fn read_file(path: &Path) -> Result<(Run, FileFormat, bool), OpenError> {
        let file = std::fs::File::open(path)?;
        let mut reader = CaptureReader::new(io::BufReader::new(file))?;
        let (format, compressed) = (reader.format(), reader.compressed());
        Ok((drain(&mut reader), format, compressed))
    }

    /// "1382970487.688018000" -> (secs, nanos).
    fn parse_epoch(text: &str) -> Option<(i64, u32)> {
        let (s, frac) = text.split_once('.').unwrap_or((text, ""));
        let mut digits: String = frac.chars().take(9).collect();
        while digits.len() < 9 {
            digits.push('0');
        }
        Some((s.parse().ok()?, digits.parse().ok()?))
    }

    /// Every capture in the corpus: frame count = capinfos, and frame numbers
    /// and timestamps = tshark's for the rows it lists.
    #[test]
    fn corpus_matches_capinfos_and_tshark() {
        let Some(dir) = corpus_dir() else {
            println!("SKIP: capture corpus test: corpus not found (tried ../shared/corpus and /work/shared/corpus)");
            return;
        };
        let manifest = std::fs::read_to_string(dir.join("MANIFEST.tsv")).unwrap();
        let mut lines = manifest.lines();
        let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
        let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
        let (c_folder, c_file, c_packets) = (col("folder"), col("file"), col("packets_capinfos"));
        let (mut files, mut rows_checked, mut inexact) = (0, 0, 0);
        let mut failures = Vec::new();
        for line in lines.filter(|l| !l.trim().is_empty()) {
            let cells: Vec<&str> = line.split('\t').collect();
            let path = dir.join(cells[c_folder]).join(cells[c_file]);
            let expected: u64 = cells[c_packets].parse().unwrap();
            let (run, _, _) = match read_file(&path) {
                Ok(r) => r,
                Err(e) => {
                    failures.push(format!("{}: cannot open: {e}", cells[c_file]));
                    continue;
                }
            };
            files += 1;
            for d in &run.diagnostics {
                println!("{}: diagnostic: {d}", cells[c_file]);
            }
            if run.frames_read != expected || run.frames.len() as u64 != expected {
                failures.push(format!(
                    "{}: {} frames ({} numbers), capinfos says {expected}",
                    cells[c_file],
                    run.frames.len(),
                    run.frames_read
                ));
            }
            let by_number: HashMap<u64, &OwnedFrame> =
                run.frames.iter().map(|f| (f.number, f)).collect();
            let tsv = dir
                .join(cells[c_folder])
                .join(format!("{}.tshark.tsv", cells[c_file]));
            let Ok(tsv) = std::fs::read_to_string(&tsv) else {
                continue;
            };
            for row in tsv.lines().skip(1).filter(|l| !l.is_empty()) {
                let mut it = row.split('\t');
                let (Some(num), Some(epoch)) = (it.next(), it.next()) else {
                    continue;
                };
                let num: u64 = num.parse().unwrap();
                let Some(frame) = by_number.get(&num) else {
                    failures.push(format!("{}: tshark frame {num} missing", cells[c_file]));
                    continue;
                };
                let (secs, nanos) = parse_epoch(epoch).unwrap();
                let theirs = Timestamp::new(secs, nanos);
                rows_checked += 1;
                let diff = frame.ts.nanos_since(&theirs).abs();
                if diff != 0 {
                    inexact += 1;
                }
                if diff >= 1000 {
                    failures.push(format!(
                        "{}: frame {num}: ts {} vs tshark {epoch}",
                        cells[c_file],
                        frame.ts.to_rfc3339()
                    ));
                }
            }
        }
        println!("corpus: {files} files, {rows_checked} tshark rows checked, {inexact} not exact to the ns");
        assert!(files > 0);
        assert!(
            failures.is_empty(),
            "{} failures:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
}
