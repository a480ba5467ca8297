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
//! Multicast DNS (port 5353, RFC 6762) pairs by question, not by ID: IDs are
//! zero (§18.1) and any host on the link may answer, to the group or to the
//! querier (§6), without repeating the question. A response answers an open query
//! of the same IP version when one of its records answers one of the query's
//! questions; the top bit of QCLASS (QU, §5.4) and of CLASS (cache flush,
//! §10.2) is not part of the class. An mDNS response that answers no captured
//! query is an `Announcement` (§8.3 announcements, §10.1 goodbyes), normal in
//! mDNS, not `Unsolicited`. LLMNR (port 5355, RFC 4795 §2) sends queries to a
//! group and the responder answers from its own unicast address: the server's
//! address is not part of the key, the ID is.
//!
//! Transactions come out in the order of their first message, each as soon as
//! nothing earlier is still open, so memory is bounded by the transactions open in
//! one window of capture time (and by `max_open`), not by the file's size.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::hash::{BuildHasher, Hash, Hasher};
use std::net::IpAddr;

use crate::capture::Timestamp;
use crate::dns;
use crate::hash::FastState;
use crate::meta::{MessageMeta, StoredMessage};
use crate::net::{PortKind, Transport};

/// Default window, in seconds, for retransmissions and answers.
pub const DEFAULT_TIMEOUT_SECS: f64 = 10.0;
/// Default cap on transactions held open at once.
pub const DEFAULT_MAX_OPEN: usize = 1_000_000;
/// Default cap on the bytes held by open transactions (stored messages, attempt
/// lists, and a fixed cost per transaction): with the other bounds, a run stays
/// under 100 MB (docs/robustness.md).
pub const DEFAULT_MAX_OPEN_BYTES: usize = 16 << 20;
/// Retransmissions, duplicates and ICMP errors listed per transaction; more
/// are counted (`Counts`) but not listed.
pub const MAX_ATTEMPTS_LISTED: usize = 1000;
/// Open transactions with one pairing key (client, ports, server, ID) that a
/// lookup walks, newest first. Real clients have one or two; a capture that
/// piles up more (same ID and ports, different questions) would otherwise make
/// every lookup walk them all: quadratic time (issue 7).
pub const MAX_SAME_KEY_WALK: usize = 64;
/// What one open transaction costs besides its message bytes (the boxed slot,
/// its queue and map entries), for the byte budget.
const SLOT_OVERHEAD: usize = 512;
/// What one listed attempt costs.
const ATTEMPT_COST: usize = size_of::<Attempt>();
/// Default number of transactions held back to keep the output in order.
pub const DEFAULT_MAX_IN_ORDER: usize = 10_000;
/// How long, in capture time, a reported answer is remembered compactly so that
/// a late second response is still known as a duplicate.
const TOMBSTONE_MICROS: i64 = 2_000_000;
/// Written slots, and message buffers, kept for reuse.
const MAX_SPARE: usize = 64;
/// Questions of an mDNS query, and records of an mDNS response, kept for
/// pairing by question (the rest are ignored: queries with more are rare).
const MDNS_MAX_KEYS: usize = 64;

#[derive(Clone, Copy, Debug)]
pub struct Config {
    /// The window, in microseconds of capture time.
    pub timeout_micros: i64,
    /// Beyond this many open transactions the oldest is closed early (`evicted`).
    pub max_open: usize,
    /// Beyond this many bytes held by open transactions the oldest is closed
    /// early (`evicted`).
    pub max_open_bytes: usize,
    /// Output is in order of each transaction's first message; when more than
    /// this many finished transactions wait behind one still open, they are
    /// written anyway and the open one later (memory stays bounded on big
    /// captures; small ones keep their order).
    pub max_in_order: usize,
    /// Keep no message bytes at all, only each message's context (`MessageMeta`):
    /// for consumers that read nothing else (`stats`), whose open transactions
    /// then cost a fraction of the memory. Pairing is unchanged: it compares
    /// questions by a hash kept apart from the bytes.
    pub meta_only: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            timeout_micros: (DEFAULT_TIMEOUT_SECS * 1e6) as i64,
            max_open: DEFAULT_MAX_OPEN,
            max_open_bytes: DEFAULT_MAX_OPEN_BYTES,
            max_in_order: DEFAULT_MAX_IN_ORDER,
            meta_only: false,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    Answered,
    Unanswered,
    Unsolicited,
    /// A multicast DNS response that answers no captured query: an
    /// announcement, a goodbye or a cache update (RFC 6762 §8.3, §10.1).
    Announcement,
    /// A further response to a query whose transaction was already written
    /// out (only on big captures, where output order is relaxed to bound
    /// memory; otherwise duplicates are listed in their transaction).
    Duplicate,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Answered => "answered",
            Self::Unanswered => "unanswered",
            Self::Unsolicited => "unsolicited",
            Self::Announcement => "announcement",
            Self::Duplicate => "duplicate",
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
    /// QTYPE of the first question of [`Transaction::first`], as the pairer read
    /// it (None when that message has no question that parses): aggregates need
    /// not parse the message again.
    pub qtype: Option<dns::Rtype>,
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Key {
    transport: Transport,
    client: IpAddr,
    client_port: u16,
    server: IpAddr,
    server_port: u16,
    id: u16,
}

// Two or five 8-byte words instead of the dozen small writes the derived
// `Hash` makes (each address's variant, length and bytes apart): the key is
// hashed two to four times per transaction. Equal keys write equal words.
impl Hash for Key {
    fn hash<H: Hasher>(&self, h: &mut H) {
        let rest = u64::from(self.client_port) << 48
            | u64::from(self.server_port) << 32
            | u64::from(self.id) << 16
            | (self.transport as u64) << 8;
        match (self.client, self.server) {
            (IpAddr::V4(c), IpAddr::V4(s)) => {
                h.write_u64(u64::from(c.to_bits()) << 32 | u64::from(s.to_bits()));
                h.write_u64(rest | 4);
            }
            (c, s) => {
                for a in [c, s] {
                    let bits = match a {
                        IpAddr::V4(a) => a.to_ipv6_mapped().to_bits(),
                        IpAddr::V6(a) => a.to_bits(),
                    };
                    h.write_u64((bits >> 64) as u64);
                    h.write_u64(bits as u64);
                }
                h.write_u64(rest | u64::from(c.is_ipv4()) << 1 | u64::from(s.is_ipv4()));
            }
        }
    }
}

/// The question of a message, reduced to something cheap to compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct QuestionKey {
    name_hash: u64,
    qtype: u16,
    qclass: u16,
}

/// The hash by which the pairer compares question names (ASCII case-insensitive),
/// and by which `stats` looks them up in its name tables. Seeded per process
/// (`crate::hash`): a capture cannot be made of names that collide on purpose.
pub fn name_hash(name: &dns::Name<'_>) -> u64 {
    let mut h = name_hasher();
    name.hash_lowercase(&mut h);
    h.finish()
}

