//! Tables for people (comfy-table): one row per transaction or per message.
//!
//! Names and TXT strings come from the wire, so they are only ever shown in
//! presentation format, which escapes every byte outside printable ASCII: no
//! control character from a capture reaches the terminal.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::net::IpAddr;

use comfy_table::{presets, Attribute, Cell, Color, ContentArrangement, Table};

use crate::dns::{self, Entry, Rcode, Section};
use crate::error::Diagnostic;
use crate::meta::MessageMeta;
use crate::net::Transport;
use crate::txn::{Status, Transaction};

use super::{Files, Listing, Sink, Summary};

/// Rows per table before it is printed and a new one started, so that memory
/// does not grow with the capture. comfy-table holds each cell with its own
/// allocations and lays the whole table out again when printing: 5 000 rows of
/// long names peaked at some 50 MB (issue 7), 1 000 stay near 10 MB.
const ROWS_PER_TABLE: usize = 1_000;
/// Answers shown in one cell before "+N more".
const MAX_ANSWERS_SHOWN: usize = 6;
/// A single answer longer than this is shortened in the table (JSON has it all).
const MAX_ANSWER_CHARS: usize = 80;

pub struct TableSink {
    out: Box<dyn Write>,
    listing: Listing,
    color: bool,
    /// Fit the table to the terminal's width; otherwise natural width (files,
    /// pipes, and stable golden tests).
    fit_terminal: bool,
    multi_file: bool,
    table: Option<Table>,
    rows: usize,
}

impl TableSink {
    pub fn new(
        out: Box<dyn Write>,
        listing: Listing,
        color: bool,
        fit_terminal: bool,
        multi_file: bool,
    ) -> Self {
        Self {
            out,
            listing,
            color,
            fit_terminal,
            multi_file,
            table: None,
            rows: 0,
        }
    }

    fn header(&self) -> Vec<&'static str> {
        let mut h = Vec::new();
        if self.multi_file {
            h.push("File");
        }
        match self.listing {
            Listing::Transactions => h.extend([
                "Frames",
                "Time",
                "Client → Server",
                "ID",
                "Question",
                "Result",
                "Answers",
                "RTT",
            ]),
            Listing::Messages => h.extend([
                "Frame",
                "Time",
                "Source → Destination",
                "ID",
                "Kind",
                "Question",
                "Flags",
                "RCODE",
                "Answers",
            ]),
        }
        h
    }

    fn new_table(&self) -> Table {
        let mut t = Table::new();
        t.load_preset(presets::UTF8_FULL_CONDENSED);
        if self.color {
            t.enforce_styling();
        }
        if self.fit_terminal {
            t.set_content_arrangement(ContentArrangement::Dynamic);
        } else {
            if !self.color {
                t.force_no_tty();
            }
            t.set_content_arrangement(ContentArrangement::Disabled);
        }
        let header: Vec<Cell> = self
            .header()
            .into_iter()
            .map(|h| {
                let c = Cell::new(h);
                if self.color {
                    c.add_attribute(Attribute::Bold)
                } else {
                    c
                }
            })
            .collect();
        t.set_header(header);
        t
    }

    fn push(&mut self, row: Vec<Cell>) -> io::Result<()> {
        if self.table.is_none() {
            self.table = Some(self.new_table());
        }
        if let Some(t) = self.table.as_mut() {
            t.add_row(row);
        }
        self.rows += 1;
        if self.rows >= ROWS_PER_TABLE {
            self.flush_table()?;
        }
        Ok(())
    }

    fn flush_table(&mut self) -> io::Result<()> {
        if let Some(t) = self.table.take() {
            writeln!(self.out, "{t}")?;
        }
        self.rows = 0;
        Ok(())
    }

    fn paint(&self, cell: Cell, color: Color) -> Cell {
        if self.color {
            cell.fg(color)
        } else {
            cell
        }
    }

    fn rcode_cell(&self, text: String, rcode: Rcode) -> Cell {
        let color = if rcode == Rcode::NOERROR {
            Color::Green
        } else {
            Color::Red
        };
        self.paint(Cell::new(text), color)
    }
}

fn endpoint(addr: IpAddr, port: u16) -> String {
    match addr {
        IpAddr::V4(a) => format!("{a}:{port}"),
        IpAddr::V6(a) => format!("[{a}]:{port}"),
    }
}

pub(crate) fn endpoints(from: (IpAddr, u16), to: (IpAddr, u16), transport: Transport) -> String {
    let mut s = format!("{} → {}", endpoint(from.0, from.1), endpoint(to.0, to.1));
    if transport == Transport::Tcp {
        s.push_str(" tcp");
    }
    s
}

