//! DNS over TCP (RFC 1035 §4.2.2, RFC 7766 §8): per-flow stream reassembly
//! and the two-byte length framing.
//!
//! Each direction of a connection is a [`Flow`] keyed by its [`FlowKey`]. In
//! order bytes go through the framing: several messages in one segment, and
//! one message over several segments, both work. Messages wholly inside the
//! current segment are handed out straight from the frame (zero copy, with
//! their offset); only an incomplete tail is copied into the flow's buffer,
//! which is reused (no allocation per segment in the steady state).
//!
//! Sequence numbers put segments in order: retransmitted bytes are dropped,
//! segments ahead of the next expected byte wait in a bounded out-of-order
//! list until the hole is filled. A hole is declared a *gap* (capture loss,
//! reported as a [`Diagnostic`]) as soon as the data after it begins with a
//! complete, plausible DNS message (tshark then decodes that message too), or
//! when the flow's buffer bound is reached, or on FIN/RST, timeout or end of
//! file. After a gap, or when a capture starts mid-connection (no SYN seen),
//! the stream is *resynchronised*: we look for a length prefix followed by a
//! plausible DNS header, skipping (and reporting) bytes until one is found.
//!
//! Bounds: flows open (oldest evicted by capture time), bytes per flow, bytes
//! over all flows, idle timeout in capture time; all from `Config`.

use std::collections::HashMap;
use std::net::IpAddr;

use crate::hash::FastState;

use super::flow::FlowKey;
use super::link::{be16, be32};
use super::udp::tcp_port_kind;
use super::{Ctx, Decoder, Diagnostic, DnsPayload, Out, Stats, Transport, Ts};

/// Smallest TCP header.
const HEADER_LEN: usize = 20;
/// A DNS header.
const DNS_HEADER: usize = 12;
/// Out-of-order segments kept per flow.
const MAX_OOO_SEGMENTS: usize = 64;
/// Positions after a hole searched for a message start, per held segment.
const MAX_HOLE_SCAN: usize = 4096;
/// Spare buffers kept for reuse.
const MAX_SPARE: usize = 16;

const FIN: u8 = 0x01;
const SYN: u8 = 0x02;
const RST: u8 = 0x04;

/// Is `b` (starting at a length prefix) the start of a DNS message?
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Yes,
    No,
    NeedMore,
}

/// Plausibility of a length-prefixed DNS message at the start of `b`, used
/// to resynchronise: the whole message must be present, the length at least
/// a header, the opcode assigned, the question count 0 or 1 (0 only in a
/// response), every count able to fit, and a first question name that walks.
fn plausible(b: &[u8]) -> Verdict {
    let Some(len) = be16(b, 0) else {
        return Verdict::NeedMore;
    };
    let len = usize::from(len);
    if len < DNS_HEADER {
        return Verdict::No;
    }
    let Some(h) = b.get(2..2 + DNS_HEADER) else {
        return Verdict::NeedMore;
    };
    let flags = u16::from_be_bytes([h[2], h[3]]);
    let qr = flags & 0x8000 != 0;
    let opcode = (flags >> 11) & 0xf;
    if !matches!(opcode, 0 | 1 | 2 | 4 | 5 | 6) {
        return Verdict::No;
    }
    let count = |i: usize| usize::from(u16::from_be_bytes([h[i], h[i + 1]]));
    let (qd, an, ns, ar) = (count(4), count(6), count(8), count(10));
    if qd > 1 || (qd == 0 && !qr) || qd * 5 + (an + ns + ar) * 11 > len - DNS_HEADER {
        return Verdict::No;
    }
    let Some(msg) = b.get(2..2 + len) else {
        return Verdict::NeedMore;
    };
    if qd == 1 {
        let mut pos = DNS_HEADER;
        let mut hops = 0;
        loop {
            hops += 1;
            match msg.get(pos) {
                Some(0) => {
                    pos += 1;
                    break;
                }
                Some(&l) if l <= 63 && hops <= 128 => pos += 1 + usize::from(l),
                _ => return Verdict::No,
            }
        }
        if pos + 4 > msg.len() {
            return Verdict::No;
        }
    }
    Verdict::Yes
}

/// One direction of a TCP connection.
struct Flow {
    /// Next expected sequence number (the one after the last byte in `buf`).
    next_seq: Option<u32>,
    /// In-order bytes not yet framed; starts at a message boundary when `synced`.
    buf: Vec<u8>,
    /// `buf[0]` is known to start a length prefix.
    synced: bool,
    /// Segments beyond a hole: (sequence number, bytes), sorted by sequence.
    ooo: Vec<(u32, Vec<u8>)>,
    ooo_bytes: usize,
    /// Capacity of the `ooo` buffers (recycled buffers can be much larger
    /// than the segment they hold).
    ooo_cap: usize,
    /// Bytes of this flow currently counted in `Streams::total`: allocated
    /// capacity ([`Flow::held`]), so that the bound is on real memory.
    accounted: usize,
    last_ts: Ts,
}

