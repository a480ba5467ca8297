//! Every resource bound, pushed one step past: a diagnostic, the oldest state
//! evicted, and the run goes on (later messages still come out).

use std::time::Instant;

use dnslens::app::Settings;
use dnslens::error::Layer;
use dnslens::txn::{self, Status};

use super::analyze_bytes;
use super::gen::{self, PcapWriter, CLIENT, SERVER};

fn capture(build: impl FnOnce(&mut PcapWriter<Vec<u8>>)) -> Vec<u8> {
    let mut w = PcapWriter::new(Vec::new()).expect("header");
    build(&mut w);
    w.into_inner()
}

/// `n` unanswered queries from distinct client ports, 1 ms apart.
fn queries(w: &mut PcapWriter<Vec<u8>>, n: u16, size_pad: usize) {
    for i in 0..n {
        let label = format!("q{i}{}", "x".repeat(size_pad));
        let q = gen::query(i, &format!("{}.example", &label[..label.len().min(63)]));
        w.udp((CLIENT, 1000 + i), (SERVER, 53), &q).expect("write");
        w.now_us += 1000;
    }
}

#[test]
fn issue_7_open_transactions_over_max_open_evict_the_oldest() {
    let pcap = capture(|w| {
        queries(w, 250, 0);
        // The run goes on: a query and its answer after the flood pair up.
        let q = gen::query(0x7777, "after.example");
        w.udp((CLIENT, 60000), (SERVER, 53), &q).unwrap();
        w.now_us += 500;
        let r = gen::txt_response(0x7777, "after.example", b"ok");
        w.udp((SERVER, 53), (CLIENT, 60000), &r).unwrap();
    });
    let mut settings = Settings::default();
    settings.txn.max_open = 100;
    let a = analyze_bytes(&pcap, &settings).expect("capture");
    let evicted: Vec<_> = a.transactions.iter().filter(|t| t.evicted).collect();
    // 251 queries, at most 100 open: the 151 oldest were closed early, in order.
    assert_eq!(evicted.len(), 151);
    assert_eq!(a.summary.pairing.evicted, 151);
    assert!(evicted.iter().all(|t| t.status == Status::Unanswered));
    let first_ids: Vec<u64> = evicted
        .iter()
        .take(3)
        .map(|t| t.query.as_ref().unwrap().meta.frame)
        .collect();
    assert_eq!(first_ids, [1, 2, 3], "the oldest go first");
    let answered = a
        .transactions
        .iter()
        .find(|t| t.status == Status::Answered)
        .expect("the run goes on");
    assert_eq!(answered.query.as_ref().unwrap().meta.frame, 251);
    // One diagnostic for the file, in the pairing layer.
    let diags: Vec<_> = a
        .diagnostics
        .iter()
        .filter(|d| d.layer == Layer::Pairing)
        .collect();
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert!(
        diags[0].message.contains("closed early"),
        "{}",
        diags[0].message
    );
}

#[test]
fn issue_7_open_transaction_bytes_over_max_open_bytes_evict_the_oldest() {
    let mut p = txn::Pairer::new(txn::Config {
        max_open_bytes: 20_000,
        ..txn::Config::default()
    });
    let pcap = capture(|w| queries(w, 200, 60));
    let a = analyze_bytes(
        &pcap,
        &Settings {
            txn: txn::Config {
                max_open_bytes: 20_000,
                ..txn::Config::default()
            },
            ..Settings::default()
        },
    )
    .expect("capture");
    assert!(a.summary.pairing.evicted > 100, "{:?}", a.summary.pairing);
    assert_eq!(a.transactions.len(), 200, "every query still comes out");
    // The pairer itself never holds more than the budget plus one transaction.
    for m in &a.messages {
        let msg = dnslens::dns::Message::parse(&m.bytes).unwrap();
        p.on_message(m.meta, &msg, &mut |_| {});
        assert!(p.held_bytes() <= 20_000 + 1024, "held {}", p.held_bytes());
    }
}

