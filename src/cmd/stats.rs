//! `dnslens stats FILE...`: one pass over the captures, aggregated by [`crate::stats`],
//! printed at the end as tables, one JSON document, NDJSON rows or CSV rows.
//!
//! Every format prints the same rows. A row belongs to a `table` (`totals`,
//! `transactions`, `qtype`, `rcode`, `opcode`, `transport`, `server`, `client`,
//! `topName`, `topNxdomain`, `latency`, `latencyServer`, `latencyQtype`, `histogram`)
//! and has a `key` and a `count`; latency rows add percentiles in milliseconds and say
//! whether retransmitted transactions are `included` or `excluded`. `docs/stats.md`
//! describes each one.

use std::io::{self, Write};

use comfy_table::{presets, Attribute, Cell, CellAlignment, ContentArrangement, Table};
use serde::Serialize;

use crate::app::{self, Settings};
use crate::cli::{Format, StatsArgs};
use crate::dns;
use crate::error::{Diagnostic, Error, ExitCode};
use crate::meta::MessageMeta;
use crate::render::{self, json, Files, Listing, Sink, Summary, JSON_VERSION};
use crate::stats::{self, Histogram, Latency, NameCounts, Stats, Tally, WireName};
use crate::txn::Transaction;

/// Width of the longest bar in the terminal histogram.
const BAR_WIDTH: usize = 40;

/// Runs `dnslens stats`.
pub fn run(args: &StatsArgs) -> Result<ExitCode, Error> {
    let mut settings = Settings::from_args(&args.common, Listing::Transactions)?;
    // Transactions are only counted, never shown: keep no message bytes.
    settings.txn.meta_only = true;
    // Order does not matter to counts: finished transactions go out at once
    // instead of waiting behind an open one, so the few slots in use stay in
    // cache (10 000 held back are ~4 MB).
    settings.txn.max_in_order = 64;
    let format = settings.format;
    if format == Format::Html {
        return Err(Error::Usage(
            "stats writes --format table, json, ndjson or csv".into(),
        ));
    }
    let color = settings.color;
    let top = args.top;
    app::read_with(&settings, true, true, move |_| {
        Box::new(StatsSink::new(render::stdout(), format, color, top))
    })
}

/// Feeds the aggregation as the capture is read; prints everything in `finish`.
pub struct StatsSink {
    out: Box<dyn Write>,
    format: Format,
    color: bool,
    top: usize,
    stats: Stats,
}

impl StatsSink {
    pub fn new(out: Box<dyn Write>, format: Format, color: bool, top: usize) -> Self {
        Self {
            out,
            format,
            color,
            top,
            stats: Stats::default(),
        }
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }
}

impl Sink for StatsSink {
    fn message(&mut self, _: &Files, meta: &MessageMeta, bytes: &[u8]) -> io::Result<()> {
        if let Ok(msg) = dns::Message::parse(bytes) {
            self.stats.on_message(meta, &msg);
        }
        Ok(())
    }

    /// The message tables are counted here, on the pairing thread, not on the
    /// reading thread: with them there, the reading thread was the slower of
    /// the two (docs/benchmarks.md, profile finding 19).
    fn walked_message(
        &mut self,
        _: &Files,
        meta: &MessageMeta,
        bytes: &[u8],
        rcode: dns::Rcode,
        question: Option<&crate::txn::FirstQuestion<'_>>,
    ) -> io::Result<()> {
        if let Ok(msg) = dns::Message::parse(bytes) {
            self.stats
                .count_message(meta, &msg.header(), question, rcode);
        }
        Ok(())
    }

    fn transaction(&mut self, _: &Files, txn: &Transaction) -> io::Result<()> {
        self.stats.on_transaction(txn);
        Ok(())
    }

    fn diagnostic(&mut self, files: &Files, diag: &Diagnostic) -> io::Result<()> {
        if self.format == Format::Ndjson {
            write_event(
                &mut self.out,
                "diagnostic",
                &json::DiagnosticJson { files, diag },
            )?;
        }
        Ok(())
    }

    fn finish(&mut self, files: &Files, summary: &Summary) -> io::Result<()> {
        self.stats.settle();
        let rows = rows(&self.stats, summary, self.top);
        match self.format {
            // HTML is turned away in `run`.
            Format::Table | Format::Html => {
                write_tables(&mut self.out, &self.stats, &rows, self.color)?
            }
            Format::Csv => write_csv(&mut self.out, &rows)?,
            Format::Ndjson => {
                for row in &rows {
                    write_event(&mut self.out, "stat", row)?;
                }
                write_event(
                    &mut self.out,
                    "summary",
                    &json::SummaryJson {
                        files,
                        summary,
                        with_files: true,
                    },
                )?;
            }
            Format::Json => write_json(&mut self.out, files, &rows)?,
        }
        self.out.flush()
    }
}

