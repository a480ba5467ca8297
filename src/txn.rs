//! Pairing queries with responses into transactions.
//!
//! Key: transport, client address and port, server address and port, DNS ID; then
//! the question (name compared case-insensitively, type, class) must match too. No
//! other tool in the field checks the question; we still pair a response whose ID
//! matches but whose question does not, and flag it (`question_mismatch`).
//!
//! Time is capture time, never the wall clock. A transaction stays open for
//! `timeout` after its latest attempt: identical queries inside that window are
//! retransmissions of one transaction (a lab client's 3 tries, 5 s apart, stay one
//! transaction with the default 10 s window); a response inside it answers; after
//! it the query is unanswered. An answered transaction lingers for the same window
//! so that a second response is recorded as a duplicate rather than unsolicited.
//!
//! Transactions come out in the order of their first message, each as soon as
//! nothing earlier is still open, so memory is bounded by the transactions open in
//! one window of capture time (and by `max_open`), not by the file's size.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::net::IpAddr;

use crate::capture::Timestamp;
use crate::dns;
use crate::meta::{MessageMeta, StoredMessage};
use crate::net::Transport;

/// Default window, in seconds, for retransmissions and answers.
pub const DEFAULT_TIMEOUT_SECS: f64 = 10.0;
/// Default cap on transactions held open at once.
pub const DEFAULT_MAX_OPEN: usize = 1_000_000;
/// Default cap on the bytes held by open transactions (stored messages and
/// attempt lists, with a fixed overhead per transaction).
pub const DEFAULT_MAX_OPEN_BYTES: usize = 16 << 20;
/// Retransmissions, duplicates and ICMP errors listed per transaction; more
/// are counted (`Counts`) but not listed.
pub const MAX_ATTEMPTS_LISTED: usize = 1000;
/// Open transactions with one pairing key (client, ports, server, ID) that a
/// lookup walks, newest first. Real clients have one or two; a capture that
/// piles up more (same ID and ports, different questions) would otherwise make
/// every lookup walk them all, quadratic time.
pub const MAX_SAME_KEY_WALK: usize = 64;
/// What one open transaction costs besides its message bytes (the slot, the
/// map entry), for the byte budget.
const SLOT_OVERHEAD: usize = 512;
/// What one listed attempt costs.
const ATTEMPT_COST: usize = size_of::<Attempt>();

#[derive(Clone, Copy, Debug)]
pub struct Config {
    /// The window, in microseconds of capture time.
    pub timeout_micros: i64,
    /// Beyond this many open transactions the oldest is closed early (`evicted`).
    pub max_open: usize,
    /// Beyond this many bytes held by open transactions the oldest is closed
    /// early (`evicted`).
    pub max_open_bytes: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            timeout_micros: (DEFAULT_TIMEOUT_SECS * 1e6) as i64,
            max_open: DEFAULT_MAX_OPEN,
            max_open_bytes: DEFAULT_MAX_OPEN_BYTES,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    Answered,
    Unanswered,
    Unsolicited,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Answered => "answered",
            Self::Unanswered => "unanswered",
            Self::Unsolicited => "unsolicited",
        }
    }
}

/// A further copy of a message seen in a transaction: a retransmitted query or a
/// duplicate response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attempt {
    pub frame: u64,
    pub ts: Timestamp,
}

/// An ICMP error (port unreachable, ...) that quoted the query: the query was
/// refused on its way, and this is why no response came.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IcmpNote {
    pub frame: u64,
    pub ts: Timestamp,
    /// Who sent the ICMP error.
    pub reporter: IpAddr,
    /// "port unreachable", "host unreachable", ...
    pub kind: &'static str,
}

#[derive(Clone, Debug)]
pub struct Transaction {
    /// The first query (None for an unsolicited response).
    pub query: Option<StoredMessage>,
    /// The first response that answered it.
    pub response: Option<StoredMessage>,
    pub status: Status,
    /// Later copies of the query, in capture order.
    pub retransmissions: Vec<Attempt>,
    /// Later responses to the same question.
    pub duplicates: Vec<Attempt>,
    /// ICMP errors that quoted the query.
    pub icmp_errors: Vec<IcmpNote>,
    /// The response's ID matched, but its question did not.
    pub question_mismatch: bool,
    /// Closed early because `max_open` transactions were open.
    pub evicted: bool,
    /// Still open when the capture ended, younger than the window: the answer may
    /// simply not have been captured.
    pub censored: bool,
}

