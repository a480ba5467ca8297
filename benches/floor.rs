//! The floor under `dnslens stats`: how fast can the least of its work go through a
//! capture on this machine? Each level is one pass over a classic pcap file, written
//! with `std` alone and none of dnslens's layers, doing a little more than the one
//! before:
//!
//! - `read`: `read(2)` into a 1 MiB buffer, nothing else (what `cat` does);
//! - `records`: and walk the pcap record headers;
//! - `headers`: and read Ethernet, IPv4/IPv6 and UDP to the DNS header (ID, QR) of
//!   every UDP frame to or from port 53 (TCP frames are counted and skipped);
//! - `pair`: and pair queries with responses in a hash table keyed on addresses,
//!   ports and ID, summing round-trip times;
//! - `walk`: and walk every question and record of each message: each name label by
//!   label (pointers followed, at most 64), each RDATA skipped by its length;
//! - `tables`: and keep the tables `stats` prints, in their plainest form: counts by
//!   transport, opcode, RCODE (header only), QTYPE, NODATA; query and NXDOMAIN names
//!   counted by a hash of the lowercased question name (no name kept, no collision
//!   check); answered transactions by server and by client; latency in log-scale
//!   buckets, overall, per server and per QTYPE; a query whose key is still open is a
//!   retransmission;
//! - `tables-x2`: `tables` on two threads, each reading the whole file and keeping
//!   the UDP messages of half the flows (split by a symmetric hash of addresses and
//!   ports, so a query and its response fall in the same half).
//!
//! `stats` does all of `walk` and more: TCP reassembly, IP fragments, every RDATA
//! decoded, the retransmission, duplicate and timeout rules of pairing, and its
//! tables. So `walk`'s time is a floor for it on one core, and `tables-x2`'s a floor
//! for a two-core `stats` that does less than `stats` must. docs/benchmarks.md
//! compares the levels with `cat` and the issue-6 targets.
//!
//! `cargo bench --bench floor -- FILE` (default `target/bench/large.pcap`); each level
//! runs `REPEAT` times (default 5) and the fastest run is printed. `--level NAME` runs
//! that level only (`benches/bench.sh` times `tables-x2` beside the other tools).

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::fs::File;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::Read;
use std::time::Instant;

const CHUNK: usize = 1 << 20;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    Read,
    Records,
    Headers,
    Pair,
    Walk,
    Tables,
}

/// Each level, its name, and how many threads share the flows.
const LEVELS: [(Level, &str, u64); 7] = [
    (Level::Read, "read", 1),
    (Level::Records, "records", 1),
    (Level::Headers, "headers", 1),
    (Level::Pair, "pair", 1),
    (Level::Walk, "walk", 1),
    (Level::Tables, "tables", 1),
    (Level::Tables, "tables-x2", 2),
];

/// What a pass counted: the same at every repeat, printed so a level cannot be
/// optimised away and so the levels can be checked against each other.
#[derive(Default, Debug)]
struct Tally {
    bytes: u64,
    records: u64,
    dns: u64,
    tcp: u64,
    answered: u64,
    rtt_micros: u64,
    entries: u64,
    bad: u64,
    retransmissions: u64,
    /// Distinct query names, NXDOMAIN names, servers, clients (summed over the
    /// threads' tables).
    distinct: u64,
}

impl Tally {
    fn add(&mut self, o: &Tally) {
        // Every thread reads the whole file: bytes and records once.
        self.bytes = self.bytes.max(o.bytes);
        self.records = self.records.max(o.records);
        self.dns += o.dns;
        self.tcp = self.tcp.max(o.tcp);
        self.answered += o.answered;
        self.rtt_micros += o.rtt_micros;
        self.entries += o.entries;
        self.bad += o.bad;
        self.retransmissions += o.retransmissions;
        self.distinct += o.distinct;
    }
}

type Map<K, V> = HashMap<K, V, BuildHasherDefault<WordHasher>>;

/// Log-scale latency buckets: four per power of two of microseconds.
struct Hist(Box<[u32; 256]>);

impl Default for Hist {
    fn default() -> Self {
        Hist(Box::new([0; 256]))
    }
}

