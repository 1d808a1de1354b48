//! [`config`]: the device configuration every board firmware runs with.

use jinn_core::Limits;
use jinn_core::signature::{PUBLIC_KEY_LEN, Policy};

use crate::Config;
use crate::config::CAPS;

/// The defaults, with what a board's RAM and firmware decide:
/// - one compiled module resident at a time: the example Rust guests need
///   350–430 KiB of heap each once compiled;
/// - linear memory held to the heap's largest block, `largest_heap_block`
///   bytes ([`Heap::largest_block`](super::Heap::largest_block): linear
///   memory is one allocation), a device cap ([`Config::caps`]), so a grow
///   past it is refused before its fuel is charged;
/// - the firmware's least strict signature policy and its trusted keys.
pub fn config(
    largest_heap_block: usize,
    signature_policy: Policy,
    trusted_keys: &'static [[u8; PUBLIC_KEY_LEN]],
) -> Config {
    Config {
        resident_modules: 1,
        caps: Limits {
            memory: largest_heap_block as u64,
            ..CAPS
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
        assert_eq!(config.caps.memory, 8192);
        assert_eq!(
            config.caps.within(&CAPS),
            config.caps,
            "the other caps are the device's"
        );
        assert_eq!(Limits::default().within(&config.caps).memory, 8192);
        assert_eq!(config.resident_modules, 1);
        assert_eq!(config.signature_policy, Policy::Strict);
        assert_eq!(config.trusted_keys, KEYS);
    }
}
