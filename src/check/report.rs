//! Printing the reports: a table for people, JSON and NDJSON for programs, CSV for a
//! gradebook. Each format is a [`ReportSink`]: reports go in one at a time, as each
//! submission is graded; NDJSON and CSV write them at once, the table and the JSON
//! document at the end.
//!
//! Text that comes from the capture (names) is already in presentation format with
//! escapes; file paths are escaped here before they reach a terminal.

use std::io::{self, Write};

use comfy_table::{
    presets, Attribute, Cell, Color, ColumnConstraint, ContentArrangement, Table, Width,
};
use serde::Serialize;

use super::{Lab, Outcome, Report, Verdict};

/// The table's width when standard output is not a terminal.
pub const PIPE_WIDTH: u16 = 150;

/// The JSON schema's version; bumped when a change is not additive.
pub const JSON_VERSION: u32 = 1;

/// Where graded reports go.
pub trait ReportSink {
    /// What was read from the submission whose report comes next; only the HTML
    /// report shows it (its transactions and the frames failing rules name).
    fn detail(&mut self, _detail: &super::html::Detail<'_>) {}
    fn report(&mut self, report: &Report) -> io::Result<()>;
    /// Ends the output (and flushes it).
    fn finish(&mut self) -> io::Result<()>;
}

/// Counts over a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub submissions: u64,
    pub passed: u64,
    pub failed: u64,
    pub unreadable: u64,
}

impl Tally {
    pub fn add(&mut self, r: &Report) {
        self.submissions += 1;
        match &r.outcome {
            Outcome::Unreadable { .. } => self.unreadable += 1,
            _ if r.passed() => self.passed += 1,
            _ => self.failed += 1,
        }
    }

    /// `3 submissions: 1 passed, 1 failed, 1 could not be read`.
    pub fn line(&self) -> String {
        let mut s = format!(
            "{} submission{}: {} passed, {} failed",
            self.submissions,
            if self.submissions == 1 { "" } else { "s" },
            self.passed,
            self.failed
        );
        if self.unreadable > 0 {
            s.push_str(&format!(", {} could not be read", self.unreadable));
        }
        s
    }
}

/// Control characters in a path or message, escaped so they cannot drive a terminal.
fn sanitize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// One line per failed rule (`rule: message`), or per note of a passed one.
fn reasons(report: &Report) -> Vec<String> {
    match &report.outcome {
        Outcome::Unreadable { error } => vec![format!("could not be read: {error}")],
        Outcome::Graded { results, .. } => {
            let failed: Vec<String> = results
                .iter()
                .filter_map(|r| r.message.as_ref().map(|m| format!("{}: {m}", r.rule)))
                .collect();
            if !failed.is_empty() {
                return failed;
            }
            results
                .iter()
                .filter_map(|r| match &r.verdict {
                    Verdict::Pass { note: Some(n) } => Some(format!("{}: {n}", r.rule)),
                    _ => None,
                })
                .collect()
        }
    }
}

// ---- table --------------------------------------------------------------------------

/// The table: one row per submission.
pub struct TableReport {
    out: Box<dyn Write>,
    total: u32,
    table: Table,
    color: bool,
}

impl TableReport {
    /// `fit_terminal`: wrap the table to the terminal's width (stdout is one);
    /// otherwise rows are never wrapped, so the output does not depend on a width.
    pub fn new(out: Box<dyn Write>, lab: &Lab, color: bool, fit_terminal: bool) -> Self {
        let mut table = Table::new();
        table.load_preset(presets::UTF8_FULL_CONDENSED);
        if color {
            table.enforce_styling();
        }
        if fit_terminal {
            table.set_content_arrangement(ContentArrangement::Dynamic);
        } else {
            // Not a terminal: wrap the reasons at a fixed width, so the output is the
            // same wherever it is written.
            if !color {
                table.force_no_tty();
            }
            table.set_width(PIPE_WIDTH);
            table.set_content_arrangement(ContentArrangement::Dynamic);
        }
        let header: Vec<Cell> = ["File", "Verdict", "Score", "Reasons"]
            .into_iter()
            .map(|h| {
                let c = Cell::new(h);
                if color {
                    c.add_attribute(Attribute::Bold)
                } else {
                    c
                }
            })
            .collect();
        table.set_header(header);
        // Verdict and score keep their width; a long path may wrap, but the reasons
        // keep room enough to be read.
        let constraints = [
            ColumnConstraint::UpperBoundary(Width::Percentage(40)),
            ColumnConstraint::ContentWidth,
            ColumnConstraint::ContentWidth,
            ColumnConstraint::LowerBoundary(Width::Fixed(50)),
        ];
        for (i, c) in constraints.into_iter().enumerate() {
            if let Some(col) = table.column_mut(i) {
                col.set_constraint(c);
            }
        }
        Self {
            out,
            total: lab.total(),
            table,
            color,
        }
    }
}

