//! Domain names on the wire (RFC 1035 §3.1 and §4.1.4, RFC 6891 §5 for label types).
//!
//! [`Name`] is a validated view `{ msg, start }`: [`Name::parse`] walks it once, applying
//! every guard, and afterwards [`Name::labels`], [`Name::parts`], comparison, hashing and
//! `Display` walk it again without allocating and without re-checking anything that can
//! fail. The walk is a loop over slice patterns, never recursion.
//!
//! Guards (together they bound the work per name to a constant):
//! - a compression pointer must point strictly before the start of the *current segment*
//!   (the label run it ends), so every hop moves backwards and loops are impossible;
//! - at most [`MAX_POINTER_HOPS`] pointers;
//! - at most 255 octets in the uncompressed name, counting length bytes and the root;
//! - label types `01` and `10` are rejected, and pointers past the end of the message.

use core::fmt;
use core::hash::Hasher;

use super::error::{Error, ErrorKind};

/// Most pointers one name may follow. 255 octets hold at most 127 labels, so a legitimate
/// name never needs more hops than that; 126 keeps the work constant.
pub const MAX_POINTER_HOPS: usize = 126;

/// Longest name on the wire, uncompressed, length bytes and root included.
pub const MAX_NAME_LEN: usize = 255;

/// A validated, possibly compressed domain name inside a message.
#[derive(Clone, Copy)]
pub struct Name<'a> {
    msg: &'a [u8],
    start: u16,
}

/// One step of a name's wire layout, for the byte explainer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NamePart<'a> {
    /// A label: its length byte is at `offset`, `bytes` follow it.
    Label { offset: usize, bytes: &'a [u8] },
    /// A two-byte compression pointer at `offset` to `target`.
    Pointer { offset: usize, target: usize },
    /// The terminating zero byte at `offset`.
    Root { offset: usize },
}

/// Iterator over a name's wire steps; see [`Name::parts`].
#[derive(Clone, Debug)]
pub struct Parts<'a> {
    msg: &'a [u8],
    pos: usize,
    done: bool,
}

impl<'a> Iterator for Parts<'a> {
    type Item = NamePart<'a>;

    fn next(&mut self) -> Option<NamePart<'a>> {
        if self.done {
            return None;
        }
        // The name was validated by `Name::parse`, so every arm other than the first three
        // is unreachable; ending the walk there keeps this panic-free regardless.
        let part = match self.msg.get(self.pos..).unwrap_or(&[]) {
            [0, ..] => {
                self.done = true;
                NamePart::Root { offset: self.pos }
            }
            [len @ 1..=63, rest @ ..] => {
                let len = usize::from(*len);
                let Some(bytes) = rest.get(..len) else {
                    self.done = true;
                    return None;
                };
                let offset = self.pos;
                self.pos += 1 + len;
                NamePart::Label { offset, bytes }
            }
            [hi, lo, ..] if hi & 0xc0 == 0xc0 => {
                let target = usize::from(u16::from_be_bytes([hi & 0x3f, *lo]));
                let offset = self.pos;
                if target >= offset {
                    self.done = true; // cannot happen after validation
                } else {
                    self.pos = target;
                }
                NamePart::Pointer { offset, target }
            }
            _ => {
                self.done = true;
                return None;
            }
        };
        Some(part)
    }
}

/// Iterator over a name's labels (without the empty root label); see [`Name::labels`].
#[derive(Clone, Debug)]
pub struct Labels<'a> {
    parts: Parts<'a>,
}

impl<'a> Iterator for Labels<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        loop {
            match self.parts.next()? {
                NamePart::Label { bytes, .. } => return Some(bytes),
                NamePart::Pointer { .. } => continue,
                NamePart::Root { .. } => return None,
            }
        }
    }
}

impl<'a> Name<'a> {
    /// Parses and validates the name at `offset` in `msg`.
    ///
    /// Returns the name and the offset just after it in the uncompressed position (after the
    /// root byte or after the first pointer).
    pub fn parse(msg: &'a [u8], offset: usize) -> Result<(Name<'a>, usize), Error> {
        Self::parse_within(msg, offset, msg.len())
    }

    /// Like [`Name::parse`], but the name's own bytes (up to its first pointer) must end by
    /// `limit` (e.g. the end of RDATA); pointers may still reach anywhere before `offset`.
    pub fn parse_within(
        msg: &'a [u8],
        offset: usize,
        limit: usize,
    ) -> Result<(Name<'a>, usize), Error> {
        Self::parse_flagged(msg, offset, limit).map(|(name, next, _)| (name, next))
    }

