//! Ed25519 public keys and the signature check itself (`ed25519-dalek`).

use core::fmt;

use ed25519_dalek::{Signature, Verifier, VerifyingKey};

/// Length of an Ed25519 public key in bytes.
pub const PUBLIC_KEY_LEN: usize = 32;

/// An Ed25519 public key: 32 bytes, written as 64 hex digits in key files
/// (Gojinn's `<name>.pub`) and configurations.
///
/// Parsing checks that the bytes encode a curve point, so a key that could
/// never verify anything is refused where it is written, not at every load.
/// Serialized as a hex string in human-readable formats (JSON, TOML) and as
/// 32 bytes otherwise (postcard in device flash).
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

/// A public key could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum KeyError {
    /// A character that is not a hex digit, at this byte offset.
    NotHex {
        /// Offset of the first bad character.
        at: usize,
    },
    /// An odd number of hex digits.
    OddLength,
    /// Not 32 bytes (Gojinn's `invalid public key size`).
    Size {
        /// Bytes found.
        got: usize,
    },
    /// 32 bytes that do not encode a point of the curve.
    NotAPoint,
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotHex { at } => write!(f, "invalid hex: a non-hex character at offset {at}"),
            Self::OddLength => f.write_str("invalid hex: odd number of digits"),
            Self::Size { got } => write!(
                f,
                "invalid public key size (expected {PUBLIC_KEY_LEN}, got {got})"
            ),
            Self::NotAPoint => f.write_str("invalid public key: not a point of Ed25519's curve"),
        }
    }
}

impl core::error::Error for KeyError {}

impl PublicKey {
    /// A key from its 32 bytes.
    ///
    /// # Errors
    ///
    /// [`KeyError::NotAPoint`] when the bytes are not a valid point encoding.
    pub fn from_bytes(bytes: &[u8; PUBLIC_KEY_LEN]) -> Result<Self, KeyError> {
        VerifyingKey::from_bytes(bytes)
            .map(Self)
            .map_err(|_| KeyError::NotAPoint)
    }

    /// A key from hex digits (either case), as in Gojinn's key files and
    /// `trusted_key` settings. White space around the digits is ignored (a
    /// key file saved by an editor ends with a newline).
    ///
    /// # Errors
    ///
    /// [`KeyError`] naming what is wrong.
    pub fn from_hex(text: &str) -> Result<Self, KeyError> {
        let text = text.trim_ascii();
        let mut bytes = [0u8; PUBLIC_KEY_LEN];
        let len = decode_hex(text, &mut bytes)?;
        if len != PUBLIC_KEY_LEN {
            return Err(KeyError::Size { got: len });
        }
        Self::from_bytes(&bytes)
    }

    /// The 32 bytes of the key.
    pub fn as_bytes(&self) -> &[u8; PUBLIC_KEY_LEN] {
        self.0.as_bytes()
    }

    /// Does `signature` sign `message` under this key?
    ///
    /// The check of RFC 8032 as Go's `crypto/ed25519` does it (the
    /// "cofactorless" equation, `S` must be canonical), so that Jinn accepts
    /// exactly the signatures Gojinn accepts.
    pub fn verifies(&self, message: &[u8], signature: &[u8; 64]) -> bool {
        self.0
            .verify(message, &Signature::from_bytes(signature))
            .is_ok()
    }
}

/// Which of `keys` signed `message` with `signature`: the index of the first
/// key that verifies, `None` when none does (or `keys` is empty).
///
/// The project's one Ed25519 check, for modules and any other signed document.
pub fn verify(message: &[u8], signature: &[u8; 64], keys: &[PublicKey]) -> Option<usize> {
    keys.iter().position(|k| k.verifies(message, signature))
}

