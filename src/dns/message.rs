//! [`Message`]: a whole DNS message (RFC 1035 §4.1), walked lazily.
//!
//! `Message::parse` checks the 12-byte header only (O(1)). [`Message::entries`] walks every
//! section once, in wire order, and fuses on the first error. Counts are claims: nothing is
//! allocated from them, and when the bytes run out first the walk ends with
//! [`ErrorKind::CountBeyondData`].

use core::fmt;

use super::edns::Opt;
use super::error::{Error, ErrorKind};
use super::header::{Header, HEADER_LEN};
use super::question::Question;
use super::record::{Record, MIN_RECORD_LEN};
use super::types::{Rcode, Rtype};

/// Fewest bytes a question can take: root name (1), QTYPE, QCLASS.
pub const MIN_QUESTION_LEN: usize = 5;

/// The four sections of a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Section {
    /// Question section (QDCOUNT).
    Question,
    /// Answer section (ANCOUNT).
    Answer,
    /// Authority section (NSCOUNT).
    Authority,
    /// Additional section (ARCOUNT).
    Additional,
}

impl Section {
    /// All four, in wire order.
    pub const ALL: [Section; 4] = [
        Section::Question,
        Section::Answer,
        Section::Authority,
        Section::Additional,
    ];

    /// Its place in wire order (0 for the question section): an index into
    /// per-section tables such as [`Section::ALL`].
    pub fn index(self) -> usize {
        match self {
            Section::Question => 0,
            Section::Answer => 1,
            Section::Authority => 2,
            Section::Additional => 3,
        }
    }

    fn next(self) -> Option<Section> {
        match self {
            Section::Question => Some(Section::Answer),
            Section::Answer => Some(Section::Authority),
            Section::Authority => Some(Section::Additional),
            Section::Additional => None,
        }
    }

    /// dig's section name: `QUESTION`, `ANSWER`, `AUTHORITY`, `ADDITIONAL`.
    pub fn name(self) -> &'static str {
        match self {
            Section::Question => "QUESTION",
            Section::Answer => "ANSWER",
            Section::Authority => "AUTHORITY",
            Section::Additional => "ADDITIONAL",
        }
    }
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// A DNS message: the bytes and the header read from them.
#[derive(Clone, Copy, Debug)]
pub struct Message<'a> {
    bytes: &'a [u8],
    header: Header,
}

/// One entry of the walk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry<'a> {
    /// A question-section entry.
    Question(Question<'a>),
    /// A record of the answer, authority or additional section.
    Record(Section, Record<'a>),
}

impl<'a> Entry<'a> {
    /// The section the entry belongs to.
    pub fn section(&self) -> Section {
        match self {
            Entry::Question(_) => Section::Question,
            Entry::Record(s, _) => *s,
        }
    }

    /// Offset of the entry in the message.
    pub fn offset(&self) -> usize {
        match self {
            Entry::Question(q) => q.offset,
            Entry::Record(_, r) => r.offset,
        }
    }
}

impl<'a> Message<'a> {
    /// Reads the header; fails only if there are fewer than 12 bytes or more than 65535.
    pub fn parse(bytes: &'a [u8]) -> Result<Message<'a>, Error> {
        if bytes.len() > usize::from(u16::MAX) {
            return Err(Error::new(ErrorKind::MessageTooLong, usize::from(u16::MAX)));
        }
        let header = Header::parse(bytes)?;
        Ok(Message { bytes, header })
    }

    /// The header.
    pub fn header(&self) -> Header {
        self.header
    }

    /// The message bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// One pass over all sections in wire order.
    pub fn entries(&self) -> Entries<'a> {
        Entries {
            msg: self.bytes,
            header: self.header,
            pos: HEADER_LEN,
            section: Section::Question,
            parsed: 0,
            state: State::Walking,
        }
    }

    /// The questions (usually one).
    pub fn questions(&self) -> Questions<'a> {
        Questions {
            entries: self.entries(),
        }
    }

    /// The first question, if QDCOUNT > 0.
    pub fn first_question(&self) -> Option<Result<Question<'a>, Error>> {
        self.questions().next()
    }

    /// The records of one section. Errors in earlier sections are reported too, since the
    /// walk cannot reach the section past them.
    pub fn records(&self, section: Section) -> Records<'a> {
        Records {
            entries: self.entries(),
            section,
        }
    }

    /// The answer section.
    pub fn answers(&self) -> Records<'a> {
        self.records(Section::Answer)
    }

    /// The authority section.
    pub fn authority(&self) -> Records<'a> {
        self.records(Section::Authority)
    }

    /// The additional section.
    pub fn additional(&self) -> Records<'a> {
        self.records(Section::Additional)
    }

    /// The OPT record of the additional section, if there is one.
    ///
    /// `Some(Err)` when the OPT owner is not root, when there are two OPTs
    /// ([`ErrorKind::MultipleOpt`] at the second), or when the walk fails before reaching an
    /// OPT while ARCOUNT > 0 (an OPT may hide past the error). An OPT found before a later
    /// walk error is returned.
    pub fn opt(&self) -> Option<Result<Opt<'a>, Error>> {
        let mut found: Option<Opt<'a>> = None;
        for rec in self.additional() {
            let rec = match rec {
                Ok(r) => r,
                // An OPT already found is still the best answer (rcode, DO) even though a
                // second one could hide past the error.
                Err(_) if found.is_some() => break,
                Err(e) if self.header.arcount > 0 => return Some(Err(e)),
                Err(_) => return None,
            };
            if rec.rtype != Rtype::OPT {
                continue;
            }
            if found.is_some() {
                return Some(Err(Error::new(ErrorKind::MultipleOpt, rec.offset)));
            }
            match Opt::from_record(&rec) {
                Ok(o) => found = Some(o),
                Err(e) => return Some(Err(e)),
            }
        }
        found.map(Ok)
    }

    /// The RCODE: 12-bit extended when a valid OPT is present, else the header's 4 bits.
    pub fn rcode(&self) -> Rcode {
        match self.opt() {
            Some(Ok(o)) => o.rcode(self.header.rcode()),
            _ => self.header.rcode(),
        }
    }

    /// Whether the counts could fit in the message at all: each question needs at least 5
    /// bytes and each record 11 (a root owner plus the fixed fields). `false` means the
    /// walk will end in [`ErrorKind::CountBeyondData`]; this is the O(1) check for "ANCOUNT
    /// = 500 but only 3 records fit".
    pub fn counts_plausible(&self) -> bool {
        let h = self.header;
        let records = usize::from(h.ancount) + usize::from(h.nscount) + usize::from(h.arcount);
        let needed = usize::from(h.qdcount) * MIN_QUESTION_LEN + records * MIN_RECORD_LEN;
        needed <= self.bytes.len().saturating_sub(HEADER_LEN)
    }

    /// Walks everything and returns the number of bytes after the last section, or the
    /// first error.
    pub fn trailing(&self) -> Result<usize, Error> {
        let mut it = self.entries();
        for e in it.by_ref() {
            e?;
        }
        Ok(it.trailing())
    }
}