    /// [`Name::parse_within`], and whether the name has a pointer (what
    /// [`Name::has_pointer`] would find by walking it again).
    #[inline(always)]
    pub(crate) fn parse_flagged(
        msg: &'a [u8],
        offset: usize,
        limit: usize,
    ) -> Result<(Name<'a>, usize, bool), Error> {
        let limit = limit.min(msg.len());
        let mut pos = offset;
        let mut segment_start = offset;
        let mut after: Option<usize> = None;
        let mut len = 0usize;
        let mut hops = 0usize;
        let err = |kind, at| Err(Error::new(kind, at));
        // Before the first pointer reads stop at `limit`; after one, every position is
        // below `offset`, which is below `limit`. (One bounds check per step: every
        // name of every message goes through here.)
        let window = msg.get(..limit).unwrap_or_default();
        loop {
            let Some(&b) = window.get(pos) else {
                return err(
                    ErrorKind::Truncated {
                        needed: 1,
                        available: 0,
                    },
                    pos,
                );
            };
            match b {
                0 => {
                    len += 1;
                    if len > MAX_NAME_LEN {
                        return err(ErrorKind::NameTooLong, pos);
                    }
                    let pointer = after.is_some();
                    let next = *after.get_or_insert(pos + 1);
                    let start = u16::try_from(offset)
                        .map_err(|_| Error::new(ErrorKind::MessageTooLong, offset))?;
                    return Ok((Name { msg, start }, next, pointer));
                }
                1..=63 => {
                    let l = usize::from(b);
                    let next = pos + 1 + l;
                    if next > window.len() {
                        return err(
                            ErrorKind::Truncated {
                                needed: (l + 1) as u16,
                                available: super::error::clamp16(window.len() - pos),
                            },
                            pos,
                        );
                    }
                    len += l + 1;
                    if len > MAX_NAME_LEN {
                        return err(ErrorKind::NameTooLong, pos);
                    }
                    pos = next;
                }
                _ if b & 0xc0 == 0xc0 => {
                    let Some(&lo) = window.get(pos + 1) else {
                        return err(
                            ErrorKind::Truncated {
                                needed: 2,
                                available: 1,
                            },
                            pos,
                        );
                    };
                    let target = usize::from(u16::from_be_bytes([b & 0x3f, lo]));
                    if target >= msg.len() {
                        return err(ErrorKind::PointerOutOfRange(target as u16), pos);
                    }
                    if target >= segment_start {
                        return err(
                            ErrorKind::PointerNotBackward {
                                target: target as u16,
                                segment_start: super::error::clamp16(segment_start),
                            },
                            pos,
                        );
                    }
                    hops += 1;
                    if hops > MAX_POINTER_HOPS {
                        return err(ErrorKind::TooManyPointers, pos);
                    }
                    after.get_or_insert(pos + 2);
                    segment_start = target;
                    pos = target;
                }
                _ => return err(ErrorKind::ReservedLabelType(b), pos),
            }
        }
    }

    /// The name at `start` of `msg`, which [`Name::parse`] has already accepted
    /// there (in these same bytes): no second walk. On bytes it did not accept,
    /// the name's iterators still stop safely, but what they yield is undefined.
    pub(crate) fn parsed_at(msg: &'a [u8], start: u16) -> Name<'a> {
        Name { msg, start }
    }

    /// Offset of the name's first byte in the message.
    pub fn start(&self) -> usize {
        usize::from(self.start)
    }

    /// The message the name lives in.
    pub fn message(&self) -> &'a [u8] {
        self.msg
    }

