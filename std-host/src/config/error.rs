//! Config errors that name the file, line, column and key:
//! `jinn.toml:12:9: function[1].limits.memory: bad size "12 parsecs": …`.

use std::fmt;
use std::ops::Range;

/// Where in a config file something was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file (or `<embedded default>`).
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// The key path, e.g. `function[0].module`.
    pub key: String,
}

impl Location {
    /// The location of byte `span.start` in `text`.
    pub fn at(file: &str, text: &str, span: Range<usize>, key: impl Into<String>) -> Self {
        let (line, column) = line_column(text, span.start);
        Self {
            file: file.into(),
            line,
            column,
            key: key.into(),
        }
    }

    /// An error at this location.
    pub fn error(&self, message: impl Into<String>) -> ConfigError {
        ConfigError {
            at: self.clone(),
            message: message.into(),
        }
    }
}

/// One problem in a config file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{}:{}: {}: {message}", at.file, at.line, at.column, at.key)]
pub struct ConfigError {
    /// Where.
    pub at: Location,
    /// What, never including a secret value.
    pub message: String,
}

/// All the problems found, one per line when displayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

impl From<ConfigError> for ConfigErrors {
    fn from(e: ConfigError) -> Self {
        Self(vec![e])
    }
}

/// 1-based line and column (in characters) of byte `offset`.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, text[line_start..offset].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_are_one_based() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        assert_eq!(line_column(text, 9), (2, 3));
        let e = Location::at("f.toml", text, 6..8, "bé").error("oops");
        assert_eq!(e.to_string(), "f.toml:2:1: bé: oops");
    }
}