/// How [`Message::walk_entries`] ended: what [`Entries`] says once it has
/// ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WalkEnd {
    /// The error that stopped the walk ([`Entries`]' last item), if any.
    pub error: Option<Error>,
    /// [`Entries::section`].
    pub section: Section,
    /// [`Entries::offset`]: where the failed entry starts, or where the last section ends.
    pub offset: usize,
    /// [`Entries::trailing`].
    pub trailing: usize,
}

impl<'a> Message<'a> {
    /// The walk of [`Message::entries`], written out section by section:
    /// `f` gets each entry in wire order, and the result says how the walk
    /// ended (the error, and where). The same entries and the same end as
    /// [`Entries`] (a test compares them on damaged messages too), without
    /// its per-entry bookkeeping: the JSON listings walk every message.
    #[inline]
    pub fn walk_entries(&self, mut f: impl FnMut(Entry<'a>)) -> WalkEnd {
        let (bytes, h) = (self.bytes, self.header);
        let mut pos = HEADER_LEN;
        let failed = |error, section, offset| WalkEnd {
            error: Some(error),
            section,
            offset,
            trailing: 0,
        };
        // The message ends where an entry should start: the count is the problem.
        let beyond = |section, count, parsed, pos| {
            Error::new(
                ErrorKind::CountBeyondData {
                    section,
                    count,
                    parsed,
                },
                pos,
            )
        };
        for parsed in 0..h.qdcount {
            if pos >= bytes.len() {
                let e = beyond(Section::Question, h.qdcount, parsed, pos);
                return failed(e, Section::Question, pos);
            }
            match Question::parse(bytes, pos) {
                Ok((q, next)) => {
                    f(Entry::Question(q));
                    pos = next;
                }
                Err(e) => return failed(e, Section::Question, pos),
            }
        }
        for section in [Section::Answer, Section::Authority, Section::Additional] {
            let count = h.count(section);
            for parsed in 0..count {
                if pos >= bytes.len() {
                    return failed(beyond(section, count, parsed, pos), section, pos);
                }
                match Record::parse(bytes, pos) {
                    Ok((r, next)) => {
                        f(Entry::Record(section, r));
                        pos = next;
                    }
                    Err(e) => return failed(e, section, pos),
                }
            }
        }
        WalkEnd {
            error: None,
            section: Section::Additional,
            offset: pos,
            trailing: bytes.len().saturating_sub(pos),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Walking,
    Done,
    Failed,
}

/// The walk over all sections; see [`Message::entries`].
#[derive(Clone, Debug)]
pub struct Entries<'a> {
    msg: &'a [u8],
    header: Header,
    pos: usize,
    section: Section,
    parsed: u16,
    state: State,
}

impl<'a> Entries<'a> {
    /// Where the walk is: the offset of the next entry, or of the error once failed, or the
    /// end of the last section once done.
    pub fn offset(&self) -> usize {
        self.pos
    }

    /// The section the walk is in.
    pub fn section(&self) -> Section {
        self.section
    }

    /// Whether the walk went through all sections without error.
    pub fn is_complete(&self) -> bool {
        self.state == State::Done
    }

    /// Whether the walk stopped on an error.
    pub fn is_failed(&self) -> bool {
        self.state == State::Failed
    }

    /// Bytes after the last section, once the walk is complete (0 before, or after an
    /// error).
    pub fn trailing(&self) -> usize {
        if self.is_complete() {
            self.msg.len().saturating_sub(self.pos)
        } else {
            0
        }
    }

    fn fail(&mut self, e: Error) -> Option<Result<Entry<'a>, Error>> {
        self.state = State::Failed;
        Some(Err(e))
    }
}

impl<'a> Iterator for Entries<'a> {
    type Item = Result<Entry<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.state != State::Walking {
            return None;
        }
        let count = loop {
            let count = self.header.count(self.section);
            if self.parsed < count {
                break count;
            }
            match self.section.next() {
                Some(s) => {
                    self.section = s;
                    self.parsed = 0;
                }
                None => {
                    self.state = State::Done;
                    return None;
                }
            }
        };
        // The message ends exactly where an entry should start: the count is the problem.
        // With some bytes left, parsing them gives the more precise error (a label past the
        // end, a missing TYPE, ...); `Message::counts_plausible` is the O(1) size check.
        if self.pos >= self.msg.len() {
            let e = Error::new(
                ErrorKind::CountBeyondData {
                    section: self.section,
                    count,
                    parsed: self.parsed,
                },
                self.pos,
            );
            return self.fail(e);
        }
        let res = match self.section {
            Section::Question => {
                Question::parse(self.msg, self.pos).map(|(q, next)| (Entry::Question(q), next))
            }
            s => Record::parse(self.msg, self.pos).map(|(r, next)| (Entry::Record(s, r), next)),
        };
        match res {
            Ok((entry, next)) => {
                self.pos = next;
                self.parsed += 1;
                Some(Ok(entry))
            }
            Err(e) => self.fail(e),
        }
    }
}

