//! `check`: grades lab captures against a rubric.
//!
//! A [`Lab`] is a list of [`Rule`]s, each a built-in [`Check`] with its arguments, its
//! points and its message; it comes from a rubric file ([`rubric::Rubric`]) or from
//! the `--expect` flags ([`rubric::from_flags`]). [`grade`] runs every rule on one
//! capture, already read into memory by `app::analyze`, and gives one [`Verdict`] per
//! rule; a [`Report`] holds a submission's results (or why it could not be read), and
//! [`report`] prints reports as a table, JSON, NDJSON or CSV.
//!
//! Checks are an enum rather than a trait: the set is closed (rubrics can only name
//! built-in checks), and each variant carries its typed arguments.

pub mod html;
pub mod report;
pub mod rubric;
pub mod rules;

use std::fmt;
use std::net::IpAddr;

use crate::dns::Rtype;

pub use rules::{grade, IcmpQuote, NonDns, Submission};

/// A lab, ready to grade: its rules in report order.
#[derive(Clone, Debug)]
pub struct Lab {
    pub name: String,
    pub title: Option<String>,
    pub rules: Vec<Rule>,
}

impl Lab {
    /// The sum of every rule's points.
    pub fn total(&self) -> u32 {
        self.rules.iter().map(|r| r.points).sum()
    }
}

/// One rule: a built-in check with its arguments, its points and its message.
#[derive(Clone, Debug)]
pub struct Rule {
    pub name: String,
    pub points: u32,
    pub check: Check,
    /// The message template with the parameters filled in.
    pub(crate) message: Vec<Segment>,
}

impl Rule {
    /// The rule's message for a failure: the template with `${detail}`, `${frame}`,
    /// `${rule}` and `${points}` filled in.
    pub fn message(&self, detail: &str, frame: Option<u64>) -> String {
        let mut out = String::new();
        for seg in &self.message {
            match seg {
                Segment::Text(t) => out.push_str(t),
                Segment::Var(Var::Detail) => out.push_str(detail),
                Segment::Var(Var::Frame) => match frame {
                    Some(f) => out.push_str(&f.to_string()),
                    None => out.push('-'),
                },
                Segment::Var(Var::Rule) => out.push_str(&self.name),
                Segment::Var(Var::Points) => out.push_str(&self.points.to_string()),
            }
        }
        out
    }
}

/// A piece of a message template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Segment {
    Text(String),
    Var(Var),
}

/// What a message may name about a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Var {
    Detail,
    Frame,
    Rule,
    Points,
}

impl Var {
    pub(crate) fn from_name(s: &str) -> Option<Self> {
        match s {
            "detail" => Some(Self::Detail),
            "frame" => Some(Self::Frame),
            "rule" => Some(Self::Rule),
            "points" => Some(Self::Points),
            _ => None,
        }
    }
}

/// A capture file's format, as its first bytes say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileFormat {
    Pcap,
    Pcapng,
}

impl FileFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pcap => "pcap",
            Self::Pcapng => "pcapng",
        }
    }
}

impl fmt::Display for FileFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which queries a check looks at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Every query in the capture.
    All,
    /// Only the queries for these lookups (name and type; the server is not compared).
    Lookups(Vec<Lookup>),
}

/// A lookup the student was asked to make: `TYPE:NAME` or `TYPE:NAME@SERVER`
/// (`@SERVER#PORT` for a port other than 53).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lookup {
    pub rtype: Rtype,
    /// Lower case, in presentation format, ending in a dot.
    pub name: String,
    pub server: Option<IpAddr>,
    pub port: u16,
}

impl Lookup {
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let Some((ty, rest)) = s.split_once(':') else {
            return Err(format!(
                "lookup {s:?} is not TYPE:NAME or TYPE:NAME@SERVER (e.g. A:www.example.com@8.8.8.8)"
            ));
        };
        let rtype = Rtype::from_name(ty.trim())
            .ok_or_else(|| format!("lookup {s:?}: {ty:?} is not a record type"))?;
        let (name, server) = match rest.rsplit_once('@') {
            Some((n, srv)) => (n, Some(srv.trim())),
            None => (rest, None),
        };
        let name = normalize_name(name.trim()).map_err(|m| format!("lookup {s:?}: {m}"))?;
        let (server, port) = match server {
            None => (None, 53),
            Some(srv) => {
                let (addr, port) = match srv.split_once('#') {
                    Some((a, p)) => (
                        a,
                        p.parse::<u16>()
                            .ok()
                            .filter(|&p| p != 0)
                            .ok_or_else(|| format!("lookup {s:?}: {p:?} is not a port"))?,
                    ),
                    None => (srv, 53),
                };
                let addr = addr
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<IpAddr>()
                    .map_err(|_| format!("lookup {s:?}: server {addr:?} is not an IP address"))?;
                (Some(addr), port)
            }
        };
        Ok(Self {
            rtype,
            name,
            server,
            port,
        })
    }

    /// Whether a name in presentation format (as `dns::Name` displays it) is this
    /// lookup's name, ignoring ASCII case.
    pub fn is_name(&self, name: &str) -> bool {
        same_name(&self.name, name)
    }
}

