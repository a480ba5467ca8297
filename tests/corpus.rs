//! tshark as the oracle: every DNS message tshark saw, compared field by field
//! with what the dnslens binary prints.
//!
//! Inputs:
//! - the shared corpus (`../shared/corpus/public`, else `/work/shared/corpus/public`):
//!   each capture `X` has `X.tshark.json`, tshark's full reading
//!   (`tshark -2 -r X -Y 'dns || mdns || llmnr' -T json`). Its objects can repeat
//!   a key (two `dns` layers in one frame, two `ip.addr`, two `dns.txt`), so it is
//!   read into [`J`], which keeps every key in order;
//! - the project's own `samples/X` with `X.tshark.tsv` (tshark is not installed
//!   on CI, so the committed readings are used, never a live tshark). The TSV
//!   joins multi-values with `,`, so the comparison there is column by column,
//!   with our values joined the same way.
//!
//! For each file the binary runs twice: `messages --format ndjson` (each message
//! decoded) and the default transactions listing `--format ndjson` (pairing).
//! Compared: frame number, transport, addresses and ports, ID, QR, opcode, RCODE,
//! every header flag, the four counts, each question's name/type/class, each
//! record's name/type/class/TTL/RDLENGTH and data (A, AAAA, NS, CNAME, PTR, DNAME,
//! MX, TXT, SOA, SRV, CAA, DS, DNSKEY key tag, OPT), and pairing:
//! `dns.response_in`, `dns.response_to`, `dns.time` to the microsecond,
//! retransmitted queries and responses, unsolicited responses. An ICMP error
//! that quotes a DNS query (tshark shows the quote as a DNS message) is compared
//! with the transaction we attach it to (or the diagnostic we print).
//!
//! A per-file table of differences by field is printed. The test fails on any
//! difference not listed in [`EXPLAINED`] (each entry points into
//! `docs/tshark-differences.md`), and on an explained difference that no longer
//! occurs, so the list stays true. `DNSLENS_ORACLE_VERBOSE=1` prints every
//! difference; `DNSLENS_ORACLE_ONLY=substring` limits the files.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

// ---------------------------------------------------------------------------
// Explained differences (see docs/tshark-differences.md)

/// Differences explained case by case: in `file`, `fields` differ at these
/// `frames`, for the reason in docs/tshark-differences.md section `why`. (Whole
/// classes of differences are explained by rules instead: [`rule_for`].)
struct Explained {
    file: &'static str,
    fields: &'static [&'static str],
    frames: &'static [u64],
    why: &'static str,
}

const EXPLAINED: &[Explained] = &[
    Explained {
        file: "dnscap__dnso1tcp-bighole.pcap",
        fields: &["message"],
        frames: BIGHOLE_QUERIES,
        why: "tcp-resync",
    },
    Explained {
        file: "dnscap__dnso1tcp-bighole.pcap",
        fields: &["response_to", "time_us", "unsolicited"],
        frames: BIGHOLE_RESPONSES,
        why: "tcp-resync",
    },
    Explained {
        file: "dnscap__dnsotcp-many1pkt.pcap",
        fields: &["retransmit_request_in"],
        frames: &[4],
        why: "one-query-three-times-in-one-segment",
    },
    Explained {
        file: "nDPI__badpackets.pcap",
        fields: &[
            "id", "qr", "opcode", "aa", "tc", "rd", "ra", "ad", "cd", "rcode", "qdcount",
            "ancount", "nscount",
        ],
        frames: &[4, 12, 21],
        why: "cut-inside-the-header",
    },
    Explained {
        file: "nDPI__dns_invert_query.pcapng",
        fields: &["an.data"],
        frames: &[1],
        why: "empty-a-in-an-iquery",
    },
    Explained {
        file: "ipfixprobe__mixed.pcap",
        fields: &["retransmit_request_in"],
        frames: &[124, 130, 180, 189, 195],
        why: "retransmission-window",
    },
    Explained {
        file: "packets__nowebaccess1.pcapng",
        fields: &["retransmit_request_in"],
        frames: &[8, 9],
        why: "retransmission-window",
    },
    Explained {
        file: "nDPI__dns_fragmented.pcap",
        fields: &[
            "response_in",
            "retransmit_request_in",
            "response_to",
            "time_us",
        ],
        frames: &[36, 37, 39],
        why: "retransmission-window",
    },
];

/// The 35 queries tshark does not see after the gap (frames 25, 30, ... 195).
const BIGHOLE_QUERIES: &[u64] = &[
    25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 95, 100, 105, 110, 115, 120, 125, 130,
    135, 140, 145, 150, 155, 160, 165, 170, 175, 180, 185, 190, 195,
];
/// Their responses (frames 27, 32, ... 197).
const BIGHOLE_RESPONSES: &[u64] = &[
    27, 32, 37, 42, 47, 52, 57, 62, 67, 72, 77, 82, 87, 92, 97, 102, 107, 112, 117, 122, 127, 132,
    137, 142, 147, 152, 157, 162, 167, 172, 177, 182, 187, 192, 197,
];

// ---------------------------------------------------------------------------
// A JSON tree that keeps repeated keys

#[derive(Debug)]
enum J {
    Str(String),
    Obj(Vec<(String, J)>),
    Arr(Vec<J>),
    Other,
}

impl<'de> Deserialize<'de> for J {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = J;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("JSON")
            }
            fn visit_str<E>(self, v: &str) -> Result<J, E> {
                Ok(J::Str(v.to_string()))
            }
            fn visit_string<E>(self, v: String) -> Result<J, E> {
                Ok(J::Str(v))
            }
            fn visit_bool<E>(self, _: bool) -> Result<J, E> {
                Ok(J::Other)
            }
            fn visit_i64<E>(self, _: i64) -> Result<J, E> {
                Ok(J::Other)
            }
            fn visit_u64<E>(self, _: u64) -> Result<J, E> {
                Ok(J::Other)
            }
            fn visit_f64<E>(self, _: f64) -> Result<J, E> {
                Ok(J::Other)
            }
            fn visit_unit<E>(self) -> Result<J, E> {
                Ok(J::Other)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<J, A::Error> {
                let mut v = Vec::new();
                while let Some(x) = a.next_element()? {
                    v.push(x);
                }
                Ok(J::Arr(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<J, A::Error> {
                let mut v = Vec::new();
                while let Some((k, x)) = a.next_entry::<String, J>()? {
                    v.push((k, x));
                }
                Ok(J::Obj(v))
            }
        }
        d.deserialize_any(V)
    }
}

impl J {
    fn entries(&self) -> &[(String, J)] {
        match self {
            Self::Obj(v) => v,
            _ => &[],
        }
    }
    fn get(&self, key: &str) -> Option<&J> {
        self.entries()
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }
    fn all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a J> + 'a {
        self.entries()
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| v)
    }
    fn str(&self) -> Option<&str> {
        match self {
            Self::Str(s) => Some(s),
            _ => None,
        }
    }
    fn s(&self, key: &str) -> String {
        self.get(key)
            .and_then(J::str)
            .unwrap_or_default()
            .to_string()
    }
    /// A field anywhere below this object (first in document order).
    fn find(&self, key: &str) -> Option<&str> {
        for (k, v) in self.entries() {
            if k == key {
                if let Some(s) = v.str() {
                    return Some(s);
                }
            }
            if let Some(s) = v.find(key) {
                return Some(s);
            }
        }
        None
    }
}

// ---------------------------------------------------------------------------
// Canonical fields

/// The sections of records, with tshark's names for them (normal and UPDATE).
const SECTIONS: &[(&str, &str, &str, &str)] = &[
    ("an", "answerRRs", "Answers", "Prerequisites"),
    ("ns", "authorityRRs", "Authoritative nameservers", "Updates"),
    (
        "ar",
        "additionalRRs",
        "Additional records",
        "Additional records",
    ),
];

/// Fields compared against the tshark JSON.
const JSON_FIELDS: &[&str] = &[
    "transport",
    "src",
    "dst",
    "sport",
    "dport",
    "id",
    "qr",
    "opcode",
    "aa",
    "tc",
    "rd",
    "ra",
    "ad",
    "cd",
    "rcode",
    "qdcount",
    "ancount",
    "nscount",
    "arcount",
    "qd.name",
    "qd.type",
    "qd.class",
    "an.name",
    "an.type",
    "an.class",
    "an.ttl",
    "an.len",
    "an.data",
    "ns.name",
    "ns.type",
    "ns.class",
    "ns.ttl",
    "ns.len",
    "ns.data",
    "ar.name",
    "ar.type",
    "ar.class",
    "ar.ttl",
    "ar.len",
    "ar.data",
    "response_in",
    "response_to",
    "time_us",
    "retransmit_request_in",
    "retransmit_response_in",
    "unsolicited",
];

