//! Wires the layers together for each subcommand. The only place that opens
//! files or looks at the environment.

use std::fs::File;
use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use crate::capture::{self, CaptureReader};
use crate::check::{self, report::ReportSink};
use crate::cli::{CheckArgs, CheckFormat, Cli, ColorWhen, Command, CommonArgs, Format, OutputArgs};
use crate::dns;
use crate::error::{Diagnostic, Error, ExitCode, Layer};
use crate::meta::{MessageMeta, StoredMessage};
use crate::net;
use crate::pipeline::{self, Item};
use crate::progress::Progress;
use crate::render::{
    self, table::TableSink, FileInfo, Files, JsonSink, Listing, NdjsonSink, Sink, Summary,
};
use crate::txn::{self, Pairer};

/// Diagnostics printed on standard error per file before the rest are only
/// counted (all of them stay in the JSON output).
const MAX_STDERR_DIAGNOSTICS_PER_FILE: u64 = 50;

/// File name endings taken from a directory (explicit file arguments are read
/// whatever their name).
const CAPTURE_SUFFIXES: &[&str] = &[
    ".pcap",
    ".pcapng",
    ".cap",
    ".ntar",
    ".pcap.gz",
    ".pcapng.gz",
    ".cap.gz",
    ".dmp",
];

/// Settings for reading and listing, validated from the command line.
#[derive(Clone, Debug)]
pub struct Settings {
    pub files: Vec<PathBuf>,
    pub format: Format,
    pub color: bool,
    pub quiet: bool,
    pub listing: Listing,
    pub net: net::Config,
    pub txn: txn::Config,
}

impl Settings {
    pub fn from_args(args: &CommonArgs, listing: Listing) -> Result<Self, Error> {
        if args.files.is_empty() {
            return Err(Error::Usage(
                "no capture file given (try `dnslens samples/dns.pcapng`, or `-` for standard input)"
                    .into(),
            ));
        }
        if !(args.input.timeout.is_finite() && args.input.timeout > 0.0) {
            return Err(Error::Usage(format!(
                "--timeout must be a positive number of seconds, not {}",
                args.input.timeout
            )));
        }
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let color = match args.output.color {
            ColorWhen::Always => true,
            ColorWhen::Never => false,
            ColorWhen::Auto => !no_color && io::stdout().is_terminal(),
        };
        let net = net::Config {
            extra_ports: args.input.ports.clone(),
            heuristic: !args.input.no_heuristic,
            ..net::Config::default()
        };
        let txn = txn::Config {
            timeout_micros: (args.input.timeout * 1e6) as i64,
            ..txn::Config::default()
        };
        Ok(Self {
            files: args.files.clone(),
            format: args.output.format,
            color,
            quiet: args.output.quiet,
            listing,
            net,
            txn,
        })
    }
}

/// Runs the command line; the returned code is the process's exit code.
pub fn run(cli: Cli) -> Result<ExitCode, Error> {
    let (args, listing) = match &cli.command {
        None => (&cli.common, Listing::Transactions),
        Some(Command::Transactions(a)) => (a, Listing::Transactions),
        Some(Command::Messages(a)) => (a, Listing::Messages),
        Some(Command::Completions(a)) => return crate::cmd::completions::run(a),
        Some(Command::Man(a)) => return crate::cmd::man::run(a),
        Some(Command::Stats(a)) => return crate::cmd::stats::run(a),
        Some(Command::Check(a)) => return check(a),
        Some(Command::Explain(a)) => return crate::cmd::explain::run(a),
    };
    let settings = Settings::from_args(args, listing)?;
    list(&settings)
}

/// One input: a path, or standard input.
pub(crate) enum Input {
    Stdin,
    Path(PathBuf),
}

impl Input {
    pub(crate) fn display(&self) -> String {
        match self {
            Self::Stdin => "-".to_string(),
            Self::Path(p) => p.display().to_string(),
        }
    }
}

/// Expands directories (recursively, sorted) into the capture files below them.
pub(crate) fn collect_inputs(paths: &[PathBuf], errors: &mut Vec<Error>) -> Vec<Input> {
    let mut inputs = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            inputs.push(Input::Stdin);
        } else if p.is_dir() {
            let mut found = Vec::new();
            walk_dir(p, &mut found, errors);
            found.sort();
            inputs.extend(found.into_iter().map(Input::Path));
        } else {
            inputs.push(Input::Path(p.clone()));
        }
    }
    inputs
}

