//! The random seed. The MPS2 has no RNG: the host puts 32 random bytes at
//! `_seed_start` (memory.x) when QEMU resets the machine (`-device loader`).

/// The 32 bytes the host left; `None` when they are all zero (QEMU was
/// started without a seed, so every boot would draw the same numbers).
pub fn seed() -> Option<[u8; 32]> {
    unsafe extern "C" {
        static _seed_start: [u8; 32];
    }
    // Safety: memory.x reserves 32 bytes of RAM at `_seed_start` that nothing
    // is linked into; they are only read.
    let seed = unsafe { core::ptr::read_volatile(&raw const _seed_start) };
    seed.iter().any(|&b| b != 0).then_some(seed)
}