/// Fields compared against the tshark TSV (its columns; multi-values joined by `,`).
const TSV_FIELDS: &[&str] = &[
    "transport",
    "src",
    "dst",
    "sport",
    "dport",
    "id",
    "qr",
    "opcode",
    "rcode",
    "tc",
    "rd",
    "qdcount",
    "ancount",
    "nscount",
    "arcount",
    "qd.name",
    "qd.type",
    "rr.name",
    "rr.type",
    "rr.ttl",
    "a",
    "aaaa",
    "cname",
    "ns",
    "mx",
    "txt",
    "response_in",
    "response_to",
    "time_us",
    "retransmission",
];

type Fields = BTreeMap<String, String>;

/// JSON-mode list separator (values may hold commas; this never occurs in them).
const SEP: &str = " | ";

fn set(f: &mut Fields, k: &str, v: impl ToString) {
    f.insert(k.to_string(), v.to_string());
}

/// tshark's spelling of a name: no trailing dot, `<Root>` for the root.
///
/// Ours is RFC 1035 §5.1 presentation format (`\.` for a dot inside a label,
/// `\DDD` for other bytes, as dig prints it); tshark prints a label's bytes as
/// they are (UTF-8, U+FFFD for invalid bytes). The bytes are compared.
fn ts_name(ours: &str) -> String {
    if ours == "." {
        return "<Root>".to_string();
    }
    let ours = ours.strip_suffix('.').unwrap_or(ours);
    String::from_utf8_lossy(&unescape(ours.as_bytes())).into_owned()
}

/// Runs of U+FFFD as one: tshark replaces each invalid UTF-8 byte of a name,
/// Rust each maximal invalid sequence; the bytes are the same.
fn fffd_runs(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev = false;
    for c in s.chars() {
        let r = c == '\u{fffd}';
        if !(r && prev) {
            out.push(c);
        }
        prev = r;
    }
    out
}

/// Undoes presentation-format escapes (`\X`, `\DDD`).
fn unescape(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            let d = &b[i + 1..];
            if d.len() >= 3 && d[..3].iter().all(u8::is_ascii_digit) {
                let n = (u32::from(d[0] - b'0') * 100)
                    + (u32::from(d[1] - b'0') * 10)
                    + u32::from(d[2] - b'0');
                out.push(n as u8);
                i += 4;
            } else {
                out.push(d[0]);
                i += 2;
            }
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

/// The strings of a TXT record in presentation format (`"a" "b\\"c"`), unescaped.
/// tshark prints a TXT string as a C string: up to its first NUL byte.
fn txt_strings(p: &str) -> Vec<String> {
    let b = p.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'"' {
            i += 1;
            continue;
        }
        i += 1;
        let start = i;
        while i < b.len() && b[i] != b'"' {
            i += if b[i] == b'\\' { 2 } else { 1 };
        }
        let raw = b.get(start..i.min(b.len())).unwrap_or_default();
        i += 1;
        let mut bytes = unescape(raw);
        if let Some(nul) = bytes.iter().position(|&c| c == 0) {
            bytes.truncate(nul);
        }
        out.push(String::from_utf8_lossy(&bytes).into_owned());
    }
    out
}

fn num(v: &Value) -> String {
    match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => u8::from(*b).to_string(),
        _ => String::new(),
    }
}

/// A type mnemonic's number (`MX` -> `15`, `TYPE65534` -> `65534`).
fn type_number(m: &str) -> String {
    const TYPES: &[(&str, u16)] = &[
        ("A", 1),
        ("NS", 2),
        ("CNAME", 5),
        ("SOA", 6),
        ("PTR", 12),
        ("HINFO", 13),
        ("MX", 15),
        ("TXT", 16),
        ("AAAA", 28),
        ("LOC", 29),
        ("SRV", 33),
        ("NAPTR", 35),
        ("DNAME", 39),
        ("DS", 43),
        ("SSHFP", 44),
        ("RRSIG", 46),
        ("NSEC", 47),
        ("DNSKEY", 48),
        ("NSEC3", 50),
        ("NSEC3PARAM", 51),
        ("TLSA", 52),
        ("CDS", 59),
        ("CDNSKEY", 60),
        ("SVCB", 64),
        ("HTTPS", 65),
        ("ZONEMD", 63),
        ("CAA", 257),
    ];
    TYPES
        .iter()
        .find(|(n, _)| *n == m)
        .map(|(_, v)| v.to_string())
        .or_else(|| m.strip_prefix("TYPE").map(str::to_string))
        .unwrap_or_else(|| m.to_string())
}

/// Our RDATA (presentation format) rewritten the way the JSON-mode comparison
/// writes tshark's fields for that type; empty for types only compared by length.
fn our_data(rtype: u64, rr: &Value) -> String {
    if rr.get("rdataError").is_some() {
        return "!rdataError".to_string();
    }
    let key = format!("rdata{}", rr["TYPEname"].as_str().unwrap_or(""));
    let p = rr[key.as_str()].as_str().unwrap_or("");
    let w: Vec<&str> = p.split_whitespace().collect();
    let name = |i: usize| w.get(i).map(|s| ts_name(s)).unwrap_or_default();
    let word = |i: usize| w.get(i).map(|s| s.to_string()).unwrap_or_default();
    match rtype {
        1 | 28 => p.to_string(),
        2 | 5 | 12 | 39 => ts_name(p),
        15 => format!("{} {}", word(0), name(1)),
        16 => txt_strings(p).join(SEP),
        6 => format!(
            "{} {} {} {} {} {} {}",
            name(0),
            name(1),
            word(2),
            word(3),
            word(4),
            word(5),
            word(6)
        ),
        33 => format!("{} {} {} {}", word(0), word(1), word(2), name(3)),
        257 => {
            // `0 issue "symantec.com"`
            let value = p.splitn(3, ' ').nth(2).unwrap_or("");
            format!(
                "{} {} {}",
                word(0),
                word(1),
                txt_strings(value).first().cloned().unwrap_or_default()
            )
        }
        43 => format!(
            "{} {} {} {}",
            word(0),
            word(1),
            word(2),
            w.get(3..)
                .map(|x| x.concat().to_ascii_lowercase())
                .unwrap_or_default()
        ),
        // RRSIG: covered type, algorithm, labels, original TTL, expiration,
        // inception, key tag, signer, signature (hex).
        46 => format!(
            "{} {} {} {} {} {} {} {} {}",
            type_number(&word(0)),
            word(1),
            word(2),
            word(3),
            word(4),
            word(5),
            word(6),
            name(7),
            b64_hex(&w.get(8..).map(|x| x.concat()).unwrap_or_default())
        ),
        // NSEC: next name, then the types of the bitmap.
        47 => std::iter::once(name(0))
            .chain(w.iter().skip(1).map(|t| type_number(t)))
            .collect::<Vec<_>>()
            .join(" "),
        // DNSKEY: flags, protocol, algorithm, key (hex).
        48 => format!(
            "{} {} {} {}",
            word(0),
            word(1),
            word(2),
            b64_hex(&w.get(3..).map(|x| x.concat()).unwrap_or_default())
        ),
        // NSEC3: algorithm, flags, iterations, salt (hex), next hash, types.
        50 => {
            let salt = if word(3) == "-" {
                String::new()
            } else {
                word(3).to_ascii_lowercase()
            };
            std::iter::once(format!(
                "{} {} {} {} {}",
                word(0),
                word(1),
                word(2),
                salt,
                word(4).to_ascii_lowercase()
            ))
            .chain(w.iter().skip(5).map(|t| type_number(t)))
            .collect::<Vec<_>>()
            .join(" ")
        }
        44 => format!(
            "{} {} {}",
            word(0),
            word(1),
            w.get(2..)
                .map(|x| x.concat())
                .unwrap_or_default()
                .to_ascii_lowercase()
        ),
        // NAPTR: order, preference, flags, services, regexp, replacement.
        35 => {
            let strings = txt_strings(p);
            format!(
                "{} {} {} {}",
                word(0),
                word(1),
                strings.join(" / "),
                ts_name(w.last().copied().unwrap_or(""))
            )
        }
        64 | 65 => format!("{} {}", word(0), name(1)),
        10 => rr["RDATAHEX"].as_str().unwrap_or("").to_ascii_lowercase(),
        // TSIG: algorithm, time signed, fudge, MAC size, original ID, other length.
        250 => format!(
            "{} {} {} {} {} {}",
            name(0),
            word(1),
            word(2),
            word(3),
            word(5),
            word(7)
        ),
        41 => {
            let e = &rr["EDNS"];
            format!(
                "size={} ercode={} v={} do={}",
                num(&e["udpPayloadSize"]),
                num(&e["extendedRcodeHigh"]),
                num(&e["version"]),
                num(&e["DO"])
            )
        }
        _ => String::new(),
    }
}

