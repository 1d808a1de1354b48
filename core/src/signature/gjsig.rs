//! Gojinn's signature trailer: `wasm || signature (64 bytes) || "GJSIG"`,
//! parsed, stripped and verified exactly as Gojinn's `pkg/sovereign` does.

use core::fmt;

use super::key::{PublicKey, verify};

/// The last five bytes of a signed module (Gojinn's `MagicFooter`).
pub const FOOTER: [u8; 5] = *b"GJSIG";
/// Length of an Ed25519 signature.
pub const SIGNATURE_LEN: usize = 64;
/// Signature and footer: what signing appends to a module.
pub const TRAILER_LEN: usize = SIGNATURE_LEN + FOOTER.len();

/// A module file split at its trailer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trailer<'a> {
    /// The module as it was signed: everything before the trailer.
    pub body: &'a [u8],
    /// The signature of `body`.
    pub signature: &'a [u8; SIGNATURE_LEN],
}

/// Why a signed module did not verify. The messages are Gojinn's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SignatureError {
    /// Shorter than a trailer (69 bytes).
    TooSmall,
    /// Does not end with `GJSIG`: not signed (or the trailer was cut).
    MissingFooter,
    /// The signature is not valid for the body under any trusted key: the
    /// module, or its signature, was changed, or another key signed it.
    Invalid,
}

impl fmt::Display for SignatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::TooSmall => "file too small to contain a signature",
            Self::MissingFooter => {
                "file does not contain a valid signature footer (missing magic footer)"
            }
            Self::Invalid => "invalid digital signature or untrusted key",
        })
    }
}

impl core::error::Error for SignatureError {}

/// Splits a module file at its trailer (Gojinn's rule: at least 69 bytes and
/// the footer at the end).
///
/// # Errors
///
/// [`SignatureError::TooSmall`] or [`SignatureError::MissingFooter`]: the
/// file is not signed.
pub fn split(file: &[u8]) -> Result<Trailer<'_>, SignatureError> {
    if file.len() < TRAILER_LEN {
        return Err(SignatureError::TooSmall);
    }
    let (rest, footer) = file.split_at(file.len() - FOOTER.len());
    if footer != FOOTER {
        return Err(SignatureError::MissingFooter);
    }
    let (body, signature) = rest.split_at(rest.len() - SIGNATURE_LEN);
    let signature = signature.try_into().map_err(|_| SignatureError::TooSmall)?;
    Ok(Trailer { body, signature })
}

/// The module without its trailer, or the file unchanged when it has none
/// (Gojinn's `StripSignature`).
pub fn strip(file: &[u8]) -> &[u8] {
    split(file).map_or(file, |t| t.body)
}

/// Verifies a signed module against the trusted keys and returns the body
/// and the index of the key that signed it (Gojinn's `VerifyWasm`: any
/// trusted key may have signed it).
///
/// # Errors
///
/// [`SignatureError`]: not signed, or signed by no trusted key.
pub fn verify_module<'a>(
    file: &'a [u8],
    trusted: &[PublicKey],
) -> Result<(&'a [u8], usize), SignatureError> {
    let trailer = split(file)?;
    verify(trailer.body, trailer.signature, trusted)
        .map(|key| (trailer.body, key))
        .ok_or(SignatureError::Invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailers_are_found_only_at_69_bytes_and_more_with_the_footer() {
        let mut file = alloc::vec![7u8; 10];
        file.extend_from_slice(&[1u8; SIGNATURE_LEN]);
        file.extend_from_slice(&FOOTER);
        let t = split(&file).unwrap();
        assert_eq!(t.body, &[7u8; 10]);
        assert_eq!(t.signature, &[1u8; SIGNATURE_LEN]);
        assert_eq!(strip(&file), &[7u8; 10]);
        assert_eq!(split(&file[10..]).unwrap().body, b"");
        assert_eq!(split(&file[11..]), Err(SignatureError::TooSmall));
        assert_eq!(
            split(&file[..file.len() - 1]),
            Err(SignatureError::MissingFooter)
        );
        assert_eq!(strip(&file[11..]), &file[11..]);
        assert_eq!(strip(b"\0asm"), b"\0asm");
    }
}
