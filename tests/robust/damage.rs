//! Damaged files, over every capture in samples/: truncated at every byte,
//! random byte flips, zero length, wrong magic, broken pcapng block lengths,
//! garbage appended. Each must give every frame before the damage, a
//! diagnostic naming the byte offset where the damage is, and the documented
//! exit code: 0 when a valid header was read (damage is data), 2 when the
//! bytes are not a capture at all (empty, wrong magic).
//!
//! The library is run for the exhaustive cases (fast); the binary for a sample
//! of each kind (exit code and stderr).

use std::collections::BTreeMap;

use dnslens::app::{Analysis, Settings};
use dnslens::error::{Error, Layer};

use super::{analyze_bytes, bin, samples, TempDir};

/// Files up to this size are cut at every byte.
const EXHAUSTIVE: usize = 4096;

/// A sample and what reading it whole gives.
struct Sample {
    name: String,
    bytes: Vec<u8>,
    /// (start, end) of every record/block, the file header first.
    blocks: Vec<(usize, usize)>,
    /// Frame number -> end offset of its record.
    frame_end: BTreeMap<u64, usize>,
    /// (frame, bytes) of every DNS message.
    messages: Vec<(u64, Vec<u8>)>,
}

fn u32_at(b: &[u8], at: usize, le: bool) -> usize {
    let a = [b[at], b[at + 1], b[at + 2], b[at + 3]];
    (if le {
        u32::from_le_bytes(a)
    } else {
        u32::from_be_bytes(a)
    }) as usize
}

/// The record layout, read directly from the (valid) sample bytes.
fn blocks(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut v = Vec::new();
    if bytes[..4] == [0x0a, 0x0d, 0x0d, 0x0a] {
        let le = bytes[8..12] == [0x4d, 0x3c, 0x2b, 0x1a];
        let mut off = 0;
        while off + 8 <= bytes.len() {
            let len = u32_at(bytes, off + 4, le);
            v.push((off, off + len));
            off += len;
        }
    } else {
        let le = bytes[..4] == [0xd4, 0xc3, 0xb2, 0xa1] || bytes[..4] == [0x4d, 0x3c, 0xb2, 0xa1];
        v.push((0, 24));
        let mut off = 24;
        while off + 16 <= bytes.len() {
            let caplen = u32_at(bytes, off + 8, le);
            v.push((off, off + 16 + caplen));
            off += 16 + caplen;
        }
    }
    assert_eq!(v.last().map(|b| b.1), Some(bytes.len()), "sample layout");
    v
}

fn messages(a: &Analysis) -> Vec<(u64, Vec<u8>)> {
    a.messages
        .iter()
        .map(|m| (m.meta.frame, m.bytes.clone()))
        .collect()
}

fn load_samples() -> Vec<Sample> {
    let mut paths: Vec<_> = std::fs::read_dir(samples())
        .expect("samples/")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 5, "samples/ holds the lab captures");
    paths
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).expect("read sample");
            let a = analyze_bytes(&bytes, &Settings::default()).expect("sample reads");
            assert!(a.info.truncated.is_none(), "{} is whole", p.display());
            let blocks = blocks(&bytes);
            let mut frame_end = BTreeMap::new();
            let mut reader =
                dnslens::capture::CaptureReader::new(std::io::Cursor::new(bytes.clone()))
                    .expect("capture");
            while let Some(ev) = reader.next_event() {
                if let dnslens::capture::Event::Frame(f) = ev {
                    let start = f.file_offset as usize;
                    let end = blocks.iter().find(|b| b.0 == start).expect("block").1;
                    frame_end.insert(f.number, end);
                }
            }
            Sample {
                name: p.file_name().unwrap().to_string_lossy().into_owned(),
                messages: messages(&a),
                bytes,
                blocks,
                frame_end,
            }
        })
        .collect()
}

impl Sample {
    /// The messages whose frames end at or before `at`.
    fn before(&self, at: usize) -> Vec<(u64, Vec<u8>)> {
        self.messages
            .iter()
            .filter(|(f, _)| self.frame_end[f] <= at)
            .cloned()
            .collect()
    }