/// tshark's data fields for one record, written as [`our_data`] writes ours.
fn tshark_data(rtype: u64, rr: &J) -> String {
    // Numbers as decimal: tshark writes some in hex (`dns.ds.key_id`, and
    // `dns.rr.udp_payload_size` in mDNS).
    let g = |k: &str| dec(&rr.s(k));
    let n = |k: &str| rr.s(k);
    match rtype {
        1 => g("dns.a"),
        28 => g("dns.aaaa"),
        2 => n("dns.ns"),
        5 => n("dns.cname"),
        12 => n("dns.ptr.domain_name"),
        39 => n("dns.dname"),
        15 => format!("{} {}", g("dns.mx.preference"), n("dns.mx.mail_exchange")),
        16 => rr
            .all("dns.txt")
            .filter_map(J::str)
            .collect::<Vec<_>>()
            .join(SEP),
        6 => format!(
            "{} {} {} {} {} {} {}",
            n("dns.soa.mname"),
            n("dns.soa.rname"),
            g("dns.soa.serial_number"),
            g("dns.soa.refresh_interval"),
            g("dns.soa.retry_interval"),
            g("dns.soa.expire_limit"),
            g("dns.soa.minimum_ttl")
        ),
        33 => format!(
            "{} {} {} {}",
            g("dns.srv.priority"),
            g("dns.srv.weight"),
            g("dns.srv.port"),
            n("dns.srv.target")
        ),
        257 => {
            let flags =
                u64::from_str_radix(g("dns.caa.flags").trim_start_matches("0x"), 16).unwrap_or(0);
            let tag = rr.find("dns.caa.tag").unwrap_or("");
            let value = rr.find("dns.caa.value").unwrap_or("");
            format!("{flags} {tag} {value}")
        }
        43 => format!(
            "{} {} {} {}",
            g("dns.ds.key_id"),
            g("dns.ds.algorithm"),
            g("dns.ds.digest_type"),
            g("dns.ds.digest").replace(':', "")
        ),
        46 => format!(
            "{} {} {} {} {} {} {} {} {}",
            g("dns.rrsig.type_covered"),
            g("dns.rrsig.algorithm"),
            g("dns.rrsig.labels"),
            g("dns.rrsig.original_ttl"),
            ts_date(&g("dns.rrsig.signature_expiration"), false),
            ts_date(&g("dns.rrsig.signature_inception"), false),
            g("dns.rrsig.key_tag"),
            n("dns.rrsig.signers_name"),
            colon_hex(&g("dns.rrsig.signature"))
        ),
        47 => std::iter::once(n("dns.nsec.next_domain_name"))
            .chain(
                rr.all("dns.resp.type")
                    .skip(1)
                    .filter_map(J::str)
                    .map(str::to_string),
            )
            .collect::<Vec<_>>()
            .join(" "),
        48 => format!(
            "{} {} {} {}",
            g("dns.dnskey.flags"),
            g("dns.dnskey.protocol"),
            g("dns.dnskey.algorithm"),
            colon_hex(&g("dns.dnskey.public_key"))
        ),
        50 => std::iter::once(format!(
            "{} {} {} {} {}",
            g("dns.nsec3.algo"),
            g("dns.nsec3.flags"),
            g("dns.nsec3.iterations"),
            colon_hex(&g("dns.nsec3.salt_value")),
            g("dns.nsec3.hash_value").to_ascii_lowercase()
        ))
        .chain(
            rr.all("dns.resp.type")
                .skip(1)
                .filter_map(J::str)
                .map(str::to_string),
        )
        .collect::<Vec<_>>()
        .join(" "),
        44 => format!(
            "{} {} {}",
            g("dns.sshfp.algorithm"),
            g("dns.sshfp.fingerprint.type"),
            colon_hex(&g("dns.sshfp.fingerprint"))
        ),
        35 => format!(
            "{} {} {} / {} / {} {}",
            g("dns.naptr.order"),
            g("dns.naptr.preference"),
            n("dns.naptr.flags"),
            n("dns.naptr.service"),
            n("dns.naptr.regex"),
            n("dns.naptr.replacement")
        ),
        64 | 65 => format!("{} {}", g("dns.svcb.svcpriority"), n("dns.svcb.targetname")),
        10 => colon_hex(&g("dns.null")),
        250 => format!(
            "{} {} {} {} {} {}",
            n("dns.tsig.algorithm_name"),
            ts_date(&g("dns.tsig.time_signed"), true),
            g("dns.tsig.fudge"),
            g("dns.tsig.mac_size"),
            g("dns.tsig.original_id"),
            g("dns.tsig.other_len")
        ),
        41 => {
            let ercode = u64::from_str_radix(g("dns.resp.ext_rcode").trim_start_matches("0x"), 16)
                .unwrap_or(0);
            format!(
                "size={} ercode={} v={} do={}",
                g("dns.rr.udp_payload_size"),
                ercode,
                g("dns.resp.edns0_version"),
                rr.find("dns.resp.z.do").unwrap_or("")
            )
        }
        _ => String::new(),
    }
}

/// tshark's bytes (`5d:94:33`) as plain lowercase hex.
fn colon_hex(s: &str) -> String {
    s.replace(':', "").to_ascii_lowercase()
}

/// Base64 (RFC 4648, as in DNSKEY and RRSIG presentation) as lowercase hex;
/// `?` for a character outside the alphabet.
fn b64_hex(s: &str) -> String {
    let mut bits: u32 = 0;
    let mut n = 0;
    let mut out = String::new();
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => return "?".to_string(),
        };
        bits = (bits << 6) | u32::from(v);
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push_str(&format!("{:02x}", (bits >> n) & 0xff));
        }
    }
    out
}

/// tshark's date (`Mar  7, 2025 04:00:00.000000000 UTC`) as RRSIG
/// presentation (`20250307040000`), or as seconds since the epoch.
fn ts_date(s: &str, epoch: bool) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let w: Vec<&str> = s.split_whitespace().collect();
    let (Some(mon), Some(day), Some(year), Some(time)) = (w.first(), w.get(1), w.get(2), w.get(3))
    else {
        return s.to_string();
    };
    let m = MONTHS
        .iter()
        .position(|x| x == mon)
        .map_or(0, |i| i as i64 + 1);
    let d: i64 = day.trim_end_matches(',').parse().unwrap_or(0);
    let y: i64 = year.parse().unwrap_or(0);
    let t: Vec<i64> = time
        .split('.')
        .next()
        .unwrap_or("")
        .split(':')
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    let (hh, mi, ss) = (
        t.first().copied().unwrap_or(0),
        t.get(1).copied().unwrap_or(0),
        t.get(2).copied().unwrap_or(0),
    );
    if !epoch {
        return format!("{y:04}{m:02}{d:02}{hh:02}{mi:02}{ss:02}");
    }
    // Days from 1970-01-01 (H. Hinnant's days_from_civil).
    let yy = if m <= 2 { y - 1 } else { y };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    (days * 86_400 + hh * 3600 + mi * 60 + ss).to_string()
}

/// A tshark number in decimal (`0x05a0` -> `1440`); other text as it is.
fn dec(s: &str) -> String {
    match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).map_or_else(|_| s.to_string(), |v| v.to_string()),
        None => s.to_string(),
    }
}

fn hex_u64(s: &str) -> Option<u64> {
    u64::from_str_radix(s.trim().trim_start_matches("0x"), 16).ok()
}

/// Microseconds from tshark's `dns.time` ("0.014345000").
fn ts_time_us(s: &str) -> String {
    if s.is_empty() {
        return String::new();
    }
    let (secs, frac) = s.split_once('.').unwrap_or((s, "0"));
    let mut frac = frac.to_string();
    while frac.len() < 9 {
        frac.push('0');
    }
    let secs: i64 = secs.parse().unwrap_or(0);
    let nanos: i64 = frac[..9].parse().unwrap_or(0);
    let total = secs * 1_000_000_000 + nanos;
    ((total + 500) / 1000).to_string()
}

