//! UDP (RFC 768): which datagrams carry DNS, and the UDP-based tunnels.
//!
//! A datagram is DNS when either port is 53 (DNS), 5353 (mDNS, RFC 6762),
//! 5355 (LLMNR, RFC 4795) or one of `Config::extra_ports`. Otherwise, VXLAN
//! (4789, RFC 7348), Geneve (6081, RFC 8926), GTP-U (2152, 3GPP TS 29.281)
//! and Teredo (3544, RFC 4380) are decapsulated, and when
//! `Config::heuristic` is on, any other payload
//! that [`looks_like_dns`] is accepted as DNS (tshark does the same by
//! default, which is how DNS on 443 or 8053 shows up).

use std::net::IpAddr;

use super::link::{be16, ethertype};
use super::{Ctx, Decoder, DnsPayload, Out, PortKind, Transport, MAX_DEPTH};

/// UDP header length.
pub(crate) const HEADER_LEN: usize = 8;

pub(crate) const PORT_DNS: u16 = 53;
pub(crate) const PORT_MDNS: u16 = 5353;
pub(crate) const PORT_LLMNR: u16 = 5355;
const PORT_VXLAN: u16 = 4789;
const PORT_GENEVE: u16 = 6081;
const PORT_GTPU: u16 = 2152;
const PORT_TEREDO: u16 = 3544;
/// The UDP ports of the tunnels we decapsulate.
const TUNNEL_PORTS: [u16; 4] = [PORT_VXLAN, PORT_GENEVE, PORT_GTPU, PORT_TEREDO];
/// NetBIOS name service: DNS-shaped messages that are not DNS (RFC 1002).
const PORT_NBNS: u16 = 137;

/// Classifies a port pair for UDP.
pub(crate) fn port_kind(sport: u16, dport: u16, extra: &[u16]) -> Option<PortKind> {
    let either = |p: u16| sport == p || dport == p;
    if either(PORT_DNS) {
        Some(PortKind::Dns53)
    } else if either(PORT_MDNS) {
        Some(PortKind::Mdns)
    } else if either(PORT_LLMNR) {
        Some(PortKind::Llmnr)
    } else if extra.iter().any(|&p| either(p)) {
        Some(PortKind::UserPort)
    } else {
        None
    }
}

/// Classifies a port pair for TCP: 53, 5353 (tshark decodes DNS there too)
/// and the extra ports. LLMNR over TCP is not decoded (as tshark).
pub(crate) fn tcp_port_kind(sport: u16, dport: u16, extra: &[u16]) -> Option<PortKind> {
    let either = |p: u16| sport == p || dport == p;
    if either(PORT_DNS) {
        Some(PortKind::Dns53)
    } else if either(PORT_MDNS) {
        Some(PortKind::Mdns)
    } else if extra.iter().any(|&p| either(p)) {
        Some(PortKind::UserPort)
    } else {
        None
    }
}

/// Does `b` plausibly start a DNS message? Used for UDP on unknown ports.
///
/// Accepts only: 12+ bytes; opcode QUERY, IQUERY, STATUS, NOTIFY or UPDATE;
/// the Z bit clear; QDCOUNT 1 (or 0 in a response with RCODE != 0, and then
/// no records at all); each other count at most 64, and all of them able to
/// fit in the bytes present (a question takes 5+ bytes, a record 11+); and a
/// first question whose name walks cleanly (labels 1..=63, no pointer, at
/// most 255 octets) followed by a non-zero QTYPE and a known QCLASS.
pub fn looks_like_dns(b: &[u8]) -> bool {
    const MAX_COUNT: u16 = 64;
    if b.len() < 12 {
        return false;
    }
    let flags = u16::from_be_bytes([b[2], b[3]]);
    let qr = flags & 0x8000 != 0;
    let opcode = (flags >> 11) & 0xf;
    let z = flags & 0x0040 != 0;
    let rcode = flags & 0xf;
    if !matches!(opcode, 0 | 1 | 2 | 4 | 5) || z {
        return false;
    }
    let count = |i: usize| u16::from_be_bytes([b[i], b[i + 1]]);
    let (qd, an, ns, ar) = (count(4), count(6), count(8), count(10));
    if an > MAX_COUNT || ns > MAX_COUNT || ar > MAX_COUNT {
        return false;
    }
    if qd == 0 {
        return qr && rcode != 0 && an == 0 && ns == 0 && ar == 0;
    }
    if qd != 1 {
        return false;
    }
    if !qr && an != 0 && opcode == 0 {
        return false; // a standard query carries no answers
    }
    let records = usize::from(an) + usize::from(ns) + usize::from(ar);
    if 12 + 5 + records * 11 > b.len() {
        return false;
    }
    // Walk the first question name.
    let mut pos = 12usize;
    let mut name_len = 1usize;
    loop {
        let Some(&len) = b.get(pos) else {
            return false;
        };
        if len == 0 {
            pos += 1;
            break;
        }
        if len > 63 {
            return false; // pointer or reserved label type: never first
        }
        name_len += usize::from(len) + 1;
        if name_len > 255 {
            return false;
        }
        pos += usize::from(len) + 1;
    }
    let (Some(qtype), Some(qclass)) = (be16(b, pos), be16(b, pos + 2)) else {
        return false;
    };
    qtype != 0 && matches!(qclass & 0x7fff, 1 | 3 | 4 | 254 | 255)
}

