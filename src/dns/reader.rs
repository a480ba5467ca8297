//! [`Reader`]: a bounds-checked cursor over a DNS message.
//!
//! A reader can be clamped to an end (RDLENGTH) while still seeing the whole message before
//! it, so names inside RDATA can follow pointers to earlier bytes (hickory's `split_off`).

use super::error::{clamp16, Error, ErrorKind};
use super::name::Name;
use super::types::Rtype;

/// A cursor over `msg[pos..end]`, reading big-endian integers, slices and names.
#[derive(Clone, Copy, Debug)]
pub struct Reader<'a> {
    msg: &'a [u8],
    pos: usize,
    end: usize,
}

impl<'a> Reader<'a> {
    /// A reader over the whole message, starting at `pos`.
    pub fn new(msg: &'a [u8], pos: usize) -> Reader<'a> {
        Reader {
            msg,
            pos: pos.min(msg.len()),
            end: msg.len(),
        }
    }

    /// A reader over `msg[pos..end]` (clamped to the message) that still sees the message
    /// prefix for compression pointers.
    pub fn clamped(msg: &'a [u8], pos: usize, end: usize) -> Reader<'a> {
        let end = end.min(msg.len());
        Reader {
            msg,
            pos: pos.min(end),
            end,
        }
    }

    /// The whole message this reader reads from.
    pub fn message(&self) -> &'a [u8] {
        self.msg
    }

    /// Current offset in the message.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// The offset reading stops at.
    pub fn end(&self) -> usize {
        self.end
    }

    /// Bytes left before the end.
    pub fn remaining(&self) -> usize {
        self.end - self.pos
    }

    /// Whether nothing is left.
    pub fn is_empty(&self) -> bool {
        self.pos >= self.end
    }

    fn truncated(&self, needed: usize) -> Error {
        Error::new(
            ErrorKind::Truncated {
                needed: clamp16(needed),
                available: clamp16(self.remaining()),
            },
            self.pos,
        )
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        if n > self.remaining() {
            return Err(self.truncated(n));
        }
        let s = self
            .msg
            .get(self.pos..self.pos + n)
            .ok_or(self.truncated(n))?;
        self.pos += n;
        Ok(s)
    }

    /// Everything left.
    pub fn rest(&mut self) -> &'a [u8] {
        let s = self.msg.get(self.pos..self.end).unwrap_or(&[]);
        self.pos = self.end;
        s
    }

    /// The next `N` bytes as an array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    /// A byte.
    pub fn u8(&mut self) -> Result<u8, Error> {
        Ok(self.array::<1>()?[0])
    }

    /// A big-endian u16.
    pub fn u16(&mut self) -> Result<u16, Error> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    /// A big-endian u32.
    pub fn u32(&mut self) -> Result<u32, Error> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    /// A big-endian 48-bit integer (TSIG time signed).
    pub fn u48(&mut self) -> Result<u64, Error> {
        let [a, b, c, d, e, g] = self.array::<6>()?;
        Ok(u64::from_be_bytes([0, 0, a, b, c, d, e, g]))
    }

    /// A `<character-string>`: one length byte, then that many bytes.
    pub fn char_string(&mut self) -> Result<&'a [u8], Error> {
        let start = self.pos;
        let len = usize::from(self.u8()?);
        self.take(len).map_err(|mut e| {
            e.offset = clamp16(start);
            if let ErrorKind::Truncated { available, .. } = &mut e.kind {
                *available = available.saturating_add(1);
                e.kind = ErrorKind::Truncated {
                    needed: clamp16(len + 1),
                    available: *available,
                };
            }
            e
        })
    }

    /// A domain name, read inside this reader's bounds; pointers may reach back before it.
    pub fn name(&mut self) -> Result<Name<'a>, Error> {
        let (name, next) = Name::parse_within(self.msg, self.pos, self.end)?;
        self.pos = next;
        Ok(name)
    }

    /// A name in the RDATA of `rtype`; rejects compression unless RFC 3597 §4 allows it.
    pub fn rdata_name(&mut self, rtype: Rtype) -> Result<Name<'a>, Error> {
        let at = self.pos;
        let (name, next, pointer) = Name::parse_flagged(self.msg, self.pos, self.end)?;
        self.pos = next;
        if pointer && !rtype.decompresses_names() {
            return Err(Error::new(ErrorKind::PointerNotAllowed(rtype), at));
        }
        Ok(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_integers_big_endian() {
        let msg = [0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x01];
        let mut r = Reader::new(&msg, 0);
        assert_eq!(r.u16().unwrap(), 0x1234);
        assert_eq!(r.u32().unwrap(), 0x5678_9abc);
        assert_eq!(r.u8().unwrap(), 0xde);
        assert_eq!(r.pos(), 7);
        assert_eq!(r.remaining(), 2);
        assert_eq!(r.rest(), &[0xf0, 0x01]);
        assert!(r.is_empty());
    }

    #[test]
    fn clamped_reader_stops_at_its_end() {
        let msg = [1, 2, 3, 4, 5, 6];
        let mut r = Reader::clamped(&msg, 2, 4);
        assert_eq!(r.u8().unwrap(), 3);
        let e = r.u16().unwrap_err();
        assert_eq!(
            e,
            Error::new(
                ErrorKind::Truncated {
                    needed: 2,
                    available: 1
                },
                3
            )
        );
        // End beyond the message is clamped to it.
        let r = Reader::clamped(&msg, 9, 99);
        assert_eq!((r.pos(), r.end()), (6, 6));
    }

    #[test]
    fn char_string_reports_its_length_byte() {
        // 05 'a' 'b': claims 5 bytes, has 2.
        let msg = [5, b'a', b'b'];
        let e = Reader::new(&msg, 0).char_string().unwrap_err();
        assert_eq!(
            e,
            Error::new(
                ErrorKind::Truncated {
                    needed: 6,
                    available: 3
                },
                0
            )
        );
        let msg = [2, b'a', b'b', 9];
        let mut r = Reader::new(&msg, 0);
        assert_eq!(r.char_string().unwrap(), b"ab");
        assert_eq!(r.u48().unwrap_err().offset, 3);
    }
}
