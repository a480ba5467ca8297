//! Fuzzing seeds, built at run time from `samples/` and the shared corpus
//! (nothing of the corpus is copied into the repository).
//!
//! Used by `examples/fuzz_seeds.rs` (writes the seed directories for
//! `cargo fuzz`) and by the stable driver `tests/fuzz_stable.rs`. Only `std`
//! and `dnslens`, so that both can include it with `#[path]`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Capture files larger than this are seeded by their first bytes only.
pub const MAX_CAPTURE_SEED: usize = 64 * 1024;
/// At most this many distinct DNS messages are kept as seeds.
pub const MAX_MESSAGE_SEEDS: usize = 4000;

#[derive(Debug, Default)]
pub struct Seeds {
    /// (file name, bytes) of whole capture files (or their heads).
    pub captures: Vec<(String, Vec<u8>)>,
    /// Distinct DNS messages found in them.
    pub messages: Vec<Vec<u8>>,
    /// `name` target inputs: a start offset byte, then a message.
    pub names: Vec<Vec<u8>>,
}

/// The corpus directory: `$CARGO_MANIFEST_DIR/../shared/corpus/public`, then
/// `/work/shared/corpus/public`; `None` when neither exists.
pub fn corpus_dir(manifest_dir: &Path) -> Option<PathBuf> {
    [
        manifest_dir.join("../shared/corpus/public"),
        PathBuf::from("/work/shared/corpus/public"),
    ]
    .into_iter()
    .find(|p| p.is_dir())
}

fn capture_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    v.retain(|p| {
        let n = p.to_string_lossy();
        [".pcap", ".pcapng", ".pcap.gz", ".pcapng.gz", ".cap"]
            .iter()
            .any(|s| n.ends_with(s))
    });
    v.sort();
    v
}

/// Collects seeds from every capture in `dirs`.
pub fn collect(dirs: &[PathBuf]) -> Seeds {
    let mut seeds = Seeds::default();
    let mut messages = BTreeSet::new();
    let settings = dnslens::app::Settings::default();
    for dir in dirs {
        for path in capture_files(dir) {
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let head = bytes.get(..MAX_CAPTURE_SEED).unwrap_or(&bytes).to_vec();
            seeds.captures.push((name, head));
            if let Ok(a) = dnslens::app::analyze(&path, &settings) {
                for m in a.messages {
                    if messages.len() < MAX_MESSAGE_SEEDS {
                        messages.insert(m.bytes);
                    }
                }
            }
        }
    }
    seeds.messages = messages.into_iter().collect();
    for m in &seeds.messages {
        // The question name, and every owner name that starts below 256.
        let mut starts = BTreeSet::from([12usize]);
        if let Ok(msg) = dnslens::dns::Message::parse(m) {
            for e in msg.entries().flatten() {
                if let dnslens::dns::Entry::Record(_, r) = e {
                    starts.insert(r.offset);
                }
            }
        }
        for s in starts.into_iter().filter(|&s| s < 256).take(4) {
            let mut input = vec![s as u8];
            input.extend_from_slice(m);
            seeds.names.push(input);
        }
    }
    seeds
}
