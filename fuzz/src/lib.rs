//! The bodies of dnslens's fuzz targets, shared by two drivers:
//!
//! - `cargo +nightly fuzz run <target>` (libFuzzer, coverage-guided): the
//!   `fuzz_targets/*.rs` files are one-line wrappers around these functions;
//! - the stable mutation driver `tests/fuzz_stable.rs` in the dnslens crate,
//!   which includes this file with `#[path]` and runs the same functions over
//!   the seeds and random mutations of them, with no nightly toolchain.
//!
//! Each function panics (and so reports a crash) only when dnslens breaks one of
//! its promises: a panic inside the library, an error offset outside the
//! message, output that is not valid JSON / UTF-8, a control byte in a table,
//! or a disagreement with the reference name walker.
//!
//! This file uses only `dnslens`, `serde_json` and `std`, so that it compiles
//! in both places.

use std::cell::RefCell;
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr};
use std::rc::Rc;

use dnslens::capture::Timestamp;
use dnslens::dns::{self, Entry, Message, Name, NamePart};
use dnslens::meta::{MessageMeta, StoredMessage};
use dnslens::net::{PortKind, Transport};
use dnslens::render::{
    json::MessageJson, table::TableSink, FileInfo, Files, JsonSink, Listing, NdjsonSink, Sink,
    Summary,
};
use dnslens::txn::{self, Pairer, Status, Transaction};

/// A `Write` whose bytes can be read back after a sink that owns it
/// (`Box<dyn Write>`) is done with it.
#[derive(Clone, Default)]
pub struct SharedBuf(pub Rc<RefCell<Vec<u8>>>);

impl Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl SharedBuf {
    pub fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.borrow_mut())
    }
}

/// Panics when `s` holds a byte a terminal would interpret: C0 controls other
/// than newline, DEL, and the C1 controls (U+0080..U+009F, which some terminals
/// take as CSI and friends).
pub fn assert_terminal_safe(s: &str, what: &str) {
    for (i, c) in s.char_indices() {
        let bad = (c < ' ' && c != '\n') || c == '\u{7f}' || ('\u{80}'..='\u{9f}').contains(&c);
        assert!(!bad, "{what}: control character {c:?} at {i} in {s:?}");
    }
}

/// Panics unless `bytes` is UTF-8 and one JSON value per line when `ndjson`,
/// else one JSON document.
pub fn assert_json(bytes: &[u8], ndjson: bool) {
    let text = std::str::from_utf8(bytes).expect("JSON output is UTF-8");
    if ndjson {
        for line in text.lines() {
            serde_json::from_str::<serde_json::Value>(line)
                .unwrap_or_else(|e| panic!("NDJSON line is not JSON ({e}): {line}"));
        }
    } else {
        serde_json::from_str::<serde_json::Value>(text)
            .unwrap_or_else(|e| panic!("output is not JSON ({e}): {text}"));
    }
}

fn check_error(e: &dns::Error, len: usize, what: &str) {
    assert!(
        usize::from(e.offset) <= len,
        "{what}: error offset {} beyond the message ({len} bytes): {e}",
        e.offset
    );
    let text = e.to_string();
    assert!(text.is_ascii(), "{what}: error text not ASCII: {text}");
    assert_terminal_safe(&text, what);
}

fn check_display<T: std::fmt::Display>(v: &T, what: &str) -> String {
    let s = v.to_string();
    assert_terminal_safe(&s, what);
    s
}

