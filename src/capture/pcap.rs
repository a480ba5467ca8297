//! Classic libpcap files: a 24-byte file header, then records of a 16-byte
//! header (ts_sec, ts_frac, caplen, origlen) and `caplen` bytes.
//!
//! Handles both byte orders, microsecond and nanosecond magics, and the
//! rare "modified" pcap of Alexey Kuznetzov's patches (magic `a1 b2 cd 34`,
//! 24-byte record headers; the 8 extra bytes are skipped).
//!
//! The fixed-layout headers are read here with `from_{le,be}_bytes` rather
//! than with pcap-parser's `parse_pcap_frame*`: those use nom's streaming
//! `take(caplen)`, which cannot tell "wait for more data" from "this caplen
//! is absurd", and have no big-endian variant of the modified format. The
//! header fields are the same; the checks are ours:
//!
//! - `caplen` above [`MAX_RECORD_LEN`] is fatal (the file is corrupt; going
//!   on would mean reading garbage as records);
//! - `caplen` above the header's snaplen, or above `origlen`, is reported
//!   once per file (non-fatal; Wireshark accepts such files silently);
//! - a fraction of a second ≥ 1 s is carried into the seconds;
//! - `thiszone` and `sigfigs` are ignored, as libpcap and Wireshark do
//!   (writers put 0 there; timestamps are UTC).

use super::{
    Diagnostic, FileFormat, Fill, FrameMeta, Input, LinkType, OpenError, Step, Timestamp,
    MAX_RECORD_LEN,
};

/// The file header's length.
pub(crate) const FILE_HEADER_LEN: usize = 24;

/// Which magic number the file starts with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Magic {
    big_endian: bool,
    nanos: bool,
    modified: bool,
}

#[derive(Debug)]
pub(crate) struct State {
    magic: Magic,
    version: (u16, u16),
    snaplen: u32,
    link: LinkType,
    record_header_len: usize,
    /// Whether "caplen > snaplen" / "caplen > origlen" were reported yet.
    reported_over_snaplen: bool,
    reported_over_origlen: bool,
}

impl State {
    /// Recognises a pcap magic number at the start of `head`.
    pub(crate) fn sniff(head: &[u8]) -> Option<Magic> {
        let (big_endian, nanos, modified) = match head.get(..4)? {
            [0xd4, 0xc3, 0xb2, 0xa1] => (false, false, false),
            [0xa1, 0xb2, 0xc3, 0xd4] => (true, false, false),
            [0x4d, 0x3c, 0xb2, 0xa1] => (false, true, false),
            [0xa1, 0xb2, 0x3c, 0x4d] => (true, true, false),
            [0x34, 0xcd, 0xb2, 0xa1] => (false, false, true),
            [0xa1, 0xb2, 0xcd, 0x34] => (true, false, true),
            _ => return None,
        };
        Some(Magic {
            big_endian,
            nanos,
            modified,
        })
    }

    /// Reads and consumes the 24-byte file header.
    pub(crate) fn open(input: &mut Input, magic: Magic) -> Result<Self, OpenError> {
        match input.fill(FILE_HEADER_LEN) {
            Fill::Ready => {}
            Fill::Io(e) => return Err(OpenError::Io(e)),
            Fill::Eof { have } => {
                return Err(OpenError::BadHeader {
                    format: "pcap",
                    offset: 0,
                    reason: format!(
                        "the file header needs {FILE_HEADER_LEN} bytes, the file has only {have}"
                    ),
                })
            }
        }
        let h = input.available();
        let be = magic.big_endian;
        let major = u16_at(h, 4, be);
        let minor = u16_at(h, 6, be);
        let snaplen = u32_at(h, 16, be);
        // The top bits of the link type field carry FCS information
        // (libpcap's LT_LINKTYPE keeps the low 16 bits).
        let link = LinkType(u32_at(h, 20, be) & 0xffff);
        if major < 2 {
            return Err(OpenError::BadHeader {
                format: "pcap",
                offset: 4,
                reason: format!("version {major}.{minor} is not supported (2.x expected)"),
            });
        }
        input.consume(FILE_HEADER_LEN);
        Ok(Self {
            magic,
            version: (major, minor),
            snaplen,
            link,
            record_header_len: if magic.modified { 24 } else { 16 },
            reported_over_snaplen: false,
            reported_over_origlen: false,
        })
    }

