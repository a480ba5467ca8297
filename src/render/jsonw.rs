//! A hand-written JSON writer for the listings' hot objects: the message
//! (RFC 8427) and transaction objects of `--format json` and `--format ndjson`.
//!
//! It writes exactly the bytes serde_json writes for [`json::MessageJson`] and
//! [`json::TransactionJson`] in compact form — the tests below compare the two
//! on every sample — for a fraction of the work: keys are pre-escaped byte
//! literals, integers go through a small digit writer, strings are escaped only
//! where a byte needs it, and names and the common RDATA types are written
//! label by label straight into the buffer. Floats go through serde_json's own
//! serializer, so they print as before. Rare parts (lint findings, errors, ICMP
//! notes) still go through their `Serialize` impls.
//!
//! Escaping follows serde_json: `"` and `\` get a backslash; `\b`, `\t`, `\n`,
//! `\f`, `\r` their short forms; other bytes below 0x20 `\u00XX` (lower-case
//! hex); everything else, UTF-8 included, as itself.

use std::fmt::{self, Write as _};
use std::net::IpAddr;

use crate::dns::{self, Entry, Section};
use crate::meta::MessageMeta;
use crate::txn::Transaction;

use super::{json, Files};

/// The two digits of 0..=99.
const PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

fn pair(v: u64) -> [u8; 2] {
    let i = (v % 100) as usize * 2;
    [PAIRS[i], PAIRS[i + 1]]
}

/// Appends `v` in decimal. Single digits, which most fields hold, inline;
/// the rest in [`uint_more`].
#[inline(always)]
pub(super) fn uint(buf: &mut Vec<u8>, v: u64) {
    if v < 10 {
        buf.push(b'0' + v as u8);
    } else {
        uint_more(buf, v);
    }
}

/// [`uint`] for `v >= 10`: two digits at a time (as `itoa` does), with one
/// fixed-size copy for the common widths.
#[inline(never)]
fn uint_more(buf: &mut Vec<u8>, v: u64) {
    if v < 100 {
        buf.extend_from_slice(&pair(v));
        return;
    }
    // Fixed-size copies for the common widths (ports, IDs, frame numbers).
    if v < 1000 {
        let [b, c] = pair(v);
        buf.extend_from_slice(&[b'0' + (v / 100) as u8, b, c]);
        return;
    }
    if v < 10_000 {
        let ([a, b], [c, d]) = (pair(v / 100), pair(v));
        buf.extend_from_slice(&[a, b, c, d]);
        return;
    }
    if v < 100_000 {
        let ([b, c], [d, e]) = (pair(v / 100), pair(v));
        buf.extend_from_slice(&[b'0' + (v / 10_000) as u8, b, c, d, e]);
        return;
    }
    if v < 1_000_000 {
        let ([a, b], [c, d], [e, f]) = (pair(v / 10_000), pair(v / 100), pair(v));
        buf.extend_from_slice(&[a, b, c, d, e, f]);
        return;
    }
    if v < 10_000_000_000 {
        // Ten digits at fixed places, written from the first significant one.
        let ([a, b], [c, d], [e, f], [g, h], [i, j]) = (
            pair(v / 100_000_000),
            pair(v / 1_000_000),
            pair(v / 10_000),
            pair(v / 100),
            pair(v),
        );
        let text = [a, b, c, d, e, f, g, h, i, j];
        let first = 10 - (v.ilog10() as usize + 1);
        buf.extend_from_slice(text.get(first..).unwrap_or_default());
        return;
    }
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut v = v;
    while v >= 100 {
        i -= 2;
        digits[i..i + 2].copy_from_slice(&pair(v));
        v /= 100;
    }
    if v >= 10 {
        i -= 2;
        digits[i..i + 2].copy_from_slice(&pair(v));
    } else {
        i -= 1;
        digits[i] = b'0' + v as u8;
    }
    buf.extend_from_slice(&digits[i..]);
}

/// Appends `v` as serde_json prints an `f64` (`null` when not finite).
pub(super) fn float(buf: &mut Vec<u8>, v: f64) {
    // Writing to a Vec cannot fail.
    let _ = serde::Serializer::serialize_f64(&mut serde_json::Serializer::new(&mut *buf), v);
}

/// Appends `v` as serde_json prints it when `v` is within half a unit in the
/// last place of `c / 10^k` (`k` is 3 or 6): then that decimal, without its
/// trailing zeros, is what serde_json's shortest round-trip digits (`zmij`)
/// are. Returns false, having appended nothing, in every other case.
///
/// Why: for `10^-k <= v < 2^32` a unit in the last place is below `10^-k`,
/// so at most one decimal with `k` or fewer fraction digits lies within half
/// of it of `v`; any other decimal that does has more significant digits, so
/// the shortest is that one; and zmij writes values from 1e-5 to 1e16 in
/// fixed notation, `.0` for integers. The check is exact (integers): `v` is
/// `m * 2^e`, so `|v - c / 10^k| < 2^(e-1)` is
/// `|2m * 10^k - c * 2^(1-e)| < 10^k`. Powers of two (whose lower neighbour
/// is nearer) are left to serde_json.
fn decimal_float<const K: u32>(buf: &mut Vec<u8>, v: f64, c: u64) -> bool {
    let (k, scale) = (K, 10u64.pow(K));
    let bits = v.to_bits();
    let exp = (bits >> 52) as i64; // the sign bit is 0 for v >= 0
    let frac_bits = bits & ((1 << 52) - 1);
    if !(k == 3 || k == 6) || !(1e-3..4_294_967_296.0).contains(&v) || frac_bits == 0 {
        return false;
    }
    // v = m * 2^e with e in -63..=-21 here, so 1 - e is in 22..=64.
    let m = u128::from(frac_bits | 1 << 52);
    let shift = 1 - (exp - 1075);
    if !(22..=64).contains(&shift) || c >= 1 << 53 {
        return false;
    }
    let (a, b) = (2 * m * u128::from(scale), u128::from(c) << shift);
    if a.abs_diff(b) >= u128::from(scale) {
        return false;
    }
    // `int.frac` laid out at fixed places (ten integer digits, as v < 2^32),
    // then written from the first significant digit to the last non-zero
    // fraction digit in one copy.
    let (int, f) = (c / scale, c % scale);
    let f6 = if k == 3 { f * 1000 } else { f };
    let ([i1, i2], [i3, i4], [i5, i6], [i7, i8], [i9, i10]) = (
        pair(int / 100_000_000),
        pair(int / 1_000_000),
        pair(int / 10_000),
        pair(int / 100),
        pair(int),
    );
    let ([d1, d2], [d3, d4], [d5, d6]) = (pair(f6 / 10_000), pair(f6 / 100), pair(f6));
    let text = [
        i1, i2, i3, i4, i5, i6, i7, i8, i9, i10, b'.', d1, d2, d3, d4, d5, d6,
    ];
    let first = 10 - (int.checked_ilog10().unwrap_or(0) as usize + 1);
    let last = if f == 0 {
        11 // ".0"
    } else {
        // f6 > 0: its trailing zeros in decimal (at most five).
        let mut last = 16;
        while text[last] == b'0' {
            last -= 1;
        }
        last
    };
    buf.extend_from_slice(text.get(first..=last).unwrap_or_default());
    true
}

/// `dateSeconds`: `ts.as_secs_f64()` as serde_json prints it.
fn date_seconds(buf: &mut Vec<u8>, ts: &crate::capture::Timestamp) {
    let v = ts.as_secs_f64();
    if ts.secs >= 0 && ts.nanos % 1000 == 0 && ts.nanos < 1_000_000_000 {
        let c = (ts.secs as u64)
            .checked_mul(1_000_000)
            .and_then(|s| s.checked_add(u64::from(ts.nanos / 1000)));
        if let Some(c) = c {
            if decimal_float::<6>(buf, v, c) {
                return;
            }
        }
    }
    float(buf, v);
}

/// Milliseconds from microseconds (`json::micros_to_ms`) as serde_json prints them.
fn millis(buf: &mut Vec<u8>, micros: i64) {
    let v = json::micros_to_ms(micros);
    if let Ok(c) = u64::try_from(micros) {
        if decimal_float::<3>(buf, v, c) {
            return;
        }
    }
    float(buf, v);
}

/// A flag as RFC 8427 writes it: 0 or 1.
fn bit(buf: &mut Vec<u8>, v: bool) {
    buf.push(if v { b'1' } else { b'0' });
}

fn boolean(buf: &mut Vec<u8>, v: bool) {
    buf.extend_from_slice(if v { b"true" } else { b"false" });
}

/// What serde_json writes after a backslash for byte `b`, or 0 for a byte that
/// goes out as itself (`u`: `\u00XX`).
fn escape_of(b: u8) -> u8 {
    match b {
        0x08 => b'b',
        b'\t' => b't',
        b'\n' => b'n',
        0x0c => b'f',
        b'\r' => b'r',
        0x00..=0x1f => b'u',
        b'"' => b'"',
        b'\\' => b'\\',
        _ => 0,
    }
}

/// Whether any of the 8 bytes of `w` needs an escape: a byte below 0x20, `"`
/// or `\` (the exact "has a zero byte" and "has a byte less than n" tests of
/// Bit Twiddling Hacks, n = 0x20 ≤ 128).
fn word_needs_escape(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH != 0;
    let below_space = w.wrapping_sub(ONES * 0x20) & !w & HIGH != 0;
    below_space || has_zero(w ^ (ONES * u64::from(b'"'))) || has_zero(w ^ (ONES * u64::from(b'\\')))
}

fn byte_needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// The index of the first byte that needs an escape, or the length: eight
/// bytes at a time while none does.
fn plain_len(text: &[u8]) -> usize {
    let mut words = text.chunks_exact(8);
    let mut at = 0;
    for w in words.by_ref() {
        let mut word = [0u8; 8];
        word.copy_from_slice(w);
        if word_needs_escape(u64::from_le_bytes(word)) {
            break;
        }
        at += 8;
    }
    at + text
        .get(at..)
        .unwrap_or_default()
        .iter()
        .position(|&b| byte_needs_escape(b))
        .unwrap_or(text.len() - at)
}

/// Appends the inside of a JSON string: runs of bytes that need no escape in
/// one copy, the others escaped as serde_json escapes them.
pub(super) fn escape_into(buf: &mut Vec<u8>, text: &[u8]) {
    let mut rest = text;
    loop {
        let (plain, tail) = rest.split_at(plain_len(rest));
        buf.extend_from_slice(plain);
        let Some((&b, tail)) = tail.split_first() else {
            return;
        };
        match escape_of(b) {
            b'u' => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                buf.extend_from_slice(b"\\u00");
                buf.push(HEX[usize::from(b >> 4)]);
                buf.push(HEX[usize::from(b & 0x0f)]);
            }
            e => buf.extend_from_slice(&[b'\\', e]),
        }
        rest = tail;
    }
}