/// Walks everything a message offers, checking the parser's promises.
pub fn walk_message(msg: &Message<'_>) {
    let bytes = msg.as_bytes();
    let len = bytes.len();
    let mut entries = msg.entries();
    let mut n = 0usize;
    for entry in entries.by_ref() {
        n += 1;
        // Each entry takes at least 5 bytes: the walk cannot yield more
        // entries than that allows (counts are never trusted).
        assert!(n <= len / 5 + 1, "more entries than bytes allow");
        match entry {
            Ok(Entry::Question(q)) => {
                assert!(q.offset < len);
                let name = check_display(&q.name, "question name");
                assert!(name.is_ascii());
                check_name(&q.name);
                check_display(&q.qtype, "qtype");
                check_display(&q.qclass, "qclass");
            }
            Ok(Entry::Record(_, r)) => {
                assert!(r.offset < len && r.end() <= len);
                check_name(&r.name);
                check_display(&r.rtype, "rtype");
                let _ = r.to_string();
                match r.data() {
                    Ok(d) => {
                        let s = check_display(&d, "rdata");
                        assert!(s.is_ascii(), "rdata display not ASCII: {s:?}");
                        let _ = d.key_tag();
                    }
                    Err(e) => check_error(&e, len, "rdata"),
                }
                if r.rtype == dns::Rtype::OPT {
                    if let Ok(opt) = dns::Opt::from_record(&r) {
                        check_display(&opt, "opt");
                        for o in opt.options().flatten() {
                            check_display(&o, "edns option");
                            assert!(o.data_offset() <= len);
                        }
                    }
                }
            }
            Err(e) => check_error(&e, len, "walk"),
        }
    }
    assert!(entries.next().is_none(), "the walk is fused");
    assert!(entries.offset() <= len);
    for section in dns::Section::ALL {
        for r in msg.records(section) {
            if let Err(e) = r {
                check_error(&e, len, "records");
            }
        }
    }
    match msg.opt() {
        Some(Ok(o)) => {
            let _ = o.rcode(msg.header().rcode());
        }
        Some(Err(e)) => check_error(&e, len, "opt"),
        None => {}
    }
    check_display(&msg.rcode(), "rcode");
    check_display(&msg.header().opcode(), "opcode");
    match msg.trailing() {
        Ok(t) => assert!(t <= len),
        Err(e) => check_error(&e, len, "trailing"),
    }
}

/// A validated name: its views agree with each other.
fn check_name(name: &Name<'_>) {
    let labels: Vec<&[u8]> = name.labels().collect();
    assert!(labels.len() <= 127);
    assert!(labels.iter().all(|l| !l.is_empty() && l.len() <= 63));
    let wire_len = labels.iter().map(|l| l.len() + 1).sum::<usize>() + 1;
    assert!(wire_len <= 255, "name of {wire_len} octets accepted");
    assert_eq!(name.wire_len(), wire_len);
    assert_eq!(name.label_count(), labels.len());
    assert!(name.eq_ignore_case(name));
    let hops = name
        .parts()
        .filter(|p| matches!(p, NamePart::Pointer { .. }))
        .count();
    assert!(hops <= dns::name::MAX_POINTER_HOPS);
    assert_eq!(name.to_string(), reference_display(&labels));
}

fn meta(frame: u64, response: bool) -> MessageMeta {
    let (a, b) = (
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, 53)),
    );
    let (src, dst, sport, dport) = if response {
        (b, a, 53, 40000)
    } else {
        (a, b, 40000, 53)
    };
    MessageMeta {
        file: 0,
        frame,
        ts: Timestamp {
            secs: 1_700_000_000 + frame as i64,
            nanos: 0,
        },
        src,
        dst,
        sport,
        dport,
        transport: Transport::Udp,
        port_kind: PortKind::Dns53,
        cut: false,
    }
}

fn one_file() -> Files {
    Files {
        list: vec![FileInfo {
            path: "fuzz.pcap".into(),
            format: Some("pcap".into()),
            first_ts: Some(Timestamp {
                secs: 1_700_000_000,
                nanos: 0,
            }),
            ..FileInfo::default()
        }],
    }
}