impl Flow {
    fn buffered(&self) -> usize {
        self.buf.len() + self.ooo_bytes
    }

    /// Memory held: what `max_tcp_total` bounds (issue 7: counting lengths
    /// let recycled 64 KiB buffers holding 1400-byte segments reach twice
    /// the bound and more).
    fn held(&self) -> usize {
        self.buf.capacity() + self.ooo_cap
    }
}

/// What one segment produced, for the caller to turn into events.
pub(crate) struct Segment<'a> {
    pub(crate) key: FlowKey,
    pub(crate) seq: u32,
    pub(crate) flags: u8,
    pub(crate) data: &'a [u8],
    /// Payload length on the wire (more than `data.len()` when the capture cut it).
    pub(crate) wire_len: usize,
    pub(crate) frame: u64,
    pub(crate) ts: Ts,
}

/// All TCP flows of one capture.
pub(crate) struct Streams {
    /// Looked up several times per segment: the fast hasher (`crate::hash`).
    flows: HashMap<FlowKey, Flow, FastState>,
    max_flows: usize,
    max_buf: usize,
    max_total: usize,
    timeout: u32,
    /// Bytes buffered over all flows.
    total: usize,
    spare: Vec<Vec<u8>>,
    /// Capture second of the last expiry scan.
    last_scan: i64,
}

/// Callbacks: a message (bytes, cut) and a diagnostic.
pub(crate) struct Sink<'s> {
    pub(crate) msg: &'s mut dyn FnMut(&[u8], bool),
    pub(crate) diag: &'s mut dyn FnMut(Diagnostic),
}

