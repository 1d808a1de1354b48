//! WASI preview1 errno values used by the core.

/// No error.
pub const SUCCESS: i32 = 0;
/// Bad file descriptor.
pub const BADF: i32 = 8;
/// Bad address: a pointer outside linear memory.
pub const FAULT: i32 = 21;
/// Invalid argument.
pub const INVAL: i32 = 28;
/// Function not implemented.
pub const NOSYS: i32 = 52;
/// Not supported.
pub const NOTSUP: i32 = 58;
/// Invalid seek.
pub const SPIPE: i32 = 70;
/// Capabilities insufficient.
pub const NOTCAPABLE: i32 = 76;
