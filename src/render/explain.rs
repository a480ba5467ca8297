//! `explain` output: the byte layout of one DNS message ([`crate::dns::layout`]) as an
//! annotated listing for people (80 columns, coloured by field kind when asked), or as
//! JSON rows for scripts.
//!
//! The text is plain ASCII apart from the arrow of the title line: values come from the
//! layout, which escapes names and strings in presentation format, so no byte of the
//! message reaches the terminal raw.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::net::SocketAddr;

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use crate::dns::layout::{Field, Kind};
use crate::meta::MessageMeta;
use crate::net::Transport;

use super::hex;

/// Width of the listing.
pub const WIDTH: usize = 80;
/// Bytes shown per line.
const BYTES_PER_LINE: usize = 8;
/// Lines of hex at most for one field; the rest is counted.
const MAX_HEX_LINES: usize = 32;
/// Column where the field name starts (4 offset digits, 2 spaces, 8 bytes, 1 space).
const FIELD_COL: usize = 4 + 2 + BYTES_PER_LINE * 3 - 1 + 1;
/// Width of the field name column (names longer than this push the text right).
const FIELD_WIDTH: usize = 10;
/// A word of its own between a value and its meaning: shown as a second space, dropped
/// at a line break.
const GAP: char = '\u{a0}';

/// ANSI SGR colour of a field kind.
fn sgr(f: &Field) -> &'static str {
    match f.kind {
        Kind::Group => "1",
        Kind::Header | Kind::Flag => "36",
        Kind::Name | Kind::Label | Kind::Root => "32",
        Kind::Pointer => "35",
        Kind::Type | Kind::Class => "34",
        Kind::Ttl | Kind::Length => "33",
        Kind::Data => "39",
        Kind::Error => "1;31",
        Kind::Lint if f.severity == Some("info") => "1;36",
        Kind::Lint => "1;33",
        Kind::Trailing | Kind::Unparsed => "31",
    }
}

