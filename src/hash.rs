//! A fast hasher for the hot tables (pairing keys, name counts), seeded per process.
//!
//! std's default (SipHash-1-3) costs more than the rest of the pairing step for our
//! small keys (addresses, ports, an ID; a name's labels). This one mixes 8 bytes at a
//! time with one 64×64→128-bit multiply, folded (the construction of foldhash and
//! wyhash). The seed comes from std's `RandomState`, so it differs per run: an
//! attacker who writes the capture cannot precompute colliding keys for it. That is
//! weaker than SipHash's guarantee, and enough for tables whose worst case is a slower
//! run, not a wrong answer (keys are always compared in full).

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

const MUL: u64 = 0x5851_f42d_4c95_7f2d;
const MUL2: u64 = 0x9e37_79b9_7f4a_7c15;

#[inline]
fn fold_mul(a: u64, b: u64) -> u64 {
    let p = u128::from(a) * u128::from(b);
    (p as u64) ^ ((p >> 64) as u64)
}

/// Builds [`FastHasher`]s with this process's seed.
#[derive(Clone, Copy, Debug)]
pub struct FastState {
    seed: u64,
}

impl FastState {
    /// A fixed seed, for hashes that are compared rather than used to index a table
    /// (as `DefaultHasher::new()`'s fixed keys are): equal on every run.
    pub const FIXED: Self = Self {
        seed: 0x243f_6a88_85a3_08d3,
    };
}

impl Default for FastState {
    fn default() -> Self {
        Self {
            seed: RandomState::new().hash_one(0x0064_736e_6c65_6e73_u64) | 1,
        }
    }
}

impl BuildHasher for FastState {
    type Hasher = FastHasher;

    #[inline]
    fn build_hasher(&self) -> FastHasher {
        FastHasher { state: self.seed }
    }
}

/// See the module docs.
#[derive(Clone, Copy, Debug)]
pub struct FastHasher {
    state: u64,
}

impl FastHasher {
    #[inline]
    fn mix(&mut self, x: u64) {
        self.state = fold_mul(self.state ^ x, MUL);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in chunks.by_ref() {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            self.mix(u64::from_le_bytes(b));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut b = [0u8; 8];
            b[..rest.len()].copy_from_slice(rest);
            // The length keeps "a" and "a\0" apart.
            self.mix(u64::from_le_bytes(b) ^ ((rest.len() as u64) << 59));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.mix(u64::from(i));
    }

    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.mix(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.mix(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.mix(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.mix(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        fold_mul(self.state, MUL2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn equal_input_equal_hash_and_no_trivial_collisions() {
        let s = FastState::default();
        assert_eq!(s.hash_one(b"www.example"), s.hash_one(b"www.example"));
        let mut seen = HashSet::new();
        for i in 0u32..100_000 {
            assert!(seen.insert(s.hash_one(i)), "collision at {i}");
        }
        // Short byte strings that differ only in trailing zeros or length.
        let a = s.hash_one([1u8].as_slice());
        let b = s.hash_one([1u8, 0].as_slice());
        assert_ne!(a, b);
    }

    #[test]
    fn seeds_differ_between_states() {
        let a = FastState::default();
        let b = FastState::default();
        assert_ne!(a.hash_one(42u64), b.hash_one(42u64));
    }
}
