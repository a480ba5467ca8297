//! Aggregate statistics over a capture, for `dnslens stats`: counts, breakdowns,
//! top names and latency percentiles, in memory that does not grow with the file.
//!
//! What is counted where:
//! - per DNS *message* (as it is read): messages by opcode and by transport, queries by
//!   QTYPE and by query name, responses by RCODE (extended by EDNS), NXDOMAIN responses by
//!   query name, NOERROR responses with no answer (NODATA or referral);
//! - per *transaction* (as the pairer closes it): status (answered, unanswered, censored,
//!   unsolicited), server and client, and the round-trip time of each answered one.
//!
//! Bounds (each table is capped; what happens past a cap is counted and shown):
//! - [`Tally`] (QTYPE, RCODE, opcode, servers, clients): at most `cap` distinct keys;
//!   further keys are summed into one `other` count.
//! - [`NameCounts`] (top names): names are keyed by their lowercased wire labels, found by
//!   the hash the pairing step computed, and looked up sixteen at a time so that the
//!   table's cache misses overlap (a name is kept in the table only the first time it
//!   is seen; [`NameCounts::settle`] ends a group early). Counts are exact
//!   until `cap` distinct names have been seen. When the table is full, the half with the
//!   smallest counts is dropped (lossy counting). After that a name's shown count may be
//!   short by at most `max_error` (the largest count ever dropped), and a name that is not
//!   in the table was seen at most `max_error` times.
//! - [`Histogram`]: a count per distinct microsecond value, so percentiles are exact,
//!   while the [`ExactBudget`] shared by every histogram of a [`Stats`] lasts (`exact_values`
//!   distinct values in all); beside it, log-linear buckets (exact below 128 µs, then 64
//!   buckets per power of two) that a histogram falls back to when the budget runs out:
//!   percentiles within 0.8 % from then on, and the histogram says so
//!   ([`Histogram::is_exact`]). Latency is kept per server and per QTYPE for the first
//!   `latency_groups` of each; later ones go to an `other` group.

use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;
use std::net::IpAddr;

use crate::dns::{self, Rcode, Rtype};
use crate::hash::FastState;
use crate::meta::MessageMeta;
use crate::net::Transport;
use crate::txn::{Status, Transaction};

/// Distinct names per top-name table before pruning.
pub const DEFAULT_NAME_CAP: usize = 50_000;
/// Distinct keys per breakdown (servers, clients, QTYPEs, ...) before `other`.
pub const DEFAULT_TALLY_CAP: usize = 10_000;
/// Servers (and QTYPEs) with their own latency histograms before `other`.
pub const DEFAULT_LATENCY_GROUPS: usize = 1_000;
/// Distinct (histogram, microsecond) values kept for exact percentiles, over all the
/// histograms of one [`Stats`]: at most ~16 MB (a hash-table entry is 16 bytes plus
/// its control byte, and tables double).
pub const DEFAULT_EXACT_VALUES: usize = 512 * 1024;

/// Values below this are counted exactly (one bucket per microsecond).
const LINEAR_LIMIT: u64 = 128;
/// Buckets per power of two above [`LINEAR_LIMIT`] (2^6).
const SUB_BUCKETS: u64 = 64;
const SUB_BITS: u32 = 6;

/// How many more distinct values the exact counts of a set of histograms may hold.
#[derive(Clone, Copy, Debug)]
pub struct ExactBudget(pub usize);

/// A latency histogram over microseconds: exact percentiles while its values fit the
/// shared [`ExactBudget`], bounded relative error after.
///
/// Exact part: a count per distinct microsecond value from 128 µs up (RTTs cluster, so a
/// few thousand distinct values cover millions of transactions); below, the buckets are
/// single values and count exactly, for no budget. Bucketed part, always kept: one
/// bucket per value below 128 µs; above, each power-of-two range `[2^k, 2^(k+1))` is cut
/// into 64 equal buckets of width `2^(k-6)`. Its memory grows with the largest value seen:
/// 8 bytes × (128 + 64 per power of two above 128 µs), so 10 KB for a 10 s maximum,
/// whatever the number of values.
#[derive(Clone, Debug)]
pub struct Histogram {
    counts: Vec<u64>,
    /// Count per microsecond value; `None` once the budget ran out for this histogram.
    exact: Option<HashMap<u64, u64, FastState>>,
    total: u64,
    min: u64,
    max: u64,
    sum: u128,
}

impl Default for Histogram {
    fn default() -> Self {
        Self {
            counts: Vec::new(),
            exact: Some(HashMap::default()),
            total: 0,
            min: 0,
            max: 0,
            sum: 0,
        }
    }
}

impl Histogram {
    #[inline]
    fn index(v: u64) -> usize {
        if v < LINEAR_LIMIT {
            return v as usize;
        }
        let k = 63 - v.leading_zeros(); // k >= 7
        let shift = k - SUB_BITS;
        let sub = (v >> shift) - SUB_BUCKETS; // 0..64
        (LINEAR_LIMIT + u64::from(k - 7) * SUB_BUCKETS + sub) as usize
    }

    #[inline(never)]
    fn record_exact(&mut self, micros: u64, budget: &mut ExactBudget) {
        if let Some(exact) = &mut self.exact {
            if let Some(c) = exact.get_mut(&micros) {
                *c += 1;
            } else if budget.0 > 0 {
                budget.0 -= 1;
                exact.insert(micros, 1);
            } else {
                budget.0 += exact.len();
                self.exact = None;
            }
        }
    }

    /// The histogram of both sets of values, as if recorded in one (exact
    /// while both are).
    fn merged(&self, other: &Self) -> Self {
        let (long, short) = if self.counts.len() >= other.counts.len() {
            (self, other)
        } else {
            (other, self)
        };
        let mut counts = long.counts.clone();
        for (c, o) in counts.iter_mut().zip(&short.counts) {
            *c += o;
        }
        let exact = match (&self.exact, &other.exact) {
            (Some(a), Some(b)) => {
                let mut m = a.clone();
                for (&v, &n) in b {
                    *m.entry(v).or_insert(0) += n;
                }
                Some(m)
            }
            _ => None,
        };
        let (min, max) = match (self.total, other.total) {
            (0, _) => (other.min, other.max),
            (_, 0) => (self.min, self.max),
            _ => (self.min.min(other.min), self.max.max(other.max)),
        };
        Self {
            counts,
            exact,
            total: self.total + other.total,
            min,
            max,
            sum: self.sum + other.sum,
        }
    }

    /// Makes room for bucket `idx` and counts one value in it.
    #[cold]
    fn grow_to(&mut self, idx: usize) {
        self.counts.resize(idx + 1, 0);
        if let Some(c) = self.counts.get_mut(idx) {
            *c += 1;
        }
    }

    /// The values a bucket holds: `(lowest, width)`.
    fn bucket(idx: usize) -> (u64, u64) {
        let idx = idx as u64;
        if idx < LINEAR_LIMIT {
            return (idx, 1);
        }
        let j = idx - LINEAR_LIMIT;
        let k = j / SUB_BUCKETS + 7;
        let m = j % SUB_BUCKETS + SUB_BUCKETS;
        let shift = k - u64::from(SUB_BITS);
        (m << shift, 1 << shift)
    }

