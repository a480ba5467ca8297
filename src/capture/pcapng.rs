//! pcapng: sections of blocks, each `type, length, body, length`.
//!
//! Framing is ours: we read the 8-byte block header in the section's byte
//! order, check the length (≥ 12, a multiple of 4, ≤ [`MAX_RECORD_LEN`]),
//! wait until the whole block is buffered, check that the trailing length
//! repeats the leading one, and only then hand the exact block to
//! pcap-parser's block parsers. That way nom's streaming `Incomplete` can
//! only mean "the block is malformed", never "read more", so no block can
//! make the reader spin, and no length field is ever allocated.
//!
//! - **SHB** (`0a 0d 0d 0a`): sets the byte order (from its byte-order
//!   magic) and resets the interface table. Major version must be 1.
//! - **IDB**: link type, snaplen, `if_tsresol` (bit 7 clear: 10^-n s, set:
//!   2^-n s; default 10^-6) and `if_tsoffset` (signed seconds added to every
//!   timestamp). We read both options ourselves: pcap-parser's
//!   `if_tsoffset` reads little-endian whatever the section's byte order.
//! - **EPB**: frame on interface `if_id`; an index with no IDB in this
//!   section is a non-fatal diagnostic and the frame is skipped (its number
//!   is still used).
//! - **SPB**: frame on interface 0; `caplen = min(origlen, room in the
//!   block, snaplen of interface 0)`. It has no timestamp: we give it the
//!   previous frame's (see [`super::Frame::ts`]).
//! - **Obsolete Packet Block** (type 2, Appendix A): parsed here, pcap-parser
//!   only knows it as an unknown block.
//! - **systemd Journal Export Block** (type 9): skipped, but it uses up a
//!   frame number, because Wireshark shows each one as a frame and our
//!   numbers must stay equal to `frame.number`.
//! - Everything else (NRB, ISB, DSB, custom, unknown) is skipped silently,
//!   without parsing its body. (Wireshark also makes frames of some custom
//!   blocks and of sysdig event blocks; we do not follow it there.)
//!
//! Any framing or parse error is fatal for the file: once a length is
//! wrong, nothing after it can be trusted.

use pcap_parser::nom;
use pcap_parser::pcapng::{
    parse_enhancedpacketblock_be, parse_enhancedpacketblock_le, parse_interfacedescriptionblock_be,
    parse_interfacedescriptionblock_le, parse_sectionheaderblock, parse_simplepacketblock_be,
    parse_simplepacketblock_le, PcapNGOption,
};
use pcap_parser::PcapError;

use super::pcap::{u16_at, u32_at};
use super::time::units_per_sec;
use super::{
    Diagnostic, Fill, FrameMeta, Input, LinkType, OpenError, Step, Timestamp, MAX_RECORD_LEN,
};

const SHB: u32 = 0x0a0d_0d0a;
const IDB: u32 = 0x0000_0001;
const PB: u32 = 0x0000_0002;
const SPB: u32 = 0x0000_0003;
const EPB: u32 = 0x0000_0006;
const SJE: u32 = 0x0000_0009;

/// The byte-order magic, as it appears in a little-endian file.
const BOM_LE: [u8; 4] = [0x4d, 0x3c, 0x2b, 0x1a];
const BOM_BE: [u8; 4] = [0x1a, 0x2b, 0x3c, 0x4d];

/// At most this many interfaces per section. Each IDB costs us a few dozen
/// bytes; the cap keeps a file made of IDBs from growing memory with size.
pub(crate) const MAX_INTERFACES: usize = 65_536;

/// Option codes in an IDB.
const OPT_IF_TSRESOL: u16 = 9;
const OPT_IF_TSOFFSET: u16 = 14;

/// Default resolution: 10^-6 s.
const DEFAULT_UNITS_PER_SEC: u64 = 1_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Interface {
    link: LinkType,
    snaplen: u32,
    units_per_sec: u64,
    offset_secs: i64,
}

#[derive(Debug)]
pub(crate) struct State {
    big_endian: bool,
    interfaces: Vec<Interface>,
    /// Timestamp of the last frame, given to SPBs.
    last_ts: Timestamp,
}

