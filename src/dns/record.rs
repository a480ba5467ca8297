//! Resource records (RFC 1035 §3.2.1 and §4.1.3).

use core::fmt;

use super::error::{clamp16, Error, ErrorKind};
use super::name::Name;
use super::rdata::Rdata;
use super::reader::Reader;
use super::types::{Class, Rtype};

/// Fewest bytes a record can take: root owner (1), TYPE, CLASS, TTL, RDLENGTH (10).
pub const MIN_RECORD_LEN: usize = 11;

/// One resource record; the RDATA is a borrowed slice, typed lazily by [`Record::data`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    /// Owner name.
    pub name: Name<'a>,
    /// TYPE.
    pub rtype: Rtype,
    /// CLASS (for OPT: the UDP payload size).
    pub class: Class,
    /// TTL (for OPT: extended RCODE, version and flags).
    pub ttl: u32,
    /// The RDLENGTH bytes of RDATA.
    pub rdata: &'a [u8],
    /// Offset of the RDATA in the message.
    pub rdata_offset: usize,
    /// Offset of the record's first byte (its owner name).
    pub offset: usize,
}

impl<'a> Record<'a> {
    /// Parses the record at `offset`; returns it and the offset just after its RDATA.
    pub fn parse(msg: &'a [u8], offset: usize) -> Result<(Record<'a>, usize), Error> {
        let mut r = Reader::new(msg, offset);
        let name = r.name()?;
        let rtype = Rtype(r.u16()?);
        let class = Class(r.u16()?);
        let ttl = r.u32()?;
        let rdlen_at = r.pos();
        let rdlen = usize::from(r.u16()?);
        let rdata_offset = r.pos();
        let rdata = r.take(rdlen).map_err(|_| {
            Error::new(
                ErrorKind::Truncated {
                    needed: clamp16(rdlen + 2),
                    available: clamp16(msg.len().saturating_sub(rdlen_at)),
                },
                rdlen_at,
            )
        })?;
        Ok((
            Record {
                name,
                rtype,
                class,
                ttl,
                rdata,
                rdata_offset,
                offset,
            },
            r.pos(),
        ))
    }

    /// The message the record lives in (the owner name carries it).
    pub fn message(&self) -> &'a [u8] {
        self.name.message()
    }

    /// Offset just after the record.
    pub fn end(&self) -> usize {
        self.rdata_offset + self.rdata.len()
    }

    /// The typed RDATA. An error here concerns this record only: the walk over the message
    /// can go on to the next record.
    pub fn data(&self) -> Result<Rdata<'a>, Error> {
        Rdata::parse(self)
    }
}

impl fmt::Display for Record<'_> {
    /// dig's answer line: owner, TTL, class, type, RDATA, tab-separated. RDATA that does not
    /// parse is shown in the RFC 3597 generic form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}\t{}\t{}\t{}\t",
            self.name, self.ttl, self.class, self.rtype
        )?;
        match self.data() {
            Ok(d) => write!(f, "{d}"),
            Err(_) => write!(f, "{}", super::rdata::Generic(self.rdata)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// dig @127.0.0.1 example.com A: the answer record "example.com. 300 IN A 192.0.2.1"
    /// compressed against the question.
    const RESPONSE: [u8; 45] = [
        0x4f, 0x1e, 0x85, 0x00, 0, 1, 0, 1, 0, 0, 0, 0, // header
        7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 3, b'c', b'o', b'm', 0, // 0x0c qname
        0, 1, 0, 1, // A IN
        0xc0, 0x0c, // 0x1d owner: pointer to 0x0c
        0, 1, // TYPE A
        0, 1, // CLASS IN
        0, 0, 0x01, 0x2c, // TTL 300
        0, 4, // RDLENGTH
        192, 0, 2, 1, // RDATA
    ];

    #[test]
    fn parses_compressed_answer_record() {
        let (r, next) = Record::parse(&RESPONSE, 0x1d).unwrap();
        assert_eq!(next, RESPONSE.len());
        assert_eq!(r.name.to_string(), "example.com.");
        assert_eq!((r.rtype, r.class, r.ttl), (Rtype::A, Class::IN, 300));
        assert_eq!(r.rdata, &[192, 0, 2, 1]);
        assert_eq!(r.rdata_offset, 0x29);
        assert_eq!(r.offset, 0x1d);
        assert_eq!(r.end(), 45);
        assert_eq!(r.to_string(), "example.com.\t300\tIN\tA\t192.0.2.1");
    }

    #[test]
    fn rdata_past_end_is_truncated_at_rdlength() {
        let e = Record::parse(&RESPONSE[..44], 0x1d).unwrap_err();
        // RDLENGTH at 0x27 announces 2 + 4 bytes, 5 are left.
        assert_eq!(
            e,
            Error::new(
                ErrorKind::Truncated {
                    needed: 6,
                    available: 5
                },
                0x27
            )
        );
    }

    #[test]
    fn bad_rdata_displays_generically() {
        let mut m = RESPONSE.to_vec();
        m[0x28] = 3; // RDLENGTH 3 for an A record
        m.pop();
        let (r, _) = Record::parse(&m, 0x1d).unwrap();
        assert_eq!(
            r.data().unwrap_err(),
            Error::new(
                ErrorKind::RdataSize {
                    rtype: Rtype::A,
                    len: 3
                },
                0x29
            )
        );
        assert_eq!(r.to_string(), "example.com.\t300\tIN\tA\t\\# 3 C00002");
    }
}
