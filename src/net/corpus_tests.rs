//! Differential test over the shared corpus: for every capture, the frames
//! where we find DNS messages (or ICMP errors quoting DNS) against the frames
//! tshark lists in `X.tshark.tsv`, with message counts per frame.
//!
//! The corpus is read with pcap-parser directly (this layer must not depend
//! on `capture`). Skips with a printed line when the corpus is absent.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use pcap_parser::pcapng::Block;
use pcap_parser::{PcapBlockOwned, PcapError};

use super::{Config, Decoder, NetEvent, Ts};

fn corpus_dir() -> Option<PathBuf> {
    let local = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/public");
    [local, PathBuf::from("/work/shared/corpus/public")]
        .into_iter()
        .find(|p| p.is_dir())
}

/// One record: (link type, ts, data, orig_len).
type Record = (u32, Ts, Vec<u8>, u32);

/// Reads every packet record of a pcap or pcapng file (gzip allowed).
fn read_capture(path: &Path) -> Result<Vec<Record>, String> {
    let mut raw = std::fs::read(path).map_err(|e| e.to_string())?;
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut dec = Vec::new();
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut dec)
            .map_err(|e| e.to_string())?;
        raw = dec;
    }
    let cap = raw.len() + 65536;
    let mut reader =
        pcap_parser::create_reader(cap, std::io::Cursor::new(raw)).map_err(|e| format!("{e:?}"))?;
    let mut out = Vec::new();
    let mut legacy_link = 1u32;
    let mut legacy_ns = false;
    // (link type, tsresol, tsoffset) per interface of the current section
    let mut ifaces: Vec<(u32, u8, i64)> = Vec::new();
    let mut stalls = 0;
    loop {
        match reader.next() {
            Ok((offset, block)) => {
                stalls = 0;
                match block {
                    PcapBlockOwned::LegacyHeader(h) => {
                        legacy_link = h.network.0 as u32;
                        legacy_ns = h.is_nanosecond_precision();
                    }
                    PcapBlockOwned::Legacy(b) => {
                        let nanos = if legacy_ns {
                            b.ts_usec
                        } else {
                            b.ts_usec * 1000
                        };
                        let n = (b.caplen as usize).min(b.data.len());
                        out.push((
                            legacy_link,
                            Ts::new(i64::from(b.ts_sec), nanos),
                            b.data[..n].to_vec(),
                            b.origlen,
                        ));
                    }
                    PcapBlockOwned::NG(Block::SectionHeader(_)) => ifaces.clear(),
                    PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                        ifaces.push((idb.linktype.0 as u32, idb.if_tsresol, idb.if_tsoffset));
                    }
                    PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                        let (link, resol, off) =
                            ifaces.get(epb.if_id as usize).copied().unwrap_or((1, 6, 0));
                        let t = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                        let n = (epb.caplen as usize).min(epb.data.len());
                        out.push((
                            link,
                            ts_of(t, resol, off),
                            epb.data[..n].to_vec(),
                            epb.origlen,
                        ));
                    }
                    PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
                        let (link, _, _) = ifaces.first().copied().unwrap_or((1, 6, 0));
                        let n = (spb.origlen as usize).min(spb.data.len());
                        out.push((link, Ts::default(), spb.data[..n].to_vec(), spb.origlen));
                    }
                    PcapBlockOwned::NG(_) => {}
                }
                reader.consume(offset);
            }
            Err(PcapError::Eof) => break,
            Err(PcapError::Incomplete(_)) => {
                stalls += 1;
                if stalls > 2 || reader.refill().is_err() {
                    break;
                }
            }
            Err(e) => return Err(format!("{e:?}")),
        }
    }
    Ok(out)
}

fn ts_of(t: u64, resol: u8, off: i64) -> Ts {
    let per_sec: u64 = if resol & 0x80 != 0 {
        1u64.checked_shl(u32::from(resol & 0x7f)).unwrap_or(1)
    } else {
        10u64.checked_pow(u32::from(resol)).unwrap_or(1_000_000)
    };
    let secs = (t / per_sec) as i64 + off;
    let frac = t % per_sec;
    let nanos = (u128::from(frac) * 1_000_000_000 / u128::from(per_sec)) as u32;
    Ts::new(secs, nanos)
}

/// tshark's frames with DNS, and the number of messages per frame.
fn tshark_frames(tsv: &Path) -> BTreeMap<u64, usize> {
    let text = std::fs::read_to_string(tsv).unwrap_or_default();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split('\t').collect();
    let col = |n: &str| header.iter().position(|h| *h == n);
    let (Some(fnum), Some(id)) = (col("frame.number"), col("dns.id")) else {
        return BTreeMap::new();
    };
    let mut m = BTreeMap::new();
    for l in lines {
        let f: Vec<&str> = l.split('\t').collect();
        let Some(n) = f.get(fnum).and_then(|s| s.parse::<u64>().ok()) else {
            continue;
        };
        let ids = f
            .get(id)
            .map(|s| s.split(',').filter(|x| !x.is_empty()).count())
            .unwrap_or(0);
        m.insert(n, ids.max(1));
    }
    m
}