#[test]
fn issue_7_retransmissions_listed_are_capped_and_counted() {
    let pcap = capture(|w| {
        let q = gen::query(1, "again.example");
        for _ in 0..1500 {
            w.udp((CLIENT, 40000), (SERVER, 53), &q).unwrap();
            w.now_us += 1000;
        }
    });
    let a = analyze_bytes(&pcap, &Settings::default()).expect("capture");
    assert_eq!(a.transactions.len(), 1);
    assert_eq!(
        a.transactions[0].retransmissions.len(),
        txn::MAX_ATTEMPTS_LISTED
    );
    assert_eq!(a.summary.pairing.retransmissions, 1499);
}

#[test]
fn issue_7_same_key_flood_stays_linear() {
    // 40 000 open queries sharing client, ports and ID, each asking another
    // name: without the walk cap every lookup walks all of them (O(n²),
    // minutes); with it the run takes well under a second in release.
    let n = 40_000u32;
    let pcap = capture(|w| {
        for i in 0..n {
            let q = gen::query(0x4242, &format!("q{i}.example"));
            w.udp((CLIENT, 40000), (SERVER, 53), &q).unwrap();
            w.now_us += 50;
        }
        // The newest is still answered.
        let r = gen::txt_response(0x4242, &format!("q{}.example", n - 1), b"ok");
        w.udp((SERVER, 53), (CLIENT, 40000), &r).unwrap();
    });
    let start = Instant::now();
    let a = analyze_bytes(&pcap, &Settings::default()).expect("capture");
    let took = start.elapsed();
    assert_eq!(a.summary.messages, u64::from(n) + 1);
    let answered: Vec<_> = a
        .transactions
        .iter()
        .filter(|t| t.status == Status::Answered)
        .collect();
    assert_eq!(answered.len(), 1);
    assert!(took.as_secs() < 30, "same-key flood took {took:?}");
}

#[test]
fn issue_7_tcp_buffer_per_flow_is_bounded() {
    // A flow that announces 65 535 bytes and buffers more than that without
    // finishing (a gap, then data out of order):
    // the buffer limit drops it with a diagnostic; a later flow still works.
    let mut settings = Settings::default();
    settings.net.max_tcp_buffer = 2 + 65_535;
    let pcap = capture(|w| {
        let c = (CLIENT, 41000);
        let s = (SERVER, 53);
        w.tcp(c, s, 100, true, &[]).unwrap();
        let mut data = vec![0xff, 0xff];
        data.extend(std::iter::repeat_n(0x41, 1398));
        w.tcp(c, s, 101, false, &data).unwrap();
        // Past a 5000-byte gap: 48 x 1400 bytes held out of order, so that
        // no message can complete and the buffer passes 2 + 65 535.
        let mut seq = 101 + 1400 + 5000;
        for _ in 0..48 {
            w.tcp(c, s, seq, false, &[0x41; 1400]).unwrap();
            seq += 1400;
        }
        let c2 = (CLIENT, 42000);
        w.tcp(c2, s, 500, true, &[]).unwrap();
        let q = gen::query(9, "tcp.example");
        let mut framed = (q.len() as u16).to_be_bytes().to_vec();
        framed.extend_from_slice(&q);
        w.tcp(c2, s, 501, false, &framed).unwrap();
    });
    let a = analyze_bytes(&pcap, &settings).expect("capture");
    // The flow's data is dropped (the gap is declared lost, the bytes behind
    // it skipped) rather than held: each step says so, with its byte count.
    let flow: Vec<_> = a
        .diagnostics
        .iter()
        .filter(|d| d.message.contains(":41000 "))
        .collect();
    assert!(
        flow.iter().any(|d| d.message.contains("dropped"))
            && flow.iter().any(|d| d.message.contains("skipped")),
        "{:#?}",
        a.diagnostics
    );
    assert_eq!(a.messages.len(), 1, "the later flow's query is decoded");
}