fn ms_to_us(v: &Value) -> String {
    v.as_f64()
        .map(|ms| ((ms * 1000.0).round() as i64).to_string())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------
// Our side

/// One of our messages, keyed for pairing lookups by (frame, ID).
struct Ours {
    frame: u64,
    fields: Fields,
    /// We report the message malformed or cut (`error`).
    error: bool,
}

/// What the transactions listing says about each message.
#[derive(Default)]
struct Pairing {
    /// (query frame, ID) -> response frame
    response_in: HashMap<(u64, u64), u64>,
    /// (response frame, ID) -> (query frame, rtt µs)
    response_to: HashMap<(u64, u64), (u64, String)>,
    /// (retransmitted query frame, ID) -> first query frame
    retrans_query: HashMap<(u64, u64), u64>,
    /// (duplicate response frame, ID) -> first response frame
    retrans_response: HashMap<(u64, u64), u64>,
    /// (unsolicited response frame, ID)
    unsolicited: HashMap<(u64, u64), ()>,
    /// ICMP error frame -> what it was attached to
    icmp: HashMap<u64, String>,
}

fn frame_id(m: &Value) -> Option<(u64, u64)> {
    Some((m["frame"].as_u64()?, m["ID"].as_u64()?))
}

fn endpoints(m: &Value) -> String {
    icmp_text(
        m["ID"].as_u64().unwrap_or(0),
        &format!(
            "{}:{}",
            m["sourceAddress"].as_str().unwrap_or(""),
            num(&m["sourcePort"])
        ),
        &format!(
            "{}:{}",
            m["destinationAddress"].as_str().unwrap_or(""),
            num(&m["destinationPort"])
        ),
    )
}

/// What an ICMP error quoted: the ID and the two endpoints, in either order
/// (a quoted query or a quoted response).
fn icmp_text(id: u64, a: &str, b: &str) -> String {
    let (x, y) = if a <= b { (a, b) } else { (b, a) };
    format!("ID {id} {x} <> {y}")
}

fn pairing_of(events: &[Value]) -> Pairing {
    let mut p = Pairing::default();
    for ev in events {
        let d = &ev["data"];
        match ev["type"].as_str() {
            Some("transaction") => {
                let q = &d["query"];
                let r = &d["response"];
                let id = q["ID"].as_u64().or(r["ID"].as_u64()).unwrap_or(0);
                if let (Some(qk), Some(rk)) = (frame_id(q), frame_id(r)) {
                    p.response_in.insert(qk, rk.0);
                    p.response_to.insert(rk, (qk.0, ms_to_us(&d["rttMs"])));
                }
                if d["status"] == "unsolicited" {
                    if let Some(rk) = frame_id(r) {
                        p.unsolicited.insert(rk, ());
                    }
                }
                for f in d["retransmissions"].as_array().into_iter().flatten() {
                    if let (Some(f), Some(q0)) = (f.as_u64(), q["frame"].as_u64()) {
                        p.retrans_query.insert((f, id), q0);
                    }
                }
                for f in d["duplicateResponses"].as_array().into_iter().flatten() {
                    if let (Some(f), Some(r0)) = (f.as_u64(), r["frame"].as_u64()) {
                        p.retrans_response.insert((f, id), r0);
                    }
                }
                for e in d["icmpErrors"].as_array().into_iter().flatten() {
                    if let Some(f) = e["frame"].as_u64() {
                        let m = if q.is_object() { q } else { r };
                        p.icmp.insert(f, endpoints(m));
                    }
                }
            }
            Some("diagnostic") => {
                // "ICMP port unreachable from R quoting a DNS message (ID 0x1234) from a:p to b:q"
                let msg = d["message"].as_str().unwrap_or("");
                if let (Some(f), true) = (d["frame"].as_u64(), msg.starts_with("ICMP")) {
                    let id = msg
                        .split("(ID 0x")
                        .nth(1)
                        .and_then(|s| s.get(..4))
                        .and_then(hex_u64)
                        .map(|x| x.to_string())
                        .unwrap_or_default();
                    let rest = msg.rsplit(" from ").next().unwrap_or("");
                    let (a, b) = rest.split_once(" to ").unwrap_or((rest, ""));
                    let id: u64 = id.parse().unwrap_or(0);
                    p.icmp
                        .entry(f)
                        .or_insert_with(|| icmp_text(id, a, b) + " (unmatched)");
                }
            }
            _ => {}
        }
    }
    p
}

/// Our answered mDNS transactions whose response answers none of the query's
/// questions (RFC 6762: a response answers a question when a record has the
/// question's name, case-insensitively, and its type, or the question asks ANY).
fn mdns_pairs_not_by_question(events: &[Value]) -> Vec<(u64, String)> {
    let mut wrong = Vec::new();
    for ev in events.iter().filter(|e| e["type"] == "transaction") {
        let d = &ev["data"];
        let (q, r) = (&d["query"], &d["response"]);
        let mdns = [&q["sourcePort"], &q["destinationPort"]]
            .iter()
            .any(|p| p.as_u64() == Some(5353));
        if !mdns || d["status"] != "answered" {
            continue;
        }
        let key = |x: &Value| {
            (
                x["NAME"].as_str().unwrap_or("").to_ascii_lowercase(),
                x["TYPE"].as_u64().unwrap_or(0),
            )
        };
        let questions: Vec<(String, u64)> = q["questionRRs"]
            .as_array()
            .into_iter()
            .flatten()
            .map(key)
            .collect();
        let answered = r["answerRRs"]
            .as_array()
            .into_iter()
            .flatten()
            .chain(r["questionRRs"].as_array().into_iter().flatten())
            .map(key)
            .any(|(n, t)| {
                questions
                    .iter()
                    .any(|(qn, qt)| *qn == n && (*qt == t || *qt == 255))
            });
        if !answered {
            wrong.push((
                r["frame"].as_u64().unwrap_or(0),
                format!("answers none of the questions of frame {}", q["frame"]),
            ));
        }
    }
    wrong
}

fn our_fields(m: &Value, pairing: &Pairing) -> Fields {
    let mut f = Fields::new();
    set(
        &mut f,
        "transport",
        match m["ipProtocol"].as_u64() {
            Some(6) => "tcp",
            Some(17) => "udp",
            _ => "?",
        },
    );
    set(&mut f, "src", m["sourceAddress"].as_str().unwrap_or(""));
    set(
        &mut f,
        "dst",
        m["destinationAddress"].as_str().unwrap_or(""),
    );
    set(&mut f, "sport", num(&m["sourcePort"]));
    set(&mut f, "dport", num(&m["destinationPort"]));
    if m.get("ID").is_none() {
        // Not even a header: nothing else to compare.
        return f;
    }
    for (k, j) in [
        ("id", "ID"),
        ("qr", "QR"),
        ("opcode", "Opcode"),
        ("aa", "AA"),
        ("tc", "TC"),
        ("rd", "RD"),
        ("ra", "RA"),
        ("ad", "AD"),
        ("cd", "CD"),
        ("rcode", "RCODE"),
        ("qdcount", "QDCOUNT"),
        ("ancount", "ANCOUNT"),
        ("nscount", "NSCOUNT"),
        ("arcount", "ARCOUNT"),
    ] {
        set(&mut f, k, num(&m[j]));
    }
    let qs = m["questionRRs"].as_array().cloned().unwrap_or_default();
    let join = |v: Vec<String>, sep: &str| v.join(sep);
    set(
        &mut f,
        "qd.name",
        join(
            qs.iter()
                .map(|q| ts_name(q["NAME"].as_str().unwrap_or("")))
                .collect(),
            SEP,
        ),
    );
    set(
        &mut f,
        "qd.type",
        join(qs.iter().map(|q| num(&q["TYPE"])).collect(), SEP),
    );
    set(
        &mut f,
        "qd.class",
        join(qs.iter().map(|q| num(&q["CLASS"])).collect(), SEP),
    );
    // TSV-style columns over all sections.
    let mut rr_name = Vec::new();
    let mut rr_type = Vec::new();
    let mut rr_ttl = Vec::new();
    let mut cols: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (short, ours_key, _, _) in SECTIONS {
        let rrs = m[*ours_key].as_array().cloned().unwrap_or_default();
        let mut name = Vec::new();
        let mut ty = Vec::new();
        let mut class = Vec::new();
        let mut ttl = Vec::new();
        let mut len = Vec::new();
        let mut data = Vec::new();
        for rr in &rrs {
            let t = rr["TYPE"].as_u64().unwrap_or(0);
            let n = ts_name(rr["NAME"].as_str().unwrap_or(""));
            name.push(n.clone());
            ty.push(t.to_string());
            // TSV columns, as tshark fills them: an SRV owner
            // `_service._proto.name` is split into other fields, and an NSEC
            // record's type bitmap adds to `dns.resp.type`.
            let raw = rr["NAME"].as_str().unwrap_or("");
            let mut labels = raw.splitn(3, '.');
            let split_srv = t == 33
                && labels.next().is_some_and(|l| l.starts_with('_'))
                && labels.next().is_some_and(|l| l.starts_with('_'))
                && labels.next().is_some_and(|l| !l.is_empty());
            if !split_srv {
                rr_name.push(n);
            }
            rr_type.push(t.to_string());
            if t == 47 {
                let p = rr["rdataNSEC"].as_str().unwrap_or("");
                rr_type.extend(p.split_whitespace().skip(1).map(type_number));
            }
            if t == 41 {
                class.push(String::new());
                ttl.push(String::new());
            } else {
                class.push(num(&rr["CLASS"]));
                ttl.push(num(&rr["TTL"]));
                rr_ttl.push(num(&rr["TTL"]));
            }
            len.push(num(&rr["RDLENGTH"]));
            data.push(our_data(t, rr));
            let key = format!("rdata{}", rr["TYPEname"].as_str().unwrap_or(""));
            let p = rr[key.as_str()].as_str().unwrap_or("");
            match t {
                1 => cols.entry("a").or_default().push(p.to_string()),
                28 => cols.entry("aaaa").or_default().push(p.to_string()),
                5 => cols.entry("cname").or_default().push(ts_name(p)),
                2 => cols.entry("ns").or_default().push(ts_name(p)),
                15 => cols
                    .entry("mx")
                    .or_default()
                    .push(ts_name(p.split_whitespace().nth(1).unwrap_or(""))),
                16 => cols.entry("txt").or_default().extend(txt_strings(p)),
                _ => {}
            }
        }
        set(&mut f, &format!("{short}.name"), join(name, SEP));
        set(&mut f, &format!("{short}.type"), join(ty, SEP));
        set(&mut f, &format!("{short}.class"), join(class, SEP));
        set(&mut f, &format!("{short}.ttl"), join(ttl, SEP));
        set(&mut f, &format!("{short}.len"), join(len, SEP));
        set(&mut f, &format!("{short}.data"), join(data, SEP));
    }
    set(&mut f, "rr.name", rr_name.join(","));
    set(&mut f, "rr.type", rr_type.join(","));
    set(&mut f, "rr.ttl", rr_ttl.join(","));
    for c in ["a", "aaaa", "cname", "ns", "mx", "txt"] {
        set(
            &mut f,
            c,
            cols.get(c).map(|v| v.join(",")).unwrap_or_default(),
        );
    }
    // Pairing.
    if let Some(key) = frame_id(m) {
        if let Some(r) = pairing.response_in.get(&key) {
            set(&mut f, "response_in", r);
        }
        if let Some((q, us)) = pairing.response_to.get(&key) {
            set(&mut f, "response_to", q);
            set(&mut f, "time_us", us);
        }
        if let Some(q) = pairing.retrans_query.get(&key) {
            set(&mut f, "retransmit_request_in", q);
            set(&mut f, "retransmission", 1);
        }
        if let Some(r) = pairing.retrans_response.get(&key) {
            set(&mut f, "retransmit_response_in", r);
            set(&mut f, "retransmission", 1);
        }
        if pairing.unsolicited.contains_key(&key) {
            set(&mut f, "unsolicited", 1);
        }
    }
    f
}

// ---------------------------------------------------------------------------
// tshark's side

struct Theirs {
    frame: u64,
    /// tshark's dissection of the frame threw (malformed, cut short, an
    /// unreassembled fragment): it adds no pairing fields after that.
    exception: bool,
    /// The frame is an ICMP error quoting this message.
    icmp: Option<String>,
    fields: Fields,
}

/// Whether `key` occurs anywhere in `j`.
fn has_key(j: &J, key: &str) -> bool {
    match j {
        J::Obj(v) => v.iter().any(|(k, x)| k == key || has_key(x, key)),
        J::Arr(v) => v.iter().any(|x| has_key(x, key)),
        _ => false,
    }
}

/// Reads `X.tshark.json` into one entry per DNS message, in frame order.
fn tshark_json(path: &Path) -> Result<Vec<Theirs>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let root: J = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let J::Arr(pkts) = root else {
        return Err("not an array".into());
    };
    let mut out = Vec::new();
    for pkt in &pkts {
        let Some(layers) = pkt.get("_source").and_then(|s| s.get("layers")) else {
            continue;
        };
        let frame: u64 = layers
            .get("frame")
            .map(|fr| fr.s("frame.number"))
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let mut ip: Option<&J> = None;
        let mut ip_v6 = false;
        let mut l4: Option<(&str, &J)> = None;
        let mut icmp: Option<&J> = None;
        let exception = ["_ws.malformed", "_ws.short", "_ws.unreassembled"]
            .iter()
            .any(|k| has_key(layers, k));
        for (name, layer) in layers.entries() {
            match name.as_str() {
                "ip" => {
                    ip = Some(layer);
                    ip_v6 = false;
                }
                "ipv6" => {
                    ip = Some(layer);
                    ip_v6 = true;
                }
                "udp" => l4 = Some(("udp", layer)),
                "tcp" => l4 = Some(("tcp", layer)),
                "icmp" | "icmpv6" => icmp = Some(layer),
                "dns" | "mdns" | "llmnr" => {
                    let mut f = Fields::new();
                    let (src, dst) = match (ip, ip_v6) {
                        (Some(l), false) => (l.s("ip.src"), l.s("ip.dst")),
                        (Some(l), true) => (l.s("ipv6.src"), l.s("ipv6.dst")),
                        _ => (String::new(), String::new()),
                    };
                    let icmp_text = icmp.map(|ic| {
                        // The quoted packet: the IP and UDP layers inside the ICMP layer.
                        let inner_ip = ic.get("ip").or(ic.get("ipv6"));
                        let (qs, qd) = inner_ip
                            .map(|l| {
                                let s = l.s("ip.src") + &l.s("ipv6.src");
                                let d = l.s("ip.dst") + &l.s("ipv6.dst");
                                (s, d)
                            })
                            .unwrap_or_default();
                        let udp = ic.get("udp");
                        let sp = udp.map(|u| u.s("udp.srcport")).unwrap_or_default();
                        let dp = udp.map(|u| u.s("udp.dstport")).unwrap_or_default();
                        let id = hex_u64(&layer.s("dns.id")).unwrap_or(0);
                        icmp_text(id, &format!("{qs}:{sp}"), &format!("{qd}:{dp}"))
                    });
                    set(&mut f, "src", src);
                    set(&mut f, "dst", dst);
                    if let Some((proto, l)) = l4 {
                        set(&mut f, "transport", proto);
                        set(&mut f, "sport", l.s(&format!("{proto}.srcport")));
                        set(&mut f, "dport", l.s(&format!("{proto}.dstport")));
                    }
                    dns_fields(layer, &mut f);
                    out.push(Theirs {
                        frame,
                        exception,
                        icmp: icmp_text,
                        fields: f,
                    });
                }
                _ => {}
            }
        }
    }
    Ok(out)
}