/// [`name_hash`] of a name without pointers, from its labels as they are on
/// the wire (each behind its length byte, without the root byte).
pub fn run_hash(run: &[u8]) -> u64 {
    let mut h = name_hasher();
    dns::name::hash_lowercase_run(&mut h, run);
    h.finish()
}

fn name_hasher() -> crate::hash::FastHasher {
    static STATE: std::sync::OnceLock<FastState> = std::sync::OnceLock::new();
    STATE.get_or_init(FastState::default).build_hasher()
}

/// A message's first question as a walk over it found it: the question, the
/// offset just after it, and [`name_hash`] of its name.
#[derive(Clone, Copy, Debug)]
pub struct FirstQuestion<'a> {
    pub question: dns::Question<'a>,
    pub end: usize,
    pub name_hash: u64,
}

impl<'a> FirstQuestion<'a> {
    /// The first question of `msg`, if its first entry is a question that parses.
    pub fn of(msg: &dns::Message<'a>) -> Option<Self> {
        let mut entries = msg.entries();
        match entries.next() {
            Some(Ok(dns::Entry::Question(question))) => Some(Self {
                question,
                end: entries.offset(),
                name_hash: name_hash(&question.name),
            }),
            _ => None,
        }
    }
}

impl QuestionKey {
    fn new(name: &dns::Name<'_>, qtype: dns::Rtype, qclass: u16) -> Self {
        Self::hashed(name_hash(name), qtype, qclass)
    }

    fn hashed(name_hash: u64, qtype: dns::Rtype, qclass: u16) -> Self {
        Self {
            name_hash,
            qtype: qtype.0,
            qclass,
        }
    }

    /// Whether a record with this key answers the question `q` (QTYPE and
    /// QCLASS ANY match everything, RFC 1035 §3.2.3, §3.2.5).
    fn answers(&self, q: &Self) -> bool {
        self.name_hash == q.name_hash
            && (self.qtype == q.qtype || q.qtype == 255)
            && (self.qclass == q.qclass || q.qclass == 255)
    }
}

/// The top bit of an mDNS QCLASS (unicast response) or CLASS (cache flush).
const MDNS_CLASS_BIT: u16 = 0x8000;

fn question_key(first: &FirstQuestion<'_>, mdns: bool) -> QuestionKey {
    let q = &first.question;
    let class = if mdns {
        q.qclass.0 & !MDNS_CLASS_BIT
    } else {
        q.qclass.0
    };
    QuestionKey::hashed(first.name_hash, q.qtype, class)
}

/// For mDNS: the questions of a query, or what a response answers (its
/// answer records, and its questions when a legacy unicast response repeats
/// them, RFC 6762 §6.7).
fn mdns_keys(msg: &dns::Message<'_>) -> Vec<QuestionKey> {
    let mut keys = Vec::new();
    for entry in msg.entries() {
        if keys.len() >= MDNS_MAX_KEYS {
            break;
        }
        match entry {
            Ok(dns::Entry::Question(q)) => keys.push(QuestionKey::new(
                &q.name,
                q.qtype,
                q.qclass.0 & !MDNS_CLASS_BIT,
            )),
            Ok(dns::Entry::Record(dns::Section::Answer, r)) if msg.header().qr() => keys.push(
                QuestionKey::new(&r.name, r.rtype, r.class.0 & !MDNS_CLASS_BIT),
            ),
            Ok(_) => {}
            Err(_) => break,
        }
    }
    keys
}

/// The unspecified address of `addr`'s IP version: the wildcard in keys.
fn unspecified(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V4(_) => IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
        IpAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
    }
}

/// The pairing key of a message: who asked whom, with which ID; see the
/// module docs for mDNS and LLMNR.
fn key_of(meta: &MessageMeta, id: u16, is_response: bool) -> Key {
    let (client, client_port, server, server_port) = if is_response {
        (meta.dst, meta.dport, meta.src, meta.sport)
    } else {
        (meta.src, meta.sport, meta.dst, meta.dport)
    };
    let any = unspecified(meta.src);
    match meta.port_kind {
        PortKind::Mdns => Key {
            transport: meta.transport,
            client: any,
            client_port: 0,
            server: any,
            server_port: 0,
            id: 0,
        },
        PortKind::Llmnr => Key {
            transport: meta.transport,
            client,
            client_port,
            server: any,
            server_port: 0,
            id,
        },
        _ => Key {
            transport: meta.transport,
            client,
            client_port,
            server,
            server_port,
            id,
        },
    }
}

struct Slot {
    key: Key,
    question: Option<QuestionKey>,
    /// mDNS only: every question of the query, or what the response answers.
    mdns: Vec<QuestionKey>,
    txn: Transaction,
    /// Time of the latest query attempt (or of the unsolicited response).
    last_query: Timestamp,
    answered_at: Option<Timestamp>,
    /// The previous slot with the same key, by sequence number.
    prev_same_key: Option<u64>,
}

impl Slot {
    fn empty() -> Self {
        let any = IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED);
        Self {
            key: Key {
                transport: Transport::Udp,
                client: any,
                client_port: 0,
                server: any,
                server_port: 0,
                id: 0,
            },
            question: None,
            mdns: Vec::new(),
            txn: Transaction {
                query: None,
                response: None,
                status: Status::Unanswered,
                retransmissions: Vec::new(),
                duplicates: Vec::new(),
                icmp_errors: Vec::new(),
                question_mismatch: false,
                evicted: false,
                censored: false,
                qtype: None,
            },
            last_query: Timestamp::default(),
            answered_at: None,
            prev_same_key: None,
        }
    }
}

/// Sets `dst` to a copy of the message (in the buffer `dst` holds, if any; an
/// empty copy allocates nothing).
fn store(dst: &mut Option<StoredMessage>, meta: MessageMeta, bytes: &[u8]) {
    match dst {
        Some(m) => {
            m.meta = meta;
            m.bytes.clear();
            m.bytes.extend_from_slice(bytes);
        }
        None => {
            *dst = Some(StoredMessage {
                meta,
                bytes: bytes.to_vec(),
            });
        }
    }
}

/// Counts kept by the pairer, for the summary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub transactions: u64,
    pub answered: u64,
    pub unanswered: u64,
    pub unsolicited: u64,
    pub announcements: u64,
    pub retransmissions: u64,
    pub duplicates: u64,
    pub question_mismatches: u64,
    pub evicted: u64,
}

pub struct Pairer {
    cfg: Config,
    /// Boxed: a `VecDeque` keeps up to twice its length in capacity, and a
    /// slot is some 400 bytes; boxed, spare capacity costs 8 bytes a slot and
    /// every slot's memory is counted in `held_bytes` (issue 7).
    slots: VecDeque<Box<Slot>>,
    /// Sequence number of `slots[0]`.
    base: u64,
    /// Open transactions taken out of the in-order queue (see
    /// `Config::max_in_order`), written when they close.
    parked: BTreeMap<u64, Box<Slot>>,
    /// When the parked transactions are next checked for closing.
    next_park_sweep: Timestamp,
    /// Answers written out early, remembered by a hash of key and question.
    tombstones: Tombstones,
    /// Newest slot for each key; older ones chain through `prev_same_key`.
    newest: HashMap<Key, u64, FastState>,
    /// Capture time only moves forward, even when frames are out of order.
    now: Timestamp,
    counts: Counts,
    /// Bytes held by the open transactions, as `Config::max_open_bytes` counts them.
    held_bytes: usize,
    /// Slots of written transactions, reused in place for new ones: a slot is
    /// some 400 bytes, and building one on the stack and moving it into and out
    /// of its box cost more than the pairing around it.
    /// (Boxes, not slots: they go back into `slots` as they are.)
    #[allow(clippy::vec_box)]
    spare_slots: Vec<Box<Slot>>,
}

