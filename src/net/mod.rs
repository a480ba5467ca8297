//! `net`: from a link-layer frame to DNS message bytes.
//!
//! This layer owns everything between a capture record and a DNS message:
//! the link layer (`link`), IPv4/IPv6 with their extension headers and our own
//! bounded fragment reassembly (`ip`, `frag`), UDP port classification and the
//! DNS heuristic (`udp`), TCP stream reassembly with the RFC 1035 §4.2.2
//! two-byte length framing (`tcp`), flow keys (`flow`), and the tunnels seen
//! in real captures (GRE, VXLAN, Geneve, GTP-U, Teredo, IP-in-IP, MPLS, PPPoE).
//!
//! Input is plain values (`link` type number, frame bytes, original length,
//! frame number, timestamp) so the layer does not depend on `capture`.
//! Output is a stream of [`NetEvent`]s through a callback: every DNS message
//! found ([`DnsPayload`], borrowing either the frame or a reassembly buffer),
//! ICMP errors quoting a DNS packet, per-frame [`Diagnostic`]s, and
//! [`NetEvent::NotDns`] for frames that carried no DNS at all.
//!
//! Guarantees:
//! - no input can make it panic or loop: every length is checked before use,
//!   tunnel nesting is capped at [`MAX_DEPTH`], and loops are bounded by the
//!   input length;
//! - memory is bounded by [`Config`]: open fragment datagrams, TCP flows, per
//!   flow and total TCP buffer bytes; state expires on *capture* time;
//! - the UDP path does not allocate; the TCP path reuses one buffer per flow.
//!
//! Conventions follow tshark where it matters for comparison: a DNS message
//! over TCP, or a reassembled IP datagram, is reported at the frame where its
//! last byte arrived.

use std::collections::HashSet;
use std::net::IpAddr;

mod describe;
mod flow;
mod frag;
mod ip;
mod link;
mod tcp;
mod udp;

pub use describe::describe_frame;
pub use flow::FlowKey;
pub use udp::looks_like_dns;

/// Maximum encapsulation depth (link types inside PKTAP, IP in GRE in IP, ...).
pub const MAX_DEPTH: u8 = 4;

/// Transport protocol that carried a DNS message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transport {
    Udp,
    Tcp,
}

/// A capture timestamp: seconds since the Unix epoch plus nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ts {
    pub secs: i64,
    pub nanos: u32,
}

impl Ts {
    pub fn new(secs: i64, nanos: u32) -> Self {
        Self { secs, nanos }
    }

    /// Whole seconds elapsed from `earlier` to `self` (0 if `earlier` is later).
    pub(crate) fn secs_since(self, earlier: Self) -> i64 {
        let mut d = self.secs.saturating_sub(earlier.secs);
        if self.nanos < earlier.nanos {
            d = d.saturating_sub(1);
        }
        d.max(0)
    }
}

impl From<(i64, u32)> for Ts {
    fn from((secs, nanos): (i64, u32)) -> Self {
        Self { secs, nanos }
    }
}

/// Why a message was handed to the DNS layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PortKind {
    /// Port 53 on either side.
    Dns53,
    /// Multicast DNS, port 5353.
    Mdns,
    /// LLMNR, port 5355.
    Llmnr,
    /// A port from `Config::extra_ports`.
    UserPort,
    /// No known port: the payload passed [`looks_like_dns`].
    Heuristic,
}

/// One DNS message's bytes and where they came from.
#[derive(Clone, Debug)]
pub struct DnsPayload<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub sport: u16,
    pub dport: u16,
    pub transport: Transport,
    /// Exactly one DNS message (over TCP: without the 2-byte length prefix).
    pub payload: &'a [u8],
    /// The capture's snaplen cut this message: `payload` is shorter than on the wire.
    pub cut: bool,
    /// Frame where the message's last byte arrived (tshark's convention).
    pub frame: u64,
    /// That frame's time.
    pub ts: Ts,
    pub port_kind: PortKind,
    /// Where the message starts in the frame (also through tunnels); `None`
    /// when it was reassembled from IP fragments or TCP segments.
    pub offset_in_frame: Option<usize>,
}

