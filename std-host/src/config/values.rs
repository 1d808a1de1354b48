//! Value types of the config file: sizes (`16MiB` or a byte count),
//! durations (`250ms`, `2s`, `1m`, `1h`) and secrets (a literal, or
//! `{ from_env = "VAR" }`, never shown).

use std::fmt;
use std::time::Duration;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

/// A byte count: a TOML integer, or a string such as `16MiB` or `128MB`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size(pub u64);

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Size;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a size: a number of bytes, or a string such as \"16MiB\" or \"128MB\"")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Size, E> {
                u64::try_from(v)
                    .map(Size)
                    .map_err(|_| E::custom("a size cannot be negative"))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Size, E> {
                Ok(Size(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Size, E> {
                jinn_core::limits::parse_size(v)
                    .map(Size)
                    .map_err(|e| E::custom(format!("bad size {v:?}: {e}")))
            }
        }
        d.deserialize_any(V)
    }
}

/// A duration written as a string: `500ms`, `2s`, `1m`, `1h` (whole numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dur(pub Duration);

/// A duration string is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad duration {0:?}: use a whole number with ms, s, m or h (\"500ms\", \"2s\")")]
pub struct DurationError(pub String);

/// Parses `500ms`, `2s`, `1m`, `1h`.
///
/// # Errors
///
/// [`DurationError`], whose message names the accepted forms.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let text = text.trim();
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let bad = || DurationError(text.into());
    if digits == 0 {
        return Err(bad());
    }
    let (number, unit) = text.split_at(digits);
    let n: u64 = number.parse().map_err(|_| bad())?;
    let ms = match unit.trim() {
        "ms" => Some(n),
        "s" => n.checked_mul(1_000),
        "m" | "min" => n.checked_mul(60_000),
        "h" => n.checked_mul(3_600_000),
        _ => return Err(bad()),
    };
    ms.map(Duration::from_millis).ok_or_else(bad)
}

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Dur;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration string such as \"500ms\", \"2s\", \"1m\" or \"1h\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Dur, E> {
                parse_duration(v).map(Dur).map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

/// A secret's environment variable cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// The variable is not set.
    #[error("environment variable {0} is not set")]
    NotSet(String),
    /// The variable's value is not UTF-8.
    #[error("environment variable {0} is not valid UTF-8")]
    NotUnicode(String),
}

/// A secret (environment value, API key, admin token): a literal string or
/// `{ from_env = "VAR" }`. Its `Debug` never shows the value.
#[derive(Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// Written in the config file.
    Literal(String),
    /// Read from the gateway's environment when the config is loaded.
    FromEnv(String),
}

impl fmt::Debug for SecretSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Literal(_) => f.write_str("Literal(<redacted>)"),
            Self::FromEnv(var) => write!(f, "FromEnv({var})"),
        }
    }
}

impl SecretSource {
    /// The value: the literal, or the environment variable's value.
    ///
    /// # Errors
    ///
    /// [`SecretError`] when the variable is not set or not UTF-8 (it names
    /// the variable, never a value).
    pub fn resolve(&self) -> Result<String, SecretError> {
        match self {
            Self::Literal(v) => Ok(v.clone()),
            Self::FromEnv(var) => std::env::var(var).map_err(|e| match e {
                std::env::VarError::NotPresent => SecretError::NotSet(var.clone()),
                std::env::VarError::NotUnicode(_) => SecretError::NotUnicode(var.clone()),
            }),
        }
    }
}

impl<'de> Deserialize<'de> for SecretSource {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = SecretSource;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, or a table { from_env = \"VARIABLE\" }")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<SecretSource, E> {
                Ok(SecretSource::Literal(v.into()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SecretSource, A::Error> {
                let mut var = None;
                while let Some(key) = map.next_key::<String>()? {
                    if key != "from_env" {
                        return Err(de::Error::unknown_field(&key, &["from_env"]));
                    }
                    var = Some(map.next_value::<String>()?);
                }
                match var {
                    Some(v) if !v.is_empty() => Ok(SecretSource::FromEnv(v)),
                    Some(_) => Err(de::Error::custom("from_env names no variable")),
                    None => Err(de::Error::missing_field("from_env")),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// A trusted public key as written: 64 hex digits, or `{ file = "x.pub" }`
/// (a key file as Gojinn's signer and `jinn keygen` write them, relative to
/// the config file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// The key's hex digits.
    Hex(String),
    /// A file holding them.
    File(String),
}

impl<'de> Deserialize<'de> for KeySource {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = KeySource;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a public key in hex, or a table { file = \"key.pub\" }")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<KeySource, E> {
                Ok(KeySource::Hex(v.into()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<KeySource, A::Error> {
                let mut file = None;
                while let Some(key) = map.next_key::<String>()? {
                    if key != "file" {
                        return Err(de::Error::unknown_field(&key, &["file"]));
                    }
                    file = Some(map.next_value::<String>()?);
                }
                match file {
                    Some(f) if !f.is_empty() => Ok(KeySource::File(f)),
                    Some(_) => Err(de::Error::custom("file names no file")),
                    None => Err(de::Error::missing_field("file")),
                }
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert!(parse_duration("2").is_err());
        assert!(parse_duration("fast").is_err());
        assert!(parse_duration("1.5s").is_err());
    }

    #[test]
    fn secrets_hide_literals() {
        let s = SecretSource::Literal("hunter2".into());
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}
