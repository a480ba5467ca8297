//! `dnslens explain FILE... [--frame N]... [--id ID]...`: the annotated byte layout of
//! each selected DNS message (see `docs/explain.md`).
//!
//! Each file is read with [`app::analyze_selected`], which keeps only the messages that
//! `--frame` and `--id` select (both must match when both are given; any of several values
//! of one flag) and pairs nothing, so memory grows with what is shown, not with the file;
//! each message is laid out by [`dns::layout::explain`] and written as text or JSON. A `--frame` or `--id` that selects nothing in any file is
//! reported on stderr and makes the exit code 2, as does a file that cannot be read.

use std::io::Write;
use std::path::PathBuf;

use serde_json::json;

use crate::app::{self, Settings};
use crate::cli::{ExplainArgs, Format};
use crate::dns;
use crate::error::{Error, ExitCode};
use crate::render::explain::{self as view, ExplanationJson};
use crate::render::{self, json::DiagnosticJson, FileInfo, Files, Listing, JSON_VERSION};

/// Parses a DNS ID: `0x03a6`, `0X03A6` or decimal `934`.
pub fn parse_id(s: &str) -> Result<u16, String> {
    let t = s.trim();
    let parsed = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => u16::from_str_radix(hex, 16),
        None => t.parse::<u16>(),
    };
    parsed.map_err(|_| format!("`{s}` is not a DNS ID (0 to 65535, e.g. 0x03a6 or 934)"))
}

fn eprint_line(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "dnslens: {line}");
}

fn io_err(source: std::io::Error) -> Error {
    Error::Io {
        path: PathBuf::from("<stdout>"),
        source,
    }
}

