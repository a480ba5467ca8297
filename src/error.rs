//! Errors of a whole run, per-frame diagnostics, and the exit codes.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// Exit codes, documented in `docs/exit-codes.md` and `--help`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitCode {
    /// Every readable capture was processed. Malformed packets and a cut-off last
    /// record are data (diagnostics), not failures.
    Success = 0,
    /// `check`: a submission does not meet the lab.
    CheckFailed = 1,
    /// A usage error, or a file that could not be opened or is not a capture
    /// (the other files are still processed).
    Failure = 2,
}

impl ExitCode {
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// What went wrong with a whole file (or the run).
#[derive(Debug)]
pub enum Error {
    /// The file could not be opened or read.
    Io { path: PathBuf, source: io::Error },
    /// The file opened but is not a pcap or pcapng capture.
    NotACapture { path: PathBuf, detail: String },
    /// Bad arguments beyond what clap checks.
    Usage(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io { path, source } => write!(f, "{}: {}", path.display(), source),
            Self::NotACapture { path, detail } => write!(f, "{}: {}", path.display(), detail),
            Self::Usage(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for Error {}

impl Error {
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::Failure
    }
}

/// The layer a diagnostic comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layer {
    Capture,
    Network,
    Dns,
    Pairing,
}

impl Layer {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Capture => "capture",
            Self::Network => "network",
            Self::Dns => "dns",
            Self::Pairing => "pairing",
        }
    }
}

/// A problem with one frame or one part of a file. The run goes on; good results
/// keep flowing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Index of the file in the run's file list.
    pub file: u32,
    pub frame: Option<u64>,
    pub layer: Layer,
    /// Byte offset in the (decompressed) file, for capture-level problems.
    pub file_offset: Option<u64>,
    /// Byte offset inside the DNS message, for DNS problems.
    pub dns_offset: Option<usize>,
    pub message: String,
}