fn walk_dir(dir: &Path, found: &mut Vec<PathBuf>, errors: &mut Vec<Error>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(source) => {
            errors.push(Error::Io {
                path: dir.to_path_buf(),
                source,
            });
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            walk_dir(&path, found, errors);
        } else if is_capture_name(&path) {
            found.push(path);
        }
    }
}

fn is_capture_name(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    !name.starts_with('.') && CAPTURE_SUFFIXES.iter().any(|s| name.ends_with(s))
}

fn open_input(input: &Input) -> Result<CaptureReader, Error> {
    let path = PathBuf::from(input.display());
    let reader: Box<dyn Read + Send> = match input {
        Input::Stdin => Box::new(io::stdin()),
        Input::Path(p) => Box::new(File::open(p).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?),
    };
    CaptureReader::new(reader).map_err(|e| match e {
        capture::OpenError::Io(source) => Error::Io { path, source },
        other => Error::NotACapture {
            path,
            detail: other.to_string(),
        },
    })
}

/// Progress is drawn when standard error is a terminal and not `--quiet`.
fn progress_wanted(settings: &Settings) -> bool {
    !settings.quiet && io::stderr().is_terminal()
}

fn make_sink(settings: &Settings, multi_file: bool) -> Box<dyn Sink> {
    let mut out = render::stdout();
    if progress_wanted(settings) && io::stdout().is_terminal() {
        // The same terminal: erase the progress line before data lands on it.
        out = Box::new(crate::progress::ClearingWriter(out));
    }
    match settings.format {
        Format::Table => Box::new(TableSink::new(
            out,
            settings.listing,
            settings.color,
            io::stdout().is_terminal(),
            multi_file,
        )),
        Format::Json => Box::new(JsonSink::new(out, settings.listing)),
        // Rendering is most of the work: on its own thread when there are two cores.
        Format::Ndjson if two_cores() => Box::new(NdjsonSink::threaded(out)),
        Format::Ndjson => Box::new(NdjsonSink::new(out)),
        Format::Html => Box::new(render::html::HtmlSink::new(
            out,
            settings.listing,
            multi_file,
        )),
        // `list` turns csv away before a sink is made.
        Format::Csv => Box::new(NdjsonSink::new(out)),
    }
}

/// Whether work can be spread over two threads (more than one core is available).
fn two_cores() -> bool {
    std::thread::available_parallelism().is_ok_and(|n| n.get() > 1)
}

/// Prints a line on standard error; a closed stderr is ignored.
fn eprint_line(line: &str) {
    crate::progress::clear_line();
    let _ = writeln!(io::stderr().lock(), "dnslens: {line}");
}

/// The sum of the inputs' sizes, when every one is a regular file (the total
/// for progress; compressed files count their compressed size, as
/// `CaptureReader::source_bytes_read` does).
fn total_size(inputs: &[Input]) -> Option<u64> {
    inputs.iter().try_fold(0u64, |sum, input| match input {
        Input::Stdin => None,
        Input::Path(p) => match std::fs::metadata(p) {
            Ok(m) if m.is_file() => Some(sum.saturating_add(m.len())),
            // A FIFO or a device: its size is unknown.
            Ok(_) => None,
            // Cannot be opened: it adds nothing (and is reported when opened).
            Err(_) => Some(sum),
        },
    })
}

/// The transaction and message listings (the default command and `messages`).
pub fn list(settings: &Settings) -> Result<ExitCode, Error> {
    if settings.format == Format::Csv {
        return Err(Error::Usage(
            "--format csv is only available for `dnslens stats` for now".into(),
        ));
    }
    let messages = settings.listing == Listing::Messages;
    read_with(settings, messages, !messages, |multi_file| {
        make_sink(settings, multi_file)
    })
}

