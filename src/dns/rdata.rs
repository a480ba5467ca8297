//! Typed RDATA (RFC 1035 §3.3 and the RFCs of each type) with dig's presentation format.
//!
//! [`Rdata::parse`] reads a record's RDATA through a [`Reader`] clamped to RDLENGTH that
//! still sees the message before it, so names may point back outside the RDATA. Names are
//! decompressed only in the types RFC 3597 §4 lists (see [`Rtype::decompresses_names`]);
//! a pointer anywhere else is an error. After the typed read, every RDATA byte must have
//! been used ([`ErrorKind::RdataLength`]). Unknown types are opaque bytes.
//!
//! `Display` follows BIND 9's `dig` output: hex and base64 blobs are upper-case hex and
//! standard base64 split into 56-character words, NSEC3 hashes base32hex without padding,
//! RRSIG times `YYYYMMDDHHMMSS` (UTC, seconds since 1970 in 32 bits), and anything unknown
//! in the RFC 3597 generic form `\# 4 0A000001`.

use core::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::edns::Opt;
use super::error::{clamp16, Error, ErrorKind};
use super::name::Name;
use super::reader::Reader;
use super::record::Record;
use super::types::{Class, Rcode, Rtype};

/// Typed RDATA. Variants borrow from the message; nothing is copied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rdata<'a> {
    /// IPv4 address (RFC 1035).
    A(Ipv4Addr),
    /// IPv6 address (RFC 3596).
    Aaaa(Ipv6Addr),
    /// Name server.
    Ns(Name<'a>),
    /// Canonical name.
    Cname(Name<'a>),
    /// Pointer.
    Ptr(Name<'a>),
    /// Delegation name (RFC 6672).
    Dname(Name<'a>),
    /// Mail exchange.
    Mx { preference: u16, exchange: Name<'a> },
    /// Text strings.
    Txt(CharStrings<'a>),
    /// SPF (RFC 7208; TXT format).
    Spf(CharStrings<'a>),
    /// Start of authority.
    Soa {
        mname: Name<'a>,
        rname: Name<'a>,
        serial: u32,
        refresh: u32,
        retry: u32,
        expire: u32,
        minimum: u32,
    },
    /// Service location (RFC 2782).
    Srv {
        priority: u16,
        weight: u16,
        port: u16,
        target: Name<'a>,
    },
    /// Host information.
    Hinfo { cpu: &'a [u8], os: &'a [u8] },
    /// Responsible person (RFC 1183).
    Rp { mbox: Name<'a>, txt: Name<'a> },
    /// AFS database (RFC 1183).
    Afsdb { subtype: u16, hostname: Name<'a> },
    /// Certification authority authorisation (RFC 8659).
    Caa {
        flags: u8,
        tag: &'a [u8],
        value: &'a [u8],
    },
    /// Naming authority pointer (RFC 3403).
    Naptr {
        order: u16,
        preference: u16,
        flags: &'a [u8],
        services: &'a [u8],
        regexp: &'a [u8],
        replacement: Name<'a>,
    },
    /// Delegation signer (RFC 4034).
    Ds {
        key_tag: u16,
        algorithm: u8,
        digest_type: u8,
        digest: &'a [u8],
    },
    /// Child DS (RFC 7344).
    Cds {
        key_tag: u16,
        algorithm: u8,
        digest_type: u8,
        digest: &'a [u8],
    },
    /// DNS public key (RFC 4034); see [`Rdata::key_tag`].
    Dnskey {
        flags: u16,
        protocol: u8,
        algorithm: u8,
        public_key: &'a [u8],
    },
    /// Child DNSKEY (RFC 7344).
    Cdnskey {
        flags: u16,
        protocol: u8,
        algorithm: u8,
        public_key: &'a [u8],
    },
    /// Signature (RFC 4034).
    Rrsig {
        type_covered: Rtype,
        algorithm: u8,
        labels: u8,
        original_ttl: u32,
        expiration: u32,
        inception: u32,
        key_tag: u16,
        signer: Name<'a>,
        signature: &'a [u8],
    },
    /// Next secure (RFC 4034).
    Nsec {
        next: Name<'a>,
        types: TypeBitmap<'a>,
    },
    /// Hashed next secure (RFC 5155).
    Nsec3 {
        hash_algorithm: u8,
        flags: u8,
        iterations: u16,
        salt: &'a [u8],
        next_hashed: &'a [u8],
        types: TypeBitmap<'a>,
    },
    /// NSEC3 parameters (RFC 5155).
    Nsec3param {
        hash_algorithm: u8,
        flags: u8,
        iterations: u16,
        salt: &'a [u8],
    },
    /// TLS association (RFC 6698).
    Tlsa {
        usage: u8,
        selector: u8,
        matching_type: u8,
        data: &'a [u8],
    },
    /// SSH fingerprint (RFC 4255).
    Sshfp {
        algorithm: u8,
        fp_type: u8,
        fingerprint: &'a [u8],
    },
    /// Service binding (RFC 9460).
    Svcb {
        priority: u16,
        target: Name<'a>,
        params: SvcParams<'a>,
    },
    /// HTTPS service binding (RFC 9460).
    Https {
        priority: u16,
        target: Name<'a>,
        params: SvcParams<'a>,
    },
    /// URI (RFC 7553).
    Uri {
        priority: u16,
        weight: u16,
        target: &'a [u8],
    },
    /// Location (RFC 1876), raw fields; `Display` converts them.
    Loc {
        version: u8,
        size: u8,
        horiz_pre: u8,
        vert_pre: u8,
        latitude: u32,
        longitude: u32,
        altitude: u32,
    },
    /// Transaction signature (RFC 8945).
    Tsig {
        algorithm: Name<'a>,
        time_signed: u64,
        fudge: u16,
        mac: &'a [u8],
        original_id: u16,
        error: Rcode,
        other: &'a [u8],
    },
    /// Mailbox (RFC 1035, experimental).
    Mb(Name<'a>),
    /// Mail group member (RFC 1035, experimental).
    Mg(Name<'a>),
    /// Mail rename (RFC 1035, experimental).
    Mr(Name<'a>),
    /// Mailbox information (RFC 1035, experimental).
    Minfo {
        rmailbx: Name<'a>,
        emailbx: Name<'a>,
    },
    /// Route through (RFC 1183).
    Rt { preference: u16, host: Name<'a> },
    /// Key exchanger (RFC 2230).
    Kx {
        preference: u16,
        exchanger: Name<'a>,
    },
    /// OpenPGP key (RFC 7929).
    Openpgpkey(&'a [u8]),
    /// S/MIME association (RFC 8162; TLSA format).
    Smimea {
        usage: u8,
        selector: u8,
        matching_type: u8,
        data: &'a [u8],
    },
    /// DHCP identifier (RFC 4701).
    Dhcid(&'a [u8]),
    /// 48-bit EUI (RFC 7043).
    Eui48([u8; 6]),
    /// 64-bit EUI (RFC 7043).
    Eui64([u8; 8]),
    /// Zone message digest (RFC 8976).
    Zonemd {
        serial: u32,
        scheme: u8,
        hash_algorithm: u8,
        digest: &'a [u8],
    },
    /// Child-to-parent synchronisation (RFC 7477).
    Csync {
        serial: u32,
        flags: u16,
        types: TypeBitmap<'a>,
    },
    /// EDNS OPT pseudo-record.
    Opt(Opt<'a>),
    /// Any other type, or a class-specific type outside class IN: opaque bytes.
    Unknown { rtype: Rtype, data: &'a [u8] },
    /// No RDATA in class ANY or NONE: an UPDATE prerequisite or deletion (RFC 2136 §2.4,
    /// §2.5). Displays as nothing, as dig and nsupdate do.
    Empty { rtype: Rtype },
}

fn invalid(rtype: Rtype, what: &'static str, at: usize) -> Error {
    Error::new(ErrorKind::RdataInvalid { rtype, what }, at)
}

impl<'a> Rdata<'a> {
    /// Parses the RDATA of `record`.
    pub fn parse(record: &Record<'a>) -> Result<Rdata<'a>, Error> {
        let rtype = record.rtype;
        let msg = record.message();
        let start = record.rdata_offset;
        let len = record.rdata.len();
        let mut r = Reader::clamped(msg, start, start + len);
        let size_err = || {
            Error::new(
                ErrorKind::RdataSize {
                    rtype,
                    len: clamp16(len),
                },
                start,
            )
        };
        // Class-specific types are only typed in IN (mDNS sets the top class bit).
        let in_class = record.class.0 & 0x7fff == Class::IN.0;
        let update_class = matches!(record.class, Class::ANY | Class::NONE);
        let data = match rtype {
            _ if len == 0 && update_class && rtype != Rtype::OPT => Rdata::Empty { rtype },
            Rtype::A | Rtype::AAAA | Rtype::SRV | Rtype::NAPTR if !in_class => Rdata::Unknown {
                rtype,
                data: r.rest(),
            },
            Rtype::A => {
                let a: [u8; 4] = record.rdata.try_into().map_err(|_| size_err())?;
                r.rest();
                Rdata::A(Ipv4Addr::from(a))
            }
            Rtype::AAAA => {
                let a: [u8; 16] = record.rdata.try_into().map_err(|_| size_err())?;
                r.rest();
                Rdata::Aaaa(Ipv6Addr::from(a))
            }
            Rtype::NS => Rdata::Ns(r.rdata_name(rtype)?),
            Rtype::CNAME => Rdata::Cname(r.rdata_name(rtype)?),
            Rtype::PTR => Rdata::Ptr(r.rdata_name(rtype)?),
            Rtype::DNAME => Rdata::Dname(r.rdata_name(rtype)?),
            Rtype::MX => Rdata::Mx {
                preference: r.u16()?,
                exchange: r.rdata_name(rtype)?,
            },
            Rtype::TXT | Rtype::SPF => {
                let strings = CharStrings::parse(&mut r)?;
                if rtype == Rtype::TXT {
                    Rdata::Txt(strings)
                } else {
                    Rdata::Spf(strings)
                }
            }
            Rtype::SOA => Rdata::Soa {
                mname: r.rdata_name(rtype)?,
                rname: r.rdata_name(rtype)?,
                serial: r.u32()?,
                refresh: r.u32()?,
                retry: r.u32()?,
                expire: r.u32()?,
                minimum: r.u32()?,
            },
            Rtype::SRV => Rdata::Srv {
                priority: r.u16()?,
                weight: r.u16()?,
                port: r.u16()?,
                target: r.rdata_name(rtype)?,
            },
            Rtype::HINFO => Rdata::Hinfo {
                cpu: r.char_string()?,
                os: r.char_string()?,
            },
            Rtype::RP => Rdata::Rp {
                mbox: r.rdata_name(rtype)?,
                txt: r.rdata_name(rtype)?,
            },
            Rtype::AFSDB => Rdata::Afsdb {
                subtype: r.u16()?,
                hostname: r.rdata_name(rtype)?,
            },
            Rtype::CAA => {
                let flags = r.u8()?;
                let tag_at = r.pos();
                let tag = r.char_string()?;
                if tag.is_empty() || !tag.iter().all(u8::is_ascii_alphanumeric) {
                    return Err(invalid(
                        rtype,
                        "CAA tag must be 1-255 letters or digits",
                        tag_at,
                    ));
                }
                Rdata::Caa {
                    flags,
                    tag,
                    value: r.rest(),
                }
            }
            Rtype::NAPTR => Rdata::Naptr {
                order: r.u16()?,
                preference: r.u16()?,
                flags: r.char_string()?,
                services: r.char_string()?,
                regexp: r.char_string()?,
                replacement: r.rdata_name(rtype)?,
            },
            Rtype::DS | Rtype::CDS => {
                let (key_tag, algorithm, digest_type) = (r.u16()?, r.u8()?, r.u8()?);
                let digest = r.rest();
                if rtype == Rtype::DS {
                    Rdata::Ds {
                        key_tag,
                        algorithm,
                        digest_type,
                        digest,
                    }
                } else {
                    Rdata::Cds {
                        key_tag,
                        algorithm,
                        digest_type,
                        digest,
                    }
                }
            }
            Rtype::DNSKEY | Rtype::CDNSKEY => {
                let (flags, protocol, algorithm) = (r.u16()?, r.u8()?, r.u8()?);
                let public_key = r.rest();
                if rtype == Rtype::DNSKEY {
                    Rdata::Dnskey {
                        flags,
                        protocol,
                        algorithm,
                        public_key,
                    }
                } else {
                    Rdata::Cdnskey {
                        flags,
                        protocol,
                        algorithm,
                        public_key,
                    }
                }
            }
            Rtype::RRSIG => Rdata::Rrsig {
                type_covered: Rtype(r.u16()?),
                algorithm: r.u8()?,
                labels: r.u8()?,
                original_ttl: r.u32()?,
                expiration: r.u32()?,
                inception: r.u32()?,
                key_tag: r.u16()?,
                signer: r.rdata_name(rtype)?,
                signature: r.rest(),
            },
            Rtype::NSEC => Rdata::Nsec {
                // RFC 4034 §4.1.1 forbids compressing the Next Domain Name,
                // but Multicast DNS compresses it (RFC 6762 §18.14) and
                // Apple's responder does: follow the (checked, backward)
                // pointer rather than reject the record.
                next: r.name()?,
                types: TypeBitmap::parse(&mut r, rtype)?,
            },
            Rtype::NSEC3 => {
                let (hash_algorithm, flags, iterations) = (r.u8()?, r.u8()?, r.u16()?);
                let salt = r.char_string()?;
                let hash_at = r.pos();
                let next_hashed = r.char_string()?;
                if next_hashed.is_empty() {
                    return Err(invalid(rtype, "empty next hashed owner name", hash_at));
                }
                Rdata::Nsec3 {
                    hash_algorithm,
                    flags,
                    iterations,
                    salt,
                    next_hashed,
                    types: TypeBitmap::parse(&mut r, rtype)?,
                }
            }
            Rtype::NSEC3PARAM => Rdata::Nsec3param {
                hash_algorithm: r.u8()?,
                flags: r.u8()?,
                iterations: r.u16()?,
                salt: r.char_string()?,
            },
            Rtype::TLSA => Rdata::Tlsa {
                usage: r.u8()?,
                selector: r.u8()?,
                matching_type: r.u8()?,
                data: r.rest(),
            },
            Rtype::SSHFP => Rdata::Sshfp {
                algorithm: r.u8()?,
                fp_type: r.u8()?,
                fingerprint: r.rest(),
            },
            Rtype::SVCB | Rtype::HTTPS => {
                let priority = r.u16()?;
                let target = r.rdata_name(rtype)?;
                let params = SvcParams::parse(&mut r, rtype)?;
                if rtype == Rtype::SVCB {
                    Rdata::Svcb {
                        priority,
                        target,
                        params,
                    }
                } else {
                    Rdata::Https {
                        priority,
                        target,
                        params,
                    }
                }
            }
            Rtype::URI => Rdata::Uri {
                priority: r.u16()?,
                weight: r.u16()?,
                target: r.rest(),
            },
            Rtype::LOC => {
                if len != 16 {
                    return Err(size_err());
                }
                let version = r.u8()?;
                if version != 0 {
                    return Err(invalid(rtype, "LOC version is not 0", start));
                }
                let (size, horiz_pre, vert_pre) = (r.u8()?, r.u8()?, r.u8()?);
                for (i, b) in [size, horiz_pre, vert_pre].into_iter().enumerate() {
                    if b >> 4 > 9 || b & 0x0f > 9 {
                        return Err(invalid(
                            rtype,
                            "LOC size or precision digit above 9",
                            start + 1 + i,
                        ));
                    }
                }
                let latitude = r.u32()?;
                let longitude = r.u32()?;
                let altitude = r.u32()?;
                if latitude.abs_diff(1 << 31) > 90 * 3_600_000 {
                    return Err(invalid(rtype, "LOC latitude beyond 90 degrees", start + 4));
                }
                if longitude.abs_diff(1 << 31) > 180 * 3_600_000 {
                    return Err(invalid(
                        rtype,
                        "LOC longitude beyond 180 degrees",
                        start + 8,
                    ));
                }
                Rdata::Loc {
                    version,
                    size,
                    horiz_pre,
                    vert_pre,
                    latitude,
                    longitude,
                    altitude,
                }
            }
            Rtype::TSIG => {
                let algorithm = r.rdata_name(rtype)?;
                let time_signed = r.u48()?;
                let fudge = r.u16()?;
                let mac_len = usize::from(r.u16()?);
                let mac = r.take(mac_len)?;
                let original_id = r.u16()?;
                let error = Rcode(r.u16()?);
                let other_len = usize::from(r.u16()?);
                let other = r.take(other_len)?;
                Rdata::Tsig {
                    algorithm,
                    time_signed,
                    fudge,
                    mac,
                    original_id,
                    error,
                    other,
                }
            }
            Rtype::MB => Rdata::Mb(r.rdata_name(rtype)?),
            Rtype::MG => Rdata::Mg(r.rdata_name(rtype)?),
            Rtype::MR => Rdata::Mr(r.rdata_name(rtype)?),
            Rtype::MINFO => Rdata::Minfo {
                rmailbx: r.rdata_name(rtype)?,
                emailbx: r.rdata_name(rtype)?,
            },
            Rtype::RT => Rdata::Rt {
                preference: r.u16()?,
                host: r.rdata_name(rtype)?,
            },
            Rtype::KX if in_class => Rdata::Kx {
                preference: r.u16()?,
                exchanger: r.rdata_name(rtype)?,
            },
            Rtype::OPENPGPKEY => Rdata::Openpgpkey(r.rest()),
            Rtype::SMIMEA => Rdata::Smimea {
                usage: r.u8()?,
                selector: r.u8()?,
                matching_type: r.u8()?,
                data: r.rest(),
            },
            Rtype::DHCID if in_class => Rdata::Dhcid(r.rest()),
            Rtype::EUI48 => Rdata::Eui48(r.rest().try_into().map_err(|_| size_err())?),
            Rtype::EUI64 => Rdata::Eui64(r.rest().try_into().map_err(|_| size_err())?),
            Rtype::ZONEMD => Rdata::Zonemd {
                serial: r.u32()?,
                scheme: r.u8()?,
                hash_algorithm: r.u8()?,
                digest: r.rest(),
            },
            Rtype::CSYNC => Rdata::Csync {
                serial: r.u32()?,
                flags: r.u16()?,
                types: TypeBitmap::parse(&mut r, rtype)?,
            },
            Rtype::OPT => {
                let opt = Opt::from_record(record)?;
                opt.validate()?;
                r.rest();
                Rdata::Opt(opt)
            }
            _ => Rdata::Unknown {
                rtype,
                data: r.rest(),
            },
        };
        if !r.is_empty() {
            return Err(Error::new(
                ErrorKind::RdataLength {
                    declared: clamp16(len),
                    consumed: clamp16(r.pos() - start),
                },
                start.saturating_sub(2),
            ));
        }
        Ok(data)
    }

    /// The key tag of a DNSKEY or CDNSKEY (RFC 4034 Appendix B), `None` for other types.
    pub fn key_tag(&self) -> Option<u16> {
        match *self {
            Rdata::Dnskey {
                flags,
                protocol,
                algorithm,
                public_key,
            }
            | Rdata::Cdnskey {
                flags,
                protocol,
                algorithm,
                public_key,
            } => Some(key_tag(flags, protocol, algorithm, public_key)),
            _ => None,
        }
    }
}

/// RFC 4034 Appendix B key tag over DNSKEY RDATA fields.
pub fn key_tag(flags: u16, protocol: u8, algorithm: u8, public_key: &[u8]) -> u16 {
    if algorithm == 1 {
        // RSA/MD5: the most significant 16 of the least significant 24 bits of the modulus.
        return match public_key {
            [.., a, b, _] => u16::from_be_bytes([*a, *b]),
            _ => 0,
        };
    }
    let [f0, f1] = flags.to_be_bytes();
    let head = [f0, f1, protocol, algorithm];
    let mut ac: u32 = 0;
    for (i, &b) in head.iter().chain(public_key).enumerate() {
        ac += if i & 1 == 0 {
            u32::from(b) << 8
        } else {
            u32::from(b)
        };
    }
    ac += (ac >> 16) & 0xffff;
    (ac & 0xffff) as u16
}

/// A sequence of `<character-string>`s (TXT, SPF), validated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CharStrings<'a> {
    data: &'a [u8],
}

impl<'a> CharStrings<'a> {
    fn parse(r: &mut Reader<'a>) -> Result<CharStrings<'a>, Error> {
        let mut check = *r;
        while !check.is_empty() {
            check.char_string()?;
        }
        Ok(CharStrings { data: r.rest() })
    }

    /// The raw RDATA, length bytes included.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.data
    }

    /// The strings, without their length bytes.
    pub fn iter(&self) -> CharStringIter<'a> {
        CharStringIter { rest: self.data }
    }
}

impl<'a> IntoIterator for CharStrings<'a> {
    type Item = &'a [u8];
    type IntoIter = CharStringIter<'a>;
    fn into_iter(self) -> CharStringIter<'a> {
        self.iter()
    }
}

/// Iterator over [`CharStrings`].
#[derive(Clone, Debug)]
pub struct CharStringIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for CharStringIter<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        let (&len, tail) = self.rest.split_first()?;
        let len = usize::from(len);
        let Some(s) = tail.get(..len) else {
            self.rest = &[];
            return None;
        };
        self.rest = tail.get(len..).unwrap_or(&[]);
        Some(s)
    }
}

impl fmt::Display for CharStrings<'_> {
    /// dig: each string in double quotes, separated by one space.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            Quoted(s).fmt(f)?;
        }
        Ok(())
    }
}

/// Writes bytes as the inside of a quoted presentation-format string: `"` and `\` get a
/// backslash, bytes outside 0x20..=0x7e become `\DDD` (BIND's `txt_totext`).
pub(crate) fn write_text_escaped(f: &mut fmt::Formatter<'_>, s: &[u8]) -> fmt::Result {
    // Runs of plain characters go out in one write (a write per byte was a
    // large part of the JSON listings' time on TXT-heavy captures).
    let plain = |b: u8| matches!(b, 0x20..=0x7e) && b != b'"' && b != b'\\';
    let mut rest = s;
    while !rest.is_empty() {
        let run = rest.iter().position(|&b| !plain(b)).unwrap_or(rest.len());
        let (text, tail) = rest.split_at(run);
        if !text.is_empty() {
            // Printable ASCII: always UTF-8.
            f.write_str(std::str::from_utf8(text).map_err(|_| fmt::Error)?)?;
        }
        let Some((&b, tail)) = tail.split_first() else {
            break;
        };
        match b {
            b'"' => f.write_str("\\\"")?,
            b'\\' => f.write_str("\\\\")?,
            _ => {
                let digits = [b'\\', b'0' + b / 100, b'0' + (b / 10) % 10, b'0' + b % 10];
                f.write_str(std::str::from_utf8(&digits).map_err(|_| fmt::Error)?)?;
            }
        }
        rest = tail;
    }
    Ok(())
}

/// Displays bytes as a quoted, escaped string.
#[derive(Clone, Copy, Debug)]
pub struct Quoted<'a>(pub &'a [u8]);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        write_text_escaped(f, self.0)?;
        f.write_str("\"")
    }
}

/// Displays bytes as dig does in DNSKEY and RRSIG: base64 in 56-character
/// words separated by one space (nothing for no bytes).
#[derive(Clone, Copy, Debug)]
pub struct Base64Words<'a>(pub &'a [u8]);

impl fmt::Display for Base64Words<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        enc::base64_words(f, self.0)
    }
}

/// Displays bytes as dig does in DS: upper-case hex in 56-character words.
#[derive(Clone, Copy, Debug)]
pub struct HexWords<'a>(pub &'a [u8]);

impl fmt::Display for HexWords<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        enc::hex_words(f, self.0)
    }
}