impl Streams {
    pub(crate) fn new(max_flows: usize, max_buf: usize, max_total: usize, timeout: u32) -> Self {
        Self {
            flows: HashMap::default(),
            max_flows: max_flows.max(1),
            max_buf: max_buf.max(2 + 65_535),
            max_total,
            timeout,
            total: 0,
            spare: Vec::new(),
            last_scan: i64::MIN,
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.flows.len()
    }

    /// Bytes buffered over all flows.
    #[cfg(test)]
    pub(crate) fn total(&self) -> usize {
        assert_eq!(
            self.total,
            self.flows.values().map(|f| f.accounted).sum::<usize>()
        );
        assert!(self.flows.values().all(|f| f.accounted == f.held()));
        self.total
    }

    fn take_vec(&mut self) -> Vec<u8> {
        self.spare.pop().unwrap_or_default()
    }

    fn give_vec(&mut self, mut v: Vec<u8>) {
        if self.spare.len() < MAX_SPARE {
            v.clear();
            self.spare.push(v);
        }
    }

    /// Removes a flow, recycling its buffers; reports data left in it.
    fn close(
        &mut self,
        key: &FlowKey,
        why: &str,
        frame: u64,
        stats: &mut Stats,
        diag: &mut dyn FnMut(Diagnostic),
    ) {
        let Some(mut f) = self.flows.remove(key) else {
            return;
        };
        let left = f.buffered();
        self.total = self.total.saturating_sub(f.accounted);
        if left > 0 {
            stats.tcp_gap_bytes += left as u64;
            diag(Diagnostic {
                frame,
                offset: None,
                message: format!(
                    "{key}: {why} with {left} bytes of an incomplete DNS message buffered; dropped"
                ),
            });
        }
        let buf = std::mem::take(&mut f.buf);
        self.give_vec(buf);
        for (_, v) in f.ooo.drain(..) {
            self.give_vec(v);
        }
    }

    /// Closes flows idle for longer than the timeout (capture time).
    /// Whether [`Streams::expire`] has anything to look at for `now`.
    #[inline]
    pub(crate) fn due(&self, now: Ts) -> bool {
        !self.flows.is_empty() && now.secs != self.last_scan
    }

    #[inline]
    pub(crate) fn expire(&mut self, now: Ts, stats: &mut Stats, diag: &mut dyn FnMut(Diagnostic)) {
        // Called per frame: the common case (no flow, or this second already
        // scanned) stays inline in the caller.
        if self.flows.is_empty() || now.secs == self.last_scan {
            return;
        }
        self.scan(now, stats, diag);
    }

    #[inline(never)]
    fn scan(&mut self, now: Ts, stats: &mut Stats, diag: &mut dyn FnMut(Diagnostic)) {
        self.last_scan = now.secs;
        let timeout = i64::from(self.timeout);
        let mut stale: Vec<(Ts, FlowKey)> = self
            .flows
            .iter()
            .filter(|(_, f)| now.secs_since(f.last_ts) > timeout)
            .map(|(k, f)| (f.last_ts, *k))
            .collect();
        stale.sort_by_key(|(t, _)| *t);
        for (_, k) in stale {
            if self.flows.get(&k).is_some_and(|f| f.buffered() > 0) {
                stats.tcp_evicted += 1;
            }
            self.close(
                &k,
                &format!("idle for more than {timeout} s"),
                0,
                stats,
                diag,
            );
        }
    }

    /// End of capture: reports flows with data still buffered.
    pub(crate) fn drain(&mut self, stats: &mut Stats, diag: &mut dyn FnMut(Diagnostic)) {
        let mut keys: Vec<(Ts, FlowKey)> =
            self.flows.iter().map(|(k, f)| (f.last_ts, *k)).collect();
        keys.sort_by_key(|(t, _)| *t);
        for (_, k) in keys {
            // Data waiting behind a hole: skip the hole and frame what follows.
            let mut no_msg = |_: &[u8], _: bool| {};
            if let Some(f) = self.flows.get_mut(&k) {
                if !f.ooo.is_empty() {
                    let mut sink = Sink {
                        msg: &mut no_msg,
                        diag: &mut *diag,
                    };
                    Self::skip_gap(f, &k, 0, stats, &mut self.spare, &mut sink);
                }
            }
            self.close(&k, "capture ended", 0, stats, diag);
        }
    }

    /// Evicts the least recently active flow other than `keep`.
    fn evict_oldest(
        &mut self,
        keep: &FlowKey,
        frame: u64,
        stats: &mut Stats,
        diag: &mut dyn FnMut(Diagnostic),
    ) -> bool {
        let victim = self
            .flows
            .iter()
            .filter(|(k, _)| *k != keep)
            .min_by_key(|(_, f)| f.last_ts)
            .map(|(k, _)| *k);
        match victim {
            Some(k) => {
                stats.tcp_evicted += 1;
                self.close(&k, "evicted (TCP flow bounds reached)", frame, stats, diag);
                true
            }
            None => false,
        }
    }

    /// Handles one segment of a DNS-port connection.
    pub(crate) fn segment(&mut self, seg: &Segment<'_>, stats: &mut Stats, sink: &mut Sink<'_>) {
        let key = seg.key;
        if seg.flags & RST != 0 {
            self.close(&key, "reset", seg.frame, stats, sink.diag);
            self.close(&key.reversed(), "reset", seg.frame, stats, sink.diag);
            return;
        }
        if !self.flows.contains_key(&key) {
            if seg.data.is_empty() && seg.flags & SYN == 0 {
                return; // a bare ACK or FIN of a flow we know nothing about
            }
            while self.flows.len() >= self.max_flows {
                if !self.evict_oldest(&key, seg.frame, stats, sink.diag) {
                    break;
                }
            }
            let buf = self.take_vec();
            self.flows.insert(
                key,
                Flow {
                    next_seq: None,
                    buf,
                    synced: false,
                    ooo: Vec::new(),
                    ooo_bytes: 0,
                    ooo_cap: 0,
                    accounted: 0,
                    last_ts: seg.ts,
                },
            );
        }
        let Some(f) = self.flows.get_mut(&key) else {
            return;
        };
        f.last_ts = seg.ts;
        let mut seq = seg.seq;
        if seg.flags & SYN != 0 {
            // A new connection starts afresh, unless this is a retransmitted
            // SYN. Data on a SYN (TCP Fast Open, RFC 7413) begins at ISN + 1.
            seq = seq.wrapping_add(1);
            if f.next_seq != Some(seq) || !f.synced {
                f.buf.clear();
                for (_, v) in f.ooo.drain(..) {
                    if self.spare.len() < MAX_SPARE {
                        let mut v = v;
                        v.clear();
                        self.spare.push(v);
                    }
                }
                f.ooo_bytes = 0;
                f.ooo_cap = 0;
                f.synced = true;
                f.next_seq = Some(seq);
            }
        }
        let next = *f.next_seq.get_or_insert(seq);
        let cut = seg.wire_len > seg.data.len();
        let rel = seq.wrapping_sub(next) as i32;
        if rel > 0 {
            // Ahead of the next expected byte: hold it.
            Self::hold(f, seq, seg.data, &mut self.spare);
            let limit = f.ooo.len() > MAX_OOO_SEGMENTS || f.buffered() > self.max_buf;
            if limit || Self::hole_is_loss(f) {
                Self::skip_gap(f, &key, seg.frame, stats, &mut self.spare, sink);
            }
        } else {
            let skip = usize::try_from(-i64::from(rel)).unwrap_or(usize::MAX);
            if skip < seg.data.len() {
                let data = &seg.data[skip..];
                let wire_end = seq.wrapping_add(seg.wire_len as u32);
                f.next_seq = Some(next.wrapping_add(data.len() as u32));
                Self::feed(f, &key, data, seg.frame, stats, sink);
                if cut {
                    Self::cut_here(f, wire_end, sink);
                }
                Self::pull(f, &key, seg.frame, stats, &mut self.spare, sink);
            }
            // else: a retransmission of bytes already seen, or a bare ACK.
        }
        if f.buffered() > self.max_buf {
            stats.tcp_gap_bytes += f.buf.len() as u64;
            (sink.diag)(Diagnostic {
                frame: seg.frame,
                offset: None,
                message: format!(
                    "{key}: more than {} bytes buffered without a complete DNS message; {} bytes dropped",
                    self.max_buf,
                    f.buf.len()
                ),
            });
            f.buf.clear();
            f.synced = false;
        }
        self.total = self.total.saturating_sub(f.accounted) + f.held();
        f.accounted = f.held();
        if seg.flags & FIN != 0 {
            if let Some(f) = self.flows.get_mut(&key) {
                if !f.ooo.is_empty() {
                    Self::skip_gap(f, &key, seg.frame, stats, &mut self.spare, sink);
                }
            }
            self.close(&key, "closed (FIN)", seg.frame, stats, sink.diag);
        }
        while self.total > self.max_total {
            if !self.evict_oldest(&key, seg.frame, stats, sink.diag) {
                // This flow alone holds more than the total bound.
                stats.tcp_evicted += 1;
                self.close(
                    &key,
                    "evicted (TCP buffer bounds reached)",
                    seg.frame,
                    stats,
                    sink.diag,
                );
                break;
            }
        }
    }

    /// Stores an out-of-order segment, sorted by sequence number.
    fn hold(f: &mut Flow, seq: u32, data: &[u8], spare: &mut Vec<Vec<u8>>) {
        if data.is_empty() {
            return;
        }
        let next = f.next_seq.unwrap_or(seq);
        let rel = |s: u32| s.wrapping_sub(next);
        if f.ooo
            .iter()
            .any(|(s, v)| *s == seq && v.len() >= data.len())
        {
            return; // retransmitted out-of-order segment
        }
        let mut v = spare.pop().unwrap_or_default();
        v.extend_from_slice(data);
        let at = f.ooo.partition_point(|(s, _)| rel(*s) < rel(seq));
        f.ooo_bytes += v.len();
        f.ooo_cap += v.capacity();
        f.ooo.insert(at, (seq, v));
    }

    /// Is the hole before the held data a real loss? Yes when the data after
    /// it starts with a complete plausible message, or, once two segments
    /// wait behind the hole, when one starts anywhere in that data (a
    /// reordered segment is rarely followed by a second one before it).
    fn hole_is_loss(f: &Flow) -> bool {
        let Some((seq0, first)) = f.ooo.first() else {
            return false;
        };
        if plausible(first) == Verdict::Yes {
            return true;
        }
        if f.ooo.len() < 2 {
            return false;
        }
        // The contiguous run of held bytes after the hole.
        let mut run: Vec<u8> = Vec::new();
        let mut end = *seq0;
        for (s, v) in &f.ooo {
            let rel = s.wrapping_sub(end) as i32;
            if rel > 0 {
                break;
            }
            let skip = usize::try_from(-i64::from(rel)).unwrap_or(usize::MAX);
            if skip < v.len() {
                run.extend_from_slice(&v[skip..]);
                end = end.wrapping_add((v.len() - skip) as u32);
            }
            if run.len() > 2 + 65_535 {
                break;
            }
        }
        // Bounded work per held segment; the buffer bound catches the rest.
        (0..run.len().min(MAX_HOLE_SCAN)).any(|i| plausible(&run[i..]) == Verdict::Yes)
    }

    /// Declares the hole before the first held segment lost: reports it,
    /// drops the incomplete message, and resynchronises after it.
    fn skip_gap(
        f: &mut Flow,
        key: &FlowKey,
        frame: u64,
        stats: &mut Stats,
        spare: &mut Vec<Vec<u8>>,
        sink: &mut Sink<'_>,
    ) {
        let Some(&(seq0, _)) = f.ooo.first() else {
            return;
        };
        let missing = f.next_seq.map_or(0, |n| seq0.wrapping_sub(n) as usize);
        stats.tcp_gap_bytes += (missing + f.buf.len()) as u64;
        let lost = if f.buf.is_empty() {
            String::new()
        } else {
            format!(
                "; {} buffered bytes of an incomplete DNS message dropped",
                f.buf.len()
            )
        };
        (sink.diag)(Diagnostic {
            frame,
            offset: None,
            message: format!("{key}: {missing} bytes missing from the capture (TCP gap){lost}"),
        });
        f.buf.clear();
        f.synced = false;
        f.next_seq = Some(seq0);
        Self::pull(f, key, frame, stats, spare, sink);
    }

    /// Appends held segments that are now in order, then frames the buffer.
    fn pull(
        f: &mut Flow,
        key: &FlowKey,
        frame: u64,
        stats: &mut Stats,
        spare: &mut Vec<Vec<u8>>,
        sink: &mut Sink<'_>,
    ) {
        let mut added = false;
        while let Some((s, _)) = f.ooo.first() {
            let Some(next) = f.next_seq else {
                break;
            };
            let rel = s.wrapping_sub(next) as i32;
            if rel > 0 {
                break;
            }
            let (_, mut v) = f.ooo.remove(0);
            f.ooo_bytes = f.ooo_bytes.saturating_sub(v.len());
            f.ooo_cap = f.ooo_cap.saturating_sub(v.capacity());
            let skip = usize::try_from(-i64::from(rel)).unwrap_or(usize::MAX);
            if skip < v.len() {
                f.next_seq = Some(next.wrapping_add((v.len() - skip) as u32));
                f.buf.extend_from_slice(&v[skip..]);
                added = true;
            }
            if spare.len() < MAX_SPARE {
                v.clear();
                spare.push(v);
            }
        }
        if added {
            Self::frame_buf(f, key, frame, stats, sink);
        }
    }

    /// Feeds in-order bytes. Fast path: nothing buffered and in sync, so
    /// whole messages are handed out straight from `data`.
    fn feed(
        f: &mut Flow,
        key: &FlowKey,
        data: &[u8],
        frame: u64,
        stats: &mut Stats,
        sink: &mut Sink<'_>,
    ) {
        if f.buf.is_empty() && f.synced {
            let used = frame_slice(data, sink);
            if used < data.len() {
                f.buf.extend_from_slice(&data[used..]);
                Self::check_prefix(f, key, frame, sink);
            }
        } else {
            f.buf.extend_from_slice(data);
            Self::frame_buf(f, key, frame, stats, sink);
        }
    }

    /// Frames the buffer: resynchronises if needed, hands out complete
    /// messages, keeps the incomplete tail.
    fn frame_buf(f: &mut Flow, key: &FlowKey, frame: u64, stats: &mut Stats, sink: &mut Sink<'_>) {
        if !f.synced {
            let mut start = None;
            let mut keep_from = f.buf.len();
            for i in 0..f.buf.len() {
                match plausible(&f.buf[i..]) {
                    Verdict::Yes => {
                        start = Some(i);
                        break;
                    }
                    Verdict::NeedMore => {
                        keep_from = keep_from.min(i);
                    }
                    Verdict::No => {}
                }
            }
            let skip = start.unwrap_or(keep_from);
            if skip > 0 {
                stats.tcp_gap_bytes += skip as u64;
                (sink.diag)(Diagnostic {
                    frame,
                    offset: None,
                    message: format!(
                        "{key}: {skip} bytes skipped to find the start of a DNS message"
                    ),
                });
                f.buf.drain(..skip);
            }
            if start.is_none() {
                return;
            }
            f.synced = true;
        }
        let used = frame_slice(&f.buf, sink);
        f.buf.drain(..used);
        Self::check_prefix(f, key, frame, sink);
    }

    /// A length prefix too short for a DNS header means we lost the framing.
    fn check_prefix(f: &mut Flow, key: &FlowKey, frame: u64, sink: &mut Sink<'_>) {
        if let Some(len) = be16(&f.buf, 0) {
            if usize::from(len) < DNS_HEADER {
                (sink.diag)(Diagnostic {
                    frame,
                    offset: None,
                    message: format!(
                        "{key}: length prefix {len} is shorter than a DNS header; resynchronising"
                    ),
                });
                f.synced = false;
            }
        }
    }

    /// The segment was cut by the capture: the incomplete message (if its
    /// header at least is here) is handed out as cut; the rest is lost.
    fn cut_here(f: &mut Flow, wire_end: u32, sink: &mut Sink<'_>) {
        if f.synced && f.buf.len() >= 2 + DNS_HEADER {
            (sink.msg)(&f.buf[2..], true);
        }
        f.buf.clear();
        f.synced = false;
        f.next_seq = Some(wire_end);
    }
}

/// Hands out every complete length-prefixed message at the start of `b`;
/// returns the bytes consumed. Stops at a prefix shorter than a DNS header.
fn frame_slice(b: &[u8], sink: &mut Sink<'_>) -> usize {
    let mut pos = 0usize;
    while let Some(len) = be16(b, pos) {
        let len = usize::from(len);
        if len < DNS_HEADER {
            break;
        }
        let Some(msg) = b.get(pos + 2..pos + 2 + len) else {
            break;
        };
        (sink.msg)(msg, false);
        pos += 2 + len;
    }
    pos
}

impl Decoder {
    /// A TCP segment (`b` starts at the TCP header).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn tcp_segment(
        &mut self,
        ctx: &Ctx<'_>,
        src: IpAddr,
        dst: IpAddr,
        b: &[u8],
        wire_len: usize,
        out: &mut Out<'_>,
    ) {
        let (Some(sport), Some(dport)) = (be16(b, 0), be16(b, 2)) else {
            return;
        };
        let Some(kind) = tcp_port_kind(sport, dport, &self.cfg.extra_ports) else {
            return;
        };
        let (Some(seq), Some(&off), Some(&flags)) = (be32(b, 4), b.get(12), b.get(13)) else {
            self.report(
                ctx,
                ctx.offset_of(b),
                format!("TCP header cut by the capture ({} bytes)", b.len()),
                out,
            );
            return;
        };
        let hlen = usize::from(off >> 4) * 4;
        if hlen < HEADER_LEN {
            self.report(
                ctx,
                ctx.offset_of(b).map(|o| o + 12),
                format!("TCP data offset {hlen} is shorter than the TCP header"),
                out,
            );
            return;
        }
        let Some(data) = b.get(hlen..) else {
            self.report(
                ctx,
                ctx.offset_of(b),
                format!(
                    "TCP header cut by the capture ({} of {hlen} bytes)",
                    b.len()
                ),
                out,
            );
            return;
        };
        let seg = Segment {
            key: FlowKey::new(src, sport, dst, dport, Transport::Tcp),
            seq,
            flags,
            data,
            wire_len: wire_len.saturating_sub(hlen).max(data.len()),
            frame: ctx.frame,
            ts: ctx.ts,
        };
        let mut diags = Vec::new();
        let mut n = 0u64;
        let mut n_cut = 0u64;
        {
            let mut on_msg = |m: &[u8], cut: bool| {
                n += 1;
                if cut {
                    n_cut += 1;
                }
                out(super::NetEvent::Dns(DnsPayload {
                    src,
                    dst,
                    sport,
                    dport,
                    transport: Transport::Tcp,
                    payload: m,
                    cut,
                    frame: ctx.frame,
                    ts: ctx.ts,
                    port_kind: kind,
                    offset_in_frame: ctx.offset_of(m),
                }));
            };
            let mut on_diag = |d: Diagnostic| diags.push(d);
            let mut sink = Sink {
                msg: &mut on_msg,
                diag: &mut on_diag,
            };
            self.tcp.segment(&seg, &mut self.stats, &mut sink);
        }
        if n > 0 {
            self.found = true;
            self.stats.dns_messages += n;
            self.stats.tcp_messages += n;
            self.stats.cut_messages += n_cut;
        }
        for d in diags {
            self.diag(out, d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{dns_of, run, run_with, Ev};
    use super::super::testutil::{ipv4, QUERY};
    use super::super::Config;
    use super::*;

    const C: u16 = 40000; // client port

    /// A TCP segment (20-byte header, no options).
    fn tcp(sport: u16, dport: u16, seq: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&sport.to_be_bytes());
        v.extend_from_slice(&dport.to_be_bytes());
        v.extend_from_slice(&seq.to_be_bytes());
        v.extend_from_slice(&0u32.to_be_bytes()); // ack
        v.extend_from_slice(&[5 << 4, flags | 0x10]); // data offset 5, ACK + flags
        v.extend_from_slice(&[0xff, 0xff, 0, 0, 0, 0]); // window, checksum, urgent
        v.extend_from_slice(payload);
        v
    }

    /// Raw-IP frame (link 101) carrying a client→server segment.
    fn seg(seq: u32, flags: u8, payload: &[u8]) -> (u32, Vec<u8>) {
        (101, ipv4(6, &tcp(C, 53, seq, flags, payload)))
    }

    /// QUERY with its 2-byte length prefix.
    fn framed() -> Vec<u8> {
        let mut v = (QUERY.len() as u16).to_be_bytes().to_vec();
        v.extend_from_slice(&QUERY);
        v
    }

    fn diags(evs: &[Ev]) -> Vec<String> {
        evs.iter()
            .filter_map(|e| match e {
                Ev::Diag(f, m) => Some(format!("{f}: {m}")),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn one_message_in_one_segment_is_zero_copy() {
        let evs = run(&[seg(1000, SYN, &[]), seg(1001, 0, &framed())]);
        let d = dns_of(&evs);
        assert_eq!(d.len(), 1, "{evs:?}");
        assert_eq!(d[0].0, 2);
        assert_eq!(d[0].1, QUERY);
        assert_eq!(d[0].2, Some(20 + 20 + 2)); // IP + TCP + length prefix
        assert!(diags(&evs).is_empty(), "{evs:?}");
    }

    #[test]
    fn several_messages_in_one_segment() {
        let mut two = framed();
        two.extend_from_slice(&framed());
        let d = dns_of(&run(&[seg(1000, SYN, &[]), seg(1001, 0, &two)]));
        assert_eq!(d.len(), 2);
        assert_eq!(d[1].2, Some(40 + 2 + 29 + 2));
    }

    #[test]
    fn one_message_over_three_segments_reports_the_last_frame() {
        let m = framed();
        let evs = run(&[
            seg(1000, SYN, &[]),
            seg(1001, 0, &m[..2]),   // length prefix alone
            seg(1003, 0, &m[2..15]), // part of the header
            seg(1016, 0, &m[15..]),  // the rest
        ]);
        let d = dns_of(&evs);
        assert_eq!(d.len(), 1, "{evs:?}");
        assert_eq!((d[0].0, d[0].2), (4, None));
        assert_eq!(d[0].1, QUERY);
    }

    #[test]
    fn out_of_order_segment_waits_for_the_hole() {
        let m = framed();
        let evs = run(&[
            seg(1000, SYN, &[]),
            seg(1011, 0, &m[10..]), // arrives first
            seg(1001, 0, &m[..10]), // fills the hole
        ]);
        let d = dns_of(&evs);
        assert_eq!(d.len(), 1, "{evs:?}");
        assert_eq!(d[0].0, 3);
        assert_eq!(d[0].1, QUERY);
        assert!(diags(&evs).is_empty(), "{evs:?}");
    }

    #[test]
    fn retransmitted_segments_are_not_reported_twice() {
        let m = framed();
        let evs = run(&[
            seg(1000, SYN, &[]),
            seg(1001, 0, &m),
            seg(1001, 0, &m),       // full retransmission
            seg(1001, 0, &m[..20]), // partial retransmission
        ]);
        assert_eq!(dns_of(&evs).len(), 1, "{evs:?}");
        assert!(diags(&evs).is_empty(), "{evs:?}");
    }

    #[test]
    fn capture_starting_mid_connection_resynchronises() {
        // No SYN; the first segment starts with the tail of an earlier message.
        let mut data = vec![0xde, 0xad, 0xbe, 0xef, 0x00];
        data.extend_from_slice(&framed());
        let evs = run(&[seg(5000, 0, &data)]);
        let d = dns_of(&evs);
        assert_eq!(d.len(), 1, "{evs:?}");
        assert_eq!(d[0].1, QUERY);
        let ds = diags(&evs);
        assert_eq!(ds.len(), 1, "{ds:?}");
        assert!(ds[0].contains("5 bytes skipped"), "{ds:?}");
        // Starting exactly on a message boundary needs no skipping at all.
        let evs = run(&[seg(5000, 0, &framed())]);
        assert_eq!(dns_of(&evs).len(), 1);
        assert!(diags(&evs).is_empty());
    }

    #[test]
    fn gap_is_reported_and_the_next_message_found() {
        let m = framed();
        let evs = run(&[
            seg(1000, SYN, &[]),
            seg(1001, 0, &m[..10]), // first part of message 1
            // m[10..] never captured
            seg(1001 + m.len() as u32, 0, &m), // message 2, complete
        ]);
        let d = dns_of(&evs);
        assert_eq!(d.len(), 1, "{evs:?}");
        assert_eq!(d[0].0, 3);
        let ds = diags(&evs);
        assert!(
            ds.iter()
                .any(|m| m.contains("21 bytes missing") && m.contains("10 buffered bytes")),
            "{ds:?}"
        );
    }

    #[test]
    fn fin_with_an_incomplete_message_is_reported() {
        let m = framed();
        let evs = run(&[
            seg(1000, SYN, &[]),
            seg(1001, 0, &m[..20]),
            seg(1021, FIN, &[]),
        ]);
        assert!(dns_of(&evs).is_empty());
        let ds = diags(&evs);
        assert!(
            ds.iter()
                .any(|d| d.starts_with("3:") && d.contains("FIN") && d.contains("20 bytes")),
            "{ds:?}"
        );
    }

    #[test]
    fn open_gap_at_end_of_capture_is_reported() {
        let m = framed();
        let evs = run(&[seg(1000, SYN, &[]), seg(1001, 0, &m[..5])]);
        let ds = diags(&evs);
        assert!(
            ds.iter()
                .any(|d| d.contains("capture ended") && d.contains("5 bytes")),
            "{ds:?}"
        );
    }

    #[test]
    fn syn_with_data_is_tcp_fast_open() {
        let evs = run(&[seg(7000, SYN, &framed())]);
        assert_eq!(dns_of(&evs).len(), 1, "{evs:?}");
    }

    #[test]
    fn flows_are_bounded_and_the_oldest_evicted() {
        let m = framed();
        let frames: Vec<(u32, Vec<u8>)> = (0..3u16)
            .map(|i| (101, ipv4(6, &tcp(C + i, 53, 100, SYN, &m[..5]))))
            .collect();
        let cfg = Config {
            max_tcp_flows: 2,
            ..Config::default()
        };
        let evs = run_with(cfg, &frames);
        let ds = diags(&evs);
        assert!(
            ds[0].starts_with("3:") && ds[0].contains("evicted") && ds[0].contains(":40000"),
            "{ds:?}"
        );
    }

    #[test]
    fn idle_flows_expire_on_capture_time() {
        let mut s = Streams::new(8, 1 << 17, 1 << 20, 10);
        let key = FlowKey::new(
            [10, 0, 0, 1].into(),
            C,
            [10, 0, 0, 2].into(),
            53,
            Transport::Tcp,
        );
        let mut stats = Stats::default();
        let mut msgs = 0;
        let mut ds = Vec::new();
        let seg = Segment {
            key,
            seq: 1,
            flags: SYN,
            data: &[0, 40, 1],
            wire_len: 3,
            frame: 1,
            ts: Ts::new(100, 0),
        };
        s.segment(
            &seg,
            &mut stats,
            &mut Sink {
                msg: &mut |_, _| msgs += 1,
                diag: &mut |d| ds.push(d),
            },
        );
        assert_eq!(s.len(), 1);
        s.expire(Ts::new(110, 0), &mut stats, &mut |d| ds.push(d));
        assert_eq!(s.len(), 1);
        s.expire(Ts::new(111, 0), &mut stats, &mut |d| ds.push(d));
        assert_eq!(s.len(), 0);
        assert_eq!(ds.len(), 1);
        assert!(ds[0].message.contains("idle"));
        assert_eq!(stats.tcp_evicted, 1);
        assert_eq!(s.total, 0);
        assert_eq!(msgs, 0);
    }

    #[test]
    fn total_buffer_bound_evicts_other_flows() {
        let mut s = Streams::new(8, 2 + 65_535, 100, 10);
        let mut stats = Stats::default();
        let mut ds = Vec::new();
        for i in 0..3u16 {
            let key = FlowKey::new(
                [10, 0, 0, 1].into(),
                C + i,
                [10, 0, 0, 2].into(),
                53,
                Transport::Tcp,
            );
            let data = [
                0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            ];
            let seg = Segment {
                key,
                seq: 1,
                flags: SYN,
                data: &data,
                wire_len: data.len(),
                frame: u64::from(i),
                ts: Ts::new(i64::from(i), 0),
            };
            s.segment(
                &seg,
                &mut stats,
                &mut Sink {
                    msg: &mut |_, _| {},
                    diag: &mut |d| ds.push(d),
                },
            );
            assert!(s.total <= 100, "total {}", s.total);
        }
        assert!(ds.iter().any(|d| d.message.contains("evicted")), "{ds:?}");
    }

    #[test]
    fn snaplen_cut_segment_yields_a_cut_message() {
        let f = ipv4(6, &tcp(C, 53, 1001, 0, &framed()));
        let mut dec = Decoder::new(Config::default());
        let mut got = Vec::new();
        let syn = ipv4(6, &tcp(C, 53, 1000, SYN, &[]));
        dec.on_frame(101, 1, Ts::default(), &syn, syn.len() as u32, &mut |_| {});
        dec.on_frame(
            101,
            2,
            Ts::default(),
            &f[..f.len() - 4],
            f.len() as u32,
            &mut |e| {
                if let super::super::NetEvent::Dns(p) = e {
                    got.push((p.payload.len(), p.cut));
                }
            },
        );
        assert_eq!(got, [(QUERY.len() - 4, true)]);
    }

    #[test]
    fn plausibility_needs_a_whole_sane_message() {
        assert_eq!(plausible(&framed()), Verdict::Yes);
        assert_eq!(plausible(&framed()[..20]), Verdict::NeedMore);
        assert_eq!(plausible(&[0]), Verdict::NeedMore);
        assert_eq!(plausible(&[0, 5, 1, 2, 3, 4, 5]), Verdict::No); // shorter than a header
        let mut m = framed();
        m[2 + 2] = 0x18; // opcode 3
        assert_eq!(plausible(&m), Verdict::No);
        let mut m = framed();
        m[2 + 12] = 0xc0; // pointer as first label
        assert_eq!(plausible(&m), Verdict::No);
    }
}