impl ReportSink for TableReport {
    fn report(&mut self, r: &Report) -> io::Result<()> {
        let mut verdict = Cell::new(r.verdict_word());
        if self.color {
            verdict = verdict.fg(if r.passed() { Color::Green } else { Color::Red });
        }
        let score = match r.outcome {
            Outcome::Unreadable { .. } => "-".to_string(),
            Outcome::Graded { .. } => format!("{}/{}", r.score(), self.total),
        };
        let reasons: Vec<String> = reasons(r).iter().map(|s| sanitize(s)).collect();
        self.table.add_row(vec![
            Cell::new(sanitize(&r.file)),
            verdict,
            Cell::new(score),
            Cell::new(reasons.join("\n")),
        ]);
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        writeln!(self.out, "{}", self.table)?;
        self.out.flush()
    }
}

// ---- JSON and NDJSON ----------------------------------------------------------------

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LabJson<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'a str>,
    total: u32,
    rules: Vec<RuleJson<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RuleJson<'a> {
    name: &'a str,
    check: &'static str,
    points: u32,
}

fn lab_json(lab: &Lab) -> LabJson<'_> {
    LabJson {
        name: &lab.name,
        title: lab.title.as_deref(),
        total: lab.total(),
        rules: lab
            .rules
            .iter()
            .map(|r| RuleJson {
                name: &r.name,
                check: r.check.name(),
                points: r.points,
            })
            .collect(),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SubmissionJson<'a> {
    file: &'a str,
    /// `pass`, `fail` or `unreadable`.
    verdict: &'static str,
    score: u32,
    total: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    format: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    rules: Vec<ResultJson<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultJson<'a> {
    rule: &'a str,
    points: u32,
    passed: bool,
    /// The frames the failure concerns (empty when it concerns the whole file).
    frames: &'a [u64],
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
}

fn submission_json(r: &Report, total: u32) -> SubmissionJson<'_> {
    let (format, error, rules) = match &r.outcome {
        Outcome::Unreadable { error } => (None, Some(error.as_str()), Vec::new()),
        Outcome::Graded { format, results } => (
            Some(format.as_str()),
            None,
            results
                .iter()
                .map(|x| {
                    let (frames, detail, note): (&[u64], _, _) = match &x.verdict {
                        Verdict::Pass { note } => (&[], None, note.as_deref()),
                        Verdict::Fail { frames, detail } => (frames, Some(detail.as_str()), None),
                    };
                    ResultJson {
                        rule: &x.rule,
                        points: x.points,
                        passed: x.verdict.is_pass(),
                        frames,
                        detail,
                        message: x.message.as_deref(),
                        note,
                    }
                })
                .collect(),
        ),
    };
    SubmissionJson {
        file: &r.file,
        verdict: match &r.outcome {
            Outcome::Unreadable { .. } => "unreadable",
            _ if r.passed() => "pass",
            _ => "fail",
        },
        score: r.score(),
        total,
        format,
        error,
        rules,
    }
}

/// One JSON document: `{"version", "lab", "submissions", "summary"}`.
pub struct JsonReport {
    out: Box<dyn Write>,
    lab: Lab,
    submissions: Vec<Report>,
    tally: Tally,
}

impl JsonReport {
    pub fn new(out: Box<dyn Write>, lab: &Lab) -> Self {
        Self {
            out,
            lab: lab.clone(),
            submissions: Vec::new(),
            tally: Tally::default(),
        }
    }
}

fn to_io(e: serde_json::Error) -> io::Error {
    io::Error::other(e)
}