impl Hist {
    fn add(&mut self, micros: u64) {
        let bucket = match micros {
            0..=3 => micros as usize,
            _ => {
                let log = 63 - micros.leading_zeros() as usize;
                log * 4 + ((micros >> (log - 2)) & 3) as usize
            }
        };
        self.0[bucket.min(255)] += 1;
    }
}

/// The `tables` level's tables.
#[derive(Default)]
struct Tables {
    transports: [u64; 2],
    opcodes: [u64; 16],
    rcodes: [u64; 16],
    no_data: u64,
    qtypes: Map<u16, u64>,
    names: Map<u64, u64>,
    nxdomain: Map<u64, u64>,
    servers: Map<([u8; 16], u64), u64>,
    clients: Map<[u8; 16], u64>,
    latency: Hist,
    latency_by_server: Map<([u8; 16], u64), Hist>,
    latency_by_qtype: Map<u16, Hist>,
}

/// A multiply-and-rotate hasher over the key's words (the key is fixed-size).
#[derive(Default)]
struct WordHasher(u64);

impl Hasher for WordHasher {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..b.len()].copy_from_slice(b);
            self.write_u64(u64::from_le_bytes(w));
        }
    }
    fn write_u64(&mut self, w: u64) {
        self.0 = (self.0 ^ w)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .rotate_left(29);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// Client address and port, server address and port, ID: IPv4 addresses are
/// stored in the last four bytes.
type Key = ([u8; 16], [u8; 16], u64);

fn be16(b: &[u8], at: usize) -> Option<usize> {
    Some(usize::from(u16::from_be_bytes(
        b.get(at..at + 2)?.try_into().ok()?,
    )))
}

/// The first question's name hashed lowercased, and its QTYPE (plain labels
/// only: a pointer or a bad length gives `None`).
fn question(msg: &[u8]) -> Option<(u64, u16)> {
    let mut h = WordHasher(0x243f_6a88_85a3_08d3);
    let mut at = 12;
    loop {
        let len = usize::from(*msg.get(at)?);
        if len == 0 {
            break;
        }
        if len > 63 {
            return None;
        }
        let label = msg.get(at..at + 1 + len)?;
        for chunk in label.chunks(8) {
            let mut w = [0u8; 8];
            for (o, &b) in w.iter_mut().zip(chunk) {
                *o = b | (u8::from(b.is_ascii_uppercase()) << 5);
            }
            h.write_u64(u64::from_le_bytes(w));
        }
        at += 1 + len;
    }
    let qtype = be16(msg, at + 1)? as u16;
    Some((h.finish(), qtype))
}

/// Walks a name from `at`; returns where the name ends in place.
fn skip_name(msg: &[u8], mut at: usize) -> Option<usize> {
    let mut end = None;
    for _ in 0..64 {
        let len = *msg.get(at)?;
        match len {
            0 => return Some(end.unwrap_or(at + 1)),
            1..=63 => at += 1 + usize::from(len),
            0xC0..=0xFF => {
                end.get_or_insert(at + 2);
                at = be16(msg, at)? & 0x3FFF;
            }
            _ => return None,
        }
    }
    None
}

/// Walks the questions and records; returns how many.
fn walk(msg: &[u8]) -> Option<u64> {
    let qd = be16(msg, 4)?;
    let rr = be16(msg, 6)? + be16(msg, 8)? + be16(msg, 10)?;
    let mut at = 12;
    for _ in 0..qd {
        at = skip_name(msg, at)? + 4;
    }
    for _ in 0..rr {
        at = skip_name(msg, at)? + 8;
        at += 2 + be16(msg, at)?;
    }
    (at <= msg.len()).then_some((qd + rr) as u64)
}

struct Pass {
    level: Level,
    /// `(k, n)`: keep the flows of share `k` of `n` (`(0, 1)`: all).
    share: (u64, u64),
    tally: Tally,
    /// Open queries: time and QTYPE.
    open: Map<Key, (u64, u16)>,
    tables: Tables,
}

impl Pass {
    /// One pcap record: `frame` is the captured bytes, `micros` the time.
    fn record(&mut self, frame: &[u8], micros: u64) {
        self.tally.records += 1;
        if self.level < Level::Headers {
            return;
        }
        // Ethernet without tags, then IPv4 (any header length) or IPv6 (no extension headers).
        let Some(ethertype) = be16(frame, 12) else {
            return;
        };
        let ip = &frame[14.min(frame.len())..];
        let (src, dst, proto, l4) = match ethertype {
            0x0800 if ip.len() >= 20 => {
                let mut s = [0u8; 16];
                let mut d = [0u8; 16];
                s[12..].copy_from_slice(&ip[12..16]);
                d[12..].copy_from_slice(&ip[16..20]);
                (
                    s,
                    d,
                    ip[9],
                    ip.get(usize::from(ip[0] & 15) * 4..).unwrap_or_default(),
                )
            }
            0x86DD if ip.len() >= 40 => {
                let s: [u8; 16] = ip[8..24].try_into().unwrap_or_default();
                let d: [u8; 16] = ip[24..40].try_into().unwrap_or_default();
                (s, d, ip[6], &ip[40..])
            }
            _ => return,
        };
        if proto == 6 {
            self.tally.tcp += 1;
            return;
        }
        if proto != 17 || l4.len() < 8 + 12 {
            return;
        }
        let (Some(sport), Some(dport)) = (be16(l4, 0), be16(l4, 2)) else {
            return;
        };
        if sport != 53 && dport != 53 {
            return;
        }
        if self.share.1 > 1 {
            // Symmetric in the two ends: a query and its response share a half.
            let mut h = WordHasher(0);
            let a = u128::from_le_bytes(src) ^ u128::from_le_bytes(dst);
            h.write_u64((a ^ (a >> 64)) as u64 ^ (sport ^ dport) as u64);
            if (h.finish() >> 40) % self.share.1 != self.share.0 {
                return;
            }
        }
        let msg = &l4[8..];
        self.tally.dns += 1;
        let id = u64::from(u16::from_be_bytes([msg[0], msg[1]]));
        let response = msg[2] & 0x80 != 0;
        // A response's name is needed only for the NXDOMAIN table (below).
        let q = if self.level >= Level::Tables && !response {
            question(msg)
        } else {
            None
        };
        if self.level >= Level::Pair {
            let ports = |c: usize, s: usize| (c as u64) << 32 | (s as u64) << 16 | id;
            if response {
                let server = sport as u64;
                if let Some((sent, qtype)) = self.open.remove(&(dst, src, ports(dport, sport))) {
                    let rtt = micros.saturating_sub(sent);
                    self.tally.answered += 1;
                    self.tally.rtt_micros += rtt;
                    if self.level >= Level::Tables {
                        let t = &mut self.tables;
                        *t.servers.entry((src, server)).or_default() += 1;
                        *t.clients.entry(dst).or_default() += 1;
                        t.latency.add(rtt);
                        t.latency_by_server
                            .entry((src, server))
                            .or_default()
                            .add(rtt);
                        t.latency_by_qtype.entry(qtype).or_default().add(rtt);
                    }
                }
            } else if self.level >= Level::Tables {
                let qtype = q.map_or(0, |q| q.1);
                match self.open.entry((src, dst, ports(sport, dport))) {
                    Entry::Occupied(_) => self.tally.retransmissions += 1,
                    Entry::Vacant(v) => {
                        v.insert((micros, qtype));
                    }
                }
            } else {
                self.open
                    .insert((src, dst, ports(sport, dport)), (micros, 0));
            }
        }
        if self.level >= Level::Walk {
            match walk(msg) {
                Some(n) => self.tally.entries += n,
                None => self.tally.bad += 1,
            }
        }
        if self.level >= Level::Tables {
            let t = &mut self.tables;
            t.transports[usize::from(ethertype == 0x86DD)] += 1;
            t.opcodes[usize::from(msg[2] >> 3 & 15)] += 1;
            if response {
                let rcode = msg[3] & 15;
                t.rcodes[usize::from(rcode)] += 1;
                if rcode == 3 {
                    if let Some((name, _)) = question(msg) {
                        *t.nxdomain.entry(name).or_default() += 1;
                    }
                } else if rcode == 0 && msg[6..8] == [0, 0] {
                    t.no_data += 1;
                }
            } else if let Some((name, qtype)) = q {
                *t.qtypes.entry(qtype).or_default() += 1;
                *t.names.entry(name).or_default() += 1;
            }
        }
    }
}

/// One pass of `level` over the file; the capture must be classic pcap in
/// microseconds, little-endian (what tcpdump writes here).
fn pass(path: &str, level: Level, share: (u64, u64)) -> std::io::Result<Tally> {
    let mut file = File::open(path)?;
    let mut buf = vec![0u8; CHUNK];
    let mut p = Pass {
        level,
        share,
        tally: Tally::default(),
        open: HashMap::default(),
        tables: Tables::default(),
    };
    // `buf[start..end]` is read and not yet taken.
    let (mut start, mut end) = (0, 0);
    let mut header_left = 24;
    loop {
        let n = file.read(&mut buf[end..])?;
        p.tally.bytes += n as u64;
        end += n;
        if level >= Level::Records {
            let skip = header_left.min(end - start);
            start += skip;
            header_left -= skip;
            // Only what was read: past `end` the buffer holds an earlier chunk.
            let data = &buf[..end];
            while let Some(caplen) = data
                .get(start + 8..start + 12)
                .map(|b| u32::from_le_bytes(b.try_into().unwrap_or_default()) as usize)
            {
                let Some(frame) = data.get(start + 16..start + 16 + caplen) else {
                    break;
                };
                let secs = u64::from(u32::from_le_bytes(
                    data[start..start + 4].try_into().unwrap_or_default(),
                ));
                let usecs = u64::from(u32::from_le_bytes(
                    data[start + 4..start + 8].try_into().unwrap_or_default(),
                ));
                p.record(frame, secs * 1_000_000 + usecs);
                start += 16 + caplen;
            }
        } else {
            start = end;
        }
        if n == 0 {
            let t = &p.tables;
            p.tally.distinct = (t.names.len() + t.nxdomain.len()) as u64
                + (t.servers.len() + t.clients.len()) as u64;
            return Ok(p.tally);
        }
        // Keep the partial record at the front (a record larger than the buffer
        // would stop the walk: none is, in a capture of DNS).
        buf.copy_within(start..end, 0);
        end -= start;
        start = 0;
    }
}

fn main() {
    let mut path = None;
    let mut only = None;
    // `cargo bench` passes `--bench`; anything else starting with `-` is ignored too.
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--level" {
            only = args.next();
        } else if !a.starts_with('-') {
            path.get_or_insert(a);
        }
    }
    let path = path.unwrap_or_else(|| "target/bench/large.pcap".into());
    if let Some(name) = &only {
        if !LEVELS.iter().any(|l| l.1 == name) {
            eprintln!(
                "floor: no level {name}; the levels: {:?}",
                LEVELS.map(|l| l.1)
            );
            std::process::exit(2);
        }
    }
    let repeat: usize = std::env::var("REPEAT")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    println!("floor of {path}, fastest of {repeat}:");
    for (level, name, threads) in LEVELS {
        if only.as_ref().is_some_and(|o| o != name) {
            continue;
        }
        let mut best = f64::MAX;
        let mut tally = Tally::default();
        for _ in 0..repeat {
            let t = Instant::now();
            let got: Vec<_> = std::thread::scope(|s| {
                let path = &path;
                let each: Vec<_> = (0..threads)
                    .map(|k| s.spawn(move || pass(path, level, (k, threads))))
                    .collect();
                each.into_iter()
                    .map(|h| h.join().expect("a floor pass panicked"))
                    .collect()
            });
            tally = Tally::default();
            for one in got {
                match one {
                    Ok(got) => tally.add(&got),
                    Err(e) => {
                        eprintln!("SKIP: {path}: {e}");
                        return;
                    }
                }
            }
            best = best.min(t.elapsed().as_secs_f64());
        }
        println!("{name:>8}: {best:.3} s  {tally:?}");
    }
}
