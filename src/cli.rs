//! The command line, as clap derive types. Validation beyond clap's lives in
//! `config.rs`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  every capture was read (malformed packets and a cut-off last record are
     reported as diagnostics, and do not change the code)
  1  check: a submission does not meet the lab
  2  usage error, or a file that could not be opened or is not a capture
     (with several files, the others are still processed)";

/// `--version`: the crate version and the git commit it was built from
/// ("unknown" outside a git checkout; see build.rs).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("DNSLENS_GIT_COMMIT"),
    ")"
);

/// Shows every DNS exchange in packet captures (pcap, pcapng): each message
/// decoded, queries paired with their responses.
#[derive(Debug, Parser)]
#[command(
    name = "dnslens",
    version = VERSION,
    about,
    args_conflicts_with_subcommands = true,
    after_help = EXIT_CODES_HELP
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// With no subcommand: one row per transaction (query + response).
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// One row (or object) per transaction: each query beside its response (the default).
    Transactions(CommonArgs),
    /// One row (or object) per DNS message, unpaired.
    Messages(CommonArgs),
    /// Counts, breakdowns, top names and latency percentiles over whole captures.
    Stats(StatsArgs),
    /// Grades lab captures against a rubric: one row per submission, PASS or FAIL,
    /// and a sentence for each failed rule.
    #[command(after_help = CHECK_HELP)]
    Check(CheckArgs),
    /// Every byte of DNS messages, annotated: offset, bytes, field, value, meaning.
    Explain(ExplainArgs),
    /// Print a shell completion script (bash, zsh, fish, ...) on standard output.
    Completions(crate::cmd::completions::CompletionsArgs),
    /// Print the manual page (roff) on standard output.
    Man(crate::cmd::man::ManArgs),
}

#[derive(Debug, Clone, Args)]
pub struct StatsArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    /// Rows in each breakdown and top-name table (0: all that are kept).
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub top: usize,
}

const CHECK_HELP: &str = "\
Examples:
  dnslens check --lab docs/labs/wireshark-tracing.toml --set host=www.example.com --set server=8.8.8.8 submissions/
  dnslens check --expect A:www.example.com@8.8.8.8 --no-edns --only-dns --pcapng alice.pcapng

Exit codes:
  0  every submission passes
  1  a submission does not meet the lab
  2  a file could not be read (it is listed as such; the others are still graded),
     or a usage or rubric error";

/// `dnslens check`: the rubric (or the flags that make one) and the submissions.
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// Submitted captures, or folders of them (searched recursively).
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,

    /// The lab's rubric (TOML), e.g. docs/labs/dns-client.toml.
    #[arg(long, value_name = "RUBRIC")]
    pub lab: Option<PathBuf>,

    /// Sets a rubric parameter (repeatable), e.g. --set host=www.example.com.
    #[arg(long = "set", value_name = "NAME=VALUE", value_parser = parse_set, requires = "lab")]
    pub set: Vec<(String, String)>,

    /// Without --lab: a lookup the capture must show and answer (repeatable).
    #[arg(long, value_name = "TYPE:NAME@SERVER", conflicts_with = "lab")]
    pub expect: Vec<String>,

    /// Without --lab: no query may carry an EDNS OPT record (dig +noedns).
    #[arg(long, conflicts_with = "lab")]
    pub no_edns: bool,

    /// Without --lab: every frame is DNS, and every lookup is one of --expect.
    #[arg(long, conflicts_with = "lab")]
    pub only_dns: bool,

    /// Without --lab: the file must be pcapng, not classic pcap.
    #[arg(long, conflicts_with = "lab")]
    pub pcapng: bool,

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = CheckFormat::Table)]
    pub format: CheckFormat,

    /// When to colour the table.
    #[arg(long, value_enum, default_value_t = ColorWhen::Auto, value_name = "WHEN")]
    pub color: ColorWhen,

    /// Do not print the summary line on standard error.
    #[arg(long, short = 'q')]
    pub quiet: bool,

    #[command(flatten)]
    pub input: InputArgs,
}

