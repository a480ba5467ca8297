//! Rubric files: the TOML that says what a lab's captures must show.
//!
//! The format is documented in `docs/labs/README.md`. Loading happens in two steps:
//! [`Rubric::parse`] reads and validates the file (unknown keys, unknown checks, an
//! argument the check does not take, a missing argument and an unknown `${name}` are
//! errors that name the line), and [`Rubric::instantiate`] fills in the parameters
//! (`--set name=value`) and turns every rule into a [`Rule`] with a typed [`Check`].
//! [`from_flags`] builds the same [`Lab`] from `--expect`, `--no-edns`, `--only-dns`
//! and `--pcapng`.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use serde::Deserialize;
use toml::Spanned;

use super::{Check, FileFormat, Lab, Lookup, Rule, Scope, Segment, Var};
use crate::dns::Rtype;

/// A problem with a rubric, or with the parameters given to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// 1-based line in the rubric file, when the problem has one.
    pub line: Option<usize>,
    pub message: String,
}

impl Error {
    fn at(line: usize, message: impl Into<String>) -> Self {
        Self {
            line: Some(line),
            message: message.into(),
        }
    }

    fn general(message: impl Into<String>) -> Self {
        Self {
            line: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Error {}

// ---- the file as serde sees it ------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRubric {
    lab: RawLab,
    #[serde(default)]
    params: BTreeMap<String, Spanned<RawParam>>,
    #[serde(default)]
    rule: Vec<Spanned<RawRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLab {
    name: String,
    title: Option<String>,
    description: Option<String>,
    lookups: Option<Spanned<Vec<Spanned<String>>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParam {
    help: Option<String>,
    default: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    name: Spanned<String>,
    check: Spanned<CheckKind>,
    points: Option<Spanned<i64>>,
    message: Option<Spanned<String>>,
    // The checks' arguments; which check takes which is in `CheckKind::takes`.
    format: Option<Spanned<String>>,
    lookups: Option<Spanned<Vec<Spanned<String>>>>,
    rd: Option<Spanned<bool>>,
    scope: Option<Spanned<String>>,
    types: Option<Spanned<Vec<Spanned<String>>>>,
    timeout: Option<Spanned<NumOrStr>>,
    tries: Option<Spanned<NumOrStr>>,
    roots: Option<Spanned<Vec<Spanned<String>>>>,
}

/// A number argument: a TOML number, or a string (so it can hold `${param}`).
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
enum NumOrStr {
    Int(i64),
    Float(f64),
    Str(String),
}

/// The built-in checks a rule can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckKind {
    FileFormat,
    OnlyDns,
    OnlyLookups,
    QuerySent,
    RecursionDesired,
    NoEdns,
    Answered,
    QueryWellFormed,
    QueryId,
    Retries,
    StartsAtRoot,
    FollowsReferrals,
    ReachesAnswer,
}

/// A rule argument's key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Arg {
    Format,
    Lookups,
    Rd,
    Scope,
    Types,
    Timeout,
    Tries,
    Roots,
}

impl Arg {
    fn key(self) -> &'static str {
        match self {
            Self::Format => "format",
            Self::Lookups => "lookups",
            Self::Rd => "rd",
            Self::Scope => "scope",
            Self::Types => "types",
            Self::Timeout => "timeout",
            Self::Tries => "tries",
            Self::Roots => "roots",
        }
    }
}

impl CheckKind {
    pub fn name(self) -> &'static str {
        match self {
            Self::FileFormat => "file-format",
            Self::OnlyDns => "only-dns",
            Self::OnlyLookups => "only-lookups",
            Self::QuerySent => "query-sent",
            Self::RecursionDesired => "recursion-desired",
            Self::NoEdns => "no-edns",
            Self::Answered => "answered",
            Self::QueryWellFormed => "query-well-formed",
            Self::QueryId => "query-id",
            Self::Retries => "retries",
            Self::StartsAtRoot => "starts-at-root",
            Self::FollowsReferrals => "follows-referrals",
            Self::ReachesAnswer => "reaches-answer",
        }
    }

