//! Random bytes for guests (`random_get`) and for trace ids: a SHA-256
//! generator in counter mode, seeded once by the firmware from a hardware
//! source (the STM32 RNG) or the operating system.
//!
//! Output block `i` is `SHA-256(seed ‖ i)`; after each request the seed is
//! replaced by a fresh block, so earlier output cannot be recomputed from
//! the state (backtracking resistance). The quality is that of the seed.

use sha2::{Digest, Sha256};

/// The generator.
pub struct Entropy {
    seed: [u8; 32],
    counter: u64,
}

impl Entropy {
    /// From a 32-byte seed.
    pub const fn new(seed: [u8; 32]) -> Self {
        Self { seed, counter: 0 }
    }

    fn block(&mut self) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(self.seed);
        h.update(self.counter.to_le_bytes());
        self.counter = self.counter.wrapping_add(1);
        h.finalize().into()
    }

    /// Fills `buf`.
    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(32) {
            let block = self.block();
            chunk.copy_from_slice(&block[..chunk.len()]);
        }
        self.seed = self.block();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_differs_between_calls_and_seeds() {
        let mut a = Entropy::new([1; 32]);
        let mut b = Entropy::new([2; 32]);
        let (mut x, mut y, mut z) = ([0u8; 40], [0u8; 40], [0u8; 40]);
        a.fill(&mut x);
        a.fill(&mut y);
        b.fill(&mut z);
        assert_ne!(x, y);
        assert_ne!(x, z);
        assert!(x.iter().any(|&v| v != 0));
    }
}
