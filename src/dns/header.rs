//! The 12-byte message header (RFC 1035 §4.1.1, RFC 2535 AD/CD, RFC 6895 flag layout).

use super::error::{Error, ErrorKind};
use super::types::{Opcode, Rcode};

/// Length of the fixed header.
pub const HEADER_LEN: usize = 12;

/// Byte ranges of the header fields (smoltcp's `mod field`).
pub mod field {
    use core::ops::Range;
    /// Message ID.
    pub const ID: Range<usize> = 0..2;
    /// QR, Opcode, AA, TC, RD, RA, Z, AD, CD, RCODE.
    pub const FLAGS: Range<usize> = 2..4;
    /// Number of questions.
    pub const QDCOUNT: Range<usize> = 4..6;
    /// Number of answer records.
    pub const ANCOUNT: Range<usize> = 6..8;
    /// Number of authority records.
    pub const NSCOUNT: Range<usize> = 8..10;
    /// Number of additional records.
    pub const ARCOUNT: Range<usize> = 10..12;
}

/// Flag bits inside [`Header::flags`].
pub mod flag {
    /// Response.
    pub const QR: u16 = 0x8000;
    /// Authoritative answer.
    pub const AA: u16 = 0x0400;
    /// Truncated.
    pub const TC: u16 = 0x0200;
    /// Recursion desired.
    pub const RD: u16 = 0x0100;
    /// Recursion available.
    pub const RA: u16 = 0x0080;
    /// The one remaining reserved bit; must be zero.
    pub const Z: u16 = 0x0040;
    /// Authentic data (RFC 4035).
    pub const AD: u16 = 0x0020;
    /// Checking disabled (RFC 4035).
    pub const CD: u16 = 0x0010;
}

/// The fixed header, copied out of the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Message ID.
    pub id: u16,
    /// The raw flags word; see the accessors.
    pub flags: u16,
    /// Claimed number of questions.
    pub qdcount: u16,
    /// Claimed number of answer records.
    pub ancount: u16,
    /// Claimed number of authority records.
    pub nscount: u16,
    /// Claimed number of additional records.
    pub arcount: u16,
}

impl Header {
    /// Reads the first 12 bytes; fails only if there are fewer.
    pub fn parse(bytes: &[u8]) -> Result<Header, Error> {
        let Some(&[i0, i1, f0, f1, q0, q1, a0, a1, n0, n1, r0, r1]) = bytes.first_chunk() else {
            return Err(Error::new(
                ErrorKind::Truncated {
                    needed: HEADER_LEN as u16,
                    available: bytes.len() as u16,
                },
                0,
            ));
        };
        let be = |a, b| u16::from_be_bytes([a, b]);
        Ok(Header {
            id: be(i0, i1),
            flags: be(f0, f1),
            qdcount: be(q0, q1),
            ancount: be(a0, a1),
            nscount: be(n0, n1),
            arcount: be(r0, r1),
        })
    }

    /// The count for one section.
    pub fn count(&self, section: super::message::Section) -> u16 {
        use super::message::Section;
        match section {
            Section::Question => self.qdcount,
            Section::Answer => self.ancount,
            Section::Authority => self.nscount,
            Section::Additional => self.arcount,
        }
    }

    /// QR: this is a response.
    pub fn qr(&self) -> bool {
        self.flags & flag::QR != 0
    }
    /// The 4-bit OPCODE.
    pub fn opcode(&self) -> Opcode {
        Opcode(((self.flags >> 11) & 0x0f) as u8)
    }
    /// AA: authoritative answer.
    pub fn aa(&self) -> bool {
        self.flags & flag::AA != 0
    }
    /// TC: truncated.
    pub fn tc(&self) -> bool {
        self.flags & flag::TC != 0
    }
    /// RD: recursion desired.
    pub fn rd(&self) -> bool {
        self.flags & flag::RD != 0
    }
    /// RA: recursion available.
    pub fn ra(&self) -> bool {
        self.flags & flag::RA != 0
    }
    /// Z: the reserved bit 0x0040 (must be zero).
    pub fn z(&self) -> bool {
        self.flags & flag::Z != 0
    }
    /// AD: authentic data.
    pub fn ad(&self) -> bool {
        self.flags & flag::AD != 0
    }
    /// CD: checking disabled.
    pub fn cd(&self) -> bool {
        self.flags & flag::CD != 0
    }
    /// The 4-bit header RCODE (see `Message::rcode` for the extended one).
    pub fn rcode(&self) -> Rcode {
        Rcode(self.flags & 0x000f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_dig_response_header() {
        // dig response: ID 0xa1b2, flags 0x8580 = QR AA RD RA, NOERROR, 1/1/0/1.
        let bytes = [
            0xa1, 0xb2, // ID
            0x85, 0x80, // QR=1 opcode=0 AA=1 TC=0 RD=1 | RA=1 Z=0 AD=0 CD=0 rcode=0
            0x00, 0x01, // QDCOUNT
            0x00, 0x01, // ANCOUNT
            0x00, 0x00, // NSCOUNT
            0x00, 0x01, // ARCOUNT
            0xff, // following bytes are ignored
        ];
        let h = Header::parse(&bytes).unwrap();
        assert_eq!(h.id, 0xa1b2);
        assert!(h.qr() && h.aa() && h.rd() && h.ra());
        assert!(!h.tc() && !h.z() && !h.ad() && !h.cd());
        assert_eq!(h.opcode(), Opcode::QUERY);
        assert_eq!(h.rcode(), Rcode::NOERROR);
        assert_eq!((h.qdcount, h.ancount, h.nscount, h.arcount), (1, 1, 0, 1));
    }

    #[test]
    fn every_flag_bit_maps_to_its_accessor() {
        // QR, opcode UPDATE (5), TC, Z, AD, CD, rcode 3.
        let bytes = [0, 0, 0xaa, 0x73, 0, 0, 0, 0, 0, 0, 0, 0];
        let h = Header::parse(&bytes).unwrap();
        assert!(h.qr() && h.tc() && h.z() && h.ad() && h.cd());
        assert!(!h.aa() && !h.rd() && !h.ra());
        assert_eq!(h.opcode(), Opcode::UPDATE);
        assert_eq!(h.rcode(), Rcode::NXDOMAIN);
    }

    #[test]
    fn truncated_header_is_rejected_at_offset_zero() {
        let e = Header::parse(&[0x12, 0x34, 0x01]).unwrap_err();
        assert_eq!(
            e,
            Error::new(
                ErrorKind::Truncated {
                    needed: 12,
                    available: 3
                },
                0
            )
        );
        assert!(Header::parse(&[]).is_err());
    }
}
