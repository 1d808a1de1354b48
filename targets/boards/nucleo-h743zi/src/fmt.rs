//! The firmware's logging shim: the only file that names `defmt`'s macros.

/// Logs at info level through defmt.
#[macro_export]
macro_rules! info {
    ($($arg:tt)*) => { ::defmt::info!($($arg)*) };
}

/// Stops the firmware with a message (defmt's panic, printed by probe-rs).
#[macro_export]
macro_rules! fatal {
    ($($arg:tt)*) => { ::defmt::panic!($($arg)*) };
}

/// Unwraps a `Result` or `Option`, printing the error through defmt.
#[macro_export]
macro_rules! unwrap {
    ($($arg:tt)*) => { ::defmt::unwrap!($($arg)*) };
}
