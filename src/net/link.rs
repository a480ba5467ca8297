//! Link layers: from a frame to the network-layer bytes.
//!
//! Ethernet II (with up to three 802.1Q / 802.1ad / 0x9100 VLAN tags) goes
//! through etherparse's `LaxSlicedPacket`, which tolerates frames cut by the
//! snaplen. Everything etherparse does not know we strip here, in a few
//! checked lines each: BSD NULL and OpenBSD LOOP (4-byte address family),
//! Linux SLL (16 bytes) and SLL2 (20 bytes), PPP and PPPoE sessions, NFLOG
//! TLVs, Apple PKTAP, IEEE 802.11 data frames (LLC/SNAP) and radiotap, Cisco
//! HDLC, the BSD pflog and enc headers, Solaris ipnet, PPI, the Prism and AVS
//! 802.11 monitor headers, and MPLS label stacks (RFC 3032) wherever an ether
//! type can announce them.
//! Any other link type gets one diagnostic per decoder, naming it.

use etherparse::LaxSlicedPacket;

use super::{Ctx, Decoder, Out, MAX_DEPTH};

/// pcap link-type numbers (tcpdump.org/linktypes.html).
pub(crate) mod linktype {
    pub(crate) const NULL: u32 = 0;
    pub(crate) const ETHERNET: u32 = 1;
    pub(crate) const PPP: u32 = 9;
    pub(crate) const RAW_12: u32 = 12;
    pub(crate) const RAW_14: u32 = 14;
    pub(crate) const PPP_HDLC: u32 = 50;
    pub(crate) const RAW: u32 = 101;
    pub(crate) const C_HDLC: u32 = 104;
    pub(crate) const IEEE802_11: u32 = 105;
    pub(crate) const LOOP: u32 = 108;
    pub(crate) const ENC: u32 = 109;
    pub(crate) const LINUX_SLL: u32 = 113;
    pub(crate) const PFLOG: u32 = 117;
    pub(crate) const IEEE802_11_PRISM: u32 = 119;
    pub(crate) const IEEE802_11_RADIOTAP: u32 = 127;
    pub(crate) const IEEE802_11_AVS: u32 = 163;
    pub(crate) const PPI: u32 = 192;
    pub(crate) const IPNET: u32 = 226;
    pub(crate) const IPV4: u32 = 228;
    pub(crate) const IPV6: u32 = 229;
    pub(crate) const NFLOG: u32 = 239;
    pub(crate) const PKTAP: u32 = 258;
    pub(crate) const LINUX_SLL2: u32 = 276;
}

/// Ether types we follow.
pub(crate) mod ethertype {
    pub(crate) const IPV4: u16 = 0x0800;
    pub(crate) const IPV6: u16 = 0x86DD;
    pub(crate) const PPPOE_SESSION: u16 = 0x8864;
    pub(crate) const TEB: u16 = 0x6558; // transparent Ethernet bridging (GRE, Geneve)
    pub(crate) const PPP: u16 = 0x880B; // PPP in GRE (PPTP)
    pub(crate) const MPLS_UNICAST: u16 = 0x8847;
    pub(crate) const MPLS_MULTICAST: u16 = 0x8848;
}

/// Label stack entries we walk before giving up on an MPLS packet (real
/// stacks hold two to five).
const MAX_MPLS_LABELS: usize = 16;

/// First word of an AVS WLAN capture header, versions 1 and 2 (big-endian).
const AVS_MAGIC: [u32; 2] = [0x8021_1001, 0x8021_1002];

/// Prism monitor header message codes (little-endian), as Wireshark knows them.
const PRISM_MSGCODES: [u32; 2] = [0x44, 0x41];

/// Display name of a link type, for diagnostics.
pub(crate) fn link_name(link: u32) -> &'static str {
    match link {
        10 => "FDDI",
        6 => "IEEE802_5 (Token Ring)",
        7 => "ARCNET",
        8 => "SLIP",
        195 => "IEEE802_15_4",
        220 => "USB_LINUX_MMAPPED",
        _ => "unknown",
    }
}

/// Reads a big-endian u16 at `at`.
pub(crate) fn be16(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([s[0], s[1]]))
}

/// Reads a big-endian u32 at `at`.
pub(crate) fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

fn le16(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes([s[0], s[1]]))
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// Address families in NULL/LOOP headers: 2 is AF_INET everywhere; AF_INET6 is
/// 24 (NetBSD/OpenBSD), 28 (FreeBSD) or 30 (macOS), and 10 on Linux.
fn family_is_ip(f: u32) -> Option<bool> {
    match f {
        2 => Some(true),
        10 | 24 | 28 | 30 => Some(false),
        _ => None,
    }
}

/// What follows the BSD NULL header: the family is in the writer's byte
/// order, which the file does not tell us reliably, so we accept either.
fn null_family(b: &[u8]) -> Option<bool> {
    let le = le32(b, 0)?;
    let be = be32(b, 0)?;
    family_is_ip(le).or_else(|| family_is_ip(be))
}

