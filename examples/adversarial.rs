//! Writes captures built to blow up dnslens's memory or time, for the peak
//! memory figures of docs/robustness.md:
//!
//! ```text
//! cargo run --release --example adversarial -- /tmp/adv
//! for f in /tmp/adv/*.pcap; do /usr/bin/time -v target/release/dnslens -q "$f" >/dev/null; done
//! ```
//!
//! Each file aims at one bound; `everything.pcap` hits them all at once.

#[path = "../tests/robust/gen.rs"]
#[allow(dead_code, unreachable_pub)]
mod gen;

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use gen::{PcapWriter, CLIENT, SERVER};

type W = PcapWriter<BufWriter<File>>;

fn open(dir: &Path, name: &str) -> io::Result<W> {
    PcapWriter::new(BufWriter::new(File::create(dir.join(name))?))
}

/// A 250-octet name unique to `i`.
fn long_name(i: u64) -> Vec<u8> {
    let mut n = Vec::new();
    let tag = format!("{i:016x}");
    n.push(16);
    n.extend_from_slice(tag.as_bytes());
    for _ in 0..3 {
        n.push(63);
        n.extend(std::iter::repeat_n(b'x', 63));
    }
    n.push(40);
    n.extend(std::iter::repeat_n(b'y', 40));
    n.push(0);
    n
}

/// Unanswered queries, all inside one 10 s window: the pairer's open
/// transactions (`txn::Config::max_open`, `max_open_bytes`).
fn txn_flood(w: &mut W, n: u64, step_us: u64) -> io::Result<()> {
    for i in 0..n {
        let client = [10, 1, (i >> 16) as u8, (i >> 8) as u8];
        let q = gen::query_wire(i as u16, &long_name(i));
        w.udp((client, 1024 + (i % 60000) as u16), (SERVER, 53), &q)?;
        w.now_us += step_us;
    }
    Ok(())
}

/// Queries that share client, ports and ID but ask different names: one
/// pairing key with a long chain of open transactions.
fn txn_same_key(w: &mut W, n: u64) -> io::Result<()> {
    for i in 0..n {
        let q = gen::query(0x4242, &format!("q{i}.example"));
        w.udp((CLIENT, 40000), (SERVER, 53), &q)?;
        w.now_us += 20;
    }
    Ok(())
}

/// TCP flows that announce a 65 535-byte message and never finish it, with
/// out-of-order data past a gap too: per-flow and total TCP buffers.
fn tcp_flood(w: &mut W, flows: u32) -> io::Result<()> {
    let chunk = vec![0x41u8; 1400];
    for f in 0..flows {
        let client = ([10, 2, (f >> 8) as u8, f as u8], 10000 + (f % 50000) as u16);
        let server = (SERVER, 53);
        w.tcp(client, server, 1000, true, &[])?;
        let mut seq = 1001u32;
        let mut first = vec![0xff, 0xff];
        first.extend_from_slice(&chunk);
        w.tcp(client, server, seq, false, &first)?;
        seq += first.len() as u32;
        for _ in 0..40 {
            w.tcp(client, server, seq, false, &chunk)?;
            seq += chunk.len() as u32;
        }
        // Past a gap: buffered out of order.
        for k in 0..40 {
            w.tcp(client, server, seq + 10_000 + k * 1400, false, &chunk)?;
        }
        w.now_us += 100;
    }
    Ok(())
}

/// IPv4 datagrams of nearly 64 KiB that never complete (the first fragment
/// never comes): the fragment pool.
fn frag_flood(w: &mut W, datagrams: u32) -> io::Result<()> {
    let piece = vec![0x42u8; 1480];
    for d in 0..datagrams {
        let src = [10, 3, (d >> 8) as u8, d as u8];
        let mut off = 1480;
        while off + 1480 <= 65_000 {
            w.fragment(src, SERVER, d as u16, off, true, &piece)?;
            off += 1480;
        }
        w.now_us += 100;
    }
    Ok(())
}

/// Records as large as the capture layer accepts (16 MiB) and one claiming
/// more, then normal traffic again.
fn big_records(w: &mut W) -> io::Result<()> {
    let big = vec![0u8; 16 * 1024 * 1024 - 16];
    for _ in 0..3 {
        w.record(&big)?;
        w.now_us += 1000;
    }
    Ok(())
}

fn main() -> io::Result<()> {
    let dir = PathBuf::from(std::env::args_os().nth(1).unwrap_or_else(|| "adv".into()));
    std::fs::create_dir_all(&dir)?;
    let scale: u64 = std::env::var("ADV_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);

    let mut w = open(&dir, "txn-flood.pcap")?;
    txn_flood(&mut w, 2_000_000 * scale, 4)?;
    w.into_inner().flush()?;

    let mut w = open(&dir, "txn-same-key.pcap")?;
    txn_same_key(&mut w, 200_000 * scale)?;
    w.into_inner().flush()?;

    let mut w = open(&dir, "tcp-flood.pcap")?;
    tcp_flood(&mut w, 4096 * scale as u32)?;
    w.into_inner().flush()?;

    let mut w = open(&dir, "frag-flood.pcap")?;
    frag_flood(&mut w, 2048 * scale as u32)?;
    w.into_inner().flush()?;

    let mut w = open(&dir, "big-records.pcap")?;
    big_records(&mut w)?;
    w.into_inner().flush()?;

    // All at once: every buffer filled before any is released.
    let mut w = open(&dir, "everything.pcap")?;
    big_records(&mut w)?;
    tcp_flood(&mut w, 4096)?;
    frag_flood(&mut w, 1024)?;
    txn_flood(&mut w, 1_000_000, 4)?;
    w.into_inner().flush()?;

    for e in std::fs::read_dir(&dir)? {
        let e = e?;
        println!("{} {} bytes", e.path().display(), e.metadata()?.len());
    }
    Ok(())
}