    /// Counts one value. A value not seen before takes one unit of `budget` for the
    /// exact counts; with none left, this histogram gives its units back and keeps
    /// only its buckets from then on.
    // Six per transaction: inlined, with the exact counts (values from
    // `LINEAR_LIMIT` up) and the buckets' growth kept out of line.
    #[inline]
    pub fn record(&mut self, micros: u64, budget: &mut ExactBudget) {
        // Below `LINEAR_LIMIT` the buckets are single values: already exact.
        if micros >= LINEAR_LIMIT {
            self.record_exact(micros, budget);
        }
        let idx = Self::index(micros);
        match self.counts.get_mut(idx) {
            Some(c) => *c += 1,
            None => self.grow_to(idx),
        }
        if self.total == 0 || micros < self.min {
            self.min = micros;
        }
        self.max = self.max.max(micros);
        self.total += 1;
        self.sum += u128::from(micros);
    }

    pub fn count(&self) -> u64 {
        self.total
    }

    pub fn max(&self) -> Option<u64> {
        (self.total > 0).then_some(self.max)
    }

    pub fn min(&self) -> Option<u64> {
        (self.total > 0).then_some(self.min)
    }

    /// Mean in microseconds.
    pub fn mean(&self) -> Option<f64> {
        (self.total > 0).then(|| self.sum as f64 / self.total as f64)
    }

    /// Whether [`Histogram::percentiles`] are exact (the budget lasted for this one).
    pub fn is_exact(&self) -> bool {
        self.exact.is_some()
    }

    /// The 1-based rank of the `p`-th percentile by nearest rank: `ceil(p/100 × n)`,
    /// in integer arithmetic on hundredths of a percent, so no engine rounds it
    /// differently (`p` has at most two decimals).
    fn rank(&self, p: f64) -> u64 {
        let hundredths = (p * 100.0).round().clamp(0.0, 10_000.0) as u128;
        let rank = (hundredths * u128::from(self.total)).div_ceil(10_000);
        (rank as u64).clamp(1, self.total)
    }

    /// The `p`-th percentiles (0 < p ≤ 100) by nearest rank: the value of rank
    /// `ceil(p/100 × n)` in sorted order. Exact while [`Histogram::is_exact`]; after
    /// that, see [`Histogram::percentile`].
    pub fn percentiles<const N: usize>(&self, ps: [f64; N]) -> Option<[u64; N]> {
        if self.total == 0 {
            return None;
        }
        let Some(exact) = &self.exact else {
            return Some(ps.map(|p| self.bucket_percentile(p)));
        };
        // Values below `LINEAR_LIMIT` are counted by their buckets alone.
        let below = self.counts.iter().take(LINEAR_LIMIT as usize);
        let mut values: Vec<(u64, u64)> = (0..)
            .zip(below.copied())
            .filter(|&(_, c)| c > 0)
            .chain(exact.iter().map(|(&v, &c)| (v, c)))
            .collect();
        values.sort_unstable();
        Some(ps.map(|p| {
            let rank = self.rank(p);
            let mut seen = 0;
            values
                .iter()
                .find(|&&(_, c)| {
                    seen += c;
                    seen >= rank
                })
                .map_or(self.max, |&(v, _)| v)
        }))
    }

    /// The `p`-th percentile; see [`Histogram::percentiles`].
    pub fn percentile(&self, p: f64) -> Option<u64> {
        self.percentiles([p]).map(|[v]| v)
    }

    /// The percentile from the buckets alone: below 128 µs it is exact; above, it is
    /// the middle of the value's bucket, clamped to the exact minimum and maximum, so
    /// within half a bucket width: at most 1/128 (0.8 %) of the true value.
    fn bucket_percentile(&self, p: f64) -> u64 {
        let rank = self.rank(p);
        let mut seen = 0;
        for (idx, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                let (lo, width) = Self::bucket(idx);
                let mid = lo + width / 2;
                return mid.clamp(self.min, self.max);
            }
        }
        self.max
    }

    /// Counts over power-of-two ranges of microseconds, `[lo, hi)`: `[0, 1)`, `[1, 2)`,
    /// `[2, 4)`, ... from the first range holding a value to the last one.
    pub fn log2_buckets(&self) -> Vec<(u64, u64, u64)> {
        let mut coarse: Vec<u64> = Vec::new();
        for (idx, &c) in self.counts.iter().enumerate() {
            if c == 0 {
                continue;
            }
            let (lo, _) = Self::bucket(idx);
            let ci = if lo == 0 {
                0
            } else {
                (64 - lo.leading_zeros()) as usize
            };
            if coarse.len() <= ci {
                coarse.resize(ci + 1, 0);
            }
            if let Some(slot) = coarse.get_mut(ci) {
                *slot += c;
            }
        }
        let first = coarse.iter().position(|&c| c > 0).unwrap_or(0);
        coarse
            .iter()
            .enumerate()
            .skip(first)
            .map(|(ci, &c)| {
                let (lo, hi) = if ci == 0 {
                    (0, 1)
                } else {
                    (
                        1u64 << (ci - 1),
                        1u64.checked_shl(ci as u32).unwrap_or(u64::MAX),
                    )
                };
                (lo, hi, c)
            })
            .collect()
    }
}

/// Values per key, for at most `cap` distinct keys, in the order the keys came.
/// It remembers the key looked up last and its place: runs of one key (a
/// client, a server, a QTYPE) are found without hashing.
#[derive(Clone, Debug)]
struct Keyed<K, V> {
    /// Where each key's value is in `entries`.
    index: HashMap<K, usize, FastState>,
    entries: Vec<(K, V)>,
    last: Option<(K, usize)>,
    cap: usize,
}

impl<K: Hash + Eq + Clone, V> Keyed<K, V> {
    fn new(cap: usize) -> Self {
        Self {
            index: HashMap::default(),
            entries: Vec::new(),
            last: None,
            cap,
        }
    }

    /// The value of `key`, made by `new` for a new key; None past the cap.
    fn get_or_insert(&mut self, key: K, new: impl FnOnce() -> V) -> Option<&mut V> {
        let place = match &self.last {
            Some((k, i)) if *k == key => Some(*i),
            _ => {
                let place = match self.index.get(&key) {
                    Some(&i) => Some(i),
                    None if self.entries.len() < self.cap => {
                        let i = self.entries.len();
                        self.entries.push((key.clone(), new()));
                        self.index.insert(key.clone(), i);
                        Some(i)
                    }
                    None => None,
                };
                self.last = place.map(|i| (key, i));
                place
            }
        };
        place.and_then(|i| self.entries.get_mut(i)).map(|(_, v)| v)
    }

    fn get(&self, key: &K) -> Option<&V> {
        let i = *self.index.get(key)?;
        self.entries.get(i).map(|(_, v)| v)
    }
}

/// Counts per key, for at most `cap` distinct keys; the rest are summed in `other`.
#[derive(Clone, Debug)]
pub struct Tally<K> {
    counts: Keyed<K, u64>,
    other: u64,
    total: u64,
}

impl<K: Hash + Eq + Ord + Clone> Tally<K> {
    pub fn new(cap: usize) -> Self {
        Self {
            counts: Keyed::new(cap),
            other: 0,
            total: 0,
        }
    }

    pub fn add(&mut self, key: K) {
        self.add_n(key, 1);
    }

    pub fn add_n(&mut self, key: K, n: u64) {
        self.total += n;
        match self.counts.get_or_insert(key, || 0) {
            Some(c) => *c += n,
            None => self.other += n,
        }
    }

