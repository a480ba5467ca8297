//! Lint: things in a DNS message that are legal (or at least parse) but suspicious, each
//! with the bytes it is about and a sentence a student can act on.
//!
//! [`lint`] is a pure function over a parsed [`Message`]: it walks the message once more,
//! allocates only the returned list (nothing when the message is clean), and never fails.
//! Errors the parser reports (a name past the end, a forward pointer, ...) are not repeated
//! here, except where the lint can say something the error cannot: a header count that
//! promises more than the message holds is pointed at in the header, and a question whose
//! name lacks its root label is recognised by the shifted QTYPE/QCLASS it leaves behind.
//!
//! Codes ([`Finding::code`]) are stable strings, documented in `docs/explain.md`:
//!
//! | code | what |
//! |---|---|
//! | `z-bit` | the reserved Z flag (0x0040) is set |
//! | `response-bits-in-query` | a query with AA, TC, RA or a non-zero RCODE |
//! | `qdcount` | a standard query without exactly one question (RFC 9619) |
//! | `count-too-high` | a header count promises more entries than the message holds |
//! | `count-too-low` | whole records follow the sections the counts announce |
//! | `trailing-bytes` | bytes after the last section |
//! | `ttl-high-bit` | a TTL with its top bit set (RFC 2181 §8) |
//! | `qtype-byte-swapped` / `qclass-byte-swapped` | a value that only makes sense little-endian |
//! | `name-case` | upper-case letters in a name (info) |
//! | `name-without-root` | a question name that lacks its final 00 byte |
//! | `pointer-in-query` | a compression pointer in a standard query |
//! | `pointer-into-header` | a compression pointer to an offset inside the 12-byte header |
//! | `edns-z` | reserved EDNS flag bits set in the OPT TTL (RFC 6891 §6.1.4) |

use core::fmt;

use crate::dns::header::flag;
use crate::dns::{
    Class, Entries, Entry, Error, ErrorKind, Message, Name, Opcode, Opt, Rcode, Record, Rtype,
    Section, HEADER_LEN,
};

/// How much a finding matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Worth knowing; nothing is wrong.
    Info,
    /// Suspicious: probably a bug in whoever built the message.
    Warning,
}

impl Severity {
    /// `info` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
        }
    }
}

/// What a finding is about; see the module docs for the codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Lint {
    /// The reserved Z bit is set.
    ZBit,
    /// A query (QR=0) with response-only bits: `flags` holds AA/TC/RA as set.
    ResponseBitsInQuery { flags: u16, rcode: Rcode },
    /// A standard query (or its response) whose QDCOUNT is not 1 (0 is fine in a response).
    QdCount { count: u16, response: bool },
    /// The header claims `count` entries in `section` but only `parsed` fit.
    CountTooHigh {
        section: Section,
        count: u16,
        parsed: u16,
    },
    /// `records` whole resource records follow the last announced section.
    CountTooLow { records: u16 },
    /// Bytes after the last section that are not whole records.
    TrailingBytes,
    /// A TTL of 2^31 or more.
    TtlHighBit { ttl: u32 },
    /// QTYPE whose byte-swapped value is a well-known type.
    QtypeSwapped { value: Rtype, swapped: Rtype },
    /// QCLASS whose byte-swapped value is a well-known class.
    QclassSwapped { value: Class, swapped: Class },
    /// A name with upper-case letters (in the labels at this place in the message).
    NameCase,
    /// The 00 byte that ended a question's name looks like the first byte of QTYPE.
    NameWithoutRoot { qtype: Rtype, qclass: Class },
    /// A compression pointer in a standard query.
    PointerInQuery { target: u16 },
    /// A compression pointer into the header.
    PointerIntoHeader { target: u16 },
    /// Reserved EDNS flag bits (the OPT TTL's low 15 bits).
    EdnsZ { z: u16 },
}

/// One finding: the bytes it is about (`offset`, `len` in the DNS message) and what it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Finding {
    pub offset: usize,
    pub len: usize,
    pub lint: Lint,
}

impl Finding {
    /// The stable code, e.g. `z-bit`.
    pub fn code(&self) -> &'static str {
        match self.lint {
            Lint::ZBit => "z-bit",
            Lint::ResponseBitsInQuery { .. } => "response-bits-in-query",
            Lint::QdCount { .. } => "qdcount",
            Lint::CountTooHigh { .. } => "count-too-high",
            Lint::CountTooLow { .. } => "count-too-low",
            Lint::TrailingBytes => "trailing-bytes",
            Lint::TtlHighBit { .. } => "ttl-high-bit",
            Lint::QtypeSwapped { .. } => "qtype-byte-swapped",
            Lint::QclassSwapped { .. } => "qclass-byte-swapped",
            Lint::NameCase => "name-case",
            Lint::NameWithoutRoot { .. } => "name-without-root",
            Lint::PointerInQuery { .. } => "pointer-in-query",
            Lint::PointerIntoHeader { .. } => "pointer-into-header",
            Lint::EdnsZ { .. } => "edns-z",
        }
    }

    /// How much it matters.
    pub fn severity(&self) -> Severity {
        match self.lint {
            Lint::NameCase => Severity::Info,
            _ => Severity::Warning,
        }
    }
}