/// Our frames with DNS messages or ICMP errors, with counts, and diagnostics.
fn our_frames(records: &[Record]) -> (BTreeMap<u64, usize>, Vec<String>) {
    let mut dec = Decoder::new(Config::default());
    let mut m = BTreeMap::new();
    let mut diags = Vec::new();
    let mut on = |ev: NetEvent<'_>| match ev {
        NetEvent::Dns(p) => *m.entry(p.frame).or_insert(0) += 1,
        NetEvent::IcmpError { frame, .. } => *m.entry(frame).or_insert(0) += 1,
        NetEvent::Diagnostic(d) => diags.push(format!("frame {}: {}", d.frame, d.message)),
        NetEvent::NotDns => {}
    };
    for (i, (link, ts, data, orig)) in records.iter().enumerate() {
        dec.on_frame(*link, i as u64 + 1, *ts, data, *orig, &mut on);
    }
    dec.finish(&mut on);
    (m, diags)
}

/// Files where our frames and counts agree with tshark exactly.
/// (Every other file is printed with its differences; see the report.)
const AGREE: &[&str] = &[
    "Networking-Packet-Traces__dns-wireshark-trace1-1.pcapng",
    "Networking-Packet-Traces__dns-wireshark-trace2-2.pcap",
    "Networking-Packet-Traces__dns-wireshark-trace3-1.pcapng",
    "PacketQ__sample-bigendian.pcap.gz",
    "PcapPlusPlus__linktype_ipv4.pcap",
    "PcapPlusPlus__many_interfaces-1.pcapng",
    "PcapPlusPlus__nflogPacket.pcap",
    "PcapPlusPlus__raw_ip.pcap",
    "PcapPlusPlus__sll.pcap",
    "SAE_identifier-by-TensorFlow__dns.pcap",
    "arkime__dns-flags0110.pcap",
    "arkime__dns-update.pcap",
    "arkime__dns-wiresharkrepo.pcap",
    "arkime__ipv6-gtp6.pcap",
    "dnscap__1qtcpnosyn.pcap",
    "dnscap__dns.pcap.gz",
    "dnscap__dnso1tcp-midmiss.pcap",
    "dnscap__dnsotcp-many1pkt.pcap",
    "dnscap__edns.pcap",
    "dnscap__frags.pcap",
    "dnscap__sll2.pcap",
    "dnscap__vlan11.pcap",
    "dnsjit__pellets.pcap",
    "dnsjit__tcp-response-with-trailing-junk.pcap",
    "dpkt__dns_icmp.pcap",
    "dpkt__nb6-http.pcap",
    "dsc__test_285.pcap",
    "go-dnscollector__dnsdump_ip6_fragmented+udp.pcap",
    "go-dnscollector__dnsdump_tcp_fastopen.pcap",
    "go-dnscollector__dnsdump_udp.pcap",
    "go-dnscollector__dnsdump_udp_truncated+tcp_fragmented.pcap",
    "gopacket__test_dns.pcap",
    "ipfixprobe__dns.pcap",
    "ipfixprobe__mixed.pcap",
    "nDPI__avast_securedns.pcapng",
    "nDPI__bad-dns-traffic.pcap",
    "nDPI__badpackets.pcap",
    "nDPI__dns-tunnel-iodine.pcap",
    "nDPI__dns_fragmented.pcap",
    "nDPI__dns_invert_query.pcapng",
    "nDPI__dns_long_domainname.pcap",
    "nDPI__iphone.pcap",
    "nDPI__malformed_dns.pcap",
    "nDPI__punycode-idn.pcap",
    "packets__dns.pcap",
    "packets__dns_axfr.pcapng",
    "packets__dns_lab.pcapng",
    "packets__dns_query_nonexistent.pcapng",
    "packets__nowebaccess1.pcapng",
    "suricata-verify__dns-answer-emptydata__input.pcap",
    "suricata-verify__dns-corrupt-additionals__input.pcap",
    "suricata-verify__dns-eve-type-filtering__test.pcap",
    "suricata-verify__dns-invalid-opcode__input.pcap",
    "suricata-verify__dns-notify.pcap",
    "suricata-verify__dns-rcode__input.pcap",
    "suricata-verify__dns-tcp-ts-gap__input.pcap",
    "suricata-verify__dns-udp-eve-txt__input.pcap",
    "suricata-verify__llmnr-invalid-opcode__input.pcap",
    "suricata-verify__llmnr-udp__input.pcap",
    "tcpdump__LINKTYPE_IPV6.pcap",
    "tcpdump__LINKTYPE_PKTAP.pcap",
    "tcpdump__dns-badcookie.pcap",
    "tcpdump__dns-badlabel.pcap",
    "tcpdump__dns-badvers.pcap",
    "tcpdump__dns_tcp.pcap",
    "tcpdump__dns_udp_2.pcap",
    "tcpdump__dns_udp_8053.pcap",
    "tcpdump__dnssec.pcap",
    "tcpdump__edns-opts.pcap",
    "zeek__dns-caa.pcap",
    "zeek__dns-edns-cookie.pcap",
    "zeek__dns-svcb.pcap",
    "zeek__dns-two-responses.pcap",
    "zeek__dns-txt-multiple.pcap",
    "zeek__ds.pcap",
    "zeek__dynamic-update.pcap",
    "zeek__gre-pptp.pcap",
    "zeek__loc-29-trunc.pcap",
    "zeek__mdns-no-assoc.pcap",
    "zeek__mdns.pcap",
    "zeek__naptr.pcap",
    "zeek__nsec.pcap",
    "zeek__nsec3.pcap",
    "zeek__pcapng-multi-interface.pcapng",
    "zeek__radiotap.pcap",
    "zeek__svcb-alpn-malformed-len-too-long.pcap",
    "zeek__tkey.pcap",
    "zeek__vxlan-triple-v2.pcap",
    "zeek__wikipedia.pcap",
];

