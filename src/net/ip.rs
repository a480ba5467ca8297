//! IPv4 and IPv6 (RFC 791, RFC 8200), via etherparse's lax slicer, and the
//! protocols above them that are not UDP or TCP: ICMP/ICMPv6 errors quoting
//! DNS (RFC 792, RFC 4443), GRE (RFC 2784, RFC 2890, and PPTP's enhanced GRE,
//! RFC 2637 §4.1), IP-in-IP and 6in4 (protocols 4 and 41).
//!
//! Fragments go to our own bounded reassembly (`frag`); a completed datagram
//! re-enters the transport dispatch with the frame of its last fragment.

use std::net::IpAddr;

use etherparse::{Ipv6ExtensionSlice, LaxIpSlice};

use super::frag::{FragKey, FragResult};
use super::link::{be16, ethertype};
use super::{offset_in, Ctx, Decoder, NetEvent, Out, QuotedDns, MAX_DEPTH};

/// IP protocol numbers we follow.
pub(crate) mod proto {
    pub(crate) const HOPOPT: u8 = 0;
    pub(crate) const ICMP: u8 = 1;
    pub(crate) const IPIP: u8 = 4;
    pub(crate) const TCP: u8 = 6;
    pub(crate) const UDP: u8 = 17;
    pub(crate) const IPV6: u8 = 41;
    pub(crate) const ROUTING: u8 = 43;
    pub(crate) const GRE: u8 = 47;
    pub(crate) const ICMPV6: u8 = 58;
    pub(crate) const DSTOPTS: u8 = 60;
}

/// Fragment header fields, normalised over IPv4 and IPv6.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FragInfo {
    pub(crate) id: u32,
    /// Offset of this fragment's data in the datagram, in bytes.
    pub(crate) offset: usize,
    pub(crate) more: bool,
}

/// One IP packet's addressing and payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct IpPacket<'a> {
    pub(crate) src: IpAddr,
    pub(crate) dst: IpAddr,
    /// Protocol of `payload` (after IPv6 extension headers).
    pub(crate) proto: u8,
    /// The transport bytes, or the fragment's data when `frag` is set.
    pub(crate) payload: &'a [u8],
    /// The IP length field claims more bytes than the slice holds.
    pub(crate) incomplete: bool,
    /// Payload length according to the IP header (`payload.len()` unless cut).
    pub(crate) wire_len: usize,
    pub(crate) frag: Option<FragInfo>,
}

/// Parses an IPv4 or IPv6 packet (version from the first nibble).
pub(crate) fn parse(bytes: &[u8]) -> Result<IpPacket<'_>, String> {
    match plain(bytes) {
        Some(p) => Ok(p),
        None => parse_lax(bytes),
    }
}

