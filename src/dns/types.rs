//! Numeric DNS registries as open newtypes: [`Rtype`], [`Class`], [`Opcode`], [`Rcode`].
//!
//! Every value of the underlying integer is representable, so nothing read off the wire is
//! lost. Known values have associated constants and a mnemonic; unknown values display in
//! the RFC 3597 generic form (`TYPE65534`, `CLASS99`) or our equivalent (`OPCODE9`,
//! `RCODE24`).

use core::fmt;

/// Declares the associated constants and the mnemonic table of an open newtype.
macro_rules! registry {
    ($ty:ident, $int:ty, $prefix:literal, [$(($konst:ident, $val:expr, $mn:literal)),* $(,)?]) => {
        impl $ty {
            $(
                #[doc = concat!("`", $mn, "` (", stringify!($val), ")")]
                pub const $konst: $ty = $ty($val);
            )*

            /// The mnemonic of a known value, `None` for an unknown one.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($val => Some($mn),)*
                    _ => None,
                }
            }

            /// The value for a mnemonic (ASCII case-insensitive), or for the generic form
            #[doc = concat!("`", $prefix, "<number>`.")]
            pub fn from_name(s: &str) -> Option<Self> {
                $(
                    if s.eq_ignore_ascii_case($mn) {
                        return Some($ty($val));
                    }
                )*
                let prefix_len = $prefix.len();
                match (s.get(..prefix_len), s.get(prefix_len..)) {
                    (Some(p), Some(digits))
                        if p.eq_ignore_ascii_case($prefix)
                            && !digits.is_empty()
                            && digits.bytes().all(|b| b.is_ascii_digit()) =>
                    {
                        digits.parse::<$int>().ok().map($ty)
                    }
                    _ => None,
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.name() {
                    Some(n) => f.pad(n),
                    None => write!(f, concat!($prefix, "{}"), self.0),
                }
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($ty), "({})"), self)
            }
        }

        impl From<$int> for $ty {
            fn from(v: $int) -> Self {
                $ty(v)
            }
        }

        impl From<$ty> for $int {
            fn from(v: $ty) -> Self {
                v.0
            }
        }
    };
}

/// A resource record TYPE (RFC 1035 §3.2.2, IANA "Resource Record (RR) TYPEs").
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Rtype(pub u16);

registry!(
    Rtype,
    u16,
    "TYPE",
    [
        (A, 1, "A"),
        (NS, 2, "NS"),
        (MD, 3, "MD"),
        (MF, 4, "MF"),
        (CNAME, 5, "CNAME"),
        (SOA, 6, "SOA"),
        (MB, 7, "MB"),
        (MG, 8, "MG"),
        (MR, 9, "MR"),
        (NULL, 10, "NULL"),
        (WKS, 11, "WKS"),
        (PTR, 12, "PTR"),
        (HINFO, 13, "HINFO"),
        (MINFO, 14, "MINFO"),
        (MX, 15, "MX"),
        (TXT, 16, "TXT"),
        (RP, 17, "RP"),
        (AFSDB, 18, "AFSDB"),
        (X25, 19, "X25"),
        (ISDN, 20, "ISDN"),
        (RT, 21, "RT"),
        (NSAP, 22, "NSAP"),
        (NSAP_PTR, 23, "NSAP-PTR"),
        (SIG, 24, "SIG"),
        (KEY, 25, "KEY"),
        (PX, 26, "PX"),
        (GPOS, 27, "GPOS"),
        (AAAA, 28, "AAAA"),
        (LOC, 29, "LOC"),
        (NXT, 30, "NXT"),
        (EID, 31, "EID"),
        (NIMLOC, 32, "NIMLOC"),
        (SRV, 33, "SRV"),
        (ATMA, 34, "ATMA"),
        (NAPTR, 35, "NAPTR"),
        (KX, 36, "KX"),
        (CERT, 37, "CERT"),
        (A6, 38, "A6"),
        (DNAME, 39, "DNAME"),
        (SINK, 40, "SINK"),
        (OPT, 41, "OPT"),
        (APL, 42, "APL"),
        (DS, 43, "DS"),
        (SSHFP, 44, "SSHFP"),
        (IPSECKEY, 45, "IPSECKEY"),
        (RRSIG, 46, "RRSIG"),
        (NSEC, 47, "NSEC"),
        (DNSKEY, 48, "DNSKEY"),
        (DHCID, 49, "DHCID"),
        (NSEC3, 50, "NSEC3"),
        (NSEC3PARAM, 51, "NSEC3PARAM"),
        (TLSA, 52, "TLSA"),
        (SMIMEA, 53, "SMIMEA"),
        (HIP, 55, "HIP"),
        (NINFO, 56, "NINFO"),
        (RKEY, 57, "RKEY"),
        (TALINK, 58, "TALINK"),
        (CDS, 59, "CDS"),
        (CDNSKEY, 60, "CDNSKEY"),
        (OPENPGPKEY, 61, "OPENPGPKEY"),
        (CSYNC, 62, "CSYNC"),
        (ZONEMD, 63, "ZONEMD"),
        (SVCB, 64, "SVCB"),
        (HTTPS, 65, "HTTPS"),
        (SPF, 99, "SPF"),
        (NID, 104, "NID"),
        (L32, 105, "L32"),
        (L64, 106, "L64"),
        (LP, 107, "LP"),
        (EUI48, 108, "EUI48"),
        (EUI64, 109, "EUI64"),
        (TKEY, 249, "TKEY"),
        (TSIG, 250, "TSIG"),
        (IXFR, 251, "IXFR"),
        (AXFR, 252, "AXFR"),
        (MAILB, 253, "MAILB"),
        (MAILA, 254, "MAILA"),
        (ANY, 255, "ANY"),
        (URI, 256, "URI"),
        (CAA, 257, "CAA"),
        (AVC, 258, "AVC"),
        (DOA, 259, "DOA"),
        (AMTRELAY, 260, "AMTRELAY"),
        (RESINFO, 261, "RESINFO"),
        (TA, 32768, "TA"),
        (DLV, 32769, "DLV"),
    ]
);

