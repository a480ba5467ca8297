//! `dnslens check --format html`: one self-contained page for a TA. The summary
//! table (one row per submission: PASS / FAIL / UNREADABLE, score, reasons),
//! then per submission its rules, its transactions, and the annotated bytes of
//! every frame a failing rule names.
//!
//! Same guarantees as the capture page (`render::html`): no script, no network,
//! a CSP forbidding both, and every file name, DNS name and message escaped.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::{self, Write};

use crate::dns;
use crate::dns::layout::{self as dns_layout, Kind};
use crate::meta::{MessageMeta, StoredMessage};
use crate::render::html::{esc, message_details, page_head, PAGE_END};
use crate::render::json;
use crate::render::table::{answers_text, endpoints, question_text};
use crate::txn::{Status, Transaction};

use super::report::{ReportSink, Tally};
use super::{Lab, Outcome, Report, Verdict};

/// Transactions listed per submission; the rest are counted.
const MAX_TRANSACTIONS: usize = 200;
/// Frames annotated per failing rule.
const MAX_FRAMES_PER_RULE: usize = 5;

/// What was read from one submission, for its section of the page.
pub struct Detail<'a> {
    pub messages: &'a [StoredMessage],
    pub transactions: &'a [Transaction],
}

/// The page: the summary rows and each submission's section, written at the end.
pub struct HtmlReport {
    out: Box<dyn Write>,
    lab: Lab,
    tally: Tally,
    rows: String,
    sections: String,
    /// The section of the submission being graded (from `detail`), until its
    /// report arrives.
    pending: Option<PendingDetail>,
    count: usize,
}

/// The parts of a submission's section that need its capture.
struct PendingDetail {
    transactions: String,
    /// Every DNS message of the submission, for the frames failing rules name.
    messages: Vec<StoredMessage>,
}

impl HtmlReport {
    pub fn new(out: Box<dyn Write>, lab: &Lab) -> Self {
        Self {
            out,
            lab: lab.clone(),
            tally: Tally::default(),
            rows: String::new(),
            sections: String::new(),
            pending: None,
            count: 0,
        }
    }
}

impl HtmlReport {
    fn keep_detail(&mut self, d: &Detail<'_>) {
        let mut t = String::new();
        t.push_str(
            "<table><thead><tr><th>Frames</th><th>Client → Server</th><th>Question</th>\
             <th>Result</th><th>Answers</th><th>RTT (ms)</th></tr></thead><tbody>\n",
        );
        for txn in d.transactions.iter().take(MAX_TRANSACTIONS) {
            t.push_str(&transaction_row(txn));
        }
        t.push_str("</tbody></table>\n");
        if d.transactions.len() > MAX_TRANSACTIONS {
            let _ = writeln!(
                t,
                "<p class=\"note\">{} more transactions not listed.</p>",
                d.transactions.len() - MAX_TRANSACTIONS
            );
        }
        // Which frames the failing rules name is known with the report: keep
        // the messages (a submission is small) and render those frames then.
        let messages = d.messages.to_vec();
        self.pending = Some(PendingDetail {
            transactions: t,
            messages,
        });
    }
}

fn transaction_row(txn: &Transaction) -> String {
    let Some(first) = txn.first() else {
        return String::new();
    };
    let meta = &first.meta;
    let frames = match (&txn.query, &txn.response) {
        (Some(q), Some(r)) => format!("{} → {}", q.meta.frame, r.meta.frame),
        (Some(q), None) => q.meta.frame.to_string(),
        (None, Some(r)) => format!("→ {}", r.meta.frame),
        (None, None) => String::new(),
    };
    let (client, server) = if txn.query.is_some() {
        ((meta.src, meta.sport), (meta.dst, meta.dport))
    } else {
        ((meta.dst, meta.dport), (meta.src, meta.sport))
    };
    let question = dns::Message::parse(&first.bytes)
        .map(|m| question_text(&m))
        .unwrap_or_default();
    let response = txn
        .response
        .as_ref()
        .and_then(|r| dns::Message::parse(&r.bytes).ok());
    let (class, result) = match (txn.status, response) {
        (Status::Answered, Some(r)) if r.rcode() == dns::Rcode::NOERROR => {
            ("ok", r.rcode().to_string())
        }
        (Status::Answered, Some(r)) => ("bad", r.rcode().to_string()),
        (Status::Unsolicited, _) => ("warn", "unsolicited".to_string()),
        _ => ("bad", "no response".to_string()),
    };
    let mut result = result;
    if !txn.retransmissions.is_empty() {
        let _ = write!(result, " ({} tries)", txn.retransmissions.len() + 1);
    }
    format!(
        "<tr><td class=\"num\">{}</td><td class=\"mono\">{}</td><td class=\"q\">{}</td>\
         <td class=\"{class}\">{}</td><td class=\"ans\">{}</td><td class=\"num\">{}</td></tr>\n",
        esc(frames),
        esc(endpoints(client, server, meta.transport)),
        esc(question),
        esc(result),
        esc(response.map(|r| answers_text(&r)).unwrap_or_default()),
        txn.rtt_micros()
            .map_or(String::new(), |us| format!("{:.3}", us as f64 / 1000.0)),
    )
}

