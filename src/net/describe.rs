//! A short name for a frame that carries no DNS, for reports that must say what
//! else a capture holds ("ARP", "TCP 10.0.0.1:443 → 10.0.0.2:51234", ...).
//! Only called for such frames, never on the DNS path.

use etherparse::{LaxNetSlice, LaxSlicedPacket, LinkSlice, TransportSlice};

/// Describes a non-DNS frame of link type `link`.
pub fn describe_frame(link: u32, data: &[u8]) -> String {
    let pkt = match link {
        1 => LaxSlicedPacket::from_ethernet(data).ok(),
        12 | 14 | 101 | 228 | 229 => LaxSlicedPacket::from_ip(data).ok(),
        other => return format!("link type {other} frame"),
    };
    let Some(pkt) = pkt else {
        return "undecodable frame".to_string();
    };
    let (src, dst) = match &pkt.net {
        Some(LaxNetSlice::Ipv4(ip)) => (
            ip.header().source_addr().to_string(),
            ip.header().destination_addr().to_string(),
        ),
        Some(LaxNetSlice::Ipv6(ip)) => (
            format!("[{}]", ip.header().source_addr()),
            format!("[{}]", ip.header().destination_addr()),
        ),
        Some(LaxNetSlice::Arp(_)) => return "ARP".to_string(),
        None => {
            if let Some(LinkSlice::Ethernet2(eth)) = &pkt.link {
                return match eth.ether_type().0 {
                    0x0806 => "ARP".to_string(),
                    0x88cc => "LLDP".to_string(),
                    t => format!("EtherType 0x{t:04x}"),
                };
            }
            return "non-IP frame".to_string();
        }
    };
    match &pkt.transport {
        Some(TransportSlice::Udp(u)) => format!(
            "UDP {src}:{} → {dst}:{}",
            u.source_port(),
            u.destination_port()
        ),
        Some(TransportSlice::Tcp(t)) => format!(
            "TCP {src}:{} → {dst}:{}",
            t.source_port(),
            t.destination_port()
        ),
        Some(TransportSlice::Icmpv4(i)) => {
            let kind = match i.type_u8() {
                0 => "echo reply",
                3 => "destination unreachable",
                8 => "echo request",
                11 => "time exceeded",
                _ => "message",
            };
            format!("ICMP {kind} {src} → {dst}")
        }
        Some(TransportSlice::Icmpv6(_)) => format!("ICMPv6 {src} → {dst}"),
        Some(_) | None => format!("IP {src} → {dst}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arp_is_named() {
        let mut f = vec![0xff; 6];
        f.extend([0x02, 0, 0, 0, 0, 1, 0x08, 0x06]);
        f.extend([0u8; 28]);
        assert_eq!(describe_frame(1, &f), "ARP");
    }

    #[test]
    fn tcp_is_named_with_endpoints() {
        // Raw IPv4 + TCP 10.0.0.1:443 -> 10.0.0.2:51234, SYN.
        let mut f = vec![
            0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ];
        f.extend([
            0x01, 0xbb, 0xc8, 0x22, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0,
        ]);
        assert_eq!(describe_frame(101, &f), "TCP 10.0.0.1:443 → 10.0.0.2:51234");
    }

    #[test]
    fn other_link_types_are_named_by_number() {
        assert_eq!(describe_frame(147, &[1, 2, 3]), "link type 147 frame");
    }
}
