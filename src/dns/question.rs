//! The question section entry (RFC 1035 §4.1.2).

use core::fmt;

use super::error::Error;
use super::name::Name;
use super::reader::Reader;
use super::types::{Class, Rtype};

/// One question: QNAME, QTYPE, QCLASS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Question<'a> {
    /// QNAME.
    pub name: Name<'a>,
    /// QTYPE.
    pub qtype: Rtype,
    /// QCLASS (mDNS uses the top bit as "unicast response"; it is kept as is).
    pub qclass: Class,
    /// Offset of the question's first byte in the message.
    pub offset: usize,
}

impl<'a> Question<'a> {
    /// Parses the question at `offset`; returns it and the offset just after it.
    pub fn parse(msg: &'a [u8], offset: usize) -> Result<(Question<'a>, usize), Error> {
        let mut r = Reader::new(msg, offset);
        let name = r.name()?;
        let qtype = Rtype(r.u16()?);
        let qclass = Class(r.u16()?);
        Ok((
            Question {
                name,
                qtype,
                qclass,
                offset,
            },
            r.pos(),
        ))
    }
}

impl fmt::Display for Question<'_> {
    /// dig's question line without the leading `;`: `example.com.\t\tIN\tA`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\t\t{}\t{}", self.name, self.qclass, self.qtype)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::error::ErrorKind;

    #[test]
    fn parses_question_after_header() {
        let msg = [
            0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, // header
            7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 3, b'c', b'o', b'm', 0, // QNAME
            0x00, 0x1c, // QTYPE AAAA
            0x00, 0x01, // QCLASS IN
        ];
        let (q, next) = Question::parse(&msg, 12).unwrap();
        assert_eq!(next, msg.len());
        assert_eq!(q.name.to_string(), "example.com.");
        assert_eq!(q.qtype, Rtype::AAAA);
        assert_eq!(q.qclass, Class::IN);
        assert_eq!(q.offset, 12);
        assert_eq!(q.to_string(), "example.com.\t\tIN\tAAAA");
    }

    #[test]
    fn truncated_qclass_is_reported_where_it_starts() {
        let msg = [0u8, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x01, 0x00];
        let e = Question::parse(&msg, 12).unwrap_err();
        assert_eq!(
            e,
            Error::new(
                ErrorKind::Truncated {
                    needed: 2,
                    available: 1
                },
                15
            )
        );
    }
}