/// The message's bytes, field by field, as `dnslens explain` lays them out
/// (`dns_layout::explain`): offset, bytes, field path, value and what it means,
/// with the parser's error and the lint findings in place. Group rows (a whole
/// header, question or record) are headings.
pub fn annotated_bytes(meta: &MessageMeta, bytes: &[u8]) -> String {
    let fields = dns_layout::explain(bytes, json::dialect(meta));
    let mut s = String::from(
        "<table class=\"fields\"><tr><th>Offset</th><th>Bytes</th><th>Field</th>\
         <th>Value</th><th>Meaning</th></tr>",
    );
    for f in &fields {
        let slice = bytes
            .get(f.offset..f.offset.saturating_add(f.len).min(bytes.len()))
            .unwrap_or(&[]);
        let mut hex = String::new();
        if f.kind != Kind::Group {
            for (i, b) in slice.iter().take(32).enumerate() {
                if i > 0 {
                    hex.push(' ');
                }
                let _ = write!(hex, "{b:02x}");
            }
            if slice.len() > 32 {
                let _ = write!(hex, " … (+{})", slice.len() - 32);
            }
        }
        let class = match f.kind {
            Kind::Group => " class=\"group\"",
            Kind::Error | Kind::Trailing | Kind::Unparsed => " class=\"bad\"",
            Kind::Lint => " class=\"warn\"",
            _ => "",
        };
        let _ = write!(
            s,
            "<tr{class}><td class=\"num\">0x{:04x}</td><td class=\"mono\">{}</td>\
             <td class=\"mono\">{}</td><td class=\"mono\">{}</td><td>{}</td></tr>",
            f.offset,
            esc(hex),
            esc(&f.path),
            esc(&f.value),
            esc(&f.meaning)
        );
    }
    s.push_str("</table>");
    s
}

fn verdict_class(word: &str) -> &'static str {
    match word {
        "PASS" => "ok",
        _ => "bad",
    }
}

impl ReportSink for HtmlReport {
    fn detail(&mut self, d: &Detail<'_>) {
        self.keep_detail(d);
    }

