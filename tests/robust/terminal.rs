//! Terminal safety: names and TXT strings carrying control characters, ANSI
//! escapes, C1 controls and UTF-8 are shown escaped in tables and in the
//! explain view (nothing a terminal would act on reaches stdout), and JSON
//! stays valid UTF-8.

use super::gen::{self, PcapWriter, CLIENT, SERVER};
use super::{bin, TempDir};

/// Labels a hostile server might send: ESC sequences (colour, clear screen,
/// OSC title), BEL, CR, LF, backspace, DEL, a C1 CSI byte, and raw UTF-8.
const EVIL_LABELS: [&[u8]; 6] = [
    b"\x1b[31mred\x1b[0m",
    b"\x1b]0;owned\x07",
    b"a\rb\nc\x08d\x7f",
    b"\x9b2J",
    "caf\u{e9}".as_bytes(),
    b"x\x00y",
];

fn evil_name() -> Vec<u8> {
    let mut n = Vec::new();
    for l in EVIL_LABELS {
        n.push(l.len() as u8);
        n.extend_from_slice(l);
    }
    n.push(0);
    n
}

fn evil_capture() -> Vec<u8> {
    let qname = evil_name();
    let q = gen::query_wire(0x1b1b, &qname);
    // Response: same question, one TXT answer full of escapes.
    let mut r = Vec::new();
    r.extend_from_slice(&0x1b1bu16.to_be_bytes());
    r.extend_from_slice(&[0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0]);
    r.extend_from_slice(&qname);
    r.extend_from_slice(&[0, 1, 0, 1]);
    let txt: &[u8] = b"\x1b[2J\x1b[Hcleared\x07\r\n\x9b\xff\xfe";
    r.extend_from_slice(&[0xc0, 0x0c, 0, 16, 0, 1, 0, 0, 0, 60]);
    r.extend_from_slice(&((txt.len() + 1) as u16).to_be_bytes());
    r.push(txt.len() as u8);
    r.extend_from_slice(txt);
    // A CNAME whose target is hostile too.
    let target = b"\x05\x1b[1mB\x03com\x00";
    r.extend_from_slice(&[0xc0, 0x0c, 0, 5, 0, 1, 0, 0, 0, 60]);
    r.extend_from_slice(&(target.len() as u16).to_be_bytes());
    r.extend_from_slice(target);
    let mut w = PcapWriter::new(Vec::new()).unwrap();
    w.udp((CLIENT, 40000), (SERVER, 53), &q).unwrap();
    w.now_us += 1000;
    w.udp((SERVER, 53), (CLIENT, 40000), &r).unwrap();
    w.into_inner()
}

/// Panics on anything a terminal would interpret: C0 controls but newline,
/// DEL, and C1 controls (U+0080..U+009F).
fn assert_terminal_safe(out: &str, what: &str) {
    for (i, c) in out.char_indices() {
        let bad = (c < ' ' && c != '\n') || c == '\u{7f}' || ('\u{80}'..='\u{9f}').contains(&c);
        assert!(!bad, "{what}: control {c:?} at {i}:\n{out}");
    }
}

#[test]
fn issue_7_hostile_names_and_txt_are_escaped_in_tables() {
    let dir = TempDir::new("terminal");
    let p = dir.path("evil.pcap");
    std::fs::write(&p, evil_capture()).unwrap();
    for args in [
        vec![],
        vec!["messages"],
        vec!["explain"],
        vec!["--color", "always"],
    ] {
        let out = bin().args(&args).arg(&p).output().expect("run");
        assert_eq!(out.status.code(), Some(0));
        let stdout = String::from_utf8(out.stdout).expect("table is UTF-8");
        let stderr = String::from_utf8(out.stderr).expect("stderr is UTF-8");
        if args.contains(&"--color") {
            // Colour codes are ours; strip the SGR sequences we emit, then
            // nothing else may remain.
            let stripped = strip_sgr(&stdout);
            assert_terminal_safe(&stripped, "coloured table");
        } else {
            assert_terminal_safe(&stdout, &format!("table {args:?}"));
        }
        assert_terminal_safe(&stderr, "stderr");
        // The escapes are visible as presentation format.
        assert!(
            stdout.contains("\\027[31mred\\027[0m"),
            "{args:?}: {stdout}"
        );
        assert!(
            stdout.contains("\\013b\\010c\\008d\\127") || stdout.contains("\\013b"),
            "{stdout}"
        );
    }
}

/// Removes `ESC [ digits ; ... m` (SGR) sequences: the colours dnslens itself
/// writes with `--color always`.
fn strip_sgr(s: &str) -> String {
    let mut out = String::new();
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c == '\u{1b}' && it.peek() == Some(&'[') {
            it.next();
            for d in it.by_ref() {
                if d == 'm' {
                    break;
                }
                assert!(
                    d.is_ascii_digit() || d == ';',
                    "non-SGR escape from dnslens"
                );
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn issue_7_json_is_valid_utf8_with_hostile_bytes() {
    let dir = TempDir::new("terminal-json");
    let p = dir.path("evil.pcap");
    std::fs::write(&p, evil_capture()).unwrap();
    for args in [
        vec!["--format", "json"],
        vec!["messages", "--format", "json"],
        vec!["--format", "ndjson"],
        vec!["messages", "--format", "ndjson"],
    ] {
        let out = bin().args(&args).arg(&p).output().expect("run");
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8(out.stdout).expect("JSON is UTF-8");
        let docs: Vec<serde_json::Value> = if args.contains(&"ndjson") {
            text.lines()
                .map(|l| serde_json::from_str(l).expect("NDJSON line"))
                .collect()
        } else {
            vec![serde_json::from_str(&text).expect("JSON document")]
        };
        let all = serde_json::to_string(&docs).unwrap();
        // Names are presentation format: ASCII with \DDD escapes.
        assert!(all.contains("\\\\027[31mred\\\\027[0m"), "{args:?}: {all}");
        assert!(!all.contains("\\u001b"), "{args:?}: raw ESC in a string");
    }
}
