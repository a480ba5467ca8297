//! `dnslens stats` on the samples: every figure checked against samples/README.md and
//! tshark's reading (`*.tshark.tsv`).

use std::collections::HashMap;

use serde_json::Value;

use crate::util::*;

/// Runs `stats --format json` and returns the `stats` object.
fn stats_json(args: &[&str]) -> Value {
    let mut all = vec!["stats", "--format", "json"];
    all.extend_from_slice(args);
    let r = run(&all);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: Value =
        serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", r.stdout));
    assert_eq!(v["version"], 1);
    v["stats"].clone()
}

/// `table` as key → count.
fn counts(stats: &Value, table: &str) -> HashMap<String, u64> {
    stats[table]
        .as_array()
        .unwrap_or_else(|| panic!("no table {table}"))
        .iter()
        .map(|r| {
            (
                r["key"].as_str().unwrap().to_string(),
                r["count"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn map(pairs: &[(&str, u64)]) -> HashMap<String, u64> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

/// The latency row of `table`/`key` with retransmissions `included` or `excluded`.
fn latency<'a>(stats: &'a Value, table: &str, key: &str, retransmitted: &str) -> &'a Value {
    stats[table]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == key && r["retransmitted"] == retransmitted)
        .unwrap_or_else(|| panic!("no {table} row {key} {retransmitted}"))
}

/// tshark's `dns.time` of every response in a sample, in microseconds.
fn tshark_rtts(sample_name: &str) -> Vec<u64> {
    let tsv = std::fs::read_to_string(sample(&format!("{sample_name}.tshark.tsv"))).unwrap();
    let mut lines = tsv.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = header.iter().position(|h| *h == "dns.time").unwrap();
    let mut rtts: Vec<u64> = lines
        .filter_map(|l| l.split('\t').nth(col))
        .filter(|t| !t.is_empty())
        .map(|t| (t.parse::<f64>().unwrap() * 1e6).round() as u64)
        .collect();
    rtts.sort_unstable();
    rtts
}

/// Nearest-rank percentile of sorted values.
fn nearest_rank(sorted: &[u64], p: f64) -> u64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank - 1]
}

#[test]
fn dns_pcap_counts_match_the_readme() {
    let s = stats_json(&[sample("dns.pcap").to_str().unwrap()]);
    let totals = counts(&s, "totals");
    assert_eq!(totals["frames"], 38);
    assert_eq!(totals["messages"], 30);
    assert_eq!(totals["queries"], 15);
    assert_eq!(totals["responses"], 15);
    assert_eq!(totals["nonDnsFrames"], 8, "TCP handshake, ACKs and FINs");
    assert_eq!(totals["malformed"], 0);
    assert_eq!(totals["noData"], 1, "AAAA v4only");
    let t = counts(&s, "transactions");
    assert_eq!(t["transactions"], 15);
    assert_eq!(t["answered"], 15);
    assert_eq!(t["unanswered"] + t["censored"] + t["unsolicited"], 0);
    assert_eq!(
        counts(&s, "qtype"),
        map(&[
            ("A", 6),
            ("AAAA", 3),
            ("MX", 1),
            ("TXT", 1),
            ("NS", 1),
            ("SOA", 1),
            ("SRV", 1),
            ("DNSKEY", 1)
        ])
    );
    assert_eq!(
        counts(&s, "rcode"),
        map(&[("NOERROR", 13), ("NXDOMAIN", 2)])
    );
    assert_eq!(counts(&s, "opcode"), map(&[("QUERY", 30)]));
    assert_eq!(
        counts(&s, "transport"),
        map(&[
            ("UDP/IPv4", 26),
            ("UDP/IPv6", 2),
            ("TCP/IPv4", 2),
            ("TCP/IPv6", 0)
        ])
    );
    assert_eq!(
        counts(&s, "server"),
        map(&[("127.0.0.1:53", 14), ("[::1]:53", 1)])
    );
    assert_eq!(counts(&s, "client"), map(&[("127.0.0.1", 14), ("::1", 1)]));
    let names = &s["topName"];
    assert_eq!(names[0]["key"], "www.lab.example.");
    assert_eq!(
        names[0]["count"], 5,
        "A, AAAA, A +dnssec, AAAA @::1, A +tcp"
    );
    assert_eq!(names[1]["key"], "lab.example.");
    assert_eq!(names[1]["count"], 4, "MX, NS, SOA, DNSKEY");
    assert_eq!(
        counts(&s, "topNxdomain"),
        map(&[("nothere.lab.example.", 2)])
    );
}

#[test]
fn dns_pcap_latency_agrees_with_tshark_dns_time() {
    let s = stats_json(&[sample("dns.pcap").to_str().unwrap()]);
    let rtts = tshark_rtts("dns.pcap");
    assert_eq!(rtts.len(), 15);
    for retransmitted in ["included", "excluded"] {
        let all = latency(&s, "latency", "all", retransmitted);
        assert_eq!(all["count"], 15);
        assert_eq!(
            all["maxMs"].as_f64().unwrap(),
            *rtts.last().unwrap() as f64 / 1e3
        );
        // Exact: nearest rank over tshark's own dns.time values, to the microsecond.
        assert_eq!(all["exact"], true);
        for (p, key) in [(50.0, "p50Ms"), (90.0, "p90Ms"), (99.0, "p99Ms")] {
            let exact = nearest_rank(&rtts, p) as f64 / 1e3;
            assert_eq!(all[key].as_f64().unwrap(), exact, "{key}");
        }
    }
    let v6 = latency(&s, "latencyServer", "[::1]:53", "included");
    assert_eq!(v6["count"], 1);
    let aaaa = latency(&s, "latencyQtype", "AAAA", "included");
    assert_eq!(aaaa["count"], 3);
    // NXDOMAIN and NODATA answers have RTTs like any other: A counts both nothere.
    assert_eq!(latency(&s, "latencyQtype", "A", "included")["count"], 6);
    let histogram: u64 = s["histogram"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["retransmitted"] == "included")
        .map(|r| r["count"].as_u64().unwrap())
        .sum();
    assert_eq!(histogram, 15);
}

