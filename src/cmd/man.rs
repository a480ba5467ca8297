//! `dnslens man`: the manual page (roff), generated from the clap definition.
//! With `--dir`, one page per subcommand as well (`dnslens-messages.1`, ...),
//! for packagers.

use std::path::PathBuf;

use clap::{Args, CommandFactory};

use crate::cli::{Cli, EXIT_CODES_HELP};
use crate::error::{Error, ExitCode};

#[derive(Debug, Clone, Args)]
pub struct ManArgs {
    /// Write dnslens.1 and one page per subcommand into this folder instead of
    /// printing dnslens.1 on standard output.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// The main page, `dnslens.1`, as roff: clap_mangen's sections, with the exit
/// codes (the `--help` epilogue) as a proper EXIT STATUS list.
pub fn page() -> Vec<u8> {
    let mut buf = Vec::new();
    let man = clap_mangen::Man::new(Cli::command());
    // Rendering into memory cannot fail.
    let _ = man.render_title(&mut buf);
    let _ = man.render_name_section(&mut buf);
    let _ = man.render_synopsis_section(&mut buf);
    let _ = man.render_description_section(&mut buf);
    let _ = man.render_options_section(&mut buf);
    let _ = man.render_subcommands_section(&mut buf);
    buf.extend_from_slice(exit_status_roff(EXIT_CODES_HELP).as_bytes());
    let _ = man.render_version_section(&mut buf);
    buf
}

/// The "Exit codes:" help text as a roff list: a line starting with a number
/// opens an item, indented lines continue it.
fn exit_status_roff(help: &str) -> String {
    let mut items: Vec<(String, String)> = Vec::new();
    for line in help.lines().skip(1) {
        let t = line.trim();
        let mut parts = t.splitn(2, char::is_whitespace);
        let first = parts.next().unwrap_or("");
        if !first.is_empty() && first.bytes().all(|b| b.is_ascii_digit()) {
            items.push((
                first.to_string(),
                parts.next().unwrap_or("").trim().to_string(),
            ));
        } else if let Some(last) = items.last_mut() {
            last.1.push(' ');
            last.1.push_str(t);
        }
    }
    let mut s = String::from(".SH \"EXIT STATUS\"\n");
    for (code, text) in items {
        s.push_str(&format!(".TP\n\\fB{code}\\fR\n{}\n", roff_escape(&text)));
    }
    s
}

/// Escapes text for a roff body line: backslashes, hyphens, and a leading
/// dot or quote that would read as a request.
fn roff_escape(text: &str) -> String {
    let s = text.replace('\\', "\\e").replace('-', "\\-");
    if s.starts_with('.') || s.starts_with('\'') {
        format!("\\&{s}")
    } else {
        s
    }
}

pub fn run(args: &ManArgs) -> Result<ExitCode, Error> {
    match &args.dir {
        None => super::completions::write_stdout(&page())?,
        Some(dir) => {
            let io_err = |source| Error::Io {
                path: dir.clone(),
                source,
            };
            std::fs::create_dir_all(dir).map_err(io_err)?;
            clap_mangen::generate_to(Cli::command(), dir).map_err(io_err)?;
        }
    }
    Ok(ExitCode::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_has_title_options_subcommands_and_exit_codes() {
        let s = String::from_utf8(page()).unwrap();
        assert!(s.contains(".TH dnslens 1"));
        assert!(s.contains("\\-\\-format"), "options section missing");
        assert!(s.contains("completions"), "subcommands section missing");
        assert!(s.contains(".SH \"EXIT STATUS\"\n.TP\n\\fB0\\fR\n"), "{s}");
        assert!(s.contains("\\fB2\\fR\nusage error"), "{s}");
        assert!(
            s.contains(env!("DNSLENS_GIT_COMMIT")),
            "version section lacks the commit"
        );
    }

    #[test]
    fn exit_codes_become_one_item_each() {
        let help = "Exit codes:\n  0  all read (malformed\n     are data)\n  2  usage -x\n";
        assert_eq!(
            exit_status_roff(help),
            ".SH \"EXIT STATUS\"\n.TP\n\\fB0\\fR\nall read (malformed are data)\n.TP\n\\fB2\\fR\nusage \\-x\n"
        );
    }
}