impl Transaction {
    /// Round-trip time from the first query to the response, in microseconds.
    pub fn rtt_micros(&self) -> Option<i64> {
        match (&self.query, &self.response) {
            (Some(q), Some(r)) => Some(r.meta.ts.micros_since(&q.meta.ts)),
            _ => None,
        }
    }

    /// The message that represents the transaction: its query, or the response.
    pub fn first(&self) -> Option<&StoredMessage> {
        self.query.as_ref().or(self.response.as_ref())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Key {
    transport: Transport,
    client: IpAddr,
    client_port: u16,
    server: IpAddr,
    server_port: u16,
    id: u16,
}

/// The question of a message, reduced to something cheap to compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct QuestionKey {
    name_hash: u64,
    qtype: u16,
    qclass: u16,
}

fn question_key(msg: &dns::Message<'_>) -> Option<QuestionKey> {
    let q = msg.first_question()?.ok()?;
    let mut h = DefaultHasher::new();
    q.name.hash_lowercase(&mut h);
    Some(QuestionKey {
        name_hash: h.finish(),
        qtype: q.qtype.0,
        qclass: q.qclass.0,
    })
}

struct Slot {
    key: Key,
    question: Option<QuestionKey>,
    txn: Transaction,
    /// Time of the latest query attempt (or of the unsolicited response).
    last_query: Timestamp,
    answered_at: Option<Timestamp>,
    /// The previous slot with the same key, by sequence number.
    prev_same_key: Option<u64>,
}

/// Counts kept by the pairer, for the summary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub transactions: u64,
    pub answered: u64,
    pub unanswered: u64,
    pub unsolicited: u64,
    pub retransmissions: u64,
    pub duplicates: u64,
    pub question_mismatches: u64,
    pub evicted: u64,
}

pub struct Pairer {
    cfg: Config,
    /// Boxed: a `VecDeque` keeps up to twice its length in capacity, and a
    /// slot is some 400 bytes; boxed, the spare capacity costs 8 bytes a slot
    /// and every slot's memory is counted in `held_bytes` (issue 7).
    slots: VecDeque<Box<Slot>>,
    /// Sequence number of `slots[0]`.
    base: u64,
    /// Newest slot for each key; older ones chain through `prev_same_key`.
    newest: HashMap<Key, u64>,
    /// Capture time only moves forward, even when frames are out of order.
    now: Timestamp,
    counts: Counts,
    /// Bytes held by the open transactions, as `Config::max_open_bytes` counts them.
    held_bytes: usize,
}

impl Pairer {
    pub fn new(cfg: Config) -> Self {
        Self {
            cfg,
            slots: VecDeque::new(),
            base: 0,
            newest: HashMap::new(),
            now: Timestamp::default(),
            counts: Counts::default(),
            held_bytes: 0,
        }
    }

    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// Transactions currently open.
    pub fn open(&self) -> usize {
        self.slots.len()
    }

    /// Bytes held by the open transactions (see `Config::max_open_bytes`).
    pub fn held_bytes(&self) -> usize {
        self.held_bytes
    }

    /// Feeds one message; completed transactions are passed to `out` in order.
    pub fn on_message(
        &mut self,
        meta: MessageMeta,
        msg: &dns::Message<'_>,
        out: &mut dyn FnMut(Transaction),
    ) {
        if meta.ts > self.now {
            self.now = meta.ts;
        }
        let header = msg.header();
        let question = question_key(msg);
        let is_response = header.qr();
        let key = if is_response {
            Key {
                transport: meta.transport,
                client: meta.dst,
                client_port: meta.dport,
                server: meta.src,
                server_port: meta.sport,
                id: header.id,
            }
        } else {
            Key {
                transport: meta.transport,
                client: meta.src,
                client_port: meta.sport,
                server: meta.dst,
                server_port: meta.dport,
                id: header.id,
            }
        };
        if is_response {
            self.on_response(key, question, meta, msg.as_bytes());
        } else {
            self.on_query(key, question, meta, msg.as_bytes());
        }
        self.emit_closed(out);
    }

