//! Bounded IP fragment reassembly (RFC 791 §3.2, RFC 8200 §4.5).
//!
//! etherparse's pool is unbounded by design, so we keep our own:
//! - datagrams are keyed by (source, destination, protocol, identification);
//! - at most `max` datagrams are open; a new one evicts the oldest;
//! - a datagram holds at most 65 535 bytes;
//! - a datagram not completed within `timeout` seconds of *capture* time from
//!   its first fragment is dropped;
//! - overlapping fragments whose bytes differ (RFC 5722 forbids overlaps for
//!   IPv6; for IPv4 they are the classic evasion trick), or inconsistent ends,
//!   drop the datagram with a diagnostic. Exact duplicates are ignored.
//!
//! Buffers of completed datagrams come back through [`Pool::recycle`] and are
//! reused, so the steady state does not allocate.

use std::collections::HashMap;
use std::net::IpAddr;

use super::{Diagnostic, Ts};

/// Largest reassembled datagram payload.
pub(crate) const MAX_DATAGRAM: usize = 65_535;
/// Fragments one datagram may have (bounds the range list).
const MAX_PIECES: usize = 256;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct FragKey {
    src: IpAddr,
    dst: IpAddr,
    proto: u8,
    id: u32,
}

impl FragKey {
    pub(crate) fn new(src: IpAddr, dst: IpAddr, proto: u8, id: u32) -> Self {
        Self {
            src,
            dst,
            proto,
            id,
        }
    }

    fn describe(&self) -> String {
        format!(
            "IP datagram {} -> {} id {:#x} (protocol {})",
            self.src, self.dst, self.id, self.proto
        )
    }
}

struct Datagram {
    first_ts: Ts,
    /// Bytes at their datagram offsets; holes are zero until filled.
    buf: Vec<u8>,
    /// Received ranges, sorted, non-overlapping: `[start, end)`.
    have: Vec<(usize, usize)>,
    /// Known once the last fragment (MF = 0) arrived.
    total: Option<usize>,
    /// Opening order, for eviction.
    seq: u64,
}

pub(crate) enum FragResult {
    /// More fragments needed.
    Pending,
    /// The whole datagram payload; give the buffer back with `recycle`.
    Complete(Vec<u8>),
    /// The datagram was dropped for the reason given.
    Dropped(String),
}

pub(crate) struct Pool {
    max: usize,
    timeout: u32,
    open: HashMap<FragKey, Datagram>,
    spare: Vec<Vec<u8>>,
    next_seq: u64,
    /// Capture second of the last expiry scan (scan at most once a second).
    last_scan: i64,
    /// Why the oldest datagram was just evicted to make room (the bound
    /// `max`), for the caller to report; see [`Pool::take_evicted`].
    evicted: Option<String>,
}

impl Pool {
    pub(crate) fn new(max: usize, timeout: u32) -> Self {
        Self {
            max: max.max(1),
            timeout,
            open: HashMap::new(),
            spare: Vec::new(),
            next_seq: 0,
            last_scan: i64::MIN,
            evicted: None,
        }
    }