/// Reads every input into the sink that `make_sink(multi_file)` builds: single
/// messages when `want_messages`, paired transactions when `want_transactions`.
/// The sink's `finish` is called once, after the last file.
pub fn read_with(
    settings: &Settings,
    want_messages: bool,
    want_transactions: bool,
    make_sink: impl FnOnce(bool) -> Box<dyn Sink>,
) -> Result<ExitCode, Error> {
    let mut open_errors = Vec::new();
    let inputs = collect_inputs(&settings.files, &mut open_errors);
    for e in &open_errors {
        eprint_line(&e.to_string());
    }
    let mut failed = !open_errors.is_empty();
    if inputs.is_empty() && !failed {
        eprint_line("no capture files found");
        return Ok(ExitCode::Failure);
    }
    let mut sink = make_sink(inputs.len() > 1);
    let mut progress = Progress::new(progress_wanted(settings), total_size(&inputs), inputs.len());
    let mut files = Files::default();
    let mut summary = Summary::default();
    // Reading and decoding on one core, pairing and output on another (when
    // there are two): see `pipeline`.
    let threaded = two_cores();
    for (idx, input) in inputs.iter().enumerate() {
        progress.start_file(idx);
        let idx = u32::try_from(idx).unwrap_or(u32::MAX);
        files.list.push(FileInfo {
            path: input.display(),
            ..FileInfo::default()
        });
        summary.files += 1;
        let reader = match open_input(input) {
            Ok(r) => r,
            Err(e) => {
                eprint_line(&e.to_string());
                if let Some(f) = files.list.last_mut() {
                    f.error = Some(e.to_string());
                }
                summary.unreadable_files += 1;
                failed = true;
                continue;
            }
        };
        let mut run = FileRun {
            file: idx,
            settings,
            sink: sink.as_mut(),
            files: &mut files,
            summary: &mut summary,
            pairer: Pairer::new(settings.txn),
            stderr_lines: 0,
            io_error: None,
            want_messages,
            want_transactions,
            detail: None,
            evicted_reported: false,
            progress: Some(&mut progress),
        };
        run.read(reader, threaded);
        if let Some(e) = run.io_error {
            return Err(Error::Io {
                path: PathBuf::from("<stdout>"),
                source: e,
            });
        }
    }
    progress.finish();
    if let Err(e) = sink.finish(&files, &summary) {
        return Err(Error::Io {
            path: PathBuf::from("<stdout>"),
            source: e,
        });
    }
    Ok(if failed {
        ExitCode::Failure
    } else {
        ExitCode::Success
    })
}

/// The state of reading one file.
struct FileRun<'r> {
    file: u32,
    settings: &'r Settings,
    sink: &'r mut dyn Sink,
    files: &'r mut Files,
    summary: &'r mut Summary,
    pairer: Pairer,
    stderr_lines: u64,
    /// The first output error (a closed pipe, a full disk): reading stops.
    io_error: Option<io::Error>,
    /// Send single messages to the sink.
    want_messages: bool,
    /// Pair messages and send transactions to the sink.
    want_transactions: bool,
    /// Keep what `analyze` reports beyond messages and transactions.
    detail: Option<Detail>,
    /// The first early close of open transactions (a bound) was reported.
    evicted_reported: bool,
    /// Progress on stderr (`list` only).
    progress: Option<&'r mut Progress>,
}

/// What a whole-file analysis keeps besides messages and transactions.
#[derive(Debug, Default)]
struct Detail {
    non_dns: Vec<NonDnsFrame>,
    icmp_errors: Vec<IcmpError>,
    selection: Selection,
}

