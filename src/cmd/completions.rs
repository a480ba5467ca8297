//! `dnslens completions SHELL`: a completion script generated from the clap
//! definition, so it never drifts from the real options.

use std::io::Write;

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use crate::cli::Cli;
use crate::error::{Error, ExitCode};

#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell to write a completion script for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// The completion script for `shell`, as bytes.
pub fn script(shell: Shell) -> Vec<u8> {
    // clap_complete panics when its writer fails (a closed pipe), so the
    // script is made in memory and written with our own error handling.
    let mut buf = Vec::new();
    let mut cmd = Cli::command();
    clap_complete::generate(shell, &mut cmd, "dnslens", &mut buf);
    buf
}

pub fn run(args: &CompletionsArgs) -> Result<ExitCode, Error> {
    write_stdout(&script(args.shell))?;
    Ok(ExitCode::Success)
}

/// Writes all of `bytes` to standard output; a closed pipe surfaces as an
/// `Error::Io` with `BrokenPipe`, which `main` turns into a quiet exit 0.
pub(crate) fn write_stdout(bytes: &[u8]) -> Result<(), Error> {
    let mut out = crate::render::stdout();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|source| Error::Io {
            path: "<stdout>".into(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bash_script_completes_subcommands_and_formats() {
        let s = String::from_utf8(script(Shell::Bash)).unwrap();
        assert!(s.contains("_dnslens()"), "bash function missing");
        for word in ["messages", "completions", "man", "--format", "--quiet"] {
            assert!(s.contains(word), "bash script lacks {word}");
        }
    }

    #[test]
    fn zsh_and_fish_scripts_name_the_program() {
        let z = String::from_utf8(script(Shell::Zsh)).unwrap();
        assert!(
            z.starts_with("#compdef dnslens"),
            "{}",
            &z[..40.min(z.len())]
        );
        let f = String::from_utf8(script(Shell::Fish)).unwrap();
        assert!(f.contains("complete -c dnslens"));
        assert!(f.contains("-l format"));
    }
}
