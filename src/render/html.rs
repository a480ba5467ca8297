//! One self-contained HTML page for a browser: the summary, the latency
//! histogram as inline SVG, the transaction (or message) table, and each
//! message expandable (`<details>`) to its fields and bytes.
//!
//! Self-contained: no script, no network, no external asset; the page carries
//! a Content-Security-Policy that forbids scripts and remote loads, so even a
//! mistake in escaping could not run code or call out.
//!
//! Escaping: every name, TXT string, file name and message from a capture goes
//! through [`Esc`] (`&`, `<`, `>`, `"`, `'` become entities). Names arrive in
//! presentation format, which already escapes non-printable bytes; `<`, `>`,
//! `&` and quotes are printable, so they are escaped here.
//!
//! Memory: rows are kept until the end (the histogram and summary go above the
//! table), so at most [`MAX_ROWS`] rows are shown; the histogram and summary
//! count everything. A page is for a lab-sized capture; JSON is for big ones.

use std::fmt::{self, Write as _};
use std::io::{self, Write};

use crate::dns::{self, Entry, Section};
use crate::error::Diagnostic;
use crate::meta::MessageMeta;
use crate::txn::{Status, Transaction};

use super::table::{answers_text, endpoints, flags_text, question_text, relative_time};
use super::{Files, Listing, Sink, Summary};

/// Rows shown in the page; the rest are counted.
pub const MAX_ROWS: usize = 5_000;
/// Diagnostics listed in the page; the rest are counted.
const MAX_DIAGNOSTICS: usize = 1_000;
/// Bytes shown in a message's hex dump.
const MAX_DUMP_BYTES: usize = 4_096;

/// HTML-escapes text written through `Display`: `&`, `<`, `>`, `"`, `'`.
pub struct Esc<T>(pub T);

impl<T: fmt::Display> fmt::Display for Esc<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Escape on the fly, without building the unescaped text first.
        struct Escaper<'a, 'b>(&'a mut fmt::Formatter<'b>);
        impl fmt::Write for Escaper<'_, '_> {
            fn write_str(&mut self, s: &str) -> fmt::Result {
                let mut last = 0;
                for (i, c) in s.char_indices() {
                    let rep = match c {
                        '&' => "&amp;",
                        '<' => "&lt;",
                        '>' => "&gt;",
                        '"' => "&quot;",
                        '\'' => "&#39;",
                        _ => continue,
                    };
                    self.0.write_str(&s[last..i])?;
                    self.0.write_str(rep)?;
                    last = i + c.len_utf8();
                }
                self.0.write_str(&s[last..])
            }
        }
        write!(Escaper(f), "{}", self.0)
    }
}

/// Escaped text as a `String`.
pub fn esc(text: impl fmt::Display) -> String {
    Esc(text).to_string()
}

/// Upper bucket edges of the latency histogram, in microseconds (1-2-5
/// steps from 0.1 ms to 10 s); one more bucket holds everything above.
const EDGES_MICROS: [i64; 16] = [
    100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000,
    1_000_000, 2_000_000, 5_000_000, 10_000_000,
];

/// RTT counts in fixed buckets: memory does not grow with the capture.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Histogram {
    counts: [u64; EDGES_MICROS.len() + 1],
}

impl Histogram {
    pub fn add(&mut self, rtt_micros: i64) {
        let i = EDGES_MICROS
            .iter()
            .position(|&e| rtt_micros < e)
            .unwrap_or(EDGES_MICROS.len());
        if let Some(c) = self.counts.get_mut(i) {
            *c += 1;
        }
    }

    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// (label, count) of the buckets from the first to the last non-empty one.
    pub fn buckets(&self) -> Vec<(String, u64)> {
        let first = self.counts.iter().position(|&c| c > 0);
        let last = self.counts.iter().rposition(|&c| c > 0);
        let (Some(first), Some(last)) = (first, last) else {
            return Vec::new();
        };
        (first..=last)
            .map(|i| {
                let lo = if i == 0 { 0 } else { EDGES_MICROS[i - 1] };
                let label = match EDGES_MICROS.get(i) {
                    Some(&hi) => format!("{}–{}", ms(lo), ms(hi)),
                    None => format!("≥ {}", ms(lo)),
                };
                (label, self.counts[i])
            })
            .collect()
    }