impl FileRun<'_> {
    fn info(&mut self) -> &mut FileInfo {
        let idx = self.file as usize;
        &mut self.files.list[idx]
    }

    /// Reads one capture: on a second thread when `threaded` (the reading half,
    /// see `pipeline`), here otherwise.
    fn read(&mut self, reader: CaptureReader, threaded: bool) {
        let format = match reader.format() {
            capture::FileFormat::Pcapng => "pcapng".to_string(),
            capture::FileFormat::Pcap { .. } => "pcap".to_string(),
        };
        let compressed = reader.compressed();
        self.info().format = Some(format);
        self.info().compressed = compressed;
        let reading = pipeline::Reader::new(
            self.file,
            reader,
            self.settings.net.clone(),
            self.detail.is_some(),
        );
        let mut consume = |batch: &pipeline::Batch| self.consume(batch);
        if threaded {
            std::thread::scope(|scope| reading.run_threaded(scope, &mut consume));
        } else {
            reading.run_here(&mut consume);
        }
        if self.io_error.is_none() {
            self.finish();
        }
    }

    /// Handles one batch of the reading half's items; false to stop reading.
    fn consume(&mut self, batch: &pipeline::Batch) -> bool {
        for item in &batch.items {
            if self.io_error.is_some() {
                return false;
            }
            self.on_item(batch, item);
            if let (Item::Frame { .. }, Some(p)) = (item, self.progress.as_deref_mut()) {
                p.tick(batch.source_bytes, self.summary.messages);
            }
        }
        self.io_error.is_none()
    }

    fn on_item(&mut self, batch: &pipeline::Batch, item: &Item) {
        match item {
            Item::Frame { ts } => {
                self.summary.frames += 1;
                let info = self.info();
                info.frames += 1;
                if info.first_ts.is_none() {
                    info.first_ts = Some(*ts);
                }
            }
            Item::Dns {
                meta,
                bytes,
                problem,
                rcode,
                question_end,
                name_hash,
            } => self.on_dns(
                meta,
                batch.slice(bytes),
                problem.as_deref().copied(),
                *rcode,
                *question_end,
                *name_hash,
            ),
            Item::NotDns => self.summary.non_dns_frames += 1,
            Item::NonDnsFrame { frame, kind } => {
                if let Some(detail) = self
                    .detail
                    .as_mut()
                    .filter(|d| d.selection.keeps_non_dns(*frame))
                {
                    detail.non_dns.push(NonDnsFrame {
                        frame: *frame,
                        kind: kind.clone(),
                    });
                }
            }
            Item::NetDiagnostic(d) => self.diagnostic(Diagnostic {
                file: self.file,
                frame: Some(d.frame),
                layer: Layer::Network,
                file_offset: None,
                dns_offset: None,
                message: d.message.clone(),
            }),
            Item::CaptureDiagnostic(d) => {
                if d.fatal {
                    self.info().truncated = Some(d.message.clone());
                }
                self.diagnostic(Diagnostic {
                    file: self.file,
                    frame: d.frame,
                    layer: Layer::Capture,
                    file_offset: Some(d.offset),
                    dns_offset: None,
                    message: d.message.clone(),
                });
            }
            Item::IcmpError {
                frame,
                ts,
                reporter,
                kind,
                src,
                dst,
                sport,
                dport,
                quoted,
            } => self.on_icmp_error(
                txn::IcmpNote {
                    frame: *frame,
                    ts: *ts,
                    reporter: *reporter,
                    kind,
                },
                (*src, *sport),
                (*dst, *dport),
                batch.slice(quoted),
            ),
        }
    }

    /// The end of a file: what is still open is paired and written.
    fn finish(&mut self) {
        let sink = &mut *self.sink;
        let files = &*self.files;
        let mut io_error = None;
        self.pairer.finish(&mut |t| {
            if io_error.is_none() {
                io_error = sink.transaction(files, t).err();
            }
        });
        if self.io_error.is_none() {
            self.io_error = io_error;
        }
        self.summary.add_pairing(self.pairer.counts());
        if self.stderr_lines > MAX_STDERR_DIAGNOSTICS_PER_FILE && !self.settings.quiet {
            let more = self.stderr_lines - MAX_STDERR_DIAGNOSTICS_PER_FILE;
            eprint_line(&format!(
                "{}: {more} more diagnostics not shown (see --format json)",
                self.files.name(self.file)
            ));
        }
    }

    fn diagnostic(&mut self, d: Diagnostic) {
        self.summary.diagnostics += 1;
        self.stderr_lines += 1;
        if !self.settings.quiet && self.stderr_lines <= MAX_STDERR_DIAGNOSTICS_PER_FILE {
            let mut line = self.files.name(d.file).to_string();
            if let Some(frame) = d.frame {
                line.push_str(&format!(": frame {frame}"));
            }
            if let (Some(off), None) = (d.file_offset, d.frame) {
                // Most capture messages name their byte already ("cut off ... at byte N").
                let at = format!("byte {off}");
                if !d.message.contains(&at) {
                    line.push_str(": ");
                    line.push_str(&at);
                }
            }
            line.push_str(": ");
            line.push_str(&d.message);
            eprint_line(&line);
        }
        if let Err(e) = self.sink.diagnostic(self.files, &d) {
            self.io_error.get_or_insert(e);
        }
    }

    /// One diagnostic per file when the pairer's bounds close transactions
    /// early; the summary counts them all (`evicted`).
    fn report_eviction(&mut self, frame: u64) {
        let cfg = self.settings.txn;
        self.diagnostic(Diagnostic {
            file: self.file,
            frame: Some(frame),
            layer: Layer::Pairing,
            file_offset: None,
            dns_offset: None,
            message: format!(
                "more than {} transactions or {} MiB open at once: the oldest are closed early, \
                 marked evicted (further evictions are only counted)",
                cfg.max_open,
                cfg.max_open_bytes >> 20
            ),
        });
    }

    fn on_icmp_error(
        &mut self,
        note: txn::IcmpNote,
        client: (std::net::IpAddr, u16),
        server: (std::net::IpAddr, u16),
        quoted: &[u8],
    ) {
        self.summary.icmp_errors += 1;
        let id = quoted.get(..2).map(|b| u16::from_be_bytes([b[0], b[1]]));
        if let Some(detail) = self.detail.as_mut() {
            detail.icmp_errors.push(IcmpError {
                note,
                client,
                server,
                id,
            });
        }
        let matched =
            self.want_transactions && self.pairer.on_icmp_error(note, client, server, quoted);
        // Unmatched (its query was not captured, or it quotes a
        // response nobody is waiting for): say so, never drop it.
        if !matched {
            let id = id.map_or(String::new(), |id| format!(" (ID 0x{id:04x})"));
            self.diagnostic(Diagnostic {
                file: self.file,
                frame: Some(note.frame),
                layer: Layer::Network,
                file_offset: None,
                dns_offset: None,
                message: format!(
                    "ICMP {} from {} quoting a DNS message{id} from {}:{} to {}:{}",
                    note.kind, note.reporter, client.0, client.1, server.0, server.1
                ),
            });
        }
    }

    /// One DNS message; `problem`, `rcode`, `question_end` (where the
    /// first question ends) and `name_hash` (its name's, if it hashed it) are
    /// what the reading half's walk found.
    fn on_dns(
        &mut self,
        meta: &MessageMeta,
        payload: &[u8],
        problem: Option<dns::Error>,
        rcode: dns::Rcode,
        question_end: Option<u16>,
        name_hash: Option<u64>,
    ) {
        self.summary.messages += 1;
        self.info().dns_messages += 1;
        let parsed = dns::Message::parse(payload);
        // The walk read the first question already: it is not walked again.
        let first = question_end.filter(|_| parsed.is_ok()).and_then(|end| {
            let question = dns::Question::first_parsed(payload, end)?;
            Some(txn::FirstQuestion {
                question,
                end: usize::from(end),
                name_hash: name_hash.unwrap_or_else(|| txn::name_hash(&question.name)),
            })
        });
        if self.want_messages {
            if let Err(e) =
                self.sink
                    .walked_message(self.files, meta, payload, rcode, first.as_ref())
            {
                self.io_error.get_or_insert(e);
            }
        }
        if let Ok(msg) = parsed {
            if msg.header().qr() {
                self.summary.responses += 1;
            } else {
                self.summary.queries += 1;
            }
            if self.want_transactions {
                let sink = &mut *self.sink;
                let files = &*self.files;
                let mut io_error = None;
                self.pairer.on_walked_message(*meta, &msg, first, &mut |t| {
                    if io_error.is_none() {
                        io_error = sink.transaction(files, t).err();
                    }
                });
                if let Some(e) = io_error {
                    self.io_error.get_or_insert(e);
                }
                if !self.evicted_reported && self.pairer.counts().evicted > 0 {
                    self.evicted_reported = true;
                    self.report_eviction(meta.frame);
                }
            }
        }
        if let Some(e) = problem {
            let message = if meta.cut {
                self.summary.cut += 1;
                format!(
                    "DNS message cut by the capture's snaplen after {} bytes ({e})",
                    payload.len()
                )
            } else {
                self.summary.malformed += 1;
                format!("malformed DNS message: {e}")
            };
            self.diagnostic(Diagnostic {
                file: self.file,
                frame: Some(meta.frame),
                layer: Layer::Dns,
                file_offset: None,
                dns_offset: Some(usize::from(e.offset)),
                message,
            });
        }
    }
}