/// Appends a string known to need no escape (mnemonics, status words) as a
/// JSON string; the tests check every one.
fn plain_string(buf: &mut Vec<u8>, s: &str) {
    debug_assert!(plain_len(s.as_bytes()) == s.len());
    buf.push(b'"');
    buf.extend_from_slice(s.as_bytes());
    buf.push(b'"');
}

/// Appends a JSON string.
pub(super) fn string(buf: &mut Vec<u8>, s: &str) {
    buf.push(b'"');
    escape_into(buf, s.as_bytes());
    buf.push(b'"');
}

/// A `fmt::Write` that escapes what it is given into a JSON string's inside.
struct Escaped<'b>(&'b mut Vec<u8>);

impl fmt::Write for Escaped<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        escape_into(self.0, s.as_bytes());
        Ok(())
    }
}

/// A `fmt::Write` that copies what it is given: for text that never needs an
/// escape (RFC 3339 timestamps, IPv6 addresses; the tests check both).
struct Raw<'b>(&'b mut Vec<u8>);

impl fmt::Write for Raw<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// A `fmt::Write` into a small array on the stack.
struct Stack<const N: usize> {
    text: [u8; N],
    len: usize,
}

impl<const N: usize> fmt::Write for Stack<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        let slot = self.text.get_mut(self.len..end).ok_or(fmt::Error)?;
        slot.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

thread_local! {
    /// The second last written by [`date_string`] and its text up to the
    /// fraction, `YYYY-MM-DDTHH:MM:SS.`: consecutive messages mostly share it.
    static SECOND: std::cell::Cell<Option<(i64, [u8; 20])>> = const { std::cell::Cell::new(None) };
}

/// Appends `Timestamp::to_rfc3339`'s text (the inside of `dateString`): the
/// part up to the fraction from a one-second cache, then the nine digits.
fn date_string(buf: &mut Vec<u8>, ts: &crate::capture::Timestamp) {
    if ts.nanos < 1_000_000_000 {
        let prefix = match SECOND.get() {
            Some((secs, prefix)) if secs == ts.secs => Some(prefix),
            _ => {
                // The text is `<year>-MM-DDTHH:MM:SS.` and nine digits and `Z`,
                // for any year; cached when the year has four characters.
                let mut text = Stack::<40> {
                    text: [0; 40],
                    len: 0,
                };
                let whole = crate::capture::Timestamp {
                    secs: ts.secs,
                    nanos: 0,
                };
                let written = whole.write_rfc3339_nanos(&mut text).is_ok();
                let mut prefix = [0u8; 20];
                match text.text.get(..20) {
                    Some(p) if written && text.len == 30 && p[19] == b'.' => {
                        prefix.copy_from_slice(p);
                        SECOND.set(Some((ts.secs, prefix)));
                        Some(prefix)
                    }
                    _ => None,
                }
            }
        };
        if let Some(prefix) = prefix {
            let n = u64::from(ts.nanos);
            let ([b, c], [d, e], [f, g], [h, i]) = (
                pair(n / 1_000_000),
                pair(n / 10_000),
                pair(n / 100),
                pair(n),
            );
            buf.extend_from_slice(&prefix);
            buf.extend_from_slice(&[b'0' + (n / 100_000_000) as u8, b, c, d, e, f, g, h, i, b'Z']);
            return;
        }
    }
    // Digits, `-`, `:`, `T`, `.` and `Z` only; Raw never fails.
    let _ = ts.write_rfc3339_nanos(&mut Raw(buf));
}

/// Appends a `Display` value as a JSON string (what `collect_str` writes).
pub(super) fn display(buf: &mut Vec<u8>, v: &dyn fmt::Display) {
    buf.push(b'"');
    // Escaped never fails; a Display impl that does would have failed serde_json too.
    let _ = write!(Escaped(buf), "{v}");
    buf.push(b'"');
}

/// Appends upper-case hex as a JSON string (`hex::Upper`), written into its
/// place in the buffer.
fn hex(buf: &mut Vec<u8>, bytes: &[u8]) {
    let start = buf.len();
    // The quotes are the fill.
    buf.resize(start + bytes.len() * 2 + 2, b'"');
    let Some(out) = buf.get_mut(start + 1..) else {
        return;
    };
    // Each byte's two digits, by arithmetic (a form the compiler vectorizes).
    let digit = |n: u8| n + if n > 9 { b'A' - 10 } else { b'0' };
    for (slot, &b) in out.chunks_exact_mut(2).zip(bytes) {
        slot[0] = digit(b >> 4);
        slot[1] = digit(b & 0x0f);
    }
}

/// The decimal text of each octet: its length and up to three digits.
const OCTETS: [(u8, [u8; 3]); 256] = {
    let mut t = [(0u8, [0u8; 3]); 256];
    let mut v = 0;
    while v < 256 {
        let (h, te, o) = ((v / 100) as u8, (v / 10 % 10) as u8, (v % 10) as u8);
        t[v] = if v >= 100 {
            (3, [b'0' + h, b'0' + te, b'0' + o])
        } else if v >= 10 {
            (2, [b'0' + te, b'0' + o, 0])
        } else {
            (1, [b'0' + o, 0, 0])
        };
        v += 1;
    }
    t
};

/// Appends a dotted quad: built on the stack, one copy.
fn ipv4_inside(buf: &mut Vec<u8>, octets: [u8; 4]) {
    let mut text = [0u8; 18];
    let mut n = 0;
    for (i, o) in octets.into_iter().enumerate() {
        if i > 0 {
            text[n] = b'.';
            n += 1;
        }
        let (len, digits) = OCTETS[usize::from(o)];
        text[n..n + 3].copy_from_slice(&digits);
        n += usize::from(len);
    }
    buf.extend_from_slice(&text[..n]);
}

/// Appends 1 to 4 lower-case hex digits, without leading zeros.
fn hex16(buf: &mut Vec<u8>, v: u16) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let digits = [v >> 12, (v >> 8) & 0xf, (v >> 4) & 0xf, v & 0xf].map(|d| DIGITS[usize::from(d)]);
    let skip = (v.leading_zeros() / 4).min(3) as usize;
    buf.extend_from_slice(&digits[skip..]);
}

/// An IPv6 address as `std`'s `Display` writes it (RFC 5952: the first
/// longest run of two or more zero groups as `::`, groups in lower-case hex
/// without leading zeros; IPv4-mapped addresses as `::ffff:a.b.c.d`).
fn ipv6_inside(buf: &mut Vec<u8>, a: &std::net::Ipv6Addr) {
    let s = a.segments();
    if let [0, 0, 0, 0, 0, 0xffff, hi, lo] = s {
        let [o1, o2] = hi.to_be_bytes();
        let [o3, o4] = lo.to_be_bytes();
        buf.extend_from_slice(b"::ffff:");
        ipv4_inside(buf, [o1, o2, o3, o4]);
        return;
    }
    // The first longest run of zero groups (two or more).
    let (mut best_at, mut best_len) = (0, 0);
    let mut i = 0;
    while i < 8 {
        if s[i] == 0 {
            let start = i;
            while i < 8 && s[i] == 0 {
                i += 1;
            }
            if i - start > best_len {
                (best_at, best_len) = (start, i - start);
            }
        } else {
            i += 1;
        }
    }
    let groups = |buf: &mut Vec<u8>, part: &[u16]| {
        for (j, &g) in part.iter().enumerate() {
            if j > 0 {
                buf.push(b':');
            }
            hex16(buf, g);
        }
    };
    if best_len >= 2 {
        groups(buf, &s[..best_at]);
        buf.extend_from_slice(b"::");
        groups(buf, &s[best_at + best_len..]);
    } else {
        groups(buf, &s);
    }
}

/// An address as serde writes it (its `Display`, as a string).
fn ip_uncached(buf: &mut Vec<u8>, addr: &IpAddr) {
    buf.push(b'"');
    match addr {
        IpAddr::V4(a) => ipv4_inside(buf, a.octets()),
        IpAddr::V6(a) => ipv6_inside(buf, a),
    }
    buf.push(b'"');
}

thread_local! {
    /// [`Shapes`] of IPv4 and IPv6 addresses' strings (captures mostly show
    /// a few addresses again and again).
    static V4: std::cell::RefCell<Shapes<8, 24>> = const { std::cell::RefCell::new(Shapes::new()) };
    static V6: std::cell::RefCell<Shapes<8, 56>> = const { std::cell::RefCell::new(Shapes::new()) };
}

/// [`ip_uncached`], from [`V4`] or [`V6`].
fn ip(buf: &mut Vec<u8>, addr: &IpAddr) {
    let write = |buf: &mut Vec<u8>| ip_uncached(buf, addr);
    match addr {
        IpAddr::V4(a) => V4.with_borrow_mut(|s| s.append(buf, u128::from(a.to_bits()), write)),
        IpAddr::V6(a) => V6.with_borrow_mut(|s| s.append(buf, a.to_bits(), write)),
    }
}

/// Whether a label byte is written as itself in presentation format
/// (`dns::name::write_label_byte`); such a byte also needs no JSON escape.
fn is_plain_label_byte(b: u8) -> bool {
    PLAIN_LABEL_BYTE[usize::from(b)]
}

/// [`is_plain_label_byte`] for every byte, looked up.
const PLAIN_LABEL_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0x21;
    while b <= 0x7e {
        t[b] = !matches!(
            b as u8,
            b'"' | b'(' | b')' | b'.' | b';' | b'\\' | b'@' | b'$'
        );
        b += 1;
    }
    t
};

/// Appends one label in presentation format, JSON-escaped: `\X` for the
/// specials and `\DDD` for other bytes, each backslash doubled for JSON.
fn label_inside(buf: &mut Vec<u8>, label: &[u8]) {
    let mut rest = label;
    loop {
        let run = rest
            .iter()
            .position(|&b| !is_plain_label_byte(b))
            .unwrap_or(rest.len());
        let (plain, tail) = rest.split_at(run);
        buf.extend_from_slice(plain);
        let Some((&b, tail)) = tail.split_first() else {
            return;
        };
        buf.extend_from_slice(b"\\\\");
        match b {
            b'"' => buf.extend_from_slice(b"\\\""),
            b'\\' => buf.extend_from_slice(b"\\\\"),
            b'(' | b')' | b'.' | b';' | b'@' | b'$' => buf.push(b),
            _ => {
                buf.push(b'0' + b / 100);
                buf.push(b'0' + b / 10 % 10);
                buf.push(b'0' + b % 10);
            }
        }
        rest = tail;
    }
}

/// Names already written for one message: where in the buffer the text of
/// the name that starts at a wire offset is. A compression pointer to such an
/// offset (most owner names point to the question's) then copies that text
/// instead of walking and escaping the labels again: the text of a name
/// suffix depends only on its wire offset.
#[derive(Default)]
struct Names {
    /// (wire offset of a label, start and end of its text in the buffer).
    seen: [(usize, usize, usize); NAMES],
    len: usize,
}

