//! The lab sample, end to end: the table and the JSON name what tshark read in
//! `samples/dns.pcapng` (its reading is committed beside it).

use crate::util::*;

/// tshark's reading of a sample: one map per row, by field name.
fn tshark_rows(name: &str) -> Vec<TsharkRow> {
    tshark_tsv(&sample(&format!("{name}.tshark.tsv")))
}

#[test]
fn lab_sample_json_matches_tshark() {
    let (r, v) = run_json([sample("dns.pcapng")]);
    assert_eq!(r.code, 0);
    assert_eq!(r.stderr, "", "a clean capture prints no diagnostics");
    let rows = tshark_rows("dns.pcapng");
    let txns = v["transactions"].as_array().unwrap();
    assert_eq!(txns.len(), 2);
    assert_eq!(v["files"][0]["format"], "pcapng");
    assert_eq!(v["summary"]["nonDnsFrames"], 0);
    for (t, want_type, want_answer, answer_key) in [
        (&txns[0], "A", "192.0.2.10", "dns.a"),
        (&txns[1], "AAAA", "2001:db8::10", "dns.aaaa"),
    ] {
        let q = &t["query"];
        let resp = &t["response"];
        let qrow = rows
            .iter()
            .find(|r| r["frame.number"].parse::<u64>().ok() == q["frame"].as_u64())
            .expect("tshark saw the query");
        let rrow = rows
            .iter()
            .find(|r| r["frame.number"].parse::<u64>().ok() == resp["frame"].as_u64())
            .expect("tshark saw the response");
        // Pairing as tshark pairs.
        assert_eq!(qrow["dns.response_in"], resp["frame"].to_string());
        assert_eq!(rrow["dns.response_to"], q["frame"].to_string());
        // ID, question, flags.
        let id = u16::from_str_radix(qrow["dns.id"].trim_start_matches("0x"), 16).unwrap();
        assert_eq!(q["ID"], id);
        assert_eq!(resp["ID"], id);
        assert_eq!(q["QR"], 0);
        assert_eq!(resp["QR"], 1);
        assert_eq!(q["RD"], 1);
        assert_eq!(resp["AA"], 1);
        assert_eq!(q["questionRRs"][0]["NAME"], "www.lab.example.");
        assert_eq!(q["questionRRs"][0]["TYPEname"], want_type);
        assert_eq!(q["ARCOUNT"], 0, "+noedns: no OPT record");
        assert_eq!(q["additionalRRs"], serde_json::json!([]));
        assert_eq!(resp["rcodeName"], "NOERROR");
        assert_eq!(resp["answerRRs"][0]["NAME"], "www.lab.example.");
        assert_eq!(resp["answerRRs"][0]["TTL"], 300);
        assert_eq!(
            resp["answerRRs"][0][format!("rdata{want_type}")],
            want_answer
        );
        assert_eq!(rrow[answer_key], want_answer);
        // Addresses.
        assert_eq!(q["sourceAddress"], "127.0.0.1");
        assert_eq!(q["destinationPort"], 53);
        assert_eq!(q["ipProtocol"], 17);
        // RTT to the microsecond, as dns.time.
        let dns_time: f64 = rrow["dns.time"].parse().unwrap();
        let rtt = t["rttMs"].as_f64().unwrap();
        assert!(
            (rtt / 1000.0 - dns_time).abs() < 1.5e-6,
            "rtt {rtt} ms vs dns.time {dns_time}"
        );
        assert_eq!(t["status"], "answered");
    }
}

#[test]
fn lab_sample_table() {
    let r = run([sample("dns.pcapng")]);
    assert_eq!(r.code, 0);
    assert_eq!(r.stderr, "");
    let out = &r.stdout;
    for want in [
        "1 → 2",
        "3 → 4",
        "www.lab.example. A ",
        "www.lab.example. AAAA",
        "192.0.2.10",
        "2001:db8::10",
        "NOERROR",
        "127.0.0.1:53",
        "4 DNS messages (2 queries, 2 responses), 2 transactions: 2 answered, 0 unanswered, 0 unsolicited",
    ] {
        assert!(out.contains(want), "missing {want:?} in\n{out}");
    }
    for row in tshark_rows("dns.pcapng") {
        assert!(
            out.contains(&row["dns.id"]),
            "ID {} in the table",
            row["dns.id"]
        );
    }
}

#[test]
fn messages_lists_every_message_of_every_sample() {
    for name in [
        "dns.pcapng",
        "dns.pcap",
        "tcp.pcap",
        "any-sll2.pcap",
        "fragments.pcap",
        "unanswered.pcapng",
        "bad-client.pcap",
        "tunnels.pcap",
        "qinq.pcap",
        "vlan3.pcap",
        "loop.pcap",
        "wlan.pcap",
    ] {
        let (r, v) = run_json(["messages".as_ref(), sample(name).as_os_str()]);
        assert_eq!(r.code, 0, "{name}: {}", r.stderr);
        let ours: Vec<u64> = v["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["frame"].as_u64().unwrap())
            .collect();
        let tshark: Vec<u64> = tshark_rows(name)
            .iter()
            // ICMP errors quoting DNS are DNS frames to tshark, not messages
            // to us: they attach to the query. Such a frame has two IP
            // headers, the quoted one sent by the ICMP error's destination;
            // a tunnel's two IP headers (tunnels.pcap) do not.
            .filter(|r| {
                let src: Vec<&str> = r["ip.src"].split(',').collect();
                let dst: Vec<&str> = r["ip.dst"].split(',').collect();
                !(src.len() == 2 && dst.len() == 2 && src[1] == dst[0])
            })
            .flat_map(|r| {
                let n: u64 = r["frame.number"].parse().unwrap();
                let count = r["dns.id"].split(',').count();
                std::iter::repeat_n(n, count)
            })
            .collect();
        assert_eq!(ours, tshark, "{name}: DNS messages by frame");
    }
}

#[test]
fn icmp_port_unreachable_is_attached_to_the_query() {
    let (_, v) = run_json([sample("unanswered.pcapng")]);
    let t = &v["transactions"][0];
    assert_eq!(t["status"], "unanswered");
    assert_eq!(t["icmpErrors"][0]["kind"], "port unreachable");
    assert_eq!(t["icmpErrors"][0]["frame"], 2);
    assert!(
        t.get("censored").is_none(),
        "refused, not cut off by the capture's end"
    );
    assert_eq!(v["summary"]["icmpErrors"], 3);
}

#[test]
fn retransmitted_lab_query_is_one_transaction() {
    let (_, v) = run_json([sample("unanswered.pcapng")]);
    let rows = tshark_rows("unanswered.pcapng");
    let retx: Vec<u64> = rows
        .iter()
        .filter(|r| r["dns.retransmission"] == "1")
        .map(|r| r["frame.number"].parse().unwrap())
        .collect();
    assert!(!retx.is_empty());
    let t = v["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| !t["retransmissions"].as_array().unwrap().is_empty())
        .expect("a transaction with retransmissions");
    let ours: Vec<u64> = t["retransmissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_u64().unwrap())
        .collect();
    assert_eq!(ours, retx, "the frames tshark marks as retransmissions");
    assert_eq!(t["status"], "answered");
}
