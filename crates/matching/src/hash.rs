//! A tiny FxHash-style hasher. Blocking keys are already well mixed 64-bit
//! values, so SipHash's DoS resistance buys nothing here and costs a lot of
//! time in the posting-list maps of a 5-million-record index.

use std::hash::{BuildHasherDefault, Hasher};

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// Fx-style streaming hasher.
#[derive(Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

impl FxHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.hash = (self.hash.rotate_left(5) ^ w).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(b));
        }
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

/// `HashMap` with the Fx hasher.
pub type FxHashMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<FxHasher>>;
/// `HashSet` with the Fx hasher.
pub type FxHashSet<K> = std::collections::HashSet<K, BuildHasherDefault<FxHasher>>;

/// Final avalanche (splitmix64 finaliser) so that keys built from small
/// integers spread over the whole 64-bit range.
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Hash of a sequence of u32 values (length-prefixed, so `[a]` ≠ `[a, 0]`).
pub fn fx_hash_u32s(it: impl IntoIterator<Item = u32>) -> u64 {
    let mut h = FxHasher::default();
    let mut n = 0u64;
    for v in it {
        h.add(u64::from(v));
        n += 1;
    }
    h.add(n);
    mix64(h.hash)
}

/// Combines already-hashed parts into one key.
pub fn combine(parts: &[u64]) -> u64 {
    let mut h = FxHasher::default();
    for &p in parts {
        h.add(p);
    }
    mix64(h.hash)
}
