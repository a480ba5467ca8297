//! The byte layout of a DNS message, field by field, for students: [`explain`] turns the
//! bytes of one message into [`Field`]s — offset, length, a path such as
//! `answer[0].rdata.preference`, the decoded value and what it means — in wire order.
//!
//! It uses the parser's own views ([`Message`], [`Name::parts`], [`Record`], [`Rdata`],
//! [`Opt`]) and only computes where each field sits from them, so what it shows is what
//! the parser read. A malformed message is laid out as far as the walk got; the bytes of
//! the entry that failed are shown up to the failing byte, then an `error` field marks that
//! byte with the parser's sentence, and the rest is one `unparsed` field. An RDATA that does
//! not decode is shown raw, with its error, and the walk goes on. The findings of
//! [`lint`](super::lint) sit right after the field they are about.
//!
//! Everything is bounded by the message (at most 65535 bytes): no field is read outside it,
//! names are walked through their validated parts, and all text is ASCII with no control
//! characters (names and strings in presentation format, `\DDD` escapes).

use core::fmt::Write as _;

use super::lint::{self as lints, Finding};
use crate::dns::header::flag;
use crate::dns::{
    CharStrings, Class, Entry, Error, ErrorKind, Header, Message, Name, NamePart, Opcode, Opt,
    Question, Rcode, Rdata, Record, Rtype, Section, HEADER_LEN,
};

/// What kind of field a row is: renderers colour by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The span of a whole part (header, question, record, EDNS option): a heading.
    Group,
    /// ID, the flags word, the four counts.
    Header,
    /// One flag or code inside a 16-bit flags word; see [`Field::mask`].
    Flag,
    /// A whole domain name (the bytes at this place; its parts follow).
    Name,
    /// A label: its length byte and its bytes.
    Label,
    /// A compression pointer.
    Pointer,
    /// The root label (a 00 byte) ending a name.
    Root,
    /// TYPE / QTYPE.
    Type,
    /// CLASS / QCLASS (for OPT: the UDP payload size).
    Class,
    /// TTL (for OPT: extended RCODE, version, flags).
    Ttl,
    /// RDLENGTH, an option length.
    Length,
    /// A field of RDATA.
    Data,
    /// Where the parser failed.
    Error,
    /// A lint finding.
    Lint,
    /// Bytes after the last section.
    Trailing,
    /// Bytes the walk never reached, after an error.
    Unparsed,
}

impl Kind {
    /// The name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Group => "group",
            Self::Header => "header",
            Self::Flag => "flag",
            Self::Name => "name",
            Self::Label => "label",
            Self::Pointer => "pointer",
            Self::Root => "root",
            Self::Type => "type",
            Self::Class => "class",
            Self::Ttl => "ttl",
            Self::Length => "length",
            Self::Data => "data",
            Self::Error => "error",
            Self::Lint => "lint",
            Self::Trailing => "trailing",
            Self::Unparsed => "unparsed",
        }
    }
}

/// One row of the layout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// Offset in the DNS message.
    pub offset: usize,
    /// Bytes it covers (0 for an error at the very end).
    pub len: usize,
    /// Where it is, e.g. `header.flags.RD`, `answer[0].rdata.exchange.label[1]`.
    pub path: String,
    pub kind: Kind,
    /// The decoded value (ASCII).
    pub value: String,
    /// What it means, for a student (ASCII).
    pub meaning: String,
    /// For a flag: its bits inside the 16-bit word at `offset`.
    pub mask: Option<u16>,
    /// For an error or a lint finding: `error`, `warning` or `info`.
    pub severity: Option<&'static str>,
    /// For a lint finding: its code; for an error: `malformed`.
    pub code: Option<&'static str>,
}

impl Field {
    /// The last component of the path (`preference` for `answer[0].rdata.preference`).
    pub fn short_name(&self) -> &str {
        self.path.rsplit('.').next().unwrap_or(&self.path)
    }
}

/// The annotated layout of one message, in wire order, with the lint findings of
/// `dialect` in place.
pub fn explain(bytes: &[u8], dialect: lints::Dialect) -> Vec<Field> {
    let mut b = Builder {
        bytes,
        rows: Vec::new(),
    };
    let msg = match Message::parse(bytes) {
        Ok(m) => m,
        Err(e) => {
            b.short_header(e);
            return b.rows;
        }
    };
    b.header(&msg.header());
    let mut counts = [0usize; 4];
    let mut entries = msg.entries();
    let mut failed = None;
    while let Some(entry) = entries.next() {
        match entry {
            Ok(Entry::Question(q)) => {
                b.question(&q, counts[0], msg.header().qdcount);
                counts[0] += 1;
            }
            Ok(Entry::Record(s, r)) => {
                let i = s.index();
                b.record(s, &r, counts[i], msg.header().count(s));
                counts[i] += 1;
            }
            Err(e) => {
                failed = Some((e, entries.section(), entries.offset()));
                break;
            }
        }
    }
    match failed {
        Some((e, section, at)) => {
            let i = section.index();
            b.partial_entry(section, counts[i], at, e);
        }
        None => {
            let trailing = entries.trailing();
            if trailing > 0 {
                let at = entries.offset();
                b.push(
                    at,
                    trailing,
                    "trailing".into(),
                    Kind::Trailing,
                    format!("{trailing} bytes"),
                    "after the last section the counts announce: not part of any record".into(),
                );
            }
        }
    }
    let findings = lints::lint_with(&msg, dialect);
    place_findings(&mut b.rows, &findings);
    b.rows
}

fn section_path(s: Section) -> &'static str {
    match s {
        Section::Question => "question",
        Section::Answer => "answer",
        Section::Authority => "authority",
        Section::Additional => "additional",
    }
}

/// Inserts each finding after the field it is about: the first field with the same offset
/// and length (and the flag rows under it), else the last field that covers its offset,
/// else at the end.
fn place_findings(rows: &mut Vec<Field>, findings: &[Finding]) {
    // Insert from the last so earlier indices stay valid; same-place findings keep order.
    let mut placed: Vec<(usize, Field)> = Vec::with_capacity(findings.len());
    for f in findings {
        let exact = rows
            .iter()
            .position(|r| r.offset == f.offset && r.len == f.len && r.kind != Kind::Group);
        let at = match exact {
            Some(i) => {
                let mut j = i + 1;
                while rows
                    .get(j)
                    .is_some_and(|r| r.kind == Kind::Flag && r.offset == f.offset)
                {
                    j += 1;
                }
                j
            }
            None => rows
                .iter()
                .rposition(|r| {
                    r.kind != Kind::Group && r.offset <= f.offset && f.offset < r.offset + r.len
                })
                .map_or(rows.len(), |i| i + 1),
        };
        placed.push((
            at,
            Field {
                offset: f.offset,
                len: f.len,
                path: format!("lint.{}", f.code()),
                kind: Kind::Lint,
                value: f.code().into(),
                meaning: f.to_string(),
                mask: None,
                severity: Some(f.severity().as_str()),
                code: Some(f.code()),
            },
        ));
    }
    for (at, field) in placed.into_iter().rev() {
        rows.insert(at.min(rows.len()), field);
    }
}