impl Pairer {
    pub fn new(cfg: Config) -> Self {
        Self {
            cfg,
            slots: VecDeque::new(),
            base: 0,
            parked: BTreeMap::new(),
            next_park_sweep: Timestamp::default(),
            tombstones: Tombstones::default(),
            newest: HashMap::default(),
            now: Timestamp::default(),
            counts: Counts::default(),
            held_bytes: 0,
            spare_slots: Vec::new(),
        }
    }

    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// Bytes held by the open transactions (see `Config::max_open_bytes`).
    pub fn held_bytes(&self) -> usize {
        self.held_bytes
    }

    /// Transactions currently held (open, or waiting to be written in order).
    pub fn open(&self) -> usize {
        self.slots.len() + self.parked.len()
    }

    /// Feeds one message; completed transactions are passed to `out` in order.
    pub fn on_message(
        &mut self,
        meta: MessageMeta,
        msg: &dns::Message<'_>,
        out: &mut dyn FnMut(&Transaction),
    ) {
        self.on_walked_message(meta, msg, FirstQuestion::of(msg), out);
    }

    /// [`Pairer::on_message`] for a message whose first question a walk has
    /// found already: `first` must be [`FirstQuestion::of`] `msg`.
    pub fn on_walked_message(
        &mut self,
        meta: MessageMeta,
        msg: &dns::Message<'_>,
        first: Option<FirstQuestion<'_>>,
        out: &mut dyn FnMut(&Transaction),
    ) {
        if meta.ts > self.now {
            self.now = meta.ts;
        }
        let header = msg.header();
        let mdns = meta.port_kind == PortKind::Mdns;
        let question = first.as_ref().map(|f| question_key(f, mdns));
        let keys = if mdns { mdns_keys(msg) } else { Vec::new() };
        let is_response = header.qr();
        let key = key_of(&meta, header.id, is_response);
        let bytes = if self.cfg.meta_only {
            &[]
        } else {
            msg.as_bytes()
        };
        if is_response {
            self.on_response(key, question, keys, meta, bytes);
        } else {
            self.on_query(key, question, keys, meta, bytes);
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
        // A quoted response (QR set, when the quote reaches the flags): the
        // server's answer could not be delivered to the client (which had
        // usually given up); it belongs to the transaction of that response.
        let is_response = quoted.get(2).is_some_and(|f| f & 0x80 != 0);
        let (client, server) = if is_response {
            (server, client)
        } else {
            (client, server)
        };
        let key = Key {
            transport: Transport::Udp,
            client: client.0,
            client_port: client.1,
            server: server.0,
            server_port: server.1,
            id,
        };
        let open = if is_response {
            self.find(&key, |s| s.txn.response.is_some())
        } else {
            self.find(&key, |s| {
                s.txn.query.is_some() && s.txn.status == Status::Unanswered
            })
        };
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
    pub fn finish(&mut self, out: &mut dyn FnMut(&Transaction)) {
        // Parked transactions are older than everything still queued.
        let parked = std::mem::take(&mut self.parked);
        let queued = std::mem::take(&mut self.slots);
        let first_queued = self.base;
        self.base += queued.len() as u64;
        let all = parked.into_iter().chain(
            queued
                .into_iter()
                .enumerate()
                .map(|(i, s)| (first_queued + i as u64, s)),
        );
        for (seq, slot) in all {
            let censored = slot.txn.status == Status::Unanswered
                && slot.txn.icmp_errors.is_empty()
                && self.now.micros_since(&slot.last_query) < self.cfg.timeout_micros;
            self.emit(seq, slot, censored, false, out);
        }
        self.newest.clear();
        self.tombstones.clear();
    }

    fn slot(&self, seq: u64) -> Option<&Slot> {
        match seq.checked_sub(self.base) {
            Some(idx) => self.slots.get(usize::try_from(idx).ok()?).map(|b| &**b),
            None => self.parked.get(&seq).map(|b| &**b),
        }
    }

    fn slot_mut(&mut self, seq: u64) -> Option<&mut Slot> {
        match seq.checked_sub(self.base) {
            Some(idx) => self
                .slots
                .get_mut(usize::try_from(idx).ok()?)
                .map(|b| &mut **b),
            None => self.parked.get_mut(&seq).map(|b| &mut **b),
        }
    }

    /// The tombstone hash of a transaction: its key and question.
    fn tombstone_hash(key: &Key, question: &Option<QuestionKey>) -> u64 {
        let mut h = FastState::FIXED.build_hasher();
        key.hash(&mut h);
        question
            .map(|q| (q.name_hash, q.qtype, q.qclass))
            .hash(&mut h);
        h.finish()
    }

    fn expire_tombstones(&mut self) {
        self.tombstones.expire(self.now);
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
        keys: Vec<QuestionKey>,
        meta: MessageMeta,
        bytes: &[u8],
    ) {
        let retransmission_of = self.find(&key, |s| {
            s.txn.status == Status::Unanswered
                && s.txn.query.as_ref().is_some_and(|q| {
                    // mDNS and LLMNR keys leave addresses out: the same client.
                    q.meta.src == meta.src && q.meta.sport == meta.sport
                })
                && s.question == question
                && s.mdns == keys
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
        self.push(key, question, keys, meta, bytes, Status::Unanswered);
    }

    fn on_response(
        &mut self,
        key: Key,
        question: Option<QuestionKey>,
        keys: Vec<QuestionKey>,
        meta: MessageMeta,
        bytes: &[u8],
    ) {
        let mdns = meta.port_kind == PortKind::Mdns;
        let waiting = |s: &Slot| {
            s.txn.status == Status::Unanswered
                && s.txn.query.is_some()
                && self.within_window(s.last_query)
        };
        // mDNS: the response must answer one of the query's questions.
        let same_question = |s: &Slot| {
            if mdns {
                keys.iter().any(|k| s.mdns.iter().any(|q| k.answers(q)))
            } else {
                s.question == question
            }
        };
        // Best: an open query with the same question; next: an open query with
        // the same ID but another question (flagged; not for mDNS, whose IDs
        // are all zero); then a duplicate answer.
        let answers = self
            .find(&key, |s| waiting(s) && same_question(s))
            .or_else(|| if mdns { None } else { self.find(&key, waiting) });
        if let Some(seq) = answers {
            let now = self.now;
            if let Some(slot) = self.slot_mut(seq) {
                // mDNS matched by question already (its responses carry none).
                let mismatch = !mdns && slot.question != question;
                slot.txn.question_mismatch = mismatch;
                slot.txn.status = Status::Answered;
                store(&mut slot.txn.response, meta, bytes);
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
                && same_question(s)
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
        self.expire_tombstones();
        let late_duplicate = !mdns
            && self
                .tombstones
                .contains(Self::tombstone_hash(&key, &question));
        if late_duplicate {
            self.counts.duplicates += 1;
        }
        let status = if mdns {
            Status::Announcement
        } else if late_duplicate {
            Status::Duplicate
        } else {
            Status::Unsolicited
        };
        self.push(key, question, keys, meta, bytes, status);
    }

    /// Opens a transaction whose first message is `bytes`: a query when `status`
    /// is `Unanswered`, otherwise a response. The slot is filled in place.
    fn push(
        &mut self,
        key: Key,
        question: Option<QuestionKey>,
        mdns: Vec<QuestionKey>,
        meta: MessageMeta,
        bytes: &[u8],
        status: Status,
    ) {
        let seq = self.base + self.slots.len() as u64;
        let prev_same_key = self.newest.insert(key, seq);
        let mut slot = self
            .spare_slots
            .pop()
            .unwrap_or_else(|| Box::new(Slot::empty()));
        slot.key = key;
        slot.question = question;
        slot.mdns = mdns;
        slot.last_query = meta.ts.max(self.now);
        slot.answered_at = None;
        slot.prev_same_key = prev_same_key;
        let txn = &mut slot.txn;
        // A spare slot holds no messages (`recycle`).
        let first = if status == Status::Unanswered {
            &mut txn.query
        } else {
            &mut txn.response
        };
        store(first, meta, bytes);
        txn.status = status;
        txn.retransmissions.clear();
        txn.duplicates.clear();
        txn.icmp_errors.clear();
        txn.question_mismatch = false;
        txn.evicted = false;
        txn.censored = false;
        txn.qtype = question.map(|q| dns::Rtype(q.qtype));
        self.held_bytes += cost(txn);
        self.slots.push_back(slot);
    }

    /// Keeps a written slot for reuse (a few: enough for the transactions
    /// written by one message). Message buffers are not kept: whole messages
    /// of every size made NDJSON slower, and `stats` keeps none.
    fn recycle(&mut self, mut slot: Box<Slot>) {
        slot.txn.query = None;
        slot.txn.response = None;
        if self.spare_slots.len() < MAX_SPARE {
            slot.mdns.clear();
            self.spare_slots.push(slot);
        }
    }

    fn is_closed(&self, slot: &Slot) -> bool {
        match slot.txn.status {
            Status::Unsolicited | Status::Announcement | Status::Duplicate => true,
            Status::Answered => slot.answered_at.is_none_or(|t| !self.within_window(t)),
            Status::Unanswered => !self.within_window(slot.last_query),
        }
    }

    fn emit_closed(&mut self, out: &mut dyn FnMut(&Transaction)) {
        self.expire_tombstones();
        // Over a bound, the oldest go first: parked ones are older than any queued.
        self.evict_parked(out);
        while let Some(front) = self.slots.front() {
            let over_cap = self.over_cap();
            let closed = self.is_closed(front);
            let behind = self.slots.len() > self.cfg.max_in_order;
            if !over_cap && !closed && !behind {
                break;
            }
            let Some(slot) = self.slots.pop_front() else {
                break;
            };
            let seq = self.base;
            self.base += 1;
            if closed || over_cap {
                self.emit(seq, slot, false, over_cap && !closed, out);
            } else if slot.txn.status == Status::Answered {
                // Still within its duplicate window: write it now and remember
                // it compactly (a tombstone).
                self.emit(seq, slot, false, false, out);
            } else {
                self.parked.insert(seq, slot);
            }
        }
        if !self.parked.is_empty() {
            self.sweep_parked(out);
        }
    }

    /// Writes parked transactions that have closed (or been answered), and
    /// evicts the oldest beyond `max_open`. Checked at most every 100 ms of
    /// capture time, so the cost per message stays small.
    fn sweep_parked(&mut self, out: &mut dyn FnMut(&Transaction)) {
        self.evict_parked(out);
        if self.now < self.next_park_sweep {
            return;
        }
        self.next_park_sweep =
            Timestamp::new(self.now.secs, self.now.nanos.saturating_add(100_000_000));
        let done: Vec<u64> = self
            .parked
            .iter()
            .filter(|(_, s)| self.is_closed(s) || s.txn.status == Status::Answered)
            .map(|(&seq, _)| seq)
            .collect();
        for seq in done {
            if let Some(slot) = self.parked.remove(&seq) {
                self.emit(seq, slot, false, false, out);
            }
        }
    }

    /// Whether a bound on open transactions (count or bytes) is exceeded.
    fn over_cap(&self) -> bool {
        self.open() > self.cfg.max_open || self.held_bytes > self.cfg.max_open_bytes
    }

    /// Closes parked transactions, oldest first, while over a bound.
    fn evict_parked(&mut self, out: &mut dyn FnMut(&Transaction)) {
        while self.over_cap() {
            let Some((seq, slot)) = self.parked.pop_first() else {
                break;
            };
            let closed = self.is_closed(&slot);
            self.emit(seq, slot, false, !closed, out);
        }
    }

    fn emit(
        &mut self,
        seq: u64,
        mut slot: Box<Slot>,
        censored: bool,
        evicted: bool,
        out: &mut dyn FnMut(&Transaction),
    ) {
        self.held_bytes = self.held_bytes.saturating_sub(cost(&slot.txn));
        // One probe: an older slot with the same key may still be open.
        let prev = slot.prev_same_key.filter(|&p| self.slot(p).is_some());
        if let Entry::Occupied(mut e) = self.newest.entry(slot.key) {
            if *e.get() == seq {
                match prev {
                    Some(prev) => *e.get_mut() = prev,
                    None => {
                        e.remove();
                    }
                }
            }
        }
        if slot.txn.status == Status::Answered {
            if let Some(at) = slot.answered_at.filter(|&t| self.within_window(t)) {
                let hash = Self::tombstone_hash(&slot.key, &slot.question);
                self.tombstones.remember(at, hash);
            }
        }
        if slot.txn.status == Status::Duplicate {
            // Counted when it arrived; not a transaction of its own.
            out(&slot.txn);
            self.recycle(slot);
            return;
        }
        let txn = &mut slot.txn;
        txn.censored = censored;
        txn.evicted = evicted;
        self.counts.transactions += 1;
        match txn.status {
            Status::Answered => self.counts.answered += 1,
            Status::Unanswered => self.counts.unanswered += 1,
            Status::Unsolicited => self.counts.unsolicited += 1,
            Status::Announcement => self.counts.announcements += 1,
            Status::Duplicate => {}
        }
        if evicted {
            self.counts.evicted += 1;
        }
        out(txn);
        self.recycle(slot);
    }
}

/// Answers written out early (see `Config::max_in_order`), remembered for
/// `TOMBSTONE_MICROS` of capture time by a hash of key and question, so that a
/// late second response is known as a duplicate.
///
/// Almost every answer is remembered and almost none is ever looked up (only a
/// response that no open transaction takes is), so the hash index is built
/// lazily: remembering is a push onto a queue, and only a lookup indexes the
/// entries pushed since the last one. Each entry is indexed at most once, so a
/// capture full of unmatched responses costs what an eager index would.
#[derive(Default)]
struct Tombstones {
    /// In the order remembered; expired from the front.
    queue: VecDeque<(Timestamp, u64)>,
    /// `queue[..indexed]` is counted in `index`.
    indexed: usize,
    /// Hash -> how many entries of `queue[..indexed]` have it.
    index: HashMap<u64, u32, FastState>,
}

impl Tombstones {
    fn remember(&mut self, at: Timestamp, hash: u64) {
        self.queue.push_back((at, hash));
    }

    /// Forgets the entries, from the front, remembered more than
    /// `TOMBSTONE_MICROS` before `now`.
    fn expire(&mut self, now: Timestamp) {
        while let Some(&(t, hash)) = self.queue.front() {
            if now.micros_since(&t) <= TOMBSTONE_MICROS {
                break;
            }
            self.queue.pop_front();
            if self.indexed == 0 {
                continue;
            }
            self.indexed -= 1;
            if let Entry::Occupied(mut e) = self.index.entry(hash) {
                *e.get_mut() -= 1;
                if *e.get() == 0 {
                    e.remove();
                }
            }
        }
    }

    /// Whether an entry with `hash` is remembered.
    fn contains(&mut self, hash: u64) -> bool {
        for &(_, h) in self.queue.range(self.indexed..) {
            *self.index.entry(h).or_insert(0) += 1;
        }
        self.indexed = self.queue.len();
        self.index.contains_key(&hash)
    }

    fn clear(&mut self) {
        self.queue.clear();
        self.indexed = 0;
        self.index.clear();
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr};

    /// `samples/dns.pcapng` frame 1: `dig A www.lab.example +noedns`.
    const QUERY_A: [u8; 33] = [
        0x03, 0xa6, // ID
        0x01, 0x20, // flags: RD, AD
        0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // QD=1 AN=0 NS=0 AR=0
        3, b'w', b'w', b'w', 3, b'l', b'a', b'b', 7, b'e', b'x', b'a', b'm', b'p', b'l', b'e',
        0, // www.lab.example.
        0x00, 0x01, 0x00, 0x01, // A IN
    ];

    /// Frame 2: its answer, `www.lab.example. 300 IN A 192.0.2.10`.
    const RESPONSE_A: [u8; 49] = [
        0x03, 0xa6, // ID
        0x85, 0x00, // flags: QR, AA, RD; NOERROR
        0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, // QD=1 AN=1
        3, b'w', b'w', b'w', 3, b'l', b'a', b'b', 7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 0,
        0x00, 0x01, 0x00, 0x01, // question
        0xc0, 0x0c, // owner: pointer to offset 12
        0x00, 0x01, 0x00, 0x01, // A IN
        0x00, 0x00, 0x01, 0x2c, // TTL 300
        0x00, 0x04, 192, 0, 2, 10, // RDATA
    ];

    /// `zeek__mdns-no-assoc.pcap` frame 1: mDNS query `initial-query-a.local. A`
    /// (QM), 192.168.0.2:5353 -> 224.0.0.251:5353.
    const MDNS_QUERY_A: [u8; 39] = [
        0x00, 0x00, // ID 0 (RFC 6762 §18.1)
        0x00, 0x00, // flags: a standard query
        0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // QD=1
        15, b'i', b'n', b'i', b't', b'i', b'a', b'l', b'-', b'q', b'u', b'e', b'r', b'y', b'-',
        b'a', 5, b'l', b'o', b'c', b'a', b'l', 0, // initial-query-a.local.
        0x00, 0x01, 0x00, 0x01, // A, IN (QU bit clear)
    ];

    /// Frame 3 of the same file: a response for another name
    /// (`unrelated-reply-a.local. 120 IN A 192.168.0.2`), no question.
    const MDNS_UNRELATED: [u8; 51] = [
        0x00, 0x00, // ID 0
        0x84, 0x00, // flags: QR, AA
        0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, // QD=0 AN=1
        17, b'u', b'n', b'r', b'e', b'l', b'a', b't', b'e', b'd', b'-', b'r', b'e', b'p', b'l',
        b'y', b'-', b'a', 5, b'l', b'o', b'c', b'a', b'l', 0, // unrelated-reply-a.local.
        0x00, 0x01, 0x00, 0x01, // A IN
        0x00, 0x00, 0x00, 0x78, // TTL 120
        0x00, 0x04, 192, 168, 0, 2,
    ];

    /// The same response bytes, but its record owned by the queried name (as a
    /// responder for `initial-query-a.local` sends it), with the cache-flush bit.
    fn mdns_answer_a() -> Vec<u8> {
        let mut m = vec![
            0x00, 0x00, 0x84, 0x00, // ID 0, QR AA
            0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, // QD=0 AN=1
        ];
        m.extend_from_slice(&MDNS_QUERY_A[12..35]); // initial-query-a.local.
        m.extend_from_slice(&[0x00, 0x01, 0x80, 0x01]); // A, cache-flush | IN
        m.extend_from_slice(&[0x00, 0x00, 0x00, 0x78, 0x00, 0x04, 192, 168, 0, 7]);
        m
    }

    /// `suricata-verify__llmnr-udp__input.pcap` frame 1: LLMNR query
    /// `hs2011 A`, 192.168.10.233:54022 -> 224.0.0.252:5355.
    const LLMNR_QUERY: [u8; 24] = [
        0xc3, 0x41, // ID
        0x00, 0x00, // flags
        0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // QD=1
        6, b'h', b's', b'2', b'0', b'1', b'1', 0, // hs2011.
        0x00, 0x01, 0x00, 0x01, // A IN
    ];

    /// Frame 2: the responder's unicast answer, 192.168.10.101:5355 ->
    /// 192.168.10.233:54022, `HS2011. 30 IN A 192.168.10.101`.
    const LLMNR_RESPONSE: [u8; 46] = [
        0xc3, 0x41, // ID
        0x80, 0x00, // flags: QR
        0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, // QD=1 AN=1
        6, b'h', b's', b'2', b'0', b'1', b'1', 0, 0x00, 0x01, 0x00, 0x01, // question
        6, b'H', b'S', b'2', b'0', b'1', b'1', 0, // owner, not compressed
        0x00, 0x01, 0x00, 0x01, // A IN
        0x00, 0x00, 0x00, 0x1e, // TTL 30
        0x00, 0x04, 192, 168, 10, 101,
    ];

    fn v4(a: u8, b: u8, c: u8, d: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(a, b, c, d))
    }

    #[allow(clippy::too_many_arguments)]
    fn meta(
        frame: u64,
        secs: f64,
        src: IpAddr,
        sport: u16,
        dst: IpAddr,
        dport: u16,
        port_kind: PortKind,
    ) -> MessageMeta {
        let micros = (secs * 1e6).round() as i64;
        MessageMeta {
            file: 0,
            frame,
            ts: Timestamp::new(
                1_700_000_000 + micros / 1_000_000,
                (micros % 1_000_000) as u32 * 1000,
            ),
            src,
            dst,
            sport,
            dport,
            transport: Transport::Udp,
            port_kind,
            cut: false,
        }
    }

    /// Feeds messages in order and returns every transaction.
    fn pair(msgs: &[(MessageMeta, &[u8])]) -> Vec<Transaction> {
        let mut p = Pairer::new(Config::default());
        let mut out = Vec::new();
        for (m, bytes) in msgs {
            let msg = dns::Message::parse(bytes).expect("test message has a header");
            p.on_message(*m, &msg, &mut |t| out.push(t.clone()));
        }
        p.finish(&mut |t| out.push(t.clone()));
        out
    }

    fn frame_of(m: &Option<StoredMessage>) -> Option<u64> {
        m.as_ref().map(|s| s.meta.frame)
    }

    const CLIENT: u16 = 59672;

    #[test]
    fn query_and_response_pair_with_rtt() {
        let c = v4(127, 0, 0, 1);
        let t = pair(&[
            (meta(1, 0.0, c, CLIENT, c, 53, PortKind::Dns53), &QUERY_A),
            (
                meta(2, 0.0002, c, 53, c, CLIENT, PortKind::Dns53),
                &RESPONSE_A,
            ),
        ]);
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].status, Status::Answered);
        assert_eq!(frame_of(&t[0].response), Some(2));
        assert_eq!(t[0].rtt_micros(), Some(200));
    }

    fn at(secs: f64) -> Timestamp {
        meta(
            0,
            secs,
            v4(127, 0, 0, 1),
            1,
            v4(127, 0, 0, 1),
            53,
            PortKind::Dns53,
        )
        .ts
    }

    #[test]
    fn tombstones_are_found_until_they_expire() {
        let mut t = Tombstones::default();
        t.remember(at(0.0), 7);
        t.remember(at(1.0), 8);
        assert!(t.contains(7) && t.contains(8) && !t.contains(9));
        // Remembered after the last lookup: indexed by the next one.
        t.remember(at(1.5), 9);
        t.remember(at(1.5), 7);
        assert!(t.contains(9));
        // 7's first entry expires; its second keeps it.
        t.expire(at(2.5));
        assert!(t.contains(7) && t.contains(8));
        t.expire(at(3.4));
        assert!(t.contains(7) && !t.contains(8) && t.contains(9));
        t.expire(at(3.6));
        assert!(!t.contains(7) && !t.contains(9));
        assert!(t.index.is_empty() && t.queue.is_empty());
    }

    #[test]
    fn tombstones_expired_before_any_lookup_are_never_indexed() {
        let mut t = Tombstones::default();
        t.remember(at(0.0), 7);
        t.remember(at(5.0), 8);
        t.expire(at(4.0));
        assert!(!t.contains(7) && t.contains(8));
        assert_eq!(t.index.len(), 1);
        t.clear();
        assert!(!t.contains(8));
    }

    #[test]
    fn a_reused_slot_starts_clean() {
        let c = v4(127, 0, 0, 1);
        let mut p = Pairer::new(Config::default());
        let mut out = Vec::new();
        let q = dns::Message::parse(&QUERY_A).expect("header");
        let r = dns::Message::parse(&RESPONSE_A).expect("header");
        let other = with_id(&QUERY_A, 7);
        let other = dns::Message::parse(&other).expect("header");
        let third = with_id(&QUERY_A, 8);
        let third = dns::Message::parse(&third).expect("header");
        let feed = |p: &mut Pairer, out: &mut Vec<Transaction>, m, msg: &dns::Message<'_>| {
            p.on_message(m, msg, &mut |t| out.push(t.clone()));
        };
        feed(
            &mut p,
            &mut out,
            meta(1, 0.0, c, CLIENT, c, 53, PortKind::Dns53),
            &q,
        );
        feed(
            &mut p,
            &mut out,
            meta(2, 1.0, c, CLIENT, c, 53, PortKind::Dns53),
            &q,
        );
        feed(
            &mut p,
            &mut out,
            meta(3, 1.1, c, 53, c, CLIENT, PortKind::Dns53),
            &r,
        );
        assert!(out.is_empty() && p.spare_slots.is_empty());
        // Past the window: the answered transaction is written after the next
        // message opens its own, and its slot and buffers serve the one after.
        feed(
            &mut p,
            &mut out,
            meta(4, 30.0, c, CLIENT, c, 53, PortKind::Dns53),
            &other,
        );
        assert_eq!((out.len(), p.spare_slots.len()), (1, 1));
        feed(
            &mut p,
            &mut out,
            meta(5, 30.1, c, CLIENT, c, 53, PortKind::Dns53),
            &third,
        );
        assert!(p.spare_slots.is_empty(), "the written slot was reused");
        p.finish(&mut |t| out.push(t.clone()));
        let first = &out[0];
        assert_eq!(first.status, Status::Answered);
        assert_eq!(first.retransmissions.len(), 1);
        assert_eq!(frame_of(&first.response), Some(3));
        let reused = &out[2];
        assert_eq!(reused.status, Status::Unanswered);
        assert_eq!(frame_of(&reused.query), Some(5));
        assert_eq!(
            reused.query.as_ref().map(|m| m.bytes.clone()),
            Some(with_id(&QUERY_A, 8))
        );
        assert!(reused.response.is_none());
        assert!(reused.retransmissions.is_empty() && reused.duplicates.is_empty());
        assert!(!reused.question_mismatch && !reused.evicted);
        assert_eq!(p.held_bytes(), 0);
    }

    #[test]
    fn transactions_carry_the_qtype_of_their_first_message() {
        let c = v4(127, 0, 0, 1);
        // A question of type MX, answered; then an unsolicited response whose
        // question is AAAA; then a response with no question at all.
        let mut query_mx = QUERY_A;
        query_mx[30] = 15;
        let mut response_mx = RESPONSE_A;
        response_mx[30] = 15;
        let mut unsolicited = with_id(&RESPONSE_A, 0x1234);
        unsolicited[30] = 28;
        let mut no_question = with_id(&RESPONSE_A, 0x4321);
        no_question[5] = 0; // QDCOUNT 0: the question's bytes read as a record
        let t = pair(&[
            (meta(1, 0.0, c, CLIENT, c, 53, PortKind::Dns53), &query_mx),
            (
                meta(2, 0.001, c, 53, c, CLIENT, PortKind::Dns53),
                &response_mx,
            ),
            (
                meta(3, 0.002, c, 53, c, CLIENT, PortKind::Dns53),
                &unsolicited,
            ),
            (
                meta(4, 0.003, c, 53, c, CLIENT, PortKind::Dns53),
                &no_question,
            ),
        ]);
        let got: Vec<_> = t.iter().map(|t| (t.status, t.qtype)).collect();
        assert_eq!(
            got,
            [
                (Status::Answered, Some(dns::Rtype::MX)),
                (Status::Unsolicited, Some(dns::Rtype::AAAA)),
                (Status::Unsolicited, None),
            ]
        );
    }

    #[test]
    fn three_tries_five_seconds_apart_are_one_lookup_timed_from_the_first() {
        // tshark starts a new transaction at the third try (10 s after the
        // first); we measure the window from the latest try.
        let c = v4(10, 0, 0, 2);
        let s = v4(10, 0, 0, 1);
        let t = pair(&[
            (meta(1, 0.0, c, CLIENT, s, 53, PortKind::Dns53), &QUERY_A),
            (meta(2, 5.0, c, CLIENT, s, 53, PortKind::Dns53), &QUERY_A),
            (meta(3, 10.0, c, CLIENT, s, 53, PortKind::Dns53), &QUERY_A),
            (
                meta(4, 10.01, s, 53, c, CLIENT, PortKind::Dns53),
                &RESPONSE_A,
            ),
        ]);
        assert_eq!(t.len(), 1, "{t:?}");
        let frames: Vec<u64> = t[0].retransmissions.iter().map(|a| a.frame).collect();
        assert_eq!(frames, [2, 3]);
        assert_eq!(t[0].status, Status::Answered);
        assert_eq!(t[0].rtt_micros(), Some(10_010_000));
    }

    #[test]
    fn same_id_other_question_is_not_a_retransmission() {
        let c = v4(10, 0, 0, 2);
        let s = v4(10, 0, 0, 1);
        let mut aaaa = QUERY_A;
        aaaa[30] = 28; // QTYPE AAAA
        let t = pair(&[
            (meta(1, 0.0, c, CLIENT, s, 53, PortKind::Dns53), &QUERY_A),
            (meta(2, 1.0, c, CLIENT, s, 53, PortKind::Dns53), &aaaa),
        ]);
        assert_eq!(t.len(), 2);
        assert!(t.iter().all(|x| x.retransmissions.is_empty()));
    }

    #[test]
    fn mdns_response_from_another_host_answers_the_question() {
        // Query to the group from 192.168.0.2; a responder (192.168.0.7)
        // answers to the group, ID 0, no question: paired by question.
        let group = v4(224, 0, 0, 251);
        let asker = v4(192, 168, 0, 2);
        let responder = v4(192, 168, 0, 7);
        let answer = mdns_answer_a();
        let t = pair(&[
            (
                meta(1, 0.0, asker, 5353, group, 5353, PortKind::Mdns),
                &MDNS_QUERY_A,
            ),
            (
                meta(2, 0.0005, responder, 5353, group, 5353, PortKind::Mdns),
                &answer,
            ),
        ]);
        assert_eq!(t.len(), 1, "{t:?}");
        assert_eq!(t[0].status, Status::Answered);
        assert_eq!(frame_of(&t[0].query), Some(1));
        assert_eq!(frame_of(&t[0].response), Some(2));
        assert_eq!(t[0].rtt_micros(), Some(500));
        assert!(!t[0].question_mismatch);
    }

    #[test]
    fn mdns_response_for_another_name_is_an_announcement_not_an_answer() {
        // tshark pairs these two (same conversation, ID 0); the response's
        // record is for another name.
        let group = v4(224, 0, 0, 251);
        let host = v4(192, 168, 0, 2);
        let t = pair(&[
            (
                meta(1, 0.0, host, 5353, group, 5353, PortKind::Mdns),
                &MDNS_QUERY_A,
            ),
            (
                meta(3, 0.0005, host, 5353, group, 5353, PortKind::Mdns),
                &MDNS_UNRELATED,
            ),
        ]);
        assert_eq!(t.len(), 2, "{t:?}");
        assert_eq!(t[0].status, Status::Unanswered);
        assert_eq!(t[1].status, Status::Announcement);
        assert_eq!(Status::Announcement.as_str(), "announcement");
    }

    #[test]
    fn mdns_qu_then_qm_is_a_retransmission_and_ipv4_does_not_answer_ipv6() {
        let group = v4(224, 0, 0, 251);
        let host = v4(192, 168, 0, 2);
        let mut qu = MDNS_QUERY_A;
        qu[37] |= 0x80; // QCLASS: unicast-response bit (RFC 6762 §5.4)
        let v6_group: IpAddr = "ff02::fb".parse().unwrap_or(group);
        let v6_host: IpAddr = "fe80::1".parse().unwrap_or(host);
        let answer = mdns_answer_a();
        let t = pair(&[
            (meta(1, 0.0, host, 5353, group, 5353, PortKind::Mdns), &qu),
            (
                meta(2, 0.0001, v6_host, 5353, v6_group, 5353, PortKind::Mdns),
                &qu,
            ),
            (
                meta(3, 1.0, host, 5353, group, 5353, PortKind::Mdns),
                &MDNS_QUERY_A,
            ),
            (
                meta(4, 1.2, v6_host, 5353, v6_group, 5353, PortKind::Mdns),
                &answer,
            ),
        ]);
        assert_eq!(t.len(), 2, "{t:?}");
        let v4 = &t[0];
        assert_eq!(frame_of(&v4.query), Some(1));
        assert_eq!(v4.retransmissions.len(), 1, "QM repeat of the QU question");
        assert_eq!(v4.retransmissions[0].frame, 3);
        assert_eq!(v4.status, Status::Unanswered);
        let v6 = &t[1];
        assert_eq!(frame_of(&v6.query), Some(2));
        assert_eq!(frame_of(&v6.response), Some(4));
    }

    #[test]
    fn llmnr_unicast_answer_pairs_with_the_multicast_query() {
        let client = v4(192, 168, 10, 233);
        let group = v4(224, 0, 0, 252);
        let responder = v4(192, 168, 10, 101);
        let t = pair(&[
            (
                meta(1, 0.0, client, 54022, group, 5355, PortKind::Llmnr),
                &LLMNR_QUERY,
            ),
            (
                meta(2, 0.0014, responder, 5355, client, 54022, PortKind::Llmnr),
                &LLMNR_RESPONSE,
            ),
        ]);
        assert_eq!(t.len(), 1, "{t:?}");
        assert_eq!(t[0].status, Status::Answered);
        assert_eq!(t[0].rtt_micros(), Some(1400));
        assert!(!t[0].question_mismatch, "HS2011 = hs2011 (RFC 4343)");
    }

    #[test]
    fn icmp_quoting_a_response_joins_that_response_transaction() {
        let c = v4(10, 0, 0, 2);
        let s = v4(10, 0, 0, 1);
        let mut p = Pairer::new(Config::default());
        let mut out = Vec::new();
        let q = dns::Message::parse(&QUERY_A).expect("header");
        let r = dns::Message::parse(&RESPONSE_A).expect("header");
        p.on_message(
            meta(1, 0.0, c, CLIENT, s, 53, PortKind::Dns53),
            &q,
            &mut |t| out.push(t.clone()),
        );
        p.on_message(
            meta(2, 0.1, s, 53, c, CLIENT, PortKind::Dns53),
            &r,
            &mut |t| out.push(t.clone()),
        );
        let note = IcmpNote {
            frame: 3,
            ts: Timestamp::new(1_700_000_000, 200_000_000),
            reporter: c,
            kind: "port unreachable",
        };
        // The quote: the response from the server to the client (ID, flags QR).
        assert!(p.on_icmp_error(note, (s, 53), (c, CLIENT), &RESPONSE_A[..8]));
        // A quote of a query nobody sent matches nothing.
        assert!(!p.on_icmp_error(note, (c, 1), (s, 53), &QUERY_A[..8]));
        p.finish(&mut |t| out.push(t.clone()));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].icmp_errors.len(), 1);
        assert_eq!(out[0].icmp_errors[0].frame, 3);
    }

