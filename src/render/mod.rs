//! Rendering: tables for people, JSON and NDJSON for scripts.
//!
//! Renderers see messages as (context, bytes) and parse them again when they
//! draw them; they never look at frames, links or the environment (the colour
//! decision is made once, in `app`).

pub mod explain;
pub mod hex;
pub mod html;
pub mod json;
mod jsonw;
mod ndjson;
pub mod table;

use std::io::{self, IsTerminal, Write};

use serde::Serialize;

use crate::capture::Timestamp;
use crate::dns;
use crate::error::Diagnostic;
use crate::meta::MessageMeta;
use crate::txn::{Counts, Transaction};

/// Version of the JSON output; bumped when a change is not additive.
pub const JSON_VERSION: u32 = 1;

/// What one input file turned out to be, filled in as it is read.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileInfo {
    pub path: String,
    /// `pcap` or `pcapng`; absent when the file could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    pub compressed: bool,
    pub frames: u64,
    pub dns_messages: u64,
    /// Time of the first frame.
    #[serde(skip)]
    pub first_ts: Option<Timestamp>,
    /// Why the file could not be read at all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Where reading stopped early (a cut-off or damaged file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truncated: Option<String>,
}

/// The files of a run, indexed by `MessageMeta::file`.
#[derive(Clone, Debug, Default)]
pub struct Files {
    pub list: Vec<FileInfo>,
}

impl Files {
    pub fn name(&self, idx: u32) -> &str {
        self.list.get(idx as usize).map_or("?", |f| f.path.as_str())
    }

    pub fn first_ts(&self, idx: u32) -> Option<Timestamp> {
        self.list.get(idx as usize).and_then(|f| f.first_ts)
    }
}

/// Totals over the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub files: u64,
    pub unreadable_files: u64,
    pub frames: u64,
    pub non_dns_frames: u64,
    pub messages: u64,
    pub queries: u64,
    pub responses: u64,
    pub malformed: u64,
    pub cut: u64,
    /// ICMP errors quoting a DNS message.
    pub icmp_errors: u64,
    pub diagnostics: u64,
    pub pairing: Counts,
}

impl Summary {
    pub fn add_pairing(&mut self, c: Counts) {
        let p = &mut self.pairing;
        p.transactions += c.transactions;
        p.answered += c.answered;
        p.unanswered += c.unanswered;
        p.unsolicited += c.unsolicited;
        p.announcements += c.announcements;
        p.retransmissions += c.retransmissions;
        p.duplicates += c.duplicates;
        p.question_mismatches += c.question_mismatches;
        p.evicted += c.evicted;
    }

    /// The one-line summary under a table.
    pub fn line(&self, transactions: bool) -> String {
        let mut s = format!(
            "{} DNS messages ({} queries, {} responses)",
            self.messages, self.queries, self.responses
        );
        if transactions {
            let p = &self.pairing;
            s.push_str(&format!(
                ", {} transactions: {} answered, {} unanswered, {} unsolicited",
                p.transactions, p.answered, p.unanswered, p.unsolicited
            ));
            if p.announcements > 0 {
                s.push_str(&format!(", {} mDNS announcements", p.announcements));
            }
            if p.retransmissions > 0 {
                s.push_str(&format!(", {} retransmissions", p.retransmissions));
            }
        }
        s.push_str(&format!(
            "; {} malformed, {} cut by the capture, {} non-DNS frames of {} frames in {} file{}",
            self.malformed,
            self.cut,
            self.non_dns_frames,
            self.frames,
            self.files,
            if self.files == 1 { "" } else { "s" }
        ));
        s
    }
}

/// Where results go, one implementation per output format.
pub trait Sink {
    fn message(&mut self, files: &Files, meta: &MessageMeta, bytes: &[u8]) -> io::Result<()>;
    fn transaction(&mut self, files: &Files, txn: &Transaction) -> io::Result<()>;
    fn diagnostic(&mut self, files: &Files, diag: &Diagnostic) -> io::Result<()>;
    fn finish(&mut self, files: &Files, summary: &Summary) -> io::Result<()>;

    /// [`Sink::message`], with the message's RCODE (extended by EDNS) and first
    /// question (with its name's hash) as the reading half's walk found them,
    /// for sinks that would otherwise walk the message again. The default
    /// ignores them.
    fn walked_message(
        &mut self,
        files: &Files,
        meta: &MessageMeta,
        bytes: &[u8],
        _rcode: dns::Rcode,
        _question: Option<&crate::txn::FirstQuestion<'_>>,
    ) -> io::Result<()> {
        self.message(files, meta, bytes)
    }
}

/// Standard output, locked and buffered: line-buffered to a terminal, block
/// buffered otherwise (a pipe or a file).
pub fn stdout() -> Box<dyn Write> {
    let out = io::stdout();
    if out.is_terminal() {
        Box::new(io::LineWriter::new(out.lock()))
    } else {
        Box::new(io::BufWriter::with_capacity(64 * 1024, out.lock()))
    }
}

/// What a run lists: transactions (paired) or single messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Listing {
    Transactions,
    Messages,
}

/// The JSON document: items stream into one array as they come; files,
/// diagnostics and the summary follow it.
pub struct JsonSink {
    out: Box<dyn Write>,
    listing: Listing,
    items: u64,
    diagnostics: Vec<Diagnostic>,
    /// Each item is serialized here first (see `NdjsonSink::buf`).
    buf: Vec<u8>,
}

/// Diagnostics kept for the JSON document; beyond this they are only counted.
const MAX_JSON_DIAGNOSTICS: usize = 10_000;