    pub fn get(&self, key: &K) -> u64 {
        self.counts.get(key).copied().unwrap_or(0)
    }

    /// Keys past the cap, summed.
    pub fn other(&self) -> u64 {
        self.other
    }

    pub fn total(&self) -> u64 {
        self.total
    }

    pub fn distinct(&self) -> usize {
        self.counts.entries.len()
    }

    /// Keys by count, largest first (ties by key).
    pub fn sorted(&self) -> Vec<(K, u64)> {
        let mut v: Vec<(K, u64)> = self.counts.entries.clone();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v
    }
}

/// A domain name as its lowercased wire labels (`len, bytes...` per label, no root byte).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WireName<'a>(pub &'a [u8]);

impl fmt::Display for WireName<'_> {
    /// Presentation format, absolute, escaped as `dns::Name` escapes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        if rest.is_empty() {
            return f.write_str(".");
        }
        while let [len, tail @ ..] = rest {
            let len = usize::from(*len);
            let (label, next) = tail.split_at(len.min(tail.len()));
            dns::name::write_label(f, label)?;
            f.write_str(".")?;
            rest = next;
        }
        Ok(())
    }
}

/// A name table's key: lowercased wire labels, held in the table's own entry when
/// short (most names), so that a lookup does not chase a pointer to compare.
#[derive(Clone, Debug, PartialEq, Eq)]
enum NameKey {
    Short(u8, [u8; NameKey::SHORT]),
    Long(Box<[u8]>),
}

impl NameKey {
    /// 38 bytes: with the length and the tag 40, so that a [`NameSlot`] fills
    /// one 64-byte cache line.
    const SHORT: usize = 38;

    fn new(bytes: &[u8]) -> Self {
        let mut short = [0u8; Self::SHORT];
        match short.get_mut(..bytes.len()) {
            Some(head) => {
                head.copy_from_slice(bytes);
                Self::Short(bytes.len() as u8, short)
            }
            None => Self::Long(bytes.into()),
        }
    }

    fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Short(len, b) => b.get(..usize::from(*len)).unwrap_or_default(),
            Self::Long(b) => b,
        }
    }
}

/// Query counts per name (ASCII case-insensitive), bounded; see the module docs.
///
/// Looked up once per query: the table is indexed by a hash of the name's
/// lowercased labels, computed from the message, and a name found there is
/// compared in place; only a new name is kept (docs/benchmarks.md, profile
/// findings 35, 57 and 59).
///
/// Open addressing with linear probing, each slot holding its name, hash and
/// count in one cache line: a lookup touches one slot where a map from the
/// hash to an entry list touched three places, each a cache miss once the
/// table outgrows the cache (most of this table's time in a profile).
///
/// Names are looked up [`NAME_GROUP`] at a time, in the order they were
/// counted: the group's slots are loaded together first, so that their cache
/// misses overlap instead of coming one after another. Call
/// [`NameCounts::settle`] before reading the table.
#[derive(Clone, Debug)]
pub struct NameCounts {
    /// A power of two long (or empty); a slot with count 0 is free. Kept at
    /// most 3/4 full, so that a probe ends soon.
    slots: Vec<NameSlot>,
    /// Slots in use: distinct names.
    len: usize,
    /// The order number of the next new name: pruning drops the first counted
    /// of the names tied at its threshold.
    next_seq: u64,
    cap: usize,
    /// The largest count dropped by pruning: shown counts may be short by this much.
    max_error: u64,
    /// Times the table was pruned.
    prunings: u64,
    total: u64,
    /// Names counted but not looked up yet.
    queue: NameQueue,
}

/// Names looked up together; see [`NameCounts`].
pub const NAME_GROUP: usize = 16;

/// Names waiting for their lookup: lowercased labels and hash, in the order
/// they were counted.
#[derive(Clone, Debug, Default)]
struct NameQueue {
    /// [`NAME_GROUP`] buffers once the first name comes.
    labels: Vec<[u8; dns::name::MAX_NAME_LEN]>,
    /// (hash, length) of the names in `labels`, in order.
    names: Vec<(u64, usize)>,
}

#[derive(Clone, Debug)]
#[repr(align(64))]
struct NameSlot {
    hash: u64,
    count: u64,
    seq: u64,
    key: NameKey,
}

impl NameSlot {
    const FREE: Self = Self {
        hash: 0,
        count: 0,
        seq: 0,
        key: NameKey::Short(0, [0; NameKey::SHORT]),
    };
}

impl NameCounts {
    /// Slots of a table's first allocation.
    const FIRST_SLOTS: usize = 64;

    pub fn new(cap: usize) -> Self {
        Self {
            slots: Vec::new(),
            len: 0,
            next_seq: 0,
            cap: cap.max(2),
            max_error: 0,
            prunings: 0,
            total: 0,
            queue: NameQueue::default(),
        }
    }

    pub fn add(&mut self, name: &dns::Name<'_>) {
        self.add_hashed(name, crate::txn::name_hash(name));
    }

    /// [`NameCounts::add`] with the name's [`crate::txn::name_hash`], which the
    /// pairing step has computed already.
    pub fn add_hashed(&mut self, name: &dns::Name<'_>, hash: u64) {
        self.total += 1;
        let q = &mut self.queue;
        if q.labels.is_empty() {
            q.labels = vec![[0; dns::name::MAX_NAME_LEN]; NAME_GROUP];
            q.names.reserve_exact(NAME_GROUP);
        }
        if let Some(buf) = q.labels.get_mut(q.names.len()) {
            let len = name.lowercase_into(buf);
            q.names.push((hash, len));
        }
        if q.names.len() >= NAME_GROUP {
            self.settle();
        }
    }

    /// Looks up the names counted since the last call (see [`NameCounts`]).
    pub fn settle(&mut self) {
        if self.queue.names.is_empty() {
            return;
        }
        let mut queue = std::mem::take(&mut self.queue);
        self.touch(&queue.names);
        for (labels, &(hash, len)) in queue.labels.iter().zip(&queue.names) {
            self.count(labels.get(..len).unwrap_or_default(), hash);
        }
        queue.names.clear();
        self.queue = queue;
    }

    /// Loads the first slot of each name: loads that do not wait for each
    /// other, so their cache misses overlap; the lookups that follow find the
    /// slots in the cache.
    fn touch(&self, names: &[(u64, usize)]) {
        let mask = self.slots.len().wrapping_sub(1);
        let mut any = 0;
        for &(hash, _) in names {
            any |= self.slots.get(hash as usize & mask).map_or(0, |s| s.count);
        }
        std::hint::black_box(any);
    }

