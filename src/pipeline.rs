//! The reading half of a run: capture records → network decoding → DNS messages,
//! handed over in [`Batch`]es so that the other half (pairing, aggregation,
//! rendering, in `app`) can run on another core.
//!
//! The reading half owns everything that looks at the capture's bytes before
//! pairing: the [`CaptureReader`], the [`net::Decoder`] (IP fragments, TCP
//! streams), and the DNS walk that finds the first problem, the first question
//! and the RCODE of each message ([`walk`]).
//!
//! A batch holds [`Item`]s in capture order and one byte buffer with the DNS
//! messages (and ICMP quotes) they refer to, copied out of the reader's
//! buffer; both are reused from batch to batch, so a steady run allocates
//! nothing per message here. What the consumer does with a batch is exactly
//! what it would do with the same events read in place: output and its order
//! do not depend on how the items were batched or which thread read them.

use std::ops::Range;
use std::sync::mpsc;

use crate::capture::{self, CaptureReader, Timestamp};
use crate::dns;
use crate::meta::MessageMeta;
use crate::net::{self, NetEvent};

/// A batch is handed over when it holds this many items... (small enough that a
/// batch is still in cache when the other thread takes it: 1024 items beat 4096
/// and 16384 by 4-15 % on the bench capture; 512 was no better)
pub const BATCH_ITEMS: usize = 1024;
/// ... or this many message bytes.
pub const BATCH_BYTES: usize = 128 * 1024;
/// Full batches waiting for the consumer, at most (memory stays bounded when the
/// reading half is the faster one).
pub const QUEUE_BATCHES: usize = 8;

/// One thing the reading half found, in capture order.
#[derive(Clone, Debug)]
pub enum Item {
    /// A frame starts (its events follow).
    Frame { ts: Timestamp },
    /// A DNS message: its context, where its bytes are in [`Batch::bytes`], and
    /// what is wrong with it (the header does not parse, the walk fails, or a
    /// record's RDATA does not decode).
    Dns {
        meta: MessageMeta,
        bytes: Range<usize>,
        problem: Option<Box<dns::Error>>,
        /// The RCODE as [`Walk::rcode`] finds it (the header's when the
        /// header does not parse).
        rcode: dns::Rcode,
        /// [`Walk::question_end`].
        question_end: Option<u16>,
        /// [`Walk::name_hash`].
        name_hash: Option<u64>,
    },
    /// The decoder reported the current frame as carrying no DNS.
    NotDns,
    /// A frame without DNS, described (only when asked for).
    NonDnsFrame { frame: u64, kind: String },
    /// A problem found by the network decoder.
    NetDiagnostic(net::Diagnostic),
    /// A problem found by the capture reader.
    CaptureDiagnostic(capture::Diagnostic),
    /// An ICMP error quoting a DNS packet; `quoted` is in [`Batch::bytes`].
    IcmpError {
        frame: u64,
        ts: Timestamp,
        reporter: std::net::IpAddr,
        kind: &'static str,
        src: std::net::IpAddr,
        dst: std::net::IpAddr,
        sport: u16,
        dport: u16,
        quoted: Range<usize>,
    },
}

/// Items and the bytes they refer to.
#[derive(Debug, Default)]
pub struct Batch {
    pub items: Vec<Item>,
    pub bytes: Vec<u8>,
    /// [`CaptureReader::source_bytes_read`] after the last item (for progress).
    pub source_bytes: u64,
}

impl Batch {
    /// Empties the batch, keeping its memory.
    pub fn clear(&mut self) {
        self.items.clear();
        self.bytes.clear();
        self.source_bytes = 0;
    }

    fn is_full(&self) -> bool {
        self.items.len() >= BATCH_ITEMS || self.bytes.len() >= BATCH_BYTES
    }

    /// The bytes of a range held by an item (empty if it is not in this batch).
    pub fn slice(&self, r: &Range<usize>) -> &[u8] {
        self.bytes.get(r.clone()).unwrap_or_default()
    }

    fn push_bytes(&mut self, b: &[u8]) -> Range<usize> {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(b);
        start..self.bytes.len()
    }
}

/// What one walk over a message finds (see [`walk`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Walk {
    /// Where the first question ends, when it parses (`dns::Question::first_parsed`
    /// rebuilds the question `dns::Message::first_question` finds).
    pub question_end: Option<u16>,
    /// The first thing wrong: a walk error, or a record whose RDATA does not decode.
    pub problem: Option<dns::Error>,
    /// The RCODE, extended by the OPT record exactly as `dns::Message::rcode` does.
    pub rcode: dns::Rcode,
    /// `txn::name_hash` of the first question's name, when it has no pointer
    /// (hashed here, on the reading side, from the labels the walk read).
    pub name_hash: Option<u64>,
}