fn parse_set(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(format!("expected NAME=VALUE, not {s:?}")),
    }
}

/// `check`'s output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// A table for people: one row per submission.
    Table,
    /// One JSON document.
    Json,
    /// One JSON event per line, one per submission as it is graded.
    Ndjson,
    /// CSV for a gradebook: file, verdict, score, total, reasons, points per rule.
    Csv,
    /// One self-contained HTML page: the summary, then each submission's rules,
    /// transactions and the annotated bytes of the frames failing rules name.
    Html,
}

#[derive(Debug, Clone, Args)]
pub struct ExplainArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    /// Only the DNS message(s) in this frame (1-based, as Wireshark counts; repeatable).
    #[arg(long, value_name = "N")]
    pub frame: Vec<u64>,

    /// Only messages with this DNS ID, as 0x03a6 or 934 (repeatable).
    #[arg(long, value_name = "ID", value_parser = crate::cmd::explain::parse_id)]
    pub id: Vec<u16>,
}

#[derive(Debug, Clone, Args)]
pub struct CommonArgs {
    /// Capture files (pcap, pcapng, optionally gzip-compressed) or directories
    /// (searched recursively); `-` reads standard input.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,

    #[command(flatten)]
    pub output: OutputArgs,

    #[command(flatten)]
    pub input: InputArgs,
}

#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// When to colour the table.
    #[arg(long, value_enum, default_value_t = ColorWhen::Auto, value_name = "WHEN")]
    pub color: ColorWhen,

    /// Print no diagnostics on standard error (they stay in JSON output).
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Debug, Clone, Args)]
pub struct InputArgs {
    /// Seconds of capture time a query waits for its response; repeats of the
    /// query inside this window (after the latest try) are retransmissions.
    #[arg(long, default_value_t = crate::txn::DEFAULT_TIMEOUT_SECS, value_name = "SECS")]
    pub timeout: f64,

    /// Also decode DNS on this UDP/TCP port (repeatable).
    #[arg(long = "port", short = 'p', value_name = "PORT")]
    pub ports: Vec<u16>,

    /// Do not look for DNS on UDP ports other than 53, 5353, 5355 and --port.
    #[arg(long)]
    pub no_heuristic: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table for people.
    Table,
    /// One JSON document.
    Json,
    /// One JSON event per line, streamed.
    Ndjson,
    /// One self-contained HTML page (no script, no network) for a browser.
    Html,
    /// Comma-separated values with a header line (`stats` only, for now).
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }

    #[test]
    fn files_without_subcommand() {
        let cli = Cli::try_parse_from(["dnslens", "--format", "json", "a.pcap"]).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.common.files, [PathBuf::from("a.pcap")]);
        assert_eq!(cli.common.output.format, Format::Json);
    }

    #[test]
    fn messages_subcommand() {
        let cli = Cli::try_parse_from(["dnslens", "messages", "-f", "ndjson", "a.pcap"]).unwrap();
        let Some(Command::Messages(args)) = cli.command else {
            panic!("expected messages");
        };
        assert_eq!(args.output.format, Format::Ndjson);
    }

    #[test]
    fn check_subcommand_takes_sets_and_expects() {
        let cli = Cli::try_parse_from([
            "dnslens", "check", "--lab", "l.toml", "--set", "host=a.b", "--set", "x==y", "-f",
            "csv", "dir/",
        ])
        .unwrap();
        let Some(Command::Check(args)) = cli.command else {
            panic!("expected check");
        };
        assert_eq!(
            args.set,
            [("host".into(), "a.b".into()), ("x".into(), "=y".into())]
        );
        assert_eq!(args.format, CheckFormat::Csv);
        assert!(
            Cli::try_parse_from(["dnslens", "check", "--set", "novalue", "--lab", "l", "f"])
                .is_err()
        );
        assert!(Cli::try_parse_from(["dnslens", "check", "--lab", "l", "--no-edns", "f"]).is_err());
        assert!(Cli::try_parse_from(["dnslens", "check", "--expect", "A:x@1.2.3.4"]).is_err());
    }
}