thread_local! {
    /// The [`Names`] of the message being written.
    static NAMES_SEEN: std::cell::RefCell<Names> = std::cell::RefCell::new(Names::default());
}

/// Name suffixes remembered per message (the first ones; later names are
/// simply written out).
const NAMES: usize = 12;

impl Names {
    fn get(&self, offset: usize) -> Option<(usize, usize)> {
        self.seen
            .get(..self.len)?
            .iter()
            .find(|s| s.0 == offset)
            .map(|s| (s.1, s.2))
    }
}

/// Appends a name's presentation format (its `Display`), JSON-escaped, without quotes.
fn name_inside(buf: &mut Vec<u8>, name: &dns::Name<'_>, names: &mut Names) {
    if !name_inside_plain(buf, name, names) {
        name_inside_parts(buf, name, names);
    }
}

/// [`name_inside`] for the usual name, written at once: labels whose bytes
/// all go out as themselves, then the root or a pointer to a name already
/// written ([`Names`]). The labels are copied as one run from the message and
/// each length byte after the first becomes the dot before its label (the
/// text has the labels' wire length). Returns false, having written nothing,
/// for any other name.
#[inline]
fn name_inside_plain(buf: &mut Vec<u8>, name: &dns::Name<'_>, names: &mut Names) -> bool {
    let msg = name.message();
    let start = name.start();
    let mut pos = start;
    let pointed = loop {
        match msg.get(pos..) {
            Some([0, ..]) => break None,
            Some([len @ 1..=63, rest @ ..]) => {
                let len = usize::from(*len);
                match rest.get(..len) {
                    Some(label) if label.iter().all(|&b| is_plain_label_byte(b)) => {
                        pos += 1 + len;
                    }
                    _ => return false,
                }
            }
            Some([hi, lo, ..]) if hi & 0xc0 == 0xc0 => {
                let target = usize::from(u16::from_be_bytes([hi & 0x3f, *lo]));
                match names.get(target).filter(|&(s, e)| s <= e && e <= buf.len()) {
                    Some(text) => break Some(text),
                    None => return false,
                }
            }
            _ => return false,
        }
    };
    let base = buf.len();
    match msg.get(start..pos).and_then(<[u8]>::split_first) {
        Some((_, labels)) => {
            buf.extend_from_slice(labels);
            buf.push(b'.');
            // The length bytes after the first, as dots.
            let mut at = start;
            while let Some(&len) = msg.get(at) {
                at += 1 + usize::from(len);
                if at >= pos {
                    break;
                }
                if let Some(dot) = buf.get_mut(base + (at - start) - 1) {
                    *dot = b'.';
                }
            }
        }
        None if pointed.is_none() => buf.push(b'.'),
        None => {}
    }
    if let Some((s, e)) = pointed {
        buf.extend_from_within(s..e);
    }
    let end = buf.len();
    // The labels written here, for the names that point to them.
    let mut at = start;
    while at < pos {
        let Some(&len) = msg.get(at) else { break };
        if let Some(slot) = names.seen.get_mut(names.len) {
            *slot = (at, base + (at - start), end);
            names.len += 1;
        } else {
            break;
        }
        at += 1 + usize::from(len);
    }
    true
}

/// [`name_inside`] part by part: any name.
fn name_inside_parts(buf: &mut Vec<u8>, name: &dns::Name<'_>, names: &mut Names) {
    // The labels written here (wire offset, text start), remembered at the end.
    let mut written = [(0, 0); NAMES];
    let mut count = 0;
    let mut any = false;
    for part in name.parts() {
        match part {
            dns::NamePart::Label { offset, bytes } => {
                if let Some(slot) = written.get_mut(count) {
                    *slot = (offset, buf.len());
                    count += 1;
                }
                any = true;
                label_inside(buf, bytes);
                buf.push(b'.');
            }
            dns::NamePart::Pointer { target, .. } => {
                // Within the buffer always, as `Names` is kept per message
                // buffer; checked so that a misuse writes the labels instead
                // of panicking.
                if let Some((start, end)) =
                    names.get(target).filter(|&(s, e)| s <= e && e <= buf.len())
                {
                    any = true;
                    buf.extend_from_within(start..end);
                    break;
                }
            }
            dns::NamePart::Root { .. } => break,
        }
    }
    if !any {
        buf.push(b'.');
    }
    let end = buf.len();
    for &(offset, start) in written.get(..count).unwrap_or_default() {
        if let Some(slot) = names.seen.get_mut(names.len) {
            *slot = (offset, start, end);
            names.len += 1;
        }
    }
}

/// Appends a name as a JSON string.
fn name(buf: &mut Vec<u8>, n: &dns::Name<'_>, names: &mut Names) {
    buf.push(b'"');
    name_inside(buf, n, names);
    buf.push(b'"');
}

/// Appends TXT-like strings in presentation format (`CharStrings`' `Display`:
/// each quoted, `"` and `\` with a backslash, bytes outside 0x20..=0x7e as
/// `\DDD`), JSON-escaped, without the outer quotes.
fn char_strings_inside(buf: &mut Vec<u8>, strings: &dns::CharStrings<'_>) {
    let plain = |b: u8| matches!(b, 0x20..=0x7e) && b != b'"' && b != b'\\';
    for (i, s) in strings.iter().enumerate() {
        if i > 0 {
            buf.push(b' ');
        }
        buf.extend_from_slice(b"\\\"");
        let mut rest = s;
        loop {
            let run = rest.iter().position(|&b| !plain(b)).unwrap_or(rest.len());
            let (text, tail) = rest.split_at(run);
            buf.extend_from_slice(text);
            let Some((&b, tail)) = tail.split_first() else {
                break;
            };
            match b {
                b'"' => buf.extend_from_slice(b"\\\\\\\""),
                b'\\' => buf.extend_from_slice(b"\\\\\\\\"),
                _ => {
                    buf.extend_from_slice(b"\\\\");
                    buf.push(b'0' + b / 100);
                    buf.push(b'0' + b / 10 % 10);
                    buf.push(b'0' + b % 10);
                }
            }
            rest = tail;
        }
        buf.extend_from_slice(b"\\\"");
    }
}

/// Appends RDATA in presentation format (`Rdata`'s `Display`) as a JSON string:
/// the common types by hand, the others through `Display`.
fn rdata(buf: &mut Vec<u8>, data: &dns::Rdata<'_>, names: &mut Names) {
    use dns::Rdata;
    match data {
        Rdata::A(a) => {
            buf.push(b'"');
            ipv4_inside(buf, a.octets());
            buf.push(b'"');
        }
        Rdata::Aaaa(a) => {
            buf.push(b'"');
            // `dns::rdata::Ipv6`: dig's `::a.b.c.d` for the IPv4-compatible
            // form, else `std`'s text.
            match a.segments() {
                [0, 0, 0, 0, 0, 0, hi, lo] if hi != 0 => {
                    let [o1, o2] = hi.to_be_bytes();
                    let [o3, o4] = lo.to_be_bytes();
                    buf.extend_from_slice(b"::");
                    ipv4_inside(buf, [o1, o2, o3, o4]);
                }
                _ => ipv6_inside(buf, a),
            }
            buf.push(b'"');
        }
        Rdata::Ns(n) | Rdata::Cname(n) | Rdata::Ptr(n) | Rdata::Dname(n) => name(buf, n, names),
        Rdata::Mx {
            preference,
            exchange,
        } => {
            buf.push(b'"');
            uint(buf, u64::from(*preference));
            buf.push(b' ');
            name_inside(buf, exchange, names);
            buf.push(b'"');
        }
        Rdata::Txt(s) | Rdata::Spf(s) => {
            buf.push(b'"');
            char_strings_inside(buf, s);
            buf.push(b'"');
        }
        Rdata::Soa {
            mname,
            rname,
            serial,
            refresh,
            retry,
            expire,
            minimum,
        } => {
            buf.push(b'"');
            name_inside(buf, mname, names);
            buf.push(b' ');
            name_inside(buf, rname, names);
            for v in [serial, refresh, retry, expire, minimum] {
                buf.push(b' ');
                uint(buf, u64::from(*v));
            }
            buf.push(b'"');
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
            buf.push(b'"');
            match type_covered.name() {
                Some(n) => buf.extend_from_slice(n.as_bytes()),
                None => {
                    let _ = write!(Escaped(buf), "{type_covered}");
                }
            }
            for v in [u32::from(*algorithm), u32::from(*labels), *original_ttl] {
                buf.push(b' ');
                uint(buf, u64::from(v));
            }
            buf.push(b' ');
            sig_time(buf, *expiration);
            buf.push(b' ');
            sig_time(buf, *inception);
            buf.push(b' ');
            uint(buf, u64::from(*key_tag));
            buf.push(b' ');
            name_inside(buf, signer, names);
            base64_words(buf, signature);
            buf.push(b'"');
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
            buf.push(b'"');
            uint(buf, u64::from(*flags));
            buf.push(b' ');
            uint(buf, u64::from(*protocol));
            buf.push(b' ');
            uint(buf, u64::from(*algorithm));
            base64_words(buf, public_key);
            buf.push(b'"');
        }
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
            buf.push(b'"');
            uint(buf, u64::from(*key_tag));
            buf.push(b' ');
            uint(buf, u64::from(*algorithm));
            buf.push(b' ');
            uint(buf, u64::from(*digest_type));
            if !digest.is_empty() {
                // Hex digits and spaces only; Raw never fails.
                let _ = write!(Raw(buf), " {}", dns::rdata::HexWords(digest));
            }
            buf.push(b'"');
        }
        Rdata::Nsec { next, types } => {
            buf.push(b'"');
            name_inside(buf, next, names);
            // `TypeBitmap`'s text: mnemonics (which need no escape) or `TYPEn`.
            for t in types.iter() {
                buf.push(b' ');
                match t.name() {
                    Some(n) => buf.extend_from_slice(n.as_bytes()),
                    None => {
                        buf.extend_from_slice(b"TYPE");
                        uint(buf, u64::from(t.0));
                    }
                }
            }
            buf.push(b'"');
        }
        other => display(buf, other),
    }
}

