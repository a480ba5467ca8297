//! Test inputs shared by the tests that compare two walks over messages (a
//! written-out walk against the one it replaces): real messages from the
//! samples, every cut of them, and copies with one byte changed.

/// The DNS messages of four samples (UDP, TCP, a bad client, unanswered
/// queries): a few dozen real messages of every section and common type.
pub(crate) fn sample_messages() -> Vec<Vec<u8>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let mut messages = Vec::new();
    for name in [
        "dns.pcap",
        "tcp.pcap",
        "bad-client.pcap",
        "unanswered.pcapng",
    ] {
        let a = crate::app::analyze(&dir.join(name), &crate::app::Settings::default());
        messages.extend(
            a.expect("a sample reads")
                .messages
                .into_iter()
                .map(|m| m.bytes),
        );
    }
    assert!(messages.len() > 20, "{} messages", messages.len());
    messages
}

/// Copies of a message with one byte changed, from a fixed xorshift sequence:
/// the byte set to 0, 0xc0 (a pointer), a small value (a count or length),
/// one of `extra` when given, or any value.
pub(crate) struct Changes<'e> {
    state: u64,
    extra: &'e [u8],
}

impl<'e> Changes<'e> {
    pub(crate) fn new(extra: &'e [u8]) -> Self {
        Self {
            state: 0x2545_f491_4f6c_dd1d,
            extra,
        }
    }

    /// `b` with one byte changed (`b` is not empty).
    pub(crate) fn of(&mut self, b: &[u8]) -> Vec<u8> {
        let s = &mut self.state;
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        let state = *s;
        let mut c = b.to_vec();
        let at = (state as usize) % c.len().max(1);
        let kinds = if self.extra.is_empty() { 4 } else { 5 };
        let value = match (state >> 32) % kinds {
            0 => 0,
            1 => 0xc0,
            2 => (state >> 40) as u8 % 8,
            3 if kinds == 5 => self.extra[(state >> 40) as usize % self.extra.len()],
            _ => (state >> 40) as u8,
        };
        if let Some(byte) = c.get_mut(at) {
            *byte = value;
        }
        c
    }
}

/// Calls `check` on every cut of each sample message and on 200 changed
/// copies of each ([`Changes`] without extra bytes).
pub(crate) fn each_cut_and_change(mut check: impl FnMut(&[u8])) {
    let mut changes = Changes::new(b"");
    for b in &sample_messages() {
        for cut in 0..=b.len() {
            check(&b[..cut]);
        }
        for _ in 0..200 {
            check(&changes.of(b));
        }
    }
}
