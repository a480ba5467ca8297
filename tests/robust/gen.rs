//! Capture builders for the robustness tests and for
//! `examples/adversarial.rs`: classic pcap, raw IPv4 link type (101), UDP, TCP
//! segments and IPv4 fragments, streamed into any `Write` so that captures of
//! millions of packets never sit in memory. Only `std`.

use std::io::{self, Write};

pub const CLIENT: [u8; 4] = [10, 0, 0, 2];
pub const SERVER: [u8; 4] = [10, 0, 0, 53];
/// LINKTYPE_RAW: frames start with the IP header.
pub const LINKTYPE_RAW: u32 = 101;

pub struct PcapWriter<W: Write> {
    out: W,
    /// Microseconds since the first packet.
    pub now_us: u64,
    pub frames: u64,
}

impl<W: Write> PcapWriter<W> {
    pub fn new(mut out: W) -> io::Result<Self> {
        out.write_all(&0xa1b2_c3d4u32.to_le_bytes())?;
        out.write_all(&2u16.to_le_bytes())?;
        out.write_all(&4u16.to_le_bytes())?;
        out.write_all(&[0; 8])?;
        out.write_all(&262_144u32.to_le_bytes())?;
        out.write_all(&LINKTYPE_RAW.to_le_bytes())?;
        Ok(Self {
            out,
            now_us: 0,
            frames: 0,
        })
    }

    pub fn record(&mut self, frame: &[u8]) -> io::Result<()> {
        let t = 1_700_000_000u64 * 1_000_000 + self.now_us;
        self.out
            .write_all(&((t / 1_000_000) as u32).to_le_bytes())?;
        self.out
            .write_all(&((t % 1_000_000) as u32).to_le_bytes())?;
        self.out.write_all(&(frame.len() as u32).to_le_bytes())?;
        self.out.write_all(&(frame.len() as u32).to_le_bytes())?;
        self.out.write_all(frame)?;
        self.frames += 1;
        Ok(())
    }

    pub fn udp(
        &mut self,
        src: ([u8; 4], u16),
        dst: ([u8; 4], u16),
        payload: &[u8],
    ) -> io::Result<()> {
        let mut seg = Vec::with_capacity(8 + payload.len());
        seg.extend_from_slice(&src.1.to_be_bytes());
        seg.extend_from_slice(&dst.1.to_be_bytes());
        seg.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
        seg.extend_from_slice(&[0, 0]);
        seg.extend_from_slice(payload);
        let frame = ipv4(src.0, dst.0, 17, 1, 0, false, &seg);
        self.record(&frame)
    }

    /// One TCP segment (ACK|PSH, or SYN when `syn`), no options.
    pub fn tcp(
        &mut self,
        src: ([u8; 4], u16),
        dst: ([u8; 4], u16),
        seq: u32,
        syn: bool,
        payload: &[u8],
    ) -> io::Result<()> {
        let mut seg = Vec::with_capacity(20 + payload.len());
        seg.extend_from_slice(&src.1.to_be_bytes());
        seg.extend_from_slice(&dst.1.to_be_bytes());
        seg.extend_from_slice(&seq.to_be_bytes());
        seg.extend_from_slice(&1u32.to_be_bytes());
        seg.push(0x50);
        seg.push(if syn { 0x02 } else { 0x18 });
        seg.extend_from_slice(&[0xff, 0xff, 0, 0, 0, 0]);
        seg.extend_from_slice(payload);
        let frame = ipv4(src.0, dst.0, 6, 1, 0, false, &seg);
        self.record(&frame)
    }

    /// One IPv4 fragment of a UDP datagram: `offset` in bytes (multiple of 8).
    pub fn fragment(
        &mut self,
        src: [u8; 4],
        dst: [u8; 4],
        id: u16,
        offset: usize,
        more: bool,
        bytes: &[u8],
    ) -> io::Result<()> {
        let frame = ipv4(src, dst, 17, id, offset, more, bytes);
        self.record(&frame)
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}

fn checksum(bytes: &[u8]) -> u16 {
    let mut sum = 0u32;
    for pair in bytes.chunks(2) {
        sum += u32::from(pair[0]) << 8 | u32::from(*pair.get(1).unwrap_or(&0));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

pub fn ipv4(
    src: [u8; 4],
    dst: [u8; 4],
    proto: u8,
    id: u16,
    frag_offset: usize,
    more: bool,
    payload: &[u8],
) -> Vec<u8> {
    let total = 20 + payload.len();
    let frag = (frag_offset / 8) as u16 | if more { 0x2000 } else { 0 };
    let mut ip = vec![0x45, 0];
    ip.extend_from_slice(&(total as u16).to_be_bytes());
    ip.extend_from_slice(&id.to_be_bytes());
    ip.extend_from_slice(&frag.to_be_bytes());
    ip.extend_from_slice(&[64, proto, 0, 0]);
    ip.extend_from_slice(&src);
    ip.extend_from_slice(&dst);
    let sum = checksum(&ip);
    ip[10..12].copy_from_slice(&sum.to_be_bytes());
    ip.extend_from_slice(payload);
    ip
}

/// Encodes a dotted name without compression.
pub fn name(n: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for label in n.split('.').filter(|l| !l.is_empty()) {
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    out
}

/// A query for `qname` (raw wire name) type A, RD set.
pub fn query_wire(id: u16, qname_wire: &[u8]) -> Vec<u8> {
    let mut m = Vec::new();
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    m.extend_from_slice(qname_wire);
    m.extend_from_slice(&[0, 1, 0, 1]);
    m
}

pub fn query(id: u16, qname: &str) -> Vec<u8> {
    query_wire(id, &name(qname))
}

/// A response to [`query`] with one TXT answer carrying `txt` (split into
/// character-strings of at most 255 bytes).
pub fn txt_response(id: u16, qname: &str, txt: &[u8]) -> Vec<u8> {
    let mut m = Vec::new();
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&[0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]);
    m.extend_from_slice(&name(qname));
    m.extend_from_slice(&[0, 16, 0, 1]);
    m.extend_from_slice(&[0xc0, 0x0c, 0, 16, 0, 1, 0, 0, 0, 60]);
    let mut rdata = Vec::new();
    for chunk in txt.chunks(255) {
        rdata.push(chunk.len() as u8);
        rdata.extend_from_slice(chunk);
    }
    if txt.is_empty() {
        rdata.push(0);
    }
    m.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    m.extend_from_slice(&rdata);
    m
}
