//! Link-layer header types (the `LINKTYPE_*` registry of tcpdump.org).
//!
//! An open newtype: any `u32` is a valid value, the constants name the ones
//! we know. `Display` prints the libpcap name and the number, `EN10MB(1)`,
//! or `unknown(147)` for numbers we do not name; the same spelling as the
//! corpus MANIFEST.

use std::fmt;

/// A link-layer type from a pcap header or a pcapng Interface Description
/// Block. Decides how `net` strips the link header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LinkType(pub u32);

impl LinkType {
    /// BSD loopback: 4-byte address family in the *writer's* byte order.
    pub const NULL: Self = Self(0);
    /// Ethernet (II and 802.3).
    pub const ETHERNET: Self = Self(1);
    /// PPP (RFC 1661 framing without HDLC).
    pub const PPP: Self = Self(9);
    /// FDDI.
    pub const FDDI: Self = Self(10);
    /// `DLT_RAW` as numbered on most BSDs and Linux (12) when it leaks into a
    /// file instead of [`LinkType::RAW`]: raw IPv4/IPv6. Wireshark reads it as
    /// raw IP; seen in the corpus (`many_interfaces-1.pcapng`).
    pub const RAW_BSD: Self = Self(12);
    /// `DLT_RAW` as numbered on OpenBSD (14): raw IPv4/IPv6.
    pub const RAW_OPENBSD: Self = Self(14);
    /// PPP in HDLC-like framing (RFC 1662).
    pub const PPP_HDLC: Self = Self(50);
    /// PPPoE.
    pub const PPP_ETHER: Self = Self(51);
    /// Raw IP: the packet starts with an IPv4 or IPv6 header.
    pub const RAW: Self = Self(101);
    /// Cisco HDLC.
    pub const C_HDLC: Self = Self(104);
    /// IEEE 802.11 without a radio header.
    pub const IEEE802_11: Self = Self(105);
    /// OpenBSD loopback: 4-byte address family in network byte order.
    pub const LOOP: Self = Self(108);
    /// Linux "cooked" capture v1: 16-byte header.
    pub const LINUX_SLL: Self = Self(113);
    /// IEEE 802.11 with a radiotap header.
    pub const IEEE802_11_RADIOTAP: Self = Self(127);
    /// Per-Packet Information header.
    pub const PPI: Self = Self(192);
    /// Raw IPv4 only.
    pub const IPV4: Self = Self(228);
    /// Raw IPv6 only.
    pub const IPV6: Self = Self(229);
    /// Linux netfilter NFLOG (TLVs around the IP packet).
    pub const NFLOG: Self = Self(239);
    /// Wireshark's exported PDUs.
    pub const WIRESHARK_UPPER_PDU: Self = Self(252);
    /// Apple PKTAP (metadata header, then the original link layer).
    pub const PKTAP: Self = Self(258);
    /// Linux "cooked" capture v2: 20-byte header (`tcpdump -i any` ≥ 4.99).
    pub const LINUX_SLL2: Self = Self(276);

    /// The libpcap name (`pcap_datalink_val_to_name` spelling), if known.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "NULL",
            1 => "EN10MB",
            6 => "IEEE802",
            8 => "SLIP",
            9 => "PPP",
            10 => "FDDI",
            12 | 14 | 101 => "RAW",
            50 => "PPP_HDLC",
            51 => "PPP_ETHER",
            104 => "C_HDLC",
            105 => "IEEE802_11",
            108 => "LOOP",
            113 => "LINUX_SLL",
            119 => "PRISM_HEADER",
            127 => "IEEE802_11_RADIO",
            163 => "IEEE802_11_RADIO_AVS",
            189 => "USB_LINUX",
            192 => "PPI",
            195 => "IEEE802_15_4",
            220 => "USB_LINUX_MMAPPED",
            228 => "IPV4",
            229 => "IPV6",
            239 => "NFLOG",
            252 => "WIRESHARK_UPPER_PDU",
            258 => "PKTAP",
            276 => "LINUX_SLL2",
            _ => return None,
        })
    }

    /// True for the types whose frames start directly with an IP header
    /// (RAW under its three numbers, IPV4, IPV6).
    pub fn is_raw_ip(self) -> bool {
        matches!(self.0, 12 | 14 | 101 | 228 | 229)
    }
}

impl fmt::Display for LinkType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name}({})", self.0),
            None => write!(f, "unknown({})", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_name_and_number() {
        assert_eq!(LinkType::ETHERNET.to_string(), "EN10MB(1)");
        assert_eq!(LinkType::NULL.to_string(), "NULL(0)");
        assert_eq!(LinkType::RAW_BSD.to_string(), "RAW(12)");
        assert_eq!(LinkType::RAW.to_string(), "RAW(101)");
        assert_eq!(LinkType::IPV4.to_string(), "IPV4(228)");
        assert_eq!(LinkType::LINUX_SLL2.to_string(), "LINUX_SLL2(276)");
        assert_eq!(
            LinkType::IEEE802_11_RADIOTAP.to_string(),
            "IEEE802_11_RADIO(127)"
        );
        assert_eq!(LinkType(147).to_string(), "unknown(147)");
        assert_eq!(LinkType(u32::MAX).to_string(), "unknown(4294967295)");
    }

    #[test]
    fn raw_ip_family() {
        for lt in [
            LinkType::RAW,
            LinkType::RAW_BSD,
            LinkType::RAW_OPENBSD,
            LinkType::IPV4,
            LinkType::IPV6,
        ] {
            assert!(lt.is_raw_ip(), "{lt}");
        }
        assert!(!LinkType::ETHERNET.is_raw_ip());
        assert!(!LinkType::NULL.is_raw_ip());
    }
}
