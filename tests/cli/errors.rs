//! Exit codes and whole-file problems.

use crate::util::*;

fn good_pcap(dir: &TempDir) -> std::path::PathBuf {
    write_pcap(
        dir,
        "good.pcap",
        &[
            Packet::query_at(0.0, query(0x1111, "good.example", A)),
            Packet::response_at(
                0.01,
                response(0x1111, "good.example", A, 0, &[[1, 1, 1, 1]]),
            ),
        ],
    )
}

#[test]
fn no_file_is_a_usage_error() {
    let r = run::<[&str; 0], &str>([]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no capture file"), "{}", r.stderr);
}

#[test]
fn unknown_flag_is_a_usage_error() {
    let r = run(["--no-such-flag", "x.pcap"]);
    assert_eq!(r.code, 2);
}

#[test]
fn missing_file_exits_2_and_other_files_are_still_read() {
    let dir = TempDir::new("missing");
    let good = good_pcap(&dir);
    let (r, v) = run_json([dir.path("nope.pcap").as_os_str(), good.as_os_str()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("nope.pcap"), "{}", r.stderr);
    assert_eq!(v["transactions"].as_array().unwrap().len(), 1);
    assert_eq!(v["summary"]["unreadableFiles"], 1);
    assert!(v["files"][0]["error"].is_string());
}

#[test]
fn not_a_capture_exits_2() {
    let dir = TempDir::new("notcap");
    let p = dir.path("notes.pcap");
    std::fs::write(&p, b"<!DOCTYPE html><html>not a capture</html>").unwrap();
    let r = run([&p]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("notes.pcap"), "{}", r.stderr);
    assert!(r.stderr.contains("not a packet capture"), "{}", r.stderr);
}

#[test]
fn empty_file_exits_2() {
    let dir = TempDir::new("empty");
    let p = dir.path("empty.pcap");
    std::fs::write(&p, b"").unwrap();
    let r = run([&p]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("empty"), "{}", r.stderr);
}

#[test]
fn truncated_capture_keeps_what_it_read_and_says_where() {
    let dir = TempDir::new("truncated");
    let bytes = pcap(&[
        Packet::query_at(0.0, query(0x2222, "first.example", A)),
        Packet::response_at(
            0.01,
            response(0x2222, "first.example", A, 0, &[[1, 1, 1, 1]]),
        ),
        Packet::query_at(0.02, query(0x3333, "cut.example", A)),
    ]);
    let p = dir.path("cut.pcap");
    std::fs::write(&p, &bytes[..bytes.len() - 10]).unwrap();
    let (r, v) = run_json([&p]);
    assert_eq!(r.code, 0, "a cut-off last record is data: {}", r.stderr);
    let t = v["transactions"].as_array().unwrap();
    assert_eq!(t.len(), 1);
    assert_eq!(t[0]["status"], "answered");
    assert!(r.stderr.contains("cut.pcap"), "{}", r.stderr);
    assert!(
        r.stderr.contains("frame 2") || r.stderr.contains("byte"),
        "{}",
        r.stderr
    );
    // The byte is named once, in the message ("... at byte N: ..."), not again before it.
    let line = r.stderr.lines().find(|l| l.contains("cut off")).unwrap();
    assert_eq!(line.matches("byte ").count(), 1, "{line}");
    assert!(v["files"][0]["truncated"].is_string(), "{:#}", v["files"]);
}

#[test]
fn directory_is_searched_recursively() {
    let dir = TempDir::new("dir");
    std::fs::create_dir_all(dir.path("a/b")).unwrap();
    let bytes = pcap(&[Packet::query_at(0.0, query(1, "x.example", A))]);
    std::fs::write(dir.path("a/one.pcap"), &bytes).unwrap();
    std::fs::write(dir.path("a/b/two.pcapng.gz.txt"), b"ignored").unwrap();
    std::fs::write(dir.path("a/b/two.pcap"), &bytes).unwrap();
    let (r, v) = run_json([&dir.0]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(v["files"].as_array().unwrap().len(), 2);
    assert_eq!(v["transactions"].as_array().unwrap().len(), 2);
}

#[test]
fn stdin_is_read_with_dash() {
    use std::io::Write;
    use std::process::Stdio;
    let dir = TempDir::new("stdin");
    let bytes = std::fs::read(good_pcap(&dir)).unwrap();
    let mut child = bin()
        .args(["--format", "ndjson", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["type"], "transaction");
    assert_eq!(lines.last().unwrap()["type"], "summary");
}

#[test]
fn closed_pipe_ends_quietly() {
    use std::io::Read;
    use std::process::Stdio;
    let dir = TempDir::new("pipe");
    // Enough transactions that the output outgrows the pipe buffer.
    let mut packets = Vec::new();
    for i in 0..3000u16 {
        let t = f64::from(i) * 0.001;
        packets.push(Packet::query_at(t, query(i, "pipe.example", A)));
        packets.push(Packet::response_at(
            t + 0.0005,
            response(i, "pipe.example", A, 0, &[[1, 1, 1, 1]]),
        ));
    }
    let p = write_pcap(&dir, "many.pcap", &packets);
    let mut child = bin()
        .args(["--format", "ndjson"])
        .arg(&p)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 100];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn ndjson_is_one_event_per_line() {
    let dir = TempDir::new("ndjson");
    let p = good_pcap(&dir);
    let r = run(["--format", "ndjson", p.to_str().unwrap()]);
    assert_eq!(r.code, 0);
    let events: Vec<serde_json::Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["type"], "transaction");
    assert_eq!(events[0]["data"]["status"], "answered");
    assert_eq!(events[1]["type"], "summary");
    assert_eq!(events[1]["data"]["transactions"], 1);
}