fn dns_fields(d: &J, f: &mut Fields) {
    if let Some(id) = hex_u64(&d.s("dns.id")) {
        set(f, "id", id);
    }
    if let Some(flags) = hex_u64(&d.s("dns.flags")) {
        let bit = |n: u32| (flags >> n) & 1;
        set(f, "qr", bit(15));
        set(f, "opcode", (flags >> 11) & 0xf);
        set(f, "aa", bit(10));
        set(f, "tc", bit(9));
        set(f, "rd", bit(8));
        set(f, "ra", bit(7));
        set(f, "ad", bit(5));
        set(f, "cd", bit(4));
        let mut rcode = flags & 0xf;
        // The OPT record's upper RCODE bits, as RFC 6891 §6.1.3 extends it.
        for (_, _, sec, _) in SECTIONS {
            for (_, rr) in d.get(sec).map(J::entries).unwrap_or_default() {
                if rr.s("dns.resp.type") == "41" {
                    rcode |= hex_u64(&rr.s("dns.resp.ext_rcode")).unwrap_or(0) << 4;
                }
            }
        }
        set(f, "rcode", rcode);
    }
    let update = d.get("dns.count.zones").is_some();
    let counts = if update {
        [
            "dns.count.zones",
            "dns.count.prerequisites",
            "dns.count.updates",
            "dns.count.add_rr",
        ]
    } else {
        [
            "dns.count.queries",
            "dns.count.answers",
            "dns.count.auth_rr",
            "dns.count.add_rr",
        ]
    };
    for (k, c) in ["qdcount", "ancount", "nscount", "arcount"]
        .iter()
        .zip(counts)
    {
        set(f, k, d.s(c));
    }
    let qsec = if update { "Zone" } else { "Queries" };
    let qs: Vec<&J> = d
        .get(qsec)
        .map(J::entries)
        .unwrap_or_default()
        .iter()
        .map(|(_, q)| q)
        .filter(|q| q.get("dns.qry.name").is_some())
        .collect();
    set(
        f,
        "qd.name",
        qs.iter()
            .map(|q| q.s("dns.qry.name"))
            .collect::<Vec<_>>()
            .join(SEP),
    );
    set(
        f,
        "qd.type",
        qs.iter()
            .map(|q| q.s("dns.qry.type"))
            .collect::<Vec<_>>()
            .join(SEP),
    );
    set(
        f,
        "qd.class",
        qs.iter()
            .map(|q| {
                let c = hex_u64(&q.s("dns.qry.class")).unwrap_or(0);
                let qu = u64::from(q.s("dns.qry.qu") == "1");
                (c | qu << 15).to_string()
            })
            .collect::<Vec<_>>()
            .join(SEP),
    );
    for (short, _, normal, upd) in SECTIONS {
        let sec = if update { upd } else { normal };
        let rrs: Vec<&J> = d
            .get(sec)
            .map(J::entries)
            .unwrap_or_default()
            .iter()
            .map(|(_, r)| r)
            .filter(|r| r.get("dns.resp.type").is_some())
            .collect();
        let col = |g: &dyn Fn(&J) -> String| rrs.iter().map(|r| g(r)).collect::<Vec<_>>().join(SEP);
        set(f, &format!("{short}.name"), col(&|r| rr_name(r)));
        set(f, &format!("{short}.type"), col(&|r| r.s("dns.resp.type")));
        set(
            f,
            &format!("{short}.class"),
            col(&|r| {
                if r.s("dns.resp.type") == "41" {
                    return String::new();
                }
                let c = hex_u64(&r.s("dns.resp.class")).unwrap_or(0);
                let flush = u64::from(r.s("dns.resp.cache_flush") == "1");
                (c | flush << 15).to_string()
            }),
        );
        set(f, &format!("{short}.ttl"), col(&|r| r.s("dns.resp.ttl")));
        set(f, &format!("{short}.len"), col(&|r| r.s("dns.resp.len")));
        set(
            f,
            &format!("{short}.data"),
            col(&|r| tshark_data(r.s("dns.resp.type").parse().unwrap_or(0), r)),
        );
    }
    for (k, t) in [
        ("response_in", "dns.response_in"),
        ("response_to", "dns.response_to"),
        ("retransmit_request_in", "dns.retransmit_request_in"),
        ("retransmit_response_in", "dns.retransmit_response_in"),
        ("unsolicited", "dns.unsolicited"),
    ] {
        if let Some(v) = d.get(t).and_then(J::str) {
            set(f, k, v);
        }
    }
    if let Some(t) = d.get("dns.time").and_then(J::str) {
        set(f, "time_us", ts_time_us(t));
    }
}