    /// Counts one name, given as lowercased wire labels with its hash.
    fn count(&mut self, lower: &[u8], hash: u64) {
        let mask = self.slots.len().wrapping_sub(1);
        let mut at = hash as usize & mask;
        while let Some(slot) = self.slots.get_mut(at).filter(|s| s.count != 0) {
            if slot.hash == hash && slot.key.as_bytes() == lower {
                slot.count += 1;
                return;
            }
            at = (at + 1) & mask;
        }
        if self.len >= self.cap {
            self.prune();
        }
        let slot = NameSlot {
            hash,
            count: 1,
            seq: self.next_seq,
            key: NameKey::new(lower),
        };
        self.next_seq += 1;
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            let size = (self.slots.len() * 2).max(Self::FIRST_SLOTS);
            self.rebuild(size);
        }
        self.place(slot);
        self.len += 1;
    }

    /// Puts a name that is not in the table into its first free slot (there
    /// is one: the table is never full).
    fn place(&mut self, new: NameSlot) {
        let mask = self.slots.len().wrapping_sub(1);
        let mut at = new.hash as usize & mask;
        while let Some(slot) = self.slots.get_mut(at) {
            if slot.count == 0 {
                *slot = new;
                return;
            }
            at = (at + 1) & mask;
        }
    }

    /// Moves every name into a table of `size` slots (a power of two).
    fn rebuild(&mut self, size: usize) {
        let old = std::mem::replace(&mut self.slots, vec![NameSlot::FREE; size]);
        for slot in old.into_iter().filter(|s| s.count != 0) {
            self.place(slot);
        }
    }

    /// Drops the half of the table with the smallest counts (of the names tied
    /// at the threshold, the first counted go first).
    fn prune(&mut self) {
        let keep = self.cap / 2;
        let drop = self.len.saturating_sub(keep);
        if drop == 0 {
            return;
        }
        let used = || self.slots.iter().filter(|s| s.count != 0);
        let mut counts: Vec<u64> = used().map(|s| s.count).collect();
        let (_, &mut threshold, _) = counts.select_nth_unstable(drop - 1);
        // Drop everything below the threshold, then the first counted at it
        // until `keep` remain: those whose order number is at most `last`.
        let below = counts.iter().filter(|&&c| c < threshold).count();
        let at_threshold_to_drop = drop - below;
        let mut tied: Vec<u64> = used()
            .filter(|s| s.count == threshold)
            .map(|s| s.seq)
            .collect();
        let last = at_threshold_to_drop
            .checked_sub(1)
            .map(|k| *tied.select_nth_unstable(k).1);
        let gone = |s: &NameSlot| {
            s.count < threshold || (s.count == threshold && last.is_some_and(|l| s.seq <= l))
        };
        let mut kept = 0;
        for slot in &mut self.slots {
            if slot.count != 0 && gone(slot) {
                *slot = NameSlot::FREE;
            } else if slot.count != 0 {
                kept += 1;
            }
        }
        self.len = kept;
        // Free slots in the middle of probe runs would cut them: place the
        // rest again.
        let size = self.slots.len();
        self.rebuild(size);
        self.max_error = self.max_error.max(threshold);
        self.prunings += 1;
    }

    /// Names counted, repeats included.
    pub fn total(&self) -> u64 {
        self.total
    }

    pub fn distinct(&self) -> usize {
        self.assert_settled();
        self.len
    }

    /// 0 while every count is exact.
    pub fn max_error(&self) -> u64 {
        self.assert_settled();
        self.max_error
    }

    pub fn prunings(&self) -> u64 {
        self.assert_settled();
        self.prunings
    }

    fn assert_settled(&self) {
        debug_assert!(
            self.queue.names.is_empty(),
            "NameCounts read before settle()"
        );
    }

    /// The `n` most counted names, as (lowercased wire labels, count), largest first,
    /// ties by name. (Which of several names tied at the cut-off make it is decided in
    /// wire order, so that no string is built for names that are not shown.)
    pub fn top(&self, n: usize) -> Vec<(&[u8], u64)> {
        self.assert_settled();
        let mut v: Vec<(&[u8], u64)> = self
            .slots
            .iter()
            .filter(|s| s.count != 0)
            .map(|s| (s.key.as_bytes(), s.count))
            .collect();
        if n < v.len() {
            v.select_nth_unstable_by(n, |a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
            v.truncate(n);
        }
        let mut named: Vec<(String, &[u8], u64)> = v
            .into_iter()
            .map(|(k, c)| (WireName(k).to_string(), k, c))
            .collect();
        named.sort_unstable_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
        named.into_iter().map(|(_, k, c)| (k, c)).collect()
    }
}

/// Messages per transport and IP version.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Transports {
    pub udp4: u64,
    pub udp6: u64,
    pub tcp4: u64,
    pub tcp6: u64,
}

/// Transactions by how they ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatusCounts {
    pub transactions: u64,
    pub answered: u64,
    /// No response within the window (censored ones excluded).
    pub unanswered: u64,
    /// No response yet when the capture ended, still inside the window.
    pub censored: u64,
    pub unsolicited: u64,
    /// mDNS responses that answer no captured query (RFC 6762 announcements).
    pub announcements: u64,
    /// Transactions with at least one retransmitted query.
    pub retransmitted: u64,
    /// Retransmitted query messages.
    pub retransmissions: u64,
    pub duplicate_responses: u64,
    pub question_mismatches: u64,
    /// Closed early because too many transactions were open.
    pub evicted: u64,
}

/// Latency histograms: overall, per server, per QTYPE.
#[derive(Clone, Debug)]
pub struct Latency {
    pub overall: Histogram,
    pub by_server: Groups<(IpAddr, u16)>,
    pub by_qtype: Groups<u16>,
}

/// Histograms (or pairs of them, see [`Rtts`]) per key for at most `cap`
/// keys; later keys share `other`.
#[derive(Clone, Debug)]
pub struct Groups<K, V = Histogram> {
    groups: Keyed<K, V>,
    pub other: V,
}

impl<K: Hash + Eq + Clone, V: Default> Groups<K, V> {
    fn new(cap: usize) -> Self {
        Self {
            groups: Keyed::new(cap),
            other: V::default(),
        }
    }

    /// The value of `key`'s group, or `other`'s.
    fn group(&mut self, key: K) -> &mut V {
        match self.groups.get_or_insert(key, V::default) {
            Some(v) => v,
            None => &mut self.other,
        }
    }

    /// The same groups, in the same order, with values made by `f`; groups
    /// for which it returns None are left out (not `other`).
    fn filter_map<W: Default>(&self, f: impl Fn(&V) -> Option<W>) -> Groups<K, W> {
        let mut out = Groups::new(self.groups.cap);
        for (k, v) in &self.groups.entries {
            if let Some(w) = f(v) {
                if let Some(slot) = out.groups.get_or_insert(k.clone(), W::default) {
                    *slot = w;
                }
            }
        }
        out.other = f(&self.other).unwrap_or_default();
        out
    }
}

impl<K: Hash + Eq + Ord + Clone> Groups<K> {
    /// Every histogram, `other` included.
    fn all(&self) -> impl Iterator<Item = &Histogram> {
        self.groups
            .entries
            .iter()
            .map(|(_, h)| h)
            .chain(std::iter::once(&self.other))
    }

    /// Groups by count, largest first (ties by key).
    pub fn sorted(&self) -> Vec<(&K, &Histogram)> {
        let mut v: Vec<(&K, &Histogram)> =
            self.groups.entries.iter().map(|(k, h)| (k, h)).collect();
        v.sort_by(|a, b| b.1.count().cmp(&a.1.count()).then_with(|| a.0.cmp(b.0)));
        v
    }
}

