//! JSON views: RFC 8427 message objects, transactions, diagnostics, the summary.
//!
//! Every view borrows; nothing builds an intermediate `String` for names or
//! RDATA: `collect_str` writes their presentation format straight into the
//! output, escaping on the fly.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use std::cell::RefCell;

use crate::dns::{self, Entries, Entry, Section};
use crate::error::Diagnostic;
use crate::meta::MessageMeta;
use crate::txn::Transaction;

use super::{hex, Files, Summary};

/// One DNS message as an RFC 8427 object, plus our own `file`, `frame` and
/// decoding notes.
pub struct MessageJson<'a> {
    pub files: &'a Files,
    pub meta: &'a MessageMeta,
    pub bytes: &'a [u8],
}

struct Hex<'a>(&'a [u8]);

impl Serialize for Hex<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&hex::Upper(self.0))
    }
}

fn bit(b: bool) -> u8 {
    u8::from(b)
}

impl Serialize for MessageJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let meta = self.meta;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("file", self.files.name(meta.file))?;
        m.serialize_entry("frame", &meta.frame)?;
        m.serialize_entry("dateSeconds", &meta.ts.as_secs_f64())?;
        m.serialize_entry("dateString", &meta.ts.to_rfc3339())?;
        m.serialize_entry("ipProtocol", &meta.ip_protocol())?;
        m.serialize_entry("sourceAddress", &meta.src)?;
        m.serialize_entry("sourcePort", &meta.sport)?;
        m.serialize_entry("destinationAddress", &meta.dst)?;
        m.serialize_entry("destinationPort", &meta.dport)?;
        m.serialize_entry("messageLength", &self.bytes.len())?;
        if meta.cut {
            m.serialize_entry("cutByCapture", &true)?;
        }
        let msg = match dns::Message::parse(self.bytes) {
            Ok(msg) => msg,
            Err(e) => {
                m.serialize_entry("messageOctetsHEX", &Hex(self.bytes))?;
                m.serialize_entry("error", &ErrorJson(e))?;
                m.serialize_entry("lint", &LintJson::of(self.bytes, dialect(meta)))?;
                return m.end();
            }
        };
        let h = msg.header();
        m.serialize_entry("ID", &h.id)?;
        m.serialize_entry("QR", &bit(h.qr()))?;
        m.serialize_entry("Opcode", &h.opcode().0)?;
        m.serialize_entry("AA", &bit(h.aa()))?;
        m.serialize_entry("TC", &bit(h.tc()))?;
        m.serialize_entry("RD", &bit(h.rd()))?;
        m.serialize_entry("RA", &bit(h.ra()))?;
        m.serialize_entry("AD", &bit(h.ad()))?;
        m.serialize_entry("CD", &bit(h.cd()))?;
        let rcode = msg.rcode();
        m.serialize_entry("RCODE", &rcode.0)?;
        m.serialize_entry("QDCOUNT", &h.qdcount)?;
        m.serialize_entry("ANCOUNT", &h.ancount)?;
        m.serialize_entry("NSCOUNT", &h.nscount)?;
        m.serialize_entry("ARCOUNT", &h.arcount)?;
        m.serialize_entry("opcodeName", &Display(&h.opcode()))?;
        m.serialize_entry("rcodeName", &Display(&rcode))?;
        // One walk serves the four sections (they come in wire order), then goes on
        // to the first error or the end.
        let walk = RefCell::new(msg.entries());
        m.serialize_entry("questionRRs", &SectionJson(&walk, Section::Question))?;
        m.serialize_entry("answerRRs", &SectionJson(&walk, Section::Answer))?;
        m.serialize_entry("authorityRRs", &SectionJson(&walk, Section::Authority))?;
        m.serialize_entry("additionalRRs", &SectionJson(&walk, Section::Additional))?;
        let lint = dns::lint::lint_with(&msg, dialect(meta));
        m.serialize_entry("lint", &LintJson(lint))?;
        let mut entries = walk.into_inner();
        let walk_error = entries.by_ref().find_map(Result::err);
        match walk_error {
            Some(e) => m.serialize_entry("error", &ErrorJson(e))?,
            None => {
                let trailing = entries.trailing();
                if trailing > 0 {
                    m.serialize_entry("trailingBytes", &trailing)?;
                }
            }
        }
        m.end()
    }
}

/// Lint findings (`dns::lint`): `[{offset, length, code, severity, message}]`.
pub struct LintJson(pub Vec<dns::lint::Finding>);

impl LintJson {
    /// The findings of a message's bytes (none when the header does not parse).
    pub fn of(bytes: &[u8], dialect: dns::lint::Dialect) -> Self {
        Self(
            dns::Message::parse(bytes)
                .map_or_else(|_| Vec::new(), |m| dns::lint::lint_with(&m, dialect)),
        )
    }
}

/// The lint rules for a message: mDNS (port 5353) has its own.
pub fn dialect(meta: &MessageMeta) -> dns::lint::Dialect {
    match meta.port_kind {
        crate::net::PortKind::Mdns => dns::lint::Dialect::Multicast,
        _ => dns::lint::Dialect::Unicast,
    }
}