/// A record's owner. For SRV owners of the form `_service._proto.name` tshark
/// gives the three parts instead of `dns.resp.name`.
fn rr_name(r: &J) -> String {
    if let Some(n) = r.get("dns.resp.name").and_then(J::str) {
        return n.to_string();
    }
    ["dns.srv.service", "dns.srv.proto", "dns.srv.name"]
        .iter()
        .map(|k| r.s(k))
        .collect::<Vec<_>>()
        .join(".")
}

/// Reads `X.tshark.tsv` into one entry per frame (a frame's messages share a row).
fn tshark_tsv(path: &Path) -> Result<Vec<Theirs>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split('\t').collect();
    let mut out = Vec::new();
    for line in lines {
        let cols: Vec<&str> = line.split('\t').collect();
        let get = |n: &str| {
            header
                .iter()
                .position(|h| *h == n)
                .and_then(|i| cols.get(i))
                .copied()
                .unwrap_or("")
        };
        // Through a tunnel or in an ICMP quote, the last address is the inner one.
        let last = |s: &str| s.rsplit(',').next().unwrap_or("").to_string();
        let frame: u64 = get("frame.number").parse().unwrap_or(0);
        let mut f = Fields::new();
        let src = last(&(get("ip.src").to_string() + get("ipv6.src")));
        let dst = last(&(get("ip.dst").to_string() + get("ipv6.dst")));
        set(&mut f, "src", src);
        set(&mut f, "dst", dst);
        let (proto, sp, dp) = if get("tcp.srcport").is_empty() {
            ("udp", get("udp.srcport"), get("udp.dstport"))
        } else {
            ("tcp", get("tcp.srcport"), get("tcp.dstport"))
        };
        set(&mut f, "transport", proto);
        set(&mut f, "sport", last(sp));
        set(&mut f, "dport", last(dp));
        let ids: Vec<String> = get("dns.id")
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| hex_u64(s).unwrap_or(0).to_string())
            .collect();
        set(&mut f, "id", ids.join(","));
        for (k, c) in [
            ("qr", "dns.flags.response"),
            ("opcode", "dns.flags.opcode"),
            ("rcode", "dns.flags.rcode"),
            ("tc", "dns.flags.truncated"),
            ("rd", "dns.flags.recdesired"),
            ("qdcount", "dns.count.queries"),
            ("ancount", "dns.count.answers"),
            ("nscount", "dns.count.auth_rr"),
            ("arcount", "dns.count.add_rr"),
            ("qd.name", "dns.qry.name"),
            ("qd.type", "dns.qry.type"),
            ("rr.name", "dns.resp.name"),
            ("rr.type", "dns.resp.type"),
            ("rr.ttl", "dns.resp.ttl"),
            ("a", "dns.a"),
            ("aaaa", "dns.aaaa"),
            ("cname", "dns.cname"),
            ("ns", "dns.ns"),
            ("mx", "dns.mx.mail_exchange"),
            ("txt", "dns.txt"),
            ("response_in", "dns.response_in"),
            ("response_to", "dns.response_to"),
            ("retransmission", "dns.retransmission"),
        ] {
            set(&mut f, k, get(c));
        }
        let times: Vec<String> = get("dns.time")
            .split(',')
            .filter(|s| !s.is_empty())
            .map(ts_time_us)
            .collect();
        set(&mut f, "time_us", times.join(","));
        out.push(Theirs {
            frame,
            exception: !get("_ws.malformed").is_empty(),
            icmp: None,
            fields: f,
        });
    }
    Ok(out)
}

/// Our messages of one frame folded into one TSV-like row, as tshark joins them.
fn fold_tsv(msgs: &[&Ours]) -> Fields {
    let mut f = Fields::new();
    for k in TSV_FIELDS {
        let vals: Vec<&str> = msgs
            .iter()
            .map(|m| m.fields.get(*k).map(String::as_str).unwrap_or(""))
            .collect();
        let v = match *k {
            // One value per frame in tshark's row.
            "transport" | "src" | "dst" | "sport" | "dport" => {
                vals.first().copied().unwrap_or("").to_string()
            }
            _ => vals
                .iter()
                .filter(|v| !v.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(","),
        };
        f.insert((*k).to_string(), v);
    }
    f
}

// ---------------------------------------------------------------------------
// Running the binary

fn run_ndjson(args: &[&str], file: &Path) -> Result<Vec<Value>, String> {
    let out = Command::new(env!("CARGO_BIN_EXE_dnslens"))
        .args(args)
        .args(["--format", "ndjson", "--color", "never", "--quiet"])
        .arg(file)
        .env_remove("NO_COLOR")
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "dnslens {args:?} exited {:?}: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).map_err(|e| format!("{e}: {l}")))
        .collect()
}

// ---------------------------------------------------------------------------
// Comparing

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Json,
    Tsv,
}

/// One difference: (frame, field, tshark's value, ours, rule that explains it).
type Diff = (u64, String, String, String, Option<&'static str>);

/// Differences explained by a rule rather than case by case; each rule is a
/// section of docs/tshark-differences.md.
fn rule_for(field: &str, t: &Theirs, ours_error: bool, tv: &str, ov: &str) -> Option<&'static str> {
    let pairing = matches!(
        field,
        "response_in"
            | "response_to"
            | "time_us"
            | "retransmit_request_in"
            | "retransmit_response_in"
            | "unsolicited"
            | "retransmission"
    );
    let port = |p: &str| {
        t.fields.get("sport").is_some_and(|x| x == p)
            || t.fields.get("dport").is_some_and(|x| x == p)
    };
    if pairing && port("5353") {
        return Some("mdns-pairing");
    }
    if pairing && port("5355") {
        return Some("llmnr-pairing");
    }
    if pairing && t.exception && tv.is_empty() {
        return Some("tshark-stops-at-exception");
    }
    let section = ["qd.", "an.", "ns.", "ar."]
        .iter()
        .any(|p| field.starts_with(p));
    // tshark saw the fault too: it marked the message malformed, or printed
    // one of its sentinels (`<Name too long>`, ...) where it could not read.
    let tshark_saw_it = t.exception
        || t.fields
            .values()
            .any(|v| v.replace("<Root>", "").contains("<Name"));
    if section && ours_error && tshark_saw_it && tv.starts_with(ov) {
        return Some("we-stop-at-the-first-error");
    }
    // A record whose RDATA does not decode: `rdataError` instead of the data,
    // where tshark too calls the message malformed.
    if field.ends_with(".data") && t.exception && ov.contains("!rdataError") {
        return Some("we-stop-at-the-first-error");
    }
    None
}

