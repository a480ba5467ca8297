//! EDNS(0): the OPT pseudo-record (RFC 6891) and its options.
//!
//! CLASS is the requestor's UDP payload size; TTL holds the upper 8 bits of the extended
//! RCODE, the version, the DO bit (RFC 3225) and 15 reserved flag bits; RDATA is a list of
//! `(code, length, data)` options, each bounds-checked.

use core::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::error::{clamp16, Error, ErrorKind};
use super::name::Name;
use super::reader::Reader;
use super::record::Record;
use super::types::{Rcode, Rtype};

/// A parsed OPT record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Opt<'a> {
    /// Requestor's UDP payload size (the CLASS field).
    pub udp_payload_size: u16,
    /// Upper 8 bits of the 12-bit extended RCODE.
    pub ext_rcode_hi: u8,
    /// EDNS version (0 today).
    pub version: u8,
    /// DO: DNSSEC OK (RFC 3225).
    pub dnssec_ok: bool,
    /// The other 15 flag bits (must be zero).
    pub z: u16,
    /// Offset of the OPT record in the message.
    pub offset: usize,
    /// Offset of the options (the RDATA) in the message.
    pub options_offset: usize,
    options: &'a [u8],
    msg: &'a [u8],
}

impl<'a> Opt<'a> {
    /// Reads an OPT record. The owner must be the root; the type is not checked (callers
    /// pass records whose `rtype` is OPT).
    pub fn from_record(r: &Record<'a>) -> Result<Opt<'a>, Error> {
        if !r.name.is_root() {
            return Err(Error::new(ErrorKind::OptNotRoot, r.offset));
        }
        Ok(Opt {
            udp_payload_size: r.class.0,
            ext_rcode_hi: (r.ttl >> 24) as u8,
            version: (r.ttl >> 16) as u8,
            dnssec_ok: r.ttl & 0x8000 != 0,
            z: (r.ttl & 0x7fff) as u16,
            offset: r.offset,
            options_offset: r.rdata_offset,
            options: r.rdata,
            msg: r.message(),
        })
    }

    /// The raw options (the OPT RDATA).
    pub fn options_bytes(&self) -> &'a [u8] {
        self.options
    }

    /// The options, in order; fuses after the first malformed one.
    pub fn options(&self) -> EdnsOptions<'a> {
        EdnsOptions {
            msg: self.msg,
            pos: self.options_offset,
            end: self.options_offset + self.options.len(),
            failed: false,
        }
    }

    /// Checks that every option is well-formed (used by `Record::data`).
    pub(crate) fn validate(&self) -> Result<(), Error> {
        for o in self.options() {
            o?.validate()?;
        }
        Ok(())
    }

    /// The 12-bit RCODE, given the header's 4-bit one.
    pub fn rcode(&self, header_rcode: Rcode) -> Rcode {
        Rcode::from_parts(self.ext_rcode_hi, (header_rcode.0 & 0x0f) as u8)
    }
}

impl fmt::Display for Opt<'_> {
    /// dig's pseudosection line, `version: 0, flags: do; udp: 1232`, then `; OPTION` for
    /// each option.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "version: {}, flags:", self.version)?;
        if self.dnssec_ok {
            f.write_str(" do")?;
        }
        if self.z != 0 {
            write!(f, "; MBZ: {:#06x} ", self.z)?;
        }
        write!(f, "; udp: {}", self.udp_payload_size)?;
        for o in self.options() {
            match o {
                Ok(o) => write!(f, "; {o}")?,
                Err(_) => f.write_str("; (malformed option)")?,
            }
        }
        Ok(())
    }
}

/// Iterator over an OPT record's options.
#[derive(Clone, Debug)]
pub struct EdnsOptions<'a> {
    msg: &'a [u8],
    pos: usize,
    end: usize,
    failed: bool,
}