/// Displays bytes in the RFC 3597 generic form, `\# 4 0A000001` (`\# 0` when empty).
#[derive(Clone, Copy, Debug)]
pub struct Generic<'a>(pub &'a [u8]);

impl fmt::Display for Generic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\\# {}", self.0.len())?;
        if !self.0.is_empty() {
            f.write_str(" ")?;
            enc::hex_words(f, self.0)?;
        }
        Ok(())
    }
}

/// An NSEC/NSEC3 type bitmap (RFC 4034 §4.1.2), validated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TypeBitmap<'a> {
    data: &'a [u8],
}

impl<'a> TypeBitmap<'a> {
    fn parse(r: &mut Reader<'a>, rtype: Rtype) -> Result<TypeBitmap<'a>, Error> {
        let mut check = *r;
        let mut last: Option<u8> = None;
        while !check.is_empty() {
            let at = check.pos();
            let window = check.u8()?;
            let len = check.u8()?;
            if len == 0 || len > 32 {
                return Err(invalid(rtype, "type bitmap length must be 1 to 32", at + 1));
            }
            if last.is_some_and(|l| window <= l) {
                return Err(invalid(
                    rtype,
                    "type bitmap windows are not in increasing order",
                    at,
                ));
            }
            last = Some(window);
            let bits = check.take(usize::from(len))?;
            if bits.last() == Some(&0) {
                return Err(invalid(
                    rtype,
                    "type bitmap ends with a zero byte",
                    at + 1 + usize::from(len),
                ));
            }
        }
        Ok(TypeBitmap { data: r.rest() })
    }

    /// The raw bitmap bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.data
    }