struct FileResult {
    name: String,
    theirs: usize,
    /// The frame of each of tshark's messages.
    their_frames: Vec<u64>,
    ours: usize,
    diffs: Vec<Diff>,
}

fn compare_file(capture: &Path, oracle: &Path, mode: Mode) -> Result<FileResult, String> {
    let theirs = match mode {
        Mode::Json => tshark_json(oracle)?,
        Mode::Tsv => tshark_tsv(oracle)?,
    };
    let msgs = run_ndjson(&["messages"], capture)?;
    let txns = run_ndjson(&[], capture)?;
    let pairing = pairing_of(&txns);
    let mdns_wrong = mdns_pairs_not_by_question(&txns);
    let ours: Vec<Ours> = msgs
        .iter()
        .filter(|e| e["type"] == "message")
        .map(|e| Ours {
            frame: e["data"]["frame"].as_u64().unwrap_or(0),
            fields: our_fields(&e["data"], &pairing),
            error: e["data"].get("error").is_some(),
        })
        .collect();
    let mut by_frame: BTreeMap<u64, Vec<&Ours>> = BTreeMap::new();
    for o in &ours {
        by_frame.entry(o.frame).or_default().push(o);
    }
    let mut their_frames: BTreeMap<u64, Vec<&Theirs>> = BTreeMap::new();
    for t in &theirs {
        their_frames.entry(t.frame).or_default().push(t);
    }
    let mut diffs = Vec::new();
    let empty = String::new();
    let cmp = |keys: &[&str], t: &Theirs, o: &Fields, ours_error: bool, diffs: &mut Vec<Diff>| {
        for k in keys {
            let tv = t.fields.get(*k).unwrap_or(&empty);
            let ov = o.get(*k).unwrap_or(&empty);
            // tshark's TSV leaves RCODE empty on queries.
            if mode == Mode::Tsv && *k == "rcode" && tv.is_empty() {
                continue;
            }
            if fffd_runs(tv) != fffd_runs(ov) {
                let rule = rule_for(k, t, ours_error, tv, ov);
                diffs.push((t.frame, (*k).to_string(), tv.clone(), ov.clone(), rule));
            }
        }
    };
    for (frame, ts) in &their_frames {
        let os = by_frame.get(frame).cloned().unwrap_or_default();
        let is_icmp = ts.iter().any(|t| t.icmp.is_some())
            || (mode == Mode::Tsv && os.is_empty() && pairing.icmp.contains_key(frame));
        if is_icmp {
            // tshark shows the quoted query as a DNS message; we attach the
            // ICMP error to that query's transaction.
            let want = match ts[0].icmp.as_ref() {
                Some(s) => s.clone(),
                None => {
                    let f = &ts[0].fields;
                    icmp_text(
                        f["id"].parse().unwrap_or(0),
                        &format!("{}:{}", f["src"], f["sport"]),
                        &format!("{}:{}", f["dst"], f["dport"]),
                    )
                }
            };
            let got = pairing.icmp.get(frame).cloned().unwrap_or_default();
            let got_cmp = got.trim_end_matches(" (unmatched)");
            if want != got_cmp {
                diffs.push((*frame, "icmp".into(), want, got, None));
            }
            if !os.is_empty() {
                diffs.push((
                    *frame,
                    "message".into(),
                    String::new(),
                    "extra".into(),
                    None,
                ));
            }
            continue;
        }
        match mode {
            Mode::Json => {
                for (i, t) in ts.iter().enumerate() {
                    match os.get(i) {
                        Some(o) => cmp(JSON_FIELDS, t, &o.fields, o.error, &mut diffs),
                        None => diffs.push((
                            *frame,
                            "message".into(),
                            "present".into(),
                            "missing".into(),
                            None,
                        )),
                    }
                }
                for _ in ts.len()..os.len() {
                    diffs.push((
                        *frame,
                        "message".into(),
                        String::new(),
                        "extra".into(),
                        None,
                    ));
                }
            }
            Mode::Tsv => {
                if os.is_empty() {
                    diffs.push((
                        *frame,
                        "message".into(),
                        "present".into(),
                        "missing".into(),
                        None,
                    ));
                    continue;
                }
                let folded = fold_tsv(&os);
                let error = os.iter().any(|o| o.error);
                cmp(TSV_FIELDS, ts[0], &folded, error, &mut diffs);
            }
        }
    }
    for (frame, os) in &by_frame {
        if !their_frames.contains_key(frame) {
            for _ in os.iter() {
                diffs.push((
                    *frame,
                    "message".into(),
                    String::new(),
                    "extra".into(),
                    None,
                ));
            }
        }
    }
    // tshark cannot judge our mDNS pairing (rule mdns-pairing): check it
    // against its own definition instead.
    for (frame, what) in mdns_wrong {
        diffs.push((frame, "mdns.pairing".into(), String::new(), what, None));
    }
    Ok(FileResult {
        name: String::new(),
        theirs: theirs.len(),
        their_frames: theirs.iter().map(|t| t.frame).collect(),
        ours: ours.len(),
        diffs,
    })
}

fn corpus_dir() -> Option<PathBuf> {
    let local = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/public");
    [local, PathBuf::from("/work/shared/corpus/public")]
        .into_iter()
        .find(|p| p.is_dir())
}

/// Compares every file and prints the table; returns the unexplained differences.
/// Per file: (messages we found, unexplained differences).
type Seen = BTreeMap<String, (usize, usize)>;

