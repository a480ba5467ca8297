use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = dnslens::cli::Cli::parse();
    match dnslens::app::run(cli) {
        Ok(code) => ExitCode::from(code.code()),
        Err(dnslens::error::Error::Io { source, .. })
            if source.kind() == io::ErrorKind::BrokenPipe =>
        {
            // `dnslens ... | head`: the reader has what it wanted.
            ExitCode::SUCCESS
        }
        Err(e) => {
            let _ = writeln!(io::stderr().lock(), "dnslens: {e}");
            ExitCode::from(e.exit_code().code())
        }
    }
}
