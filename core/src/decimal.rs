//! Decimal text of an unsigned number without `core::fmt` (whose
//! machinery costs flash on a microcontroller).

use alloc::string::String;

/// Appends `n` in decimal to `out`: `200` → `"200"`.
pub(crate) fn push_decimal(out: &mut String, n: u64) {
    let mut digits = [0u8; 20];
    let mut n = n;
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend(digits[at..].iter().map(|&d| char::from(d)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_zero_small_and_largest() {
        for (n, text) in [
            (0, "0"),
            (7, "7"),
            (200, "200"),
            (u64::MAX, "18446744073709551615"),
        ] {
            let mut out = String::from("x");
            push_decimal(&mut out, n);
            assert_eq!(out, alloc::format!("x{text}"));
        }
    }
}
