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

impl<'a> Question<'a> {
    /// The first question of `msg` as [`Question::parse`] found it at offset 12
    /// ([`crate::dns::HEADER_LEN`]) ending at `end`, in these same bytes: for a second
    /// look at a message already walked (the reading thread walks it, the pairing
    /// thread reads the question again), without walking the name again.
    pub fn first_parsed(msg: &'a [u8], end: u16) -> Option<Question<'a>> {
        let end = usize::from(end);
        let name_end = end.checked_sub(4)?;
        let &[t0, t1, c0, c1] = msg.get(name_end..end)? else {
            return None;
        };
        let start = super::HEADER_LEN;
        if name_end <= start {
            return None;
        }
        Some(Question {
            name: Name::parsed_at(msg, start as u16),
            qtype: Rtype(u16::from_be_bytes([t0, t1])),
            qclass: Class(u16::from_be_bytes([c0, c1])),
            offset: start,
        })
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
    fn a_parsed_first_question_is_rebuilt_from_its_end() {
        // example.com. AAAA IN, then a compressed second question.
        let msg = [
            0x12, 0x34, 0x01, 0x00, 0, 2, 0, 0, 0, 0, 0, 0, // header
            7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 3, b'c', b'o', b'm', 0, // QNAME
            0x00, 0x1c, 0x00, 0x01, // AAAA IN
            3, b'w', b'w', b'w', 0xc0, 12, 0x00, 0x01, 0x00, 0x01, // www.example.com. A IN
        ];
        let (q, end) = Question::parse(&msg, 12).unwrap();
        let again = Question::first_parsed(&msg, end as u16).unwrap();
        assert_eq!(again, q);
        assert_eq!(again.name.to_string(), "example.com.");
        // Too short to hold a name and its type and class: none.
        assert_eq!(Question::first_parsed(&msg, 16), None);
        assert_eq!(Question::first_parsed(&msg, 3), None);
        assert_eq!(Question::first_parsed(&msg, 200), None);
    }

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