impl State {
    /// Checks the first SHB's byte-order magic; the block itself is read
    /// by the first `step` like any other SHB.
    pub(crate) fn open(input: &mut Input) -> Result<Self, OpenError> {
        let bad = |reason: String| OpenError::BadHeader {
            format: "pcapng",
            offset: 8,
            reason,
        };
        match input.fill(12) {
            Fill::Ready => {}
            Fill::Io(e) => return Err(OpenError::Io(e)),
            Fill::Eof { have } => {
                return Err(bad(format!(
                    "the section header block is cut off: the file has only {have} bytes"
                )))
            }
        }
        let big_endian = match input.available().get(8..12) {
            Some(b) if b == BOM_BE => true,
            Some(b) if b == BOM_LE => false,
            other => {
                return Err(bad(format!(
                    "unknown byte-order magic {:02x?} (expected 1a 2b 3c 4d in either order)",
                    other.unwrap_or_default()
                )))
            }
        };
        Ok(Self {
            big_endian,
            interfaces: Vec::new(),
            last_ts: Timestamp::default(),
        })
    }

    /// Reads one block.
    pub(crate) fn step(&mut self, input: &mut Input, frames: &mut u64) -> Step {
        let offset = input.offset();
        if let Some(step) = input.fill_or_step(8, *frames, offset) {
            return step;
        }
        let is_shb = input.available().starts_with(&SHB.to_be_bytes());
        let be = if is_shb {
            if let Some(step) = input.fill_or_step(12, *frames, offset) {
                return step;
            }
            match input.available().get(8..12) {
                Some(b) if b == BOM_BE => true,
                Some(b) if b == BOM_LE => false,
                _ => {
                    return Step::broken(
                        *frames,
                        offset,
                        "section header block with an unknown byte-order magic",
                    )
                }
            }
        } else {
            self.big_endian
        };
        let head = input.available();
        let btype = u32_at(head, 0, be);
        let len32 = u32_at(head, 4, be);
        let len = len32 as usize;
        if len < 12 || len % 4 != 0 {
            return Step::broken(
                *frames,
                offset,
                &format!(
                    "{} has length {len32}: a block length must be a multiple of 4 and at least 12",
                    BlockName(btype)
                ),
            );
        }
        if len > MAX_RECORD_LEN {
            return Step::broken(
                *frames,
                offset,
                &format!(
                    "{} claims {len32} bytes, more than the {} MiB limit: the file is corrupt",
                    BlockName(btype),
                    MAX_RECORD_LEN >> 20
                ),
            );
        }
        match input.fill(len) {
            Fill::Ready => {}
            Fill::Eof { have } => return Step::cut_off(*frames, offset, len, have),
            Fill::Io(e) => return Step::read_error(*frames, offset, &e),
        }
        let block = input.available().get(..len).unwrap_or_default();
        let trailer = u32_at(block, len - 4, be);
        if trailer != len32 {
            return Step::broken(
                *frames,
                offset,
                &format!(
                    "{} has length {len32} at its start but {trailer} at its end",
                    BlockName(btype)
                ),
            );
        }

        let step = match btype {
            SHB => self.section_header(block, be, *frames, offset),
            IDB => self.interface(block, be, *frames, offset),
            EPB => self.enhanced_packet(block, be, *frames + 1, offset),
            SPB => self.simple_packet(block, be, *frames + 1, offset),
            PB => self.obsolete_packet(block, be, *frames + 1, offset),
            SJE => {
                // Wireshark makes a frame of each journal entry; keep its
                // numbering, though the entry is no packet for us.
                *frames += 1;
                Step::Skip
            }
            _ => Step::Skip,
        };
        match &step {
            Step::Frame(meta) => {
                *frames = meta.number;
                self.last_ts = meta.ts;
            }
            // A packet record skipped with a diagnostic still has its number.
            Step::Diagnostic(Diagnostic {
                frame: Some(number),
                fatal: false,
                ..
            }) => {
                *frames = *number;
                input.consume(len);
            }
            // Everything but a frame is done with its block.
            _ => input.consume(len),
        }
        step
    }

    fn section_header(&mut self, block: &[u8], be: bool, frames: u64, offset: u64) -> Step {
        let shb = match parse_sectionheaderblock(block) {
            Ok((_, shb)) => shb,
            Err(e) => return malformed("section header block", &e, frames, offset),
        };
        if shb.major_version != 1 {
            return Step::broken(
                frames,
                offset,
                &format!(
                    "section header block has version {}.{}; only 1.x is defined",
                    shb.major_version, shb.minor_version
                ),
            );
        }
        self.big_endian = be;
        self.interfaces.clear();
        Step::Skip
    }

