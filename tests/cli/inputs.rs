//! What dnslens reads, on the project's own samples (no corpus needed): gzip,
//! standard input, several files in one run, the link types and transports of
//! the samples, the DNS heuristic and `--port`. (Every link type and transport
//! of the shared corpus is checked against tshark in `tests/corpus.rs`.)

use std::io::Write;
use std::process::Stdio;

use crate::util::*;

/// The transactions of a JSON document, without the `file` members (which
/// name the input), as comparable text.
fn transactions_without_files(v: &serde_json::Value) -> Vec<String> {
    let mut t = v["transactions"].as_array().cloned().unwrap_or_default();
    for x in &mut t {
        if let Some(o) = x.as_object_mut() {
            o.remove("file");
            for side in ["query", "response"] {
                if let Some(m) = o.get_mut(side).and_then(|m| m.as_object_mut()) {
                    m.remove("file");
                }
            }
        }
    }
    t.iter().map(|x| x.to_string()).collect()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).expect("gzip in memory");
    enc.finish().expect("gzip in memory")
}

#[test]
fn gzip_capture_reads_like_the_original() {
    let dir = TempDir::new("gzip");
    let gz = dir.path("dns.pcapng.gz");
    std::fs::write(&gz, gzip(&std::fs::read(sample("dns.pcapng")).unwrap())).unwrap();
    let (r0, plain) = run_json([sample("dns.pcapng")]);
    let (r1, packed) = run_json([&gz]);
    assert_eq!((r0.code, r1.code), (0, 0), "{}", r1.stderr);
    assert_eq!(r1.stderr, "");
    assert_eq!(packed["files"][0]["compressed"], true);
    assert_eq!(packed["files"][0]["format"], "pcapng");
    assert_eq!(plain["files"][0]["compressed"], false);
    let t = transactions_without_files(&packed);
    assert_eq!(t.len(), 2);
    assert_eq!(t, transactions_without_files(&plain));
}

#[test]
fn gzip_on_standard_input_is_detected_by_its_magic() {
    let bytes = gzip(&std::fs::read(sample("tcp.pcap")).unwrap());
    let mut child = bin()
        .args(["--format", "json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["files"][0]["path"], "-");
    assert_eq!(v["files"][0]["compressed"], true);
    let (_, plain) = run_json([sample("tcp.pcap")]);
    assert_eq!(
        transactions_without_files(&v),
        transactions_without_files(&plain)
    );
    assert!(!transactions_without_files(&v).is_empty());
}

#[test]
fn several_files_in_one_run_each_row_names_its_file() {
    let a = sample("dns.pcapng");
    let b = sample("any-sll2.pcap");
    let (r, v) = run_json([&a, &b]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let files = v["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    let t = v["transactions"].as_array().unwrap();
    let in_file = |p: &std::path::Path| {
        t.iter()
            .filter(|x| x["file"] == p.display().to_string())
            .count()
    };
    assert_eq!(in_file(&a), 2);
    assert_eq!(in_file(&b), 2);
    assert_eq!(in_file(&a) + in_file(&b), t.len());
    // A transaction never pairs across files: the same pairs as one by one.
    let (_, only_b) = run_json([&b]);
    assert_eq!(v["summary"]["answered"], 4);
    assert_eq!(only_b["summary"]["answered"], 2);
    // The table names the file of each row when there are several.
    let table = run(["--color", "never", a.to_str().unwrap(), b.to_str().unwrap()]);
    assert!(table.stdout.contains("any-sll2.pcap"), "{}", table.stdout);
}

#[test]
fn linux_cooked_v2_from_any_interface() {
    // tcpdump -i any writes LINKTYPE_LINUX_SLL2 (276): A over IPv4, AAAA over IPv6.
    let (r, v) = run_json(["messages", sample("any-sll2.pcap").to_str().unwrap()]);
    assert_eq!(r.code, 0);
    assert_eq!(r.stderr, "");
    let m = v["messages"].as_array().unwrap();
    assert_eq!(m.len(), 4);
    assert!(m.iter().any(|x| x["sourceAddress"] == "::1"), "{v:#}");
    assert!(m.iter().any(|x| x["sourceAddress"] == "127.0.0.1"));
}

#[test]
fn tcp_and_reassembled_fragments() {
    // tcp.pcap: an AXFR of 7 segments over IPv6 is one message, at its last frame.
    let (_, v) = run_json(["messages", sample("tcp.pcap").to_str().unwrap()]);
    let m = v["messages"].as_array().unwrap();
    assert!(m.iter().all(|x| x["ipProtocol"] == 6));
    assert!(
        m.iter()
            .any(|x| x["messageLength"].as_u64().unwrap_or(0) > 8000),
        "the AXFR answer is one message"
    );
    // fragments.pcap: a 3068-octet answer in 3 IPv4 and in 3 IPv6 fragments.
    let (_, v) = run_json(["messages", sample("fragments.pcap").to_str().unwrap()]);
    let big: Vec<&serde_json::Value> = v["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["messageLength"] == 3068)
        .collect();
    assert_eq!(big.len(), 2, "{v:#}");
    assert!(big.iter().all(|x| x["error"].is_null()));
}

#[test]
fn icmp_port_unreachable_is_attached_to_the_query() {
    let (r, v) = run_json([sample("unanswered.pcapng")]);
    assert_eq!(r.code, 0);
    let t = v["transactions"].as_array().unwrap();
    let with_icmp: Vec<&serde_json::Value> = t
        .iter()
        .filter(|x| !x["icmpErrors"].as_array().unwrap().is_empty())
        .collect();
    assert_eq!(with_icmp.len(), 3, "{v:#}");
    for x in with_icmp {
        assert_eq!(x["status"], "unanswered");
        assert_eq!(x["icmpErrors"][0]["kind"], "port unreachable");
    }
    assert_eq!(v["summary"]["icmpErrors"], 3);
}

#[test]
fn heuristic_and_extra_ports() {
    // A query and its answer on UDP 8053: found by the heuristic (on by
    // default), not with --no-heuristic, found again with --port 8053.
    let dir = TempDir::new("port");
    let p = write_pcap(
        &dir,
        "p8053.pcap",
        &[
            Packet::at(
                0.0,
                [10, 0, 0, 2],
                40000,
                [10, 0, 0, 1],
                8053,
                query(0x4242, "lab.example", A),
            ),
            Packet::at(
                0.001,
                [10, 0, 0, 1],
                8053,
                [10, 0, 0, 2],
                40000,
                response(0x4242, "lab.example", A, 0, &[[192, 0, 2, 1]]),
            ),
        ],
    );
    let (_, on) = run_json([&p]);
    assert_eq!(on["summary"]["answered"], 1, "{on:#}");
    let (_, off) = run_json(["--no-heuristic", p.to_str().unwrap()]);
    assert_eq!(off["summary"]["messages"], 0);
    let (_, port) = run_json(["--no-heuristic", "--port", "8053", p.to_str().unwrap()]);
    assert_eq!(port["summary"]["answered"], 1);
}