pub(crate) fn relative_time(files: &Files, meta: &MessageMeta) -> String {
    let start = files.first_ts(meta.file).unwrap_or(meta.ts);
    let micros = meta.ts.micros_since(&start);
    format!("{:.6}", micros as f64 / 1e6)
}

/// "www.example.com. AAAA" (the class only when it is not IN).
pub(crate) fn question_text(msg: &dns::Message<'_>) -> String {
    match msg.first_question() {
        Some(Ok(q)) => {
            let mut s = format!("{} {}", q.name, q.qtype);
            if q.qclass != dns::Class::IN {
                let _ = write!(s, " {}", q.qclass);
            }
            if msg.header().qdcount > 1 {
                let _ = write!(s, " (+{} more)", msg.header().qdcount - 1);
            }
            s
        }
        Some(Err(e)) => format!("(malformed: {e})"),
        None => "(no question)".to_string(),
    }
}

fn shorten(mut s: String) -> String {
    if s.chars().count() > MAX_ANSWER_CHARS {
        s = s.chars().take(MAX_ANSWER_CHARS - 1).collect();
        s.push('…');
    }
    s
}

/// The answer section, one compact line per record: addresses bare, anything
/// else with its type (`CNAME x.example.`, `MX 10 mail.example.`).
pub(crate) fn answers_text(msg: &dns::Message<'_>) -> String {
    let mut lines = Vec::new();
    let mut total = 0usize;
    for entry in msg.entries() {
        match entry {
            Ok(Entry::Record(Section::Answer, r)) => {
                total += 1;
                if lines.len() >= MAX_ANSWERS_SHOWN {
                    continue;
                }
                let line = match r.data() {
                    Ok(d @ (dns::Rdata::A(_) | dns::Rdata::Aaaa(_))) => d.to_string(),
                    Ok(d) => format!("{} {}", r.rtype, d),
                    Err(e) => format!("{} (bad RDATA: {e})", r.rtype),
                };
                lines.push(shorten(line));
            }
            Ok(_) => {}
            Err(e) => {
                lines.push(format!("(malformed: {e})"));
                break;
            }
        }
    }
    if total > lines.len() {
        lines.push(format!("… +{} more", total - MAX_ANSWERS_SHOWN));
    }
    lines.join("\n")
}

/// What the table and the HTML page say about a transaction besides its
/// result: tries, duplicates, a question mismatch, ICMP errors.
pub(crate) fn transaction_notes(txn: &Transaction) -> Vec<String> {
    let mut notes = Vec::new();
    if !txn.retransmissions.is_empty() {
        notes.push(format!("{} tries", txn.retransmissions.len() + 1));
    }
    if !txn.duplicates.is_empty() {
        notes.push(format!("+{} duplicate responses", txn.duplicates.len()));
    }
    if txn.question_mismatch {
        notes.push("question differs from the query's".to_string());
    }
    for icmp in &txn.icmp_errors {
        notes.push(format!(
            "ICMP {} from {} (frame {})",
            icmp.kind, icmp.reporter, icmp.frame
        ));
    }
    notes
}

pub(crate) fn flags_text(h: &dns::Header) -> String {
    let mut f = Vec::new();
    for (on, name) in [
        (h.aa(), "aa"),
        (h.tc(), "tc"),
        (h.rd(), "rd"),
        (h.ra(), "ra"),
        (h.z(), "z"),
        (h.ad(), "ad"),
        (h.cd(), "cd"),
    ] {
        if on {
            f.push(name);
        }
    }
    f.join(" ")
}

impl Sink for TableSink {
    fn message(&mut self, files: &Files, meta: &MessageMeta, bytes: &[u8]) -> io::Result<()> {
        let mut row = Vec::new();
        if self.multi_file {
            row.push(Cell::new(files.name(meta.file)));
        }
        row.push(Cell::new(meta.frame));
        row.push(Cell::new(relative_time(files, meta)));
        row.push(Cell::new(endpoints(
            (meta.src, meta.sport),
            (meta.dst, meta.dport),
            meta.transport,
        )));
        match dns::Message::parse(bytes) {
            Ok(msg) => {
                let h = msg.header();
                row.push(Cell::new(format!("0x{:04x}", h.id)));
                let mut kind = if h.qr() { "response" } else { "query" }.to_string();
                if h.opcode() != dns::Opcode::QUERY {
                    let _ = write!(kind, " {}", h.opcode());
                }
                row.push(Cell::new(kind));
                row.push(Cell::new(question_text(&msg)));
                row.push(Cell::new(flags_text(&h)));
                if h.qr() {
                    let rcode = msg.rcode();
                    row.push(self.rcode_cell(rcode.to_string(), rcode));
                    row.push(Cell::new(answers_text(&msg)));
                } else {
                    row.push(Cell::new(""));
                    row.push(Cell::new(""));
                }
            }
            Err(e) => {
                row.push(Cell::new(""));
                row.push(self.paint(Cell::new("malformed"), Color::Red));
                row.push(Cell::new(format!("{e}")));
                row.extend([Cell::new(""), Cell::new(""), Cell::new("")]);
            }
        }
        self.push(row)
    }