    /// The histogram as an inline SVG bar chart (no script, no font files).
    pub fn svg(&self) -> String {
        let buckets = self.buckets();
        if buckets.is_empty() {
            return "<p class=\"note\">No answered transaction: no round-trip times.</p>".into();
        }
        let max = buckets.iter().map(|b| b.1).max().unwrap_or(1).max(1);
        let (bar_w, gap, plot_h, top, bottom, left) = (56u32, 8u32, 120u32, 20u32, 44u32, 8u32);
        let n = u32::try_from(buckets.len()).unwrap_or(u32::MAX);
        let width = left * 2 + n * (bar_w + gap);
        let height = top + plot_h + bottom;
        let mut s = String::new();
        let _ = write!(
            s,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"hist\" width=\"{width}\" height=\"{height}\" \
             viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"Round-trip time histogram\">"
        );
        let base = top + plot_h;
        let _ = write!(
            s,
            "<line x1=\"{left}\" y1=\"{base}\" x2=\"{}\" y2=\"{base}\" class=\"axis\"/>",
            width - left
        );
        for (i, (label, count)) in buckets.iter().enumerate() {
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            let x = left + i * (bar_w + gap) + gap / 2;
            // Height proportional to the count; a non-empty bucket shows at least 2 px.
            let h = ((*count as f64 / max as f64) * f64::from(plot_h)).round() as u32;
            let h = if *count > 0 { h.max(2) } else { 0 };
            let y = base - h;
            let cx = x + bar_w / 2;
            let _ = write!(
                s,
                "<g class=\"bar\"><title>{} ms: {count}</title>\
                 <rect x=\"{x}\" y=\"{y}\" width=\"{bar_w}\" height=\"{h}\"/>\
                 <text x=\"{cx}\" y=\"{}\" class=\"count\">{count}</text>\
                 <text x=\"{cx}\" y=\"{}\" class=\"label\">{}</text></g>",
                esc(label),
                y.saturating_sub(4),
                base + 16,
                esc(label),
            );
        }
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" class=\"label\">RTT (ms)</text></svg>",
            width / 2,
            base + 36
        );
        s
    }
}

/// Microseconds as milliseconds, short: 100 -> "0.1", 2000 -> "2", 10000000 -> "10000".
fn ms(micros: i64) -> String {
    if micros % 1000 == 0 {
        format!("{}", micros / 1000)
    } else {
        format!("{}", micros as f64 / 1000.0)
    }
}