struct Builder<'a> {
    bytes: &'a [u8],
    rows: Vec<Field>,
}

/// Seconds as a short duration: `300 (5m)`, `86400 (1d)`.
fn duration(secs: u32) -> String {
    let mut s = secs.to_string();
    if secs >= 60 {
        let (d, h, m, sec) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
        s.push_str(" (");
        let mut first = true;
        for (v, unit) in [(d, "d"), (h, "h"), (m, "m"), (sec, "s")] {
            if v > 0 {
                if !first {
                    s.push(' ');
                }
                first = false;
                let _ = write!(s, "{v}{unit}");
            }
        }
        s.push(')');
    }
    s
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// What a TYPE is, in a few words, for the common ones.
fn type_meaning(t: Rtype) -> String {
    let what = match t {
        Rtype::A => "IPv4 address",
        Rtype::NS => "name server",
        Rtype::CNAME => "canonical name: the owner is an alias",
        Rtype::SOA => "start of authority: zone parameters",
        Rtype::PTR => "pointer to a name (reverse lookup)",
        Rtype::MX => "mail exchange",
        Rtype::TXT => "text strings",
        Rtype::AAAA => "IPv6 address",
        Rtype::SRV => "service location",
        Rtype::OPT => "EDNS pseudo-record (RFC 6891)",
        Rtype::DS => "delegation signer (DNSSEC)",
        Rtype::RRSIG => "DNSSEC signature",
        Rtype::NSEC => "next secure name (DNSSEC denial)",
        Rtype::DNSKEY => "DNSSEC public key",
        Rtype::NSEC3 => "hashed next secure name (DNSSEC)",
        Rtype::CAA => "certification authority authorisation",
        Rtype::HTTPS => "HTTPS service binding",
        Rtype::SVCB => "service binding",
        Rtype::ANY => "any type (queries only)",
        Rtype::AXFR => "zone transfer (queries only)",
        Rtype::IXFR => "incremental zone transfer",
        Rtype::URI => "uniform resource identifier",
        _ if t.name().is_some() => "",
        _ => "unknown type (RFC 3597)",
    };
    if what.is_empty() {
        t.to_string()
    } else {
        format!("{t}: {what}")
    }
}

fn class_meaning(c: Class) -> String {
    match c {
        Class::IN => "IN: Internet".into(),
        Class::CH => "CH: Chaos (server information)".into(),
        Class::ANY => "ANY: any class".into(),
        c if c.name().is_some() => c.to_string(),
        c => format!("{c}: unknown class"),
    }
}

fn rcode_meaning(r: Rcode) -> &'static str {
    match r {
        Rcode::NOERROR => "NOERROR: no error",
        Rcode::FORMERR => "FORMERR: the server could not read the query",
        Rcode::SERVFAIL => "SERVFAIL: the server failed to answer",
        Rcode::NXDOMAIN => "NXDOMAIN: the name does not exist",
        Rcode::NOTIMP => "NOTIMP: not implemented",
        Rcode::REFUSED => "REFUSED: refused by policy",
        _ => "",
    }
}

/// A sensible number of bytes to mark for an error at `e.offset`.
fn error_len(e: &Error, remaining: usize) -> usize {
    let n = match e.kind {
        ErrorKind::Truncated { available, .. } => usize::from(available),
        ErrorKind::PointerOutOfRange(_)
        | ErrorKind::PointerNotBackward { .. }
        | ErrorKind::TooManyPointers
        | ErrorKind::PointerNotAllowed(_)
        | ErrorKind::RdataLength { .. } => 2,
        ErrorKind::CountBeyondData { .. } => remaining,
        ErrorKind::RdataSize { len, .. } => usize::from(len),
        _ => 1,
    };
    n.min(remaining)
}