fn count_field(section: Section) -> (&'static str, &'static str, usize) {
    match section {
        Section::Question => ("QDCOUNT", "question", 4),
        Section::Answer => ("ANCOUNT", "answer record", 6),
        Section::Authority => ("NSCOUNT", "authority record", 8),
        Section::Additional => ("ARCOUNT", "additional record", 10),
    }
}

fn s(n: impl Into<u64>) -> &'static str {
    if n.into() == 1 {
        ""
    } else {
        "s"
    }
}

impl fmt::Display for Finding {
    /// One or two sentences: what is odd, why it matters, what to do.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.lint {
            Lint::ZBit => f.write_str(
                "the Z bit (0x0040 of the flags) is set; it is reserved and must be 0 \
                 (RFC 1035 section 4.1.1). Some servers answer FORMERR or drop the message: \
                 clear it.",
            ),
            Lint::ResponseBitsInQuery { flags, rcode } => {
                f.write_str("this query sets bits only a response uses:")?;
                for (bit, name) in [(flag::AA, "AA"), (flag::TC, "TC"), (flag::RA, "RA")] {
                    if flags & bit != 0 {
                        write!(f, " {name}")?;
                    }
                }
                if rcode.0 != 0 {
                    write!(f, " RCODE={rcode}")?;
                }
                f.write_str(
                    ". A client sends them as 0; a usual query's flags word is 0x0100 (RD only).",
                )
            }
            Lint::QdCount { count, response } => {
                if response {
                    write!(
                        f,
                        "QDCOUNT is {count}: a response to a standard query repeats its one \
                         question (RFC 9619), never more."
                    )
                } else {
                    write!(
                        f,
                        "QDCOUNT is {count}: a standard query asks exactly one question \
                         (RFC 9619); servers answer FORMERR or look at the first only. Send \
                         one question per query."
                    )
                }
            }
            Lint::CountTooHigh {
                section,
                count,
                parsed,
            } => {
                let (field, noun, _) = count_field(section);
                write!(
                    f,
                    "{field} says {count} {noun}{} but only {parsed} fit{} in the message: the \
                     count is too high, or the message was cut short.",
                    s(count),
                    if parsed == 1 { "s" } else { "" }
                )
            }
            Lint::CountTooLow { records } => write!(
                f,
                "{records} more whole record{} follow{} the sections the header counts \
                 announce: a count (ANCOUNT, NSCOUNT or ARCOUNT) is too low, so receivers \
                 ignore {}.",
                s(records),
                if records == 1 { "s" } else { "" },
                if records == 1 { "it" } else { "them" }
            ),
            Lint::TrailingBytes => write!(
                f,
                "{} byte{} after the last section the header counts announce; receivers \
                 ignore them. Check the counts, and the length of what was sent.",
                self.len,
                s(self.len as u64)
            ),
            Lint::TtlHighBit { ttl } => write!(
                f,
                "TTL {ttl:#010x} has its top bit set: RFC 2181 section 8 says to read it as 0 \
                 (do not cache). A negative or little-endian number was probably written."
            ),
            Lint::QtypeSwapped { value, swapped } => write!(
                f,
                "QTYPE is {:#06x} = {} ({value}), but byte-swapped it is {} ({swapped}): the \
                 client probably wrote it little-endian. Write 16-bit fields in network byte \
                 order (big-endian: htons, struct.pack('!H'), to_be_bytes).",
                value.0, value.0, swapped.0
            ),
            Lint::QclassSwapped { value, swapped } => write!(
                f,
                "QCLASS is {:#06x} = {} ({value}), but byte-swapped it is {} ({swapped}): the \
                 client probably wrote it little-endian. Write 16-bit fields in network byte \
                 order (big-endian: htons, struct.pack('!H'), to_be_bytes).",
                value.0, value.0, swapped.0
            ),
            Lint::NameCase => f.write_str(
                "upper-case letters in a name. Names compare case-insensitively (RFC 4343), \
                 so this still matches, and a response repeats the case it was asked in; some \
                 resolvers mix case on purpose (DNS 0x20).",
            ),
            Lint::NameWithoutRoot { qtype, qclass } => write!(
                f,
                "this 00 byte ended the name, but it looks like the first byte of QTYPE: read \
                 one byte earlier, QTYPE and QCLASS would be {qtype} {qclass}. The name has no \
                 root label, so every field after it is one byte off. End each name with a \
                 00 byte."
            ),
            Lint::PointerInQuery { target } => write!(
                f,
                "compression pointer (to {target:#06x}) in a query: legal, but a query has \
                 almost nothing to point back to, and some servers reject compressed queries. \
                 Write the name out in full."
            ),
            Lint::PointerIntoHeader { target } => write!(
                f,
                "compression pointer to {target:#06x}, inside the 12-byte header: no name \
                 lives there, so header bytes are read as labels. A pointer holds the offset \
                 of a name's first length byte (the question's name is at 0x000c)."
            ),
            Lint::EdnsZ { z } => write!(
                f,
                "reserved EDNS flag bits {z:#06x} are set in the OPT record's TTL; they must \
                 be 0 (RFC 6891 section 6.1.4). Only DO (0x8000) is defined."
            ),
        }
    }
}