/// Renders messages and transactions through every sink: the table must be
/// terminal-safe, the JSON and NDJSON valid.
pub fn render_all(files: &Files, messages: &[StoredMessage], txns: &[Transaction]) {
    let summary = Summary::default();
    for listing in [Listing::Messages, Listing::Transactions] {
        let buf = SharedBuf::default();
        let mut sinks: Vec<(Box<dyn Sink>, u8)> = vec![
            (
                Box::new(TableSink::new(
                    Box::new(buf.clone()),
                    listing,
                    false,
                    false,
                    true,
                )),
                0,
            ),
            (Box::new(JsonSink::new(Box::new(buf.clone()), listing)), 1),
            (Box::new(NdjsonSink::new(Box::new(buf.clone()))), 2),
        ];
        for (sink, kind) in &mut sinks {
            match listing {
                Listing::Messages => {
                    for m in messages {
                        sink.message(files, &m.meta, &m.bytes).expect("write");
                    }
                }
                Listing::Transactions => {
                    for t in txns {
                        sink.transaction(files, t).expect("write");
                    }
                }
            }
            sink.finish(files, &summary).expect("write");
            let out = buf.take();
            match kind {
                0 => {
                    let text = std::str::from_utf8(&out).expect("table output is UTF-8");
                    assert_terminal_safe(text, "table");
                }
                1 => assert_json(&out, false),
                _ => assert_json(&out, true),
            }
        }
    }
}

/// Target `dns_message`: the bytes are one DNS message. Parse, walk every
/// section, every RDATA and EDNS option, pair it, and render it as a table,
/// JSON and NDJSON.
pub fn dns_message(data: &[u8]) {
    let msg = match Message::parse(data) {
        Ok(m) => m,
        Err(e) => {
            check_error(&e, data.len(), "header");
            render_one(data);
            return;
        }
    };
    walk_message(&msg);
    render_one(data);
}

fn render_one(data: &[u8]) {
    let files = one_file();
    let stored = |frame, response| StoredMessage {
        meta: meta(frame, response),
        bytes: data.to_vec(),
    };
    let mut txns = Vec::new();
    if let Ok(msg) = Message::parse(data) {
        // Through the pairer as a query and as a response to itself.
        let mut pairer = Pairer::new(txn::Config::default());
        let mut out = |t: &Transaction| txns.push(t.clone());
        pairer.on_message(meta(1, false), &msg, &mut out);
        pairer.on_message(meta(2, true), &msg, &mut out);
        pairer.finish(&mut out);
    }
    txns.push(Transaction {
        query: Some(stored(1, false)),
        response: Some(stored(2, true)),
        status: Status::Answered,
        retransmissions: Vec::new(),
        duplicates: Vec::new(),
        icmp_errors: Vec::new(),
        question_mismatch: false,
        evicted: false,
        censored: false,
        qtype: None,
    });
    let messages = [stored(1, false)];
    // The bare JSON object too, as `messages --format json` prints it.
    let json = serde_json::to_vec(&MessageJson {
        files: &files,
        meta: &messages[0].meta,
        bytes: data,
    })
    .expect("serialise");
    assert_json(&json, false);
    render_all(&files, &messages, &txns);
}

/// The reference result of walking a name: its labels and the offset after
/// it, or the offset where it goes wrong.
pub type RefName = Result<(Vec<Vec<u8>>, usize), usize>;

/// A deliberately plain name walker, written from RFC 1035 §3.1/§4.1.4 and
/// the rules in formats.md, to compare the real one against: it copies labels
/// into `Vec`s and checks each rule in the most obvious way.
pub fn reference_name(msg: &[u8], start: usize) -> RefName {
    let mut labels = Vec::new();
    let mut pos = start;
    let mut segment = start;
    let mut octets = 0usize;
    let mut hops = 0usize;
    let mut after = None;
    loop {
        let Some(&b) = msg.get(pos) else {
            return Err(pos);
        };
        if b == 0 {
            octets += 1;
            if octets > 255 {
                return Err(pos);
            }
            return Ok((labels, after.unwrap_or(pos + 1)));
        } else if b < 64 {
            let len = usize::from(b);
            if pos + 1 + len > msg.len() {
                return Err(pos);
            }
            labels.push(msg[pos + 1..pos + 1 + len].to_vec());
            octets += len + 1;
            if octets > 255 {
                return Err(pos);
            }
            pos += 1 + len;
        } else if b >= 0xc0 {
            if pos + 2 > msg.len() {
                return Err(pos);
            }
            let target = usize::from(b & 0x3f) << 8 | usize::from(msg[pos + 1]);
            // Past the end, not strictly before this segment, or one hop too
            // many: all errors at the pointer.
            if target >= msg.len() || target >= segment {
                return Err(pos);
            }
            hops += 1;
            if hops > 126 {
                return Err(pos);
            }
            if after.is_none() {
                after = Some(pos + 2);
            }
            segment = target;
            pos = target;
        } else {
            return Err(pos); // 0x40 and 0x80 label types
        }
    }
}

