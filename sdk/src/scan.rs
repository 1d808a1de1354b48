//! Finding the end of plain JSON string text eight bytes at a time: the
//! reader ([`crate::envelope`]) and the writer ([`crate::wire`]) both stop
//! at the same bytes, `"`, `\` and control characters, and pass over
//! everything else.
//!
//! Why: the runtime meters fuel per instruction block, and a byte-by-byte
//! scan cost about 22 fuel a byte more than this one (a 100 KB body). A
//! body of kilobytes is mostly plain text.

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `word` that is zero. Exact up to the lowest
/// such byte (a borrow can mark bytes above it, never below).
fn zero_bytes(word: u64) -> u64 {
    word.wrapping_sub(ONES) & !word & HIGHS
}

/// The number of leading bytes of `bytes` that are neither `"`, `\` nor a
/// control character (below 0x20): the length of the plain text before the
/// first byte a JSON string must escape, or `bytes.len()` when there is none.
pub(crate) fn plain_len(bytes: &[u8]) -> usize {
    let mut at = 0;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let mut eight = [0; 8];
        eight.copy_from_slice(chunk);
        let word = u64::from_le_bytes(eight);
        // Bytes below 0x20 (those of 0x80 and above are left out by `!word`),
        // then `"` and `\` as zero bytes of the word xor their repetition.
        let marks = (word.wrapping_sub(ONES * 0x20) & !word & HIGHS)
            | zero_bytes(word ^ (ONES * u64::from(b'"')))
            | zero_bytes(word ^ (ONES * u64::from(b'\\')));
        if marks != 0 {
            return at + (marks.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    while let Some(&b) = bytes.get(at) {
        if b == b'"' || b == b'\\' || b < 0x20 {
            break;
        }
        at += 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slow(bytes: &[u8]) -> usize {
        bytes
            .iter()
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
            .unwrap_or(bytes.len())
    }

    #[test]
    fn stops_where_a_byte_by_byte_scan_stops() {
        // Every special byte at every position of strings up to 20 bytes,
        // over plain bytes that sit next to the special ones in value.
        let fillers = [
            b'a', b' ', 0x21, 0x23, 0x5b, 0x5d, 0x7f, 0x80, 0xa2, 0xdc, 0xff,
        ];
        let specials = [b'"', b'\\', 0x00, 0x01, 0x1f, b'\n', 0x08];
        for len in 0..20 {
            for &fill in &fillers {
                let plain = vec![fill; len];
                assert_eq!(plain_len(&plain), len);
                for at in 0..len {
                    for &special in &specials {
                        let mut bytes = plain.clone();
                        bytes[at] = special;
                        assert_eq!(plain_len(&bytes), slow(&bytes), "{bytes:?}");
                        // A zero byte right after it: its borrow must not
                        // move the answer.
                        if at + 1 < len {
                            bytes[at + 1] = 0x00;
                            assert_eq!(plain_len(&bytes), at, "{bytes:?}");
                        }
                    }
                }
            }
        }
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            let bytes: Vec<u8> = (0..(seed % 40) as usize)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    // Mostly plain, now and then a byte near the boundaries.
                    [
                        b'x', 0x20, 0x21, 0x22, 0x23, 0x5b, 0x5c, 0x5d, 0x1f, 0x00, 0x80, 0xe9,
                    ][(seed % 12) as usize]
                })
                .collect();
            assert_eq!(plain_len(&bytes), slow(&bytes), "{bytes:?}");
        }
    }
}