/// Appends ` ` and base64 in words, as DNSKEY and RRSIG end (nothing for no
/// bytes): `dns::rdata::Base64Words`' text (standard base64 with padding, a
/// space every 56 characters), which needs no escape. Written into its place
/// in the buffer, three bytes to four characters at a time.
fn base64_words(buf: &mut Vec<u8>, data: &[u8]) {
    const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    // 42 bytes make a 56-character word.
    const IN: usize = 42;
    if data.is_empty() {
        return;
    }
    let chars = data.len().div_ceil(3) * 4;
    let start = buf.len();
    // The spaces (the one before the first word too) are the fill.
    buf.resize(start + 1 + chars + (chars - 1) / 56, b' ');
    let Some(out) = buf.get_mut(start + 1..) else {
        return;
    };
    for (src, dst) in data.chunks(IN).zip(out.chunks_mut(57)) {
        let mut groups = src.chunks_exact(3);
        let mut slots = dst.chunks_exact_mut(4);
        for (g, slot) in groups.by_ref().zip(slots.by_ref()) {
            let v = u32::from(g[0]) << 16 | u32::from(g[1]) << 8 | u32::from(g[2]);
            slot.copy_from_slice(&[
                B64[(v >> 18) as usize & 63],
                B64[(v >> 12) as usize & 63],
                B64[(v >> 6) as usize & 63],
                B64[v as usize & 63],
            ]);
        }
        let rest = groups.remainder();
        if let (Some(&a), Some(slot)) = (rest.first(), slots.next()) {
            let b = rest.get(1).copied();
            let v = u32::from(a) << 16 | u32::from(b.unwrap_or(0)) << 8;
            slot.copy_from_slice(&[
                B64[(v >> 18) as usize & 63],
                B64[(v >> 12) as usize & 63],
                if b.is_some() {
                    B64[(v >> 6) as usize & 63]
                } else {
                    b'='
                },
                b'=',
            ]);
        }
    }
}

thread_local! {
    /// [`Shapes`] of RRSIG times (a zone's signatures mostly share them).
    static SIG_TIMES: std::cell::RefCell<Shapes<8, 16>> = const { std::cell::RefCell::new(Shapes::new()) };
}

/// An RRSIG time (`dns::rdata::SigTime`), from [`SIG_TIMES`].
fn sig_time(buf: &mut Vec<u8>, t: u32) {
    SIG_TIMES.with_borrow_mut(|shapes| {
        shapes.append(buf, u128::from(t), |buf| {
            // Digits only; Raw never fails.
            let _ = write!(Raw(buf), "{}", dns::rdata::SigTime(t));
        })
    });
}

/// A mnemonic (TYPE, CLASS, OPCODE, RCODE) as its `Display` writes it.
fn mnemonic(buf: &mut Vec<u8>, name: Option<&'static str>, v: &dyn fmt::Display) {
    match name {
        Some(n) => plain_string(buf, n),
        None => display(buf, v),
    }
}

/// Appends a `Serialize` value as serde_json writes it (the rare parts).
fn serde<T: serde::Serialize>(buf: &mut Vec<u8>, v: &T) {
    // Writing to a Vec cannot fail, and none of these values fails to serialize.
    let _ = serde_json::to_writer(&mut *buf, v);
}

fn question(buf: &mut Vec<u8>, q: &dns::Question<'_>, names: &mut Names) {
    buf.extend_from_slice(b"{\"NAME\":");
    name(buf, &q.name, names);
    type_and_class(buf, q.qtype, q.qclass, true);
    buf.push(b'}');
}

/// The members `TYPE` .. `CLASS` (and `CLASSname` when `class_name`).
fn type_and_class_uncached(buf: &mut Vec<u8>, t: dns::Rtype, c: dns::Class, class_name: bool) {
    buf.extend_from_slice(b",\"TYPE\":");
    uint(buf, u64::from(t.0));
    buf.extend_from_slice(b",\"TYPEname\":");
    mnemonic(buf, t.name(), &t);
    buf.extend_from_slice(b",\"CLASS\":");
    uint(buf, u64::from(c.0));
    if class_name {
        buf.extend_from_slice(b",\"CLASSname\":");
        mnemonic(buf, c.name(), &c);
    }
}

/// Texts that depend only on a small key, kept for recent keys: a message's
/// header members after `ID` (by flags and counts), a question's `TYPE` ..
/// `CLASSname` (by type and class), a record's `TYPE` .. `RDATAHEX` key (by
/// type, class, TTL and RDLENGTH), addresses. Most messages of a capture share
/// a handful of each. Each key has one slot, picked by a hash of the key (a
/// newer key takes it over): one comparison to find a text.
struct Shapes<const N: usize, const LEN: usize> {
    /// Per slot: the key, and its text's length (0: no text yet).
    keys: [(u128, usize); N],
    texts: [[u8; LEN]; N],
}

impl<const N: usize, const LEN: usize> Shapes<N, LEN> {
    const fn new() -> Self {
        Self {
            keys: [(0, 0); N],
            texts: [[0; LEN]; N],
        }
    }

    /// The slot of `key`: a multiplicative hash of its two halves.
    fn slot(key: u128) -> usize {
        let h =
            (key as u64 ^ ((key >> 64) as u64).rotate_left(29)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        (h >> 40) as usize % N
    }

    /// Appends the text of `key`; `write` makes it when it is not kept (and
    /// it is kept when it fits).
    #[inline]
    fn append(&mut self, buf: &mut Vec<u8>, key: u128, write: impl FnOnce(&mut Vec<u8>)) {
        let slot = Self::slot(key);
        if let (Some(&(k, len)), Some(text)) = (self.keys.get(slot), self.texts.get(slot)) {
            if k == key && len > 0 && len <= LEN {
                if LEN <= 128 {
                    // A fixed-size copy (a few moves, no call), then the
                    // length.
                    let start = buf.len();
                    buf.extend_from_slice(text);
                    buf.truncate(start + len);
                } else {
                    buf.extend_from_slice(text.get(..len).unwrap_or_default());
                }
                return;
            }
        }
        let start = buf.len();
        write(buf);
        let made = buf.get(start..).unwrap_or_default();
        if let (Some(k), Some(text)) = (self.keys.get_mut(slot), self.texts.get_mut(slot)) {
            if let Some(t) = text.get_mut(..made.len()) {
                t.copy_from_slice(made);
                *k = (key, made.len());
            }
        }
    }
}

thread_local! {
    /// [`Shapes`] of a question's `TYPE` .. `CLASSname`.
    static TYPES: std::cell::RefCell<Shapes<8, 96>> = const { std::cell::RefCell::new(Shapes::new()) };
    /// [`Shapes`] of a record's `TYPE` .. `"RDATAHEX":`.
    static RECORDS: std::cell::RefCell<Shapes<32, 128>> = const { std::cell::RefCell::new(Shapes::new()) };
    /// [`Shapes`] of `EDNS` objects without options.
    static EDNS: std::cell::RefCell<Shapes<8, 128>> = const { std::cell::RefCell::new(Shapes::new()) };
    /// [`Shapes`] of the header members `QR` .. `rcodeName`.
    static HEADERS: std::cell::RefCell<Shapes<16, 256>> = const { std::cell::RefCell::new(Shapes::new()) };
}

/// [`type_and_class_uncached`], from [`TYPES`].
fn type_and_class(buf: &mut Vec<u8>, t: dns::Rtype, c: dns::Class, class_name: bool) {
    let key = u128::from(t.0) | u128::from(c.0) << 16 | u128::from(class_name) << 32;
    TYPES.with_borrow_mut(|shapes| {
        shapes.append(buf, key, |buf| {
            type_and_class_uncached(buf, t, c, class_name);
        })
    });
}

/// A record's members from `TYPE` to the `RDATAHEX` key, from [`RECORDS`].
fn record_shape(buf: &mut Vec<u8>, r: &dns::Record<'_>, class_name: bool) {
    let rdlength = r.rdata.len() as u64;
    let key = u128::from(r.rtype.0)
        | u128::from(r.class.0) << 16
        | u128::from(class_name) << 32
        | u128::from(r.ttl) << 33
        | u128::from(rdlength) << 65;
    RECORDS.with_borrow_mut(|shapes| {
        shapes.append(buf, key, |buf| {
            type_and_class_uncached(buf, r.rtype, r.class, class_name);
            buf.extend_from_slice(b",\"TTL\":");
            uint(buf, u64::from(r.ttl));
            buf.extend_from_slice(b",\"RDLENGTH\":");
            uint(buf, rdlength);
            buf.extend_from_slice(b",\"RDATAHEX\":");
        })
    });
}

fn record(buf: &mut Vec<u8>, r: &dns::Record<'_>, names: &mut Names) {
    buf.extend_from_slice(b"{\"NAME\":");
    name(buf, &r.name, names);
    let is_opt = r.rtype == dns::Rtype::OPT;
    record_shape(buf, r, !is_opt);
    hex(buf, r.rdata);
    if is_opt {
        match dns::Opt::from_record(r) {
            Ok(opt) => {
                buf.extend_from_slice(b",\"EDNS\":");
                if opt.options_bytes().is_empty() {
                    // Without options the object depends on CLASS and TTL only.
                    let key = u128::from(r.class.0) | u128::from(r.ttl) << 16;
                    EDNS.with_borrow_mut(|shapes| shapes.append(buf, key, |buf| edns(buf, &opt)));
                } else {
                    edns(buf, &opt);
                }
            }
            Err(e) => {
                buf.extend_from_slice(b",\"rdataError\":");
                serde(buf, &json::ErrorJson(e));
            }
        }
        buf.push(b'}');
        return;
    }
    match r.data() {
        Ok(dns::Rdata::Unknown { .. }) => {}
        Ok(data) => {
            match rdata_key(r.rtype) {
                Some(key) => buf.extend_from_slice(key),
                None => {
                    // "rdata" + the mnemonic, as `RecordJson` builds it (a known type
                    // always has one, and none is longer than its 27-byte room).
                    let mnemonic = r.rtype.name().unwrap_or("Unknown");
                    buf.extend_from_slice(b",\"");
                    if 5 + mnemonic.len() <= 32 {
                        buf.extend_from_slice(b"rdata");
                        escape_into(buf, mnemonic.as_bytes());
                    }
                    buf.extend_from_slice(b"\":");
                }
            }
            rdata(buf, &data, names);
        }
        Err(e) => {
            buf.extend_from_slice(b",\"rdataError\":");
            serde(buf, &json::ErrorJson(e));
        }
    }
    buf.push(b'}');
}

/// The `,"rdataTYPE":` key of the common types, as a literal (a test checks
/// each against the mnemonic); None for the others.
fn rdata_key(t: dns::Rtype) -> Option<&'static [u8]> {
    Some(match t.0 {
        1 => b",\"rdataA\":",
        2 => b",\"rdataNS\":",
        5 => b",\"rdataCNAME\":",
        6 => b",\"rdataSOA\":",
        12 => b",\"rdataPTR\":",
        15 => b",\"rdataMX\":",
        16 => b",\"rdataTXT\":",
        28 => b",\"rdataAAAA\":",
        33 => b",\"rdataSRV\":",
        43 => b",\"rdataDS\":",
        46 => b",\"rdataRRSIG\":",
        47 => b",\"rdataNSEC\":",
        48 => b",\"rdataDNSKEY\":",
        50 => b",\"rdataNSEC3\":",
        64 => b",\"rdataSVCB\":",
        65 => b",\"rdataHTTPS\":",
        257 => b",\"rdataCAA\":",
        _ => return None,
    })
}