/// Big-endian value of two bytes at `at`, if both are there.
fn be16(bytes: &[u8], at: usize) -> Option<u16> {
    match bytes.get(at..at.checked_add(2)?)? {
        [a, b] => Some(u16::from_be_bytes([*a, *b])),
        _ => None,
    }
}

/// `Some(swapped)` when `v` is `0xNN00`, `NN` != 0, and `0x00NN` has a mnemonic: a value that
/// only makes sense byte-swapped (QTYPE 0x0100 is URI, but a student meant A).
fn swapped<T: Copy>(v: u16, make: fn(u16) -> T, known: fn(T) -> bool) -> Option<T> {
    let (hi, lo) = (v >> 8, v & 0xff);
    (lo == 0 && hi != 0 && known(make(hi))).then(|| make(hi))
}

/// Which rules apply: multicast DNS (RFC 6762) asks several questions per query, compresses
/// names in queries, sets TC in queries with many known answers, and mixes case freely.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Dialect {
    /// Unicast DNS (port 53, LLMNR, anything else): every rule.
    #[default]
    Unicast,
    /// mDNS (port 5353): without `qdcount`, `pointer-in-query`, `response-bits-in-query` and
    /// `name-case`.
    Multicast,
}

/// Everything suspicious in a unicast DNS message, in order of offset (ties keep the order
/// of the walk). Same as `lint_with(msg, Dialect::Unicast)`.
pub fn lint(msg: &Message<'_>) -> Vec<Finding> {
    lint_with(msg, Dialect::Unicast)
}

/// Everything suspicious in `msg` under the rules of `dialect`, in order of offset.
pub fn lint_with(msg: &Message<'_>, dialect: Dialect) -> Vec<Finding> {
    let mut linter = Linter::new(msg, dialect);
    let mut entries = msg.entries();
    while let Some(entry) = entries.next() {
        match entry {
            Ok(e) => linter.entry(&e),
            Err(e) => linter.error(&e, &entries),
        }
    }
    linter.finish(&entries)
}

/// [`lint_with`] for a caller that walks the message anyway (the JSON writer):
/// it hands over each item of its walk, [`Message::entries`] from the start,
/// and the walk itself at the end, and gets the same findings without a second
/// walk.
pub struct Linter<'a> {
    out: Vec<Finding>,
    bytes: &'a [u8],
    standard_query: bool,
    dialect: Dialect,
}

impl<'a> Linter<'a> {
    /// Starts with the header's findings.
    #[inline]
    pub fn new(msg: &Message<'a>, dialect: Dialect) -> Self {
        let mut out = Vec::new();
        let h = msg.header();
        let standard = h.opcode() == Opcode::QUERY;
        let query = !h.qr();
        let mut push =
            |offset: usize, len: usize, lint: Lint| out.push(Finding { offset, len, lint });

        if h.z() {
            push(2, 2, Lint::ZBit);
        }
        let resp_bits = h.flags & (flag::AA | flag::TC | flag::RA);
        if query && (resp_bits != 0 || h.rcode().0 != 0) {
            push(
                2,
                2,
                Lint::ResponseBitsInQuery {
                    flags: resp_bits,
                    rcode: h.rcode(),
                },
            );
        }
        if standard && ((query && h.qdcount != 1) || (!query && h.qdcount > 1)) {
            push(
                4,
                2,
                Lint::QdCount {
                    count: h.qdcount,
                    response: !query,
                },
            );
        }
        Self {
            out,
            bytes: msg.as_bytes(),
            standard_query: query && standard,
            dialect,
        }
    }