impl ReportSink for JsonReport {
    fn report(&mut self, r: &Report) -> io::Result<()> {
        self.tally.add(r);
        self.submissions.push(r.clone());
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        #[derive(Serialize)]
        struct Doc<'a> {
            version: u32,
            lab: LabJson<'a>,
            submissions: Vec<SubmissionJson<'a>>,
            summary: Tally,
        }
        let total = self.lab.total();
        let doc = Doc {
            version: JSON_VERSION,
            lab: lab_json(&self.lab),
            submissions: self
                .submissions
                .iter()
                .map(|r| submission_json(r, total))
                .collect(),
            summary: self.tally,
        };
        serde_json::to_writer_pretty(&mut self.out, &doc).map_err(to_io)?;
        writeln!(self.out)?;
        self.out.flush()
    }
}

/// One event per line: `{"type":"lab",...}` first, then `{"type":"submission",...}` as
/// each is graded, then `{"type":"summary",...}`.
pub struct NdjsonReport {
    out: Box<dyn Write>,
    total: u32,
    tally: Tally,
}

#[derive(Serialize)]
struct Event<T: Serialize> {
    #[serde(rename = "type")]
    kind: &'static str,
    data: T,
}

impl NdjsonReport {
    pub fn new(mut out: Box<dyn Write>, lab: &Lab) -> io::Result<Self> {
        serde_json::to_writer(
            &mut out,
            &Event {
                kind: "lab",
                data: lab_json(lab),
            },
        )
        .map_err(to_io)?;
        writeln!(out)?;
        Ok(Self {
            out,
            total: lab.total(),
            tally: Tally::default(),
        })
    }
}

impl ReportSink for NdjsonReport {
    fn report(&mut self, r: &Report) -> io::Result<()> {
        self.tally.add(r);
        serde_json::to_writer(
            &mut self.out,
            &Event {
                kind: "submission",
                data: submission_json(r, self.total),
            },
        )
        .map_err(to_io)?;
        writeln!(self.out)
    }

    fn finish(&mut self) -> io::Result<()> {
        serde_json::to_writer(
            &mut self.out,
            &Event {
                kind: "summary",
                data: self.tally,
            },
        )
        .map_err(to_io)?;
        writeln!(self.out)?;
        self.out.flush()
    }
}

// ---- CSV ----------------------------------------------------------------------------

/// CSV for a gradebook (RFC 4180): `file,verdict,score,total,reasons`, then one column
/// per rule with the points it earned.
pub struct CsvReport {
    out: Box<dyn Write>,
    rules: Vec<String>,
    total: u32,
}

/// One CSV field, quoted when it holds a comma, quote or line break.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

impl CsvReport {
    pub fn new(mut out: Box<dyn Write>, lab: &Lab) -> io::Result<Self> {
        let mut header = vec![
            "file".to_string(),
            "verdict".into(),
            "score".into(),
            "total".into(),
            "reasons".into(),
        ];
        header.extend(lab.rules.iter().map(|r| csv_field(&r.name)));
        write!(out, "{}\r\n", header.join(","))?;
        Ok(Self {
            out,
            rules: lab.rules.iter().map(|r| r.name.clone()).collect(),
            total: lab.total(),
        })
    }
}