impl<'a> Iterator for EdnsOptions<'a> {
    type Item = Result<EdnsOption<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.end {
            return None;
        }
        let mut r = Reader::clamped(self.msg, self.pos, self.end);
        let offset = r.pos();
        let res = (|| {
            let code = r.u16()?;
            let len = usize::from(r.u16()?);
            let data = r.take(len).map_err(|_| {
                Error::new(
                    ErrorKind::Truncated {
                        needed: clamp16(len + 4),
                        available: clamp16(self.end - offset),
                    },
                    offset,
                )
            })?;
            Ok(EdnsOption { code, data, offset })
        })();
        match res {
            Ok(o) => {
                self.pos = r.pos();
                Some(Ok(o))
            }
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

/// One EDNS option: its code and value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EdnsOption<'a> {
    /// OPTION-CODE.
    pub code: u16,
    /// OPTION-DATA.
    pub data: &'a [u8],
    /// Offset of the option (its code) in the message.
    pub offset: usize,
}

/// Option codes (IANA "DNS EDNS0 Option Codes").
pub mod code {
    /// Long-lived queries.
    pub const LLQ: u16 = 1;
    /// Update lease.
    pub const UL: u16 = 2;
    /// Name server identifier (RFC 5001).
    pub const NSID: u16 = 3;
    /// DNSSEC algorithm understood (RFC 6975).
    pub const DAU: u16 = 5;
    /// DS hash understood.
    pub const DHU: u16 = 6;
    /// NSEC3 hash understood.
    pub const N3U: u16 = 7;
    /// Client subnet (RFC 7871).
    pub const CLIENT_SUBNET: u16 = 8;
    /// Zone expire (RFC 7314).
    pub const EXPIRE: u16 = 9;
    /// Cookie (RFC 7873).
    pub const COOKIE: u16 = 10;
    /// TCP keepalive (RFC 7828).
    pub const TCP_KEEPALIVE: u16 = 11;
    /// Padding (RFC 7830).
    pub const PADDING: u16 = 12;
    /// Chain query (RFC 7901).
    pub const CHAIN: u16 = 13;
    /// Key tag (RFC 8145).
    pub const KEY_TAG: u16 = 14;
    /// Extended DNS error (RFC 8914).
    pub const EDE: u16 = 15;
    /// Client tag.
    pub const CLIENT_TAG: u16 = 16;
    /// Server tag.
    pub const SERVER_TAG: u16 = 17;
    /// Report channel (RFC 9567).
    pub const REPORT_CHANNEL: u16 = 18;
    /// Zone version (RFC 9660).
    pub const ZONEVERSION: u16 = 19;
}

/// RFC 8914 §5.2 info-code texts.
pub fn ede_info_text(info: u16) -> Option<&'static str> {
    Some(match info {
        0 => "Other Error",
        1 => "Unsupported DNSKEY Algorithm",
        2 => "Unsupported DS Digest Type",
        3 => "Stale Answer",
        4 => "Forged Answer",
        5 => "DNSSEC Indeterminate",
        6 => "DNSSEC Bogus",
        7 => "Signature Expired",
        8 => "Signature Not Yet Valid",
        9 => "DNSKEY Missing",
        10 => "RRSIGs Missing",
        11 => "No Zone Key Bit Set",
        12 => "NSEC Missing",
        13 => "Cached Error",
        14 => "Not Ready",
        15 => "Blocked",
        16 => "Censored",
        17 => "Filtered",
        18 => "Prohibited",
        19 => "Stale NXDomain Answer",
        20 => "Not Authoritative",
        21 => "Not Supported",
        22 => "No Reachable Authority",
        23 => "Network Error",
        24 => "Invalid Data",
        25 => "Signature Expired before Valid",
        26 => "Too Early",
        27 => "Unsupported NSEC3 Iterations Value",
        28 => "Unable to conform to policy",
        29 => "Synthesized",
        30 => "Invalid Query Type",
        _ => return None,
    })
}

