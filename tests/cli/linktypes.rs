//! The link types and encapsulations of `tests/linktypes/` (Cisco HDLC,
//! pflog, enc, ipnet, PPI, Prism, AVS, MPLS, Teredo): real DNS bytes from
//! `samples/dns.pcap` behind each header, written by
//! `tests/linktypes/make-linktypes.sh`, compared with tshark's reading
//! committed beside each file (`X.pcap.tshark.tsv`): frame, innermost
//! addresses and ports, ID, QR, question, every record's type, TTL and
//! address, and the pairing. tshark is not needed to run this.

use crate::util::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

type Row = TsharkRow;

/// Each file, the link type in its pcap header, and how many DNS messages it holds.
const FILES: [(&str, u32, usize); 9] = [
    ("chdlc.pcap", 104, 4),
    ("pflog.pcap", 117, 4),
    ("enc.pcap", 109, 4),
    ("ipnet.pcap", 226, 4),
    ("ppi.pcap", 192, 4),
    ("prism.pcap", 119, 4),
    ("avs.pcap", 163, 4),
    ("mpls.pcap", 1, 4),
    ("teredo.pcap", 1, 2),
];

fn linktype_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/linktypes")
        .join(name)
}

fn tshark_rows(name: &str) -> Vec<Row> {
    tshark_tsv(&linktype_file(&format!("{name}.tshark.tsv")))
}

/// The innermost value of a field tshark lists once per layer ("outer,inner").
fn inner<'a>(row: &'a Row, field: &str) -> &'a str {
    row[field].rsplit(',').next().unwrap_or("")
}

/// The innermost address: IPv6 when tshark saw an IPv6 layer (in these
/// files IPv6 is only ever the inner one, in Teredo), IPv4 otherwise.
fn addr<'a>(row: &'a Row, v4: &str, v6: &str) -> &'a str {
    match inner(row, v6) {
        "" => inner(row, v4),
        a => a,
    }
}

