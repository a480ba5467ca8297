//! NDJSON rendered on a thread of its own: the listing's events (messages,
//! transactions, diagnostics) are copied and handed, in order and in batches,
//! to a rendering thread, which turns them into lines exactly as
//! [`super::NdjsonSink`] does on its own and hands the text back in chunks; the
//! sink writes the chunks in order. Rendering is most of an NDJSON listing's
//! work, and this takes it off the thread that pairs.
//!
//! When the rendering thread is [`AHEAD`] batches behind, the sink renders the
//! next batch itself, so both threads render, and writes it after the
//! thread's earlier chunks: the order is the order of the events. The sink's
//! own chunk waits in line, up to [`WAITING`] of them, while the sink goes on
//! pairing (waiting there for the thread's chunks left one core idle). So at
//! most `AHEAD` batches of [`BATCH`] events (or [`BATCH_BYTES`] of messages)
//! and `WAITING` rendered chunks are held; chunks are written in order as soon
//! as the sink next runs, and all of them at `finish`.

use std::io;
use std::ops::Range;
use std::sync::mpsc;
use std::thread::JoinHandle;

use serde::Serialize;

use super::{json, jsonw, Files};
use crate::error::Diagnostic;
use crate::meta::{MessageMeta, StoredMessage};
use crate::txn::Transaction;

/// Events per batch handed to the rendering thread...
const BATCH: usize = 256;
/// ... or message bytes (big messages: the copies held stay bounded, issue 7).
const BATCH_BYTES: usize = 1 << 20;
/// Batches handed to the rendering thread and not yet written, at most; past
/// this the sink renders the next batch itself.
const AHEAD: usize = 2;
/// The channel's bound (never reached: AHEAD is smaller).
const QUEUE: usize = 4;
/// Chunks the sink rendered itself that wait for the thread's earlier ones, at
/// most; past this the sink waits.
const WAITING: usize = 2;

/// One event, owned, for the rendering thread. Message bytes live in the
/// batch's one buffer ([`Batch::bytes`]), not in a `Vec` each: copying a
/// transaction allocated two (and the rendering thread freed them).
// Most events are transactions: boxing them would bring back an allocation each.
#[allow(clippy::large_enum_variant)]
enum Event {
    /// The run's files changed (a file was added): names for the next events.
    Files(Files),
    Message(MessageMeta, Range<usize>),
    /// The transaction without its messages' bytes, and where they are.
    Transaction(Transaction, Option<Range<usize>>, Option<Range<usize>>),
    Diagnostic(Diagnostic),
}

/// Events and the bytes of their messages.
#[derive(Default)]
struct Batch {
    events: Vec<Event>,
    bytes: Vec<u8>,
}

impl Batch {
    /// Copies `bytes` into the batch; where they are.
    fn keep(&mut self, bytes: &[u8]) -> Range<usize> {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(bytes);
        start..self.bytes.len()
    }
}

/// A copy of `t` whose messages have no bytes (they go into the batch).
fn without_bytes(t: &Transaction) -> Transaction {
    let empty = |m: &Option<StoredMessage>| {
        m.as_ref().map(|m| StoredMessage {
            meta: m.meta,
            bytes: Vec::new(),
        })
    };
    Transaction {
        query: empty(&t.query),
        response: empty(&t.response),
        status: t.status,
        retransmissions: t.retransmissions.clone(),
        duplicates: t.duplicates.clone(),
        icmp_errors: t.icmp_errors.clone(),
        question_mismatch: t.question_mismatch,
        evicted: t.evicted,
        censored: t.censored,
        qtype: t.qtype,
    }
}

/// Appends one NDJSON line, `{"type":KIND,"data":DATA}`.
pub(super) fn line<T: Serialize>(buf: &mut Vec<u8>, kind: &str, data: &T) -> io::Result<()> {
    buf.extend_from_slice(b"{\"type\":\"");
    buf.extend_from_slice(kind.as_bytes());
    buf.extend_from_slice(b"\",\"data\":");
    serde_json::to_writer(&mut *buf, data)?;
    buf.extend_from_slice(b"}\n");
    Ok(())
}