    pub(crate) fn format(&self) -> FileFormat {
        FileFormat::Pcap {
            big_endian: self.magic.big_endian,
            nanos: self.magic.nanos,
            version: self.version,
            snaplen: self.snaplen,
        }
    }

    /// Reads one record.
    pub(crate) fn step(&mut self, input: &mut Input, frames: &mut u64) -> Step {
        let offset = input.offset();
        let hlen = self.record_header_len;
        if let Some(step) = input.fill_or_step(hlen, *frames, offset) {
            return step;
        }
        let h = input.available();
        let be = self.magic.big_endian;
        let ts_sec = u32_at(h, 0, be);
        let ts_frac = u32_at(h, 4, be);
        let caplen = u32_at(h, 8, be);
        let orig_len = u32_at(h, 12, be);
        let number = *frames + 1;

        let data_len = caplen as usize;
        let Some(record_len) = data_len.checked_add(hlen).filter(|&n| n <= MAX_RECORD_LEN) else {
            return Step::broken(
                *frames,
                offset,
                &format!(
                    "record of frame {number} claims {caplen} captured bytes, more than the \
                     {} MiB limit: the file is corrupt",
                    MAX_RECORD_LEN >> 20
                ),
            );
        };
        match input.fill(record_len) {
            Fill::Ready => {}
            Fill::Eof { have } => return Step::cut_off(*frames, offset, record_len, have),
            Fill::Io(e) => return Step::read_error(*frames, offset, &e),
        }
        *frames = number;

        let ts = if self.magic.nanos {
            // `new` carries a fraction >= 1 s into the seconds.
            Timestamp::new(i64::from(ts_sec), ts_frac)
        } else {
            // µs * 1000 could overflow u32: carry whole seconds first.
            Timestamp::new(
                i64::from(ts_sec) + i64::from(ts_frac / 1_000_000),
                (ts_frac % 1_000_000) * 1000,
            )
        };
        let meta = FrameMeta {
            number,
            ts,
            link: self.link,
            interface: 0,
            orig_len,
            file_offset: offset,
            data_start: hlen,
            data_len,
            record_len,
        };

        let diag = if self.snaplen != 0 && caplen > self.snaplen && !self.reported_over_snaplen {
            self.reported_over_snaplen = true;
            Some(format!(
                "frame {number} (byte {offset}) has {caplen} captured bytes, more than the \
                 file's snaplen of {}; the frame is kept (further frames like it are not reported)",
                self.snaplen
            ))
        } else if caplen > orig_len && !self.reported_over_origlen {
            self.reported_over_origlen = true;
            Some(format!(
                "frame {number} (byte {offset}) has {caplen} captured bytes but claims only \
                 {orig_len} on the wire; the frame is kept (further frames like it are not reported)"
            ))
        } else {
            None
        };
        match diag {
            Some(message) => Step::DiagnosticThenFrame(
                Diagnostic {
                    frame: Some(number),
                    offset,
                    message,
                    fatal: false,
                },
                meta,
            ),
            None => Step::Frame(meta),
        }
    }
}

/// Reads a u32 at `at`; the callers have made sure the bytes are there, and
/// a short slice reads as 0 rather than panicking.
pub(crate) fn u32_at(b: &[u8], at: usize, big_endian: bool) -> u32 {
    let mut a = [0u8; 4];
    if let Some(s) = b.get(at..at + 4) {
        a.copy_from_slice(s);
    }
    if big_endian {
        u32::from_be_bytes(a)
    } else {
        u32::from_le_bytes(a)
    }
}

