//! FNV-1a, 64 bits: the workspace's one hash for values that must never
//! change between runs, platforms or Rust releases — where keys sit on the
//! [`crate::ring`], and the simulator's trace fingerprint (`sim::trace`).
//! std's `DefaultHasher` may change between releases; collisions only
//! matter to an adversary, and neither use has one.
//!
//! Not the `fnv` crate: it hashes a byte at a time only, and the trace
//! fingerprint, pinned by the golden runs, takes a word at a time.

/// FNV-1a's state. Feed it bytes ([`Fnv64::bytes`], FNV-1a proper) or
/// words ([`Fnv64::word`], the same step on 8 bytes at once); read it with
/// [`Fnv64::finish`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fnv64(u64);

/// FNV's 64-bit offset basis: the state before any input.
const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
/// FNV's 64-bit prime.
const PRIME: u64 = 0x0000_0100_0000_01b3;

impl Default for Fnv64 {
    fn default() -> Self {
        Fnv64(OFFSET_BASIS)
    }
}

impl Fnv64 {
    /// FNV-1a over `bytes`, one byte per step.
    pub fn bytes(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.word(u64::from(byte));
        }
    }

    /// One step over a whole word: xor it in, multiply once. Eight times
    /// fewer multiplications than [`Fnv64::bytes`] over its 8 bytes (the
    /// trace fingerprint runs on every message), though not the same value.
    pub fn word(&mut self, word: u64) {
        self.0 = (self.0 ^ word).wrapping_mul(PRIME);
    }

    /// `bytes` a word at a time (little-endian, the last word padded with
    /// zeros), its length first so that consecutive fields cannot run
    /// together. Stable across platforms: the byte order is fixed.
    pub fn words(&mut self, bytes: &[u8]) {
        self.word(bytes.len() as u64);
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.word(u64::from_le_bytes(word));
        }
        let mut last = [0u8; 8];
        let rest = chunks.remainder();
        last[..rest.len()].copy_from_slice(rest);
        self.word(u64::from_le_bytes(last));
    }

    /// The hash of everything fed so far.
    pub fn finish(&self) -> u64 {
        self.0
    }
}

/// FNV-1a, 64 bits, of `bytes`.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h = Fnv64::default();
    h.bytes(bytes);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_reference_vectors() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn words_are_pinned() {
        // The trace fingerprint of every golden run rests on these.
        let mut h = Fnv64::default();
        h.word(7);
        h.words(b"replica-read");
        h.words(b"");
        assert_eq!(h.finish(), {
            let mut x = OFFSET_BASIS;
            for w in [
                7,
                12,
                u64::from_le_bytes(*b"replica-"),
                u64::from_le_bytes(*b"read\0\0\0\0"),
                0,
                0,
            ] {
                x = (x ^ w).wrapping_mul(PRIME);
            }
            x
        });
    }
}
