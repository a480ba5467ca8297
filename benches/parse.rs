//! Micro-benchmark of `dns::Message` parsing: messages/s, bytes/s and heap
//! allocations per message (which must be 0).
//!
//! `cargo bench --bench parse` reads every DNS message of `samples/` (through the
//! library's own capture and network layers, before timing starts); set
//! `BENCH_CAPTURE=path` to take the messages of a larger capture instead (the first
//! `BENCH_MESSAGES`, default 200 000), e.g. the one `benches/make-capture.sh` builds.
//!
//! Each pass does what the pipeline does to every message: `Message::parse` (the
//! header), then the whole walk — every question and record, every RDATA decoded,
//! the OPT record found — and the extended RCODE. A global allocator that counts
//! calls wraps the system one; the count over the timed passes, divided by the
//! messages parsed, is the allocations per message.

use std::alloc::{GlobalAlloc, Layout, System};
use std::fs::File;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use dnslens::capture::{CaptureReader, Event};
use dnslens::dns::{self, Entry};
use dnslens::net::{self, NetEvent};

/// Counts allocations (and reallocations) made through the global allocator.
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is passed unchanged to `System`, which upholds the contract.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Every DNS message of a capture, copied out, up to `limit`.
fn messages_of(path: &Path, limit: usize, out: &mut Vec<Vec<u8>>) {
    let Ok(file) = File::open(path) else {
        eprintln!("SKIP: cannot open {}", path.display());
        return;
    };
    let Ok(mut reader) = CaptureReader::new(std::io::BufReader::new(file)) else {
        eprintln!("SKIP: {} is not a capture", path.display());
        return;
    };
    let mut decoder = net::Decoder::new(net::Config::default());
    while let Some(event) = reader.next_event() {
        if out.len() >= limit {
            return;
        }
        if let Event::Frame(frame) = event {
            let ts = net::Ts {
                secs: frame.ts.secs,
                nanos: frame.ts.nanos,
            };
            decoder.on_frame(
                frame.link.0,
                frame.number,
                ts,
                frame.data,
                frame.orig_len,
                &mut |ev| {
                    if let NetEvent::Dns(p) = ev {
                        out.push(p.payload.to_vec());
                    }
                },
            );
        }
    }
    decoder.finish(&mut |ev| {
        if let NetEvent::Dns(p) = ev {
            out.push(p.payload.to_vec());
        }
    });
}

/// Parses and walks one message completely; returns a number that depends on
/// everything read, so that nothing is optimised away.
fn walk(bytes: &[u8]) -> u64 {
    let Ok(msg) = dns::Message::parse(bytes) else {
        return 1;
    };
    let mut acc = u64::from(msg.header().id);
    for entry in msg.entries() {
        match entry {
            Ok(Entry::Question(q)) => {
                acc = acc.wrapping_add(u64::from(q.qtype.0) + q.name.label_count() as u64);
            }
            Ok(Entry::Record(_, r)) => {
                acc = acc.wrapping_add(u64::from(r.rtype.0));
                if let Ok(d) = r.data() {
                    black_box(&d);
                    acc = acc.wrapping_add(1);
                }
            }
            Err(e) => acc = acc.wrapping_add(u64::from(e.offset)),
        }
    }
    acc.wrapping_add(u64::from(msg.rcode().0))
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let limit: usize = std::env::var("BENCH_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let mut messages = Vec::new();
    let source = match std::env::var_os("BENCH_CAPTURE") {
        Some(p) => {
            messages_of(Path::new(&p), limit, &mut messages);
            PathBuf::from(p).display().to_string()
        }
        None => {
            let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("samples"))
                .map(|d| d.flatten().map(|e| e.path()).collect())
                .unwrap_or_default();
            files.sort();
            for f in files {
                let name = f.to_string_lossy();
                if name.ends_with(".pcap") || name.ends_with(".pcapng") {
                    messages_of(&f, limit, &mut messages);
                }
            }
            "samples/*.pcap*".to_string()
        }
    };
    if messages.is_empty() {
        eprintln!("SKIP: no DNS messages found in {source}");
        return;
    }
    let bytes: usize = messages.iter().map(Vec::len).sum();

    // Warm up, then time whole passes for at least 2 s.
    let mut sink = 0u64;
    for m in &messages {
        sink = sink.wrapping_add(walk(m));
    }
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let start = Instant::now();
    let mut passes = 0u64;
    while start.elapsed() < Duration::from_secs(2) {
        for m in &messages {
            sink = sink.wrapping_add(walk(black_box(m)));
        }
        passes += 1;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
    black_box(sink);

    let parsed = passes * messages.len() as u64;
    println!(
        "dns::Message parse + full walk: {} messages ({} bytes, {:.0} bytes/message) from {source}",
        messages.len(),
        bytes,
        bytes as f64 / messages.len() as f64
    );
    println!(
        "  {parsed} messages in {elapsed:.3} s: {:.2} M messages/s, {:.0} MB/s, {:.0} ns/message",
        parsed as f64 / elapsed / 1e6,
        (passes as f64 * bytes as f64) / elapsed / 1e6,
        elapsed * 1e9 / parsed as f64
    );
    println!(
        "  allocations: {allocations} in {parsed} messages = {} per message",
        allocations as f64 / parsed as f64
    );
    if allocations != 0 {
        eprintln!("FAIL: parsing allocated");
        std::process::exit(1);
    }
}