#[test]
fn issue_7_tcp_total_buffer_evicts_the_least_recent_flow() {
    let mut settings = Settings::default();
    settings.net.max_tcp_total = 200_000;
    let pcap = capture(|w| {
        for f in 0..10u16 {
            let c = (CLIENT, 43000 + f);
            let s = (SERVER, 53);
            w.tcp(c, s, 100, true, &[]).unwrap();
            let mut data = vec![0xff, 0xff];
            data.extend(std::iter::repeat_n(0x41, 29_998));
            w.tcp(c, s, 101, false, &data).unwrap();
            w.now_us += 100;
        }
        let c = (CLIENT, 44000);
        w.tcp(c, (SERVER, 53), 700, true, &[]).unwrap();
        let q = gen::query(10, "tcp2.example");
        let mut framed = (q.len() as u16).to_be_bytes().to_vec();
        framed.extend_from_slice(&q);
        w.tcp(c, (SERVER, 53), 701, false, &framed).unwrap();
    });
    let a = analyze_bytes(&pcap, &settings).expect("capture");
    let dropped = a
        .diagnostics
        .iter()
        .filter(|d| {
            d.message
                .contains("incomplete DNS message buffered; dropped")
        })
        .count();
    assert!(
        dropped >= 4,
        "10 x 30 000 bytes in a 200 000 budget: {:#?}",
        a.diagnostics
    );
    assert_eq!(a.messages.len(), 1, "the run goes on");
}

#[test]
fn issue_7_tcp_flows_over_max_flows_evict_the_oldest() {
    let mut settings = Settings::default();
    settings.net.max_tcp_flows = 8;
    let pcap = capture(|w| {
        for f in 0..20u16 {
            let c = (CLIENT, 45000 + f);
            w.tcp(c, (SERVER, 53), 100, true, &[]).unwrap();
            w.tcp(c, (SERVER, 53), 101, false, &[0, 50, 1, 2, 3])
                .unwrap();
            w.now_us += 100;
        }
    });
    let a = analyze_bytes(&pcap, &settings).expect("capture");
    let dropped = a
        .diagnostics
        .iter()
        .filter(|d| d.message.contains("dropped"))
        .count();
    assert!(dropped >= 12, "{:#?}", a.diagnostics);
}

#[test]
fn issue_7_fragment_buffers_over_max_evict_the_oldest() {
    let mut settings = Settings::default();
    settings.net.max_frag_datagrams = 16;
    // 40 datagrams that never complete, then one that does and carries DNS.
    let q = gen::query(0x5151, "frag.example");
    let mut udp = Vec::new();
    udp.extend_from_slice(&40000u16.to_be_bytes());
    udp.extend_from_slice(&53u16.to_be_bytes());
    udp.extend_from_slice(&((8 + q.len()) as u16).to_be_bytes());
    udp.extend_from_slice(&[0, 0]);
    udp.extend_from_slice(&q);
    let pcap = capture(|w| {
        for d in 0..40u16 {
            w.fragment([10, 9, 0, d as u8], SERVER, d, 8, true, &[0x42; 64])
                .unwrap();
            w.now_us += 100;
        }
        w.fragment(CLIENT, SERVER, 999, 0, true, &udp[..16])
            .unwrap();
        w.fragment(CLIENT, SERVER, 999, 16, false, &udp[16..])
            .unwrap();
    });
    let a = analyze_bytes(&pcap, &settings).expect("capture");
    let evictions = a
        .diagnostics
        .iter()
        .filter(|d| d.message.contains("fragment") || d.message.contains("datagram"))
        .count();
    assert!(evictions >= 24, "{:#?}", a.diagnostics);
    assert_eq!(a.messages.len(), 1, "the complete datagram is reassembled");
    assert_eq!(a.messages[0].bytes, q);
}

fn shb() -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&0x0a0d_0d0au32.to_le_bytes());
    b.extend_from_slice(&28u32.to_le_bytes());
    b.extend_from_slice(&0x1a2b_3c4du32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&0u16.to_le_bytes());
    b.extend_from_slice(&(-1i64).to_le_bytes());
    b.extend_from_slice(&28u32.to_le_bytes());
    b
}

fn idb() -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&1u32.to_le_bytes());
    b.extend_from_slice(&20u32.to_le_bytes());
    b.extend_from_slice(&101u16.to_le_bytes()); // raw IP
    b.extend_from_slice(&0u16.to_le_bytes());
    b.extend_from_slice(&0u32.to_le_bytes());
    b.extend_from_slice(&20u32.to_le_bytes());
    b
}