/// Appends one message line, `{"type":"message","data":{...}}` (`jsonw`).
pub(super) fn message_line(buf: &mut Vec<u8>, files: &Files, meta: &MessageMeta, bytes: &[u8]) {
    buf.extend_from_slice(b"{\"type\":\"message\",\"data\":");
    jsonw::message(buf, files, meta, bytes);
    buf.extend_from_slice(b"}\n");
}

/// Appends one transaction line, `{"type":"transaction","data":{...}}` (`jsonw`).
pub(super) fn transaction_line(buf: &mut Vec<u8>, files: &Files, txn: &Transaction) {
    let (query, response) = (jsonw::bytes_of(&txn.query), jsonw::bytes_of(&txn.response));
    transaction_line_with(buf, files, txn, query, response);
}

/// [`transaction_line`] with the messages' bytes given apart.
fn transaction_line_with(
    buf: &mut Vec<u8>,
    files: &Files,
    txn: &Transaction,
    query: Option<&[u8]>,
    response: Option<&[u8]>,
) {
    buf.extend_from_slice(b"{\"type\":\"transaction\",\"data\":");
    jsonw::transaction(buf, files, txn, query, response);
    buf.extend_from_slice(b"}\n");
}

fn render(files: &mut Files, ev: Event, bytes: &[u8], buf: &mut Vec<u8>) -> io::Result<()> {
    let at = |r: &Range<usize>| bytes.get(r.clone()).unwrap_or_default();
    match ev {
        Event::Files(f) => {
            *files = f;
            Ok(())
        }
        Event::Message(meta, r) => {
            message_line(buf, files, &meta, at(&r));
            Ok(())
        }
        Event::Transaction(txn, q, r) => {
            let (q, r) = (q.as_ref().map(at), r.as_ref().map(at));
            transaction_line_with(buf, files, &txn, q, r);
            Ok(())
        }
        Event::Diagnostic(diag) => line(
            buf,
            "diagnostic",
            &json::DiagnosticJson { files, diag: &diag },
        ),
    }
}

/// The sink's side of the rendering thread.
pub(super) struct Renderer {
    events: Option<mpsc::SyncSender<Batch>>,
    /// Batch byte buffers the rendering thread is done with, for reuse.
    spare_bytes: mpsc::Receiver<Vec<u8>>,
    chunks: mpsc::Receiver<io::Result<Vec<u8>>>,
    /// Written chunks go back to the rendering thread to be filled again
    /// (growing a fresh buffer for each batch copied it several times over).
    recycle: mpsc::SyncSender<Vec<u8>>,
    thread: Option<JoinHandle<()>>,
    pending: Batch,
    /// Batches sent whose chunks are not written yet.
    in_flight: usize,
    /// What is to be written, in order: a chunk the thread still renders
    /// (`None`), or one the sink rendered itself.
    order: std::collections::VecDeque<Option<Vec<u8>>>,
    /// The run's files as last seen (names are only ever added, so the newest
    /// list names the files of every earlier event too).
    files: Files,
    /// `files` changed since the rendering thread was last told.
    files_unsent: bool,
    /// The sink's own rendering buffers, written and kept for reuse.
    local: Vec<Vec<u8>>,
    /// Batches rendered by the thread, and by the sink.
    sent: u64,
    rendered_here: u64,
}

