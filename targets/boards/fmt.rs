//! The firmware's logging shim, shared by every board (`#[path]`): the only
//! file that names `defmt`'s macros.

/// Logs at info level through defmt.
#[macro_export]
macro_rules! info {
    ($($arg:tt)*) => { ::defmt::info!($($arg)*) };
}

/// Logs at warn level through defmt.
#[macro_export]
macro_rules! warn {
    ($($arg:tt)*) => { ::defmt::warn!($($arg)*) };
}

/// Logs at error level through defmt.
#[macro_export]
macro_rules! error {
    ($($arg:tt)*) => { ::defmt::error!($($arg)*) };
}

/// Stops the firmware with a message (defmt's panic).
#[macro_export]
macro_rules! fatal {
    ($($arg:tt)*) => { ::defmt::panic!($($arg)*) };
}

/// Unwraps a `Result` or `Option`, printing the error through defmt.
#[macro_export]
macro_rules! unwrap {
    ($($arg:tt)*) => { ::defmt::unwrap!($($arg)*) };
}