impl<'a> EdnsOption<'a> {
    /// dig's name for the option code.
    pub fn name(&self) -> Option<&'static str> {
        Some(match self.code {
            code::LLQ => "LLQ",
            code::UL => "UL",
            code::NSID => "NSID",
            code::DAU => "DAU",
            code::DHU => "DHU",
            code::N3U => "N3U",
            code::CLIENT_SUBNET => "CLIENT-SUBNET",
            code::EXPIRE => "EXPIRE",
            code::COOKIE => "COOKIE",
            code::TCP_KEEPALIVE => "TCP-KEEPALIVE",
            code::PADDING => "PADDING",
            code::CHAIN => "CHAIN",
            code::KEY_TAG => "KEY-TAG",
            code::EDE => "EDE",
            code::CLIENT_TAG => "CLIENT-TAG",
            code::SERVER_TAG => "SERVER-TAG",
            code::REPORT_CHANNEL => "REPORT-CHANNEL",
            code::ZONEVERSION => "ZONEVERSION",
            _ => return None,
        })
    }

    /// Offset of the option's data in the message.
    pub fn data_offset(&self) -> usize {
        self.offset + 4
    }

    fn invalid(&self, what: &'static str) -> Error {
        Error::new(
            ErrorKind::RdataInvalid {
                rtype: Rtype::OPT,
                what,
            },
            self.offset,
        )
    }

    /// Checks the option's value against its code's format (lengths, prefix sizes).
    pub fn validate(&self) -> Result<(), Error> {
        match self.code {
            code::CLIENT_SUBNET => self.client_subnet().map(|_| ()),
            code::COOKIE if !(8..=40).contains(&self.data.len()) => {
                Err(self.invalid("COOKIE must be 8 to 40 bytes"))
            }
            code::TCP_KEEPALIVE if !matches!(self.data.len(), 0 | 2) => {
                Err(self.invalid("TCP-KEEPALIVE must be 0 or 2 bytes"))
            }
            code::EXPIRE if !matches!(self.data.len(), 0 | 4) => {
                Err(self.invalid("EXPIRE must be 0 or 4 bytes"))
            }
            code::EDE if self.data.len() < 2 => Err(self.invalid("EDE needs a 2-byte info code")),
            code::KEY_TAG if self.data.len() % 2 != 0 => {
                Err(self.invalid("KEY-TAG must be a list of 2-byte tags"))
            }
            code::CHAIN => Name::parse(self.data, 0).map(|_| ()).map_err(|mut e| {
                e.offset = clamp16(self.data_offset() + usize::from(e.offset));
                e
            }),
            _ => Ok(()),
        }
    }

    /// The client-subnet option as `(family, source prefix, scope prefix, address bytes)`.
    fn client_subnet(&self) -> Result<(u16, u8, u8, &'a [u8]), Error> {
        let at = |mut e: Error| {
            e.offset = clamp16(self.data_offset() + usize::from(e.offset));
            e
        };
        let mut r = Reader::new(self.data, 0);
        let family = r.u16().map_err(at)?;
        let source = r.u8().map_err(at)?;
        let scope = r.u8().map_err(at)?;
        let addr = r.rest();
        let max = match family {
            1 => 32,
            2 => 128,
            _ => return Err(self.invalid("CLIENT-SUBNET family must be 1 or 2")),
        };
        if source > max || scope > max {
            return Err(self.invalid("CLIENT-SUBNET prefix longer than the address"));
        }
        if addr.len() != usize::from(source).div_ceil(8) {
            return Err(self.invalid("CLIENT-SUBNET address length does not match the prefix"));
        }
        Ok((family, source, scope, addr))
    }
}

/// Writes `bytes` as lowercase hex, a space between bytes (dig's NSID and unknown options).
fn hex_spaced(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            f.write_str(" ")?;
        }
        write!(f, "{b:02x}")?;
    }
    Ok(())
}

/// Writes `bytes` as lowercase hex.
fn hex(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    for b in bytes {
        write!(f, "{b:02x}")?;
    }
    Ok(())
}

/// Writes `bytes` as printable text, replacing non-printables by `.` (as dig does).
fn printable(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    for &b in bytes {
        let c = if (0x20..0x7f).contains(&b) {
            b as char
        } else {
            '.'
        };
        write!(f, "{c}")?;
    }
    Ok(())
}