    /// The arguments the check takes, and whether each is required. Lookups are
    /// "required" in the sense that the rule or the `[lab]` table must give them.
    fn takes(self) -> &'static [(Arg, bool)] {
        use Arg::*;
        match self {
            Self::FileFormat => &[(Format, true)],
            Self::OnlyDns | Self::QueryId => &[],
            Self::OnlyLookups | Self::QuerySent | Self::Answered | Self::ReachesAnswer => {
                &[(Lookups, true)]
            }
            Self::RecursionDesired => &[(Rd, true), (Scope, false), (Lookups, false)],
            Self::NoEdns => &[(Scope, false), (Lookups, false)],
            Self::QueryWellFormed => &[(Types, false)],
            Self::Retries => &[(Timeout, true), (Tries, true)],
            Self::StartsAtRoot => &[(Roots, true), (Lookups, true)],
            Self::FollowsReferrals => &[(Roots, true)],
        }
    }
}

// ---- the validated rubric -----------------------------------------------------------

/// A string from the rubric with the line it is on; it may hold `${name}` placeholders.
#[derive(Clone, Debug)]
struct Text {
    text: String,
    line: usize,
}

#[derive(Clone, Debug)]
enum ArgValue {
    Text(Text),
    List(Vec<Text>),
    Bool(bool),
}

#[derive(Clone, Debug)]
struct RuleSpec {
    name: String,
    line: usize,
    kind: CheckKind,
    points: u32,
    message: Option<Text>,
    args: Vec<(Arg, ArgValue)>,
}

/// A parameter the rubric declares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    pub name: String,
    pub help: Option<String>,
    pub default: Option<String>,
}

/// A parsed and validated rubric, before its parameters are filled in.
#[derive(Clone, Debug)]
pub struct Rubric {
    pub name: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub params: Vec<Param>,
    lookups: Option<Vec<Text>>,
    rules: Vec<RuleSpec>,
}

/// The 1-based line of a byte offset in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()
        .get(..end)
        .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count())
        + 1
}

/// The `${name}` placeholders of a string, or an error for an unterminated one.
fn placeholders(s: &str) -> Result<Vec<&str>, String> {
    let mut names = Vec::new();
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            return Err(format!("`${{` without a closing `}}` in {s:?}"));
        };
        names.push(&after[..end]);
        rest = &after[end + 1..];
    }
    Ok(names)
}