fn paint(s: &str, code: &str, color: bool) -> String {
    if color && !s.is_empty() {
        format!("\x1b[{code}m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

/// Splits `text` into lines of at most `width` characters at spaces (long words are cut).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(8);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let mut word = word;
        loop {
            let used = line.chars().count();
            let need = word.chars().count() + usize::from(used > 0);
            if used + need <= width {
                if used > 0 {
                    line.push(' ');
                }
                line.push_str(word);
                break;
            }
            if used > 0 {
                lines.push(std::mem::take(&mut line));
                continue;
            }
            // A word longer than the line: cut it.
            let cut: String = word.chars().take(width).collect();
            word = word.get(cut.len()..).unwrap_or("");
            lines.push(cut);
            if word.is_empty() {
                break;
            }
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// `1... .... .... ....` for the bits of `mask` in `word`.
pub fn bit_pattern(word: u16, mask: u16) -> String {
    let mut s = String::with_capacity(19);
    for i in (0..16).rev() {
        if i % 4 == 3 && i != 15 {
            s.push(' ');
        }
        let bit = 1u16 << i;
        s.push(if mask & bit == 0 {
            '.'
        } else if word & bit != 0 {
            '1'
        } else {
            '0'
        });
    }
    s
}

fn word_at(bytes: &[u8], at: usize) -> u16 {
    match bytes.get(at..at + 2) {
        Some([a, b]) => u16::from_be_bytes([*a, *b]),
        _ => 0,
    }
}

/// The title of one message: where it is and what it is.
pub fn title(file: &str, meta: &MessageMeta, bytes: &[u8]) -> [String; 2] {
    let what = match bytes.get(2) {
        Some(b) if b & 0x80 != 0 => "response",
        Some(_) => "query",
        None => "message",
    };
    let id = match bytes.get(..2) {
        Some([a, b]) => format!(" ID {:#06x},", u16::from_be_bytes([*a, *b])),
        _ => String::new(),
    };
    let mut first = format!(
        "{file} frame {}: DNS {what},{id} {} bytes",
        meta.frame,
        bytes.len()
    );
    if meta.cut {
        first.push_str(" (cut by the capture)");
    }
    let proto = match meta.transport {
        Transport::Udp => "UDP",
        Transport::Tcp => "TCP",
    };
    let second = format!(
        "{} \u{2192} {} {proto}, {}",
        SocketAddr::new(meta.src, meta.sport),
        SocketAddr::new(meta.dst, meta.dport),
        meta.ts
    );
    [first, second]
}

/// Writes the annotated listing of one message.
pub fn write_text(
    out: &mut dyn Write,
    title: &[String],
    bytes: &[u8],
    fields: &[Field],
    color: bool,
) -> io::Result<()> {
    for (i, t) in title.iter().enumerate() {
        for line in wrap(t, WIDTH) {
            let line = if i == 0 {
                paint(&line, "1", color)
            } else {
                line
            };
            writeln!(out, "{line}")?;
        }
    }
    let head = format!(
        "{:<6}{:<w$}{:<fw$} {}",
        "OFFS",
        "BYTES",
        "FIELD",
        "VALUE  MEANING",
        w = FIELD_COL - 6,
        fw = FIELD_WIDTH
    );
    writeln!(out, "{}", paint(&head, "2", color))?;
    for f in fields {
        write_field(out, bytes, f, color)?;
    }
    Ok(())
}

fn write_field(out: &mut dyn Write, bytes: &[u8], f: &Field, color: bool) -> io::Result<()> {
    let code = sgr(f);
    if f.kind == Kind::Group {
        let end = f.offset + f.len;
        let head = format!(
            "{}: {} (bytes {:04x}-{:04x})",
            f.path,
            f.meaning,
            f.offset,
            end.saturating_sub(1).max(f.offset)
        );
        for line in wrap(&head, WIDTH) {
            writeln!(out, "{}", paint(&line, code, color))?;
        }
        if !f.value.is_empty() {
            for line in wrap(&f.value, WIDTH - 2) {
                writeln!(out, "  {line}")?;
            }
        }
        return Ok(());
    }
    // The hex column: bytes (8 a line), a bit pattern for a flag, nothing for a name.
    let mut hex_lines: Vec<(usize, String)> = Vec::new();
    match (f.kind, f.mask) {
        (Kind::Flag, Some(mask)) => {
            hex_lines.push((f.offset, bit_pattern(word_at(bytes, f.offset), mask)));
        }
        (Kind::Name, _) => {}
        _ => {
            let data = bytes.get(f.offset..f.offset + f.len).unwrap_or(&[]);
            for (i, chunk) in data.chunks(BYTES_PER_LINE).enumerate() {
                if i == MAX_HEX_LINES {
                    let more = data.len() - i * BYTES_PER_LINE;
                    hex_lines.push((usize::MAX, format!("... {more} more bytes")));
                    break;
                }
                let mut s = String::with_capacity(BYTES_PER_LINE * 3);
                for (j, b) in chunk.iter().enumerate() {
                    if j > 0 {
                        s.push(' ');
                    }
                    let _ = write!(s, "{b:02x}");
                }
                hex_lines.push((f.offset + i * BYTES_PER_LINE, s));
            }
        }
    }
    let (name, text) = match f.kind {
        Kind::Error => ("ERROR".to_string(), format!("{}: {}", f.value, f.meaning)),
        Kind::Lint => (
            f.severity.unwrap_or("warning").to_string(),
            format!("[{}] {}", f.value, f.meaning),
        ),
        _ => {
            let name = f.short_name().to_string();
            let text = if f.meaning.is_empty() {
                f.value.clone()
            } else if f.value.is_empty() {
                f.meaning.clone()
            } else {
                format!("{} {GAP} {}", f.value, f.meaning)
            };
            (name, text)
        }
    };
    let name_width = name.chars().count().max(FIELD_WIDTH);
    let text_col = FIELD_COL + name_width + 1;
    let text_lines: Vec<String> = wrap(&text, WIDTH - text_col)
        .into_iter()
        .filter_map(|l| {
            let l = l
                .trim_start_matches([GAP, ' '])
                .trim_end_matches([GAP, ' ']);
            (!l.is_empty()).then(|| l.replace(GAP, ""))
        })
        .collect();
    let lines = hex_lines.len().max(text_lines.len()).max(1);
    let whole_row = matches!(f.kind, Kind::Error | Kind::Lint);
    for i in 0..lines {
        let mut line = String::new();
        let (off, hex) = match hex_lines.get(i) {
            Some((off, h)) => (Some(*off), h.as_str()),
            None => (None, ""),
        };
        let off = match off {
            _ if f.kind == Kind::Flag => String::new(),
            Some(o) if o != usize::MAX => format!("{o:04x}"),
            _ if i == 0 => format!("{:04x}", f.offset),
            _ => String::new(),
        };
        let _ = write!(line, "{off:<6}");
        let hex_cell = format!("{hex:<w$}", w = FIELD_COL - 6);
        let name_cell = if i == 0 {
            format!("{name:<name_width$}")
        } else {
            " ".repeat(name_width)
        };
        let text = text_lines.get(i).map_or("", String::as_str);
        if color && whole_row {
            let body = format!("{line}{hex_cell}{name_cell} {text}");
            writeln!(out, "{}", paint(body.trim_end(), code, true))?;
            continue;
        }
        line.push_str(&paint(&hex_cell, code, color && !hex.is_empty()));
        if color && i == 0 {
            // Colour the name only, keep the padding plain.
            line.push_str(&paint(&name, code, true));
            line.push_str(&" ".repeat(name_width - name.chars().count()));
        } else {
            line.push_str(&name_cell);
        }
        line.push(' ');
        line.push_str(text);
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// One field as a JSON row: `offset`, `length`, `path`, `kind`, `hex`, `value`, `meaning`,
/// and `bits` (flags), `severity` and `code` (errors, lint) when they apply.
pub struct RowJson<'a> {
    pub bytes: &'a [u8],
    pub field: &'a Field,
}

impl Serialize for RowJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let f = self.field;
        let data = self.bytes.get(f.offset..f.offset + f.len).unwrap_or(&[]);
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("offset", &f.offset)?;
        m.serialize_entry("length", &f.len)?;
        m.serialize_entry("path", &f.path)?;
        m.serialize_entry("kind", f.kind.as_str())?;
        m.serialize_entry("hex", &format_args!("{}", hex::Upper(data)).to_string())?;
        m.serialize_entry("value", &f.value)?;
        m.serialize_entry("meaning", &f.meaning)?;
        if let Some(mask) = f.mask {
            m.serialize_entry("bits", &bit_pattern(word_at(self.bytes, f.offset), mask))?;
        }
        if let Some(sev) = f.severity {
            m.serialize_entry("severity", sev)?;
        }
        if let Some(code) = f.code {
            m.serialize_entry("code", code)?;
        }
        m.end()
    }
}

/// The rows of one message.
pub struct RowsJson<'a> {
    pub bytes: &'a [u8],
    pub fields: &'a [Field],
}

impl Serialize for RowsJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.fields.len()))?;
        for field in self.fields {
            seq.serialize_element(&RowJson {
                bytes: self.bytes,
                field,
            })?;
        }
        seq.end()
    }
}