impl Serialize for LintJson {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for f in &self.0 {
            seq.serialize_element(&serde_json::json!({
                "offset": f.offset,
                "length": f.len,
                "code": f.code(),
                "severity": f.severity().as_str(),
                "message": f.to_string(),
            }))?;
        }
        seq.end()
    }
}

pub(super) struct ErrorJson(pub(super) dns::Error);

impl Serialize for ErrorJson {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("offset", &self.0.offset)?;
        m.serialize_entry("message", &self.0.to_string())?;
        m.end()
    }
}

/// One section of a message: takes the section's entries from a walk shared by
/// the four sections, in wire order; stops quietly at the first error (the error
/// itself is reported once, on the message, and stays in the walk for it).
struct SectionJson<'w, 'a>(&'w RefCell<Entries<'a>>, Section);

impl Serialize for SectionJson<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        loop {
            // Peek on a copy: an entry of a later section (or an error) is left for
            // the next section (or for the message's error).
            let entry = {
                let mut walk = self.0.borrow_mut();
                let mut ahead = walk.clone();
                match ahead.next() {
                    Some(Ok(e)) if e.section() == self.1 => {
                        *walk = ahead;
                        e
                    }
                    _ => break,
                }
            };
            match entry {
                Entry::Question(q) => seq.serialize_element(&QuestionJson(q))?,
                Entry::Record(_, r) => seq.serialize_element(&RecordJson(r))?,
            }
        }
        seq.end()
    }
}

struct QuestionJson<'a>(dns::Question<'a>);

impl Serialize for QuestionJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let q = &self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("NAME", &Display(&q.name))?;
        m.serialize_entry("TYPE", &q.qtype.0)?;
        m.serialize_entry("TYPEname", &Display(&q.qtype))?;
        m.serialize_entry("CLASS", &q.qclass.0)?;
        m.serialize_entry("CLASSname", &Display(&q.qclass))?;
        m.end()
    }
}

/// Serialises any `Display` value as a JSON string without building a `String`.
struct Display<'a, T: std::fmt::Display>(&'a T);

impl<T: std::fmt::Display> Serialize for Display<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self.0)
    }
}

struct RecordJson<'a>(dns::Record<'a>);

impl Serialize for RecordJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = &self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("NAME", &Display(&r.name))?;
        m.serialize_entry("TYPE", &r.rtype.0)?;
        m.serialize_entry("TYPEname", &Display(&r.rtype))?;
        m.serialize_entry("CLASS", &r.class.0)?;
        if r.rtype != dns::Rtype::OPT {
            m.serialize_entry("CLASSname", &Display(&r.class))?;
        }
        m.serialize_entry("TTL", &r.ttl)?;
        m.serialize_entry("RDLENGTH", &r.rdata.len())?;
        m.serialize_entry("RDATAHEX", &Hex(r.rdata))?;
        if r.rtype == dns::Rtype::OPT {
            match dns::Opt::from_record(r) {
                Ok(opt) => m.serialize_entry("EDNS", &OptJson(opt))?,
                Err(e) => m.serialize_entry("rdataError", &ErrorJson(e))?,
            }
            return m.end();
        }
        match r.data() {
            Ok(dns::Rdata::Unknown { .. }) => {}
            Ok(data) => {
                // "rdata" + the mnemonic, on the stack (a known type always has one).
                let mut key = [0u8; 32];
                let name = r.rtype.name().unwrap_or("Unknown");
                let len = 5 + name.len();
                if let Some(dst) = key.get_mut(..len) {
                    let (head, tail) = dst.split_at_mut(5);
                    head.copy_from_slice(b"rdata");
                    tail.copy_from_slice(name.as_bytes());
                }
                let key =
                    std::str::from_utf8(key.get(..len).unwrap_or_default()).unwrap_or("rdata");
                m.serialize_entry(key, &Display(&data))?;
            }
            Err(e) => m.serialize_entry("rdataError", &ErrorJson(e))?,
        }
        m.end()
    }
}

struct OptJson<'a>(dns::Opt<'a>);

impl Serialize for OptJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let o = &self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("udpPayloadSize", &o.udp_payload_size)?;
        m.serialize_entry("extendedRcodeHigh", &o.ext_rcode_hi)?;
        m.serialize_entry("version", &o.version)?;
        m.serialize_entry("DO", &bit(o.dnssec_ok))?;
        m.serialize_entry("options", &OptionsJson(*o))?;
        m.end()
    }
}

struct OptionsJson<'a>(dns::Opt<'a>);

impl Serialize for OptionsJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        for opt in self.0.options() {
            let Ok(opt) = opt else { break };
            seq.serialize_element(&OptionJson(opt))?;
        }
        seq.end()
    }
}

struct OptionJson<'a>(dns::EdnsOption<'a>);

impl Serialize for OptionJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let o = &self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("code", &o.code)?;
        if let Some(name) = o.name() {
            m.serialize_entry("name", name)?;
        }
        m.serialize_entry("dataHEX", &Hex(o.data))?;
        m.serialize_entry("text", &Display(o))?;
        m.end()
    }
}