impl Decoder {
    /// A UDP datagram (`b` starts at the UDP header). `ip_cut`: the IP layer
    /// saw fewer bytes than its length field claims.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn udp(
        &mut self,
        ctx: &Ctx<'_>,
        src: IpAddr,
        dst: IpAddr,
        b: &[u8],
        ip_cut: bool,
        depth: u8,
        out: &mut Out<'_>,
    ) {
        let (Some(sport), Some(dport), Some(ulen)) = (be16(b, 0), be16(b, 2), be16(b, 4)) else {
            if ip_cut || ctx.frame_cut {
                self.report(
                    ctx,
                    ctx.offset_of(b),
                    format!("UDP header cut by the capture ({} of 8 bytes)", b.len()),
                    out,
                );
            }
            return;
        };
        let avail = &b[HEADER_LEN.min(b.len())..];
        let ulen = usize::from(ulen);
        let (payload, cut) = if ulen == 0 {
            (avail, false) // jumbogram or offloaded checksum/length: trust the IP length
        } else if ulen < HEADER_LEN {
            self.report(
                ctx,
                ctx.offset_of(b).map(|o| o + 4),
                format!("UDP length {ulen} is shorter than the UDP header"),
                out,
            );
            return;
        } else if ulen - HEADER_LEN <= avail.len() {
            (&avail[..ulen - HEADER_LEN], false)
        } else if ip_cut || ctx.frame_cut {
            (avail, true)
        } else {
            if port_kind(sport, dport, &self.cfg.extra_ports).is_some() {
                self.report(
                    ctx,
                    ctx.offset_of(b).map(|o| o + 4),
                    format!(
                        "UDP length {ulen} exceeds the {} bytes the IP packet holds",
                        b.len()
                    ),
                    out,
                );
            }
            (avail, false)
        };
        let kind = match self.port_kind(sport, dport) {
            Some(k) => k,
            None => {
                if self.udp_tunnel(ctx, sport, dport, payload, depth, out) {
                    return;
                }
                if !self.cfg.heuristic
                    || sport == PORT_NBNS
                    || dport == PORT_NBNS
                    || !looks_like_dns(payload)
                {
                    return;
                }
                PortKind::Heuristic
            }
        };
        if cut && payload.len() < 4 {
            // Not even the ID and flags survived the snaplen: nothing to
            // decode (tshark does not count these frames as DNS either).
            self.report(
                ctx,
                ctx.offset_of(payload),
                format!(
                    "DNS message cut by the capture after {} bytes, before its ID and flags",
                    payload.len()
                ),
                out,
            );
            return;
        }
        let p = DnsPayload {
            src,
            dst,
            sport,
            dport,
            transport: Transport::Udp,
            payload,
            cut,
            frame: ctx.frame,
            ts: ctx.ts,
            port_kind: kind,
            offset_in_frame: ctx.offset_of(payload),
        };
        self.emit_dns(p, out);
    }

    /// VXLAN, Geneve, GTP-U and Teredo on their ports. Returns true when the
    /// datagram was a tunnel (whatever was inside).
    fn udp_tunnel(
        &mut self,
        ctx: &Ctx<'_>,
        sport: u16,
        dport: u16,
        b: &[u8],
        depth: u8,
        out: &mut Out<'_>,
    ) -> bool {
        let port = if TUNNEL_PORTS.contains(&dport) {
            dport
        } else if TUNNEL_PORTS.contains(&sport) {
            sport
        } else {
            return false;
        };
        if depth >= MAX_DEPTH {
            self.report(
                ctx,
                ctx.offset_of(b),
                format!("tunnels nested deeper than {MAX_DEPTH} levels, not followed"),
                out,
            );
            return true;
        }
        match port {
            PORT_VXLAN => {
                // flags (I bit 0x08), 3 reserved, VNI (3), reserved: then Ethernet.
                match b.get(8..) {
                    Some(inner) if b[0] & 0x08 != 0 => self.ethernet(ctx, inner, depth + 1, out),
                    _ => return false,
                }
            }
            PORT_GENEVE => {
                // ver(2) optlen(6) | O C rsvd | protocol type (2) | VNI (3) | rsvd, options.
                let (Some(&v), Some(ptype)) = (b.first(), be16(b, 2)) else {
                    return false;
                };
                if v >> 6 != 0 {
                    return false;
                }
                let hlen = 8 + usize::from(v & 0x3f) * 4;
                let Some(inner) = b.get(hlen..) else {
                    return false;
                };
                match ptype {
                    ethertype::IPV4 | ethertype::IPV6 => self.ip(ctx, inner, depth + 1, out),
                    _ => self.ether_type(ctx, ptype, inner, depth + 1, out),
                }
            }
            PORT_TEREDO => {
                let Some(inner) = teredo_payload(b, ctx.frame_cut) else {
                    return false; // not IPv6 inside: maybe DNS on port 3544
                };
                self.ip(ctx, inner, depth + 1, out);
            }
            _ => {
                let Some(inner) = gtpu_payload(b) else {
                    return false;
                };
                if let Some(v) = inner.first() {
                    if matches!(v >> 4, 4 | 6) {
                        self.ip(ctx, inner, depth + 1, out);
                    }
                }
            }
        }
        true
    }
}