/// [`parse`] through etherparse's lax slicer, for every packet.
fn parse_lax(bytes: &[u8]) -> Result<IpPacket<'_>, String> {
    let (ip, ext_err) = LaxIpSlice::from_slice(bytes).map_err(|e| e.to_string())?;
    match &ip {
        LaxIpSlice::Ipv4(v4) => {
            let h = v4.header();
            let p = v4.payload();
            let frag = h.is_fragmenting_payload().then(|| FragInfo {
                id: u32::from(h.identification()),
                offset: usize::from(h.fragments_offset().value()) * 8,
                more: h.more_fragments(),
            });
            if let Some((e, _)) = ext_err {
                // An AH header cut or malformed: no payload to trust.
                return Err(format!("IPv4 extension: {e}"));
            }
            let wire_len = match offset_in(bytes, p.payload) {
                Some(off) if p.incomplete => usize::from(h.total_len()).saturating_sub(off),
                _ => p.payload.len(),
            };
            Ok(IpPacket {
                src: IpAddr::V4(h.source_addr()),
                dst: IpAddr::V4(h.destination_addr()),
                proto: p.ip_number.0,
                payload: p.payload,
                incomplete: p.incomplete,
                wire_len: wire_len.max(p.payload.len()),
                frag,
            })
        }
        LaxIpSlice::Ipv6(v6) => {
            let h = v6.header();
            let p = v6.payload();
            let claimed_end = 40 + usize::from(h.payload_length());
            let wire_len = |data: &[u8]| match offset_in(bytes, data) {
                Some(off) if p.incomplete => claimed_end.saturating_sub(off).max(data.len()),
                _ => data.len(),
            };
            let src = IpAddr::V6(h.source_addr());
            let dst = IpAddr::V6(h.destination_addr());
            for ext in validated_v6_exts(v6.extensions()) {
                let Ipv6ExtensionSlice::Fragment(f) = ext else {
                    continue;
                };
                if !f.is_fragmenting_payload() {
                    continue; // an atomic fragment (RFC 6946): a whole datagram
                }
                // The fragmentable part starts right after the fragment
                // header, whatever etherparse parsed beyond it.
                let start = offset_in(bytes, f.slice()).map(|o| o + f.slice().len());
                let end = offset_in(bytes, p.payload).map(|o| o + p.payload.len());
                let data = match (start, end) {
                    (Some(s), Some(e)) if s <= e => bytes.get(s..e).unwrap_or(&[]),
                    (Some(s), _) => bytes.get(s..).unwrap_or(&[]),
                    _ => &[],
                };
                return Ok(IpPacket {
                    src,
                    dst,
                    proto: f.next_header().0,
                    payload: data,
                    incomplete: p.incomplete,
                    wire_len: wire_len(data),
                    frag: Some(FragInfo {
                        id: f.identification(),
                        offset: usize::from(f.fragment_offset().value()) * 8,
                        more: f.more_fragments(),
                    }),
                });
            }
            if let Some((e, _)) = ext_err {
                return Err(format!("IPv6 extension header: {e}"));
            }
            Ok(IpPacket {
                src,
                dst,
                proto: p.ip_number.0,
                payload: p.payload,
                incomplete: p.incomplete,
                wire_len: wire_len(p.payload),
                frag: None,
            })
        }
    }
}

/// The common packet read directly, as etherparse would read it: IPv4 without
/// options or AH, IPv6 with UDP or TCP right behind its header, whole in the
/// capture (the length field fits the bytes; link padding after it is left
/// out). None for anything else, which goes through etherparse's lax slicer.
/// (etherparse checks and converts each field apart: 12 % of the reading
/// thread's instructions went to slicing a plain header.)
#[inline(always)]
fn plain(bytes: &[u8]) -> Option<IpPacket<'_>> {
    const AH: u8 = 51;
    match *bytes.first()? {
        0x45 => {
            let header = bytes.get(..20)?;
            let total = usize::from(u16::from_be_bytes([header[2], header[3]]));
            let proto = header[9];
            if total < 20 || proto == AH {
                return None;
            }
            let payload = bytes.get(20..total)?;
            let flags_offset = u16::from_be_bytes([header[6], header[7]]);
            let (more, offset) = (flags_offset & 0x2000 != 0, flags_offset & 0x1fff);
            let addr = |at: usize| {
                IpAddr::from([header[at], header[at + 1], header[at + 2], header[at + 3]])
            };
            Some(IpPacket {
                src: addr(12),
                dst: addr(16),
                proto,
                payload,
                incomplete: false,
                wire_len: payload.len(),
                frag: (more || offset != 0).then(|| FragInfo {
                    id: u32::from(u16::from_be_bytes([header[4], header[5]])),
                    offset: usize::from(offset) * 8,
                    more,
                }),
            })
        }
        b if b >> 4 == 6 => {
            let header = bytes.get(..40)?;
            let len = usize::from(u16::from_be_bytes([header[4], header[5]]));
            let proto = header[6];
            // Length 0 is a jumbogram's (RFC 2675); other next headers may be
            // extension headers.
            if len == 0 || !matches!(proto, proto::UDP | proto::TCP) {
                return None;
            }
            let payload = bytes.get(40..40 + len)?;
            let addr = |at: usize| {
                let mut a = [0u8; 16];
                a.copy_from_slice(&header[at..at + 16]);
                IpAddr::from(a)
            };
            Some(IpPacket {
                src: addr(8),
                dst: addr(24),
                proto,
                payload,
                incomplete: false,
                wire_len: payload.len(),
                frag: None,
            })
        }
        _ => None,
    }
}