const STYLE: &str = "
:root { color-scheme: light; }
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #1d1d1f; }
h1 { font-size: 1.4em; margin: 0 0 .3em; }
h2 { font-size: 1.15em; margin: 1.4em 0 .4em; }
.note { color: #555; }
table { border-collapse: collapse; }
th, td { border: 1px solid #d0d0d7; padding: 3px 6px; vertical-align: top; text-align: left; }
th { background: #eef0f5; }
tbody tr:nth-child(even) > td { background: #fafbfd; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.mono, td.q, td.ans { font-family: ui-monospace, monospace; white-space: pre-wrap; }
.ok { color: #0a7a2f; font-weight: 600; }
.bad { color: #b3261e; font-weight: 600; }
.warn { color: #9a6700; font-weight: 600; }
details { margin: 2px 0; }
details summary { cursor: pointer; color: #2456a6; }
.fields td, .fields th { font-size: 12px; }
pre.hex { font-size: 12px; margin: 4px 0; }
svg.hist rect { fill: #4a78c2; }
svg.hist .axis { stroke: #555; }
svg.hist text { font: 11px system-ui, sans-serif; text-anchor: middle; fill: #333; }
dl.summary { display: grid; grid-template-columns: max-content auto; gap: 2px 12px; }
dl.summary dt { color: #555; } dl.summary dd { margin: 0; }
tr.group > td { background: #eef0f5 !important; font-weight: 600; }
";

/// The page head: doctype, charset, CSP (no scripts, nothing remote), style.
pub fn page_head(title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; img-src data:\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"dnslens {}\">\n\
         <title>{}</title>\n<style>{STYLE}</style></head>\n<body>\n",
        esc(crate::cli::VERSION),
        esc(title)
    )
}

pub const PAGE_END: &str = "</body></html>\n";

/// The HTML page for the listings (transactions or messages).
pub struct HtmlSink {
    out: Box<dyn Write>,
    listing: Listing,
    /// Several input files: rows name their file.
    multi_file: bool,
    rows: String,
    shown: usize,
    hidden: u64,
    hist: Histogram,
    diagnostics: Vec<Diagnostic>,
}

impl HtmlSink {
    pub fn new(out: Box<dyn Write>, listing: Listing, multi_file: bool) -> Self {
        Self {
            out,
            listing,
            multi_file,
            rows: String::new(),
            shown: 0,
            hidden: 0,
            hist: Histogram::default(),
            diagnostics: Vec::new(),
        }
    }

    /// Room for one more row?
    fn take_row(&mut self) -> bool {
        if self.shown >= MAX_ROWS {
            self.hidden += 1;
            return false;
        }
        self.shown += 1;
        true
    }

    fn header_cells(&self, multi_file: bool) -> String {
        let mut cols: Vec<&str> = Vec::new();
        if multi_file {
            cols.push("File");
        }
        match self.listing {
            Listing::Transactions => cols.extend([
                "Frames",
                "Time (s)",
                "Client → Server",
                "ID",
                "Question",
                "Result",
                "Answers",
                "RTT (ms)",
                "Messages",
            ]),
            Listing::Messages => cols.extend([
                "Frame",
                "Time (s)",
                "Source → Destination",
                "ID",
                "Kind",
                "Question",
                "Flags",
                "RCODE",
                "Answers",
                "Fields",
            ]),
        }
        cols.iter()
            .map(|c| format!("<th>{}</th>", esc(c)))
            .collect()
    }
}

/// `<td>` with escaped text and an optional class.
fn td(class: &str, text: impl fmt::Display) -> String {
    if class.is_empty() {
        format!("<td>{}</td>", Esc(text))
    } else {
        format!("<td class=\"{class}\">{}</td>", Esc(text))
    }
}

/// One message, expandable to its fields and bytes.
pub fn message_details(label: &str, meta: &MessageMeta, bytes: &[u8]) -> String {
    let mut s = format!(
        "<details><summary>{} · frame {} · {} bytes</summary>",
        esc(label),
        meta.frame,
        bytes.len()
    );
    s.push_str(&message_fields(meta, bytes));
    s.push_str("</details>");
    s
}

/// The fields of one message: header, each section's entries, EDNS, errors,
/// and a hex dump.
pub fn message_fields(meta: &MessageMeta, bytes: &[u8]) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "<p class=\"mono\">{} · {}{}</p>",
        esc(endpoints(
            (meta.src, meta.sport),
            (meta.dst, meta.dport),
            meta.transport
        )),
        esc(meta.ts.to_rfc3339()),
        if meta.cut {
            " · cut by the capture"
        } else {
            ""
        }
    );
    match dns::Message::parse(bytes) {
        Err(e) => {
            let _ = write!(s, "<p class=\"bad\">malformed: {}</p>", esc(e));
        }
        Ok(msg) => {
            let h = msg.header();
            let _ = write!(
                s,
                "<table class=\"fields\"><tr><th>ID</th><th>QR</th><th>Opcode</th><th>Flags</th>\
                 <th>RCODE</th><th>QD</th><th>AN</th><th>NS</th><th>AR</th></tr><tr>\
                 <td>0x{:04x}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
                 <td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr></table>",
                h.id,
                u8::from(h.qr()),
                esc(h.opcode()),
                esc(flags_text(&h)),
                esc(msg.rcode()),
                h.qdcount,
                h.ancount,
                h.nscount,
                h.arcount
            );
            s.push_str(
                "<table class=\"fields\"><tr><th>Section</th><th>Name</th><th>TTL</th>\
                 <th>Class</th><th>Type</th><th>Data</th></tr>",
            );
            let mut entries = msg.entries();
            for entry in entries.by_ref() {
                match entry {
                    Ok(Entry::Question(q)) => {
                        let _ = write!(
                            s,
                            "<tr><td>question</td><td class=\"q\">{}</td><td></td><td>{}</td><td>{}</td><td></td></tr>",
                            Esc(q.name),
                            Esc(q.qclass),
                            Esc(q.qtype)
                        );
                    }
                    Ok(Entry::Record(section, r)) => {
                        let data = if r.rtype == dns::Rtype::OPT {
                            match dns::Opt::from_record(&r) {
                                Ok(o) => format!("EDNS {o}"),
                                Err(e) => format!("(bad OPT: {e})"),
                            }
                        } else {
                            match r.data() {
                                Ok(d) => d.to_string(),
                                Err(e) => format!("(bad RDATA: {e})"),
                            }
                        };
                        let class = if r.rtype == dns::Rtype::OPT {
                            String::new()
                        } else {
                            r.class.to_string()
                        };
                        let _ = write!(
                            s,
                            "<tr><td>{}</td><td class=\"q\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td class=\"ans\">{}</td></tr>",
                            esc(section_name(section)),
                            Esc(r.name),
                            r.ttl,
                            esc(class),
                            Esc(r.rtype),
                            esc(data)
                        );
                    }
                    Err(e) => {
                        let _ = write!(
                            s,
                            "<tr><td colspan=\"6\" class=\"bad\">malformed: {}</td></tr>",
                            esc(e)
                        );
                        break;
                    }
                }
            }
            s.push_str("</table>");
            if entries.is_complete() && entries.trailing() > 0 {
                let _ = write!(
                    s,
                    "<p class=\"warn\">{} trailing bytes after the last section</p>",
                    entries.trailing()
                );
            }
        }
    }
    s.push_str("<pre class=\"hex\">");
    s.push_str(&hex_dump(bytes));
    s.push_str("</pre>");
    s
}

fn section_name(section: Section) -> &'static str {
    match section {
        Section::Question => "question",
        Section::Answer => "answer",
        Section::Authority => "authority",
        Section::Additional => "additional",
    }
}

/// Offset, 16 bytes in hex, and their ASCII (dots for the rest), escaped.
pub fn hex_dump(bytes: &[u8]) -> String {
    let mut s = String::new();
    let shown = bytes.get(..MAX_DUMP_BYTES).unwrap_or(bytes);
    for (i, chunk) in shown.chunks(16).enumerate() {
        let _ = write!(s, "{:04x}  ", i * 16);
        for j in 0..16 {
            match chunk.get(j) {
                Some(b) => {
                    let _ = write!(s, "{b:02x} ");
                }
                None => s.push_str("   "),
            }
        }
        s.push(' ');
        let ascii: String = chunk
            .iter()
            .map(|&b| {
                if b.is_ascii_graphic() || b == b' ' {
                    char::from(b)
                } else {
                    '.'
                }
            })
            .collect();
        s.push_str(&esc(ascii));
        s.push('\n');
    }
    if bytes.len() > shown.len() {
        let _ = writeln!(s, "… {} more bytes", bytes.len() - shown.len());
    }
    s
}

impl Sink for HtmlSink {
    fn message(&mut self, files: &Files, meta: &MessageMeta, bytes: &[u8]) -> io::Result<()> {
        if !self.take_row() {
            return Ok(());
        }
        let mut row = String::from("<tr>");
        if self.multi_file {
            row.push_str(&td("mono", files.name(meta.file)));
        }
        row.push_str(&td("num", meta.frame));
        row.push_str(&td("num", relative_time(files, meta)));
        row.push_str(&td(
            "mono",
            endpoints(
                (meta.src, meta.sport),
                (meta.dst, meta.dport),
                meta.transport,
            ),
        ));
        match dns::Message::parse(bytes) {
            Ok(msg) => {
                let h = msg.header();
                row.push_str(&td("mono", format_args!("0x{:04x}", h.id)));
                row.push_str(&td("", if h.qr() { "response" } else { "query" }));
                row.push_str(&td("q", question_text(&msg)));
                row.push_str(&td("", flags_text(&h)));
                if h.qr() {
                    let rcode = msg.rcode();
                    let class = if rcode == dns::Rcode::NOERROR {
                        "ok"
                    } else {
                        "bad"
                    };
                    row.push_str(&td(class, rcode));
                    row.push_str(&td("ans", answers_text(&msg)));
                } else {
                    row.push_str("<td></td><td></td>");
                }
            }
            Err(e) => {
                row.push_str("<td></td>");
                row.push_str(&td("bad", "malformed"));
                row.push_str(&td("", e));
                row.push_str("<td></td><td></td><td></td>");
            }
        }
        let _ = writeln!(
            row,
            "<td>{}</td></tr>",
            message_details("fields", meta, bytes)
        );
        self.rows.push_str(&row);
        Ok(())
    }

    fn transaction(&mut self, files: &Files, txn: &Transaction) -> io::Result<()> {
        if let Some(rtt) = txn.rtt_micros() {
            self.hist.add(rtt);
        }
        let Some(first) = txn.first() else {
            return Ok(());
        };
        if !self.take_row() {
            return Ok(());
        }
        let meta = &first.meta;
        let mut row = String::from("<tr>");
        if self.multi_file {
            row.push_str(&td("mono", files.name(meta.file)));
        }
        let frames = match (&txn.query, &txn.response) {
            (Some(q), Some(r)) => format!("{} → {}", q.meta.frame, r.meta.frame),
            (Some(q), None) => format!("{}", q.meta.frame),
            (None, Some(r)) => format!("→ {}", r.meta.frame),
            (None, None) => String::new(),
        };
        row.push_str(&td("num", frames));
        row.push_str(&td("num", relative_time(files, meta)));
        let (client, server) = if txn.query.is_some() {
            ((meta.src, meta.sport), (meta.dst, meta.dport))
        } else {
            ((meta.dst, meta.dport), (meta.src, meta.sport))
        };
        row.push_str(&td("mono", endpoints(client, server, meta.transport)));
        let first_msg = dns::Message::parse(&first.bytes).ok();
        row.push_str(&td(
            "mono",
            first_msg.map_or(String::new(), |m| format!("0x{:04x}", m.header().id)),
        ));
        row.push_str(&td(
            "q",
            first_msg.map_or(String::new(), |m| question_text(&m)),
        ));
        let response = txn
            .response
            .as_ref()
            .and_then(|r| dns::Message::parse(&r.bytes).ok());
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
        let (class, mut result) = match (txn.status, response) {
            (Status::Answered, Some(r)) => {
                let rcode = r.rcode();
                let mut text = rcode.to_string();
                if r.header().tc() {
                    text.push_str(" (truncated)");
                }
                let class = if txn.question_mismatch {
                    "warn"
                } else if rcode == dns::Rcode::NOERROR {
                    "ok"
                } else {
                    "bad"
                };
                (class, text)
            }
            (Status::Unsolicited, Some(r)) => ("warn", format!("unsolicited {}", r.rcode())),
            _ if txn.censored => ("bad", "no response (capture ended)".to_string()),
            _ => ("bad", "no response".to_string()),
        };
        for n in &notes {
            result.push('\n');
            result.push_str(n);
        }
        row.push_str(&td(&format!("{class} mono"), result));
        row.push_str(&td(
            "ans",
            response.map_or(String::new(), |r| answers_text(&r)),
        ));
        row.push_str(&td(
            "num",
            txn.rtt_micros()
                .map_or(String::new(), |us| format!("{:.3}", us as f64 / 1000.0)),
        ));
        row.push_str("<td>");
        if let Some(q) = &txn.query {
            row.push_str(&message_details("query", &q.meta, &q.bytes));
        }
        if let Some(r) = &txn.response {
            row.push_str(&message_details("response", &r.meta, &r.bytes));
        }
        row.push_str("</td></tr>\n");
        self.rows.push_str(&row);
        Ok(())
    }

    fn diagnostic(&mut self, _files: &Files, diag: &Diagnostic) -> io::Result<()> {
        if self.diagnostics.len() < MAX_DIAGNOSTICS {
            self.diagnostics.push(diag.clone());
        }
        Ok(())
    }

    fn finish(&mut self, files: &Files, summary: &Summary) -> io::Result<()> {
        let names: Vec<&str> = files.list.iter().map(|f| f.path.as_str()).collect();
        let title = format!("dnslens: {}", names.join(", "));
        let mut s = page_head(&title);
        let _ = writeln!(s, "<h1>{}</h1>", esc(&title));
        let _ = writeln!(
            s,
            "<p class=\"note\">{}</p>",
            esc(summary.line(self.listing == Listing::Transactions))
        );
        s.push_str("<h2>Files</h2>\n<table><tr><th>File</th><th>Format</th><th>Frames</th><th>DNS messages</th><th>Problems</th></tr>\n");
        for f in &files.list {
            let mut problem = String::new();
            if let Some(e) = &f.error {
                problem.push_str(e);
            }
            if let Some(t) = &f.truncated {
                problem.push_str(t);
            }
            let format = match (&f.format, f.compressed) {
                (Some(x), true) => format!("{x} (gzip)"),
                (Some(x), false) => x.clone(),
                (None, _) => String::new(),
            };
            let _ = writeln!(
                s,
                "<tr>{}{}{}{}{}</tr>",
                td("mono", &f.path),
                td("", format),
                td("num", f.frames),
                td("num", f.dns_messages),
                td(if problem.is_empty() { "" } else { "bad" }, problem)
            );
        }
        s.push_str("</table>\n");
        if self.listing == Listing::Transactions {
            let _ = write!(
                s,
                "<h2>Round-trip times</h2>\n<p class=\"note\">{} answered transactions, by RTT (query to first response).</p>\n{}\n",
                self.hist.total(),
                self.hist.svg()
            );
        }
        let what = match self.listing {
            Listing::Transactions => "Transactions",
            Listing::Messages => "Messages",
        };
        let _ = write!(
            s,
            "<h2>{what}</h2>\n<table id=\"rows\"><thead><tr>{}</tr></thead><tbody>\n",
            self.header_cells(self.multi_file)
        );
        self.out.write_all(s.as_bytes())?;
        self.out.write_all(self.rows.as_bytes())?;
        let mut s = String::from("</tbody></table>\n");
        if self.hidden > 0 {
            let _ = writeln!(
                s,
                "<p class=\"warn\">{} more rows not shown (the page keeps {MAX_ROWS}; use --format json or ndjson for all).</p>",
                self.hidden
            );
        }
        if !self.diagnostics.is_empty() {
            s.push_str("<h2>Diagnostics</h2>\n<table><tr><th>File</th><th>Frame</th><th>Layer</th><th>Offset</th><th>Problem</th></tr>\n");
            for d in &self.diagnostics {
                let offset = match (d.dns_offset, d.file_offset) {
                    (Some(o), _) => format!("DNS byte {o}"),
                    (None, Some(o)) => format!("file byte {o}"),
                    (None, None) => String::new(),
                };
                let _ = writeln!(
                    s,
                    "<tr>{}{}{}{}{}</tr>",
                    td("mono", files.name(d.file)),
                    td("num", d.frame.map_or(String::new(), |f| f.to_string())),
                    td("", d.layer.as_str()),
                    td("", offset),
                    td("", &d.message)
                );
            }
            s.push_str("</table>\n");
            if summary.diagnostics > self.diagnostics.len() as u64 {
                let _ = writeln!(
                    s,
                    "<p class=\"note\">{} more diagnostics not listed.</p>",
                    summary.diagnostics - self.diagnostics.len() as u64
                );
            }
        }
        s.push_str(PAGE_END);
        self.out.write_all(s.as_bytes())?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc("<script>alert(1)</script>.example."),
            "&lt;script&gt;alert(1)&lt;/script&gt;.example."
        );
        assert_eq!(esc("a&b \"c\" 'd'"), "a&amp;b &quot;c&quot; &#39;d&#39;");
        assert_eq!(esc("plain ünïcode"), "plain ünïcode");
        assert_eq!(esc(""), "");
    }

    #[test]
    fn escapes_a_dns_name_from_the_wire() {
        // "<b>.example." as wire labels: 3 '<' 'b' '>' 7 "example" 0
        let wire = b"\x03<b>\x07example\x00";
        let name = dns::Reader::new(wire, 0).name().unwrap();
        assert_eq!(esc(name), "&lt;b&gt;.example.");
    }

    #[test]
    fn histogram_buckets_are_1_2_5_and_trimmed() {
        let mut h = Histogram::default();
        for us in [150, 150, 900, 1_500, 12_000_000] {
            h.add(us);
        }
        let b = h.buckets();
        assert_eq!(b.first().unwrap(), &("0.1–0.2".to_string(), 2));
        assert_eq!(b[2], ("0.5–1".to_string(), 1));
        assert_eq!(b[3], ("1–2".to_string(), 1));
        assert_eq!(b.last().unwrap(), &("≥ 10000".to_string(), 1));
        assert_eq!(h.total(), 5);
        assert!(Histogram::default().buckets().is_empty());
        // Negative RTTs (clock steps in a capture) fall in the first bucket.
        let mut h = Histogram::default();
        h.add(-5);
        assert_eq!(h.buckets(), vec![("0–0.1".to_string(), 1)]);
    }

    #[test]
    fn svg_has_one_bar_per_bucket_and_no_script() {
        let mut h = Histogram::default();
        h.add(300);
        h.add(3_000);
        let svg = h.svg();
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        // 0.2–0.5, 0.5–1, 1–2, 2–5: four buckets, two empty.
        assert_eq!(svg.matches("<rect ").count(), 4);
        assert!(!svg.contains("<script"));
    }

    #[test]
    fn hex_dump_escapes_ascii_column() {
        let d = hex_dump(b"<a&b>");
        assert_eq!(
            d,
            "0000  3c 61 26 62 3e                                   &lt;a&amp;b&gt;\n"
        );
    }
}
