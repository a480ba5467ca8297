//! The fuzz targets of `fuzz/` on the stable toolchain.
//!
//! `fuzz/src/lib.rs` holds the target bodies; `cargo +nightly fuzz run` drives
//! them with libFuzzer (coverage-guided). This file drives the very same
//! functions without nightly:
//!
//! - `fuzz_seeds_replay` (always runs, fast): every seed from `samples/` through
//!   every target;
//! - `fuzz_stable_mutation` (`--ignored`): a coverage-less mutation fuzzer over
//!   the seeds from `samples/` and the shared corpus, for `FUZZ_SECS` seconds per
//!   target (default 30; `FUZZ_TARGET` picks one). Run it in release:
//!   `FUZZ_SECS=300 cargo test --release --test fuzz_stable -- --ignored --nocapture`.
//!   A crashing input is written to `fuzz/artifacts/stable/` and the test fails.
#![allow(dead_code, unreachable_pub)]

#[path = "../fuzz/src/lib.rs"]
mod targets;

#[path = "../fuzz/src/seeds.rs"]
mod seeds;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn fuzz_seeds_replay() {
    let s = seeds::collect(&[manifest().join("samples")]);
    assert!(s.captures.len() >= 5, "samples/ holds the lab captures");
    assert!(s.messages.len() >= 10);
    for (_, c) in &s.captures {
        targets::capture_file(c);
    }
    for m in &s.messages {
        targets::dns_message(m);
    }
    for n in &s.names {
        targets::name(n);
    }
}

/// xorshift64*: small, seedable, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

const INTERESTING8: [u8; 10] = [0, 1, 0x3f, 0x40, 0x7f, 0x80, 0xbf, 0xc0, 0xfe, 0xff];

/// One to eight stacked mutations, AFL's havoc stage in miniature.
fn mutate(rng: &mut Rng, input: &[u8], pool: &[Vec<u8>], max_len: usize) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..1 + rng.below(8) {
        let len = v.len();
        match rng.below(10) {
            0 if len > 0 => {
                let i = rng.below(len);
                v[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                v[i] = rng.next() as u8;
            }
            2 if len > 0 => {
                let i = rng.below(len);
                v[i] = INTERESTING8[rng.below(INTERESTING8.len())];
            }
            3 if len > 1 => {
                // A 16-bit field (count, length, pointer) set to an edge value.
                let i = rng.below(len - 1);
                let x: u16 = match rng.below(6) {
                    0 => 0,
                    1 => 0xffff,
                    2 => 0xc000 | rng.below(len) as u16,
                    3 => len as u16,
                    4 => (len as u16).wrapping_add(1),
                    _ => rng.next() as u16,
                };
                v[i..i + 2].copy_from_slice(&x.to_be_bytes());
            }
            4 => {
                let i = rng.below(len + 1);
                let n = 1 + rng.below(16);
                let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                v.splice(i..i, bytes);
            }
            5 if len > 0 => {
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(64));
                v.drain(i..i + n);
            }
            6 if len > 0 => {
                // Duplicate a block (repeats records, labels, blocks).
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(256));
                let block = v[i..i + n].to_vec();
                let at = rng.below(len + 1);
                v.splice(at..at, block);
            }
            7 if !pool.is_empty() => {
                // Splice in a piece of another seed.
                let other = &pool[rng.below(pool.len())];
                if !other.is_empty() {
                    let i = rng.below(other.len());
                    let n = 1 + rng.below((other.len() - i).min(512));
                    let at = rng.below(len + 1);
                    v.splice(at..at, other[i..i + n].iter().copied());
                }
            }
            8 if len > 0 => v.truncate(rng.below(len)),
            _ => {
                if len > 3 {
                    let i = rng.below(len - 3);
                    let x = rng.next() as u32;
                    v[i..i + 4].copy_from_slice(&x.to_be_bytes());
                }
            }
        }
    }
    v.truncate(max_len);
    v
}

/// A target: its name, body, seeds and largest input.
type Run<'a> = (&'a str, fn(&[u8]), &'a [Vec<u8>], usize);

struct Outcome {
    execs: u64,
    crashes: Vec<PathBuf>,
}

fn drive(name: &str, f: fn(&[u8]), pool: &[Vec<u8>], max_len: usize, secs: u64) -> Outcome {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ name.len() as u64);
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut out = Outcome {
        execs: 0,
        crashes: Vec::new(),
    };
    // Seeds themselves first, then mutations until the time is up.
    let mut queue: Vec<Vec<u8>> = pool.to_vec();
    while Instant::now() < deadline {
        let input = match queue.pop() {
            Some(s) => s,
            None if pool.is_empty() => Vec::new(),
            None => {
                let base = rng.below(pool.len());
                mutate(&mut rng, &pool[base], pool, max_len)
            }
        };
        out.execs += 1;
        if catch_unwind(AssertUnwindSafe(|| f(&input))).is_err() {
            let dir = manifest().join("fuzz/artifacts/stable");
            let _ = std::fs::create_dir_all(&dir);
            let path = dir.join(format!("{name}-crash-{}", out.crashes.len()));
            let _ = std::fs::write(&path, &input);
            out.crashes.push(path);
            if out.crashes.len() >= 10 {
                break;
            }
        }
    }
    out
}

#[test]
#[ignore = "long: a stable mutation fuzzer; FUZZ_SECS per target"]
fn fuzz_stable_mutation() {
    let secs: u64 = std::env::var("FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    let only = std::env::var("FUZZ_TARGET").ok();
    let mut dirs = vec![manifest().join("samples")];
    match seeds::corpus_dir(manifest()) {
        Some(c) => dirs.push(c),
        None => println!("SKIP: shared corpus not found; seeds from samples/ only"),
    }
    let s = seeds::collect(&dirs);
    let captures: Vec<Vec<u8>> = s.captures.into_iter().map(|(_, b)| b).collect();
    let runs: [Run<'_>; 3] = [
        ("dns_message", targets::dns_message, &s.messages, 4096),
        ("name", targets::name, &s.names, 4096),
        ("capture_file", targets::capture_file, &captures, 64 * 1024),
    ];
    let mut crashes = Vec::new();
    for (name, f, pool, max_len) in runs {
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        let start = Instant::now();
        let o = drive(name, f, pool, max_len, secs);
        let el = start.elapsed().as_secs_f64();
        println!(
            "{name}: {} seeds, {} execs in {el:.0} s ({:.0}/s), {} crashes",
            pool.len(),
            o.execs,
            o.execs as f64 / el,
            o.crashes.len()
        );
        crashes.extend(o.crashes);
    }
    assert!(crashes.is_empty(), "crashing inputs: {crashes:?}");
}