impl fmt::Display for Lookup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.rtype, self.name)?;
        if let Some(s) = self.server {
            write!(f, "@{s}")?;
            if self.port != 53 {
                write!(f, "#{}", self.port)?;
            }
        }
        Ok(())
    }
}

/// Two names in presentation format are the same, ignoring ASCII case and a final dot.
pub(crate) fn same_name(a: &str, b: &str) -> bool {
    let a = a.strip_suffix('.').unwrap_or(a);
    let b = b.strip_suffix('.').unwrap_or(b);
    a.eq_ignore_ascii_case(b)
}

/// Lower case, final dot; rejects names that cannot be on the wire.
fn normalize_name(name: &str) -> Result<String, String> {
    if name.is_empty() {
        return Err("the name is empty".into());
    }
    if name == "." {
        return Ok(".".into());
    }
    let bare = name.strip_suffix('.').unwrap_or(name);
    let mut wire_len = 1;
    for label in bare.split('.') {
        if label.is_empty() {
            return Err(format!("{name:?} has an empty label"));
        }
        if label.len() > 63 {
            return Err(format!("{name:?} has a label over 63 octets"));
        }
        wire_len += label.len() + 1;
    }
    if wire_len > 255 {
        return Err(format!("{name:?} is over 255 octets"));
    }
    Ok(format!("{}.", bare.to_ascii_lowercase()))
}

/// A built-in check with its arguments (see `docs/labs/README.md`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Check {
    /// The file is in this format.
    FileFormat(FileFormat),
    /// Every frame carries DNS.
    OnlyDns,
    /// Every query asks one of these lookups.
    OnlyLookups(Vec<Lookup>),
    /// A query for each lookup went to its server.
    QuerySent(Vec<Lookup>),
    /// Every query in scope has RD = `rd`.
    RecursionDesired { rd: bool, scope: Scope },
    /// No query in scope carries an OPT record.
    NoEdns { scope: Scope },
    /// Each lookup's query was answered: NOERROR and a record of the type (CNAMEs followed).
    Answered(Vec<Lookup>),
    /// Every query is well formed and asks one of `types`.
    QueryWellFormed { types: Vec<Rtype> },
    /// IDs are not 0 and not the same for every lookup.
    QueryId,
    /// Retries reuse the question, are spaced by about the timeout, number at most `tries`
    /// (exactly `tries` when no answer comes).
    Retries { timeout_micros: i64, tries: u32 },
    /// The first query for the lookups goes to a root.
    StartsAtRoot {
        roots: Vec<IpAddr>,
        lookups: Vec<Lookup>,
    },
    /// Every query goes to a root or to an address an earlier response gave.
    FollowsReferrals { roots: Vec<IpAddr> },
    /// The walk ends in an answer for the lookups.
    ReachesAnswer(Vec<Lookup>),
}

impl Check {
    /// The name a rubric uses for the check.
    pub fn name(&self) -> &'static str {
        match self {
            Self::FileFormat(_) => "file-format",
            Self::OnlyDns => "only-dns",
            Self::OnlyLookups(_) => "only-lookups",
            Self::QuerySent(_) => "query-sent",
            Self::RecursionDesired { .. } => "recursion-desired",
            Self::NoEdns { .. } => "no-edns",
            Self::Answered(_) => "answered",
            Self::QueryWellFormed { .. } => "query-well-formed",
            Self::QueryId => "query-id",
            Self::Retries { .. } => "retries",
            Self::StartsAtRoot { .. } => "starts-at-root",
            Self::FollowsReferrals { .. } => "follows-referrals",
            Self::ReachesAnswer(_) => "reaches-answer",
        }
    }
}