fn write_event<T: Serialize>(out: &mut dyn Write, kind: &str, data: &T) -> io::Result<()> {
    write!(out, "{{\"type\":\"{kind}\",\"data\":")?;
    serde_json::to_writer(&mut *out, data)?;
    out.write_all(b"}\n")
}

/// Percentiles of one latency group, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LatencyMs {
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
    /// Whether the percentiles are exact (nearest rank over every value); false past
    /// the budget of `stats::DEFAULT_EXACT_VALUES` distinct values, where they come
    /// from histogram buckets (within 0.8 %).
    pub exact: bool,
}

fn ms(micros: u64) -> f64 {
    micros as f64 / 1000.0
}

impl LatencyMs {
    fn of(h: &Histogram) -> Option<Self> {
        let [p50, p90, p99] = h.percentiles([50.0, 90.0, 99.0])?;
        Some(Self {
            p50_ms: ms(p50),
            p90_ms: ms(p90),
            p99_ms: ms(p99),
            max_ms: ms(h.max()?),
            mean_ms: h.mean()?.round() / 1000.0,
            exact: h.is_exact(),
        })
    }
}

/// One output row; see the module docs.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Row {
    pub table: &'static str,
    pub key: String,
    pub count: u64,
    /// Percent of the table's total (breakdowns and top names only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent: Option<f64>,
    /// Latency and histogram rows: `included` or `excluded`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retransmitted: Option<&'static str>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub latency: Option<LatencyMs>,
}

impl Row {
    fn count(table: &'static str, key: impl Into<String>, count: u64) -> Self {
        Self {
            table,
            key: key.into(),
            count,
            percent: None,
            retransmitted: None,
            latency: None,
        }
    }
}

fn percent(n: u64, total: u64) -> Option<f64> {
    (total > 0).then(|| (n as f64 * 1000.0 / total as f64).round() / 10.0)
}

/// The first `top` keys of a tally (all when 0), then `(other)` for the rest.
fn tally_rows<K: std::hash::Hash + Eq + Ord + Clone>(
    rows: &mut Vec<Row>,
    table: &'static str,
    tally: &Tally<K>,
    top: usize,
    name: impl Fn(&K) -> String,
) {
    let total = tally.total();
    let sorted = tally.sorted();
    let shown = if top == 0 { sorted.len() } else { top };
    let mut rest = tally.other();
    for (i, (k, c)) in sorted.iter().enumerate() {
        if i < shown {
            let mut r = Row::count(table, name(k), *c);
            r.percent = percent(*c, total);
            rows.push(r);
        } else {
            rest += c;
        }
    }
    if rest > 0 {
        let mut r = Row::count(table, "(other)", rest);
        r.percent = percent(rest, total);
        rows.push(r);
    }
}

fn name_rows(rows: &mut Vec<Row>, table: &'static str, names: &NameCounts, top: usize) {
    let n = if top == 0 { usize::MAX } else { top };
    for (wire, c) in names.top(n) {
        let mut r = Row::count(table, WireName(wire).to_string(), c);
        r.percent = percent(c, names.total());
        rows.push(r);
    }
}

fn endpoint(addr: std::net::IpAddr, port: u16) -> String {
    match addr {
        std::net::IpAddr::V4(a) => format!("{a}:{port}"),
        std::net::IpAddr::V6(a) => format!("[{a}]:{port}"),
    }
}

fn latency_rows(rows: &mut Vec<Row>, lat: &Latency, retransmitted: &'static str, top: usize) {
    let shown = if top == 0 { usize::MAX } else { top };
    let mut push = |table: &'static str, key: String, h: &Histogram| {
        rows.push(Row {
            table,
            key,
            count: h.count(),
            percent: None,
            retransmitted: Some(retransmitted),
            latency: LatencyMs::of(h),
        });
    };
    push("latency", "all".into(), &lat.overall);
    for (k, h) in lat.by_server.sorted().into_iter().take(shown) {
        push("latencyServer", endpoint(k.0, k.1), h);
    }
    if lat.by_server.other.count() > 0 {
        push("latencyServer", "(other)".into(), &lat.by_server.other);
    }
    for (k, h) in lat.by_qtype.sorted().into_iter().take(shown) {
        push("latencyQtype", stats::qtype_name(*k), h);
    }
    if lat.by_qtype.other.count() > 0 {
        push("latencyQtype", "(other)".into(), &lat.by_qtype.other);
    }
    for (lo, hi, c) in lat.overall.log2_buckets() {
        rows.push(Row {
            table: "histogram",
            key: range_label(lo, hi),
            count: c,
            percent: percent(c, lat.overall.count()),
            retransmitted: Some(retransmitted),
            latency: None,
        });
    }
}

