//! DNS inside tunnels and under two VLAN tags, on real captures made by
//! `samples/make-tunnel-samples.sh`: every DNS message tshark found in
//! `samples/tunnels.pcap` (Geneve, VXLAN, GRE carrying Ethernet, GRE carrying
//! IPv4, IP-in-IP), `samples/qinq.pcap` (0x88A8 + 0x8100, IPv4 and IPv6),
//! `samples/vlan3.pcap` (0x9100 + 0x88A8 + 0x8100), `samples/loop.pcap`
//! (OpenBSD LOOP, link type 108) and `samples/wlan.pcap` (plain IEEE 802.11,
//! link type 105), compared with dnslens's reading: frame,
//! inner addresses and ports, ID, flags, counts, question, answer, and the
//! pairing.

use crate::util::*;
use std::collections::HashMap;

type Row = TsharkRow;

fn tshark_rows(name: &str) -> Vec<Row> {
    tshark_tsv(&sample(&format!("{name}.tshark.tsv")))
}

/// The innermost value of a field tshark lists once per layer ("outer,inner").
fn inner<'a>(row: &'a Row, field: &str) -> &'a str {
    row[field].rsplit(',').next().unwrap_or("")
}

/// The inner address of a row: IPv4 or IPv6, whichever tshark filled.
fn addr<'a>(row: &'a Row, v4: &str, v6: &str) -> &'a str {
    match inner(row, v4) {
        "" => inner(row, v6),
        a => a,
    }
}

