//! The built-in checks: each takes one capture, read into a [`Submission`], and
//! gives a [`Verdict`] with one plain sentence that names the frames.
//!
//! Checks read the DNS messages through `dns::Message` (never re-parsing bytes by
//! hand, except to say which bytes a malformed query has where the parser stopped);
//! they pair a query with its response by addresses, ports and ID, as `txn` does,
//! because a lab's rules need every attempt and its response, not only the summary.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::IpAddr;

use super::{same_name, Check, FileFormat, Lab, Lookup, RuleResult, Scope, Verdict};
use crate::dns::{self, ErrorKind, Rdata, Rtype};
use crate::meta::StoredMessage;
use crate::net::Transport;

/// A frame that carried no DNS message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NonDns {
    pub frame: u64,
    /// What it was, for the report: `TCP`, `UDP port 123`, `ICMP`, `ARP`, ...
    pub kind: String,
}

/// An ICMP or ICMPv6 error that quotes a DNS packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IcmpQuote {
    pub frame: u64,
    /// Who sent the error.
    pub reporter: IpAddr,
    /// "port unreachable", "host unreachable", ...
    pub kind: String,
    /// The quoted packet's addresses and ports (the original query's direction).
    pub src: IpAddr,
    pub dst: IpAddr,
    pub sport: u16,
    pub dport: u16,
}

/// One capture, read completely, as the checks see it.
#[derive(Clone, Copy, Debug)]
pub struct Submission<'a> {
    pub format: FileFormat,
    /// Every DNS message, in frame order.
    pub messages: &'a [StoredMessage],
    /// Frames that carried no DNS message (ICMP errors quoting DNS are in `icmp`).
    pub non_dns: &'a [NonDns],
    pub icmp: &'a [IcmpQuote],
}

/// Runs every rule of the lab on one submission.
pub fn grade(lab: &Lab, sub: &Submission<'_>) -> Vec<RuleResult> {
    let view = View::new(sub);
    lab.rules
        .iter()
        .map(|rule| {
            let verdict = run(&rule.check, &view);
            let message = match &verdict {
                Verdict::Fail { frames, detail } => {
                    Some(rule.message(detail, frames.first().copied()))
                }
                Verdict::Pass { .. } => None,
            };
            RuleResult {
                rule: rule.name.clone(),
                points: rule.points,
                verdict,
                message,
            }
        })
        .collect()
}

fn run(check: &Check, v: &View<'_>) -> Verdict {
    match check {
        Check::FileFormat(f) => file_format(*f, v),
        Check::OnlyDns => only_dns(v),
        Check::OnlyLookups(l) => only_lookups(l, v),
        Check::QuerySent(l) => query_sent(l, v),
        Check::RecursionDesired { rd, scope } => recursion_desired(*rd, scope, v),
        Check::NoEdns { scope } => no_edns(scope, v),
        Check::Answered(l) => answered(l, v),
        Check::QueryWellFormed { types } => query_well_formed(types, v),
        Check::QueryId => query_id(v),
        Check::Retries {
            timeout_micros,
            tries,
        } => retries(*timeout_micros, *tries, v),
        Check::StartsAtRoot { roots, lookups } => starts_at_root(roots, lookups, v),
        Check::FollowsReferrals { roots } => follows_referrals(roots, v),
        Check::ReachesAnswer(l) => reaches_answer(l, v),
    }
}

// ---- the submission, parsed once ------------------------------------------------------

/// One DNS message with its header parsed (when it has 12 bytes).
struct Msg<'a> {
    stored: &'a StoredMessage,
    parsed: Option<dns::Message<'a>>,
}

impl<'a> Msg<'a> {
    fn frame(&self) -> u64 {
        self.stored.meta.frame
    }

    fn micros(&self) -> i64 {
        let ts = self.stored.meta.ts;
        ts.micros_since(&crate::capture::Timestamp::default())
    }

    fn is_query(&self) -> bool {
        self.parsed.as_ref().is_some_and(|m| !m.header().qr())
    }

    fn is_response(&self) -> bool {
        self.parsed.as_ref().is_some_and(|m| m.header().qr())
    }