/// A comma-separated tshark list.
fn list(row: &Row, field: &str) -> Vec<String> {
    row[field]
        .split(',')
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// dnslens's messages in `name`, by frame, after checking the run was clean.
fn messages(name: &str) -> HashMap<u64, serde_json::Value> {
    let (r, v) = run_json(["messages".as_ref(), linktype_file(name).as_os_str()]);
    assert_eq!(r.code, 0, "{name}: {}", r.stderr);
    assert_eq!(
        r.stderr, "",
        "{name}: a clean capture prints no diagnostics"
    );
    v["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["frame"].as_u64().unwrap(), m.clone()))
        .collect()
}

/// Compares one message with tshark's row for its frame.
fn check_message(ctx: &str, m: &serde_json::Value, row: &Row) {
    let id = u16::from_str_radix(row["dns.id"].trim_start_matches("0x"), 16).unwrap();
    assert_eq!(m["ID"], id, "{ctx}: ID");
    assert_eq!(m["QR"].to_string(), row["dns.flags.response"], "{ctx}: QR");
    assert_eq!(m["sourceAddress"], addr(row, "ip.src", "ipv6.src"), "{ctx}");
    assert_eq!(
        m["destinationAddress"],
        addr(row, "ip.dst", "ipv6.dst"),
        "{ctx}"
    );
    assert_eq!(
        m["sourcePort"].to_string(),
        inner(row, "udp.srcport"),
        "{ctx}"
    );
    assert_eq!(
        m["destinationPort"].to_string(),
        inner(row, "udp.dstport"),
        "{ctx}"
    );
    let q = &m["questionRRs"][0];
    assert_eq!(q["NAME"], format!("{}.", row["dns.qry.name"]), "{ctx}");
    assert_eq!(q["TYPE"].to_string(), row["dns.qry.type"], "{ctx}");
    // Every record, in order: tshark lists each one's type (OPT as 41), the
    // TTL of each but OPT, and the A and AAAA addresses.
    let records: Vec<&serde_json::Value> = ["answerRRs", "authorityRRs", "additionalRRs"]
        .iter()
        .flat_map(|s| m[*s].as_array().unwrap())
        .collect();
    let types: Vec<String> = records.iter().map(|rr| rr["TYPE"].to_string()).collect();
    assert_eq!(types, list(row, "dns.resp.type"), "{ctx}: record types");
    let ttls: Vec<String> = records
        .iter()
        .filter(|rr| rr["TYPE"] != 41)
        .map(|rr| rr["TTL"].to_string())
        .collect();
    assert_eq!(ttls, list(row, "dns.resp.ttl"), "{ctx}: TTLs");
    for (key, field) in [("rdataA", "dns.a"), ("rdataAAAA", "dns.aaaa")] {
        let ours: Vec<String> = records
            .iter()
            .filter_map(|rr| rr[key].as_str().map(str::to_string))
            .collect();
        assert_eq!(ours, list(row, field), "{ctx}: {field}");
    }
}

#[test]
fn every_new_link_type_and_encapsulation_matches_tshark() {
    for (name, _, count) in FILES {
        let ours = messages(name);
        let rows = tshark_rows(name);
        assert_eq!(rows.len(), count, "{name}: tshark's rows");
        assert_eq!(ours.len(), rows.len(), "{name}: one message per tshark row");
        for row in &rows {
            let frame: u64 = row["frame.number"].parse().unwrap();
            let m = ours
                .get(&frame)
                .unwrap_or_else(|| panic!("{name}: dnslens has no message in frame {frame}"));
            check_message(&format!("{name} frame {frame}"), m, row);
        }
    }
}

/// Each query is paired with the response tshark names (`dns.response_in`).
#[test]
fn pairing_behind_each_header_matches_tshark() {
    for (name, _, count) in FILES {
        let (r, v) = run_json([linktype_file(name)]);
        assert_eq!(r.code, 0, "{name}: {}", r.stderr);
        let rows: HashMap<u64, Row> = tshark_rows(name)
            .into_iter()
            .map(|r| (r["frame.number"].parse().unwrap(), r))
            .collect();
        let ts = v["transactions"].as_array().unwrap();
        assert_eq!(ts.len(), count / 2, "{name}");
        for t in ts {
            assert_eq!(t["status"], "answered", "{name}: {t}");
            let qf = t["query"]["frame"].as_u64().unwrap();
            let rf = t["response"]["frame"].as_u64().unwrap();
            assert_eq!(rows[&qf]["dns.response_in"], rf.to_string(), "{name}");
            assert_eq!(rows[&rf]["dns.response_to"], qf.to_string(), "{name}");
        }
    }
}

/// The files really are of the link types they stand for, and the MPLS and
/// Teredo ones carry a label stack and an origin indication.
#[test]
fn captures_carry_the_headers_they_are_named_after() {
    for (name, link, _) in FILES {
        let bytes = std::fs::read(linktype_file(name)).unwrap();
        let got = u32::from_le_bytes(bytes[20..24].try_into().unwrap());
        assert_eq!(got, link, "{name}: link type");
    }
    // pcap header 24 + record header 16, then Ethernet: MACs, 0x8847, two labels.
    let mpls = std::fs::read(linktype_file("mpls.pcap")).unwrap();
    assert_eq!(mpls[40 + 12..40 + 14], [0x88, 0x47]);
    assert_eq!(mpls[40 + 16] & 1, 0, "first label: not bottom of stack");
    assert_eq!(mpls[40 + 20] & 1, 1, "second label: bottom of stack");
    // The response (second record) has an origin indication after the outer UDP header.
    let teredo = std::fs::read(linktype_file("teredo.pcap")).unwrap();
    let first_len = u32::from_le_bytes(teredo[32..36].try_into().unwrap()) as usize;
    let second = &teredo[40 + first_len + 16..];
    assert_eq!(second[14 + 20..14 + 22], [0x0d, 0xd8], "source port 3544");
    assert_eq!(second[14 + 28..14 + 30], [0, 0], "origin indication");
    assert_eq!(second[14 + 36] >> 4, 6, "IPv6 after it");
}
