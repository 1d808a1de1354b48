//! The byte scan the reader and the writer share: where the next byte is
//! that a JSON string cannot hold as it is (`"`, `\` or a control
//! character), eight bytes at a time.

/// Eight copies of `byte`.
const fn splat(byte: u8) -> u64 {
    u64::from_le_bytes([byte; 8])
}

const LOW: u64 = splat(0x01);
const HIGH: u64 = splat(0x80);

/// Whether a byte of `word` is below `n` (`n` at most 0x80).
#[inline(always)]
const fn any_below(word: u64, n: u8) -> bool {
    word.wrapping_sub(splat(n)) & !word & HIGH != 0
}

/// Whether a byte of `word` is zero.
#[inline(always)]
const fn any_zero(word: u64) -> bool {
    word.wrapping_sub(LOW) & !word & HIGH != 0
}

/// Whether `byte` needs an escape in a JSON string.
#[inline(always)]
pub(crate) const fn special(byte: u8) -> bool {
    byte == b'"' || byte == b'\\' || byte < 0x20
}

/// The index of the first byte from `from` on that [`special`] holds for,
/// or `bytes.len()`.
#[inline]
pub(crate) fn plain_run(bytes: &[u8], from: usize) -> usize {
    let mut pos = from;
    while let Some(chunk) = bytes.get(pos..pos + 8) {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(chunk);
        let word = u64::from_le_bytes(eight);
        if any_below(word, 0x20) || any_zero(word ^ splat(b'"')) || any_zero(word ^ splat(b'\\')) {
            break;
        }
        pos += 8;
    }
    while let Some(&b) = bytes.get(pos) {
        if special(b) {
            break;
        }
        pos += 1;
    }
    pos
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_first_special_byte() {
        for len in 0..24 {
            for at in 0..=len {
                for special_byte in [b'"', b'\\', 0, 0x1f] {
                    let mut bytes = [b'a'; 24];
                    bytes[..len].fill(0x7f);
                    bytes[5.min(len)..len].fill(0xe9);
                    if at < len {
                        bytes[at] = special_byte;
                    }
                    assert_eq!(plain_run(&bytes[..len], 0), at, "{len} {at} {special_byte}");
                    assert_eq!(plain_run(&bytes[..len], at.min(len)), at);
                }
            }
        }
        assert_eq!(plain_run(b" !#[]~\x7f\x80\xff", 0), 9);
    }
}