    /// The wire steps: labels, pointers and the root, each with its offset.
    pub fn parts(&self) -> Parts<'a> {
        Parts {
            msg: self.msg,
            pos: self.start(),
            done: false,
        }
    }

    /// The labels, left to right, without the root.
    pub fn labels(&self) -> Labels<'a> {
        Labels {
            parts: self.parts(),
        }
    }

    /// Whether this is the root name `.`.
    pub fn is_root(&self) -> bool {
        self.labels().next().is_none()
    }

    /// Number of labels, not counting the root.
    pub fn label_count(&self) -> usize {
        self.labels().count()
    }

    /// Length of the uncompressed name: labels with their length bytes, plus the root byte.
    pub fn wire_len(&self) -> usize {
        self.labels().map(|l| l.len() + 1).sum::<usize>() + 1
    }

    /// Whether the name uses compression.
    pub fn has_pointer(&self) -> bool {
        self.parts().any(|p| matches!(p, NamePart::Pointer { .. }))
    }

    /// Offset just after the name where it starts (root byte or first pointer included).
    pub fn end(&self) -> usize {
        let mut end = self.start();
        for p in self.parts() {
            match p {
                NamePart::Label { offset, bytes } => end = offset + 1 + bytes.len(),
                NamePart::Pointer { offset, .. } => return offset + 2,
                NamePart::Root { offset } => return offset + 1,
            }
        }
        end
    }

    /// ASCII case-insensitive comparison, label by label (RFC 4343), no allocation.
    pub fn eq_ignore_case(&self, other: &Name<'_>) -> bool {
        let mut a = self.labels();
        let mut b = other.labels();
        loop {
            match (a.next(), b.next()) {
                (None, None) => return true,
                (Some(x), Some(y)) if x.eq_ignore_ascii_case(y) => {}
                _ => return false,
            }
        }
    }

    /// Feeds the lowercased labels (each with its length) into `h`, consistent with
    /// [`Name::eq_ignore_case`].
    pub fn hash_lowercase<H: Hasher>(&self, h: &mut H) {
        // Hashed for every message by the pairer: a name without pointers is
        // hashed straight from the message, eight bytes at a time.
        match self.run() {
            Some(run) => hash_lowercase_run(h, run),
            None => {
                let mut buf = [0u8; MAX_NAME_LEN];
                let n = self.lowercase_into(&mut buf);
                hash_lowercase_run(h, buf.get(..n).unwrap_or_default());
            }
        }
    }

    /// Whether [`Name::lowercase_into`] would write exactly `lower`, without
    /// writing it: a name without pointers is compared eight bytes at a time.
    pub fn eq_lowercased(&self, lower: &[u8]) -> bool {
        match self.run() {
            Some(run) => {
                if run.len() != lower.len() {
                    return false;
                }
                let (mut a, mut b) = (run, lower);
                while let (Some((x, a_rest)), Some((y, b_rest))) =
                    (a.split_first_chunk::<8>(), b.split_first_chunk::<8>())
                {
                    if lowercase_word(u64::from_le_bytes(*x)) != u64::from_le_bytes(*y) {
                        return false;
                    }
                    (a, b) = (a_rest, b_rest);
                }
                a.iter().zip(b).all(|(x, y)| x.to_ascii_lowercase() == *y)
            }
            None => {
                let mut buf = [0u8; MAX_NAME_LEN];
                let n = self.lowercase_into(&mut buf);
                buf.get(..n) == Some(lower)
            }
        }
    }

    /// The labels as one run of bytes (each behind its length byte, no root
    /// byte), when the name has no pointer.
    fn run(&self) -> Option<&'a [u8]> {
        let (msg, start) = (self.msg, self.start());
        let mut pos = start;
        while let Some(&len) = msg.get(pos) {
            match len {
                0 => return msg.get(start..pos).filter(|r| r.len() < MAX_NAME_LEN),
                1..=63 => pos += 1 + usize::from(len),
                _ => return None,
            }
        }
        None
    }

    /// Writes the labels into `buf`, each behind its length byte, ASCII-lowercased,
    /// without the root byte; returns how many bytes were written. A parsed name
    /// fits (at most 254 bytes without its root byte); labels past the end of
    /// `buf` are left out.
    pub fn lowercase_into(&self, buf: &mut [u8; MAX_NAME_LEN]) -> usize {
        // Most names (every question name, nearly) have no pointer: their labels
        // are one run of bytes up to the root, copied at once.
        if let Some(run) = self.run() {
            if let Some(dst) = buf.get_mut(..run.len()) {
                // Eight bytes at a time, then the last few.
                let mut at = 0;
                while let (Some(word), Some(slot)) = (
                    run.get(at..).and_then(<[u8]>::first_chunk::<8>),
                    dst.get_mut(at..).and_then(<[u8]>::first_chunk_mut::<8>),
                ) {
                    *slot = lowercase_word(u64::from_le_bytes(*word)).to_le_bytes();
                    at += 8;
                }
                // The last few: one more word ending at the run's end when the
                // run has one (it overlaps bytes already written, with the same
                // values), else a byte at a time.
                let len = run.len();
                match (
                    run.get(len.wrapping_sub(8)..)
                        .and_then(<[u8]>::first_chunk::<8>),
                    dst.get_mut(len.wrapping_sub(8)..)
                        .and_then(<[u8]>::first_chunk_mut::<8>),
                ) {
                    (Some(word), Some(slot)) if at < len => {
                        *slot = lowercase_word(u64::from_le_bytes(*word)).to_le_bytes();
                    }
                    _ => {
                        for (d, s) in dst.iter_mut().zip(run).skip(at) {
                            *d = s.to_ascii_lowercase();
                        }
                    }
                }
                return len;
            }
        }
        let mut n = 0;
        for label in self.labels() {
            let Some(dst) = buf.get_mut(n..n + 1 + label.len()) else {
                break;
            };
            if let Some((len, rest)) = dst.split_first_mut() {
                *len = label.len() as u8;
                rest.copy_from_slice(label);
            }
            n += 1 + label.len();
        }
        // Length bytes are at most 63, below b'A': lowercasing leaves them alone,
        // so the whole run is lowercased at once.
        if let Some(run) = buf.get_mut(..n) {
            run.make_ascii_lowercase();
        }
        n
    }
}

