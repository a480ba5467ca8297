//! NDJSON rendered on a thread of its own: the listing's events (messages,
//! transactions, diagnostics) are copied and handed, in order and in batches,
//! to a rendering thread, which turns them into lines exactly as
//! [`super::NdjsonSink`] does on its own and hands the text back in chunks; the
//! sink writes the chunks in order. Rendering is most of an NDJSON listing's
//! work, and this takes it off the thread that pairs.
//!
//! When the rendering thread is [`AHEAD`] batches behind, the sink renders the
//! next batch itself, so both threads render, and writes it after the
//! thread's earlier chunks: the order is the order of the events. So at most
//! `AHEAD` batches of [`BATCH`] events (or [`BATCH_BYTES`] of messages) are
//! held; rendered chunks are written as soon as the sink next runs, and all of
//! them at `finish`.

use std::io;
use std::sync::mpsc;
use std::thread::JoinHandle;

use serde::Serialize;

use super::{json, jsonw, Files};
use crate::error::Diagnostic;
use crate::meta::MessageMeta;
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

/// One event, owned, for the rendering thread.
enum Event {
    /// The run's files changed (a file was added): names for the next events.
    Files(Files),
    Message(MessageMeta, Vec<u8>),
    Transaction(Transaction),
    Diagnostic(Diagnostic),
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
    buf.extend_from_slice(b"{\"type\":\"transaction\",\"data\":");
    jsonw::transaction(buf, files, txn);
    buf.extend_from_slice(b"}\n");
}

fn render(files: &mut Files, ev: Event, buf: &mut Vec<u8>) -> io::Result<()> {
    match ev {
        Event::Files(f) => {
            *files = f;
            Ok(())
        }
        Event::Message(meta, bytes) => {
            message_line(buf, files, &meta, &bytes);
            Ok(())
        }
        Event::Transaction(txn) => {
            transaction_line(buf, files, &txn);
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
    events: Option<mpsc::SyncSender<Vec<Event>>>,
    chunks: mpsc::Receiver<io::Result<Vec<u8>>>,
    thread: Option<JoinHandle<()>>,
    pending: Vec<Event>,
    /// Message bytes held by `pending`.
    pending_bytes: usize,
    /// Batches sent whose chunks are not written yet.
    in_flight: usize,
    /// The run's files as last seen (names are only ever added, so the newest
    /// list names the files of every earlier event too).
    files: Files,
    /// `files` changed since the rendering thread was last told.
    files_unsent: bool,
    /// The sink's own rendering buffer.
    local: Vec<u8>,
    /// Batches rendered by the thread, and by the sink.
    sent: u64,
    rendered_here: u64,
}

impl Renderer {
    /// Starts the rendering thread; None when the OS gives no thread.
    pub(super) fn start() -> Option<Self> {
        let (events_tx, events_rx) = mpsc::sync_channel::<Vec<Event>>(QUEUE);
        // Unbounded, so that the rendering thread never waits for the sink
        // while the sink waits for it; what waits here is bounded by AHEAD.
        let (chunks_tx, chunks_rx) = mpsc::channel::<io::Result<Vec<u8>>>();
        let thread = std::thread::Builder::new()
            .name("dnslens-render".into())
            .spawn(move || {
                let mut files = Files::default();
                for batch in events_rx {
                    let mut buf = Vec::with_capacity(64 * 1024);
                    let mut result = Ok(());
                    for ev in batch {
                        result = render(&mut files, ev, &mut buf);
                        if result.is_err() {
                            break;
                        }
                    }
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
            chunks: chunks_rx,
            thread: Some(thread),
            pending: Vec::with_capacity(BATCH),
            pending_bytes: 0,
            in_flight: 0,
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
        self.pending_bytes += match &ev {
            Event::Message(_, bytes) => bytes.len(),
            Event::Transaction(t) => [&t.query, &t.response]
                .into_iter()
                .flatten()
                .map(|m| m.bytes.len())
                .sum(),
            Event::Files(_) | Event::Diagnostic(_) => 0,
        };
        self.pending.push(ev);
        if self.pending.len() >= BATCH || self.pending_bytes >= BATCH_BYTES {
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
        self.push(files, Event::Message(*meta, bytes.to_vec()), out)
    }

    pub(super) fn transaction(
        &mut self,
        files: &Files,
        txn: &Transaction,
        out: &mut dyn io::Write,
    ) -> io::Result<()> {
        self.push(files, Event::Transaction(txn.clone()), out)
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
        let mut batch = std::mem::replace(&mut self.pending, Vec::with_capacity(BATCH));
        self.pending_bytes = 0;
        if self.in_flight < AHEAD {
            if self.files_unsent {
                self.files_unsent = false;
                batch.insert(0, Event::Files(self.files.clone()));
            }
            let sent = self.events.as_ref().map(|tx| tx.send(batch));
            return match sent {
                Some(Ok(())) => {
                    self.in_flight += 1;
                    self.sent += 1;
                    Ok(())
                }
                // The thread ended: its error (if any) is in the chunks.
                _ => Err(self.stopped()),
            };
        }
        let mut local = std::mem::take(&mut self.local);
        local.clear();
        for ev in batch {
            render(&mut self.files, ev, &mut local)?;
        }
        while self.in_flight > 0 {
            let chunk = self.chunks.recv().map_err(|_| self.stopped())?;
            self.in_flight -= 1;
            out.write_all(&chunk?)?;
        }
        out.write_all(&local)?;
        self.local = local;
        self.rendered_here += 1;
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
        while let Ok(chunk) = self.chunks.try_recv() {
            self.in_flight = self.in_flight.saturating_sub(1);
            out.write_all(&chunk?)?;
        }
        Ok(())
    }

    /// Renders and writes everything still pending; the thread ends.
    pub(super) fn finish(&mut self, out: &mut dyn io::Write) -> io::Result<()> {
        if !self.pending.is_empty() {
            self.flush_batch(out)?;
        }
        self.events = None;
        for chunk in self.chunks.iter() {
            out.write_all(&chunk?)?;
        }
        self.in_flight = 0;
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
