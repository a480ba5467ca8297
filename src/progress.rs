//! Progress on standard error for long runs: bytes read of the total, DNS
//! messages per second, and the time left.
//!
//! One plain line redrawn with `\r` (no dependency): only when standard error is
//! a terminal and not `--quiet` (`app` decides, once), only after the run has
//! lasted [`DELAY`], at most every [`INTERVAL`], and erased at the end, so a
//! short run or a pipe never sees it. Anything else written to the terminal
//! (a diagnostic line on stderr, table rows on a stdout that is the same
//! terminal) first erases the line through [`clear_line`] or [`ClearingWriter`]
//! and the next update draws it again.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// No progress before the run has lasted this long: short runs stay silent.
pub const DELAY: Duration = Duration::from_millis(500);
/// At most this many redraws per second (4).
pub const INTERVAL: Duration = Duration::from_millis(250);
/// Look at the clock once per this many ticks (a tick is one capture record).
const TICKS_PER_CLOCK: u32 = 64;

/// Erase the line: carriage return, then ANSI "erase to end of line".
const ERASE: &str = "\r\x1b[K";

/// Whether a progress line is on the terminal now.
static SHOWN: AtomicBool = AtomicBool::new(false);

/// Erases the progress line if one is shown, so that a line written next
/// starts at the left margin. Cheap when nothing is shown.
pub fn clear_line() {
    if SHOWN.swap(false, Ordering::Relaxed) {
        let _ = io::stderr().lock().write_all(ERASE.as_bytes());
    }
}

/// A writer for a standard output that is the same terminal as standard
/// error: it erases the progress line before passing writes on.
pub struct ClearingWriter<W: Write>(pub W);

impl<W: Write> Write for ClearingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        clear_line();
        self.0.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// The progress of one run over a list of files.
pub struct Progress {
    enabled: bool,
    start: Instant,
    last_draw: Option<Instant>,
    /// Sum of the sizes of all inputs; `None` when one is unknown (stdin, a pipe).
    total: Option<u64>,
    /// Bytes of the files already finished.
    done_before: u64,
    /// Bytes of the current file read so far.
    current: u64,
    file: usize,
    files: usize,
    ticks: u32,
}

impl Progress {
    /// A progress that never draws.
    pub fn disabled() -> Self {
        Self::new(false, None, 0)
    }

    /// `total`: the sum of the input sizes in bytes when all are known.
    pub fn new(enabled: bool, total: Option<u64>, files: usize) -> Self {
        Self {
            enabled,
            start: Instant::now(),
            last_draw: None,
            total,
            done_before: 0,
            current: 0,
            file: 0,
            files,
            ticks: 0,
        }
    }

    /// A new file starts (`index` counts from 0).
    pub fn start_file(&mut self, index: usize) {
        self.done_before += self.current;
        self.current = 0;
        self.file = index;
    }

    /// Called per capture record: `bytes` of the current file read so far (the
    /// compressed bytes for a .gz), `messages` DNS messages in the whole run.
    pub fn tick(&mut self, bytes: u64, messages: u64) {
        if !self.enabled {
            return;
        }
        self.current = bytes;
        self.ticks = self.ticks.wrapping_add(1);
        if self.ticks % TICKS_PER_CLOCK != 0 {
            return;
        }
        let now = Instant::now();
        let elapsed = now.duration_since(self.start);
        if elapsed < DELAY
            || self
                .last_draw
                .is_some_and(|t| now.duration_since(t) < INTERVAL)
        {
            return;
        }
        self.last_draw = Some(now);
        let line = line(&State {
            done: self.done_before + self.current,
            total: self.total,
            messages,
            elapsed,
            file: self.file,
            files: self.files,
        });
        let mut err = io::stderr().lock();
        // A closed or failing stderr only costs us the progress line.
        if write!(err, "\r{line}\x1b[K")
            .and_then(|()| err.flush())
            .is_ok()
        {
            SHOWN.store(true, Ordering::Relaxed);
        }
    }