impl Decoder {
    /// Decodes one link-layer frame (or a frame inside PKTAP).
    pub(super) fn link(
        &mut self,
        ctx: &Ctx<'_>,
        link: u32,
        data: &[u8],
        depth: u8,
        out: &mut Out<'_>,
    ) {
        if depth > MAX_DEPTH {
            self.report(
                ctx,
                ctx.offset_of(data),
                format!("encapsulation deeper than {MAX_DEPTH} levels, not followed"),
                out,
            );
            return;
        }
        use linktype::*;
        match link {
            ETHERNET => self.ethernet(ctx, data, depth, out),
            RAW | RAW_12 | RAW_14 | IPV4 | IPV6 => self.ip(ctx, data, depth, out),
            NULL => match (data.get(4..), null_family(data)) {
                (Some(rest), Some(_)) => self.ip(ctx, rest, depth, out),
                (Some(_), None) => {} // other families (e.g. AF_LINK): not DNS
                (None, _) => self.short(ctx, data, "BSD NULL", 4, out),
            },
            LOOP => match (data.get(4..), be32(data, 0).and_then(family_is_ip)) {
                (Some(rest), Some(_)) => self.ip(ctx, rest, depth, out),
                (Some(_), None) => {}
                (None, _) => self.short(ctx, data, "OpenBSD LOOP", 4, out),
            },
            LINUX_SLL => match (data.get(16..), be16(data, 14)) {
                (Some(rest), Some(proto)) => self.ether_type(ctx, proto, rest, depth, out),
                _ => self.short(ctx, data, "Linux SLL", 16, out),
            },
            LINUX_SLL2 => match (data.get(20..), be16(data, 0)) {
                (Some(rest), Some(proto)) => self.ether_type(ctx, proto, rest, depth, out),
                _ => self.short(ctx, data, "Linux SLL2", 20, out),
            },
            // Wireshark reads PPP frames that open with a Cisco HDLC address as Cisco HDLC.
            PPP | PPP_HDLC if matches!(data.first(), Some(0x0f | 0x8f)) => {
                self.chdlc(ctx, data, depth, out)
            }
            PPP | PPP_HDLC => self.ppp(ctx, data, depth, out),
            C_HDLC => self.chdlc(ctx, data, depth, out),
            PFLOG => self.pflog(ctx, data, depth, out),
            // OpenBSD enc(4): address family, SPI and flags, 4 bytes each, the
            // family in the writer's byte order (as in NULL).
            ENC => match (data.get(12..), null_family(data)) {
                (Some(rest), Some(_)) => self.ip(ctx, rest, depth, out),
                (Some(_), None) => {}
                (None, _) => self.short(ctx, data, "OpenBSD enc", 12, out),
            },
            // Solaris ipnet: version, family (2 AF_INET, 26 Solaris AF_INET6),
            // hook, length, interface and zone ids: 24 bytes, big-endian.
            IPNET => match (data.get(24..), data.get(1)) {
                (Some(rest), Some(2 | 26)) => self.ip(ctx, rest, depth, out),
                (Some(_), _) => {}
                (None, _) => self.short(ctx, data, "Solaris ipnet", 24, out),
            },
            PPI => self.ppi(ctx, data, depth, out),
            IEEE802_11_PRISM => self.prism(ctx, data, depth, out),
            IEEE802_11_AVS => self.avs(ctx, data, depth, out),
            NFLOG => self.nflog(ctx, data, depth, out),
            PKTAP => self.pktap(ctx, data, depth, out),
            IEEE802_11 => self.wifi(ctx, data, depth, out),
            IEEE802_11_RADIOTAP => match le16(data, 2) {
                Some(len) if data.len() >= usize::from(len) && len >= 8 => {
                    // The radiotap Flags field (bit 1 of the present word)
                    // can announce a trailing FCS; IP lengths make it harmless.
                    self.wifi(ctx, &data[usize::from(len)..], depth, out)
                }
                _ => self.short(ctx, data, "radiotap", 8, out),
            },
            other => {
                if self.unsupported_links.insert(other) {
                    self.report(
                        ctx,
                        None,
                        format!(
                            "link type {other} ({}) is not supported; its frames are skipped",
                            link_name(other)
                        ),
                        out,
                    );
                }
            }
        }
    }

    fn short(&mut self, ctx: &Ctx<'_>, data: &[u8], what: &str, need: usize, out: &mut Out<'_>) {
        self.report(
            ctx,
            ctx.offset_of(data),
            format!("{what} header cut: {} bytes, {need} needed", data.len()),
            out,
        );
    }

    /// A header whose own length field is too small to cover its fixed part.
    fn bad_header_len(
        &mut self,
        ctx: &Ctx<'_>,
        data: &[u8],
        what: &str,
        len: usize,
        min: usize,
        out: &mut Out<'_>,
    ) {
        self.report(
            ctx,
            ctx.offset_of(data),
            format!("{what} header length {len} is shorter than its {min}-byte fixed part"),
            out,
        );
    }

    /// Ethernet II with up to three VLAN tags, via etherparse.
    pub(super) fn ethernet(&mut self, ctx: &Ctx<'_>, data: &[u8], depth: u8, out: &mut Out<'_>) {
        // Untagged IPv4 or IPv6 (nearly every frame): the payload is what
        // etherparse's `ether_payload` would give, without the IP and transport
        // slicing that `from_ethernet` also does and `ip` does again.
        if let (Some(&[hi, lo]), Some(payload)) = (data.get(12..14), data.get(14..)) {
            let et = u16::from_be_bytes([hi, lo]);
            if et == ethertype::IPV4 || et == ethertype::IPV6 {
                self.ether_type(ctx, et, payload, depth, out);
                return;
            }
        }
        let pkt = match LaxSlicedPacket::from_ethernet(data) {
            Ok(p) => p,
            Err(e) => {
                self.report(ctx, ctx.offset_of(data), format!("Ethernet: {e}"), out);
                return;
            }
        };
        if let Some((err, layer)) = &pkt.stop_err {
            // VLAN tags cut by the snaplen; IP-level errors are reported by `ip`.
            if matches!(layer, etherparse::err::Layer::VlanHeader) {
                self.report(ctx, ctx.offset_of(data), format!("VLAN: {err}"), out);
                return;
            }
        }
        let Some(p) = pkt.ether_payload() else {
            return;
        };
        if p.ether_type.0 <= 1500 {
            // IEEE 802.3 length field: IP only behind an LLC/SNAP header.
            if let Some([0xAA, 0xAA, 0x03, 0, 0, 0, hi, lo]) = p.payload.get(..8) {
                let et = u16::from_be_bytes([*hi, *lo]);
                self.ether_type(ctx, et, &p.payload[8..], depth, out);
            }
            return;
        }
        self.ether_type(ctx, p.ether_type.0, p.payload, depth, out);
    }

