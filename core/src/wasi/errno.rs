//! WASI preview1 errno values used by the core.

/// No error.
pub const SUCCESS: i32 = 0;
/// Bad file descriptor.
pub const BADF: i32 = 8;
/// Bad address: a pointer outside linear memory.
pub const FAULT: i32 = 21;
/// Illegal byte sequence (a path that is not UTF-8).
pub const ILSEQ: i32 = 25;
/// Invalid argument.
pub const INVAL: i32 = 28;
/// Is a directory.
pub const ISDIR: i32 = 31;
/// Too many open files.
pub const MFILE: i32 = 33;
/// Filename too long.
pub const NAMETOOLONG: i32 = 37;
/// Function not implemented.
pub const NOSYS: i32 = 52;
/// Not a directory.
pub const NOTDIR: i32 = 54;
/// Not a socket.
pub const NOTSOCK: i32 = 57;
/// Not supported.
pub const NOTSUP: i32 = 58;
/// Invalid seek.
pub const SPIPE: i32 = 70;
/// Capabilities insufficient.
pub const NOTCAPABLE: i32 = 76;