impl JsonSink {
    pub fn new(out: Box<dyn Write>, listing: Listing) -> Self {
        Self {
            out,
            listing,
            items: 0,
            diagnostics: Vec::new(),
            buf: Vec::with_capacity(16 * 1024),
        }
    }

    /// Writes one item, which `write` appends to the (cleared) buffer.
    fn item(&mut self, write: impl FnOnce(&mut Vec<u8>)) -> io::Result<()> {
        self.start_item()?;
        self.buf.clear();
        write(&mut self.buf);
        self.out.write_all(&self.buf)
    }

    fn start_item(&mut self) -> io::Result<()> {
        if self.items == 0 {
            let key = match self.listing {
                Listing::Transactions => "transactions",
                Listing::Messages => "messages",
            };
            writeln!(self.out, "{{\"version\":{JSON_VERSION},\"{key}\":[")?;
        } else {
            self.out.write_all(b",\n")?;
        }
        self.items += 1;
        Ok(())
    }
}

impl Sink for JsonSink {
    fn message(&mut self, files: &Files, meta: &MessageMeta, bytes: &[u8]) -> io::Result<()> {
        self.item(|buf| jsonw::message(buf, files, meta, bytes))
    }

    fn transaction(&mut self, files: &Files, txn: &Transaction) -> io::Result<()> {
        let (query, response) = (jsonw::bytes_of(&txn.query), jsonw::bytes_of(&txn.response));
        self.item(|buf| jsonw::transaction(buf, files, txn, query, response))
    }

    fn diagnostic(&mut self, _files: &Files, diag: &Diagnostic) -> io::Result<()> {
        if self.diagnostics.len() < MAX_JSON_DIAGNOSTICS {
            self.diagnostics.push(diag.clone());
        }
        Ok(())
    }

    fn finish(&mut self, files: &Files, summary: &Summary) -> io::Result<()> {
        if self.items == 0 {
            let key = match self.listing {
                Listing::Transactions => "transactions",
                Listing::Messages => "messages",
            };
            write!(self.out, "{{\"version\":{JSON_VERSION},\"{key}\":[")?;
        } else {
            self.out.write_all(b"\n")?;
        }
        self.out.write_all(b"],\n\"files\":")?;
        serde_json::to_writer(&mut self.out, &json::FilesJson(files))?;
        self.out.write_all(b",\n\"diagnostics\":[")?;
        for (i, diag) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                self.out.write_all(b",")?;
            }
            self.out.write_all(b"\n")?;
            serde_json::to_writer(&mut self.out, &json::DiagnosticJson { files, diag })?;
        }
        self.out.write_all(b"],\n\"summary\":")?;
        serde_json::to_writer(
            &mut self.out,
            &json::SummaryJson {
                files,
                summary,
                with_files: false,
            },
        )?;
        self.out.write_all(b"}\n")?;
        self.out.flush()
    }
}

/// NDJSON: one `{"type": ..., "data": ...}` event per line, written as it happens
/// (or, [`NdjsonSink::threaded`], rendered on a thread of its own and written in
/// order as soon as it is ready).
pub struct NdjsonSink {
    out: Box<dyn Write>,
    /// One event is serialized here, then written with one call: serde_json's many
    /// small writes then go to a `Vec` (inlined) instead of through `dyn Write`.
    buf: Vec<u8>,
    renderer: Option<ndjson::Renderer>,
}

impl NdjsonSink {
    pub fn new(out: Box<dyn Write>) -> Self {
        Self {
            out,
            buf: Vec::with_capacity(16 * 1024),
            renderer: None,
        }
    }

    /// Renders on a second thread (see `render::ndjson`); the same bytes.
    pub fn threaded(out: Box<dyn Write>) -> Self {
        Self {
            renderer: ndjson::Renderer::start(),
            ..Self::new(out)
        }
    }

    fn event<T: Serialize>(&mut self, kind: &str, data: &T) -> io::Result<()> {
        self.buf.clear();
        ndjson::line(&mut self.buf, kind, data)?;
        self.out.write_all(&self.buf)
    }
}

impl Sink for NdjsonSink {
    fn message(&mut self, files: &Files, meta: &MessageMeta, bytes: &[u8]) -> io::Result<()> {
        if let Some(r) = self.renderer.as_mut() {
            return r.message(files, meta, bytes, &mut self.out);
        }
        self.buf.clear();
        ndjson::message_line(&mut self.buf, files, meta, bytes);
        self.out.write_all(&self.buf)
    }

    fn transaction(&mut self, files: &Files, txn: &Transaction) -> io::Result<()> {
        if let Some(r) = self.renderer.as_mut() {
            return r.transaction(files, txn, &mut self.out);
        }
        self.buf.clear();
        ndjson::transaction_line(&mut self.buf, files, txn);
        self.out.write_all(&self.buf)
    }

    fn diagnostic(&mut self, files: &Files, diag: &Diagnostic) -> io::Result<()> {
        if let Some(r) = self.renderer.as_mut() {
            return r.diagnostic(files, diag, &mut self.out);
        }
        self.event("diagnostic", &json::DiagnosticJson { files, diag })
    }

    fn finish(&mut self, files: &Files, summary: &Summary) -> io::Result<()> {
        if let Some(r) = self.renderer.as_mut() {
            r.finish(&mut self.out)?;
        }
        self.event(
            "summary",
            &json::SummaryJson {
                files,
                summary,
                with_files: true,
            },
        )?;
        self.out.flush()
    }
}
