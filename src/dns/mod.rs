//! `dns`: our own zero-copy DNS wire-format parser. It knows nothing about captures or
//! transports: it gets the bytes of one DNS message and borrows views into them.
//!
//! # RFC map
//!
//! | Where | What | RFC |
//! |---|---|---|
//! | [`header`] | 12-byte header, flags, counts | 1035 §4.1.1; 2535/4035 (AD, CD); 6895 |
//! | [`name`] | labels, compression pointers, presentation format | 1035 §3.1, §4.1.4, §5.1; 4343 (case); 6891 §5 (label types) |
//! | [`question`] | QNAME/QTYPE/QCLASS | 1035 §4.1.2 |
//! | [`record`] | owner, TYPE, CLASS, TTL, RDLENGTH, RDATA | 1035 §4.1.3 |
//! | [`rdata`] | typed RDATA; which types decompress names | 1035 §3.3; 3597 (unknown types, §4 compression); 3596 AAAA; 2782 SRV; 3403 NAPTR; 1183 RP/AFSDB/RT; 1876 LOC; 4034 DNSKEY/RRSIG/NSEC/DS; 5155 NSEC3; 6698 TLSA; 8162 SMIMEA; 4255 SSHFP; 7344 CDS/CDNSKEY; 6672 DNAME; 7553 URI; 8659 CAA; 8945 TSIG; 9460 SVCB/HTTPS; 2230 KX; 4701 DHCID; 7043 EUI48/64; 7477 CSYNC; 7929 OPENPGPKEY; 8976 ZONEMD; 2136 §2.5 (empty RDATA in UPDATE) |
//! | [`edns`] | OPT, extended RCODE, DO, options | 6891; 3225 (DO); 5001 NSID; 7871 ECS; 7873 COOKIE; 7828 keepalive; 7830 padding; 8914 EDE |
//! | [`types`] | TYPE, CLASS, OPCODE, RCODE registries | 1035; 6895; IANA registries; 3597 `TYPEnnn` |
//! | [`message`] | sections, the walk | 1035 §4.1 |
//!
//! # Guarantees
//!
//! - **No panics, no unbounded work, on any input.** Every read is bounds-checked; names are
//!   walked by a loop (never recursion) whose steps are bounded by three guards: a
//!   compression pointer must point strictly before the start of the current name segment,
//!   a name is at most 255 octets, and at most [`name::MAX_POINTER_HOPS`] (126) pointers
//!   are followed. Label types `01`/`10` and pointers past the end are errors.
//! - **Zero-copy and no allocation.** [`Message::parse`] reads the 12-byte header only
//!   (O(1)); everything else is lazy views ([`Name`], [`Record`], [`Rdata`], [`Opt`]) and
//!   iterators. Counts are claims and are never used to allocate. `Display` writes straight
//!   into the formatter.
//! - **Errors are values with offsets.** [`Error`] is `Copy`: a kind and the byte offset in
//!   the message, and its `Display` is a sentence (`byte 0x002e: compression pointer to
//!   0x0040 does not point backwards (the name starts at 0x0024)`). The walk
//!   ([`Message::entries`]) fuses on the first error; an RDATA error ([`Record::data`]) is
//!   recoverable and concerns that record only.
//! - **RDATA stays inside RDLENGTH**: it is read through a reader clamped to RDLENGTH that
//!   still sees the earlier message for pointers, and every byte must be used.
//! - **Output is safe for a terminal**: names and strings display in presentation format
//!   with `\DDD` escapes, so they are always ASCII with no control characters.
//! - **`Display` is dig's**: every typed RDATA prints exactly as BIND 9.18's `dig` does
//!   (checked against 62 real BIND responses in `testdata/bind918.txt`); unknown types use
//!   the RFC 3597 form `\# 4 0A000001`.
//!
//! Lint-like findings (Z bit set, trailing bytes, QDCOUNT ≠ 1, …) are not errors here:
//! they are data ([`Header::z`], [`Entries::trailing`]), which [`lint::lint`] turns into
//! findings with offsets and explanations for the layers above to judge. [`layout::explain`]
//! lays a message out field by field for students (`dnslens explain`).

pub mod edns;
pub mod error;
pub mod header;
pub mod layout;
pub mod lint;
pub mod message;
pub mod name;
pub mod question;
pub mod rdata;
pub mod reader;
pub mod record;
#[cfg(test)]
pub(crate) mod testutil;
pub mod types;

pub use edns::{EdnsOption, EdnsOptions, Opt};
pub use error::{Error, ErrorKind};
pub use header::{Header, HEADER_LEN};
pub use message::{Entries, Entry, Message, Questions, Records, Section, WalkEnd};
pub use name::{Labels, Name, NamePart, Parts};
pub use question::Question;
pub use rdata::{CharStrings, Rdata, SvcParam, SvcParams, TypeBitmap};
pub use reader::Reader;
pub use record::Record;
pub use types::{Class, Opcode, Rcode, Rtype};