/// `[lo, hi)` µs as a range in milliseconds: `0.128-0.256`.
fn range_label(lo: u64, hi: u64) -> String {
    format!("{}-{}", ms(lo), ms(hi))
}

/// Every row of the report, in output order.
pub fn rows(s: &Stats, summary: &Summary, top: usize) -> Vec<Row> {
    let mut rows = Vec::new();
    let totals: [(&str, u64); 12] = [
        ("files", summary.files),
        ("unreadableFiles", summary.unreadable_files),
        ("frames", summary.frames),
        ("nonDnsFrames", summary.non_dns_frames),
        ("messages", summary.messages),
        ("queries", summary.queries),
        ("responses", summary.responses),
        ("malformed", summary.malformed),
        ("cutByCapture", summary.cut),
        ("icmpErrors", summary.icmp_errors),
        ("noData", s.no_data),
        ("diagnostics", summary.diagnostics),
    ];
    for (k, v) in totals {
        rows.push(Row::count("totals", k, v));
    }
    let st = &s.status;
    let status: [(&str, u64); 11] = [
        ("transactions", st.transactions),
        ("answered", st.answered),
        ("unanswered", st.unanswered),
        ("censored", st.censored),
        ("unsolicited", st.unsolicited),
        ("announcements", st.announcements),
        ("retransmitted", st.retransmitted),
        ("retransmissions", st.retransmissions),
        ("duplicateResponses", st.duplicate_responses),
        ("questionMismatches", st.question_mismatches),
        ("evicted", st.evicted),
    ];
    for (k, v) in status {
        let mut r = Row::count("transactions", k, v);
        if matches!(
            k,
            "answered" | "unanswered" | "censored" | "unsolicited" | "announcements"
        ) {
            r.percent = percent(v, st.transactions);
        }
        rows.push(r);
    }
    tally_rows(&mut rows, "qtype", &s.qtypes, top, |k| {
        stats::qtype_name(*k)
    });
    tally_rows(&mut rows, "rcode", &s.rcodes, top, |k| {
        dns::Rcode(*k).to_string()
    });
    tally_rows(&mut rows, "opcode", &s.opcodes, top, |k| {
        dns::Opcode(*k).to_string()
    });
    let t = s.transports;
    let all = t.udp4 + t.udp6 + t.tcp4 + t.tcp6;
    for (k, v) in [
        ("UDP/IPv4", t.udp4),
        ("UDP/IPv6", t.udp6),
        ("TCP/IPv4", t.tcp4),
        ("TCP/IPv6", t.tcp6),
    ] {
        let mut r = Row::count("transport", k, v);
        r.percent = percent(v, all);
        rows.push(r);
    }
    tally_rows(&mut rows, "server", &s.servers, top, |k| endpoint(k.0, k.1));
    tally_rows(&mut rows, "client", &s.clients, top, |k| k.to_string());
    name_rows(&mut rows, "topName", &s.names, top);
    name_rows(&mut rows, "topNxdomain", &s.nxdomain_names, top);
    latency_rows(&mut rows, &s.latency(), "included", top);
    latency_rows(&mut rows, &s.latency_clean(), "excluded", top);
    rows
}

/// CSV: one header line, then every row; empty cells where a column does not apply.
fn write_csv(out: &mut dyn Write, rows: &[Row]) -> io::Result<()> {
    writeln!(
        out,
        "table,key,count,percent,retransmitted,p50_ms,p90_ms,p99_ms,max_ms,mean_ms,exact"
    )?;
    for r in rows {
        write!(out, "{},{},{},", r.table, csv_field(&r.key), r.count)?;
        if let Some(p) = r.percent {
            write!(out, "{p}")?;
        }
        write!(out, ",{},", r.retransmitted.unwrap_or(""))?;
        match r.latency {
            Some(l) => writeln!(
                out,
                "{},{},{},{},{},{}",
                l.p50_ms, l.p90_ms, l.p99_ms, l.max_ms, l.mean_ms, l.exact
            )?,
            None => writeln!(out, ",,,,,")?,
        }
    }
    Ok(())
}

/// Quotes a CSV field when it holds a comma, quote or line break (RFC 4180). Names
/// are in presentation format, so they are ASCII without control bytes already.
fn csv_field(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\"")).into()
    } else {
        s.into()
    }
}