/// Writes one label byte in presentation format, as dig prints names (BIND's
/// `dns_name_totext` in master-file style): `"().;\@$` get a backslash, other bytes
/// outside 0x21..=0x7e become `\DDD`.
/// Feeds `run` (labels with their length bytes) ASCII-lowercased into `h`,
/// eight bytes to a word, then its length.
pub(crate) fn hash_lowercase_run<H: Hasher>(h: &mut H, run: &[u8]) {
    let mut rest = run;
    while let Some((word, tail)) = rest.split_first_chunk::<8>() {
        h.write_u64(lowercase_word(u64::from_le_bytes(*word)));
        rest = tail;
    }
    if !rest.is_empty() {
        // The last 1-7 bytes: as the run's last eight (some hashed twice, which
        // the length written below makes harmless), or zero-padded when the run
        // is shorter than a word.
        let last = match run.last_chunk::<8>() {
            Some(word) => u64::from_le_bytes(*word),
            None => rest.iter().rev().fold(0u64, |w, &b| w << 8 | u64::from(b)),
        };
        h.write_u64(lowercase_word(last));
    }
    h.write_u8(run.len() as u8);
}

/// The top bit of each byte of `x` that is an ASCII upper-case letter.
fn upper_bits(x: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    // Per byte, with no carry into the next: the top bit of `ge_a` is set
    // where the low seven bits are >= 'A', of `gt_z` where they are > 'Z'; a
    // byte with its top bit set is no letter.
    let low7 = x & (0x7f * ONES);
    let ge_a = low7 + (0x80 - u64::from(b'A')) * ONES;
    let gt_z = low7 + (0x80 - u64::from(b'Z') - 1) * ONES;
    ge_a & !gt_z & !x & (0x80 * ONES)
}

/// Whether any byte of `bytes` is an ASCII upper-case letter: eight bytes at
/// a time (the lint asks it of every name it sees).
pub(crate) fn has_upper(bytes: &[u8]) -> bool {
    let word = |w: &[u8; 8]| upper_bits(u64::from_le_bytes(*w));
    match bytes.last_chunk::<8>() {
        // Whole words, then the last eight bytes (overlapping): fixed-size reads only.
        Some(last) => {
            let mut found = word(last);
            let mut rest = bytes;
            while let Some((w, tail)) = rest.split_first_chunk::<8>() {
                found |= word(w);
                rest = tail;
            }
            found != 0
        }
        None => bytes.iter().any(u8::is_ascii_uppercase),
    }
}

/// `to_ascii_lowercase` on each of the eight bytes of `x`.
fn lowercase_word(x: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    // Per byte, with no carry into the next: the top bit of `ge_a` is set
    // where the low seven bits are >= 'A', of `gt_z` where they are > 'Z'; a
    // byte with its top bit set is no letter.
    let low7 = x & (0x7f * ONES);
    let ge_a = low7 + (0x80 - u64::from(b'A')) * ONES;
    let gt_z = low7 + (0x80 - u64::from(b'Z') - 1) * ONES;
    let upper = ge_a & !gt_z & !x & (0x80 * ONES);
    x | upper >> 2
}

pub(crate) fn write_label_byte(f: &mut fmt::Formatter<'_>, b: u8) -> fmt::Result {
    match b {
        b'"' | b'(' | b')' | b'.' | b';' | b'\\' | b'@' | b'$' => write!(f, "\\{}", b as char),
        0x21..=0x7e => fmt::Write::write_char(f, b as char),
        _ => write!(f, "\\{b:03}"),
    }
}

/// Whether a label byte is printed as itself.
fn is_plain(b: u8) -> bool {
    matches!(b, 0x21..=0x7e) && !matches!(b, b'"' | b'(' | b')' | b'.' | b';' | b'\\' | b'@' | b'$')
}

/// Writes one label in presentation format: with one call when no byte needs an
/// escape (nearly always), else byte by byte.
pub(crate) fn write_label(f: &mut fmt::Formatter<'_>, label: &[u8]) -> fmt::Result {
    if label.iter().all(|&b| is_plain(b)) {
        if let Ok(text) = core::str::from_utf8(label) {
            return f.write_str(text);
        }
    }
    for &b in label {
        write_label_byte(f, b)?;
    }
    Ok(())
}

impl fmt::Display for Name<'_> {
    /// Presentation format, absolute: `www.example.com.`, root `.`. ASCII only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut any = false;
        for label in self.labels() {
            any = true;
            write_label(f, label)?;
            f.write_str(".")?;
        }
        if !any {
            f.write_str(".")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Name<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Name({self} @{:#06x})", self.start)
    }
}

/// Wire-level equality of where the names point is not useful; equality is by labels,
/// case-insensitively, as DNS defines it.
impl PartialEq for Name<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.eq_ignore_case(other)
    }
}

impl Eq for Name<'_> {}