    /// The types, in increasing order.
    pub fn iter(&self) -> Types<'a> {
        Types {
            rest: self.data,
            bit: 0,
        }
    }
}

impl<'a> IntoIterator for TypeBitmap<'a> {
    type Item = Rtype;
    type IntoIter = Types<'a>;
    fn into_iter(self) -> Types<'a> {
        self.iter()
    }
}

/// Iterator over the types in a [`TypeBitmap`].
#[derive(Clone, Debug)]
pub struct Types<'a> {
    rest: &'a [u8],
    bit: usize,
}

impl Iterator for Types<'_> {
    type Item = Rtype;
    fn next(&mut self) -> Option<Rtype> {
        loop {
            let [window, len, tail @ ..] = self.rest else {
                return None;
            };
            let bits = tail.get(..usize::from(*len)).unwrap_or(tail);
            // The next set bit from `self.bit` on, a byte at a time.
            while let Some(&b) = bits.get(self.bit / 8) {
                let left = b & (0xff >> (self.bit % 8));
                if left == 0 {
                    self.bit = (self.bit / 8 + 1) * 8;
                    continue;
                }
                let i = self.bit / 8 * 8 + left.leading_zeros() as usize;
                self.bit = i + 1;
                return Some(Rtype(u16::from(*window) << 8 | i as u16));
            }
            self.rest = tail.get(bits.len()..).unwrap_or(&[]);
            self.bit = 0;
        }
    }
}

