//! Each malformed-message case: the run goes on, the good messages around it are
//! kept, and the error names the frame and the byte offset.

use crate::util::*;

/// Runs `messages --format json` on good / `bad` / good and returns the bad
/// message's object and the run.
fn check_bad(tag: &str, bad: Vec<u8>) -> (serde_json::Value, Run) {
    let dir = TempDir::new(tag);
    let f = write_pcap(
        &dir,
        "bad.pcap",
        &[
            Packet::query_at(0.0, query(1, "before.example", A)),
            Packet::query_at(0.1, bad),
            Packet::query_at(0.2, query(3, "after.example", A)),
        ],
    );
    let (r, v) = run_json([std::ffi::OsStr::new("messages"), f.as_os_str()]);
    assert_eq!(
        r.code, 0,
        "malformed packets are data: exit 0\n{}",
        r.stderr
    );
    let msgs = v["messages"].as_array().expect("messages");
    assert_eq!(msgs.len(), 3, "all three messages listed");
    assert_eq!(msgs[0]["questionRRs"][0]["NAME"], "before.example.");
    assert_eq!(msgs[2]["questionRRs"][0]["NAME"], "after.example.");
    assert!(msgs[0].get("error").is_none());
    let bad = msgs[1].clone();
    let err = &bad["error"];
    assert!(err.is_object(), "bad message has an error member: {bad:#}");
    let len = bad["messageLength"].as_u64().unwrap();
    assert!(err["offset"].as_u64().unwrap() <= len);
    assert!(
        r.stderr.contains("bad.pcap: frame 2:"),
        "stderr names file and frame: {}",
        r.stderr
    );
    assert_eq!(v["summary"]["malformed"], 1);
    assert_eq!(v["diagnostics"][0]["frame"], 2);
    assert_eq!(v["diagnostics"][0]["layer"], "dns");
    (bad, r)
}

#[test]
fn truncated_header() {
    let (bad, r) = check_bad(
        "trunc-header",
        vec![0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00],
    );
    assert!(bad.get("ID").is_none(), "no header fields from 7 bytes");
    assert_eq!(bad["messageOctetsHEX"], "12340100000100");
    assert!(
        r.stderr.to_lowercase().contains("header") || r.stderr.contains("12"),
        "{}",
        r.stderr
    );
}

#[test]
fn count_beyond_data() {
    // ANCOUNT says 5; one answer is present.
    let mut m = response(2, "count.example", A, 0, &[[1, 2, 3, 4]]);
    m[7] = 5;
    let (bad, _) = check_bad("count", m);
    assert_eq!(bad["ANCOUNT"], 5);
    assert_eq!(
        bad["answerRRs"].as_array().unwrap().len(),
        1,
        "the answer that is there is kept"
    );
    assert_eq!(bad["answerRRs"][0]["rdataA"], "1.2.3.4");
}

#[test]
fn label_past_end() {
    // A label claims 10 bytes; 3 follow and the message ends.
    let mut m = header(2, 0x0100, [1, 0, 0, 0]);
    m.extend_from_slice(&[10, b'a', b'b', b'c']);
    let (bad, _) = check_bad("label", m);
    assert_eq!(bad["questionRRs"], serde_json::json!([]));
}

#[test]
fn forward_pointer() {
    // The question name is a pointer to offset 0x20, after itself.
    let mut m = header(2, 0x0100, [1, 0, 0, 0]);
    m.extend_from_slice(&[0xc0, 0x20, 0, 1, 0, 1]);
    m.resize(0x30, 0);
    let (bad, _) = check_bad("forward", m);
    assert_eq!(bad["error"]["offset"], 12, "the pointer's own offset");
}

#[test]
fn pointer_loop() {
    // A pointer at offset 12 to offset 12.
    let mut m = header(2, 0x0100, [1, 0, 0, 0]);
    m.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1]);
    let (bad, _) = check_bad("loop", m);
    assert_eq!(bad["error"]["offset"], 12);
}

#[test]
fn name_over_255_octets() {
    let mut m = header(2, 0x0100, [1, 0, 0, 0]);
    for _ in 0..5 {
        m.push(63);
        m.extend(std::iter::repeat_n(b'x', 63));
    }
    m.extend_from_slice(&[0, 0, 1, 0, 1]);
    let (bad, r) = check_bad("long", m);
    assert!(
        bad["error"]["message"].as_str().unwrap().contains("255"),
        "{bad:#}\n{}",
        r.stderr
    );
}

#[test]
fn malformed_message_does_not_stop_pairing() {
    let dir = TempDir::new("malformed-pairing");
    let f = write_pcap(
        &dir,
        "p.pcap",
        &[
            Packet::query_at(0.0, query(1, "ok.example", A)),
            Packet::query_at(0.001, vec![0xff; 5]),
            Packet::response_at(0.01, response(1, "ok.example", A, 0, &[[5, 6, 7, 8]])),
        ],
    );
    let (r, v) = run_json([&f]);
    assert_eq!(r.code, 0);
    let t = v["transactions"].as_array().unwrap();
    assert_eq!(t.len(), 1);
    assert_eq!(t[0]["status"], "answered");
    assert_eq!(v["summary"]["malformed"], 1);
    assert_eq!(v["summary"]["messages"], 3);
}