    /// Number of datagrams being reassembled.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.open.len()
    }

    pub(crate) fn recycle(&mut self, mut buf: Vec<u8>) {
        if self.spare.len() < 8 {
            buf.clear();
            self.spare.push(buf);
        }
    }

    pub(crate) fn forget(&mut self, key: &FragKey) {
        if let Some(d) = self.open.remove(key) {
            self.recycle(d.buf);
        }
    }

    /// Adds one fragment: `offset` in bytes, `more` = the MF flag.
    pub(crate) fn insert(
        &mut self,
        key: FragKey,
        now: Ts,
        offset: usize,
        more: bool,
        data: &[u8],
    ) -> FragResult {
        let end = offset + data.len();
        if end > MAX_DATAGRAM {
            self.forget(&key);
            return FragResult::Dropped(format!(
                "{}: fragment at offset {offset} ends at byte {end}, beyond {MAX_DATAGRAM}; datagram dropped",
                key.describe()
            ));
        }
        if !self.open.contains_key(&key) {
            if self.open.len() >= self.max {
                // Evict the oldest datagram to make room.
                if let Some(old) = self.open.iter().min_by_key(|(_, d)| d.seq).map(|(k, _)| *k) {
                    self.forget(&old);
                    self.evicted = Some(format!(
                        "{}: evicted incomplete, {} datagrams were being reassembled at once (the bound); fragmented datagram dropped",
                        old.describe(),
                        self.max
                    ));
                }
            }
            let buf = self.spare.pop().unwrap_or_default();
            self.next_seq += 1;
            self.open.insert(
                key,
                Datagram {
                    first_ts: now,
                    buf,
                    have: Vec::new(),
                    total: None,
                    seq: self.next_seq,
                },
            );
        }
        let Some(d) = self.open.get_mut(&key) else {
            return FragResult::Pending;
        };
        if let Err(why) = d.add(offset, more, data) {
            self.forget(&key);
            return FragResult::Dropped(format!(
                "{}: {why}; fragmented datagram dropped",
                key.describe()
            ));
        }
        if d.is_complete() {
            if let Some(mut d) = self.open.remove(&key) {
                let total = d.total.unwrap_or(0);
                d.buf.truncate(total);
                return FragResult::Complete(d.buf);
            }
        }
        FragResult::Pending
    }

    /// The eviction the last [`Pool::insert`] made to stay within `max`, if any.
    pub(crate) fn take_evicted(&mut self) -> Option<String> {
        self.evicted.take()
    }

    /// Drops datagrams older than the timeout (capture time).
    /// The diagnostics carry frame 0; the caller fills in the frame.
    /// Whether [`Pool::expire`] has anything to look at for `now`.
    #[inline]
    pub(crate) fn due(&self, now: Ts) -> bool {
        !self.open.is_empty() && now.secs != self.last_scan
    }

    #[inline]
    pub(crate) fn expire(&mut self, now: Ts, report: &mut dyn FnMut(Diagnostic)) {
        // Called per frame: the common case (nothing open, or this second
        // already scanned) stays inline in the caller.
        if self.open.is_empty() || now.secs == self.last_scan {
            return;
        }
        self.scan(now, report);
    }

    #[inline(never)]
    fn scan(&mut self, now: Ts, report: &mut dyn FnMut(Diagnostic)) {
        self.last_scan = now.secs;
        let timeout = i64::from(self.timeout);
        let stale: Vec<FragKey> = self
            .open
            .iter()
            .filter(|(_, d)| now.secs_since(d.first_ts) > timeout)
            .map(|(k, _)| *k)
            .collect();
        for k in stale {
            report(Diagnostic {
                frame: 0,
                offset: None,
                message: format!(
                    "{}: incomplete after {timeout} s of capture time; fragment datagram dropped",
                    k.describe()
                ),
            });
            self.forget(&k);
        }
    }

    /// End of capture: reports every incomplete datagram.
    pub(crate) fn drain(&mut self, report: &mut dyn FnMut(Diagnostic)) {
        let mut keys: Vec<(u64, FragKey)> = self.open.iter().map(|(k, d)| (d.seq, *k)).collect();
        keys.sort_by_key(|(s, _)| *s);
        for (_, k) in keys {
            report(Diagnostic {
                frame: 0,
                offset: None,
                message: format!(
                    "{}: still incomplete at the end of the capture; fragment datagram dropped",
                    k.describe()
                ),
            });
            self.forget(&k);
        }
    }
}

impl Datagram {
    fn add(&mut self, offset: usize, more: bool, data: &[u8]) -> Result<(), String> {
        let end = offset + data.len();
        if !more {
            if let Some(t) = self.total {
                if t != end {
                    return Err(format!("two last fragments end at {t} and {end}"));
                }
            }
            if self.have.last().is_some_and(|&(_, e)| e > end) {
                return Err(format!(
                    "last fragment ends at {end}, before data already received"
                ));
            }
            self.total = Some(end);
        } else if self.total.is_some_and(|t| end > t) {
            return Err(format!(
                "fragment ends at {end}, past the last fragment's end"
            ));
        }
        if data.is_empty() {
            return Ok(());
        }
        if self.buf.len() < end {
            self.buf.resize(end, 0);
        }
        // Find where the new range goes; check overlaps byte by byte.
        let mut insert_at = self.have.len();
        for (i, &(s, e)) in self.have.iter().enumerate() {
            if e <= offset {
                continue;
            }
            if s >= end {
                insert_at = insert_at.min(i);
                break;
            }
            // Overlap [max(s,offset), min(e,end)): must be identical.
            let a = s.max(offset);
            let b = e.min(end);
            if self.buf.get(a..b) != data.get(a - offset..b - offset) {
                return Err(format!(
                    "fragments overlap with different bytes at {a}..{b}"
                ));
            }
            insert_at = insert_at.min(i);
        }
        self.buf[offset..end].copy_from_slice(data);
        // Merge [offset, end) into the sorted range list.
        let mut s = offset;
        let mut e = end;
        let mut j = insert_at;
        while j < self.have.len() && self.have[j].0 <= e {
            s = s.min(self.have[j].0);
            e = e.max(self.have[j].1);
            self.have.remove(j);
        }
        if j > 0 && self.have.get(j - 1).is_some_and(|&(_, pe)| pe >= s) {
            j -= 1;
            s = s.min(self.have[j].0);
            e = e.max(self.have[j].1);
            self.have.remove(j);
        }
        self.have.insert(j, (s, e));
        if self.have.len() > MAX_PIECES {
            return Err(format!("more than {MAX_PIECES} separate fragments"));
        }
        Ok(())
    }