/// The IPv6 packet inside a Teredo datagram (RFC 4380 §5.1.1), after an
/// optional authentication header (type 1: ID and value lengths, ID, value,
/// 8-byte nonce, confirmation byte) and an optional origin indication (type 0,
/// 8 bytes). `None` unless an IPv6 header follows whose payload length
/// matches the datagram (or overruns it when the capture cut the frame):
/// Wireshark's Teredo heuristic, so that DNS on port 3544 stays DNS.
fn teredo_payload(b: &[u8], cut: bool) -> Option<&[u8]> {
    let mut pos = 0usize;
    if be16(b, pos)? == 1 {
        pos = 13 + usize::from(*b.get(2)?) + usize::from(*b.get(3)?);
    }
    if be16(b, pos)? == 0 {
        pos += 8;
    }
    let ip = b.get(pos..)?;
    let total = 40 + usize::from(be16(ip, 4)?);
    let fits = total == ip.len() || (cut && total > ip.len());
    (ip.first()? >> 4 == 6 && fits).then_some(ip)
}

/// The T-PDU inside a GTP-U G-PDU message (3GPP TS 29.281 §5), if any.
fn gtpu_payload(b: &[u8]) -> Option<&[u8]> {
    let flags = *b.first()?;
    if flags >> 5 != 1 || flags & 0x10 == 0 || *b.get(1)? != 0xff {
        return None; // not GTPv1, not GTP (PT=0: GTP'), or not a G-PDU
    }
    let mut pos = 8usize;
    if flags & 0x07 != 0 {
        // sequence number (2), N-PDU number (1), next extension header type (1)
        let mut next = *b.get(11)?;
        pos = 12;
        let mut hops = 0;
        while next != 0 {
            hops += 1;
            if hops > 16 {
                return None;
            }
            let len = usize::from(*b.get(pos)?) * 4;
            if len == 0 {
                return None;
            }
            next = *b.get(pos + len - 1)?;
            pos += len;
        }
    }
    b.get(pos..)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heuristic_accepts_a_plain_query() {
        assert!(looks_like_dns(&QUERY));
    }

    #[test]
    fn heuristic_rejects_short_or_odd_headers() {
        assert!(!looks_like_dns(&QUERY[..11]));
        let mut q = QUERY;
        q[2] = 0x18; // opcode 3 (unassigned)
        assert!(!looks_like_dns(&q));
        let mut q = QUERY;
        q[3] = 0x40; // Z bit
        assert!(!looks_like_dns(&q));
        let mut q = QUERY;
        q[5] = 2; // QDCOUNT 2
        assert!(!looks_like_dns(&q));
        let mut q = QUERY;
        q[11] = 200; // ARCOUNT 200
        assert!(!looks_like_dns(&q));
        let mut q = QUERY;
        q[11] = 3; // 3 records cannot fit in 0 bytes left
        assert!(!looks_like_dns(&q));
    }

    #[test]
    fn heuristic_rejects_bad_names_and_classes() {
        let mut q = QUERY;
        q[12] = 0xc0; // pointer as the first label
        assert!(!looks_like_dns(&q));
        let mut q = QUERY;
        q[12] = 40; // label runs past the end
        assert!(!looks_like_dns(&q));
        let mut q = QUERY;
        q[28] = 7; // QCLASS 7
        assert!(!looks_like_dns(&q));
        let mut q = QUERY;
        q[26] = 0; // QTYPE 0
        assert!(!looks_like_dns(&q));
        assert!(!looks_like_dns(&QUERY[..27])); // QCLASS cut
        assert!(!looks_like_dns(&[0u8; 64])); // zeros: QDCOUNT 0 in a query
    }

    #[test]
    fn heuristic_accepts_error_response_without_question() {
        let mut r = [0u8; 12];
        r[2] = 0x80; // QR
        r[3] = 0x01; // FORMERR
        assert!(looks_like_dns(&r));
        r[3] = 0x00; // NOERROR and no question: not plausible
        assert!(!looks_like_dns(&r));
    }

    #[test]
    fn ports_are_classified_in_order() {
        assert_eq!(port_kind(53, 5353, &[]), Some(PortKind::Dns53));
        assert_eq!(port_kind(40000, 5353, &[]), Some(PortKind::Mdns));
        assert_eq!(port_kind(5355, 40000, &[]), Some(PortKind::Llmnr));
        assert_eq!(port_kind(8053, 40000, &[8053]), Some(PortKind::UserPort));
        assert_eq!(port_kind(8053, 40000, &[]), None);
        assert_eq!(tcp_port_kind(40000, 5355, &[]), None);
        assert_eq!(tcp_port_kind(5353, 1, &[]), Some(PortKind::Mdns));
    }

    use super::super::tests::{dns_of, run, Ev};
    use super::super::testutil::{ether, ipv4, ipv6, udp, QUERY};

    fn udp4() -> Vec<u8> {
        ipv4(17, &udp(40000, 53, &QUERY))
    }

    fn offsets(frame: Vec<u8>) -> Vec<Option<usize>> {
        dns_of(&run(&[(101, frame)]))
            .into_iter()
            .map(|d| d.2)
            .collect()
    }

    #[test]
    fn vxlan_is_decapsulated() {
        let mut v = vec![0x08, 0, 0, 0, 0, 0, 42, 0]; // I flag, VNI 42
        v.extend_from_slice(&ether(&[], 0x0800, &udp4()));
        assert_eq!(
            offsets(ipv4(17, &udp(50000, 4789, &v))),
            [Some(28 + 8 + 14 + 28)]
        );
    }

    #[test]
    fn geneve_with_options_is_decapsulated() {
        // ver 0, opt len 2 (8 bytes); protocol TEB; VNI; then 8 bytes of options
        let mut g = vec![0x02, 0, 0x65, 0x58, 0, 0, 7, 0];
        g.extend_from_slice(&[0; 8]);
        g.extend_from_slice(&ether(&[], 0x0800, &udp4()));
        assert_eq!(
            offsets(ipv4(17, &udp(50000, 6081, &g))),
            [Some(28 + 16 + 14 + 28)]
        );
        // Geneve carrying IPv6 directly.
        let mut g6 = vec![0x00, 0, 0x86, 0xdd, 0, 0, 7, 0];
        g6.extend_from_slice(&ipv6(17, &udp(40000, 53, &QUERY)));
        assert_eq!(
            offsets(ipv4(17, &udp(50000, 6081, &g6))),
            [Some(28 + 8 + 48)]
        );
    }

    #[test]
    fn gtpu_is_decapsulated() {
        let inner = udp4();
        let mut g = vec![0x30, 0xff];
        g.extend_from_slice(&(inner.len() as u16).to_be_bytes());
        g.extend_from_slice(&[0, 0, 0, 1]); // TEID
        g.extend_from_slice(&inner);
        assert_eq!(offsets(ipv4(17, &udp(2152, 2152, &g))), [Some(28 + 8 + 28)]);
    }

    #[test]
    fn udp_length_shorter_than_header_is_reported() {
        let mut d = udp(40000, 53, &QUERY);
        d[5] = 4; // UDP length 4
        let evs = run(&[(101, ipv4(17, &d))]);
        assert!(
            format!("{evs:?}").contains("shorter than the UDP header"),
            "{evs:?}"
        );
    }

    /// The Teredo datagram of an IPv6 DNS query, behind `headers`.
    fn teredo(headers: &[u8]) -> Vec<u8> {
        let inner = ipv6(17, &udp(40000, 53, &QUERY));
        ipv4(17, &udp(40000, PORT_TEREDO, &[headers, &inner].concat()))
    }

    #[test]
    fn teredo_is_decapsulated_with_or_without_its_headers() {
        assert_eq!(offsets(teredo(&[])), [Some(28 + 48)]);
        // Origin indication: type 0, port and address with every bit inverted.
        let origin = [0, 0, 0x63, 0xbf, 0x3f, 0xff, 0xfd, 0xd2];
        assert_eq!(offsets(teredo(&origin)), [Some(28 + 8 + 48)]);
        // Authentication (type 1, ID length 2, value length 1, ID, value, nonce,
        // confirmation), then an origin indication.
        let mut auth = vec![0, 1, 2, 1, 0xaa, 0xbb, 0xcc];
        auth.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8, 0]);
        auth.extend_from_slice(&origin);
        assert_eq!(offsets(teredo(&auth)), [Some(28 + 16 + 8 + 48)]);
    }

    #[test]
    fn dns_on_the_teredo_port_stays_dns() {
        // No IPv6 header after the Teredo headers: the DNS heuristic decides.
        let evs = run(&[(101, ipv4(17, &udp(PORT_TEREDO, 50000, &QUERY)))]);
        assert!(
            matches!(
                &evs[..],
                [Ev::Dns {
                    kind: PortKind::Heuristic,
                    offset: Some(28),
                    ..
                }]
            ),
            "{evs:?}"
        );
    }

    #[test]
    fn teredo_needs_an_ipv6_header_that_fits() {
        let inner = ipv6(17, &udp(40000, 53, &QUERY));
        assert_eq!(teredo_payload(&inner, false), Some(&inner[..]));
        // A capture cut the frame: the IPv6 length may overrun what is left.
        assert_eq!(teredo_payload(&inner[..50], true), Some(&inner[..50]));
        assert_eq!(teredo_payload(&inner[..50], false), None);
        let mut long = inner.clone();
        long.push(0); // one byte more than the IPv6 length says
        assert_eq!(teredo_payload(&long, false), None);
        let mut v4 = inner.clone();
        v4[0] = 0x45;
        assert_eq!(teredo_payload(&v4, false), None);
        // Headers cut short: an authentication header whose ID runs past the end,
        // an origin indication of 4 bytes, a lone type field.
        assert_eq!(teredo_payload(&[0, 1, 200, 0, 1, 2], false), None);
        assert_eq!(teredo_payload(&[0, 0, 1, 2], false), None);
        assert_eq!(teredo_payload(&[0], false), None);
    }

    #[test]
    fn gtpu_header_with_extensions_is_skipped() {
        // flags 0x34: version 1, PT, E; type 0xff; length; TEID
        let mut b = vec![0x34, 0xff, 0, 0, 0, 0, 0, 1];
        b.extend_from_slice(&[0, 0, 0, 0x85]); // seq, N-PDU, next ext = 0x85 (PDU session)
        b.extend_from_slice(&[1, 0x10, 0x09, 0x00]); // ext: len 1 (4 bytes), next 0
        b.extend_from_slice(&[0x45, 0]); // inner IPv4 begins
        assert_eq!(gtpu_payload(&b), Some(&[0x45, 0][..]));
        // Zero-length extension: rejected, not a loop.
        let bad = [0x34, 0xff, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0x85, 0, 0, 0, 0];
        assert_eq!(gtpu_payload(&bad), None);
        // GTP' (PT = 0) is not GTP-U.
        assert_eq!(gtpu_payload(&[0x20, 0xff, 0, 0, 0, 0, 0, 0]), None);
    }
}