impl Builder<'_> {
    fn push(
        &mut self,
        offset: usize,
        len: usize,
        path: String,
        kind: Kind,
        value: String,
        meaning: String,
    ) {
        self.rows.push(Field {
            offset,
            len,
            path,
            kind,
            value,
            meaning,
            mask: None,
            severity: None,
            code: None,
        });
    }

    fn flag(&mut self, offset: usize, path: String, mask: u16, value: String, meaning: String) {
        self.rows.push(Field {
            offset,
            len: 2,
            path,
            kind: Kind::Flag,
            value,
            meaning,
            mask: Some(mask),
            severity: None,
            code: None,
        });
    }

    fn error(&mut self, path: String, e: &Error) {
        let at = usize::from(e.offset).min(self.bytes.len());
        let len = error_len(e, self.bytes.len() - at);
        self.rows.push(Field {
            offset: at,
            len,
            path,
            kind: Kind::Error,
            value: "malformed".into(),
            meaning: e.kind.to_string(),
            mask: None,
            severity: Some("error"),
            code: Some("malformed"),
        });
    }

    /// The bytes from `from` to the end, which the walk did not reach.
    fn unparsed(&mut self, from: usize) {
        if from < self.bytes.len() {
            let n = self.bytes.len() - from;
            self.push(
                from,
                n,
                "unparsed".into(),
                Kind::Unparsed,
                format!("{n} byte{}", plural(n)),
                "not decoded: the walk stopped at the error above".into(),
            );
        }
    }

    fn be16(&self, at: usize) -> Option<u16> {
        match self.bytes.get(at..at.checked_add(2)?)? {
            [a, b] => Some(u16::from_be_bytes([*a, *b])),
            _ => None,
        }
    }

    fn be32(&self, at: usize) -> Option<u32> {
        match self.bytes.get(at..at.checked_add(4)?)? {
            [a, b, c, d] => Some(u32::from_be_bytes([*a, *b, *c, *d])),
            _ => None,
        }
    }

    /// Fewer than 12 bytes: the header fields that are there, then the error.
    fn short_header(&mut self, e: Error) {
        let n = self.bytes.len();
        self.push(
            0,
            n.min(HEADER_LEN),
            "header".into(),
            Kind::Group,
            format!("{n} byte{}", plural(n)),
            "the 12-byte header, cut short".into(),
        );
        let names = ["id", "flags", "qdcount", "ancount", "nscount", "arcount"];
        let mut at = 0;
        for name in names {
            let Some(v) = self.be16(at) else { break };
            self.push(
                at,
                2,
                format!("header.{name}"),
                Kind::Header,
                format!("{v:#06x}"),
                String::new(),
            );
            at += 2;
        }
        if matches!(e.kind, ErrorKind::MessageTooLong) {
            self.error("error".into(), &e);
            return;
        }
        let e = Error {
            offset: u16::try_from(at).unwrap_or(u16::MAX),
            kind: ErrorKind::Truncated {
                needed: u16::try_from(HEADER_LEN - at).unwrap_or(0),
                available: u16::try_from(n - at).unwrap_or(0),
            },
        };
        self.error("error".into(), &e);
    }

    fn header(&mut self, h: &Header) {
        let qr = h.qr();
        let mut summary = format!(
            "ID {:#06x}, {}, {}",
            h.id,
            if qr { "response" } else { "query" },
            h.opcode()
        );
        if qr {
            let _ = write!(summary, ", {}", h.rcode());
        }
        self.push(
            0,
            HEADER_LEN,
            "header".into(),
            Kind::Group,
            summary,
            "12 bytes: ID, flags, four counts".into(),
        );
        self.push(
            0,
            2,
            "header.id".into(),
            Kind::Header,
            format!("{:#06x} ({})", h.id, h.id),
            if qr {
                "message ID, copied from the query".into()
            } else {
                "message ID, chosen by the client; the response copies it".into()
            },
        );
        let mut set = Vec::new();
        for (bit, name) in [
            (flag::QR, "QR"),
            (flag::AA, "AA"),
            (flag::TC, "TC"),
            (flag::RD, "RD"),
            (flag::RA, "RA"),
            (flag::Z, "Z"),
            (flag::AD, "AD"),
            (flag::CD, "CD"),
        ] {
            if h.flags & bit != 0 {
                set.push(name);
            }
        }
        self.push(
            2,
            2,
            "header.flags".into(),
            Kind::Header,
            format!("{:#06x}", h.flags),
            if set.is_empty() {
                "flags and codes (no flag set), bit by bit below".into()
            } else {
                format!("flags and codes: {} set, bit by bit below", set.join(" "))
            },
        );
        let one = |b: bool| if b { "1" } else { "0" }.to_string();
        let p = |n: &str| format!("header.flags.{n}");
        self.flag(
            2,
            p("QR"),
            flag::QR,
            one(qr),
            if qr { "response" } else { "query" }.into(),
        );
        let op = h.opcode();
        let op_meaning = match op {
            Opcode::QUERY => "QUERY: a standard query".to_string(),
            Opcode::NOTIFY => "NOTIFY: zone change notification".to_string(),
            Opcode::UPDATE => "UPDATE: dynamic update".to_string(),
            o => o.to_string(),
        };
        self.flag(2, p("Opcode"), 0x7800, op.0.to_string(), op_meaning);
        let bits: [(u16, &str, &str, &str); 7] = [
            (
                flag::AA,
                "AA",
                "authoritative answer: the server owns the zone",
                "not authoritative",
            ),
            (
                flag::TC,
                "TC",
                "truncated: the full answer needs TCP",
                "not truncated",
            ),
            (
                flag::RD,
                "RD",
                "recursion desired: resolve the whole name for me",
                "no recursion desired (iterative)",
            ),
            (
                flag::RA,
                "RA",
                "recursion available at this server",
                "recursion not available",
            ),
            (
                flag::Z,
                "Z",
                "reserved bit SET: it must be 0",
                "reserved, must be 0",
            ),
            (
                flag::AD,
                "AD",
                if qr {
                    "authentic data: validated with DNSSEC"
                } else {
                    "the client understands AD (RFC 6840)"
                },
                "not DNSSEC-validated",
            ),
            (
                flag::CD,
                "CD",
                "checking disabled: do not validate DNSSEC",
                "DNSSEC checking allowed",
            ),
        ];
        for (bit, name, on, off) in bits {
            let v = h.flags & bit != 0;
            self.flag(2, p(name), bit, one(v), if v { on } else { off }.into());
        }
        let rc = h.rcode();
        let mut rc_meaning = rcode_meaning(rc).to_string();
        if rc_meaning.is_empty() {
            rc_meaning = rc.to_string();
        }
        if !qr && rc.0 == 0 {
            rc_meaning = "no error (always 0 in a query)".into();
        }
        self.flag(2, p("RCODE"), 0x000f, rc.0.to_string(), rc_meaning);
        for (i, (name, n, noun)) in [
            ("qdcount", h.qdcount, "question"),
            ("ancount", h.ancount, "answer record"),
            ("nscount", h.nscount, "authority record"),
            ("arcount", h.arcount, "additional record"),
        ]
        .into_iter()
        .enumerate()
        {
            self.push(
                4 + 2 * i,
                2,
                format!("header.{name}"),
                Kind::Header,
                n.to_string(),
                format!(
                    "{noun}{} follow{}",
                    plural(n.into()),
                    if n == 1 { "s" } else { "" }
                ),
            );
        }
    }

    /// Rows for a validated name: one `name` row, then its labels up to the root or the
    /// first pointer (what follows a pointer was shown where it is).
    fn name(&mut self, name: &Name<'_>, path: &str, what: &str) {
        let start = name.start();
        let end = name.end();
        let labels = name.label_count();
        self.push(
            start,
            end.saturating_sub(start),
            path.to_string(),
            Kind::Name,
            name.to_string(),
            format!(
                "{what}, {labels} label{}, {} byte{} in full{}",
                plural(labels),
                name.wire_len(),
                plural(name.wire_len()),
                if name.has_pointer() {
                    ", compressed"
                } else {
                    ""
                }
            ),
        );
        let mut i = 0;
        for part in name.parts() {
            match part {
                NamePart::Label { offset, bytes } => {
                    let mut v = String::from("\"");
                    for &b in bytes {
                        match b {
                            b'"' | b'\\' => {
                                v.push('\\');
                                v.push(char::from(b));
                            }
                            0x21..=0x7e => v.push(char::from(b)),
                            _ => {
                                let _ = write!(v, "\\{b:03}");
                            }
                        }
                    }
                    v.push('"');
                    self.push(
                        offset,
                        1 + bytes.len(),
                        format!("{path}.label[{i}]"),
                        Kind::Label,
                        v,
                        format!(
                            "length byte {}, then {} byte{}",
                            bytes.len(),
                            bytes.len(),
                            plural(bytes.len())
                        ),
                    );
                    i += 1;
                }
                NamePart::Pointer { offset, target } => {
                    let there = Name::parse(self.bytes, target)
                        .map(|(n, _)| n.to_string())
                        .unwrap_or_else(|_| "?".into());
                    self.push(
                        offset,
                        2,
                        format!("{path}.pointer"),
                        Kind::Pointer,
                        format!("-> {target:#06x}"),
                        format!(
                            "compression pointer (top bits 11): the name goes on at \
                             {target:#06x}: {there}"
                        ),
                    );
                    return;
                }
                NamePart::Root { offset } => {
                    self.push(
                        offset,
                        1,
                        format!("{path}.root"),
                        Kind::Root,
                        ".".into(),
                        "root label (length 0): end of the name".into(),
                    );
                    return;
                }
            }
        }
    }

    fn question(&mut self, q: &Question<'_>, i: usize, count: u16) {
        let path = format!("question[{i}]");
        let end = q.name.end() + 4;
        self.push(
            q.offset,
            end - q.offset,
            path.clone(),
            Kind::Group,
            format!("{} {} {}", q.name, q.qclass, q.qtype),
            format!("question {} of {count}", i + 1),
        );
        self.name(&q.name, &format!("{path}.name"), "QNAME");
        let at = q.name.end();
        self.push(
            at,
            2,
            format!("{path}.qtype"),
            Kind::Type,
            q.qtype.0.to_string(),
            type_meaning(q.qtype),
        );
        self.push(
            at + 2,
            2,
            format!("{path}.qclass"),
            Kind::Class,
            q.qclass.0.to_string(),
            class_meaning(q.qclass),
        );
    }

    fn record(&mut self, s: Section, r: &Record<'_>, i: usize, count: u16) {
        let path = format!("{}[{i}]", section_path(s));
        let data = r.data();
        let opt = r.rtype == Rtype::OPT;
        let summary = if opt {
            match Opt::from_record(r) {
                Ok(o) => format!("OPT: EDNS {o}"),
                Err(_) => "OPT".into(),
            }
        } else {
            let rd = match &data {
                Ok(d) => d.to_string(),
                Err(_) => "(malformed RDATA)".into(),
            };
            format!("{} {} {} {} {rd}", r.name, r.ttl, r.class, r.rtype)
        };
        self.push(
            r.offset,
            r.end() - r.offset,
            path.clone(),
            Kind::Group,
            summary,
            format!("{} record {} of {count}", section_path(s), i + 1),
        );
        self.name(&r.name, &format!("{path}.name"), "owner name");
        let at = r.name.end();
        self.push(
            at,
            2,
            format!("{path}.type"),
            Kind::Type,
            r.rtype.0.to_string(),
            type_meaning(r.rtype),
        );
        if opt {
            self.push(
                at + 2,
                2,
                format!("{path}.udpPayloadSize"),
                Kind::Class,
                r.class.0.to_string(),
                "CLASS of OPT: the largest UDP response the sender can take".into(),
            );
            let ttl = r.ttl;
            self.push(
                at + 4,
                1,
                format!("{path}.extendedRcode"),
                Kind::Ttl,
                (ttl >> 24).to_string(),
                "upper 8 bits of the RCODE (12 bits in all with the header's 4)".into(),
            );
            self.push(
                at + 5,
                1,
                format!("{path}.version"),
                Kind::Ttl,
                ((ttl >> 16) & 0xff).to_string(),
                "EDNS version (0 is the only one)".into(),
            );
            self.push(
                at + 6,
                2,
                format!("{path}.flags"),
                Kind::Ttl,
                format!("{:#06x}", ttl & 0xffff),
                "EDNS flags, bit by bit below".into(),
            );
            let dnssec_ok = ttl & 0x8000 != 0;
            self.flag(
                at + 6,
                format!("{path}.flags.DO"),
                0x8000,
                if dnssec_ok { "1" } else { "0" }.into(),
                if dnssec_ok {
                    "DNSSEC OK: send DNSSEC records"
                } else {
                    "no DNSSEC records wanted"
                }
                .into(),
            );
            self.flag(
                at + 6,
                format!("{path}.flags.Z"),
                0x7fff,
                (ttl & 0x7fff).to_string(),
                "reserved, must be 0".into(),
            );
        } else {
            self.push(
                at + 2,
                2,
                format!("{path}.class"),
                Kind::Class,
                r.class.0.to_string(),
                class_meaning(r.class),
            );
            self.push(
                at + 4,
                4,
                format!("{path}.ttl"),
                Kind::Ttl,
                duration(r.ttl),
                "TTL: seconds a cache may keep it".into(),
            );
        }
        let n = r.rdata.len();
        self.push(
            at + 8,
            2,
            format!("{path}.rdlength"),
            Kind::Length,
            n.to_string(),
            format!("{n} byte{} of RDATA follow", plural(n)),
        );
        let rpath = format!("{path}.rdata");
        match data {
            Ok(d) => self.rdata(r, &d, &rpath),
            Err(e) => {
                if n > 0 {
                    self.push(
                        r.rdata_offset,
                        n,
                        rpath.clone(),
                        Kind::Data,
                        format!("{n} byte{}", plural(n)),
                        format!("{} RDATA, raw: it does not decode", r.rtype),
                    );
                }
                self.error(format!("{rpath}.error"), &e);
            }
        }
    }

    fn data(&mut self, at: usize, len: usize, path: String, value: String, meaning: &str) {
        self.push(at, len, path, Kind::Data, value, meaning.to_string());
    }

    fn u16_field(&mut self, at: usize, path: String, meaning: &str) {
        let v = self.be16(at).map_or_else(|| "?".into(), |v| v.to_string());
        self.data(at, 2, path, v, meaning);
    }

    fn u32_field(&mut self, at: usize, path: String, meaning: &str, secs: bool) {
        let v = match self.be32(at) {
            Some(v) if secs => duration(v),
            Some(v) => v.to_string(),
            None => "?".into(),
        };
        self.data(at, 4, path, v, meaning);
    }

    fn u8_field(&mut self, at: usize, path: String, meaning: &str) {
        let v = self
            .bytes
            .get(at)
            .map_or_else(|| "?".into(), |v| v.to_string());
        self.data(at, 1, path, v, meaning);
    }

    fn char_strings(&mut self, at: usize, strings: CharStrings<'_>, path: &str) {
        let mut pos = at;
        for (i, s) in strings.iter().enumerate() {
            self.data(
                pos,
                1 + s.len(),
                format!("{path}.string[{i}]"),
                crate::dns::rdata::Quoted(s).to_string(),
                &format!("string: length byte {}, then the text", s.len()),
            );
            pos += 1 + s.len();
        }
    }

    fn rdata(&mut self, r: &Record<'_>, d: &Rdata<'_>, path: &str) {
        let at = r.rdata_offset;
        let end = r.end();
        let p = |f: &str| format!("{path}.{f}");
        match *d {
            Rdata::A(a) => self.data(at, 4, p("address"), a.to_string(), "IPv4 address"),
            Rdata::Aaaa(a) => self.data(at, 16, p("address"), a.to_string(), "IPv6 address"),
            Rdata::Ns(n) => self.name(&n, &p("nsdname"), "name server"),
            Rdata::Cname(n) => self.name(&n, &p("cname"), "canonical name (alias target)"),
            Rdata::Ptr(n) => self.name(&n, &p("ptrdname"), "pointed-to name"),
            Rdata::Dname(n) => self.name(&n, &p("target"), "delegation target"),
            Rdata::Mx { exchange, .. } => {
                self.u16_field(at, p("preference"), "preference: lower is tried first");
                self.name(&exchange, &p("exchange"), "mail server");
            }
            Rdata::Txt(s) | Rdata::Spf(s) => self.char_strings(at, s, path),
            Rdata::Soa { mname, rname, .. } => {
                self.name(&mname, &p("mname"), "primary name server");
                self.name(&rname, &p("rname"), "responsible mailbox (first . is @)");
                let mut pos = rname.end();
                for (f, m) in [
                    ("serial", "serial number of the zone version"),
                    ("refresh", "secondaries check for changes this often"),
                    ("retry", "retry interval after a failed refresh"),
                    ("expire", "secondaries stop answering after this"),
                    ("minimum", "TTL of negative answers (NXDOMAIN, NODATA)"),
                ] {
                    self.u32_field(pos, p(f), m, f != "serial");
                    pos += 4;
                }
            }
            Rdata::Srv { target, .. } => {
                self.u16_field(at, p("priority"), "priority: lower is tried first");
                self.u16_field(at + 2, p("weight"), "weight among equal priorities");
                self.u16_field(at + 4, p("port"), "port of the service");
                self.name(&target, &p("target"), "host of the service");
            }
            Rdata::Hinfo { cpu, os } => {
                self.data(
                    at,
                    1 + cpu.len(),
                    p("cpu"),
                    crate::dns::rdata::Quoted(cpu).to_string(),
                    "CPU",
                );
                self.data(
                    at + 1 + cpu.len(),
                    1 + os.len(),
                    p("os"),
                    crate::dns::rdata::Quoted(os).to_string(),
                    "operating system",
                );
            }
            Rdata::Caa { tag, value, .. } => {
                self.u8_field(at, p("flags"), "flags (128: critical)");
                self.data(
                    at + 1,
                    1 + tag.len(),
                    p("tag"),
                    crate::dns::rdata::Quoted(tag).to_string(),
                    "property tag",
                );
                self.data(
                    end - value.len(),
                    value.len(),
                    p("value"),
                    crate::dns::rdata::Quoted(value).to_string(),
                    "property value",
                );
            }
            Rdata::Ds { digest, .. } | Rdata::Cds { digest, .. } => {
                self.u16_field(at, p("keyTag"), "key tag of the DNSKEY it vouches for");
                self.u8_field(at + 2, p("algorithm"), "DNSSEC algorithm");
                self.u8_field(at + 3, p("digestType"), "digest type (2: SHA-256)");
                self.data(
                    at + 4,
                    digest.len(),
                    p("digest"),
                    format!("{} bytes", digest.len()),
                    "digest of the DNSKEY",
                );
            }
            Rdata::Dnskey {
                flags, public_key, ..
            }
            | Rdata::Cdnskey {
                flags, public_key, ..
            } => {
                let role = if flags & 1 != 0 {
                    "flags: zone key, SEP (a KSK)"
                } else if flags & 0x100 != 0 {
                    "flags: zone key (a ZSK)"
                } else {
                    "flags"
                };
                self.u16_field(at, p("flags"), role);
                self.u8_field(at + 2, p("protocol"), "protocol (always 3)");
                self.u8_field(at + 3, p("algorithm"), "DNSSEC algorithm (13: ECDSA P-256)");
                let tag = d.key_tag().unwrap_or(0);
                self.data(
                    at + 4,
                    public_key.len(),
                    p("publicKey"),
                    format!("{} bytes", public_key.len()),
                    &format!("public key (key tag {tag})"),
                );
            }
            Rdata::Rrsig {
                signer, signature, ..
            } => {
                self.u16_field(at, p("typeCovered"), "type of the RRset signed");
                let covered = self.be16(at).map(Rtype);
                if let (Some(last), Some(t)) = (self.rows.last_mut(), covered) {
                    last.value = format!("{} ({t})", t.0);
                }
                self.u8_field(at + 2, p("algorithm"), "DNSSEC algorithm");
                self.u8_field(at + 3, p("labels"), "labels in the owner name");
                self.u32_field(at + 4, p("originalTtl"), "TTL of the RRset", true);
                self.u32_field(
                    at + 8,
                    p("expiration"),
                    "valid until (seconds since 1970)",
                    false,
                );
                self.u32_field(
                    at + 12,
                    p("inception"),
                    "valid from (seconds since 1970)",
                    false,
                );
                self.u16_field(at + 16, p("keyTag"), "key tag of the signing DNSKEY");
                self.name(&signer, &p("signer"), "signer's name (the zone)");
                self.data(
                    signer.end(),
                    signature.len(),
                    p("signature"),
                    format!("{} bytes", signature.len()),
                    "the signature",
                );
            }
            Rdata::Nsec { next, types } => {
                self.name(&next, &p("next"), "next name in the zone");
                self.data(
                    next.end(),
                    end - next.end(),
                    p("types"),
                    types.to_string(),
                    "type bitmap: the types that exist at the owner",
                );
            }
            Rdata::Rp { mbox, txt } => {
                self.name(&mbox, &p("mbox"), "mailbox of the responsible person");
                self.name(&txt, &p("txtdname"), "name of a TXT record with more");
            }
            Rdata::Afsdb { hostname, .. } => {
                self.u16_field(at, p("subtype"), "subtype (1: AFS cell database)");
                self.name(&hostname, &p("hostname"), "server");
            }
            Rdata::Naptr {
                flags,
                services,
                regexp,
                replacement,
                ..
            } => {
                self.u16_field(at, p("order"), "order: lower is processed first");
                self.u16_field(at + 2, p("preference"), "preference among equal orders");
                let mut pos = at + 4;
                for (f, v, m) in [
                    ("flags", flags, "flags"),
                    ("services", services, "services"),
                    ("regexp", regexp, "substitution expression"),
                ] {
                    self.data(
                        pos,
                        1 + v.len(),
                        p(f),
                        crate::dns::rdata::Quoted(v).to_string(),
                        m,
                    );
                    pos += 1 + v.len();
                }
                self.name(&replacement, &p("replacement"), "replacement name");
            }
            Rdata::Tlsa { data, .. } => {
                self.u8_field(at, p("usage"), "certificate usage (3: DANE-EE)");
                self.u8_field(at + 1, p("selector"), "selector (0: full cert, 1: key)");
                self.u8_field(at + 2, p("matchingType"), "matching type (1: SHA-256)");
                self.data(
                    at + 3,
                    data.len(),
                    p("data"),
                    format!("{} bytes", data.len()),
                    "certificate association data",
                );
            }
            Rdata::Sshfp { fingerprint, .. } => {
                self.u8_field(at, p("algorithm"), "key algorithm (4: Ed25519)");
                self.u8_field(at + 1, p("fpType"), "fingerprint type (2: SHA-256)");
                self.data(
                    at + 2,
                    fingerprint.len(),
                    p("fingerprint"),
                    format!("{} bytes", fingerprint.len()),
                    "fingerprint",
                );
            }
            Rdata::Nsec3param { salt, .. } => {
                self.u8_field(at, p("hashAlgorithm"), "hash algorithm (1: SHA-1)");
                self.u8_field(at + 1, p("flags"), "flags");
                self.u16_field(at + 2, p("iterations"), "extra hash iterations");
                self.data(
                    at + 4,
                    1 + salt.len(),
                    p("salt"),
                    format!("{} bytes", salt.len()),
                    "salt, after its length byte",
                );
            }
            Rdata::Nsec3 {
                salt,
                next_hashed,
                types,
                ..
            } => {
                self.u8_field(at, p("hashAlgorithm"), "hash algorithm (1: SHA-1)");
                self.u8_field(at + 1, p("flags"), "flags (1: opt-out)");
                self.u16_field(at + 2, p("iterations"), "extra hash iterations");
                self.data(
                    at + 4,
                    1 + salt.len(),
                    p("salt"),
                    format!("{} bytes", salt.len()),
                    "salt, after its length byte",
                );
                let h = at + 5 + salt.len();
                self.data(
                    h,
                    1 + next_hashed.len(),
                    p("nextHashed"),
                    format!("{} bytes", next_hashed.len()),
                    "hash of the next name, after its length byte",
                );
                let t = h + 1 + next_hashed.len();
                if end > t {
                    self.data(
                        t,
                        end - t,
                        p("types"),
                        types.to_string(),
                        "type bitmap: the types at the hashed owner",
                    );
                }
            }
            Rdata::Svcb { target, params, .. } | Rdata::Https { target, params, .. } => {
                self.u16_field(at, p("priority"), "priority (0: alias mode)");
                self.name(&target, &p("target"), "target name (. is the owner)");
                for (i, sp) in params.iter().enumerate() {
                    let key = crate::dns::rdata::svc_key_name(sp.key).unwrap_or("unknown");
                    let n = sp.value.len();
                    let pp = p(&format!("param[{i}]"));
                    self.push(
                        sp.offset,
                        2,
                        format!("{pp}.key"),
                        Kind::Type,
                        format!("{} ({key})", sp.key),
                        "SvcParamKey".into(),
                    );
                    self.push(
                        sp.offset + 2,
                        2,
                        format!("{pp}.length"),
                        Kind::Length,
                        n.to_string(),
                        format!("{n} byte{} of value follow", plural(n)),
                    );
                    if n > 0 {
                        self.data(
                            sp.offset + 4,
                            n,
                            format!("{pp}.value"),
                            sp.to_string(),
                            "SvcParamValue",
                        );
                    }
                }
            }
            Rdata::Uri { target, .. } => {
                self.u16_field(at, p("priority"), "priority: lower is tried first");
                self.u16_field(at + 2, p("weight"), "weight among equal priorities");
                self.data(
                    at + 4,
                    target.len(),
                    p("target"),
                    crate::dns::rdata::Quoted(target).to_string(),
                    "the URI",
                );
            }
            Rdata::Opt(o) => {
                for (i, opt) in o.options().enumerate() {
                    let Ok(opt) = opt else { break };
                    let op = format!("{path}.option[{i}]");
                    let name = opt.name().unwrap_or("unknown");
                    let n = opt.data.len();
                    self.push(
                        opt.offset,
                        4 + n,
                        op.clone(),
                        Kind::Group,
                        format!("{name} ({})", opt.code),
                        format!("EDNS option {}", i + 1),
                    );
                    self.push(
                        opt.offset,
                        2,
                        format!("{op}.code"),
                        Kind::Type,
                        opt.code.to_string(),
                        format!("option code: {name}"),
                    );
                    self.push(
                        opt.offset + 2,
                        2,
                        format!("{op}.length"),
                        Kind::Length,
                        n.to_string(),
                        format!("{n} byte{} of option data follow", plural(n)),
                    );
                    if n > 0 {
                        self.option_data(opt.code, opt.data_offset(), opt.data, &op, &opt);
                    }
                }
            }
            _ => {
                if r.rdata.is_empty() {
                    return;
                }
                self.data(
                    at,
                    r.rdata.len(),
                    path.to_string(),
                    d.to_string(),
                    &format!("{} RDATA", r.rtype),
                );
            }
        }
    }

    /// The data of one EDNS option, field by field for the common options.
    fn option_data(
        &mut self,
        code: u16,
        at: usize,
        data: &[u8],
        path: &str,
        whole: &dyn core::fmt::Display,
    ) {
        use crate::dns::edns::code as c;
        let p = |f: &str| format!("{path}.{f}");
        let hex = |b: &[u8]| {
            b.iter().fold(String::new(), |mut s, x| {
                let _ = write!(s, "{x:02x}");
                s
            })
        };
        let n = data.len();
        match (code, data) {
            (c::COOKIE, _) if (8..=40).contains(&n) => {
                let (client, server) = data.split_at(8);
                self.data(
                    at,
                    8,
                    p("clientCookie"),
                    hex(client),
                    "client cookie: the client's random 8 bytes",
                );
                if !server.is_empty() {
                    self.data(
                        at + 8,
                        server.len(),
                        p("serverCookie"),
                        hex(server),
                        "server cookie: the client sends it back next time",
                    );
                }
            }
            (c::CLIENT_SUBNET, [f0, f1, source, scope, addr @ ..]) => {
                let family = u16::from_be_bytes([*f0, *f1]);
                let fam = match family {
                    1 => "1 (IPv4)".to_string(),
                    2 => "2 (IPv6)".to_string(),
                    x => x.to_string(),
                };
                self.data(at, 2, p("family"), fam, "address family");
                self.data(
                    at + 2,
                    1,
                    p("sourcePrefix"),
                    source.to_string(),
                    "source prefix length: bits of the client address sent",
                );
                self.data(
                    at + 3,
                    1,
                    p("scopePrefix"),
                    scope.to_string(),
                    "scope prefix length: bits the answer depends on",
                );
                if !addr.is_empty() {
                    self.data(
                        at + 4,
                        addr.len(),
                        p("address"),
                        hex(addr),
                        "the client's address, cut to the source prefix",
                    );
                }
            }
            (c::EDE, [i0, i1, text @ ..]) => {
                let info = u16::from_be_bytes([*i0, *i1]);
                let name = crate::dns::edns::ede_info_text(info).unwrap_or("unknown");
                self.data(
                    at,
                    2,
                    p("infoCode"),
                    format!("{info} ({name})"),
                    "extended DNS error code (RFC 8914)",
                );
                if !text.is_empty() {
                    self.data(
                        at + 2,
                        text.len(),
                        p("extraText"),
                        crate::dns::rdata::Quoted(text).to_string(),
                        "extra text from the server",
                    );
                }
            }
            (c::TCP_KEEPALIVE, [a, b]) => {
                let t = u16::from_be_bytes([*a, *b]);
                self.data(
                    at,
                    2,
                    p("timeout"),
                    format!("{t} ({}.{} s)", t / 10, t % 10),
                    "idle timeout, in units of 100 ms",
                );
            }
            (c::PADDING, _) => {
                let zeros = data.iter().all(|&b| b == 0);
                self.data(
                    at,
                    n,
                    p("padding"),
                    format!("{n} byte{}", plural(n)),
                    if zeros {
                        "padding (zeros) to hide the message size"
                    } else {
                        "padding (should be zeros)"
                    },
                );
            }
            (c::NSID, _) => self.data(
                at,
                n,
                p("nsid"),
                crate::dns::rdata::Quoted(data).to_string(),
                "name server identifier",
            ),
            _ => self.data(at, n, p("data"), whole.to_string(), "option data"),
        }
    }

    /// The entry at `at` that failed with `e`: its fields up to the failing byte, the error,
    /// then the rest of the message as unparsed.
    fn partial_entry(&mut self, s: Section, i: usize, at: usize, e: Error) {
        let path = format!("{}[{i}]", section_path(s));
        let stop = usize::from(e.offset).min(self.bytes.len());
        // Fixed fields shown after the name (3 for a record: up to its RDLENGTH).
        let mut fixed_shown = 0;
        if !matches!(e.kind, ErrorKind::CountBeyondData { .. }) && at < stop {
            self.push(
                at,
                stop - at,
                path.clone(),
                Kind::Group,
                "(malformed)".into(),
                format!("{} {}: decoded up to the error", section_path(s), i + 1),
            );
            // The name, physically, up to the failing byte.
            let mut pos = at;
            let mut li = 0;
            let mut name_done = false;
            while pos < stop {
                let Some(&b) = self.bytes.get(pos) else { break };
                match b {
                    0 => {
                        self.push(
                            pos,
                            1,
                            format!("{path}.name.root"),
                            Kind::Root,
                            ".".into(),
                            "root label (length 0): end of the name".into(),
                        );
                        pos += 1;
                        name_done = true;
                        break;
                    }
                    1..=63 => {
                        let n = usize::from(b);
                        if pos + 1 + n > stop {
                            break;
                        }
                        let label = self.bytes.get(pos + 1..pos + 1 + n).unwrap_or(&[]);
                        let mut v = String::from("\"");
                        for &c in label {
                            match c {
                                b'"' | b'\\' => {
                                    v.push('\\');
                                    v.push(char::from(c));
                                }
                                0x21..=0x7e => v.push(char::from(c)),
                                _ => {
                                    let _ = write!(v, "\\{c:03}");
                                }
                            }
                        }
                        v.push('"');
                        self.push(
                            pos,
                            1 + n,
                            format!("{path}.name.label[{li}]"),
                            Kind::Label,
                            v,
                            format!("length byte {n}, then {n} byte{}", plural(n)),
                        );
                        li += 1;
                        pos += 1 + n;
                    }
                    _ if b & 0xc0 == 0xc0 && pos + 2 <= stop => {
                        let t = usize::from(self.be16(pos).unwrap_or(0) & 0x3fff);
                        self.push(
                            pos,
                            2,
                            format!("{path}.name.pointer"),
                            Kind::Pointer,
                            format!("-> {t:#06x}"),
                            format!("compression pointer to offset {t:#06x}"),
                        );
                        pos += 2;
                        name_done = true;
                        break;
                    }
                    _ => break,
                }
            }
            if name_done {
                let fixed: &[(&str, usize, Kind)] = if s == Section::Question {
                    &[("qtype", 2, Kind::Type), ("qclass", 2, Kind::Class)]
                } else {
                    &[
                        ("type", 2, Kind::Type),
                        ("class", 2, Kind::Class),
                        ("ttl", 4, Kind::Ttl),
                        ("rdlength", 2, Kind::Length),
                    ]
                };
                for &(f, n, kind) in fixed {
                    if pos + n > stop {
                        break;
                    }
                    let (value, meaning) = match (kind, n) {
                        (Kind::Type, _) => {
                            let t = Rtype(self.be16(pos).unwrap_or(0));
                            (t.0.to_string(), type_meaning(t))
                        }
                        (Kind::Class, _) => {
                            let c = Class(self.be16(pos).unwrap_or(0));
                            (c.0.to_string(), class_meaning(c))
                        }
                        (_, 4) => (
                            duration(self.be32(pos).unwrap_or(0)),
                            "time to live".to_string(),
                        ),
                        _ => (
                            self.be16(pos).unwrap_or(0).to_string(),
                            "length of the RDATA".to_string(),
                        ),
                    };
                    self.push(pos, n, format!("{path}.{f}"), kind, value, meaning);
                    pos += n;
                    fixed_shown += 1;
                }
            }
        }
        let rdlength = self.be16(stop).map(usize::from);
        match (s, fixed_shown, e.kind, rdlength) {
            // The RDATA is shorter than RDLENGTH says: mark the RDLENGTH, say how short.
            (Section::Question, ..) => self.error(format!("{path}.error"), &e),
            (_, 3, ErrorKind::Truncated { .. }, Some(claimed)) => {
                let left = self.bytes.len() - stop - 2;
                self.error(format!("{path}.rdlength"), &e);
                if let Some(last) = self.rows.last_mut() {
                    last.len = 2;
                    let _ = write!(
                        last.meaning,
                        ": RDLENGTH says {claimed} byte{} of RDATA follow, but the message \
                         has {left} more",
                        plural(claimed)
                    );
                }
            }
            _ => self.error(format!("{path}.error"), &e),
        }
        let marked = self.rows.last().map_or(stop, |r| r.offset + r.len);
        self.unparsed(marked.max(stop));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(bytes: &[u8]) -> Vec<(usize, usize, String, Kind)> {
        explain(bytes, lints::Dialect::Unicast)
            .into_iter()
            .map(|f| (f.offset, f.len, f.path, f.kind))
            .collect()
    }

    /// samples/dns.pcapng frame 2: the answer's owner is a pointer to the question's name.
    const RESPONSE: &[u8] = &[
        0x03, 0xa6, 0x85, 0x00, 0, 1, 0, 1, 0, 0, 0, 0, // header
        3, b'w', b'w', b'w', 3, b'l', b'a', b'b', 7, b'e', b'x', b'a', b'm', b'p', b'l', b'e',
        0, // 0x0c QNAME
        0, 1, 0, 1, // 0x1d A IN
        0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 1, 0x2c, 0, 4, 192, 0, 2, 10, // 0x21 answer
    ];

    #[test]
    fn every_byte_of_a_response_is_covered_once_by_leaf_fields() {
        let fields = explain(RESPONSE, lints::Dialect::Unicast);
        let mut covered = vec![0u8; RESPONSE.len()];
        for f in &fields {
            if matches!(
                f.kind,
                Kind::Group | Kind::Name | Kind::Flag | Kind::Lint | Kind::Error
            ) {
                continue;
            }
            for c in covered.iter_mut().skip(f.offset).take(f.len) {
                *c += 1;
            }
        }
        assert!(covered.iter().all(|&c| c == 1), "{covered:?}");
    }

    #[test]
    fn pointer_row_names_its_target() {
        let f = explain(RESPONSE, lints::Dialect::Unicast);
        let p = f.iter().find(|f| f.kind == Kind::Pointer).unwrap();
        assert_eq!((p.offset, p.len), (0x21, 2));
        assert_eq!(p.path, "answer[0].name.pointer");
        assert_eq!(p.value, "-> 0x000c");
        assert!(
            p.meaning.ends_with("at 0x000c: www.lab.example."),
            "{}",
            p.meaning
        );
        let a = f
            .iter()
            .find(|f| f.path == "answer[0].rdata.address")
            .unwrap();
        assert_eq!((a.offset, a.len, a.value.as_str()), (0x2d, 4, "192.0.2.10"));
        let ttl = f.iter().find(|f| f.path == "answer[0].ttl").unwrap();
        assert_eq!(ttl.value, "300 (5m)");
    }

    #[test]
    fn flags_are_shown_bit_by_bit() {
        let f = explain(RESPONSE, lints::Dialect::Unicast);
        let flags: Vec<_> = f
            .iter()
            .filter(|f| f.kind == Kind::Flag)
            .map(|f| (f.short_name().to_string(), f.value.clone(), f.mask))
            .collect();
        assert_eq!(flags.len(), 10);
        assert_eq!(flags[0], ("QR".into(), "1".into(), Some(0x8000)));
        assert_eq!(flags[1], ("Opcode".into(), "0".into(), Some(0x7800)));
        assert_eq!(flags[2], ("AA".into(), "1".into(), Some(0x0400)));
        assert_eq!(flags[9], ("RCODE".into(), "0".into(), Some(0x000f)));
    }

    #[test]
    fn malformed_question_is_laid_out_to_the_failing_byte() {
        // bad-client.pcap frame 3: no root label; QCLASS has one byte.
        let mut m = vec![0x0b, 0x02, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        m.extend_from_slice(b"\x03www\x03lab\x07example"); // 0x0c..0x1c
        m.extend_from_slice(&[0, 1, 0, 1]); // 0x1c
        let r = rows(&m);
        let tail: Vec<_> = r.iter().skip_while(|x| x.2 != "question[0]").collect();
        let paths: Vec<&str> = tail.iter().map(|x| x.2.as_str()).collect();
        assert_eq!(
            paths,
            [
                "question[0]",
                "question[0].name.label[0]",
                "question[0].name.label[1]",
                "question[0].name.label[2]",
                "question[0].name.root",
                "lint.name-without-root",
                "question[0].qtype",
                "question[0].error",
            ]
        );
        let e = tail.last().unwrap();
        assert_eq!((e.0, e.1, e.3), (0x1f, 1, Kind::Error));
    }

    #[test]
    fn short_header_marks_where_it_ends() {
        let r = explain(&[0x12, 0x34, 0x01], lints::Dialect::Unicast);
        assert_eq!(r[1].path, "header.id");
        let e = r.last().unwrap();
        assert_eq!((e.kind, e.offset, e.len), (Kind::Error, 2, 1));
        assert_eq!(e.meaning, "needs 10 bytes here but only 1 is left");
        assert!(explain(&[], lints::Dialect::Unicast)
            .iter()
            .any(|f| f.kind == Kind::Error));
    }

    #[test]
    fn bad_rdata_is_shown_raw_and_the_walk_goes_on() {
        // An A record with 5 bytes of RDATA, then a good one.
        let mut m = vec![0, 1, 0x85, 0, 0, 0, 0, 2, 0, 0, 0, 0];
        m.extend_from_slice(&[0, 0, 1, 0, 1, 0, 0, 0, 60, 0, 5, 1, 2, 3, 4, 5]); // 0x0c
        m.extend_from_slice(&[0, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 9, 9, 9, 9]); // 0x1c
        let f = explain(&m, lints::Dialect::Unicast);
        let e = f.iter().find(|f| f.kind == Kind::Error).unwrap();
        assert_eq!(e.path, "answer[0].rdata.error");
        assert_eq!((e.offset, e.len), (0x17, 5));
        assert!(f
            .iter()
            .any(|f| f.path == "answer[1].rdata.address" && f.value == "9.9.9.9"));
    }

    #[test]
    fn rdata_shorter_than_rdlength_marks_the_rdlength() {
        // Answer: root owner, A, IN, TTL 60, RDLENGTH 8 but only 4 bytes follow.
        let mut m = vec![0, 1, 0x85, 0, 0, 0, 0, 1, 0, 0, 0, 0];
        m.extend_from_slice(&[0, 0, 1, 0, 1, 0, 0, 0, 60, 0, 8, 1, 2, 3, 4]);
        let f = explain(&m, lints::Dialect::Unicast);
        let e = f.iter().find(|f| f.kind == Kind::Error).unwrap();
        assert_eq!((e.offset, e.len), (0x15, 2));
        assert_eq!(e.path, "answer[0].rdlength");
        assert!(
            e.meaning
                .ends_with("RDLENGTH says 8 bytes of RDATA follow, but the message has 4 more"),
            "{}",
            e.meaning
        );
        let last = f.last().unwrap();
        assert_eq!(
            (last.kind, last.offset, last.len),
            (Kind::Unparsed, 0x17, 4)
        );
    }

    #[test]
    fn trailing_bytes_and_lint_rows_are_in_place() {
        let mut m = vec![0, 1, 0x01, 0x40, 0, 1, 0, 0, 0, 0, 0, 0];
        m.extend_from_slice(&[0, 1, 0, 1, 0, 0xee]);
        let f = explain(&m, lints::Dialect::Unicast);
        let paths: Vec<&str> = f.iter().map(|f| f.path.as_str()).collect();
        let z = paths.iter().position(|p| *p == "lint.z-bit").unwrap();
        assert_eq!(paths[z - 1], "header.flags.RCODE");
        assert_eq!(
            &paths[paths.len() - 2..],
            ["trailing", "lint.trailing-bytes"]
        );
    }

    #[test]
    fn edns_options_are_split_into_their_fields() {
        // Query with OPT: COOKIE (client 8 + server 16), EDE 18 "no", ECS 1/24/0 192.0.2.
        let mut m = vec![0, 1, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        let mut opts = vec![0, 10, 0, 24];
        opts.extend(1..=24u8);
        opts.extend_from_slice(&[0, 15, 0, 4, 0, 18, b'n', b'o']);
        opts.extend_from_slice(&[0, 8, 0, 7, 0, 1, 24, 0, 192, 0, 2]);
        m.extend_from_slice(&[0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0]);
        m.extend_from_slice(&(opts.len() as u16).to_be_bytes());
        m.extend_from_slice(&opts);
        let f = explain(&m, lints::Dialect::Unicast);
        let get = |p: &str| {
            f.iter()
                .find(|f| f.path == format!("additional[0].rdata.{p}"))
                .unwrap_or_else(|| panic!("{p}: {f:#?}"))
        };
        assert_eq!(get("option[0].clientCookie").value, "0102030405060708");
        assert_eq!(get("option[0].serverCookie").len, 16);
        assert_eq!(get("option[1].infoCode").value, "18 (Prohibited)");
        assert_eq!(get("option[1].extraText").value, "\"no\"");
        assert_eq!(get("option[2].sourcePrefix").value, "24");
        assert_eq!(get("option[2].address").value, "c00002");
        let dnssec_ok = f
            .iter()
            .find(|f| f.path == "additional[0].flags.DO")
            .unwrap();
        assert_eq!(dnssec_ok.value, "1");
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_give_rows_inside_the_message_in_ascii(
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)
        ) {
            for f in explain(&bytes, lints::Dialect::Unicast) {
                proptest::prop_assert!(f.offset + f.len <= bytes.len(), "{f:?}");
                for s in [&f.value, &f.meaning, &f.path] {
                    proptest::prop_assert!(s.bytes().all(|b| (0x20..0x7f).contains(&b)), "{s:?}");
                }
            }
        }

        #[test]
        fn mutated_responses_give_rows_inside_the_message(
            at in 0usize..49, byte in proptest::num::u8::ANY, cut in 0usize..49
        ) {
            let mut m = RESPONSE.to_vec();
            m[at] = byte;
            m.truncate(49 - cut);
            let rows = explain(&m, lints::Dialect::Unicast);
            proptest::prop_assert!(!rows.is_empty());
            for f in rows {
                proptest::prop_assert!(f.offset + f.len <= m.len(), "{f:?}");
            }
        }
    }

    #[test]
    fn text_is_ascii_without_control_characters() {
        // A label with a newline, an escape and a quote; a TXT string with control bytes.
        let mut m = vec![0, 1, 0x85, 0, 0, 0, 0, 1, 0, 0, 0, 0];
        m.extend_from_slice(&[4, b'a', b'\n', b'"', 0x1b, 0]); // 0x0c owner
        m.extend_from_slice(&[0, 16, 0, 1, 0, 0, 0, 60, 0, 4, 3, 0x07, b'\\', 0xff]);
        for f in explain(&m, lints::Dialect::Unicast) {
            for s in [&f.value, &f.meaning, &f.path] {
                assert!(s.bytes().all(|b| (0x20..0x7f).contains(&b)), "{s:?}");
            }
        }
    }
}