impl core::iter::FusedIterator for Entries<'_> {}

/// The questions of a message; see [`Message::questions`].
#[derive(Clone, Debug)]
pub struct Questions<'a> {
    entries: Entries<'a>,
}

impl<'a> Iterator for Questions<'a> {
    type Item = Result<Question<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.entries.section() != Section::Question {
            return None;
        }
        match self.entries.next()? {
            Ok(Entry::Question(q)) => Some(Ok(q)),
            Ok(Entry::Record(..)) => None,
            Err(e) => Some(Err(e)),
        }
    }
}

/// The records of one section; see [`Message::records`].
#[derive(Clone, Debug)]
pub struct Records<'a> {
    entries: Entries<'a>,
    section: Section,
}

impl<'a> Iterator for Records<'a> {
    type Item = Result<Record<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.entries.section() > self.section {
                return None;
            }
            match self.entries.next()? {
                Ok(Entry::Record(s, r)) if s == self.section => return Some(Ok(r)),
                Ok(Entry::Record(s, _)) if s > self.section => return None,
                Ok(_) => continue,
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::rdata::Rdata;
    use crate::dns::types::Class;
    use proptest::collection::vec;
    use proptest::prelude::*;

    /// `Message::walk_entries` gives the entries `Entries` gives and ends as
    /// it does, on every cut of the sample messages and on changed copies
    /// (the counts, lengths and pointers most of all).
    #[test]
    fn the_written_out_walk_agrees_with_entries_on_cut_and_changed_messages() {
        let same = |b: &[u8]| {
            let Ok(msg) = Message::parse(b) else { return };
            let mut walked = Vec::new();
            let end = msg.walk_entries(|e| walked.push(Ok(e)));
            walked.extend(end.error.map(Err));
            let mut it = msg.entries();
            let entries: Vec<_> = it.by_ref().collect();
            assert_eq!(walked, entries, "{b:02x?}");
            assert_eq!(
                (end.section, end.offset, end.trailing),
                (it.section(), it.offset(), it.trailing()),
                "{b:02x?}"
            );
        };
        crate::dns::testutil::each_cut_and_change(same);
    }

    /// BIND 9.18 (named on 127.0.0.1, test zone t.test) answering `www.t.test. A` with
    /// EDNS: a CNAME to t.test., its A record, NS in authority, the glue A and OPT.
    const RESPONSE: &[u8] = &[
        0x12, 0x34, // ID
        0x84, 0x00, // QR AA, opcode QUERY, NOERROR
        0x00, 0x01, 0x00, 0x02, 0x00, 0x01, 0x00, 0x02, // QD 1 AN 2 NS 1 AR 2
        // 0x0c question: www.t.test. A IN
        3, b'w', b'w', b'w', 1, b't', 4, b't', b'e', b's', b't', 0, 0x00, 0x01, 0x00, 0x01,
        // 0x1c answer 1: www.t.test. 300 IN CNAME t.test. (owner -> 0x0c, target -> 0x10)
        0xc0, 0x0c, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c, 0x00, 0x02, 0xc0, 0x10,
        // 0x2a answer 2: t.test. 300 IN A 192.0.2.1
        0xc0, 0x10, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c, 0x00, 0x04, 192, 0, 2, 1,
        // 0x3a authority: t.test. 300 IN NS ns1.t.test. (ns1 at 0x46, then -> 0x10)
        0xc0, 0x10, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c, 0x00, 0x06, 3, b'n', b's', b'1',
        0xc0, 0x10, // 0x4c additional: ns1.t.test. 300 IN A 192.0.2.53 (owner -> 0x46)
        0xc0, 0x46, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c, 0x00, 0x04, 192, 0, 2, 53,
        // 0x5c OPT: root, udp 1232, ext-rcode 0, version 0, no flags, no options
        0x00, 0x00, 0x29, 0x04, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];

    #[test]
    fn walks_a_full_response_in_wire_order() {
        let m = Message::parse(RESPONSE).unwrap();
        assert_eq!(m.header().id, 0x1234);
        let mut it = m.entries();
        let mut shown = Vec::new();
        for e in it.by_ref() {
            match e.unwrap() {
                Entry::Question(q) => shown.push(format!("Q {q}")),
                Entry::Record(s, r) => shown.push(format!("{} {r}", s.name())),
            }
        }
        assert_eq!(
            shown,
            [
                "Q www.t.test.\t\tIN\tA",
                "ANSWER www.t.test.\t300\tIN\tCNAME\tt.test.",
                "ANSWER t.test.\t300\tIN\tA\t192.0.2.1",
                "AUTHORITY t.test.\t300\tIN\tNS\tns1.t.test.",
                "ADDITIONAL ns1.t.test.\t300\tIN\tA\t192.0.2.53",
                "ADDITIONAL .\t0\tCLASS1232\tOPT\tversion: 0, flags:; udp: 1232",
            ]
        );
        assert!(it.is_complete());
        assert_eq!(it.trailing(), 0);
        assert_eq!(it.offset(), RESPONSE.len());
        assert_eq!(m.trailing(), Ok(0));
        let q = m.first_question().unwrap().unwrap();
        assert_eq!((q.qtype, q.qclass), (Rtype::A, Class::IN));
        assert_eq!(m.answers().count(), 2);
        assert_eq!(m.authority().count(), 1);
        assert_eq!(m.additional().count(), 2);
        let ns = m.authority().next().unwrap().unwrap();
        assert_eq!(ns.offset, 0x3a);
        match ns.data().unwrap() {
            Rdata::Ns(n) => assert_eq!(n.to_string(), "ns1.t.test."),
            other => panic!("{other:?}"),
        }
        let opt = m.opt().unwrap().unwrap();
        assert_eq!(opt.udp_payload_size, 1232);
        assert_eq!(m.rcode(), Rcode::NOERROR);
    }

    #[test]
    fn counts_plausibility_is_o1() {
        assert!(Message::parse(RESPONSE).unwrap().counts_plausible());
        let mut v = RESPONSE.to_vec();
        v[6] = 0x01; // ANCOUNT 0x0102 = 258 records cannot fit in 103 bytes
        v[7] = 0x02;
        let m = Message::parse(&v).unwrap();
        assert!(!m.counts_plausible());
        // The walk still yields everything that is there before it reports the shortfall.
        let items: Vec<_> = m.entries().collect();
        assert_eq!(items.iter().filter(|e| e.is_ok()).count(), 6);
        assert!(matches!(
            items.last().unwrap().unwrap_err().kind,
            ErrorKind::CountBeyondData {
                section: Section::Answer,
                count: 258,
                parsed: 5
            }
        ));
    }

    #[test]
    fn opt_before_a_later_error_is_still_returned() {
        let mut v = RESPONSE.to_vec();
        v[11] = 3; // ARCOUNT 3: a third additional record that is not there
        let m = Message::parse(&v).unwrap();
        assert_eq!(m.opt().unwrap().unwrap().udp_payload_size, 1232);
    }

    #[test]
    fn trailing_bytes_are_counted_after_a_complete_walk() {
        let mut v = RESPONSE.to_vec();
        v.extend_from_slice(&[0xde, 0xad, 0xbe]);
        let m = Message::parse(&v).unwrap();
        assert_eq!(m.trailing(), Ok(3));
    }

    #[test]
    fn count_beyond_data_reports_the_section() {
        // The response cut after its two answers, with ANCOUNT 5.
        let mut v = RESPONSE[..0x3a].to_vec();
        v[7] = 5; // ANCOUNT 5, message ends after 2 answers
        let m = Message::parse(&v).unwrap();
        let items: Vec<_> = m.entries().collect();
        assert_eq!(items.len(), 4);
        assert_eq!(
            items[3].unwrap_err(),
            Error::new(
                ErrorKind::CountBeyondData {
                    section: Section::Answer,
                    count: 5,
                    parsed: 2
                },
                0x3a
            )
        );
        assert_eq!(
            items[3].unwrap_err().to_string(),
            "byte 0x003a: ANCOUNT says 5 answer records but the message ends after 2"
        );
    }

    #[test]
    fn query_with_too_many_questions() {
        // QDCOUNT 2, one question present.
        let mut v = RESPONSE[..0x1c].to_vec();
        v[2] = 0x01;
        v[5] = 2;
        v[7] = 0;
        v[9] = 0;
        v[11] = 0;
        let m = Message::parse(&v).unwrap();
        let errs: Vec<_> = m.questions().collect();
        assert!(errs[0].is_ok());
        assert_eq!(
            errs[1].unwrap_err().kind,
            ErrorKind::CountBeyondData {
                section: Section::Question,
                count: 2,
                parsed: 1
            }
        );
        assert_eq!(errs.len(), 2);
    }

    #[test]
    fn walk_fuses_on_first_error() {
        let mut v = RESPONSE.to_vec();
        v[0x2a] = 0x80; // reserved label type at answer 2's owner
        let m = Message::parse(&v).unwrap();
        let mut it = m.entries();
        assert!(it.next().unwrap().is_ok());
        assert!(it.next().unwrap().is_ok());
        let e = it.next().unwrap().unwrap_err();
        assert_eq!(e, Error::new(ErrorKind::ReservedLabelType(0x80), 0x2a));
        assert!(it.next().is_none());
        assert!(it.is_failed());
        assert_eq!(it.trailing(), 0);
        // The additional section is unreachable, so opt() reports the error.
        assert_eq!(m.opt(), Some(Err(e)));
        assert_eq!(m.rcode(), Rcode::NOERROR);
    }

    #[test]
    fn label_past_end_in_a_question_stops_the_walk() {
        // A query whose QNAME label claims 9 bytes but the datagram ends after 3.
        let m = [
            0xab, 0xcd, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, // query, QDCOUNT 1
            9, b'e', b'x', b'a', // 0x0c: label of 9, 3 present
        ];
        let msg = Message::parse(&m).unwrap();
        let mut it = msg.entries();
        assert_eq!(
            it.next(),
            Some(Err(Error::new(
                ErrorKind::Truncated {
                    needed: 10,
                    available: 4
                },
                0x0c
            )))
        );
        assert_eq!(it.next(), None);
        assert_eq!(msg.first_question().unwrap().unwrap_err().offset, 0x0c);
    }

    #[test]
    fn sections_without_questions() {
        // A NOTIFY-style message with QDCOUNT 0 and one answer (root, A, 4 bytes).
        let m = [
            0, 1, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0, // QD 0, AN 1
            0, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 1, // 0x0c: ". 60 IN A 10.0.0.1"
        ];
        let msg = Message::parse(&m).unwrap();
        assert!(msg.first_question().is_none());
        assert_eq!(msg.questions().count(), 0);
        let r = msg.answers().next().unwrap().unwrap();
        assert_eq!(r.to_string(), ".\t60\tIN\tA\t10.0.0.1");
        assert_eq!(msg.trailing(), Ok(0));
    }

    #[test]
    fn multiple_opt_is_reported_at_the_second() {
        let mut v = RESPONSE.to_vec();
        v[11] = 3;
        v.extend_from_slice(&RESPONSE[0x5c..]);
        let m = Message::parse(&v).unwrap();
        assert_eq!(
            m.opt(),
            Some(Err(Error::new(ErrorKind::MultipleOpt, RESPONSE.len())))
        );
    }

    /// Walks everything a renderer would touch and checks the invariants: no panic, every
    /// error offset within the message, every displayed name and RDATA ASCII without
    /// control characters, names within the 255-octet bound.
    fn exercise(bytes: &[u8]) {
        let len = bytes.len();
        let clean = |s: &str| s.bytes().all(|b| (0x20..0x7f).contains(&b));
        let m = match Message::parse(bytes) {
            Ok(m) => m,
            Err(e) => {
                assert!(usize::from(e.offset) <= len);
                return;
            }
        };
        let check_name = |n: &crate::dns::name::Name<'_>| {
            let s = n.to_string();
            assert!(clean(&s), "{s:?}");
            assert!(n.wire_len() <= 255);
            assert!(n.parts().count() <= 255 + 127);
        };
        let mut walk = m.entries();
        for e in walk.by_ref() {
            match e {
                Err(e) => {
                    assert!(usize::from(e.offset) <= len, "{e}");
                    assert!(e.to_string().is_ascii());
                }
                Ok(Entry::Question(q)) => {
                    check_name(&q.name);
                    let _ = q.to_string();
                }
                Ok(Entry::Record(_, r)) => {
                    check_name(&r.name);
                    assert!(r.end() <= len);
                    match r.data() {
                        Ok(d) => {
                            let s = d.to_string();
                            assert!(clean(&s), "{s:?}");
                        }
                        Err(e) => assert!(usize::from(e.offset) <= len, "{e}"),
                    }
                    let _ = r.to_string();
                }
            }
        }
        assert!(walk.offset() <= len);
        match m.opt() {
            Some(Ok(o)) => {
                for opt in o.options() {
                    match opt {
                        Ok(opt) => assert!(clean(&opt.to_string())),
                        Err(e) => assert!(usize::from(e.offset) <= len),
                    }
                }
                assert!(clean(&o.to_string()));
            }
            Some(Err(e)) => assert!(usize::from(e.offset) <= len),
            None => {}
        }
        let _ = m.rcode();
        let _ = m.trailing();
    }

