//! The wire parser's error: small, `Copy`, allocation-free, with the byte offset in the
//! DNS message where the problem is.

use core::fmt;

use super::message::Section;
use super::types::Rtype;

/// A problem found in a DNS message, at `offset` bytes from the start of the message.
///
/// `Display` writes one sentence a TA can act on, prefixed with the offset, e.g.
/// `byte 0x002e: compression pointer to 0x0040 does not point backwards (the name starts at
/// 0x0024)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Error {
    /// What is wrong.
    pub kind: ErrorKind,
    /// Offset in the DNS message (saturating at 65535 for over-long inputs).
    pub offset: u16,
}

/// What is wrong; see [`Error`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A field of `needed` bytes starts at the offset but only `available` bytes are left
    /// (in the message, or in the RDATA when reading inside RDLENGTH).
    Truncated { needed: u16, available: u16 },
    /// A label length byte starts with `01` or `10` (RFC 6891 retired extended labels).
    ReservedLabelType(u8),
    /// A compression pointer targets this offset, which is past the end of the message.
    PointerOutOfRange(u16),
    /// A compression pointer does not point strictly before the name segment it is part of.
    PointerNotBackward { target: u16, segment_start: u16 },
    /// More than [`MAX_POINTER_HOPS`](super::name::MAX_POINTER_HOPS) pointers in one name.
    TooManyPointers,
    /// The uncompressed name would be longer than 255 octets.
    NameTooLong,
    /// A name uses compression inside the RDATA of a type that must not (RFC 3597 §4).
    PointerNotAllowed(Rtype),
    /// The typed RDATA parse used `consumed` bytes but RDLENGTH said `declared`.
    RdataLength { declared: u16, consumed: u16 },
    /// RDATA of a fixed size type (A, AAAA, ...) has the wrong length.
    RdataSize { rtype: Rtype, len: u16 },
    /// RDATA whose content breaks a rule of its type; `what` says which.
    RdataInvalid { rtype: Rtype, what: &'static str },
    /// A section count claims more entries than the message holds.
    CountBeyondData {
        section: Section,
        count: u16,
        parsed: u16,
    },
    /// The OPT pseudo-record's owner is not the root (RFC 6891 §6.1.2).
    OptNotRoot,
    /// A second OPT record in the additional section (RFC 6891 §6.1.1).
    MultipleOpt,
    /// The input is longer than the 65535 bytes any DNS message can have.
    MessageTooLong,
}

impl Error {
    /// An error at `offset`, saturating offsets that do not fit in a `u16`.
    pub fn new(kind: ErrorKind, offset: usize) -> Error {
        Error {
            kind,
            offset: clamp16(offset),
        }
    }
}

/// `usize` to `u16`, saturating (messages are at most 65535 bytes; inputs may be longer).
pub(crate) fn clamp16(v: usize) -> u16 {
    u16::try_from(v).unwrap_or(u16::MAX)
}