fn run_oracle(files: Vec<(String, PathBuf, PathBuf, Mode)>, label: &str) -> (Vec<String>, Seen) {
    let mut seen = Seen::new();
    let verbose = std::env::var_os("DNSLENS_ORACLE_VERBOSE").is_some();
    let only = std::env::var("DNSLENS_ORACLE_ONLY").ok();
    let mut problems = Vec::new();
    let mut total_msgs = 0;
    let mut clean_msgs = 0;
    let mut clean_files = 0;
    let mut explained_files = 0;
    let mut n_files = 0;
    println!("{label}: dnslens against tshark, field by field");
    println!(
        "{:<64} {:>6} {:>6} {:>6} {:>6} {:>6}  differences by field (e: explained)",
        "file", "tshark", "ours", "agree", "diffs", "expl."
    );
    for (name, capture, oracle, mode) in files {
        if only.as_ref().is_some_and(|o| !name.contains(o.as_str())) {
            continue;
        }
        n_files += 1;
        let mut r = match compare_file(&capture, &oracle, mode) {
            Ok(r) => r,
            Err(e) => {
                println!("{name:<64} ERROR {e}");
                problems.push(format!("{name}: {e}"));
                continue;
            }
        };
        r.name = name.clone();
        let explained: Vec<&Explained> = EXPLAINED.iter().filter(|e| e.file == name).collect();
        // Why a difference is expected: a rule, or an entry of EXPLAINED.
        let why = |d: &Diff| -> Option<&'static str> {
            d.4.or_else(|| {
                explained
                    .iter()
                    .find(|e| e.fields.contains(&d.1.as_str()) && e.frames.contains(&d.0))
                    .map(|e| e.why)
            })
        };
        let mut by_field: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        let mut by_reason: BTreeMap<&str, usize> = BTreeMap::new();
        let mut unexplained = 0;
        for d in &r.diffs {
            let e = by_field.entry(d.1.as_str()).or_default();
            match why(d) {
                Some(w) => {
                    e.1 += 1;
                    *by_reason.entry(w).or_default() += 1;
                }
                None => {
                    e.0 += 1;
                    unexplained += 1;
                }
            }
        }
        // Messages with no difference at all, explained or not.
        let frames_with_diffs: std::collections::BTreeSet<u64> =
            r.diffs.iter().map(|d| d.0).collect();
        let agreeing = r
            .their_frames
            .iter()
            .filter(|f| !frames_with_diffs.contains(f))
            .count();
        total_msgs += r.theirs;
        clean_msgs += agreeing;
        if r.diffs.is_empty() {
            clean_files += 1;
        }
        if unexplained == 0 {
            explained_files += 1;
        }
        let summary: Vec<String> = by_field
            .iter()
            .map(|(f, (u, e))| match (u, e) {
                (0, e) => format!("{f}:{e}e"),
                (u, 0) => format!("{f}:{u}"),
                (u, e) => format!("{f}:{u}+{e}e"),
            })
            .collect();
        let explained_n = r.diffs.len() - unexplained;
        println!(
            "{:<64} {:>6} {:>6} {:>6} {:>6} {:>6}  {}{}",
            r.name,
            r.theirs,
            r.ours,
            agreeing,
            unexplained,
            explained_n,
            summary.join(" "),
            if unexplained > 0 { "  <--" } else { "" }
        );
        for (w, n) in &by_reason {
            println!("    explained ({w}): {n}");
        }
        let mut shown = 0;
        for d in &r.diffs {
            if why(d).is_some() && !verbose {
                continue;
            }
            if verbose || shown < 5 {
                println!(
                    "    frame {:>5} {:<24} tshark {:?}\n    {:>11} {:<24} ours   {:?}{}",
                    d.0,
                    d.1,
                    d.2,
                    "",
                    "",
                    d.3,
                    why(d).map(|w| format!("  [{w}]")).unwrap_or_default()
                );
                shown += 1;
            }
        }
        seen.insert(name.clone(), (r.ours, unexplained));
        if unexplained > 0 {
            problems.push(format!("{name}: {unexplained} unexplained differences"));
        }
        for e in &explained {
            let stale: Vec<u64> = e
                .frames
                .iter()
                .filter(|f| {
                    !r.diffs
                        .iter()
                        .any(|d| d.0 == **f && e.fields.contains(&d.1.as_str()) && d.4.is_none())
                })
                .copied()
                .collect();
            if !stale.is_empty() {
                problems.push(format!(
                    "{name}: EXPLAINED lists frames {stale:?} for {:?} ({}), but they no longer differ: update EXPLAINED",
                    e.fields, e.why
                ));
            }
        }
    }
    println!(
        "{label}: {clean_files} of {n_files} files agree with tshark on every field of every message, \
         {explained_files} with no unexplained difference; \
         {clean_msgs} of {total_msgs} tshark messages agree on every field"
    );
    (problems, seen)
}

/// Each kind of input issue 3 lists, and a real capture of the corpus that
/// shows it. The corpus test fails if one of them is gone, yields no DNS or
/// differs from tshark unexplained. (The samples cover SLL2 from `-i any`, TCP,
/// IPv4 and IPv6 fragments and ICMP errors without the corpus, and
/// `samples/tunnels.pcap`, `qinq.pcap`, `vlan3.pcap`, `loop.pcap` and
/// `wlan.pcap`, tested in `tests/cli/tunnels.rs`, cover Geneve, VXLAN, GRE
/// carrying Ethernet and IPv4, IP-in-IP, two VLAN tags (0x88A8 then 0x8100),
/// three (0x9100 first), OpenBSD LOOP (108) and plain 802.11 (105); the last
/// two carry real traffic behind a link header the sample script writes, as
/// no machine here writes those link types.)
const COVERAGE: &[(&str, &str)] = &[
    ("Ethernet", "zeek__dns-caa.pcap"),
    ("Ethernet + 802.1Q VLAN", "dnscap__vlan11.pcap"),
    ("Linux cooked SLL (113)", "PcapPlusPlus__sll.pcap"),
    ("Linux cooked SLL2 (276)", "dnscap__sll2.pcap"),
    ("raw IP (101)", "PcapPlusPlus__raw_ip.pcap"),
    ("raw IPv4 (228)", "PcapPlusPlus__linktype_ipv4.pcap"),
    ("raw IPv6 (229)", "tcpdump__LINKTYPE_IPV6.pcap"),
    ("BSD NULL (0)", "zeek__dns-svcb.pcap"),
    (
        "pcapng, interfaces of link types 1, 0 and 12",
        "PcapPlusPlus__many_interfaces-1.pcapng",
    ),
    ("PPPoE", "dpkt__nb6-http.pcap"),
    ("NFLOG (239)", "PcapPlusPlus__nflogPacket.pcap"),
    ("PKTAP (258)", "tcpdump__LINKTYPE_PKTAP.pcap"),
    ("802.11 with radiotap (127)", "zeek__radiotap.pcap"),
    ("GRE (PPTP, PPP inside)", "zeek__gre-pptp.pcap"),
    ("VXLAN", "zeek__vxlan-triple-v2.pcap"),
    ("GTP-U, IPv6 in IPv4", "arkime__ipv6-gtp6.pcap"),
    (
        "UDP 53, IPv4 and IPv6",
        "SAE_identifier-by-TensorFlow__dns.pcap",
    ),
    ("TCP 53", "tcpdump__dns_tcp.pcap"),
    (
        "TCP: several messages in one segment",
        "dnscap__dnsotcp-many1pkt.pcap",
    ),
    (
        "TCP: one message over several segments",
        "packets__dns_axfr.pcapng",
    ),
    (
        "TCP: capture starts mid-connection",
        "dnscap__1qtcpnosyn.pcap",
    ),
    (
        "TCP: a gap, then resynchronised",
        "dnscap__dnso1tcp-bighole.pcap",
    ),
    (
        "TCP: a segment missing mid-stream",
        "dnscap__dnso1tcp-midmiss.pcap",
    ),
    (
        "TCP fast open (data on the SYN)",
        "go-dnscollector__dnsdump_tcp_fastopen.pcap",
    ),
    ("IPv4 fragments", "dnscap__frags.pcap"),
    (
        "IPv6 fragments",
        "go-dnscollector__dnsdump_ip6_fragmented+udp.pcap",
    ),
    ("mDNS (5353)", "zeek__mdns.pcap"),
    ("LLMNR (5355)", "suricata-verify__llmnr-udp__input.pcap"),
    ("DNS on UDP 8053 (heuristic)", "tcpdump__dns_udp_8053.pcap"),
    ("DNS on UDP 443 (heuristic)", "nDPI__avast_securedns.pcapng"),
    ("ICMP errors quoting DNS", "ipfixprobe__mixed.pcap"),
    ("gzip-compressed pcap", "dnscap__dns.pcap.gz"),
    ("big-endian pcap, gzip", "PacketQ__sample-bigendian.pcap.gz"),
    ("pcapng named .pcap", "packets__dns.pcap"),
    ("messages cut by the snaplen", "nDPI__badpackets.pcap"),
];

#[test]
fn samples_agree_with_tshark() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let mut files = Vec::new();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".tshark.tsv"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    assert!(
        !names.is_empty(),
        "no samples/*.tshark.tsv found in {dir:?}"
    );
    for tsv in names {
        let cap = tsv.trim_end_matches(".tshark.tsv").to_string();
        files.push((cap.clone(), dir.join(&cap), dir.join(&tsv), Mode::Tsv));
    }
    let (problems, _) = run_oracle(files, "samples");
    assert!(
        problems.is_empty(),
        "differences from tshark:\n{}",
        problems.join("\n")
    );
}

#[test]
fn corpus_agrees_with_tshark() {
    let Some(dir) = corpus_dir() else {
        println!("SKIP: oracle corpus test: corpus not found (../shared/corpus/public or /work/shared/corpus/public)");
        return;
    };
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !n.contains(".tshark.") && !n.starts_with('.'))
                .filter(|n| !n.ends_with(".md") && !n.ends_with(".tsv"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let files = names
        .into_iter()
        .map(|n| {
            let json = dir.join(format!("{n}.tshark.json"));
            (n.clone(), dir.join(&n), json, Mode::Json)
        })
        .collect();
    let (mut problems, seen) = run_oracle(files, "corpus");
    // Every kind of input the issue lists, on a real capture.
    println!("coverage: each input kind on a real capture");
    for (kind, file) in COVERAGE {
        let status = match seen.get(*file) {
            Some((n, 0)) if *n > 0 => format!("ok, {n} messages"),
            Some((n, u)) => format!("FAIL: {n} messages, {u} unexplained differences"),
            None => "FAIL: file not in the corpus".to_string(),
        };
        println!("  {kind:<52} {file:<56} {status}");
        if status.starts_with("FAIL") {
            problems.push(format!("coverage: {kind} ({file}): {status}"));
        }
    }
    assert!(
        problems.is_empty(),
        "differences from tshark:\n{}",
        problems.join("\n")
    );
}