    /// One entry of the walk.
    pub fn entry(&mut self, entry: &Entry<'_>) {
        let mut push =
            |offset: usize, len: usize, lint: Lint| self.out.push(Finding { offset, len, lint });
        match entry {
            Entry::Question(q) => {
                let at = names(&q.name, self.standard_query, &mut push);
                if let Some(s) = swapped(q.qtype.0, Rtype, |t| t.name().is_some()) {
                    push(
                        at,
                        2,
                        Lint::QtypeSwapped {
                            value: q.qtype,
                            swapped: s,
                        },
                    );
                }
                if let Some(s) = swapped(q.qclass.0, Class, |c| c.name().is_some()) {
                    push(
                        at + 2,
                        2,
                        Lint::QclassSwapped {
                            value: q.qclass,
                            swapped: s,
                        },
                    );
                }
            }
            Entry::Record(_, r) => record(r, self.standard_query, &mut push),
        }
    }

    /// The walk's error, with the walk as it stands after returning it.
    pub fn error(&mut self, e: &Error, entries: &Entries<'_>) {
        self.error_at(e, entries.section(), entries.offset());
    }

    /// [`Linter::error`] for a walk that is not an [`Entries`]: the section
    /// and offset it failed at ([`Message::walk_entries`]' end).
    pub fn error_at(&mut self, e: &Error, section: Section, offset: usize) {
        if let ErrorKind::CountBeyondData {
            section,
            count,
            parsed,
        } = e.kind
        {
            self.out.push(Finding {
                offset: count_field(section).2,
                len: 2,
                lint: Lint::CountTooHigh {
                    section,
                    count,
                    parsed,
                },
            });
        } else if section == Section::Question {
            if let Some(f) = name_without_root(self.bytes, offset) {
                self.out.push(f);
            }
        }
    }

    /// The findings, given the walk once it has ended.
    pub fn finish(self, entries: &Entries<'_>) -> Vec<Finding> {
        self.finish_at(entries.offset(), entries.trailing())
    }

    /// [`Linter::finish`] for a walk that is not an [`Entries`]: where it
    /// ended and the bytes after it ([`Message::walk_entries`]' end).
    #[inline]
    pub fn finish_at(mut self, offset: usize, trailing: usize) -> Vec<Finding> {
        let bytes = self.bytes;
        if trailing > 0 {
            let start = offset;
            let mut pos = start;
            let mut records = 0u16;
            // Each record takes at least 11 bytes, so this ends.
            while let Ok((_, next)) = Record::parse(bytes, pos) {
                records = records.saturating_add(1);
                pos = next;
                if pos >= bytes.len() {
                    break;
                }
            }
            let lint = if records > 0 && pos == bytes.len() {
                Lint::CountTooLow { records }
            } else {
                Lint::TrailingBytes
            };
            self.out.push(Finding {
                offset: start,
                len: trailing,
                lint,
            });
        }
        let mut out = self.out;
        out.sort_by_key(|f| f.offset);
        if self.dialect == Dialect::Multicast {
            out.retain(|f| {
                !matches!(
                    f.lint,
                    Lint::QdCount { .. }
                        | Lint::PointerInQuery { .. }
                        | Lint::ResponseBitsInQuery { .. }
                        | Lint::NameCase
                )
            });
        }
        out
    }
}

/// Lints of one resource record: its owner name, TTL, and the OPT flags.
fn record(r: &Record<'_>, standard_query: bool, push: &mut impl FnMut(usize, usize, Lint)) {
    let ttl_at = names(&r.name, standard_query, push) + 4;
    if r.rtype == Rtype::OPT {
        if let Ok(opt) = Opt::from_record(r) {
            if opt.z != 0 {
                push(ttl_at + 2, 2, Lint::EdnsZ { z: opt.z });
            }
        }
    } else if r.ttl & 0x8000_0000 != 0 {
        push(ttl_at, 4, Lint::TtlHighBit { ttl: r.ttl });
    }
}

/// Lints of the bytes of one name that sit where the name starts (up to its first pointer);
/// returns where those bytes end ([`Name::end`]).
///
/// Every entry's name comes through here, so the labels are stepped over by their length
/// bytes and checked for upper case in one run, eight bytes at a time (length bytes are
/// at most 63, below `A`); only a name that has an upper-case letter is walked again to
/// find its first such label. The steps are [`Name::parts`]' on a parsed name (the
/// tests compare both on damaged bytes too).
fn names(
    name: &Name<'_>,
    standard_query: bool,
    push: &mut impl FnMut(usize, usize, Lint),
) -> usize {
    let msg = name.message();
    let start = name.start();
    let mut pos = start;
    // Where the labels end, and what ends them: the root byte, a pointer (its
    // target), or neither (bytes `Name::parse` did not accept).
    let (labels_end, pointer, end) = match msg.get(start..) {
        // Most owner names are one pointer.
        Some([hi, lo, ..]) if hi & 0xc0 == 0xc0 => {
            let target = usize::from(u16::from_be_bytes([hi & 0x3f, *lo]));
            (start, Some(target), start + 2)
        }
        _ => loop {
            match msg.get(pos..) {
                Some([0, ..]) => break (pos, None, pos + 1),
                Some([len @ 1..=63, rest @ ..]) if rest.len() >= usize::from(*len) => {
                    pos += 1 + usize::from(*len);
                }
                Some([hi, lo, ..]) if hi & 0xc0 == 0xc0 => {
                    let target = usize::from(u16::from_be_bytes([hi & 0x3f, *lo]));
                    break (pos, Some(target), pos + 2);
                }
                _ => break (pos, None, pos),
            }
        },
    };
    if labels_end > start && super::name::has_upper(msg.get(start..labels_end).unwrap_or_default())
    {
        let mut at = start;
        while let Some([len @ 1..=63, rest @ ..]) = msg.get(at..labels_end) {
            let len = usize::from(*len);
            if rest.get(..len).is_some_and(super::name::has_upper) {
                push(at, 1 + len, Lint::NameCase);
                break;
            }
            at += 1 + len;
        }
    }
    if let Some(target) = pointer {
        let target = u16::try_from(target).unwrap_or(u16::MAX);
        if usize::from(target) < HEADER_LEN {
            push(labels_end, 2, Lint::PointerIntoHeader { target });
        }
        if standard_query {
            push(labels_end, 2, Lint::PointerInQuery { target });
        }
    }
    end
}