    /// Dispatches on an ether type (Ethernet, SLL, SLL2, GRE, Geneve).
    pub(super) fn ether_type(
        &mut self,
        ctx: &Ctx<'_>,
        ether_type: u16,
        payload: &[u8],
        depth: u8,
        out: &mut Out<'_>,
    ) {
        use ethertype::*;
        match ether_type {
            IPV4 | IPV6 => self.ip(ctx, payload, depth, out),
            0x8100 | 0x88A8 | 0x9100 => {
                // VLAN tags after an SLL/SLL2 header or inside a tunnel.
                let pkt =
                    LaxSlicedPacket::from_ether_type(etherparse::EtherType(ether_type), payload);
                if let Some(p) = pkt.ether_payload() {
                    if !matches!(p.ether_type.0, 0x8100 | 0x88A8 | 0x9100) {
                        self.ether_type(ctx, p.ether_type.0, p.payload, depth, out);
                    }
                }
            }
            PPPOE_SESSION => {
                // PPPoE: ver/type, code, session id, length (RFC 2516 §4), then PPP protocol.
                match payload.get(6..) {
                    Some(rest) => self.ppp(ctx, rest, depth + 1, out),
                    None => self.short(ctx, payload, "PPPoE", 6, out),
                }
            }
            TEB => self.ethernet(ctx, payload, depth + 1, out),
            PPP => self.ppp(ctx, payload, depth + 1, out),
            MPLS_UNICAST | MPLS_MULTICAST => self.mpls(ctx, payload, depth, out),
            _ => {}
        }
    }

    /// MPLS (RFC 3032): 4-byte label stack entries down to the one with the
    /// bottom-of-stack bit, then IPv4 or IPv6 as the first nibble says, which
    /// is Wireshark's default guess; pseudowires and the rest are not followed.
    fn mpls(&mut self, ctx: &Ctx<'_>, data: &[u8], depth: u8, out: &mut Out<'_>) {
        for at in (0..MAX_MPLS_LABELS).map(|i| i * 4) {
            let Some([_, _, tc_s, _]) = data.get(at..at + 4) else {
                self.short(ctx, data, "MPLS label stack", at + 4, out);
                return;
            };
            if tc_s & 1 == 1 {
                let rest = &data[at + 4..];
                if rest.first().is_some_and(|v| matches!(v >> 4, 4 | 6)) {
                    self.ip(ctx, rest, depth, out);
                }
                return;
            }
        }
        self.report(
            ctx,
            ctx.offset_of(data),
            format!("MPLS label stack deeper than {MAX_MPLS_LABELS} entries, not followed"),
            out,
        );
    }

    /// Cisco HDLC: address (0x0f unicast, 0x8f multicast), control, then an
    /// ether type (RFC 1547 §4.3.1). SLARP, CDP and the like are not IP and are
    /// skipped without a word.
    fn chdlc(&mut self, ctx: &Ctx<'_>, data: &[u8], depth: u8, out: &mut Out<'_>) {
        match (data.get(4..), be16(data, 2)) {
            (Some(rest), Some(proto)) => self.ether_type(ctx, proto, rest, depth, out),
            _ => self.short(ctx, data, "Cisco HDLC", 4, out),
        }
    }

    /// BSD pflog: the first byte is the header's length (which differs by OS and
    /// release), padded to 4 bytes as libpcap and Wireshark read it; the second
    /// is the address family.
    fn pflog(&mut self, ctx: &Ctx<'_>, data: &[u8], depth: u8, out: &mut Out<'_>) {
        let (Some(&len), Some(&af)) = (data.first(), data.get(1)) else {
            self.short(ctx, data, "pflog", 2, out);
            return;
        };
        if len < 4 {
            self.bad_header_len(ctx, data, "pflog", len.into(), 4, out);
            return;
        }
        let padded = (usize::from(len) + 3) & !3;
        match data.get(padded..) {
            Some(rest) if family_is_ip(af.into()).is_some() => self.ip(ctx, rest, depth, out),
            Some(_) => {}
            None => self.short(ctx, data, "pflog", padded, out),
        }
    }

    /// PPI (Per-Packet Information): version, flags, then its length and the
    /// link type of the packet that follows (usually 802.11), little-endian.
    fn ppi(&mut self, ctx: &Ctx<'_>, data: &[u8], depth: u8, out: &mut Out<'_>) {
        let (Some(len), Some(dlt)) = (le16(data, 2), le32(data, 4)) else {
            self.short(ctx, data, "PPI", 8, out);
            return;
        };
        let len = usize::from(len);
        match data.get(len..) {
            _ if len < 8 => self.bad_header_len(ctx, data, "PPI", len, 8, out),
            Some(rest) => self.link(ctx, dlt, rest, depth + 1, out),
            None => self.short(ctx, data, "PPI", len, out),
        }
    }

