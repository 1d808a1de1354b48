//! The byte scan the reader and the writer share: where the next byte is
//! that a JSON string cannot hold as it is (`"`, `\` or a control
//! character), eight bytes at a time.

/// Eight copies of `byte`.
const fn splat(byte: u8) -> u64 {
    u64::from_le_bytes([byte; 8])
}

const LOW: u64 = splat(0x01);
const HIGH: u64 = splat(0x80);

/// The bytes of `word` below `n` (`n` at most 0x80), as their high bits.
/// Bytes after the first one found may be flagged wrongly (a borrow), the
/// first one never: only the lowest flag is read.
#[inline(always)]
const fn below(word: u64, n: u8) -> u64 {
    word.wrapping_sub(splat(n)) & !word & HIGH
}

/// The zero bytes of `word`, as [`below`] flags them.
#[inline(always)]
const fn zeros(word: u64) -> u64 {
    word.wrapping_sub(LOW) & !word & HIGH
}

/// The index of the first byte from `from` on that needs an escape in a
/// JSON string (`"`, `\\` or a control character), or `bytes.len()`:
/// eight bytes a step, the last step padded.
pub(crate) fn plain_run(bytes: &[u8], from: usize) -> usize {
    let len = bytes.len();
    let mut pos = from.min(len);
    while pos + 8 <= len {
        // SAFETY: `pos + 8 <= len`: eight readable bytes at `pos`.
        let word = unsafe { core::ptr::read_unaligned(bytes.as_ptr().add(pos).cast::<u64>()) };
        let found = flags(u64::from_le(word));
        if found != 0 {
            return pos + (found.trailing_zeros() / 8) as usize;
        }
        pos += 8;
    }
    tail(bytes, pos)
}

/// [`plain_run`]'s last step, fewer than eight bytes from `pos` on: out of
/// its loop, where wasmi would charge it on every step.
#[inline(never)]
fn tail(bytes: &[u8], pos: usize) -> usize {
    let len = bytes.len();
    let mut eight = [b'a'; 8];
    // SAFETY: `len - pos < 8` readable bytes at `pos`, as many writable in
    // `eight`.
    unsafe {
        core::ptr::copy_nonoverlapping(bytes.as_ptr().add(pos), eight.as_mut_ptr(), len - pos)
    };
    let found = flags(u64::from_le_bytes(eight));
    if found != 0 {
        return pos + (found.trailing_zeros() / 8) as usize;
    }
    len
}

/// The bytes of `word` that need an escape, as [`below`] flags them.
#[inline(always)]
const fn flags(word: u64) -> u64 {
    below(word, 0x20) | zeros(word ^ splat(b'"')) | zeros(word ^ splat(b'\\'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_first_special_byte() {
        for len in 0..24 {
            for at in 0..=len {
                for special_byte in [b'"', b'\\', 0, 0x1f, b'\n'] {
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