/// Replaces each `${name}` by `value(name)`; names were validated when parsing.
fn substitute(s: &str, value: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find('}') {
            Some(end) => {
                let name = &after[..end];
                match value(name) {
                    Some(v) => out.push_str(&v),
                    None => {
                        out.push_str("${");
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

impl Rubric {
    /// Reads a rubric from its TOML text.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let raw: RawRubric = toml::from_str(text).map_err(|e| Error {
            line: e.span().map(|s| line_of(text, s.start)),
            message: e.message().trim_end().to_string(),
        })?;
        let line = |span: std::ops::Range<usize>| line_of(text, span.start);
        let text_of = |s: &Spanned<String>| Text {
            text: s.get_ref().clone(),
            line: line(s.span()),
        };
        let list_of = |l: &Spanned<Vec<Spanned<String>>>| -> Vec<Text> {
            l.get_ref().iter().map(text_of).collect()
        };

        let mut params = Vec::new();
        for (name, p) in &raw.params {
            if !is_identifier(name) {
                return Err(Error::at(
                    line(p.span()),
                    format!("parameter name {name:?} must be letters, digits, `-` or `_`"),
                ));
            }
            if matches!(name.as_str(), "detail" | "frame" | "rule" | "points") {
                return Err(Error::at(
                    line(p.span()),
                    format!("`{name}` is reserved for messages and cannot be a parameter"),
                ));
            }
            let p = p.get_ref();
            params.push(Param {
                name: name.clone(),
                help: p.help.clone(),
                default: p.default.clone(),
            });
        }
        let is_param = |n: &str| params.iter().any(|p| p.name == n);
        let check_text = |t: &Text, in_message: bool| -> Result<(), Error> {
            for name in placeholders(&t.text).map_err(|m| Error::at(t.line, m))? {
                let ok = is_param(name) || (in_message && Var::from_name(name).is_some());
                if !ok {
                    let mut known: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
                    if in_message {
                        known.extend(["detail", "frame", "rule", "points"]);
                    }
                    return Err(Error::at(
                        t.line,
                        format!(
                            "unknown placeholder `${{{name}}}`; known: {}",
                            if known.is_empty() {
                                "none".to_string()
                            } else {
                                known.join(", ")
                            }
                        ),
                    ));
                }
            }
            Ok(())
        };

        let lookups = raw.lab.lookups.as_ref().map(list_of);
        for t in lookups.iter().flatten() {
            check_text(t, false)?;
        }

        let mut rules: Vec<RuleSpec> = Vec::new();
        for r in &raw.rule {
            let rule_line = line(r.span());
            let r = r.get_ref();
            let name = r.name.get_ref().clone();
            if name.is_empty() {
                return Err(Error::at(
                    line(r.name.span()),
                    "a rule's name cannot be empty",
                ));
            }
            if let Some(prev) = rules.iter().find(|p| p.name == name) {
                return Err(Error::at(
                    line(r.name.span()),
                    format!("rule name `{name}` is already used on line {}", prev.line),
                ));
            }
            let kind = *r.check.get_ref();
            let points = match &r.points {
                None => 1,
                Some(p) => u32::try_from(*p.get_ref()).map_err(|_| {
                    Error::at(line(p.span()), "points must be a whole number from 0 up")
                })?,
            };
            let message = r.message.as_ref().map(text_of);
            if let Some(m) = &message {
                check_text(m, true)?;
            }

            let mut given: Vec<(Arg, usize, ArgValue)> = Vec::new();
            if let Some(v) = &r.format {
                given.push((Arg::Format, line(v.span()), ArgValue::Text(text_of(v))));
            }
            if let Some(v) = &r.lookups {
                given.push((Arg::Lookups, line(v.span()), ArgValue::List(list_of(v))));
            }
            if let Some(v) = &r.rd {
                given.push((Arg::Rd, line(v.span()), ArgValue::Bool(*v.get_ref())));
            }
            if let Some(v) = &r.scope {
                given.push((Arg::Scope, line(v.span()), ArgValue::Text(text_of(v))));
            }
            if let Some(v) = &r.types {
                given.push((Arg::Types, line(v.span()), ArgValue::List(list_of(v))));
            }
            for (arg, v) in [(Arg::Timeout, &r.timeout), (Arg::Tries, &r.tries)] {
                if let Some(v) = v {
                    let text = match v.get_ref() {
                        NumOrStr::Int(i) => i.to_string(),
                        NumOrStr::Float(f) => f.to_string(),
                        NumOrStr::Str(s) => s.clone(),
                    };
                    let l = line(v.span());
                    given.push((arg, l, ArgValue::Text(Text { text, line: l })));
                }
            }
            if let Some(v) = &r.roots {
                given.push((Arg::Roots, line(v.span()), ArgValue::List(list_of(v))));
            }

            let takes = kind.takes();
            for (arg, l, _) in &given {
                if !takes.iter().any(|(a, _)| a == arg) {
                    let what = if takes.is_empty() {
                        "no arguments".to_string()
                    } else {
                        takes
                            .iter()
                            .map(|(a, _)| a.key())
                            .collect::<Vec<_>>()
                            .join(", ")
                    };
                    return Err(Error::at(
                        *l,
                        format!(
                            "rule `{name}`: check `{}` does not take `{}` (it takes {what})",
                            kind.name(),
                            arg.key()
                        ),
                    ));
                }
            }
            for (arg, required) in takes {
                let has = given.iter().any(|(a, _, _)| a == arg)
                    || (*arg == Arg::Lookups && lookups.is_some());
                if *required && !has {
                    let hint = if *arg == Arg::Lookups {
                        " (in the rule, or for every rule in [lab])"
                    } else {
                        ""
                    };
                    return Err(Error::at(
                        rule_line,
                        format!(
                            "rule `{name}`: check `{}` needs `{}`{hint}",
                            kind.name(),
                            arg.key()
                        ),
                    ));
                }
            }
            for (_, _, v) in &given {
                match v {
                    ArgValue::Text(t) => check_text(t, false)?,
                    ArgValue::List(ts) => {
                        for t in ts {
                            check_text(t, false)?;
                        }
                    }
                    ArgValue::Bool(_) => {}
                }
            }
            rules.push(RuleSpec {
                name,
                line: rule_line,
                kind,
                points,
                message,
                args: given.into_iter().map(|(a, _, v)| (a, v)).collect(),
            });
        }
        if rules.is_empty() {
            return Err(Error::general("the rubric has no [[rule]]"));
        }
        Ok(Self {
            name: raw.lab.name,
            title: raw.lab.title,
            description: raw.lab.description,
            params,
            lookups,
            rules,
        })
    }

    /// Fills in the parameters (`--set name=value`, then defaults) and builds the lab.
    pub fn instantiate(&self, sets: &[(String, String)]) -> Result<Lab, Error> {
        let mut values: BTreeMap<&str, String> = BTreeMap::new();
        for (k, v) in sets {
            if !self.params.iter().any(|p| &p.name == k) {
                let known: Vec<&str> = self.params.iter().map(|p| p.name.as_str()).collect();
                return Err(Error::general(format!(
                    "--set {k}: the rubric has no parameter `{k}` (it has: {})",
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                )));
            }
            values.insert(k, v.clone());
        }
        for p in &self.params {
            if values.contains_key(p.name.as_str()) {
                continue;
            }
            match &p.default {
                Some(d) => {
                    values.insert(&p.name, d.clone());
                }
                None => {
                    return Err(Error::general(format!(
                        "parameter `{0}` is required: add --set {0}=...{1}",
                        p.name,
                        p.help
                            .as_ref()
                            .map(|h| format!(" ({h})"))
                            .unwrap_or_default()
                    )))
                }
            }
        }
        let value = |name: &str| values.get(name).cloned();
        let fill = |t: &Text| substitute(&t.text, &value);

        let lab_lookups = match &self.lookups {
            Some(ts) => Some(parse_lookups(ts, &fill)?),
            None => None,
        };
        let mut rules = Vec::with_capacity(self.rules.len());
        for spec in &self.rules {
            let arg = |a: Arg| spec.args.iter().find(|(k, _)| *k == a).map(|(_, v)| v);
            let text = |a: Arg| match arg(a) {
                Some(ArgValue::Text(t)) => Some(t),
                _ => None,
            };
            let list = |a: Arg| match arg(a) {
                Some(ArgValue::List(ts)) => Some(ts),
                _ => None,
            };
            let lookups = || -> Result<Vec<Lookup>, Error> {
                match list(Arg::Lookups) {
                    Some(ts) => parse_lookups(ts, &fill),
                    None => Ok(lab_lookups.clone().unwrap_or_default()),
                }
            };
            let scope = || -> Result<Scope, Error> {
                match text(Arg::Scope) {
                    None => Ok(Scope::Lookups(lookups()?)),
                    Some(t) => match fill(t).as_str() {
                        "all" => Ok(Scope::All),
                        "lookups" => Ok(Scope::Lookups(lookups()?)),
                        other => Err(Error::at(
                            t.line,
                            format!("scope must be \"all\" or \"lookups\", not {other:?}"),
                        )),
                    },
                }
            };
            let roots = || -> Result<Vec<IpAddr>, Error> {
                let mut out = Vec::new();
                for t in list(Arg::Roots).into_iter().flatten() {
                    for part in fill(t).split(',').map(str::trim).filter(|p| !p.is_empty()) {
                        out.push(part.parse::<IpAddr>().map_err(|_| {
                            Error::at(t.line, format!("root {part:?} is not an IP address"))
                        })?);
                    }
                }
                if out.is_empty() {
                    return Err(Error::at(spec.line, "roots is empty"));
                }
                Ok(out)
            };
            let check = match spec.kind {
                CheckKind::FileFormat => {
                    let t = text(Arg::Format).ok_or_else(|| Error::at(spec.line, "no format"))?;
                    match fill(t).to_ascii_lowercase().as_str() {
                        "pcapng" => Check::FileFormat(FileFormat::Pcapng),
                        "pcap" => Check::FileFormat(FileFormat::Pcap),
                        other => {
                            return Err(Error::at(
                                t.line,
                                format!("format must be \"pcapng\" or \"pcap\", not {other:?}"),
                            ))
                        }
                    }
                }
                CheckKind::OnlyDns => Check::OnlyDns,
                CheckKind::OnlyLookups => Check::OnlyLookups(lookups()?),
                CheckKind::QuerySent => Check::QuerySent(lookups()?),
                CheckKind::RecursionDesired => {
                    let rd = match arg(Arg::Rd) {
                        Some(ArgValue::Bool(b)) => *b,
                        _ => return Err(Error::at(spec.line, "no rd")),
                    };
                    Check::RecursionDesired {
                        rd,
                        scope: scope()?,
                    }
                }
                CheckKind::NoEdns => Check::NoEdns { scope: scope()? },
                CheckKind::Answered => Check::Answered(lookups()?),
                CheckKind::QueryWellFormed => {
                    let types = match list(Arg::Types) {
                        None => vec![Rtype::A, Rtype::AAAA],
                        Some(ts) => {
                            let mut out = Vec::new();
                            for t in ts {
                                let s = fill(t);
                                out.push(Rtype::from_name(&s).ok_or_else(|| {
                                    Error::at(t.line, format!("{s:?} is not a record type"))
                                })?);
                            }
                            out
                        }
                    };
                    Check::QueryWellFormed { types }
                }
                CheckKind::QueryId => Check::QueryId,
                CheckKind::Retries => {
                    let t = text(Arg::Timeout).ok_or_else(|| Error::at(spec.line, "no timeout"))?;
                    let s = fill(t);
                    let secs: f64 = s
                        .trim()
                        .parse()
                        .ok()
                        .filter(|v: &f64| v.is_finite() && *v > 0.0 && *v <= 3600.0)
                        .ok_or_else(|| {
                            Error::at(
                                t.line,
                                format!("timeout must be a number of seconds, not {s:?}"),
                            )
                        })?;
                    let t = text(Arg::Tries).ok_or_else(|| Error::at(spec.line, "no tries"))?;
                    let s = fill(t);
                    let tries: u32 = s
                        .trim()
                        .parse()
                        .ok()
                        .filter(|v| (1..=100).contains(v))
                        .ok_or_else(|| {
                            Error::at(t.line, format!("tries must be from 1 to 100, not {s:?}"))
                        })?;
                    Check::Retries {
                        timeout_micros: (secs * 1e6) as i64,
                        tries,
                    }
                }
                CheckKind::StartsAtRoot => Check::StartsAtRoot {
                    roots: roots()?,
                    lookups: lookups()?,
                },
                CheckKind::FollowsReferrals => Check::FollowsReferrals { roots: roots()? },
                CheckKind::ReachesAnswer => Check::ReachesAnswer(lookups()?),
            };
            let message = match &spec.message {
                Some(t) => segments(&fill(t)),
                None => vec![Segment::Var(Var::Detail)],
            };
            rules.push(Rule {
                name: spec.name.clone(),
                points: spec.points,
                check,
                message,
            });
        }
        Ok(Lab {
            name: self.name.clone(),
            title: self.title.clone(),
            rules,
        })
    }
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Splits a message (parameters already filled in) into text and finding variables.
fn segments(s: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        match Var::from_name(&after[..end]) {
            Some(var) => {
                if start > 0 {
                    out.push(Segment::Text(rest[..start].to_string()));
                }
                out.push(Segment::Var(var));
            }
            None => out.push(Segment::Text(rest[..start + 2 + end + 1].to_string())),
        }
        rest = &after[end + 1..];
    }
    if !rest.is_empty() {
        out.push(Segment::Text(rest.to_string()));
    }
    out
}

fn parse_lookups(ts: &[Text], fill: &dyn Fn(&Text) -> String) -> Result<Vec<Lookup>, Error> {
    ts.iter()
        .map(|t| Lookup::parse(&fill(t)).map_err(|m| Error::at(t.line, m)))
        .collect()
}

/// Builds a lab from the command-line flags, one point per rule (see
/// `docs/labs/README.md`, "--expect and friends").
pub fn from_flags(
    expect: &[String],
    no_edns: bool,
    only_dns: bool,
    pcapng: bool,
) -> Result<Lab, Error> {
    let lookups = expect
        .iter()
        .map(|e| Lookup::parse(e).map_err(|m| Error::general(format!("--expect {e}: {m}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let mut rules = Vec::new();
    let mut add = |name: &str, check: Check| {
        rules.push(Rule {
            name: name.to_string(),
            points: 1,
            check,
            message: vec![Segment::Var(Var::Detail)],
        })
    };
    if pcapng {
        add("pcapng", Check::FileFormat(FileFormat::Pcapng));
    }
    if only_dns {
        add("only-dns", Check::OnlyDns);
        if !lookups.is_empty() {
            add("only-expected-lookups", Check::OnlyLookups(lookups.clone()));
        }
    }
    if !lookups.is_empty() {
        add("queries-sent", Check::QuerySent(lookups.clone()));
    }
    if no_edns {
        add(
            "no-edns",
            Check::NoEdns {
                scope: if lookups.is_empty() {
                    Scope::All
                } else {
                    Scope::Lookups(lookups.clone())
                },
            },
        );
    }
    if !lookups.is_empty() {
        add("answered", Check::Answered(lookups));
    }
    if rules.is_empty() {
        return Err(Error::general(
            "nothing to check: give --lab RUBRIC, or --expect TYPE:NAME@SERVER (with --no-edns, --only-dns, --pcapng)",
        ));
    }
    Ok(Lab {
        name: "expect".to_string(),
        title: None,
        rules,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[lab]
name = "t"
lookups = ["A:${host}@${server}"]

[params]
host = { help = "the name" }
server = { default = "127.0.0.1" }

[[rule]]
name = "sent"
check = "query-sent"
points = 2
message = "${detail} (ask ${server})"
"#;

    fn sets(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_three_lab_rubrics_load() {
        for (text, sets_) in [
            (
                include_str!("../../docs/labs/wireshark-tracing.toml"),
                sets(&[("host", "www.example.com"), ("server", "8.8.8.8")]),
            ),
            (
                include_str!("../../docs/labs/dns-client.toml"),
                sets(&[("host", "www.example.com"), ("server", "8.8.8.8")]),
            ),
            (
                include_str!("../../docs/labs/iterative-resolver.toml"),
                sets(&[("host", "www.gvsu.edu")]),
            ),
        ] {
            let rubric = Rubric::parse(text).unwrap();
            let lab = rubric.instantiate(&sets_).unwrap();
            assert!(lab.rules.len() >= 5, "{}", lab.name);
        }
    }

    #[test]
    fn parameters_are_filled_in() {
        let lab = Rubric::parse(MINIMAL)
            .unwrap()
            .instantiate(&sets(&[("host", "WWW.Example.com")]))
            .unwrap();
        assert_eq!(lab.rules.len(), 1);
        let rule = &lab.rules[0];
        assert_eq!(rule.points, 2);
        let Check::QuerySent(lookups) = &rule.check else {
            panic!("{:?}", rule.check)
        };
        assert_eq!(lookups[0].to_string(), "A:www.example.com.@127.0.0.1");
        assert_eq!(
            rule.message("no query", Some(3)),
            "no query (ask 127.0.0.1)"
        );
    }

    #[test]
    fn unknown_key_names_its_line() {
        let text = MINIMAL.replace("points = 2", "points = 2\ncolour = \"red\"");
        let e = Rubric::parse(&text).unwrap_err();
        assert_eq!(e.line, Some(14), "{e}");
        assert!(e.message.contains("colour"), "{e}");
    }

    #[test]
    fn unknown_check_names_its_line() {
        let text = MINIMAL.replace("\"query-sent\"", "\"query-snet\"");
        let e = Rubric::parse(&text).unwrap_err();
        assert_eq!(e.line, Some(12), "{e}");
        assert!(e.message.contains("query-snet"), "{e}");
    }

    #[test]
    fn argument_the_check_does_not_take_is_an_error() {
        let text = MINIMAL.replace("points = 2", "points = 2\nrd = true");
        let e = Rubric::parse(&text).unwrap_err();
        assert_eq!(e.line, Some(14), "{e}");
        assert!(e.message.contains("does not take `rd`"), "{e}");
    }

    #[test]
    fn missing_argument_names_the_rule() {
        let text = MINIMAL.replace("check = \"query-sent\"", "check = \"retries\"\ntries = 3");
        let e = Rubric::parse(&text).unwrap_err();
        assert_eq!(e.line, Some(10), "{e}");
        assert!(e.message.contains("needs `timeout`"), "{e}");
    }

    #[test]
    fn unknown_placeholder_is_an_error() {
        let text = MINIMAL.replace("(ask ${server})", "(ask ${sever})");
        let e = Rubric::parse(&text).unwrap_err();
        assert_eq!(e.line, Some(14), "{e}");
        assert!(e.message.contains("${sever}"), "{e}");
    }

    #[test]
    fn set_of_an_undeclared_parameter_is_an_error() {
        let rubric = Rubric::parse(MINIMAL).unwrap();
        let e = rubric
            .instantiate(&sets(&[("host", "a.b"), ("hots", "x")]))
            .unwrap_err();
        assert!(e.message.contains("no parameter `hots`"), "{e}");
    }

    #[test]
    fn required_parameter_must_be_set() {
        let e = Rubric::parse(MINIMAL)
            .unwrap()
            .instantiate(&[])
            .unwrap_err();
        assert!(e.message.contains("--set host="), "{e}");
    }

    #[test]
    fn bad_lookup_after_substitution_names_its_line() {
        let rubric = Rubric::parse(MINIMAL).unwrap();
        let e = rubric
            .instantiate(&sets(&[("host", "a.b"), ("server", "not-an-ip")]))
            .unwrap_err();
        assert_eq!(e.line, Some(4), "{e}");
    }

    #[test]
    fn flags_build_the_wireshark_checks() {
        let lab = from_flags(
            &[
                "A:www.example.com@8.8.8.8".into(),
                "AAAA:www.example.com@8.8.8.8".into(),
            ],
            true,
            true,
            true,
        )
        .unwrap();
        let names: Vec<&str> = lab.rules.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "pcapng",
                "only-dns",
                "only-expected-lookups",
                "queries-sent",
                "no-edns",
                "answered"
            ]
        );
        assert!(from_flags(&[], false, false, false).is_err());
    }
}