    /// Prism monitor header: message code and message length (little-endian,
    /// normally 144), device name and DID items, then 802.11. As Wireshark
    /// does, an AVS header may stand in its place, and a frame that starts
    /// with neither is plain 802.11.
    fn prism(&mut self, ctx: &Ctx<'_>, data: &[u8], depth: u8, out: &mut Out<'_>) {
        let Some(first) = be32(data, 0) else {
            self.short(ctx, data, "Prism", 8, out);
            return;
        };
        if AVS_MAGIC.contains(&first) {
            self.avs(ctx, data, depth, out);
            return;
        }
        if !PRISM_MSGCODES.contains(&first.swap_bytes()) {
            self.wifi(ctx, data, depth, out);
            return;
        }
        let Some(len) = le32(data, 4).and_then(|l| usize::try_from(l).ok()) else {
            self.short(ctx, data, "Prism", 8, out);
            return;
        };
        match data.get(len..) {
            _ if len < 8 => self.bad_header_len(ctx, data, "Prism", len, 8, out),
            Some(rest) => self.wifi(ctx, rest, depth, out),
            None => self.short(ctx, data, "Prism", len, out),
        }
    }

    /// AVS WLAN capture header: magic and version, then its own length
    /// (big-endian), then 802.11.
    fn avs(&mut self, ctx: &Ctx<'_>, data: &[u8], depth: u8, out: &mut Out<'_>) {
        let Some(len) = be32(data, 4).and_then(|l| usize::try_from(l).ok()) else {
            self.short(ctx, data, "AVS", 8, out);
            return;
        };
        match data.get(len..) {
            _ if len < 8 => self.bad_header_len(ctx, data, "AVS", len, 8, out),
            Some(rest) => self.wifi(ctx, rest, depth, out),
            None => self.short(ctx, data, "AVS", len, out),
        }
    }

    /// PPP: optional HDLC address/control (ff 03), then the protocol field
    /// (1 byte when compressed, RFC 1661 §2).
    pub(super) fn ppp(&mut self, ctx: &Ctx<'_>, data: &[u8], depth: u8, out: &mut Out<'_>) {
        let mut b = data;
        if let [0xff, 0x03, rest @ ..] = b {
            b = rest;
        }
        let (proto, rest) = match b {
            [p, rest @ ..] if p & 1 == 1 => (u16::from(*p), rest),
            [hi, lo, rest @ ..] => (u16::from_be_bytes([*hi, *lo]), rest),
            _ => {
                self.short(ctx, data, "PPP", 2, out);
                return;
            }
        };
        match proto {
            0x0021 | 0x0057 => self.ip(ctx, rest, depth, out),
            0x0281 | 0x0283 => self.mpls(ctx, rest, depth, out), // MPLS unicast, multicast
            _ => {}
        }
    }

    /// NFLOG (Linux netfilter log): 4-byte header (family, version, resource id)
    /// then TLVs with host-order 16-bit length and type, padded to 4 bytes.
    /// Type 9 (NFULA_PAYLOAD) holds the packet, starting at the IP header.
    fn nflog(&mut self, ctx: &Ctx<'_>, data: &[u8], depth: u8, out: &mut Out<'_>) {
        let mut pos = 4usize;
        if data.len() < pos {
            self.short(ctx, data, "NFLOG", 4, out);
            return;
        }
        while pos < data.len() {
            let (Some(len_le), Some(typ_le)) = (le16(data, pos), le16(data, pos + 2)) else {
                break;
            };
            // Host byte order: the capture is almost always little-endian,
            // but a big-endian writer gives lengths that only make sense swapped.
            let (len, typ) = if usize::from(len_le) >= 4 && pos + usize::from(len_le) <= data.len()
            {
                (len_le, typ_le)
            } else {
                (len_le.swap_bytes(), typ_le.swap_bytes())
            };
            let len = usize::from(len);
            if len < 4 {
                break;
            }
            let end = pos + len;
            if typ & 0x7fff == 9 {
                let value = data.get(pos + 4..end.min(data.len())).unwrap_or(&[]);
                self.ip(ctx, value, depth, out);
                return;
            }
            pos = end.saturating_add(3) & !3;
        }
        self.report(
            ctx,
            ctx.offset_of(data),
            "NFLOG record without a payload TLV".to_string(),
            out,
        );
    }

    /// Apple PKTAP: a header whose first u32 is its own length and whose
    /// third u32 is the link type of the packet that follows (host order).
    fn pktap(&mut self, ctx: &Ctx<'_>, data: &[u8], depth: u8, out: &mut Out<'_>) {
        let (Some(mut hlen), Some(mut dlt)) = (le32(data, 0), le32(data, 8)) else {
            self.short(ctx, data, "PKTAP", 12, out);
            return;
        };
        if hlen as usize > data.len() || hlen < 12 {
            hlen = hlen.swap_bytes();
            dlt = dlt.swap_bytes();
        }
        match data.get(hlen as usize..) {
            Some(rest) if hlen >= 12 => self.link(ctx, dlt, rest, depth + 1, out),
            _ => self.short(ctx, data, "PKTAP", 12, out),
        }
    }