/// Runs `explain`.
pub fn run(args: &ExplainArgs) -> Result<ExitCode, Error> {
    let settings = Settings::from_args(&args.common, Listing::Messages)?;
    if matches!(settings.format, Format::Html | Format::Csv) {
        return Err(Error::Usage(
            "explain writes --format table, json or ndjson".into(),
        ));
    }
    let read = Settings {
        quiet: true,
        ..settings.clone()
    };
    let mut out = render::stdout();
    let mut frame_hit = vec![false; args.frame.len()];
    let mut id_hit = vec![false; args.id.len()];
    // Why a --frame matched nothing, per file ("frame 5 carries no DNS: ARP").
    let mut frame_why: Vec<Vec<String>> = vec![Vec::new(); args.frame.len()];
    let mut failed = false;
    let mut explained = 0u64;
    let mut diagnostics = Vec::new();
    if settings.format == Format::Json {
        write!(out, "{{\"version\":{JSON_VERSION},\"explanations\":[").map_err(io_err)?;
    }
    let mut open_errors = Vec::new();
    let inputs = app::collect_inputs(&settings.files, &mut open_errors);
    for e in &open_errors {
        eprint_line(&e.to_string());
        failed = true;
    }
    let selection = app::Selection {
        frames: args.frame.clone(),
        ids: args.id.clone(),
        transactions: false,
        // What a frame is, to say why a --frame shows nothing.
        non_dns: !args.frame.is_empty(),
    };
    for input in &inputs {
        let path = PathBuf::from(input.display());
        let a = match app::analyze_selected(&path, &read, selection.clone()) {
            Ok(a) => a,
            Err(e) => {
                eprint_line(&e.to_string());
                failed = true;
                continue;
            }
        };
        let name = a.info.path.clone();
        let files = Files {
            list: vec![FileInfo {
                path: name.clone(),
                ..FileInfo::default()
            }],
        };
        let mut frames_shown = Vec::new();
        for m in &a.messages {
            let id = match m.bytes.get(..2) {
                Some([x, y]) => Some(u16::from_be_bytes([*x, *y])),
                _ => None,
            };
            let fsel: Vec<usize> = (0..args.frame.len())
                .filter(|&i| args.frame[i] == m.meta.frame)
                .collect();
            let isel: Vec<usize> = (0..args.id.len())
                .filter(|&i| Some(args.id[i]) == id)
                .collect();
            if (!args.frame.is_empty() && fsel.is_empty())
                || (!args.id.is_empty() && isel.is_empty())
            {
                continue;
            }
            fsel.iter().for_each(|&i| frame_hit[i] = true);
            isel.iter().for_each(|&i| id_hit[i] = true);
            frames_shown.push(m.meta.frame);
            let fields = dns::layout::explain(&m.bytes, render::json::dialect(&m.meta));
            let doc = ExplanationJson {
                file: &name,
                meta: &m.meta,
                bytes: &m.bytes,
                fields: &fields,
            };
            let res = match settings.format {
                Format::Table => {
                    if explained > 0 {
                        writeln!(out).map_err(io_err)?;
                    }
                    let title = view::title(&name, &m.meta, &m.bytes);
                    view::write_text(&mut out, &title, &m.bytes, &fields, settings.color)
                }
                Format::Json => {
                    if explained > 0 {
                        out.write_all(b",").map_err(io_err)?;
                    }
                    out.write_all(b"\n").map_err(io_err)?;
                    serde_json::to_writer(&mut out, &doc).map_err(std::io::Error::from)
                }
                Format::Ndjson => {
                    let line = json!({"type": "explanation", "data": doc});
                    serde_json::to_writer(&mut out, &line)
                        .map_err(std::io::Error::from)
                        .and_then(|()| out.write_all(b"\n"))
                }
                // Turned away at the start.
                Format::Html | Format::Csv => Ok(()),
            };
            res.map_err(io_err)?;
            explained += 1;
        }
        // Diagnostics about the messages shown, and about the file itself.
        for d in &a.diagnostics {
            if d.frame.is_some_and(|f| !frames_shown.contains(&f)) {
                continue;
            }
            if !settings.quiet {
                let mut line = name.clone();
                if let Some(f) = d.frame {
                    line.push_str(&format!(": frame {f}"));
                }
                eprint_line(&format!("{line}: {}", d.message));
            }
            let v = serde_json::to_value(DiagnosticJson {
                files: &files,
                diag: d,
            })
            .unwrap_or_default();
            if settings.format == Format::Ndjson {
                let line = json!({"type": "diagnostic", "data": v});
                serde_json::to_writer(&mut out, &line)
                    .map_err(std::io::Error::from)
                    .and_then(|()| out.write_all(b"\n"))
                    .map_err(io_err)?;
            } else {
                diagnostics.push(v);
            }
        }
        for (i, &n) in args.frame.iter().enumerate() {
            if frame_hit[i] {
                continue;
            }
            let why = if let Some(nd) = a.non_dns.iter().find(|nd| nd.frame == n) {
                format!("{name}: frame {n} carries no DNS message ({})", nd.kind)
            } else if n == 0 || n > a.info.frames {
                format!(
                    "{name}: there is no frame {n} (frames are numbered 1 to {})",
                    a.info.frames
                )
            } else {
                format!("{name}: frame {n} carries no DNS message")
            };
            frame_why[i].push(why);
        }
    }
    let mut unmatched = Vec::new();
    for (i, n) in args.frame.iter().enumerate() {
        if !frame_hit[i] {
            for why in &frame_why[i] {
                eprint_line(why);
            }
            unmatched.push(format!("--frame {n}"));
        }
    }
    for (i, id) in args.id.iter().enumerate() {
        if !id_hit[i] {
            eprint_line(&format!(
                "no DNS message with ID {id:#06x} ({id}) was selected"
            ));
            unmatched.push(format!("--id {id:#06x}"));
        }
    }
    let summary = json!({
        "files": inputs.len(),
        "explained": explained,
        "unmatched": unmatched,
    });
    match settings.format {
        Format::Table | Format::Html | Format::Csv => {}
        Format::Json => {
            let tail = json!({"diagnostics": diagnostics, "summary": summary});
            let tail = serde_json::to_string(&tail).unwrap_or_default();
            // `tail` is an object: splice its members after the array.
            let members = tail.strip_prefix('{').unwrap_or(&tail);
            write!(out, "\n],{members}\n").map_err(io_err)?;
        }
        Format::Ndjson => {
            let line = json!({"type": "summary", "data": summary});
            serde_json::to_writer(&mut out, &line)
                .map_err(std::io::Error::from)
                .and_then(|()| out.write_all(b"\n"))
                .map_err(io_err)?;
        }
    }
    out.flush().map_err(io_err)?;
    Ok(if failed || !unmatched.is_empty() {
        ExitCode::Failure
    } else {
        ExitCode::Success
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use dns::layout::Kind;
    use std::path::Path;

    /// Every message of every corpus capture: rows inside the message, leaf rows covering
    /// each byte once (at most once after an error), text at most 80 columns with no
    /// control characters.
    #[test]
    fn corpus_messages_explain_cleanly() {
        let local = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/public");
        let Some(dir) = [local, PathBuf::from("/work/shared/corpus/public")]
            .into_iter()
            .find(|p| p.is_dir())
        else {
            println!("SKIP: explain corpus test: corpus not found (../shared/corpus or /work/shared/corpus)");
            return;
        };
        let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
            .unwrap_or_default();
        names.retain(|p| {
            let n = p.to_string_lossy();
            (n.contains(".pcap") || n.contains(".cap")) && !n.contains(".tshark.")
        });
        names.sort();
        let mut messages = 0;
        for path in &names {
            let Ok(a) = app::analyze(path, &Settings::default()) else {
                continue;
            };
            for m in &a.messages {
                messages += 1;
                let fields = dns::layout::explain(&m.bytes, render::json::dialect(&m.meta));
                let n = m.bytes.len();
                let mut covered = vec![0u8; n];
                for f in &fields {
                    assert!(f.offset + f.len <= n, "{}: {f:?}", path.display());
                    if !matches!(
                        f.kind,
                        Kind::Group | Kind::Name | Kind::Flag | Kind::Lint | Kind::Error
                    ) {
                        covered[f.offset..f.offset + f.len]
                            .iter_mut()
                            .for_each(|c| *c += 1);
                    }
                }
                let failed = fields.iter().any(|f| f.kind == Kind::Error);
                assert!(
                    covered.iter().all(|&c| c == 1 || (failed && c == 0)),
                    "{} frame {}: {covered:?}",
                    path.display(),
                    m.meta.frame
                );
                let mut out = Vec::new();
                let title = view::title("f", &m.meta, &m.bytes);
                view::write_text(&mut out, &title, &m.bytes, &fields, false).unwrap();
                let text = String::from_utf8(out).unwrap();
                for line in text.lines() {
                    assert!(line.chars().count() <= view::WIDTH, "{line:?}");
                    assert!(!line.chars().any(char::is_control), "{line:?}");
                }
            }
        }
        println!("explained {messages} corpus messages");
        assert!(messages > 1000, "the corpus has thousands of messages");
    }

    #[test]
    fn ids_parse_in_hex_and_decimal() {
        assert_eq!(parse_id("0x03a6"), Ok(0x03a6));
        assert_eq!(parse_id("0X03A6"), Ok(0x03a6));
        assert_eq!(parse_id("934"), Ok(934));
        assert_eq!(parse_id("65535"), Ok(65535));
        assert!(parse_id("65536").is_err());
        assert!(parse_id("0x10000").is_err());
        assert!(parse_id("abc").unwrap_err().contains("not a DNS ID"));
    }
}