    /// An ICMP error quoting a UDP DNS query from `client` to `server` whose
    /// first bytes are `quoted` (the ID, at least). Returns false when no open
    /// query matches.
    pub fn on_icmp_error(
        &mut self,
        note: IcmpNote,
        client: (IpAddr, u16),
        server: (IpAddr, u16),
        quoted: &[u8],
    ) -> bool {
        if note.ts > self.now {
            self.now = note.ts;
        }
        let Some(id) = quoted.get(..2).map(|b| u16::from_be_bytes([b[0], b[1]])) else {
            return false;
        };
        let key = Key {
            transport: Transport::Udp,
            client: client.0,
            client_port: client.1,
            server: server.0,
            server_port: server.1,
            id,
        };
        let open = self.find(&key, |s| {
            s.txn.query.is_some() && s.txn.status == Status::Unanswered
        });
        match open.and_then(|seq| self.slot_mut(seq)) {
            Some(slot) => {
                if slot.txn.icmp_errors.len() < MAX_ATTEMPTS_LISTED {
                    slot.txn.icmp_errors.push(note);
                    self.held_bytes += size_of::<IcmpNote>();
                }
                true
            }
            None => false,
        }
    }

    /// Ends the capture: every transaction still open is emitted.
    pub fn finish(&mut self, out: &mut dyn FnMut(Transaction)) {
        while let Some(slot) = self.slots.pop_front().map(|b| *b) {
            let seq = self.base;
            self.base += 1;
            let censored = slot.txn.status == Status::Unanswered
                && slot.txn.icmp_errors.is_empty()
                && self.now.micros_since(&slot.last_query) < self.cfg.timeout_micros;
            self.emit(seq, slot, censored, false, out);
        }
        self.newest.clear();
    }

    fn slot(&self, seq: u64) -> Option<&Slot> {
        let idx = seq.checked_sub(self.base)?;
        self.slots.get(usize::try_from(idx).ok()?).map(|b| &**b)
    }

    fn slot_mut(&mut self, seq: u64) -> Option<&mut Slot> {
        let idx = seq.checked_sub(self.base)?;
        self.slots
            .get_mut(usize::try_from(idx).ok()?)
            .map(|b| &mut **b)
    }

    /// The newest slot with `key` that satisfies `pred` (walks the key's chain
    /// without allocating; chains are almost always one slot long).
    fn find(&self, key: &Key, pred: impl Fn(&Slot) -> bool) -> Option<u64> {
        let mut next = self.newest.get(key).copied();
        let mut walked = 0;
        while let Some(seq) = next {
            walked += 1;
            if walked > MAX_SAME_KEY_WALK {
                return None;
            }
            let slot = self.slot(seq)?;
            if pred(slot) {
                return Some(seq);
            }
            next = slot.prev_same_key;
        }
        None
    }

    fn within_window(&self, since: Timestamp) -> bool {
        self.now.micros_since(&since) <= self.cfg.timeout_micros
    }

    fn on_query(
        &mut self,
        key: Key,
        question: Option<QuestionKey>,
        meta: MessageMeta,
        bytes: &[u8],
    ) {
        let retransmission_of = self.find(&key, |s| {
            s.txn.status == Status::Unanswered
                && s.txn.query.is_some()
                && s.question == question
                && self.within_window(s.last_query)
        });
        if let Some(seq) = retransmission_of {
            let now = self.now;
            let mut added = 0;
            if let Some(slot) = self.slot_mut(seq) {
                if slot.txn.retransmissions.len() < MAX_ATTEMPTS_LISTED {
                    slot.txn.retransmissions.push(Attempt {
                        frame: meta.frame,
                        ts: meta.ts,
                    });
                    added = ATTEMPT_COST;
                }
                slot.last_query = now.max(meta.ts);
            }
            self.held_bytes += added;
            self.counts.retransmissions += 1;
            return;
        }
        self.push(
            key,
            question,
            meta.ts,
            Transaction {
                query: Some(StoredMessage {
                    meta,
                    bytes: bytes.to_vec(),
                }),
                response: None,
                status: Status::Unanswered,
                retransmissions: Vec::new(),
                duplicates: Vec::new(),
                icmp_errors: Vec::new(),
                question_mismatch: false,
                evicted: false,
                censored: false,
            },
        );
    }