fn edns(buf: &mut Vec<u8>, o: &dns::Opt<'_>) {
    buf.extend_from_slice(b"{\"udpPayloadSize\":");
    uint(buf, u64::from(o.udp_payload_size));
    buf.extend_from_slice(b",\"extendedRcodeHigh\":");
    uint(buf, u64::from(o.ext_rcode_hi));
    buf.extend_from_slice(b",\"version\":");
    uint(buf, u64::from(o.version));
    buf.extend_from_slice(b",\"DO\":");
    bit(buf, o.dnssec_ok);
    buf.extend_from_slice(b",\"options\":[");
    for (i, opt) in o.options().enumerate() {
        let Ok(opt) = opt else { break };
        if i > 0 {
            buf.push(b',');
        }
        buf.extend_from_slice(b"{\"code\":");
        uint(buf, u64::from(opt.code));
        if let Some(n) = opt.name() {
            buf.extend_from_slice(b",\"name\":");
            string(buf, n);
        }
        buf.extend_from_slice(b",\"dataHEX\":");
        hex(buf, opt.data);
        buf.extend_from_slice(b",\"text\":");
        display(buf, &opt);
        buf.push(b'}');
    }
    buf.extend_from_slice(b"]}");
}

/// The keys that open each section's array, in wire order; each but the first
/// closes the array before it.
const SECTION_KEYS: [&[u8]; 4] = [
    b",\"questionRRs\":[",
    b"],\"answerRRs\":[",
    b"],\"authorityRRs\":[",
    b"],\"additionalRRs\":[",
];

/// The length of what [`flags`] writes before [`counts`].
const FLAGS_LEN: usize = 60;

/// The header members `QR` .. `rcodeName` (after `ID`), with the header's RCODE.
fn flags(buf: &mut Vec<u8>, h: &dns::Header) {
    let start = buf.len();
    buf.extend_from_slice(b",\"QR\":");
    bit(buf, h.qr());
    buf.extend_from_slice(b",\"Opcode\":");
    // One digit, or two (FLAGS_LEN counts one).
    uint(buf, u64::from(h.opcode().0));
    for (key, flag) in [
        (&b",\"AA\":"[..], h.aa()),
        (b",\"TC\":", h.tc()),
        (b",\"RD\":", h.rd()),
        (b",\"RA\":", h.ra()),
        (b",\"AD\":", h.ad()),
        (b",\"CD\":", h.cd()),
    ] {
        buf.extend_from_slice(key);
        bit(buf, flag);
    }
    debug_assert_eq!(
        buf.len() - start,
        FLAGS_LEN + usize::from(h.opcode().0 >= 10)
    );
    counts(buf, h, h.rcode());
}

/// The RCODE .. rcodeName members.
fn counts(buf: &mut Vec<u8>, h: &dns::Header, rcode: dns::Rcode) {
    buf.extend_from_slice(b",\"RCODE\":");
    uint(buf, u64::from(rcode.0));
    buf.extend_from_slice(b",\"QDCOUNT\":");
    uint(buf, u64::from(h.qdcount));
    buf.extend_from_slice(b",\"ANCOUNT\":");
    uint(buf, u64::from(h.ancount));
    buf.extend_from_slice(b",\"NSCOUNT\":");
    uint(buf, u64::from(h.nscount));
    buf.extend_from_slice(b",\"ARCOUNT\":");
    uint(buf, u64::from(h.arcount));
    buf.extend_from_slice(b",\"opcodeName\":");
    mnemonic(buf, h.opcode().name(), &h.opcode());
    buf.extend_from_slice(b",\"rcodeName\":");
    mnemonic(buf, rcode.name(), &rcode);
}

/// `Message::opt`, followed along one walk: the OPT record that extends the
/// RCODE, if any.
enum OptScan<'a> {
    /// No OPT record yet.
    Looking,
    /// One valid OPT record so far.
    Found(dns::Opt<'a>),
    /// Decided: the OPT (an error after it does not matter), or none (a walk
    /// error before any OPT, a bad OPT, or a second OPT).
    Done(Option<dns::Opt<'a>>),
}

impl<'a> OptScan<'a> {
    fn on_opt(&mut self, r: &dns::Record<'a>) {
        *self = match self {
            Self::Looking => match dns::Opt::from_record(r) {
                Ok(o) => Self::Found(o),
                Err(_) => Self::Done(None),
            },
            Self::Found(_) => Self::Done(None),
            Self::Done(d) => Self::Done(*d),
        };
    }

    fn on_error(&mut self) {
        *self = match self {
            Self::Looking => Self::Done(None),
            Self::Found(o) => Self::Done(Some(*o)),
            Self::Done(d) => Self::Done(*d),
        };
    }

    fn found(&self) -> Option<dns::Opt<'a>> {
        match self {
            Self::Looking => None,
            Self::Found(o) | Self::Done(Some(o)) => Some(*o),
            Self::Done(None) => None,
        }
    }
}

thread_local! {
    /// The file name last written by [`file_name`], and its JSON string.
    static FILE_NAME: std::cell::RefCell<(String, Vec<u8>)> =
        const { std::cell::RefCell::new((String::new(), Vec::new())) };
}

/// Appends a file's name as a JSON string: escaped once, then copied while
/// the name is the same (a run reads one file at a time).
fn file_name(buf: &mut Vec<u8>, name: &str) {
    FILE_NAME.with_borrow_mut(|(last, text)| {
        if last.as_str() != name || text.is_empty() {
            last.clear();
            last.push_str(name);
            text.clear();
            string(text, name);
        }
        buf.extend_from_slice(text);
    });
}

/// Appends one message object: the bytes `json::MessageJson` serializes to.
pub(super) fn message(buf: &mut Vec<u8>, files: &Files, meta: &MessageMeta, bytes: &[u8]) {
    message_with(buf, files, meta, bytes, None);
}

/// Where a file's name was already written as a JSON string in the buffer
/// (the file's index, and the string's place): the transaction's, for its
/// messages.
type Written = Option<(u32, std::ops::Range<usize>)>;

/// [`message`], copying the file's name when `file` says where it is.
fn message_with(buf: &mut Vec<u8>, files: &Files, meta: &MessageMeta, bytes: &[u8], file: Written) {
    buf.extend_from_slice(b"{\"file\":");
    match file {
        Some((idx, at)) if idx == meta.file && at.end <= buf.len() => buf.extend_from_within(at),
        _ => file_name(buf, files.name(meta.file)),
    }
    buf.extend_from_slice(b",\"frame\":");
    uint(buf, meta.frame);
    buf.extend_from_slice(b",\"dateSeconds\":");
    date_seconds(buf, &meta.ts);
    buf.extend_from_slice(b",\"dateString\":\"");
    date_string(buf, &meta.ts);
    buf.extend_from_slice(b"\",\"ipProtocol\":");
    uint(buf, u64::from(meta.ip_protocol()));
    buf.extend_from_slice(b",\"sourceAddress\":");
    ip(buf, &meta.src);
    buf.extend_from_slice(b",\"sourcePort\":");
    uint(buf, u64::from(meta.sport));
    buf.extend_from_slice(b",\"destinationAddress\":");
    ip(buf, &meta.dst);
    buf.extend_from_slice(b",\"destinationPort\":");
    uint(buf, u64::from(meta.dport));
    buf.extend_from_slice(b",\"messageLength\":");
    uint(buf, bytes.len() as u64);
    if meta.cut {
        buf.extend_from_slice(b",\"cutByCapture\":true");
    }
    let msg = match dns::Message::parse(bytes) {
        Ok(msg) => msg,
        Err(e) => {
            buf.extend_from_slice(b",\"messageOctetsHEX\":");
            hex(buf, bytes);
            buf.extend_from_slice(b",\"error\":");
            serde(buf, &json::ErrorJson(e));
            buf.extend_from_slice(b",\"lint\":");
            serde(buf, &json::LintJson::of(bytes, json::dialect(meta)));
            buf.push(b'}');
            return;
        }
    };
    let h = msg.header();
    buf.extend_from_slice(b",\"ID\":");
    uint(buf, u64::from(h.id));
    // The RCODE (extended by EDNS) needs the OPT record, at the end of the
    // message: rather than walk to it first (`Message::rcode`), the one walk
    // below finds it. The members from RCODE to rcodeName are written with the
    // header's RCODE and rewritten in the rare case where the OPT extends it.
    let flags_at = buf.len();
    let key = u128::from(h.flags)
        | u128::from(h.qdcount) << 16
        | u128::from(h.ancount) << 32
        | u128::from(h.nscount) << 48
        | u128::from(h.arcount) << 64;
    HEADERS.with_borrow_mut(|shapes| shapes.append(buf, key, |buf| flags(buf, &h)));
    let counts_at = flags_at + FLAGS_LEN + usize::from(h.opcode().0 >= 10);
    let counts_end = buf.len();

    // One walk, in wire order: each entry goes into its section's array (the
    // arrays of sections with no entries stay empty; the walk only moves
    // forward through the sections).
    let mut opt = OptScan::Looking;
    let mut lint = dns::lint::Linter::new(&msg, json::dialect(meta));
    buf.extend_from_slice(SECTION_KEYS[0]);
    let mut open = 0;
    let mut empty = true;
    // The per-thread `Names`, emptied (building one per message zeroed it).
    let end = NAMES_SEEN.with_borrow_mut(|names| {
        names.len = 0;
        msg.walk_entries(|e| {
            let idx = e.section().index();
            while open < idx {
                open += 1;
                buf.extend_from_slice(SECTION_KEYS[open]);
                empty = true;
            }
            if !empty {
                buf.push(b',');
            }
            empty = false;
            lint.entry(&e);
            match e {
                Entry::Question(q) => question(buf, &q, names),
                Entry::Record(section, r) => {
                    if section == Section::Additional && r.rtype == dns::Rtype::OPT {
                        opt.on_opt(&r);
                    }
                    record(buf, &r, names);
                }
            }
        })
    });
    if let Some(e) = &end.error {
        opt.on_error();
        lint.error_at(e, end.section, end.offset);
    }
    while open < 3 {
        open += 1;
        buf.extend_from_slice(SECTION_KEYS[open]);
    }
    buf.push(b']');
    if let Some(o) = opt.found() {
        let rcode = o.rcode(h.rcode());
        if rcode != h.rcode() {
            let mut text = Vec::with_capacity(counts_end - counts_at);
            counts(&mut text, &h, rcode);
            buf.splice(counts_at..counts_end, text);
        }
    }
    let lint = lint.finish_at(end.offset, end.trailing);
    buf.extend_from_slice(b",\"lint\":");
    if lint.is_empty() {
        buf.extend_from_slice(b"[]");
    } else {
        serde(buf, &json::LintJson(lint));
    }
    match end.error {
        Some(e) => {
            buf.extend_from_slice(b",\"error\":");
            serde(buf, &json::ErrorJson(e));
        }
        None => {
            if end.trailing > 0 {
                buf.extend_from_slice(b",\"trailingBytes\":");
                uint(buf, end.trailing as u64);
            }
        }
    }
    buf.push(b'}');
}

