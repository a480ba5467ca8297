//! `--format html`: one self-contained page, checked in a real browser
//! (headless Chromium) with a capture whose names and TXT strings are markup.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::*;

const TXT: u16 = 16;

/// `<script>alert(1)</script>.example.` in presentation format, HTML-escaped.
const NAME_HTML: &str = "&lt;script&gt;alert\\(1\\)&lt;/script&gt;.example.";

/// A script that marks the page if it ever runs.
const PWN: &str = "<script>document.body.setAttribute('data-pwned','1')</script>";

/// A response with one TXT answer holding `text` (one character-string).
fn txt_response(id: u16, qname: &str, text: &str) -> Vec<u8> {
    let mut m = header(id, 0x8180, [1, 1, 0, 0]);
    m.extend(name(qname));
    m.extend_from_slice(&TXT.to_be_bytes());
    m.extend_from_slice(&1u16.to_be_bytes());
    m.extend_from_slice(&[0xc0, 0x0c]); // owner: pointer to the question name
    m.extend_from_slice(&TXT.to_be_bytes());
    m.extend_from_slice(&1u16.to_be_bytes());
    m.extend_from_slice(&60u32.to_be_bytes());
    let rdlen = 1 + text.len();
    m.extend_from_slice(&(rdlen as u16).to_be_bytes());
    m.push(text.len() as u8);
    m.extend_from_slice(text.as_bytes());
    m
}

/// The hostile capture: a query for `<script>alert(1)</script>.example.` and a
/// TXT answer that is a script; a second, ordinary A lookup. Its file name is
/// markup too.
fn hostile_capture(dir: &TempDir) -> PathBuf {
    write_pcap(
        dir,
        "cap<b>&\"x\".pcap",
        &[
            Packet::query_at(0.0, query(0x1001, "<script>alert(1)</script>.example", TXT)),
            Packet::response_at(
                0.004,
                txt_response(0x1001, "<script>alert(1)</script>.example", PWN),
            ),
            Packet::query_at(1.0, query(0x1002, "www.example.com", A)),
            Packet::response_at(
                1.0125,
                response(0x1002, "www.example.com", A, 0, &[[93, 184, 216, 34]]),
            ),
        ],
    )
}

fn html_of(path: &Path) -> String {
    let r = run(["--format".as_ref(), "html".as_ref(), path.as_os_str()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stderr, "");
    r.stdout
}

#[test]
fn page_is_self_contained_and_escapes_everything_from_the_capture() {
    let dir = TempDir::new("html-escape");
    let cap = hostile_capture(&dir);
    let page = html_of(&cap);
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.ends_with("</html>\n"));
    let lower = page.to_ascii_lowercase();
    // No script at all, no element from the capture, nothing loaded from anywhere.
    assert!(!lower.contains("<script"), "{page}");
    assert!(!lower.contains("<b>"), "{page}");
    for needle in [
        "src=", "href=", "url(", "@import", "https://", "<link", "<iframe",
    ] {
        assert!(!lower.contains(needle), "page has {needle}");
    }
    assert!(page.contains("Content-Security-Policy"));
    // The name and the TXT string show as text: in presentation format, as in
    // the table and JSON (dig's style: `(` and `)` escaped), then HTML-escaped.
    assert!(page.contains(NAME_HTML), "{page}");
    assert!(page.contains("&lt;script&gt;document.body.setAttribute(&#39;data-pwned&#39;"));
    assert!(page.contains("cap&lt;b&gt;&amp;&quot;x&quot;.pcap"));
    // Table: two transactions, each with its query and response expandable.
    assert_eq!(page.matches("<details>").count(), 4);
    assert!(page.contains("<svg"));
}