    fn on_response(
        &mut self,
        key: Key,
        question: Option<QuestionKey>,
        meta: MessageMeta,
        bytes: &[u8],
    ) {
        let waiting = |s: &Slot| {
            s.txn.status == Status::Unanswered
                && s.txn.query.is_some()
                && self.within_window(s.last_query)
        };
        // Best: an open query with the same question; next: an open query with
        // the same ID but another question (flagged); then a duplicate answer.
        let answers = self
            .find(&key, |s| waiting(s) && s.question == question)
            .or_else(|| self.find(&key, waiting));
        if let Some(seq) = answers {
            let now = self.now;
            if let Some(slot) = self.slot_mut(seq) {
                let mismatch = slot.question != question;
                slot.txn.question_mismatch = mismatch;
                slot.txn.status = Status::Answered;
                slot.txn.response = Some(StoredMessage {
                    meta,
                    bytes: bytes.to_vec(),
                });
                slot.answered_at = Some(now.max(meta.ts));
                if mismatch {
                    self.counts.question_mismatches += 1;
                }
                self.held_bytes += bytes.len();
            }
            return;
        }
        let duplicate_of = self.find(&key, |s| {
            s.txn.status == Status::Answered
                && s.question == question
                && s.answered_at.is_some_and(|t| self.within_window(t))
        });
        if let Some(seq) = duplicate_of {
            let mut added = 0;
            if let Some(slot) = self.slot_mut(seq) {
                if slot.txn.duplicates.len() < MAX_ATTEMPTS_LISTED {
                    slot.txn.duplicates.push(Attempt {
                        frame: meta.frame,
                        ts: meta.ts,
                    });
                    added = ATTEMPT_COST;
                }
            }
            self.held_bytes += added;
            self.counts.duplicates += 1;
            return;
        }
        self.push(
            key,
            question,
            meta.ts,
            Transaction {
                query: None,
                response: Some(StoredMessage {
                    meta,
                    bytes: bytes.to_vec(),
                }),
                status: Status::Unsolicited,
                retransmissions: Vec::new(),
                duplicates: Vec::new(),
                icmp_errors: Vec::new(),
                question_mismatch: false,
                evicted: false,
                censored: false,
            },
        );
    }

    fn push(&mut self, key: Key, question: Option<QuestionKey>, ts: Timestamp, txn: Transaction) {
        self.held_bytes += cost(&txn);
        let seq = self.base + self.slots.len() as u64;
        let prev_same_key = self.newest.insert(key, seq);
        self.slots.push_back(Box::new(Slot {
            key,
            question,
            txn,
            last_query: ts.max(self.now),
            answered_at: None,
            prev_same_key,
        }));
    }

    fn is_closed(&self, slot: &Slot) -> bool {
        match slot.txn.status {
            Status::Unsolicited => true,
            Status::Answered => slot.answered_at.is_none_or(|t| !self.within_window(t)),
            Status::Unanswered => !self.within_window(slot.last_query),
        }
    }

    fn emit_closed(&mut self, out: &mut dyn FnMut(Transaction)) {
        while let Some(front) = self.slots.front() {
            let over_cap =
                self.slots.len() > self.cfg.max_open || self.held_bytes > self.cfg.max_open_bytes;
            if !over_cap && !self.is_closed(front) {
                break;
            }
            let Some(slot) = self.slots.pop_front().map(|b| *b) else {
                break;
            };
            let seq = self.base;
            self.base += 1;
            let evicted = over_cap && !self.is_closed(&slot);
            self.emit(seq, slot, false, evicted, out);
        }
    }

    fn emit(
        &mut self,
        seq: u64,
        slot: Slot,
        censored: bool,
        evicted: bool,
        out: &mut dyn FnMut(Transaction),
    ) {
        if self.newest.get(&slot.key) == Some(&seq) {
            self.newest.remove(&slot.key);
        }
        let mut txn = slot.txn;
        self.held_bytes = self.held_bytes.saturating_sub(cost(&txn));
        txn.censored = censored;
        txn.evicted = evicted;
        self.counts.transactions += 1;
        match txn.status {
            Status::Answered => self.counts.answered += 1,
            Status::Unanswered => self.counts.unanswered += 1,
            Status::Unsolicited => self.counts.unsolicited += 1,
        }
        if evicted {
            self.counts.evicted += 1;
        }
        out(txn);
    }
}

/// What an open transaction costs against `Config::max_open_bytes`.
fn cost(txn: &Transaction) -> usize {
    SLOT_OVERHEAD
        + txn.query.as_ref().map_or(0, |m| m.bytes.len())
        + txn.response.as_ref().map_or(0, |m| m.bytes.len())
        + (txn.retransmissions.len() + txn.duplicates.len()) * ATTEMPT_COST
        + txn.icmp_errors.len() * size_of::<IcmpNote>()
}