fn epb(frame: &[u8]) -> Vec<u8> {
    let padded = frame.len().div_ceil(4) * 4;
    let total = (32 + padded) as u32;
    let mut b = Vec::new();
    b.extend_from_slice(&6u32.to_le_bytes());
    b.extend_from_slice(&total.to_le_bytes());
    b.extend_from_slice(&0u32.to_le_bytes());
    b.extend_from_slice(&0u32.to_le_bytes());
    b.extend_from_slice(&0u32.to_le_bytes());
    b.extend_from_slice(&(frame.len() as u32).to_le_bytes());
    b.extend_from_slice(&(frame.len() as u32).to_le_bytes());
    b.extend_from_slice(frame);
    b.resize(28 + padded, 0);
    b.extend_from_slice(&total.to_le_bytes());
    b
}

fn udp_frame(payload: &[u8]) -> Vec<u8> {
    let mut seg = Vec::new();
    seg.extend_from_slice(&40000u16.to_be_bytes());
    seg.extend_from_slice(&53u16.to_be_bytes());
    seg.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    seg.extend_from_slice(&[0, 0]);
    seg.extend_from_slice(payload);
    gen::ipv4(CLIENT, SERVER, 17, 1, 0, false, &seg)
}

#[test]
fn issue_7_pcapng_block_claiming_4_gib_is_an_error_not_an_allocation() {
    let mut f = shb();
    f.extend(idb());
    f.extend(epb(&udp_frame(&gen::query(1, "one.example"))));
    f.extend(epb(&udp_frame(&gen::query(2, "two.example"))));
    let bad_at = f.len();
    // An EPB whose length field says 0xfffffff0 bytes.
    f.extend_from_slice(&6u32.to_le_bytes());
    f.extend_from_slice(&0xffff_fff0u32.to_le_bytes());
    f.extend_from_slice(&[0; 64]);
    let start = Instant::now();
    let a = analyze_bytes(&f, &Settings::default()).expect("a capture");
    assert!(start.elapsed().as_secs() < 5);
    assert_eq!(a.messages.len(), 2, "every frame before the damage");
    let d = a
        .diagnostics
        .iter()
        .find(|d| d.file_offset == Some(bad_at as u64))
        .unwrap_or_else(|| panic!("a diagnostic at byte {bad_at}: {:#?}", a.diagnostics));
    assert_eq!(d.layer, Layer::Capture);
    assert!(a.info.truncated.is_some());
}

#[test]
fn issue_7_pcap_record_claiming_4_gib_is_an_error_not_an_allocation() {
    let mut w = PcapWriter::new(Vec::new()).unwrap();
    w.udp((CLIENT, 40000), (SERVER, 53), &gen::query(1, "one.example"))
        .unwrap();
    let mut f = w.into_inner();
    let bad_at = f.len();
    f.extend_from_slice(&[0; 8]);
    f.extend_from_slice(&u32::MAX.to_le_bytes());
    f.extend_from_slice(&u32::MAX.to_le_bytes());
    f.extend_from_slice(&[0; 100]);
    let a = analyze_bytes(&f, &Settings::default()).expect("a capture");
    assert_eq!(a.messages.len(), 1);
    assert!(
        a.diagnostics
            .iter()
            .any(|d| d.file_offset == Some(bad_at as u64)),
        "{:#?}",
        a.diagnostics
    );
}

#[test]
fn issue_7_records_per_message_never_allocate_from_counts() {
    // A 65 535-count header over a tiny message inside a real capture: one
    // diagnostic naming the count, and the pairing still sees the question.
    let mut m = gen::query(3, "counts.example");
    m[6..12].copy_from_slice(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    let pcap = capture(|w| w.udp((CLIENT, 40000), (SERVER, 53), &m).unwrap());
    let a = analyze_bytes(&pcap, &Settings::default()).expect("capture");
    let d = a
        .diagnostics
        .iter()
        .find(|d| d.layer == Layer::Dns)
        .expect("a DNS diagnostic");
    assert!(d.message.contains("ANCOUNT says 65535"), "{}", d.message);
    assert_eq!(d.dns_offset, Some(m.len()));
    assert_eq!(a.transactions.len(), 1);
}
