//! The byte scan the reader and the writer share: where the next byte is
//! that a JSON string cannot hold as it is (`"`, `\` or a control
//! character). One small loop, out of line: a wider scan (eight bytes a
//! step) takes fewer steps but more compiled code than the 256 KiB profile
//! leaves room for (targets/linux-tap/tests/tap.rs).

/// The index of the first byte from `from` on that needs an escape in a
/// JSON string (`"`, `\\` or a control character), or `bytes.len()`;
/// `from` is at most `bytes.len()`.
#[inline(never)]
pub(crate) fn plain_run(bytes: &[u8], from: usize) -> usize {
    debug_assert!(from <= bytes.len());
    let mut pos = from;
    while let Some(&b) = bytes.get(pos) {
        if b < 0x20 || b == b'"' || b == b'\\' {
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