/// Walks every question and record of `msg` once, decoding each RDATA, for
/// what finding the first problem, `first_question` and `rcode` would each walk for.
///
/// The walk `dns::Message::entries` makes, section by section, written out:
/// the iterator's per-entry bookkeeping was a third of the walk's cost, and
/// every message of a capture is walked here. `tests` check that both agree.
pub fn walk(msg: &dns::Message<'_>) -> Walk {
    let header = msg.header();
    let bytes = msg.as_bytes();
    let mut question_end = None;
    let mut name_hash = None;
    let mut problem = None;
    // The OPT record's upper RCODE bits.
    let mut ext_rcode_hi: Option<u8> = None;
    // A second OPT, or one that does not decode: the header's RCODE stands.
    let mut opt_failed = false;
    let mut pos = dns::HEADER_LEN;
    // Where the first question's name's labels start (see `plain_question`).
    let mut question_labels = 0;
    // Where an entry should start but the message has ended: the count is the problem.
    let beyond = |section, count, parsed, pos| {
        dns::Error::new(
            dns::ErrorKind::CountBeyondData {
                section,
                count,
                parsed,
            },
            pos,
        )
    };
    'walk: {
        for parsed in 0..header.qdcount {
            if pos >= bytes.len() {
                problem = Some(beyond(dns::Section::Question, header.qdcount, parsed, pos));
                break 'walk;
            }
            if parsed == 0 {
                if let Some((next, labels)) = plain_question(bytes) {
                    question_end = u16::try_from(next).ok();
                    name_hash = bytes
                        .get(dns::HEADER_LEN..next - 5)
                        .map(crate::txn::run_hash);
                    question_labels = labels;
                    pos = next;
                    continue;
                }
            }
            match dns::Question::parse(bytes, pos) {
                Ok((_, next)) => {
                    if parsed == 0 {
                        // Its name has a pointer: no label starts for `shortcut`.
                        question_end = u16::try_from(next).ok();
                    }
                    pos = next;
                }
                Err(e) => {
                    problem = Some(e);
                    break 'walk;
                }
            }
        }
        for section in [
            dns::Section::Answer,
            dns::Section::Authority,
            dns::Section::Additional,
        ] {
            let count = header.count(section);
            for parsed in 0..count {
                if pos >= bytes.len() {
                    problem.get_or_insert(beyond(section, count, parsed, pos));
                    break 'walk;
                }
                let (next, opt_hi) = match shortcut(bytes, pos, question_labels) {
                    Shortcut::Taken(next, opt_hi) => (next, opt_hi.map(Ok)),
                    found => {
                        let (r, next) = match found {
                            Shortcut::Owned(r) => (r, r.end()),
                            _ => match dns::Record::parse(bytes, pos) {
                                Ok(parsed) => parsed,
                                Err(e) => {
                                    problem.get_or_insert(e);
                                    break 'walk;
                                }
                            },
                        };
                        if problem.is_none() {
                            if let Err(e) = r.data() {
                                problem = Some(e);
                            }
                        }
                        let opt_hi = (r.rtype == dns::Rtype::OPT)
                            .then(|| dns::Opt::from_record(&r).map(|o| o.ext_rcode_hi));
                        (next, opt_hi)
                    }
                };
                pos = next;
                if let (dns::Section::Additional, Some(hi), false) = (section, opt_hi, opt_failed) {
                    match (ext_rcode_hi, hi) {
                        (None, Ok(hi)) => ext_rcode_hi = Some(hi),
                        _ => opt_failed = true,
                    }
                }
            }
        }
    }
    let rcode = match ext_rcode_hi {
        Some(hi) if !opt_failed => dns::Rcode::from_parts(hi, header.rcode().0 as u8),
        _ => header.rcode(),
    };
    Walk {
        question_end,
        problem,
        rcode,
        name_hash,
    }
}

/// The first question, when its name has no pointer (nearly always): where
/// it ends, as `Question::parse` at [`dns::HEADER_LEN`] finds it, and where
/// the name's labels and its root byte start, bit `i` for offset 12 + `i` (0
/// for a name longer than 64 bytes). None: the full parse decides (it
/// accepts no name that this rejects except one with a pointer).
#[inline]
fn plain_question(bytes: &[u8]) -> Option<(usize, u64)> {
    let mut rel = 0usize;
    let mut starts = 0u64;
    loop {
        if rel < 64 {
            starts |= 1 << rel;
        }
        match *bytes.get(dns::HEADER_LEN + rel)? {
            0 => break,
            len @ 1..=63 => rel += 1 + usize::from(len),
            _ => return None,
        }
        // Labels, their length bytes and the root: at most 255 bytes.
        if rel >= dns::name::MAX_NAME_LEN {
            return None;
        }
    }
    let next = dns::HEADER_LEN + rel + 5;
    let starts = if rel < 64 { starts } else { 0 };
    (next <= bytes.len()).then_some((next, starts))
}