    fn interface(&mut self, block: &[u8], be: bool, frames: u64, offset: u64) -> Step {
        let parsed = if be {
            parse_interfacedescriptionblock_be(block)
        } else {
            parse_interfacedescriptionblock_le(block)
        };
        let idb = match parsed {
            Ok((_, idb)) => idb,
            Err(e) => return malformed("interface description block", &e, frames, offset),
        };
        if self.interfaces.len() >= MAX_INTERFACES {
            return Step::broken(
                frames,
                offset,
                &format!("more than {MAX_INTERFACES} interfaces in one section"),
            );
        }
        let index = self.interfaces.len();
        let (units, offset_secs, bad_resol) = options(&idb.options, be);
        let units_per_sec = units.unwrap_or(DEFAULT_UNITS_PER_SEC);
        self.interfaces.push(Interface {
            // The IDB field is 16 bits; pcap-parser widened it to i32.
            link: LinkType(u32::from(u16_at(block, 8, be))),
            snaplen: idb.snaplen,
            units_per_sec,
            offset_secs,
        });
        match bad_resol {
            Some(raw) => Step::Diagnostic(Diagnostic {
                frame: None,
                offset,
                message: format!(
                    "interface {index} (block at byte {offset}) has if_tsresol 0x{raw:02x}, finer \
                     than a 64-bit counter can hold; its timestamps are read as microseconds"
                ),
                fatal: false,
            }),
            None => Step::Skip,
        }
    }

    fn enhanced_packet(&mut self, block: &[u8], be: bool, number: u64, offset: u64) -> Step {
        // Check caplen against the block ourselves for a clear message.
        let caplen = u32_at(block, 20, be);
        if block.len() < 32 || u64::from(caplen) + 32 > block.len() as u64 {
            return Step::broken(
                number.saturating_sub(1),
                offset,
                &format!(
                    "enhanced packet block of frame {number} claims {caplen} captured bytes, \
                     but the block is only {} bytes long",
                    block.len()
                ),
            );
        }
        let fields = match Epb::in_place(block, caplen, be) {
            Some(fields) => fields,
            None => match Epb::parsed(block, be) {
                Ok(fields) => fields,
                Err(e) => {
                    return malformed(
                        "enhanced packet block",
                        &e,
                        number.saturating_sub(1),
                        offset,
                    )
                }
            },
        };
        let Some(iface) = self.interface_for(fields.if_id) else {
            return self.missing_interface("enhanced packet", fields.if_id, number, offset);
        };
        Step::Frame(FrameMeta {
            number,
            ts: Timestamp::from_units(fields.units, iface.units_per_sec, iface.offset_secs),
            link: iface.link,
            interface: fields.if_id,
            orig_len: fields.orig_len,
            file_offset: offset,
            data_start: 28,
            data_len: caplen as usize,
            record_len: block.len(),
        })
    }

    fn simple_packet(&mut self, block: &[u8], be: bool, number: u64, offset: u64) -> Step {
        let parsed = if be {
            parse_simplepacketblock_be(block)
        } else {
            parse_simplepacketblock_le(block)
        };
        let spb = match parsed {
            Ok((_, spb)) => spb,
            Err(e) => {
                return malformed("simple packet block", &e, number.saturating_sub(1), offset)
            }
        };
        let Some(iface) = self.interface_for(0) else {
            return self.missing_interface("simple packet", 0, number, offset);
        };
        let mut caplen = (spb.origlen as usize).min(block.len().saturating_sub(16));
        if iface.snaplen != 0 {
            caplen = caplen.min(iface.snaplen as usize);
        }
        Step::Frame(FrameMeta {
            number,
            ts: self.last_ts,
            link: iface.link,
            interface: 0,
            orig_len: spb.origlen,
            file_offset: offset,
            data_start: 12,
            data_len: caplen,
            record_len: block.len(),
        })
    }

    /// The obsolete Packet Block: type, length, if_id (u16), drops (u16),
    /// ts_high, ts_low, caplen, origlen, data, options, length.
    fn obsolete_packet(&mut self, block: &[u8], be: bool, number: u64, offset: u64) -> Step {
        let caplen = u32_at(block, 20, be);
        if block.len() < 32 || u64::from(caplen) + 32 > block.len() as u64 {
            return Step::broken(
                number.saturating_sub(1),
                offset,
                &format!(
                    "packet block of frame {number} claims {caplen} captured bytes, but the \
                     block is only {} bytes long",
                    block.len()
                ),
            );
        }
        let if_id = u32::from(u16_at(block, 8, be));
        let Some(iface) = self.interface_for(if_id) else {
            return self.missing_interface("packet", if_id, number, offset);
        };
        let units = (u64::from(u32_at(block, 12, be)) << 32) | u64::from(u32_at(block, 16, be));
        Step::Frame(FrameMeta {
            number,
            ts: Timestamp::from_units(units, iface.units_per_sec, iface.offset_secs),
            link: iface.link,
            interface: if_id,
            orig_len: u32_at(block, 24, be),
            file_offset: offset,
            data_start: 28,
            data_len: caplen as usize,
            record_len: block.len(),
        })
    }