impl Renderer {
    /// Starts the rendering thread; None when the OS gives no thread.
    pub(super) fn start() -> Option<Self> {
        let (events_tx, events_rx) = mpsc::sync_channel::<Batch>(QUEUE);
        let (spare_tx, spare_rx) = mpsc::sync_channel::<Vec<u8>>(AHEAD + 1);
        // Unbounded, so that the rendering thread never waits for the sink
        // while the sink waits for it; what waits here is bounded by AHEAD.
        let (chunks_tx, chunks_rx) = mpsc::channel::<io::Result<Vec<u8>>>();
        let (recycle_tx, recycle_rx) = mpsc::sync_channel::<Vec<u8>>(AHEAD + 1);
        let thread = std::thread::Builder::new()
            .name("dnslens-render".into())
            .spawn(move || {
                let mut files = Files::default();
                for batch in events_rx {
                    let mut buf = recycle_rx
                        .try_recv()
                        .unwrap_or_else(|_| Vec::with_capacity(64 * 1024));
                    buf.clear();
                    let mut result = Ok(());
                    for ev in batch.events {
                        result = render(&mut files, ev, &batch.bytes, &mut buf);
                        if result.is_err() {
                            break;
                        }
                    }
                    let _ = spare_tx.try_send(batch.bytes);
                    let chunk = result.map(|()| buf);
                    let failed = chunk.is_err();
                    if chunks_tx.send(chunk).is_err() || failed {
                        break;
                    }
                }
            })
            .ok()?;
        Some(Self {
            events: Some(events_tx),
            spare_bytes: spare_rx,
            chunks: chunks_rx,
            recycle: recycle_tx,
            thread: Some(thread),
            pending: Batch {
                events: Vec::with_capacity(BATCH),
                bytes: Vec::with_capacity(BATCH_BYTES / 4),
            },
            in_flight: 0,
            order: std::collections::VecDeque::new(),
            files: Files::default(),
            files_unsent: false,
            local: Vec::new(),
            sent: 0,
            rendered_here: 0,
        })
    }

    fn push(&mut self, files: &Files, ev: Event, out: &mut dyn io::Write) -> io::Result<()> {
        if files.list.len() != self.files.list.len() {
            self.files = files.clone();
            self.files_unsent = true;
        }
        self.pending.events.push(ev);
        if self.pending.events.len() >= BATCH || self.pending.bytes.len() >= BATCH_BYTES {
            self.flush_batch(out)?;
        }
        self.write_ready(out)
    }

    pub(super) fn message(
        &mut self,
        files: &Files,
        meta: &MessageMeta,
        bytes: &[u8],
        out: &mut dyn io::Write,
    ) -> io::Result<()> {
        let r = self.pending.keep(bytes);
        self.push(files, Event::Message(*meta, r), out)
    }

    pub(super) fn transaction(
        &mut self,
        files: &Files,
        txn: &Transaction,
        out: &mut dyn io::Write,
    ) -> io::Result<()> {
        let q = txn.query.as_ref().map(|m| self.pending.keep(&m.bytes));
        let r = txn.response.as_ref().map(|m| self.pending.keep(&m.bytes));
        self.push(files, Event::Transaction(without_bytes(txn), q, r), out)
    }

    pub(super) fn diagnostic(
        &mut self,
        files: &Files,
        diag: &Diagnostic,
        out: &mut dyn io::Write,
    ) -> io::Result<()> {
        self.push(files, Event::Diagnostic(diag.clone()), out)
    }