/// What [`shortcut`] makes of the record at a position.
#[derive(Debug, PartialEq, Eq)]
enum Shortcut<'a> {
    /// Accepted whole: where it ends and, for an OPT record, its upper RCODE bits.
    Taken(usize, Option<u8>),
    /// Its owner is a pointer into the question's name and its RDATA is
    /// there: the record as `Record::parse` would return it, its owner not
    /// walked again; its RDATA is still to decode.
    Owned(dns::Record<'a>),
    /// The full parse decides.
    Parse,
}

/// The commonest records, read without the full parse (which would read them
/// alike; `tests` check that the walk agrees with the parser). Taken whole: an
/// OPT record without options, and an A or AAAA record of class IN with RDATA
/// of its size owned by a pointer to one of `question_labels` (the question's
/// name or a suffix of it). Any other record owned by such a pointer is
/// `Owned`.
#[inline]
fn shortcut(bytes: &[u8], pos: usize, question_labels: u64) -> Shortcut<'_> {
    match *bytes.get(pos..).unwrap_or_default() {
        // Root owner, TYPE 41, the TTL's first byte (the upper RCODE bits),
        // RDLENGTH 0.
        [0, 0, 41, _, _, hi, _, _, _, 0, 0, ..] => Shortcut::Taken(pos + 11, Some(hi)),
        [p0, p1, t0, t1, c0, c1, x0, x1, x2, x3, l0, l1, ..] if p0 & 0xc0 == 0xc0 => {
            // Before `pos`, as a pointer must be: the question ends before any record.
            let target = usize::from(p0 & 0x3f) << 8 | usize::from(p1);
            let rel = target.wrapping_sub(dns::HEADER_LEN);
            let Ok(start) = u16::try_from(pos) else {
                return Shortcut::Parse;
            };
            if rel >= 64 || question_labels >> rel & 1 == 0 {
                return Shortcut::Parse;
            }
            let rdlen = usize::from(u16::from_be_bytes([l0, l1]));
            let end = pos + 12 + rdlen;
            let Some(rdata) = bytes.get(pos + 12..end) else {
                return Shortcut::Parse;
            };
            let size = match [t0, t1] {
                [0, 1] => 4,
                [0, 28] => 16,
                _ => 0,
            };
            // IN, with or without mDNS's cache-flush bit, as `Rdata::parse` reads it.
            if size != 0 && [c0 & 0x7f, c1] == [0, 1] && rdlen == size {
                return Shortcut::Taken(end, None);
            }
            Shortcut::Owned(dns::Record {
                // As `Record::parse` has it: the name starts at the pointer.
                name: dns::Name::parsed_at(bytes, start),
                rtype: dns::Rtype(u16::from_be_bytes([t0, t1])),
                class: dns::Class(u16::from_be_bytes([c0, c1])),
                ttl: u32::from_be_bytes([x0, x1, x2, x3]),
                rdata,
                rdata_offset: pos + 12,
                offset: pos,
            })
        }
        _ => Shortcut::Parse,
    }
}

/// The reading half for one capture file.
pub struct Reader {
    file: u32,
    capture: CaptureReader,
    decoder: net::Decoder,
    /// Describe frames without DNS ([`Item::NonDnsFrame`]).
    describe_non_dns: bool,
    done: bool,
}

impl Reader {
    pub fn new(
        file: u32,
        capture: CaptureReader,
        net: net::Config,
        describe_non_dns: bool,
    ) -> Self {
        Self {
            file,
            capture,
            decoder: net::Decoder::new(net),
            describe_non_dns,
            done: false,
        }
    }