fn count_name(section: Section) -> (&'static str, &'static str) {
    match section {
        Section::Question => ("QDCOUNT", "question"),
        Section::Answer => ("ANCOUNT", "answer record"),
        Section::Authority => ("NSCOUNT", "authority record"),
        Section::Additional => ("ARCOUNT", "additional record"),
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Truncated { needed, available } => write!(
                f,
                "needs {needed} byte{} here but only {available} {} left",
                plural(needed),
                if available == 1 { "is" } else { "are" }
            ),
            Self::ReservedLabelType(b) => write!(
                f,
                "label type {:#04x} (top bits {:02b}) is reserved: a length byte must be 0-63 or a pointer (0xc0)",
                b,
                b >> 6
            ),
            Self::PointerOutOfRange(t) => write!(
                f,
                "compression pointer to {t:#06x} points past the end of the message"
            ),
            Self::PointerNotBackward {
                target,
                segment_start,
            } => write!(
                f,
                "compression pointer to {target:#06x} does not point backwards (the name starts at {segment_start:#06x})"
            ),
            Self::TooManyPointers => write!(
                f,
                "name follows more than {} compression pointers",
                super::name::MAX_POINTER_HOPS
            ),
            Self::NameTooLong => write!(f, "name is longer than 255 octets"),
            Self::PointerNotAllowed(t) => write!(
                f,
                "name in {t} RDATA uses a compression pointer, which this type must not (RFC 3597 section 4)"
            ),
            Self::RdataLength { declared, consumed } => write!(
                f,
                "RDLENGTH says {declared} byte{} but the RDATA fields use {consumed}",
                plural(declared)
            ),
            Self::RdataSize { rtype, len } => {
                write!(f, "{rtype} RDATA is {len} byte{}", plural(len))?;
                match rtype {
                    Rtype::A => write!(f, ", an A record needs exactly 4"),
                    Rtype::AAAA => write!(f, ", an AAAA record needs exactly 16"),
                    _ => write!(f, ", which is not a valid size for this type"),
                }
            }
            Self::RdataInvalid { rtype, what } => write!(f, "{rtype} RDATA: {what}"),
            Self::CountBeyondData {
                section,
                count,
                parsed,
            } => {
                let (field, noun) = count_name(section);
                write!(
                    f,
                    "{field} says {count} {noun}{} but the message ends after {parsed}",
                    plural(count)
                )
            }
            Self::OptNotRoot => write!(f, "OPT record owner is not the root name (RFC 6891)"),
            Self::MultipleOpt => write!(f, "second OPT record in one message (RFC 6891 allows one)"),
            Self::MessageTooLong => write!(f, "input is longer than 65535 bytes, the largest DNS message"),
        }
    }
}

fn plural(n: u16) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "byte {:#06x}: {}", self.offset, self.kind)
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_one_sentence_with_the_offset() {
        let e = Error::new(
            ErrorKind::PointerNotBackward {
                target: 0x40,
                segment_start: 0x24,
            },
            0x2e,
        );
        assert_eq!(
            e.to_string(),
            "byte 0x002e: compression pointer to 0x0040 does not point backwards (the name starts at 0x0024)"
        );
        let e = Error::new(
            ErrorKind::CountBeyondData {
                section: Section::Answer,
                count: 5,
                parsed: 2,
            },
            0x50,
        );
        assert_eq!(
            e.to_string(),
            "byte 0x0050: ANCOUNT says 5 answer records but the message ends after 2"
        );
        let e = Error::new(
            ErrorKind::Truncated {
                needed: 4,
                available: 1,
            },
            3,
        );
        assert_eq!(
            e.to_string(),
            "byte 0x0003: needs 4 bytes here but only 1 is left"
        );
        let e = Error::new(
            ErrorKind::RdataSize {
                rtype: Rtype::A,
                len: 5,
            },
            0x20,
        );
        assert_eq!(
            e.to_string(),
            "byte 0x0020: A RDATA is 5 bytes, an A record needs exactly 4"
        );
    }

    #[test]
    fn offsets_saturate() {
        assert_eq!(
            Error::new(ErrorKind::MessageTooLong, 70_000).offset,
            u16::MAX
        );
    }

    #[test]
    fn every_kind_displays_without_panicking() {
        let kinds = [
            ErrorKind::ReservedLabelType(0x41),
            ErrorKind::PointerOutOfRange(0x3fff),
            ErrorKind::TooManyPointers,
            ErrorKind::NameTooLong,
            ErrorKind::PointerNotAllowed(Rtype::RRSIG),
            ErrorKind::RdataLength {
                declared: 5,
                consumed: 4,
            },
            ErrorKind::RdataInvalid {
                rtype: Rtype::LOC,
                what: "unknown version",
            },
            ErrorKind::OptNotRoot,
            ErrorKind::MultipleOpt,
            ErrorKind::MessageTooLong,
        ];
        for k in kinds {
            let s = Error::new(k, 1).to_string();
            assert!(s.starts_with("byte 0x0001: "), "{s}");
            assert!(s.is_ascii());
        }
        assert_eq!(
            ErrorKind::ReservedLabelType(0x41).to_string(),
            "label type 0x41 (top bits 01) is reserved: a length byte must be 0-63 or a pointer (0xc0)"
        );
    }
}