/// A per-frame problem at this layer. Never fatal: decoding goes on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub frame: u64,
    /// Byte offset in the frame, when one applies.
    pub offset: Option<usize>,
    pub message: String,
}

/// The DNS packet quoted inside an ICMP/ICMPv6 error.
#[derive(Clone, Debug)]
pub struct QuotedDns<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub sport: u16,
    pub dport: u16,
    /// The quoted DNS bytes, usually partial (ICMPv4 often quotes only 8 bytes of UDP).
    pub payload: &'a [u8],
}

/// What the decoder reports, in frame order.
#[derive(Clone, Debug)]
pub enum NetEvent<'a> {
    Dns(DnsPayload<'a>),
    /// The frame carried no DNS message and no ICMP error quoting one
    /// (reported once per such frame, after any diagnostics for it).
    NotDns,
    Diagnostic(Diagnostic),
    /// An ICMP/ICMPv6 error quoting a DNS packet; not a new DNS message.
    IcmpError {
        frame: u64,
        ts: Ts,
        /// Source address of the ICMP error (the router or host reporting).
        reporter: IpAddr,
        /// "port unreachable", "host unreachable", "time exceeded", ...
        kind: &'static str,
        quoted: QuotedDns<'a>,
    },
}

/// Decoder settings and resource bounds.
#[derive(Clone, Debug)]
pub struct Config {
    /// More UDP/TCP ports to treat as DNS (e.g. 8053).
    pub extra_ports: Vec<u16>,
    /// Accept UDP payloads on other ports when they look like DNS (default on, as tshark).
    pub heuristic: bool,
    /// Open TCP flows (one per direction) at most; the least recently active
    /// is evicted (with a diagnostic if it held data). Default 1024, minimum 1.
    pub max_tcp_flows: usize,
    /// Buffered bytes per TCP flow direction (in order + out of order). Default
    /// 2 + 65535 + 65535; never less than one whole message (2 + 65535).
    pub max_tcp_buffer: usize,
    /// Memory of TCP buffers over all flows (allocated capacity, see issue 7).
    /// Default 32 MiB, so that with the other bounds a run stays under 100 MB.
    pub max_tcp_total: usize,
    /// TCP flows idle longer than this (capture time) are closed. Default 120 s.
    pub tcp_timeout_secs: u32,
    /// IP datagrams being reassembled at once; the oldest is dropped. Default 64,
    /// minimum 1. Each holds at most 65 535 bytes.
    pub max_frag_datagrams: usize,
    /// A datagram not completed within this capture time is dropped. Default 30 s
    /// (Linux `ipfrag_time`).
    pub frag_timeout_secs: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            extra_ports: Vec::new(),
            heuristic: true,
            max_tcp_flows: 1024,
            max_tcp_buffer: 2 + 65_535 + 65_535,
            max_tcp_total: 32 << 20,
            tcp_timeout_secs: 120,
            max_frag_datagrams: 64,
            frag_timeout_secs: 30,
        }
    }
}

/// Counters for one capture file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub frames: u64,
    /// Frames with no DNS message.
    pub non_dns: u64,
    /// DNS messages found (UDP and TCP).
    pub dns_messages: u64,
    pub udp_messages: u64,
    pub tcp_messages: u64,
    /// DNS messages cut by snaplen.
    pub cut_messages: u64,
    /// ICMP errors quoting DNS.
    pub icmp_errors: u64,
    /// IP fragments seen.
    pub ip_fragments: u64,
    /// IP datagrams reassembled from fragments.
    pub reassembled: u64,
    /// Fragmented datagrams dropped (timeout, overlap, bounds).
    pub frag_dropped: u64,
    /// TCP flows evicted (bounds or timeout) with data still buffered.
    pub tcp_evicted: u64,
    /// Bytes skipped in TCP streams (gaps, resynchronisation).
    pub tcp_gap_bytes: u64,
    pub diagnostics: u64,
}