#[test]
fn messages_page_has_one_row_per_message() {
    let dir = TempDir::new("html-messages");
    let cap = hostile_capture(&dir);
    let r = run([
        "messages".as_ref(),
        "--format".as_ref(),
        "html".as_ref(),
        cap.as_os_str(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let body = r.stdout.split("<tbody>").nth(1).unwrap();
    // One row per message, each starting with its frame number; each expandable.
    assert_eq!(body.matches("<tr><td class=\"num\">").count(), 4, "{body}");
    assert_eq!(body.matches("<details>").count(), 4, "{body}");
    assert!(!r.stdout.to_ascii_lowercase().contains("<script"));
}

// ---- in a real browser ------------------------------------------------------

fn chromium() -> Option<PathBuf> {
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        let found = Command::new(name)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if found {
            return Some(PathBuf::from(name));
        }
    }
    None
}

/// Where the browser test keeps its screenshots (under target/).
fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("html-report");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs headless Chromium on `page` with `action` (`--dump-dom` or
/// `--screenshot=...`): a fresh profile, no network, no GPU, no sandbox (root
/// in CI); killed after a minute. Returns stdout.
fn browser(chrome: &Path, profile: &Path, page: &Path, action: &[&str]) -> String {
    let url = format!("file://{}", page.display());
    let mut child = Command::new(chrome)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--no-first-run",
            "--no-default-browser-check",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--proxy-server=http://127.0.0.1:9",
            "--window-size=1280,1000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(action)
        .arg(&url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut s);
        s
    });
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 60 s on {url}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    reader.join().unwrap()
}

#[test]
fn browser_renders_the_table_and_runs_no_script() {
    let Some(chrome) = chromium() else {
        println!(
            "SKIP: chromium not found; the HTML browser test needs it (apt-get install chromium)"
        );
        return;
    };
    let dir = TempDir::new("html-browser");
    let profile = dir.path("profile");
    let cap = hostile_capture(&dir);
    let page = html_of(&cap);
    let page_path = dir.path("capture.html");
    std::fs::write(&page_path, &page).unwrap();

    // 1. The harness can see a script run: a control page without CSP.
    let control = dir.path("control.html");
    std::fs::write(
        &control,
        format!("<!DOCTYPE html><html><body>{PWN}</body></html>"),
    )
    .unwrap();
    let dom = browser(&chrome, &profile, &control, &["--dump-dom"]);
    assert!(
        dom.contains("data-pwned=\"1\""),
        "control script did not run, so the check below would prove nothing:\n{dom}"
    );

    // 2. The real page: the table as the browser rendered it.
    let dom = browser(&chrome, &profile, &page_path, &["--dump-dom"]);
    assert!(!dom.contains("data-pwned=\""), "a script ran:\n{dom}");
    let body = dom
        .split("id=\"rows\"")
        .nth(1)
        .unwrap_or_else(|| panic!("no transaction table in the DOM:\n{dom}"));
    // Top-level rows start with the frames cell; nested field tables do not.
    let top: Vec<&str> = body.split("<tr><td class=\"num\">").skip(1).collect();
    assert_eq!(top.len(), 2, "two transactions: {body}");
    assert!(top[0].contains(&format!("{NAME_HTML} TXT")), "{}", top[0]);
    assert!(top[0].contains("NOERROR"));
    assert!(top[0].contains("4.000"), "RTT 4 ms: {}", top[0]);
    assert!(top[1].contains("www.example.com. A"));
    assert!(top[1].contains("93.184.216.34"));
    assert!(top[1].contains("12.500"), "RTT 12.5 ms: {}", top[1]);
    assert!(dom.contains("<svg"), "histogram missing");
    assert!(!dom.to_ascii_lowercase().contains("<script"), "{dom}");

    // 3. Escaping alone stops the scripts: the same page without its CSP.
    let no_csp: String = page
        .lines()
        .filter(|l| !l.contains("Content-Security-Policy"))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(!no_csp.contains("Content-Security-Policy"));
    let no_csp_path = dir.path("no-csp.html");
    std::fs::write(&no_csp_path, &no_csp).unwrap();
    let dom = browser(&chrome, &profile, &no_csp_path, &["--dump-dom"]);
    assert!(dom.contains("<tbody>"), "{dom}");
    assert!(
        !dom.contains("data-pwned=\""),
        "a script ran without CSP:\n{dom}"
    );

    // 4. Screenshots kept as artifacts: the page, and with every message open.
    let out = artifacts();
    let shot = out.join("capture.png");
    let _ = std::fs::remove_file(&shot);
    browser(
        &chrome,
        &profile,
        &page_path,
        &[&format!("--screenshot={}", shot.display())],
    );
    let open_path = dir.path("capture-open.html");
    std::fs::write(&open_path, page.replace("<details>", "<details open>")).unwrap();
    let shot_open = out.join("capture-open.png");
    let _ = std::fs::remove_file(&shot_open);
    browser(
        &chrome,
        &profile,
        &open_path,
        &[&format!("--screenshot={}", shot_open.display())],
    );
    for s in [&shot, &shot_open] {
        let png = std::fs::read(s).unwrap_or_else(|e| panic!("{}: {e}", s.display()));
        assert!(
            png.starts_with(b"\x89PNG\r\n\x1a\n"),
            "{} is not a PNG",
            s.display()
        );
        assert!(png.len() > 10_000, "{} looks blank", s.display());
    }
    std::fs::copy(&page_path, out.join("capture.html")).unwrap();
    println!("screenshots: {} {}", shot.display(), shot_open.display());
}

// ---- check --format html ------------------------------------------------------

/// The client lab's rubric and three submissions: one that passes under a
/// hostile file name, one with QTYPE written little-endian, one not a capture.
fn check_page(dir: &TempDir) -> (String, i32) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let caps = root.join("tests/labs/captures");
    let subs = dir.path("subs");
    std::fs::create_dir_all(&subs).unwrap();
    let hostile = "<img src=x onerror=document.body.setAttribute('data-pwned','1')>.pcapng";
    std::fs::copy(caps.join("client-ok.pcapng"), subs.join(hostile)).unwrap();
    std::fs::copy(
        caps.join("client-le-qtype.pcapng"),
        subs.join("le-qtype.pcapng"),
    )
    .unwrap();
    std::fs::write(subs.join("notes.pcap"), "not a capture").unwrap();
    let rubric = root.join("docs/labs/dns-client.toml");
    let r = run([
        "check".as_ref(),
        "--lab".as_ref(),
        rubric.as_os_str(),
        "--set".as_ref(),
        "host=www.lab.example".as_ref(),
        "--set".as_ref(),
        "server=127.0.0.1".as_ref(),
        "--set".as_ref(),
        "timeout=1".as_ref(),
        "--quiet".as_ref(),
        "--format".as_ref(),
        "html".as_ref(),
        subs.as_os_str(),
    ]);
    assert_eq!(r.stderr, "");
    (r.stdout, r.code)
}