/// Each answered transaction's RTT, recorded once: `[0]` when its query was
/// sent once, `[1]` when it was retransmitted. [`Latency`] with
/// retransmissions included is the sum of both, made when asked for
/// ([`Stats::latency`]): recording every RTT in both views cost twice the
/// histogram updates and table lookups. Groups are keyed by the first
/// `latency_groups` servers (and QTYPEs) of all answered transactions.
#[derive(Clone, Debug)]
pub struct Rtts {
    overall: [Histogram; 2],
    by_server: Groups<(IpAddr, u16), [Histogram; 2]>,
    by_qtype: Groups<u16, [Histogram; 2]>,
}

impl Rtts {
    fn new(groups: usize) -> Self {
        Self {
            overall: Default::default(),
            by_server: Groups::new(groups),
            by_qtype: Groups::new(groups),
        }
    }

    fn record(
        &mut self,
        server: (IpAddr, u16),
        qtype: u16,
        micros: u64,
        retransmitted: bool,
        budget: &mut ExactBudget,
    ) {
        let i = usize::from(retransmitted);
        for h in [
            &mut self.overall[i],
            &mut self.by_server.group(server)[i],
            &mut self.by_qtype.group(qtype)[i],
        ] {
            h.record(micros, budget);
        }
    }

    /// Every answered transaction (`included`), or those sent once; a group
    /// without any of the latter is left out of those.
    fn view(&self, included: bool) -> Latency {
        let pick = |p: &[Histogram; 2]| {
            if included {
                Some(p[0].merged(&p[1]))
            } else {
                (p[0].count() > 0).then(|| p[0].clone())
            }
        };
        Latency {
            overall: pick(&self.overall).unwrap_or_default(),
            by_server: self.by_server.filter_map(pick),
            by_qtype: self.by_qtype.filter_map(pick),
        }
    }
}

impl Latency {
    /// Whether every percentile of these histograms is exact.
    pub fn is_exact(&self) -> bool {
        std::iter::once(&self.overall)
            .chain(self.by_server.all())
            .chain(self.by_qtype.all())
            .all(Histogram::is_exact)
    }
}

/// Table sizes.
#[derive(Clone, Copy, Debug)]
pub struct Config {
    pub name_cap: usize,
    pub tally_cap: usize,
    pub latency_groups: usize,
    /// Distinct values for exact percentiles, over all latency histograms.
    pub exact_values: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            name_cap: DEFAULT_NAME_CAP,
            tally_cap: DEFAULT_TALLY_CAP,
            latency_groups: DEFAULT_LATENCY_GROUPS,
            exact_values: DEFAULT_EXACT_VALUES,
        }
    }
}

/// Everything `stats` aggregates.
#[derive(Clone, Debug)]
pub struct Stats {
    /// Table sizes.
    config: Config,
    /// Queries by QTYPE (of the first question).
    pub qtypes: Tally<u16>,
    /// Responses by RCODE (extended by EDNS).
    pub rcodes: Tally<u16>,
    /// Messages by opcode.
    pub opcodes: Tally<u8>,
    pub transports: Transports,
    /// NOERROR responses with an empty answer section (NODATA, or a referral).
    pub no_data: u64,
    /// Transactions by server (address, port).
    pub servers: Tally<(IpAddr, u16)>,
    /// Transactions by client address.
    pub clients: Tally<IpAddr>,
    /// Queries by name.
    pub names: NameCounts,
    /// NXDOMAIN responses by name.
    pub nxdomain_names: NameCounts,
    pub status: StatusCounts,
    /// RTTs of answered transactions (see [`Stats::latency`]).
    rtts: Rtts,
    /// What is left for exact percentiles in `rtts`.
    exact_budget: ExactBudget,
}

impl Default for Stats {
    fn default() -> Self {
        Self::new(Config::default())
    }
}

impl Stats {
    pub fn new(cfg: Config) -> Self {
        Self {
            config: cfg,
            qtypes: Tally::new(cfg.tally_cap),
            rcodes: Tally::new(cfg.tally_cap),
            opcodes: Tally::new(cfg.tally_cap),
            transports: Transports::default(),
            no_data: 0,
            servers: Tally::new(cfg.tally_cap),
            clients: Tally::new(cfg.tally_cap),
            names: NameCounts::new(cfg.name_cap),
            nxdomain_names: NameCounts::new(cfg.name_cap),
            status: StatusCounts::default(),
            rtts: Rtts::new(cfg.latency_groups),
            exact_budget: ExactBudget(cfg.exact_values),
        }
    }

    /// The table sizes this was made with.
    pub fn config(&self) -> Config {
        self.config
    }

    /// RTTs of every answered transaction.
    pub fn latency(&self) -> Latency {
        self.rtts.view(true)
    }

    /// RTTs of answered transactions whose query was sent once.
    pub fn latency_clean(&self) -> Latency {
        self.rtts.view(false)
    }

    /// Looks up the names still waiting in the top-name tables; call before
    /// reading them (see [`NameCounts`]).
    pub fn settle(&mut self) {
        self.names.settle();
        self.nxdomain_names.settle();
    }

    /// Takes the tables that [`Stats::on_message`] fills from `other` (which
    /// counted the messages while this one counted the transactions).
    pub fn take_message_tables(&mut self, other: Self) {
        self.qtypes = other.qtypes;
        self.rcodes = other.rcodes;
        self.opcodes = other.opcodes;
        self.transports = other.transports;
        self.no_data = other.no_data;
        self.names = other.names;
        self.nxdomain_names = other.nxdomain_names;
    }

    /// Counts one DNS message whose header parsed.
    pub fn on_message(&mut self, meta: &MessageMeta, msg: &dns::Message<'_>) {
        let h = msg.header();
        let question = crate::txn::FirstQuestion::of(msg);
        // The extended RCODE needs the OPT record, at the end of the message: walk
        // only when there is an additional section to find it in.
        let rcode = if h.qr() && h.arcount > 0 {
            msg.rcode()
        } else {
            h.rcode()
        };
        self.count_message(meta, &h, question.as_ref(), rcode);
    }

    /// [`Stats::on_message`] for a message already walked: its header, first
    /// question (when it parses) and RCODE (extended by EDNS, as
    /// `dns::Message::rcode` finds it).
    pub fn count_message(
        &mut self,
        meta: &MessageMeta,
        h: &dns::Header,
        question: Option<&crate::txn::FirstQuestion<'_>>,
        rcode: Rcode,
    ) {
        let v6 = meta.src.is_ipv6();
        let t = &mut self.transports;
        match (meta.transport, v6) {
            (Transport::Udp, false) => t.udp4 += 1,
            (Transport::Udp, true) => t.udp6 += 1,
            (Transport::Tcp, false) => t.tcp4 += 1,
            (Transport::Tcp, true) => t.tcp6 += 1,
        }
        self.opcodes.add(h.opcode().0);
        if h.qr() {
            self.rcodes.add(rcode.0);
            if rcode == Rcode::NXDOMAIN {
                if let Some(q) = question {
                    self.nxdomain_names
                        .add_hashed(&q.question.name, q.name_hash);
                }
            } else if rcode == Rcode::NOERROR && h.ancount == 0 {
                self.no_data += 1;
            }
        } else if let Some(q) = question {
            self.qtypes.add(q.question.qtype.0);
            self.names.add_hashed(&q.question.name, q.name_hash);
        }
    }

