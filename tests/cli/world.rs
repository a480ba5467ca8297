//! Issue 8: completions, man page, --version (and, further down, progress and
//! the HTML report).

use crate::util::*;

#[test]
fn version_names_the_version_and_the_commit() {
    let r = run(["--version"]);
    assert_eq!(r.code, 0);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    let want = format!("dnslens {} (", env!("CARGO_PKG_VERSION"));
    assert!(r.stdout.starts_with(&want), "{}", r.stdout);
    let commit = r
        .stdout
        .trim()
        .trim_start_matches(&want)
        .trim_end_matches(')');
    // Built from a git checkout (as here and in CI): the short hash of HEAD.
    let head = std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    match head {
        Some(head) => assert_eq!(commit, head),
        None => assert_eq!(commit, "unknown"),
    }
}

#[test]
fn bash_completion_completes_options_and_subcommands() {
    let r = run(["completions", "bash"]);
    assert_eq!(r.code, 0);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    let dir = TempDir::new("bash-completion");
    let script = dir.path("dnslens.bash");
    std::fs::write(&script, &r.stdout).unwrap();
    // Load the script into a real bash and ask it, as the shell would on <Tab>.
    let ask = |words: &str| {
        let cmd = format!(
            "source '{}'; COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}}-1)); \
             COMP_LINE='{words}'; COMP_POINT=${{#COMP_LINE}}; _dnslens dnslens \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; echo \"${{COMPREPLY[*]}}\"",
            script.display()
        );
        let out = std::process::Command::new("bash")
            .args(["--norc", "--noprofile", "-c", &cmd])
            .output()
            .expect("run bash");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    assert_eq!(ask("dnslens --form"), "--format");
    let formats = ask("dnslens --format ''");
    for f in ["table", "json", "ndjson"] {
        assert!(formats.split(' ').any(|w| w == f), "{formats}");
    }
    let subs = ask("dnslens comp");
    assert_eq!(subs, "completions");
}

#[test]
fn zsh_and_fish_scripts_are_generated() {
    let z = run(["completions", "zsh"]);
    assert_eq!(z.code, 0);
    assert!(z.stdout.starts_with("#compdef dnslens"));
    let f = run(["completions", "fish"]);
    assert_eq!(f.code, 0);
    assert!(f.stdout.contains("complete -c dnslens"));
}

#[test]
fn unknown_shell_is_a_usage_error() {
    let r = run(["completions", "tcsh"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("tcsh"), "{}", r.stderr);
}

#[test]
fn man_page_renders_and_dir_writes_one_page_per_subcommand() {
    let r = run(["man"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains(".TH dnslens 1"), "{}", r.stdout);
    assert!(r.stdout.contains(".SH \"EXIT STATUS\""));
    // When man(1) is installed, check the page really renders.
    let dir = TempDir::new("man");
    let page = dir.path("dnslens.1");
    std::fs::write(&page, &r.stdout).unwrap();
    if let Ok(out) = std::process::Command::new("man")
        .arg("-l")
        .arg(&page)
        .env("MANWIDTH", "80")
        .env("MANPAGER", "cat")
        .output()
    {
        if out.status.success() {
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(text.contains("EXIT STATUS"), "{text}");
            assert!(text.contains("--format"), "{text}");
        }
    }
    let out = dir.path("pages");
    let r = run(["man".as_ref(), "--dir".as_ref(), out.as_os_str()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.is_empty());
    for name in ["dnslens.1", "dnslens-messages.1", "dnslens-completions.1"] {
        assert!(out.join(name).is_file(), "{name} missing");
    }
}

#[test]
fn closed_pipe_on_completions_is_quiet() {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = bin()
        .args(["completions", "bash"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(err.is_empty(), "{err}");
}

// ---- progress -----------------------------------------------------------------

/// Writes a pcap of `pairs` query/response pairs (distinct IDs and ports, 1 ms
/// apart) straight to `path`, without holding the packets in memory.
fn big_pcap(path: &std::path::Path, pairs: u32) {
    use std::io::Write;
    let file = std::fs::File::create(path).unwrap();
    let mut out = std::io::BufWriter::new(file);
    let head = pcap(&[]);
    out.write_all(&head).unwrap();
    for i in 0..pairs {
        let id = (i % 65_536) as u16;
        let port = 1024 + (i / 65_536 % 60_000) as u16;
        let t = f64::from(i) * 0.001;
        let q = Packet::at(t, CLIENT, port, SERVER, 53, query(id, "www.example.com", A));
        let r = Packet::at(
            t + 0.0005,
            SERVER,
            53,
            CLIENT,
            port,
            response(id, "www.example.com", A, 0, &[[93, 184, 216, 34]]),
        );
        // The pcap of one packet minus its 24-byte file header.
        for p in [q, r] {
            out.write_all(&pcap(&[p])[24..]).unwrap();
        }
    }
    out.flush().unwrap();
}

/// A tmux server on its own socket, killed on drop (even when the test fails).
struct Tmux {
    socket: String,
}

impl Tmux {
    /// `None` (after printing SKIP) when tmux is not installed.
    fn start(tag: &str) -> Option<Self> {
        let ok = std::process::Command::new("tmux")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            println!(
                "SKIP: tmux not found; the terminal progress test needs it (apt-get install tmux)"
            );
            return None;
        }
        Some(Self {
            socket: format!("dnslens-{tag}-{}", std::process::id()),
        })
    }

    fn cmd(&self, args: &[&str]) -> std::process::Output {
        std::process::Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .expect("run tmux")
    }

    /// Runs `shell` in a new 120x20 terminal.
    fn run(&self, shell: &str) {
        // When the previous command's session has just ended, its server may still
        // be exiting, and a new session then fails with "server exited
        // unexpectedly": try again after a moment.
        let mut tries = 0;
        loop {
            let out = self.cmd(&["new-session", "-d", "-x", "120", "-y", "20", shell]);
            if out.status.success() {
                return;
            }
            tries += 1;
            assert!(tries < 20, "{}", String::from_utf8_lossy(&out.stderr));
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }

    /// The screen as text.
    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-p"]).stdout).into_owned()
    }

    /// Polls the screen until `done` appears on it; returns every distinct
    /// screen seen on the way, and the last one.
    fn watch_until(&self, done: &str, limit: std::time::Duration) -> (Vec<String>, String) {
        let start = std::time::Instant::now();
        let mut seen: Vec<String> = Vec::new();
        loop {
            let screen = self.screen();
            if screen.contains(done) {
                return (seen, screen);
            }
            if seen.last() != Some(&screen) {
                seen.push(screen);
            }
            assert!(start.elapsed() < limit, "timed out; screens: {seen:#?}");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]);
    }
}

fn is_progress_line(l: &str) -> bool {
    l.starts_with("dnslens: ") && l.contains(" of ") && l.contains("msg/s") && l.contains("ETA ")
}

/// Runs dnslens on `cap` inside tmux with `extra` arguments and returns the
/// progress lines seen on the screen, the final screen, and how long it took.
fn progress_in_tmux(
    tmux: &Tmux,
    cap: &std::path::Path,
    extra: &str,
) -> (Vec<String>, String, std::time::Duration) {
    let bin = env!("CARGO_BIN_EXE_dnslens");
    let start = std::time::Instant::now();
    // stdout to a file: only stderr (the progress) reaches the terminal.
    tmux.run(&format!(
        "'{bin}' {extra} '{}' > /dev/null; echo \"EXIT=$?\"; sleep 60",
        cap.display()
    ));
    let (screens, last) = tmux.watch_until("EXIT=", std::time::Duration::from_secs(300));
    let took = start.elapsed();
    let _ = tmux.cmd(&["kill-session"]);
    let lines = screens
        .iter()
        .flat_map(|s| s.lines())
        .filter(|l| is_progress_line(l))
        .map(str::to_string)
        .collect();
    (lines, last, took)
}

#[test]
fn progress_shows_in_a_terminal_is_erased_and_quiet_hides_it() {
    let Some(tmux) = Tmux::start("progress") else {
        return;
    };
    let dir = TempDir::new("progress");
    let cap = dir.path("big.pcap");
    // About 3 s in a debug build; ten times more if that was too fast to see.
    let mut pairs = 40_000;
    let (lines, last) = loop {
        big_pcap(&cap, pairs);
        let (lines, last, took) = progress_in_tmux(&tmux, &cap, "");
        if !lines.is_empty() || took > std::time::Duration::from_secs(2) || pairs > 1_000_000 {
            break (lines, last);
        }
        pairs *= 10;
    };
    assert!(
        !lines.is_empty(),
        "no progress line seen in the terminal; last screen:\n{last}"
    );
    let size = std::fs::metadata(&cap).unwrap().len() as f64 / (1024.0 * 1024.0);
    let total = format!(" of {size:.1} MiB (");
    assert!(lines.iter().all(|l| l.contains(&total)), "{lines:#?}");
    // Erased at the end: the final screen holds the exit line and nothing else.
    assert!(last.contains("EXIT=0"), "{last}");
    assert!(
        !last.contains("dnslens:"),
        "progress left on screen:\n{last}"
    );
    assert_eq!(last.trim(), "EXIT=0", "{last}");

    // --quiet: nothing on the terminal, ever.
    let (lines, last, _) = progress_in_tmux(&tmux, &cap, "--quiet");
    assert!(lines.is_empty(), "{lines:#?}");
    assert_eq!(last.trim(), "EXIT=0", "{last}");
}

#[test]
fn progress_never_goes_to_a_pipe() {
    let dir = TempDir::new("progress-pipe");
    let cap = dir.path("big.pcap");
    big_pcap(&cap, 40_000);
    // stderr is a pipe here (captured by the test): clean, not a byte of progress.
    let r = run(["--format".as_ref(), "ndjson".as_ref(), cap.as_os_str()]);
    assert_eq!(r.code, 0);
    assert_eq!(r.stderr, "");
    assert_eq!(r.stdout.lines().count(), 40_001);
}
