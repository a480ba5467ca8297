//! Writes the seed directories for `cargo fuzz` from `samples/` and the
//! shared corpus (see docs/robustness.md):
//!
//! ```text
//! cargo run --example fuzz_seeds -- fuzz/seeds
//! cargo +nightly fuzz run dns_message fuzz/corpus/dns_message fuzz/seeds/dns_message
//! ```

#[path = "../fuzz/src/seeds.rs"]
#[allow(unreachable_pub, dead_code)]
mod seeds;

use std::path::{Path, PathBuf};

fn main() -> std::io::Result<()> {
    let out = PathBuf::from(
        std::env::args_os()
            .nth(1)
            .unwrap_or_else(|| "fuzz/seeds".into()),
    );
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut dirs = vec![manifest.join("samples")];
    match seeds::corpus_dir(manifest) {
        Some(c) => dirs.push(c),
        None => eprintln!("SKIP: shared corpus not found; seeding from samples/ only"),
    }
    let s = seeds::collect(&dirs);
    let write = |target: &str, items: Vec<(String, &[u8])>| -> std::io::Result<usize> {
        let dir = out.join(target);
        std::fs::create_dir_all(&dir)?;
        let n = items.len();
        for (name, bytes) in items {
            std::fs::write(dir.join(name), bytes)?;
        }
        Ok(n)
    };
    let caps = write(
        "capture_file",
        s.captures
            .iter()
            .map(|(n, b)| (n.clone(), b.as_slice()))
            .collect(),
    )?;
    let msgs = write(
        "dns_message",
        s.messages
            .iter()
            .enumerate()
            .map(|(i, b)| (format!("msg-{i:05}"), b.as_slice()))
            .collect(),
    )?;
    let names = write(
        "name",
        s.names
            .iter()
            .enumerate()
            .map(|(i, b)| (format!("name-{i:05}"), b.as_slice()))
            .collect(),
    )?;
    println!(
        "{}: {caps} capture seeds, {msgs} message seeds, {names} name seeds",
        out.display()
    );
    Ok(())
}