    /// Appends items to `batch` until it is full or the file ends; returns
    /// false once the file has ended (the decoder's last words included).
    pub fn fill(&mut self, batch: &mut Batch) -> bool {
        let Self {
            file,
            capture,
            decoder,
            describe_non_dns,
            done,
        } = self;
        if *done {
            return false;
        }
        let on_event = |batch: &mut Batch, ev: NetEvent<'_>| {
            let item = match ev {
                NetEvent::Dns(p) => dns_item(*file, &p, batch),
                NetEvent::NotDns => Item::NotDns,
                NetEvent::Diagnostic(d) => Item::NetDiagnostic(d),
                NetEvent::IcmpError {
                    frame,
                    ts,
                    reporter,
                    kind,
                    quoted,
                } => Item::IcmpError {
                    frame,
                    ts: Timestamp {
                        secs: ts.secs,
                        nanos: ts.nanos,
                    },
                    reporter,
                    kind,
                    src: quoted.src,
                    dst: quoted.dst,
                    sport: quoted.sport,
                    dport: quoted.dport,
                    quoted: batch.push_bytes(quoted.payload),
                },
            };
            batch.items.push(item);
        };
        while !batch.is_full() {
            match capture.next_event() {
                Some(capture::Event::Frame(frame)) => {
                    batch.items.push(Item::Frame { ts: frame.ts });
                    let ts = net::Ts {
                        secs: frame.ts.secs,
                        nanos: frame.ts.nanos,
                    };
                    let mut not_dns = false;
                    decoder.on_frame(
                        frame.link.0,
                        frame.number,
                        ts,
                        frame.data,
                        frame.orig_len,
                        &mut |ev| {
                            not_dns |= matches!(ev, NetEvent::NotDns);
                            on_event(batch, ev);
                        },
                    );
                    if not_dns && *describe_non_dns {
                        batch.items.push(Item::NonDnsFrame {
                            frame: frame.number,
                            kind: net::describe_frame(frame.link.0, frame.data),
                        });
                    }
                }
                Some(capture::Event::Diagnostic(d)) => {
                    batch.items.push(Item::CaptureDiagnostic(d));
                }
                None => {
                    decoder.finish(&mut |ev| on_event(batch, ev));
                    *done = true;
                    break;
                }
            }
        }
        batch.source_bytes = capture.source_bytes_read();
        !*done
    }

    /// Reads the whole file on a thread of `scope`, handing full batches to
    /// `consume` on the calling thread; `consume` returns false to stop early
    /// (the reading thread then stops too).
    pub fn run_threaded<'scope, 'env>(
        mut self,
        scope: &'scope std::thread::Scope<'scope, 'env>,
        consume: &mut dyn FnMut(&Batch) -> bool,
    ) {
        let (full_tx, full_rx) = mpsc::sync_channel::<Batch>(QUEUE_BATCHES);
        let (empty_tx, empty_rx) = mpsc::channel::<Batch>();
        let reading = std::thread::Builder::new().name("dnslens-read".into());
        let reading = reading.spawn_scoped(scope, move || loop {
            let mut batch = empty_rx.try_recv().unwrap_or_default();
            batch.clear();
            let more = self.fill(&mut batch);
            if full_tx.send(batch).is_err() || !more {
                break;
            }
        });
        // As `Scope::spawn` does, a thread the OS refuses is a panic.
        let reading = reading.expect("cannot start the reading thread");
        for batch in full_rx.iter() {
            let go_on = consume(&batch);
            // The reader may have finished: then nobody takes it back.
            let _ = empty_tx.send(batch);
            if !go_on {
                break;
            }
        }
        drop(full_rx);
        if let Err(panic) = reading.join() {
            std::panic::resume_unwind(panic);
        }
    }

    /// Reads the whole file on the calling thread, one batch at a time.
    pub fn run_here(mut self, consume: &mut dyn FnMut(&Batch) -> bool) {
        let mut batch = Batch::default();
        loop {
            batch.clear();
            let more = self.fill(&mut batch);
            if !consume(&batch) || !more {
                break;
            }
        }
    }
}