    fn question(&self) -> Option<dns::Question<'a>> {
        self.parsed.as_ref()?.first_question()?.ok()
    }

    fn asks(&self, lookup: &Lookup) -> bool {
        self.question()
            .is_some_and(|q| q.qtype == lookup.rtype && lookup.is_name(&q.name.to_string()))
    }

    fn in_scope(&self, scope: &Scope) -> bool {
        match scope {
            Scope::All => true,
            Scope::Lookups(ls) => ls.iter().any(|l| self.asks(l)),
        }
    }

    fn id(&self) -> Option<u16> {
        self.parsed.as_ref().map(|m| m.header().id)
    }

    /// `A www.example.com.`, or `a query that cannot be read`.
    fn question_text(&self) -> String {
        match self.question() {
            Some(q) => format!("{} {}", q.qtype, q.name),
            None => "an unreadable question".to_string(),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct PairKey {
    transport: Transport,
    client: IpAddr,
    client_port: u16,
    server: IpAddr,
    server_port: u16,
    id: u16,
}

struct View<'a> {
    sub: &'a Submission<'a>,
    msgs: Vec<Msg<'a>>,
    /// Responses by the key of the query they answer, in capture order.
    responses: HashMap<PairKey, Vec<usize>>,
}

impl<'a> View<'a> {
    fn new(sub: &'a Submission<'a>) -> Self {
        let msgs: Vec<Msg<'a>> = sub
            .messages
            .iter()
            .map(|stored| Msg {
                stored,
                parsed: dns::Message::parse(&stored.bytes).ok(),
            })
            .collect();
        let mut responses: HashMap<PairKey, Vec<usize>> = HashMap::new();
        for (i, m) in msgs.iter().enumerate() {
            if let (true, Some(id)) = (m.is_response(), m.id()) {
                let meta = &m.stored.meta;
                responses
                    .entry(PairKey {
                        transport: meta.transport,
                        client: meta.dst,
                        client_port: meta.dport,
                        server: meta.src,
                        server_port: meta.sport,
                        id,
                    })
                    .or_default()
                    .push(i);
            }
        }
        Self {
            sub,
            msgs,
            responses,
        }
    }

    fn queries(&self) -> impl Iterator<Item = (usize, &Msg<'a>)> + '_ {
        self.msgs.iter().enumerate().filter(|(_, m)| m.is_query())
    }

    /// The first response after query `qi` with the query's addresses, ports and ID.
    fn response_to(&self, qi: usize) -> Option<usize> {
        let q = self.msgs.get(qi)?;
        let meta = &q.stored.meta;
        let key = PairKey {
            transport: meta.transport,
            client: meta.src,
            client_port: meta.sport,
            server: meta.dst,
            server_port: meta.dport,
            id: q.id()?,
        };
        self.responses
            .get(&key)?
            .iter()
            .copied()
            .find(|&ri| ri > qi)
    }

    /// An ICMP error quoting query `qi` (same addresses and ports), after it.
    fn icmp_for(&self, qi: usize) -> Option<&'a IcmpQuote> {
        let q = self.msgs.get(qi)?;
        let meta = &q.stored.meta;
        self.sub.icmp.iter().find(|e| {
            e.frame > meta.frame
                && e.src == meta.src
                && e.dst == meta.dst
                && e.sport == meta.sport
                && e.dport == meta.dport
        })
    }
}

// ---- wording helpers ----------------------------------------------------------------

/// `frame 3`, `frames 3 and 5`, `frames 3, 5 and 7`, `frames 3-9`, with runs collapsed.
fn frames_text(frames: &[u64]) -> String {
    let mut sorted: Vec<u64> = frames.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end + 1 {
            i += 1;
            end = sorted[i];
        }
        if end >= start + 2 {
            parts.push(format!("{start}-{end}"));
        } else {
            parts.push(start.to_string());
            if end > start {
                parts.push(end.to_string());
            }
        }
        i += 1;
    }
    let word = if sorted.len() == 1 { "frame" } else { "frames" };
    let joined = match parts.len() {
        0 => String::new(),
        1 => parts.remove(0),
        _ => {
            let last = parts.pop().unwrap_or_default();
            format!("{} and {last}", parts.join(", "))
        }
    };
    format!("{word} {joined}")
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

fn hex2(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

// ---- the checks ---------------------------------------------------------------------

fn file_format(want: FileFormat, v: &View<'_>) -> Verdict {
    let got = v.sub.format;
    if got == want {
        return Verdict::pass();
    }
    let name = |f: FileFormat| match f {
        FileFormat::Pcap => "classic pcap",
        FileFormat::Pcapng => "pcapng",
    };
    Verdict::fail(
        vec![],
        format!("the file is {}, not {}", name(got), name(want)),
    )
}

/// The kind of a frame from its description, without addresses: "TCP 10.0.0.1:80 →
/// 10.0.0.2:5555" is "TCP", "ICMP echo request 10.0.0.1 → 10.0.0.2" is "ICMP echo request".
fn kind_of(description: &str) -> String {
    if !description.contains('→') {
        return description.to_string();
    }
    let words: Vec<&str> = description
        .split_whitespace()
        .take_while(|w| !w.starts_with(|c: char| c.is_ascii_digit() || c == '[') && *w != "→")
        .collect();
    if words.is_empty() {
        description.to_string()
    } else {
        words.join(" ")
    }
}

fn only_dns(v: &View<'_>) -> Verdict {
    // Kinds in order of first appearance, with their frames.
    let mut kinds: Vec<(String, Vec<u64>)> = Vec::new();
    let mut add = |kind: &str, frame: u64| match kinds.iter_mut().find(|(k, _)| k == kind) {
        Some((_, fs)) => fs.push(frame),
        None => kinds.push((kind.to_string(), vec![frame])),
    };
    for n in v.sub.non_dns {
        add(&kind_of(&n.kind), n.frame);
    }
    for e in v.sub.icmp {
        add(&format!("ICMP {} quoting DNS", e.kind), e.frame);
    }
    if kinds.is_empty() {
        return Verdict::pass();
    }
    let total: usize = kinds.iter().map(|(_, f)| f.len()).sum();
    let mut all: Vec<u64> = kinds.iter().flat_map(|(_, f)| f.iter().copied()).collect();
    all.sort_unstable();
    let list: Vec<String> = kinds
        .iter()
        .map(|(k, f)| format!("{} {k} ({})", f.len(), frames_text(f)))
        .collect();
    Verdict::fail(
        all,
        format!(
            "{} not DNS: {}",
            if total == 1 {
                "1 frame is".to_string()
            } else {
                format!("{total} frames are")
            },
            list.join(", ")
        ),
    )
}

fn only_lookups(lookups: &[Lookup], v: &View<'_>) -> Verdict {
    let mut others: Vec<(String, Vec<u64>)> = Vec::new();
    for m in &v.msgs {
        let Some(q) = m.question() else { continue };
        let name = q.name.to_string();
        if lookups
            .iter()
            .any(|l| l.rtype == q.qtype && l.is_name(&name))
        {
            continue;
        }
        let what = format!("{} {}", q.qtype, name);
        match others.iter_mut().find(|(w, _)| *w == what) {
            Some((_, fs)) => fs.push(m.frame()),
            None => others.push((what, vec![m.frame()])),
        }
    }
    if others.is_empty() {
        return Verdict::pass();
    }
    let asked: Vec<String> = lookups
        .iter()
        .map(|l| format!("{} {}", l.rtype, l.name))
        .collect();
    let asked = match asked.as_slice() {
        [] => "nothing".to_string(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    };
    let list: Vec<String> = others
        .iter()
        .map(|(w, f)| format!("{w} ({})", frames_text(f)))
        .collect();
    let frames: Vec<u64> = others.iter().flat_map(|(_, f)| f.iter().copied()).collect();
    Verdict::fail(
        frames,
        format!(
            "the capture holds {} the lab did not ask for, {}; it asked for {asked}",
            if others.len() == 1 {
                "a lookup"
            } else {
                "lookups"
            },
            list.join(", "),
        ),
    )
}

fn query_sent(lookups: &[Lookup], v: &View<'_>) -> Verdict {
    let mut problems = Vec::new();
    let mut frames = Vec::new();
    for l in lookups {
        let to_server = |m: &Msg<'_>| {
            l.server.is_none_or(|s| {
                let meta = &m.stored.meta;
                meta.dst == s && meta.dport == l.port
            })
        };
        if v.queries().any(|(_, m)| m.asks(l) && to_server(m)) {
            continue;
        }
        let want = format!("{} {}", l.rtype, l.name);
        let mut sentence = match l.server {
            Some(s) if l.port != 53 => {
                format!("no query for {want} was sent to {s} port {}", l.port)
            }
            Some(s) => format!("no query for {want} was sent to {s}"),
            None => format!("no query for {want} was sent"),
        };
        // Say what came closest.
        if let Some((_, m)) = v.queries().find(|(_, m)| m.asks(l)) {
            let meta = &m.stored.meta;
            frames.push(m.frame());
            let _ = write!(
                sentence,
                " (frame {} sent it to {} port {})",
                m.frame(),
                meta.dst,
                meta.dport
            );
        } else if let Some((_, m)) = v
            .queries()
            .find(|(_, m)| m.question().is_some_and(|q| l.is_name(&q.name.to_string())))
        {
            frames.push(m.frame());
            let _ = write!(
                sentence,
                " (frame {} asks {} instead)",
                m.frame(),
                m.question_text()
            );
        } else if let Some(m) = v
            .msgs
            .iter()
            .find(|m| m.parsed.is_none() || (m.is_query() && m.question().is_none()))
        {
            frames.push(m.frame());
            let _ = write!(
                sentence,
                " (the query in frame {} cannot be read)",
                m.frame()
            );
        }
        problems.push(sentence);
    }
    if problems.is_empty() {
        Verdict::pass()
    } else {
        Verdict::fail(frames, problems.join("; "))
    }
}

fn recursion_desired(rd: bool, scope: &Scope, v: &View<'_>) -> Verdict {
    let wrong: Vec<u64> = v
        .queries()
        .filter(|(_, m)| m.in_scope(scope))
        .filter(|(_, m)| m.parsed.as_ref().is_some_and(|p| p.header().rd() != rd))
        .map(|(_, m)| m.frame())
        .collect();
    if wrong.is_empty() {
        return Verdict::pass();
    }
    let (has, want) = if rd {
        ("RD=0 (recursion not desired)", "RD=1")
    } else {
        ("RD=1 (recursion desired)", "RD=0")
    };
    let subject = if wrong.len() == 1 {
        format!("the query in {} has", frames_text(&wrong))
    } else {
        format!("the queries in {} have", frames_text(&wrong))
    };
    Verdict::fail(wrong, format!("{subject} {has}; the lab asks for {want}"))
}

fn no_edns(scope: &Scope, v: &View<'_>) -> Verdict {
    let mut frames = Vec::new();
    let mut first: Option<String> = None;
    for (_, m) in v.queries().filter(|(_, m)| m.in_scope(scope)) {
        let Some(p) = &m.parsed else { continue };
        let Some(opt) = p.opt() else { continue };
        frames.push(m.frame());
        if first.is_none() {
            first = Some(match opt {
                Ok(o) => {
                    let names: Vec<String> = o
                        .options()
                        .filter_map(Result::ok)
                        .map(|e| match e.name() {
                            Some(n) => n.to_string(),
                            None => format!("option {}", e.code),
                        })
                        .collect();
                    let mut s = format!(
                        "EDNS version {}, UDP size {}",
                        o.version, o.udp_payload_size
                    );
                    if !names.is_empty() {
                        let _ = write!(s, ", {}", names.join(", "));
                    }
                    s
                }
                Err(_) => "a malformed one".to_string(),
            });
        }
    }
    if frames.is_empty() {
        return Verdict::pass();
    }
    let subject = if frames.len() == 1 {
        format!("the query in {} carries", frames_text(&frames))
    } else {
        format!("the queries in {} carry", frames_text(&frames))
    };
    Verdict::fail(
        frames,
        format!(
            "{subject} an EDNS OPT record ({})",
            first.unwrap_or_default()
        ),
    )
}

/// How a response relates to a lookup's question.
enum Answer {
    /// The records of the asked type, as text, and the last CNAME followed to them.
    Records(Vec<String>, Option<String>),
    /// A CNAME chain that ends without the asked type: the last target.
    CnameTo(String),
    /// Nothing for the name: a referral or NODATA.
    Nothing,
}

/// Reads the answer section of `resp` for (`name`, `rtype`), following CNAMEs.
fn answer_for(resp: &dns::Message<'_>, name: &str, rtype: Rtype) -> Answer {
    let mut target = name.to_string();
    let mut cname = None;
    // Each hop must find a new record; the bound keeps a CNAME loop finite.
    for _ in 0..16 {
        let mut found = Vec::new();
        let mut next = None;
        for r in resp.answers().filter_map(Result::ok) {
            if !same_name(&r.name.to_string(), &target) {
                continue;
            }
            if r.rtype == rtype {
                found.push(match r.data() {
                    Ok(d) => d.to_string(),
                    Err(_) => hex2(r.rdata),
                });
            } else if r.rtype == Rtype::CNAME {
                if let Ok(Rdata::Cname(n)) = r.data() {
                    next = Some(n.to_string());
                }
            }
        }
        if !found.is_empty() {
            return Answer::Records(found, cname);
        }
        match next {
            Some(n) if !same_name(&n, &target) => {
                cname = Some(n.clone());
                target = n;
            }
            _ => break,
        }
    }
    match cname {
        Some(c) => Answer::CnameTo(c),
        None => Answer::Nothing,
    }
}

fn answered(lookups: &[Lookup], v: &View<'_>) -> Verdict {
    let mut problems = Vec::new();
    let mut frames = Vec::new();
    'lookup: for l in lookups {
        let want = format!("{} {}", l.rtype, l.name);
        let tries: Vec<usize> = v
            .queries()
            .filter(|(_, m)| m.asks(l))
            .map(|(i, _)| i)
            .collect();
        if tries.is_empty() {
            problems.push(format!(
                "no query for {want} was seen, so none was answered"
            ));
            continue;
        }
        let mut why: Option<(u64, String)> = None;
        for &qi in &tries {
            let q = &v.msgs[qi];
            let Some(ri) = v.response_to(qi) else {
                if let Some(e) = v.icmp_for(qi) {
                    why = Some((
                        q.frame(),
                        format!(
                            "the query for {want} in frame {} drew an ICMP {} from {} (frame {}), which is not an answer",
                            q.frame(),
                            e.kind,
                            e.reporter,
                            e.frame
                        ),
                    ));
                } else if why.is_none() {
                    why = Some((
                        q.frame(),
                        format!(
                            "the query for {want} in frame {} got no response",
                            q.frame()
                        ),
                    ));
                }
                continue;
            };
            let r = &v.msgs[ri];
            let Some(resp) = &r.parsed else { continue };
            let rcode = resp.rcode();
            if rcode != dns::Rcode::NOERROR {
                why = Some((
                    r.frame(),
                    format!(
                        "the response in frame {} to the query for {want} (frame {}) has RCODE {rcode}",
                        r.frame(),
                        q.frame()
                    ),
                ));
                continue;
            }
            if !r.asks(l) {
                why = Some((
                    r.frame(),
                    format!(
                        "the response in frame {} has the query's ID but asks {}, not {want}",
                        r.frame(),
                        r.question_text()
                    ),
                ));
                continue;
            }
            match answer_for(resp, &l.name, l.rtype) {
                Answer::Records(..) => continue 'lookup,
                Answer::CnameTo(c) => {
                    why = Some((
                        r.frame(),
                        format!(
                            "the response in frame {} leads by CNAME to {c} but holds no {} record for it",
                            r.frame(),
                            l.rtype
                        ),
                    ))
                }
                Answer::Nothing => {
                    why = Some((
                        r.frame(),
                        format!(
                            "the response in frame {} to the query for {want} (frame {}) holds no {} record for {}",
                            r.frame(),
                            q.frame(),
                            l.rtype,
                            l.name
                        ),
                    ))
                }
            }
        }
        if let Some((f, s)) = why {
            frames.push(f);
            problems.push(s);
        }
    }
    if problems.is_empty() {
        Verdict::pass()
    } else {
        Verdict::fail(frames, problems.join("; "))
    }
}

// ---- well-formed queries -----------------------------------------------------------

/// The first problem of one query, as a sentence starting at its byte offset.
fn query_problem(bytes: &[u8], types: &[Rtype]) -> Option<String> {
    let at = |off: usize| format!("byte {off} (0x{off:02x})");
    let Ok(header) = dns::Header::parse(bytes) else {
        return Some(format!(
            "the message is {} bytes long; a DNS header alone is 12",
            bytes.len()
        ));
    };
    let b = |r: std::ops::Range<usize>| bytes.get(r).map(hex2).unwrap_or_default();
    // Flags 00 01 with QDCOUNT 01 00: the header was packed little-endian.
    if header.flags == 0x0001 && header.qdcount == 0x0100 {
        return Some(format!(
            "{}: the header is packed little-endian: flags are {} (expected 01 00, RD set) and QDCOUNT is {} = 256 (expected 00 01); pack every header field in network byte order (big-endian)",
            at(2),
            b(2..4),
            b(4..6)
        ));
    }
    if header.opcode().0 != 0 {
        return Some(format!(
            "{}: the opcode is {} (flags {}); a standard query has opcode 0",
            at(2),
            header.opcode().0,
            b(2..4)
        ));
    }
    if header.qdcount != 1 {
        let le = if header.qdcount == 0x0100 {
            " (1 written little-endian)"
        } else {
            ""
        };
        return Some(format!(
            "{}: QDCOUNT is {} = {}{le}; a query has exactly one question (00 01)",
            at(4),
            b(4..6),
            header.qdcount
        ));
    }
    // The question, by hand first to name the classic "no root label" mistake.
    let mut pos = dns::HEADER_LEN;
    let mut labels: Vec<String> = Vec::new();
    loop {
        let Some(&len) = bytes.get(pos) else {
            return Some(format!(
                "{}: the message ends inside the question name",
                at(pos)
            ));
        };
        if len == 0 || len & 0xC0 != 0 {
            break;
        }
        let label = bytes.get(pos + 1..pos + 1 + usize::from(len))?;
        labels.push(String::from_utf8_lossy(label).into_owned());
        pos += 1 + usize::from(len);
    }
    // `pos` is the 00 byte that ends the name (or a pointer). If the message is
    // one byte short and that 00 is followed by `xx 00 yy`, the 00 was really the
    // first byte of QTYPE: the student left out the root label.
    if bytes.get(pos) == Some(&0) && bytes.len() == pos + 4 {
        return Some(format!(
            "{}: the name {} has no root label: after its last label come {} (QTYPE and QCLASS) where a 00 byte should end the name, so the message is one byte short",
            at(pos),
            labels.join("."),
            b(pos..pos + 4)
        ));
    }
    let (q, _) = match dns::Question::parse(bytes, dns::HEADER_LEN) {
        Ok(x) => x,
        Err(e) => {
            return Some(format!(
                "{}: the question cannot be read: {}",
                at(usize::from(e.offset)),
                e.kind
            ))
        }
    };
    let name_end = q.name.end();
    if !types.contains(&q.qtype) {
        let swapped = Rtype(q.qtype.0.swap_bytes());
        let expected = types
            .iter()
            .map(|t| format!("{} ({})", hex2(&t.0.to_be_bytes()), t))
            .collect::<Vec<_>>()
            .join(" or ");
        let mut s = format!(
            "{}: QTYPE is {} ({}), expected {expected}",
            at(name_end),
            b(name_end..name_end + 2),
            q.qtype
        );
        if types.contains(&swapped) {
            let _ = write!(
                s,
                ": that is {swapped} written little-endian; write QTYPE in network byte order (big-endian)"
            );
        }
        return Some(s);
    }
    if q.qclass != dns::Class::IN {
        let mut s = format!(
            "{}: QCLASS is {} ({}), expected 00 01 (IN)",
            at(name_end + 2),
            b(name_end + 2..name_end + 4),
            q.qclass
        );
        if q.qclass.0 == 0x0100 {
            s.push_str(": that is IN written little-endian");
        }
        return Some(s);
    }
    // The counts against what follows, then trailing bytes.
    let msg = dns::Message::parse(bytes).ok()?;
    match msg.trailing() {
        Err(e) => {
            let counts = format!(
                "QDCOUNT {}, ANCOUNT {}, NSCOUNT {}, ARCOUNT {}",
                header.qdcount, header.ancount, header.nscount, header.arcount
            );
            let s = match e.kind {
                ErrorKind::CountBeyondData {
                    section,
                    count,
                    parsed,
                } => format!(
                    "{}: the header claims {count} {} record{} but the message holds {parsed} ({counts}); a query's counts must match its sections",
                    at(usize::from(e.offset)),
                    section.name().to_ascii_lowercase(),
                    if count == 1 { "" } else { "s" }
                ),
                k => format!("{}: {k} (the header says {counts})", at(usize::from(e.offset))),
            };
            Some(s)
        }
        Ok(0) => None,
        Ok(n) => {
            let start = bytes.len() - n;
            let shown = &bytes[start..bytes.len().min(start + 8)];
            Some(format!(
                "{}: {} follow the last section ({}{}); send only the {} bytes of the query, not the whole buffer",
                at(start),
                plural(n, "byte", "bytes"),
                hex2(shown),
                if n > shown.len() { " ..." } else { "" },
                start
            ))
        }
    }
}

fn query_well_formed(types: &[Rtype], v: &View<'_>) -> Verdict {
    let mut bad: Vec<(u64, String)> = Vec::new();
    for m in &v.msgs {
        // A query is QR=0; a message too short for a header counts when it went to a
        // server port (53, 5353, 5355 or a user-given one).
        let candidate = match &m.parsed {
            Some(p) => !p.header().qr(),
            None => true,
        };
        if !candidate {
            continue;
        }
        if let Some(p) = query_problem(&m.stored.bytes, types) {
            bad.push((m.frame(), p));
        }
    }
    let Some((frame, first)) = bad.first() else {
        return Verdict::pass();
    };
    let mut detail = format!("the query in frame {frame}, {first}");
    if bad.len() > 1 {
        let rest: Vec<u64> = bad.iter().skip(1).map(|(f, _)| *f).collect();
        let _ = write!(detail, " (also {})", frames_text(&rest));
    }
    Verdict::fail(bad.iter().map(|(f, _)| *f).collect(), detail)
}

fn query_id(v: &View<'_>) -> Verdict {
    let zero: Vec<u64> = v
        .queries()
        .filter(|(_, m)| m.id() == Some(0))
        .map(|(_, m)| m.frame())
        .collect();
    if !zero.is_empty() {
        let subject = if zero.len() == 1 {
            format!("the query in {} has", frames_text(&zero))
        } else {
            format!("the queries in {} have", frames_text(&zero))
        };
        return Verdict::fail(zero, format!("{subject} ID 0"));
    }
    // Lookups: a query is a try of the previous lookup when it leaves the same socket
    // for the same server with the same ID before any response to it came back.
    let mut lookups: Vec<(u16, u64)> = Vec::new();
    let mut last: HashMap<(IpAddr, u16, IpAddr), usize> = HashMap::new();
    for (qi, m) in v.queries() {
        let Some(id) = m.id() else { continue };
        let meta = &m.stored.meta;
        let key = (meta.src, meta.sport, meta.dst);
        let retry = last.get(&key).is_some_and(|&pi| {
            v.msgs[pi].id() == Some(id) && v.response_to(pi).is_none_or(|ri| ri > qi)
        });
        if !retry {
            lookups.push((id, m.frame()));
        }
        last.insert(key, qi);
    }
    if lookups.len() >= 2 && lookups.iter().all(|(id, _)| *id == lookups[0].0) {
        let frames: Vec<u64> = lookups.iter().map(|(_, f)| *f).collect();
        return Verdict::fail(
            frames.clone(),
            format!(
                "{} ({}) use the same ID 0x{:04x}",
                if lookups.len() == 2 {
                    "both lookups".to_string()
                } else {
                    format!("all {} lookups", lookups.len())
                },
                frames_text(&frames),
                lookups[0].0
            ),
        );
    }
    Verdict::pass()
}

// ---- retries -------------------------------------------------------------------------

/// One lookup's tries: indices of its queries, and whether an answer came.
struct Tries {
    attempts: Vec<usize>,
    answered: bool,
}

fn group_tries(timeout: i64, tries: u32, v: &View<'_>) -> Vec<Tries> {
    let window = timeout.saturating_mul(5) / 2;
    let mut groups: Vec<Tries> = Vec::new();
    let mut open: HashMap<(IpAddr, IpAddr), usize> = HashMap::new();
    for (qi, m) in v.queries() {
        let meta = &m.stored.meta;
        let key = (meta.src, meta.dst);
        let answered = v.response_to(qi).is_some();
        let continues = open.get(&key).and_then(|&gi| {
            let g = groups.get(gi)?;
            let last = *g.attempts.last()?;
            let gap = m.micros() - v.msgs[last].micros();
            let still_open = !g.answered
                && gap <= window
                && u32::try_from(g.attempts.len()).unwrap_or(u32::MAX) < tries.saturating_add(1)
                // A response to an earlier try closes the lookup, even if it came late.
                && g.attempts.iter().all(|&a| v.response_to(a).is_none_or(|r| r > qi));
            still_open.then_some(gi)
        });
        match continues {
            Some(gi) => {
                groups[gi].attempts.push(qi);
                groups[gi].answered |= answered;
            }
            None => {
                groups.push(Tries {
                    attempts: vec![qi],
                    answered,
                });
                open.insert(key, groups.len() - 1);
            }
        }
    }
    groups
}

fn retries(timeout: i64, tries: u32, v: &View<'_>) -> Verdict {
    let groups = group_tries(timeout, tries, v);
    let secs = |micros: i64| {
        if micros >= 1_000_000 {
            format!("{:.1} s", micros as f64 / 1e6)
        } else {
            format!("{} ms", micros / 1000)
        }
    };
    let min_gap = timeout * 4 / 5;
    for g in &groups {
        let Some(&first) = g.attempts.first() else {
            continue;
        };
        let q0 = &v.msgs[first];
        let what = q0.question_text();
        let frames: Vec<u64> = g.attempts.iter().map(|&i| v.msgs[i].frame()).collect();
        for pair in g.attempts.windows(2) {
            let (a, b) = (&v.msgs[pair[0]], &v.msgs[pair[1]]);
            let same = match (a.question(), b.question()) {
                (Some(x), Some(y)) => {
                    x.qtype == y.qtype && x.qclass == y.qclass && x.name.eq_ignore_case(&y.name)
                }
                _ => a.stored.bytes.get(12..) == b.stored.bytes.get(12..),
            };
            if !same {
                return Verdict::fail(
                    frames,
                    format!(
                        "the retry in frame {} asks {} but the first try (frame {}) asked {what}; a retry must send the same question again",
                        b.frame(),
                        b.question_text(),
                        q0.frame()
                    ),
                );
            }
            let gap = b.micros() - a.micros();
            if gap < min_gap {
                return Verdict::fail(
                    frames,
                    format!(
                        "the retry in frame {} went out {} after the try in frame {}; wait the {} timeout before trying again",
                        b.frame(),
                        secs(gap),
                        a.frame(),
                        secs(timeout)
                    ),
                );
            }
        }
        let n = g.attempts.len();
        let allowed = usize::try_from(tries).unwrap_or(usize::MAX);
        if n > allowed {
            return Verdict::fail(
                frames.clone(),
                format!(
                    "{} for {what} ({}); the lab allows {tries}",
                    plural(n, "try", "tries"),
                    frames_text(&frames)
                ),
            );
        }
        if !g.answered && n < allowed {
            return Verdict::fail(
                frames.clone(),
                format!(
                    "only {} for {what} ({}) although no answer came; the lab asks for {tries}",
                    plural(n, "try", "tries"),
                    frames_text(&frames)
                ),
            );
        }
    }
    Verdict::pass()
}

// ---- the iterative resolver ----------------------------------------------------------

fn roots_text(roots: &[IpAddr]) -> String {
    match roots {
        [one] => one.to_string(),
        [a, b] => format!("{a} or {b}"),
        [a, ..] => format!("a root server such as {a}"),
        [] => "a root server".to_string(),
    }
}

fn starts_at_root(roots: &[IpAddr], lookups: &[Lookup], v: &View<'_>) -> Verdict {
    let mut problems = Vec::new();
    let mut frames = Vec::new();
    for l in lookups {
        let Some((_, m)) = v
            .queries()
            .find(|(_, m)| m.question().is_some_and(|q| l.is_name(&q.name.to_string())))
        else {
            problems.push(format!("no query for {} was seen", l.name));
            continue;
        };
        let dst = m.stored.meta.dst;
        if !roots.contains(&dst) {
            frames.push(m.frame());
            problems.push(format!(
                "the first query for {} (frame {}) went to {dst}, not to {}",
                l.name,
                m.frame(),
                roots_text(roots)
            ));
        }
    }
    if problems.is_empty() {
        Verdict::pass()
    } else {
        Verdict::fail(frames, problems.join("; "))
    }
}

/// What a response says, for the chain: `referral to example.`, `answer 192.0.2.1`, ...
fn response_summary(resp: &dns::Message<'_>, q: Option<dns::Question<'_>>) -> String {
    let rcode = resp.rcode();
    if rcode != dns::Rcode::NOERROR {
        return rcode.to_string();
    }
    if let Some(q) = q {
        match answer_for(resp, &q.name.to_string(), q.qtype) {
            Answer::Records(r, None) => return format!("answer {}", r.join(" ")),
            Answer::Records(r, Some(c)) => return format!("CNAME {c}, answer {}", r.join(" ")),
            Answer::CnameTo(c) => return format!("CNAME {c}"),
            Answer::Nothing => {}
        }
    }
    let zone = resp
        .authority()
        .filter_map(Result::ok)
        .find(|r| r.rtype == Rtype::NS)
        .map(|r| r.name.to_string());
    match zone {
        Some(z) => format!("referral to {z}"),
        None => "no answer".to_string(),
    }
}

fn follows_referrals(roots: &[IpAddr], v: &View<'_>) -> Verdict {
    let mut known: Vec<IpAddr> = roots.to_vec();
    let mut chain: Vec<String> = Vec::new();
    let mut current: Option<String> = None;
    let mut bad: Option<(u64, String)> = None;
    for (i, m) in v.msgs.iter().enumerate() {
        if m.is_response() {
            let Some(p) = &m.parsed else { continue };
            for r in p.answers().chain(p.additional()).filter_map(Result::ok) {
                match r.data() {
                    Ok(Rdata::A(a)) => known.push(IpAddr::V4(a)),
                    Ok(Rdata::Aaaa(a)) => known.push(IpAddr::V6(a)),
                    _ => {}
                }
            }
            continue;
        }
        if !m.is_query() {
            continue;
        }
        let dst = m.stored.meta.dst;
        let q = m.question_text();
        if current.as_deref() != Some(q.as_str()) {
            chain.push(format!("{q}:"));
            current = Some(q);
        }
        let outcome = match v.response_to(i).and_then(|ri| v.msgs[ri].parsed.as_ref()) {
            Some(resp) => response_summary(resp, m.question()),
            None => "no response".to_string(),
        };
        chain.push(format!("{dst} ({outcome})"));
        if bad.is_none() && !known.contains(&dst) {
            bad = Some((
                m.frame(),
                format!(
                    "the query in frame {} went to {dst}, which is not {} and which no earlier referral gave",
                    m.frame(),
                    roots_text(roots)
                ),
            ));
        }
    }
    let chain_text = chain_to_text(&chain);
    match bad {
        None => Verdict::Pass {
            note: (!chain.is_empty()).then(|| format!("chain: {chain_text}")),
        },
        Some((frame, s)) => Verdict::fail(vec![frame], format!("{s} (chain: {chain_text})")),
    }
}

/// `A www.example.: 1.2.3.4 (referral to example.) -> 5.6.7.8 (answer 9.9.9.9)`, with
/// `; ` between the walks for different questions.
fn chain_to_text(parts: &[String]) -> String {
    let mut out = String::new();
    let mut first_in_walk = true;
    for p in parts {
        if p.ends_with(':') {
            if !out.is_empty() {
                out.push_str("; ");
            }
            out.push_str(p);
            out.push(' ');
            first_in_walk = true;
        } else {
            if !first_in_walk {
                out.push_str(" -> ");
            }
            out.push_str(p);
            first_in_walk = false;
        }
    }
    out
}

fn reaches_answer(lookups: &[Lookup], v: &View<'_>) -> Verdict {
    let mut problems = Vec::new();
    let mut frames = Vec::new();
    'lookup: for l in lookups {
        let mut target = l.name.clone();
        // Each CNAME restarts the walk for its target; the bound keeps loops finite.
        for _ in 0..8 {
            let mut next = None;
            for (ri, r) in v.msgs.iter().enumerate() {
                let (true, Some(p), Some(q)) = (r.is_response(), &r.parsed, r.question()) else {
                    continue;
                };
                if q.qtype != l.rtype || !same_name(&q.name.to_string(), &target) {
                    continue;
                }
                if p.rcode() != dns::Rcode::NOERROR {
                    continue;
                }
                match answer_for(p, &target, l.rtype) {
                    Answer::Records(..) => continue 'lookup,
                    Answer::CnameTo(c) => next = Some((c, ri)),
                    Answer::Nothing => {}
                }
            }
            match next {
                Some((c, _)) if !same_name(&c, &target) => target = c,
                _ => break,
            }
        }
        let last = v.msgs.iter().rev().find(|m| {
            m.is_response()
                && m.question()
                    .is_some_and(|q| same_name(&q.name.to_string(), &target))
        });
        let mut s = format!("no response answers {} {}", l.rtype, l.name);
        if !same_name(&target, &l.name) {
            let _ = write!(s, " (followed by CNAME to {target})");
        }
        if let Some(m) = last {
            frames.push(m.frame());
            if let Some(p) = &m.parsed {
                let _ = write!(
                    s,
                    "; the last response for it (frame {}) gives {}",
                    m.frame(),
                    response_summary(p, m.question())
                );
            }
        }
        problems.push(s);
    }
    if problems.is_empty() {
        Verdict::pass()
    } else {
        Verdict::fail(frames, problems.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::capture::Timestamp;
    use crate::meta::MessageMeta;
    use crate::net::PortKind;

    const CLIENT: [u8; 4] = [192, 0, 2, 10];
    const SERVER: [u8; 4] = [192, 0, 2, 53];

    /// A UDP message between the client (port 40000) and the server (port 53).
    fn stored(frame: u64, secs: i64, from_client: bool, bytes: Vec<u8>) -> StoredMessage {
        let (c, s) = (IpAddr::from(CLIENT), IpAddr::from(SERVER));
        let (src, dst, sport, dport) = if from_client {
            (c, s, 40000, 53)
        } else {
            (s, c, 53, 40000)
        };
        StoredMessage {
            meta: MessageMeta {
                file: 0,
                frame,
                ts: Timestamp::new(secs, 0),
                src,
                dst,
                sport,
                dport,
                transport: Transport::Udp,
                port_kind: PortKind::Dns53,
                cut: false,
            },
            bytes,
        }
    }

    fn grade_one(check: Check, messages: &[StoredMessage]) -> Verdict {
        let sub = Submission {
            format: FileFormat::Pcapng,
            messages,
            non_dns: &[],
            icmp: &[],
        };
        run(&check, &View::new(&sub))
    }

    /// A response for `a.example.` A whose answer is a CNAME loop a -> b -> a.
    fn cname_loop_response() -> Vec<u8> {
        let mut m = vec![0x2f, 0x1b, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0];
        m.extend_from_slice(b"\x01a\x07example\x00\x00\x01\x00\x01"); // question at 12
                                                                      // a.example. CNAME b.example.
        m.extend_from_slice(&[0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 4]);
        m.extend_from_slice(b"\x01b\xc0\x0e"); // b + pointer to example.
                                               // b.example. (at 39, in the first RDATA) CNAME a.example.
        m.extend_from_slice(&[0xc0, 39, 0, 5, 0, 1, 0, 0, 0, 60, 0, 2, 0xc0, 12]);
        m
    }

    #[test]
    fn cname_loop_ends() {
        let resp = cname_loop_response();
        let msg = dns::Message::parse(&resp).unwrap();
        assert!(msg.trailing().is_ok(), "test message is well formed");
        match answer_for(&msg, "a.example.", Rtype::A) {
            Answer::CnameTo(t) => assert!(t == "a.example." || t == "b.example.", "{t}"),
            _ => panic!("expected a CNAME without an answer"),
        }
        let q = query(b"\x01a\x07example\x00\x00\x01\x00\x01");
        let msgs = [stored(1, 0, true, q), stored(2, 0, false, resp)];
        let lookup = Lookup::parse("A:a.example").unwrap();
        let v = grade_one(Check::Answered(vec![lookup.clone()]), &msgs);
        assert!(
            matches!(&v, Verdict::Fail { detail, .. } if detail.contains("leads by CNAME")),
            "{v:?}"
        );
        let v = grade_one(Check::ReachesAnswer(vec![lookup]), &msgs);
        assert!(!v.is_pass(), "{v:?}");
    }

    #[test]
    fn empty_capture_fails_lookups_and_passes_the_rest() {
        let lookup = Lookup::parse("A:www.example.com@192.0.2.53").unwrap();
        for (check, pass) in [
            (Check::OnlyDns, true),
            (Check::OnlyLookups(vec![lookup.clone()]), true),
            (Check::QueryId, true),
            (
                Check::QueryWellFormed {
                    types: vec![Rtype::A],
                },
                true,
            ),
            (
                Check::Retries {
                    timeout_micros: 5_000_000,
                    tries: 3,
                },
                true,
            ),
            (Check::QuerySent(vec![lookup.clone()]), false),
            (Check::Answered(vec![lookup.clone()]), false),
            (Check::ReachesAnswer(vec![lookup.clone()]), false),
            (
                Check::StartsAtRoot {
                    roots: vec![IpAddr::from(SERVER)],
                    lookups: vec![lookup.clone()],
                },
                false,
            ),
        ] {
            let v = grade_one(check.clone(), &[]);
            assert_eq!(v.is_pass(), pass, "{check:?}: {v:?}");
        }
    }

    #[test]
    fn retries_group_tries_until_an_answer() {
        let q = || query(&[WWW, &[0, 1, 0, 1]].concat());
        let mut r = q();
        r[2] = 0x81; // QR, RD
        r[3] = 0x80; // RA
        let check = Check::Retries {
            timeout_micros: 5_000_000,
            tries: 3,
        };
        // Two tries 5 s apart, then the answer: one lookup, two tries, fine.
        let msgs = [
            stored(1, 0, true, q()),
            stored(2, 5, true, q()),
            stored(3, 5, false, r.clone()),
        ];
        assert!(grade_one(check.clone(), &msgs).is_pass());
        // Two tries and no answer: the third is missing.
        let v = grade_one(check.clone(), &msgs[..2]);
        assert!(
            matches!(&v, Verdict::Fail { detail, .. } if detail.starts_with("only 2 tries for A www.lab.example. (frames 1 and 2)")),
            "{v:?}"
        );
        // A try 1 s after the first is too soon.
        let msgs = [stored(1, 0, true, q()), stored(2, 1, true, q())];
        let v = grade_one(check, &msgs);
        assert!(
            matches!(&v, Verdict::Fail { detail, .. } if detail.contains("went out 1.0 s after")),
            "{v:?}"
        );
    }

    #[test]
    fn frame_kinds_drop_addresses() {
        assert_eq!(kind_of("TCP 127.0.0.1:34572 → 127.0.0.1:8080"), "TCP");
        assert_eq!(kind_of("UDP [::1]:5 → [::1]:123"), "UDP");
        assert_eq!(
            kind_of("ICMP echo request 10.0.0.1 → 10.0.0.2"),
            "ICMP echo request"
        );
        assert_eq!(kind_of("ARP"), "ARP");
    }

    #[test]
    fn frames_are_listed_with_runs() {
        assert_eq!(frames_text(&[3]), "frame 3");
        assert_eq!(frames_text(&[5, 3]), "frames 3 and 5");
        assert_eq!(frames_text(&[3, 4]), "frames 3 and 4");
        assert_eq!(frames_text(&[3, 4, 5, 6, 9, 11]), "frames 3-6, 9 and 11");
    }

    /// A query as the lab clients build it: ID 0x2f1b, RD, one question.
    fn query(name_and_tail: &[u8]) -> Vec<u8> {
        let mut q = vec![0x2f, 0x1b, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        q.extend_from_slice(name_and_tail);
        q
    }

    const WWW: &[u8] = b"\x03www\x03lab\x07example\x00";

    #[test]
    fn good_query_has_no_problem() {
        let q = query(&[WWW, &[0, 1, 0, 1]].concat());
        assert_eq!(query_problem(&q, &[Rtype::A, Rtype::AAAA]), None);
    }

    #[test]
    fn little_endian_qtype_is_named() {
        // QTYPE 01 00 after the 17-byte name: at offset 12 + 17 = 29.
        let q = query(&[WWW, &[1, 0, 0, 1]].concat());
        let p = query_problem(&q, &[Rtype::A, Rtype::AAAA]).unwrap();
        assert!(p.starts_with("byte 29 (0x1d): QTYPE is 01 00 (URI)"), "{p}");
        assert!(p.contains("A written little-endian"), "{p}");
    }

    #[test]
    fn little_endian_header_is_named() {
        let mut q = query(&[WWW, &[0, 1, 0, 1]].concat());
        q[2..6].copy_from_slice(&[0x00, 0x01, 0x01, 0x00]);
        let p = query_problem(&q, &[Rtype::A]).unwrap();
        assert!(
            p.starts_with("byte 2 (0x02): the header is packed little-endian"),
            "{p}"
        );
        assert!(
            p.contains("flags are 00 01") && p.contains("QDCOUNT is 01 00 = 256"),
            "{p}"
        );
    }

    #[test]
    fn missing_root_label_is_named() {
        // Labels, then QTYPE 00 01 and QCLASS 00 01 with no 00 before them.
        let q = query(b"\x03www\x03lab\x07example\x00\x01\x00\x01");
        let p = query_problem(&q, &[Rtype::A]).unwrap();
        assert!(
            p.starts_with("byte 28 (0x1c): the name www.lab.example has no root label"),
            "{p}"
        );
    }

    #[test]
    fn trailing_bytes_are_counted() {
        let mut q = query(&[WWW, &[0, 1, 0, 1]].concat());
        q.extend_from_slice(&[0; 10]);
        let p = query_problem(&q, &[Rtype::A]).unwrap();
        assert!(
            p.starts_with(
                "byte 33 (0x21): 10 bytes follow the last section (00 00 00 00 00 00 00 00 ...)"
            ),
            "{p}"
        );
    }

    #[test]
    fn count_beyond_data_is_named() {
        let mut q = query(&[WWW, &[0, 1, 0, 1]].concat());
        q[7] = 1; // ANCOUNT 1, no answer follows
        let p = query_problem(&q, &[Rtype::A]).unwrap();
        assert!(
            p.contains("claims 1 answer record but the message holds 0"),
            "{p}"
        );
        assert!(p.contains("ANCOUNT 1"), "{p}");
    }

    #[test]
    fn short_message_is_named() {
        let p = query_problem(&[0x12, 0x34, 0x01], &[Rtype::A]).unwrap();
        assert_eq!(p, "the message is 3 bytes long; a DNS header alone is 12");
    }
}
