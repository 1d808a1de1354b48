//! The one logging shim of the crate (the runner logs through `log`); no
//! other module names `log` directly.
#![allow(unused_macros)]

macro_rules! info {
    ($($arg:tt)*) => { ::log::info!($($arg)*) };
}

macro_rules! error {
    ($($arg:tt)*) => { ::log::error!($($arg)*) };
}
