//! The search's memory: which (linearized set, state) pairs were already
//! explored. Lowe's improvement to Wing & Gong: two paths that linearize the
//! same set of operations and reach the same state have the same futures, so
//! the second is cut.
//!
//! The set is a bitset ([`Bits`]) with an incrementally maintained Zobrist
//! hash (XOR of a fixed random word per operation), so lifting or unlifting
//! an operation costs O(1). Stored sets are compressed: during a search the
//! linearized ok operations are almost a prefix of the invoke order, so a
//! set is stored as "the first `lo` words are full" plus the words from `lo`
//! to the last non-zero one. `info` operations, which may stay unlinearized
//! forever and would spoil the prefix, get their own bit region, stored whole.
//!
//! The table is open addressing over `u32` entry numbers: it is only probed,
//! never iterated, so no hash order can reach output (the crate bans std
//! `HashMap` for that reason). Memory is capped (the budget's
//! `max_memory_mib`); past it the search reports `unknown`, never an
//! allocation failure.

use super::model::KeyOps;

/// The set of linearized operations, with its hash and compression bounds.
pub(crate) struct Bits {
    words: Vec<u64>,
    /// Words `0..info_words` hold the info operations' bits.
    info_words: usize,
    /// Bit position of each operation.
    bit_of: Vec<u32>,
    /// Zobrist word of each operation.
    zobrist: Vec<u64>,
    hash: u64,
    /// Ok region (relative word numbers): words `..lo` are full, words from
    /// `hi` on are zero.
    lo: usize,
    hi: usize,
    /// Number of ok operations (bits in the ok region).
    ok_bits: usize,
}

/// SplitMix64's finalizer: a fixed, well-mixed word per input.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Bits {
    pub(crate) fn new(key: &KeyOps) -> Bits {
        let infos = key.ops.iter().filter(|op| !op.must()).count();
        let info_words = infos.div_ceil(64);
        let (mut next_info, mut next_ok) = (0u32, 0u32);
        let base = u32::try_from(info_words * 64).unwrap_or(u32::MAX);
        let bit_of: Vec<u32> = key
            .ops
            .iter()
            .map(|op| {
                let counter = if op.must() {
                    &mut next_ok
                } else {
                    &mut next_info
                };
                *counter += 1;
                if op.must() {
                    base + *counter - 1
                } else {
                    *counter - 1
                }
            })
            .collect();
        let ok_bits = next_ok as usize;
        Bits {
            words: vec![0; info_words + ok_bits.div_ceil(64)],
            info_words,
            bit_of,
            zobrist: (0..key.ops.len() as u64).map(mix).collect(),
            hash: 0,
            lo: 0,
            hi: 0,
            ok_bits,
        }
    }

    /// The mask of bits in use in ok-region word `w`.
    fn full(&self, w: usize) -> u64 {
        let rest = self.ok_bits - 64 * w;
        if rest >= 64 { !0 } else { (1u64 << rest) - 1 }
    }

    pub(crate) fn set(&mut self, op: u32) {
        let bit = self.bit_of[op as usize] as usize;
        let w = bit / 64;
        debug_assert!(self.words[w] & (1 << (bit % 64)) == 0, "set twice");
        self.words[w] |= 1 << (bit % 64);
        self.hash ^= self.zobrist[op as usize];
        let Some(v) = w.checked_sub(self.info_words) else {
            return;
        };
        self.hi = self.hi.max(v + 1);
        let ok_words = self.words.len() - self.info_words;
        while self.lo < ok_words && self.words[self.info_words + self.lo] == self.full(self.lo) {
            self.lo += 1;
        }
    }

    pub(crate) fn clear(&mut self, op: u32) {
        let bit = self.bit_of[op as usize] as usize;
        let w = bit / 64;
        debug_assert!(self.words[w] & (1 << (bit % 64)) != 0, "cleared twice");
        self.words[w] &= !(1 << (bit % 64));
        self.hash ^= self.zobrist[op as usize];
        let Some(v) = w.checked_sub(self.info_words) else {
            return;
        };
        self.lo = self.lo.min(v);
        while self.hi > 0 && self.words[self.info_words + self.hi - 1] == 0 {
            self.hi -= 1;
        }
    }

    /// The stored form: info words, then the ok words from `lo` to `hi`.
    fn window(&self) -> (&[u64], &[u64]) {
        let ok = &self.words[self.info_words..];
        let end = self.hi.max(self.lo);
        (&self.words[..self.info_words], &ok[self.lo..end])
    }
}

/// One stored (set, state).
struct Entry {
    key: u64,
    state: u32,
    lo: u32,
    /// Where its words start in the arena, and how many there are.
    offset: usize,
    len: usize,
}

/// The explored (set, state) pairs.
pub(crate) struct Cache {
    /// Entry number + 1, or 0 for empty. Length: a power of two, at most half full.
    table: Vec<u32>,
    entries: Vec<Entry>,
    arena: Vec<u64>,
    /// Cap on stored words: set words plus 4 bookkeeping words per entry.
    max_words: usize,
}

/// The cache reached its cap.
#[derive(Debug)]
pub(crate) struct Full;

impl Cache {
    /// An empty cache that holds at most `max_mib` MiB of sets.
    pub(crate) fn new(max_mib: usize) -> Cache {
        Cache {
            table: vec![0; 1 << 12],
            entries: Vec::new(),
            arena: Vec::new(),
            max_words: max_mib.saturating_mul(1 << 20) / 8,
        }
    }

    /// Records (`bits`, `state`); `Ok(true)` if it was not there before.
    pub(crate) fn insert(&mut self, bits: &Bits, state: u32) -> Result<bool, Full> {
        let key = mix(bits.hash ^ u64::from(state).wrapping_mul(0x2545_f491_4f6c_dd1d));
        let (info, ok) = bits.window();
        let mask = self.table.len() - 1;
        let mut slot = (key as usize) & mask;
        // At most half full, so an empty slot ends every probe.
        while let Some(e) = self.table[slot].checked_sub(1) {
            let entry = &self.entries[e as usize];
            if entry.key == key
                && entry.state == state
                && entry.lo as usize == bits.lo
                && entry.len == info.len() + ok.len()
            {
                let stored = &self.arena[entry.offset..entry.offset + entry.len];
                if stored[..info.len()] == *info && stored[info.len()..] == *ok {
                    return Ok(false);
                }
            }
            slot = (slot + 1) & mask;
        }
        let words = self.arena.len() + info.len() + ok.len() + 4 * (self.entries.len() + 1);
        if words > self.max_words || self.entries.len() >= (u32::MAX / 2) as usize {
            return Err(Full);
        }
        let offset = self.arena.len();
        self.arena.extend_from_slice(info);
        self.arena.extend_from_slice(ok);
        self.entries.push(Entry {
            key,
            state,
            lo: u32::try_from(bits.lo).map_err(|_| Full)?,
            offset,
            len: info.len() + ok.len(),
        });
        self.table[slot] = u32::try_from(self.entries.len()).map_err(|_| Full)?;
        if self.entries.len() * 2 > self.table.len() {
            self.grow();
        }
        Ok(true)
    }

    /// Doubles the table and re-places every entry (by its stored key).
    fn grow(&mut self) {
        let mut table = vec![0u32; self.table.len() * 2];
        let mask = table.len() - 1;
        for (e, entry) in self.entries.iter().enumerate() {
            let mut slot = (entry.key as usize) & mask;
            while table[slot] != 0 {
                slot = (slot + 1) & mask;
            }
            table[slot] = e as u32 + 1;
        }
        self.table = table;
    }

    /// Number of stored pairs.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}