    /// The real BIND responses of `testdata/bind918.txt`, as mutation seeds.
    #[test]
    fn section_index_is_the_wire_order() {
        for (i, s) in Section::ALL.into_iter().enumerate() {
            assert_eq!(s.index(), i);
            assert_eq!(
                s.next().map(Section::index),
                Section::ALL.get(i + 1).map(|n| n.index())
            );
        }
    }

    fn seeds() -> &'static [Vec<u8>] {
        static SEEDS: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
        SEEDS.get_or_init(|| {
            include_str!("testdata/bind918.txt")
                .lines()
                .filter(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_hexdigit()))
                .map(|l| {
                    (0..l.len())
                        .step_by(2)
                        .map(|i| u8::from_str_radix(&l[i..i + 2], 16).unwrap())
                        .collect()
                })
                .collect()
        })
    }

    #[test]
    fn seeds_walk_cleanly() {
        let seeds = seeds();
        assert_eq!(seeds.len(), 62);
        for s in seeds {
            exercise(s);
            assert_eq!(Message::parse(s).unwrap().trailing(), Ok(0));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..600)) {
            exercise(&bytes);
        }

        #[test]
        fn header_then_arbitrary_body_never_panics(
            counts in vec(0u8..4, 4),
            body in vec(prop_oneof![Just(0u8), Just(0xc0), 1u8..64, any::<u8>()], 0..400),
        ) {
            let mut m = vec![0x12, 0x34, 0x81, 0x80];
            for c in counts {
                m.extend_from_slice(&[0, c]);
            }
            m.extend_from_slice(&body);
            exercise(&m);
        }

        #[test]
        fn mutated_real_messages_never_panic(
            pick in any::<prop::sample::Index>(),
            edits in vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
            cut in any::<prop::sample::Index>(),
            do_cut in any::<bool>(),
        ) {
            let mut m = pick.get(seeds()).clone();
            for (at, b) in edits {
                let i = at.index(m.len());
                m[i] = b;
            }
            if do_cut {
                m.truncate(cut.index(m.len() + 1));
            }
            exercise(&m);
        }

        /// Test-only encoder: the name's tail is written first at 0x0c, then the head with a
        /// pointer to it; parsing the second name gives back the same labels.
        #[test]
        fn name_round_trip_with_compression(
            labels in vec(vec(any::<u8>(), 1..64), 0..6),
            split in any::<prop::sample::Index>(),
        ) {
            let k = split.index(labels.len() + 1);
            let mut m = vec![0u8; 12];
            for l in &labels[k..] {
                m.push(l.len() as u8);
                m.extend_from_slice(l);
            }
            m.push(0);
            let second = m.len();
            for l in &labels[..k] {
                m.push(l.len() as u8);
                m.extend_from_slice(l);
            }
            m.extend_from_slice(&[0xc0, 0x0c]);
            let total: usize = labels.iter().map(|l| l.len() + 1).sum::<usize>() + 1;
            match crate::dns::name::Name::parse(&m, second) {
                Ok((n, next)) => {
                    prop_assert!(total <= 255);
                    prop_assert_eq!(next, m.len());
                    prop_assert_eq!(n.labels().collect::<Vec<_>>(), labels.iter().map(|l| &l[..]).collect::<Vec<_>>());
                    prop_assert_eq!(n.wire_len(), total);
                    prop_assert!(n.has_pointer());
                }
                Err(e) => {
                    prop_assert!(total > 255);
                    prop_assert_eq!(e.kind, ErrorKind::NameTooLong);
                }
            }
        }
    }

    /// The shared corpus of real captures, if present (see COMMON.md for the two paths).
    fn corpus_dir() -> Option<std::path::PathBuf> {
        let local =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/public");
        [
            local,
            std::path::PathBuf::from("/work/shared/corpus/public"),
        ]
        .into_iter()
        .find(|p| p.is_dir())
    }

    /// Differential test against tshark over every UDP DNS payload of the shared corpus:
    /// header fields always agree; when both sides read the message cleanly, the first
    /// question and every A/AAAA address agree too. Known deliberate differences: tshark
    /// prints names without the trailing dot and with its own escaping, so only plain
    /// names are compared.
    #[test]
    #[ignore = "runs tshark on every corpus capture (20-60 s); cargo test -- --ignored"]
    fn corpus_agrees_with_tshark() {
        let Some(dir) = corpus_dir() else {
            println!("SKIP: corpus_agrees_with_tshark: corpus not found");
            return;
        };
        if std::process::Command::new("tshark")
            .arg("-v")
            .output()
            .is_err()
        {
            println!("SKIP: corpus_agrees_with_tshark: tshark not found");
            return;
        }
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.to_string_lossy().ends_with(".tshark.tsv"))
            .collect();
        files.sort();
        let (mut messages, mut compared, mut ours_failed) = (0, 0, 0);
        // tshark dominates the run time: run it for all files up front, 2 at a time.
        let outputs: Vec<Vec<u8>> = std::thread::scope(|s| {
            let chunks: Vec<_> = files
                .chunks(files.len().div_ceil(2).max(1))
                .map(|chunk| {
                    s.spawn(move || {
                        chunk
                            .iter()
                            .map(|tsv| {
                                let capture = tsv.to_string_lossy();
                                let capture = capture.trim_end_matches(".tshark.tsv");
                                std::process::Command::new("tshark")
                                    .args(["-r", capture, "-Y", "dns && udp && !icmp && !icmpv6"])
                                    .args([
                                        "-T",
                                        "fields",
                                        "-e",
                                        "frame.number",
                                        "-e",
                                        "udp.payload",
                                    ])
                                    .output()
                                    .map(|o| o.stdout)
                                    .unwrap_or_default()
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            chunks.into_iter().flat_map(|h| h.join().unwrap()).collect()
        });
        for (tsv, stdout) in files.iter().zip(outputs) {
            let capture = tsv
                .to_string_lossy()
                .trim_end_matches(".tshark.tsv")
                .to_string();
            let payloads: std::collections::HashMap<String, Vec<u8>> =
                String::from_utf8_lossy(&stdout)
                    .lines()
                    .filter_map(|l| {
                        let (n, hex) = l.split_once('\t')?;
                        let hex = hex.trim();
                        if hex.is_empty() || hex.len() % 2 != 0 {
                            return None;
                        }
                        let bytes = (0..hex.len())
                            .step_by(2)
                            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16))
                            .collect::<Result<Vec<u8>, _>>()
                            .ok()?;
                        Some((n.to_string(), bytes))
                    })
                    .collect();
            let table = std::fs::read_to_string(tsv).unwrap();
            let mut rows = table.lines();
            let head: Vec<&str> = rows.next().unwrap().split('\t').collect();
            let col = |name: &str| head.iter().position(|h| *h == name).unwrap();
            let (c_frame, c_id, c_qr, c_op, c_rc) = (
                col("frame.number"),
                col("dns.id"),
                col("dns.flags.response"),
                col("dns.flags.opcode"),
                col("dns.flags.rcode"),
            );
            let c_counts = [
                col("dns.count.queries"),
                col("dns.count.answers"),
                col("dns.count.auth_rr"),
                col("dns.count.add_rr"),
            ];
            let (c_qname, c_qtype, c_a, c_aaaa, c_bad) = (
                col("dns.qry.name"),
                col("dns.qry.type"),
                col("dns.a"),
                col("dns.aaaa"),
                col("_ws.malformed"),
            );
            for row in rows {
                let f: Vec<&str> = row.split('\t').collect();
                let get = |c: usize| f.get(c).copied().unwrap_or("");
                let Some(bytes) = payloads.get(get(c_frame)) else {
                    continue;
                };
                // One DNS message per UDP datagram: skip rows with several values.
                if get(c_id).contains(',') || get(c_id).is_empty() {
                    continue;
                }
                let Ok(m) = Message::parse(bytes) else {
                    continue;
                };
                messages += 1;
                let ctx = format!("{} frame {}", capture, get(c_frame));
                let h = m.header();
                assert_eq!(format!("{:#06x}", h.id), get(c_id), "{ctx}");
                assert_eq!(u8::from(h.qr()).to_string(), get(c_qr), "{ctx}");
                assert_eq!(h.opcode().0.to_string(), get(c_op), "{ctx}");
                if !get(c_rc).is_empty() {
                    assert_eq!(h.rcode().0.to_string(), get(c_rc), "{ctx}");
                }
                let counts = [h.qdcount, h.ancount, h.nscount, h.arcount];
                for (c, v) in c_counts.iter().zip(counts) {
                    // tshark names UPDATE counts differently (zones, prerequisites, ...).
                    if !get(*c).is_empty() {
                        assert_eq!(v.to_string(), get(*c), "{ctx}");
                    }
                }
                let mut walk = m.entries();
                let entries: Vec<_> = walk.by_ref().collect();
                if let Some(Err(e)) = entries.iter().find(|e| e.is_err()) {
                    ours_failed += 1;
                    if std::env::var_os("DNS_CORPUS_VERBOSE").is_some() {
                        println!("REJECT {ctx} tshark-malformed={:?}: {e}", get(c_bad));
                    }
                    continue;
                }
                if std::env::var_os("DNS_CORPUS_VERBOSE").is_some() {
                    for e in entries.iter().flatten() {
                        if let Entry::Record(_, r) = e {
                            if let Err(err) = r.data() {
                                println!(
                                    "RDATA {ctx} tshark-malformed={:?} {}: {err}",
                                    get(c_bad),
                                    r.rtype
                                );
                            }
                        }
                    }
                }
                if !get(c_bad).is_empty() {
                    continue;
                }
                compared += 1;
                let mut qnames = Vec::new();
                let mut qtypes = Vec::new();
                let (mut a, mut aaaa) = (Vec::new(), Vec::new());
                let (mut cnames, mut nss, mut mxs) = (Vec::new(), Vec::new(), Vec::new());
                let plain = |n: &crate::dns::name::Name<'_>| {
                    let s = n.to_string();
                    let ok = s.len() > 1
                        && s.bytes().all(|b| {
                            b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.'
                        });
                    ok.then(|| s.trim_end_matches('.').to_string())
                };
                for e in entries.into_iter().flatten() {
                    match e {
                        Entry::Question(q) => {
                            qnames.push(q.name.to_string());
                            qtypes.push(q.qtype.0.to_string());
                        }
                        Entry::Record(_, r) => match r.data() {
                            Ok(Rdata::A(x)) => a.push(x.to_string()),
                            Ok(Rdata::Aaaa(x)) => aaaa.push(x.to_string()),
                            Ok(Rdata::Cname(n)) => cnames.push(plain(&n)),
                            Ok(Rdata::Ns(n)) => nss.push(plain(&n)),
                            Ok(Rdata::Mx { exchange, .. }) => mxs.push(plain(&exchange)),
                            _ => {}
                        },
                    }
                }
                if let Some(q) = qnames.first() {
                    let plain = q
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
                    if plain && q != "." {
                        let theirs = get(c_qname).split(',').next().unwrap_or("");
                        assert_eq!(q.trim_end_matches('.'), theirs, "{ctx}");
                    }
                    assert_eq!(
                        Some(qtypes[0].as_str()),
                        get(c_qtype).split(',').next(),
                        "{ctx}"
                    );
                }
                let list = |c: usize| -> Vec<String> {
                    get(c)
                        .split(',')
                        .filter(|s| !s.is_empty())
                        .map(|s| {
                            s.parse::<std::net::IpAddr>()
                                .map_or(s.to_string(), |ip| ip.to_string())
                        })
                        .collect()
                };
                assert_eq!(a, list(c_a), "{ctx}");
                assert_eq!(aaaa, list(c_aaaa), "{ctx}");
                for (ours, c) in [
                    (cnames, "dns.cname"),
                    (nss, "dns.ns"),
                    (mxs, "dns.mx.mail_exchange"),
                ] {
                    let theirs = list(col(c));
                    if ours.len() == theirs.len() {
                        for (o, t) in ours.iter().zip(&theirs) {
                            if let Some(o) = o {
                                assert_eq!(o, t, "{ctx} {c}");
                            }
                        }
                    } else {
                        panic!("{ctx} {c}: {ours:?} vs {theirs:?}");
                    }
                }
            }
        }
        println!("corpus: {messages} messages, {compared} compared in full, {ours_failed} rejected by us");
        assert!(messages > 0);
    }

    #[test]
    fn header_only_checks() {
        assert_eq!(
            Message::parse(&[0; 11]).unwrap_err(),
            Error::new(
                ErrorKind::Truncated {
                    needed: 12,
                    available: 11
                },
                0
            )
        );
        let big = vec![0u8; 65536];
        assert_eq!(
            Message::parse(&big).unwrap_err(),
            Error::new(ErrorKind::MessageTooLong, 65535)
        );
        // Counts are not checked by parse.
        let m = Message::parse(&[0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]).unwrap();
        assert_eq!(m.header().qdcount, 0xffff);
        assert!(m.entries().next().unwrap().is_err());
        assert_eq!(m.opt(), None);
    }
}