/// Presentation format of labels, as dig prints them: `"().;\@$` escaped with a
/// backslash, bytes outside `!`..=`~` as `\DDD`; root is `.`.
pub fn reference_display(labels: &[&[u8]]) -> String {
    if labels.is_empty() {
        return ".".into();
    }
    let mut s = String::new();
    for l in labels {
        for &b in *l {
            match b {
                b'"' | b'(' | b')' | b'.' | b';' | b'\\' | b'@' | b'$' => {
                    s.push('\\');
                    s.push(b as char);
                }
                0x21..=0x7e => s.push(b as char),
                _ => s.push_str(&format!("\\{b:03}")),
            }
        }
        s.push('.');
    }
    s
}

/// Target `name`: byte 0 picks where the name starts, the rest is the
/// message. The parser and [`reference_name`] must agree on acceptance, the
/// labels, the end offset and the error offset.
pub fn name(data: &[u8]) {
    let Some((&first, msg)) = data.split_first() else {
        return;
    };
    let start = usize::from(first) % (msg.len() + 1);
    let ours = Name::parse(msg, start);
    let theirs = reference_name(msg, start);
    match (ours, theirs) {
        (Ok((name, next)), Ok((labels, ref_next))) => {
            let got: Vec<Vec<u8>> = name.labels().map(<[u8]>::to_vec).collect();
            assert_eq!(got, labels, "labels differ");
            assert_eq!(next, ref_next, "end offset differs");
            assert_eq!(name.end(), next);
            assert_eq!(name.start(), start);
            check_name(&name);
        }
        (Err(e), Err(at)) => {
            assert_eq!(usize::from(e.offset), at, "error offset differs: {e}");
            check_error(&e, msg.len(), "name");
        }
        (ours, theirs) => panic!(
            "parser and reference disagree at start {start}: ours {:?}, reference {theirs:?}",
            ours.map(|(n, next)| (n.to_string(), next))
        ),
    }
}

/// Target `capture_file`: the bytes are a whole capture file, read through
/// the full pipeline (capture, link, IP with fragment reassembly, UDP and TCP
/// reassembly, DNS, pairing) and rendered through every sink.
pub fn capture_file(data: &[u8]) {
    let settings = dnslens::app::Settings::default();
    let analysis = match dnslens::app::analyze_reader(
        io::Cursor::new(data.to_vec()),
        "fuzz.pcap",
        &settings,
    ) {
        Ok(a) => a,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let compressed = analysis.info.compressed;
    for d in &analysis.diagnostics {
        assert_terminal_safe(&d.message, "diagnostic");
        if let (Some(off), false) = (d.file_offset, compressed) {
            assert!(
                off <= data.len() as u64,
                "diagnostic offset {off} past the file ({} bytes): {}",
                data.len(),
                d.message
            );
        }
    }
    assert_eq!(analysis.summary.messages, analysis.messages.len() as u64);
    for m in &analysis.messages {
        if let Ok(msg) = Message::parse(&m.bytes) {
            walk_message(&msg);
        }
    }
    let mut files = Files::default();
    files.list.push(analysis.info.clone());
    render_all(&files, &analysis.messages, &analysis.transactions);
}