    fn interface_for(&self, if_id: u32) -> Option<Interface> {
        self.interfaces.get(usize::try_from(if_id).ok()?).copied()
    }

    fn missing_interface(&self, kind: &str, if_id: u32, number: u64, offset: u64) -> Step {
        Step::Diagnostic(Diagnostic {
            frame: Some(number),
            offset,
            message: format!(
                "frame {number} (byte {offset}): {kind} block names interface {if_id}, but this \
                 section describes only {} interface(s); frame skipped",
                self.interfaces.len()
            ),
            fatal: false,
        })
    }
}

/// The fields of an enhanced packet block that a frame needs.
#[derive(Debug, PartialEq, Eq)]
struct Epb {
    if_id: u32,
    /// Timestamp in the interface's units.
    units: u64,
    orig_len: u32,
}

impl Epb {
    /// The fields read in place, when the block holds no options: then its
    /// fixed fields and padded data are all there is, and pcap-parser's parse
    /// (which builds an options list, ~290 instructions a block) would find
    /// the same. `None` when there are options. The caller has checked that
    /// the block is at least 32 bytes and that `caplen` bytes fit in it.
    fn in_place(block: &[u8], caplen: u32, be: bool) -> Option<Self> {
        let padded = (u64::from(caplen) + 3) & !3;
        if block.len() as u64 != 32 + padded {
            return None;
        }
        Some(Self {
            if_id: u32_at(block, 8, be),
            units: (u64::from(u32_at(block, 12, be)) << 32) | u64::from(u32_at(block, 16, be)),
            orig_len: u32_at(block, 24, be),
        })
    }

    /// The fields through pcap-parser, which also checks the options.
    fn parsed(block: &[u8], be: bool) -> Result<Self, nom::Err<PcapError<&[u8]>>> {
        let (_, epb) = if be {
            parse_enhancedpacketblock_be(block)?
        } else {
            parse_enhancedpacketblock_le(block)?
        };
        Ok(Self {
            if_id: epb.if_id,
            units: (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low),
            orig_len: epb.origlen,
        })
    }
}

/// `if_tsresol` (as units per second, `None` if absent or unusable),
/// `if_tsoffset` (0 if absent), and the raw `if_tsresol` if it was unusable.
/// The first occurrence of each option counts.
fn options(opts: &[PcapNGOption<'_>], be: bool) -> (Option<u64>, i64, Option<u8>) {
    let mut resol = None;
    let mut bad = None;
    let mut tsoffset = None;
    for opt in opts {
        let value = opt.value();
        match opt.code.0 {
            OPT_IF_TSRESOL if resol.is_none() && bad.is_none() && opt.len >= 1 => {
                if let Some(&raw) = value.first() {
                    match units_per_sec(raw) {
                        Some(u) => resol = Some(u),
                        None => bad = Some(raw),
                    }
                }
            }
            OPT_IF_TSOFFSET if tsoffset.is_none() && opt.len == 8 => {
                if let Some(bytes) = value.get(..8).and_then(|b| <[u8; 8]>::try_from(b).ok()) {
                    tsoffset = Some(if be {
                        i64::from_be_bytes(bytes)
                    } else {
                        i64::from_le_bytes(bytes)
                    });
                }
            }
            _ => {}
        }
    }
    (resol, tsoffset.unwrap_or(0), bad)
}

/// Displays a block type as words ("enhanced packet block"), without
/// allocating on the hot path: only error messages use it.
struct BlockName(u32);

impl std::fmt::Display for BlockName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            SHB => f.write_str("section header block"),
            IDB => f.write_str("interface description block"),
            PB => f.write_str("packet block"),
            SPB => f.write_str("simple packet block"),
            EPB => f.write_str("enhanced packet block"),
            other => write!(f, "block of type 0x{other:08x}"),
        }
    }
}