impl fmt::Display for TypeBitmap<'_> {
    /// Mnemonics separated by spaces: `A NS SOA RRSIG`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, t) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{t}")?;
        }
        Ok(())
    }
}

/// SvcParamKeys (RFC 9460 §14.3.2).
pub mod svc_key {
    /// mandatory
    pub const MANDATORY: u16 = 0;
    /// alpn
    pub const ALPN: u16 = 1;
    /// no-default-alpn
    pub const NO_DEFAULT_ALPN: u16 = 2;
    /// port
    pub const PORT: u16 = 3;
    /// ipv4hint
    pub const IPV4HINT: u16 = 4;
    /// ech
    pub const ECH: u16 = 5;
    /// ipv6hint
    pub const IPV6HINT: u16 = 6;
    /// dohpath (RFC 9461)
    pub const DOHPATH: u16 = 7;
    /// ohttp (RFC 9540)
    pub const OHTTP: u16 = 8;
}

/// The presentation name of a SvcParamKey, `None` for `keyNNNNN` (dig 9.18 names keys 0-6).
pub fn svc_key_name(key: u16) -> Option<&'static str> {
    Some(match key {
        svc_key::MANDATORY => "mandatory",
        svc_key::ALPN => "alpn",
        svc_key::NO_DEFAULT_ALPN => "no-default-alpn",
        svc_key::PORT => "port",
        svc_key::IPV4HINT => "ipv4hint",
        svc_key::ECH => "ech",
        svc_key::IPV6HINT => "ipv6hint",
        // dohpath (7) and ohttp (8) print as key7/key8, as dig 9.18 does.
        _ => return None,
    })
}

struct SvcKey(u16);

impl fmt::Display for SvcKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match svc_key_name(self.0) {
            Some(n) => f.write_str(n),
            None => write!(f, "key{}", self.0),
        }
    }
}

/// The SvcParams of an SVCB/HTTPS record, validated (RFC 9460 §2.2: keys strictly
/// increasing; each known key's value well-formed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SvcParams<'a> {
    data: &'a [u8],
    offset: usize,
}

/// One SvcParam.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SvcParam<'a> {
    /// SvcParamKey.
    pub key: u16,
    /// SvcParamValue.
    pub value: &'a [u8],
    /// Offset of the key in the message.
    pub offset: usize,
}

impl<'a> SvcParams<'a> {
    fn parse(r: &mut Reader<'a>, rtype: Rtype) -> Result<SvcParams<'a>, Error> {
        let mut check = *r;
        let mut last: Option<u16> = None;
        while !check.is_empty() {
            let at = check.pos();
            let key = check.u16()?;
            let len = usize::from(check.u16()?);
            let value = check.take(len)?;
            if last.is_some_and(|l| key <= l) {
                return Err(invalid(
                    rtype,
                    "SvcParamKeys are not in strictly increasing order",
                    at,
                ));
            }
            last = Some(key);
            let ok = match key {
                svc_key::MANDATORY => !value.is_empty() && value.len() % 2 == 0,
                svc_key::ALPN => {
                    let mut v = Reader::new(value, 0);
                    let mut ok = !value.is_empty();
                    while ok && !v.is_empty() {
                        ok = v.char_string().is_ok_and(|s| !s.is_empty());
                    }
                    ok
                }
                svc_key::NO_DEFAULT_ALPN | svc_key::OHTTP => value.is_empty(),
                svc_key::PORT => value.len() == 2,
                svc_key::IPV4HINT => !value.is_empty() && value.len() % 4 == 0,
                svc_key::IPV6HINT => !value.is_empty() && value.len() % 16 == 0,
                _ => true,
            };
            if !ok {
                return Err(invalid(rtype, "malformed SvcParamValue", at));
            }
        }
        let offset = r.pos();
        Ok(SvcParams {
            data: r.rest(),
            offset,
        })
    }

    /// The params, in wire order.
    pub fn iter(&self) -> SvcParamIter<'a> {
        SvcParamIter {
            rest: self.data,
            offset: self.offset,
        }
    }

    /// Whether there are none (AliasMode records have none).
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

impl<'a> IntoIterator for SvcParams<'a> {
    type Item = SvcParam<'a>;
    type IntoIter = SvcParamIter<'a>;
    fn into_iter(self) -> SvcParamIter<'a> {
        self.iter()
    }
}

/// Iterator over [`SvcParams`].
#[derive(Clone, Debug)]
pub struct SvcParamIter<'a> {
    rest: &'a [u8],
    offset: usize,
}

impl<'a> Iterator for SvcParamIter<'a> {
    type Item = SvcParam<'a>;
    fn next(&mut self) -> Option<SvcParam<'a>> {
        let [k0, k1, l0, l1, tail @ ..] = self.rest else {
            return None;
        };
        let len = usize::from(u16::from_be_bytes([*l0, *l1]));
        let value = tail.get(..len)?;
        let p = SvcParam {
            key: u16::from_be_bytes([*k0, *k1]),
            value,
            offset: self.offset,
        };
        self.rest = tail.get(len..).unwrap_or(&[]);
        self.offset += 4 + len;
        Some(p)
    }
}

/// Writes an SvcParam value inside quotes. In an alpn list (`list`), BIND escapes twice: a
/// `,` inside an id is `\\,` and a backslash `\\\\`.
fn svc_escaped(f: &mut fmt::Formatter<'_>, s: &[u8], list: bool) -> fmt::Result {
    for &b in s {
        match b {
            b',' if list => f.write_str("\\\\,")?,
            b'\\' if list => f.write_str("\\\\\\\\")?,
            b'"' | b'\\' => write!(f, "\\{}", b as char)?,
            0x21..=0x7e => write!(f, "{}", b as char)?,
            _ => write!(f, "\\{b:03}")?,
        }
    }
    Ok(())
}

impl fmt::Display for SvcParam<'_> {
    /// BIND's form: `alpn="h2,h3"`, `port=443`, `ipv4hint=192.0.2.1,192.0.2.2`,
    /// `ech=<base64>`, `mandatory=alpn,port`, `no-default-alpn`, `key65333="..."`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", SvcKey(self.key))?;
        let v = self.value;
        match self.key {
            svc_key::MANDATORY => {
                f.write_str("=")?;
                for (i, c) in v.chunks_exact(2).enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    if let [a, b] = c {
                        write!(f, "{}", SvcKey(u16::from_be_bytes([*a, *b])))?;
                    }
                }
                Ok(())
            }
            svc_key::ALPN => {
                f.write_str("=\"")?;
                for (i, id) in (CharStringIter { rest: v }).enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    svc_escaped(f, id, true)?;
                }
                f.write_str("\"")
            }
            svc_key::PORT => match v {
                [a, b] => write!(f, "={}", u16::from_be_bytes([*a, *b])),
                _ => Ok(()),
            },
            svc_key::IPV4HINT => {
                f.write_str("=")?;
                for (i, c) in v.chunks_exact(4).enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    if let Ok(a) = <[u8; 4]>::try_from(c) {
                        write!(f, "{}", Ipv4Addr::from(a))?;
                    }
                }
                Ok(())
            }
            svc_key::IPV6HINT => {
                f.write_str("=")?;
                for (i, c) in v.chunks_exact(16).enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    if let Ok(a) = <[u8; 16]>::try_from(c) {
                        write!(f, "{}", Ipv6(Ipv6Addr::from(a)))?;
                    }
                }
                Ok(())
            }
            svc_key::ECH => {
                f.write_str("=")?;
                enc::base64(f, v)
            }
            _ if v.is_empty() => Ok(()),
            _ => {
                f.write_str("=\"")?;
                svc_escaped(f, v, false)?;
                f.write_str("\"")
            }
        }
    }
}

impl fmt::Display for SvcParams<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

/// An IPv6 address as BIND's `inet_ntop` writes it: RFC 5952 like `std`, except that an
/// IPv4-compatible address (`::a.b.c.d`, 96 zero bits then a word that is not zero) keeps
/// its dotted quad, as dig prints it.
#[derive(Clone, Copy, Debug)]
pub struct Ipv6(pub Ipv6Addr);

impl fmt::Display for Ipv6 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.segments() {
            [0, 0, 0, 0, 0, 0, hi, lo] if hi != 0 => {
                let [a, b] = hi.to_be_bytes();
                let [c, d] = lo.to_be_bytes();
                write!(f, "::{a}.{b}.{c}.{d}")
            }
            _ => write!(f, "{}", self.0),
        }
    }
}

/// RRSIG time as `YYYYMMDDHHMMSS`, UTC.
#[derive(Clone, Copy, Debug)]
pub struct SigTime(pub u32);