/// One rule's result on one capture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The rule holds; `note` says something worth showing anyway (the referral chain).
    Pass { note: Option<String> },
    /// The rule does not hold: the frames concerned and one sentence saying why.
    Fail { frames: Vec<u64>, detail: String },
}

impl Verdict {
    pub fn pass() -> Self {
        Self::Pass { note: None }
    }

    pub fn fail(frames: Vec<u64>, detail: impl Into<String>) -> Self {
        Self::Fail {
            frames,
            detail: detail.into(),
        }
    }

    pub fn is_pass(&self) -> bool {
        matches!(self, Self::Pass { .. })
    }
}

/// A rule's result, ready to report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleResult {
    pub rule: String,
    pub points: u32,
    pub verdict: Verdict,
    /// For a failure: the rule's message with the detail filled in.
    pub message: Option<String>,
}

/// What became of one submission.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The capture was read and graded.
    Graded {
        format: FileFormat,
        results: Vec<RuleResult>,
    },
    /// The file could not be read (not a capture, I/O error).
    Unreadable { error: String },
}

/// One submission's report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// The path as given (or found in a folder).
    pub file: String,
    pub outcome: Outcome,
}

impl Report {
    /// Every rule passed.
    pub fn passed(&self) -> bool {
        match &self.outcome {
            Outcome::Graded { results, .. } => results.iter().all(|r| r.verdict.is_pass()),
            Outcome::Unreadable { .. } => false,
        }
    }

    /// The points of the rules that passed.
    pub fn score(&self) -> u32 {
        match &self.outcome {
            Outcome::Graded { results, .. } => results
                .iter()
                .filter(|r| r.verdict.is_pass())
                .map(|r| r.points)
                .sum(),
            Outcome::Unreadable { .. } => 0,
        }
    }

    /// A short word for the verdict: `PASS`, `FAIL` or `UNREADABLE`.
    pub fn verdict_word(&self) -> &'static str {
        match &self.outcome {
            Outcome::Unreadable { .. } => "UNREADABLE",
            _ if self.passed() => "PASS",
            _ => "FAIL",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_parses_the_expect_syntax() {
        let l = Lookup::parse("AAAA:WWW.Example.com@8.8.8.8").unwrap();
        assert_eq!(l.rtype, Rtype::AAAA);
        assert_eq!(l.name, "www.example.com.");
        assert_eq!(l.server, Some("8.8.8.8".parse().unwrap()));
        assert_eq!(l.port, 53);
        assert_eq!(l.to_string(), "AAAA:www.example.com.@8.8.8.8");

        let l = Lookup::parse("a:host.lab.@2001:db8::1#5353").unwrap();
        assert_eq!(l.rtype, Rtype::A);
        assert_eq!(l.server, Some("2001:db8::1".parse().unwrap()));
        assert_eq!(l.port, 5353);
        assert_eq!(l.to_string(), "A:host.lab.@2001:db8::1#5353");

        let l = Lookup::parse("MX:example.org").unwrap();
        assert_eq!(l.server, None);
        assert!(l.is_name("EXAMPLE.org"));
        assert!(l.is_name("example.org."));
        assert!(!l.is_name("www.example.org."));
    }

    #[test]
    fn bad_lookups_are_explained() {
        for (bad, why) in [
            ("www.example.com", "is not TYPE:NAME"),
            ("BOGUS:www.example.com", "is not a record type"),
            ("A:www..example.com", "empty label"),
            ("A:www.example.com@eight", "is not an IP address"),
            ("A:www.example.com@8.8.8.8#0", "is not a port"),
            ("A:", "the name is empty"),
        ] {
            let e = Lookup::parse(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn message_fills_finding_variables() {
        let rule = Rule {
            name: "no-edns".into(),
            points: 2,
            check: Check::OnlyDns,
            message: vec![
                Segment::Var(Var::Detail),
                Segment::Text(" (frame ".into()),
                Segment::Var(Var::Frame),
                Segment::Text(", ".into()),
                Segment::Var(Var::Rule),
                Segment::Text(", ".into()),
                Segment::Var(Var::Points),
                Segment::Text(")".into()),
            ],
        };
        assert_eq!(
            rule.message("has OPT", Some(7)),
            "has OPT (frame 7, no-edns, 2)"
        );
        assert_eq!(rule.message("x", None), "x (frame -, no-edns, 2)");
    }
}
