//! Standard-alphabet base64 (RFC 4648 §4), used for binary bodies
//! (`"body_encoding": "base64"`): jinn-contract's codec, the one the runtime
//! uses.
//!
//! [`encode`] always writes padding. [`decode`] accepts input with or without
//! padding and rejects any character outside the alphabet, including
//! whitespace.

use core::fmt;

/// Why [`decode`] rejected its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// The byte at this offset is not in the alphabet, or is padding in the
    /// wrong place.
    InvalidByte(usize),
    /// The input length (after padding is removed) leaves a lone 6-bit group,
    /// which cannot encode a whole byte.
    InvalidLength,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::InvalidByte(at) => write!(f, "invalid byte at offset {at}"),
            DecodeError::InvalidLength => f.write_str("invalid length"),
        }
    }
}

impl std::error::Error for DecodeError {}

impl From<jinn_contract::body::DecodeError> for DecodeError {
    fn from(err: jinn_contract::body::DecodeError) -> Self {
        use jinn_contract::body::DecodeError as E;
        match err {
            E::InvalidByte(at, _) | E::InvalidLastSymbol(at, _) => DecodeError::InvalidByte(at),
            E::InvalidLength(_) => DecodeError::InvalidLength,
            // Padding where none may stand: the offset of the first `=` is
            // not known here, the length is what is wrong with it.
            E::InvalidPadding => DecodeError::InvalidLength,
        }
    }
}

/// Encodes `data` as padded standard base64.
pub fn encode(data: &[u8]) -> String {
    jinn_contract::body::base64_encode(data)
}

/// Decodes standard base64, with or without trailing `=` padding.
pub fn decode(text: &str) -> Result<Vec<u8>, DecodeError> {
    Ok(jinn_contract::body::base64_decode(text)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let data: Vec<u8> = (0..=255u8).collect();
        for len in [0, 1, 2, 3, 4, 255, 256] {
            assert_eq!(decode(&encode(&data[..len])).unwrap(), &data[..len]);
        }
        assert_eq!(encode(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn unpadded_input_is_accepted() {
        assert_eq!(decode("Zg").unwrap(), b"f");
        assert_eq!(decode("Zm8").unwrap(), b"fo");
    }

    #[test]
    fn bad_input_is_rejected() {
        assert_eq!(decode("Zm9v!A=="), Err(DecodeError::InvalidByte(4)));
        assert_eq!(decode("Zm 9"), Err(DecodeError::InvalidByte(2)));
        assert_eq!(decode("Z"), Err(DecodeError::InvalidLength));
        assert_eq!(decode("Z==="), Err(DecodeError::InvalidByte(1)));
        assert_eq!(decode("Zg=a"), Err(DecodeError::InvalidByte(2)));
    }
}