/// A question at `at` failed to parse: is it a name without its root label, whose last
/// "root" byte was really QTYPE's high byte? Then QTYPE and QCLASS read one byte earlier are
/// well-known values, and the message had exactly room for them.
fn name_without_root(bytes: &[u8], at: usize) -> Option<Finding> {
    let (name, next) = Name::parse(bytes, at).ok()?;
    if name.has_pointer() || name.is_root() {
        return None;
    }
    let root = next.checked_sub(1)?;
    let qtype = Rtype(be16(bytes, root)?);
    let qclass = Class(be16(bytes, root + 2)?);
    let fits_exactly = bytes.len() == root + 4;
    (fits_exactly && qtype.0 != 0 && qtype.name().is_some() && qclass.name().is_some()).then_some(
        Finding {
            offset: root,
            len: 1,
            lint: Lint::NameWithoutRoot { qtype, qclass },
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::NamePart;

    /// Header bytes: ID 0x1234, `flags`, counts.
    fn header(flags: u16, counts: [u16; 4]) -> Vec<u8> {
        let mut v = vec![0x12, 0x34];
        v.extend_from_slice(&flags.to_be_bytes());
        for c in counts {
            v.extend_from_slice(&c.to_be_bytes());
        }
        v
    }

    /// `www.lab.example.` in wire format, 17 bytes.
    const WWW: &[u8] = b"\x03www\x03lab\x07example\x00";

    /// A query for `WWW` with QTYPE/QCLASS as given.
    fn query(flags: u16, qtype: [u8; 2], qclass: [u8; 2]) -> Vec<u8> {
        let mut v = header(flags, [1, 0, 0, 0]);
        v.extend_from_slice(WWW); // 0x0c..0x1d
        v.extend_from_slice(&qtype); // 0x1d
        v.extend_from_slice(&qclass); // 0x1f
        v
    }

    fn findings(bytes: &[u8]) -> Vec<(&'static str, usize, usize)> {
        let msg = Message::parse(bytes).unwrap();
        lint(&msg)
            .iter()
            .map(|f| (f.code(), f.offset, f.len))
            .collect()
    }

    fn only(bytes: &[u8]) -> Finding {
        let msg = Message::parse(bytes).unwrap();
        let all = lint(&msg);
        assert_eq!(all.len(), 1, "{all:?}");
        all[0]
    }

    #[test]
    fn a_clean_query_and_response_have_no_findings() {
        assert!(findings(&query(0x0100, [0, 1], [0, 1])).is_empty());
        // Response: QR AA RD, one A answer whose owner points at the question name.
        let mut r = header(0x8500, [1, 1, 0, 0]);
        r.extend_from_slice(WWW);
        r.extend_from_slice(&[0, 1, 0, 1]);
        r.extend_from_slice(&[
            0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x01, 0x2c, 0, 4, 192, 0, 2, 10,
        ]);
        assert!(findings(&r).is_empty());
    }

    #[test]
    fn z_bit() {
        // flags 0x0140: RD + Z.
        let f = only(&query(0x0140, [0, 1], [0, 1]));
        assert_eq!((f.code(), f.offset, f.len), ("z-bit", 2, 2));
        assert_eq!(f.severity(), Severity::Warning);
        assert!(f.to_string().contains("must be 0"));
    }

    #[test]
    fn response_bits_in_query() {
        // flags 0x0583: AA RD RA, RCODE 3, QR=0.
        let f = only(&query(0x0583, [0, 1], [0, 1]));
        assert_eq!((f.code(), f.offset), ("response-bits-in-query", 2));
        assert_eq!(
            f.to_string(),
            "this query sets bits only a response uses: AA RA RCODE=NXDOMAIN. A client \
             sends them as 0; a usual query's flags word is 0x0100 (RD only)."
        );
    }

    #[test]
    fn qdcount_in_a_query_and_a_response() {
        // Query with QDCOUNT 0: header only.
        let f = only(&header(0x0100, [0, 0, 0, 0]));
        assert_eq!((f.code(), f.offset, f.len), ("qdcount", 4, 2));
        assert!(f.to_string().starts_with("QDCOUNT is 0: a standard query"));
        // Query with two questions, the second compressed (also a pointer in a query).
        let mut q = header(0x0100, [2, 0, 0, 0]);
        q.extend_from_slice(WWW);
        q.extend_from_slice(&[0, 1, 0, 1, 0xc0, 0x0c, 0, 28, 0, 1]);
        assert_eq!(
            findings(&q),
            [("qdcount", 4, 2), ("pointer-in-query", 0x21, 2)]
        );
        // A FORMERR response with no question is fine; with two it is not.
        assert!(findings(&header(0x8101, [0, 0, 0, 0])).is_empty());
        let mut r = q.clone();
        r[2] = 0x81;
        assert_eq!(findings(&r), [("qdcount", 4, 2)]);
    }

    #[test]
    fn count_too_high_points_at_the_header_count() {
        // ANCOUNT 3 but no answers follow the question.
        let mut m = header(0x8500, [1, 3, 0, 0]);
        m.extend_from_slice(WWW);
        m.extend_from_slice(&[0, 1, 0, 1]);
        let f = only(&m);
        assert_eq!((f.code(), f.offset, f.len), ("count-too-high", 6, 2));
        assert_eq!(
            f.to_string(),
            "ANCOUNT says 3 answer records but only 0 fit in the message: the count is too \
             high, or the message was cut short."
        );
    }

    #[test]
    fn count_too_low_and_trailing_bytes() {
        // A response whose ANCOUNT is 0 although an A record follows the question.
        let mut m = header(0x8500, [1, 0, 0, 0]);
        m.extend_from_slice(WWW);
        m.extend_from_slice(&[0, 1, 0, 1]); // ends at 0x21
        m.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 10]);
        let f = only(&m);
        assert_eq!((f.code(), f.offset, f.len), ("count-too-low", 0x21, 16));
        assert!(f.to_string().starts_with("1 more whole record follows"));
        // Three stray bytes are just trailing bytes.
        let mut t = query(0x0100, [0, 1], [0, 1]);
        t.extend_from_slice(&[0xde, 0xad, 0xbe]);
        let f = only(&t);
        assert_eq!((f.code(), f.offset, f.len), ("trailing-bytes", 0x21, 3));
        assert!(f.to_string().starts_with("3 bytes after the last section"));
    }

    #[test]
    fn ttl_with_the_high_bit_set() {
        let mut m = header(0x8500, [1, 1, 0, 0]);
        m.extend_from_slice(WWW);
        m.extend_from_slice(&[0, 1, 0, 1]);
        // 0x21: owner pointer, A, IN, TTL 0xffffffff (-1), RDLENGTH 4, address.
        m.extend_from_slice(&[
            0xc0, 0x0c, 0, 1, 0, 1, 0xff, 0xff, 0xff, 0xff, 0, 4, 1, 2, 3, 4,
        ]);
        let f = only(&m);
        assert_eq!((f.code(), f.offset, f.len), ("ttl-high-bit", 0x27, 4));
        assert!(f.to_string().contains("0xffffffff"));
    }

    #[test]
    fn opt_ttl_is_not_a_ttl_but_its_z_bits_are_linted() {
        let mut m = query(0x0100, [0, 1], [0, 1]);
        m[11] = 1; // ARCOUNT 1
                   // 0x21: OPT: root, TYPE 41, CLASS 1232, TTL: ext 0, version 0, DO + Z 0x0001.
        m.extend_from_slice(&[0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0x01, 0, 0]);
        let f = only(&m);
        assert_eq!((f.code(), f.offset, f.len), ("edns-z", 0x28, 2));
        assert!(f.to_string().contains("0x0001"));
        // DO alone (0x8000) is fine, and the high bit of the TTL word is not a TTL here.
        m[0x29] = 0;
        m[0x26] = 0xff; // extended RCODE bits: not a TTL either
        assert!(findings(&m).is_empty());
    }

    #[test]
    fn little_endian_qtype_and_qclass() {
        // QTYPE bytes 01 00 (= 256, URI; meant A), QCLASS 01 00 (= 256; meant IN).
        let m = query(0x0100, [1, 0], [1, 0]);
        let msg = Message::parse(&m).unwrap();
        let all = lint(&msg);
        let codes: Vec<_> = all.iter().map(|f| (f.code(), f.offset, f.len)).collect();
        assert_eq!(
            codes,
            [
                ("qtype-byte-swapped", 0x1d, 2),
                ("qclass-byte-swapped", 0x1f, 2)
            ]
        );
        assert_eq!(
            all[0].to_string(),
            "QTYPE is 0x0100 = 256 (URI), but byte-swapped it is 1 (A): the client probably \
             wrote it little-endian. Write 16-bit fields in network byte order (big-endian: \
             htons, struct.pack('!H'), to_be_bytes)."
        );
        assert!(all[1].to_string().contains("byte-swapped it is 1 (IN)"));
        // 0x1c00 is AAAA swapped; 0x0001 and 0x00ff are fine; 0x4100 (65 = HTTPS) too.
        assert_eq!(
            findings(&query(0x0100, [0x1c, 0], [0, 1])),
            [("qtype-byte-swapped", 0x1d, 2)]
        );
        assert!(findings(&query(0x0100, [0, 0xff], [0, 1])).is_empty());
        // 0x8000 (TA) swapped is 128, not a type: no finding.
        assert!(findings(&query(0x0100, [0x80, 0], [0, 1])).is_empty());
    }

    #[test]
    fn upper_and_mixed_case_names() {
        let mut m = header(0x0100, [1, 0, 0, 0]);
        m.extend_from_slice(b"\x03www\x03LaB\x07example\x00\x00\x01\x00\x01");
        let f = only(&m);
        // The first label with an upper-case letter: "LaB" at 0x10, 4 bytes with its length.
        assert_eq!((f.code(), f.offset, f.len), ("name-case", 0x10, 4));
        assert_eq!(f.severity(), Severity::Info);
    }

    #[test]
    fn name_without_its_root_label() {
        // bad-client.pcap frame 3: "www.lab.example" without the final 00, then 00 01 00 01.
        let mut m = header(0x0100, [1, 0, 0, 0]);
        m.extend_from_slice(b"\x03www\x03lab\x07example"); // 0x0c..0x1c
        m.extend_from_slice(&[0, 1, 0, 1]); // the 00 at 0x1c is read as the root label
        let msg = Message::parse(&m).unwrap();
        assert!(msg.entries().any(|e| e.is_err()), "the parser fails");
        let f = only(&m);
        assert_eq!((f.code(), f.offset, f.len), ("name-without-root", 0x1c, 1));
        assert!(f.to_string().contains("QTYPE and QCLASS would be A IN"));
        // A short question that does not fit the pattern gets no guess.
        let mut m = header(0x0100, [1, 0, 0, 0]);
        m.extend_from_slice(b"\x01a\x00\x00");
        assert!(findings(&m).iter().all(|f| f.0 != "name-without-root"));
    }

    #[test]
    fn pointer_in_a_query_and_into_the_header() {
        // QNAME is a pointer to offset 4 (inside the header): both findings at 0x0c.
        let mut m = header(0x0100, [1, 0, 0, 0]);
        // The pointer's target, byte 4, is QDCOUNT's high byte, 00: read as the root.
        m.extend_from_slice(&[0xc0, 0x04, 0, 1, 0, 1]);
        assert_eq!(
            findings(&m),
            [
                ("pointer-into-header", 0x0c, 2),
                ("pointer-in-query", 0x0c, 2)
            ]
        );
        // In a response, a pointer into the header is still odd; a normal one is not.
        let mut r = m.clone();
        r[2] = 0x85;
        assert_eq!(findings(&r), [("pointer-into-header", 0x0c, 2)]);
    }

    #[test]
    fn multicast_dns_keeps_only_the_rules_that_apply_to_it() {
        // An mDNS query: two questions, the second compressed, mixed case, TC set.
        let mut q = vec![0, 0, 0x02, 0, 0, 2, 0, 0, 0, 0, 0, 0];
        q.extend_from_slice(b"\x06iPhone\x05local\x00\x00\xff\x80\x01"); // 0x0c, QU bit
        q.extend_from_slice(&[0xc0, 0x0c, 0, 28, 0, 1]);
        let msg = Message::parse(&q).unwrap();
        let unicast: Vec<_> = lint(&msg).iter().map(Finding::code).collect();
        assert_eq!(
            unicast,
            [
                "response-bits-in-query",
                "qdcount",
                "name-case",
                "pointer-in-query"
            ]
        );
        assert!(lint_with(&msg, Dialect::Multicast).is_empty());
        // The Z bit is wrong in both.
        q[3] = 0x40;
        let msg = Message::parse(&q).unwrap();
        let codes: Vec<_> = lint_with(&msg, Dialect::Multicast)
            .iter()
            .map(Finding::code)
            .collect();
        assert_eq!(codes, ["z-bit"]);
    }

    #[test]
    fn findings_are_sorted_by_offset() {
        // Z bit, little-endian QTYPE, trailing byte: three places in order.
        let mut m = query(0x0140, [1, 0], [0, 1]);
        m.push(0);
        let f = findings(&m);
        let offsets: Vec<usize> = f.iter().map(|x| x.1).collect();
        assert_eq!(offsets, [2, 0x1d, 0x21]);
    }

    #[test]
    fn every_message_is_ascii() {
        let all = [
            Lint::ZBit,
            Lint::ResponseBitsInQuery {
                flags: flag::TC,
                rcode: Rcode(0),
            },
            Lint::QdCount {
                count: 2,
                response: true,
            },
            Lint::CountTooHigh {
                section: Section::Question,
                count: 1,
                parsed: 0,
            },
            Lint::CountTooLow { records: 2 },
            Lint::TrailingBytes,
            Lint::TtlHighBit { ttl: 1 << 31 },
            Lint::QtypeSwapped {
                value: Rtype(256),
                swapped: Rtype::A,
            },
            Lint::QclassSwapped {
                value: Class(256),
                swapped: Class::IN,
            },
            Lint::NameCase,
            Lint::NameWithoutRoot {
                qtype: Rtype::A,
                qclass: Class::IN,
            },
            Lint::PointerInQuery { target: 12 },
            Lint::PointerIntoHeader { target: 2 },
            Lint::EdnsZ { z: 1 },
        ];
        let mut codes = std::collections::BTreeSet::new();
        for lint in all {
            let f = Finding {
                offset: 0,
                len: 1,
                lint,
            };
            let text = f.to_string();
            assert!(text.is_ascii() && text.ends_with('.'), "{text}");
            codes.insert(f.code());
        }
        assert_eq!(codes.len(), all.len(), "codes are distinct");
    }

    /// The former `names`, through [`Name::parts`], and [`Name::end`]: what
    /// the written-out walk must agree with.
    fn names_by_parts(name: &Name<'_>, standard_query: bool) -> (Vec<Finding>, usize) {
        let mut out = Vec::new();
        let mut push = |offset, len, lint| out.push(Finding { offset, len, lint });
        let mut case_done = false;
        for part in name.parts() {
            match part {
                NamePart::Label { offset, bytes } => {
                    if !case_done && bytes.iter().any(u8::is_ascii_uppercase) {
                        case_done = true;
                        push(offset, 1 + bytes.len(), Lint::NameCase);
                    }
                }
                NamePart::Pointer { offset, target } => {
                    let target = u16::try_from(target).unwrap_or(u16::MAX);
                    if usize::from(target) < HEADER_LEN {
                        push(offset, 2, Lint::PointerIntoHeader { target });
                    }
                    if standard_query {
                        push(offset, 2, Lint::PointerInQuery { target });
                    }
                    break;
                }
                NamePart::Root { .. } => break,
            }
        }
        (out, name.end())
    }

    #[test]
    fn upper_case_found_eight_bytes_at_a_time() {
        for b in 0..=255u8 {
            for len in 1..=17 {
                for at in 0..len {
                    let mut v = vec![b'a'; len];
                    v[at] = b;
                    assert_eq!(
                        crate::dns::name::has_upper(&v),
                        b.is_ascii_uppercase(),
                        "{b} {len} {at}"
                    );
                }
            }
        }
        assert!(!crate::dns::name::has_upper(b""));
    }

    /// The name lints and the name's end agree with the walk through
    /// `Name::parts` for a name at every offset of every cut of the sample
    /// messages and of changed copies (on bytes `Name::parse` did not accept
    /// too: both must stop safely and alike).
    #[test]
    fn the_name_walk_agrees_with_parts_on_cut_and_changed_messages() {
        let messages = crate::dns::testutil::sample_messages();
        // Names from `from` on (a cut changes only the names that reach it,
        // and a name's own bytes are at most 255).
        let same = |b: &[u8], from: usize| {
            for start in from..b.len().min(usize::from(u16::MAX)) {
                let name = Name::parsed_at(b, start as u16);
                for standard_query in [false, true] {
                    let mut out = Vec::new();
                    let end = names(&name, standard_query, &mut |offset, len, lint| {
                        out.push(Finding { offset, len, lint })
                    });
                    assert_eq!(
                        (out, end),
                        names_by_parts(&name, standard_query),
                        "{start} {b:02x?}"
                    );
                }
            }
        };
        let mut changes = crate::dns::testutil::Changes::new(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ");
        for b in &messages {
            let mut upper = b.clone();
            upper.make_ascii_uppercase();
            same(&upper, 0);
            for cut in 0..=b.len() {
                same(&b[..cut], cut.saturating_sub(256));
            }
            for _ in 0..100 {
                let c = changes.of(b);
                same(&c, 0);
            }
        }
    }
}
