//! Each pairing case, on captures built byte by byte.

use crate::util::*;

fn transactions(v: &serde_json::Value) -> &Vec<serde_json::Value> {
    v["transactions"].as_array().expect("transactions array")
}

#[test]
fn query_and_response_pair_with_rtt() {
    let dir = TempDir::new("pair-simple");
    let f = write_pcap(
        &dir,
        "simple.pcap",
        &[
            Packet::query_at(0.0, query(0x1234, "www.example.com", A)),
            Packet::response_at(
                0.0125,
                response(0x1234, "www.example.com", A, 0, &[[93, 184, 216, 34]]),
            ),
        ],
    );
    let (r, v) = run_json([&f]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stderr, "");
    let t = transactions(&v);
    assert_eq!(t.len(), 1);
    assert_eq!(t[0]["status"], "answered");
    assert_eq!(t[0]["query"]["frame"], 1);
    assert_eq!(t[0]["response"]["frame"], 2);
    assert_eq!(t[0]["query"]["ID"], 0x1234);
    assert_eq!(t[0]["rttMs"], 12.5);
    assert_eq!(t[0]["response"]["answerRRs"][0]["rdataA"], "93.184.216.34");
    assert_eq!(t[0]["retransmissions"], serde_json::json!([]));
    assert_eq!(t[0]["questionMismatch"], false);
    assert_eq!(v["summary"]["answered"], 1);
}

#[test]
fn retransmitted_query_is_one_transaction_with_rtt_from_the_first() {
    // A lab client: 3 tries, 5 s apart, the third is answered.
    let dir = TempDir::new("pair-retx");
    let q = query(0x0101, "lab.example", AAAA);
    let f = write_pcap(
        &dir,
        "retx.pcap",
        &[
            Packet::query_at(0.0, q.clone()),
            Packet::query_at(5.0, q.clone()),
            Packet::query_at(10.0, q),
            Packet::response_at(10.002, response(0x0101, "lab.example", AAAA, 0, &[])),
        ],
    );
    let (r, v) = run_json([&f]);
    assert_eq!(r.code, 0);
    let t = transactions(&v);
    assert_eq!(t.len(), 1, "{t:#?}");
    assert_eq!(t[0]["status"], "answered");
    assert_eq!(t[0]["retransmissions"], serde_json::json!([2, 3]));
    assert_eq!(
        t[0]["retransmissionAfterMs"],
        serde_json::json!([5000.0, 10000.0])
    );
    assert_eq!(t[0]["rttMs"], 10002.0);
    assert_eq!(v["summary"]["retransmissions"], 2);
}

#[test]
fn three_unanswered_tries_are_one_unanswered_transaction() {
    let dir = TempDir::new("pair-noanswer");
    let q = query(0x0202, "lab.example", A);
    let f = write_pcap(
        &dir,
        "noanswer.pcap",
        &[
            Packet::query_at(0.0, q.clone()),
            Packet::query_at(5.001, q.clone()),
            Packet::query_at(10.002, q),
            // Unrelated traffic long after, so the window closes in capture time.
            Packet::query_at(30.0, query(0x0303, "other.example", A)),
            Packet::response_at(
                30.001,
                response(0x0303, "other.example", A, 0, &[[1, 2, 3, 4]]),
            ),
        ],
    );
    let (_, v) = run_json([&f]);
    let t = transactions(&v);
    assert_eq!(t.len(), 2, "{t:#?}");
    assert_eq!(t[0]["status"], "unanswered");
    assert_eq!(t[0]["response"], serde_json::Value::Null);
    assert_eq!(t[0]["rttMs"], serde_json::Value::Null);
    assert_eq!(t[0]["retransmissions"], serde_json::json!([2, 3]));
    assert!(t[0].get("censored").is_none());
    assert_eq!(t[1]["status"], "answered");
}

#[test]
fn query_at_end_of_capture_is_censored() {
    let dir = TempDir::new("pair-censored");
    let f = write_pcap(
        &dir,
        "c.pcap",
        &[Packet::query_at(0.0, query(7, "a.example", A))],
    );
    let (_, v) = run_json([&f]);
    let t = transactions(&v);
    assert_eq!(t[0]["status"], "unanswered");
    assert_eq!(t[0]["censored"], true);
}

#[test]
fn shorter_timeout_splits_retries_into_transactions() {
    let dir = TempDir::new("pair-timeout");
    let q = query(0x0404, "lab.example", A);
    let f = write_pcap(
        &dir,
        "t.pcap",
        &[Packet::query_at(0.0, q.clone()), Packet::query_at(5.0, q)],
    );
    let (_, v) = run_json([f.as_os_str(), "--timeout".as_ref(), "2".as_ref()]);
    let t = transactions(&v);
    assert_eq!(t.len(), 2);
    assert!(t.iter().all(|t| t["status"] == "unanswered"));
}

#[test]
fn duplicate_response_is_recorded_not_unsolicited() {
    let dir = TempDir::new("pair-dup");
    let resp = response(0x0505, "dup.example", A, 0, &[[10, 1, 1, 1]]);
    let f = write_pcap(
        &dir,
        "dup.pcap",
        &[
            Packet::query_at(0.0, query(0x0505, "dup.example", A)),
            Packet::response_at(0.01, resp.clone()),
            Packet::response_at(0.02, resp),
        ],
    );
    let (_, v) = run_json([&f]);
    let t = transactions(&v);
    assert_eq!(t.len(), 1, "{t:#?}");
    assert_eq!(t[0]["status"], "answered");
    assert_eq!(t[0]["response"]["frame"], 2);
    assert_eq!(t[0]["duplicateResponses"], serde_json::json!([3]));
    assert_eq!(v["summary"]["unsolicited"], 0);
}