/// Copies a DNS payload into the batch and walks it once.
fn dns_item(file: u32, p: &net::DnsPayload<'_>, batch: &mut Batch) -> Item {
    let meta = MessageMeta {
        file,
        frame: p.frame,
        ts: Timestamp {
            secs: p.ts.secs,
            nanos: p.ts.nanos,
        },
        src: p.src,
        dst: p.dst,
        sport: p.sport,
        dport: p.dport,
        transport: p.transport,
        port_kind: p.port_kind,
        cut: p.cut,
    };
    let (problem, rcode, question_end, name_hash) = match dns::Message::parse(p.payload) {
        Ok(msg) => {
            let walk = walk(&msg);
            (walk.problem, walk.rcode, walk.question_end, walk.name_hash)
        }
        Err(e) => (Some(e), dns::Rcode(0), None, None),
    };
    Item::Dns {
        meta,
        bytes: batch.push_bytes(p.payload),
        // Boxed: rare, and an item of more than 128 bytes is moved with a call
        // to `memcpy` (an item is moved into its batch for every message).
        problem: problem.map(Box::new),
        rcode,
        question_end,
        name_hash,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::*;
    use crate::dns::Entry;
    use crate::net::testutil::{ether, ipv4, udp, QUERY};

    /// A classic pcap (little-endian, µs, Ethernet) holding `frames`.
    fn pcap(frames: &[Vec<u8>]) -> Vec<u8> {
        let mut f = vec![
            0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, // magic, version 2.4
            0, 0, 0, 0, 0, 0, 0, 0, // zone, sigfigs
            0xff, 0xff, 0, 0, 1, 0, 0, 0, // snaplen 65535, Ethernet
        ];
        for (i, data) in frames.iter().enumerate() {
            let len = (data.len() as u32).to_le_bytes();
            f.extend((1_700_000_000 + i as u32).to_le_bytes()); // ts seconds
            f.extend(0u32.to_le_bytes()); // ts µs
            f.extend(len); // caplen
            f.extend(len); // origlen
            f.extend(data);
        }
        f
    }

    /// Ethernet, IPv4, UDP 40000 -> 53 around a DNS message.
    fn dns_frame(msg: &[u8]) -> Vec<u8> {
        ether(&[], 0x0800, &ipv4(17, &udp(40000, 53, msg)))
    }

    /// An ARP-looking frame: no DNS.
    fn arp_frame() -> Vec<u8> {
        ether(&[], 0x0806, &[0; 28])
    }

    fn reader(file: &[u8], describe: bool) -> Reader {
        let capture = CaptureReader::new(std::io::Cursor::new(file.to_vec())).unwrap();
        Reader::new(7, capture, net::Config::default(), describe)
    }

    /// A capture source that counts the bytes taken from it.
    struct Counting {
        inner: std::io::Cursor<Vec<u8>>,
        taken: Arc<AtomicUsize>,
    }

    impl std::io::Read for Counting {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.inner.read(buf)?;
            self.taken.fetch_add(n, Ordering::Relaxed);
            Ok(n)
        }
    }

    /// A reader over `file` and the count of bytes it has taken so far.
    fn counted_reader(file: &[u8]) -> (Reader, Arc<AtomicUsize>) {
        let taken = Arc::new(AtomicUsize::new(0));
        let source = Counting {
            inner: std::io::Cursor::new(file.to_vec()),
            taken: Arc::clone(&taken),
        };
        let capture = CaptureReader::new(source).unwrap();
        let reader = Reader::new(7, capture, net::Config::default(), false);
        (reader, taken)
    }

    /// Items in a comparable form: the message bytes resolved.
    fn flatten(batch: &Batch, out: &mut Vec<String>) {
        for item in &batch.items {
            out.push(match item {
                Item::Dns {
                    meta,
                    bytes,
                    problem,
                    rcode,
                    question_end,
                    ..
                } => format!(
                    "dns file={} frame={} {:?} problem={problem:?} rcode={rcode} \
                     question_end={question_end:?}",
                    meta.file,
                    meta.frame,
                    batch.slice(bytes)
                ),
                other => format!("{other:?}"),
            });
        }
    }

    /// Every message is moved into its batch as an item: above 128 bytes the
    /// move is a call to `memcpy` (4 % of the reading thread when it was 144).
    #[test]
    fn an_item_is_moved_inline() {
        assert!(size_of::<Item>() <= 128, "{}", size_of::<Item>());
    }

    #[test]
    fn a_query_and_a_frame_without_dns_become_items_in_order() {
        let file = pcap(&[dns_frame(&QUERY), arp_frame()]);
        let mut r = reader(&file, true);
        let mut batch = Batch::default();
        assert!(!r.fill(&mut batch), "a small file ends in one batch");
        assert_eq!(batch.items.len(), 5, "{:#?}", batch.items);
        assert!(matches!(batch.items[0], Item::Frame { .. }));
        match &batch.items[1] {
            Item::Dns {
                meta,
                bytes,
                problem,
                rcode,
                question_end,
                ..
            } => {
                assert_eq!(batch.slice(bytes), &QUERY[..]);
                let q = dns::Question::first_parsed(batch.slice(bytes), question_end.unwrap());
                assert_eq!(
                    q,
                    dns::Message::parse(&QUERY)
                        .unwrap()
                        .first_question()
                        .unwrap()
                        .ok()
                );
                assert_eq!((meta.file, meta.frame), (7, 1));
                assert_eq!((meta.sport, meta.dport), (40000, 53));
                assert_eq!(problem.as_deref(), None);
                assert_eq!(*rcode, dns::Rcode::NOERROR);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(batch.items[2], Item::Frame { .. }));
        assert!(matches!(batch.items[3], Item::NotDns));
        assert!(matches!(
            &batch.items[4],
            Item::NonDnsFrame { frame: 2, .. }
        ));
        assert_eq!(batch.source_bytes, file.len() as u64);
        // Done: nothing more, ever.
        batch.clear();
        assert!(!r.fill(&mut batch));
        assert!(batch.items.is_empty());
    }

    #[test]
    fn frames_without_dns_are_described_only_when_asked() {
        let file = pcap(&[arp_frame()]);
        let mut batch = Batch::default();
        reader(&file, false).fill(&mut batch);
        assert!(batch
            .items
            .iter()
            .all(|i| !matches!(i, Item::NonDnsFrame { .. })));
        assert!(batch.items.iter().any(|i| matches!(i, Item::NotDns)));
    }

    /// `QUERY` with an answer whose A record has 3 bytes of RDATA.
    fn bad_rdata() -> Vec<u8> {
        let mut m = QUERY.to_vec();
        m[7] = 1; // ANCOUNT 1
        m.extend_from_slice(&[0xc0, 0x0c]); // owner: pointer to the question name
        m.extend_from_slice(&[0, 1, 0, 1, 0, 0, 0, 60]); // A IN, TTL 60
        m.extend_from_slice(&[0, 3, 192, 0, 2]); // RDLENGTH 3: one byte short
        m
    }

    #[test]
    fn the_first_problem_is_found_on_the_reading_side() {
        let bad = bad_rdata();
        let msg = dns::Message::parse(&bad).unwrap();
        let e = walk(&msg).problem.expect("A with RDLENGTH 3");
        assert_eq!(usize::from(e.offset), QUERY.len() + 12, "{e}");
        assert_eq!(walk(&dns::Message::parse(&QUERY).unwrap()).problem, None);

        let file = pcap(&[dns_frame(&bad), dns_frame(&QUERY[..5])]);
        let mut batch = Batch::default();
        reader(&file, false).fill(&mut batch);
        let problems: Vec<Option<dns::Error>> = batch
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Dns { problem, .. } => Some(problem.as_deref().copied()),
                _ => None,
            })
            .collect();
        assert_eq!(problems.len(), 2);
        assert_eq!(problems[0], Some(e));
        // Five bytes: not even a header.
        assert!(problems[1].is_some());
    }

    /// The frames of a batch's DNS messages.
    fn dns_frames(batch: &Batch, out: &mut Vec<u64>) {
        out.extend(batch.items.iter().filter_map(|i| match i {
            Item::Dns { meta, .. } => Some(meta.frame),
            _ => None,
        }));
    }

    fn big_file(frames: usize) -> Vec<u8> {
        let mut list = Vec::new();
        for i in 0..frames {
            let mut q = QUERY;
            q[..2].copy_from_slice(&(i as u16).to_be_bytes());
            list.push(if i % 3 == 2 {
                arp_frame()
            } else {
                dns_frame(&q)
            });
        }
        pcap(&list)
    }

    #[test]
    fn threaded_and_here_give_the_same_batches() {
        // More items than one batch holds.
        let file = big_file(5000);
        let mut here = Vec::new();
        let mut frames_here = Vec::new();
        let mut batches_here = 0;
        reader(&file, true).run_here(&mut |b| {
            batches_here += 1;
            flatten(b, &mut here);
            dns_frames(b, &mut frames_here);
            true
        });
        assert!(batches_here > 1);
        let mut threaded = Vec::new();
        let mut frames_threaded = Vec::new();
        std::thread::scope(|s| {
            reader(&file, true).run_threaded(s, &mut |b| {
                flatten(b, &mut threaded);
                dns_frames(b, &mut frames_threaded);
                true
            });
        });
        assert_eq!(here.len(), threaded.len());
        assert!(here == threaded, "the same items in the same order");
        assert_eq!(frames_here.len(), 5000 - 5000 / 3, "every message");
        assert_eq!(frames_here, frames_threaded);
        assert!(frames_here.windows(2).all(|w| w[0] < w[1]), "capture order");
    }

    #[test]
    fn a_consumer_that_stops_stops_the_reading_thread() {
        let file = big_file(50_000);
        let (reader, taken) = counted_reader(&file);
        let mut batches = 0;
        std::thread::scope(|s| {
            reader.run_threaded(s, &mut |_| {
                batches += 1;
                false
            });
        });
        assert_eq!(batches, 1);
        // The reading thread has been joined: it stopped within the queue's
        // reach (a few batches and one read buffer), long before the end.
        let taken = taken.load(Ordering::Relaxed);
        assert!(taken < file.len() / 4, "{taken} of {} bytes", file.len());
        // It did read the batch the consumer saw (frames of 16 + 42 bytes at least).
        assert!(taken >= BATCH_ITEMS / 2 * (16 + 42), "{taken} bytes");
    }

    /// The walk's answers, each found the slow way.
    fn separately(msg: &dns::Message<'_>) -> Walk {
        let mut problem = None;
        for entry in msg.entries() {
            match entry {
                Ok(Entry::Record(_, r)) => {
                    if let Err(e) = r.data() {
                        problem = Some(e);
                        break;
                    }
                }
                Ok(Entry::Question(_)) => {}
                Err(e) => {
                    problem = Some(e);
                    break;
                }
            }
        }
        let mut entries = msg.entries();
        let question_end = match entries.next() {
            Some(Ok(Entry::Question(_))) => u16::try_from(entries.offset()).ok(),
            _ => None,
        };
        // The question rebuilt from where it ends is the one the walk found.
        assert_eq!(
            question_end.and_then(|end| dns::Question::first_parsed(msg.as_bytes(), end)),
            msg.first_question().and_then(Result::ok)
        );
        let name_hash = msg
            .first_question()
            .and_then(Result::ok)
            .filter(|q| !q.name.has_pointer())
            .map(|q| crate::txn::name_hash(&q.name));
        Walk {
            question_end,
            problem,
            rcode: msg.rcode(),
            name_hash,
        }
    }

    /// `QUERY` as a response with an OPT record whose extended RCODE is 1
    /// (BADVERS = 16 with the header's 0), and `extra` more additional bytes.
    fn badvers(second_opt: bool) -> Vec<u8> {
        let mut m = QUERY.to_vec();
        m[2] = 0x81; // QR, RD
        m[11] = if second_opt { 2 } else { 1 }; // ARCOUNT
        let opt = [
            0, // root owner
            0, 41, // OPT
            0x04, 0xd0, // UDP size 1232
            1, 0, 0, 0, // extended RCODE 1, version 0, flags 0
            0, 0, // RDLENGTH 0
        ];
        m.extend_from_slice(&opt);
        if second_opt {
            m.extend_from_slice(&opt);
        }
        m
    }

    #[test]
    fn the_walk_finds_what_three_walks_find() {
        let one = badvers(false);
        let two = badvers(true);
        let bad = bad_rdata();
        for bytes in [&QUERY[..], &one, &two, &bad, &QUERY[..20]] {
            let msg = dns::Message::parse(bytes).unwrap();
            assert_eq!(walk(&msg), separately(&msg), "{bytes:?}");
        }
        let msg = dns::Message::parse(&one).unwrap();
        assert_eq!(walk(&msg).rcode, dns::Rcode(16), "BADVERS");
        let end = walk(&msg).question_end.unwrap();
        let q = dns::Question::first_parsed(&one, end).unwrap();
        assert_eq!(q.qtype, dns::Rtype::A);
        // Two OPT records: the header's RCODE, and the problem is reported.
        let msg = dns::Message::parse(&two).unwrap();
        assert_eq!(walk(&msg).rcode, dns::Rcode(0));
    }

    /// The records `shortcut` takes, and their near misses, which the
    /// full parse must decide: the walk agrees with the parser on each.
    #[test]
    fn records_taken_without_the_full_parse_agree_with_it() {
        // A response to QUERY ("example.com." at 12; "com." at 20; its root at 24).
        let with = |records: &[&[u8]], ancount: u8, arcount: u8| {
            let mut m = QUERY.to_vec();
            m[2] = 0x81;
            m[7] = ancount;
            m[11] = arcount;
            for r in records {
                m.extend_from_slice(r);
            }
            m
        };
        let a = |owner: [u8; 2], class: [u8; 2], rdata: &[u8]| {
            let mut r = owner.to_vec();
            r.extend_from_slice(&[0, 1]);
            r.extend_from_slice(&class);
            r.extend_from_slice(&[0, 0, 0, 60, 0, rdata.len() as u8]);
            r.extend_from_slice(rdata);
            r
        };
        let aaaa = {
            let mut r = vec![0xc0, 20, 0, 28, 0x80, 1, 0, 0, 0, 60, 0, 16];
            r.extend_from_slice(&[0x20; 16]);
            r
        };
        let opt = |hi: u8, options: &[u8]| {
            let mut r = vec![0, 0, 41, 0x04, 0xd0, hi, 0, 0x80, 0, 0, options.len() as u8];
            r.extend_from_slice(options);
            r
        };
        let ip = [192, 0, 2, 1];
        let cases = [
            with(&[&a([0xc0, 12], [0, 1], &ip)], 1, 0),
            with(&[&a([0xc0, 20], [0, 1], &ip), &aaaa], 2, 0),
            with(&[&a([0xc0, 24], [0, 1], &ip)], 1, 0), // the root
            with(&[&a([0xc0, 13], [0, 1], &ip)], 1, 0), // inside a label
            with(&[&a([0xc0, 11], [0, 1], &ip)], 1, 0), // inside the header
            with(&[&a([0xc0, 29], [0, 1], &ip)], 1, 0), // the question's TYPE
            with(&[&a([0xc0, 12], [0, 3], &ip)], 1, 0), // class CH
            with(&[&a([0xc0, 12], [0, 255], &[])], 1, 0), // ANY, empty
            with(&[&a([0xc0, 12], [0, 1], &ip[..3])], 1, 0),
            with(&[&a([0xc0, 12], [0, 1], &[1, 2, 3, 4, 5])], 1, 0),
            with(&[&a([0xc0, 12], [0, 1], &ip)[..14]], 1, 0), // cut
            with(&[&opt(1, &[])], 0, 1),
            with(&[&opt(1, &[])[..10]], 0, 1), // cut
            with(&[&opt(0, &[0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8])], 0, 1),
            with(&[&opt(0, &[0, 10, 0, 9, 1, 2])], 0, 1), // a bad option
            with(&[&opt(1, &[]), &opt(2, &[])], 0, 2),
            with(&[&opt(1, &[])], 1, 0), // OPT as an answer
            with(&[&a([0xc0, 12], [0, 1], &ip), &opt(3, &[])], 1, 1),
            // Owned by the question's name, RDATA decoded as usual.
            with(
                &[&[0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 4, 1, b'x', 0xc0, 12]],
                1,
                0,
            ),
            with(
                &[&[0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 4, 1, b'x', 0xc0, 99]],
                1,
                0,
            ),
            with(
                &[&[0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 60, 0, 3, 2, b'h', b'i']],
                1,
                0,
            ),
            with(
                &[&[0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 60, 0, 3, 5, b'h', b'i']],
                1,
                0,
            ),
        ];
        for bytes in &cases {
            let msg = dns::Message::parse(bytes).unwrap();
            assert_eq!(walk(&msg), separately(&msg), "{bytes:02x?}");
        }
        // The shortcut itself: taken for the first two, the root owner, OPT.
        let (end, labels) = plain_question(&cases[0]).unwrap();
        assert_eq!(end, QUERY.len());
        assert_eq!(labels, 1 | 1 << 8 | 1 << 12);
        let at = QUERY.len();
        assert_eq!(
            shortcut(&cases[0], at, labels),
            Shortcut::Taken(at + 16, None)
        );
        assert_eq!(
            shortcut(&cases[2], at, labels),
            Shortcut::Taken(at + 16, None)
        );
        assert_eq!(shortcut(&cases[3], at, labels), Shortcut::Parse);
        let ch = dns::Record::parse(&cases[6], at).unwrap().0;
        assert_eq!(shortcut(&cases[6], at, labels), Shortcut::Owned(ch));
        assert_eq!(shortcut(&cases[10], at, labels), Shortcut::Parse);
        assert_eq!(
            shortcut(&cases[11], at, labels),
            Shortcut::Taken(at + 11, Some(1))
        );
        assert_eq!(shortcut(&cases[13], at, labels), Shortcut::Parse);
        assert_eq!(
            walk(&dns::Message::parse(&cases[17]).unwrap()).rcode.0,
            3 << 4
        );
    }

    /// `plain_question` against `Question::parse` on names of every length
    /// around the limits, cut anywhere, with bytes changed.
    #[test]
    fn the_plain_question_is_the_parsed_one() {
        let check = |m: &[u8]| {
            let full = dns::Question::parse(m, dns::HEADER_LEN).map(|(_, next)| next);
            match plain_question(m) {
                Some((next, starts)) => {
                    assert_eq!(full, Ok(next), "{m:02x?}");
                    let name = dns::Name::parse(m, dns::HEADER_LEN).unwrap().0;
                    let mut want = 0u64;
                    let mut at = 0;
                    for label in name.labels() {
                        want |= 1u64.checked_shl(at as u32).unwrap_or(0);
                        at += 1 + label.len();
                    }
                    want |= 1u64.checked_shl(at as u32).unwrap_or(0);
                    assert_eq!(starts, if at < 64 { want } else { 0 }, "{m:02x?}");
                }
                // Rejected: the parser rejects it too, or it has a pointer.
                None => assert!(
                    full.is_err() || dns::Name::parse(m, 12).unwrap().0.has_pointer(),
                    "{m:02x?}"
                ),
            }
        };
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for total in [
            1usize, 2, 30, 62, 63, 64, 65, 66, 200, 253, 254, 255, 256, 300,
        ] {
            // Labels of 63 bytes and one shorter, `total` bytes with the root.
            let mut m = vec![0u8; 12];
            let mut left = total - 1;
            while left > 0 {
                let l = left.min(64) - 1;
                let l = if l == 0 { 1 } else { l };
                m.push(l as u8);
                m.extend(std::iter::repeat_n(b'a', l));
                left = left.saturating_sub(l + 1);
            }
            m.push(0);
            m.extend_from_slice(&[0, 1, 0, 1]);
            for cut in 12..=m.len() {
                check(&m[..cut]);
            }
            for _ in 0..300 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let mut c = m.clone();
                let at = 12 + (state as usize) % (c.len() - 12);
                c[at] = match (state >> 32) % 4 {
                    0 => 0,
                    1 => 0xc0,
                    2 => (state >> 40) as u8 % 64,
                    _ => (state >> 40) as u8,
                };
                check(&c);
            }
        }
    }

    #[test]
    fn the_walk_agrees_on_every_sample_message() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let settings = crate::app::Settings::default();
            let Ok(a) = crate::app::analyze(&path, &settings) else {
                continue;
            };
            for m in &a.messages {
                if let Ok(msg) = dns::Message::parse(&m.bytes) {
                    assert_eq!(
                        walk(&msg),
                        separately(&msg),
                        "{path:?} frame {}",
                        m.meta.frame
                    );
                    seen += 1;
                }
            }
        }
        assert!(seen > 50, "{seen} messages");
    }

    /// Damaged messages too: every cut of real ones, and bytes changed (the
    /// counts, lengths and pointers most of all), give the same walk.
    #[test]
    fn the_walk_agrees_on_cut_and_changed_messages() {
        let same = |b: &[u8]| {
            if let Ok(msg) = dns::Message::parse(b) {
                assert_eq!(walk(&msg), separately(&msg), "{b:02x?}");
            }
        };
        dns::testutil::each_cut_and_change(same);
    }
}
