//! Robustness tests (issue 7): bounds pushed past, damaged files, terminal
//! safety. One test crate; `gen` builds the captures.
#![allow(unreachable_pub, dead_code)]

mod bounds;
mod damage;
mod gen;
mod regress;
mod terminal;

use std::path::{Path, PathBuf};

use dnslens::app::{self, Analysis, Settings};

pub fn analyze_bytes(bytes: &[u8], settings: &Settings) -> Result<Analysis, dnslens::error::Error> {
    app::analyze_reader(std::io::Cursor::new(bytes.to_vec()), "test.pcap", settings)
}

pub fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")
}

/// A temporary directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        let n = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let p =
            std::env::temp_dir().join(format!("dnslens-robust-{tag}-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&p).expect("mkdir");
        Self(p)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn bin() -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_dnslens"));
    cmd.env_remove("NO_COLOR").env("COLUMNS", "200");
    cmd
}
