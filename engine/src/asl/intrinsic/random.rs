//! Caller-supplied randomness for `States.MathRandom` and `States.UUID`.
//!
//! Nothing here reads global randomness: a runtime seeds a [`SeededRandom`]
//! from something stable for the transition (for example the execution id and
//! the event id of the state entry), so replaying the transition after a crash
//! produces the same numbers and UUIDs.

/// A source of random 64-bit words.
pub trait RandomSource {
    /// The next word.
    fn next_u64(&mut self) -> u64;

    /// A number in `[0, 1)`, from the top 53 bits of the next word.
    fn next_f64(&mut self) -> f64 {
        // 53 bits fill an f64 mantissa exactly, so the result is uniform and < 1.
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// SplitMix64: a tiny generator whose output is fixed forever by its seed
/// (unlike library RNGs whose algorithm may change between releases).
#[derive(Debug, Clone)]
pub struct SeededRandom {
    state: u64,
}

impl SeededRandom {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// A generator seeded from the SHA-256 of `key` (e.g. `"<execution>/<event>"`).
    pub fn from_key(key: &str) -> Self {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(key.as_bytes());
        let mut seed = [0u8; 8];
        seed.copy_from_slice(&digest[..8]);
        Self::new(u64::from_be_bytes(seed))
    }
}

impl RandomSource for SeededRandom {
    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence() {
        let mut a = SeededRandom::from_key("exec/7");
        let mut b = SeededRandom::from_key("exec/7");
        let xs: Vec<u64> = (0..4).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..4).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(xs[0], SeededRandom::from_key("exec/8").next_u64());
        let f = a.next_f64();
        assert!((0.0..1.0).contains(&f));
    }
}
