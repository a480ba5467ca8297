//! Capture timestamps: our own arithmetic, no date crate.
//!
//! A [`Timestamp`] is Unix time as whole seconds (signed, so a negative
//! `if_tsoffset` or a pre-1970 clock is representable) plus nanoseconds in
//! `0..1_000_000_000`. It is `Copy`, totally ordered and exact: pcap's µs and
//! ns fields and pcapng's `if_tsresol` units (10^-n and 2^-n) are converted
//! with integer maths, never through `f64`.
//!
//! pcap-parser 0.17 is not used here on purpose: its `build_ts_resolution`
//! returns `None` for every 2^-n resolution and `build_ts` truncates the
//! seconds to `u32`.
//!
//! Calendar conversion uses Howard Hinnant's `civil_from_days` (proleptic
//! Gregorian calendar, valid for every `i64` day count we can produce).

use std::fmt;

const NANOS_PER_SEC: u32 = 1_000_000_000;
const SECS_PER_DAY: i64 = 86_400;

/// A capture timestamp: Unix time, `nanos < 1_000_000_000`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp {
    /// Whole seconds since 1970-01-01T00:00:00Z (negative before).
    pub secs: i64,
    /// Nanoseconds within the second, always below 1e9.
    pub nanos: u32,
}

impl Timestamp {
    /// Builds a timestamp, carrying `nanos >= 1e9` into the seconds.
    ///
    /// pcap writers occasionally store a fraction of a second that is not a
    /// fraction (e.g. 1 000 000 µs); we normalise rather than reject.
    pub fn new(secs: i64, nanos: u32) -> Self {
        let carry = i64::from(nanos / NANOS_PER_SEC);
        Self {
            secs: secs.saturating_add(carry),
            nanos: nanos % NANOS_PER_SEC,
        }
    }

    /// Converts `units` ticks of a clock that runs at `units_per_sec` ticks
    /// per second (pcapng `if_tsresol`), plus `offset_secs` (`if_tsoffset`).
    ///
    /// `units_per_sec == 0` is treated as 1 (never a division by zero).
    /// Seconds saturate at the `i64` bounds instead of overflowing.
    pub fn from_units(units: u64, units_per_sec: u64, offset_secs: i64) -> Self {
        let per_sec = units_per_sec.max(1);
        let whole = units / per_sec;
        let frac = units % per_sec;
        // frac < per_sec <= u64::MAX, so frac * 1e9 fits in u128 easily.
        let nanos = (u128::from(frac) * u128::from(NANOS_PER_SEC)) / u128::from(per_sec);
        let secs = i64::try_from(whole)
            .unwrap_or(i64::MAX)
            .saturating_add(offset_secs);
        // nanos < 1e9 because frac < per_sec.
        Self::new(secs, u32::try_from(nanos).unwrap_or(NANOS_PER_SEC - 1))
    }

    /// Seconds as a float (for display and rough arithmetic only; loses
    /// sub-microsecond precision for present-day dates).
    pub fn as_secs_f64(&self) -> f64 {
        self.secs as f64 + f64::from(self.nanos) / 1e9
    }

    /// Signed nanoseconds from `earlier` to `self` (negative if `self` is
    /// before `earlier`). Exact: i128 cannot overflow here.
    pub fn nanos_since(&self, earlier: &Self) -> i128 {
        let a = i128::from(self.secs) * 1_000_000_000 + i128::from(self.nanos);
        let b = i128::from(earlier.secs) * 1_000_000_000 + i128::from(earlier.nanos);
        a - b
    }

    /// Signed microseconds from `earlier` to `self`, truncated toward zero
    /// and saturated at the `i64` bounds.
    pub fn micros_since(&self, earlier: &Self) -> i64 {
        // Pairing calls this for every message: stay in i64 (a 128-bit division
        // is a library call) whenever the difference fits, ~292 years.
        let fast = self
            .secs
            .checked_sub(earlier.secs)
            .and_then(|s| s.checked_mul(1_000_000_000))
            .and_then(|n| n.checked_add(i64::from(self.nanos) - i64::from(earlier.nanos)));
        if let Some(nanos) = fast {
            return nanos / 1000;
        }
        let us = self.nanos_since(earlier) / 1000;
        i64::try_from(us).unwrap_or(if us < 0 { i64::MIN } else { i64::MAX })
    }