    /// Hands the pending batch to the rendering thread, or, when that thread
    /// is [`AHEAD`] batches behind, renders it here (after writing what the
    /// thread has rendered before it): both threads render, in order.
    fn flush_batch(&mut self, out: &mut dyn io::Write) -> io::Result<()> {
        if self.in_flight < AHEAD {
            let mut bytes = self
                .spare_bytes
                .try_recv()
                .unwrap_or_else(|_| Vec::with_capacity(BATCH_BYTES / 4));
            bytes.clear();
            let next = Batch {
                events: Vec::with_capacity(BATCH),
                bytes,
            };
            let mut batch = std::mem::replace(&mut self.pending, next);
            if self.files_unsent {
                self.files_unsent = false;
                batch.events.insert(0, Event::Files(self.files.clone()));
            }
            let sent = self.events.as_ref().map(|tx| tx.send(batch));
            return match sent {
                Some(Ok(())) => {
                    self.in_flight += 1;
                    self.order.push_back(None);
                    self.sent += 1;
                    Ok(())
                }
                // The thread ended: its error (if any) is in the chunks.
                _ => Err(self.stopped()),
            };
        }
        // Rendered here: the batch's buffers stay for the next batch.
        let events = std::mem::replace(&mut self.pending.events, Vec::with_capacity(BATCH));
        // A batch renders to about a megabyte: a fresh buffer that grew from
        // nothing was reallocated and copied some twenty times.
        let mut local = self
            .local
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(BATCH_BYTES));
        local.clear();
        for ev in events {
            render(&mut self.files, ev, &self.pending.bytes, &mut local)?;
        }
        self.pending.bytes.clear();
        self.order.push_back(Some(local));
        self.rendered_here += 1;
        self.write_ready(out)?;
        // Too many of the sink's own chunks waiting: wait for the thread.
        while self.order.len() - self.in_flight > WAITING && self.in_flight > 0 {
            let chunk = self.chunks.recv().map_err(|_| self.stopped())?;
            self.take_chunk(chunk?, out)?;
            self.write_ready(out)?;
        }
        Ok(())
    }

    /// Writes a chunk from the thread, the first still awaited in `order`, and
    /// the sink's own chunks that waited behind it.
    fn take_chunk(&mut self, chunk: Vec<u8>, out: &mut dyn io::Write) -> io::Result<()> {
        if let Some(pos) = self.order.iter().position(Option::is_none) {
            // Written in order: everything before it was written already.
            debug_assert_eq!(pos, 0);
            self.order.remove(pos);
        }
        self.in_flight = self.in_flight.saturating_sub(1);
        self.write_chunk(chunk, out)?;
        self.write_own(out)
    }

    /// Writes the sink's own chunks at the front of `order`.
    fn write_own(&mut self, out: &mut dyn io::Write) -> io::Result<()> {
        while let Some(Some(_)) = self.order.front() {
            if let Some(Some(local)) = self.order.pop_front() {
                out.write_all(&local)?;
                // One more than can wait: the sink renders one while they do.
                if self.local.len() <= WAITING {
                    self.local.push(local);
                }
            }
        }
        Ok(())
    }

    fn stopped(&mut self) -> io::Error {
        while let Ok(chunk) = self.chunks.try_recv() {
            if let Err(e) = chunk {
                return e;
            }
        }
        io::Error::other("the NDJSON rendering thread stopped")
    }

    /// Writes the chunks rendered so far, in order.
    fn write_ready(&mut self, out: &mut dyn io::Write) -> io::Result<()> {
        self.write_own(out)?;
        while let Ok(chunk) = self.chunks.try_recv() {
            self.take_chunk(chunk?, out)?;
        }
        Ok(())
    }

    /// Writes one rendered chunk and hands its buffer back for reuse (when
    /// the thread has enough spare buffers, this one is dropped).
    fn write_chunk(&mut self, chunk: Vec<u8>, out: &mut dyn io::Write) -> io::Result<()> {
        out.write_all(&chunk)?;
        let _ = self.recycle.try_send(chunk);
        Ok(())
    }

    /// Renders and writes everything still pending; the thread ends.
    pub(super) fn finish(&mut self, out: &mut dyn io::Write) -> io::Result<()> {
        if !self.pending.events.is_empty() {
            self.flush_batch(out)?;
        }
        self.events = None;
        self.write_own(out)?;
        while self.in_flight > 0 {
            let Ok(chunk) = self.chunks.recv() else {
                break;
            };
            self.take_chunk(chunk?, out)?;
        }
        self.in_flight = 0;
        // Whatever the thread did not render (it stopped) is not written.
        self.order.clear();
        if let Some(thread) = self.thread.take() {
            if let Err(panic) = thread.join() {
                std::panic::resume_unwind(panic);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::{NdjsonSink, Sink, Summary};
    use super::*;
    use crate::app::{analyze, Settings};
    use std::cell::RefCell;
    use std::rc::Rc;

    /// A writer whose bytes the test keeps.
    #[derive(Clone, Default)]
    struct Shared(Rc<RefCell<Vec<u8>>>);

    impl io::Write for Shared {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(b);
            Ok(b.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// Feeds every message, transaction and diagnostic of a sample to a sink.
    fn feed(sink: &mut dyn Sink, name: &str) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("samples")
            .join(name);
        let a = analyze(&path, &Settings::default()).unwrap();
        let mut files = Files::default();
        files.list.push(a.info.clone());
        for m in &a.messages {
            sink.message(&files, &m.meta, &m.bytes).unwrap();
        }
        // A second file appears half-way: later events name it.
        let mut second = a.info.clone();
        second.path = "second.pcap".into();
        files.list.push(second);
        // Rounds enough for many batches, so that both threads render.
        let rounds = 3 * BATCH * AHEAD / a.transactions.len().max(1) + 1;
        let all = a
            .transactions
            .iter()
            .cycle()
            .take(rounds * a.transactions.len());
        for (i, t) in all.enumerate() {
            let mut t = t.clone();
            if i % 2 == 1 {
                for m in [&mut t.query, &mut t.response].into_iter().flatten() {
                    m.meta.file = 1;
                }
            }
            sink.transaction(&files, &t).unwrap();
            if let Some(d) = a.diagnostics.get(i) {
                sink.diagnostic(&files, d).unwrap();
            }
        }
        sink.finish(&files, &Summary::default()).unwrap();
    }

    #[test]
    fn the_rendering_thread_writes_what_the_sink_writes_alone() {
        for name in ["dns.pcapng", "tcp.pcap", "bad-client.pcap"] {
            let here = Shared::default();
            feed(&mut NdjsonSink::new(Box::new(here.clone())), name);
            let threaded = Shared::default();
            let mut sink = NdjsonSink::threaded(Box::new(threaded.clone()));
            assert!(sink.renderer.is_some());
            feed(&mut sink, name);
            let r = sink.renderer.as_ref().unwrap();
            assert!(
                r.sent > 0 && r.rendered_here > 0,
                "{name}: {} {}",
                r.sent,
                r.rendered_here
            );
            let (a, b) = (here.0.borrow(), threaded.0.borrow());
            let lines = a.iter().filter(|&&b| b == b'\n').count();
            assert!(lines > 3 * BATCH * AHEAD, "{name}: {lines} lines");
            assert!(*a == *b, "{name}: the same bytes");
            assert!(String::from_utf8_lossy(&a).contains("second.pcap"));
        }
    }

    #[test]
    fn big_messages_are_handed_over_in_smaller_batches() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/dns.pcapng");
        let a = analyze(&path, &Settings::default()).unwrap();
        let mut files = Files::default();
        files.list.push(a.info.clone());
        // A query with 60 000 trailing bytes: 40 of them are 2.4 MB of messages.
        let mut big = a.transactions[0].clone();
        if let Some(q) = big.query.as_mut() {
            q.bytes.resize(q.bytes.len() + 60_000, 0);
        }
        let here = Shared::default();
        let threaded = Shared::default();
        let mut one = NdjsonSink::new(Box::new(here.clone()));
        let mut two = NdjsonSink::threaded(Box::new(threaded.clone()));
        for _ in 0..40 {
            one.transaction(&files, &big).unwrap();
            two.transaction(&files, &big).unwrap();
        }
        one.finish(&files, &Summary::default()).unwrap();
        two.finish(&files, &Summary::default()).unwrap();
        let r = two.renderer.as_ref().unwrap();
        // 40 events, far fewer than BATCH, yet at least 3 batches by bytes.
        assert!(
            r.sent + r.rendered_here >= 3,
            "{} {}",
            r.sent,
            r.rendered_here
        );
        assert!(*here.0.borrow() == *threaded.0.borrow());
    }

    /// Accepts `left` bytes, then fails as a closed pipe does.
    struct Closing {
        left: usize,
    }

    impl io::Write for Closing {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            if self.left == 0 {
                return Err(io::ErrorKind::BrokenPipe.into());
            }
            let n = b.len().min(self.left);
            self.left -= n;
            Ok(n)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_output_is_an_error_and_the_thread_ends() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/dns.pcapng");
        let a = analyze(&path, &Settings::default()).unwrap();
        let mut files = Files::default();
        files.list.push(a.info.clone());
        let mut sink = NdjsonSink::threaded(Box::new(Closing { left: 100 }));
        let mut failed = None;
        for _ in 0..200 {
            for t in &a.transactions {
                if let Err(e) = sink.transaction(&files, t) {
                    failed = Some(e);
                    break;
                }
            }
            if failed.is_some() {
                break;
            }
        }
        let e = failed
            .or_else(|| sink.finish(&files, &Summary::default()).err())
            .expect("a write error");
        assert_eq!(e.kind(), io::ErrorKind::BrokenPipe);
    }
}