/// Known, deliberate differences: (file, missing, extra, why).
const KNOWN: &[(&str, usize, usize, &str)] = &[(
    "dnscap__dnso1tcp-bighole.pcap",
    0,
    35,
    "tshark loses the client's TCP framing after the gap before frame 20 and never \
     decodes its 35 later queries; we resynchronise at frame 25",
)];

#[test]
fn corpus_frames_agree_with_tshark() {
    let Some(dir) = corpus_dir() else {
        println!(
            "SKIP: net corpus test: corpus not found (../shared/corpus or /work/shared/corpus)"
        );
        return;
    };
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !n.contains(".tshark."))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let verbose = std::env::var_os("NET_CORPUS_VERBOSE").is_some();
    let mut failures = Vec::new();
    let mut agree = 0;
    println!(
        "{:<62} {:>7} {:>7} {:>7} {:>7} {:>6}",
        "file", "tshark", "ours", "missing", "extra", "count≠"
    );
    for name in &names {
        let path = dir.join(name);
        let tsv = dir.join(format!("{name}.tshark.tsv"));
        let want = tshark_frames(&tsv);
        let records = match read_capture(&path) {
            Ok(r) => r,
            Err(e) => {
                println!("{name:<62} read error: {e}");
                if AGREE.contains(&name.as_str()) {
                    failures.push(name.clone());
                }
                continue;
            }
        };
        let (got, diags) = our_frames(&records);
        let missing: Vec<u64> = want
            .keys()
            .filter(|f| !got.contains_key(f))
            .copied()
            .collect();
        let extra: Vec<u64> = got
            .keys()
            .filter(|f| !want.contains_key(f))
            .copied()
            .collect();
        let count_diff: Vec<u64> = want
            .iter()
            .filter(|(f, n)| got.get(f).is_some_and(|g| g != *n))
            .map(|(f, _)| *f)
            .collect();
        let ok = missing.is_empty() && extra.is_empty() && count_diff.is_empty();
        if ok {
            agree += 1;
        }
        println!(
            "{name:<62} {:>7} {:>7} {:>7} {:>7} {:>6}{}",
            want.len(),
            got.len(),
            missing.len(),
            extra.len(),
            count_diff.len(),
            if ok { "" } else { "  <--" }
        );
        if std::env::var_os("NET_CORPUS_DIAGS").is_some() {
            for d in &diags {
                println!("    diag {d}");
            }
        }
        if verbose && !ok {
            println!("    missing {missing:?}\n    extra {extra:?}\n    count {count_diff:?}");
            for d in diags.iter().take(10) {
                println!("    diag {d}");
            }
        }
        if !ok && AGREE.contains(&name.as_str()) {
            failures.push(name.clone());
        }
        if let Some((_, m, x, why)) = KNOWN.iter().find(|k| k.0 == name) {
            println!("    known difference: {why}");
            if missing.len() != *m || extra.len() != *x || !count_diff.is_empty() {
                failures.push(format!("{name} (known difference changed)"));
            }
        }
    }
    println!("{agree} of {} files agree with tshark", names.len());
    assert!(
        failures.is_empty(),
        "files that used to agree differ now: {failures:?}"
    );
}