    /// RFC 3339 in UTC with all nine fraction digits:
    /// `2026-11-22T03:57:41.123456789Z`. Lossless.
    ///
    /// Years outside 0000..=9999 (only reachable through absurd offsets) are
    /// printed as plain integers (`-1`, `12345`), which RFC 3339 cannot express.
    pub fn to_rfc3339(&self) -> String {
        let mut s = String::with_capacity(30);
        // Writing into a String cannot fail.
        let _ = self.write_rfc3339_nanos(&mut s);
        s
    }

    /// Writes [`Timestamp::to_rfc3339`]'s text to `w`, without building a `String`.
    pub fn write_rfc3339_nanos<W: fmt::Write>(&self, w: &mut W) -> fmt::Result {
        write_rfc3339(w, self, 9)
    }
}

/// `Display` prints RFC 3339 UTC with microseconds
/// (`2026-11-22T03:57:41.123456Z`) when the sub-microsecond digits are
/// zero, which is the case for every µs-resolution capture, and with
/// nanoseconds otherwise (`...41.123456789Z`). Nothing is ever rounded away.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = if self.nanos % 1000 == 0 { 6 } else { 9 };
        write_rfc3339(f, self, digits)
    }
}

fn write_rfc3339<W: fmt::Write>(w: &mut W, ts: &Timestamp, digits: u32) -> fmt::Result {
    let days = ts.secs.div_euclid(SECS_PER_DAY);
    let sod = ts.secs.rem_euclid(SECS_PER_DAY);
    let (y, m, d) = civil_from_days(days);
    let (hh, mm, ss) = (sod / 3600, (sod % 3600) / 60, sod % 60);
    if (0..=9999).contains(&y) && ts.nanos < NANOS_PER_SEC {
        // Every real timestamp: the digits by hand, one write (the JSON
        // listings print one per message; `write!` per field was 5 % of them).
        let frac = if digits == 6 {
            ts.nanos / 1000
        } else {
            ts.nanos
        };
        let mut buf = [0u8; 30];
        let mut n = 0;
        let mut put = |v: u64, width: usize, sep: u8| {
            // Right to left: the digit of 10^i goes `i` places left of the
            // field's end (a division by a constant, not by 10^i).
            let mut v = v;
            for i in 0..width {
                if let Some(slot) = buf.get_mut(n + width - 1 - i) {
                    *slot = b'0' + (v % 10) as u8;
                }
                v /= 10;
            }
            if let Some(slot) = buf.get_mut(n + width) {
                *slot = sep;
            }
            n += width + 1;
        };
        put(y as u64, 4, b'-');
        put(u64::from(m), 2, b'-');
        put(u64::from(d), 2, b'T');
        put(hh as u64, 2, b':');
        put(mm as u64, 2, b':');
        put(ss as u64, 2, b'.');
        put(u64::from(frac), if digits == 6 { 6 } else { 9 }, b'Z');
        let text = std::str::from_utf8(buf.get(..n).unwrap_or_default()).map_err(|_| fmt::Error)?;
        return w.write_str(text);
    }
    if (0..=9999).contains(&y) {
        write!(w, "{y:04}")?;
    } else {
        write!(w, "{y}")?;
    }
    write!(w, "-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}")?;
    match digits {
        6 => write!(w, ".{:06}Z", ts.nanos / 1000),
        _ => write!(w, ".{:09}Z", ts.nanos),
    }
}