/// Per-frame context handed down the layers.
#[derive(Clone, Copy)]
struct Ctx<'f> {
    frame: u64,
    ts: Ts,
    /// The frame bytes as captured (offsets are relative to this).
    data: &'f [u8],
    /// The capture cut this frame (`orig_len > data.len()`).
    frame_cut: bool,
}

impl Ctx<'_> {
    /// Offset of `sub` in the frame, if `sub` lies inside the frame bytes.
    fn offset_of(&self, sub: &[u8]) -> Option<usize> {
        offset_in(self.data, sub)
    }
}

/// Offset of `sub` inside `base`, when `sub` is a sub-slice of `base`.
fn offset_in(base: &[u8], sub: &[u8]) -> Option<usize> {
    let b = base.as_ptr() as usize;
    let s = sub.as_ptr() as usize;
    if s >= b && s + sub.len() <= b + base.len() {
        Some(s - b)
    } else {
        None
    }
}

/// The network-layer decoder for one capture file.
pub struct Decoder {
    cfg: Config,
    stats: Stats,
    /// Link types already reported as unsupported (one diagnostic each).
    unsupported_links: HashSet<u32>,
    frags: frag::Pool,
    tcp: tcp::Streams,
    /// Set when the current frame produced a DNS message or ICMP error.
    found: bool,
    /// Number of the last frame seen (diagnostics at `finish` name it).
    last_frame: u64,
}

type Out<'o> = dyn FnMut(NetEvent<'_>) + 'o;

impl Decoder {
    pub fn new(cfg: Config) -> Self {
        let frags = frag::Pool::new(cfg.max_frag_datagrams, cfg.frag_timeout_secs);
        let tcp = tcp::Streams::new(
            cfg.max_tcp_flows,
            cfg.max_tcp_buffer,
            cfg.max_tcp_total,
            cfg.tcp_timeout_secs,
        );
        Self {
            cfg,
            stats: Stats::default(),
            unsupported_links: HashSet::new(),
            frags,
            tcp,
            found: false,
            last_frame: 0,
        }
    }