/// A pcap-parser error on a complete block: the block is malformed.
fn malformed(what: &str, e: &nom::Err<PcapError<&[u8]>>, frames: u64, offset: u64) -> Step {
    let detail = match e {
        nom::Err::Incomplete(_) => "its fields run past the end of the block".to_string(),
        nom::Err::Error(pe) | nom::Err::Failure(pe) => match pe {
            PcapError::NomError(_, kind) => format!("parse error ({kind:?})"),
            other => other.to_owned_vec().to_string(),
        },
    };
    Step::broken(frames, offset, &format!("malformed {what}: {detail}"))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::test_support::{block, read_bytes, u16b, u32b};
    use super::super::{CaptureReader, FileFormat, LinkType, OpenError, Timestamp};
    use super::Epb;

    /// An option: code, length, value padded to 4.
    fn opt(be: bool, code: u16, value: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend(u16b(be, code));
        out.extend(u16b(be, u16::try_from(value.len()).unwrap()));
        out.extend(value);
        out.resize(4 + value.len().div_ceil(4) * 4, 0);
        out
    }

    /// Section Header Block, version 1.0, section length -1 (unknown).
    fn shb(be: bool) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend(u32b(be, 0x1a2b_3c4d)); // byte-order magic
        body.extend(u16b(be, 1)); // major
        body.extend(u16b(be, 0)); // minor
        body.extend([0xff; 8]); // section length: -1
        block(be, 0x0a0d_0d0a, &body)
    }

    /// Interface Description Block with options (end-of-options added).
    fn idb(be: bool, link: u16, snaplen: u32, opts: &[Vec<u8>]) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend(u16b(be, link));
        body.extend(u16b(be, 0)); // reserved
        body.extend(u32b(be, snaplen));
        for o in opts {
            body.extend(o);
        }
        if !opts.is_empty() {
            body.extend([0, 0, 0, 0]); // opt_endofopt
        }
        block(be, 1, &body)
    }

    /// Enhanced Packet Block.
    fn epb(be: bool, if_id: u32, units: u64, data: &[u8], orig_len: u32) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend(u32b(be, if_id));
        body.extend(u32b(be, (units >> 32) as u32)); // ts high
        body.extend(u32b(be, units as u32)); // ts low
        body.extend(u32b(be, data.len() as u32)); // caplen
        body.extend(u32b(be, orig_len));
        body.extend(data);
        block(be, 6, &body)
    }

    /// An enhanced packet block with options after its data.
    fn epb_with_options(be: bool, data: &[u8], opts: &[Vec<u8>]) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend(u32b(be, 0));
        body.extend(u32b(be, 1));
        body.extend(u32b(be, 2));
        body.extend(u32b(be, data.len() as u32));
        body.extend(u32b(be, 1500));
        body.extend(data);
        body.resize(20 + data.len().div_ceil(4) * 4, 0);
        for o in opts {
            body.extend(o);
        }
        body.extend([0, 0, 0, 0]); // opt_endofopt
        block(be, 6, &body)
    }

    #[test]
    fn an_epb_without_options_is_read_in_place_as_pcap_parser_reads_it() {
        for be in [false, true] {
            for len in 0..=9usize {
                let data: Vec<u8> = (0..len as u8).map(|b| b ^ 0x5a).collect();
                let units = 0x0123_4567_89ab_cdef_u64.rotate_left(len as u32);
                let b = epb(be, 3, units, &data, 60 + len as u32);
                let caplen = u32::try_from(len).unwrap();
                let fast = Epb::in_place(&b, caplen, be).expect("no options: read in place");
                assert_eq!(
                    Some(&fast),
                    Epb::parsed(&b, be).ok().as_ref(),
                    "be={be} len={len}"
                );
                assert_eq!(
                    (fast.if_id, fast.units, fast.orig_len),
                    (3, units, 60 + caplen)
                );
            }
            // With options the block goes through pcap-parser, which reads them.
            let comment = opt(be, 1, b"lab 3");
            let b = epb_with_options(be, b"abcde", &[comment]);
            assert_eq!(Epb::in_place(&b, 5, be), None);
            let slow = Epb::parsed(&b, be).expect("well-formed options");
            assert_eq!(
                (slow.if_id, slow.units, slow.orig_len),
                (0, 1 << 32 | 2, 1500)
            );
            // pcap-parser ends its option list at an option running past the
            // block; the frame is still read.
            let mut bad = epb_with_options(be, b"abcde", &[opt(be, 1, b"lab 3")]);
            let at = 28 + 8 + 2; // header 28, data padded to 8, option code 2
            bad.splice(at..at + 2, u16b(be, 200));
            assert_eq!(Epb::in_place(&bad, 5, be), None);
            assert_eq!(Epb::parsed(&bad, be).ok(), Some(slow), "be={be}");
        }
    }

    /// Simple Packet Block.
    fn spb(be: bool, data: &[u8], orig_len: u32) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend(u32b(be, orig_len));
        body.extend(data);
        block(be, 3, &body)
    }

    /// Obsolete Packet Block (pcapng Appendix A).
    fn pb(be: bool, if_id: u16, units: u64, data: &[u8], orig_len: u32) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend(u16b(be, if_id));
        body.extend(u16b(be, 0)); // drops count
        body.extend(u32b(be, (units >> 32) as u32));
        body.extend(u32b(be, units as u32));
        body.extend(u32b(be, data.len() as u32));
        body.extend(u32b(be, orig_len));
        body.extend(data);
        block(be, 2, &body)
    }

    const NS_2026: u64 = 1_795_319_861_123_456_789; // 2026-11-22T03:57:41.123456789Z in ns

    /// Two sections:
    /// 1. little-endian; interface 0 Ethernet with if_tsresol 10^-9,
    ///    interface 1 raw IP with if_tsresol 2^-10 and if_tsoffset +100 s;
    ///    an EPB on each, and a Name Resolution Block to skip.
    /// 2. big-endian; interface 0 Linux SLL, default µs, if_tsoffset -10 s;
    ///    an EPB on it, an EPB on interface 1 (gone with the new section),
    ///    an SPB and an obsolete PB.
    pub(crate) fn two_sections() -> Vec<u8> {
        let mut f = Vec::new();
        f.extend(shb(false));
        f.extend(idb(false, 1, 0, &[opt(false, 9, &[9])]));
        f.extend(idb(
            false,
            101,
            65535,
            &[
                opt(false, 9, &[0x80 | 10]),
                opt(false, 14, &100i64.to_le_bytes()),
            ],
        ));
        f.extend(epb(false, 0, NS_2026, &[1, 2, 3], 3));
        f.extend(block(false, 4, &[0, 0, 0, 0])); // NRB with only nrb_record_end
        f.extend(epb(false, 1, 1536, &[0x45, 0], 40)); // 1.5 s + 100 s
        f.extend(shb(true));
        f.extend(idb(true, 113, 4, &[opt(true, 14, &(-10i64).to_be_bytes())]));
        f.extend(epb(true, 0, 5_000_000, &[7; 4], 4)); // 5 s - 10 s
        f.extend(epb(true, 1, 0, &[8], 1)); // interface 1 does not exist here
        f.extend(spb(true, &[9, 9, 9, 9, 9, 9, 9, 9], 6)); // snaplen 4 of interface 0
        f.extend(pb(true, 0, 20_000_000, &[5, 6], 4)); // 20 s - 10 s
        f
    }

    #[test]
    fn two_sections_two_interfaces() {
        let file = two_sections();
        let reader = CaptureReader::new(std::io::Cursor::new(file.clone())).unwrap();
        assert_eq!(reader.format(), FileFormat::Pcapng);
        let run = read_bytes(&file).unwrap();
        let numbers: Vec<u64> = run.frames.iter().map(|f| f.number).collect();
        assert_eq!(numbers, [1, 2, 3, 5, 6]);
        assert_eq!(run.frames_read, 6);
        assert_eq!(run.bytes_read, file.len() as u64);

        let f1 = &run.frames[0];
        assert_eq!((f1.link, f1.interface), (LinkType::ETHERNET, 0));
        assert_eq!(f1.ts.to_rfc3339(), "2026-11-22T03:57:41.123456789Z");
        assert_eq!((f1.data.as_slice(), f1.orig_len), (&[1u8, 2, 3][..], 3));
        assert_eq!(f1.file_offset, 28 + 32 + 44); // after the SHB and both IDBs

        let f2 = &run.frames[1];
        assert_eq!((f2.link, f2.interface), (LinkType::RAW, 1));
        assert_eq!(f2.ts, Timestamp::new(101, 500_000_000));
        assert_eq!(f2.data, [0x45, 0]);
        assert_eq!(f2.orig_len, 40);

        let f3 = &run.frames[2];
        assert_eq!((f3.link, f3.interface), (LinkType::LINUX_SLL, 0));
        assert_eq!(f3.ts, Timestamp::new(-5, 0));
        assert_eq!(f3.data, [7; 4]);

        // The EPB on the vanished interface 1: one non-fatal diagnostic.
        assert_eq!(run.diagnostics.len(), 1);
        let d = &run.diagnostics[0];
        assert!(!d.fatal);
        assert_eq!(d.frame, Some(4));
        assert!(d.message.contains("names interface 1"), "{}", d.message);
        assert!(d.message.contains("only 1 interface(s)"), "{}", d.message);
        assert_eq!(run.diagnostic_at, [3]);

        // SPB: interface 0, caplen = min(origlen 6, room 8, snaplen 4),
        // timestamp of the previous frame.
        let f5 = &run.frames[3];
        assert_eq!((f5.number, f5.interface, f5.orig_len), (5, 0, 6));
        assert_eq!(f5.data, [9; 4]);
        assert_eq!(f5.ts, f3.ts);

        // Obsolete PB.
        let f6 = &run.frames[4];
        assert_eq!(
            (f6.number, f6.link, f6.orig_len),
            (6, LinkType::LINUX_SLL, 4)
        );
        assert_eq!(f6.ts, Timestamp::new(10, 0));
        assert_eq!(f6.data, [5, 6]);
    }

    #[test]
    fn first_section_big_endian() {
        let mut f = shb(true);
        f.extend(idb(true, 1, 0, &[]));
        f.extend(epb(true, 0, 1_000_001, &[1], 1));
        let run = read_bytes(&f).unwrap();
        assert!(run.diagnostics.is_empty());
        assert_eq!(run.frames[0].ts, Timestamp::new(1, 1000));
    }

    #[test]
    fn epb_before_any_idb_is_skipped_with_a_diagnostic() {
        let mut f = shb(false);
        f.extend(epb(false, 0, 0, &[1], 1));
        f.extend(idb(false, 1, 0, &[]));
        f.extend(epb(false, 0, 0, &[2], 1));
        let run = read_bytes(&f).unwrap();
        assert_eq!(run.frames.len(), 1);
        assert_eq!(run.frames[0].number, 2);
        assert_eq!(run.diagnostics[0].frame, Some(1));
        assert!(run.diagnostics[0]
            .message
            .contains("describes only 0 interface(s)"));
    }

    #[test]
    fn unusable_tsresol_falls_back_to_microseconds() {
        let mut f = shb(false);
        f.extend(idb(false, 1, 0, &[opt(false, 9, &[0x7f])])); // 10^-127
        f.extend(epb(false, 0, 2_000_000, &[1], 1));
        let run = read_bytes(&f).unwrap();
        assert_eq!(run.frames[0].ts, Timestamp::new(2, 0));
        assert_eq!(run.diagnostics.len(), 1);
        assert!(!run.diagnostics[0].fatal);
        assert!(run.diagnostics[0].message.contains("if_tsresol 0x7f"));
    }

    #[test]
    fn huge_block_length_is_an_error_not_an_allocation() {
        let mut f = shb(false);
        f.extend(idb(false, 1, 0, &[]));
        let at = f.len() as u64;
        f.extend(u32b(false, 6));
        f.extend(u32b(false, 0xffff_fffc)); // ~4 GiB
        f.extend([0; 64]);
        let run = read_bytes(&f).unwrap();
        let d = run.fatal().unwrap();
        assert_eq!(d.offset, at);
        assert!(
            d.message
                .contains("claims 4294967292 bytes, more than the 16 MiB limit"),
            "{}",
            d.message
        );
    }

    #[test]
    fn bad_lengths_are_fatal() {
        let good = epb(false, 0, 0, &[1, 2, 3, 4], 4);
        let mut head = shb(false);
        head.extend(idb(false, 1, 0, &[]));
        // Trailing length differs.
        let mut f = head.clone();
        let mut b = good.clone();
        let n = b.len();
        b[n - 4] ^= 4;
        f.extend(&b);
        let d = read_bytes(&f).unwrap().fatal().cloned().unwrap();
        assert!(d.message.contains("at its start but"), "{}", d.message);
        // Not a multiple of 4.
        let mut f = head.clone();
        let mut b = good.clone();
        b[4] = 33;
        f.extend(&b);
        let d = read_bytes(&f).unwrap().fatal().cloned().unwrap();
        assert!(d.message.contains("length 33"), "{}", d.message);
        // Less than 12.
        let mut f = head.clone();
        f.extend([6, 0, 0, 0, 8, 0, 0, 0, 8, 0, 0, 0]);
        assert!(read_bytes(&f).unwrap().fatal().is_some());
        // caplen larger than the block.
        let mut f = head.clone();
        let mut b = good.clone();
        b[20] = 200;
        f.extend(&b);
        let d = read_bytes(&f).unwrap().fatal().cloned().unwrap();
        assert!(
            d.message.contains("claims 200 captured bytes"),
            "{}",
            d.message
        );
        assert_eq!(d.offset, head.len() as u64);
    }

    #[test]
    fn unknown_and_custom_blocks_are_skipped() {
        let mut f = shb(false);
        f.extend(idb(false, 1, 0, &[]));
        f.extend(block(false, 0x0000_0bad, &[0x1f, 0x2e, 0, 0, 1, 2])); // custom block
        f.extend(block(false, 5, &[0; 12])); // ISB
        f.extend(block(false, 0x1234_5678, &[])); // unknown
        f.extend(epb(false, 0, 0, &[1], 1));
        let run = read_bytes(&f).unwrap();
        assert!(run.diagnostics.is_empty());
        assert_eq!(run.frames.len(), 1);
        assert_eq!(run.frames[0].number, 1);
    }

    #[test]
    fn interface_table_is_capped() {
        let mut f = shb(false);
        let one = idb(false, 1, 0, &[]);
        for _ in 0..super::MAX_INTERFACES {
            f.extend(&one);
        }
        f.extend(epb(false, 65_535, 0, &[1], 1)); // the last interface works
        let at = f.len() as u64;
        f.extend(&one); // one too many
        let run = read_bytes(&f).unwrap();
        assert_eq!(run.frames.len(), 1);
        assert_eq!(run.frames[0].interface, 65_535);
        let d = run.fatal().unwrap();
        assert_eq!(d.offset, at);
        assert!(
            d.message.contains("more than 65536 interfaces"),
            "{}",
            d.message
        );
    }

    #[test]
    fn journal_entries_use_a_frame_number_like_wireshark() {
        let mut f = shb(false);
        f.extend(idb(false, 1, 0, &[]));
        f.extend(epb(false, 0, 0, &[1], 1));
        f.extend(block(false, 9, b"MESSAGE=hello\n")); // systemd Journal Export
        f.extend(epb(false, 0, 0, &[2], 1));
        let run = read_bytes(&f).unwrap();
        assert!(run.diagnostics.is_empty());
        let numbers: Vec<u64> = run.frames.iter().map(|f| f.number).collect();
        assert_eq!(numbers, [1, 3]);
    }

    #[test]
    fn section_header_problems() {
        // Bad byte-order magic in the first SHB: not openable.
        let mut f = shb(false);
        f[8] = 0;
        match CaptureReader::new(std::io::Cursor::new(f)) {
            Err(OpenError::BadHeader {
                format: "pcapng",
                offset: 8,
                ..
            }) => {}
            other => panic!("{other:?}"),
        }
        // Too short to hold the magic.
        assert!(matches!(
            CaptureReader::new(std::io::Cursor::new(vec![0x0a, 0x0d, 0x0d, 0x0a, 28, 0])),
            Err(OpenError::BadHeader { .. })
        ));
        // Version 2.0: fatal on the first event.
        let mut f = shb(false);
        f[12] = 2;
        let run = read_bytes(&f).unwrap();
        assert!(run.fatal().unwrap().message.contains("version 2.0"));
        // A second SHB with a bad magic after a frame.
        let mut f = shb(false);
        f.extend(idb(false, 1, 0, &[]));
        f.extend(epb(false, 0, 0, &[1], 1));
        let mut s2 = shb(true);
        s2[8] = 0x99;
        f.extend(s2);
        let run = read_bytes(&f).unwrap();
        assert_eq!(run.frames.len(), 1);
        assert!(run.fatal().unwrap().message.contains("byte-order magic"));
    }

    #[test]
    fn cut_off_message_names_the_block() {
        let f = two_sections();
        let run = read_bytes(&f[..f.len() - 3]).unwrap();
        assert_eq!(run.frames.len(), 4);
        let d = run.fatal().unwrap();
        let pb_len = 36;
        assert_eq!(d.offset as usize, f.len() - pb_len);
        assert_eq!(
            d.message,
            format!(
                "file cut off after frame 5 at byte {}: the last record is incomplete \
                 (needs {pb_len} bytes, {} left)",
                f.len() - pb_len,
                pb_len - 3
            )
        );
    }
}