pub(crate) fn u16_at(b: &[u8], at: usize, big_endian: bool) -> u16 {
    let mut a = [0u8; 2];
    if let Some(s) = b.get(at..at + 2) {
        a.copy_from_slice(s);
    }
    if big_endian {
        u16::from_be_bytes(a)
    } else {
        u16::from_le_bytes(a)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::read_bytes;
    use super::super::{CaptureReader, FileFormat, LinkType, OpenError, Timestamp};

    /// Little-endian, microseconds, Ethernet, two records.
    const LE_US: &[u8] = &[
        0xd4, 0xc3, 0xb2, 0xa1, // magic: LE, µs
        0x02, 0x00, 0x04, 0x00, // version 2.4
        0x00, 0x00, 0x00, 0x00, // thiszone
        0x00, 0x00, 0x00, 0x00, // sigfigs
        0xff, 0xff, 0x00, 0x00, // snaplen 65535
        0x01, 0x00, 0x00, 0x00, // linktype 1 (Ethernet)
        // record 1 at byte 24
        0x77, 0x74, 0x6e, 0x52, // ts_sec 1382970487
        0x92, 0x7f, 0x0a, 0x00, // ts_usec 688018
        0x04, 0x00, 0x00, 0x00, // caplen 4
        0x3c, 0x00, 0x00, 0x00, // origlen 60: snaplen-cut
        0xde, 0xad, 0xbe, 0xef, // data
        // record 2 at byte 44
        0x78, 0x74, 0x6e, 0x52, // ts_sec 1382970488
        0x00, 0x00, 0x00, 0x00, // ts_usec 0
        0x02, 0x00, 0x00, 0x00, // caplen 2
        0x02, 0x00, 0x00, 0x00, // origlen 2
        0xca, 0xfe, // data
    ];

    /// Big-endian, microseconds, raw IP (101), snaplen 1500, one record.
    const BE_US: &[u8] = &[
        0xa1, 0xb2, 0xc3, 0xd4, // magic: BE, µs
        0x00, 0x02, 0x00, 0x04, // version 2.4
        0x00, 0x00, 0x00, 0x00, // thiszone
        0x00, 0x00, 0x00, 0x00, // sigfigs
        0x00, 0x00, 0x05, 0xdc, // snaplen 1500
        0x00, 0x00, 0x00, 0x65, // linktype 101 (RAW)
        // record 1 at byte 24
        0x6b, 0x02, 0x68, 0x35, // ts_sec 1795319861
        0x00, 0x01, 0xe2, 0x40, // ts_usec 123456
        0x00, 0x00, 0x00, 0x01, // caplen 1
        0x00, 0x00, 0x00, 0x01, // origlen 1
        0x45, // data
    ];

    /// Little-endian, nanoseconds, NULL (0), one record.
    const LE_NS: &[u8] = &[
        0x4d, 0x3c, 0xb2, 0xa1, // magic: LE, ns
        0x02, 0x00, 0x04, 0x00, // version 2.4
        0x00, 0x00, 0x00, 0x00, // thiszone
        0x00, 0x00, 0x00, 0x00, // sigfigs
        0x00, 0x00, 0x04, 0x00, // snaplen 262144
        0x00, 0x00, 0x00, 0x00, // linktype 0 (NULL)
        // record 1 at byte 24
        0x35, 0x68, 0x02, 0x6b, // ts_sec 1795319861
        0x15, 0xcd, 0x5b, 0x07, // ts_nsec 123456789
        0x00, 0x00, 0x00, 0x00, // caplen 0
        0x00, 0x00, 0x00, 0x00, // origlen 0
    ];

    #[test]
    fn little_endian_microseconds() {
        let reader = CaptureReader::new(std::io::Cursor::new(LE_US.to_vec())).unwrap();
        assert_eq!(
            reader.format(),
            FileFormat::Pcap {
                big_endian: false,
                nanos: false,
                version: (2, 4),
                snaplen: 65535
            }
        );
        assert!(!reader.compressed());
        let run = read_bytes(LE_US).unwrap();
        assert!(run.diagnostics.is_empty(), "{:?}", run.diagnostics);
        assert_eq!(run.frames.len(), 2);
        let f = &run.frames[0];
        assert_eq!((f.number, f.file_offset, f.interface), (1, 24, 0));
        assert_eq!(f.link, LinkType::ETHERNET);
        assert_eq!(f.ts, Timestamp::new(1_382_970_487, 688_018_000));
        assert_eq!(f.data, [0xde, 0xad, 0xbe, 0xef]);
        assert_eq!(f.orig_len, 60);
        let g = &run.frames[1];
        assert_eq!((g.number, g.file_offset, g.orig_len), (2, 44, 2));
        assert_eq!(g.ts, Timestamp::new(1_382_970_488, 0));
        assert_eq!(g.data, [0xca, 0xfe]);
        assert_eq!(run.frames_read, 2);
        assert_eq!(run.bytes_read, LE_US.len() as u64);
    }

    #[test]
    fn is_cut_follows_caplen_and_origlen() {
        let mut reader = CaptureReader::new(std::io::Cursor::new(LE_US.to_vec())).unwrap();
        match reader.next_event() {
            Some(super::super::Event::Frame(f)) => assert!(f.is_cut()),
            other => panic!("{other:?}"),
        }
        match reader.next_event() {
            Some(super::super::Event::Frame(f)) => assert!(!f.is_cut()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn big_endian_microseconds() {
        let reader = CaptureReader::new(std::io::Cursor::new(BE_US.to_vec())).unwrap();
        assert_eq!(
            reader.format(),
            FileFormat::Pcap {
                big_endian: true,
                nanos: false,
                version: (2, 4),
                snaplen: 1500
            }
        );
        let run = read_bytes(BE_US).unwrap();
        assert!(run.diagnostics.is_empty());
        assert_eq!(run.frames.len(), 1);
        assert_eq!(run.frames[0].link, LinkType::RAW);
        assert_eq!(run.frames[0].ts.to_string(), "2026-11-22T03:57:41.123456Z");
        assert_eq!(run.frames[0].data, [0x45]);
    }

    #[test]
    fn little_endian_nanoseconds_and_empty_frame() {
        let reader = CaptureReader::new(std::io::Cursor::new(LE_NS.to_vec())).unwrap();
        assert!(matches!(
            reader.format(),
            FileFormat::Pcap {
                nanos: true,
                big_endian: false,
                ..
            }
        ));
        let run = read_bytes(LE_NS).unwrap();
        assert_eq!(run.frames.len(), 1);
        assert_eq!(run.frames[0].link, LinkType::NULL);
        assert_eq!(
            run.frames[0].ts.to_rfc3339(),
            "2026-11-22T03:57:41.123456789Z"
        );
        assert!(run.frames[0].data.is_empty());
    }

    #[test]
    fn big_endian_nanoseconds_magic() {
        let mut file = BE_US.to_vec();
        file[..4].copy_from_slice(&[0xa1, 0xb2, 0x3c, 0x4d]);
        let run = read_bytes(&file).unwrap();
        // ts_frac 123456 read as nanoseconds now.
        assert_eq!(run.frames[0].ts, Timestamp::new(1_795_319_861, 123_456));
    }

    #[test]
    fn microsecond_fraction_of_a_second_or_more_is_carried() {
        let mut file = LE_NS.to_vec();
        file[..4].copy_from_slice(&[0xd4, 0xc3, 0xb2, 0xa1]); // µs magic
        file[28..32].copy_from_slice(&2_500_000u32.to_le_bytes()); // 2.5 s of µs
        let run = read_bytes(&file).unwrap();
        assert_eq!(run.frames[0].ts, Timestamp::new(1_795_319_863, 500_000_000));
        file[28..32].copy_from_slice(&u32::MAX.to_le_bytes());
        let run = read_bytes(&file).unwrap();
        assert_eq!(
            run.frames[0].ts,
            Timestamp::new(1_795_319_861 + 4294, 967_295_000)
        );
    }

    #[test]
    fn modified_pcap_has_24_byte_records() {
        let mut file = LE_NS[..24].to_vec();
        file[..4].copy_from_slice(&[0x34, 0xcd, 0xb2, 0xa1]);
        file.extend([1, 0, 0, 0, 2, 0, 0, 0]); // ts 1 s, 2 µs
        file.extend([1, 0, 0, 0, 1, 0, 0, 0]); // caplen 1, origlen 1
        file.extend([9, 0, 0, 0, 0, 8, 4, 0]); // ifindex, protocol, pkt_type, pad
        file.push(0x77);
        let run = read_bytes(&file).unwrap();
        assert!(run.diagnostics.is_empty(), "{:?}", run.diagnostics);
        assert_eq!(run.frames.len(), 1);
        assert_eq!(run.frames[0].data, [0x77]);
        assert_eq!(run.frames[0].ts, Timestamp::new(1, 2000));
    }

    #[test]
    fn caplen_over_snaplen_is_reported_once_and_frames_kept() {
        let mut file = BE_US.to_vec();
        file[16..20].copy_from_slice(&[0, 0, 0, 0]); // snaplen 0: no check
        assert!(read_bytes(&file).unwrap().diagnostics.is_empty());
        let mut file = LE_US.to_vec();
        file[16..20].copy_from_slice(&3u32.to_le_bytes()); // snaplen 3 < caplen 4
        let run = read_bytes(&file).unwrap();
        assert_eq!(run.frames.len(), 2);
        assert_eq!(run.diagnostics.len(), 1);
        let d = &run.diagnostics[0];
        assert!(!d.fatal);
        assert_eq!((d.frame, d.offset), (Some(1), 24));
        assert!(d.message.contains("snaplen of 3"), "{}", d.message);
        // The diagnostic comes before frame 1.
        assert_eq!(run.diagnostic_at, [0]);
    }

    #[test]
    fn caplen_over_origlen_is_reported() {
        let mut file = LE_US.to_vec();
        file[36..40].copy_from_slice(&1u32.to_le_bytes()); // origlen 1 < caplen 4
        let run = read_bytes(&file).unwrap();
        assert_eq!(run.frames.len(), 2);
        assert_eq!(run.diagnostics.len(), 1);
        assert!(run.diagnostics[0].message.contains("only 1 on the wire"));
    }

    #[test]
    fn absurd_caplen_is_fatal_without_allocating() {
        let mut file = LE_US.to_vec();
        file[52..56].copy_from_slice(&0xffff_fff0u32.to_le_bytes()); // record 2 caplen
        let run = read_bytes(&file).unwrap();
        assert_eq!(run.frames.len(), 1);
        let d = run.fatal().unwrap();
        assert_eq!((d.offset, d.frame), (44, None));
        assert!(
            d.message.contains("claims 4294967280 captured bytes"),
            "{}",
            d.message
        );
        assert!(d.message.contains("after frame 1"), "{}", d.message);
    }

    #[test]
    fn file_cut_inside_a_record() {
        let run = read_bytes(&LE_US[..LE_US.len() - 1]).unwrap();
        assert_eq!(run.frames.len(), 1);
        let d = run.fatal().unwrap();
        assert_eq!(
            d.message,
            "file cut off after frame 1 at byte 44: the last record is incomplete \
             (needs 18 bytes, 17 left)"
        );
        let run = read_bytes(&LE_US[..30]).unwrap();
        assert!(run.frames.is_empty());
        assert!(run
            .fatal()
            .unwrap()
            .message
            .contains("needs 16 bytes, 6 left"));
    }

    #[test]
    fn header_problems_are_open_errors() {
        match CaptureReader::new(std::io::Cursor::new(LE_US[..23].to_vec())) {
            Err(OpenError::BadHeader { format: "pcap", .. }) => {}
            other => panic!("{other:?}"),
        }
        let mut file = LE_US.to_vec();
        file[4] = 1; // version 1.4
        let err = CaptureReader::new(std::io::Cursor::new(file)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "broken pcap file header at byte 4: version 1.4 is not supported (2.x expected)"
        );
    }

    #[test]
    fn linktype_fcs_bits_are_masked() {
        let mut file = LE_US.to_vec();
        file[20..24].copy_from_slice(&0x1400_0001u32.to_le_bytes()); // FCS len 4 flags + Ethernet
        assert_eq!(
            read_bytes(&file).unwrap().frames[0].link,
            LinkType::ETHERNET
        );
    }
}