    /// QUERY_A / RESPONSE_A with the ID set to `id`.
    fn with_id(bytes: &[u8], id: u16) -> Vec<u8> {
        let mut b = bytes.to_vec();
        b[..2].copy_from_slice(&id.to_be_bytes());
        b
    }

    #[test]
    fn bounded_in_order_queue_writes_finished_transactions_past_an_open_one() {
        let (c, s) = (v4(127, 0, 0, 1), v4(127, 0, 0, 53));
        let mut p = Pairer::new(Config {
            max_in_order: 4,
            ..Config::default()
        });
        let mut out = Vec::new();
        let mut max_held = 0;
        // Frame 1: a query that is never answered; then 20 answered lookups.
        let lost = with_id(&QUERY_A, 1);
        let m = meta(1, 0.0, c, CLIENT, s, 53, PortKind::Dns53);
        p.on_message(m, &dns::Message::parse(&lost).unwrap(), &mut |t| {
            out.push(t.clone())
        });
        for i in 0..20u16 {
            let (q, r) = (with_id(&QUERY_A, 100 + i), with_id(&RESPONSE_A, 100 + i));
            let t = 0.01 * f64::from(i + 1);
            let f = 2 + 2 * u64::from(i);
            let mq = meta(f, t, c, CLIENT, s, 53, PortKind::Dns53);
            let mr = meta(f + 1, t + 0.001, s, 53, c, CLIENT, PortKind::Dns53);
            p.on_message(mq, &dns::Message::parse(&q).unwrap(), &mut |t| {
                out.push(t.clone())
            });
            p.on_message(mr, &dns::Message::parse(&r).unwrap(), &mut |t| {
                out.push(t.clone())
            });
            max_held = max_held.max(p.open());
        }
        assert!(max_held <= 6, "held {max_held} transactions");
        assert!(
            out.len() >= 15,
            "finished ones are written while frame 1 is open"
        );
        assert!(out.iter().all(|t| t.status == Status::Answered));
        p.finish(&mut |t| out.push(t.clone()));
        assert_eq!(out.len(), 21);
        let pos = out
            .iter()
            .position(|t| frame_of(&t.query) == Some(1))
            .expect("frame 1 written");
        assert!(pos >= 15, "written after those that finished behind it");
        assert_eq!(out[pos].status, Status::Unanswered);
        // The others came out in their own order.
        let firsts: Vec<u64> = out
            .iter()
            .filter_map(|t| frame_of(&t.query))
            .filter(|&f| f != 1)
            .collect();
        assert_eq!(firsts.len(), 20);
        assert!(firsts.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn late_duplicate_after_early_write_is_a_duplicate_not_unsolicited() {
        let (c, s) = (v4(127, 0, 0, 1), v4(127, 0, 0, 53));
        let mut p = Pairer::new(Config {
            max_in_order: 1,
            ..Config::default()
        });
        let mut out = Vec::new();
        let lost = with_id(&QUERY_A, 1);
        let msgs: Vec<(MessageMeta, Vec<u8>)> = vec![
            (meta(1, 0.0, c, CLIENT, s, 53, PortKind::Dns53), lost),
            (
                meta(2, 0.1, c, CLIENT, s, 53, PortKind::Dns53),
                with_id(&QUERY_A, 7),
            ),
            (
                meta(3, 0.2, s, 53, c, CLIENT, PortKind::Dns53),
                with_id(&RESPONSE_A, 7),
            ),
            (
                meta(4, 0.3, c, CLIENT, s, 53, PortKind::Dns53),
                with_id(&QUERY_A, 8),
            ),
            (
                meta(5, 0.4, s, 53, c, CLIENT, PortKind::Dns53),
                with_id(&RESPONSE_A, 8),
            ),
            (
                meta(6, 0.5, s, 53, c, CLIENT, PortKind::Dns53),
                with_id(&RESPONSE_A, 7),
            ),
        ];
        for (m, b) in &msgs {
            p.on_message(*m, &dns::Message::parse(b).unwrap(), &mut |t| {
                out.push(t.clone())
            });
        }
        p.finish(&mut |t| out.push(t.clone()));
        let dup = out
            .iter()
            .find(|t| frame_of(&t.response) == Some(6))
            .expect("frame 6 reported");
        assert_eq!(dup.status, Status::Duplicate);
        assert_eq!(p.counts().duplicates, 1);
        assert_eq!(p.counts().unsolicited, 0);
        assert_eq!(p.counts().transactions, 3);
    }

    #[test]
    fn meta_only_pairs_the_same_and_keeps_no_bytes() {
        let c = v4(127, 0, 0, 1);
        let run = |meta_only| {
            let mut p = Pairer::new(Config {
                meta_only,
                ..Config::default()
            });
            let mut out = Vec::new();
            for (m, bytes) in [
                (
                    meta(1, 0.0, c, CLIENT, c, 53, PortKind::Dns53),
                    &QUERY_A[..],
                ),
                (
                    meta(2, 0.0002, c, 53, c, CLIENT, PortKind::Dns53),
                    &RESPONSE_A[..],
                ),
                (
                    meta(3, 0.0003, c, 53, c, CLIENT, PortKind::Dns53),
                    &RESPONSE_A[..],
                ),
                (
                    meta(4, 1.0, c, CLIENT, c, 53, PortKind::Dns53),
                    &QUERY_A[..],
                ),
            ] {
                let msg = dns::Message::parse(bytes).expect("header");
                p.on_message(m, &msg, &mut |t| out.push(t.clone()));
            }
            p.finish(&mut |t| out.push(t.clone()));
            (out, p.counts())
        };
        let (whole, whole_counts) = run(false);
        let (bare, bare_counts) = run(true);
        assert_eq!(bare_counts, whole_counts);
        assert_eq!(bare.len(), 2);
        assert_eq!(bare[0].status, Status::Answered);
        assert_eq!(bare[0].duplicates.len(), 1);
        assert_eq!(bare[1].status, Status::Unanswered);
        for (b, w) in bare.iter().zip(&whole) {
            assert_eq!(
                (b.status, b.rtt_micros(), b.qtype),
                (w.status, w.rtt_micros(), w.qtype)
            );
            for (bm, wm) in [(&b.query, &w.query), (&b.response, &w.response)] {
                assert_eq!(bm.as_ref().map(|m| m.meta), wm.as_ref().map(|m| m.meta));
                assert!(bm.as_ref().is_none_or(|m| m.bytes.is_empty()));
                assert!(wm.as_ref().is_none_or(|m| !m.bytes.is_empty()));
            }
        }
    }
}
