//! Log lines through the host (`gojinn.host_log`).
//!
//! The host decides where lines go and which levels it keeps; a function only
//! picks the level.

use crate::imports;

/// How important a log line is. The discriminants are the host's level codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Detail for debugging (code 0).
    Debug = 0,
    /// Normal operation (code 1).
    Info = 1,
    /// Something unexpected that the function handled (code 2).
    Warn = 2,
    /// A failure (code 3).
    Error = 3,
}

/// Writes `message` at `level`.
pub fn log(level: Level, message: &str) {
    imports::log(level as i32, message.as_bytes());
}

/// Writes `message` at debug level.
pub fn debug(message: &str) {
    log(Level::Debug, message);
}

/// Writes `message` at info level.
pub fn info(message: &str) {
    log(Level::Info, message);
}

/// Writes `message` at warn level.
pub fn warn(message: &str) {
    log(Level::Warn, message);
}

/// Writes `message` at error level.
pub fn error(message: &str) {
    log(Level::Error, message);
}