/// A transaction: query, response, status, retransmissions, RTT.
pub struct TransactionJson<'a> {
    pub files: &'a Files,
    pub txn: &'a Transaction,
}

struct Frames<'a>(&'a [crate::txn::Attempt]);

impl Serialize for Frames<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|a| a.frame))
    }
}

struct AfterMs<'a>(&'a [crate::txn::Attempt], crate::capture::Timestamp);

impl Serialize for AfterMs<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(
            self.0
                .iter()
                .map(|a| micros_to_ms(a.ts.micros_since(&self.1))),
        )
    }
}

pub(super) struct IcmpJson<'a>(pub(super) &'a [crate::txn::IcmpNote]);

impl Serialize for IcmpJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for n in self.0 {
            seq.serialize_element(&serde_json::json!({
                "frame": n.frame,
                "kind": n.kind,
                "reporter": n.reporter,
            }))?;
        }
        seq.end()
    }
}

pub(crate) fn micros_to_ms(micros: i64) -> f64 {
    micros as f64 / 1000.0
}

impl Serialize for TransactionJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let t = self.txn;
        let mut m = s.serialize_map(None)?;
        if let Some(first) = t.first() {
            m.serialize_entry("file", self.files.name(first.meta.file))?;
        }
        m.serialize_entry("status", t.status.as_str())?;
        m.serialize_entry("rttMs", &t.rtt_micros().map(micros_to_ms))?;
        match &t.query {
            Some(q) => m.serialize_entry(
                "query",
                &MessageJson {
                    files: self.files,
                    meta: &q.meta,
                    bytes: &q.bytes,
                },
            )?,
            None => m.serialize_entry("query", &())?,
        }
        match &t.response {
            Some(r) => m.serialize_entry(
                "response",
                &MessageJson {
                    files: self.files,
                    meta: &r.meta,
                    bytes: &r.bytes,
                },
            )?,
            None => m.serialize_entry("response", &())?,
        }
        m.serialize_entry("retransmissions", &Frames(&t.retransmissions))?;
        if let Some(q) = &t.query {
            m.serialize_entry(
                "retransmissionAfterMs",
                &AfterMs(&t.retransmissions, q.meta.ts),
            )?;
        }
        m.serialize_entry("duplicateResponses", &Frames(&t.duplicates))?;
        m.serialize_entry("icmpErrors", &IcmpJson(&t.icmp_errors))?;
        m.serialize_entry("questionMismatch", &t.question_mismatch)?;
        if t.censored {
            m.serialize_entry("censored", &true)?;
        }
        if t.evicted {
            m.serialize_entry("evicted", &true)?;
        }
        m.end()
    }
}

pub struct DiagnosticJson<'a> {
    pub files: &'a Files,
    pub diag: &'a Diagnostic,
}

impl Serialize for DiagnosticJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let d = self.diag;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("file", self.files.name(d.file))?;
        m.serialize_entry("frame", &d.frame)?;
        m.serialize_entry("layer", d.layer.as_str())?;
        m.serialize_entry("fileOffset", &d.file_offset)?;
        m.serialize_entry("dnsOffset", &d.dns_offset)?;
        m.serialize_entry("message", &d.message)?;
        m.end()
    }
}

pub struct SummaryJson<'a> {
    pub files: &'a Files,
    pub summary: &'a Summary,
    /// Include the per-file list (NDJSON has no other place for it).
    pub with_files: bool,
}

impl Serialize for SummaryJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let x = self.summary;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("files", &x.files)?;
        m.serialize_entry("unreadableFiles", &x.unreadable_files)?;
        m.serialize_entry("frames", &x.frames)?;
        m.serialize_entry("nonDnsFrames", &x.non_dns_frames)?;
        m.serialize_entry("messages", &x.messages)?;
        m.serialize_entry("queries", &x.queries)?;
        m.serialize_entry("responses", &x.responses)?;
        m.serialize_entry("malformed", &x.malformed)?;
        m.serialize_entry("cutByCapture", &x.cut)?;
        m.serialize_entry("icmpErrors", &x.icmp_errors)?;
        m.serialize_entry("transactions", &x.pairing.transactions)?;
        m.serialize_entry("answered", &x.pairing.answered)?;
        m.serialize_entry("unanswered", &x.pairing.unanswered)?;
        m.serialize_entry("unsolicited", &x.pairing.unsolicited)?;
        m.serialize_entry("announcements", &x.pairing.announcements)?;
        m.serialize_entry("retransmissions", &x.pairing.retransmissions)?;
        m.serialize_entry("duplicateResponses", &x.pairing.duplicates)?;
        m.serialize_entry("questionMismatches", &x.pairing.question_mismatches)?;
        m.serialize_entry("diagnostics", &x.diagnostics)?;
        if self.with_files {
            m.serialize_entry("fileList", &FilesJson(self.files))?;
        }
        m.end()
    }
}

/// The `files` member of the JSON document.
pub struct FilesJson<'a>(pub &'a Files);

impl Serialize for FilesJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.list.len()))?;
        for f in &self.0.list {
            seq.serialize_element(f)?;
        }
        seq.end()
    }
}