impl ReportSink for CsvReport {
    fn report(&mut self, r: &Report) -> io::Result<()> {
        let mut row = vec![
            csv_field(&sanitize(&r.file)),
            r.verdict_word().to_ascii_lowercase(),
            r.score().to_string(),
            self.total.to_string(),
            csv_field(&sanitize(&reasons(r).join(" | "))),
        ];
        for name in &self.rules {
            let earned = match &r.outcome {
                Outcome::Graded { results, .. } => results
                    .iter()
                    .find(|x| &x.rule == name)
                    .map(|x| if x.verdict.is_pass() { x.points } else { 0 })
                    .unwrap_or(0),
                Outcome::Unreadable { .. } => 0,
            };
            row.push(earned.to_string());
        }
        write!(self.out, "{}\r\n", row.join(","))
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{rubric, FileFormat, RuleResult};

    /// A `Write` that keeps what it is given, shared with the test.
    #[derive(Clone, Default)]
    struct Shared(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Shared {
        fn text(&self) -> String {
            String::from_utf8(self.0.borrow().clone()).unwrap()
        }
    }

    fn lab() -> Lab {
        rubric::from_flags(&["A:www.example.com@192.0.2.53".into()], true, false, true).unwrap()
    }

    fn reports() -> Vec<Report> {
        let lab = lab();
        let results = |fail: Option<&str>| {
            lab.rules
                .iter()
                .map(|r| {
                    let failed = fail == Some(r.name.as_str());
                    RuleResult {
                        rule: r.name.clone(),
                        points: r.points,
                        verdict: if failed {
                            Verdict::fail(
                                vec![1],
                                "the query in frame 1 carries an EDNS OPT record",
                            )
                        } else {
                            Verdict::pass()
                        },
                        message: failed.then(|| {
                            r.message("the query in frame 1 carries an EDNS OPT record", Some(1))
                        }),
                    }
                })
                .collect()
        };
        vec![
            Report {
                file: "alice.pcapng".into(),
                outcome: Outcome::Graded {
                    format: FileFormat::Pcapng,
                    results: results(None),
                },
            },
            Report {
                file: "bob, jr.pcapng".into(),
                outcome: Outcome::Graded {
                    format: FileFormat::Pcapng,
                    results: results(Some("no-edns")),
                },
            },
            Report {
                file: "carol\x1b.pcap".into(),
                outcome: Outcome::Unreadable {
                    error: "not a capture".into(),
                },
            },
        ]
    }

    #[test]
    fn table_has_one_row_per_submission_and_escapes_paths() {
        let buf = Shared::default();
        let mut sink = TableReport::new(Box::new(buf.clone()), &lab(), false, false);
        for r in reports() {
            sink.report(&r).unwrap();
        }
        sink.finish().unwrap();
        let t = buf.text();
        assert!(
            t.contains("alice.pcapng") && t.contains("PASS") && t.contains("4/4"),
            "{t}"
        );
        assert!(t.contains("FAIL") && t.contains("3/4"), "{t}");
        assert!(
            t.contains("no-edns: the query in frame 1 carries an EDNS OPT record"),
            "{t}"
        );
        assert!(
            t.contains("carol\\u{1b}.pcap") && t.contains("UNREADABLE"),
            "{t}"
        );
        assert!(!t.contains('\x1b'), "{t}");
    }

    #[test]
    fn csv_quotes_and_has_rule_columns() {
        let buf = Shared::default();
        let mut sink = CsvReport::new(Box::new(buf.clone()), &lab()).unwrap();
        for r in reports() {
            sink.report(&r).unwrap();
        }
        sink.finish().unwrap();
        let lines: Vec<String> = buf.text().split("\r\n").map(String::from).collect();
        assert_eq!(
            lines[0],
            "file,verdict,score,total,reasons,pcapng,queries-sent,no-edns,answered"
        );
        assert_eq!(lines[1], "alice.pcapng,pass,4,4,,1,1,1,1");
        assert_eq!(
            lines[2],
            "\"bob, jr.pcapng\",fail,3,4,no-edns: the query in frame 1 carries an EDNS OPT record,1,1,0,1"
        );
        assert!(lines[3]
            .starts_with("carol\\u{1b}.pcap,unreadable,0,4,could not be read: not a capture"));
    }

    #[test]
    fn json_document_and_ndjson_events() {
        let buf = Shared::default();
        let mut sink = JsonReport::new(Box::new(buf.clone()), &lab());
        for r in reports() {
            sink.report(&r).unwrap();
        }
        sink.finish().unwrap();
        let v: serde_json::Value = serde_json::from_str(&buf.text()).unwrap();
        assert_eq!(v["version"], 1);
        assert_eq!(v["lab"]["total"], 4);
        assert_eq!(v["submissions"][1]["verdict"], "fail");
        assert_eq!(v["submissions"][1]["rules"][2]["rule"], "no-edns");
        assert_eq!(v["submissions"][1]["rules"][2]["passed"], false);
        assert_eq!(v["submissions"][1]["rules"][2]["frames"][0], 1);
        assert_eq!(v["submissions"][2]["verdict"], "unreadable");
        assert_eq!(v["summary"]["unreadable"], 1);

        let buf = Shared::default();
        let mut sink = NdjsonReport::new(Box::new(buf.clone()), &lab()).unwrap();
        for r in reports() {
            sink.report(&r).unwrap();
        }
        sink.finish().unwrap();
        let kinds: Vec<String> = buf
            .text()
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["type"].to_string())
            .collect();
        assert_eq!(
            kinds,
            [
                "\"lab\"",
                "\"submission\"",
                "\"submission\"",
                "\"submission\"",
                "\"summary\""
            ]
        );
    }
}