    pub fn config(&self) -> &Config {
        &self.cfg
    }

    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Decodes one frame. `link` is the pcap link-type number, `orig_len` the
    /// frame's length on the wire (`data.len()` when not cut).
    pub fn on_frame(
        &mut self,
        link: u32,
        frame: u64,
        ts: Ts,
        data: &[u8],
        orig_len: u32,
        out: &mut dyn FnMut(NetEvent<'_>),
    ) {
        self.stats.frames += 1;
        self.found = false;
        let ctx = Ctx {
            frame,
            ts,
            data,
            frame_cut: (orig_len as usize) > data.len(),
        };
        self.last_frame = frame;
        self.expire(ts, frame, out);
        self.link(&ctx, link, data, 0, out);
        if !self.found {
            self.stats.non_dns += 1;
            out(NetEvent::NotDns);
        }
    }

    /// End of the file: reports what is still open (TCP data waiting behind a
    /// gap or an incomplete message, incomplete IP datagrams).
    pub fn finish(&mut self, out: &mut dyn FnMut(NetEvent<'_>)) {
        let mut diags = Vec::new();
        self.frags.drain(&mut |d| diags.push(d));
        self.stats.frag_dropped += diags.len() as u64;
        self.tcp.drain(&mut self.stats, &mut |d| diags.push(d));
        let frame = self.last_frame;
        for d in diags {
            self.diag(out, Diagnostic { frame, ..d });
        }
    }

    /// Expires fragment datagrams and TCP flows by capture time; the
    /// diagnostics name `frame`, the first frame past the deadline.
    #[inline]
    fn expire(&mut self, now: Ts, frame: u64, out: &mut Out<'_>) {
        // Per frame: almost always nothing is due, and nothing else is done.
        if self.frags.due(now) || self.tcp.due(now) {
            self.expire_due(now, frame, out);
        }
    }

    #[inline(never)]
    fn expire_due(&mut self, now: Ts, frame: u64, out: &mut Out<'_>) {
        let mut diags = Vec::new();
        self.frags.expire(now, &mut |d| diags.push(d));
        self.stats.frag_dropped += diags.len() as u64;
        self.tcp
            .expire(now, &mut self.stats, &mut |d| diags.push(d));
        for d in diags {
            self.diag(out, Diagnostic { frame, ..d });
        }
    }

    fn diag(&mut self, out: &mut Out<'_>, d: Diagnostic) {
        self.stats.diagnostics += 1;
        out(NetEvent::Diagnostic(d));
    }

    fn report(&mut self, ctx: &Ctx<'_>, offset: Option<usize>, message: String, out: &mut Out<'_>) {
        self.diag(
            out,
            Diagnostic {
                frame: ctx.frame,
                offset,
                message,
            },
        );
    }

    fn emit_dns(&mut self, p: DnsPayload<'_>, out: &mut Out<'_>) {
        self.found = true;
        self.stats.dns_messages += 1;
        match p.transport {
            Transport::Udp => self.stats.udp_messages += 1,
            Transport::Tcp => self.stats.tcp_messages += 1,
        }
        if p.cut {
            self.stats.cut_messages += 1;
        }
        out(NetEvent::Dns(p));
    }

    /// Classifies a pair of ports: `Some` when either is a DNS port.
    fn port_kind(&self, sport: u16, dport: u16) -> Option<PortKind> {
        udp::port_kind(sport, dport, &self.cfg.extra_ports)
    }
}

#[cfg(test)]
mod corpus_tests;

#[cfg(test)]
pub(crate) mod testutil {
    //! Hand-made frames for the unit tests.

    /// A DNS query for example.com A IN, id 0x1234, RD set (29 bytes).
    pub(crate) const QUERY: [u8; 29] = [
        0x12, 0x34, // ID
        0x01, 0x00, // flags: RD
        0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // QD=1 AN=0 NS=0 AR=0
        7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 3, b'c', b'o', b'm', 0, // QNAME
        0x00, 0x01, // QTYPE A
        0x00, 0x01, // QCLASS IN
    ];

    pub(crate) const SRC4: [u8; 4] = [192, 0, 2, 1];
    pub(crate) const DST4: [u8; 4] = [192, 0, 2, 53];

    /// UDP header + payload (checksum 0: not computed).
    pub(crate) fn udp(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&sport.to_be_bytes());
        v.extend_from_slice(&dport.to_be_bytes());
        v.extend_from_slice(&((payload.len() + 8) as u16).to_be_bytes());
        v.extend_from_slice(&[0, 0]);
        v.extend_from_slice(payload);
        v
    }

    /// IPv4 header (no options) around `payload`, with fragment fields.
    pub(crate) fn ipv4_frag(
        proto: u8,
        id: u16,
        frag_off8: u16,
        more: bool,
        payload: &[u8],
    ) -> Vec<u8> {
        let total = (20 + payload.len()) as u16;
        let flags = if more { 0x2000 } else { 0 } | frag_off8;
        let mut v = vec![0x45, 0];
        v.extend_from_slice(&total.to_be_bytes());
        v.extend_from_slice(&id.to_be_bytes());
        v.extend_from_slice(&flags.to_be_bytes());
        v.extend_from_slice(&[64, proto, 0, 0]); // TTL, protocol, checksum (unchecked)
        v.extend_from_slice(&SRC4);
        v.extend_from_slice(&DST4);
        v.extend_from_slice(payload);
        v
    }

    pub(crate) fn ipv4(proto: u8, payload: &[u8]) -> Vec<u8> {
        ipv4_frag(proto, 1, 0, false, payload)
    }

    /// IPv6 header (2001:db8::1 -> 2001:db8::53) around `payload`.
    pub(crate) fn ipv6(next: u8, payload: &[u8]) -> Vec<u8> {
        let mut v = vec![0x60, 0, 0, 0];
        v.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        v.extend_from_slice(&[next, 64]);
        v.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        v.extend_from_slice(&[
            0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53,
        ]);
        v.extend_from_slice(payload);
        v
    }

    /// Ethernet II header (optionally VLAN-tagged) around `payload`.
    pub(crate) fn ether(vlans: &[u16], ether_type: u16, payload: &[u8]) -> Vec<u8> {
        let mut v = vec![0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2];
        for (i, tpid) in vlans.iter().enumerate() {
            v.extend_from_slice(&tpid.to_be_bytes());
            v.extend_from_slice(&(100 + i as u16).to_be_bytes()); // TCI: VLAN id
        }
        v.extend_from_slice(&ether_type.to_be_bytes());
        v.extend_from_slice(payload);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::testutil::*;
    use super::*;

    /// Runs frames through a decoder; returns the events as owned summaries.
    #[derive(Debug, Clone, PartialEq)]
    pub(crate) enum Ev {
        Dns {
            frame: u64,
            sport: u16,
            dport: u16,
            transport: Transport,
            payload: Vec<u8>,
            cut: bool,
            kind: PortKind,
            offset: Option<usize>,
        },
        NotDns(u64),
        Diag(u64, String),
        Icmp(u64, &'static str, u16, u16, usize),
    }

    pub(crate) fn run_with(cfg: Config, frames: &[(u32, Vec<u8>)]) -> Vec<Ev> {
        let mut dec = Decoder::new(cfg);
        let mut evs = Vec::new();
        let cur = std::cell::Cell::new(0u64);
        let mut on = |e: NetEvent<'_>| {
            evs.push(match e {
                NetEvent::Dns(p) => Ev::Dns {
                    frame: p.frame,
                    sport: p.sport,
                    dport: p.dport,
                    transport: p.transport,
                    payload: p.payload.to_vec(),
                    cut: p.cut,
                    kind: p.port_kind,
                    offset: p.offset_in_frame,
                },
                NetEvent::NotDns => Ev::NotDns(cur.get()),
                NetEvent::Diagnostic(d) => Ev::Diag(d.frame, d.message),
                NetEvent::IcmpError {
                    frame,
                    kind,
                    quoted,
                    ..
                } => Ev::Icmp(
                    frame,
                    kind,
                    quoted.sport,
                    quoted.dport,
                    quoted.payload.len(),
                ),
            })
        };
        for (i, (link, data)) in frames.iter().enumerate() {
            let n = i as u64 + 1;
            cur.set(n);
            dec.on_frame(
                *link,
                n,
                Ts::new(n as i64, 0),
                data,
                data.len() as u32,
                &mut on,
            );
        }
        dec.finish(&mut on);
        evs
    }

    pub(crate) fn run(frames: &[(u32, Vec<u8>)]) -> Vec<Ev> {
        run_with(Config::default(), frames)
    }

    /// The DNS payloads found, as (frame, bytes, offset in frame).
    pub(crate) fn dns_of(evs: &[Ev]) -> Vec<(u64, Vec<u8>, Option<usize>)> {
        evs.iter()
            .filter_map(|e| match e {
                Ev::Dns {
                    frame,
                    payload,
                    offset,
                    ..
                } => Some((*frame, payload.clone(), *offset)),
                _ => None,
            })
            .collect()
    }

    fn udp4_query() -> Vec<u8> {
        ipv4(17, &udp(40000, 53, &QUERY))
    }

    #[test]
    fn ethernet_ipv4_udp_query_is_found_with_its_offset() {
        let f = ether(&[], 0x0800, &udp4_query());
        let evs = run(&[(1, f)]);
        assert_eq!(evs.len(), 1, "{evs:?}");
        match &evs[0] {
            Ev::Dns {
                frame,
                sport,
                dport,
                transport,
                payload,
                cut,
                kind,
                offset,
            } => {
                assert_eq!((*frame, *sport, *dport), (1, 40000, 53));
                assert_eq!(*transport, Transport::Udp);
                assert_eq!(payload, &QUERY);
                assert!(!cut);
                assert_eq!(*kind, PortKind::Dns53);
                assert_eq!(*offset, Some(14 + 20 + 8));
            }
            e => panic!("{e:?}"),
        }
    }

    #[test]
    fn vlan_tags_up_to_three_are_followed() {
        for tags in [&[0x8100][..], &[0x88A8, 0x8100], &[0x9100, 0x88A8, 0x8100]] {
            let f = ether(tags, 0x0800, &udp4_query());
            let d = dns_of(&run(&[(1, f)]));
            assert_eq!(d.len(), 1, "tags {tags:?}");
            assert_eq!(d[0].2, Some(14 + 4 * tags.len() + 28));
        }
    }

    #[test]
    fn every_raw_ip_link_type_is_decoded() {
        for link in [101, 228, 12, 14] {
            let d = dns_of(&run(&[(link, udp4_query())]));
            assert_eq!(d.len(), 1, "link {link}");
            assert_eq!(d[0].2, Some(28));
        }
        let v6 = ipv6(17, &udp(40000, 53, &QUERY));
        for link in [101, 229] {
            assert_eq!(dns_of(&run(&[(link, v6.clone())])).len(), 1, "link {link}");
        }
    }

    #[test]
    fn bsd_null_and_loop_headers_are_stripped() {
        // NULL, little-endian writer, AF_INET = 2
        let mut le = vec![2, 0, 0, 0];
        le.extend_from_slice(&udp4_query());
        // NULL, big-endian writer, AF_INET6 = 30 (macOS)
        let mut be6 = vec![0, 0, 0, 30];
        be6.extend_from_slice(&ipv6(17, &udp(40000, 53, &QUERY)));
        // LOOP, network order, AF_INET6 = 24 (OpenBSD)
        let mut lo = vec![0, 0, 0, 24];
        lo.extend_from_slice(&ipv6(17, &udp(40000, 53, &QUERY)));
        let evs = run(&[(0, le), (0, be6), (108, lo)]);
        let d = dns_of(&evs);
        assert_eq!(
            d.iter().map(|x| x.0).collect::<Vec<_>>(),
            [1, 2, 3],
            "{evs:?}"
        );
        assert_eq!(d[0].2, Some(4 + 28));
        assert_eq!(d[1].2, Some(4 + 48));
    }

    #[test]
    fn linux_sll_and_sll2_headers_are_stripped() {
        // SLL: packet type, ARPHRD, addr len, 8-byte addr, protocol
        let mut sll = vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00];
        sll.extend_from_slice(&udp4_query());
        // SLL2: protocol, reserved, ifindex (4), ARPHRD (2), type, addr len, 8-byte addr
        let mut sll2 = vec![
            0x86, 0xdd, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0,
        ];
        sll2.extend_from_slice(&ipv6(17, &udp(53, 40000, &QUERY)));
        let d = dns_of(&run(&[(113, sll), (276, sll2)]));
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].2, Some(16 + 28));
        assert_eq!(d[1].2, Some(20 + 48));
    }

    #[test]
    fn unknown_link_type_is_reported_once() {
        let evs = run(&[(10, vec![0; 40]), (10, vec![0; 40]), (147, vec![0; 40])]);
        let diags: Vec<&Ev> = evs.iter().filter(|e| matches!(e, Ev::Diag(..))).collect();
        assert_eq!(diags.len(), 2, "{evs:?}");
        assert!(
            matches!(diags[0], Ev::Diag(1, m) if m.contains("link type 10") && m.contains("FDDI"))
        );
        assert!(matches!(diags[1], Ev::Diag(3, m) if m.contains("link type 147")));
        assert_eq!(evs.iter().filter(|e| matches!(e, Ev::NotDns(_))).count(), 3);
    }

    #[test]
    fn non_dns_frames_are_reported_as_such() {
        let ntp = ether(&[], 0x0800, &ipv4(17, &udp(123, 123, &[0x23; 48])));
        let arp = ether(&[], 0x0806, &[0; 28]);
        let evs = run(&[(1, ntp), (1, arp)]);
        assert_eq!(evs, [Ev::NotDns(1), Ev::NotDns(2)]);
    }

    #[test]
    fn mdns_llmnr_and_user_ports_are_classified() {
        let kinds = |cfg: Config, sport, dport| -> Vec<PortKind> {
            run_with(cfg, &[(101, ipv4(17, &udp(sport, dport, &QUERY)))])
                .into_iter()
                .filter_map(|e| match e {
                    Ev::Dns { kind, .. } => Some(kind),
                    _ => None,
                })
                .collect()
        };
        assert_eq!(kinds(Config::default(), 5353, 5353), [PortKind::Mdns]);
        assert_eq!(kinds(Config::default(), 5355, 50000), [PortKind::Llmnr]);
        let cfg = Config {
            extra_ports: vec![8053],
            ..Config::default()
        };
        assert_eq!(kinds(cfg, 50000, 8053), [PortKind::UserPort]);
        assert_eq!(kinds(Config::default(), 50000, 8053), [PortKind::Heuristic]);
        let off = Config {
            heuristic: false,
            ..Config::default()
        };
        assert!(kinds(off, 50000, 8053).is_empty());
        // NetBIOS name service looks like DNS but is not.
        assert!(kinds(Config::default(), 137, 137).is_empty());
    }

    #[test]
    fn snaplen_cut_message_is_flagged() {
        let f = ether(&[], 0x0800, &udp4_query());
        let cut_at = f.len() - 5; // lose QTYPE/QCLASS and one name byte
        let mut dec = Decoder::new(Config::default());
        let mut got = Vec::new();
        dec.on_frame(
            1,
            1,
            Ts::default(),
            &f[..cut_at],
            f.len() as u32,
            &mut |e| {
                if let NetEvent::Dns(p) = e {
                    got.push((p.payload.len(), p.cut));
                }
            },
        );
        assert_eq!(got, [(QUERY.len() - 5, true)]);
        assert_eq!(dec.stats().cut_messages, 1);
    }

    #[test]
    fn message_cut_before_its_flags_is_a_diagnostic() {
        let f = ether(&[], 0x0800, &udp4_query());
        let mut dec = Decoder::new(Config::default());
        let mut evs = Vec::new();
        dec.on_frame(
            1,
            1,
            Ts::default(),
            &f[..14 + 28 + 3],
            f.len() as u32,
            &mut |e| evs.push(format!("{e:?}")),
        );
        assert_eq!(evs.len(), 2, "{evs:?}");
        assert!(
            evs[0].contains("cut by the capture after 3 bytes"),
            "{evs:?}"
        );
        assert!(evs[1].contains("NotDns"));
    }

    #[test]
    fn ipv6_extension_headers_are_skipped() {
        // Hop-by-hop (8 bytes, PadN) then destination options (8 bytes) then UDP.
        let mut p = vec![60, 0, 1, 4, 0, 0, 0, 0]; // next = dest opts, len 0, PadN(4)
        p.extend_from_slice(&[17, 0, 1, 4, 0, 0, 0, 0]); // next = UDP
        p.extend_from_slice(&udp(40000, 53, &QUERY));
        let d = dns_of(&run(&[(229, ipv6(0, &p))]));
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].2, Some(40 + 16 + 8));
    }

    #[test]
    fn truncated_headers_never_panic() {
        let f = ether(&[0x8100], 0x86dd, &ipv6(17, &udp(40000, 53, &QUERY)));
        for link in [
            0, 1, 9, 12, 101, 105, 108, 113, 127, 228, 229, 239, 258, 276,
        ] {
            for n in 0..f.len() {
                let mut dec = Decoder::new(Config::default());
                dec.on_frame(link, 1, Ts::default(), &f[..n], f.len() as u32, &mut |_| {});
                dec.finish(&mut |_| {});
            }
        }
    }

    mod props {
        use super::super::testutil::*;
        use super::super::*;
        use proptest::prelude::*;

        const LINKS: [u32; 17] = [
            0, 1, 9, 12, 14, 50, 101, 105, 108, 113, 127, 228, 229, 239, 258, 276, 999,
        ];

        /// A valid Ethernet/VLAN/IPv6/UDP/DNS frame to mutate.
        fn seed() -> Vec<u8> {
            ether(&[0x8100], 0x86dd, &ipv6(17, &udp(40000, 53, &QUERY)))
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(600))]

            #[test]
            fn arbitrary_bytes_never_panic(
                link in proptest::sample::select(LINKS.to_vec()),
                data in proptest::collection::vec(any::<u8>(), 0..160),
                extra in 0u32..64,
            ) {
                let mut dec = Decoder::new(Config::default());
                let mut events = 0;
                dec.on_frame(link, 1, Ts::default(), &data, data.len() as u32 + extra, &mut |e| {
                    if let NetEvent::Dns(p) = &e {
                        assert!(p.payload.len() <= data.len());
                    }
                    events += 1;
                });
                dec.finish(&mut |_| {});
                prop_assert!(events >= 1);
            }

            #[test]
            fn mutated_frames_never_panic(
                link in proptest::sample::select(LINKS.to_vec()),
                flips in proptest::collection::vec((0usize..200, any::<u8>()), 0..6),
                cut in 0usize..200,
            ) {
                let mut f = seed();
                for (at, v) in flips {
                    if let Some(b) = f.get_mut(at % 120) {
                        *b = v;
                    }
                }
                let n = cut.min(f.len());
                let mut dec = Decoder::new(Config::default());
                dec.on_frame(link, 1, Ts::default(), &f[..n], f.len() as u32, &mut |_| {});
                dec.finish(&mut |_| {});
            }

            /// Random TCP segments on port 53: bounds hold after every frame.
            #[test]
            fn tcp_bounds_hold(
                segs in proptest::collection::vec(
                    (0u16..4, -40i32..120, 0u8..8, proptest::collection::vec(any::<u8>(), 0..90), any::<bool>()),
                    1..40,
                ),
            ) {
                let cfg = Config {
                    max_tcp_flows: 3,
                    max_tcp_buffer: 2 + 65_535,
                    max_tcp_total: 300,
                    ..Config::default()
                };
                let mut dec = Decoder::new(cfg);
                let mut seq = [1000u32; 4];
                for (i, (port, delta, flags, mut data, framed)) in segs.into_iter().enumerate() {
                    if framed {
                        // Give it a valid length prefix + query now and then.
                        data = [(QUERY.len() as u16).to_be_bytes().to_vec(), QUERY.to_vec()].concat();
                    }
                    let p = usize::from(port);
                    seq[p] = seq[p].wrapping_add(delta as u32);
                    let mut t = Vec::new();
                    t.extend_from_slice(&(40000 + port).to_be_bytes());
                    t.extend_from_slice(&53u16.to_be_bytes());
                    t.extend_from_slice(&seq[p].to_be_bytes());
                    t.extend_from_slice(&[0, 0, 0, 0, 0x50, flags & 7 | 0x10, 0xff, 0xff, 0, 0, 0, 0]);
                    t.extend_from_slice(&data);
                    seq[p] = seq[p].wrapping_add(data.len() as u32);
                    let f = ipv4(6, &t);
                    dec.on_frame(101, i as u64 + 1, Ts::new(i as i64, 0), &f, f.len() as u32, &mut |e| {
                        if let NetEvent::Dns(p) = e {
                            assert!(p.payload.len() >= 12);
                        }
                    });
                    prop_assert!(dec.tcp.len() <= 3);
                    prop_assert!(dec.tcp.total() <= 300, "total {}", dec.tcp.total());
                }
                dec.finish(&mut |_| {});
                prop_assert_eq!(dec.tcp.len(), 0);
            }
        }
    }
}