/// The JSON document: `{"version", "stats": {table: [rows without "table"]}, "files"}`.
fn write_json(out: &mut dyn Write, files: &Files, rows: &[Row]) -> io::Result<()> {
    let mut tables = serde_json::Map::new();
    for r in rows {
        let mut v = serde_json::to_value(r)?;
        if let Some(o) = v.as_object_mut() {
            o.remove("table");
        }
        let entry = tables
            .entry(r.table)
            .or_insert_with(|| serde_json::Value::Array(Vec::new()));
        if let Some(a) = entry.as_array_mut() {
            a.push(v);
        }
    }
    write!(out, "{{\"version\":{JSON_VERSION},\"stats\":")?;
    serde_json::to_writer_pretty(&mut *out, &tables)?;
    out.write_all(b",\n\"files\":")?;
    serde_json::to_writer(&mut *out, &json::FilesJson(files))?;
    out.write_all(b"}\n")
}

fn new_table(color: bool, header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED);
    if color {
        t.enforce_styling();
    } else {
        t.force_no_tty();
    }
    t.set_content_arrangement(ContentArrangement::Disabled);
    t.set_header(header.iter().map(|h| {
        let c = Cell::new(h);
        if color {
            c.add_attribute(Attribute::Bold)
        } else {
            c
        }
    }));
    t
}

fn num(n: impl ToString) -> Cell {
    Cell::new(n.to_string()).set_alignment(CellAlignment::Right)
}

fn fmt_percent(p: Option<f64>) -> Cell {
    num(p.map_or(String::new(), |p| format!("{p:.1}%")))
}

fn fmt_ms(v: f64) -> String {
    format!("{v:.3}")
}

const TITLES: &[(&str, &str, &str)] = &[
    ("totals", "Capture", "What"),
    ("transactions", "Transactions", "Status"),
    ("qtype", "Queries by QTYPE", "QTYPE"),
    ("rcode", "Responses by RCODE", "RCODE"),
    ("opcode", "Messages by opcode", "Opcode"),
    ("transport", "Messages by transport", "Transport"),
    ("server", "Transactions by server", "Server"),
    ("client", "Transactions by client", "Client"),
    ("topName", "Top query names", "Name"),
    ("topNxdomain", "Top NXDOMAIN names", "Name"),
];

/// The tables for people, then the latency tables and the histograms.
fn write_tables(out: &mut dyn Write, s: &Stats, rows: &[Row], color: bool) -> io::Result<()> {
    for &(table, title, key) in TITLES {
        let these: Vec<&Row> = rows.iter().filter(|r| r.table == table).collect();
        writeln!(out, "{title}")?;
        if these.is_empty() {
            writeln!(out, "  (none)\n")?;
            continue;
        }
        let with_percent = these.iter().any(|r| r.percent.is_some());
        let mut header = vec![key, "Count"];
        if with_percent {
            header.push("%");
        }
        let mut t = new_table(color, &header);
        for r in these {
            let mut cells = vec![Cell::new(&r.key), num(r.count)];
            if with_percent {
                cells.push(fmt_percent(r.percent));
            }
            t.add_row(cells);
        }
        writeln!(out, "{t}")?;
        if table == "topName" && s.names.max_error() > 0 {
            writeln!(
                out,
                "  (over {} distinct names: counts may be short by up to {})",
                stats::DEFAULT_NAME_CAP,
                s.names.max_error()
            )?;
        }
        if table == "topNxdomain" && s.nxdomain_names.max_error() > 0 {
            writeln!(
                out,
                "  (over {} distinct names: counts may be short by up to {})",
                stats::DEFAULT_NAME_CAP,
                s.nxdomain_names.max_error()
            )?;
        }
        writeln!(out)?;
    }
    for (retransmitted, title) in [
        ("included", "Latency, all answered transactions (ms)"),
        (
            "excluded",
            "Latency, transactions answered without a retransmission (ms)",
        ),
    ] {
        writeln!(out, "{title}")?;
        if retransmitted == "excluded" && s.status.retransmitted == 0 {
            writeln!(out, "  (no transaction had a retransmission: as above)\n")?;
            continue;
        }
        let mut t = new_table(
            color,
            &["Group", "Count", "p50", "p90", "p99", "max", "mean"],
        );
        let mut approximate = false;
        for r in rows
            .iter()
            .filter(|r| r.retransmitted == Some(retransmitted) && r.table.starts_with("latency"))
        {
            let group = match r.table {
                "latencyServer" => format!("server {}", r.key),
                "latencyQtype" => format!("QTYPE {}", r.key),
                _ => r.key.clone(),
            };
            let mut cells = vec![Cell::new(group), num(r.count)];
            match r.latency {
                Some(l) => {
                    // Percentiles from histogram buckets are marked: `≈12.3`.
                    let mark = if l.exact { "" } else { "≈" };
                    cells.extend(
                        [l.p50_ms, l.p90_ms, l.p99_ms].map(|v| num(format!("{mark}{}", fmt_ms(v)))),
                    );
                    cells.extend([l.max_ms, l.mean_ms].map(|v| num(fmt_ms(v))));
                    approximate |= !l.exact;
                }
                None => cells.extend((0..5).map(|_| num("-"))),
            }
            t.add_row(cells);
        }
        writeln!(out, "{t}")?;
        if approximate {
            writeln!(
                out,
                "  (≈: over {} distinct RTT values in all, so percentiles come from \
                 histogram buckets, within 0.8 %)",
                stats::DEFAULT_EXACT_VALUES
            )?;
        }
        writeln!(out)?;
    }
    write_histogram(
        out,
        "RTT histogram, all answered transactions",
        &s.latency().overall,
    )?;
    if s.status.retransmitted > 0 {
        write_histogram(
            out,
            "RTT histogram, answered without a retransmission",
            &s.latency_clean().overall,
        )?;
    }
    Ok(())
}