#[test]
fn id_reused_after_the_exchange_ended_is_a_new_transaction() {
    let dir = TempDir::new("pair-reuse");
    let f = write_pcap(
        &dir,
        "reuse.pcap",
        &[
            Packet::query_at(0.0, query(0x0606, "one.example", A)),
            Packet::response_at(0.01, response(0x0606, "one.example", A, 0, &[[1, 1, 1, 1]])),
            Packet::query_at(1.0, query(0x0606, "one.example", A)),
            Packet::response_at(1.01, response(0x0606, "one.example", A, 0, &[[2, 2, 2, 2]])),
        ],
    );
    let (_, v) = run_json([&f]);
    let t = transactions(&v);
    assert_eq!(t.len(), 2, "{t:#?}");
    assert_eq!(t[0]["response"]["frame"], 2);
    assert_eq!(t[1]["query"]["frame"], 3);
    assert_eq!(t[1]["response"]["frame"], 4);
    assert_eq!(t[1]["response"]["answerRRs"][0]["rdataA"], "2.2.2.2");
}

#[test]
fn response_without_query_is_unsolicited() {
    let dir = TempDir::new("pair-unsol");
    let f = write_pcap(
        &dir,
        "unsol.pcap",
        &[Packet::response_at(
            0.0,
            response(0x0707, "x.example", A, 3, &[]),
        )],
    );
    let (r, v) = run_json([&f]);
    assert_eq!(r.code, 0);
    let t = transactions(&v);
    assert_eq!(t.len(), 1);
    assert_eq!(t[0]["status"], "unsolicited");
    assert_eq!(t[0]["query"], serde_json::Value::Null);
    assert_eq!(t[0]["response"]["RCODE"], 3);
    assert_eq!(t[0]["response"]["rcodeName"], "NXDOMAIN");
}

#[test]
fn id_match_with_other_question_is_paired_and_flagged() {
    let dir = TempDir::new("pair-mismatch");
    let f = write_pcap(
        &dir,
        "mm.pcap",
        &[
            Packet::query_at(0.0, query(0x0808, "asked.example", A)),
            Packet::response_at(
                0.01,
                response(0x0808, "other.example", A, 0, &[[9, 9, 9, 9]]),
            ),
        ],
    );
    let (_, v) = run_json([&f]);
    let t = transactions(&v);
    assert_eq!(t.len(), 1);
    assert_eq!(t[0]["status"], "answered");
    assert_eq!(t[0]["questionMismatch"], true);
    assert_eq!(v["summary"]["questionMismatches"], 1);
    let table = run([&f]);
    assert!(
        table.stdout.contains("question differs"),
        "{}",
        table.stdout
    );
}

#[test]
fn question_is_compared_case_insensitively() {
    let dir = TempDir::new("pair-case");
    let f = write_pcap(
        &dir,
        "case.pcap",
        &[
            Packet::query_at(0.0, query(0x0909, "WwW.ExAmple.COM", A)),
            Packet::response_at(
                0.01,
                response(0x0909, "www.example.com", A, 0, &[[1, 2, 3, 4]]),
            ),
        ],
    );
    let (_, v) = run_json([&f]);
    let t = transactions(&v);
    assert_eq!(t[0]["questionMismatch"], false);
    assert_eq!(t[0]["query"]["questionRRs"][0]["NAME"], "WwW.ExAmple.COM.");
}

#[test]
fn different_clients_with_same_id_do_not_mix() {
    let dir = TempDir::new("pair-clients");
    let other = [10, 0, 0, 3];
    let f = write_pcap(
        &dir,
        "clients.pcap",
        &[
            Packet::query_at(0.0, query(0x0a0a, "a.example", A)),
            Packet::at(
                0.001,
                other,
                40000,
                SERVER,
                53,
                query(0x0a0a, "a.example", A),
            ),
            Packet::at(
                0.01,
                SERVER,
                53,
                other,
                40000,
                response(0x0a0a, "a.example", A, 0, &[[3, 3, 3, 3]]),
            ),
            Packet::response_at(0.02, response(0x0a0a, "a.example", A, 0, &[[2, 2, 2, 2]])),
        ],
    );
    let (_, v) = run_json([&f]);
    let t = transactions(&v);
    assert_eq!(t.len(), 2);
    assert_eq!(t[0]["query"]["sourceAddress"], "10.0.0.2");
    assert_eq!(t[0]["response"]["frame"], 4);
    assert_eq!(t[1]["query"]["sourceAddress"], "10.0.0.3");
    assert_eq!(t[1]["response"]["frame"], 3);
}

#[test]
fn table_shows_one_row_per_transaction_and_a_summary() {
    let dir = TempDir::new("pair-table");
    let f = write_pcap(
        &dir,
        "t.pcap",
        &[
            Packet::query_at(0.0, query(0x60a5, "www.example.com", A)),
            Packet::response_at(
                0.0125,
                response(0x60a5, "www.example.com", A, 0, &[[93, 184, 216, 34]]),
            ),
        ],
    );
    let r = run([&f]);
    assert_eq!(r.code, 0);
    let out = &r.stdout;
    for want in [
        "1 → 2",
        "10.0.0.2:40000 → 10.0.0.53:53",
        "0x60a5",
        "www.example.com. A",
        "NOERROR",
        "93.184.216.34",
        "12.500 ms",
        "2 DNS messages (1 queries, 1 responses), 1 transactions: 1 answered, 0 unanswered, 0 unsolicited",
    ] {
        assert!(out.contains(want), "missing {want:?} in\n{out}");
    }
    assert!(!out.contains('\u{1b}'), "no colour when not a terminal");
}