    /// The run is over: erase the line.
    pub fn finish(&mut self) {
        if self.enabled {
            clear_line();
        }
        self.enabled = false;
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

/// What one progress line shows.
#[derive(Clone, Copy, Debug)]
pub struct State {
    pub done: u64,
    pub total: Option<u64>,
    pub messages: u64,
    pub elapsed: Duration,
    /// Index of the current file (from 0) and the number of files.
    pub file: usize,
    pub files: usize,
}

/// The progress line, e.g.
/// `dnslens: 12.0 MiB of 40.0 MiB (30%), 52341 msg/s, ETA 0:07 [file 2/5]`.
pub fn line(s: &State) -> String {
    let secs = s.elapsed.as_secs_f64();
    let mut out = format!("dnslens: {}", bytes(s.done));
    let total = s.total.filter(|&t| t > 0);
    match total {
        Some(t) => {
            let pct = (s.done.min(t) as f64 * 100.0 / t as f64).floor();
            out.push_str(&format!(" of {} ({pct:.0}%)", bytes(t)));
        }
        None => out.push_str(" read"),
    }
    if secs > 0.0 {
        out.push_str(&format!(", {:.0} msg/s", s.messages as f64 / secs));
    }
    if let Some(t) = total {
        if s.done > 0 && secs > 0.0 {
            let rate = s.done as f64 / secs;
            let left = t.saturating_sub(s.done) as f64 / rate;
            out.push_str(&format!(", ETA {}", clock(left)));
        }
    }
    if s.files > 1 {
        out.push_str(&format!(" [file {}/{}]", s.file + 1, s.files));
    }
    out
}

/// Bytes in binary units with one decimal: "512 B", "1.5 KiB", "12.0 MiB".
fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = UNITS[0];
    for u in &UNITS[1..] {
        if v < 1024.0 {
            break;
        }
        v /= 1024.0;
        unit = u;
    }
    format!("{v:.1} {unit}")
}

/// Seconds as m:ss, or h:mm:ss from an hour on.
fn clock(secs: f64) -> String {
    let s = if secs.is_finite() && secs > 0.0 {
        secs.ceil() as u64
    } else {
        0
    };
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(done: u64, total: Option<u64>, messages: u64, secs: u64) -> State {
        State {
            done,
            total,
            messages,
            elapsed: Duration::from_secs(secs),
            file: 0,
            files: 1,
        }
    }

    #[test]
    fn line_with_total_has_percent_rate_and_eta() {
        // 10 MiB of 40 MiB in 2 s: 5 MiB/s, 30 MiB left -> 6 s.
        let s = state(10 << 20, Some(40 << 20), 100_000, 2);
        assert_eq!(
            line(&s),
            "dnslens: 10.0 MiB of 40.0 MiB (25%), 50000 msg/s, ETA 0:06"
        );
    }

    #[test]
    fn line_without_total_has_no_eta() {
        let s = state(1536, None, 7, 1);
        assert_eq!(line(&s), "dnslens: 1.5 KiB read, 7 msg/s");
    }

    #[test]
    fn several_files_are_counted() {
        let mut s = state(100, Some(1000), 0, 1);
        s.file = 1;
        s.files = 3;
        assert!(line(&s).ends_with(" [file 2/3]"), "{}", line(&s));
    }

    #[test]
    fn done_beyond_total_stays_at_100_percent() {
        // A file that grew while being read.
        let s = state(2000, Some(1000), 0, 1);
        assert_eq!(
            line(&s),
            "dnslens: 2.0 KiB of 1000 B (100%), 0 msg/s, ETA 0:00"
        );
    }

    #[test]
    fn units_and_clock() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(1024), "1.0 KiB");
        assert_eq!(bytes(5 << 30), "5.0 GiB");
        assert_eq!(bytes(u64::MAX), "16384.0 PiB");
        assert_eq!(clock(0.2), "0:01");
        assert_eq!(clock(61.0), "1:01");
        assert_eq!(clock(3661.0), "1:01:01");
        assert_eq!(clock(f64::NAN), "0:00");
        assert_eq!(clock(f64::INFINITY), "0:00");
    }

    #[test]
    fn disabled_progress_never_draws() {
        let mut p = Progress::disabled();
        for i in 0..10_000 {
            p.tick(i, i);
        }
        assert!(p.last_draw.is_none());
    }
}