impl Rtype {
    /// Whether a receiver decompresses names inside this type's RDATA: the RFC 1035 types
    /// and the list of RFC 3597 §4 (RP, AFSDB, RT, SIG, PX, NXT, NAPTR, SRV), plus DNAME,
    /// whose senders must not compress (RFC 6672 §2.5) but which BIND and others accept.
    pub fn decompresses_names(self) -> bool {
        matches!(
            self,
            Self::NS
                | Self::MD
                | Self::MF
                | Self::CNAME
                | Self::SOA
                | Self::MB
                | Self::MG
                | Self::MR
                | Self::PTR
                | Self::MINFO
                | Self::MX
                | Self::RP
                | Self::AFSDB
                | Self::RT
                | Self::SIG
                | Self::PX
                | Self::NXT
                | Self::NAPTR
                | Self::SRV
                | Self::DNAME
        )
    }
}

/// A resource record CLASS (RFC 1035 §3.2.4, RFC 2136 NONE, RFC 1035 ANY).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Class(pub u16);

registry!(
    Class,
    u16,
    "CLASS",
    [
        (IN, 1, "IN"),
        (CH, 3, "CH"),
        (HS, 4, "HS"),
        (NONE, 254, "NONE"),
        (ANY, 255, "ANY"),
    ]
);

/// A header OPCODE (4 bits; RFC 1035, RFC 1996 NOTIFY, RFC 2136 UPDATE, RFC 8490 DSO).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Opcode(pub u8);

registry!(
    Opcode,
    u8,
    "OPCODE",
    [
        (QUERY, 0, "QUERY"),
        (IQUERY, 1, "IQUERY"),
        (STATUS, 2, "STATUS"),
        (NOTIFY, 4, "NOTIFY"),
        (UPDATE, 5, "UPDATE"),
        (DSO, 6, "DSO"),
    ]
);

/// A response code, extended to 12 bits when an OPT record is present (RFC 6891 §6.1.3).
///
/// 16 is both BADVERS (in OPT) and BADSIG (in TSIG, RFC 8945); `Display` prints BADVERS,
/// [`Rcode::tsig_name`] prints BADSIG.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Rcode(pub u16);