    fn transaction(&mut self, files: &Files, txn: &Transaction) -> io::Result<()> {
        let Some(first) = txn.first() else {
            return Ok(());
        };
        let meta = &first.meta;
        let mut row = Vec::new();
        if self.multi_file {
            row.push(Cell::new(files.name(meta.file)));
        }
        let frames = match (&txn.query, &txn.response) {
            (Some(q), Some(r)) => format!("{} → {}", q.meta.frame, r.meta.frame),
            (Some(q), None) => format!("{}", q.meta.frame),
            (None, Some(r)) => format!("→ {}", r.meta.frame),
            (None, None) => String::new(),
        };
        row.push(Cell::new(frames));
        row.push(Cell::new(relative_time(files, meta)));
        // An mDNS announcement goes from its sender to the group: show it so.
        let (client, server) = if txn.query.is_some() || txn.status == Status::Announcement {
            ((meta.src, meta.sport), (meta.dst, meta.dport))
        } else {
            ((meta.dst, meta.dport), (meta.src, meta.sport))
        };
        row.push(Cell::new(endpoints(client, server, meta.transport)));
        let first_msg = dns::Message::parse(&first.bytes).ok();
        row.push(Cell::new(
            first_msg.map_or(String::new(), |m| format!("0x{:04x}", m.header().id)),
        ));
        row.push(Cell::new(
            first_msg.map_or(String::new(), |m| question_text(&m)),
        ));
        let response = txn
            .response
            .as_ref()
            .and_then(|r| dns::Message::parse(&r.bytes).ok());
        let notes = transaction_notes(txn);
        let result = match (txn.status, response) {
            (Status::Answered, Some(r)) => {
                let rcode = r.rcode();
                let mut text = rcode.to_string();
                if r.header().tc() {
                    text.push_str(" (truncated)");
                }
                for n in &notes {
                    let _ = write!(text, "\n{n}");
                }
                let cell = self.rcode_cell(text, rcode);
                if txn.question_mismatch {
                    self.paint(cell, Color::Yellow)
                } else {
                    cell
                }
            }
            (Status::Unsolicited, Some(r)) => {
                let text = format!("unsolicited {}", r.rcode());
                self.paint(Cell::new(text), Color::Yellow)
            }
            (Status::Duplicate, Some(r)) => {
                let text = format!("duplicate response {}", r.rcode());
                self.paint(Cell::new(text), Color::Yellow)
            }
            (Status::Announcement, Some(r)) => {
                let mut text = format!("mDNS announcement {}", r.rcode());
                for n in &notes {
                    let _ = write!(text, "\n{n}");
                }
                Cell::new(text)
            }
            _ => {
                let mut text = if txn.censored {
                    "no response (capture ended)".to_string()
                } else {
                    "no response".to_string()
                };
                for n in &notes {
                    let _ = write!(text, "\n{n}");
                }
                self.paint(Cell::new(text), Color::Red)
            }
        };
        row.push(result);
        row.push(Cell::new(
            response.map_or(String::new(), |r| answers_text(&r)),
        ));
        row.push(Cell::new(txn.rtt_micros().map_or(String::new(), |us| {
            format!("{:.3} ms", us as f64 / 1000.0)
        })));
        self.push(row)
    }

    fn diagnostic(&mut self, _files: &Files, _diag: &Diagnostic) -> io::Result<()> {
        // Diagnostics go to standard error (app), not into the table.
        Ok(())
    }

    fn finish(&mut self, _files: &Files, summary: &Summary) -> io::Result<()> {
        self.flush_table()?;
        writeln!(
            self.out,
            "{}",
            summary.line(self.listing == Listing::Transactions)
        )?;
        self.out.flush()
    }
}