/// Skips IPv6 extension headers left at the start of a reassembled payload.
/// The IPv6 extension headers etherparse validated, and no further.
///
/// etherparse 0.21's `Ipv6ExtensionSliceIter` trusts the next-header field of
/// the last header it yields: when lax parsing stopped at a damaged extension
/// header, one more `next()` reads that header with `from_slice_unchecked`
/// past the end of the validated slice (out of bounds, undefined behaviour;
/// found by the `capture_file` fuzz target, issue 7). So stop once the yielded
/// headers cover the validated slice.
fn validated_v6_exts<'a>(
    exts: &etherparse::Ipv6ExtensionsSlice<'a>,
) -> impl Iterator<Item = Ipv6ExtensionSlice<'a>> {
    let total = exts.slice().len();
    let mut seen = 0usize;
    let mut iter = exts.clone().into_iter();
    std::iter::from_fn(move || {
        if seen >= total {
            return None;
        }
        let ext = iter.next()?;
        seen += match &ext {
            Ipv6ExtensionSlice::HopByHop(h)
            | Ipv6ExtensionSlice::Routing(h)
            | Ipv6ExtensionSlice::DestinationOptions(h) => h.slice().len(),
            Ipv6ExtensionSlice::Fragment(f) => f.slice().len(),
            Ipv6ExtensionSlice::Authentication(a) => a.slice().len(),
        }
        .max(1);
        Some(ext)
    })
}

fn skip_v6_exts(mut proto: u8, mut b: &[u8]) -> (u8, &[u8]) {
    for _ in 0..8 {
        match proto {
            proto::HOPOPT | proto::ROUTING | proto::DSTOPTS => {
                let (Some(&next), Some(&len)) = (b.first(), b.get(1)) else {
                    return (proto, b);
                };
                let n = (usize::from(len) + 1) * 8;
                match b.get(n..) {
                    Some(rest) => {
                        proto = next;
                        b = rest;
                    }
                    None => return (proto, b),
                }
            }
            _ => break,
        }
    }
    (proto, b)
}

/// ICMP error kinds, named as tshark and ping name them.
fn icmp4_kind(typ: u8, code: u8) -> Option<&'static str> {
    Some(match (typ, code) {
        (3, 0) => "network unreachable",
        (3, 1) => "host unreachable",
        (3, 2) => "protocol unreachable",
        (3, 3) => "port unreachable",
        (3, 4) => "fragmentation needed",
        (3, 9 | 10 | 13) => "administratively prohibited",
        (3, _) => "destination unreachable",
        (4, _) => "source quench",
        (5, _) => "redirect",
        (11, 0) => "TTL exceeded in transit",
        (11, _) => "fragment reassembly time exceeded",
        (12, _) => "parameter problem",
        _ => return None,
    })
}

fn icmp6_kind(typ: u8, code: u8) -> Option<&'static str> {
    Some(match (typ, code) {
        (1, 0) => "no route to destination",
        (1, 1) => "administratively prohibited",
        (1, 3) => "address unreachable",
        (1, 4) => "port unreachable",
        (1, _) => "destination unreachable",
        (2, _) => "packet too big",
        (3, 0) => "hop limit exceeded in transit",
        (3, _) => "fragment reassembly time exceeded",
        (4, _) => "parameter problem",
        _ => return None,
    })
}

