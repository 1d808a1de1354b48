//! [`config`]: the device configuration every board firmware runs with.

use jinn_core::EngineLimits;
use jinn_core::signature::{PUBLIC_KEY_LEN, Policy};

use crate::Config;

/// The defaults, with what a board's RAM and firmware decide:
/// - one compiled module resident at a time: the example Rust guests need
///   350–430 KiB of heap each once compiled;
/// - linear memory held to the heap's largest block, `largest_heap_block`
///   bytes ([`Heap::largest_block`](super::Heap::largest_block): linear
///   memory is one allocation), so a grow past it is refused before its
///   fuel is charged ([`EngineLimits::max_memory_bytes`]);
/// - the firmware's least strict signature policy and its trusted keys.
pub fn config(
    largest_heap_block: usize,
    signature_policy: Policy,
    trusted_keys: &'static [[u8; PUBLIC_KEY_LEN]],
) -> Config {
    Config {
        resident_modules: 1,
        engine: EngineLimits {
            max_memory_bytes: largest_heap_block as u64,
            ..EngineLimits::DEVICE
        },
        signature_policy,
        trusted_keys,
        ..Config::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_memory_is_held_to_the_largest_heap_block() {
        const KEYS: &[[u8; PUBLIC_KEY_LEN]] = &[[7; PUBLIC_KEY_LEN]];
        let config = config(8192, Policy::Strict, KEYS);
        assert_eq!(config.engine.max_memory_bytes, 8192);
        assert_eq!(
            config.engine.max_slice_fuel,
            EngineLimits::DEVICE.max_slice_fuel
        );
        assert_eq!(config.resident_modules, 1);
        assert_eq!(config.signature_policy, Policy::Strict);
        assert_eq!(config.trusted_keys, KEYS);
    }
}