    fn report(&mut self, r: &Report) -> io::Result<()> {
        self.tally.add(r);
        self.count += 1;
        let anchor = format!("s{}", self.count);
        let word = r.verdict_word();
        let total = self.lab.total();
        let score = match r.outcome {
            Outcome::Graded { .. } => format!("{}/{total}", r.score()),
            Outcome::Unreadable { .. } => String::new(),
        };
        let mut reasons = Vec::new();
        match &r.outcome {
            Outcome::Unreadable { error } => reasons.push(format!("could not be read: {error}")),
            Outcome::Graded { results, .. } => {
                for res in results {
                    if let Some(m) = &res.message {
                        reasons.push(format!("{}: {m}", res.rule));
                    }
                }
            }
        }
        let reasons_html: Vec<String> = reasons.iter().map(esc).collect();
        let _ = writeln!(
            self.rows,
            "<tr><td class=\"mono\"><a href=\"#{anchor}\">{}</a></td><td class=\"{}\">{word}</td>\
             <td class=\"num\">{score}</td><td>{}</td></tr>",
            esc(&r.file),
            verdict_class(word),
            reasons_html.join("<br>")
        );

        // The submission's section.
        let pending = self.pending.take();
        let s = &mut self.sections;
        let _ = writeln!(
            s,
            "<section id=\"{anchor}\"><h2><span class=\"{}\">{word}</span> {}</h2>",
            verdict_class(word),
            esc(&r.file)
        );
        match &r.outcome {
            Outcome::Unreadable { error } => {
                let _ = writeln!(s, "<p class=\"bad\">Could not be read: {}</p>", esc(error));
            }
            Outcome::Graded { format, results } => {
                let _ = writeln!(
                    s,
                    "<p class=\"note\">{} file; score {score}</p>",
                    esc(format.as_str())
                );
                s.push_str("<table><thead><tr><th>Rule</th><th>Points</th><th>Result</th><th>Frames</th><th>Why</th></tr></thead><tbody>\n");
                let mut named: Vec<(String, Vec<u64>)> = Vec::new();
                for res in results {
                    let (class, text, frames, why) = match &res.verdict {
                        Verdict::Pass { note } => {
                            ("ok", "pass", Vec::new(), note.clone().unwrap_or_default())
                        }
                        Verdict::Fail { frames, detail } => (
                            "bad",
                            "FAIL",
                            frames.clone(),
                            res.message.clone().unwrap_or_else(|| detail.clone()),
                        ),
                    };
                    let frames_text: Vec<String> = frames.iter().map(u64::to_string).collect();
                    let _ = writeln!(
                        s,
                        "<tr><td class=\"mono\">{}</td><td class=\"num\">{}</td><td class=\"{class}\">{text}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                        esc(&res.rule),
                        res.points,
                        esc(frames_text.join(", ")),
                        esc(why)
                    );
                    if !frames.is_empty() {
                        named.push((res.rule.clone(), frames));
                    }
                }
                s.push_str("</tbody></table>\n");
                if let Some(p) = &pending {
                    s.push_str("<h3>Transactions</h3>\n");
                    s.push_str(&p.transactions);
                    if !named.is_empty() {
                        s.push_str("<h3>Frames named by failing rules</h3>\n");
                    }
                    for (rule, frames) in &named {
                        let mut shown = BTreeSet::new();
                        for f in frames.iter().take(MAX_FRAMES_PER_RULE) {
                            if !shown.insert(*f) {
                                continue;
                            }
                            match p.messages.iter().find(|m| m.meta.frame == *f) {
                                Some(m) => {
                                    let _ = writeln!(
                                        s,
                                        "<div class=\"frame\"><h4>{}: frame {f}</h4>{}{}</div>",
                                        esc(rule),
                                        annotated_bytes(&m.meta, &m.bytes),
                                        message_details("fields and hex", &m.meta, &m.bytes)
                                    );
                                }
                                None => {
                                    let _ = writeln!(
                                        s,
                                        "<p class=\"note\">{}: frame {f} carries no DNS message.</p>",
                                        esc(rule)
                                    );
                                }
                            }
                        }
                    }
                }
            }
        }
        s.push_str("</section>\n");
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        let title = format!(
            "dnslens check: {}",
            self.lab.title.as_deref().unwrap_or(&self.lab.name)
        );
        let mut s = page_head(&title);
        let _ = writeln!(s, "<h1>{}</h1>", esc(&title));
        let _ = writeln!(s, "<p class=\"note\">{}</p>", esc(self.tally.line()));
        s.push_str(
            "<table id=\"submissions\"><thead><tr><th>Submission</th><th>Verdict</th><th>Score</th>\
             <th>Reasons</th></tr></thead><tbody>\n",
        );
        self.out.write_all(s.as_bytes())?;
        self.out.write_all(self.rows.as_bytes())?;
        self.out.write_all(b"</tbody></table>\n")?;
        self.out.write_all(self.sections.as_bytes())?;
        self.out.write_all(PAGE_END.as_bytes())?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::Timestamp;
    use crate::net::{PortKind, Transport};

    fn meta() -> MessageMeta {
        MessageMeta {
            file: 0,
            frame: 1,
            ts: Timestamp { secs: 0, nanos: 0 },
            src: [127, 0, 0, 1].into(),
            dst: [127, 0, 0, 1].into(),
            sport: 40000,
            dport: 53,
            transport: Transport::Udp,
            port_kind: PortKind::Dns53,
            cut: false,
        }
    }

    #[test]
    fn annotated_bytes_lay_out_fields_and_escape_names() {
        // A query: ID 0x1234, flags 0x0100 (RD), QDCOUNT 1; "a<b>." A IN.
        let msg: &[u8] = &[
            0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // header
            0x03, b'a', b'<', b'b', 0x00, // QNAME a<b.  (offset 0x0c, 5 bytes)
            0x00, 0x01, // QTYPE A  (offset 0x11)
            0x00, 0x01, // QCLASS IN (offset 0x13)
        ];
        let s = annotated_bytes(&meta(), msg);
        assert!(
            s.contains("<td class=\"num\">0x0000</td><td class=\"mono\">12 34</td>"),
            "{s}"
        );
        assert!(
            s.contains("<td class=\"num\">0x0011</td><td class=\"mono\">00 01</td>"),
            "{s}"
        );
        assert!(s.contains("a&lt;b."), "{s}");
        assert!(!s.contains("a<b"), "{s}");
    }

    #[test]
    fn little_endian_qtype_and_trailing_bytes_show() {
        let msg: &[u8] = &[
            0x00, 0x07, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // header
            0x01, b'x', 0x00, // QNAME x.
            0x01, 0x00, // QTYPE 256 (A written little-endian)
            0x00, 0x01, // QCLASS IN
            0xff, 0xfe, // two trailing bytes
        ];
        let s = annotated_bytes(&meta(), msg);
        assert!(
            s.contains("<td class=\"num\">0x000f</td><td class=\"mono\">01 00</td>"),
            "{s}"
        );
        assert!(
            s.contains(
                "<tr class=\"bad\"><td class=\"num\">0x0013</td><td class=\"mono\">ff fe</td>"
            ),
            "{s}"
        );
    }

    #[test]
    fn malformed_header_is_said() {
        let s = annotated_bytes(&meta(), &[0x00, 0x01, 0x02]);
        assert!(s.contains("class=\"bad\""), "{s}");
    }
}