/// A frame that carries no DNS, and what it is ("ARP", "TCP a:443 → b:5555").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NonDnsFrame {
    pub frame: u64,
    pub kind: String,
}

/// An ICMP error that quoted a DNS message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IcmpError {
    pub note: txn::IcmpNote,
    /// The quoted message's sender (address, port): the client, for a query.
    pub client: (std::net::IpAddr, u16),
    /// The quoted message's destination.
    pub server: (std::net::IpAddr, u16),
    /// The quoted message's DNS ID, when the quote reaches it.
    pub id: Option<u16>,
}

/// Which parts of a file [`analyze_selected`] keeps in memory; [`Selection::all`]
/// (what [`analyze`] uses) keeps everything.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Keep the messages of these frames only (and their diagnostics); empty: all.
    pub frames: Vec<u64>,
    /// Keep the messages with these DNS IDs only; empty: all.
    pub ids: Vec<u16>,
    /// Pair messages and keep the transactions.
    pub transactions: bool,
    /// Keep what each selected frame without DNS is (`NonDnsFrame`).
    pub non_dns: bool,
}

impl Selection {
    pub fn all() -> Self {
        Self {
            transactions: true,
            non_dns: true,
            ..Self::default()
        }
    }

    fn keeps_frame(&self, frame: u64) -> bool {
        self.frames.is_empty() || self.frames.contains(&frame)
    }