    /// Counts one closed transaction.
    pub fn on_transaction(&mut self, t: &Transaction) {
        let s = &mut self.status;
        if t.status == Status::Duplicate {
            // A late second response, reported on its own once its transaction was
            // out (big captures): a duplicate, not a transaction.
            s.duplicate_responses += 1;
            return;
        }
        s.transactions += 1;
        match t.status {
            Status::Answered => s.answered += 1,
            Status::Unanswered if t.censored => s.censored += 1,
            Status::Unanswered => s.unanswered += 1,
            Status::Unsolicited => s.unsolicited += 1,
            Status::Announcement => s.announcements += 1,
            Status::Duplicate => {}
        }
        if !t.retransmissions.is_empty() {
            s.retransmitted += 1;
        }
        s.retransmissions += t.retransmissions.len() as u64;
        s.duplicate_responses += t.duplicates.len() as u64;
        s.question_mismatches += u64::from(t.question_mismatch);
        s.evicted += u64::from(t.evicted);

        let (server, client) = match (&t.query, &t.response) {
            (Some(q), _) => ((q.meta.dst, q.meta.dport), q.meta.src),
            // An announcement is sent to the group: its sender is the "server".
            (None, Some(r)) => ((r.meta.src, r.meta.sport), r.meta.dst),
            (None, None) => return,
        };
        self.servers.add(server);
        self.clients.add(client);

        let Some(rtt) = t.rtt_micros() else {
            return;
        };
        let rtt = u64::try_from(rtt).unwrap_or(0);
        let qtype = t.qtype.map_or(0, |q| q.0);
        let retransmitted = !t.retransmissions.is_empty();
        self.rtts
            .record(server, qtype, rtt, retransmitted, &mut self.exact_budget);
    }
}