    /// Where to cut: every byte of files up to [`EXHAUSTIVE`] bytes; for
    /// bigger ones every byte of the first [`EXHAUSTIVE`], then every byte
    /// within 2 of a record boundary and every 53rd byte (debug-build speed:
    /// each cut reads the whole prefix).
    fn cuts(&self) -> Vec<usize> {
        let n = self.bytes.len();
        if n <= EXHAUSTIVE {
            return (0..n).collect();
        }
        let mut v: std::collections::BTreeSet<usize> = (0..EXHAUSTIVE).collect();
        for &(start, _) in &self.blocks {
            v.extend(start.saturating_sub(2)..(start + 3).min(n));
        }
        v.extend((EXHAUSTIVE..n).step_by(53));
        v.into_iter().collect()
    }

    fn header_end(&self) -> usize {
        self.blocks[0].1
    }
}

/// The fatal capture diagnostic's offset, if reading stopped early.
fn stop_offset(a: &Analysis) -> Option<u64> {
    a.info.truncated.as_ref()?;
    a.diagnostics
        .iter()
        .filter(|d| d.layer == Layer::Capture)
        .filter_map(|d| d.file_offset)
        .next_back()
}

#[test]
fn issue_7_truncated_at_every_byte() {
    for s in load_samples() {
        for cut in s.cuts() {
            let what = format!("{} cut at {cut}", s.name);
            let r = analyze_bytes(&s.bytes[..cut], &Settings::default());
            if cut < s.header_end() {
                // Not a whole file header: "not a capture" (exit 2), or, for a
                // pcapng whose Section Header Block was recognised by its
                // magic and byte-order mark before the cut, a capture with no
                // frames cut off at byte 0 (exit 0).
                match r {
                    Err(Error::NotACapture { .. }) => {}
                    Ok(a) => {
                        assert!(s.name.ends_with(".pcapng") && cut >= 12, "{what}");
                        assert!(a.messages.is_empty(), "{what}");
                        assert_eq!(stop_offset(&a), Some(0), "{what}");
                    }
                    Err(e) => panic!("{what}: {e}"),
                }
                continue;
            }
            let a = r.unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(
                messages(&a),
                s.before(cut),
                "{what}: every frame before the cut"
            );
            match s.blocks.iter().find(|b| b.0 < cut && cut < b.1) {
                None => assert!(a.info.truncated.is_none(), "{what}: a whole file"),
                Some(&(start, _)) => assert_eq!(
                    stop_offset(&a),
                    Some(start as u64),
                    "{what}: the diagnostic names the cut record's offset: {:#?}",
                    a.diagnostics
                ),
            }
        }
    }
}

/// xorshift64*, fixed seeds: the flips are the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn issue_7_random_byte_flips() {
    let mut rng = Rng(0x5eed_f11b);
    for s in load_samples() {
        for round in 0..400 {
            let mut b = s.bytes.clone();
            let flips = 1 + rng.below(4);
            let mut first = usize::MAX;
            for _ in 0..flips {
                let at = rng.below(b.len());
                b[at] ^= 1 << rng.below(8);
                first = first.min(at);
            }
            let what = format!("{} round {round}, first flip at {first}", s.name);
            let Ok(a) = analyze_bytes(&b, &Settings::default()) else {
                assert!(
                    first < s.header_end(),
                    "{what}: only a damaged header is not a capture"
                );
                continue;
            };
            // Every message whose record ends before the first flip is intact.
            let got = messages(&a);
            for m in s.before(first) {
                assert!(got.contains(&m), "{what}: frame {} lost", m.0);
            }
            if let Some(off) = stop_offset(&a) {
                assert!(off as usize <= b.len(), "{what}");
            }
        }
    }
}

#[test]
fn issue_7_garbage_appended() {
    let mut rng = Rng(0x06a5_ba6e);
    for s in load_samples() {
        for len in [1usize, 3, 15, 16, 17, 31, 64, 300] {
            let mut b = s.bytes.clone();
            b.extend((0..len).map(|_| rng.next() as u8));
            let what = format!("{} + {len} garbage bytes", s.name);
            let a = analyze_bytes(&b, &Settings::default()).expect("still a capture");
            assert_eq!(messages(&a), s.messages, "{what}: every frame kept");
            assert_eq!(
                stop_offset(&a),
                Some(s.bytes.len() as u64),
                "{what}: {:#?}",
                a.diagnostics
            );
        }
    }
}