    fn keeps_message(&self, meta: &MessageMeta, bytes: &[u8]) -> bool {
        let id = match bytes {
            [a, b, ..] => Some(u16::from_be_bytes([*a, *b])),
            _ => None,
        };
        self.keeps_frame(meta.frame)
            && (self.ids.is_empty() || id.is_some_and(|id| self.ids.contains(&id)))
    }

    fn keeps_diagnostic(&self, d: &Diagnostic) -> bool {
        d.frame.is_none_or(|f| self.keeps_frame(f))
    }

    fn keeps_non_dns(&self, frame: u64) -> bool {
        self.non_dns && self.keeps_frame(frame)
    }
}

/// Everything dnslens finds in one capture file, held in memory: for commands
/// that judge a whole (small) file, such as `check`.
#[derive(Debug)]
pub struct Analysis {
    pub info: FileInfo,
    pub format: Option<capture::FileFormat>,
    /// Every DNS message, in capture order.
    pub messages: Vec<StoredMessage>,
    /// The transactions, in order of their first message.
    pub transactions: Vec<txn::Transaction>,
    pub non_dns: Vec<NonDnsFrame>,
    pub icmp_errors: Vec<IcmpError>,
    pub diagnostics: Vec<Diagnostic>,
    pub summary: Summary,
}

impl Default for Settings {
    /// Defaults as on the command line, quiet (no stderr), for library use.
    fn default() -> Self {
        Self {
            files: Vec::new(),
            format: Format::Table,
            color: false,
            quiet: true,
            listing: Listing::Transactions,
            net: net::Config::default(),
            txn: txn::Config::default(),
        }
    }
}

#[derive(Default)]
struct CollectSink {
    selection: Selection,
    messages: Vec<StoredMessage>,
    transactions: Vec<txn::Transaction>,
    diagnostics: Vec<Diagnostic>,
}

impl Sink for CollectSink {
    fn message(&mut self, _: &Files, meta: &MessageMeta, bytes: &[u8]) -> io::Result<()> {
        if !self.selection.keeps_message(meta, bytes) {
            return Ok(());
        }
        self.messages.push(StoredMessage {
            meta: *meta,
            bytes: bytes.to_vec(),
        });
        Ok(())
    }

    fn transaction(&mut self, _: &Files, t: &txn::Transaction) -> io::Result<()> {
        self.transactions.push(t.clone());
        Ok(())
    }

    fn diagnostic(&mut self, _: &Files, d: &Diagnostic) -> io::Result<()> {
        if self.selection.keeps_diagnostic(d) {
            self.diagnostics.push(d.clone());
        }
        Ok(())
    }

    fn finish(&mut self, _: &Files, _: &Summary) -> io::Result<()> {
        Ok(())
    }
}

/// Reads one capture completely (`-` for standard input) and returns all it
/// holds. Diagnostics are collected, and printed on stderr unless
/// `settings.quiet`.
pub fn analyze(path: &Path, settings: &Settings) -> Result<Analysis, Error> {
    analyze_selected(path, settings, Selection::all())
}

/// Like [`analyze`], keeping only what `selection` asks for: memory then grows with
/// what is kept, not with the file (`explain --frame N` on a large capture).
/// `summary` and `info` count the whole file all the same.
pub fn analyze_selected(
    path: &Path,
    settings: &Settings,
    selection: Selection,
) -> Result<Analysis, Error> {
    let input = if path.as_os_str() == "-" {
        Input::Stdin
    } else {
        Input::Path(path.to_path_buf())
    };
    let reader = open_input(&input)?;
    Ok(analyze_capture(
        reader,
        &input.display(),
        settings,
        selection,
    ))
}

/// Like [`analyze`], for capture bytes from any reader (a file already in
/// memory, a fuzzer's input). `name` stands for the file in diagnostics.
/// Fails only when the bytes are not a capture (or cannot be read at all).
pub fn analyze_reader<R: Read + Send + 'static>(
    input: R,
    name: &str,
    settings: &Settings,
) -> Result<Analysis, Error> {
    let path = PathBuf::from(name);
    let reader = CaptureReader::new(input).map_err(|e| match e {
        capture::OpenError::Io(source) => Error::Io { path, source },
        other => Error::NotACapture {
            path,
            detail: other.to_string(),
        },
    })?;
    Ok(analyze_capture(reader, name, settings, Selection::all()))
}