impl Decoder {
    /// Decodes an IP packet at `bytes` (inside the frame or a decapsulated copy).
    pub(super) fn ip(&mut self, ctx: &Ctx<'_>, bytes: &[u8], depth: u8, out: &mut Out<'_>) {
        // `parse`, without moving the common packet through a `Result` too.
        let pkt = match plain(bytes) {
            Some(p) => p,
            None => match parse_lax(bytes) {
                Ok(p) => p,
                Err(e) => {
                    if !bytes.is_empty() {
                        self.report(ctx, ctx.offset_of(bytes), format!("IP: {e}"), out);
                    }
                    return;
                }
            },
        };
        let cut = pkt.incomplete;
        let Some(f) = pkt.frag else {
            self.transport(ctx, &pkt, depth, out);
            return;
        };
        self.stats.ip_fragments += 1;
        let key = FragKey::new(pkt.src, pkt.dst, pkt.proto, f.id);
        if cut && f.offset == 0 {
            // A first fragment cut by the capture cannot be reassembled;
            // like tshark, decode what it holds as a cut datagram.
            self.frags.forget(&key);
            self.transport(ctx, &pkt, depth, out);
            return;
        }
        if cut {
            self.report(
                ctx,
                ctx.offset_of(pkt.payload),
                format!(
                    "IP fragment (id {:#x}, offset {}) cut by the capture; its datagram cannot be reassembled",
                    f.id, f.offset
                ),
                out,
            );
            self.frags.forget(&key);
            return;
        }
        let result = self
            .frags
            .insert(key, ctx.ts, f.offset, f.more, pkt.payload);
        if let Some(msg) = self.frags.take_evicted() {
            // issue 7: over the bound, a diagnostic for the evicted datagram.
            self.stats.frag_dropped += 1;
            self.report(ctx, None, msg, out);
        }
        match result {
            FragResult::Pending => {}
            FragResult::Dropped(msg) => {
                self.stats.frag_dropped += 1;
                self.report(ctx, ctx.offset_of(pkt.payload), msg, out);
            }
            FragResult::Complete(buf) => {
                self.stats.reassembled += 1;
                let (proto, body) = if pkt.src.is_ipv6() {
                    skip_v6_exts(pkt.proto, &buf)
                } else {
                    (pkt.proto, &buf[..])
                };
                let whole = IpPacket {
                    proto,
                    payload: body,
                    incomplete: false,
                    wire_len: body.len(),
                    frag: None,
                    ..pkt
                };
                self.transport(ctx, &whole, depth, out);
                self.frags.recycle(buf);
            }
        }
    }

    /// Dispatches on the IP protocol number.
    pub(super) fn transport(
        &mut self,
        ctx: &Ctx<'_>,
        pkt: &IpPacket<'_>,
        depth: u8,
        out: &mut Out<'_>,
    ) {
        let (src, dst, payload) = (pkt.src, pkt.dst, pkt.payload);
        match pkt.proto {
            proto::UDP => self.udp(ctx, src, dst, payload, pkt.incomplete, depth, out),
            proto::TCP => self.tcp_segment(ctx, src, dst, payload, pkt.wire_len, out),
            proto::ICMP | proto::ICMPV6 => self.icmp(ctx, src, pkt.proto, payload, out),
            proto::IPIP | proto::IPV6 => self.nested_ip(ctx, payload, depth, out),
            proto::GRE => self.gre(ctx, payload, depth, out),
            _ => {}
        }
    }

    /// IP inside IP (protocol 4, 41) and inside tunnels: one level deeper.
    pub(super) fn nested_ip(&mut self, ctx: &Ctx<'_>, bytes: &[u8], depth: u8, out: &mut Out<'_>) {
        if depth >= MAX_DEPTH {
            self.report(
                ctx,
                ctx.offset_of(bytes),
                format!("tunnels nested deeper than {MAX_DEPTH} levels, not followed"),
                out,
            );
            return;
        }
        self.ip(ctx, bytes, depth + 1, out);
    }