#[test]
fn issue_7_zero_length_and_wrong_magic_are_not_captures() {
    assert!(matches!(
        analyze_bytes(&[], &Settings::default()),
        Err(Error::NotACapture { .. })
    ));
    for s in load_samples() {
        let mut b = s.bytes.clone();
        b[..4].copy_from_slice(b"\x00GIF");
        let r = analyze_bytes(&b, &Settings::default());
        assert!(matches!(r, Err(Error::NotACapture { .. })), "{}", s.name);
    }
}

#[test]
fn issue_7_broken_pcapng_block_lengths() {
    for s in load_samples()
        .into_iter()
        .filter(|s| s.name.ends_with(".pcapng"))
    {
        // Every block after the section header, each bad length in turn.
        for &(start, end) in &s.blocks[1..] {
            let good = u32_at(&s.bytes, start + 4, true) as u32;
            for bad in [
                0u32,
                4,
                8,
                11,
                good + 1,
                good + 4,
                0x7fff_fffc,
                0xffff_fffc,
                u32::MAX,
            ] {
                let mut b = s.bytes.clone();
                b[start + 4..start + 8].copy_from_slice(&bad.to_le_bytes());
                let what = format!("{} block at {start} length {bad:#x}", s.name);
                let a = analyze_bytes(&b, &Settings::default()).expect("still a capture");
                assert_eq!(messages(&a), s.before(start), "{what}: frames before");
                let off = stop_offset(&a).unwrap_or_else(|| panic!("{what}: no stop"));
                // The damage is named at the block (or, for a length that lands
                // inside the file on another plausible block, later, never before).
                assert!(
                    off as usize >= start && off as usize <= b.len(),
                    "{what}: {off}"
                );
            }
            // The trailing length copy disagreeing with the leading one.
            let mut b = s.bytes.clone();
            b[end - 4] ^= 0x04;
            let a = analyze_bytes(&b, &Settings::default()).expect("still a capture");
            assert_eq!(
                messages(&a),
                s.before(start),
                "{} trailer at {start}",
                s.name
            );
            assert_eq!(
                stop_offset(&a),
                Some(start as u64),
                "{} trailer at {start}",
                s.name
            );
        }
    }
}

/// The binary, a few cases of each kind: exit codes and the stderr line.
#[test]
fn issue_7_damaged_files_through_the_binary() {
    let dir = TempDir::new("damage");
    let s = load_samples()
        .into_iter()
        .find(|s| s.name == "dns.pcap")
        .expect("dns.pcap");
    let run = |name: &str, bytes: &[u8]| {
        let p = dir.path(name);
        std::fs::write(&p, bytes).unwrap();
        let out = bin().arg(&p).output().expect("run");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8(out.stdout).expect("UTF-8"),
            String::from_utf8(out.stderr).expect("UTF-8"),
        )
    };
    // Cut inside the third record.
    let (start, end) = s.blocks[3];
    let cut = (start + end) / 2;
    let (code, stdout, stderr) = run("cut.pcap", &s.bytes[..cut]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains(&format!("byte {start}")), "{stderr}");
    assert!(
        stdout.contains("example"),
        "frames before the cut are shown:\n{stdout}"
    );

    let (code, _, stderr) = run("empty.pcap", &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(!stderr.is_empty());

    let mut b = s.bytes.clone();
    b[..4].copy_from_slice(b"GIF8");
    let (code, _, stderr) = run("magic.pcap", &b);
    assert_eq!(code, 2, "{stderr}");

    let mut b = s.bytes.clone();
    b.extend_from_slice(b"garbage after the last record");
    let (code, _, stderr) = run("garbage.pcap", &b);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains(&format!("byte {}", s.bytes.len())),
        "{stderr}"
    );

    let ng = load_samples()
        .into_iter()
        .find(|s| s.name == "dns.pcapng")
        .expect("dns.pcapng");
    let mut b = ng.bytes.clone();
    let (start, _) = ng.blocks[2];
    b[start + 4..start + 8].copy_from_slice(&0xffff_fff0u32.to_le_bytes());
    let (code, _, stderr) = run("block.pcapng", &b);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains(&format!("byte {start}")), "{stderr}");
}