fn analyze_capture(
    reader: CaptureReader,
    name: &str,
    settings: &Settings,
    selection: Selection,
) -> Analysis {
    let mut files = Files::default();
    files.list.push(FileInfo {
        path: name.to_string(),
        ..FileInfo::default()
    });
    let mut summary = Summary {
        files: 1,
        ..Summary::default()
    };
    let mut sink = CollectSink {
        selection: selection.clone(),
        ..CollectSink::default()
    };
    let format = reader.format();
    let detail = {
        let mut run = FileRun {
            file: 0,
            settings,
            sink: &mut sink,
            files: &mut files,
            summary: &mut summary,
            pairer: Pairer::new(settings.txn),
            stderr_lines: 0,
            io_error: None,
            want_messages: true,
            want_transactions: selection.transactions,
            detail: Some(Detail {
                selection,
                ..Detail::default()
            }),
            evicted_reported: false,
            progress: None,
        };
        run.read(reader, false);
        run.detail.take().unwrap_or_default()
    };
    Analysis {
        info: files.list.pop().unwrap_or_default(),
        format: Some(format),
        messages: sink.messages,
        transactions: sink.transactions,
        non_dns: detail.non_dns,
        icmp_errors: detail.icmp_errors,
        diagnostics: sink.diagnostics,
        summary,
    }
}

/// `dnslens check`: grades every capture (folders searched recursively) against the
/// lab and prints one report per submission. Exit 0 when all pass, 1 when one
/// fails, 2 when a file could not be read (it is reported, and the rest graded).
fn check(args: &CheckArgs) -> Result<ExitCode, Error> {
    let lab = match &args.lab {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
            let at = |e: check::rubric::Error| {
                Error::Usage(match e.line {
                    Some(line) => format!("{}:{line}: {}", path.display(), e.message),
                    None => format!("{}: {}", path.display(), e.message),
                })
            };
            check::rubric::Rubric::parse(&text)
                .map_err(at)?
                .instantiate(&args.set)
                .map_err(at)?
        }
        None => check::rubric::from_flags(&args.expect, args.no_edns, args.only_dns, args.pcapng)
            .map_err(|e| Error::Usage(e.message))?,
    };
    let common = CommonArgs {
        files: args.files.clone(),
        output: OutputArgs {
            format: Format::Table,
            color: args.color,
            quiet: true,
        },
        input: args.input.clone(),
    };
    // Reading stays quiet: malformed packets are what the rules report.
    let settings = Settings::from_args(&common, Listing::Transactions)?;
    let out = render::stdout();
    let io_err = |source| Error::Io {
        path: PathBuf::from("<stdout>"),
        source,
    };
    let mut sink: Box<dyn ReportSink> = match args.format {
        CheckFormat::Table => Box::new(check::report::TableReport::new(
            out,
            &lab,
            settings.color,
            io::stdout().is_terminal(),
        )),
        CheckFormat::Json => Box::new(check::report::JsonReport::new(out, &lab)),
        CheckFormat::Ndjson => {
            Box::new(check::report::NdjsonReport::new(out, &lab).map_err(io_err)?)
        }
        CheckFormat::Csv => Box::new(check::report::CsvReport::new(out, &lab).map_err(io_err)?),
        CheckFormat::Html => Box::new(check::html::HtmlReport::new(out, &lab)),
    };
    let mut tally = check::report::Tally::default();
    let mut emit = |r: check::Report, read: Option<&Analysis>| -> Result<(), Error> {
        tally.add(&r);
        if let Some(a) = read {
            sink.detail(&check::html::Detail {
                messages: &a.messages,
                transactions: &a.transactions,
            });
        }
        sink.report(&r).map_err(io_err)
    };
    let mut open_errors = Vec::new();
    let inputs = collect_inputs(&settings.files, &mut open_errors);
    // A folder that cannot be read is listed like a file that cannot.
    for e in &open_errors {
        let file = match e {
            Error::Io { path, .. } | Error::NotACapture { path, .. } => path.display().to_string(),
            Error::Usage(_) => String::new(),
        };
        emit(
            check::Report {
                file,
                outcome: check::Outcome::Unreadable {
                    error: file_error_text(e),
                },
            },
            None,
        )?;
    }
    for input in &inputs {
        let file = input.display();
        let (outcome, read) = match analyze(Path::new(&file), &settings) {
            Ok(a) => (grade_analysis(&lab, &a), Some(a)),
            Err(e) => (
                check::Outcome::Unreadable {
                    error: file_error_text(&e),
                },
                None,
            ),
        };
        emit(check::Report { file, outcome }, read.as_ref())?;
    }
    sink.finish().map_err(io_err)?;
    if !args.quiet {
        eprint_line(&tally.line());
    }
    Ok(if tally.unreadable > 0 {
        ExitCode::Failure
    } else if tally.failed > 0 {
        ExitCode::CheckFailed
    } else {
        ExitCode::Success
    })
}