impl fmt::Display for SigTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = i64::from(self.0);
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        if (0..=9999).contains(&year) {
            // Every u32 time (years 1970-2106): the 14 digits by hand, one
            // write (RRSIGs print two per record).
            let mut text = [0u8; 14];
            let mut at = text.len();
            for (v, width) in [
                (rem % 60, 2),
                (rem / 60 % 60, 2),
                (rem / 3600, 2),
                (day, 2),
                (month, 2),
                (year, 4),
            ] {
                let mut v = v;
                for _ in 0..width {
                    at -= 1;
                    if let Some(slot) = text.get_mut(at) {
                        *slot = b'0' + (v % 10) as u8;
                    }
                    v /= 10;
                }
            }
            return f.write_str(core::str::from_utf8(&text).map_err(|_| fmt::Error)?);
        }
        write!(
            f,
            "{year:04}{month:02}{day:02}{:02}{:02}{:02}",
            rem / 3600,
            rem / 60 % 60,
            rem % 60
        )
    }
}

/// LOC size/precision byte: mantissa (high nibble) × 10^exponent (low nibble) cm, printed
/// in metres as BIND does (`1m`, `10000m`, `0.50m`).
struct LocSize(u8);

impl fmt::Display for LocSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mantissa = u64::from(self.0 >> 4);
        let exponent = u32::from(self.0 & 0x0f);
        if exponent >= 2 {
            write!(f, "{}m", mantissa * 10u64.pow(exponent - 2))
        } else {
            write!(f, "0.{:02}m", mantissa * 10u64.pow(exponent))
        }
    }
}

/// One LOC coordinate: thousandths of an arc second offset by 2^31.
struct LocCoord(u32, [char; 2]);

impl fmt::Display for LocCoord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (v, hemi) = if self.0 >= 1 << 31 {
            (self.0 - (1 << 31), self.1[0])
        } else {
            ((1 << 31) - self.0, self.1[1])
        };
        write!(
            f,
            "{} {} {}.{:03} {}",
            v / 3_600_000,
            v / 60_000 % 60,
            v / 1000 % 60,
            v % 1000,
            hemi
        )
    }
}

impl fmt::Display for Rdata<'_> {
    /// dig's presentation format for the type.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rdata::A(a) => write!(f, "{a}"),
            Rdata::Aaaa(a) => write!(f, "{}", Ipv6(*a)),
            Rdata::Ns(n) | Rdata::Cname(n) | Rdata::Ptr(n) | Rdata::Dname(n) => write!(f, "{n}"),
            Rdata::Mx {
                preference,
                exchange,
            } => write!(f, "{preference} {exchange}"),
            Rdata::Txt(s) | Rdata::Spf(s) => write!(f, "{s}"),
            Rdata::Soa {
                mname,
                rname,
                serial,
                refresh,
                retry,
                expire,
                minimum,
            } => write!(
                f,
                "{mname} {rname} {serial} {refresh} {retry} {expire} {minimum}"
            ),
            Rdata::Srv {
                priority,
                weight,
                port,
                target,
            } => write!(f, "{priority} {weight} {port} {target}"),
            Rdata::Hinfo { cpu, os } => write!(f, "{} {}", Quoted(cpu), Quoted(os)),
            Rdata::Rp { mbox, txt } => write!(f, "{mbox} {txt}"),
            Rdata::Afsdb { subtype, hostname } => write!(f, "{subtype} {hostname}"),
            Rdata::Caa { flags, tag, value } => {
                write!(f, "{flags} ")?;
                for &b in *tag {
                    write!(f, "{}", b as char)?;
                }
                write!(f, " {}", Quoted(value))
            }
            Rdata::Naptr {
                order,
                preference,
                flags,
                services,
                regexp,
                replacement,
            } => write!(
                f,
                "{order} {preference} {} {} {} {replacement}",
                Quoted(flags),
                Quoted(services),
                Quoted(regexp)
            ),
            Rdata::Ds {
                key_tag,
                algorithm,
                digest_type,
                digest,
            }
            | Rdata::Cds {
                key_tag,
                algorithm,
                digest_type,
                digest,
            } => {
                write!(f, "{key_tag} {algorithm} {digest_type}")?;
                if !digest.is_empty() {
                    f.write_str(" ")?;
                    enc::hex_words(f, digest)?;
                }
                Ok(())
            }
            Rdata::Dnskey {
                flags,
                protocol,
                algorithm,
                public_key,
            }
            | Rdata::Cdnskey {
                flags,
                protocol,
                algorithm,
                public_key,
            } => {
                write!(f, "{flags} {protocol} {algorithm}")?;
                if !public_key.is_empty() {
                    f.write_str(" ")?;
                    enc::base64_words(f, public_key)?;
                }
                Ok(())
            }
            Rdata::Rrsig {
                type_covered,
                algorithm,
                labels,
                original_ttl,
                expiration,
                inception,
                key_tag,
                signer,
                signature,
            } => {
                write!(
                    f,
                    "{type_covered} {algorithm} {labels} {original_ttl} {} {} {key_tag} {signer}",
                    SigTime(*expiration),
                    SigTime(*inception)
                )?;
                if !signature.is_empty() {
                    f.write_str(" ")?;
                    enc::base64_words(f, signature)?;
                }
                Ok(())
            }
            Rdata::Nsec { next, types } => {
                write!(f, "{next}")?;
                if types.iter().next().is_some() {
                    write!(f, " {types}")?;
                }
                Ok(())
            }
            Rdata::Nsec3 {
                hash_algorithm,
                flags,
                iterations,
                salt,
                next_hashed,
                types,
            } => {
                write!(f, "{hash_algorithm} {flags} {iterations} ")?;
                salt_fmt(f, salt)?;
                f.write_str(" ")?;
                enc::base32hex(f, next_hashed)?;
                if types.iter().next().is_some() {
                    write!(f, " {types}")?;
                }
                Ok(())
            }
            Rdata::Nsec3param {
                hash_algorithm,
                flags,
                iterations,
                salt,
            } => {
                write!(f, "{hash_algorithm} {flags} {iterations} ")?;
                salt_fmt(f, salt)
            }
            Rdata::Tlsa {
                usage,
                selector,
                matching_type,
                data,
            } => {
                write!(f, "{usage} {selector} {matching_type}")?;
                if !data.is_empty() {
                    f.write_str(" ")?;
                    enc::hex_words(f, data)?;
                }
                Ok(())
            }
            Rdata::Sshfp {
                algorithm,
                fp_type,
                fingerprint,
            } => {
                write!(f, "{algorithm} {fp_type}")?;
                if !fingerprint.is_empty() {
                    f.write_str(" ")?;
                    enc::hex_words(f, fingerprint)?;
                }
                Ok(())
            }
            Rdata::Svcb {
                priority,
                target,
                params,
            }
            | Rdata::Https {
                priority,
                target,
                params,
            } => {
                write!(f, "{priority} {target}")?;
                if !params.is_empty() {
                    write!(f, " {params}")?;
                }
                Ok(())
            }
            Rdata::Uri {
                priority,
                weight,
                target,
            } => write!(f, "{priority} {weight} {}", Quoted(target)),
            Rdata::Loc {
                size,
                horiz_pre,
                vert_pre,
                latitude,
                longitude,
                altitude,
                ..
            } => {
                let (sign, alt) = if *altitude < 10_000_000 {
                    ("-", 10_000_000 - altitude)
                } else {
                    ("", altitude - 10_000_000)
                };
                write!(
                    f,
                    "{} {} {sign}{}.{:02}m {} {} {}",
                    LocCoord(*latitude, ['N', 'S']),
                    LocCoord(*longitude, ['E', 'W']),
                    alt / 100,
                    alt % 100,
                    LocSize(*size),
                    LocSize(*horiz_pre),
                    LocSize(*vert_pre)
                )
            }
            Rdata::Tsig {
                algorithm,
                time_signed,
                fudge,
                mac,
                original_id,
                error,
                other,
            } => {
                write!(f, "{algorithm} {time_signed} {fudge} {}", mac.len())?;
                if !mac.is_empty() {
                    f.write_str(" ")?;
                    enc::base64_words(f, mac)?;
                }
                write!(f, " {original_id} ")?;
                match error.tsig_name() {
                    Some(n) => f.write_str(n)?,
                    None => write!(f, "{}", error.0)?,
                }
                write!(f, " {}", other.len())?;
                if !other.is_empty() {
                    f.write_str(" ")?;
                    enc::base64_words(f, other)?;
                }
                Ok(())
            }
            Rdata::Mb(n) | Rdata::Mg(n) | Rdata::Mr(n) => write!(f, "{n}"),
            Rdata::Minfo { rmailbx, emailbx } => write!(f, "{rmailbx} {emailbx}"),
            Rdata::Rt { preference, host } => write!(f, "{preference} {host}"),
            Rdata::Kx {
                preference,
                exchanger,
            } => write!(f, "{preference} {exchanger}"),
            Rdata::Openpgpkey(key) => enc::base64_words(f, key),
            Rdata::Dhcid(data) => enc::base64_words(f, data),
            Rdata::Smimea {
                usage,
                selector,
                matching_type,
                data,
            } => {
                write!(f, "{usage} {selector} {matching_type}")?;
                if !data.is_empty() {
                    f.write_str(" ")?;
                    enc::hex_words(f, data)?;
                }
                Ok(())
            }
            Rdata::Eui48(b) => eui(f, b),
            Rdata::Eui64(b) => eui(f, b),
            Rdata::Zonemd {
                serial,
                scheme,
                hash_algorithm,
                digest,
            } => {
                write!(f, "{serial} {scheme} {hash_algorithm}")?;
                if !digest.is_empty() {
                    f.write_str(" ")?;
                    enc::hex_words(f, digest)?;
                }
                Ok(())
            }
            Rdata::Csync {
                serial,
                flags,
                types,
            } => {
                write!(f, "{serial} {flags}")?;
                if types.iter().next().is_some() {
                    write!(f, " {types}")?;
                }
                Ok(())
            }
            Rdata::Opt(o) => write!(f, "{o}"),
            Rdata::Unknown { data, .. } => write!(f, "{}", Generic(data)),
            Rdata::Empty { .. } => Ok(()),
        }
    }
}