/// Days since 1970-01-01 → (year, month 1..=12, day 1..=31), proleptic
/// Gregorian. Hinnant's algorithm, in i64 so that any day count derived from
/// an `i64` of seconds is in range.
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32; // [1, 31]
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32; // [1, 12]
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A pcapng `if_tsresol` value decoded: how many timestamp units make one
/// second.
///
/// Bit 7 clear: 10^-n seconds per unit; set: 2^-n. Resolutions finer than a
/// u64 can count (10^-20 and beyond, 2^-64 and beyond) are rejected with
/// `None` so that the caller can report it and fall back to the default.
pub(crate) fn units_per_sec(if_tsresol: u8) -> Option<u64> {
    let n = u32::from(if_tsresol & 0x7f);
    if if_tsresol & 0x80 == 0 {
        10u64.checked_pow(n)
    } else {
        1u64.checked_shl(n).filter(|_| n < 64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The formatting before the digits were written by hand.
    fn rfc3339_with_write(ts: &Timestamp, digits: u32) -> String {
        use std::fmt::Write;
        let mut w = String::new();
        let days = ts.secs.div_euclid(SECS_PER_DAY);
        let sod = ts.secs.rem_euclid(SECS_PER_DAY);
        let (y, m, d) = civil_from_days(days);
        let (hh, mm, ss) = (sod / 3600, (sod % 3600) / 60, sod % 60);
        write!(w, "{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}").unwrap();
        match digits {
            6 => write!(w, ".{:06}Z", ts.nanos / 1000).unwrap(),
            _ => write!(w, ".{:09}Z", ts.nanos).unwrap(),
        }
        w
    }

    #[test]
    fn hand_written_digits_match_write() {
        let mut secs: i64 = -62_167_219_200; // 0000-01-01
        while secs < 253_402_300_799 {
            // 9999-12-31T23:59:59
            for nanos in [0, 1, 999, 1000, 123_456_000, 999_999_999] {
                let ts = Timestamp::new(secs, nanos);
                assert_eq!(ts.to_rfc3339(), rfc3339_with_write(&ts, 9));
                let digits = if nanos % 1000 == 0 { 6 } else { 9 };
                assert_eq!(ts.to_string(), rfc3339_with_write(&ts, digits));
            }
            secs += 86_399 * 367 + 3_607;
        }
    }

    #[test]
    fn micros_since_agrees_with_exact_nanos_everywhere() {
        let times = [
            Timestamp::new(0, 0),
            Timestamp::new(1_700_000_000, 999_999_999),
            Timestamp::new(1_700_000_000, 1),
            Timestamp::new(1_700_000_001, 0),
            Timestamp::new(-5, 999),
            Timestamp::new(9_223_372_036, 854_775_807),
            Timestamp::new(9_300_000_000, 5),
            Timestamp::new(-9_300_000_000, 5),
            Timestamp::new(i64::MAX, 999_999_999),
            Timestamp::new(i64::MIN, 0),
        ];
        for a in &times {
            for b in &times {
                let exact = a.nanos_since(b) / 1000;
                let want =
                    i64::try_from(exact).unwrap_or(if exact < 0 { i64::MIN } else { i64::MAX });
                assert_eq!(a.micros_since(b), want, "{a:?} - {b:?}");
            }
        }
        // Truncated toward zero both ways.
        let t0 = Timestamp::new(10, 0);
        assert_eq!(Timestamp::new(10, 1999).micros_since(&t0), 1);
        assert_eq!(t0.micros_since(&Timestamp::new(10, 1999)), -1);
    }

    #[test]
    fn epoch_is_1970() {
        assert_eq!(
            Timestamp::default().to_rfc3339(),
            "1970-01-01T00:00:00.000000000Z"
        );
        assert_eq!(
            Timestamp::default().to_string(),
            "1970-01-01T00:00:00.000000Z"
        );
    }

    #[test]
    fn known_date_with_nanos() {
        // 2026-11-22T03:57:41Z = 1795319861 (20414 days * 86400 + 14261 s).
        let ts = Timestamp::new(1_795_319_861, 123_456_789);
        assert_eq!(ts.to_rfc3339(), "2026-11-22T03:57:41.123456789Z");
        assert_eq!(ts.to_string(), "2026-11-22T03:57:41.123456789Z");
        // Micro-precision values display with 6 digits.
        let us = Timestamp::new(1_795_319_861, 123_456_000);
        assert_eq!(us.to_string(), "2026-11-22T03:57:41.123456Z");
    }

    #[test]
    fn leap_day_and_pre_epoch() {
        // 2000-02-29T00:00:00Z = 951782400
        assert_eq!(
            Timestamp::new(951_782_400, 0).to_rfc3339(),
            "2000-02-29T00:00:00.000000000Z"
        );
        // One nanosecond before the epoch: secs -1, nanos 999999999.
        assert_eq!(
            Timestamp::new(-1, 999_999_999).to_rfc3339(),
            "1969-12-31T23:59:59.999999999Z"
        );
        // Corpus value: 1382970487.688018 = 2013-10-28T14:28:07.688018Z
        assert_eq!(
            Timestamp::new(1_382_970_487, 688_018_000).to_string(),
            "2013-10-28T14:28:07.688018Z"
        );
    }

    #[test]
    fn extreme_seconds_do_not_panic() {
        for s in [i64::MIN, i64::MIN + 1, -62_135_596_801, i64::MAX] {
            let text = Timestamp::new(s, 999_999_999).to_rfc3339();
            assert!(text.ends_with(".999999999Z"), "{text}");
        }
        // Proleptic Gregorian: the second before 0001-01-01 is in year 0,
        // and the second before 0000-01-01 in year -1.
        assert_eq!(
            Timestamp::new(-62_135_596_801, 0).to_rfc3339(),
            "0000-12-31T23:59:59.000000000Z"
        );
        assert_eq!(
            Timestamp::new(-62_167_219_201, 0).to_rfc3339(),
            "-1-12-31T23:59:59.000000000Z"
        );
    }

    #[test]
    fn new_carries_nanos() {
        assert_eq!(
            Timestamp::new(10, 1_500_000_000),
            Timestamp {
                secs: 11,
                nanos: 500_000_000
            }
        );
        assert_eq!(Timestamp::new(i64::MAX, u32::MAX).secs, i64::MAX);
    }

    #[test]
    fn differences_are_signed() {
        let a = Timestamp::new(100, 900_000_000);
        let b = Timestamp::new(101, 100_000_500);
        assert_eq!(b.nanos_since(&a), 200_000_500);
        assert_eq!(b.micros_since(&a), 200_000);
        assert_eq!(a.micros_since(&b), -200_000);
        assert_eq!(a.nanos_since(&b), -200_000_500);
        let far = Timestamp::new(i64::MAX, 0);
        let near = Timestamp::new(i64::MIN, 0);
        assert_eq!(far.micros_since(&near), i64::MAX);
        assert_eq!(near.micros_since(&far), i64::MIN);
        assert!((b.as_secs_f64() - 101.1000005).abs() < 1e-6);
    }

    #[test]
    fn units_decimal_and_binary() {
        assert_eq!(units_per_sec(6), Some(1_000_000)); // default µs
        assert_eq!(units_per_sec(9), Some(1_000_000_000));
        assert_eq!(units_per_sec(19), Some(10_000_000_000_000_000_000));
        assert_eq!(units_per_sec(20), None);
        assert_eq!(units_per_sec(0x80 | 10), Some(1024)); // 2^-10
        assert_eq!(units_per_sec(0x80 | 63), Some(1 << 63));
        assert_eq!(units_per_sec(0x80 | 64), None);
        assert_eq!(units_per_sec(0xff), None);
    }

    #[test]
    fn from_units_is_exact() {
        // 1.5 s at 2^-10: 1536 units.
        assert_eq!(
            Timestamp::from_units(1536, 1024, 0),
            Timestamp::new(1, 500_000_000)
        );
        // 1 unit of 2^-10 s = 976562.5 ns, truncated to 976562.
        assert_eq!(
            Timestamp::from_units(1, 1024, 0),
            Timestamp::new(0, 976_562)
        );
        // ns resolution and a negative offset.
        assert_eq!(
            Timestamp::from_units(1_700_000_000_123_456_789, 1_000_000_000, -100),
            Timestamp::new(1_699_999_900, 123_456_789)
        );
        // Seconds beyond u32 are kept (pcap-parser would truncate them).
        assert_eq!(
            Timestamp::from_units(5_000_000_000, 1, 0).secs,
            5_000_000_000
        );
        // Degenerate inputs do not panic.
        assert_eq!(Timestamp::from_units(u64::MAX, 0, i64::MAX).secs, i64::MAX);
        assert_eq!(
            Timestamp::from_units(u64::MAX, u64::MAX, 0),
            Timestamp::new(1, 0)
        );
    }
}