/// One explained message: where it came from, its lint findings, its rows.
pub struct ExplanationJson<'a> {
    pub file: &'a str,
    pub meta: &'a MessageMeta,
    pub bytes: &'a [u8],
    pub fields: &'a [Field],
}

impl Serialize for ExplanationJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let meta = self.meta;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("file", self.file)?;
        m.serialize_entry("frame", &meta.frame)?;
        m.serialize_entry("dateSeconds", &meta.ts.as_secs_f64())?;
        m.serialize_entry("dateString", &meta.ts.to_rfc3339())?;
        m.serialize_entry("ipProtocol", &meta.ip_protocol())?;
        m.serialize_entry("sourceAddress", &meta.src)?;
        m.serialize_entry("sourcePort", &meta.sport)?;
        m.serialize_entry("destinationAddress", &meta.dst)?;
        m.serialize_entry("destinationPort", &meta.dport)?;
        m.serialize_entry("messageLength", &self.bytes.len())?;
        if meta.cut {
            m.serialize_entry("cutByCapture", &true)?;
        }
        if let Some([a, b]) = self.bytes.get(..2) {
            m.serialize_entry("ID", &u16::from_be_bytes([*a, *b]))?;
        }
        m.serialize_entry(
            "lint",
            &super::json::LintJson::of(self.bytes, super::json::dialect(meta)),
        )?;
        if let Some(e) = self.fields.iter().find(|f| f.kind == Kind::Error) {
            m.serialize_entry(
                "error",
                &serde_json::json!({"offset": e.offset, "message": e.meaning}),
            )?;
        }
        m.serialize_entry(
            "rows",
            &RowsJson {
                bytes: self.bytes,
                fields: self.fields,
            },
        )?;
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_breaks_at_spaces_and_cuts_long_words() {
        assert_eq!(wrap("aaa bbb ccc", 8), ["aaa bbb", "ccc"]);
        assert_eq!(wrap("", 10), [""]);
        assert_eq!(wrap("abcdefghijkl", 8), ["abcdefgh", "ijkl"]);
        for line in wrap(&"word ".repeat(50), 30) {
            assert!(line.len() <= 30);
        }
    }

    #[test]
    fn bit_patterns_like_wireshark() {
        assert_eq!(bit_pattern(0x8500, 0x8000), "1... .... .... ....");
        assert_eq!(bit_pattern(0x8500, 0x7800), ".000 0... .... ....");
        assert_eq!(bit_pattern(0x0003, 0x000f), ".... .... .... 0011");
    }

    #[test]
    fn every_text_line_fits_in_80_columns() {
        // A response with a long TXT string (every character escaped) and a long label.
        let mut m = vec![0, 1, 0x85, 0, 0, 0, 0, 1, 0, 0, 0, 0];
        m.push(63);
        m.extend(std::iter::repeat_n(0x07, 63));
        m.push(0);
        m.extend_from_slice(&[0, 16, 0, 1, 0, 0, 0, 60, 0, 201, 200]);
        m.extend(std::iter::repeat_n(b'"', 200));
        let fields = crate::dns::layout::explain(&m, Default::default());
        let mut out = Vec::new();
        write_text(&mut out, &["t".into()], &m, &fields, false).unwrap();
        let text = String::from_utf8(out).unwrap();
        for line in text.lines() {
            assert!(line.chars().count() <= WIDTH, "{line:?}");
            assert!(!line.chars().any(|c| c.is_control()), "{line:?}");
        }
        assert!(text.contains("\\007"));
        // With colour: escapes only, never other control characters.
        let mut out = Vec::new();
        write_text(&mut out, &["t".into()], &m, &fields, true).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("\x1b["));
        assert!(text
            .chars()
            .all(|c| !c.is_control() || c == '\n' || c == '\x1b'));
    }
}
