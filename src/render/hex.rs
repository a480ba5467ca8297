//! Hex without allocation.

use std::fmt;

/// Upper-case hex of a byte slice, as RFC 8427's `*HEX` members write it.
pub struct Upper<'a>(pub &'a [u8]);

impl fmt::Display for Upper<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}
