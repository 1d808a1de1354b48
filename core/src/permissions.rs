//! What a function may touch: KV keys it may read and write, topics it may publish to.
//!
//! Matching is exact, never "starts with" by accident (Gojinn's `user` also
//! allowed `user_secrets`):
//!
//! * KV patterns: `*` allows every key; a pattern ending in `*` allows the keys
//!   that start with what comes before the star (`sensor/*` allows
//!   `sensor/t1/last`, and not `sensors`); any other pattern allows exactly
//!   that key. A `*` anywhere but at the end is refused when parsing.
//! * Publish patterns are MQTT topic filters: `+` matches one level, `#` (last)
//!   matches any number of levels, every other level must be equal.
//!   `alerts/+` allows `alerts/t1`, not `alerts/t1/x` nor `alerts`.
//! * An empty list denies everything.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::{Deserialize, Serialize};

/// A pattern could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum PatternError {
    /// The pattern is empty.
    Empty,
    /// A KV pattern has `*` somewhere other than at its end.
    MisplacedStar,
    /// A topic filter has `+` or `#` inside a level, or `#` not last.
    MisplacedWildcard,
    /// A topic filter contains a NUL character.
    Nul,
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Empty => "empty pattern",
            Self::MisplacedStar => "`*` may only end a key pattern",
            Self::MisplacedWildcard => {
                "`+` must be a whole topic level and `#` must be the whole last level"
            }
            Self::Nul => "topic filters may not contain NUL",
        })
    }
}

impl core::error::Error for PatternError {}

/// Checks a KV key pattern.
///
/// # Errors
///
/// [`PatternError`] when it is empty or has a star before its end.
pub fn check_key_pattern(pattern: &str) -> Result<(), PatternError> {
    if pattern.is_empty() {
        return Err(PatternError::Empty);
    }
    match pattern.find('*') {
        Some(at) if at + 1 != pattern.len() => Err(PatternError::MisplacedStar),
        _ => Ok(()),
    }
}

/// Does the key pattern allow `key`?
pub fn key_matches(pattern: &str, key: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => key.starts_with(prefix),
        None => pattern == key,
    }
}

/// Checks an MQTT topic filter.
///
/// # Errors
///
/// [`PatternError`] when a wildcard is misplaced.
pub fn check_topic_filter(filter: &str) -> Result<(), PatternError> {
    if filter.is_empty() {
        return Err(PatternError::Empty);
    }
    if filter.contains('\0') {
        return Err(PatternError::Nul);
    }
    let mut levels = filter.split('/').peekable();
    while let Some(level) = levels.next() {
        let last = levels.peek().is_none();
        match level {
            "+" => {}
            "#" if last => {}
            _ if level.contains(['+', '#']) => return Err(PatternError::MisplacedWildcard),
            _ => {}
        }
    }
    Ok(())
}

/// Is `topic` a valid topic to publish to (non-empty, no wildcards, no NUL)?
/// Its length is a limit of the function (`topic_bytes`).
pub fn valid_topic(topic: &str) -> bool {
    !topic.is_empty() && !topic.contains(['+', '#', '\0'])
}

/// Does the MQTT topic filter match `topic`?
pub fn topic_matches(filter: &str, topic: &str) -> bool {
    let mut want = filter.split('/');
    let mut have = topic.split('/');
    loop {
        match (want.next(), have.next()) {
            (Some("#"), _) => return true,
            (Some("+"), Some(_)) => {}
            (Some(w), Some(h)) if w == h => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

/// The allowlists of one function. Empty lists deny.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Permissions {
    /// Key patterns `host_kv_get` may read.
    pub kv_read: Vec<String>,
    /// Key patterns `host_kv_set` may write.
    pub kv_write: Vec<String>,
    /// Topic filters `jinn.publish` may publish to.
    pub publish: Vec<String>,
}

impl Permissions {
    /// Everything allowed: for local development (`jinn run`).
    pub fn allow_all() -> Self {
        Self {
            kv_read: alloc::vec!["*".into()],
            kv_write: alloc::vec!["*".into()],
            publish: alloc::vec!["#".into()],
        }
    }

    /// Checks every pattern.
    ///
    /// # Errors
    ///
    /// The first bad pattern with its error.
    pub fn check(&self) -> Result<(), (&str, PatternError)> {
        for p in self.kv_read.iter().chain(&self.kv_write) {
            check_key_pattern(p).map_err(|e| (p.as_str(), e))?;
        }
        for p in &self.publish {
            check_topic_filter(p).map_err(|e| (p.as_str(), e))?;
        }
        Ok(())
    }

    /// May the function read `key`?
    pub fn may_read(&self, key: &str) -> bool {
        self.kv_read.iter().any(|p| key_matches(p, key))
    }

    /// May the function write `key`?
    pub fn may_write(&self, key: &str) -> bool {
        self.kv_write.iter().any(|p| key_matches(p, key))
    }

    /// May the function publish to `topic`?
    pub fn may_publish(&self, topic: &str) -> bool {
        valid_topic(topic) && self.publish.iter().any(|f| topic_matches(f, topic))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn perms(read: &[&str], publish: &[&str]) -> Permissions {
        Permissions {
            kv_read: read.iter().map(|s| (*s).into()).collect(),
            kv_write: Vec::new(),
            publish: publish.iter().map(|s| (*s).into()).collect(),
        }
    }

    #[test]
    fn exact_keys_are_not_prefixes() {
        let p = perms(&["user"], &[]);
        assert!(p.may_read("user"));
        assert!(!p.may_read("user_secrets"));
        assert!(!p.may_read("use"));
    }

    #[test]
    fn star_suffix_is_a_prefix() {
        let p = perms(&["sensor/*"], &[]);
        assert!(p.may_read("sensor/t1/last"));
        assert!(p.may_read("sensor/"));
        assert!(!p.may_read("sensors"));
        assert!(!p.may_read("sensor"));
        assert!(perms(&["*"], &[]).may_read("anything"));
    }

    #[test]
    fn empty_lists_deny() {
        let p = Permissions::default();
        assert!(!p.may_read("a"));
        assert!(!p.may_write("a"));
        assert!(!p.may_publish("a"));
    }

    #[test]
    fn write_list_is_separate_from_read_list() {
        let p = perms(&["a"], &[]);
        assert!(!p.may_write("a"));
    }

    #[test]
    fn topic_filters_follow_mqtt() {
        let p = perms(&[], &["alerts/+", "telemetry/#"]);
        assert!(p.may_publish("alerts/t1"));
        assert!(!p.may_publish("alerts/t1/x"));
        assert!(!p.may_publish("alerts"));
        assert!(p.may_publish("telemetry"));
        assert!(p.may_publish("telemetry/a/b/c"));
        assert!(!p.may_publish("telemetryx"));
        assert!(
            !p.may_publish("alerts/+"),
            "wildcards are not publishable topics"
        );
    }

    #[test]
    fn bad_patterns_are_refused() {
        assert_eq!(check_key_pattern("a*b"), Err(PatternError::MisplacedStar));
        assert_eq!(check_key_pattern(""), Err(PatternError::Empty));
        assert_eq!(
            check_topic_filter("a/#/b"),
            Err(PatternError::MisplacedWildcard)
        );
        assert_eq!(
            check_topic_filter("a/b+"),
            Err(PatternError::MisplacedWildcard)
        );
        assert_eq!(check_topic_filter("a/+/#"), Ok(()));
        let p = Permissions {
            kv_write: alloc::vec!["x*y".into()],
            ..Permissions::default()
        };
        assert_eq!(p.check(), Err(("x*y", PatternError::MisplacedStar)));
    }
}