    /// IEEE 802.11: data frames only, unprotected, with an LLC/SNAP header.
    fn wifi(&mut self, ctx: &Ctx<'_>, data: &[u8], depth: u8, out: &mut Out<'_>) {
        let Some(fc) = le16(data, 0) else {
            return;
        };
        let ftype = (fc >> 2) & 3;
        let subtype = (fc >> 4) & 0xf;
        let flags = (fc >> 8) as u8;
        if ftype != 2 || subtype & 0x4 != 0 {
            return; // management/control, or a data frame without a body (null)
        }
        if flags & 0x40 != 0 {
            return; // protected: encrypted payload
        }
        let mut hlen = 24usize;
        if flags & 0x03 == 0x03 {
            hlen += 6; // ToDS and FromDS: a fourth address
        }
        if subtype & 0x8 != 0 {
            hlen += 2; // QoS control
            if flags & 0x80 != 0 {
                hlen += 4; // +HTC (order bit in a QoS data frame)
            }
        }
        match data.get(hlen..hlen + 8) {
            Some([0xAA, 0xAA, 0x03, 0, 0, 0 | 0xF8, hi, lo]) => {
                let et = u16::from_be_bytes([*hi, *lo]);
                self.ether_type(ctx, et, &data[hlen + 8..], depth, out);
            }
            Some(_) => {}
            None => self.short(ctx, data, "802.11", hlen + 8, out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{dns_of, run, Ev};
    use super::super::testutil::{ether, ipv4, ipv6, udp, QUERY};
    use super::super::{Config, Ts};
    use super::*;

    fn udp4() -> Vec<u8> {
        ipv4(17, &udp(40000, 53, &QUERY))
    }

    /// Offsets of the DNS messages found in one frame of link type `link`.
    fn offsets(link: u32, frame: Vec<u8>) -> Vec<Option<usize>> {
        dns_of(&run(&[(link, frame)]))
            .into_iter()
            .map(|d| d.2)
            .collect()
    }

    #[test]
    fn untagged_and_tagged_ethernet_find_the_same_messages() {
        // Untagged IPv4 and IPv6 take the short path; a VLAN tag goes through
        // etherparse: the same message, 4 bytes further on.
        assert_eq!(offsets(1, ether(&[], 0x0800, &udp4())), [Some(14 + 28)]);
        assert_eq!(
            offsets(1, ether(&[0x8100], 0x0800, &udp4())),
            [Some(18 + 28)]
        );
        let v6 = ipv6(17, &udp(53, 40000, &QUERY));
        assert_eq!(offsets(1, ether(&[], 0x86DD, &v6)), [Some(14 + 48)]);
        assert_eq!(
            offsets(1, ether(&[0x88A8, 0x8100], 0x86DD, &v6)),
            [Some(22 + 48)]
        );
        // A header alone, or less: nothing found, and only the short one is a problem.
        let bare = ether(&[], 0x0800, &[]);
        assert!(offsets(1, bare.clone()).is_empty());
        let events = run(&[(1, bare[..13].to_vec())]);
        assert!(
            events.iter().any(|e| format!("{e:?}").contains("Ethernet")),
            "{events:?}"
        );
        assert!(!run(&[(1, bare)])
            .iter()
            .any(|e| format!("{e:?}").contains("Ethernet")));
    }

    #[test]
    fn ppp_link_with_and_without_address_control() {
        let mut a = vec![0xff, 0x03, 0x00, 0x21]; // HDLC address/control, IPv4
        a.extend_from_slice(&udp4());
        assert_eq!(offsets(9, a), [Some(4 + 28)]);
        let mut b = vec![0x21]; // compressed protocol field
        b.extend_from_slice(&udp4());
        assert_eq!(offsets(9, b), [Some(1 + 28)]);
        let mut c = vec![0x00, 0x57]; // IPv6
        c.extend_from_slice(&ipv6(17, &udp(53, 40000, &QUERY)));
        assert_eq!(offsets(9, c), [Some(2 + 48)]);
    }

    #[test]
    fn pppoe_session_over_ethernet() {
        // ver/type 0x11, code 0, session 0x0001, length, then PPP protocol 0x0021
        let mut p = vec![0x11, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x21];
        p.extend_from_slice(&udp4());
        assert_eq!(offsets(1, ether(&[], 0x8864, &p)), [Some(14 + 8 + 28)]);
    }

    #[test]
    fn nflog_payload_tlv_is_found() {
        // header: AF_INET, version 0, resource id 0
        let mut f = vec![2, 0, 0, 0];
        f.extend_from_slice(&[8, 0, 1, 0, 0x08, 0x00, 0, 0]); // TLV len 8, type 1 (packet hdr)
        f.extend_from_slice(&[5, 0, 10, 0, b'x', 0, 0, 0]); // TLV len 5, type 10 (prefix), padded
        let ip = udp4();
        f.extend_from_slice(&((ip.len() + 4) as u16).to_le_bytes());
        f.extend_from_slice(&9u16.to_le_bytes()); // NFULA_PAYLOAD
        f.extend_from_slice(&ip);
        assert_eq!(offsets(239, f), [Some(4 + 8 + 8 + 4 + 28)]);
        // No payload TLV at all: a diagnostic, not silence.
        let evs = run(&[(239, vec![2, 0, 0, 0, 8, 0, 1, 0, 0, 0, 0, 0])]);
        assert!(
            matches!(&evs[0], Ev::Diag(1, m) if m.contains("NFLOG")),
            "{evs:?}"
        );
    }

    #[test]
    fn pktap_header_names_the_inner_link_type() {
        let mut f = Vec::new();
        f.extend_from_slice(&108u32.to_le_bytes()); // header length
        f.extend_from_slice(&1u32.to_le_bytes()); // record type
        f.extend_from_slice(&1u32.to_le_bytes()); // DLT: Ethernet
        f.resize(108, 0);
        f.extend_from_slice(&ether(&[], 0x0800, &udp4()));
        assert_eq!(offsets(258, f), [Some(108 + 14 + 28)]);
    }

    /// An 802.11 QoS data frame (ToDS) with LLC/SNAP around `payload`.
    fn wifi(ether_type: u16, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![0x88, 0x01]; // QoS data, flags: ToDS
        f.extend_from_slice(&[0, 0]); // duration
        f.extend_from_slice(&[2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 3]); // 3 addresses
        f.extend_from_slice(&[0, 0]); // sequence control
        f.extend_from_slice(&[0, 0]); // QoS control
        f.extend_from_slice(&[0xAA, 0xAA, 0x03, 0, 0, 0]);
        f.extend_from_slice(&ether_type.to_be_bytes());
        f.extend_from_slice(payload);
        f
    }

    #[test]
    fn ieee802_11_data_frames_and_radiotap() {
        assert_eq!(offsets(105, wifi(0x0800, &udp4())), [Some(26 + 8 + 28)]);
        let mut r = vec![0, 0, 12, 0, 0x04, 0, 0, 0, 0x02, 0, 0, 0]; // radiotap, 12 bytes
        r.extend_from_slice(&wifi(0x0800, &udp4()));
        assert_eq!(offsets(127, r), [Some(12 + 26 + 8 + 28)]);
        // A protected frame is skipped, as is a beacon.
        let mut p = wifi(0x0800, &udp4());
        p[1] |= 0x40;
        assert!(offsets(105, p).is_empty());
        let mut b = wifi(0x0800, &udp4());
        b[0] = 0x80;
        assert!(offsets(105, b).is_empty());
    }

    #[test]
    fn ieee802_3_llc_snap_frame() {
        let ip = udp4();
        let mut p = vec![0xAA, 0xAA, 0x03, 0, 0, 0, 0x08, 0x00];
        p.extend_from_slice(&ip);
        let len = p.len() as u16;
        assert_eq!(offsets(1, ether(&[], len, &p)), [Some(14 + 8 + 28)]);
    }

    #[test]
    fn pktap_nesting_is_bounded() {
        // PKTAP inside PKTAP inside ...: the depth bound stops it with a diagnostic.
        let mut f = ether(&[], 0x0800, &udp4());
        for _ in 0..8 {
            let mut h = Vec::new();
            h.extend_from_slice(&12u32.to_le_bytes());
            h.extend_from_slice(&1u32.to_le_bytes());
            h.extend_from_slice(&258u32.to_le_bytes());
            h.extend_from_slice(&f);
            f = h;
        }
        let evs = run(&[(258, f)]);
        assert!(
            evs.iter()
                .any(|e| matches!(e, Ev::Diag(1, m) if m.contains("deeper"))),
            "{evs:?}"
        );
    }

    #[test]
    fn null_family_accepts_both_byte_orders() {
        assert_eq!(null_family(&[2, 0, 0, 0]), Some(true)); // LE AF_INET
        assert_eq!(null_family(&[0, 0, 0, 2]), Some(true)); // BE AF_INET
        assert_eq!(null_family(&[30, 0, 0, 0]), Some(false)); // macOS AF_INET6, LE
        assert_eq!(null_family(&[0, 0, 0, 24]), Some(false)); // OpenBSD AF_INET6, BE
        assert_eq!(null_family(&[0, 0, 0, 28]), Some(false)); // FreeBSD AF_INET6, BE
        assert_eq!(null_family(&[18, 0, 0, 0]), None); // AF_LINK
        assert_eq!(null_family(&[2, 0]), None); // cut
    }

    fn udp6() -> Vec<u8> {
        ipv6(17, &udp(40000, 53, &QUERY))
    }

    /// `head` then `payload`.
    fn cat(head: &[u8], payload: &[u8]) -> Vec<u8> {
        [head, payload].concat()
    }

    /// The diagnostics one frame of link type `link` gives.
    fn diags(link: u32, frame: Vec<u8>) -> Vec<String> {
        run(&[(link, frame)])
            .into_iter()
            .filter_map(|e| match e {
                Ev::Diag(_, m) => Some(m),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn cisco_hdlc_carries_ip_and_skips_slarp() {
        // address 0x0f (unicast), control 0, protocol = ether type
        assert_eq!(
            offsets(104, cat(&[0x0f, 0, 0x08, 0x00], &udp4())),
            [Some(4 + 28)]
        );
        assert_eq!(
            offsets(104, cat(&[0x8f, 0, 0x86, 0xdd], &udp6())),
            [Some(4 + 48)]
        );
        // SLARP keepalive (0x8035): not IP, and nothing to report.
        let slarp = cat(
            &[0x8f, 0, 0x80, 0x35],
            &[0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0],
        );
        assert_eq!(run(&[(104, slarp)]), [Ev::NotDns(1)]);
        // PPP links holding Cisco HDLC frames, as Wireshark reads them.
        assert_eq!(
            offsets(50, cat(&[0x0f, 0, 0x08, 0x00], &udp4())),
            [Some(4 + 28)]
        );
        let d = diags(104, vec![0x0f, 0, 0x08]);
        assert_eq!(d, ["Cisco HDLC header cut: 3 bytes, 4 needed"]);
    }

    /// A pflog header: `len` in the first byte, family `af`, zeros to the padded length.
    fn pflog(len: u8, af: u8) -> Vec<u8> {
        let mut h = vec![len, af, 0, 0];
        h.resize((usize::from(len) + 3) & !3, 0);
        h
    }

    #[test]
    fn pflog_header_length_is_padded_to_four_bytes() {
        // 61 bytes (FreeBSD/NetBSD layout) padded to 64; OpenBSD's 100 needs no pad.
        assert_eq!(offsets(117, cat(&pflog(61, 2), &udp4())), [Some(64 + 28)]);
        assert_eq!(
            offsets(117, cat(&pflog(100, 24), &udp6())),
            [Some(100 + 48)]
        );
        assert_eq!(offsets(117, cat(&pflog(69, 28), &udp6())), [Some(72 + 48)]);
        assert!(offsets(117, cat(&pflog(61, 18), &udp4())).is_empty()); // AF_LINK
        let d = diags(117, cat(&pflog(61, 2), &udp4())[..40].to_vec());
        assert_eq!(d, ["pflog header cut: 40 bytes, 64 needed"]);
        let d = diags(117, cat(&[2, 2], &udp4()));
        assert_eq!(
            d,
            ["pflog header length 2 is shorter than its 4-byte fixed part"]
        );
        assert_eq!(
            diags(117, vec![61]),
            ["pflog header cut: 1 bytes, 2 needed"]
        );
    }

    #[test]
    fn openbsd_enc_family_in_either_byte_order() {
        // af, SPI, flags (authenticated + confidential)
        let le = cat(&[2, 0, 0, 0, 0, 0, 0x10, 0x01, 0, 0x0c, 0, 0], &udp4());
        assert_eq!(offsets(109, le), [Some(12 + 28)]);
        let be6 = cat(&[0, 0, 0, 24, 0, 0, 0x10, 0x01, 0, 0, 0x0c, 0], &udp6());
        assert_eq!(offsets(109, be6), [Some(12 + 48)]);
        assert_eq!(
            diags(109, vec![2, 0, 0, 0, 0, 0]),
            ["OpenBSD enc header cut: 6 bytes, 12 needed"]
        );
    }

    /// A Solaris ipnet header for a packet of `len` bytes of family `family`.
    fn ipnet(family: u8, len: usize) -> Vec<u8> {
        let mut h = vec![1, family, 0, 2]; // version 1, family, hook: local
        h.extend_from_slice(&(len as u32).to_be_bytes());
        h.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // ifindex, group, zones
        h
    }

    #[test]
    fn solaris_ipnet_families() {
        assert_eq!(offsets(226, cat(&ipnet(2, 57), &udp4())), [Some(24 + 28)]);
        assert_eq!(offsets(226, cat(&ipnet(26, 77), &udp6())), [Some(24 + 48)]);
        assert!(offsets(226, cat(&ipnet(99, 57), &udp4())).is_empty());
        assert_eq!(
            diags(226, ipnet(2, 57)[..20].to_vec()),
            ["Solaris ipnet header cut: 20 bytes, 24 needed"]
        );
    }

    /// A PPI header of `len` bytes (zeros after the first 8) naming link type `dlt`.
    fn ppi(len: u16, dlt: u32) -> Vec<u8> {
        let mut h = vec![0, 0]; // version, flags
        h.extend_from_slice(&len.to_le_bytes());
        h.extend_from_slice(&dlt.to_le_bytes());
        h.resize(usize::from(len).max(8), 0);
        h
    }

    #[test]
    fn ppi_header_names_the_inner_link_type() {
        let frame = cat(&ppi(8, 105), &wifi(0x0800, &udp4()));
        assert_eq!(offsets(192, frame), [Some(8 + 34 + 28)]);
        // With a 20-byte 802.11-Common field, and with Ethernet inside.
        let frame = cat(&ppi(28, 105), &wifi(0x86dd, &udp6()));
        assert_eq!(offsets(192, frame), [Some(28 + 34 + 48)]);
        let frame = cat(&ppi(8, 1), &ether(&[], 0x0800, &udp4()));
        assert_eq!(offsets(192, frame), [Some(8 + 14 + 28)]);
        let mut bad = ppi(8, 105);
        bad[2] = 4;
        assert_eq!(
            diags(192, bad),
            ["PPI header length 4 is shorter than its 8-byte fixed part"]
        );
        assert_eq!(
            diags(192, ppi(28, 105)[..20].to_vec()),
            ["PPI header cut: 20 bytes, 28 needed"]
        );
        assert_eq!(
            diags(192, vec![0, 0, 8, 0]),
            ["PPI header cut: 4 bytes, 8 needed"]
        );
    }

    /// A Prism monitor header: message code 0x44, `msglen`, device name, DID items.
    fn prism(msglen: u32) -> Vec<u8> {
        let mut h = Vec::new();
        h.extend_from_slice(&0x44u32.to_le_bytes());
        h.extend_from_slice(&msglen.to_le_bytes());
        h.extend_from_slice(b"wlan0\0\0\0\0\0\0\0\0\0\0\0");
        for did in 1..=10u32 {
            h.extend_from_slice(&(did << 16 | 0x44).to_le_bytes());
            h.extend_from_slice(&[0, 0, 4, 0, 0, 0, 0, 0]); // status, length, data
        }
        h
    }

    /// An AVS capture header (version 1) of `len` bytes.
    fn avs(len: u32) -> Vec<u8> {
        let mut h = 0x8021_1001u32.to_be_bytes().to_vec();
        h.extend_from_slice(&len.to_be_bytes());
        h.resize(64, 0);
        h
    }

    #[test]
    fn prism_and_avs_headers_before_802_11() {
        assert_eq!(prism(144).len(), 144);
        let frame = cat(&prism(144), &wifi(0x0800, &udp4()));
        assert_eq!(offsets(119, frame), [Some(144 + 34 + 28)]);
        let frame = cat(&avs(64), &wifi(0x86dd, &udp6()));
        assert_eq!(offsets(163, frame.clone()), [Some(64 + 34 + 48)]);
        // An AVS header, or none at all, on the Prism link type (Wireshark does the same).
        assert_eq!(offsets(119, frame), [Some(64 + 34 + 48)]);
        assert_eq!(offsets(119, wifi(0x0800, &udp4())), [Some(34 + 28)]);
        // A message length that is not 144 is believed.
        let frame = cat(&cat(&prism(148), &[0; 4]), &wifi(0x0800, &udp4()));
        assert_eq!(offsets(119, frame), [Some(148 + 34 + 28)]);
        let d = diags(119, cat(&prism(4), &wifi(0x0800, &udp4())));
        assert_eq!(
            d,
            ["Prism header length 4 is shorter than its 8-byte fixed part"]
        );
        assert_eq!(
            diags(119, prism(144)[..100].to_vec()),
            ["Prism header cut: 100 bytes, 144 needed"]
        );
        assert_eq!(
            diags(163, avs(400)),
            ["AVS header cut: 64 bytes, 400 needed"]
        );
        assert_eq!(
            diags(119, vec![0x44, 0, 0]),
            ["Prism header cut: 3 bytes, 8 needed"]
        );
        assert_eq!(
            diags(163, vec![0x80, 0x21, 0x10, 0x01]),
            ["AVS header cut: 4 bytes, 8 needed"]
        );
    }

    /// MPLS label stack entries: label, then TTL 64; the last one bottom of stack.
    fn labels(stack: &[u32]) -> Vec<u8> {
        let mut v = Vec::new();
        for (i, label) in stack.iter().enumerate() {
            let bottom = u32::from(i + 1 == stack.len());
            v.extend_from_slice(&(label << 12 | bottom << 8 | 64).to_be_bytes());
        }
        v
    }

    #[test]
    fn mpls_label_stacks_lead_to_ip_on_every_carrier() {
        let v4 = cat(&labels(&[16, 1000]), &udp4());
        assert_eq!(offsets(1, ether(&[], 0x8847, &v4)), [Some(14 + 8 + 28)]);
        let v6 = cat(&labels(&[2]), &udp6()); // IPv6 explicit null
        assert_eq!(
            offsets(1, ether(&[0x8100], 0x8848, &v6)),
            [Some(18 + 4 + 48)]
        );
        // Linux SLL, PPP (0x0281) and GRE (protocol 0x8847) carry it too.
        let sll = cat(&[0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x88, 0x47], &v4);
        assert_eq!(offsets(113, sll), [Some(16 + 8 + 28)]);
        assert_eq!(
            offsets(9, cat(&[0xff, 0x03, 0x02, 0x81], &v4)),
            [Some(4 + 8 + 28)]
        );
        let gre = cat(&[0, 0, 0x88, 0x47], &v4);
        assert_eq!(offsets(101, ipv4(47, &gre)), [Some(20 + 4 + 8 + 28)]);
        // A pseudowire control word (first nibble 0): not followed, not reported.
        let pw = cat(&labels(&[100]), &[0, 0, 0, 0]);
        assert_eq!(run(&[(1, ether(&[], 0x8847, &pw))]), [Ev::NotDns(1)]);
        // A stack cut before its bottom, and one too deep to walk.
        let cut = labels(&[16, 17, 18])[..8].to_vec();
        assert_eq!(
            diags(1, ether(&[], 0x8847, &cut)),
            ["MPLS label stack header cut: 8 bytes, 12 needed"]
        );
        let deep = cat(&labels(&[16; 17]), &udp4());
        assert_eq!(
            diags(1, ether(&[], 0x8847, &deep)),
            ["MPLS label stack deeper than 16 entries, not followed"]
        );
    }

    #[test]
    fn cut_headers_of_the_new_link_types_never_panic() {
        for (link, f) in seeds() {
            for n in 0..f.len() {
                let mut dec = Decoder::new(Config::default());
                dec.on_frame(link, 1, Ts::default(), &f[..n], f.len() as u32, &mut |_| {});
                dec.finish(&mut |_| {});
            }
        }
    }

    /// One valid frame of each link type read here, to cut and mutate.
    fn seeds() -> Vec<(u32, Vec<u8>)> {
        vec![
            (
                104,
                cat(&[0x0f, 0, 0x88, 0x47], &cat(&labels(&[16]), &udp4())),
            ),
            (109, cat(&[2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], &udp4())),
            (117, cat(&pflog(61, 24), &udp6())),
            (119, cat(&prism(144), &wifi(0x0800, &udp4()))),
            (119, cat(&avs(64), &wifi(0x0800, &udp4()))),
            (163, cat(&avs(64), &wifi(0x0800, &udp4()))),
            (192, cat(&ppi(8, 105), &wifi(0x0800, &udp4()))),
            (226, cat(&ipnet(2, 57), &udp4())),
            (1, ether(&[], 0x8847, &cat(&labels(&[16, 17]), &udp6()))),
            (1, ether(&[], 0x0800, &ipv4(17, &udp(40000, 3544, &udp6())))), // Teredo
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]

        /// Valid frames of the link types read here, with bytes changed and
        /// cut anywhere: no panic, and at least one event per frame.
        #[test]
        fn mutated_frames_of_the_new_link_types_never_panic(
            seed in 0usize..10,
            flips in proptest::collection::vec((0usize..256, proptest::prelude::any::<u8>()), 0..6),
            cut in 0usize..256,
        ) {
            let (link, mut f) = seeds().swap_remove(seed);
            for (at, v) in flips {
                if let Some(b) = f.get_mut(at % 180) {
                    *b = v;
                }
            }
            f.truncate(cut.max(1));
            let mut dec = Decoder::new(Config::default());
            let mut events = 0;
            dec.on_frame(link, 1, Ts::default(), &f, f.len() as u32, &mut |_| events += 1);
            dec.finish(&mut |_| {});
            proptest::prop_assert!(events >= 1);
        }
    }

    #[test]
    fn readers_check_bounds() {
        assert_eq!(be16(&[1, 2, 3], 1), Some(0x0203));
        assert_eq!(be16(&[1, 2, 3], 2), None);
        assert_eq!(be32(&[1, 2, 3], 0), None);
        assert_eq!(be16(&[], usize::MAX), None);
    }
}