#[test]
fn unanswered_sample_separates_censored_and_retransmitted() {
    let s = stats_json(&[sample("unanswered.pcapng").to_str().unwrap()]);
    let t = counts(&s, "transactions");
    // Frames 1-6: three queries refused by ICMP (unanswered, not censored: the ICMP
    // error says why). Frames 7-9: three queries from three ports, still inside the
    // window when the capture ends: censored. Frames 10-13: one transaction, 3 tries.
    assert_eq!(t["transactions"], 7);
    assert_eq!(t["answered"], 1);
    assert_eq!(t["unanswered"], 3);
    assert_eq!(t["censored"], 3);
    assert_eq!(t["retransmitted"], 1);
    assert_eq!(t["retransmissions"], 2);
    assert_eq!(counts(&s, "totals")["icmpErrors"], 3);
    // RTT from the first try (frame 10 at 3.129585749 to frame 13 at 5.132168756).
    let with = latency(&s, "latency", "all", "included");
    assert_eq!(with["count"], 1);
    assert_eq!(with["maxMs"], 2002.583);
    let without = latency(&s, "latency", "all", "excluded");
    assert_eq!(without["count"], 0);
    assert!(without.get("p50Ms").is_none());
    assert_eq!(
        counts(&s, "topName"),
        map(&[("www.lab.example.", 6), ("retry.lab.example.", 3)])
    );
}

#[test]
fn bad_client_counts_the_malformed_query_and_formerr() {
    let s = stats_json(&[sample("bad-client.pcap").to_str().unwrap()]);
    let totals = counts(&s, "totals");
    assert_eq!(totals["messages"], 6);
    assert_eq!(totals["malformed"], 1, "ID 0x0b02 without its root label");
    assert_eq!(counts(&s, "rcode"), map(&[("NOERROR", 2), ("FORMERR", 1)]));
    // Little-endian QTYPE 1 reads as 256 (URI); the malformed question has no QTYPE.
    assert_eq!(counts(&s, "qtype"), map(&[("A", 1), ("URI", 1)]));
    assert_eq!(counts(&s, "transactions")["answered"], 3);
}

#[test]
fn tcp_and_fragments_are_counted_once_per_message() {
    let s = stats_json(&[
        sample("tcp.pcap").to_str().unwrap(),
        sample("fragments.pcap").to_str().unwrap(),
    ]);
    let totals = counts(&s, "totals");
    assert_eq!(totals["files"], 2);
    assert_eq!(totals["messages"], 10 + 4);
    assert_eq!(
        counts(&s, "transport"),
        map(&[
            ("UDP/IPv4", 2),
            ("UDP/IPv6", 2),
            ("TCP/IPv4", 8),
            ("TCP/IPv6", 2)
        ])
    );
    let q = counts(&s, "qtype");
    assert_eq!(q["AXFR"], 1);
    assert_eq!(q["TXT"], 3);
    assert_eq!(counts(&s, "transactions")["answered"], 5 + 2);
}

#[test]
fn top_limits_rows_and_sums_the_rest() {
    let s = stats_json(&["--top", "2", sample("dns.pcap").to_str().unwrap()]);
    let q = counts(&s, "qtype");
    assert_eq!(q.len(), 3);
    assert_eq!(q["A"], 6);
    assert_eq!(q["AAAA"], 3);
    assert_eq!(q["(other)"], 6);
    assert_eq!(s["topName"].as_array().unwrap().len(), 2);
}

#[test]
fn csv_ndjson_and_table_carry_the_same_rows() {
    let f = sample("dns.pcap");
    let csv = run(["stats", "--format", "csv", f.to_str().unwrap()]);
    assert_eq!(csv.code, 0);
    assert_eq!(csv.stderr, "");
    let mut lines = csv.stdout.lines();
    assert_eq!(
        lines.next(),
        Some("table,key,count,percent,retransmitted,p50_ms,p90_ms,p99_ms,max_ms,mean_ms,exact")
    );
    assert!(csv.stdout.contains("\nqtype,A,6,40,,,,,,,\n"));
    assert!(csv
        .stdout
        .contains("\ntopNxdomain,nothere.lab.example.,2,100,,,,,,,\n"));
    let csv_rows = csv.stdout.lines().count() - 1;

    let nd = run(["stats", "--format", "ndjson", f.to_str().unwrap()]);
    assert_eq!(nd.code, 0);
    let events: Vec<Value> = nd
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let stat_rows = events.iter().filter(|e| e["type"] == "stat").count();
    assert_eq!(stat_rows, csv_rows);
    let last = events.last().unwrap();
    assert_eq!(last["type"], "summary");
    assert_eq!(last["data"]["messages"], 30);

    let table = run(["stats", "--color", "never", f.to_str().unwrap()]);
    assert_eq!(table.code, 0);
    for title in [
        "Queries by QTYPE",
        "Top NXDOMAIN names",
        "Latency, all answered transactions (ms)",
        "RTT histogram, all answered transactions (15 transactions)",
    ] {
        assert!(table.stdout.contains(title), "missing {title}");
    }
    assert!(table.stdout.contains("│ nothere.lab.example. ┆     2 ┆"));
    assert!(table.stdout.contains(" ms │█"), "bars are drawn");
}

#[test]
fn csv_is_refused_for_listings() {
    let r = run(["--format", "csv", sample("dns.pcap").to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("csv"), "{}", r.stderr);
}