/// Decodes hex digits (either case, no white space) into `out`; the number of
/// bytes they encode (which may exceed `out.len()`: only what fits is
/// written). For key files (public and private) wherever they are read.
///
/// # Errors
///
/// [`KeyError::NotHex`] or [`KeyError::OddLength`].
pub fn decode_hex(text: &str, out: &mut [u8]) -> Result<usize, KeyError> {
    let digits = text.as_bytes();
    if let Some(at) = digits.iter().position(|d| !d.is_ascii_hexdigit()) {
        return Err(KeyError::NotHex { at });
    }
    if digits.len() % 2 == 1 {
        return Err(KeyError::OddLength);
    }
    let nibble = |d: u8| match d {
        b'0'..=b'9' => d - b'0',
        b'a'..=b'f' => d - b'a' + 10,
        _ => d - b'A' + 10,
    };
    for (slot, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        *slot = (nibble(pair[0]) << 4) | nibble(pair[1]);
    }
    Ok(digits.len() / 2)
}

impl fmt::Display for PublicKey {
    /// The 64 lowercase hex digits of the key (what Gojinn writes).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.as_bytes() {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({self})")
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for PublicKey {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "{=[u8]:02x}", self.as_bytes()[..]);
    }
}

impl serde::Serialize for PublicKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.collect_str(self)
        } else {
            serde::Serialize::serialize(self.as_bytes(), s)
        }
    }
}

impl<'de> serde::Deserialize<'de> for PublicKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        if d.is_human_readable() {
            let text = <&str as serde::Deserialize>::deserialize(d)?;
            Self::from_hex(text).map_err(D::Error::custom)
        } else {
            let bytes = <[u8; PUBLIC_KEY_LEN] as serde::Deserialize>::deserialize(d)?;
            Self::from_bytes(&bytes).map_err(D::Error::custom)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 8032, section 7.1, test 1 (empty message).
    const RFC_KEY: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    const RFC_SIG: &str = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

    fn sig(hex: &str) -> [u8; 64] {
        let mut out = [0u8; 64];
        assert_eq!(decode_hex(hex, &mut out), Ok(64));
        out
    }

    #[test]
    fn rfc8032_vector_verifies_and_a_flipped_bit_does_not() {
        let key = PublicKey::from_hex(RFC_KEY).unwrap();
        let s = sig(RFC_SIG);
        assert!(key.verifies(b"", &s));
        assert!(!key.verifies(b"x", &s));
        let mut bad = s;
        bad[63] ^= 0x01;
        assert!(!key.verifies(b"", &bad));
        assert_eq!(verify(b"", &s, &[]), None);
        assert_eq!(verify(b"", &s, core::slice::from_ref(&key)), Some(0));
    }

    #[test]
    fn hex_keys_parse_like_gojinn_and_name_their_fault() {
        let key = PublicKey::from_hex(&RFC_KEY.to_ascii_uppercase()).unwrap();
        assert_eq!(key.to_string(), RFC_KEY);
        assert_eq!(PublicKey::from_hex(&alloc::format!("{RFC_KEY}\n")), Ok(key));
        assert_eq!(PublicKey::from_hex("abcd"), Err(KeyError::Size { got: 2 }));
        assert_eq!(
            PublicKey::from_hex("abcd").unwrap_err().to_string(),
            "invalid public key size (expected 32, got 2)"
        );
        assert_eq!(PublicKey::from_hex("xyz"), Err(KeyError::NotHex { at: 0 }));
        assert_eq!(PublicKey::from_hex("abc"), Err(KeyError::OddLength));
        // A Gojinn private key file (64 bytes) is not a public key.
        let private = alloc::format!("{RFC_KEY}{RFC_KEY}");
        assert_eq!(
            PublicKey::from_hex(&private),
            Err(KeyError::Size { got: 64 })
        );
        // y = 2 has no x on the curve.
        let mut y2 = [0u8; 32];
        y2[0] = 2;
        assert_eq!(PublicKey::from_bytes(&y2), Err(KeyError::NotAPoint));
    }

    #[test]
    fn serde_is_hex_for_people_and_bytes_for_flash() {
        let key = PublicKey::from_hex(RFC_KEY).unwrap();
        let json = serde_json::to_string(&key).unwrap();
        assert_eq!(json, alloc::format!("\"{RFC_KEY}\""));
        assert_eq!(serde_json::from_str::<PublicKey>(&json).unwrap(), key);
        assert!(serde_json::from_str::<PublicKey>("\"abcd\"").is_err());
    }
}