    /// GRE (RFC 2784/2890) and PPTP's enhanced GRE (version 1).
    fn gre(&mut self, ctx: &Ctx<'_>, b: &[u8], depth: u8, out: &mut Out<'_>) {
        let (Some(flags), Some(ptype)) = (be16(b, 0), be16(b, 2)) else {
            return;
        };
        if depth >= MAX_DEPTH {
            self.report(
                ctx,
                ctx.offset_of(b),
                format!("tunnels nested deeper than {MAX_DEPTH} levels, not followed"),
                out,
            );
            return;
        }
        let version = flags & 7;
        let mut hlen = 4usize;
        match version {
            0 => {
                if flags & 0x8000 != 0 {
                    hlen += 4; // checksum + reserved
                }
                if flags & 0x2000 != 0 {
                    hlen += 4; // key
                }
                if flags & 0x1000 != 0 {
                    hlen += 4; // sequence number
                }
            }
            1 => {
                hlen += 4; // payload length + call id (key bit is always set)
                if flags & 0x1000 != 0 {
                    hlen += 4;
                }
                if flags & 0x0080 != 0 {
                    hlen += 4; // acknowledgment number
                }
            }
            _ => return,
        }
        let Some(inner) = b.get(hlen..) else {
            return;
        };
        if inner.is_empty() {
            return; // PPTP ack-only packet
        }
        match ptype {
            ethertype::IPV4 | ethertype::IPV6 => self.ip(ctx, inner, depth + 1, out),
            _ => self.ether_type(ctx, ptype, inner, depth + 1, out),
        }
    }