impl core::hash::Hash for Name<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.hash_lowercase(state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::hash_map::DefaultHasher;

    fn kind(msg: &[u8], at: usize) -> (ErrorKind, u16) {
        let e = Name::parse(msg, at).unwrap_err();
        (e.kind, e.offset)
    }

    /// 12 zero bytes standing in for a header, then `rest`.
    fn msg(rest: &[u8]) -> Vec<u8> {
        let mut v = vec![0u8; 12];
        v.extend_from_slice(rest);
        v
    }

    #[test]
    fn plain_name_parses_and_displays() {
        let m = msg(&[
            3, b'w', b'w', b'w', // 0x0c
            7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', // 0x10
            3, b'c', b'o', b'm', // 0x18
            0,    // 0x1c root
            0xff, // next field
        ]);
        let (n, next) = Name::parse(&m, 12).unwrap();
        assert_eq!(next, 0x1d);
        assert_eq!(n.to_string(), "www.example.com.");
        assert_eq!(n.wire_len(), 17);
        assert_eq!(n.label_count(), 3);
        assert_eq!(n.end(), 0x1d);
        assert!(!n.has_pointer() && !n.is_root());
        let labels: Vec<&[u8]> = n.labels().collect();
        assert_eq!(labels, vec![&b"www"[..], b"example", b"com"]);
    }

    #[test]
    fn lowercased_wire_labels_with_and_without_pointers() {
        // 0x0c: "WwW.Example.COM." plain; 0x1d: "mX" + pointer to "Example.COM.".
        let m = msg(&[
            3, b'W', b'w', b'W', 7, b'E', b'x', b'a', b'm', b'p', b'l', b'e', 3, b'C', b'O', b'M',
            0, // 0x0c..0x1c
            2, b'm', b'X', 0xc0, 0x10, // 0x1d
            0,    // 0x22: the root
        ]);
        let mut buf = [0xff; MAX_NAME_LEN];
        let (plain, _) = Name::parse(&m, 12).unwrap();
        let n = plain.lowercase_into(&mut buf);
        assert_eq!(&buf[..n], b"\x03www\x07example\x03com");
        let (compressed, _) = Name::parse(&m, 0x1d).unwrap();
        let n = compressed.lowercase_into(&mut buf);
        assert_eq!(&buf[..n], b"\x02mx\x07example\x03com");
        let (root, _) = Name::parse(&m, 0x22).unwrap();
        assert_eq!(root.lowercase_into(&mut buf), 0);
        // The hash follows the lowercased labels.
        let hash = |n: &Name<'_>| {
            let mut h = DefaultHasher::new();
            n.hash_lowercase(&mut h);
            h.finish()
        };
        let (example, _) = Name::parse(&m, 0x10).unwrap();
        let lower = msg(&[
            7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 3, b'c', b'o', b'm', 0,
        ]);
        let (lower, _) = Name::parse(&lower, 12).unwrap();
        assert!(example.eq_ignore_case(&lower));
        assert_eq!(hash(&example), hash(&lower));
        assert_ne!(hash(&example), hash(&compressed));
        // The same name with and without a pointer hashes the same.
        let both = msg(&[
            3, b'w', b'w', b'w', 7, b'E', b'x', b'a', b'm', b'p', b'l', b'e', 3, b'c', b'o', b'm',
            0, // 0x0c: www.Example.com.
            3, b'W', b'W', b'W', 0xc0, 0x10, // 0x1d: WWW + pointer to Example.com.
        ]);
        let (plain, _) = Name::parse(&both, 12).unwrap();
        let (pointed, _) = Name::parse(&both, 0x1d).unwrap();
        assert!(plain.eq_ignore_case(&pointed) && pointed.has_pointer());
        assert_eq!(hash(&plain), hash(&pointed));
    }

    #[test]
    fn plain_names_of_every_length_are_lowercased_whole() {
        for total in 1..70usize {
            // Labels of up to 9 bytes, mixed case, non-letters too.
            let mut wire = Vec::new();
            let mut left = total;
            let mut k = 0u8;
            while left > 1 {
                let l = (left - 1).min(9);
                wire.push(l as u8);
                wire.extend((0..l).map(|i| b"AbZ[@`z{0~"[(i + usize::from(k)) % 10]));
                left -= l + 1;
                k += 1;
            }
            wire.push(0);
            let m = msg(&wire);
            let (name, _) = Name::parse(&m, 12).unwrap();
            let mut buf = [0u8; MAX_NAME_LEN];
            let n = name.lowercase_into(&mut buf);
            let want: Vec<u8> = wire[..wire.len() - 1].to_ascii_lowercase();
            assert_eq!(&buf[..n], &want[..], "{wire:?}");
        }
    }

    #[test]
    fn comparing_with_lowercased_labels_agrees_with_lowercasing() {
        // 0x0c: a 17-byte plain name (a word and a tail); 0x1e: "mX" + pointer.
        let m = msg(&[
            3, b'W', b'w', b'W', 7, b'E', b'x', b'a', b'm', b'p', b'l', b'e', 3, b'C', b'O', b'M',
            0, // 0x0c..0x1c
            0, // 0x1d: the root
            2, b'm', b'X', 0xc0, 0x10, // 0x1e
        ]);
        let candidates: [&[u8]; 7] = [
            b"\x03www\x07example\x03com",
            b"\x03www\x07example\x03co",
            b"\x03www\x07example\x03cOm",
            b"\x03wwx\x07example\x03com",
            b"\x02mx\x07example\x03com",
            b"\x02mx\x07example\x03con",
            b"",
        ];
        for at in [12, 0x1d, 0x1e] {
            let (name, _) = Name::parse(&m, at).unwrap();
            let mut buf = [0u8; MAX_NAME_LEN];
            let n = name.lowercase_into(&mut buf);
            for c in candidates {
                assert_eq!(name.eq_lowercased(c), &buf[..n] == c, "{name} vs {c:?}");
            }
        }
    }

    #[test]
    fn a_word_lowercases_as_the_standard_library_does() {
        for b in 0..=255u8 {
            for at in 0..8 {
                let word =
                    u64::from(b) << (8 * at) | 0x4142_5a5b_6061_7a7b_u64 & !(0xff << (8 * at));
                let want = u64::from_le_bytes(word.to_le_bytes().map(|c| c.to_ascii_lowercase()));
                assert_eq!(lowercase_word(word), want, "{word:#x}");
            }
        }
    }

    /// The walk as it was written before (slice patterns over `msg[pos..limit]`), kept
    /// to check the current one against, error for error.
    fn reference_parse_within<'a>(
        msg: &'a [u8],
        offset: usize,
        limit: usize,
    ) -> Result<(Name<'a>, usize), Error> {
        let limit = limit.min(msg.len());
        let mut pos = offset;
        let mut segment_start = offset;
        let mut after: Option<usize> = None;
        let mut len = 0usize;
        let mut hops = 0usize;
        let err = |kind, at| Err(Error::new(kind, at));
        loop {
            // Before the first pointer reads stop at `limit`; after one, every position is
            // below `offset`, which is below `limit`.
            let rest = msg.get(pos..limit).unwrap_or(&[]);
            match rest {
                [] => {
                    return err(
                        ErrorKind::Truncated {
                            needed: 1,
                            available: 0,
                        },
                        pos,
                    )
                }
                [0, ..] => {
                    len += 1;
                    if len > MAX_NAME_LEN {
                        return err(ErrorKind::NameTooLong, pos);
                    }
                    let next = *after.get_or_insert(pos + 1);
                    let start = u16::try_from(offset)
                        .map_err(|_| Error::new(ErrorKind::MessageTooLong, offset))?;
                    return Ok((Name { msg, start }, next));
                }
                [l @ 1..=63, tail @ ..] => {
                    let l = usize::from(*l);
                    if tail.len() < l {
                        return err(
                            ErrorKind::Truncated {
                                needed: (l + 1) as u16,
                                available: crate::dns::error::clamp16(rest.len()),
                            },
                            pos,
                        );
                    }
                    len += l + 1;
                    if len > MAX_NAME_LEN {
                        return err(ErrorKind::NameTooLong, pos);
                    }
                    pos += l + 1;
                }
                [hi, lo, ..] if hi & 0xc0 == 0xc0 => {
                    let target = usize::from(u16::from_be_bytes([hi & 0x3f, *lo]));
                    if target >= msg.len() {
                        return err(ErrorKind::PointerOutOfRange(target as u16), pos);
                    }
                    if target >= segment_start {
                        return err(
                            ErrorKind::PointerNotBackward {
                                target: target as u16,
                                segment_start: crate::dns::error::clamp16(segment_start),
                            },
                            pos,
                        );
                    }
                    hops += 1;
                    if hops > MAX_POINTER_HOPS {
                        return err(ErrorKind::TooManyPointers, pos);
                    }
                    after.get_or_insert(pos + 2);
                    segment_start = target;
                    pos = target;
                }
                [hi] if hi & 0xc0 == 0xc0 => {
                    return err(
                        ErrorKind::Truncated {
                            needed: 2,
                            available: 1,
                        },
                        pos,
                    )
                }
                [b, ..] => return err(ErrorKind::ReservedLabelType(*b), pos),
            }
        }
    }

    #[test]
    fn names_parse_as_the_reference_walk_parses_them() {
        use proptest::prelude::*;
        let bytes = proptest::collection::vec(
            prop_oneof![Just(0u8), Just(0xc0), 1u8..8, 60u8..70, any::<u8>()],
            0..80,
        );
        proptest!(ProptestConfig::with_cases(4_000), |(
            body in bytes,
            offset in 0usize..90,
            limit in 0usize..100,
        )| {
            let m = msg(&body);
            prop_assert_eq!(
                Name::parse_within(&m, offset, limit),
                reference_parse_within(&m, offset, limit)
            );
            if let Ok((name, _, pointer)) = Name::parse_flagged(&m, offset, limit) {
                prop_assert_eq!(pointer, name.has_pointer());
            }
        });
    }

    #[test]
    fn root_name() {
        let m = msg(&[0]);
        let (n, next) = Name::parse(&m, 12).unwrap();
        assert!(n.is_root());
        assert_eq!(n.to_string(), ".");
        assert_eq!(n.wire_len(), 1);
        assert_eq!(next, 13);
        assert_eq!(
            n.parts().collect::<Vec<_>>(),
            vec![NamePart::Root { offset: 12 }]
        );
    }

    #[test]
    fn compressed_name_follows_pointer_and_reports_parts() {
        let m = msg(&[
            7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 3, b'c', b'o', b'm', 0, // 0x0c..0x19
            3, b'w', b'w', b'w', 0xc0, 0x0c, // 0x19: www + pointer to 0x0c
        ]);
        let (n, next) = Name::parse(&m, 0x19).unwrap();
        assert_eq!(next, 0x1f);
        assert_eq!(n.to_string(), "www.example.com.");
        assert!(n.has_pointer());
        assert_eq!(n.wire_len(), 17);
        assert_eq!(n.end(), 0x1f);
        let parts: Vec<_> = n.parts().collect();
        assert_eq!(
            parts,
            vec![
                NamePart::Label {
                    offset: 0x19,
                    bytes: b"www"
                },
                NamePart::Pointer {
                    offset: 0x1d,
                    target: 0x0c
                },
                NamePart::Label {
                    offset: 0x0c,
                    bytes: b"example"
                },
                NamePart::Label {
                    offset: 0x14,
                    bytes: b"com"
                },
                NamePart::Root { offset: 0x18 },
            ]
        );
    }

    #[test]
    fn pointer_to_self_is_rejected() {
        let m = msg(&[0xc0, 0x0c]);
        assert_eq!(
            kind(&m, 12),
            (
                ErrorKind::PointerNotBackward {
                    target: 12,
                    segment_start: 12
                },
                12
            )
        );
    }

    #[test]
    fn pointer_loop_between_two_pointers_is_rejected() {
        // 0x0c: pointer to 0x0e; 0x0e: pointer to 0x0c.
        let m = msg(&[0xc0, 0x0e, 0xc0, 0x0c]);
        // Starting at 0x0e: hop to 0x0c is backwards, then 0x0c -> 0x0e is not.
        assert_eq!(
            kind(&m, 0x0e),
            (
                ErrorKind::PointerNotBackward {
                    target: 0x0e,
                    segment_start: 0x0c
                },
                0x0c
            )
        );
    }

    #[test]
    fn pointer_into_own_labels_is_rejected() {
        // "a" then a pointer back to the start of the same segment: a loop the
        // `ptr < pos` rule of domain-classic would follow until the 255 cap.
        let m = msg(&[1, b'a', 0xc0, 0x0c]);
        assert_eq!(
            kind(&m, 12),
            (
                ErrorKind::PointerNotBackward {
                    target: 12,
                    segment_start: 12
                },
                14
            )
        );
    }

    #[test]
    fn forward_pointer_is_rejected() {
        let m = msg(&[0xc0, 0x0e, 1, b'a', 0]);
        assert_eq!(
            kind(&m, 12),
            (
                ErrorKind::PointerNotBackward {
                    target: 14,
                    segment_start: 12
                },
                12
            )
        );
    }

    #[test]
    fn pointer_past_end_is_rejected() {
        let m = msg(&[0xc1, 0x00]);
        assert_eq!(kind(&m, 12), (ErrorKind::PointerOutOfRange(0x100), 12));
    }

    #[test]
    fn reserved_label_types_are_rejected() {
        let m = msg(&[1, b'a', 0x41, b'b', 0]);
        assert_eq!(kind(&m, 12), (ErrorKind::ReservedLabelType(0x41), 14));
        let m = msg(&[0x80, 0]);
        assert_eq!(kind(&m, 12), (ErrorKind::ReservedLabelType(0x80), 12));
    }

    #[test]
    fn label_past_end_is_truncated() {
        let m = msg(&[5, b'a', b'b']);
        assert_eq!(
            kind(&m, 12),
            (
                ErrorKind::Truncated {
                    needed: 6,
                    available: 3
                },
                12
            )
        );
        // Missing root byte.
        let m = msg(&[1, b'a']);
        assert_eq!(
            kind(&m, 12),
            (
                ErrorKind::Truncated {
                    needed: 1,
                    available: 0
                },
                14
            )
        );
        // Half a pointer.
        let m = msg(&[1, b'a', 0xc0]);
        assert_eq!(
            kind(&m, 12),
            (
                ErrorKind::Truncated {
                    needed: 2,
                    available: 1
                },
                14
            )
        );
    }

    /// Labels of 63, 63, 63 and `last` octets: 4 * 64 + 1 - (63 - last) octets in all.
    fn long_name(last: u8) -> Vec<u8> {
        let mut v = vec![0u8; 12];
        for _ in 0..3 {
            v.push(63);
            v.extend(std::iter::repeat_n(b'x', 63));
        }
        v.push(last);
        v.extend(std::iter::repeat_n(b'y', usize::from(last)));
        v.push(0);
        v
    }

    #[test]
    fn name_of_255_octets_is_accepted_and_256_rejected() {
        let m = long_name(61); // 3*64 + 62 + 1 = 255
        let (n, _) = Name::parse(&m, 12).unwrap();
        assert_eq!(n.wire_len(), 255);
        let m = long_name(62); // 256
                               // The error is at the root byte that makes it 256.
        assert_eq!(kind(&m, 12), (ErrorKind::NameTooLong, (m.len() - 1) as u16));
    }

    #[test]
    fn name_too_long_through_pointers() {
        // 0x0c: 63 'x' + root (65 bytes); then 4 more 63-octet labels pointing back.
        let mut m = msg(&[]);
        m.push(63);
        m.extend(std::iter::repeat_n(b'x', 63));
        m.push(0);
        let mut prev = 12usize;
        for _ in 0..3 {
            let here = m.len();
            m.push(63);
            m.extend(std::iter::repeat_n(b'z', 63));
            m.extend_from_slice(&[0xc0 | (prev >> 8) as u8, prev as u8]);
            prev = here;
        }
        // Name at `prev`: 3 labels of 64 via pointers + 64 + root = 257.
        let e = Name::parse(&m, prev).unwrap_err();
        assert_eq!(e.kind, ErrorKind::NameTooLong);
    }

    /// A chain of `hops` pointers, each pointing to the previous one, ending at a root byte.
    fn pointer_chain(hops: usize) -> (Vec<u8>, usize) {
        let mut m = msg(&[0]); // root at 0x0c
        let mut prev = 12usize;
        for _ in 0..hops {
            let here = m.len();
            m.extend_from_slice(&[0xc0 | (prev >> 8) as u8, prev as u8]);
            prev = here;
        }
        (m, prev)
    }

    #[test]
    fn chain_of_126_hops_is_accepted_and_127_rejected() {
        let (m, at) = pointer_chain(126);
        let (n, next) = Name::parse(&m, at).unwrap();
        assert!(n.is_root());
        assert_eq!(next, at + 2);
        let (m, at) = pointer_chain(127);
        // The 127th hop is taken from the pointer at 0x0d (the last in the walk).
        assert_eq!(kind(&m, at), (ErrorKind::TooManyPointers, 0x0d));
    }

    #[test]
    fn long_chain_on_a_small_stack() {
        // The walker iterates, so a long chain does not grow the stack.
        let (m, at) = pointer_chain(5000);
        let h = std::thread::Builder::new()
            .stack_size(32 * 1024)
            .spawn(move || Name::parse(&m, at).map(|_| ()).unwrap_err().kind)
            .unwrap();
        assert_eq!(h.join().unwrap(), ErrorKind::TooManyPointers);
    }

    #[test]
    fn display_escapes_like_dig() {
        let m = msg(&[
            4, b'a', b'.', b'b', b'\\', // a\.b\\
            5, b'(', b' ', 0x7f, 0xff, b'"', // \( \032 \127 \255 \"
            3, b'W', b'w', b'W', // case preserved
            4, b'@', b'$', b';', b'-', // master-file specials as dig prints them
            0,
        ]);
        let (n, _) = Name::parse(&m, 12).unwrap();
        assert_eq!(
            n.to_string(),
            "a\\.b\\\\.\\(\\032\\127\\255\\\".WwW.\\@\\$\\;-."
        );
        assert!(n.to_string().is_ascii());
    }

    #[test]
    fn comparison_and_hash_ignore_case() {
        let m = msg(&[
            3, b'W', b'W', b'W', 1, b'x', 0, // 0x0c
            3, b'w', b'w', b'w', 1, b'X', 0, // 0x13
            3, b'w', b'w', b'w', 0, // 0x1a
        ]);
        let (a, _) = Name::parse(&m, 0x0c).unwrap();
        let (b, _) = Name::parse(&m, 0x13).unwrap();
        let (c, _) = Name::parse(&m, 0x1a).unwrap();
        assert!(a.eq_ignore_case(&b));
        assert!(!a.eq_ignore_case(&c));
        assert_eq!(a, b);
        let hash = |n: &Name<'_>| {
            let mut h = DefaultHasher::new();
            n.hash_lowercase(&mut h);
            h.finish()
        };
        assert_eq!(hash(&a), hash(&b));
        assert_ne!(hash(&a), hash(&c));
    }

    #[test]
    fn parse_within_limits_the_uncompressed_part() {
        let m = msg(&[1, b'a', 0, 3, b'b', b'b', b'b', 0]);
        // Limit at 0x11 cuts the label "bbb".
        assert_eq!(
            Name::parse_within(&m, 0x0f, 0x11).unwrap_err(),
            Error::new(
                ErrorKind::Truncated {
                    needed: 4,
                    available: 2
                },
                0x0f
            )
        );
    }
}