#[test]
fn check_page_lists_submissions_and_annotates_failing_frames() {
    let dir = TempDir::new("check-html");
    let (page, code) = check_page(&dir);
    // An unreadable file: exit 2, and it is listed.
    assert_eq!(code, 2);
    assert!(page.starts_with("<!DOCTYPE html>") && page.ends_with("</html>\n"));
    let lower = page.to_ascii_lowercase();
    assert!(
        !lower.contains("<img") && !lower.contains("<script"),
        "{page}"
    );
    assert!(page.contains("&lt;img src=x onerror=document.body.setAttribute(&#39;data-pwned&#39;"));
    let summary = page
        .split("id=\"submissions\"")
        .nth(1)
        .and_then(|s| s.split("</table>").next())
        .unwrap();
    assert_eq!(
        summary.matches("<tr><td class=\"mono\">").count(),
        3,
        "{summary}"
    );
    assert!(summary.contains(">PASS</td>") && summary.contains(">FAIL</td>"));
    assert!(summary.contains(">UNREADABLE</td>"));
    // The failing rule names frame 1; its bytes are annotated field by field
    // (explain's layout), the little-endian QTYPE on its own row with the lint
    // finding that names the mistake.
    assert!(page.contains("Frames named by failing rules"));
    assert!(
        page.contains("<td class=\"mono\">01 00</td><td class=\"mono\">question[0].qtype</td>"),
        "{page}"
    );
    assert!(page.contains("lint.qtype-byte-swapped"), "{page}");
}

#[test]
fn browser_renders_the_check_page_and_runs_no_script() {
    let Some(chrome) = chromium() else {
        println!(
            "SKIP: chromium not found; the HTML browser test needs it (apt-get install chromium)"
        );
        return;
    };
    let dir = TempDir::new("check-html-browser");
    let (page, _) = check_page(&dir);
    let path = dir.path("check.html");
    std::fs::write(&path, &page).unwrap();
    let profile = dir.path("profile");
    let dom = browser(&chrome, &profile, &path, &["--dump-dom"]);
    assert!(!dom.contains("data-pwned=\""), "a script ran:\n{dom}");
    let summary = dom
        .split("id=\"submissions\"")
        .nth(1)
        .and_then(|s| s.split("</table>").next())
        .unwrap_or_else(|| panic!("no summary table:\n{dom}"));
    let rows: Vec<&str> = summary.split("<tr><td class=\"mono\">").skip(1).collect();
    assert_eq!(rows.len(), 3, "{summary}");
    let verdicts: Vec<&str> = ["PASS", "FAIL", "UNREADABLE"]
        .into_iter()
        .filter(|v| rows.iter().any(|r| r.contains(&format!(">{v}</td>"))))
        .collect();
    assert_eq!(verdicts, ["PASS", "FAIL", "UNREADABLE"], "{summary}");
    assert!(
        rows.iter().any(|r| r.contains("&lt;img src=x")),
        "{summary}"
    );
    let shot = artifacts().join("check.png");
    let _ = std::fs::remove_file(&shot);
    browser(
        &chrome,
        &profile,
        &path,
        &[&format!("--screenshot={}", shot.display())],
    );
    let png = std::fs::read(&shot).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000);
    std::fs::copy(&path, artifacts().join("check.html")).unwrap();
}

#[test]
fn several_files_get_a_file_column_in_every_row() {
    let dir = TempDir::new("html-multi");
    let a = hostile_capture(&dir);
    let b = dir.path("second.pcap");
    std::fs::copy(&a, &b).unwrap();
    let r = run([
        "--format".as_ref(),
        "html".as_ref(),
        a.as_os_str(),
        b.as_os_str(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let table = r.stdout.split("id=\"rows\"").nth(1).unwrap();
    assert!(table.contains("<th>File</th><th>Frames</th>"), "{table}");
    // Every transaction row starts with its file's cell: two per file.
    assert_eq!(
        table.matches("<tr><td class=\"mono\">").count(),
        4,
        "{table}"
    );
    assert_eq!(table.matches("second.pcap</td>").count(), 2, "{table}");
}