/// EUI-48/64 as lower-case hex pairs joined by `-` (RFC 7043 §3.2).
fn eui(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            f.write_str("-")?;
        }
        write!(f, "{b:02x}")?;
    }
    Ok(())
}

fn salt_fmt(f: &mut fmt::Formatter<'_>, salt: &[u8]) -> fmt::Result {
    if salt.is_empty() {
        f.write_str("-")
    } else {
        enc::hex(f, salt)
    }
}

/// Tiny encoders that write straight into the formatter.
mod enc {
    use core::fmt;

    /// dig splits long hex and base64 blobs into words of this many characters.
    pub(super) const WORD: usize = 56;

    /// Writes `c` and, every `WORD` characters, a space before the next;
    /// collects the characters on the stack and writes them in runs (a
    /// `write_char` per character was most of the JSON listings' time on
    /// DNSSEC answers). [`Words::finish`] writes the rest.
    struct Words<'f, 'g> {
        f: &'f mut fmt::Formatter<'g>,
        n: usize,
        split: bool,
        text: [u8; 128],
        len: usize,
    }

    impl<'f, 'g> Words<'f, 'g> {
        fn new(f: &'f mut fmt::Formatter<'g>, split: bool) -> Self {
            Words {
                f,
                n: 0,
                split,
                text: [0; 128],
                len: 0,
            }
        }

        fn put(&mut self, c: u8) -> fmt::Result {
            if self.split && self.n > 0 && self.n % WORD == 0 {
                self.push(b' ')?;
            }
            self.n += 1;
            self.push(c)
        }

        fn push(&mut self, c: u8) -> fmt::Result {
            if self.len == self.text.len() {
                self.flush()?;
            }
            if let Some(slot) = self.text.get_mut(self.len) {
                *slot = c;
                self.len += 1;
            }
            Ok(())
        }

        fn flush(&mut self) -> fmt::Result {
            // Only ASCII is ever put here.
            let text = self.text.get(..self.len).unwrap_or_default();
            self.f
                .write_str(core::str::from_utf8(text).map_err(|_| fmt::Error)?)?;
            self.len = 0;
            Ok(())
        }

        fn finish(mut self) -> fmt::Result {
            self.flush()
        }
    }

    const HEX: &[u8; 16] = b"0123456789ABCDEF";

    /// Writes `data` encoded `in_chunk` bytes at a time into `out_chunk`
    /// characters each (one word when split: a space between chunks), one
    /// `write_str` per chunk.
    fn chunked<const IN: usize, const OUT: usize>(
        f: &mut fmt::Formatter<'_>,
        data: &[u8],
        split: bool,
        encode: fn(&[u8], &mut [u8; OUT]) -> usize,
    ) -> fmt::Result {
        let mut text = [0u8; OUT];
        for (i, chunk) in data.chunks(IN).enumerate() {
            if split && i > 0 {
                f.write_str(" ")?;
            }
            let n = encode(chunk, &mut text);
            // Only ASCII is ever written here.
            let word = text.get(..n).unwrap_or_default();
            f.write_str(core::str::from_utf8(word).map_err(|_| fmt::Error)?)?;
        }
        Ok(())
    }

    /// A word of hex: `WORD` characters from `WORD / 2` bytes.
    fn hex_chunk(chunk: &[u8], text: &mut [u8; WORD]) -> usize {
        for (pair, &b) in text.chunks_exact_mut(2).zip(chunk) {
            pair[0] = HEX[usize::from(b >> 4)];
            pair[1] = HEX[usize::from(b & 0x0f)];
        }
        chunk.len() * 2
    }

    fn hex_impl(f: &mut fmt::Formatter<'_>, data: &[u8], split: bool) -> fmt::Result {
        chunked::<{ WORD / 2 }, WORD>(f, data, split, hex_chunk)
    }

    /// Upper-case hex, one word.
    pub(super) fn hex(f: &mut fmt::Formatter<'_>, data: &[u8]) -> fmt::Result {
        hex_impl(f, data, false)
    }

    /// Upper-case hex in 56-character words.
    pub(super) fn hex_words(f: &mut fmt::Formatter<'_>, data: &[u8]) -> fmt::Result {
        hex_impl(f, data, true)
    }

    const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    /// A word of base64: `WORD` characters from `WORD / 4 * 3` bytes (only
    /// the last chunk of the data can need padding).
    fn base64_chunk(chunk: &[u8], text: &mut [u8; WORD]) -> usize {
        let mut n = 0;
        for (group, out) in chunk.chunks(3).zip(text.chunks_exact_mut(4)) {
            let b = [
                group.first().copied().unwrap_or(0),
                group.get(1).copied().unwrap_or(0),
                group.get(2).copied().unwrap_or(0),
            ];
            let v = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
            for (i, c) in out.iter_mut().enumerate() {
                *c = if i <= group.len() {
                    B64[((v >> (18 - 6 * i)) & 0x3f) as usize]
                } else {
                    b'='
                };
            }
            n += 4;
        }
        n
    }

    fn base64_impl(f: &mut fmt::Formatter<'_>, data: &[u8], split: bool) -> fmt::Result {
        chunked::<{ WORD / 4 * 3 }, WORD>(f, data, split, base64_chunk)
    }

    /// Standard base64 with padding, one word.
    pub(super) fn base64(f: &mut fmt::Formatter<'_>, data: &[u8]) -> fmt::Result {
        base64_impl(f, data, false)
    }

    /// Standard base64 in 56-character words.
    pub(super) fn base64_words(f: &mut fmt::Formatter<'_>, data: &[u8]) -> fmt::Result {
        base64_impl(f, data, true)
    }

    const B32HEX: &[u8; 32] = b"0123456789ABCDEFGHIJKLMNOPQRSTUV";

    /// Base32hex (RFC 4648 §7), upper case, no padding (NSEC3, RFC 5155 §3.3).
    pub(super) fn base32hex(f: &mut fmt::Formatter<'_>, data: &[u8]) -> fmt::Result {
        let mut w = Words::new(f, false);
        for chunk in data.chunks(5) {
            let mut b = [0u8; 8];
            b[3..3 + chunk.len()].copy_from_slice(chunk);
            let n = u64::from_be_bytes(b);
            let chars = (chunk.len() * 8).div_ceil(5);
            for i in 0..chars {
                w.put(B32HEX[((n >> (35 - 5 * i)) & 0x1f) as usize])?;
            }
        }
        w.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The types of a bitmap, bit by bit (the former `Types::next`).
    fn types_bit_by_bit(data: &[u8]) -> Vec<Rtype> {
        let mut out = Vec::new();
        let mut rest = data;
        while let [window, len, tail @ ..] = rest {
            let bits = tail.get(..usize::from(*len)).unwrap_or(tail);
            for i in 0..bits.len() * 8 {
                if bits.get(i / 8).is_some_and(|b| b & (0x80 >> (i % 8)) != 0) {
                    out.push(Rtype(u16::from(*window) << 8 | i as u16));
                }
            }
            rest = tail.get(bits.len()..).unwrap_or(&[]);
        }
        out
    }

    #[test]
    fn bitmap_types_agree_with_a_bit_by_bit_walk() {
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        for round in 0..20_000 {
            let mut data = Vec::new();
            for _ in 0..(round % 7) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                data.push((x >> 8) as u8 & if round % 3 == 0 { 0x23 } else { 0xff });
            }
            if round % 2 == 0 && data.len() >= 2 {
                data[1] %= 34;
            }
            let bitmap = TypeBitmap { data: &data };
            assert_eq!(
                bitmap.iter().collect::<Vec<_>>(),
                types_bit_by_bit(&data),
                "{data:02x?}"
            );
        }
    }