    fn is_complete(&self) -> bool {
        match (self.total, self.have.as_slice()) {
            (Some(0), []) => true,
            (Some(t), [(0, e)]) => *e == t,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn key(id: u32) -> FragKey {
        let a = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
        let b = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));
        FragKey::new(a, b, 17, id)
    }

    fn ts(secs: i64) -> Ts {
        Ts::new(secs, 0)
    }

    fn complete(r: FragResult) -> Vec<u8> {
        match r {
            FragResult::Complete(v) => v,
            FragResult::Pending => panic!("pending"),
            FragResult::Dropped(m) => panic!("dropped: {m}"),
        }
    }

    #[test]
    fn in_order_fragments_reassemble() {
        let mut p = Pool::new(4, 30);
        assert!(matches!(
            p.insert(key(1), ts(0), 0, true, &[1; 8]),
            FragResult::Pending
        ));
        let v = complete(p.insert(key(1), ts(0), 8, false, &[2; 3]));
        assert_eq!(v, [1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2]);
        assert_eq!(p.len(), 0);
    }

    #[test]
    fn out_of_order_and_duplicate_fragments_reassemble() {
        let mut p = Pool::new(4, 30);
        assert!(matches!(
            p.insert(key(1), ts(0), 16, false, &[3; 4]),
            FragResult::Pending
        ));
        assert!(matches!(
            p.insert(key(1), ts(0), 0, true, &[1; 8]),
            FragResult::Pending
        ));
        // An exact duplicate is harmless.
        assert!(matches!(
            p.insert(key(1), ts(0), 0, true, &[1; 8]),
            FragResult::Pending
        ));
        let v = complete(p.insert(key(1), ts(0), 8, true, &[2; 8]));
        assert_eq!(v.len(), 20);
        assert_eq!(&v[8..16], &[2; 8]);
        assert_eq!(&v[16..], &[3; 4]);
    }

    #[test]
    fn overlap_with_different_bytes_drops_the_datagram() {
        let mut p = Pool::new(4, 30);
        assert!(matches!(
            p.insert(key(1), ts(0), 0, true, &[1; 16]),
            FragResult::Pending
        ));
        match p.insert(key(1), ts(0), 8, false, &[9; 8]) {
            FragResult::Dropped(m) => assert!(m.contains("overlap"), "{m}"),
            _ => panic!("overlap accepted"),
        }
        assert_eq!(p.len(), 0);
    }

    #[test]
    fn inconsistent_last_fragments_drop_the_datagram() {
        let mut p = Pool::new(4, 30);
        assert!(matches!(
            p.insert(key(1), ts(0), 8, false, &[1; 8]),
            FragResult::Pending
        ));
        assert!(matches!(
            p.insert(key(1), ts(0), 24, false, &[1; 8]),
            FragResult::Dropped(_)
        ));
    }

    #[test]
    fn oversize_datagram_is_refused() {
        let mut p = Pool::new(4, 30);
        let r = p.insert(key(1), ts(0), 65_528, true, &[0; 16]);
        assert!(matches!(r, FragResult::Dropped(_)));
        assert_eq!(p.len(), 0);
    }

    #[test]
    fn pool_is_bounded_and_evicts_the_oldest() {
        let mut p = Pool::new(2, 30);
        let _ = p.insert(key(1), ts(0), 0, true, &[1; 8]);
        let _ = p.insert(key(2), ts(0), 0, true, &[1; 8]);
        let _ = p.insert(key(3), ts(0), 0, true, &[1; 8]);
        assert_eq!(p.len(), 2);
        // Datagram 1 was evicted: its last fragment alone does not complete it.
        assert!(matches!(
            p.insert(key(1), ts(0), 8, false, &[2; 8]),
            FragResult::Pending
        ));
    }

    #[test]
    fn expiry_uses_capture_time() {
        let mut p = Pool::new(4, 30);
        let _ = p.insert(key(1), ts(100), 0, true, &[1; 8]);
        let mut msgs = Vec::new();
        p.expire(ts(130), &mut |d| msgs.push(d));
        assert!(msgs.is_empty());
        p.expire(ts(131), &mut |d| msgs.push(d));
        assert_eq!(msgs.len(), 1);
        assert_eq!(p.len(), 0);
    }

    #[test]
    fn drain_reports_incomplete_datagrams() {
        let mut p = Pool::new(4, 30);
        let _ = p.insert(key(7), ts(0), 8, false, &[1; 8]);
        let mut msgs = Vec::new();
        p.drain(&mut |d| msgs.push(d.message));
        assert_eq!(msgs.len(), 1);
        assert!(msgs[0].contains("0x7"), "{}", msgs[0]);
    }
}