impl fmt::Display for EdnsOption<'_> {
    /// dig-like: `NSID: 6e 73 ("ns")`, `CLIENT-SUBNET: 192.0.2.0/24/0`, `COOKIE: <hex>`,
    /// `PADDING: 12 bytes`, `EDE: 18 (Prohibited): "text"`, `TCP-KEEPALIVE: 30.0 secs`;
    /// unknown codes `OPT=65001: ab cd ("..")`. A malformed value falls back to hex.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => write!(f, "{n}:")?,
            None => write!(f, "OPT={}:", self.code)?,
        }
        let d = self.data;
        if self.validate().is_err() {
            f.write_str(" ")?;
            return hex(f, d);
        }
        match self.code {
            code::NSID if !d.is_empty() => {
                f.write_str(" ")?;
                hex_spaced(f, d)?;
                f.write_str(" (\"")?;
                printable(f, d)?;
                f.write_str("\")")
            }
            code::CLIENT_SUBNET => {
                let Ok((family, source, scope, addr)) = self.client_subnet() else {
                    return Ok(());
                };
                if family == 1 {
                    let mut a = [0u8; 4];
                    for (d, s) in a.iter_mut().zip(addr) {
                        *d = *s;
                    }
                    write!(f, " {}/{source}/{scope}", Ipv4Addr::from(a))
                } else {
                    let mut a = [0u8; 16];
                    for (d, s) in a.iter_mut().zip(addr) {
                        *d = *s;
                    }
                    let a = super::rdata::Ipv6(Ipv6Addr::from(a));
                    write!(f, " {a}/{source}/{scope}")
                }
            }
            code::COOKIE => {
                f.write_str(" ")?;
                hex(f, d)
            }
            code::PADDING => write!(f, " {} bytes", d.len()),
            code::TCP_KEEPALIVE => match d {
                [a, b] => {
                    let t = u16::from_be_bytes([*a, *b]);
                    write!(f, " {}.{} secs", t / 10, t % 10)
                }
                _ => Ok(()),
            },
            code::EXPIRE => match d {
                [a, b, c, e] => write!(f, " {}", u32::from_be_bytes([*a, *b, *c, *e])),
                _ => Ok(()),
            },
            code::EDE => {
                let (info, text) = match d {
                    [a, b, rest @ ..] => (u16::from_be_bytes([*a, *b]), rest),
                    _ => return Ok(()),
                };
                write!(f, " {info}")?;
                if let Some(t) = ede_info_text(info) {
                    write!(f, " ({t})")?;
                }
                if !text.is_empty() {
                    f.write_str(": \"")?;
                    super::rdata::write_text_escaped(f, text)?;
                    f.write_str("\"")?;
                }
                Ok(())
            }
            code::DAU | code::DHU | code::N3U => {
                for b in d {
                    write!(f, " {b}")?;
                }
                Ok(())
            }
            code::KEY_TAG => {
                for (i, c) in d.chunks_exact(2).enumerate() {
                    let sep = if i == 0 { " " } else { ", " };
                    if let [a, b] = c {
                        write!(f, "{sep}{}", u16::from_be_bytes([*a, *b]))?;
                    }
                }
                Ok(())
            }
            code::CHAIN => match Name::parse(d, 0) {
                Ok((n, _)) => write!(f, " {n}"),
                Err(_) => Ok(()),
            },
            _ => {
                if !d.is_empty() {
                    f.write_str(" ")?;
                    hex_spaced(f, d)?;
                    f.write_str(" (\"")?;
                    printable(f, d)?;
                    f.write_str("\")")?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::message::Message;

    /// A dig +nsid +cookie response's additional section: root OPT with udp 1232,
    /// ext-rcode 0, version 0, DO set, and three options.
    fn opt_message(ttl: [u8; 4], owner: &[u8], options: &[u8]) -> Vec<u8> {
        let mut m = vec![
            0x00, 0x01, 0x81, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, // header: ARCOUNT 1
        ];
        m.extend_from_slice(owner);
        m.extend_from_slice(&[0, 41, 0x04, 0xd0]); // OPT, udp 1232
        m.extend_from_slice(&ttl);
        m.extend_from_slice(&(options.len() as u16).to_be_bytes());
        m.extend_from_slice(options);
        m
    }

    const OPTIONS: &[u8] = &[
        0, 3, 0, 2, b'n', b's', // NSID "ns"
        0, 10, 0, 8, 1, 35, 69, 103, 137, 171, 205, 239, // COOKIE 0123456789abcdef
        0, 8, 0, 7, 0, 1, 24, 0, 192, 0, 2, // ECS 192.0.2.0/24/0
        0, 12, 0, 3, 0, 0, 0, // PADDING 3
        0, 15, 0, 6, 0, 18, b'n', b'o', b'p', b'e', // EDE 18 "nope"
        0, 11, 0, 2, 1, 44, // TCP-KEEPALIVE 30.0 s
        0xfd, 0xe9, 0, 1, 0xab, // unknown 65001
    ];

    #[test]
    fn opt_fields_and_options_from_a_response() {
        let m = opt_message([0x01, 0x00, 0x80, 0x00], &[0], OPTIONS);
        let msg = Message::parse(&m).unwrap();
        let opt = msg.opt().unwrap().unwrap();
        assert_eq!(opt.udp_payload_size, 1232);
        assert_eq!(opt.ext_rcode_hi, 1);
        assert_eq!(opt.version, 0);
        assert!(opt.dnssec_ok);
        assert_eq!(opt.z, 0);
        assert_eq!(opt.offset, 12);
        // ext rcode 1 << 4 | header rcode 0 = 16 BADVERS
        assert_eq!(msg.rcode(), Rcode::BADVERS);
        let shown: Vec<String> = opt.options().map(|o| o.unwrap().to_string()).collect();
        assert_eq!(
            shown,
            [
                "NSID: 6e 73 (\"ns\")",
                "COOKIE: 0123456789abcdef",
                "CLIENT-SUBNET: 192.0.2.0/24/0",
                "PADDING: 3 bytes",
                "EDE: 18 (Prohibited): \"nope\"",
                "TCP-KEEPALIVE: 30.0 secs",
                "OPT=65001: ab (\".\")",
            ]
        );
        let first = opt.options().next().unwrap().unwrap();
        assert_eq!(
            (first.code, first.offset, first.name()),
            (3, 23, Some("NSID"))
        );
        assert_eq!(
            opt.to_string().split("; ").take(2).collect::<Vec<_>>(),
            ["version: 0, flags: do", "udp: 1232"]
        );
    }

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// BIND 9.18 answering `dig +nsid +cookie=0123456789abcdef t.test A`: dig printed
    /// `; NSID: 6e 73 ("ns")` and `; COOKIE: 0123456789abcdef010000006b026be96bc23e9ee9d8fa3c`.
    #[test]
    fn bind_response_with_nsid_and_cookie() {
        let bytes = unhex(concat!(
            "322e84000001000100010002017404746573740000010001c00c000100010000012c0004c000",
            "0201c00c000200010000012c0006036e7331c00cc034000100010000012c0004c0000235",
            // 0x4a OPT: root, udp 1232, TTL 0, RDLENGTH 0x22
            "00002904d0000000000022",
            "000300026e73", // NSID "ns"
            "000a0018",     // COOKIE, 24 bytes: client 8 + server 16
            "0123456789abcdef010000006b026be96bc23e9ee9d8fa3c"
        ));
        let msg = Message::parse(&bytes).unwrap();
        let opt = msg.opt().unwrap().unwrap();
        assert_eq!(
            (opt.udp_payload_size, opt.version, opt.dnssec_ok),
            (1232, 0, false)
        );
        assert_eq!(opt.offset, 0x4a);
        let shown: Vec<String> = opt.options().map(|o| o.unwrap().to_string()).collect();
        assert_eq!(
            shown,
            [
                "NSID: 6e 73 (\"ns\")",
                "COOKIE: 0123456789abcdef010000006b026be96bc23e9ee9d8fa3c"
            ]
        );
        assert_eq!(
            opt.to_string(),
            "version: 0, flags:; udp: 1232; NSID: 6e 73 (\"ns\"); COOKIE: 0123456789abcdef010000006b026be96bc23e9ee9d8fa3c"
        );
    }

    /// BIND 9.18 refusing a query for a zone with `allow-query { none; }`: REFUSED with
    /// `; EDE: 18 (Prohibited)`.
    #[test]
    fn bind_refusal_with_extended_error() {
        let bytes = unhex(concat!(
            "6f8e80050001000000000001",         // REFUSED, AR 1
            "0464656e790474657374000001000100", // deny.test. A IN
            "002904d0000000000006",             // OPT, RDLENGTH 6
            "000f00020012"                      // EDE info 18, no text
        ));
        let msg = Message::parse(&bytes).unwrap();
        assert_eq!(msg.rcode(), Rcode::REFUSED);
        let opt = msg.opt().unwrap().unwrap();
        let ede = opt.options().next().unwrap().unwrap();
        assert_eq!(ede.name(), Some("EDE"));
        assert_eq!(ede.to_string(), "EDE: 18 (Prohibited)");
    }

    /// dig's query with `+subnet=192.0.2.0/24 +expire +keepalive +ednsopt=65001:abcd
    /// +padding=128`; dig printed `CLIENT-SUBNET: 192.0.2.0/24/0` and `OPT=65001: ab cd ("..")`.
    #[test]
    fn dig_query_with_many_options() {
        let mut bytes = unhex(concat!(
            "2ca90020000100000000000101740474657374000001000100",
            "002904d000000000005d",   // OPT, RDLENGTH 93
            "0008000700011800c00002", // ECS family 1 /24 scope 0, 192.0.2
            "00090000",               // EXPIRE, empty
            "000b0000",               // TCP-KEEPALIVE, empty
            "fde90002abcd",           // 65001
            "000c0040"                // PADDING, 64 zero bytes
        ));
        bytes.extend_from_slice(&[0; 64]);
        let msg = Message::parse(&bytes).unwrap();
        let opt = msg.opt().unwrap().unwrap();
        let shown: Vec<String> = opt.options().map(|o| o.unwrap().to_string()).collect();
        assert_eq!(
            shown,
            [
                "CLIENT-SUBNET: 192.0.2.0/24/0",
                "EXPIRE:",
                "TCP-KEEPALIVE:",
                "OPT=65001: ab cd (\"..\")",
                "PADDING: 64 bytes"
            ]
        );
        let codes: Vec<u16> = opt.options().map(|o| o.unwrap().code).collect();
        assert_eq!(codes, [8, 9, 11, 65001, 12]);
    }

    #[test]
    fn truncated_option_fuses_the_iterator() {
        // NSID claims 5 bytes, 2 present.
        let m = opt_message([0; 4], &[0], &[0, 3, 0, 5, b'n', b's']);
        let msg = Message::parse(&m).unwrap();
        let opt = msg.opt().unwrap().unwrap();
        let mut it = opt.options();
        assert_eq!(
            it.next().unwrap().unwrap_err(),
            Error::new(
                ErrorKind::Truncated {
                    needed: 9,
                    available: 6
                },
                23
            )
        );
        assert!(it.next().is_none());
    }

    #[test]
    fn opt_owner_must_be_root() {
        let m = opt_message([0; 4], &[1, b'x', 0], &[]);
        let msg = Message::parse(&m).unwrap();
        assert_eq!(
            msg.opt().unwrap().unwrap_err(),
            Error::new(ErrorKind::OptNotRoot, 12)
        );
    }

    #[test]
    fn ipv6_client_subnet_and_bad_prefix() {
        let m = opt_message(
            [0; 4],
            &[0],
            &[0, 8, 0, 10, 0, 2, 48, 0, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01],
        );
        let msg = Message::parse(&m).unwrap();
        let o = msg
            .opt()
            .unwrap()
            .unwrap()
            .options()
            .next()
            .unwrap()
            .unwrap();
        assert_eq!(o.to_string(), "CLIENT-SUBNET: 2001:db8:1::/48/0");
        let m = opt_message([0; 4], &[0], &[0, 8, 0, 5, 0, 1, 33, 0, 1]);
        let msg = Message::parse(&m).unwrap();
        let o = msg
            .opt()
            .unwrap()
            .unwrap()
            .options()
            .next()
            .unwrap()
            .unwrap();
        assert_eq!(
            o.validate().unwrap_err().kind,
            ErrorKind::RdataInvalid {
                rtype: Rtype::OPT,
                what: "CLIENT-SUBNET prefix longer than the address"
            }
        );
        assert_eq!(o.to_string(), "CLIENT-SUBNET: 0001210001");
    }
}
