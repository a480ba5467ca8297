//! Helpers for the integration tests: run the binary, and build small captures
//! and DNS messages byte by byte.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dnslens"));
    cmd.env_remove("NO_COLOR").env("COLUMNS", "200");
    cmd
}

pub fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")
}

pub fn sample(name: &str) -> PathBuf {
    samples().join(name)
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let out: Output = bin().args(args).output().expect("run dnslens");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

/// Runs with `--format json` and parses the document. A leading subcommand
/// (`messages`, ...) stays first.
pub fn run_json<I, S>(args: I) -> (Run, serde_json::Value)
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let mut args: Vec<std::ffi::OsString> = args
        .into_iter()
        .map(|a| a.as_ref().to_os_string())
        .collect();
    let mut all: Vec<std::ffi::OsString> = Vec::new();
    if args
        .first()
        .is_some_and(|a| a == "messages" || a == "transactions")
    {
        all.push(args.remove(0));
    }
    all.extend(["--format".into(), "json".into()]);
    all.extend(args);
    let r = run(all);
    let v: serde_json::Value = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", r.stdout));
    (r, v)
}

/// A temporary directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        let n = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let p = std::env::temp_dir().join(format!("dnslens-test-{tag}-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&p).expect("mkdir");
        Self(p)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

// ---- DNS messages ---------------------------------------------------------

pub const A: u16 = 1;
pub const AAAA: u16 = 28;
pub const CNAME: u16 = 5;

/// Encodes a name without compression: "www.example.com" -> 3www7example3com0.
pub fn name(n: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for label in n.trim_end_matches('.').split('.').filter(|l| !l.is_empty()) {
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    out
}

pub fn header(id: u16, flags: u16, counts: [u16; 4]) -> Vec<u8> {
    let mut h = Vec::new();
    h.extend_from_slice(&id.to_be_bytes());
    h.extend_from_slice(&flags.to_be_bytes());
    for c in counts {
        h.extend_from_slice(&c.to_be_bytes());
    }
    h
}

/// A standard query with RD set.
pub fn query(id: u16, qname: &str, qtype: u16) -> Vec<u8> {
    let mut m = header(id, 0x0100, [1, 0, 0, 0]);
    m.extend(name(qname));
    m.extend_from_slice(&qtype.to_be_bytes());
    m.extend_from_slice(&1u16.to_be_bytes());
    m
}

/// A response (QR RD RA, `rcode`) with A answers, the owner compressed to the
/// question name (pointer 0xc00c).
pub fn response(id: u16, qname: &str, qtype: u16, rcode: u16, addrs: &[[u8; 4]]) -> Vec<u8> {
    let mut m = header(id, 0x8180 | rcode, [1, addrs.len() as u16, 0, 0]);
    m.extend(name(qname));
    m.extend_from_slice(&qtype.to_be_bytes());
    m.extend_from_slice(&1u16.to_be_bytes());
    for a in addrs {
        m.extend_from_slice(&[0xc0, 0x0c]);
        m.extend_from_slice(&A.to_be_bytes());
        m.extend_from_slice(&1u16.to_be_bytes());
        m.extend_from_slice(&300u32.to_be_bytes());
        m.extend_from_slice(&4u16.to_be_bytes());
        m.extend_from_slice(a);
    }
    m
}

// ---- Captures ---------------------------------------------------------------

pub const CLIENT: [u8; 4] = [10, 0, 0, 2];
pub const SERVER: [u8; 4] = [10, 0, 0, 53];

/// One UDP datagram in a capture.
pub struct Packet {
    pub secs: u32,
    pub micros: u32,
    pub src: [u8; 4],
    pub sport: u16,
    pub dst: [u8; 4],
    pub dport: u16,
    pub payload: Vec<u8>,
}

impl Packet {
    /// Client -> server:53 at `t` seconds.
    pub fn query_at(t: f64, payload: Vec<u8>) -> Self {
        Self::at(t, CLIENT, 40000, SERVER, 53, payload)
    }

    /// Server:53 -> client at `t` seconds.
    pub fn response_at(t: f64, payload: Vec<u8>) -> Self {
        Self::at(t, SERVER, 53, CLIENT, 40000, payload)
    }

    pub fn at(
        t: f64,
        src: [u8; 4],
        sport: u16,
        dst: [u8; 4],
        dport: u16,
        payload: Vec<u8>,
    ) -> Self {
        let base = 1_700_000_000u32;
        let secs = base + t.trunc() as u32;
        let micros = ((t.fract() * 1e6).round() as u32).min(999_999);
        Self {
            secs,
            micros,
            src,
            sport,
            dst,
            dport,
            payload,
        }
    }

    /// Ethernet II + IPv4 + UDP + payload.
    pub fn frame(&self) -> Vec<u8> {
        let mut f = Vec::new();
        f.extend_from_slice(&[0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00]);
        let udp_len = 8 + self.payload.len();
        let ip_len = 20 + udp_len;
        let mut ip = vec![
            0x45,
            0,
            (ip_len >> 8) as u8,
            ip_len as u8,
            0,
            1,
            0,
            0,
            64,
            17,
            0,
            0,
        ];
        ip.extend_from_slice(&self.src);
        ip.extend_from_slice(&self.dst);
        let sum = checksum(&ip);
        ip[10] = (sum >> 8) as u8;
        ip[11] = sum as u8;
        f.extend(ip);
        f.extend_from_slice(&self.sport.to_be_bytes());
        f.extend_from_slice(&self.dport.to_be_bytes());
        f.extend_from_slice(&(udp_len as u16).to_be_bytes());
        f.extend_from_slice(&[0, 0]); // no UDP checksum (allowed over IPv4)
        f.extend_from_slice(&self.payload);
        f
    }
}

fn checksum(bytes: &[u8]) -> u16 {
    let mut sum = 0u32;
    for pair in bytes.chunks(2) {
        let word = u32::from(pair[0]) << 8 | u32::from(*pair.get(1).unwrap_or(&0));
        sum += word;
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// A classic little-endian microsecond pcap with Ethernet frames.
pub fn pcap(packets: &[Packet]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&0i32.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&65535u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    for p in packets {
        let frame = p.frame();
        out.extend_from_slice(&p.secs.to_le_bytes());
        out.extend_from_slice(&p.micros.to_le_bytes());
        out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        out.extend(frame);
    }
    out
}

/// Writes a pcap of `packets` into `dir` and returns its path.
pub fn write_pcap(dir: &TempDir, name: &str, packets: &[Packet]) -> PathBuf {
    let path = dir.path(name);
    std::fs::write(&path, pcap(packets)).expect("write pcap");
    path
}

/// One row of a tshark `-T fields -E header=y` reading, by field name.
pub type TsharkRow = std::collections::HashMap<String, String>;

/// Reads a committed tshark reading (`X.tshark.tsv`): one map per row.
pub fn tshark_tsv(path: &Path) -> Vec<TsharkRow> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split('\t').collect();
    lines
        .map(|l| {
            header
                .iter()
                .zip(l.split('\t'))
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}