/// Bars over power-of-two ranges of the RTT (a log scale), with eighth-block precision.
fn write_histogram(out: &mut dyn Write, title: &str, h: &Histogram) -> io::Result<()> {
    writeln!(out, "{title} ({} transactions)", h.count())?;
    let buckets = h.log2_buckets();
    if buckets.is_empty() {
        return writeln!(out, "  (none)\n");
    }
    let labels: Vec<String> = buckets
        .iter()
        .map(|&(lo, hi, _)| format!("{} ms", range_label(lo, hi)))
        .collect();
    let width = labels.iter().map(String::len).max().unwrap_or(0);
    let most = buckets.iter().map(|b| b.2).max().unwrap_or(1).max(1);
    for (label, &(_, _, c)) in labels.iter().zip(&buckets) {
        let eighths = (c as u128 * (BAR_WIDTH as u128) * 8).div_ceil(most as u128) as usize;
        let mut bar = "█".repeat(eighths / 8);
        const PARTS: [&str; 8] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
        bar.push_str(PARTS[eighths % 8]);
        writeln!(out, "  {label:>width$} │{bar} {c}")?;
    }
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::Timestamp;
    use crate::dns::Rcode;
    use crate::net::{PortKind, Transport};

    /// A response `x.example. A`, header RCODE NOERROR, no records.
    const RESPONSE: [u8; 27] = [
        0x12, 0x34, // ID
        0x81, 0x80, // QR, RD, RA; NOERROR
        0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // QD=1
        1, b'x', 7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 0, // x.example.
        0x00, 0x01, 0x00, 0x01, // A IN
    ];

    #[test]
    fn walked_messages_are_counted_with_the_walks_rcode() {
        let meta = MessageMeta {
            file: 0,
            frame: 1,
            ts: Timestamp::new(1_700_000_000, 0),
            src: [192, 0, 2, 53].into(),
            dst: [192, 0, 2, 1].into(),
            sport: 53,
            dport: 40000,
            transport: Transport::Udp,
            port_kind: PortKind::Dns53,
            cut: false,
        };
        let mut sink = StatsSink::new(Box::new(io::sink()), Format::Csv, false, 10);
        let files = Files::default();
        // The RCODE comes from the walk (as if an OPT record extended it), not
        // from the header.
        let msg = dns::Message::parse(&RESPONSE).unwrap();
        let q = crate::txn::FirstQuestion::of(&msg).unwrap();
        sink.walked_message(&files, &meta, &RESPONSE, Rcode::NXDOMAIN, Some(&q))
            .expect("counted");
        sink.walked_message(&files, &meta, &RESPONSE, Rcode::NOERROR, Some(&q))
            .expect("counted");
        // A message whose header does not parse is not counted.
        sink.walked_message(&files, &meta, &RESPONSE[..5], Rcode::NOERROR, None)
            .expect("skipped");
        let s = sink.stats();
        assert_eq!(s.rcodes.get(&Rcode::NXDOMAIN.0), 1);
        assert_eq!(s.rcodes.get(&Rcode::NOERROR.0), 1);
        assert_eq!(s.rcodes.total(), 2);
        assert_eq!(s.nxdomain_names.total(), 1);
        assert_eq!(s.no_data, 1);
    }
}