fn frames(buf: &mut Vec<u8>, attempts: &[crate::txn::Attempt]) {
    buf.push(b'[');
    for (i, a) in attempts.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        uint(buf, a.frame);
    }
    buf.push(b']');
}

/// The bytes of a transaction's query or response, if it has one.
pub(super) fn bytes_of(m: &Option<crate::meta::StoredMessage>) -> Option<&[u8]> {
    m.as_ref().map(|m| m.bytes.as_slice())
}

/// Appends one transaction object: the bytes `json::TransactionJson` serializes
/// to, with the query's and the response's bytes given apart (the NDJSON
/// rendering thread keeps them elsewhere; the rest of `t` is used as is).
pub(super) fn transaction(
    buf: &mut Vec<u8>,
    files: &Files,
    t: &Transaction,
    query: Option<&[u8]>,
    response: Option<&[u8]>,
) {
    buf.push(b'{');
    let mut file = None;
    if let Some(first) = t.first() {
        buf.extend_from_slice(b"\"file\":");
        let start = buf.len();
        file_name(buf, files.name(first.meta.file));
        file = Some((first.meta.file, start..buf.len()));
        buf.push(b',');
    }
    buf.extend_from_slice(b"\"status\":");
    plain_string(buf, t.status.as_str());
    buf.extend_from_slice(b",\"rttMs\":");
    match t.rtt_micros() {
        Some(us) => millis(buf, us),
        None => buf.extend_from_slice(b"null"),
    }
    buf.extend_from_slice(b",\"query\":");
    match &t.query {
        Some(q) => message_with(buf, files, &q.meta, query.unwrap_or_default(), file.clone()),
        None => buf.extend_from_slice(b"null"),
    }
    buf.extend_from_slice(b",\"response\":");
    match &t.response {
        Some(r) => message_with(buf, files, &r.meta, response.unwrap_or_default(), file),
        None => buf.extend_from_slice(b"null"),
    }
    buf.extend_from_slice(b",\"retransmissions\":");
    frames(buf, &t.retransmissions);
    if let Some(q) = &t.query {
        buf.extend_from_slice(b",\"retransmissionAfterMs\":[");
        for (i, a) in t.retransmissions.iter().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            millis(buf, a.ts.micros_since(&q.meta.ts));
        }
        buf.push(b']');
    }
    buf.extend_from_slice(b",\"duplicateResponses\":");
    frames(buf, &t.duplicates);
    buf.extend_from_slice(b",\"icmpErrors\":");
    if t.icmp_errors.is_empty() {
        buf.extend_from_slice(b"[]");
    } else {
        serde(buf, &json::IcmpJson(&t.icmp_errors));
    }
    buf.extend_from_slice(b",\"questionMismatch\":");
    boolean(buf, t.question_mismatch);
    if t.censored {
        buf.extend_from_slice(b",\"censored\":true");
    }
    if t.evicted {
        buf.extend_from_slice(b",\"evicted\":true");
    }
    buf.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::{analyze, Settings};
    use proptest::prelude::*;

    fn out(f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
        let mut buf = Vec::new();
        f(&mut buf);
        buf
    }

    /// Names written at once agree with names written part by part, and
    /// leave the same [`Names`], for a name at every offset of every cut of
    /// the sample messages and of changed copies (names are taken in order,
    /// as a message's are, so pointers meet names already written).
    #[test]
    fn names_written_at_once_agree_with_part_by_part() {
        let messages = dns::testutil::sample_messages();
        let same = |b: &[u8], from: usize| {
            let (mut fast, mut slow) = (Vec::new(), Vec::new());
            let (mut fast_names, mut slow_names) = (Names::default(), Names::default());
            for start in from..b.len().min(usize::from(u16::MAX)) {
                // Only names that parse: the writer never sees others.
                if dns::Name::parse(b, start).is_err() {
                    continue;
                }
                let name = dns::Name::parsed_at(b, start as u16);
                name_inside(&mut fast, &name, &mut fast_names);
                name_inside_parts(&mut slow, &name, &mut slow_names);
                assert_eq!(fast, slow, "{start} {b:02x?}");
                assert_eq!(fast_names.len, slow_names.len);
                assert_eq!(fast_names.seen, slow_names.seen);
            }
        };
        let mut changes = dns::testutil::Changes::new(b".\\\"@$(); \x7f");
        for b in &messages {
            for cut in 0..=b.len() {
                same(&b[..cut], cut.saturating_sub(256));
            }
            for _ in 0..100 {
                let c = changes.of(b);
                same(&c, 0);
            }
        }
    }

    #[test]
    fn base64_and_sig_times_as_rdata_writes_them() {
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        let mut data = Vec::new();
        for len in 0..400 {
            let want = if len == 0 {
                String::new()
            } else {
                format!(" {}", dns::rdata::Base64Words(&data))
            };
            assert_eq!(out(|b| base64_words(b, &data)), want.as_bytes(), "{len}");
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            data.push((x >> 24) as u8);
        }
        for t in [0, 1, 86_399, 86_400, 1_796_522_692, u32::MAX, x as u32] {
            for _ in 0..2 {
                let want = dns::rdata::SigTime(t).to_string();
                assert_eq!(out(|b| sig_time(b, t)), want.as_bytes(), "{t}");
            }
        }
    }

    #[test]
    fn rdata_keys_are_the_mnemonics() {
        for t in 0..=u16::MAX {
            if let Some(key) = rdata_key(dns::Rtype(t)) {
                let name = dns::Rtype(t).name().unwrap();
                assert_eq!(key, format!(",\"rdata{name}\":").as_bytes());
            }
        }
    }

    /// A kept text is the text `write` makes, whatever the keys and lengths
    /// (colliding slots, texts longer than a slot, empty texts).
    #[test]
    fn shapes_give_back_what_was_written() {
        fn text(key: u128) -> Vec<u8> {
            let n = (key % 40) as usize;
            key.to_string().repeat(n).into_bytes()
        }
        let mut small = Shapes::<4, 24>::new();
        let mut large = Shapes::<8, 200>::new();
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        for round in 0..20_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let key = if round % 3 == 0 {
                u128::from(x % 16)
            } else {
                u128::from(x) << (x % 64)
            };
            let want = text(key);
            let mut got = b"before".to_vec();
            small.append(&mut got, key, |b| b.extend_from_slice(&text(key)));
            assert_eq!(&got[6..], &want[..], "{key}");
            let mut got = Vec::new();
            large.append(&mut got, key, |b| b.extend_from_slice(&text(key)));
            assert_eq!(got, want, "{key}");
        }
    }

    #[test]
    fn integers_in_decimal() {
        for v in [
            0,
            1,
            9,
            10,
            99,
            100,
            65_535,
            1 << 32,
            u64::MAX - 1,
            u64::MAX,
        ] {
            assert_eq!(out(|b| uint(b, v)), v.to_string().as_bytes());
        }
        assert_eq!(out(|b| uint(b, 0)), b"0");
        assert_eq!(out(|b| uint(b, u64::MAX)), b"18446744073709551615");
    }

    #[test]
    fn floats_as_serde_json_prints_them() {
        for v in [
            0.0,
            -0.0,
            0.206,
            1.5,
            -2.25,
            1e-7,
            1e21,
            1_764_987_161.123_456,
            1_764_987_161.0,
            f64::MAX,
            f64::MIN_POSITIVE,
        ] {
            assert_eq!(out(|b| float(b, v)), serde_json::to_vec(&v).unwrap(), "{v}");
        }
        assert_eq!(out(|b| float(b, 0.206)), b"0.206");
        assert_eq!(out(|b| float(b, 5.0)), b"5.0");
        assert_eq!(out(|b| float(b, f64::NAN)), b"null");
        assert_eq!(out(|b| float(b, f64::INFINITY)), b"null");
    }

    #[test]
    fn seconds_and_milliseconds_as_serde_json_prints_them() {
        use crate::capture::Timestamp;
        let check_ts = |secs: i64, nanos: u32| {
            let ts = Timestamp { secs, nanos };
            let serde = serde_json::to_vec(&ts.as_secs_f64()).unwrap();
            assert_eq!(out(|b| date_seconds(b, &ts)), serde, "{secs} {nanos}");
        };
        let check_ms = |us: i64| {
            let serde = serde_json::to_vec(&json::micros_to_ms(us)).unwrap();
            assert_eq!(out(|b| millis(b, us)), serde, "{us}");
        };
        // Edges: zero, the smallest and largest handled, powers of two.
        for secs in [
            0,
            1,
            2,
            3,
            9,
            10,
            1 << 20,
            (1 << 31) - 1,
            1 << 31,
            (1 << 32) - 1,
            1 << 32,
            1 << 40,
        ] {
            for micros in [0, 1, 10, 100, 500_000, 999_999, 123_456, 100_000, 250_000] {
                check_ts(secs, micros * 1000);
                check_ts(secs, micros * 1000 + 1);
            }
        }
        check_ts(-1, 5_000);
        check_ts(-1_764_987_161, 123_456_000);
        // The usual values take the short way.
        let ts = Timestamp {
            secs: 1_796_522_692,
            nanos: 771_713_000,
        };
        let (v, c) = (ts.as_secs_f64(), 1_796_522_692_771_713);
        assert!(decimal_float::<6>(&mut Vec::new(), v, c));
        assert!(decimal_float::<3>(&mut Vec::new(), 0.016, 16));
        assert!(decimal_float::<3>(&mut Vec::new(), 1234.5, 1_234_500));
        for us in [
            -5_000_000,
            -1,
            0,
            1,
            2,
            999,
            1000,
            1024,
            1 << 20,
            4_294_967_295_999,
            1 << 42,
            1 << 60,
            i64::MAX,
            i64::MIN,
        ] {
            check_ms(us);
        }
        // Many pseudo-random ones (a fixed xorshift): microsecond and nanosecond
        // timestamps around now and anywhere up to 2^33 s, and RTTs up to ~1 h.
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for i in 0..300_000 {
            let r = next();
            let micros = (r >> 40) as u32 % 1_000_000;
            let secs = match i % 3 {
                0 => 1_700_000_000 + (r % 200_000_000) as i64,
                1 => (r % (1 << 33)) as i64,
                _ => (r % 100) as i64,
            };
            check_ts(secs, micros * 1000);
            if i % 10 == 0 {
                check_ts(secs, (r >> 20) as u32 % 1_000_000_000);
            }
            check_ms((r % 4_000_000_000) as i64 >> (r % 24));
        }
    }

    #[test]
    fn strings_escape_controls_quotes_and_backslashes_only() {
        assert_eq!(
            out(|b| string(b, "a\u{0}\u{1}\u{8}\t\n\u{b}\u{c}\r\u{1f} \"\\/\u{7f}z")),
            b"\"a\\u0000\\u0001\\b\\t\\n\\u000b\\f\\r\\u001f \\\"\\\\/\x7fz\""
        );
        // Non-ASCII goes out as its UTF-8 bytes.
        assert_eq!(
            out(|b| string(b, "caf\u{e9} \u{65e5}")),
            b"\"caf\xc3\xa9 \xe6\x97\xa5\""
        );
        let all: String = (0..=0x7f_u8)
            .map(char::from)
            .chain(['\u{e9}', '\u{1f600}'])
            .collect();
        assert_eq!(out(|b| string(b, &all)), serde_json::to_vec(&all).unwrap());
        assert_eq!(out(|b| string(b, "")), b"\"\"");
    }

    #[test]
    fn hex_as_hex_upper_writes_it() {
        let all: Vec<u8> = (0..=255u8).collect();
        for len in 0..200 {
            for start in [0, 1, 3, 56, 100] {
                let bytes: Vec<u8> = all
                    .iter()
                    .cycle()
                    .skip(start * 7)
                    .step_by(3)
                    .take(len)
                    .copied()
                    .collect();
                let expected: String = bytes.iter().map(|b| format!("{b:02X}")).collect();
                assert_eq!(
                    out(|b| hex(b, &bytes)),
                    format!("\"{expected}\"").as_bytes()
                );
            }
        }
    }

    #[test]
    fn dotted_quads_and_digits() {
        for v in 0..=255u8 {
            let quad = [v, 0, 10, v];
            let text = std::net::Ipv4Addr::from(quad).to_string();
            assert_eq!(out(|b| ipv4_inside(b, quad)), text.as_bytes());
        }
        assert_eq!(
            out(|b| ipv4_inside(b, [255, 255, 255, 255])),
            b"255.255.255.255"
        );
        for v in (0..100_000).chain([u64::from(u32::MAX), 10u64.pow(19), 99_999_999_999]) {
            assert_eq!(out(|b| uint(b, v)), v.to_string().as_bytes());
        }
    }

    #[test]
    fn the_word_test_finds_every_byte_to_escape_at_every_place() {
        for b in 0..=255u8 {
            for at in 0..8 {
                let mut word = *b"abcdefgh";
                word[at] = b;
                let expected = byte_needs_escape(b);
                assert_eq!(
                    word_needs_escape(u64::from_le_bytes(word)),
                    expected,
                    "{b:#04x} at {at}"
                );
                // And past a run of clean words, and in a short tail.
                let mut long = b"0123456789abcdef0123".to_vec();
                long.extend_from_slice(&word);
                long.extend_from_slice(b"xyz");
                let first = if expected { 20 + at } else { long.len() };
                assert_eq!(plain_len(&long), first);
                assert_eq!(
                    plain_len(&word[..at + 1]),
                    if expected { at } else { at + 1 }
                );
            }
        }
    }

    #[test]
    fn mnemonics_and_status_words_need_no_escape() {
        for v in 0..=u16::MAX {
            for n in [
                dns::Rtype(v).name(),
                dns::Class(v).name(),
                dns::Rcode(v).name(),
            ]
            .into_iter()
            .flatten()
            {
                assert_eq!(plain_len(n.as_bytes()), n.len(), "{n}");
            }
            let o = dns::EdnsOption {
                code: v,
                data: &[],
                offset: 0,
            };
            if let Some(n) = o.name() {
                assert_eq!(plain_len(n.as_bytes()), n.len(), "{n}");
            }
        }
        for v in 0..=u8::MAX {
            if let Some(n) = dns::Opcode(v).name() {
                assert_eq!(plain_len(n.as_bytes()), n.len(), "{n}");
            }
        }
        use crate::txn::Status;
        for s in [
            Status::Answered,
            Status::Unanswered,
            Status::Unsolicited,
            Status::Announcement,
            Status::Duplicate,
        ] {
            assert_eq!(plain_len(s.as_str().as_bytes()), s.as_str().len());
        }
    }

    #[test]
    fn extended_rcode_from_the_one_walk_as_message_rcode() {
        let meta = sample_messages()[0].0;
        // OPT: root, UDP 1232, TTL ext-rcode hi 1 (BADVERS with header RCODE 0).
        let opt = |hi: u8| vec![0, 0, 41, 0x04, 0xd0, hi, 0, 0, 0, 0, 0];
        let base = response(b"\x01t\x00", 1, &[192, 0, 2, 1]);
        let with = |records: &[Vec<u8>], arcount: u16, tail: &[u8]| {
            let mut m = base.clone();
            m[10..12].copy_from_slice(&arcount.to_be_bytes());
            for r in records {
                m.extend_from_slice(r);
            }
            m.extend_from_slice(tail);
            m
        };
        let cases = [
            with(&[opt(1)], 1, &[]),                                          // BADVERS
            with(&[opt(0xff)], 1, &[]),                                       // 4080
            with(&[opt(1), opt(2)], 2, &[]), // two OPTs: the header's RCODE
            with(&[opt(1)], 2, &[0xc0]),     // an error after the OPT
            with(&[], 1, &[0xc0]),           // an error before any OPT
            with(&[opt(1)], 0, &[]),         // OPT not counted: trailing bytes
            with(&[vec![1, b'x', 0, 41, 4, 0xd0, 1, 0, 0, 0, 0, 0]], 1, &[]), // bad owner
        ];
        for (i, m) in cases.iter().enumerate() {
            let (serde, ours) = both_message(&Files::default(), &meta, m);
            assert!(
                serde == ours,
                "case {i}\n{}\n{}",
                String::from_utf8_lossy(&serde),
                String::from_utf8_lossy(&ours)
            );
        }
        let (_, ours) = both_message(&Files::default(), &meta, &cases[0]);
        let text = String::from_utf8(ours).unwrap();
        assert!(text.contains("\"RCODE\":16,"), "{text}");
        assert!(text.contains("\"rcodeName\":\"BADVERS\""), "{text}");
    }

    #[test]
    fn ipv6_as_std_and_dig_print_it() {
        let mut cases: Vec<[u16; 8]> = vec![
            [0; 8],
            [0, 0, 0, 0, 0, 0, 0, 1],
            [1, 0, 0, 0, 0, 0, 0, 0],
            [0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x10],
            [0x2001, 0xdb8, 0, 1, 0, 0, 0, 1],
            [0x2001, 0, 0, 1, 0, 0, 0, 1],
            [0x2001, 0xdb8, 1, 1, 1, 1, 0, 1],
            [0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201],
            [0, 0, 0, 0, 0, 0, 0xc000, 0x0201],
            [0, 0, 0, 0, 0, 0, 0, 0x0201],
            [0xfe80, 0, 0, 0, 0x1234, 0xabcd, 0xffff, 0xf],
            [0xfd00, 0x53, 0xd15, 0, 0, 0, 0, 1],
            [0, 0, 0, 0, 0xffff, 0, 1, 2],
            [0, 0, 0, 0, 0, 0xfffe, 1, 2],
            [0x64, 0xff9b, 0, 0, 0, 0, 0xc000, 0x0201],
        ];
        // Every pattern of zero and non-zero groups.
        for mask in 0..=255u16 {
            cases.push(std::array::from_fn(|i| {
                if mask >> i & 1 == 1 {
                    0x1a0 + i as u16
                } else {
                    0
                }
            }));
        }
        for s in cases {
            let a = std::net::Ipv6Addr::from(s);
            let std_text = format!("\"{a}\"");
            assert_eq!(
                out(|b| ip(b, &IpAddr::V6(a))),
                std_text.as_bytes(),
                "{s:x?}"
            );
            let dig = serde_json::to_vec(&dns::Rdata::Aaaa(a).to_string()).unwrap();
            assert_eq!(
                out(|b| rdata(b, &dns::Rdata::Aaaa(a), &mut Names::default())),
                dig,
                "{s:x?}"
            );
        }
    }

    #[test]
    fn timestamps_as_serde_writes_them() {
        use crate::capture::Timestamp;
        for (secs, nanos) in [
            (0, 0),
            (1_764_987_161, 123_456_000),
            (1_764_987_161, 999_999_999),
            (-1, 5),
            (253_402_300_799, 1),
            (253_402_300_800, 0),
            (-62_167_219_201, 0),
            (i64::MAX / 2, 7),
            (i64::MIN / 2, 7),
            (-65_282_169_600, 120_000_000), // year -100: a 30-byte text too
            (-62_198_755_200, 3),           // year -1
            (1_764_987_161, 1_000_000_000), // not a valid fraction
        ] {
            let ts = Timestamp { secs, nanos };
            let serde = serde_json::to_vec(&ts.to_rfc3339()).unwrap();
            let raw = out(|b| {
                let _ = ts.write_rfc3339_nanos(&mut Raw(b));
            });
            assert_eq!([&b"\""[..], &raw, b"\""].concat(), serde, "{secs} {nanos}");
            // Twice: the second from the cache.
            for _ in 0..2 {
                let ours = out(|b| date_string(b, &ts));
                assert_eq!([&b"\""[..], &ours, b"\""].concat(), serde, "{secs} {nanos}");
            }
            // Another fraction of the same second, from the cache.
            let later = Timestamp {
                secs,
                nanos: nanos.wrapping_mul(7) % 1_000_000_000,
            };
            let serde = serde_json::to_vec(&later.to_rfc3339()).unwrap();
            let ours = out(|b| date_string(b, &later));
            assert_eq!([&b"\""[..], &ours, b"\""].concat(), serde, "{secs} {nanos}");
        }
    }

    #[test]
    fn names_copied_from_earlier_names_read_as_written_out() {
        let meta = sample_messages()[0].0;
        // Question www.example.com. A at 12: labels at 12, 16, 24; root at 28.
        let mut m = vec![0xab, 0xcd, 0x81, 0x80, 0, 1, 0, 4, 0, 0, 0, 0];
        m.extend_from_slice(b"\x03www\x07example\x03com\x00\x00\x01\x00\x01");
        let rr = |m: &mut Vec<u8>, owner: &[u8], rtype: u16, rdata: &[u8]| {
            m.extend_from_slice(owner);
            m.extend_from_slice(&rtype.to_be_bytes());
            m.extend_from_slice(&[0, 1, 0, 0, 0, 60]);
            m.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
            m.extend_from_slice(rdata);
        };
        // www.example.com. CNAME foo.example.com. (foo, then a pointer to 16)
        rr(&mut m, &[0xc0, 12], 5, b"\x03foo\xc0\x10");
        let foo = m.len() - 6;
        // foo.example.com. A (a pointer to the CNAME's target)
        rr(&mut m, &[0xc0, foo as u8], 1, &[192, 0, 2, 1]);
        // com. NS . (pointers into the middle of the question, and to its root)
        rr(&mut m, &[0xc0, 24], 2, &[0xc0, 28]);
        // bar.com. MX 10 com. (a label, then a pointer)
        rr(&mut m, b"\x03bar\xc0\x18", 15, &[0, 10, 0xc0, 24]);
        let (serde, ours) = both_message(&Files::default(), &meta, &m);
        let text = String::from_utf8(ours.clone()).unwrap();
        assert!(serde == ours, "{}\n{text}", String::from_utf8_lossy(&serde));
        for expected in [
            "\"rdataCNAME\":\"foo.example.com.\"",
            "{\"NAME\":\"foo.example.com.\",\"TYPE\":1,",
            "{\"NAME\":\"com.\",\"TYPE\":2,",
            "\"rdataNS\":\".\"",
            "{\"NAME\":\"bar.com.\",\"TYPE\":15,",
            "\"rdataMX\":\"10 com.\"",
        ] {
            assert!(text.contains(expected), "{expected} in {text}");
        }
    }

    /// A response for `qname` with one record of `rtype` and `rdata`.
    fn response(qname: &[u8], rtype: u16, rdata: &[u8]) -> Vec<u8> {
        let mut m = vec![0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0];
        m.extend_from_slice(qname);
        m.extend_from_slice(&rtype.to_be_bytes());
        m.extend_from_slice(&[0, 1]);
        m.extend_from_slice(&[0xc0, 12]); // owner: the question's name
        m.extend_from_slice(&rtype.to_be_bytes());
        m.extend_from_slice(&[0, 1, 0, 0, 0x0e, 0x10]); // IN, TTL 3600
        m.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        m.extend_from_slice(rdata);
        m
    }

    fn answer(msg: &[u8]) -> dns::Record<'_> {
        let msg = dns::Message::parse(msg).unwrap();
        msg.entries()
            .find_map(|e| match e.unwrap() {
                Entry::Record(_, r) => Some(r),
                Entry::Question(_) => None,
            })
            .unwrap()
    }

    #[test]
    fn names_with_every_kind_of_byte_as_display_then_json() {
        // Labels: a"b\c, d.e;(f)@$, then bytes 0x00 0x20 0x7f 0xff 0xc3 0xa9.
        let qname = b"\x05a\"b\\c\x09d.e;(f)@$\x06\x00 \x7f\xff\xc3\xa9\x03com\x00";
        let msg = response(qname, 5, b"\x00");
        let r = answer(&msg);
        let written = out(|b| name(b, &r.name, &mut Names::default()));
        assert_eq!(
            written,
            &b"\"a\\\\\\\"b\\\\\\\\c.d\\\\.e\\\\;\\\\(f\\\\)\\\\@\\\\$.\\\\000\\\\032\\\\127\\\\255\\\\195\\\\169.com.\""[..]
        );
        assert_eq!(written, serde_json::to_vec(&r.name.to_string()).unwrap());
        // Every byte value alone in a label.
        for byte in 0..=255u8 {
            let msg = response(&[1, byte, 0], 5, b"\x00");
            let r = answer(&msg);
            let expected = serde_json::to_vec(&r.name.to_string()).unwrap();
            assert_eq!(
                out(|b| name(b, &r.name, &mut Names::default())),
                expected,
                "byte {byte:#04x}"
            );
        }
        // The root, as the CNAME's target.
        let r = answer(&msg);
        let data = r.data().unwrap();
        assert_eq!(out(|b| rdata(b, &data, &mut Names::default())), b"\".\"");
    }

    #[test]
    fn txt_strings_as_display_then_json() {
        // "say \"hi\"\\", then bytes 0x00 0x1f 0x7f 0x80 0xc3 0xa9, then an empty string.
        let txt = b"\x0asay \"hi\"\\ \x06\x00\x1f\x7f\x80\xc3\xa9\x00";
        let msg = response(b"\x01t\x00", 16, txt);
        let r = answer(&msg);
        let data = r.data().unwrap();
        let written = out(|b| rdata(b, &data, &mut Names::default()));
        assert_eq!(
            written,
            &b"\"\\\"say \\\\\\\"hi\\\\\\\"\\\\\\\\ \\\" \\\"\\\\000\\\\031\\\\127\\\\128\\\\195\\\\169\\\" \\\"\\\"\""[..]
        );
        assert_eq!(written, serde_json::to_vec(&data.to_string()).unwrap());
    }

    #[test]
    fn common_rdata_as_display_then_json() {
        let cases: [(u16, &[u8]); 6] = [
            (1, &[192, 0, 2, 10]),
            (1, &[0, 0, 0, 0]),
            (28, &[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10]),
            (15, b"\x00\x0a\x02mx\xc0\x0c"),
            (6, b"\x02ns\xc0\x0c\x0ahostmaster\xc0\x0c\x78\x00\x00\x01\x00\x00\x0e\x10\x00\x00\x03\x84\x00\x09\x3a\x80\xff\xff\xff\xff"),
            (2, b"\x02ns\xc0\x0c"),
        ];
        for (rtype, rd) in cases {
            let msg = response(b"\x07example\x00", rtype, rd);
            let r = answer(&msg);
            let data = r.data().unwrap();
            assert_eq!(
                out(|b| rdata(b, &data, &mut Names::default())),
                serde_json::to_vec(&data.to_string()).unwrap(),
                "type {rtype}"
            );
        }
    }

    #[test]
    fn dnssec_rdata_as_display_then_json() {
        let mut cases: Vec<(u16, Vec<u8>)> = Vec::new();
        for (covered, sig_len) in [
            (1u16, 0usize),
            (28, 1),
            (6, 41),
            (1, 42),
            (1, 43),
            (48, 84),
            (65_000, 100),
            (1, 256),
        ] {
            // RRSIG: covered, alg 13, 3 labels, TTL 3600, expiration, inception, key tag,
            // signer (not compressed), signature.
            let mut rd = covered.to_be_bytes().to_vec();
            rd.extend_from_slice(&[13, 3, 0, 0, 0x0e, 0x10]);
            rd.extend_from_slice(&1_767_225_600u32.to_be_bytes());
            rd.extend_from_slice(&951_782_400u32.to_be_bytes());
            rd.extend_from_slice(&[0xab, 0xcd]);
            rd.extend_from_slice(b"\x07example\x00");
            rd.extend((0..sig_len).map(|i| (i * 7 + 3) as u8));
            cases.push((46, rd));
            // DNSKEY: flags 257, protocol 3, alg 13, key.
            let mut rd = vec![1, 1, 3, 13];
            rd.extend((0..sig_len).map(|i| (i * 11 + 5) as u8));
            cases.push((48, rd));
            // DS: key tag, alg 13, digest type 2, digest (sig_len bytes).
            let mut rd = vec![0x12, 0x34, 13, 2];
            rd.extend((0..sig_len).map(|i| (i * 13) as u8));
            cases.push((43, rd));
        }
        // NSEC: next name a\.b"c.example. (labels to escape), then bitmaps.
        for bitmap in [
            &[][..],
            &[0, 1, 0x60],
            &[0, 6, 0x40, 0x01, 0, 0, 0, 0x03, 1, 1, 0x80],
        ] {
            let mut rd = b"\x04a.b\"\x07example\x00".to_vec();
            rd.extend_from_slice(bitmap);
            cases.push((47, rd));
        }
        for (rtype, rd) in cases {
            let msg = response(b"\x07example\x00", rtype, &rd);
            let r = answer(&msg);
            let data = r.data().unwrap();
            assert!(!matches!(data, dns::Rdata::Unknown { .. }), "type {rtype}");
            let expected = serde_json::to_vec(&data.to_string()).unwrap();
            let ours = out(|b| rdata(b, &data, &mut Names::default()));
            assert!(
                ours == expected,
                "type {rtype}\n{}\n{}",
                String::from_utf8_lossy(&expected),
                String::from_utf8_lossy(&ours)
            );
        }
    }

    /// The serde path's bytes and this writer's, for one message.
    fn both_message(files: &Files, meta: &MessageMeta, bytes: &[u8]) -> (Vec<u8>, Vec<u8>) {
        let serde = serde_json::to_vec(&json::MessageJson { files, meta, bytes }).unwrap();
        (serde, out(|b| message(b, files, meta, bytes)))
    }

    #[test]
    fn every_sample_writes_what_serde_writes() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut checked = 0;
        for dir in ["samples", "tests/linktypes"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let path = entry.unwrap().path();
                let ext = path.extension().and_then(|e| e.to_str());
                if !matches!(ext, Some("pcap" | "pcapng")) {
                    continue;
                }
                let a = analyze(&path, &Settings::default()).unwrap();
                let mut files = Files::default();
                files.list.push(a.info.clone());
                for m in &a.messages {
                    let (serde, ours) = both_message(&files, &m.meta, &m.bytes);
                    assert!(serde == ours, "{}: frame {}", path.display(), m.meta.frame);
                    checked += 1;
                }
                for t in &a.transactions {
                    let serde = serde_json::to_vec(&json::TransactionJson {
                        files: &files,
                        txn: t,
                    })
                    .unwrap();
                    let (q, r) = (bytes_of(&t.query), bytes_of(&t.response));
                    let ours = out(|b| transaction(b, &files, t, q, r));
                    assert!(
                        serde == ours,
                        "{}: {}\n{}",
                        path.display(),
                        String::from_utf8_lossy(&serde),
                        String::from_utf8_lossy(&ours)
                    );
                }
            }
        }
        assert!(checked > 100, "{checked} messages");
    }

    /// Every message of a few samples, for mutation (read once).
    fn sample_messages() -> &'static [(MessageMeta, Vec<u8>)] {
        static ALL: std::sync::OnceLock<Vec<(MessageMeta, Vec<u8>)>> = std::sync::OnceLock::new();
        ALL.get_or_init(|| {
            let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
            ["dns.pcapng", "tcp.pcap", "bad-client.pcap", "tunnels.pcap"]
                .iter()
                .flat_map(|n| {
                    analyze(&root.join(n), &Settings::default())
                        .unwrap()
                        .messages
                })
                .map(|m| (m.meta, m.bytes))
                .filter(|(_, b)| !b.is_empty())
                .collect()
        })
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_write_what_serde_writes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let meta = sample_messages()[0].0;
            let (serde, ours) = both_message(&Files::default(), &meta, &bytes);
            prop_assert_eq!(serde, ours);
        }

        #[test]
        fn mutated_messages_write_what_serde_writes(
            pick in any::<prop::sample::Index>(),
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
            cut in any::<bool>(),
        ) {
            let all = sample_messages();
            let (mut meta, mut bytes) = all[pick.index(all.len())].clone();
            for (at, v) in edits {
                let i = at.index(bytes.len());
                bytes[i] = v;
            }
            meta.cut = cut;
            let (serde, ours) = both_message(&Files::default(), &meta, &bytes);
            prop_assert!(serde == ours, "{}\n{}", String::from_utf8_lossy(&serde), String::from_utf8_lossy(&ours));
        }
    }
}