    /// ICMP/ICMPv6 errors: if the quoted packet is UDP to or from a DNS port,
    /// report it (tshark counts these frames as DNS).
    fn icmp(&mut self, ctx: &Ctx<'_>, reporter: IpAddr, proto: u8, b: &[u8], out: &mut Out<'_>) {
        let (Some(&typ), Some(&code)) = (b.first(), b.get(1)) else {
            return;
        };
        let kind = if proto == proto::ICMP {
            icmp4_kind(typ, code)
        } else {
            icmp6_kind(typ, code)
        };
        let (Some(kind), Some(quoted)) = (kind, b.get(8..)) else {
            return;
        };
        // The quote is cut by design: parse it laxly.
        let Ok(q) = parse(quoted) else {
            return;
        };
        if q.proto != proto::UDP || q.frag.is_some_and(|f| f.offset != 0) {
            return;
        }
        let (Some(sport), Some(dport)) = (be16(q.payload, 0), be16(q.payload, 2)) else {
            return;
        };
        if self.port_kind(sport, dport).is_none() {
            return;
        }
        let ulen = usize::from(be16(q.payload, 4).unwrap_or(0));
        let avail = q.payload.get(8..).unwrap_or(&[]);
        let dns = if ulen >= 8 {
            &avail[..avail.len().min(ulen - 8)]
        } else {
            avail
        };
        if dns.is_empty() {
            return; // only the UDP header quoted: nothing of DNS to show (as tshark)
        }
        self.found = true;
        self.stats.icmp_errors += 1;
        out(NetEvent::IcmpError {
            frame: ctx.frame,
            ts: ctx.ts,
            reporter,
            kind,
            quoted: QuotedDns {
                src: q.src,
                dst: q.dst,
                sport,
                dport,
                payload: dns,
            },
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{dns_of, run, Ev};
    use super::super::testutil::{ether, ipv4, ipv4_frag, ipv6, udp, QUERY};

    fn udp4() -> Vec<u8> {
        ipv4(17, &udp(40000, 53, &QUERY))
    }

    /// Every packet the direct reading takes is read as etherparse reads it:
    /// checked on real headers, each byte of them changed, and every cut.
    #[test]
    fn plain_headers_are_read_as_etherparse_reads_them() {
        let mut padded = udp4();
        padded.extend([0; 6]); // Ethernet padding after the datagram
        let mut frag = udp4();
        frag[6] = 0x20; // more fragments
        let mut tcp6 = ipv6(6, &[0; 20]);
        tcp6.push(0);
        let bases = [
            udp4(),
            padded,
            frag,
            ipv4_frag(17, 0x1234, 8, false, &[7; 16]),
            ipv4(6, &[0; 20]),
            ipv6(17, &udp(40000, 53, &QUERY)),
            tcp6,
            ipv6(58, &[1, 2, 3, 4]),
        ];
        let mut taken = 0;
        let mut check = |b: &[u8]| {
            if let Some(p) = super::plain(b) {
                taken += 1;
                assert_eq!(Ok(p), super::parse_lax(b), "{b:02x?}");
            }
        };
        for base in &bases {
            for cut in 0..=base.len() {
                check(&base[..cut]);
            }
            for at in 0..base.len().min(48) {
                for v in [
                    0u8, 1, 0x05, 0x06, 0x0f, 0x11, 0x20, 0x33, 0x40, 0x45, 0x46, 0x60, 0x7f, 0x80,
                    0xff,
                ] {
                    let mut b = base.clone();
                    b[at] = v;
                    check(&b);
                }
            }
        }
        assert!(taken > 500, "the direct reading took {taken}");
    }

    fn offsets(frames: &[(u32, Vec<u8>)]) -> Vec<(u64, Option<usize>)> {
        dns_of(&run(frames))
            .into_iter()
            .map(|d| (d.0, d.2))
            .collect()
    }

    #[test]
    fn ip_in_ip_and_6in4() {
        assert_eq!(offsets(&[(101, ipv4(4, &udp4()))]), [(1, Some(20 + 28))]);
        let inner6 = ipv6(17, &udp(40000, 53, &QUERY));
        assert_eq!(offsets(&[(101, ipv4(41, &inner6))]), [(1, Some(20 + 48))]);
        assert_eq!(offsets(&[(101, ipv6(4, &udp4()))]), [(1, Some(40 + 28))]);
    }

    #[test]
    fn gre_with_key_and_sequence() {
        // flags: K + S, version 0, protocol IPv4, key, sequence
        let mut g = vec![0x30, 0x00, 0x08, 0x00, 0, 0, 0, 7, 0, 0, 0, 1];
        g.extend_from_slice(&udp4());
        assert_eq!(offsets(&[(101, ipv4(47, &g))]), [(1, Some(20 + 12 + 28))]);
        // Transparent Ethernet bridging inside GRE.
        let mut t = vec![0x00, 0x00, 0x65, 0x58];
        t.extend_from_slice(&ether(&[], 0x0800, &udp4()));
        assert_eq!(
            offsets(&[(101, ipv4(47, &t))]),
            [(1, Some(20 + 4 + 14 + 28))]
        );
    }

    #[test]
    fn pptp_enhanced_gre_with_ppp() {
        // flags: K + S, version 1; protocol PPP; payload length, call id; sequence
        let mut g = vec![0x30, 0x01, 0x88, 0x0b, 0, 0, 0, 1, 0, 0, 0, 5];
        g.extend_from_slice(&[0xff, 0x03, 0x00, 0x21]);
        g.extend_from_slice(&udp4());
        assert_eq!(
            offsets(&[(101, ipv4(47, &g))]),
            [(1, Some(20 + 12 + 4 + 28))]
        );
    }

    #[test]
    fn tunnel_nesting_is_bounded() {
        let mut p = udp4();
        for _ in 0..6 {
            p = ipv4(4, &p);
        }
        let evs = run(&[(101, p)]);
        assert!(dns_of(&evs).is_empty());
        assert!(
            evs.iter()
                .any(|e| matches!(e, Ev::Diag(1, m) if m.contains("deeper"))),
            "{evs:?}"
        );
    }

    #[test]
    fn ipv4_fragments_reassemble_at_the_last_frame() {
        let dgram = udp(53, 40000, &QUERY); // 37 bytes of UDP
        let f1 = ipv4_frag(17, 0x77, 0, true, &dgram[..16]);
        let f2 = ipv4_frag(17, 0x77, 2, false, &dgram[16..]); // offset 16 bytes = 2 units
        let other = ipv4(17, &udp(123, 123, &[0; 48]));
        let evs = run(&[(101, f1), (101, other), (101, f2)]);
        let d = dns_of(&evs);
        assert_eq!(d.len(), 1, "{evs:?}");
        assert_eq!(d[0].0, 3);
        assert_eq!(d[0].1, QUERY);
        assert_eq!(d[0].2, None);
    }

    #[test]
    fn ipv6_fragments_reassemble() {
        let dgram = udp(53, 40000, &QUERY);
        let frag = |off8: u16, more: bool, data: &[u8]| {
            // Fragment header: next = UDP, reserved, offset/flags, identification
            let mut h = vec![17, 0];
            h.extend_from_slice(&((off8 << 3) | u16::from(more)).to_be_bytes());
            h.extend_from_slice(&0xabcdu32.to_be_bytes());
            h.extend_from_slice(data);
            ipv6(44, &h)
        };
        let evs = run(&[
            (101, frag(2, false, &dgram[16..])),
            (101, frag(0, true, &dgram[..16])),
        ]);
        let d = dns_of(&evs);
        assert_eq!(d.len(), 1, "{evs:?}");
        assert_eq!((d[0].0, &d[0].1[..]), (2, &QUERY[..]));
    }

    #[test]
    fn overlapping_fragments_are_reported_and_dropped() {
        let dgram = udp(53, 40000, &QUERY);
        let f1 = ipv4_frag(17, 9, 0, true, &dgram[..16]);
        let mut bad = dgram[8..].to_vec();
        bad[0] ^= 0xff; // differs from f1's bytes 8..16
        let f2 = ipv4_frag(17, 9, 1, false, &bad);
        let evs = run(&[(101, f1), (101, f2)]);
        assert!(dns_of(&evs).is_empty());
        assert!(
            evs.iter()
                .any(|e| matches!(e, Ev::Diag(2, m) if m.contains("overlap"))),
            "{evs:?}"
        );
    }

    #[test]
    fn incomplete_datagram_is_reported_at_the_end() {
        let dgram = udp(53, 40000, &QUERY);
        let evs = run(&[(101, ipv4_frag(17, 5, 0, true, &dgram[..16]))]);
        assert!(
            evs.iter()
                .any(|e| matches!(e, Ev::Diag(1, m) if m.contains("end of the capture"))),
            "{evs:?}"
        );
    }

    #[test]
    fn icmp_port_unreachable_quoting_dns() {
        // Router 192.0.2.1 quotes our query (IP header + UDP + first 4 DNS bytes).
        let quoted = ipv4(17, &udp(40000, 53, &QUERY));
        let mut icmp = vec![3, 3, 0, 0, 0, 0, 0, 0];
        icmp.extend_from_slice(&quoted[..20 + 8 + 4]);
        let evs = run(&[(101, ipv4(1, &icmp))]);
        assert_eq!(evs, [Ev::Icmp(1, "port unreachable", 40000, 53, 4)]);
        // Quoting only the UDP header: nothing of DNS, so not reported.
        let mut bare = vec![3, 3, 0, 0, 0, 0, 0, 0];
        bare.extend_from_slice(&quoted[..28]);
        assert_eq!(run(&[(101, ipv4(1, &bare))]), [Ev::NotDns(1)]);
        // An echo request is not an error.
        assert_eq!(
            run(&[(101, ipv4(1, &[8, 0, 0, 0, 0, 0, 0, 0]))]),
            [Ev::NotDns(1)]
        );
    }

    #[test]
    fn icmpv6_error_quoting_dns() {
        let quoted = ipv6(17, &udp(40000, 53, &QUERY));
        let mut icmp = vec![1, 4, 0, 0, 0, 0, 0, 0];
        icmp.extend_from_slice(&quoted);
        let evs = run(&[(101, ipv6(58, &icmp))]);
        assert_eq!(
            evs,
            [Ev::Icmp(1, "port unreachable", 40000, 53, QUERY.len())]
        );
    }
}
