//! Hex without allocation.

use std::fmt;

/// Upper-case hex of a byte slice, as RFC 8427's `*HEX` members write it.
pub struct Upper<'a>(pub &'a [u8]);

const DIGITS: &[u8; 16] = b"0123456789ABCDEF";

impl fmt::Display for Upper<'_> {
    /// Converts 64 bytes at a time on the stack and writes each run with one call
    /// (a `write!` per byte was a hot spot of the JSON output).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; 128];
        for chunk in self.0.chunks(64) {
            for (pair, &b) in buf.chunks_exact_mut(2).zip(chunk) {
                pair[0] = DIGITS[usize::from(b >> 4)];
                pair[1] = DIGITS[usize::from(b & 0x0f)];
            }
            let text = buf.get(..chunk.len() * 2).unwrap_or_default();
            // Hex digits are ASCII, so this never fails.
            f.write_str(std::str::from_utf8(text).unwrap_or_default())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upper_hex_of_every_byte_and_long_runs() {
        assert_eq!(Upper(&[]).to_string(), "");
        assert_eq!(Upper(&[0x00, 0x0f, 0xa0, 0xff]).to_string(), "000FA0FF");
        let all: Vec<u8> = (0..=255).collect();
        let expected: String = all.iter().map(|b| format!("{b:02X}")).collect();
        assert_eq!(Upper(&all).to_string(), expected);
    }
}