    /// The encoders through `Display`.
    struct Enc<'a>(&'a [u8], u8);

    impl fmt::Display for Enc<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self.1 {
                0 => enc::hex(f, self.0),
                1 => enc::hex_words(f, self.0),
                2 => enc::base64(f, self.0),
                3 => enc::base64_words(f, self.0),
                _ => enc::base32hex(f, self.0),
            }
        }
    }

    /// Characters split into words of `enc::WORD`, as the encoders did one
    /// `write_char` at a time.
    fn words(chars: &str, split: bool) -> String {
        let mut out = String::new();
        for (i, c) in chars.chars().enumerate() {
            if split && i > 0 && i % enc::WORD == 0 {
                out.push(' ');
            }
            out.push(c);
        }
        out
    }

    #[test]
    fn encoders_write_long_runs_as_they_wrote_characters() {
        const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for len in 0..400usize {
            let data: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let hex: String = data.iter().map(|b| format!("{b:02X}")).collect();
            let mut b64 = String::new();
            for c in data.chunks(3) {
                let n = c
                    .iter()
                    .enumerate()
                    .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
                for i in 0..4 {
                    b64.push(if i <= c.len() {
                        char::from(B64[((n >> (18 - 6 * i)) & 0x3f) as usize])
                    } else {
                        '='
                    });
                }
            }
            assert_eq!(Enc(&data, 0).to_string(), words(&hex, false));
            assert_eq!(Enc(&data, 1).to_string(), words(&hex, true));
            assert_eq!(Enc(&data, 2).to_string(), words(&b64, false));
            assert_eq!(Enc(&data, 3).to_string(), words(&b64, true));
            assert_eq!(Enc(&data, 4).to_string().len(), (len * 8).div_ceil(5));
        }
        assert_eq!(Enc(b"\x00\x01\xff", 4).to_string(), "000VU");
    }

    #[test]
    fn signature_times_as_the_generic_format_wrote_them() {
        for secs in [
            0,
            1,
            59,
            86_399,
            86_400,
            951_782_400,
            1_764_987_161,
            2_000_000_000,
            u32::MAX - 1,
            u32::MAX,
        ]
        .into_iter()
        .chain((0..2000).map(|i| i * 2_147_483 + 12_345))
        {
            // The generic path as it was: days to a civil date (Hinnant), then `write!`.
            let s = i64::from(secs);
            let z = s.div_euclid(86_400) + 719_468;
            let era = z.div_euclid(146_097);
            let doe = z - era * 146_097;
            let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
            let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
            let mp = (5 * doy + 2) / 153;
            let d = doy - (153 * mp + 2) / 5 + 1;
            let m = if mp < 10 { mp + 3 } else { mp - 9 };
            let y = yoe + era * 400 + i64::from(m <= 2);
            let rem = s.rem_euclid(86_400);
            let want = format!(
                "{y:04}{m:02}{d:02}{:02}{:02}{:02}",
                rem / 3600,
                rem / 60 % 60,
                rem % 60
            );
            assert_eq!(SigTime(secs).to_string(), want, "{secs}");
        }
        assert_eq!(SigTime(951_782_400).to_string(), "20000229000000");
    }

    #[test]
    fn text_escaping_of_every_byte() {
        // Each byte alone, then all of them in one string: as BIND's txt_totext.
        let mut all = String::new();
        for b in 0..=255u8 {
            let want = match b {
                b'"' => "\\\"".to_string(),
                b'\\' => "\\\\".to_string(),
                0x20..=0x7e => (b as char).to_string(),
                _ => format!("\\{b:03}"),
            };
            assert_eq!(Quoted(&[b]).to_string(), format!("\"{want}\""));
            all.push_str(&want);
        }
        let bytes: Vec<u8> = (0..=255u8).collect();
        assert_eq!(Quoted(&bytes).to_string(), format!("\"{all}\""));
        assert_eq!(Quoted(b"v=spf1 -all").to_string(), "\"v=spf1 -all\"");
        assert_eq!(Quoted(b"").to_string(), "\"\"");
    }
    use crate::dns::message::{Message, Section};

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// Every response in `testdata/bind918.txt` (BIND 9.18 answering queries for a zone with
    /// every type dig knows, signed with NSEC3 and NSEC) displays exactly as dig 9.18 showed
    /// it: owner, TTL, class, type and RDATA of each answer and authority record.
    #[test]
    fn display_matches_dig_for_every_type() {
        let data = include_str!("testdata/bind918.txt");
        let mut cases = 0;
        let mut lines = data.lines().filter(|l| !l.starts_with('#')).peekable();
        while let Some(head) = lines.next() {
            let query = head.strip_prefix("> ").expect("block header");
            let bytes = unhex(lines.next().expect("hex"));
            let mut expected = Vec::new();
            while let Some(l) = lines.next_if(|l| l.starts_with("= ")) {
                expected.push(l[2..].to_string());
            }
            let msg = Message::parse(&bytes).unwrap();
            let mut shown = Vec::new();
            let mut walk = msg.entries();
            for e in walk.by_ref() {
                let crate::dns::message::Entry::Record(section, r) = e.unwrap() else {
                    continue;
                };
                if section == Section::Additional {
                    continue;
                }
                let data = r.data().unwrap_or_else(|e| panic!("{query}: {e}"));
                shown.push(format!(
                    "{}|{}|{}|{}|{}",
                    r.name, r.ttl, r.class, r.rtype, data
                ));
            }
            assert!(walk.is_complete(), "{query}");
            assert_eq!(walk.trailing(), 0);
            // BIND rotates RRsets between queries: compare as sorted lists.
            shown.sort();
            expected.sort();
            assert_eq!(shown, expected, "{query}");
            cases += 1;
        }
        assert_eq!(cases, 62);
    }

    /// One record `example. 300 IN <rtype> <rdata>` after a header; returns the message.
    fn one_record(rtype: Rtype, rdata: &[u8]) -> Vec<u8> {
        let mut m = vec![0, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0];
        m.extend_from_slice(&[7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 0]); // 0x0c
        m.extend_from_slice(&rtype.0.to_be_bytes());
        m.extend_from_slice(&[0, 1, 0, 0, 1, 44]);
        m.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        m.extend_from_slice(rdata); // RDATA at 0x1f
        m
    }

    fn data_of(m: &[u8]) -> Result<Rdata<'_>, Error> {
        let msg = Message::parse(m).unwrap();
        let rec = msg.answers().next().unwrap().unwrap();
        rec.data()
    }

    fn shown(rtype: Rtype, rdata: &[u8]) -> String {
        let m = one_record(rtype, rdata);
        data_of(&m).unwrap().to_string()
    }

    fn err(rtype: Rtype, rdata: &[u8]) -> Error {
        let m = one_record(rtype, rdata);
        data_of(&m).unwrap_err()
    }

    #[test]
    fn a_and_aaaa_with_wrong_length_are_rdata_size_errors() {
        assert_eq!(
            err(Rtype::A, &[1, 2, 3, 4, 5]),
            Error::new(
                ErrorKind::RdataSize {
                    rtype: Rtype::A,
                    len: 5
                },
                0x1f
            )
        );
        assert_eq!(
            err(Rtype::AAAA, &[0; 4]).kind,
            ErrorKind::RdataSize {
                rtype: Rtype::AAAA,
                len: 4
            }
        );
        assert_eq!(err(Rtype::LOC, &[0; 15]).offset, 0x1f);
    }

    #[test]
    fn leftover_rdata_is_an_rdata_length_error_at_rdlength() {
        // MX 10 "." plus one stray byte.
        assert_eq!(
            err(Rtype::MX, &[0, 10, 0, 0xff]),
            Error::new(
                ErrorKind::RdataLength {
                    declared: 4,
                    consumed: 3
                },
                0x1d
            )
        );
    }

    #[test]
    fn name_in_rdata_cannot_run_past_rdlength() {
        // NS with RDLENGTH 3 but the name "ab." needs 4 bytes; the 4th is outside RDATA.
        let mut m = one_record(Rtype::NS, &[2, b'a', b'b']);
        m.push(0);
        assert_eq!(
            data_of(&m).unwrap_err(),
            Error::new(
                ErrorKind::Truncated {
                    needed: 1,
                    available: 0
                },
                0x22
            )
        );
    }

    #[test]
    fn names_in_rdata_may_point_before_it() {
        // CNAME "www" + pointer to the owner at 0x0c.
        assert_eq!(
            shown(Rtype::CNAME, &[3, b'w', b'w', b'w', 0xc0, 0x0c]),
            "www.example."
        );
    }

    #[test]
    fn compression_in_non_rfc3597_types_is_rejected() {
        // RRSIG signer name compressed against the owner.
        let mut rdata = vec![0, 1, 13, 1, 0, 0, 1, 44, 0, 0, 0, 2, 0, 0, 0, 1, 0x30, 0x39];
        rdata.extend_from_slice(&[0xc0, 0x0c, 0xaa]);
        assert_eq!(
            err(Rtype::RRSIG, &rdata),
            Error::new(ErrorKind::PointerNotAllowed(Rtype::RRSIG), 0x1f + 18)
        );
        // The same record with the name written out displays.
        let mut rdata = vec![0, 1, 13, 1, 0, 0, 1, 44, 0, 0, 0, 2, 0, 0, 0, 1, 0x30, 0x39];
        rdata.extend_from_slice(&[7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 0, 0xaa]);
        assert_eq!(
            shown(Rtype::RRSIG, &rdata),
            "A 13 1 300 19700101000002 19700101000001 12345 example. qg=="
        );
    }

    #[test]
    fn txt_string_past_rdata_is_truncated() {
        assert_eq!(
            err(Rtype::TXT, &[2, b'o', b'k', 9, b'x']),
            Error::new(
                ErrorKind::Truncated {
                    needed: 10,
                    available: 2
                },
                0x22
            )
        );
    }

    #[test]
    fn type_bitmap_rules() {
        // NSEC "." with windows out of order.
        assert_eq!(
            err(Rtype::NSEC, &[0, 1, 1, 0x40, 0, 1, 0x40]),
            Error::new(
                ErrorKind::RdataInvalid {
                    rtype: Rtype::NSEC,
                    what: "type bitmap windows are not in increasing order"
                },
                0x23
            )
        );
        assert_eq!(
            err(Rtype::NSEC, &[0, 0, 0]).kind,
            ErrorKind::RdataInvalid {
                rtype: Rtype::NSEC,
                what: "type bitmap length must be 1 to 32"
            }
        );
        assert!(err(Rtype::NSEC, &[0, 0, 2, 0x40, 0])
            .to_string()
            .contains("zero byte"));
        // Window 1 bit 0 is type 256 (URI), window 0 bits 1 and 2 are A and NS.
        assert_eq!(
            shown(Rtype::NSEC, &[0, 0, 1, 0x60, 1, 1, 0x80]),
            ". A NS URI"
        );
        assert_eq!(shown(Rtype::NSEC, &[0]), ".");
    }

    #[test]
    fn svcb_keys_must_increase() {
        let rdata = [0, 1, 0, 0, 3, 0, 2, 1, 187, 0, 1, 0, 3, 2, b'h', b'2'];
        assert_eq!(
            err(Rtype::SVCB, &rdata),
            Error::new(
                ErrorKind::RdataInvalid {
                    rtype: Rtype::SVCB,
                    what: "SvcParamKeys are not in strictly increasing order"
                },
                0x1f + 9
            )
        );
        assert_eq!(
            err(Rtype::HTTPS, &[0, 1, 0, 0, 3, 0, 1, 1]).kind,
            ErrorKind::RdataInvalid {
                rtype: Rtype::HTTPS,
                what: "malformed SvcParamValue"
            }
        );
    }

    #[test]
    fn caa_tag_and_loc_version_are_checked() {
        assert_eq!(
            err(Rtype::CAA, &[0, 2, b'a', b'-', b'x']),
            Error::new(
                ErrorKind::RdataInvalid {
                    rtype: Rtype::CAA,
                    what: "CAA tag must be 1-255 letters or digits"
                },
                0x20
            )
        );
        let mut loc = [0u8; 16];
        loc[0] = 1;
        assert_eq!(
            err(Rtype::LOC, &loc).kind,
            ErrorKind::RdataInvalid {
                rtype: Rtype::LOC,
                what: "LOC version is not 0"
            }
        );
    }

    #[test]
    fn unknown_and_class_specific_types_are_generic() {
        assert_eq!(shown(Rtype(65534), &[10, 0, 0, 1]), "\\# 4 0A000001");
        assert_eq!(shown(Rtype(65534), &[]), "\\# 0");
        // A in class CH is not an IPv4 address.
        let mut m = one_record(Rtype::A, &[1, 2, 3, 4]);
        m[0x18] = 3;
        assert_eq!(data_of(&m).unwrap().to_string(), "\\# 4 01020304");
        // mDNS cache-flush bit: still IN.
        m[0x17] = 0x80;
        m[0x18] = 1;
        assert_eq!(data_of(&m).unwrap().to_string(), "1.2.3.4");
    }

    #[test]
    fn empty_rdata_in_update_classes() {
        // RFC 2136 "delete an RRset": class ANY, RDLENGTH 0.
        let mut m = one_record(Rtype::CNAME, &[]);
        m[0x18] = 255;
        let msg = Message::parse(&m).unwrap();
        let r = msg.answers().next().unwrap().unwrap();
        assert_eq!(
            r.data().unwrap(),
            Rdata::Empty {
                rtype: Rtype::CNAME
            }
        );
        assert_eq!(r.to_string(), "example.\t300\tANY\tCNAME\t");
        // The same in class IN is a truncated name.
        assert_eq!(
            err(Rtype::CNAME, &[]).kind,
            ErrorKind::Truncated {
                needed: 1,
                available: 0
            }
        );
    }

    #[test]
    fn dnskey_key_tag_matches_bind() {
        // The ZSK of the signed test zone: dig showed RRSIGs by key tags 28689 (ZSK) and
        // 45381 (KSK) over the DNSKEY RRset of t.test.
        let data = include_str!("testdata/bind918.txt");
        let hex = data
            .lines()
            .skip_while(|l| *l != "> t.test DNSKEY")
            .nth(1)
            .unwrap();
        let bytes = unhex(hex);
        let msg = Message::parse(&bytes).unwrap();
        let mut tags: Vec<u16> = msg
            .answers()
            .filter_map(|r| r.unwrap().data().unwrap().key_tag())
            .collect();
        tags.sort_unstable();
        assert_eq!(tags, [28689, 45381]);
        assert_eq!(key_tag(257, 3, 1, &[1, 2, 3, 4, 5]), 0x0304);
    }

    #[test]
    fn tsig_displays_like_dig() {
        // Response to `dig -y hmac-sha256:tk:...`: the TSIG record is the last additional.
        let bytes = unhex(concat!(
            "1ece84000001000100010003017404746573740000010001c00c000100010000012c0004c000",
            "0201c00c000200010000012c0006036e7331c00cc034000100010000012c0004c00002350000",
            "2904d000000000000002746b0000fa00ff00000000003d0b686d61632d736861323536000000",
            "6b026be9012c0020955612350f5ef165c86d8825529ebc352103e85ba1d00e96256d7c225033",
            "87831ece00000000"
        ));
        let msg = Message::parse(&bytes).unwrap();
        let tsig = msg.additional().last().unwrap().unwrap();
        assert_eq!(tsig.rtype, Rtype::TSIG);
        assert_eq!(tsig.class, Class::ANY);
        assert_eq!(
            tsig.data().unwrap().to_string(),
            "hmac-sha256. 1795320809 300 32 lVYSNQ9e8WXIbYglUp68NSED6Fuh0A6WJW18IlAzh4M= 7886 NOERROR 0"
        );
    }

    #[test]
    fn txt_strings_iterate() {
        let m = one_record(Rtype::TXT, &[2, b'h', b'i', 0, 1, 0x07]);
        match data_of(&m).unwrap() {
            Rdata::Txt(t) => {
                assert_eq!(t.iter().collect::<Vec<_>>(), [&b"hi"[..], b"", b"\x07"]);
                assert_eq!(t.to_string(), "\"hi\" \"\" \"\\007\"");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn encoders() {
        struct B64<'a>(&'a [u8]);
        impl fmt::Display for B64<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                enc::base64(f, self.0)
            }
        }
        struct B32<'a>(&'a [u8]);
        impl fmt::Display for B32<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                enc::base32hex(f, self.0)
            }
        }
        // RFC 4648 §10 test vectors.
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
        ] {
            assert_eq!(B64(i.as_bytes()).to_string(), o);
        }
        for (i, o) in [
            ("f", "CO"),
            ("fo", "CPNG"),
            ("foo", "CPNMU"),
            ("foob", "CPNMUOG"),
            ("fooba", "CPNMUOJ1"),
            ("foobar", "CPNMUOJ1E8"),
        ] {
            assert_eq!(B32(i.as_bytes()).to_string(), o);
        }
        assert_eq!(SigTime(0).to_string(), "19700101000000");
        assert_eq!(SigTime(951_782_400).to_string(), "20000229000000");
        assert_eq!(SigTime(u32::MAX).to_string(), "21060207062815");
    }

    /// Formerly an error: in Multicast DNS the NSEC Next Domain Name is
    /// compressed (RFC 6762 §18.14), as Apple's responder writes it
    /// (`zeek__radiotap.pcap` frame 3, `nDPI__iphone.pcap`).
    #[test]
    fn mdns_nsec_next_name_may_be_compressed() {
        let msg = [
            0x00, 0x00, 0x84, 0x00, // ID 0, QR AA
            0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, // AN=1
            4, b'h', b'o', b's', b't', 5, b'l', b'o', b'c', b'a', b'l', 0, // 12: host.local.
            0x00, 0x2f, 0x80, 0x01, // NSEC, cache-flush | IN
            0x00, 0x00, 0x00, 0x78, // TTL 120
            0x00, 0x08, // RDLENGTH
            0xc0, 0x0c, // next domain name: pointer to host.local.
            0x00, 0x04, 0x40, 0x00, 0x00, 0x08, // window 0, 4 bytes: A, AAAA
        ];
        let m = Message::parse(&msg).unwrap();
        let rec = m.answers().next().unwrap().unwrap();
        let data = rec.data().unwrap();
        assert_eq!(data.to_string(), "host.local. A AAAA");
    }
}
