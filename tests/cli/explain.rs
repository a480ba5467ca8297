//! `dnslens explain`: goldens of the listing on the samples, selection, JSON, exit codes.
//!
//! Goldens live in `tests/golden/explain/`; `UPDATE_GOLDEN=1 cargo test` rewrites them
//! (then review the diff by eye).

use std::path::{Path, PathBuf};

use crate::util::*;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs dnslens in the crate root, so that sample paths in the output are relative.
fn run_here(args: &[&str]) -> Run {
    let out = bin()
        .current_dir(root())
        .args(args)
        .output()
        .expect("run dnslens");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

fn golden_path(name: &str) -> PathBuf {
    root().join("tests/golden/explain").join(name)
}

/// Compares `actual` with the golden file exactly, or rewrites it under UPDATE_GOLDEN=1.
fn golden(name: &str, actual: &str) {
    let path = golden_path(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with UPDATE_GOLDEN=1 to create it)",
            path.display()
        )
    });
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
        panic!(
            "{} differs from the output at line {}:\n  golden: {:?}\n  output: {:?}\n\
             (UPDATE_GOLDEN=1 rewrites it; review the diff)",
            path.display(),
            first + 1,
            expected.lines().nth(first),
            actual.lines().nth(first)
        );
    }
}

/// The text listing of one frame, checked against its golden and the 80-column rule.
fn golden_text(file: &str, frame: &str, name: &str) -> Run {
    let r = run_here(&["explain", "--color", "never", file, "--frame", frame]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for line in r.stdout.lines() {
        assert!(line.chars().count() <= 80, "over 80 columns: {line:?}");
        assert!(!line.chars().any(char::is_control), "{line:?}");
    }
    golden(name, &r.stdout);
    r
}

#[test]
fn golden_query() {
    let r = golden_text("samples/dns.pcapng", "1", "query.txt");
    assert!(r.stdout.contains("www.lab.example. IN A"));
    assert_eq!(r.stderr, "");
}

#[test]
fn golden_response_with_compression() {
    let r = golden_text("samples/dns.pcapng", "2", "response.txt");
    assert!(r.stdout.contains("-> 0x000c"), "{}", r.stdout);
    assert_eq!(r.stderr, "");
}

#[test]
fn golden_mx_with_compression_inside_rdata() {
    let r = golden_text("samples/dns.pcap", "6", "mx.txt");
    assert!(r.stdout.contains("answer[0].rdata") || r.stdout.contains("preference"));
    assert!(
        r.stdout.contains("-> 0x002b"),
        "glue owner points at the exchange"
    );
}

#[test]
fn golden_edns_response() {
    let r = golden_text("samples/dns.pcap", "2", "edns.txt");
    assert!(r.stdout.contains("udpPayloadSize 4096"));
    assert!(r.stdout.contains("option code: COOKIE"));
}

#[test]
fn golden_soa_srv_txt() {
    let soa = golden_text("samples/dns.pcap", "12", "soa.txt");
    assert!(soa.stdout.contains("serial"));
    let srv = golden_text("samples/dns.pcap", "14", "srv.txt");
    assert!(srv.stdout.contains("5060"));
    let txt = golden_text("samples/dns.pcap", "8", "txt.txt");
    assert!(txt.stdout.contains("string[0]") && txt.stdout.contains("byte 255"));
}

#[test]
fn golden_malformed_query() {
    let r = golden_text("samples/bad-client.pcap", "3", "malformed.txt");
    assert!(r.stdout.contains("ERROR"));
    assert!(r.stdout.contains("[name-without-root]"));
    // The diagnostic goes to stderr as for every command; the exit code stays 0.
    assert!(
        r.stderr.contains("frame 3: malformed DNS message"),
        "{}",
        r.stderr
    );
}

#[test]
fn golden_little_endian_qtype() {
    let r = golden_text("samples/bad-client.pcap", "1", "little-endian.txt");
    assert!(r.stdout.contains("[qtype-byte-swapped]"));
}

#[test]
fn golden_json_rows() {
    let r = run_here(&[
        "explain",
        "--format",
        "json",
        "samples/dns.pcapng",
        "--frame",
        "2",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("valid JSON");
    golden(
        "response.json",
        &(serde_json::to_string_pretty(&v).unwrap() + "\n"),
    );
}

fn json(args: &[&str]) -> (Run, serde_json::Value) {
    let mut all = vec!["explain", "--format", "json"];
    all.extend_from_slice(args);
    let r = run_here(&all);
    let v =
        serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", r.stdout));
    (r, v)
}

#[test]
fn json_rows_cover_every_byte_and_carry_hex() {
    let (r, v) = json(&["samples/dns.pcap", "--frame", "6"]);
    assert_eq!(r.code, 0);
    let e = &v["explanations"][0];
    assert_eq!(e["frame"], 6);
    assert_eq!(e["ID"], 0x3341);
    let len = e["messageLength"].as_u64().unwrap() as usize;
    let rows = e["rows"].as_array().unwrap();
    let mut covered = vec![0; len];
    for row in rows {
        let (off, n) = (
            row["offset"].as_u64().unwrap() as usize,
            row["length"].as_u64().unwrap() as usize,
        );
        assert_eq!(row["hex"].as_str().unwrap().len(), 2 * n, "{row}");
        assert!(row["path"].is_string() && row["value"].is_string());
        let leaf = !matches!(
            row["kind"].as_str().unwrap(),
            "group" | "name" | "flag" | "lint" | "error"
        );
        if leaf {
            for c in &mut covered[off..off + n] {
                *c += 1;
            }
        }
    }
    assert!(covered.iter().all(|&c| c == 1), "{covered:?}");
    let pref = rows
        .iter()
        .find(|r| r["path"] == "answer[0].rdata.preference")
        .unwrap();
    assert_eq!(pref["value"], "10");
    assert_eq!(pref["hex"], "000A");
    let qr = rows
        .iter()
        .find(|r| r["path"] == "header.flags.QR")
        .unwrap();
    assert_eq!(qr["bits"], "1... .... .... ....");
    assert_eq!(v["summary"]["explained"], 1);
    assert_eq!(v["diagnostics"], serde_json::json!([]));
}

#[test]
fn json_marks_the_error_and_lint() {
    let (r, v) = json(&["samples/bad-client.pcap", "--frame", "3"]);
    assert_eq!(r.code, 0);
    let e = &v["explanations"][0];
    assert_eq!(e["error"]["offset"], 0x1f);
    assert_eq!(e["lint"][0]["code"], "name-without-root");
    assert_eq!(e["lint"][0]["offset"], 0x1c);
    let err = e["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "error")
        .unwrap();
    assert_eq!(err["severity"], "error");
    assert_eq!(err["hex"], "01");
    assert_eq!(v["diagnostics"].as_array().unwrap().len(), 1);
}

#[test]
fn frame_selects_one_message_and_id_selects_both_halves() {
    let r = run_here(&["explain", "samples/dns.pcapng", "--frame", "3"]);
    assert_eq!(r.code, 0);
    assert_eq!(r.stdout.matches(" frame ").count(), 1);
    assert!(r
        .stdout
        .contains("samples/dns.pcapng frame 3: DNS query, ID 0x4d01"));
    let (r, v) = json(&["samples/dns.pcapng", "--id", "0x4d01"]);
    assert_eq!(r.code, 0);
    let frames: Vec<u64> = v["explanations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["frame"].as_u64().unwrap())
        .collect();
    assert_eq!(frames, [3, 4]);
    // Decimal IDs, and both flags together (they must both match).
    let (_, v) = json(&["samples/dns.pcapng", "--id", "19713", "--frame", "4"]);
    assert_eq!(v["explanations"].as_array().unwrap().len(), 1);
    assert_eq!(v["explanations"][0]["frame"], 4);
    // Several frames; without a selection, every message.
    let (_, v) = json(&["samples/dns.pcapng", "--frame", "1", "--frame", "4"]);
    assert_eq!(v["explanations"].as_array().unwrap().len(), 2);
    let (_, v) = json(&["samples/dns.pcapng"]);
    assert_eq!(v["explanations"].as_array().unwrap().len(), 4);
}

#[test]
fn directories_and_standard_input() {
    let (r, v) = json(&["samples", "--id", "0x0b03"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let got: Vec<(String, u64)> = v["explanations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["file"].as_str().unwrap().to_string(),
                e["frame"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("samples/bad-client.pcap".to_string(), 5),
            ("samples/bad-client.pcap".to_string(), 6)
        ]
    );
    let out = bin()
        .current_dir(root())
        .args(["explain", "-", "--frame", "1"])
        .stdin(std::fs::File::open(root().join("samples/dns.pcapng")).unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("- frame 1: DNS query"));
}

#[test]
fn ndjson_streams_one_explanation_per_line_then_a_summary() {
    let r = run_here(&["explain", "-f", "ndjson", "samples/dns.pcapng"]);
    assert_eq!(r.code, 0);
    let lines: Vec<serde_json::Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5);
    assert!(lines[..4].iter().all(|l| l["type"] == "explanation"));
    assert_eq!(lines[4]["type"], "summary");
    assert_eq!(lines[4]["data"]["explained"], 4);
}

#[test]
fn unmatched_selection_exits_2_and_says_why() {
    let r = run_here(&["explain", "samples/dns.pcapng", "--frame", "99"]);
    assert_eq!(r.code, 2);
    assert_eq!(r.stdout, "");
    assert!(r.stderr.contains("there is no frame 99"), "{}", r.stderr);
    let r = run_here(&["explain", "samples/dns.pcapng", "--id", "0xffff"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("no DNS message with ID 0xffff"),
        "{}",
        r.stderr
    );
    // A frame that exists but is not DNS (dns.pcap frame 29 is a TCP handshake packet).
    let r = run_here(&["explain", "samples/dns.pcap", "--frame", "29"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("frame 29 carries no DNS message"),
        "{}",
        r.stderr
    );
    // One frame found and one not: the found one is shown, the exit code is still 2.
    let r = run_here(&[
        "explain",
        "samples/dns.pcapng",
        "--frame",
        "1",
        "--frame",
        "9",
    ]);
    assert_eq!(r.code, 2);
    assert!(r.stdout.contains("frame 1:"));
}

#[test]
fn usage_errors_exit_2() {
    let r = run_here(&["explain", "samples/dns.pcapng", "--id", "0x1ffff"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not a DNS ID"), "{}", r.stderr);
    let r = run_here(&["explain"]);
    assert_eq!(r.code, 2);
    let r = run_here(&["explain", "no-such-file.pcap"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no-such-file.pcap"));
}

#[test]
fn colour_only_when_asked() {
    let never = run_here(&["explain", "samples/dns.pcapng", "--frame", "2"]);
    assert!(!never.stdout.contains('\x1b'), "not a terminal: no colour");
    let always = run_here(&[
        "explain",
        "--color",
        "always",
        "samples/dns.pcapng",
        "--frame",
        "2",
    ]);
    assert!(always.stdout.contains("\x1b[35m"), "pointers are magenta");
    let no_color = bin()
        .current_dir(root())
        .env("NO_COLOR", "1")
        .args(["explain", "samples/dns.pcapng", "--frame", "2"])
        .output()
        .unwrap();
    assert!(!no_color.stdout.contains(&0x1b));
}

#[test]
fn messages_json_has_a_lint_member() {
    let (r, v) = run_json(["messages", sample("bad-client.pcap").to_str().unwrap()]);
    assert_eq!(r.code, 0);
    let msgs = v["messages"].as_array().unwrap();
    assert_eq!(msgs[0]["lint"][0]["code"], "qtype-byte-swapped");
    assert_eq!(msgs[0]["lint"][0]["offset"], 0x1d);
    assert_eq!(msgs[0]["lint"][0]["length"], 2);
    assert_eq!(msgs[0]["lint"][0]["severity"], "warning");
    assert!(msgs[0]["lint"][0]["message"]
        .as_str()
        .unwrap()
        .contains("little-endian"));
    // Clean messages have an empty list, not a missing member.
    assert_eq!(msgs[4]["lint"], serde_json::json!([]));
}