/// What went wrong with a file, without its path (the report names the file).
fn file_error_text(e: &Error) -> String {
    match e {
        Error::Io { source, .. } => source.to_string(),
        Error::NotACapture { detail, .. } => detail.clone(),
        Error::Usage(m) => m.clone(),
    }
}

/// Runs the lab's rules on one capture read by [`analyze`].
fn grade_analysis(lab: &check::Lab, a: &Analysis) -> check::Outcome {
    let format = match a.format {
        Some(capture::FileFormat::Pcapng) => check::FileFormat::Pcapng,
        _ => check::FileFormat::Pcap,
    };
    let non_dns: Vec<check::NonDns> = a
        .non_dns
        .iter()
        .map(|n| check::NonDns {
            frame: n.frame,
            kind: n.kind.clone(),
        })
        .collect();
    let icmp: Vec<check::IcmpQuote> = a
        .icmp_errors
        .iter()
        .map(|e| check::IcmpQuote {
            frame: e.note.frame,
            reporter: e.note.reporter,
            kind: e.note.kind.to_string(),
            src: e.client.0,
            sport: e.client.1,
            dst: e.server.0,
            dport: e.server.1,
        })
        .collect();
    let sub = check::Submission {
        format,
        messages: &a.messages,
        non_dns: &non_dns,
        icmp: &icmp,
    };
    check::Outcome::Graded {
        format,
        results: check::grade(lab, &sub),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("samples")
            .join(name)
    }

    #[test]
    fn a_selection_keeps_only_what_it_names() {
        let path = sample("dns.pcap");
        let all = analyze(&path, &Settings::default()).unwrap();
        assert!(all.messages.len() > 4 && !all.transactions.is_empty());

        let frame = all.messages[3].meta.frame;
        let by_frame = Selection {
            frames: vec![frame],
            ..Selection::default()
        };
        let a = analyze_selected(&path, &Settings::default(), by_frame).unwrap();
        assert_eq!(a.messages.len(), 1);
        assert_eq!(a.messages[0].bytes, all.messages[3].bytes);
        assert!(a.transactions.is_empty(), "nothing paired");
        // The whole file is still counted.
        assert_eq!(a.info.frames, all.info.frames);
        assert_eq!(a.summary.messages, all.summary.messages);

        let id = u16::from_be_bytes([all.messages[0].bytes[0], all.messages[0].bytes[1]]);
        let by_id = Selection {
            ids: vec![id],
            ..Selection::default()
        };
        let a = analyze_selected(&path, &Settings::default(), by_id).unwrap();
        let want: Vec<u64> = all
            .messages
            .iter()
            .filter(|m| m.bytes[..2] == id.to_be_bytes())
            .map(|m| m.meta.frame)
            .collect();
        let got: Vec<u64> = a.messages.iter().map(|m| m.meta.frame).collect();
        assert_eq!(got, want);
        assert!(got.len() >= 2, "a query and its response");
    }

    #[test]
    fn non_dns_frames_are_kept_only_when_asked_for_and_selected() {
        // tcp.pcap: the handshakes and bare ACKs carry no DNS.
        let path = sample("tcp.pcap");
        let all = analyze(&path, &Settings::default()).unwrap();
        assert!(all.non_dns.len() > 2);
        let second = all.non_dns[1].clone();
        let keep = Selection {
            frames: vec![second.frame],
            non_dns: true,
            ..Selection::default()
        };
        let a = analyze_selected(&path, &Settings::default(), keep).unwrap();
        assert_eq!(a.non_dns, std::slice::from_ref(&second));
        assert!(a.messages.is_empty());
        let none = Selection {
            frames: vec![second.frame],
            ..Selection::default()
        };
        let a = analyze_selected(&path, &Settings::default(), none).unwrap();
        assert!(a.non_dns.is_empty());
    }
}