registry!(
    Rcode,
    u16,
    "RCODE",
    [
        (NOERROR, 0, "NOERROR"),
        (FORMERR, 1, "FORMERR"),
        (SERVFAIL, 2, "SERVFAIL"),
        (NXDOMAIN, 3, "NXDOMAIN"),
        (NOTIMP, 4, "NOTIMP"),
        (REFUSED, 5, "REFUSED"),
        (YXDOMAIN, 6, "YXDOMAIN"),
        (YXRRSET, 7, "YXRRSET"),
        (NXRRSET, 8, "NXRRSET"),
        (NOTAUTH, 9, "NOTAUTH"),
        (NOTZONE, 10, "NOTZONE"),
        (DSOTYPENI, 11, "DSOTYPENI"),
        (BADVERS, 16, "BADVERS"),
        (BADKEY, 17, "BADKEY"),
        (BADTIME, 18, "BADTIME"),
        (BADMODE, 19, "BADMODE"),
        (BADNAME, 20, "BADNAME"),
        (BADALG, 21, "BADALG"),
        (BADTRUNC, 22, "BADTRUNC"),
        (BADCOOKIE, 23, "BADCOOKIE"),
    ]
);

impl Rcode {
    /// BADSIG (16) shares its value with BADVERS; TSIG error fields use this name.
    pub const BADSIG: Rcode = Rcode(16);

    /// The mnemonic as used in a TSIG error field (16 is BADSIG there).
    pub fn tsig_name(self) -> Option<&'static str> {
        if self == Self::BADSIG {
            Some("BADSIG")
        } else {
            self.name()
        }
    }

    /// Builds the 12-bit RCODE from OPT's upper 8 bits and the header's lower 4 bits.
    pub fn from_parts(ext_hi: u8, header_rcode: u8) -> Rcode {
        Rcode(u16::from(ext_hi) << 4 | u16::from(header_rcode & 0x0f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_display_their_mnemonic() {
        assert_eq!(Rtype::AAAA.to_string(), "AAAA");
        assert_eq!(Rtype(28), Rtype::AAAA);
        assert_eq!(Rtype::NSAP_PTR.to_string(), "NSAP-PTR");
        assert_eq!(Class::IN.to_string(), "IN");
        assert_eq!(Class::CH.to_string(), "CH");
        assert_eq!(Opcode::NOTIFY.to_string(), "NOTIFY");
        assert_eq!(Rcode::NXDOMAIN.to_string(), "NXDOMAIN");
        assert_eq!(Rcode::BADCOOKIE.to_string(), "BADCOOKIE");
    }

    #[test]
    fn unknown_values_use_the_generic_form() {
        assert_eq!(Rtype(65534).to_string(), "TYPE65534");
        assert_eq!(Rtype(65534).name(), None);
        assert_eq!(Class(99).to_string(), "CLASS99");
        assert_eq!(Opcode(9).to_string(), "OPCODE9");
        assert_eq!(Rcode(24).to_string(), "RCODE24");
        assert_eq!(format!("{:?}", Rtype(65534)), "Rtype(TYPE65534)");
    }

    #[test]
    fn from_name_accepts_mnemonics_and_generic_forms() {
        assert_eq!(Rtype::from_name("A"), Some(Rtype::A));
        assert_eq!(Rtype::from_name("aaaa"), Some(Rtype::AAAA));
        assert_eq!(Rtype::from_name("TYPE65534"), Some(Rtype(65534)));
        assert_eq!(Rtype::from_name("type1"), Some(Rtype::A));
        assert_eq!(Rtype::from_name("TYPE65536"), None);
        assert_eq!(Rtype::from_name("TYPE"), None);
        assert_eq!(Rtype::from_name("TYPE+1"), None);
        assert_eq!(Rtype::from_name("nope"), None);
        assert_eq!(Class::from_name("in"), Some(Class::IN));
        assert_eq!(Class::from_name("CLASS99"), Some(Class(99)));
        assert_eq!(Class::from_name("ÿ"), None);
    }

    #[test]
    fn bad_sig_and_bad_vers_share_a_value() {
        assert_eq!(Rcode::BADSIG, Rcode::BADVERS);
        assert_eq!(Rcode::BADSIG.tsig_name(), Some("BADSIG"));
        assert_eq!(Rcode(16).to_string(), "BADVERS");
        assert_eq!(Rcode::from_parts(1, 0), Rcode::BADVERS);
        assert_eq!(Rcode::from_parts(0, 3), Rcode::NXDOMAIN);
    }

    #[test]
    fn compression_list_follows_rfc3597() {
        assert!(Rtype::MX.decompresses_names());
        assert!(Rtype::SRV.decompresses_names());
        assert!(!Rtype::RRSIG.decompresses_names());
        assert!(!Rtype::SVCB.decompresses_names());
    }
}