/// `Rtype` mnemonic for a QTYPE key.
pub fn qtype_name(v: u16) -> String {
    Rtype(v).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_round_trip_and_cover_every_value() {
        let mut prev_end = 0;
        for idx in 0..3000 {
            let (lo, width) = Histogram::bucket(idx);
            assert_eq!(lo, prev_end, "bucket {idx} starts where the last ended");
            assert_eq!(Histogram::index(lo), idx);
            assert_eq!(Histogram::index(lo + width - 1), idx);
            prev_end = lo + width;
        }
        assert_eq!(Histogram::index(127), 127);
        assert_eq!(Histogram::index(128), 128);
        assert_eq!(Histogram::index(129), 128);
        assert_eq!(Histogram::index(130), 129);
        // The largest value still has a bucket.
        let (lo, _) = Histogram::bucket(Histogram::index(u64::MAX));
        assert!(lo > u64::MAX / 2);
    }

    /// Plenty for any test here.
    fn budget() -> ExactBudget {
        ExactBudget(1 << 20)
    }

    #[test]
    fn small_values_give_exact_percentiles() {
        let mut h = Histogram::default();
        let b = &mut budget();
        for v in 1..=100 {
            h.record(v, b);
        }
        assert_eq!(h.percentile(50.0), Some(50));
        assert_eq!(h.percentile(90.0), Some(90));
        assert_eq!(h.percentile(99.0), Some(99));
        assert_eq!(h.percentile(100.0), Some(100));
        assert_eq!(h.max(), Some(100));
        assert_eq!(h.min(), Some(1));
        assert_eq!(h.count(), 100);
        assert_eq!(Histogram::default().percentile(50.0), None);
    }

    /// A spread of values from 1 µs to 30 s, with repeats.
    fn spread() -> Vec<u64> {
        (0..20_000u64)
            .map(|i| 1 + (i * i * 7919 + i * 31) % 30_000_000)
            .chain((0..5_000).map(|i| 900 + i % 50))
            .collect()
    }

    /// ceil(p/100 × n) in integers: in floats, 99.9/100 × 25 000 is 24 975.000000000004.
    fn nearest_rank(sorted: &[u64], p: f64) -> u64 {
        let rank = ((p * 100.0).round() as usize * sorted.len()).div_ceil(10_000);
        sorted[rank.max(1) - 1]
    }

    #[test]
    fn percentiles_are_exact_within_the_budget() {
        let mut values = spread();
        let mut h = Histogram::default();
        let b = &mut budget();
        for &v in &values {
            h.record(v, b);
        }
        assert!(h.is_exact());
        values.sort_unstable();
        for p in [1.0, 10.0, 50.0, 90.0, 99.0, 99.9, 100.0] {
            assert_eq!(h.percentile(p), Some(nearest_rank(&values, p)), "p{p}");
        }
        let [p50, p99] = h.percentiles([50.0, 99.0]).unwrap();
        assert_eq!(p50, nearest_rank(&values, 50.0));
        assert_eq!(p99, nearest_rank(&values, 99.0));
        assert_eq!(h.max(), values.last().copied());
    }

    #[test]
    fn values_below_the_linear_limit_take_no_budget() {
        // Their buckets count them exactly already.
        let mut h = Histogram::default();
        let b = &mut ExactBudget(1);
        for v in (0..LINEAR_LIMIT).rev() {
            h.record(v, b);
            h.record(v, b);
        }
        assert_eq!(b.0, 1);
        h.record(5000, b);
        h.record(128, b);
        assert!(
            !h.is_exact(),
            "the second value past the limit is over the budget"
        );
        assert_eq!(b.0, 1, "units given back");
        let mut h = Histogram::default();
        let b = &mut ExactBudget(1);
        for v in [3, 3, 127, 128, 0] {
            h.record(v, b);
        }
        assert!(h.is_exact());
        assert_eq!(b.0, 0);
        assert_eq!(
            h.percentiles([20.0, 40.0, 60.0, 80.0, 100.0]),
            Some([0, 3, 3, 127, 128])
        );
    }

    #[test]
    fn ranks_are_computed_without_float_rounding() {
        // 0.29 × 100 is 28.999999999999996 in binary floating point: the rank is 29.
        let mut h = Histogram::default();
        let b = &mut budget();
        for v in 1..=100 {
            h.record(v, b);
        }
        assert_eq!(h.percentile(29.0), Some(29));
        assert_eq!(h.percentile(0.0), Some(1));
        assert_eq!(h.percentile(57.0), Some(57));
    }

    #[test]
    fn past_the_budget_percentiles_stay_within_one_percent() {
        let mut values = spread();
        let mut h = Histogram::default();
        let mut small = Histogram::default();
        let b = &mut ExactBudget(1000);
        small.record(700, b);
        for &v in &values {
            h.record(v, b);
        }
        // `h` ran out and gave its units back; `small` keeps its exact counts.
        assert!(!h.is_exact());
        assert_eq!(b.0, 999);
        small.record(800, b);
        assert!(small.is_exact());
        assert_eq!(small.percentile(100.0), Some(800));
        values.sort_unstable();
        for p in [1.0, 10.0, 50.0, 90.0, 99.0, 99.9, 100.0] {
            let exact = nearest_rank(&values, p);
            let got = h.percentile(p).unwrap();
            let err = (got as f64 - exact as f64).abs() / exact as f64;
            assert!(err <= 1.0 / 128.0, "p{p}: {got} vs {exact} ({err})");
        }
        assert_eq!(h.max(), values.last().copied());
        assert_eq!(h.count(), values.len() as u64);
    }

    /// Both views of RTTs recorded once each are what recording every RTT in
    /// its view(s) gives, group by group.
    #[test]
    fn latency_views_equal_recording_each_view_apart() {
        let mut rtts = Rtts::new(2);
        let mut budget = ExactBudget(1 << 20);
        let (mut all, mut clean) = (Histogram::default(), Histogram::default());
        let mut spare = ExactBudget(1 << 20);
        let servers = [
            (IpAddr::from([192, 0, 2, 1]), 53),
            (IpAddr::from([192, 0, 2, 2]), 53),
        ];
        let mut only_retried = Histogram::default();
        for i in 0..5000u64 {
            let micros = (i * 7919) % 40_000;
            let retried = i % 7 == 0;
            // Server 2 is only ever retried; a third server falls into `other`.
            let server = match i % 5 {
                0 => servers[1],
                4 if !retried => (IpAddr::from([192, 0, 2, 3]), 53),
                _ => servers[0],
            };
            let server = if server == servers[1] && !retried {
                servers[0]
            } else {
                server
            };
            if server == servers[1] {
                only_retried.record(micros, &mut spare);
            }
            rtts.record(server, 1, micros, retried, &mut budget);
            all.record(micros, &mut spare);
            if !retried {
                clean.record(micros, &mut spare);
            }
        }
        let same = |a: &Histogram, b: &Histogram| {
            assert_eq!(a.counts, b.counts);
            assert_eq!(a.exact, b.exact);
            assert_eq!(
                (a.total, a.min, a.max, a.sum),
                (b.total, b.min, b.max, b.sum)
            );
        };
        let included = rtts.view(true);
        let excluded = rtts.view(false);
        same(&included.overall, &all);
        same(&excluded.overall, &clean);
        same(&included.by_qtype.sorted()[0].1.clone(), &all);
        same(&excluded.by_qtype.sorted()[0].1.clone(), &clean);
        // The server with retried transactions only has no "excluded" group.
        let keys = |l: &Latency| {
            l.by_server
                .sorted()
                .iter()
                .map(|(k, _)| **k)
                .collect::<Vec<_>>()
        };
        assert!(keys(&included).contains(&servers[1]));
        assert!(!keys(&excluded).contains(&servers[1]));
        let retried_group = included
            .by_server
            .sorted()
            .into_iter()
            .find(|(k, _)| **k == servers[1]);
        same(retried_group.unwrap().1, &only_retried);
        assert!(included.by_server.other.count() > 0);
        assert!(included.is_exact() && excluded.is_exact());
        // Without exact counts on one side, the sum has none either.
        let mut dropped = Histogram::default();
        dropped.record(500, &mut ExactBudget(0));
        assert!(!dropped.is_exact());
        let merged = all.merged(&dropped);
        assert!(!merged.is_exact());
        assert_eq!(merged.count(), all.count() + 1);
        same(
            &Histogram::default().merged(&Histogram::default()),
            &Histogram::default(),
        );
    }

    #[test]
    fn log2_buckets_sum_to_the_count() {
        let mut h = Histogram::default();
        let budget = &mut budget();
        for v in [0, 1, 3, 200, 250, 5000, 5000] {
            h.record(v, budget);
        }
        let b = h.log2_buckets();
        assert_eq!(b.iter().map(|x| x.2).sum::<u64>(), 7);
        assert_eq!(b[0], (0, 1, 1));
        assert_eq!(b[1], (1, 2, 1));
        assert_eq!(b[2], (2, 4, 1));
        let last = b.last().unwrap();
        assert_eq!(*last, (4096, 8192, 2));
        assert!(b
            .iter()
            .any(|&(lo, hi, c)| lo == 128 && hi == 256 && c == 2));
    }

    #[test]
    fn tally_sums_keys_past_the_cap() {
        let mut t = Tally::new(2);
        for k in [1u16, 2, 3, 1, 4] {
            t.add(k);
        }
        assert_eq!(t.get(&1), 2);
        assert_eq!(t.get(&2), 1);
        assert_eq!(t.other(), 2);
        assert_eq!(t.total(), 5);
        assert_eq!(t.sorted(), vec![(1, 2), (2, 1)]);
    }

    #[test]
    fn runs_of_one_key_and_keys_past_the_cap_count_right() {
        // Runs (the remembered key), alternation, and a key past the cap that
        // comes right after a counted one and again later.
        let mut t = Tally::new(2);
        for k in [7u8, 7, 7, 9, 7, 9, 9, 5, 5, 7, 5] {
            t.add(k);
        }
        assert_eq!((t.get(&7), t.get(&9), t.get(&5)), (5, 3, 0));
        assert_eq!((t.other(), t.total(), t.distinct()), (3, 11, 2));
        let mut k: Keyed<u8, Vec<u8>> = Keyed::new(1);
        k.get_or_insert(1, Vec::new).unwrap().push(1);
        assert!(k.get_or_insert(2, Vec::new).is_none());
        k.get_or_insert(1, Vec::new).unwrap().push(2);
        assert_eq!(k.get(&1), Some(&vec![1, 2]));
        assert_eq!(k.get(&2), None);
    }

    fn meta() -> MessageMeta {
        MessageMeta {
            file: 0,
            frame: 1,
            ts: crate::capture::Timestamp::new(1_700_000_000, 0),
            src: IpAddr::from([192, 0, 2, 1]),
            dst: IpAddr::from([192, 0, 2, 53]),
            sport: 40000,
            dport: 53,
            transport: Transport::Udp,
            port_kind: crate::net::PortKind::Dns53,
            cut: false,
        }
    }

    #[test]
    fn message_tables_counted_apart_are_taken_back_whole() {
        let q = query(b"\x03www\x07example\x00");
        let msg = dns::Message::parse(&q).unwrap();
        let mut apart = Stats::default();
        apart.on_message(&meta(), &msg);
        apart.on_message(&meta(), &msg);
        let mut whole = Stats::default();
        whole.status.answered = 5; // counted on the other side: kept
        whole.take_message_tables(apart);
        whole.settle();
        assert_eq!(whole.qtypes.get(&1), 2);
        assert_eq!(whole.opcodes.get(&0), 2);
        assert_eq!(whole.transports.udp4, 2);
        assert_eq!(whole.names.total(), 2);
        assert_eq!(
            WireName(whole.names.top(1)[0].0).to_string(),
            "www.example."
        );
        assert_eq!(whole.status.answered, 5);
        assert_eq!(whole.config().name_cap, DEFAULT_NAME_CAP);
    }

    /// A message with one question for `name` (wire labels), for name tests.
    fn query(name: &[u8]) -> Vec<u8> {
        let mut m = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        m.extend_from_slice(name);
        m.extend_from_slice(&[0, 1, 0, 1]);
        m
    }

    fn add(c: &mut NameCounts, bytes: &[u8]) {
        let m = query(bytes);
        let msg = dns::Message::parse(&m).unwrap();
        let q = msg.first_question().unwrap().unwrap();
        c.add(&q.name);
    }

    #[test]
    fn names_are_counted_case_insensitively() {
        let mut c = NameCounts::new(10);
        add(&mut c, b"\x03WWW\x07Example\x00");
        add(&mut c, b"\x03www\x07example\x00");
        add(&mut c, b"\x04mail\x07example\x00");
        add(&mut c, b"\x00");
        c.settle();
        let top = c.top(10);
        assert_eq!(WireName(top[0].0).to_string(), "www.example.");
        assert_eq!(top[0].1, 2);
        assert_eq!(c.distinct(), 3);
        assert_eq!(c.total(), 4);
        assert_eq!(c.max_error(), 0);
        let names: Vec<String> = top.iter().map(|t| WireName(t.0).to_string()).collect();
        assert_eq!(
            names,
            ["www.example.", ".", "mail.example."].map(String::from)
        );
    }

    #[test]
    fn names_with_one_hash_are_still_counted_apart() {
        let mut c = NameCounts::new(10);
        let (a, b) = (query(b"\x01a\x00"), query(b"\x01B\x00"));
        let (a, b) = (
            dns::Message::parse(&a).unwrap(),
            dns::Message::parse(&b).unwrap(),
        );
        let (qa, qb) = (
            a.first_question().unwrap().unwrap(),
            b.first_question().unwrap().unwrap(),
        );
        for _ in 0..3 {
            c.add_hashed(&qa.name, 7);
        }
        c.add_hashed(&qb.name, 7);
        c.add_hashed(&qa.name, 7);
        c.settle();
        assert_eq!(c.distinct(), 2);
        assert_eq!(c.top(2), vec![(&b"\x01a"[..], 4), (&b"\x01b"[..], 1)]);
        // A pruning keeps the chain: "b" goes, "a" is still found.
        let mut c2 = NameCounts::new(2);
        c2.add_hashed(&qa.name, 7);
        c2.add_hashed(&qa.name, 7);
        c2.add_hashed(&qb.name, 7);
        add(&mut c2, b"\x01z\x00"); // full: prune to 1 ("a"), then insert "z"
        c2.add_hashed(&qa.name, 7);
        c2.settle();
        assert_eq!(c2.top(1), vec![(&b"\x01a"[..], 3)]);
    }

    #[test]
    fn short_and_long_names_are_counted_alike() {
        // One label filling the slot's key (held in the slot), and one byte
        // longer (held apart).
        let n = NameKey::SHORT;
        let wire = |len: usize, upper: bool| {
            let mut w = vec![(len - 1) as u8];
            w.extend((0..len - 1).map(|i| {
                let b = b'a' + (i % 26) as u8;
                if upper {
                    b.to_ascii_uppercase()
                } else {
                    b
                }
            }));
            w.push(0);
            w
        };
        let (short, long) = (wire(n, false), wire(n + 1, false));
        assert!(matches!(NameKey::new(&short[..n]), NameKey::Short(l, _) if usize::from(l) == n));
        assert!(matches!(NameKey::new(&long[..n + 1]), NameKey::Long(_)));
        assert_eq!(size_of::<NameSlot>(), 64, "a slot is one cache line");
        let mut c = NameCounts::new(10);
        for _ in 0..3 {
            add(&mut c, &short);
            add(&mut c, &long);
        }
        add(&mut c, &wire(n, true));
        c.settle();
        assert_eq!(c.distinct(), 2);
        let top = c.top(2);
        assert_eq!(top[0], (&short[..n], 4));
        assert_eq!(top[1], (&long[..n + 1], 3));
    }

    #[test]
    fn odd_bytes_are_escaped_in_names() {
        assert_eq!(WireName(b"\x03a.b\x02\x01z").to_string(), "a\\.b.\\001z.");
        assert_eq!(WireName(b"").to_string(), ".");
    }

    /// The table's documented rules, kept simple: a list in the order names
    /// were first counted, searched one by one.
    struct NameModel {
        entries: Vec<(Vec<u8>, u64)>,
        cap: usize,
        max_error: u64,
        prunings: u64,
    }

    impl NameModel {
        fn add(&mut self, lower: &[u8]) {
            if let Some(e) = self.entries.iter_mut().find(|e| e.0 == lower) {
                e.1 += 1;
                return;
            }
            if self.entries.len() >= self.cap {
                let keep = self.cap / 2;
                let drop = self.entries.len() - keep;
                let mut counts: Vec<u64> = self.entries.iter().map(|e| e.1).collect();
                counts.sort_unstable();
                let threshold = counts[drop - 1];
                let mut tied_to_drop = drop - counts.iter().filter(|&&c| c < threshold).count();
                self.entries.retain(|e| {
                    let tied = e.1 == threshold && tied_to_drop > 0;
                    tied_to_drop -= usize::from(tied);
                    e.1 > threshold || (e.1 == threshold && !tied)
                });
                self.max_error = self.max_error.max(threshold);
                self.prunings += 1;
            }
            self.entries.push((lower.to_vec(), 1));
        }
    }

    /// Counts, the names kept, the error bound and the prunings, against the
    /// model, over a long run of names with few slots: tables that grow, prune
    /// with ties, and names whose hashes collide (probe runs).
    #[test]
    fn the_name_table_keeps_what_its_rules_keep() {
        for (cap, colliding) in [(8, false), (8, true), (5, true), (64, false)] {
            let mut table = NameCounts::new(cap);
            let mut model = NameModel {
                entries: Vec::new(),
                cap,
                max_error: 0,
                prunings: 0,
            };
            let mut x = 0x2545_f491_4f6c_dd1d_u64;
            for step in 0..3000 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                // Skewed: a few names come often, many rarely.
                let n = (x % 97) * (x >> 32) % 40;
                let label = format!("n{n}");
                let mut wire = vec![label.len() as u8];
                wire.extend_from_slice(label.as_bytes());
                wire.push(0);
                let m = query(&wire);
                let msg = dns::Message::parse(&m).unwrap();
                let q = msg.first_question().unwrap().unwrap();
                if colliding {
                    table.add_hashed(&q.name, n % 3);
                } else {
                    table.add(&q.name);
                }
                model.add(&wire[..wire.len() - 1]);
                // Compared at steps that fall anywhere in the lookup groups.
                if step % 7 != 0 && step != 2999 {
                    continue;
                }
                table.settle();
                let mut got: Vec<(Vec<u8>, u64)> = table
                    .top(usize::MAX)
                    .into_iter()
                    .map(|(k, c)| (k.to_vec(), c))
                    .collect();
                let mut want = model.entries.clone();
                got.sort();
                want.sort();
                assert_eq!(got, want, "cap {cap}, step {step}");
                assert_eq!(table.distinct(), want.len());
                assert_eq!(table.total(), step + 1);
                assert_eq!(table.max_error(), model.max_error);
                assert_eq!(table.prunings(), model.prunings);
            }
            assert!(model.prunings > 0 || cap == 64, "cap {cap}: the run prunes");
        }
    }

    #[test]
    fn a_full_name_table_drops_its_smallest_half() {
        let mut c = NameCounts::new(4);
        for _ in 0..5 {
            add(&mut c, b"\x03top\x00");
        }
        add(&mut c, b"\x01a\x00");
        add(&mut c, b"\x01b\x00");
        add(&mut c, b"\x01c\x00");
        c.settle();
        assert_eq!(c.max_error(), 0);
        add(&mut c, b"\x01d\x00"); // full: prune to 2, then insert d
        c.settle();
        assert_eq!(c.prunings(), 1);
        assert_eq!(c.max_error(), 1);
        assert_eq!(c.distinct(), 3);
        // Of a, b and c (tied at 1), the first counted went.
        let kept: Vec<String> = c.top(3).iter().map(|t| WireName(t.0).to_string()).collect();
        assert_eq!(kept, ["top.", "c.", "d."].map(String::from));
        assert_eq!(WireName(c.top(1)[0].0).to_string(), "top.");
        assert_eq!(c.top(1)[0].1, 5);
        assert_eq!(c.total(), 9);
    }
}