/// Compares every DNS message of `name` with tshark's reading, and returns
/// dnslens's messages by frame.
fn check_messages(name: &str) -> HashMap<u64, serde_json::Value> {
    let (r, v) = run_json(["messages".as_ref(), sample(name).as_os_str()]);
    assert_eq!(r.code, 0, "{name}: {}", r.stderr);
    assert_eq!(
        r.stderr, "",
        "{name}: a clean capture prints no diagnostics"
    );
    let ours: HashMap<u64, serde_json::Value> = v["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["frame"].as_u64().unwrap(), m.clone()))
        .collect();
    let rows = tshark_rows(name);
    assert_eq!(ours.len(), rows.len(), "{name}: one message per tshark row");
    for row in &rows {
        let frame: u64 = row["frame.number"].parse().unwrap();
        let m = ours
            .get(&frame)
            .unwrap_or_else(|| panic!("{name}: dnslens has no message in frame {frame}"));
        let ctx = format!("{name} frame {frame}");
        let id = u16::from_str_radix(row["dns.id"].trim_start_matches("0x"), 16).unwrap();
        assert_eq!(m["ID"], id, "{ctx}: ID");
        assert_eq!(m["QR"].to_string(), row["dns.flags.response"], "{ctx}: QR");
        assert_eq!(
            m["RD"].to_string(),
            row["dns.flags.recdesired"],
            "{ctx}: RD"
        );
        assert_eq!(m["Opcode"].to_string(), row["dns.flags.opcode"], "{ctx}");
        if !row["dns.flags.rcode"].is_empty() {
            assert_eq!(m["RCODE"].to_string(), row["dns.flags.rcode"], "{ctx}");
        }
        for (ours_f, theirs) in [
            ("QDCOUNT", "dns.count.queries"),
            ("ANCOUNT", "dns.count.answers"),
            ("NSCOUNT", "dns.count.auth_rr"),
            ("ARCOUNT", "dns.count.add_rr"),
        ] {
            assert_eq!(m[ours_f].to_string(), row[theirs], "{ctx}: {ours_f}");
        }
        // The inner (tunnelled) addresses and ports, not the underlay's.
        assert_eq!(
            m["sourceAddress"],
            addr(row, "ip.src", "ipv6.src"),
            "{ctx}: source"
        );
        assert_eq!(
            m["destinationAddress"],
            addr(row, "ip.dst", "ipv6.dst"),
            "{ctx}: destination"
        );
        assert_eq!(m["sourcePort"].to_string(), inner(row, "udp.srcport"));
        assert_eq!(m["destinationPort"].to_string(), inner(row, "udp.dstport"));
        assert_eq!(m["ipProtocol"], 17, "{ctx}");
        let q = &m["questionRRs"][0];
        assert_eq!(q["NAME"], format!("{}.", row["dns.qry.name"]), "{ctx}");
        assert_eq!(q["TYPE"].to_string(), row["dns.qry.type"], "{ctx}");
        // Answers: tshark lists every record's owner and type (OPT as <Root> 41).
        let ans = m["answerRRs"].as_array().unwrap();
        let addl = m["additionalRRs"].as_array().unwrap();
        let types: Vec<String> = ans
            .iter()
            .chain(addl)
            .map(|rr| rr["TYPE"].to_string())
            .collect();
        let want_types: Vec<String> = row["dns.resp.type"]
            .split(',')
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect();
        assert_eq!(types, want_types, "{ctx}: record types");
        for rr in ans {
            assert_eq!(rr["TTL"].to_string(), row["dns.resp.ttl"], "{ctx}: TTL");
            match rr["TYPEname"].as_str().unwrap() {
                "A" => assert_eq!(rr["rdataA"], row["dns.a"].as_str(), "{ctx}"),
                "AAAA" => assert_eq!(rr["rdataAAAA"], row["dns.aaaa"].as_str(), "{ctx}"),
                t => panic!("{ctx}: unexpected answer type {t}"),
            }
        }
    }
    ours
}

/// Pairing: each transaction's query and response frames are tshark's
/// `dns.response_in` / `dns.response_to`, and the RTT is `dns.time`.
fn check_pairing(name: &str) -> Vec<(u64, u64)> {
    let (r, v) = run_json([sample(name)]);
    assert_eq!(r.code, 0, "{name}: {}", r.stderr);
    let rows: HashMap<u64, Row> = tshark_rows(name)
        .into_iter()
        .map(|r| (r["frame.number"].parse().unwrap(), r))
        .collect();
    let mut pairs = Vec::new();
    for t in v["transactions"].as_array().unwrap() {
        assert_eq!(t["status"], "answered", "{name}: {t}");
        let qf = t["query"]["frame"].as_u64().unwrap();
        let rf = t["response"]["frame"].as_u64().unwrap();
        assert_eq!(rows[&qf]["dns.response_in"], rf.to_string(), "{name}");
        assert_eq!(rows[&rf]["dns.response_to"], qf.to_string(), "{name}");
        let dns_time: f64 = rows[&rf]["dns.time"].parse().unwrap();
        let rtt = t["rttMs"].as_f64().unwrap();
        assert!(
            (rtt / 1000.0 - dns_time).abs() < 1.5e-6,
            "{name}: rtt {rtt} ms vs dns.time {dns_time}"
        );
        pairs.push((qf, rf));
    }
    pairs
}

#[test]
fn dns_inside_each_tunnel_matches_tshark() {
    let ours = check_messages("tunnels.pcap");
    // One exchange per encapsulation, in the order the script makes them; the
    // inner network names the tunnel.
    for (tunnel, frames, client, server) in [
        (
            "Geneve (UDP 6081, Ethernet inside)",
            [1, 2],
            "10.61.0.2",
            "10.61.0.1",
        ),
        ("VXLAN (UDP 4789)", [3, 4], "10.42.0.2", "10.42.0.1"),
        (
            "GRE, protocol 0x6558 (Ethernet inside)",
            [5, 6],
            "10.47.0.2",
            "10.47.0.1",
        ),
        (
            "GRE, protocol 0x0800 (IPv4 inside)",
            [7, 8],
            "10.48.0.2",
            "10.48.0.1",
        ),
        ("IP-in-IP (protocol 4)", [9, 10], "10.4.0.2", "10.4.0.1"),
    ] {
        let (q, r) = (&ours[&frames[0]], &ours[&frames[1]]);
        assert_eq!(q["QR"], 0, "{tunnel}");
        assert_eq!(q["sourceAddress"], client, "{tunnel}");
        assert_eq!(q["destinationAddress"], server, "{tunnel}");
        assert_eq!(q["destinationPort"], 53, "{tunnel}");
        assert_eq!(q["questionRRs"][0]["TYPEname"], "A", "{tunnel}");
        assert_eq!(r["QR"], 1, "{tunnel}");
        assert_eq!(r["ID"], q["ID"], "{tunnel}");
        assert_eq!(r["rcodeName"], "NOERROR", "{tunnel}");
        assert_eq!(r["answerRRs"][0]["rdataA"], "192.0.2.10", "{tunnel}");
    }
    assert_eq!(
        check_pairing("tunnels.pcap"),
        [(1, 2), (3, 4), (5, 6), (7, 8), (9, 10)]
    );
}

#[test]
fn dns_under_qinq_tags_matches_tshark() {
    let ours = check_messages("qinq.pcap");
    assert_eq!(ours[&1]["sourceAddress"], "10.88.0.2");
    assert_eq!(ours[&2]["answerRRs"][0]["rdataA"], "192.0.2.10");
    assert_eq!(ours[&3]["sourceAddress"], "fd00:88::2");
    assert_eq!(ours[&4]["answerRRs"][0]["rdataAAAA"], "2001:db8::10");
    assert_eq!(check_pairing("qinq.pcap"), [(1, 2), (3, 4)]);
}

#[test]
fn dns_under_three_vlan_tags_matches_tshark() {
    let ours = check_messages("vlan3.pcap");
    assert_eq!(ours[&1]["sourceAddress"], "10.91.0.2");
    assert_eq!(ours[&2]["answerRRs"][0]["rdataA"], "192.0.2.10");
    assert_eq!(ours[&3]["sourceAddress"], "fd00:91::2");
    assert_eq!(ours[&4]["answerRRs"][0]["rdataAAAA"], "2001:db8::10");
    assert_eq!(check_pairing("vlan3.pcap"), [(1, 2), (3, 4)]);
}

/// `loop.pcap` and `wlan.pcap` hold `qinq.pcap`'s IP packets behind another
/// link layer.
#[test]
fn dns_behind_openbsd_loop_and_802_11_headers_matches_tshark() {
    for name in ["loop.pcap", "wlan.pcap"] {
        let ours = check_messages(name);
        assert_eq!(ours[&1]["sourceAddress"], "10.88.0.2", "{name}");
        assert_eq!(ours[&2]["answerRRs"][0]["rdataA"], "192.0.2.10", "{name}");
        assert_eq!(ours[&3]["sourceAddress"], "fd00:88::2", "{name}");
        assert_eq!(
            ours[&4]["answerRRs"][0]["rdataAAAA"], "2001:db8::10",
            "{name}"
        );
        assert_eq!(check_pairing(name), [(1, 2), (3, 4)], "{name}");
    }
}

/// The captures really carry the tags and tunnel headers the tests are about
/// (a regenerated sample must not lose them silently).
#[test]
fn samples_carry_the_encapsulations() {
    let qinq = std::fs::read(sample("qinq.pcap")).unwrap();
    // pcap header 24 + record header 16, then MACs 12: S-tag, C-tag.
    let eth = &qinq[24 + 16..];
    assert_eq!(&eth[12..14], [0x88, 0xA8], "802.1ad S-tag");
    assert_eq!(u16::from_be_bytes([eth[14], eth[15]]) & 0x0FFF, 100);
    assert_eq!(&eth[16..18], [0x81, 0x00], "802.1Q C-tag");
    assert_eq!(u16::from_be_bytes([eth[18], eth[19]]) & 0x0FFF, 200);
    let vlan3 = std::fs::read(sample("vlan3.pcap")).unwrap();
    let eth = &vlan3[24 + 16..];
    for (at, tpid, vid) in [
        (12, [0x91, 0x00], 300),
        (16, [0x88, 0xA8], 100),
        (20, [0x81, 0x00], 200),
    ] {
        assert_eq!(eth[at..at + 2], tpid, "tag at {at}");
        assert_eq!(u16::from_be_bytes([eth[at + 2], eth[at + 3]]) & 0x0FFF, vid);
    }
    let lo = std::fs::read(sample("loop.pcap")).unwrap();
    assert_eq!(
        u32::from_le_bytes(lo[20..24].try_into().unwrap()),
        108,
        "LOOP"
    );
    // First frame: AF_INET (2) in network order; third: OpenBSD's AF_INET6 (24).
    assert_eq!(lo[40..44], [0, 0, 0, 2]);
    let wlan = std::fs::read(sample("wlan.pcap")).unwrap();
    assert_eq!(
        u32::from_le_bytes(wlan[20..24].try_into().unwrap()),
        105,
        "802.11"
    );
    // A data frame To DS, then LLC/SNAP carrying IPv4 after the 24-byte header.
    assert_eq!(wlan[40..42], [0x08, 0x01]);
    assert_eq!(wlan[40 + 24..40 + 32], [0xAA, 0xAA, 3, 0, 0, 0, 0x08, 0x00]);
    let rows = tshark_rows("tunnels.pcap");
    // Outer UDP ports: Geneve 6081, VXLAN 4789; GRE and IP-in-IP have no outer UDP.
    assert_eq!(rows[0]["udp.dstport"].split(',').next(), Some("6081"));
    assert_eq!(rows[2]["udp.dstport"].split(',').next(), Some("4789"));
    for row in &rows[4..] {
        assert_eq!(row["ip.src"].split(',').count(), 2, "outer and inner IPv4");
        assert!(!row["udp.srcport"].contains(','), "one UDP header only");
    }
}
